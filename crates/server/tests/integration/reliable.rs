//! Reliable messages: `trans`, `push_trans`, `trans_fetch` and the heartbeat's `trans_seqs`.
//! The room keeps the latest value per type; one seq rises with every message.

use crate::common;
use common::*;

fn trans(t: &str, data: &str) -> Value {
    json!({"trans_type": t, "trans_data": data, "trans_local_seq": 0, "trans_channel": "clt"})
}

#[tokio::test]
async fn latest_value_per_type_with_a_rising_seq() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;

    let r = ok(&mut alice, "trans", trans("a", "one")).await;
    assert_eq!(
        r,
        json!({"err_code": 0, "err_message": "success", "trans_type": "a", "trans_seq": 1})
    );
    let p = expect_push(&mut bob, "push_trans").await;
    assert_eq!(p.header["from_user_id"], alice.user_id.as_str());
    assert_eq!(
        p.body,
        json!({"trans_type": "a", "trans_seq": 1, "trans_data": "one",
               "trans_user_idname": "alice", "trans_channel": "clt"})
    );
    // The sender gets no push of its own message.
    expect_no_push(&mut alice, "push_trans", 200).await;

    // The seq rises with every message, of any type and sender.
    assert_eq!(ok(&mut bob, "trans", trans("b", "x")).await["trans_seq"], 2);
    assert_eq!(
        ok(&mut alice, "trans", trans("a", "two")).await["trans_seq"],
        3
    );
    assert_eq!(
        ok(&mut alice, "trans", trans("a", "three")).await["trans_seq"],
        4
    );
    let p = expect_push(&mut alice, "push_trans").await;
    assert_eq!(p.body["trans_seq"], 2);
    assert_eq!(p.body["trans_user_idname"], "bob");
    for (seq, data) in [(3, "two"), (4, "three")] {
        let p = expect_push(&mut bob, "push_trans").await;
        assert_eq!(p.body["trans_seq"], seq);
        assert_eq!(p.body["trans_data"], data);
    }

    // A late joiner learns the seqs from its heartbeat and fetches only the latest values.
    let mut carol = s.join("r", "carol", audience("Carol")).await;
    expect_no_push(&mut carol, "push_trans", 100).await;
    let b = hb(&mut carol).await;
    assert_eq!(
        b["trans_seqs"],
        json!([{"trans_channel": "clt", "trans_seq_array": [
            {"trans_type": "a", "trans_seq": 4}, {"trans_type": "b", "trans_seq": 2}]}])
    );
    let latest = json!({"err_code": 0, "err_message": "success", "trans_channel": "clt", "trans_fetch_results": [
        {"trans_type": "a", "trans_seq": 4, "trans_data": "three", "trans_user_idname": "alice"},
        {"trans_type": "b", "trans_seq": 2, "trans_data": "x", "trans_user_idname": "bob"}]});
    // The original 1.x client's request: the heartbeat's channel and entries as they came, that is the
    // server's seqs (the ones it lacks).
    let original = json!({"trans_channel": b["trans_seqs"][0]["trans_channel"],
                          "fetch_array": b["trans_seqs"][0]["trans_seq_array"]});
    assert_eq!(
        original,
        json!({"trans_channel": "clt", "fetch_array": [
            {"trans_type": "a", "trans_seq": 4}, {"trans_type": "b", "trans_seq": 2}]})
    );
    assert_eq!(ok(&mut carol, "trans_fetch", original).await, latest);
    // Ours asks with the seqs it holds (0: none yet).
    let r = ok(
        &mut carol,
        "trans_fetch",
        json!({"trans_channel": "clt", "fetch_array": [
            {"trans_type": "a", "trans_seq": 0}, {"trans_type": "b", "trans_seq": 0}]}),
    )
    .await;
    assert_eq!(r, latest);
    // Unknown types return nothing.
    let r = ok(
        &mut carol,
        "trans_fetch",
        json!({"trans_channel": "clt", "fetch_array": [{"trans_type": "zzz", "trans_seq": 0}]}),
    )
    .await;
    assert_eq!(r["trans_fetch_results"], json!([]));
    // The 1.0.3 form: one type per request, with the client's own seq; a type still at it returns nothing.
    let r = ok(
        &mut carol,
        "trans_fetch",
        json!({"trans_type": "b", "trans_local_seq": 1}),
    )
    .await;
    assert_eq!(r["trans_channel"], "clt");
    assert_eq!(
        r["trans_fetch_results"],
        json!([{"trans_type": "b", "trans_seq": 2, "trans_data": "x", "trans_user_idname": "bob"}])
    );
    let r = ok(
        &mut carol,
        "trans_fetch",
        json!({"trans_type": "b", "trans_local_seq": 2}),
    )
    .await;
    assert_eq!(r["trans_fetch_results"], json!([]));

    // New messages reach the late joiner as pushes.
    ok(&mut bob, "trans", trans("b", "y")).await;
    let p = expect_push(&mut carol, "push_trans").await;
    assert_eq!(p.body["trans_seq"], 5);
    assert_eq!(p.body["trans_data"], "y");
}

#[tokio::test]
async fn type_and_data_limits() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    // Type: 1 to 128 bytes.
    for t in [String::new(), "t".repeat(129)] {
        let (code, msg) = refused(&mut alice, "trans", trans(&t, "d")).await;
        assert_eq!(code, 1_000_000_002, "{t:?}");
        assert!(msg.contains("trans_type"), "{msg}");
    }
    // Data: at most 4096 bytes.
    let (code, msg) = refused(&mut alice, "trans", trans("t", &"d".repeat(4097))).await;
    assert_eq!(code, 1_000_000_005);
    assert!(msg.contains("trans_data"), "{msg}");
    expect_no_push(&mut bob, "push_trans", 200).await;
    // Refused messages take no seq; the limits themselves are fine.
    let long_type = "t".repeat(128);
    let r = ok(&mut alice, "trans", trans(&long_type, &"d".repeat(4096))).await;
    assert_eq!(r["trans_seq"], 1);
    let p = expect_push(&mut bob, "push_trans").await;
    assert_eq!(p.body["trans_type"], long_type.as_str());
    // Missing fields are named.
    let (code, msg) = refused(&mut alice, "trans", json!({"trans_type": "t"})).await;
    assert_eq!(code, 1_000_000_002);
    assert!(msg.contains("trans_data"), "{msg}");
}

#[tokio::test]
async fn at_most_ten_types_per_room() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    for i in 1..=10u64 {
        let r = ok(&mut alice, "trans", trans(&format!("t{i}"), "d")).await;
        assert_eq!(r["trans_seq"], i);
    }
    let (code, _) = refused(&mut alice, "trans", trans("t11", "d")).await;
    assert_eq!(code, 1_000_000_006);
    // Known types still take new values.
    assert_eq!(
        ok(&mut alice, "trans", trans("t3", "e")).await["trans_seq"],
        11
    );
    let b = hb(&mut alice).await;
    let arr = b["trans_seqs"][0]["trans_seq_array"].as_array().unwrap();
    assert_eq!(arr.len(), 10);
    assert_eq!(arr[2], json!({"trans_type": "t3", "trans_seq": 11}));
    // Another room has its own types and seq.
    let mut olga = s.join("r2", "olga", audience("Olga")).await;
    assert_eq!(
        ok(&mut olga, "trans", trans("t11", "d")).await["trans_seq"],
        1
    );
}
