//! The HTTP side of the listener: health, readiness, the dev token endpoint with CORS, and
//! the SDK log collector (`POST /log` and the `/log` WebSocket).

use crate::common;
use common::*;
use futures_util::SinkExt;
use std::path::PathBuf;

fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("liveroom-logs-test-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[tokio::test]
async fn livez_and_readyz() {
    let s = TestServer::start(&[]).await;
    let a = http(&s.addr, "GET", "/livez", &[], b"").await;
    assert_eq!((a.status, a.body.as_str()), (200, "ok"));
    let a = http(&s.addr, "GET", "/readyz", &[], b"").await;
    assert_eq!((a.status, a.body.as_str()), (200, "ok"));

    // A draining server is alive but not ready, and takes no new room connections.
    let state = s.server.as_ref().unwrap().state.clone();
    state
        .draining
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let a = http(&s.addr, "GET", "/readyz", &[], b"").await;
    assert_eq!((a.status, a.body.as_str()), (503, "draining"));
    let a = http(&s.addr, "GET", "/livez", &[], b"").await;
    assert_eq!(a.status, 200);
    assert!(liveroom_client::RoomClient::connect(&s.ws_url(), APPID)
        .await
        .is_err());
}

#[tokio::test]
async fn the_token_endpoint_answers_cross_origin_requests() {
    let s = TestServer::start(&[]).await;
    let origin = [("Origin", "http://app.example:8080")];
    let a = http(
        &s.addr,
        "GET",
        &format!("/token?app_id={APPID}&id_name=carol"),
        &origin,
        b"",
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("access-control-allow-origin"), Some("*"));
    assert!(a.header("content-type").unwrap().starts_with("text/plain"));
    // The token logs carol in.
    let mut carol = s.connect().await;
    carol
        .login("r", "carol", &a.body, &LoginOptions::default())
        .await
        .unwrap();

    // The browser's preflight.
    let a = http(
        &s.addr,
        "OPTIONS",
        "/token",
        &[
            ("Origin", "http://app.example:8080"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
        b"",
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("access-control-allow-origin"), Some("*"));
    assert!(a.header("access-control-allow-methods").is_some());
    assert!(a.header("access-control-allow-headers").is_some());

    // Errors carry the header too, so the page can read them.
    let a = http(&s.addr, "GET", "/token?app_id=0&id_name=x", &origin, b"").await;
    assert_eq!(a.status, 400);
    assert_eq!(a.header("access-control-allow-origin"), Some("*"));
    let a = http(
        &s.addr,
        "GET",
        &format!("/token?app_id={APPID}"),
        &origin,
        b"",
    )
    .await;
    assert_eq!(a.status, 400);
    assert!(a.body.contains("id_name"), "{}", a.body);
}

#[tokio::test]
async fn the_token_endpoint_exists_only_in_dev_mode() {
    let cfg = format!(
        "[[apps]]\nappid = {APPID}\napp_sign = \"0123456789abcdef0123456789abcdef\"\nserver_secret = \"prod-secret-0123456789\"\n"
    );
    let s = TestServer::start_with(Some(&cfg), &[]).await;
    let a = http(
        &s.addr,
        "GET",
        &format!("/token?app_id={APPID}&id_name=carol"),
        &[],
        b"",
    )
    .await;
    assert_eq!(a.status, 404);
    // Without a collector folder, production has no /log either.
    let a = http(&s.addr, "POST", "/log", &[], b"{}").await;
    assert_eq!(a.status, 404);
}

#[tokio::test]
async fn posted_log_lines_are_stored_per_app_and_user() {
    let dir = temp_dir();
    let s = TestServer::start(&[("LIVEROOM_LOG_COLLECTOR__DIR", dir.to_str().unwrap())]).await;
    let l1 = json!({"time": "2026-01-01 00:00:00", "level": 1, "action": "zb.rm.login",
                    "content": "login start", "appid": APPID, "userid": "alice"})
    .to_string();
    let l2 =
        json!({"level": 2, "content": "second", "appid": APPID, "id_name": "alice"}).to_string();
    let l3 = json!({"level": 1, "content": "bob's", "appid": 7, "userName": "bob"}).to_string();
    let body = format!("{l1}\n{l2}\nnot json\n\n{l3}\n");
    let a = http(
        &s.addr,
        "POST",
        "/log",
        &[
            ("Content-Type", "text/plain"),
            ("Origin", "http://app.example"),
        ],
        body.as_bytes(),
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("access-control-allow-origin"), Some("*"));
    let answer: Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(
        answer,
        json!({"stored": 3, "rejected": 1, "interval": 10000})
    );
    let alice = std::fs::read_to_string(dir.join(APPID.to_string()).join("alice.jsonl")).unwrap();
    assert_eq!(alice, format!("{l1}\n{l2}\n"));
    let bob = std::fs::read_to_string(dir.join("7").join("bob.jsonl")).unwrap();
    assert_eq!(bob, format!("{l3}\n"));

    // The WebSocket form appends to the same files.
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/log", s.addr))
        .await
        .unwrap();
    let l4 =
        json!({"level": 1, "content": "over ws", "appid": APPID, "userid": "alice"}).to_string();
    ws.send(tokio_tungstenite::tungstenite::Message::Text(
        l4.clone().into(),
    ))
    .await
    .unwrap();
    let path = dir.join(APPID.to_string()).join("alice.jsonl");
    let mut stored = String::new();
    for _ in 0..100 {
        stored = std::fs::read_to_string(&path).unwrap();
        if stored.contains("over ws") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(stored, format!("{l1}\n{l2}\n{l4}\n"));
    let _ = ws.close(None).await;
    std::fs::remove_dir_all(dir).unwrap();
}
