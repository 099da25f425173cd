//! The server's TURN wiring: the embedded relay starts with the server, is named in the ready
//! line, hands out URLs and REST credentials that work on it over UDP and TCP, always lets
//! clients reach the SFU, refuses other loopback peers in production, stops at shutdown, and
//! gives way to an external coturn's URLs when configured.

use crate::common;

use common::*;
use liveroom_turn::client::ClientCodec;
use liveroom_turn::stun::{self, Class, Message};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

const APP: &str = "[[apps]]\nappid = 1739272706\napp_sign = \"0123456789abcdef0123456789abcdef\"\nserver_secret = \"0123456789abcdef\"\n";

fn server_of(s: &TestServer) -> &liveroom_server::Server {
    s.server.as_ref().unwrap()
}

/// One request over UDP; answers a 401/438 once.
async fn udp_call(
    sock: &UdpSocket,
    c: &mut ClientCodec,
    make: impl Fn(&mut ClientCodec) -> ([u8; 12], Vec<u8>),
) -> Vec<u8> {
    let mut buf = vec![0u8; 2048];
    for _ in 0..2 {
        let (_, req) = make(c);
        sock.send(&req).await.unwrap();
        let n = tokio::time::timeout(WAIT, sock.recv(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
        let m = Message::parse(&buf[..n]).unwrap();
        if !c.learn(&m) {
            return buf[..n].to_vec();
        }
    }
    panic!("challenged twice");
}

fn code(resp: &[u8]) -> Option<u16> {
    Message::parse(resp).unwrap().error_code().map(|e| e.0)
}

/// `turn:1.2.3.4:5?transport=udp` → `1.2.3.4:5`.
fn url_addr(url: &str) -> SocketAddr {
    let rest = url.split_once(':').unwrap().1;
    rest.split('?').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn dev_server_runs_the_relay_and_its_credentials_work() {
    let mut s = TestServer::start(&[]).await;
    let server = server_of(&s);
    let turn_addr = server.turn_addr.expect("the relay runs in dev mode");
    let ready: Value = serde_json::from_str(&server.ready_line()).unwrap();
    assert_eq!(ready["turn"], turn_addr.to_string());
    assert_ne!(turn_addr.port(), 0);

    let grant = server.state.turn_grant("alice").expect("a TURN grant");
    assert_eq!(grant.turn_url, format!("turn:{turn_addr}?transport=udp"));
    assert_eq!(
        grant.turn_tcp_url.as_deref(),
        Some(format!("turn:{turn_addr}?transport=tcp").as_str())
    );
    assert_eq!(grant.stun_url, format!("stun:{turn_addr}"));
    let expiry: u64 = grant.username.split(':').next().unwrap().parse().unwrap();
    assert!(
        expiry > now_secs() + 3600,
        "credentials last a day by default"
    );
    assert!(grant.username.ends_with(":alice"));
    assert_eq!(
        grant.credential,
        liveroom_turn::auth::rest_password(
            liveroom_server::config::DEV_TURN_SECRET,
            &grant.username
        )
    );

    // Allocate over UDP at the URL handed out, and reach the SFU's socket and a loopback peer.
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.connect(url_addr(&grant.turn_url)).await.unwrap();
    let mut c = ClientCodec::new(&grant.username, &grant.credential);
    let resp = udp_call(&sock, &mut c, |c| c.allocate()).await;
    let m = Message::parse(&resp).unwrap();
    assert_eq!(m.class, Class::Success, "{:?}", m.error_code());
    let relay = m.get_xor_addr(stun::ATTR_XOR_RELAYED_ADDRESS).unwrap();
    let sfu = server.rtc_addr.expect("media is on");
    let resp = udp_call(&sock, &mut c, |c| c.create_permission(sfu)).await;
    assert_eq!(code(&resp), None);
    let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let peer_addr = peer.local_addr().unwrap();
    let resp = udp_call(&sock, &mut c, |c| c.channel_bind(0x4000, peer_addr)).await;
    assert_eq!(code(&resp), None, "dev mode allows loopback peers");
    sock.send(&stun::encode_channel_data(0x4000, b"hi", false))
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let (n, from) = tokio::time::timeout(WAIT, peer.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((&buf[..n], from), (&b"hi"[..], relay));
    let handle = s
        .server
        .as_ref()
        .unwrap()
        .state
        .turn
        .as_ref()
        .unwrap()
        .embedded
        .clone()
        .unwrap();
    assert_eq!(handle.allocation_count(), 1);

    // And over TCP, at the TCP URL (same port).
    let mut tcp = TcpStream::connect(url_addr(grant.turn_tcp_url.as_deref().unwrap()))
        .await
        .unwrap();
    let mut c = ClientCodec::new(&grant.username, &grant.credential);
    let mut answer = None;
    for _ in 0..2 {
        let (_, req) = c.allocate();
        tcp.write_all(&req).await.unwrap();
        let mut head = [0u8; 20];
        tcp.read_exact(&mut head).await.unwrap();
        let len = u16::from_be_bytes([head[2], head[3]]) as usize;
        let mut msg = head.to_vec();
        msg.resize(20 + len, 0);
        tcp.read_exact(&mut msg[20..]).await.unwrap();
        if !c.learn(&Message::parse(&msg).unwrap()) {
            answer = Some(msg);
            break;
        }
    }
    let answer = answer.unwrap();
    assert_eq!(Message::parse(&answer).unwrap().class, Class::Success);
    assert_eq!(handle.allocation_count(), 2);

    // Shutdown stops the relay and frees its port.
    s.stop().await;
    assert_eq!(handle.allocation_count(), 0);
    UdpSocket::bind(turn_addr).await.expect("udp port free");
    tokio::net::TcpListener::bind(turn_addr)
        .await
        .expect("tcp port free");
}

#[tokio::test]
async fn production_relay_reaches_the_sfu_but_not_other_loopback_peers() {
    let cfg = format!("{APP}[turn]\nsecret = \"production-turn-secret\"\n");
    let s = TestServer::start_with(Some(&cfg), &[]).await;
    let server = server_of(&s);
    let grant = server.state.turn_grant("bob").unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.connect(url_addr(&grant.turn_url)).await.unwrap();
    let mut c = ClientCodec::new(&grant.username, &grant.credential);
    let resp = udp_call(&sock, &mut c, |c| c.allocate()).await;
    assert_eq!(code(&resp), None);
    let sfu = server.rtc_addr.unwrap();
    let resp = udp_call(&sock, &mut c, |c| c.create_permission(sfu)).await;
    assert_eq!(code(&resp), None, "the SFU is always reachable");
    let resp = udp_call(&sock, &mut c, |c| c.channel_bind(0x4000, sfu)).await;
    assert_eq!(code(&resp), None, "the SFU is always reachable");
    // Same IP as the SFU, another port: refused (only the SFU's port would be relayed to).
    let other: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let resp = udp_call(&sock, &mut c, |c| c.create_permission(other)).await;
    assert_eq!(code(&resp), Some(403));
    let resp = udp_call(&sock, &mut c, |c| c.channel_bind(0x4001, other)).await;
    assert_eq!(code(&resp), Some(403));
    let resp = udp_call(&sock, &mut c, |c| {
        c.create_permission("127.0.0.2:9".parse().unwrap())
    })
    .await;
    assert_eq!(code(&resp), Some(403));
    // Credentials made with another secret are refused.
    let (u, p) = liveroom_turn::rest_credentials("another-secret-entirely", "bob", 600, now_secs());
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.connect(url_addr(&grant.turn_url)).await.unwrap();
    let resp = udp_call(&sock, &mut ClientCodec::new(&u, &p), |c| c.allocate()).await;
    assert_eq!(code(&resp), Some(401));
}

#[tokio::test]
async fn external_coturn_urls_replace_the_embedded_relay() {
    let s = TestServer::start(&[
        (
            "LIVEROOM_TURN__EXTERNAL_URLS",
            "[\"turn:203.0.113.5:3478?transport=udp\", \"turn:203.0.113.5:3478?transport=tcp\", \"stun:203.0.113.5:3478\"]",
        ),
        ("LIVEROOM_TURN__SECRET", "shared-with-the-coturn"),
    ])
    .await;
    let server = server_of(&s);
    assert_eq!(server.turn_addr, None);
    let ready: Value = serde_json::from_str(&server.ready_line()).unwrap();
    assert!(ready.get("turn").is_none());
    let grant = server.state.turn_grant("carol").unwrap();
    assert_eq!(grant.turn_url, "turn:203.0.113.5:3478?transport=udp");
    assert_eq!(
        grant.turn_tcp_url.as_deref(),
        Some("turn:203.0.113.5:3478?transport=tcp")
    );
    assert_eq!(grant.stun_url, "stun:203.0.113.5:3478");
    assert_eq!(
        grant.credential,
        liveroom_turn::auth::rest_password("shared-with-the-coturn", &grant.username)
    );
}

#[tokio::test]
async fn turn_can_be_off() {
    let s = TestServer::start(&[("LIVEROOM_TURN__ENABLED", "false")]).await;
    let server = server_of(&s);
    assert_eq!(server.turn_addr, None);
    assert!(server.state.turn_grant("dave").is_none());
}
