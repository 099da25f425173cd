//! Fan-out to clients that cannot keep up: a client that never reads is disconnected once its
//! outbound queue is full, while the room keeps working for the others; big-room pushes to
//! a slow client are dropped instead.

use crate::common;
use common::*;
use futures_util::{SinkExt, StreamExt};
use std::time::Instant;
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// A raw connection with a tiny receive buffer, logged in as `id_name`; the test then simply
/// stops reading it.
async fn slow_client(s: &TestServer, room: &str, id_name: &str) -> Ws {
    let sock = TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let tcp = sock.connect(s.addr.parse().unwrap()).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(s.ws_url(), MaybeTlsStream::Plain(tcp))
        .await
        .unwrap();
    let login = json!({"header": {"Protocol": "req", "cmd": "login", "appid": APPID, "seq": 1,
        "user_id": "", "session_id": "", "room_id": room},
        "body": {"id_name": id_name, "nick_name": id_name, "role": 2, "token": dev_token(id_name),
                 "room_name": room, "user_state_flag": 0, "room_create_flag": 1, "client_type": 3}});
    ws.send(Message::Text(login.to_string().into()))
        .await
        .unwrap();
    match ws.next().await {
        Some(Ok(Message::Text(t))) => {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            assert_eq!(v["body"]["err_code"], 0, "{v}");
        }
        other => panic!("no login reply: {other:?}"),
    }
    ws
}

/// Reads the slow client until the server closes it; returns the close frame, if any came.
async fn read_until_closed(ws: &mut Ws, within: Duration) -> Option<Option<(u16, String)>> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => return None,
            Ok(Some(Ok(Message::Close(c)))) => {
                return Some(c.map(|c| (u16::from(c.code), c.reason.to_string())))
            }
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(_))) | Ok(None) => return Some(None),
        }
    }
}

#[tokio::test]
async fn a_client_that_never_reads_is_disconnected_and_the_room_goes_on() {
    let s = TestServer::start(&[
        ("LIVEROOM_SESSION__OUTBOUND_QUEUE", "16"),
        ("LIVEROOM_SESSION__RATE_LIMIT_PER_SEC", "100000"),
        ("LIVEROOM_SESSION__RATE_LIMIT_BURST", "100000"),
        ("LIVEROOM_ROOM__RECONNECT_GRACE_MS", "60000"),
    ])
    .await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    let mut slow = slow_client(&s, "r", "slow").await;

    // Alice floods 4 KiB reliable messages; bob reads everything; "slow" reads nothing.
    // After every batch alice sends slow a custom command: refused with 1000000007 once the
    // room no longer has a connection for slow.
    let data = "d".repeat(4096);
    let start = Instant::now();
    let mut sent = 0u64;
    let mut bob_seq = 0u64;
    let disconnected = 'flood: loop {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "slow was never disconnected ({sent} messages sent)"
        );
        let mut seqs = vec![];
        for _ in 0..8 {
            seqs.push(
                alice
                    .send("trans", json!({"trans_type": "t", "trans_data": data}))
                    .await
                    .unwrap(),
            );
        }
        for seq in seqs {
            assert_eq!(alice.reply(seq).await.unwrap().body["err_code"], 0);
            sent += 1;
        }
        // Bob gets every message, in order.
        for _ in 0..8 {
            let p = expect_push(&mut bob, "push_trans").await;
            bob_seq += 1;
            assert_eq!(p.body["trans_seq"], bob_seq);
        }
        let f = custom(&mut alice, &["slow"], json!("are you there?")).await;
        match f.body["err_code"].as_u64() {
            Some(0) => continue,
            Some(1_000_000_007) => break 'flood sent,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert!(disconnected > 16, "{disconnected}");

    // The room works as before for alice and bob.
    let r = ok(&mut alice, "im_chat", chat_body("after the flood")).await;
    let p = expect_push(&mut bob, "push_im_chat").await;
    assert_eq!(p.body["chat_data"][0]["msg_id"], r["msg_id"]);
    ok(
        &mut bob,
        "trans",
        json!({"trans_type": "t", "trans_data": "last"}),
    )
    .await;
    let p = expect_push(&mut alice, "push_trans").await;
    assert_eq!(p.body["trans_seq"], disconnected + 1);

    // slow's socket was closed by the server: what it gets when it reads again ends in a
    // close (if the server could still send the close frame, it says why).
    let closed = read_until_closed(&mut slow, Duration::from_secs(10))
        .await
        .expect("the server closed slow's connection");
    if let Some(frame) = closed {
        assert_eq!(
            frame,
            (1013, "client too slow: outbound queue full".to_string())
        );
    }
}

#[tokio::test]
async fn big_room_pushes_to_a_slow_client_are_dropped_not_fatal() {
    let s = TestServer::start(&[
        ("LIVEROOM_SESSION__OUTBOUND_QUEUE", "16"),
        ("LIVEROOM_SESSION__RATE_LIMIT_PER_SEC", "100000"),
        ("LIVEROOM_SESSION__RATE_LIMIT_BURST", "100000"),
        ("LIVEROOM_ROOM__BIGIM_TIME_WINDOW_MS", "100"),
    ])
    .await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut slow = slow_client(&s, "r", "slow").await;

    // 300 batches of 20 messages of 1 KiB: about 6 MiB of merged pushes for each member.
    let content = "m".repeat(1024);
    let mut sent = 0usize;
    let mut received = 0usize;
    for _ in 0..30 {
        // One request in flight at a time: with a 16-slot queue, pipelined replies on top of
        // the big-room pushes could fill Alice's queue on a loaded machine and (rightly)
        // disconnect her, which is not what this test is about.
        for _ in 0..10 {
            let msgs: Vec<Value> = (0..20)
                .map(|i| {
                    json!({"msg_category": 1, "msg_type": 1, "msg_content": content,
                                "bigmsg_client_id": i.to_string()})
                })
                .collect();
            let seq = alice
                .send("bigim_chat", json!({ "msgs": msgs }))
                .await
                .unwrap();
            assert_eq!(alice.reply(seq).await.unwrap().body["err_code"], 0);
            sent += 20;
        }
        // Alice reads her merged pushes as they come.
        while let Ok(p) = alice
            .push_within("push_merge_message", Duration::from_millis(1))
            .await
        {
            let body: Value =
                serde_json::from_str(p.body["messages"][0]["msg_body"].as_str().unwrap()).unwrap();
            received += body["msg_data"].as_array().unwrap().len();
        }
    }
    while received < sent {
        let p = expect_push(&mut alice, "push_merge_message").await;
        let body: Value =
            serde_json::from_str(p.body["messages"][0]["msg_body"].as_str().unwrap()).unwrap();
        received += body["msg_data"].as_array().unwrap().len();
    }
    assert_eq!(received, sent, "a reading member gets every message");

    // The slow member is still connected: it reads what it was given (less than everything,
    // and no close), and once it has caught up its connection still answers. (Anything that
    // must arrive — a reply, a chat push — finding its queue full of big-room pushes would
    // disconnect it; nothing of the kind was sent here.)
    let mut got = 0usize;
    loop {
        match tokio::time::timeout(Duration::from_millis(500), slow.next()).await {
            Err(_) => break,
            Ok(Some(Ok(Message::Text(t)))) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                assert_eq!(v["header"]["cmd"], "push_merge_message");
                let body: Value =
                    serde_json::from_str(v["body"]["messages"][0]["msg_body"].as_str().unwrap())
                        .unwrap();
                got += body["msg_data"].as_array().unwrap().len();
            }
            Ok(other) => panic!("the slow member was disconnected: {other:?}"),
        }
    }
    let hb_frame = json!({"header": {"Protocol": "req", "cmd": "hb", "appid": APPID, "seq": 2,
        "user_id": "", "session_id": "", "room_id": "r"}, "body": {"reserve": 0}});
    slow.send(Message::Text(hb_frame.to_string().into()))
        .await
        .unwrap();
    match tokio::time::timeout(WAIT, slow.next()).await {
        Ok(Some(Ok(Message::Text(t)))) => {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            // Refused for the missing session id, but answered: the connection is alive.
            assert_eq!(v["header"]["cmd"], "hb");
            assert_eq!(v["body"]["err_code"], 1006);
        }
        other => panic!("no answer: {other:?}"),
    }
    assert!(got < sent, "nothing was dropped ({got} of {sent})");
}
