//! Open connections per source address (`session.max_connections_per_ip`, docs/security.md):
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
