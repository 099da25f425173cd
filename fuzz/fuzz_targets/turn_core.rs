//! The TURN core's datagram handling, driven like the server's tokio shell drives it: packets
//! from four clients (UDP and TCP, raw bytes or requests built with valid long-term
//! credentials and fuzzed attributes, so the fuzzer gets past MESSAGE-INTEGRITY), datagrams
//! from peers to the relay sockets, time passing, TCP connections closing. Whatever the core
//! sends must parse (STUN or ChannelData), and the allocation limits must hold.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use liveroom_turn::client::ClientCodec;
use liveroom_turn::core::{Client, Conn, Core, CoreConfig, Output, RelayBinder};
use liveroom_turn::stun::{self, Message};
use liveroom_turn::PeerPolicy;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

const SECRET: &str = "fuzz-secret";
const UNIX0: u64 = 1_700_000_000;
const MAX_ALLOCATIONS: usize = 6;
const MAX_PER_USER: usize = 2;

#[derive(Arbitrary, Debug)]
struct Peer {
    kind: u8,
    raw: [u8; 16],
    port: u16,
}

impl Peer {
    fn addr(&self) -> SocketAddr {
        let r = self.raw;
        let ip = match self.kind % 6 {
            0 => IpAddr::V4(Ipv4Addr::new(r[0], r[1], r[2], r[3])),
            1 => IpAddr::V6(Ipv6Addr::from(r)),
            2 => IpAddr::V4(Ipv4Addr::new(203, 0, 113, r[0] % 4)),
            3 => IpAddr::V4(Ipv4Addr::LOCALHOST),
            4 => IpAddr::V4(Ipv4Addr::new(10, 0, 0, r[0] % 4)),
            _ => IpAddr::V6(Ipv4Addr::new(203, 0, 113, r[0] % 4).to_ipv6_mapped()),
        };
        SocketAddr::new(ip, self.port)
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// Any bytes from a client.
    Raw {
        client: u8,
        data: Vec<u8>,
    },
    /// A request with credentials (once learnt) and fuzzed attributes.
    Request {
        client: u8,
        method: u16,
        attrs: Vec<(u16, Vec<u8>)>,
    },
    Allocate {
        client: u8,
    },
    Refresh {
        client: u8,
        lifetime: u32,
    },
    Permission {
        client: u8,
        peer: Peer,
    },
    ChannelBind {
        client: u8,
        channel: u16,
        peer: Peer,
    },
    Send {
        client: u8,
        peer: Peer,
        data: Vec<u8>,
    },
    ChannelData {
        client: u8,
        channel: u16,
        data: Vec<u8>,
    },
    /// A datagram from a peer to one of the relay sockets.
    FromPeer {
        relay: u8,
        peer: Peer,
        data: Vec<u8>,
    },
    Advance {
        secs: u16,
    },
    Closed {
        client: u8,
    },
    Binder {
        fail: bool,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    permissive: bool,
    ops: Vec<Op>,
}

#[derive(Default)]
struct Binder {
    next: u16,
    fail: bool,
    bound: Vec<SocketAddr>,
}

impl RelayBinder<u16> for Binder {
    fn bind(&mut self, ip: IpAddr, even_port: bool) -> std::io::Result<(SocketAddr, u16)> {
        if self.fail {
            return Err(std::io::Error::other("no ports"));
        }
        self.next = self.next.wrapping_add(if even_port { 2 } else { 1 });
        let addr = SocketAddr::new(ip, 40_000u16.wrapping_add(self.next));
        self.bound.push(addr);
        Ok((addr, self.next))
    }
}

struct Harness {
    core: Core<u16>,
    binder: Binder,
    now: Instant,
    clients: Vec<(Client, ClientCodec)>,
    released: usize,
    allocated: usize,
}

impl Harness {
    fn new(permissive: bool) -> Harness {
        let now = Instant::now();
        let cfg = CoreConfig {
            realm: "liveroom".into(),
            secret: SECRET.into(),
            relay_ip: "192.0.2.1".parse().unwrap(),
            advertised_relay_ip: None,
            policy: if permissive {
                PeerPolicy::permissive()
            } else {
                PeerPolicy::default()
            },
            max_allocations: MAX_ALLOCATIONS,
            max_allocations_per_user: MAX_PER_USER,
            // Small enough that the inputs reach the quota's drop path.
            max_bps_per_allocation: if permissive { 0 } else { 64_000 },
            nonce_key: [3; 16],
        };
        let codec = |user: &str, ttl: u64, good: bool| {
            let (u, p) = liveroom_turn::rest_credentials(SECRET, user, ttl, UNIX0);
            ClientCodec::new(&u, if good { &p } else { "wrong" })
        };
        let ip: IpAddr = "198.51.100.7".parse().unwrap();
        let client = |port, conn| Client {
            remote: SocketAddr::new(ip, port),
            conn,
        };
        Harness {
            core: Core::new(cfg, now, UNIX0),
            binder: Binder::default(),
            now,
            clients: vec![
                (client(5000, Conn::Udp), codec("alice", 3600, true)),
                (client(5001, Conn::Udp), codec("alice", 3600, true)),
                (client(5002, Conn::Tcp(1)), codec("bob", 60, true)),
                (client(5003, Conn::Udp), codec("eve", 3600, false)),
            ],
            released: 0,
            allocated: 0,
        }
    }

    /// Sends `data` from client `i`; returns whether an answer asked to retry with the
    /// credentials just learnt (401/438).
    fn send(&mut self, i: usize, data: &[u8]) -> bool {
        let client = self.clients[i].0;
        let before = self.core.allocation_count();
        let mut out = Vec::new();
        self.core
            .handle_client(self.now, client, data, &mut self.binder, &mut out);
        self.allocated += self.core.allocation_count().saturating_sub(before);
        self.outputs(out)
    }

    fn outputs(&mut self, out: Vec<Output<u16>>) -> bool {
        let mut retry = false;
        for o in out {
            match o {
                Output::ToClient { client, data } => {
                    if data.first().is_some_and(|b| b >> 6 == 1) {
                        assert!(
                            stun::parse_channel_data(&data).is_some(),
                            "bad ChannelData sent"
                        );
                        continue;
                    }
                    let msg = Message::parse(&data).expect("the core sends valid STUN");
                    if let Some((_, codec)) = self.clients.iter_mut().find(|(c, _)| *c == client) {
                        retry |= codec.learn(&msg);
                    }
                }
                Output::ToPeer { .. } => {}
                Output::Released { .. } => self.released += 1,
            }
        }
        assert!(self.core.allocation_count() <= MAX_ALLOCATIONS);
        retry
    }

    /// A request built by `make`, sent again once if the answer was a credential challenge.
    fn call(&mut self, i: usize, make: impl Fn(&mut ClientCodec) -> Vec<u8>) {
        let req = make(&mut self.clients[i].1);
        if self.send(i, &req) {
            let req = make(&mut self.clients[i].1);
            self.send(i, &req);
        }
    }
}

fn attr_type(t: u16) -> u16 {
    // Mostly attributes the core reads, sometimes anything.
    const KNOWN: &[u16] = &[
        stun::ATTR_LIFETIME,
        stun::ATTR_XOR_PEER_ADDRESS,
        stun::ATTR_DATA,
        stun::ATTR_CHANNEL_NUMBER,
        stun::ATTR_REQUESTED_TRANSPORT,
        stun::ATTR_REQUESTED_ADDRESS_FAMILY,
        stun::ATTR_EVEN_PORT,
        stun::ATTR_DONT_FRAGMENT,
        stun::ATTR_RESERVATION_TOKEN,
        stun::ATTR_SOFTWARE,
        stun::ATTR_USERNAME,
        stun::ATTR_REALM,
        stun::ATTR_NONCE,
    ];
    if t & 0x8000 != 0 {
        t & 0x7FFF
    } else {
        KNOWN[t as usize % KNOWN.len()]
    }
}

fuzz_target!(|input: Input| {
    let mut h = Harness::new(input.permissive);
    for op in input.ops.iter().take(64) {
        let n = h.clients.len();
        match op {
            Op::Raw { client, data } => {
                h.send(*client as usize % n, data);
            }
            Op::Request {
                client,
                method,
                attrs,
            } => {
                let method = method & 0x0FFF;
                h.call(*client as usize % n, |c| {
                    c.request(method, |mut b| {
                        for (t, v) in attrs.iter().take(16) {
                            b = b.attr(attr_type(*t), &v[..v.len().min(1024)]);
                        }
                        b
                    })
                    .1
                });
            }
            Op::Allocate { client } => h.call(*client as usize % n, |c| c.allocate().1),
            Op::Refresh { client, lifetime } => {
                h.call(*client as usize % n, |c| c.refresh(*lifetime).1)
            }
            Op::Permission { client, peer } => {
                h.call(*client as usize % n, |c| c.create_permission(peer.addr()).1)
            }
            Op::ChannelBind {
                client,
                channel,
                peer,
            } => h.call(*client as usize % n, |c| {
                c.channel_bind(*channel, peer.addr()).1
            }),
            Op::Send { client, peer, data } => {
                let i = *client as usize % n;
                let msg = h.clients[i].1.send_indication(peer.addr(), data);
                h.send(i, &msg);
            }
            Op::ChannelData {
                client,
                channel,
                data,
            } => {
                let i = *client as usize % n;
                let tcp = matches!(h.clients[i].0.conn, Conn::Tcp(_));
                let d = &data[..data.len().min(0xFFFF)];
                h.send(i, &stun::encode_channel_data(*channel, d, tcp));
            }
            Op::FromPeer { relay, peer, data } => {
                let relay_addr = match h.binder.bound.len() {
                    0 => SocketAddr::new("192.0.2.1".parse().unwrap(), 40_001),
                    k => h.binder.bound[*relay as usize % k],
                };
                let mut out = Vec::new();
                h.core
                    .handle_peer(h.now, relay_addr, peer.addr(), data, &mut out);
                h.outputs(out);
            }
            Op::Advance { secs } => {
                h.now += Duration::from_secs(u64::from(*secs));
                let mut out = Vec::new();
                h.core.handle_timeout(h.now, &mut out);
                h.outputs(out);
            }
            Op::Closed { client } => {
                let c = h.clients[*client as usize % n].0;
                let mut out = Vec::new();
                h.core.client_closed(c, &mut out);
                h.outputs(out);
            }
            Op::Binder { fail } => h.binder.fail = *fail,
        }
    }
    let mut out = Vec::new();
    h.core.clear(&mut out);
    h.outputs(out);
    assert_eq!(h.core.allocation_count(), 0);
    assert!(
        h.released <= h.allocated,
        "released more allocations than were made"
    );
});
