//! Per source address (docs/security.md): open connections (`session.max_connections_per_ip`)
//! and HTTP requests (`http.rate_limit_per_ip_per_sec`). Connections:
//! past the cap a room or media WebSocket gets 429 before the upgrade; another address is not
//! affected; a closed connection gives its place back.

use crate::common;
use common::*;
use tokio_tungstenite::tungstenite::Error as WsError;

/// The HTTP status a WebSocket upgrade to `url` from `source_ip` got (101 when it opened; the
/// socket is kept in `keep` then).
async fn upgrade_from(
    s: &TestServer,
    path: &str,
    source_ip: &str,
    keep: &mut Vec<WsStream>,
) -> u16 {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind(format!("{source_ip}:0").parse().unwrap())
        .expect("bind a loopback source address");
    let tcp = sock.connect(s.addr.parse().unwrap()).await.unwrap();
    let url = format!("ws://{}{path}", s.addr);
    match tokio_tungstenite::client_async(url, tcp).await {
        Ok((ws, _)) => {
            keep.push(ws);
            101
        }
        Err(WsError::Http(r)) => r.status().as_u16(),
        Err(e) => panic!("upgrade of {path}: {e}"),
    }
}

type WsStream = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

#[tokio::test]
async fn an_address_holds_at_most_the_cap_of_room_and_media_connections() {
    let s = TestServer::start(&[("LIVEROOM_SESSION__MAX_CONNECTIONS_PER_IP", "3")]).await;
    let mut open: Vec<WsStream> = Vec::new();
    assert_eq!(upgrade_from(&s, "/ws", "127.0.0.1", &mut open).await, 101);
    assert_eq!(
        upgrade_from(&s, "/media", "127.0.0.1", &mut open).await,
        101
    );
    assert_eq!(upgrade_from(&s, "/ws", "127.0.0.1", &mut open).await, 101);
    // The fourth, room or media, is refused before the upgrade.
    assert_eq!(upgrade_from(&s, "/ws", "127.0.0.1", &mut open).await, 429);
    assert_eq!(
        upgrade_from(&s, "/media", "127.0.0.1", &mut open).await,
        429
    );
    // Another address has its own count.
    let mut other: Vec<WsStream> = Vec::new();
    assert_eq!(upgrade_from(&s, "/ws", "127.0.0.2", &mut other).await, 101);
    // A closed connection gives its place back (once the server has seen it go).
    drop(open.pop());
    let mut back = 0;
    for _ in 0..50 {
        back = upgrade_from(&s, "/ws", "127.0.0.1", &mut open).await;
        if back == 101 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(back, 101);
}

#[tokio::test]
async fn dev_mode_has_no_cap_by_default() {
    let s = TestServer::start(&[]).await;
    let mut open: Vec<WsStream> = Vec::new();
    for _ in 0..40 {
        assert_eq!(upgrade_from(&s, "/ws", "127.0.0.1", &mut open).await, 101);
    }
}

/// The status line and headers of `GET path` (HTTP/1.0) from `source_ip`.
async fn get_from(s: &TestServer, path: &str, source_ip: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind(format!("{source_ip}:0").parse().unwrap())
        .unwrap();
    let mut tcp = sock.connect(s.addr.parse().unwrap()).await.unwrap();
    tcp.write_all(format!("GET {path} HTTP/1.0\r\nHost: {}\r\n\r\n", s.addr).as_bytes())
        .await
        .unwrap();
    let mut out = Vec::new();
    tcp.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    text.split("\r\n\r\n").next().unwrap_or("").to_lowercase()
}

#[tokio::test]
async fn http_requests_of_an_address_are_rate_limited() {
    let s = TestServer::start(&[
        ("LIVEROOM_HTTP__RATE_LIMIT_PER_IP_PER_SEC", "1"),
        ("LIVEROOM_HTTP__RATE_LIMIT_BURST_PER_IP", "5"),
    ])
    .await;
    for _ in 0..5 {
        let head = get_from(&s, "/livez", "127.0.0.1").await;
        assert!(
            head.starts_with("http/1.0 200") || head.starts_with("http/1.1 200"),
            "{head}"
        );
    }
    // Every route counts: the sixth request, a WebSocket upgrade or a page, is refused.
    let head = get_from(&s, "/", "127.0.0.1").await;
    assert!(head.contains(" 429 "), "{head}");
    assert!(head.contains("retry-after: 1"), "{head}");
    let mut open: Vec<WsStream> = Vec::new();
    assert_eq!(upgrade_from(&s, "/ws", "127.0.0.1", &mut open).await, 429);
    // Another address has its own bucket.
    let head = get_from(&s, "/livez", "127.0.0.3").await;
    assert!(head.contains(" 200 "), "{head}");
    // One token a second comes back.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let head = get_from(&s, "/livez", "127.0.0.1").await;
    assert!(head.contains(" 200 "), "{head}");
}
