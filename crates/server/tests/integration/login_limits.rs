//! Login rate limits (docs/protocol.md §3): per connection, per source IP, per app. A login over
//! a limit gets 1002 ("liveroom request error."), which the SDKs retry later.

use crate::common;
use common::business::{metric, scrape};
use common::*;
use futures_util::{SinkExt, StreamExt};
use liveroom_server::config::DEV_APP_SIGN;
use liveroom_server::signalling::token;
use tokio_tungstenite::tungstenite::Message;

const LIMITED: u64 = 1002;

/// Logs `id_name` in to `room` on `c`; `Ok` or the refusal's `(err_code, err_message)`.
async fn try_login(c: &mut RoomClient, room: &str, id_name: &str) -> Result<(), (u64, String)> {
    let token = token::make_v1(c.appid, DEV_APP_SIGN, id_name, now_secs() + 3600);
    match c
        .login(room, id_name, &token, &LoginOptions::default())
        .await
    {
        Ok(_) => Ok(()),
        Err(liveroom_client::ClientError::Server { code, message, .. }) => Err((code, message)),
        Err(e) => panic!("login of {id_name}: {e}"),
    }
}

/// A login over a WebSocket whose TCP connection comes from `source_ip` (a loopback address).
async fn login_from(source_ip: &str, s: &TestServer, id_name: &str) -> Value {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind(format!("{source_ip}:0").parse().unwrap())
        .expect("bind a loopback source address");
    let tcp = sock.connect(s.addr.parse().unwrap()).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(s.ws_url(), tcp)
        .await
        .unwrap();
    let frame = json!({
        "header": {"Protocol": "req", "cmd": "login", "appid": APPID, "seq": 1,
                   "user_id": "", "session_id": "", "room_id": "r"},
        "body": {"id_name": id_name, "nick_name": "", "role": 2, "token": dev_token(id_name),
                 "version": "test", "room_name": "r", "user_state_flag": 0, "room_create_flag": 1,
                 "client_type": 3, "third_token": ""},
    });
    ws.send(Message::Text(frame.to_string().into()))
        .await
        .unwrap();
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("login reply in time")
            .expect("socket open")
            .unwrap();
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v["header"]["cmd"] == "login" {
                return v["body"].clone();
            }
        }
    }
}

#[tokio::test]
async fn a_connection_looping_logins_is_refused_past_its_burst() {
    // Defaults: 5 logins at once per connection, then 1 a second.
    let s = TestServer::start(&[]).await;
    let mut c = s.connect().await;
    let started = std::time::Instant::now();
    let mut results = Vec::new();
    for i in 0..50 {
        results.push(try_login(&mut c, &format!("room-{i}"), "looper").await);
    }
    let elapsed = started.elapsed();
    assert!(
        results[..5].iter().all(|r| r.is_ok()),
        "the burst passes: {results:?}"
    );
    let ok = results.iter().filter(|r| r.is_ok()).count();
    // One more token per second of the loop.
    let allowed = 5 + elapsed.as_secs() as usize;
    assert!(ok <= allowed, "{ok} logins passed in {elapsed:?}");
    let refused: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(refused.len(), 50 - ok);
    for (code, msg) in &refused {
        assert_eq!(*code, LIMITED, "{msg}");
        assert!(
            msg.starts_with(
                "liveroom request error.: too many logins on this connection; retry in "
            ),
            "{msg}"
        );
    }
    let m = scrape(&s).await;
    assert_eq!(
        metric(
            &m,
            "liveroom_login_rate_limited_total{scope=\"connection\"}"
        ),
        Some(refused.len() as f64),
        "{m}"
    );
    // The connection is still usable: logged in to the last room it got into…
    let last = results.iter().rposition(|r| r.is_ok()).unwrap();
    c.room_id = format!("room-{last}");
    hb(&mut c).await;
    // … and a retry after a second passes, as the SDKs' retry schedule does (2 s and more).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    try_login(&mut c, "room-after", "looper").await.unwrap();
    // Another connection (same address) has its own bucket.
    let mut d = s.connect().await;
    for i in 0..5 {
        try_login(&mut d, &format!("d-{i}"), "other").await.unwrap();
    }
}

#[tokio::test]
async fn many_connections_from_one_ip_are_limited_and_another_ip_is_not() {
    let s = TestServer::start(&[
        ("LIVEROOM_SESSION__LOGIN_RATE_PER_IP_PER_SEC", "1"),
        ("LIVEROOM_SESSION__LOGIN_BURST_PER_IP", "10"),
    ])
    .await;
    // 20 connections from 127.0.0.1, one login each, within a second: 10 pass (one more at most
    // if the loop took over a second).
    let started = std::time::Instant::now();
    let mut results = Vec::new();
    let mut clients = Vec::new();
    for i in 0..20 {
        let mut c = s.connect().await;
        results.push(try_login(&mut c, "r", &format!("u{i}")).await);
        clients.push(c);
    }
    let allowed = 10 + started.elapsed().as_secs() as usize;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert!((10..=allowed).contains(&ok), "{ok}: {results:?}");
    for (code, msg) in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(*code, LIMITED);
        assert!(msg.contains("too many logins from this address"), "{msg}");
    }
    let m = scrape(&s).await;
    assert_eq!(
        metric(&m, "liveroom_login_rate_limited_total{scope=\"ip\"}"),
        Some((20 - ok) as f64),
        "{m}"
    );
    assert_eq!(
        metric(
            &m,
            "liveroom_login_rate_limited_total{scope=\"connection\"}"
        ),
        Some(0.0)
    );
    // 127.0.0.1 is still over its limit (one token may have come back meanwhile); 127.0.0.2 is not.
    let mut late = Vec::new();
    for i in 0..3 {
        late.push(login_from("127.0.0.1", &s, &format!("late{i}")).await["err_code"].clone());
    }
    assert!(
        late.iter().filter(|c| **c == LIMITED).count() >= 2,
        "{late:?}"
    );
    for i in 0..5 {
        let body = login_from("127.0.0.2", &s, &format!("v{i}")).await;
        assert_eq!(body["err_code"], 0, "{body}");
    }
}

#[tokio::test]
async fn an_app_over_its_login_limit_does_not_hold_up_another_app() {
    const OTHER_APP: u64 = 1_000_042;
    let s = TestServer::start(&[
        ("LIVEROOM_SESSION__LOGIN_RATE_PER_APP_PER_SEC", "1"),
        ("LIVEROOM_SESSION__LOGIN_BURST_PER_APP", "8"),
    ])
    .await;
    let mut results = Vec::new();
    let started = std::time::Instant::now();
    for i in 0..12 {
        let mut c = s.connect().await;
        results.push(try_login(&mut c, &format!("room-{i}"), &format!("u{i}")).await);
    }
    let allowed = 8 + started.elapsed().as_secs() as usize;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert!((8..=allowed).contains(&ok), "{ok}: {results:?}");
    for (code, msg) in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(*code, LIMITED);
        assert!(msg.contains("too many logins into this app"), "{msg}");
    }
    // The other app (same address, same server) logs in as usual.
    for i in 0..8 {
        let mut c = RoomClient::connect(&s.ws_url(), OTHER_APP).await.unwrap();
        try_login(&mut c, "r", &format!("w{i}")).await.unwrap();
    }
    let m = scrape(&s).await;
    assert_eq!(
        metric(&m, "liveroom_login_rate_limited_total{scope=\"app\"}"),
        Some((12 - ok) as f64),
        "{m}"
    );
}
