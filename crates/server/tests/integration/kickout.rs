//! The same id_name logging in again kicks the older session out: `push_kickout {reason: 1}`,
//! then the connection closes.

use crate::common;
use common::*;

async fn expect_kicked(old: &mut RoomClient) {
    let p = expect_push(old, "push_kickout").await;
    assert_eq!(
        p.body,
        json!({"reason": 1, "err_message": "logged in elsewhere"})
    );
    assert_eq!(
        old.closed_within(Duration::from_secs(2)).await,
        Some((1000, "kicked out".to_string()))
    );
}

#[tokio::test]
async fn a_second_login_in_the_same_room_replaces_the_first() {
    let s = TestServer::start(&[]).await;
    let mut alice = s
        .join("r", "alice", with_user_updates(anchor("Alice")))
        .await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    expect_push(&mut alice, "push_userlist_update").await;
    ok(&mut bob, "stream", stream_body(2001, "bob-cam", "")).await;
    expect_push(&mut alice, "push_stream_update").await;

    let mut bob2 = s.connect().await;
    let rsp = bob2
        .login("r", "bob", &dev_token("bob"), &audience("Bob 2"))
        .await
        .unwrap();
    assert_ne!(rsp["session_id"], bob.session_id.as_str());
    assert_eq!(rsp["online_count"], 2);
    // The newer session keeps the place and the stream.
    assert_eq!(rsp["server_user_seq"], 2);
    assert_eq!(rsp["stream_info"][0]["stream_id"], "bob-cam");

    // The older one is told (with its own ids in the header) and closed.
    expect_kicked(&mut bob).await;

    // The others see neither a leave nor a join nor a stream change.
    expect_silence(&mut alice, 300).await;
    let b = hb(&mut alice).await;
    assert_eq!(b["online_count"], 2);
    assert_eq!(b["server_user_seq"], 2);
    assert_eq!(b["stream_seq"], 1);
    let list = ok(&mut alice, "user_list", json!({"user_index": 0})).await;
    assert_eq!(
        list["user_baseinfos"],
        json!([{"id_name": "alice", "nick_name": "Alice", "role": 1},
               {"id_name": "bob", "nick_name": "Bob 2", "role": 2}])
    );
    // The new session works and owns the stream.
    ok(&mut bob2, "im_chat", chat_body("I'm back")).await;
    let p = expect_push(&mut alice, "push_im_chat").await;
    assert_eq!(p.header["from_user_id"], bob2.user_id.as_str());
    assert_eq!(p.body["chat_data"][0]["nick_name"], "Bob 2");
    ok(&mut bob2, "stream", stream_body(2002, "bob-cam", "")).await;
    let p = expect_push(&mut alice, "push_stream_update").await;
    assert_eq!(p.body["stream_cmd"], 12002);
}

#[tokio::test]
async fn a_login_in_another_room_kicks_the_old_session_out_of_its_room() {
    let s = TestServer::start(&[]).await;
    let mut alice = s
        .join("r1", "alice", with_user_updates(anchor("Alice")))
        .await;
    let mut bob = s.join("r1", "bob", audience("Bob")).await;
    expect_push(&mut alice, "push_userlist_update").await;
    ok(&mut bob, "stream", stream_body(2001, "bob-cam", "")).await;
    expect_push(&mut alice, "push_stream_update").await;

    let mut bob2 = s.join("r2", "bob", audience("Bob")).await;
    expect_kicked(&mut bob).await;

    // The old room sees the stream end and bob leave.
    let p = expect_push(&mut alice, "push_stream_update").await;
    assert_eq!(p.body["stream_cmd"], 12002);
    assert_eq!(p.body["stream_info"][0]["stream_id"], "bob-cam");
    let p = expect_push(&mut alice, "push_userlist_update").await;
    assert_eq!(p.body["user_list_seq"], 3);
    assert_eq!(p.body["user_actions"][0]["Action"], 2);
    assert_eq!(p.body["user_actions"][0]["IdName"], "bob");
    assert_eq!(hb(&mut alice).await["online_count"], 1);

    // Bob lives on in r2.
    assert_eq!(hb(&mut bob2).await["online_count"], 1);
    let mut carol = s.join("r2", "carol", audience("Carol")).await;
    ok(&mut bob2, "im_chat", chat_body("hi from r2")).await;
    expect_push(&mut carol, "push_im_chat").await;
}

#[tokio::test]
async fn the_same_connection_moving_to_another_room_is_not_kicked() {
    let s = TestServer::start(&[]).await;
    let mut alice = s
        .join("r1", "alice", with_user_updates(anchor("Alice")))
        .await;
    let mut bob = s.join("r1", "bob", audience("Bob")).await;
    expect_push(&mut alice, "push_userlist_update").await;
    let rsp = bob
        .login("r2", "bob", &dev_token("bob"), &audience("Bob"))
        .await
        .unwrap();
    assert_eq!(rsp["online_count"], 1);
    let p = expect_push(&mut alice, "push_userlist_update").await;
    assert_eq!(p.body["user_actions"][0]["Action"], 2);
    expect_no_push(&mut bob, "push_kickout", 300).await;
    assert_eq!(hb(&mut bob).await["online_count"], 1);
}

#[tokio::test]
async fn a_kicked_session_cannot_act_for_the_new_one() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    let mut bob2 = s.join("r", "bob", audience("Bob")).await;
    expect_push(&mut bob, "push_kickout").await;
    // Whatever the old connection still manages to send changes nothing.
    let _ = bob.send("im_chat", chat_body("ghost")).await;
    expect_no_push(&mut alice, "push_im_chat", 300).await;
    ok(&mut bob2, "im_chat", chat_body("real")).await;
    let p = expect_push(&mut alice, "push_im_chat").await;
    assert_eq!(p.body["chat_data"][0]["msg_content"], "real");
}
