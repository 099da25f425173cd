//! Bad input: each is answered (or the connection closed) as the protocol document says, and
//! the server and the room go on working for everybody else.

use crate::common;
use common::*;

/// alice and bob in room "r"; returns them for the liveness check.
async fn room(s: &TestServer) -> (RoomClient, RoomClient) {
    (
        s.join("r", "alice", anchor("Alice")).await,
        s.join("r", "bob", audience("Bob")).await,
    )
}

/// The room still works: alice's chat reaches bob, and a newcomer can log in and talk.
async fn still_works(s: &TestServer, alice: &mut RoomClient, bob: &mut RoomClient) {
    let id = ok(alice, "im_chat", chat_body("still here")).await["msg_id"].clone();
    let p = expect_push(bob, "push_im_chat").await;
    assert_eq!(p.body["chat_data"][0]["msg_id"], id);
    let mut newcomer = s
        .join("r", &format!("new-{}", rand_id()), audience("New"))
        .await;
    ok(&mut newcomer, "im_chat", chat_body("hi")).await;
    expect_push(alice, "push_im_chat").await;
    expect_push(bob, "push_im_chat").await;
}

fn rand_id() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// The next reply frame, whatever its seq.
async fn next_reply(c: &mut RoomClient) -> Frame {
    c.wait_for(|f| f.protocol() == "rsp", WAIT)
        .await
        .expect("a reply")
}

#[tokio::test]
async fn malformed_frames_get_err_code_1() {
    let s = TestServer::start(&[]).await;
    let (mut alice, mut bob) = room(&s).await;
    for text in [
        "not json",
        "[]",
        "{}",
        r#"{"body":{}}"#,
        r#"{"header":{"seq":9},"body":{}}"#,
        r#"{"header":{"cmd":"hb","seq":"nine"},"body":{}}"#,
        r#"{"header":{"cmd":"hb""#,
    ] {
        alice.send_text(text.to_string()).await.unwrap();
        let f = next_reply(&mut alice).await;
        // Nothing of the frame can be trusted, so there is no cmd or seq to echo; the ids
        // are the session's.
        assert_reply_header(&f, &alice, "", 0);
        assert_eq!(
            f.body,
            json!({"err_code": 1, "err_message": "parse json error.: frame is not {header, body} JSON with a cmd"}),
            "{text}"
        );
    }
    // Before login the ids are empty.
    let mut anon = s.connect().await;
    anon.send_text("nope".into()).await.unwrap();
    let f = next_reply(&mut anon).await;
    assert_eq!(f.body["err_code"], 1);
    assert_eq!(f.header["session_id"], "");
    assert_eq!(f.header["user_id"], "");
    // The connection is still usable.
    hb(&mut alice).await;
    still_works(&s, &mut alice, &mut bob).await;
}

#[tokio::test]
async fn unknown_commands_are_1000000001() {
    let s = TestServer::start(&[]).await;
    let (mut alice, mut bob) = room(&s).await;
    for cmd in ["user_list_v2", "biz_channel_x", "HB", ""] {
        let (code, msg) = refused(&mut alice, cmd, json!({})).await;
        assert_eq!(code, 1_000_000_001, "{cmd:?}");
        assert!(msg.contains(&format!("{cmd:?}")), "{msg}");
    }
    still_works(&s, &mut alice, &mut bob).await;
}

#[tokio::test]
async fn wrong_types_and_missing_fields_are_1000000002_naming_the_field() {
    let s = TestServer::start(&[]).await;
    let (mut alice, mut bob) = room(&s).await;
    let cases = [
        (
            "im_chat",
            json!({"msg_category": 1, "msg_type": 1}),
            "msg_content",
        ),
        (
            "im_chat",
            json!({"msg_category": 1, "msg_type": "1", "msg_content": "x"}),
            "msg_type",
        ),
        (
            "im_chat",
            json!({"msg_category": -1, "msg_type": 1, "msg_content": "x"}),
            "msg_category",
        ),
        (
            "im_chat",
            json!({"msg_category": 1, "msg_type": 1, "msg_content": 5}),
            "msg_content",
        ),
        ("stream", json!({"stream_msg": "{}"}), "sub_cmd"),
        (
            "custommsg",
            json!({"dest_id_name": "bob", "custom_msg": "{}"}),
            "dest_id_name",
        ),
        (
            "signal",
            json!({"sub_cmd": 1001, "signal_msg": "{}"}),
            "dest_id_name",
        ),
        (
            "trans",
            json!({"trans_type": 7, "trans_data": "x"}),
            "trans_type",
        ),
        (
            "trans_fetch",
            json!({"fetch_array": [{"trans_seq": 1}]}),
            "trans_type",
        ),
        ("user_list", json!({"user_index": "first"}), "user_index"),
        ("bigim_chat", json!({"msgs": {}}), "msgs"),
        (
            "relay",
            json!({"relay_type": "t", "relay_data": null}),
            "relay_data",
        ),
    ];
    for (cmd, body, field) in cases {
        let (code, msg) = refused(&mut alice, cmd, body.clone()).await;
        assert_eq!(code, 1_000_000_002, "{cmd} {body}");
        assert!(
            msg.contains(field),
            "{cmd} {body}: {msg:?} does not name {field}"
        );
    }
    // A body that is not an object at all.
    let (code, _) = refused(&mut alice, "im_chat", json!([1, 2])).await;
    assert_eq!(code, 1_000_000_002);
    // Login too, before any session exists.
    let mut anon = s.connect().await;
    let seq = anon
        .send("login", json!({"id_name": "zed", "role": 2}))
        .await
        .unwrap();
    let f = anon.reply(seq).await.unwrap();
    assert_eq!(f.body["err_code"], 1_000_000_002);
    assert!(f.body["err_message"].as_str().unwrap().contains("token"));
    let seq = anon
        .send(
            "login",
            json!({"id_name": "zed", "role": "2", "token": dev_token("zed")}),
        )
        .await
        .unwrap();
    let f = anon.reply(seq).await.unwrap();
    assert_eq!(f.body["err_code"], 1_000_000_002);
    assert!(f.body["err_message"].as_str().unwrap().contains("role"));
    still_works(&s, &mut alice, &mut bob).await;
}

#[tokio::test]
async fn bad_login_values_are_refused() {
    let s = TestServer::start(&[]).await;
    let (mut alice, mut bob) = room(&s).await;
    let mut c = s.connect().await;
    let o = LoginOptions {
        role: 3,
        ..Default::default()
    };
    let r = c.login("r", "zed", &dev_token("zed"), &o).await;
    assert_eq!(err_code(r), 1_000_000_002);
    let long = "z".repeat(129);
    let r = c
        .login("r", &long, &dev_token(&long), &LoginOptions::default())
        .await;
    assert_eq!(err_code(r), 1_000_000_002);
    let r = c
        .login(&long, "zed", &dev_token("zed"), &LoginOptions::default())
        .await;
    assert_eq!(err_code(r), 1_000_000_002);
    still_works(&s, &mut alice, &mut bob).await;
}

#[tokio::test]
async fn frames_over_64_kib_close_the_connection_with_1009() {
    let s = TestServer::start(&[]).await;
    let (mut alice, mut bob) = room(&s).await;
    let mut carol = s.join("r", "carol", audience("Carol")).await;
    let frame = |c: &RoomClient, total: usize| {
        let head =
            json!({"header": {"Protocol": "req", "cmd": "im_chat", "appid": APPID, "seq": 50,
            "user_id": c.user_id, "session_id": c.session_id, "room_id": c.room_id},
            "body": {"msg_category": 1, "msg_type": 1, "msg_content": ""}})
            .to_string();
        let pad = total - head.len();
        let text = head.replace(
            "\"msg_content\":\"\"",
            &format!("\"msg_content\":\"{}\"", "x".repeat(pad)),
        );
        assert_eq!(text.len(), total);
        text
    };
    // Exactly 64 KiB is a frame like any other (its content is too long for a chat message).
    carol.send_text(frame(&carol, 65536)).await.unwrap();
    let f = carol.reply(50).await.unwrap();
    assert_eq!(f.body["err_code"], 1_000_000_005);
    // One byte more closes the connection, saying why.
    carol.send_text(frame(&carol, 65537)).await.unwrap();
    let (code, reason) = carol
        .closed_within(Duration::from_secs(3))
        .await
        .expect("closed");
    assert_eq!(code, 1009);
    assert_eq!(reason, "frame of 65537 bytes is over the 65536-byte limit");
    still_works(&s, &mut alice, &mut bob).await;

    // Up to the WebSocket layer's own limit (1 MiB) the close says why.
    let mut dave = s.join("r", "dave", audience("Dave")).await;
    dave.send_text(frame(&dave, 1024 * 1024 - 100))
        .await
        .unwrap();
    let (code, reason) = dave
        .closed_within(Duration::from_secs(3))
        .await
        .expect("closed");
    assert_eq!(code, 1009);
    assert!(reason.contains("over the 65536-byte limit"), "{reason}");
    // Beyond it the WebSocket layer refuses the frame before the session sees it; the close
    // still says why.
    let mut erin = s.join("r", "erin", audience("Erin")).await;
    erin.send_text(frame(&erin, 3 * 1024 * 1024)).await.unwrap();
    let (code, reason) = erin
        .closed_within(Duration::from_secs(3))
        .await
        .expect("closed");
    assert_eq!(code, 1009);
    assert!(
        reason.starts_with("over the WebSocket size limit"),
        "{reason}"
    );
    still_works(&s, &mut alice, &mut bob).await;
}

#[tokio::test]
async fn commands_before_login_or_with_a_wrong_session_are_1006() {
    let s = TestServer::start(&[]).await;
    let (mut alice, mut bob) = room(&s).await;
    let mut anon = s.connect().await;
    anon.room_id = "r".into();
    for cmd in ["hb", "im_chat", "stream_info", "logout"] {
        let seq = anon.send(cmd, chat_body("x")).await.unwrap();
        let f = anon.reply(seq).await.unwrap();
        assert_reply_header(&f, &anon, cmd, seq);
        assert_eq!(f.body["err_code"], 1006, "{cmd}");
        assert!(f.body["err_message"]
            .as_str()
            .unwrap()
            .starts_with("user login state is wrong."));
    }
    expect_no_push(&mut bob, "push_im_chat", 100).await;

    // A logged-in connection whose header names another session, or another room.
    let real = alice.session_id.clone();
    for (session, room) in [("12345", "r"), ("", "r"), (real.as_str(), "elsewhere")] {
        let mut h = json!({"Protocol": "req", "cmd": "im_chat", "appid": APPID, "seq": 77,
                           "user_id": alice.user_id, "session_id": session, "room_id": room});
        if session.is_empty() {
            h.as_object_mut().unwrap().remove("session_id");
        }
        alice
            .send_text(json!({"header": h, "body": chat_body("spoof")}).to_string())
            .await
            .unwrap();
        let f = alice.reply(77).await.unwrap();
        assert_eq!(f.body["err_code"], 1006, "{session:?} {room:?}");
        // Answered with the connection's real ids.
        assert_eq!(f.header["session_id"], real.as_str());
    }
    expect_no_push(&mut bob, "push_im_chat", 100).await;
    // After a logout, the old session is gone.
    ok(&mut bob, "logout", json!({"reserve": 0})).await;
    let seq = bob.send("hb", json!({"reserve": 0})).await.unwrap();
    assert_eq!(bob.reply(seq).await.unwrap().body["err_code"], 1006);
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    still_works(&s, &mut alice, &mut bob).await;
}

#[tokio::test]
async fn binary_frames_are_refused() {
    let s = TestServer::start(&[]).await;
    let (mut alice, mut bob) = room(&s).await;
    let hb_frame = json!({"header": {"Protocol": "req", "cmd": "hb", "appid": APPID, "seq": 5,
        "user_id": alice.user_id, "session_id": alice.session_id, "room_id": "r"}, "body": {}});
    alice
        .send_binary(hb_frame.to_string().into_bytes())
        .await
        .unwrap();
    let f = next_reply(&mut alice).await;
    assert_reply_header(&f, &alice, "", 0);
    assert_eq!(
        f.body,
        json!({"err_code": 1, "err_message": "parse json error.: binary frames are not accepted"})
    );
    hb(&mut alice).await;
    still_works(&s, &mut alice, &mut bob).await;
}

#[tokio::test]
async fn a_connection_over_its_rate_is_refused_then_recovers() {
    let s = TestServer::start(&[
        ("LIVEROOM_SESSION__RATE_LIMIT_PER_SEC", "2"),
        ("LIVEROOM_SESSION__RATE_LIMIT_BURST", "6"),
    ])
    .await;
    let (mut alice, mut bob) = room(&s).await;
    // `login`, `hb` and `logout` are exempt (the 1.x SDK treats errors on them as fatal):
    // all six tokens are left for other commands.
    let mut seqs = vec![];
    for _ in 0..10 {
        seqs.push(
            alice
                .send("stream_info", json!({"reserve": 0}))
                .await
                .unwrap(),
        );
    }
    let mut codes = vec![];
    for seq in seqs {
        let f = alice.reply(seq).await.unwrap();
        assert_reply_header(&f, &alice, "stream_info", seq);
        codes.push(f.body["err_code"].as_u64().unwrap());
        if codes.last() != Some(&0) {
            assert_eq!(
                f.body["err_message"],
                "rate limited: too many frames; slow down"
            );
        }
    }
    assert_eq!(
        codes,
        [
            0,
            0,
            0,
            0,
            0,
            0,
            1_000_000_003,
            1_000_000_003,
            1_000_000_003,
            1_000_000_003
        ]
    );
    // The heartbeat is still answered while the connection is over its rate.
    hb(&mut alice).await;
    // Others are not limited by alice's excess.
    ok(&mut bob, "im_chat", chat_body("fine")).await;
    expect_push(&mut alice, "push_im_chat").await;
    // Tokens come back at the configured rate (two a second).
    tokio::time::sleep(Duration::from_millis(600)).await;
    hb(&mut alice).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    still_works(&s, &mut alice, &mut bob).await;
}

#[tokio::test]
async fn a_connection_that_never_logs_in_is_closed() {
    let s = TestServer::start(&[("LIVEROOM_SESSION__LOGIN_DEADLINE_MS", "300")]).await;
    let (mut alice, mut bob) = room(&s).await;
    let mut idle = s.connect().await;
    assert_eq!(
        idle.closed_within(Duration::from_secs(2)).await,
        Some((1008, "no login in time".to_string()))
    );
    // Logged-in connections are not affected by the deadline.
    tokio::time::sleep(Duration::from_millis(300)).await;
    still_works(&s, &mut alice, &mut bob).await;
}
