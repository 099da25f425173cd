//! `im_chat`: a msg_id rising per room, `push_im_chat` to everyone else, the content limit.

use crate::common;
use common::*;

#[tokio::test]
async fn room_messages_reach_everyone_else_with_rising_ids() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    let mut carol = s.join("r", "carol", audience("Carol")).await;
    let mut other = s.join("r2", "olga", audience("Olga")).await;

    let before = SystemTimeMs::now();
    let r = ok(
        &mut alice,
        "im_chat",
        json!({"msg_category": 2, "msg_type": 3, "msg_content": "hi all"}),
    )
    .await;
    assert_eq!(
        r,
        json!({"err_code": 0, "err_message": "success", "msg_id": 1})
    );
    for c in [&mut bob, &mut carol] {
        let p = expect_push(c, "push_im_chat").await;
        assert_eq!(p.header["from_user_id"], alice.user_id.as_str());
        assert_eq!(keys(&p.body), ["chat_data", "ret_msg_id", "server_msg_id"]);
        assert_eq!(p.body["server_msg_id"], 1);
        assert_eq!(p.body["ret_msg_id"], 1);
        let d = &p.body["chat_data"];
        assert_eq!(d.as_array().unwrap().len(), 1);
        let t = d[0]["send_time"].as_u64().unwrap();
        assert!(t >= before.0 && t <= SystemTimeMs::now().0, "{t}");
        assert_eq!(
            d[0],
            json!({"id_name": "alice", "nick_name": "Alice", "role": 1, "msg_id": 1,
                   "msg_category": 2, "msg_type": 3, "msg_content": "hi all", "send_time": t})
        );
    }
    // The sender gets the id in its reply, not a push.
    expect_no_push(&mut alice, "push_im_chat", 200).await;

    // Ids rise per room, whoever sends.
    let r = ok(&mut bob, "im_chat", chat_body("b1")).await;
    assert_eq!(r["msg_id"], 2);
    let r = ok(&mut carol, "im_chat", chat_body("c1")).await;
    assert_eq!(r["msg_id"], 3);
    let r = ok(&mut alice, "im_chat", chat_body("a2")).await;
    assert_eq!(r["msg_id"], 4);
    let p = expect_push(&mut alice, "push_im_chat").await;
    assert_eq!(p.body["chat_data"][0]["msg_id"], 2);
    assert_eq!(p.body["chat_data"][0]["id_name"], "bob");
    assert_eq!(p.body["chat_data"][0]["role"], 2);
    let p = expect_push(&mut alice, "push_im_chat").await;
    assert_eq!(p.body["chat_data"][0]["msg_id"], 3);
    let ids: Vec<u64> = {
        let mut v = vec![];
        for _ in 0..2 {
            let p = expect_push(&mut bob, "push_im_chat").await;
            v.push(p.body["server_msg_id"].as_u64().unwrap());
        }
        v
    };
    assert_eq!(ids, vec![3, 4]);

    // Another room has its own ids and hears nothing of this one.
    expect_no_push(&mut other, "push_im_chat", 100).await;
    let r = ok(&mut other, "im_chat", chat_body("elsewhere")).await;
    assert_eq!(r["msg_id"], 1);
    expect_no_push(&mut alice, "push_im_chat", 100).await;
}

#[tokio::test]
async fn push_seq_rises_per_session() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    for i in 0..5 {
        ok(&mut alice, "im_chat", chat_body(&format!("m{i}"))).await;
    }
    for i in 1..=5u64 {
        let p = expect_push(&mut bob, "push_im_chat").await;
        assert_eq!(p.header["push_seq"], i);
        assert_eq!(p.body["server_msg_id"], i);
    }
    // Alice's own count starts at 1 on her first push.
    ok(&mut bob, "im_chat", chat_body("back")).await;
    let p = expect_push(&mut alice, "push_im_chat").await;
    assert_eq!(p.header["push_seq"], 1);
    ok(&mut alice, "stream", stream_body(2001, "s", "")).await;
    let p = expect_push(&mut bob, "push_stream_update").await;
    assert_eq!(p.header["push_seq"], 6);
}

#[tokio::test]
async fn content_is_at_most_1024_bytes() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    for content in ["a".repeat(1024), "é".repeat(512), String::new()] {
        ok(&mut alice, "im_chat", chat_body(&content)).await;
        let p = expect_push(&mut bob, "push_im_chat").await;
        assert_eq!(p.body["chat_data"][0]["msg_content"], content.as_str());
    }
    for content in ["a".repeat(1025), "é".repeat(513)] {
        let (code, msg) = refused(&mut alice, "im_chat", chat_body(&content)).await;
        assert_eq!(code, 1_000_000_005);
        assert!(msg.contains("msg_content"), "{msg}");
    }
    expect_no_push(&mut bob, "push_im_chat", 200).await;
    // Refused messages take no id.
    assert_eq!(
        ok(&mut alice, "im_chat", chat_body("ok")).await["msg_id"],
        4
    );
}

#[tokio::test]
async fn malformed_chat_is_refused_naming_the_field() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let (code, msg) = refused(
        &mut alice,
        "im_chat",
        json!({"msg_category": 1, "msg_type": 1}),
    )
    .await;
    assert_eq!(code, 1_000_000_002);
    assert!(msg.contains("msg_content"), "{msg}");
    let (code, msg) = refused(
        &mut alice,
        "im_chat",
        json!({"msg_category": "one", "msg_type": 1, "msg_content": "x"}),
    )
    .await;
    assert_eq!(code, 1_000_000_002);
    assert!(msg.contains("msg_category"), "{msg}");
}

struct SystemTimeMs(u64);

impl SystemTimeMs {
    fn now() -> Self {
        SystemTimeMs(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as u64,
        )
    }
}
