//! Big-room messages: `bigim_chat` acks every message with a `bigmsg_id`; the room sends ONE
//! `push_merge_message` per window with everybody's messages, the same to everyone.

use crate::common;
use common::*;
use std::time::{SystemTime, UNIX_EPOCH};

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Sleeps until `offset` ms into the next window of `w` ms (server time is this clock).
async fn start_of_next_window(w: u64, offset: u64) -> u64 {
    let now = unix_ms();
    let start = (now / w + 1) * w;
    tokio::time::sleep(Duration::from_millis(start + offset - now)).await;
    start
}

fn msg(content: &str, client_id: &str) -> Value {
    json!({"msg_category": 1, "msg_type": 2, "msg_content": content, "bigmsg_client_id": client_id})
}

/// The messages of a merged push, after checking its shape.
fn merged(p: &Frame, room: &str) -> Vec<Value> {
    assert_eq!(keys(&p.body), ["messages"]);
    let messages = p.body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "{}", p.body);
    assert_eq!(keys(&messages[0]), ["msg_body", "sub_cmd"]);
    assert_eq!(messages[0]["sub_cmd"], 14001);
    let body: Value = serde_json::from_str(messages[0]["msg_body"].as_str().unwrap()).unwrap();
    assert_eq!(keys(&body), ["msg_data", "room_id"]);
    assert_eq!(body["room_id"], room);
    body["msg_data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn one_merged_push_per_window_with_everybodys_messages() {
    let w = 500;
    let s = TestServer::start(&[("LIVEROOM_ROOM__BIGIM_TIME_WINDOW_MS", "500")]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    let mut carol = s.join("r", "carol", audience("Carol")).await;
    let mut dave = s.join("r", "dave", audience("Dave")).await;
    let mut olga = s.join("r2", "olga", audience("Olga")).await;

    let window = start_of_next_window(w, 20).await;
    let r = ok(
        &mut alice,
        "bigim_chat",
        json!({"msgs": [msg("a1", "1"), msg("a2", "2")]}),
    )
    .await;
    assert_eq!(
        r,
        json!({"err_code": 0, "err_message": "success", "bigim_time_window": 500, "msgs": [
            {"bigmsg_client_id": "1", "bigmsg_id": "1"}, {"bigmsg_client_id": "2", "bigmsg_id": "2"}]})
    );
    let r = ok(&mut bob, "bigim_chat", json!({"msgs": [msg("b1", "1")]})).await;
    assert_eq!(
        r["msgs"],
        json!([{"bigmsg_client_id": "1", "bigmsg_id": "3"}])
    );
    let r = ok(
        &mut carol,
        "bigim_chat",
        json!({"msgs": [msg("c1", "7"), msg("c2", "8"), msg("c3", "9")]}),
    )
    .await;
    assert_eq!(
        r["msgs"],
        json!([{"bigmsg_client_id": "7", "bigmsg_id": "4"}, {"bigmsg_client_id": "8", "bigmsg_id": "5"},
               {"bigmsg_client_id": "9", "bigmsg_id": "6"}])
    );
    assert!(
        unix_ms() < window + w,
        "sending took too long for this test"
    );

    let mut bodies = Vec::new();
    for c in [&mut alice, &mut bob, &mut carol, &mut dave] {
        let p = expect_push(c, "push_merge_message").await;
        // Sent when the window ends, not before.
        assert!(
            unix_ms() + 5 >= window + w,
            "pushed before the window ended"
        );
        assert_eq!(p.header["from_user_id"], "");
        let data = merged(&p, "r");
        let expected: Vec<Value> = [
            ("alice", "Alice", "1", "a1"),
            ("alice", "Alice", "2", "a2"),
            ("bob", "Bob", "3", "b1"),
            ("carol", "Carol", "4", "c1"),
            ("carol", "Carol", "5", "c2"),
            ("carol", "Carol", "6", "c3"),
        ]
        .iter()
        .zip(&data)
        .map(|((id, nick, mid, content), d)| {
            let t = d["send_time"].as_u64().unwrap();
            assert!(t >= window && t < window + w, "send_time {t}");
            json!({"id_name": id, "nick_name": nick, "bigmsg_id": mid, "msg_category": 1,
                   "msg_type": 2, "msg_content": content, "send_time": t})
        })
        .collect();
        assert_eq!(data, expected);
        bodies.push(p.body.clone());
    }
    // Byte for byte the same push for everyone, senders included.
    assert!(bodies.windows(2).all(|b| b[0] == b[1]));
    // Only one push for the window; nothing in the other room.
    expect_no_push(&mut dave, "push_merge_message", 600).await;
    expect_no_push(&mut alice, "push_merge_message", 10).await;
    expect_no_push(&mut olga, "push_merge_message", 10).await;

    // The next window's message goes out on its own.
    start_of_next_window(w, 20).await;
    let r = ok(&mut dave, "bigim_chat", json!({"msgs": [msg("d1", "1")]})).await;
    assert_eq!(r["msgs"][0]["bigmsg_id"], "7");
    for c in [&mut alice, &mut dave] {
        let p = expect_push(c, "push_merge_message").await;
        let data = merged(&p, "r");
        assert_eq!(data.len(), 1);
        assert_eq!(data[0]["msg_content"], "d1");
        assert_eq!(data[0]["id_name"], "dave");
    }
}

#[tokio::test]
async fn bad_batches_are_refused() {
    let s = TestServer::start(&[("LIVEROOM_ROOM__BIGIM_TIME_WINDOW_MS", "300")]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    let many: Vec<Value> = (0..21).map(|i| msg("x", &i.to_string())).collect();
    let (code, msg_) = refused(&mut alice, "bigim_chat", json!({ "msgs": many })).await;
    assert_eq!(code, 1_000_000_002);
    assert!(msg_.contains("20"), "{msg_}");
    let (code, _) = refused(&mut alice, "bigim_chat", json!({"msgs": []})).await;
    assert_eq!(code, 1_000_000_002);
    let (code, _) = refused(
        &mut alice,
        "bigim_chat",
        json!({"msgs": [msg("ok", "1"), msg(&"x".repeat(1025), "2")]}),
    )
    .await;
    assert_eq!(code, 1_000_000_005);
    let (code, m) = refused(
        &mut alice,
        "bigim_chat",
        json!({"msgs": [{"msg_category": 1, "msg_type": 1, "msg_content": "x"}]}),
    )
    .await;
    assert_eq!(code, 1_000_000_002);
    assert!(m.contains("bigmsg_client_id"), "{m}");
    expect_no_push(&mut bob, "push_merge_message", 700).await;

    // Twenty is fine, and refused batches took no ids.
    let twenty: Vec<Value> = (0..20)
        .map(|i| msg(&"y".repeat(1024), &i.to_string()))
        .collect();
    let r = ok(&mut alice, "bigim_chat", json!({ "msgs": twenty })).await;
    let ids: Vec<&str> = r["msgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["bigmsg_id"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (1..=20).map(|i| i.to_string()).collect();
    assert_eq!(ids, expected);
    let p = expect_push(&mut bob, "push_merge_message").await;
    assert_eq!(merged(&p, "r").len(), 20);
}

#[tokio::test]
async fn window_zero_pushes_at_once() {
    let s = TestServer::start(&[("LIVEROOM_ROOM__BIGIM_TIME_WINDOW_MS", "0")]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    for i in 0..3 {
        let r = ok(
            &mut alice,
            "bigim_chat",
            json!({"msgs": [msg(&format!("m{i}"), "1")]}),
        )
        .await;
        assert_eq!(r["bigim_time_window"], 0);
        let p = expect_push(&mut bob, "push_merge_message").await;
        let data = merged(&p, "r");
        assert_eq!(data.len(), 1);
        assert_eq!(data[0]["msg_content"], format!("m{i}"));
    }
}

#[tokio::test]
async fn a_full_window_is_split_into_pushes_of_200() {
    let s = TestServer::start(&[("LIVEROOM_ROOM__BIGIM_TIME_WINDOW_MS", "500")]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    start_of_next_window(500, 10).await;
    for batch in 0..11 {
        let msgs: Vec<Value> = (0..20).map(|i| msg(&format!("{batch}-{i}"), "c")).collect();
        ok(&mut alice, "bigim_chat", json!({ "msgs": msgs })).await;
    }
    let first = merged(&expect_push(&mut bob, "push_merge_message").await, "r");
    let second = merged(&expect_push(&mut bob, "push_merge_message").await, "r");
    assert_eq!((first.len(), second.len()), (200, 20));
    assert_eq!(first[0]["bigmsg_id"], "1");
    assert_eq!(second[19]["bigmsg_id"], "220");
    expect_no_push(&mut bob, "push_merge_message", 600).await;
}
