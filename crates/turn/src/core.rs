//! The relay's state machine, without I/O: client packets, peer packets and timeouts go in
//! (time passed in), packets to send and released relay sockets come out. The tokio shell
//! (`server.rs`) owns the sockets; tests drive this with a fake clock and a fake binder.

use crate::auth::{self, NonceCheck, Nonces};
use crate::policy::PeerPolicy;
use crate::stun::{self, Class, Message, MessageBuilder};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// Allocation lifetime when the client asks for none or for less (RFC 8656 §7.2).
pub const DEFAULT_LIFETIME_SECS: u32 = 600;
/// The longest lifetime granted; clients refresh before it ends.
pub const MAX_LIFETIME_SECS: u32 = 3600;
/// A permission lasts 300 s unless refreshed (RFC 8656 §9).
pub const PERMISSION_LIFETIME: Duration = Duration::from_secs(300);
/// A channel binding lasts 600 s unless refreshed (RFC 8656 §12).
pub const CHANNEL_LIFETIME: Duration = Duration::from_secs(600);
/// Default of [`CoreConfig::max_allocations`].
pub const DEFAULT_MAX_ALLOCATIONS: usize = 10_000;
/// Default of [`CoreConfig::max_allocations_per_user`].
pub const DEFAULT_MAX_ALLOCATIONS_PER_USER: usize = 64;
/// Default of [`CoreConfig::max_bps_per_allocation`]: 20 Mbit/s, several 1080p streams with
/// their audio, far more than one WebRTC peer sends.
pub const DEFAULT_MAX_BPS_PER_ALLOCATION: u64 = 20_000_000;
/// Peers one allocation may have permissions for.
pub const MAX_PERMISSIONS_PER_ALLOCATION: usize = 64;
/// Channels one allocation may bind.
pub const MAX_CHANNELS_PER_ALLOCATION: usize = 64;
/// Peer datagrams larger than this are dropped (they would not fit a Data indication).
pub const MAX_RELAY_PAYLOAD: usize = 0xFFFF - 64;
/// The SOFTWARE attribute of every response.
pub const SOFTWARE: &str = "liveroom";

/// What the allocation state machine needs to know.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// The REALM of the long-term credentials.
    pub realm: String,
    /// The REST shared secret that passwords are derived from.
    pub secret: String,
    /// Relay sockets are bound to this IP.
    pub relay_ip: IpAddr,
    /// Put in XOR-RELAYED-ADDRESS instead of the relay socket's own IP (needed when
    /// `relay_ip` is a wildcard address).
    pub advertised_relay_ip: Option<IpAddr>,
    /// Which peer addresses may be relayed to.
    pub policy: PeerPolicy,
    /// Allocations on the whole server.
    pub max_allocations: usize,
    /// Allocations of one username.
    pub max_allocations_per_user: usize,
    /// Relayed bits per second of one allocation, both directions together (coturn's
    /// `max-bps`); past it datagrams are dropped, as a congested path would. 0 = no limit.
    /// With `max_allocations_per_user` it bounds a user's bandwidth too.
    pub max_bps_per_allocation: u64,
    /// Keys the nonces (random per process).
    pub nonce_key: [u8; 16],
}

/// How a client reaches the server: UDP, or one TCP connection (by the shell's id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Conn {
    /// UDP from the listener socket.
    Udp,
    /// A TCP connection, by the shell's id for it.
    Tcp(u64),
}

/// A client's 5-tuple as far as this server is concerned (the local side is fixed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Client {
    /// The client's address.
    pub remote: SocketAddr,
    /// How it reaches the server.
    pub conn: Conn,
}

/// Binds a relay socket for a new allocation (on an even port when asked: EVEN-PORT);
/// returns its address and the shell's handle.
pub trait RelayBinder<R> {
    /// Binds a relay socket on `ip` (even port if `even_port`): its address and the handle.
    fn bind(&mut self, ip: IpAddr, even_port: bool) -> std::io::Result<(SocketAddr, R)>;
}

/// What the core asks its shell to do.
#[derive(Debug)]
pub enum Output<R> {
    /// Send to the client (over UDP from the listener socket, or on its TCP connection).
    ToClient {
        /// The client.
        client: Client,
        /// The bytes to send.
        data: Vec<u8>,
    },
    /// Send from the allocation's relay socket to a peer.
    ToPeer {
        /// The allocation's relay socket.
        relay: R,
        /// The peer.
        peer: SocketAddr,
        /// The datagram.
        data: Vec<u8>,
    },
    /// The allocation is gone: close its relay socket.
    Released {
        /// The allocation's client.
        client: Client,
        /// Its relay socket.
        relay: R,
    },
}

struct Channel {
    peer: SocketAddr,
    expires: Instant,
}

struct Allocation<R> {
    relay_addr: SocketAddr,
    relay: R,
    username: String,
    expires: Instant,
    permissions: HashMap<IpAddr, Instant>,
    channels: HashMap<u16, Channel>,
    channel_of_peer: HashMap<SocketAddr, u16>,
    /// The Allocate transaction and its answer, replayed on a retransmission.
    allocate_txid: [u8; 12],
    allocate_response: Vec<u8>,
    /// Bytes it may still relay now (refilled at `max_bps_per_allocation` / 8 a second, up to
    /// one second's worth).
    budget: f64,
    budget_at: Instant,
}

impl<R> Allocation<R> {
    /// Charges `len` relayed bytes to the bandwidth quota; false (drop it) when over it.
    fn spend(&mut self, len: usize, now: Instant, max_bps: u64) -> bool {
        if max_bps == 0 {
            return true;
        }
        let rate = max_bps as f64 / 8.0;
        let elapsed = now.saturating_duration_since(self.budget_at).as_secs_f64();
        self.budget = (self.budget + elapsed * rate).min(rate);
        self.budget_at = now;
        if self.budget < len as f64 {
            return false;
        }
        self.budget -= len as f64;
        true
    }

    fn permitted(&self, ip: IpAddr, now: Instant) -> bool {
        self.permissions.get(&ip).is_some_and(|e| *e > now)
    }
}

/// A request that passed the long-term credential check.
struct Auth {
    username: String,
    key: [u8; 16],
}

/// Counters for logs and metrics.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Allocations made.
    pub allocations_total: u64,
    /// Requests refused for bad or stale credentials.
    pub auth_failures_total: u64,
    /// Datagrams that were neither STUN nor ChannelData, or did not parse.
    pub malformed_total: u64,
    /// Permissions or sends refused by the peer policy.
    pub denied_peers_total: u64,
    /// Datagrams dropped because their allocation was over `max_bps_per_allocation`.
    pub over_quota_total: u64,
}

/// The TURN allocation state machine, sans I/O: bytes and time in, [`Output`]s out.
pub struct Core<R> {
    cfg: CoreConfig,
    nonces: Nonces,
    allocs: HashMap<Client, Allocation<R>>,
    by_relay: HashMap<SocketAddr, Client>,
    per_user: HashMap<String, usize>,
    base_instant: Instant,
    base_unix: u64,
    rng: u64,
    stats: Stats,
}

impl<R: Clone> Core<R> {
    /// `now` and `unix_secs` name the same moment: later instants are turned into unix time
    /// from them (credential expiry and nonces use unix seconds).
    pub fn new(cfg: CoreConfig, now: Instant, unix_secs: u64) -> Core<R> {
        let seed = cfg
            .nonce_key
            .iter()
            .fold(0x9E37_79B9_7F4A_7C15u64, |acc, b| {
                (acc ^ *b as u64).wrapping_mul(0x0100_0000_01B3)
            });
        Core {
            nonces: Nonces::new(cfg.nonce_key),
            cfg,
            allocs: HashMap::new(),
            by_relay: HashMap::new(),
            per_user: HashMap::new(),
            base_instant: now,
            base_unix: unix_secs,
            rng: seed | 1,
            stats: Stats::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &CoreConfig {
        &self.cfg
    }

    /// The peer policy, to change it at run time.
    pub fn policy_mut(&mut self) -> &mut PeerPolicy {
        &mut self.cfg.policy
    }

    /// Allocations alive.
    pub fn allocation_count(&self) -> usize {
        self.allocs.len()
    }

    /// Whether `client` has an allocation.
    pub fn has_allocation(&self, client: &Client) -> bool {
        self.allocs.contains_key(client)
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    fn unix(&self, now: Instant) -> u64 {
        self.base_unix + now.saturating_duration_since(self.base_instant).as_secs()
    }

    fn next_txid(&mut self) -> [u8; 12] {
        let mut out = [0u8; 12];
        for chunk in out.chunks_mut(4) {
            // xorshift64*: indications need unique-enough ids, not secret ones.
            self.rng ^= self.rng >> 12;
            self.rng ^= self.rng << 25;
            self.rng ^= self.rng >> 27;
            let v = (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32;
            chunk.copy_from_slice(&v.to_be_bytes());
        }
        out
    }

    /// A packet from a client (one datagram, or one framed message from a TCP connection).
    pub fn handle_client(
        &mut self,
        now: Instant,
        client: Client,
        data: &[u8],
        binder: &mut dyn RelayBinder<R>,
        out: &mut Vec<Output<R>>,
    ) {
        match data.first().map(|b| b >> 6) {
            Some(0) => self.handle_stun(now, client, data, binder, out),
            Some(1) => self.handle_channel_data(now, client, data, out),
            _ => self.stats.malformed_total += 1,
        }
    }

    fn handle_stun(
        &mut self,
        now: Instant,
        client: Client,
        data: &[u8],
        binder: &mut dyn RelayBinder<R>,
        out: &mut Vec<Output<R>>,
    ) {
        let Ok(msg) = Message::parse(data) else {
            self.stats.malformed_total += 1;
            return;
        };
        match msg.class {
            Class::Request => {
                let unknown = msg.unknown_required(stun::KNOWN_REQUIRED);
                let resp = if !unknown.is_empty() {
                    MessageBuilder::new(msg.method, Class::Error, msg.transaction_id)
                        .error(420)
                        .unknown_attributes(&unknown)
                        .attr(stun::ATTR_SOFTWARE, SOFTWARE.as_bytes())
                        .finish(None, msg.has_fingerprint())
                } else {
                    match msg.method {
                        stun::BINDING => self.binding(client, &msg),
                        stun::ALLOCATE => self.allocate(now, client, &msg, binder),
                        stun::REFRESH => self.refresh(now, client, &msg, out),
                        stun::CREATE_PERMISSION => self.create_permission(now, client, &msg),
                        stun::CHANNEL_BIND => self.channel_bind(now, client, &msg),
                        _ => error(&msg, 400, None),
                    }
                };
                out.push(Output::ToClient { client, data: resp });
            }
            Class::Indication if msg.method == stun::SEND => {
                self.send_indication(now, client, &msg, out)
            }
            // Other indications and any response from a client are ignored.
            _ => {}
        }
    }

    fn binding(&self, client: Client, msg: &Message) -> Vec<u8> {
        MessageBuilder::new(stun::BINDING, Class::Success, msg.transaction_id)
            .xor_addr(stun::ATTR_XOR_MAPPED_ADDRESS, client.remote)
            .attr(stun::ATTR_SOFTWARE, SOFTWARE.as_bytes())
            .finish(None, msg.has_fingerprint())
    }

    /// An error carrying REALM and a fresh NONCE (401, 438).
    fn challenge(&mut self, now: Instant, client: Client, msg: &Message, code: u16) -> Vec<u8> {
        self.stats.auth_failures_total += u64::from(code != 401 || msg.has_integrity());
        let nonce = self.nonces.make(self.unix(now), client.remote.ip());
        MessageBuilder::new(msg.method, Class::Error, msg.transaction_id)
            .error(code)
            .attr(stun::ATTR_REALM, self.cfg.realm.as_bytes())
            .attr(stun::ATTR_NONCE, nonce.as_bytes())
            .attr(stun::ATTR_SOFTWARE, SOFTWARE.as_bytes())
            .finish(None, msg.has_fingerprint())
    }

    /// The long-term credential mechanism (RFC 8489 §9.2) with REST usernames.
    fn authenticate(
        &mut self,
        now: Instant,
        client: Client,
        msg: &Message,
    ) -> Result<Auth, Vec<u8>> {
        if !msg.has_integrity() {
            return Err(self.challenge(now, client, msg, 401));
        }
        let (Some(username), Some(realm), Some(nonce)) = (
            msg.get_str(stun::ATTR_USERNAME),
            msg.get_str(stun::ATTR_REALM),
            msg.get_str(stun::ATTR_NONCE),
        ) else {
            self.stats.auth_failures_total += 1;
            return Err(error(msg, 400, None));
        };
        let unix = self.unix(now);
        if self.nonces.check(nonce, unix, client.remote.ip()) != NonceCheck::Valid {
            return Err(self.challenge(now, client, msg, 438));
        }
        if realm != self.cfg.realm {
            return Err(self.challenge(now, client, msg, 401));
        }
        match auth::rest_expiry(username) {
            Some(expiry) if expiry >= unix => {}
            _ => return Err(self.challenge(now, client, msg, 401)),
        }
        let password = auth::rest_password(&self.cfg.secret, username);
        let key = auth::long_term_key(username, realm, &password);
        if !msg.check_integrity(&key) {
            return Err(self.challenge(now, client, msg, 401));
        }
        if let Some(a) = self.allocs.get(&client) {
            if a.username != username {
                self.stats.auth_failures_total += 1;
                return Err(error(msg, 441, None));
            }
        }
        Ok(Auth {
            username: username.to_string(),
            key,
        })
    }

    fn allocate(
        &mut self,
        now: Instant,
        client: Client,
        msg: &Message,
        binder: &mut dyn RelayBinder<R>,
    ) -> Vec<u8> {
        if let Some(a) = self.allocs.get(&client) {
            if a.allocate_txid == msg.transaction_id {
                return a.allocate_response.clone();
            }
        }
        let auth = match self.authenticate(now, client, msg) {
            Ok(a) => a,
            Err(resp) => return resp,
        };
        let key = Some(&auth.key[..]);
        if self.allocs.contains_key(&client) {
            return error(msg, 437, key);
        }
        match msg.get(stun::ATTR_REQUESTED_TRANSPORT) {
            None => return error(msg, 400, key),
            Some(v) if v.len() != 4 => return error(msg, 400, key),
            Some(v) if v[0] != stun::TRANSPORT_UDP => return error(msg, 442, key),
            Some(_) => {}
        }
        if let Some(f) = msg.get(stun::ATTR_REQUESTED_ADDRESS_FAMILY) {
            let want_v6 = match f.first() {
                Some(&stun::FAMILY_IPV4) => false,
                Some(&stun::FAMILY_IPV6) => true,
                _ => return error(msg, 400, key),
            };
            if want_v6 != self.cfg.relay_ip.is_ipv6() {
                return error(msg, 440, key);
            }
        }
        if self.allocs.len() >= self.cfg.max_allocations {
            return error(msg, 508, key);
        }
        let user = auth::rest_user(&auth.username).to_string();
        if self.per_user.get(&user).copied().unwrap_or(0) >= self.cfg.max_allocations_per_user {
            return error(msg, 486, key);
        }
        // EVEN-PORT is honoured; its R bit (reserve the next port too) is not, so no
        // RESERVATION-TOKEN is returned (RFC 8656 lets a server decline reservations).
        let even_port = msg.get(stun::ATTR_EVEN_PORT).is_some();
        let (relay_addr, relay) = match binder.bind(self.cfg.relay_ip, even_port) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "turn: cannot bind a relay socket");
                return error(msg, 508, key);
            }
        };
        let lifetime = granted_lifetime(msg.get_u32(stun::ATTR_LIFETIME));
        let advertised = SocketAddr::new(
            self.cfg.advertised_relay_ip.unwrap_or(relay_addr.ip()),
            relay_addr.port(),
        );
        let resp = MessageBuilder::new(stun::ALLOCATE, Class::Success, msg.transaction_id)
            .xor_addr(stun::ATTR_XOR_RELAYED_ADDRESS, advertised)
            .u32(stun::ATTR_LIFETIME, lifetime)
            .xor_addr(stun::ATTR_XOR_MAPPED_ADDRESS, client.remote)
            .attr(stun::ATTR_SOFTWARE, SOFTWARE.as_bytes())
            .finish(key, msg.has_fingerprint());
        *self.per_user.entry(user).or_insert(0) += 1;
        self.by_relay.insert(relay_addr, client);
        self.stats.allocations_total += 1;
        tracing::debug!(client = %client.remote, conn = ?client.conn, relay = %relay_addr, username = %auth.username, lifetime, "turn: allocated");
        self.allocs.insert(
            client,
            Allocation {
                relay_addr,
                relay,
                username: auth.username,
                expires: now + Duration::from_secs(lifetime.into()),
                permissions: HashMap::new(),
                channels: HashMap::new(),
                channel_of_peer: HashMap::new(),
                allocate_txid: msg.transaction_id,
                allocate_response: resp.clone(),
                budget: self.cfg.max_bps_per_allocation as f64 / 8.0,
                budget_at: now,
            },
        );
        resp
    }

    fn refresh(
        &mut self,
        now: Instant,
        client: Client,
        msg: &Message,
        out: &mut Vec<Output<R>>,
    ) -> Vec<u8> {
        let auth = match self.authenticate(now, client, msg) {
            Ok(a) => a,
            Err(resp) => return resp,
        };
        let key = Some(&auth.key[..]);
        let Some(alloc) = self.allocs.get_mut(&client) else {
            return error(msg, 437, key);
        };
        let lifetime = match msg.get_u32(stun::ATTR_LIFETIME) {
            Some(0) => 0,
            requested => granted_lifetime(requested),
        };
        if lifetime == 0 {
            if let Some(o) = self.remove(client) {
                out.push(o);
            }
        } else {
            alloc.expires = now + Duration::from_secs(lifetime.into());
        }
        MessageBuilder::new(stun::REFRESH, Class::Success, msg.transaction_id)
            .u32(stun::ATTR_LIFETIME, lifetime)
            .attr(stun::ATTR_SOFTWARE, SOFTWARE.as_bytes())
            .finish(key, msg.has_fingerprint())
    }

    /// Checks a peer address against the relay's family and the policy: the error code if refused.
    /// The whole address is checked, port included: a permission covers every port of an IP,
    /// but a peer allowed on one port only (the SFU's socket) is refused on its other ports
    /// rather than granted a permission that would relay nothing.
    fn check_peer(&mut self, relay: SocketAddr, peer: SocketAddr) -> Result<(), u16> {
        if relay.is_ipv4() != peer.is_ipv4() {
            return Err(443);
        }
        if !self.cfg.policy.permits(peer) {
            self.stats.denied_peers_total += 1;
            tracing::debug!(peer = %peer, "turn: peer refused by policy");
            return Err(403);
        }
        Ok(())
    }

    /// The request's credentials and its client's allocation's relayed address; Err is the
    /// error answer (401/438 from authentication, 437 without an allocation).
    fn authenticated_allocation(
        &mut self,
        now: Instant,
        client: Client,
        msg: &Message,
    ) -> Result<(Auth, SocketAddr), Vec<u8>> {
        let auth = self.authenticate(now, client, msg)?;
        match self.allocs.get(&client).map(|a| a.relay_addr) {
            Some(relay_addr) => Ok((auth, relay_addr)),
            None => Err(error(msg, 437, Some(&auth.key[..]))),
        }
    }

    fn create_permission(&mut self, now: Instant, client: Client, msg: &Message) -> Vec<u8> {
        let (auth, relay_addr) = match self.authenticated_allocation(now, client, msg) {
            Ok(a) => a,
            Err(resp) => return resp,
        };
        let key = Some(&auth.key[..]);
        let peers: Option<Vec<SocketAddr>> = msg
            .get_all(stun::ATTR_XOR_PEER_ADDRESS)
            .map(|v| stun::decode_xor_addr(v, &msg.transaction_id))
            .collect();
        let peers = match peers {
            Some(p) if !p.is_empty() => p,
            _ => return error(msg, 400, key),
        };
        for p in &peers {
            if let Err(code) = self.check_peer(relay_addr, *p) {
                return error(msg, code, key);
            }
        }
        let alloc = self.allocs.get_mut(&client).expect("checked above");
        let mut new_ips: Vec<IpAddr> = peers
            .iter()
            .map(|p| p.ip())
            .filter(|ip| !alloc.permissions.contains_key(ip))
            .collect();
        new_ips.dedup();
        if alloc.permissions.len() + new_ips.len() > MAX_PERMISSIONS_PER_ALLOCATION {
            return error(msg, 508, key);
        }
        for p in &peers {
            alloc.permissions.insert(p.ip(), now + PERMISSION_LIFETIME);
        }
        success(msg, key)
    }

    fn channel_bind(&mut self, now: Instant, client: Client, msg: &Message) -> Vec<u8> {
        let (auth, relay_addr) = match self.authenticated_allocation(now, client, msg) {
            Ok(a) => a,
            Err(resp) => return resp,
        };
        let key = Some(&auth.key[..]);
        let channel = match msg.get(stun::ATTR_CHANNEL_NUMBER) {
            Some(v) if v.len() == 4 => u16::from_be_bytes([v[0], v[1]]),
            _ => return error(msg, 400, key),
        };
        if !(stun::MIN_CHANNEL..=stun::MAX_CHANNEL).contains(&channel) {
            return error(msg, 400, key);
        }
        let Some(peer) = msg.get_xor_addr(stun::ATTR_XOR_PEER_ADDRESS) else {
            return error(msg, 400, key);
        };
        if let Err(code) = self.check_peer(relay_addr, peer) {
            return error(msg, code, key);
        }
        let alloc = self.allocs.get_mut(&client).expect("checked above");
        if alloc.channels.get(&channel).is_some_and(|c| c.peer != peer) {
            return error(msg, 400, key);
        }
        if alloc
            .channel_of_peer
            .get(&peer)
            .is_some_and(|c| *c != channel)
        {
            return error(msg, 400, key);
        }
        if !alloc.channels.contains_key(&channel)
            && alloc.channels.len() >= MAX_CHANNELS_PER_ALLOCATION
        {
            return error(msg, 508, key);
        }
        if !alloc.permissions.contains_key(&peer.ip())
            && alloc.permissions.len() >= MAX_PERMISSIONS_PER_ALLOCATION
        {
            return error(msg, 508, key);
        }
        alloc.channels.insert(
            channel,
            Channel {
                peer,
                expires: now + CHANNEL_LIFETIME,
            },
        );
        alloc.channel_of_peer.insert(peer, channel);
        alloc
            .permissions
            .insert(peer.ip(), now + PERMISSION_LIFETIME);
        success(msg, key)
    }

    fn send_indication(
        &mut self,
        now: Instant,
        client: Client,
        msg: &Message,
        out: &mut Vec<Output<R>>,
    ) {
        let max_bps = self.cfg.max_bps_per_allocation;
        let Some(alloc) = self.allocs.get_mut(&client) else {
            return;
        };
        let (Some(peer), Some(data)) = (
            msg.get_xor_addr(stun::ATTR_XOR_PEER_ADDRESS),
            msg.get(stun::ATTR_DATA),
        ) else {
            return;
        };
        if !alloc.permitted(peer.ip(), now) {
            return;
        }
        if !self.cfg.policy.permits(peer) {
            // E.g. another port of the SFU's IP: indications get no answer, so it is counted.
            self.stats.denied_peers_total += 1;
            tracing::debug!(peer = %peer, "turn: Send to a peer refused by policy");
            return;
        }
        if !alloc.spend(data.len(), now, max_bps) {
            self.stats.over_quota_total += 1;
            return;
        }
        out.push(Output::ToPeer {
            relay: alloc.relay.clone(),
            peer,
            data: data.to_vec(),
        });
    }

    fn handle_channel_data(
        &mut self,
        now: Instant,
        client: Client,
        data: &[u8],
        out: &mut Vec<Output<R>>,
    ) {
        let Some((channel, payload)) = stun::parse_channel_data(data) else {
            self.stats.malformed_total += 1;
            return;
        };
        let max_bps = self.cfg.max_bps_per_allocation;
        let Some(alloc) = self.allocs.get_mut(&client) else {
            return;
        };
        let Some(ch) = alloc.channels.get(&channel) else {
            return;
        };
        let peer = ch.peer;
        if ch.expires > now && alloc.permitted(peer.ip(), now) && self.cfg.policy.permits(peer) {
            if !alloc.spend(payload.len(), now, max_bps) {
                self.stats.over_quota_total += 1;
                return;
            }
            out.push(Output::ToPeer {
                relay: alloc.relay.clone(),
                peer,
                data: payload.to_vec(),
            });
        }
    }

    /// A datagram that arrived on the relay socket bound to `relay_addr` from `peer`.
    pub fn handle_peer(
        &mut self,
        now: Instant,
        relay_addr: SocketAddr,
        peer: SocketAddr,
        data: &[u8],
        out: &mut Vec<Output<R>>,
    ) {
        if data.len() > MAX_RELAY_PAYLOAD {
            return;
        }
        let Some(client) = self.by_relay.get(&relay_addr).copied() else {
            return;
        };
        let max_bps = self.cfg.max_bps_per_allocation;
        let Some(alloc) = self.allocs.get_mut(&client) else {
            return;
        };
        if !alloc.permitted(peer.ip(), now) || !self.cfg.policy.permits(peer) {
            return;
        }
        if !alloc.spend(data.len(), now, max_bps) {
            self.stats.over_quota_total += 1;
            return;
        }
        let channel = alloc
            .channel_of_peer
            .get(&peer)
            .copied()
            .filter(|c| alloc.channels.get(c).is_some_and(|ch| ch.expires > now));
        let msg = match channel {
            Some(c) => stun::encode_channel_data(c, data, matches!(client.conn, Conn::Tcp(_))),
            None => {
                let txid = self.next_txid();
                MessageBuilder::new(stun::DATA, Class::Indication, txid)
                    .xor_addr(stun::ATTR_XOR_PEER_ADDRESS, peer)
                    .attr(stun::ATTR_DATA, data)
                    .finish(None, false)
            }
        };
        out.push(Output::ToClient { client, data: msg });
    }

    /// The client's TCP connection closed: its allocation goes with it.
    pub fn client_closed(&mut self, client: Client, out: &mut Vec<Output<R>>) {
        if let Some(o) = self.remove(client) {
            out.push(o);
        }
    }

    /// Expires allocations, permissions and channels. Call about once a second.
    pub fn handle_timeout(&mut self, now: Instant, out: &mut Vec<Output<R>>) {
        let expired: Vec<Client> = self
            .allocs
            .iter()
            .filter(|(_, a)| a.expires <= now)
            .map(|(c, _)| *c)
            .collect();
        for c in expired {
            tracing::debug!(client = %c.remote, "turn: allocation expired");
            if let Some(o) = self.remove(c) {
                out.push(o);
            }
        }
        for a in self.allocs.values_mut() {
            a.permissions.retain(|_, e| *e > now);
            let before = a.channels.len();
            a.channels.retain(|_, c| c.expires > now);
            if a.channels.len() != before {
                let channels = &a.channels;
                a.channel_of_peer.retain(|_, n| channels.contains_key(n));
            }
        }
    }

    /// Removes every allocation (shutdown).
    pub fn clear(&mut self, out: &mut Vec<Output<R>>) {
        let all: Vec<Client> = self.allocs.keys().copied().collect();
        for c in all {
            if let Some(o) = self.remove(c) {
                out.push(o);
            }
        }
    }

    fn remove(&mut self, client: Client) -> Option<Output<R>> {
        let a = self.allocs.remove(&client)?;
        self.by_relay.remove(&a.relay_addr);
        let user = auth::rest_user(&a.username);
        if let Some(n) = self.per_user.get_mut(user) {
            *n -= 1;
            if *n == 0 {
                self.per_user.remove(user);
            }
        }
        Some(Output::Released {
            client,
            relay: a.relay,
        })
    }
}

/// RFC 8656 §7.2: `max(default, min(requested, max))`.
fn granted_lifetime(requested: Option<u32>) -> u32 {
    match requested {
        None => DEFAULT_LIFETIME_SECS,
        Some(l) => l.clamp(DEFAULT_LIFETIME_SECS, MAX_LIFETIME_SECS),
    }
}

fn error(msg: &Message, code: u16, key: Option<&[u8]>) -> Vec<u8> {
    MessageBuilder::new(msg.method, Class::Error, msg.transaction_id)
        .error(code)
        .attr(stun::ATTR_SOFTWARE, SOFTWARE.as_bytes())
        .finish(key, msg.has_fingerprint())
}

fn success(msg: &Message, key: Option<&[u8]>) -> Vec<u8> {
    MessageBuilder::new(msg.method, Class::Success, msg.transaction_id)
        .attr(stun::ATTR_SOFTWARE, SOFTWARE.as_bytes())
        .finish(key, msg.has_fingerprint())
}

#[cfg(test)]
mod tests;
