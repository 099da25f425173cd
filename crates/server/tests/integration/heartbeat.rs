//! `hb`: the reply's fields, and removal of sessions that stop heartbeating.

use crate::common;
use common::*;
use std::time::Instant;

#[tokio::test]
async fn hb_reply_has_every_field_and_tracks_the_room() {
    let s = TestServer::start(&[
        ("LIVEROOM_ROOM__HEARTBEAT_INTERVAL_MS", "2000"),
        ("LIVEROOM_ROOM__SESSION_TIMEOUT_MS", "7000"),
        ("LIVEROOM_ROOM__BIGIM_TIME_WINDOW_MS", "700"),
        ("LIVEROOM_ROOM__DATI_TIME_WINDOW_MS", "900"),
    ])
    .await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let b = hb(&mut alice).await;
    assert_eq!(
        b,
        json!({"err_code": 0, "err_message": "success", "hearbeat_interval": 2000,
               "hearbeat_timeout": 7000, "stream_seq": 0, "server_user_seq": 1, "online_count": 1,
               "bigim_time_window": 700, "dati_time_window": 900, "trans_seqs": [],
               "user_trans_seqs": []})
    );

    let mut bob = s.join("r", "bob", audience("Bob")).await;
    ok(&mut alice, "stream", stream_body(2001, "s1", "")).await;
    ok(
        &mut bob,
        "trans",
        json!({"trans_type": "score", "trans_data": "1", "trans_local_seq": 0, "trans_channel": "clt"}),
    )
    .await;
    ok(
        &mut bob,
        "trans",
        json!({"trans_type": "score", "trans_data": "2", "trans_local_seq": 1, "trans_channel": "clt"}),
    )
    .await;
    for c in [&mut alice, &mut bob] {
        let b = hb(c).await;
        assert_eq!(b["stream_seq"], 1);
        assert_eq!(b["server_user_seq"], 2);
        assert_eq!(b["online_count"], 2);
        assert_eq!(
            b["trans_seqs"],
            json!([{"trans_channel": "clt", "trans_seq_array": [{"trans_type": "score", "trans_seq": 2}]}])
        );
        assert_eq!(b["hearbeat_interval"], 2000);
        assert_eq!(b["hearbeat_timeout"], 7000);
    }
}

#[tokio::test]
async fn a_silent_session_is_removed_after_the_session_timeout() {
    let s = TestServer::start(&[
        ("LIVEROOM_ROOM__HEARTBEAT_INTERVAL_MS", "1000"),
        ("LIVEROOM_ROOM__SESSION_TIMEOUT_MS", "2000"),
    ])
    .await;
    let mut alice = s
        .join("r", "alice", with_user_updates(anchor("Alice")))
        .await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    let joined = Instant::now();
    let p = expect_push(&mut alice, "push_userlist_update").await;
    assert_eq!(p.body["user_list_seq"], 2);
    assert_eq!(hb(&mut alice).await["online_count"], 2);

    // Alice keeps heartbeating; bob says nothing.
    let leave = loop {
        assert!(
            joined.elapsed() < Duration::from_secs(6),
            "bob was not removed"
        );
        hb(&mut alice).await;
        match alice
            .push_within("push_userlist_update", Duration::from_millis(300))
            .await
        {
            Ok(f) => break f,
            Err(liveroom_client::ClientError::Timeout(_)) => continue,
            Err(e) => panic!("{e}"),
        }
    };
    let waited = joined.elapsed();
    assert!(
        waited >= Duration::from_millis(2000),
        "removed after {waited:?}, before the 2000 ms timeout"
    );
    assert_push_header(&leave, &alice, "push_userlist_update");
    assert_eq!(leave.body["user_list_seq"], 3);
    assert_eq!(leave.body["room_id"], "r");
    let actions = leave.body["user_actions"].as_array().unwrap();
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0]["Action"], 2);
    assert_eq!(actions[0]["IdName"], "bob");
    assert_eq!(actions[0]["NickName"], "Bob");
    assert_eq!(actions[0]["Role"], 2);

    let b = hb(&mut alice).await;
    assert_eq!(b["online_count"], 1);
    assert_eq!(b["server_user_seq"], 3);
    let page = ok(
        &mut alice,
        "user_list",
        json!({"user_index": 0, "sort_type": 0}),
    )
    .await;
    assert_eq!(
        page["user_baseinfos"],
        json!([{"id_name": "alice", "nick_name": "Alice", "role": 1}])
    );

    // Bob's connection was closed by the server.
    assert_eq!(
        bob.closed_within(Duration::from_secs(2)).await,
        Some((1008, "session timed out".to_string()))
    );

    // Bob can come back.
    let _bob = s.join("r", "bob", audience("Bob")).await;
    let p = expect_push(&mut alice, "push_userlist_update").await;
    assert_eq!(p.body["user_list_seq"], 4);
    assert_eq!(p.body["user_actions"][0]["Action"], 1);
    assert_eq!(p.body["user_actions"][0]["IdName"], "bob");
}

#[tokio::test]
async fn any_request_keeps_a_session_alive() {
    let s = TestServer::start(&[
        ("LIVEROOM_ROOM__HEARTBEAT_INTERVAL_MS", "1000"),
        ("LIVEROOM_ROOM__SESSION_TIMEOUT_MS", "1500"),
    ])
    .await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(3500) {
        hb(&mut alice).await;
        ok(&mut bob, "stream_info", json!({})).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert_eq!(hb(&mut alice).await["online_count"], 2);
}
