//! The state machine with a fake clock and a fake relay binder.

use super::*;
use crate::client::ClientCodec;
use crate::stun::Message;

const SECRET: &str = "test-secret";
const UNIX0: u64 = 1_700_000_000;

struct FakeBinder {
    next: u16,
    fail: bool,
}

impl RelayBinder<u16> for FakeBinder {
    fn bind(&mut self, ip: IpAddr, even_port: bool) -> std::io::Result<(SocketAddr, u16)> {
        if self.fail {
            return Err(std::io::Error::other("no ports"));
        }
        self.next += 1;
        if even_port && self.next % 2 == 1 {
            self.next += 1;
        }
        Ok((SocketAddr::new(ip, 50_000 + self.next), self.next))
    }
}

struct T {
    core: Core<u16>,
    binder: FakeBinder,
    now: Instant,
}

fn config() -> CoreConfig {
    CoreConfig {
        realm: "liveroom".into(),
        secret: SECRET.into(),
        relay_ip: "127.0.0.1".parse().unwrap(),
        advertised_relay_ip: None,
        policy: PeerPolicy::permissive(),
        max_allocations: 10,
        max_allocations_per_user: 3,
        max_bps_per_allocation: 0,
        nonce_key: [7; 16],
    }
}

fn udp(port: u16) -> Client {
    Client {
        remote: SocketAddr::new("192.0.2.10".parse().unwrap(), port),
        conn: Conn::Udp,
    }
}

fn tcp(port: u16, id: u64) -> Client {
    Client {
        remote: SocketAddr::new("192.0.2.10".parse().unwrap(), port),
        conn: Conn::Tcp(id),
    }
}

fn peer(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn codec(user: &str) -> ClientCodec {
    let (u, p) = crate::auth::rest_credentials(SECRET, user, 3600, UNIX0);
    ClientCodec::new(&u, &p)
}

impl T {
    fn new(cfg: CoreConfig) -> T {
        let now = Instant::now();
        T {
            core: Core::new(cfg, now, UNIX0),
            binder: FakeBinder {
                next: 0,
                fail: false,
            },
            now,
        }
    }

    fn advance(&mut self, secs: u64) -> Vec<Output<u16>> {
        self.now += Duration::from_secs(secs);
        let mut out = Vec::new();
        self.core.handle_timeout(self.now, &mut out);
        out
    }

    fn send(&mut self, client: Client, data: &[u8]) -> Vec<Output<u16>> {
        let mut out = Vec::new();
        self.core
            .handle_client(self.now, client, data, &mut self.binder, &mut out);
        out
    }

    /// Sends a request and returns the one answer.
    fn req(&mut self, client: Client, data: &[u8]) -> Vec<u8> {
        let out = self.send(client, data);
        let mut answers: Vec<Vec<u8>> = out
            .into_iter()
            .filter_map(|o| match o {
                Output::ToClient { client: c, data } if c == client => Some(data),
                _ => None,
            })
            .collect();
        assert_eq!(answers.len(), 1, "one answer expected");
        answers.pop().unwrap()
    }

    /// Sends a request built by `make`, answering a 401/438 challenge once.
    fn call(
        &mut self,
        client: Client,
        c: &mut ClientCodec,
        make: impl Fn(&mut ClientCodec) -> ([u8; 12], Vec<u8>),
    ) -> Vec<u8> {
        let (_, req) = make(c);
        let resp = self.req(client, &req);
        let m = Message::parse(&resp).unwrap();
        if c.learn(&m) {
            let (_, req) = make(c);
            return self.req(client, &req);
        }
        resp
    }

    fn allocate(&mut self, client: Client, c: &mut ClientCodec) -> SocketAddr {
        let resp = self.call(client, c, |c| c.allocate());
        let m = Message::parse(&resp).unwrap();
        assert_eq!(m.class, Class::Success, "{:?}", m.error_code());
        assert!(c.verify(&m));
        m.get_xor_addr(stun::ATTR_XOR_RELAYED_ADDRESS).unwrap()
    }

    fn peer_data(&mut self, relay: SocketAddr, from: SocketAddr, data: &[u8]) -> Vec<Output<u16>> {
        let mut out = Vec::new();
        self.core.handle_peer(self.now, relay, from, data, &mut out);
        out
    }
}

fn code(resp: &[u8]) -> Option<u16> {
    Message::parse(resp).unwrap().error_code().map(|(c, _)| c)
}

fn to_peer(out: &[Output<u16>]) -> Vec<(SocketAddr, Vec<u8>)> {
    out.iter()
        .filter_map(|o| match o {
            Output::ToPeer { peer, data, .. } => Some((*peer, data.clone())),
            _ => None,
        })
        .collect()
}

fn to_client(out: &[Output<u16>]) -> Vec<Vec<u8>> {
    out.iter()
        .filter_map(|o| match o {
            Output::ToClient { data, .. } => Some(data.clone()),
            _ => None,
        })
        .collect()
}

fn released(out: &[Output<u16>]) -> usize {
    out.iter()
        .filter(|o| matches!(o, Output::Released { .. }))
        .count()
}

#[test]
fn binding_answers_the_mapped_address() {
    let mut t = T::new(config());
    let mut c = codec("a");
    let (_, req) = c.binding();
    let resp = t.req(udp(4000), &req);
    let m = Message::parse(&resp).unwrap();
    assert_eq!((m.method, m.class), (stun::BINDING, Class::Success));
    assert_eq!(
        m.get_xor_addr(stun::ATTR_XOR_MAPPED_ADDRESS),
        Some(udp(4000).remote)
    );
    assert!(m.has_fingerprint());
}

#[test]
fn allocate_challenges_then_succeeds() {
    let mut t = T::new(config());
    let mut c = codec("alice");
    let (_, req) = c.allocate();
    let resp = t.req(udp(4000), &req);
    let m = Message::parse(&resp).unwrap();
    assert_eq!(m.error_code().map(|e| e.0), Some(401));
    assert_eq!(m.get_str(stun::ATTR_REALM), Some("liveroom"));
    assert!(m.get_str(stun::ATTR_NONCE).is_some());
    assert!(!m.has_integrity());
    assert!(c.learn(&m));
    let (_, req) = c.allocate();
    let resp = t.req(udp(4000), &req);
    let m = Message::parse(&resp).unwrap();
    assert_eq!(m.class, Class::Success);
    assert!(c.verify(&m));
    assert!(m.has_fingerprint());
    assert_eq!(m.get_u32(stun::ATTR_LIFETIME), Some(DEFAULT_LIFETIME_SECS));
    assert_eq!(
        m.get_xor_addr(stun::ATTR_XOR_RELAYED_ADDRESS),
        Some(peer("127.0.0.1:50001"))
    );
    assert_eq!(
        m.get_xor_addr(stun::ATTR_XOR_MAPPED_ADDRESS),
        Some(udp(4000).remote)
    );
    assert_eq!(t.core.allocation_count(), 1);
    // A retransmission gets the same answer; a new Allocate gets 437.
    let again = t.req(udp(4000), &req);
    assert_eq!(again, resp);
    let (_, req) = c.allocate();
    assert_eq!(code(&t.req(udp(4000), &req)), Some(437));
    assert_eq!(t.core.allocation_count(), 1);
}

#[test]
fn advertised_relay_ip_replaces_the_bound_one() {
    let mut cfg = config();
    cfg.relay_ip = "0.0.0.0".parse().unwrap();
    cfg.advertised_relay_ip = Some("203.0.113.5".parse().unwrap());
    let mut t = T::new(cfg);
    let relay = t.allocate(udp(1), &mut codec("a"));
    assert_eq!(relay, peer("203.0.113.5:50001"));
}

#[test]
fn bad_credentials_are_refused() {
    let mut t = T::new(config());
    // Wrong password.
    let (u, _) = crate::auth::rest_credentials(SECRET, "bob", 3600, UNIX0);
    let mut c = ClientCodec::new(&u, "not-the-password");
    let resp = t.call(udp(1), &mut c, |c| c.allocate());
    assert_eq!(code(&resp), Some(401));
    // Expired username (REST expiry in the past).
    let (u, p) = crate::auth::rest_credentials(SECRET, "bob", 0, UNIX0 - 10);
    let mut c = ClientCodec::new(&u, &p);
    assert_eq!(code(&t.call(udp(1), &mut c, |c| c.allocate())), Some(401));
    // Not a REST username.
    let p = crate::auth::rest_password(SECRET, "bob");
    let mut c = ClientCodec::new("bob", &p);
    assert_eq!(code(&t.call(udp(1), &mut c, |c| c.allocate())), Some(401));
    // Credentials of another secret.
    let (u, p) = crate::auth::rest_credentials("other", "bob", 3600, UNIX0);
    let mut c = ClientCodec::new(&u, &p);
    assert_eq!(code(&t.call(udp(1), &mut c, |c| c.allocate())), Some(401));
    assert_eq!(t.core.allocation_count(), 0);
    assert!(t.core.stats().auth_failures_total >= 4);
}

#[test]
fn credentials_expire_on_the_clock() {
    let mut t = T::new(config());
    let (u, p) = crate::auth::rest_credentials(SECRET, "bob", 100, UNIX0);
    let mut c = ClientCodec::new(&u, &p);
    t.allocate(udp(1), &mut c);
    t.advance(50);
    let resp = t.call(udp(1), &mut c, |c| c.refresh(600));
    assert_eq!(code(&resp), None);
    t.advance(51);
    let resp = t.call(udp(1), &mut c, |c| c.refresh(600));
    assert_eq!(code(&resp), Some(401));
}

#[test]
fn stale_nonce_gets_438_and_a_new_nonce() {
    let mut t = T::new(config());
    let mut c = codec("carol");
    t.allocate(udp(1), &mut c);
    t.call(udp(1), &mut c, |c| c.refresh(3600));
    t.advance(crate::auth::NONCE_LIFETIME_SECS + 1);
    let (_, req) = c.refresh(600);
    let resp = t.req(udp(1), &req);
    let m = Message::parse(&resp).unwrap();
    assert_eq!(m.error_code().map(|e| e.0), Some(438));
    assert!(c.learn(&m));
    let (_, req) = c.refresh(600);
    let m = t.req(udp(1), &req);
    let m = Message::parse(&m).unwrap();
    assert_eq!(m.class, Class::Success);
    assert!(c.verify(&m));
}

#[test]
fn allocate_checks_its_attributes() {
    let mut t = T::new(config());
    let mut c = codec("dave");
    // Learn the nonce first.
    let (_, req) = c.allocate();
    let m = t.req(udp(1), &req);
    c.learn(&Message::parse(&m).unwrap());
    let (_, req) = c.request(stun::ALLOCATE, |b| b);
    assert_eq!(code(&t.req(udp(1), &req)), Some(400));
    let (_, req) = c.request(stun::ALLOCATE, |b| {
        b.attr(stun::ATTR_REQUESTED_TRANSPORT, &[6, 0, 0, 0])
    });
    assert_eq!(code(&t.req(udp(1), &req)), Some(442));
    let (_, req) = c.request(stun::ALLOCATE, |b| {
        b.attr(stun::ATTR_REQUESTED_TRANSPORT, &[17, 0, 0, 0])
            .attr(stun::ATTR_RESERVATION_TOKEN, &[1; 8])
    });
    let resp = t.req(udp(1), &req);
    let m = Message::parse(&resp).unwrap();
    assert_eq!(m.error_code().map(|e| e.0), Some(420));
    assert_eq!(
        m.get(stun::ATTR_UNKNOWN_ATTRIBUTES),
        Some(&[0x00, 0x22][..])
    );
    let (_, req) = c.request(stun::ALLOCATE, |b| {
        b.attr(stun::ATTR_REQUESTED_TRANSPORT, &[17, 0, 0, 0])
            .attr(stun::ATTR_REQUESTED_ADDRESS_FAMILY, &[2, 0, 0, 0])
    });
    assert_eq!(code(&t.req(udp(1), &req)), Some(440));
    t.binder.fail = true;
    let (_, req) = c.allocate();
    assert_eq!(code(&t.req(udp(1), &req)), Some(508));
    assert_eq!(t.core.allocation_count(), 0);
}

#[test]
fn even_port_is_honoured() {
    let mut t = T::new(config());
    t.allocate(udp(1), &mut codec("a"));
    let mut c = codec("b");
    let resp = t.call(udp(2), &mut c, |c| {
        c.request(stun::ALLOCATE, |b| {
            b.attr(stun::ATTR_REQUESTED_TRANSPORT, &[17, 0, 0, 0])
                .attr(stun::ATTR_EVEN_PORT, &[0x80])
        })
    });
    let m = Message::parse(&resp).unwrap();
    assert_eq!(m.class, Class::Success);
    let relay = m.get_xor_addr(stun::ATTR_XOR_RELAYED_ADDRESS).unwrap();
    assert_eq!(relay.port() % 2, 0);
    assert!(m.get(stun::ATTR_RESERVATION_TOKEN).is_none());
}

#[test]
fn quotas_per_user_and_total() {
    let mut t = T::new(config());
    let mut eves: Vec<ClientCodec> = (1..=3).map(|_| codec("eve")).collect();
    for (i, c) in eves.iter_mut().enumerate() {
        t.allocate(udp(i as u16 + 1), c);
    }
    let resp = t.call(udp(4), &mut codec("eve"), |c| c.allocate());
    assert_eq!(code(&resp), Some(486));
    for port in 10..17 {
        t.allocate(udp(port), &mut codec(&format!("u{port}")));
    }
    assert_eq!(t.core.allocation_count(), 10);
    let resp = t.call(udp(20), &mut codec("zed"), |c| c.allocate());
    assert_eq!(code(&resp), Some(508));
    // Deleting one of eve's allocations lets eve allocate again.
    let resp = t.call(udp(1), &mut eves[0], |c| c.refresh(0));
    assert_eq!(code(&resp), None);
    t.allocate(udp(4), &mut codec("eve"));
    assert_eq!(t.core.allocation_count(), 10);
}

#[test]
fn refresh_zero_deletes_and_refresh_extends() {
    let mut t = T::new(config());
    let mut c = codec("frank");
    t.allocate(udp(1), &mut c);
    // A refresh keeps it past the first lifetime.
    t.advance(500);
    let resp = t.call(udp(1), &mut c, |c| c.refresh(1200));
    let m = Message::parse(&resp).unwrap();
    assert_eq!(m.get_u32(stun::ATTR_LIFETIME), Some(1200));
    assert!(c.verify(&m));
    assert_eq!(released(&t.advance(200)), 0);
    assert_eq!(t.core.allocation_count(), 1);
    // Lifetimes are capped.
    let resp = t.call(udp(1), &mut c, |c| c.refresh(999_999));
    assert_eq!(
        Message::parse(&resp).unwrap().get_u32(stun::ATTR_LIFETIME),
        Some(MAX_LIFETIME_SECS)
    );
    let (_, req) = c.refresh(0);
    let out = t.send(udp(1), &req);
    assert_eq!(released(&out), 1);
    let answers = to_client(&out);
    let m = Message::parse(&answers[0]).unwrap();
    assert_eq!(m.class, Class::Success);
    assert_eq!(m.get_u32(stun::ATTR_LIFETIME), Some(0));
    assert_eq!(t.core.allocation_count(), 0);
    let (_, req) = c.refresh(600);
    assert_eq!(code(&t.req(udp(1), &req)), Some(437));
}

#[test]
fn allocations_expire() {
    let mut t = T::new(config());
    let mut c = codec("gina");
    let relay = t.allocate(udp(1), &mut c);
    assert_eq!(released(&t.advance(DEFAULT_LIFETIME_SECS as u64 - 1)), 0);
    let out = t.advance(1);
    assert_eq!(released(&out), 1);
    assert_eq!(t.core.allocation_count(), 0);
    // Nothing is relayed for a gone allocation.
    assert!(t.peer_data(relay, peer("127.0.0.1:9"), b"x").is_empty());
}

#[test]
fn permissions_gate_traffic_and_expire() {
    let mut t = T::new(config());
    let mut c = codec("hank");
    let relay = t.allocate(udp(1), &mut c);
    let p = peer("127.0.0.1:7000");
    // No permission yet: dropped both ways.
    let ind = c.send_indication(p, b"early");
    assert!(t.send(udp(1), &ind).is_empty());
    assert!(t.peer_data(relay, p, b"early").is_empty());
    let resp = t.call(udp(1), &mut c, |c| c.create_permission(p));
    let m = Message::parse(&resp).unwrap();
    assert_eq!(m.class, Class::Success);
    assert!(c.verify(&m));
    let ind = c.send_indication(p, b"hello");
    assert_eq!(to_peer(&t.send(udp(1), &ind)), vec![(p, b"hello".to_vec())]);
    // The permission is per IP: another port of the same peer IP passes too.
    let p2 = peer("127.0.0.1:7001");
    let out = t.peer_data(relay, p2, b"back");
    let data = to_client(&out);
    let m = Message::parse(&data[0]).unwrap();
    assert_eq!((m.method, m.class), (stun::DATA, Class::Indication));
    assert_eq!(m.get_xor_addr(stun::ATTR_XOR_PEER_ADDRESS), Some(p2));
    assert_eq!(m.get(stun::ATTR_DATA), Some(&b"back"[..]));
    // Another IP is not permitted.
    assert!(t.peer_data(relay, peer("127.0.0.2:7000"), b"x").is_empty());
    // 300 s later the permission is gone.
    t.advance(299);
    assert_eq!(to_client(&t.peer_data(relay, p, b"x")).len(), 1);
    t.advance(1);
    assert!(t.peer_data(relay, p, b"x").is_empty());
    assert!(t.send(udp(1), &c.send_indication(p, b"x")).is_empty());
    // Refreshing it (another CreatePermission) opens it again.
    let resp = t.call(udp(1), &mut c, |c| c.create_permission(p));
    assert_eq!(code(&resp), None);
    assert_eq!(to_client(&t.peer_data(relay, p, b"x")).len(), 1);
}

#[test]
fn channels_relay_both_ways_and_expire() {
    let mut t = T::new(config());
    let mut c = codec("ivy");
    let relay = t.allocate(udp(1), &mut c);
    let p = peer("127.0.0.1:7000");
    let resp = t.call(udp(1), &mut c, |c| c.channel_bind(0x4001, p));
    let m = Message::parse(&resp).unwrap();
    assert_eq!(m.class, Class::Success, "{:?}", m.error_code());
    assert!(c.verify(&m));
    // ChannelBind installs the permission too.
    let cd = stun::encode_channel_data(0x4001, b"abc", false);
    assert_eq!(to_peer(&t.send(udp(1), &cd)), vec![(p, b"abc".to_vec())]);
    let out = to_client(&t.peer_data(relay, p, b"xyz"));
    assert_eq!(out, vec![stun::encode_channel_data(0x4001, b"xyz", false)]);
    // Unknown channel: dropped.
    let cd = stun::encode_channel_data(0x4002, b"abc", false);
    assert!(t.send(udp(1), &cd).is_empty());
    // Rebinding the same pair refreshes; other pairings are refused.
    let resp = t.call(udp(1), &mut c, |c| c.channel_bind(0x4001, p));
    assert_eq!(code(&resp), None);
    let resp = t.call(udp(1), &mut c, |c| c.channel_bind(0x4002, p));
    assert_eq!(code(&resp), Some(400));
    let resp = t.call(udp(1), &mut c, |c| {
        c.channel_bind(0x4001, peer("127.0.0.1:7001"))
    });
    assert_eq!(code(&resp), Some(400));
    let resp = t.call(udp(1), &mut c, |c| {
        c.channel_bind(0x3FFF, peer("127.0.0.1:7001"))
    });
    assert_eq!(code(&resp), Some(400));
    // Keep the allocation and the permission alive but not the channel: at 600 s the channel
    // is gone and the peer's data arrives as Data indications.
    t.call(udp(1), &mut c, |c| c.refresh(3600));
    t.advance(290);
    t.call(udp(1), &mut c, |c| c.create_permission(p));
    t.advance(290);
    t.call(udp(1), &mut c, |c| c.create_permission(p));
    assert_eq!(
        to_client(&t.peer_data(relay, p, b"z")),
        vec![stun::encode_channel_data(0x4001, b"z", false)]
    );
    t.advance(20);
    let out = to_client(&t.peer_data(relay, p, b"z"));
    let m = Message::parse(&out[0]).unwrap();
    assert_eq!((m.method, m.class), (stun::DATA, Class::Indication));
    assert!(t
        .send(udp(1), &stun::encode_channel_data(0x4001, b"abc", false))
        .is_empty());
    // The channel number and the peer may be bound again.
    let resp = t.call(udp(1), &mut c, |c| c.channel_bind(0x4002, p));
    assert_eq!(code(&resp), None);
}

#[test]
fn tcp_clients_get_padded_channel_data_and_lose_allocations_on_close() {
    let mut t = T::new(config());
    let mut c = codec("jack");
    let client = tcp(5000, 42);
    let relay = t.allocate(client, &mut c);
    let p = peer("127.0.0.1:7000");
    t.call(client, &mut c, |c| c.channel_bind(0x4000, p));
    let out = to_client(&t.peer_data(relay, p, b"hello"));
    assert_eq!(out, vec![stun::encode_channel_data(0x4000, b"hello", true)]);
    assert_eq!(out[0].len(), 12);
    // Padded ChannelData from the client is fine.
    let cd = stun::encode_channel_data(0x4000, b"hello", true);
    assert_eq!(to_peer(&t.send(client, &cd)), vec![(p, b"hello".to_vec())]);
    // Same address over UDP is another client.
    assert!(!t.core.has_allocation(&udp(5000)));
    let mut out = Vec::new();
    t.core.client_closed(client, &mut out);
    assert_eq!(released(&out), 1);
    assert_eq!(t.core.allocation_count(), 0);
}

#[test]
fn policy_refuses_peers_with_403() {
    let mut cfg = config();
    cfg.policy = PeerPolicy::default();
    let mut t = T::new(cfg);
    let mut c = codec("kim");
    t.allocate(udp(1), &mut c);
    for p in [
        "127.0.0.1:7000",
        "10.1.2.3:7000",
        "192.168.0.1:1",
        "169.254.169.254:80",
    ] {
        let resp = t.call(udp(1), &mut c, |c| c.create_permission(peer(p)));
        assert_eq!(code(&resp), Some(403), "{p}");
        let resp = t.call(udp(1), &mut c, |c| c.channel_bind(0x4000, peer(p)));
        assert_eq!(code(&resp), Some(403), "{p}");
    }
    let resp = t.call(udp(1), &mut c, |c| {
        c.create_permission(peer("203.0.113.9:7000"))
    });
    assert_eq!(code(&resp), None);
    // IPv6 peer for an IPv4 relay.
    let resp = t.call(udp(1), &mut c, |c| {
        c.create_permission(peer("[2001:db8::1]:7000"))
    });
    assert_eq!(code(&resp), Some(443));
    // An explicitly allowed address passes.
    t.core
        .policy_mut()
        .allowed_ips
        .push("10.1.2.3".parse().unwrap());
    let resp = t.call(udp(1), &mut c, |c| {
        c.create_permission(peer("10.1.2.3:7000"))
    });
    assert_eq!(code(&resp), None);
    assert!(t.core.stats().denied_peers_total >= 8);
}

#[test]
fn requests_need_an_allocation_and_the_same_user() {
    let mut t = T::new(config());
    let mut c = codec("lee");
    let p = peer("127.0.0.1:7000");
    assert_eq!(
        code(&t.call(udp(1), &mut c, |c| c.create_permission(p))),
        Some(437)
    );
    assert_eq!(
        code(&t.call(udp(1), &mut c, |c| c.channel_bind(0x4000, p))),
        Some(437)
    );
    assert_eq!(code(&t.call(udp(1), &mut c, |c| c.refresh(600))), Some(437));
    t.allocate(udp(1), &mut c);
    let mut other = codec("mallory");
    assert_eq!(
        code(&t.call(udp(1), &mut other, |c| c.create_permission(p))),
        Some(441)
    );
    assert_eq!(
        code(&t.call(udp(1), &mut other, |c| c.refresh(0))),
        Some(441)
    );
    assert_eq!(t.core.allocation_count(), 1);
}

#[test]
fn garbage_is_dropped() {
    let mut t = T::new(config());
    for junk in [
        &b""[..],
        &[0xFF; 40][..],
        &[0u8; 19][..],
        &[0x40, 0x00, 0x00, 0x10][..],
    ] {
        assert!(t.send(udp(1), junk).is_empty());
    }
    // A response or an unknown indication from a client is ignored.
    let m = MessageBuilder::new(stun::BINDING, Class::Success, [1; 12]).finish(None, false);
    assert!(t.send(udp(1), &m).is_empty());
    let m = MessageBuilder::new(stun::DATA, Class::Indication, [1; 12]).finish(None, false);
    assert!(t.send(udp(1), &m).is_empty());
    // An unknown method gets 400.
    let m = MessageBuilder::new(0x00A, Class::Request, [1; 12]).finish(None, false);
    assert_eq!(code(&t.req(udp(1), &m)), Some(400));
    assert!(t.core.stats().malformed_total >= 3);
}

/// A production relay whose only non-public peer is the SFU's socket, with an allocation and a
/// permission (and channel 0x4000) for the SFU: `(t, codec, relay, sfu)`.
fn sfu_only() -> (T, ClientCodec, SocketAddr, SocketAddr) {
    let mut cfg = config();
    let sfu = peer("10.0.0.5:40000");
    cfg.policy = PeerPolicy {
        allowed_addrs: vec![sfu],
        ..Default::default()
    };
    let mut t = T::new(cfg);
    let mut c = codec("sfu-user");
    let relay = t.allocate(udp(1), &mut c);
    let resp = t.call(udp(1), &mut c, |c| c.create_permission(sfu));
    assert_eq!(code(&resp), None);
    let resp = t.call(udp(1), &mut c, |c| c.channel_bind(0x4000, sfu));
    assert_eq!(code(&resp), None);
    (t, c, relay, sfu)
}

#[test]
fn the_sfu_socket_is_reachable_both_ways() {
    let (mut t, mut c, relay, sfu) = sfu_only();
    let ind = c.send_indication(sfu, b"to sfu");
    assert_eq!(
        to_peer(&t.send(udp(1), &ind)),
        vec![(sfu, b"to sfu".to_vec())]
    );
    let cd = stun::encode_channel_data(0x4000, b"cd", false);
    assert_eq!(to_peer(&t.send(udp(1), &cd)), vec![(sfu, b"cd".to_vec())]);
    assert_eq!(
        to_client(&t.peer_data(relay, sfu, b"x")),
        vec![stun::encode_channel_data(0x4000, b"x", false)]
    );
    // Another port of the SFU's IP cannot send through the permission either.
    assert!(t.peer_data(relay, peer("10.0.0.5:6379"), b"x").is_empty());
    assert_eq!(t.core.stats().denied_peers_total, 0);
    assert_eq!(
        code(&t.call(udp(1), &mut c, |c| c.create_permission(peer("10.0.0.6:1")))),
        Some(403)
    );
}

#[test]
fn create_permission_to_another_port_of_the_sfu_ip_gets_403() {
    let (mut t, mut c, _, sfu) = sfu_only();
    let other_port = peer("10.0.0.5:6379");
    let resp = t.call(udp(1), &mut c, |c| c.create_permission(other_port));
    assert_eq!(code(&resp), Some(403));
    // One refused peer refuses the whole request.
    let (_, req) = c.request(stun::CREATE_PERMISSION, |b| {
        b.xor_addr(stun::ATTR_XOR_PEER_ADDRESS, sfu)
            .xor_addr(stun::ATTR_XOR_PEER_ADDRESS, other_port)
    });
    assert_eq!(code(&t.req(udp(1), &req)), Some(403));
    assert_eq!(t.core.stats().denied_peers_total, 2);
    // The SFU's own address still works.
    let resp = t.call(udp(1), &mut c, |c| c.create_permission(sfu));
    assert_eq!(code(&resp), None);
}

#[test]
fn channel_bind_to_another_port_of_the_sfu_ip_gets_403() {
    let (mut t, mut c, _, sfu) = sfu_only();
    let other_port = peer("10.0.0.5:6379");
    let resp = t.call(udp(1), &mut c, |c| c.channel_bind(0x4001, other_port));
    assert_eq!(code(&resp), Some(403));
    assert_eq!(t.core.stats().denied_peers_total, 1);
    // Nothing was bound: channel 0x4001 carries nothing and may still be bound to the SFU.
    let cd = stun::encode_channel_data(0x4001, b"x", false);
    assert!(t.send(udp(1), &cd).is_empty());
    let resp = t.call(udp(1), &mut c, |c| c.channel_bind(0x4000, sfu));
    assert_eq!(code(&resp), None);
}

#[test]
fn send_to_another_port_of_the_sfu_ip_is_refused() {
    let (mut t, mut c, _, sfu) = sfu_only();
    // The permission for the SFU's IP does not open its other ports: dropped, and counted
    // as refused by the policy (indications get no answer).
    let ind = c.send_indication(peer("10.0.0.5:6379"), b"to redis");
    assert!(t.send(udp(1), &ind).is_empty());
    assert_eq!(t.core.stats().denied_peers_total, 1);
    let ind = c.send_indication(sfu, b"to sfu");
    assert_eq!(to_peer(&t.send(udp(1), &ind)).len(), 1);
    assert_eq!(t.core.stats().denied_peers_total, 1);
}

#[test]
fn ipv6_peers_embedding_ipv4_are_refused_like_their_ipv4() {
    let mut cfg = config();
    cfg.relay_ip = "::1".parse().unwrap();
    cfg.policy = PeerPolicy::default();
    let mut t = T::new(cfg);
    let mut c = codec("v6");
    t.allocate(udp(1), &mut c);
    for p in [
        "[::127.0.0.1]:7000",
        "[::a00:1]:7000",
        "[::ffff:127.0.0.1]:7000",
        "[::ffff:0:a00:1]:7000",
        "[64:ff9b::7f00:1]:7000",
        "[64:ff9b:1::7f00:1]:7000",
        "[2002:7f00:1::1]:7000",
        "[2001:0:cb00:7109::80ff:fffe]:7000",
        "[2001:0:7f00:1::34ff:8efa]:7000",
    ] {
        let resp = t.call(udp(1), &mut c, |c| c.create_permission(peer(p)));
        assert_eq!(code(&resp), Some(403), "{p}");
        let resp = t.call(udp(1), &mut c, |c| c.channel_bind(0x4000, peer(p)));
        assert_eq!(code(&resp), Some(403), "{p}");
    }
    for p in [
        "[64:ff9b::203.0.113.5]:7000",
        "[2002:cb00:7105::1]:7000",
        "[2001:db8::1]:7000",
    ] {
        let resp = t.call(udp(1), &mut c, |c| c.create_permission(peer(p)));
        assert_eq!(code(&resp), None, "{p}");
    }
}

#[test]
fn an_allocation_relays_at_most_its_bandwidth_quota() {
    // 80 kbit/s: 10 000 bytes a second, both directions together.
    let mut t = T::new(CoreConfig {
        max_bps_per_allocation: 80_000,
        ..config()
    });
    let mut c = codec("quinn");
    let relay = t.allocate(udp(1), &mut c);
    let p = peer("127.0.0.1:7000");
    let resp = t.call(udp(1), &mut c, |c| c.create_permission(p));
    assert_eq!(code(&resp), None);
    let chunk = vec![0u8; 1000];
    // A second's worth passes at once (8 × client → peer, 2 × peer → client) …
    for _ in 0..8 {
        assert_eq!(
            to_peer(&t.send(udp(1), &c.send_indication(p, &chunk))).len(),
            1
        );
    }
    for _ in 0..2 {
        assert_eq!(to_client(&t.peer_data(relay, p, &chunk)).len(), 1);
    }
    // … then both directions are dropped and counted,
    assert!(t.send(udp(1), &c.send_indication(p, &chunk)).is_empty());
    assert!(t.peer_data(relay, p, &chunk).is_empty());
    assert_eq!(t.core.stats().over_quota_total, 2);
    // and another allocation has its own quota.
    let mut c2 = codec("rita");
    let relay2 = t.allocate(udp(2), &mut c2);
    let resp = t.call(udp(2), &mut c2, |c| c.create_permission(p));
    assert_eq!(code(&resp), None);
    assert_eq!(to_client(&t.peer_data(relay2, p, &chunk)).len(), 1);
    // The quota refills with time: half a second gives 5 000 bytes back.
    t.now += Duration::from_millis(500);
    for _ in 0..5 {
        assert_eq!(to_client(&t.peer_data(relay, p, &chunk)).len(), 1);
    }
    assert!(t.peer_data(relay, p, &chunk).is_empty());
}
