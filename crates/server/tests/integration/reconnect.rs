//! A member whose connection drops keeps its place and streams for `reconnect_grace_ms`;
//! logging in again within it changes nothing for the others; after it, the member leaves.

use crate::common;
use common::*;
use std::time::Instant;

const GRACE_MS: u64 = 1500;

async fn server() -> TestServer {
    TestServer::start(&[("LIVEROOM_ROOM__RECONNECT_GRACE_MS", "1500")]).await
}

/// alice (publishing "cam") and bob in a room with user-state updates.
async fn publisher_and_viewer(s: &TestServer) -> (RoomClient, RoomClient) {
    let mut alice = s
        .join("r", "alice", with_user_updates(anchor("Alice")))
        .await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    expect_push(&mut alice, "push_userlist_update").await;
    ok(&mut alice, "stream", stream_body(2001, "cam", "x")).await;
    expect_push(&mut bob, "push_stream_update").await;
    (alice, bob)
}

#[tokio::test]
async fn a_publisher_back_within_the_grace_keeps_its_streams_and_place() {
    let s = server().await;
    let (alice, mut bob) = publisher_and_viewer(&s).await;
    alice.drop_connection();
    let dropped = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // While away: still listed, still counted, the stream still there.
    let b = hb(&mut bob).await;
    assert_eq!(b["online_count"], 2);
    assert_eq!(b["stream_seq"], 1);

    let mut alice = s.connect().await;
    let rsp = alice
        .login(
            "r",
            "alice",
            &dev_token("alice"),
            &with_user_updates(anchor("Alice")),
        )
        .await
        .unwrap();
    assert!(dropped.elapsed() < Duration::from_millis(GRACE_MS));
    assert_eq!(rsp["stream_seq"], 1);
    assert_eq!(
        rsp["stream_info"],
        json!([s.stream_entry("r", "cam", "alice", "Alice", "x")])
    );
    assert_eq!(rsp["server_user_seq"], 2);
    assert_eq!(rsp["online_count"], 2);
    assert_eq!(rsp["anchor_info"]["anchor_id_name"], "alice");
    assert_eq!(rsp["anchor_info"]["anchor_id"], rsp["user_id"]);

    // Bob sees nothing at all, even after the grace would have ended.
    expect_silence(&mut bob, GRACE_MS + 1200).await;
    let b = hb(&mut bob).await;
    assert_eq!(b["online_count"], 2);
    assert_eq!(b["stream_seq"], 1);
    assert_eq!(b["server_user_seq"], 2);
    let list = ok(&mut bob, "user_list", json!({"user_index": 0})).await;
    assert_eq!(list["user_baseinfos"][0]["id_name"], "alice");

    // The new session owns the stream and gets the room's pushes.
    ok(&mut bob, "im_chat", chat_body("welcome back")).await;
    expect_push(&mut alice, "push_im_chat").await;
    ok(&mut alice, "stream", stream_body(2002, "cam", "")).await;
    let p = expect_push(&mut bob, "push_stream_update").await;
    assert_eq!(p.body["stream_cmd"], 12002);
    assert_eq!(p.body["stream_seq"], 2);
}

#[tokio::test]
async fn after_the_grace_the_stream_ends_and_the_member_leaves() {
    let s = server().await;
    let (alice, mut bob) = publisher_and_viewer(&s).await;
    alice.drop_connection();
    let dropped = Instant::now();

    let p = bob
        .push_within("push_stream_update", Duration::from_millis(GRACE_MS + 2000))
        .await
        .expect("stream removed after the grace");
    let waited = dropped.elapsed();
    assert!(
        waited >= Duration::from_millis(GRACE_MS),
        "removed after {waited:?}, before the grace"
    );
    assert_push_header(&p, &bob, "push_stream_update");
    assert_eq!(
        p.body,
        json!({"stream_cmd": 12002, "stream_seq": 2, "room_id": "r",
               "stream_info": [s.stream_entry("r", "cam", "alice", "Alice", "x")]})
    );
    let p = expect_push(&mut bob, "push_userlist_update").await;
    assert_eq!(p.body["user_list_seq"], 3);
    assert_eq!(p.body["user_actions"][0]["Action"], 2);
    assert_eq!(p.body["user_actions"][0]["IdName"], "alice");
    let b = hb(&mut bob).await;
    assert_eq!(b["online_count"], 1);
    assert_eq!(b["stream_seq"], 2);

    // Coming back now is a new join.
    let _alice = s.join("r", "alice", anchor("Alice")).await;
    let p = expect_push(&mut bob, "push_userlist_update").await;
    assert_eq!(p.body["user_list_seq"], 4);
    assert_eq!(p.body["user_actions"][0]["Action"], 1);
}

#[tokio::test]
async fn a_member_away_gets_no_pushes_and_misses_nothing_it_can_resync() {
    let s = server().await;
    let (alice, mut bob) = publisher_and_viewer(&s).await;
    alice.drop_connection();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Messages while alice is away; reliable ones she can fetch when back.
    ok(&mut bob, "im_chat", chat_body("missed")).await;
    ok(
        &mut bob,
        "trans",
        json!({"trans_type": "state", "trans_data": "v1"}),
    )
    .await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    expect_no_push(&mut alice, "push_im_chat", 200).await;
    let b = hb(&mut alice).await;
    assert_eq!(
        b["trans_seqs"][0]["trans_seq_array"],
        json!([{"trans_type": "state", "trans_seq": 1}])
    );
    let r = ok(
        &mut alice,
        "trans_fetch",
        json!({"trans_channel": "clt", "fetch_array": [{"trans_type": "state", "trans_seq": 0}]}),
    )
    .await;
    assert_eq!(r["trans_fetch_results"][0]["trans_data"], "v1");
}

#[tokio::test]
async fn logging_in_again_on_the_open_socket_is_a_silent_reconnect() {
    // The SDK's login retry resends `login` on a socket that is still open.
    let s = server().await;
    let (mut alice, mut bob) = publisher_and_viewer(&s).await;
    let old_session = alice.session_id.clone();
    let rsp = alice
        .login(
            "r",
            "alice",
            &dev_token("alice"),
            &with_user_updates(anchor("Alice")),
        )
        .await
        .unwrap();
    assert_ne!(rsp["session_id"], old_session.as_str());
    assert_eq!(rsp["stream_info"][0]["stream_id"], "cam");
    assert_eq!(rsp["online_count"], 2);
    // No kick-out for itself, nothing for the others.
    expect_no_push(&mut alice, "push_kickout", 200).await;
    expect_silence(&mut bob, GRACE_MS + 1200).await;
    assert_eq!(hb(&mut bob).await["stream_seq"], 1);
    // The old session id is no longer accepted on this connection; the new one is.
    let h = json!({"Protocol": "req", "cmd": "hb", "appid": APPID, "seq": 99,
                       "user_id": alice.user_id, "session_id": old_session, "room_id": "r"});
    alice
        .send_text(json!({"header": h, "body": {}}).to_string())
        .await
        .unwrap();
    assert_eq!(alice.reply(99).await.unwrap().body["err_code"], 1006);
    assert_eq!(hb(&mut alice).await["online_count"], 2);
}
