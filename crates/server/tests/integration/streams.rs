//! `stream` (2001 begin, 2002 end, 2003 extra info), `stream_info` and
//! `push_stream_update` (12001 / 12002 / 12003) to everyone but the publisher.

use crate::common;
use common::*;

#[tokio::test]
async fn publishing_updating_and_ending_a_stream() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    let mut carol = s.join("r", "carol", audience("Carol")).await;

    // liveBegin
    let r = ok(&mut alice, "stream", stream_body(2001, "s1", "hello")).await;
    let s1 = s.stream_entry("r", "s1", "alice", "Alice", "hello");
    assert_eq!(r["stream_seq"], 1);
    assert_eq!(r["stream_info"], json!([s1]));
    for c in [&mut bob, &mut carol] {
        let p = expect_push(c, "push_stream_update").await;
        assert_eq!(p.header["from_user_id"], alice.user_id.as_str());
        assert_eq!(
            p.body,
            json!({"stream_cmd": 12001, "stream_seq": 1, "stream_info": [s1], "room_id": "r"})
        );
    }

    // A second stream of another publisher.
    let r = ok(&mut bob, "stream", stream_body(2001, "s2", "")).await;
    assert_eq!(r["stream_seq"], 2);
    let s2 = s.stream_entry("r", "s2", "bob", "Bob", "");
    for c in [&mut alice, &mut carol] {
        let p = expect_push(c, "push_stream_update").await;
        assert_eq!(p.body["stream_cmd"], 12001);
        assert_eq!(p.body["stream_seq"], 2);
        assert_eq!(p.body["stream_info"], json!([s2]));
    }

    // The full list, in publishing order, for everyone.
    for c in [&mut alice, &mut bob, &mut carol] {
        let r = ok(c, "stream_info", json!({})).await;
        assert_eq!(
            r,
            json!({"err_code": 0, "err_message": "success", "stream_seq": 2, "stream_info": [s1, s2]})
        );
    }

    // Extra info changes: 2003 → 12003.
    let r = ok(&mut alice, "stream", stream_body(2003, "s1", "changed")).await;
    let s1b = s.stream_entry("r", "s1", "alice", "Alice", "changed");
    assert_eq!(r["stream_seq"], 3);
    assert_eq!(r["stream_info"], json!([s1b]));
    for c in [&mut bob, &mut carol] {
        let p = expect_push(c, "push_stream_update").await;
        assert_eq!(
            p.body,
            json!({"stream_cmd": 12003, "stream_seq": 3, "stream_info": [s1b], "room_id": "r"})
        );
    }
    // The same extra info again changes nothing and pushes nothing.
    let r = ok(&mut alice, "stream", stream_body(2003, "s1", "changed")).await;
    assert_eq!(r["stream_seq"], 3);
    // A repeated liveBegin (the SDK re-sends it from the heartbeat) is idempotent.
    let r = ok(&mut alice, "stream", stream_body(2001, "s1", "changed")).await;
    assert_eq!(r["stream_seq"], 3);
    assert_eq!(r["stream_info"], json!([s1b]));
    expect_no_push(&mut bob, "push_stream_update", 300).await;

    // liveEnd: 2002 → 12002.
    let r = ok(&mut alice, "stream", stream_body(2002, "s1", "")).await;
    assert_eq!(r["stream_seq"], 4);
    assert_eq!(r["stream_info"], json!([s1b]));
    for c in [&mut bob, &mut carol] {
        let p = expect_push(c, "push_stream_update").await;
        assert_eq!(
            p.body,
            json!({"stream_cmd": 12002, "stream_seq": 4, "stream_info": [s1b], "room_id": "r"})
        );
    }
    let r = ok(&mut carol, "stream_info", json!({})).await;
    assert_eq!(r["stream_seq"], 4);
    assert_eq!(r["stream_info"], json!([s2]));
    assert_eq!(hb(&mut carol).await["stream_seq"], 4);

    // The publisher never hears about its own streams.
    expect_no_push(&mut alice, "push_stream_update", 200).await;
    // Bob's own stream: only alice's pushes reached him.
    expect_no_push(&mut bob, "push_stream_update", 100).await;
}

#[tokio::test]
async fn a_late_joiner_gets_the_list_at_login() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    ok(&mut alice, "stream", stream_body(2001, "s1", "x")).await;
    let mut bob = s.connect().await;
    let rsp = bob
        .login("r", "bob", &dev_token("bob"), &audience("Bob"))
        .await
        .unwrap();
    assert_eq!(rsp["stream_seq"], 1);
    assert_eq!(
        rsp["stream_info"],
        json!([s.stream_entry("r", "s1", "alice", "Alice", "x")])
    );
}

#[tokio::test]
async fn streams_end_when_their_publisher_logs_out() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    ok(&mut alice, "stream", stream_body(2001, "a", "")).await;
    ok(&mut alice, "stream", stream_body(2001, "b", "")).await;
    for _ in 0..2 {
        expect_push(&mut bob, "push_stream_update").await;
    }
    ok(&mut alice, "logout", json!({"reserve": 0})).await;
    let mut seen = vec![];
    for _ in 0..2 {
        let p = expect_push(&mut bob, "push_stream_update").await;
        assert_eq!(p.body["stream_cmd"], 12002);
        assert_eq!(p.body["stream_info"].as_array().unwrap().len(), 1);
        seen.push((
            p.body["stream_seq"].as_u64().unwrap(),
            p.body["stream_info"][0]["stream_id"]
                .as_str()
                .unwrap()
                .to_string(),
        ));
    }
    seen.sort();
    assert_eq!(seen, vec![(3, "a".to_string()), (4, "b".to_string())]);
    let r = ok(&mut bob, "stream_info", json!({})).await;
    assert_eq!(r["stream_seq"], 4);
    assert_eq!(r["stream_info"], json!([]));
}

#[tokio::test]
async fn only_the_owner_may_change_a_stream() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    ok(&mut alice, "stream", stream_body(2001, "s1", "mine")).await;
    expect_push(&mut bob, "push_stream_update").await;
    for sub in [2001, 2002, 2003] {
        let (code, msg) = refused(&mut bob, "stream", stream_body(sub, "s1", "theirs")).await;
        assert_eq!(code, 1_000_000_009, "sub_cmd {sub}");
        assert!(msg.contains("s1"), "{msg}");
    }
    // Unknown streams.
    for sub in [2002, 2003] {
        let (code, _) = refused(&mut bob, "stream", stream_body(sub, "nope", "")).await;
        assert_eq!(code, 1_000_000_008, "sub_cmd {sub}");
    }
    // Nothing changed.
    let r = ok(&mut bob, "stream_info", json!({})).await;
    assert_eq!(r["stream_seq"], 1);
    assert_eq!(
        r["stream_info"],
        json!([s.stream_entry("r", "s1", "alice", "Alice", "mine")])
    );
    expect_no_push(&mut alice, "push_stream_update", 200).await;
    expect_no_push(&mut bob, "push_stream_update", 100).await;
}

#[tokio::test]
async fn bad_stream_requests_are_refused() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    let bad = [
        json!({"sub_cmd": 2001, "stream_msg": "{not json"}),
        json!({"sub_cmd": 2001, "stream_msg": "{}"}),
        json!({"sub_cmd": 2001, "stream_msg": json!({"stream_id": ""}).to_string()}),
        json!({"sub_cmd": 2001, "stream_msg": json!({"stream_id": "x".repeat(129)}).to_string()}),
        json!({"sub_cmd": 2004, "stream_msg": json!({"stream_id": "s"}).to_string()}),
        json!({"sub_cmd": 2001}),
        json!({"sub_cmd": 2001, "stream_msg": {"stream_id": "s"}}),
    ];
    for body in bad {
        let (code, msg) = refused(&mut alice, "stream", body.clone()).await;
        assert_eq!(code, 1_000_000_002, "{body}: {msg}");
    }
    let (code, msg) = refused(
        &mut alice,
        "stream",
        stream_body(2001, "s", &"e".repeat(4097)),
    )
    .await;
    assert_eq!(code, 1_000_000_005, "{msg}");
    // A stream_msg that is not JSON names the field.
    let (_, msg) = refused(
        &mut alice,
        "stream",
        json!({"sub_cmd": 2001, "stream_msg": "{not json"}),
    )
    .await;
    assert!(msg.contains("stream_msg"), "{msg}");
    // The longest allowed values work.
    let id = "x".repeat(128);
    let r = ok(
        &mut alice,
        "stream",
        stream_body(2001, &id, &"e".repeat(4096)),
    )
    .await;
    assert_eq!(r["stream_seq"], 1);
    expect_push(&mut bob, "push_stream_update").await;
    expect_no_push(&mut bob, "push_stream_update", 100).await;
}

#[tokio::test]
async fn stream_updates_stay_in_their_room() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("r1", "alice", anchor("Alice")).await;
    let mut bob = s.join("r2", "bob", audience("Bob")).await;
    ok(&mut alice, "stream", stream_body(2001, "s1", "")).await;
    expect_no_push(&mut bob, "push_stream_update", 300).await;
    let r = ok(&mut bob, "stream_info", json!({})).await;
    assert_eq!(r["stream_seq"], 0);
    assert_eq!(r["stream_info"], json!([]));
    // The same stream id in another room is another stream.
    let r = ok(&mut bob, "stream", stream_body(2001, "s1", "")).await;
    assert_eq!(r["stream_info"][0]["stream_gid"], "r2/s1");
}
