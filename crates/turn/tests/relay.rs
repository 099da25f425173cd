//! The relay over real sockets: a client allocates over UDP and over TCP, relays data both ways
//! (Send/Data indications and ChannelData) to a UDP peer on 127.0.0.1, and meets 401, 403 and
//! 437 where it should.

use liveroom_turn::client::ClientCodec;
use liveroom_turn::stun::{self, Class, Message};
use liveroom_turn::{rest_credentials, PeerPolicy, TurnServer, TurnServerConfig};
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::timeout;

const SECRET: &str = "relay-test-secret";
const WAIT: Duration = Duration::from_secs(3);

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn start(policy: PeerPolicy) -> TurnServer {
    let mut cfg = TurnServerConfig::new("127.0.0.1:0".parse().unwrap(), "liveroom", SECRET);
    cfg.policy = policy;
    TurnServer::start(cfg).await.expect("turn server starts")
}

fn loopback_only() -> PeerPolicy {
    PeerPolicy {
        allow_loopback: true,
        ..Default::default()
    }
}

fn codec(user: &str) -> ClientCodec {
    let (u, p) = rest_credentials(SECRET, user, 600, now_secs());
    ClientCodec::new(&u, &p)
}

/// A client's connection to the server: one datagram or one TCP frame per message.
trait Transport {
    async fn send(&mut self, data: &[u8]);
    async fn recv(&mut self) -> Option<Vec<u8>>;
    fn local(&self) -> SocketAddr;
    fn pads(&self) -> bool;
}

struct Udp {
    sock: UdpSocket,
}

impl Udp {
    async fn connect(server: SocketAddr) -> Udp {
        let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        sock.connect(server).await.unwrap();
        Udp { sock }
    }
}

impl Transport for Udp {
    async fn send(&mut self, data: &[u8]) {
        self.sock.send(data).await.unwrap();
    }
    async fn recv(&mut self) -> Option<Vec<u8>> {
        let mut buf = vec![0u8; 70_000];
        let n = timeout(WAIT, self.sock.recv(&mut buf)).await.ok()?.ok()?;
        buf.truncate(n);
        Some(buf)
    }
    fn local(&self) -> SocketAddr {
        self.sock.local_addr().unwrap()
    }
    fn pads(&self) -> bool {
        false
    }
}

struct Tcp {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Tcp {
    async fn connect(server: SocketAddr) -> Tcp {
        Tcp {
            stream: TcpStream::connect(server).await.unwrap(),
            buf: Vec::new(),
        }
    }
}

impl Transport for Tcp {
    async fn send(&mut self, data: &[u8]) {
        self.stream.write_all(data).await.unwrap();
    }
    async fn recv(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Ok(Some(len)) = stun::frame_len(&self.buf) {
                if self.buf.len() >= len {
                    return Some(self.buf.drain(..len).collect());
                }
            }
            let mut chunk = [0u8; 4096];
            let n = timeout(WAIT, self.stream.read(&mut chunk))
                .await
                .ok()?
                .ok()?;
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
    fn local(&self) -> SocketAddr {
        self.stream.local_addr().unwrap()
    }
    fn pads(&self) -> bool {
        true
    }
}

/// Sends the request `make` builds and returns the answer to it, answering a 401/438 first.
async fn call<T: Transport>(
    t: &mut T,
    c: &mut ClientCodec,
    make: impl Fn(&mut ClientCodec) -> ([u8; 12], Vec<u8>),
) -> Vec<u8> {
    let mut retried = false;
    loop {
        let (txid, req) = make(c);
        t.send(&req).await;
        let resp = loop {
            let m = t.recv().await.expect("an answer");
            if m[8..20] == txid {
                break m;
            }
        };
        let msg = Message::parse(&resp).unwrap();
        if !retried && c.learn(&msg) {
            retried = true;
            continue;
        }
        return resp;
    }
}

fn code(resp: &[u8]) -> Option<u16> {
    Message::parse(resp).unwrap().error_code().map(|e| e.0)
}

async fn peer_recv(peer: &UdpSocket) -> Option<(Vec<u8>, SocketAddr)> {
    let mut buf = vec![0u8; 4096];
    let (n, from) = timeout(WAIT, peer.recv_from(&mut buf)).await.ok()?.ok()?;
    buf.truncate(n);
    Some((buf, from))
}

/// The whole life of one allocation over `t`.
async fn scenario<T: Transport>(server: &TurnServer, mut t: T) {
    let mut c = codec("alice");

    // Plain STUN works (stun: URLs).
    let resp = call(&mut t, &mut c, |c| c.binding()).await;
    let m = Message::parse(&resp).unwrap();
    assert_eq!(m.class, Class::Success);
    assert_eq!(
        m.get_xor_addr(stun::ATTR_XOR_MAPPED_ADDRESS),
        Some(t.local())
    );

    // Without credentials: 401 with realm and nonce.
    let (_, req) = c.allocate();
    t.send(&req).await;
    let resp = t.recv().await.unwrap();
    let m = Message::parse(&resp).unwrap();
    assert_eq!(m.error_code().map(|e| e.0), Some(401));
    assert_eq!(m.get_str(stun::ATTR_REALM), Some("liveroom"));
    assert!(c.learn(&m));
    let resp = call(&mut t, &mut c, |c| c.allocate()).await;
    let m = Message::parse(&resp).unwrap();
    assert_eq!(m.class, Class::Success, "{:?}", m.error_code());
    assert!(c.verify(&m));
    let relay = m.get_xor_addr(stun::ATTR_XOR_RELAYED_ADDRESS).unwrap();
    assert_eq!(relay.ip().to_string(), "127.0.0.1");
    assert_eq!(m.get_u32(stun::ATTR_LIFETIME), Some(600));
    assert_eq!(server.handle().allocation_count(), 1);

    let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let peer_addr = peer.local_addr().unwrap();

    // Permission, then a Send indication reaches the peer from the relay address.
    let resp = call(&mut t, &mut c, |c| c.create_permission(peer_addr)).await;
    assert_eq!(code(&resp), None);
    t.send(&c.send_indication(peer_addr, b"via send")).await;
    let (data, from) = peer_recv(&peer).await.expect("peer gets the Send data");
    assert_eq!((data.as_slice(), from), (&b"via send"[..], relay));

    // The peer answers: a Data indication.
    peer.send_to(b"via data", relay).await.unwrap();
    let got = t.recv().await.expect("a Data indication");
    let m = Message::parse(&got).unwrap();
    assert_eq!((m.method, m.class), (stun::DATA, Class::Indication));
    assert_eq!(m.get_xor_addr(stun::ATTR_XOR_PEER_ADDRESS), Some(peer_addr));
    assert_eq!(m.get(stun::ATTR_DATA), Some(&b"via data"[..]));

    // A channel: ChannelData both ways (padded on TCP).
    let resp = call(&mut t, &mut c, |c| c.channel_bind(0x4000, peer_addr)).await;
    assert_eq!(code(&resp), None);
    t.send(&stun::encode_channel_data(0x4000, b"chan up", t.pads()))
        .await;
    let (data, from) = peer_recv(&peer).await.expect("peer gets ChannelData");
    assert_eq!((data.as_slice(), from), (&b"chan up"[..], relay));
    peer.send_to(b"chan down", relay).await.unwrap();
    let got = t.recv().await.expect("ChannelData from the peer");
    assert_eq!(
        got,
        stun::encode_channel_data(0x4000, b"chan down", t.pads())
    );

    // Some volume both ways.
    for i in 0..50u32 {
        let payload = format!("packet {i}").repeat(20);
        t.send(&stun::encode_channel_data(
            0x4000,
            payload.as_bytes(),
            t.pads(),
        ))
        .await;
        let (data, _) = peer_recv(&peer).await.expect("relayed");
        assert_eq!(data, payload.as_bytes());
        peer.send_to(payload.as_bytes(), relay).await.unwrap();
        let got = t.recv().await.expect("relayed back");
        let (ch, data) = stun::parse_channel_data(&got).unwrap();
        assert_eq!((ch, data), (0x4000, payload.as_bytes()));
    }

    // A private peer is refused on this server (loopback only).
    for p in ["10.0.0.1:5000", "192.168.1.20:5000"] {
        let p: SocketAddr = p.parse().unwrap();
        let resp = call(&mut t, &mut c, |c| c.create_permission(p)).await;
        assert_eq!(code(&resp), Some(403), "{p}");
        let resp = call(&mut t, &mut c, |c| c.channel_bind(0x4001, p)).await;
        assert_eq!(code(&resp), Some(403), "{p}");
    }

    // Refresh with lifetime 0 deletes the allocation: nothing is relayed any more.
    let resp = call(&mut t, &mut c, |c| c.refresh(0)).await;
    let m = Message::parse(&resp).unwrap();
    assert_eq!(m.class, Class::Success);
    assert_eq!(m.get_u32(stun::ATTR_LIFETIME), Some(0));
    assert_eq!(server.handle().allocation_count(), 0);
    peer.send_to(b"too late", relay).await.unwrap();
    t.send(&stun::encode_channel_data(0x4000, b"too late", t.pads()))
        .await;
    let mut buf = [0u8; 100];
    assert!(
        timeout(Duration::from_millis(300), peer.recv_from(&mut buf))
            .await
            .is_err(),
        "nothing reaches the peer after deletion"
    );
    let resp = call(&mut t, &mut c, |c| c.refresh(600)).await;
    assert_eq!(code(&resp), Some(437));
}

#[tokio::test]
async fn udp_allocation_relays_both_ways() {
    let server = start(loopback_only()).await;
    let t = Udp::connect(server.local_addr()).await;
    scenario(&server, t).await;
    server.shutdown().await;
}

#[tokio::test]
async fn tcp_allocation_relays_both_ways() {
    let server = start(loopback_only()).await;
    let t = Tcp::connect(server.local_addr()).await;
    scenario(&server, t).await;
    server.shutdown().await;
}

#[tokio::test]
async fn tcp_close_releases_the_allocation() {
    let server = start(loopback_only()).await;
    let mut t = Tcp::connect(server.local_addr()).await;
    let mut c = codec("bob");
    let resp = call(&mut t, &mut c, |c| c.allocate()).await;
    assert_eq!(code(&resp), None);
    assert_eq!(server.handle().allocation_count(), 1);
    drop(t);
    for _ in 0..50 {
        if server.handle().allocation_count() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.handle().allocation_count(), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn production_policy_refuses_loopback_peers() {
    let server = start(PeerPolicy::default()).await;
    let mut t = Udp::connect(server.local_addr()).await;
    let mut c = codec("carol");
    let resp = call(&mut t, &mut c, |c| c.allocate()).await;
    assert_eq!(code(&resp), None);
    let peer: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let resp = call(&mut t, &mut c, |c| c.create_permission(peer)).await;
    assert_eq!(code(&resp), Some(403));
    // Unless the address is listed (the SFU's own address).
    server.handle().allow_peer_ip(peer.ip());
    let resp = call(&mut t, &mut c, |c| c.create_permission(peer)).await;
    assert_eq!(code(&resp), None);
    server.shutdown().await;
}

#[tokio::test]
async fn wrong_or_missing_credentials_get_401() {
    let server = start(loopback_only()).await;
    let mut t = Udp::connect(server.local_addr()).await;
    let (u, _) = rest_credentials(SECRET, "dave", 600, now_secs());
    let mut c = ClientCodec::new(&u, "wrong");
    let resp = call(&mut t, &mut c, |c| c.allocate()).await;
    assert_eq!(code(&resp), Some(401));
    let (u, p) = rest_credentials(SECRET, "dave", 0, now_secs() - 60);
    let mut c = ClientCodec::new(&u, &p);
    let resp = call(&mut t, &mut c, |c| c.allocate()).await;
    assert_eq!(code(&resp), Some(401));
    assert_eq!(server.handle().allocation_count(), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_relays() {
    let server = start(loopback_only()).await;
    let addr = server.local_addr();
    let mut t = Udp::connect(addr).await;
    let mut c = codec("erin");
    let resp = call(&mut t, &mut c, |c| c.allocate()).await;
    assert_eq!(code(&resp), None);
    server.shutdown().await;
    // The port is free again for both transports.
    let _u = UdpSocket::bind(addr).await.expect("udp port released");
    let _t = tokio::net::TcpListener::bind(addr)
        .await
        .expect("tcp port released");
}
