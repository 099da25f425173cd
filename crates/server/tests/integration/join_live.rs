//! Join-live signalling: `signal` 1001–1004 → `push_signal` 11001–11004 to the named member.

use crate::common;
use common::*;

fn signal(sub_cmd: u32, from: &str, to: &str, request_id: &str, result: Option<u32>) -> Value {
    let mut msg = json!({"request_id": request_id, "room_id": "r", "from_userid": from,
                         "from_username": format!("nick-{from}"), "to_userid": to});
    if let Some(r) = result {
        msg["result"] = json!(r);
    }
    json!({"sub_cmd": sub_cmd, "signal_msg": msg.to_string(), "dest_id_name": [to]})
}

#[tokio::test]
async fn request_result_invite_and_end_are_relayed_to_the_destination() {
    let s = TestServer::start(&[]).await;
    let mut host = s.join("r", "host", anchor("Host")).await;
    let mut fan = s.join("r", "fan", audience("Fan")).await;
    let mut other = s.join("r", "other", audience("Other")).await;

    // The audience asks to join; the host answers yes.
    let req = signal(1001, "fan", "host", "fan-1", None);
    let r = ok(&mut fan, "signal", req.clone()).await;
    assert_eq!(r, json!({"err_code": 0, "err_message": "success"}));
    let p = expect_push(&mut host, "push_signal").await;
    assert_eq!(p.header["from_user_id"], fan.user_id.as_str());
    assert_eq!(
        p.body,
        json!({"sub_cmd": 11001, "signal_msg": req["signal_msg"]})
    );
    let res = signal(1002, "host", "fan", "fan-1", Some(1));
    ok(&mut host, "signal", res.clone()).await;
    let p = expect_push(&mut fan, "push_signal").await;
    assert_eq!(
        p.body,
        json!({"sub_cmd": 11002, "signal_msg": res["signal_msg"]})
    );
    let msg: Value = serde_json::from_str(p.body["signal_msg"].as_str().unwrap()).unwrap();
    assert_eq!(msg["result"], 1);
    assert_eq!(msg["request_id"], "fan-1");

    // The host invites, then ends.
    for (sub, id) in [(1003, "host-1"), (1004, "host-2")] {
        let body = signal(sub, "host", "fan", id, None);
        ok(&mut host, "signal", body.clone()).await;
        let p = expect_push(&mut fan, "push_signal").await;
        assert_eq!(p.body["sub_cmd"], sub + 10000);
        assert_eq!(p.body["signal_msg"], body["signal_msg"]);
    }

    // Only the destination hears anything; senders get no push.
    expect_no_push(&mut other, "push_signal", 200).await;
    expect_no_push(&mut host, "push_signal", 50).await;
    expect_no_push(&mut fan, "push_signal", 50).await;
}

#[tokio::test]
async fn a_spoofed_sender_is_refused() {
    let s = TestServer::start(&[]).await;
    let mut host = s.join("r", "host", anchor("Host")).await;
    let mut fan = s.join("r", "fan", audience("Fan")).await;
    let (code, msg) = refused(
        &mut fan,
        "signal",
        signal(1002, "host", "host", "x-1", Some(1)),
    )
    .await;
    assert_eq!(code, 1_000_000_002);
    assert!(msg.contains("from_userid"), "{msg}");
    expect_no_push(&mut host, "push_signal", 200).await;
}

#[tokio::test]
async fn bad_signals_are_refused() {
    let s = TestServer::start(&[]).await;
    let mut host = s.join("r", "host", anchor("Host")).await;
    let mut fan = s.join("r", "fan", audience("Fan")).await;
    let _elsewhere = s.join("r2", "away", audience("Away")).await;
    // Not a join-live sub_cmd.
    for sub in [1000, 1005, 11001] {
        let (code, _) = refused(&mut fan, "signal", signal(sub, "fan", "host", "f-1", None)).await;
        assert_eq!(code, 1_000_000_002, "sub_cmd {sub}");
    }
    // Nobody to send to.
    let mut body = signal(1001, "fan", "host", "f-1", None);
    body["dest_id_name"] = json!([]);
    let (code, _) = refused(&mut fan, "signal", body).await;
    assert_eq!(code, 1_000_000_002);
    // The destination is not in this room.
    let (code, _) = refused(&mut fan, "signal", signal(1001, "fan", "away", "f-1", None)).await;
    assert_eq!(code, 1_000_000_007);
    // signal_msg is not JSON, or misses request_id.
    for bad in ["nope", r#"{"from_userid":"fan"}"#] {
        let body = json!({"sub_cmd": 1001, "signal_msg": bad, "dest_id_name": ["host"]});
        let (code, msg) = refused(&mut fan, "signal", body).await;
        assert_eq!(code, 1_000_000_002);
        assert!(msg.contains("signal_msg"), "{msg}");
    }
    // Too long.
    let long =
        json!({"request_id": "f-1", "from_userid": "fan", "from_username": "x".repeat(4096)});
    let body = json!({"sub_cmd": 1001, "signal_msg": long.to_string(), "dest_id_name": ["host"]});
    let (code, _) = refused(&mut fan, "signal", body).await;
    assert_eq!(code, 1_000_000_005);
    expect_no_push(&mut host, "push_signal", 200).await;
}
