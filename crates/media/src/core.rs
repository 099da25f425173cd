//! The SFU's state machine, without I/O: every peer, stream, tap and injected source, the
//! forwarding between them and their timers. Datagrams, commands and timeouts go in, each with
//! the time it happened; datagrams to send, events for the peers' sessions and the next
//! deadline come out. The tokio shell (`worker.rs`) owns the UDP socket and the clock; the
//! tests (`core/tests.rs`) drive this with a fake clock and real str0m clients in memory.
//!
//! ```text
//!   shell (worker.rs)                              Core
//!   socket.recv_from  ──▶ handle_datagram(now, from, bytes)
//!   SfuHandle's cmds  ──▶ handle_command(now, SfuCmd)
//!   sleep_until(poll_timeout()) ──▶ handle_timeout(now)
//!   socket.send_to    ◀── poll_transmit()  (Transmit { destination, contents })
//!   per-peer channels ◀── poll_event()     (CoreEvent: Opened / Peer / Gone)
//! ```
//!
//! What each file owns:
//! - `core.rs` (this file): the [`Core`] type, its entry points and queues, the streams map.
//! - `core/peers.rs`: opening and closing peers, demultiplexing datagrams (ICE ufrag, then
//!   remote address), draining each str0m `Rtc` and turning its events into work.
//! - `core/forwarding.rs`: publisher → player RTP forwarding, the cached group of pictures
//!   replayed to joiners, key-frame requests and their rate limit.
//! - `core/taps.rs`: taps (internal consumers) and injected sources (internal publishers).
//! - `core/timers.rs`: each peer's str0m deadline and its connect deadline, in ordered sets.
//! - `core/mirrors.rs`: a stream spread over several workers (the SFU runs one core per
//!   worker thread): players placed on other workers, the source's packets relayed to them.
//!
//! Channels: the core never writes to a peer's event channel: a peer's events come out of
//! [`Core::poll_event`], and the sender given in [`SfuCmd::Open`] is handed back in
//! [`CoreEvent::Opened`] for the shell to route them (the core decides nothing on whether a
//! session keeps up). Replies to commands are answered in place on their oneshot senders:
//! answering a oneshot is not I/O, it cannot block, and it keeps [`SfuCmd`] the one command
//! type of the crate. Taps and injected sources keep their channels in the core, because their
//! back-pressure is part of the forwarding decisions (a tap that falls behind waits for a key
//! frame and has one asked for; an injected source has at most one key-frame request pending).

mod forwarding;
mod mirrors;
mod peers;
mod taps;
mod timers;

#[cfg(test)]
mod tests;

use crate::internal::{InjectId, Injected, Tap};
use crate::peer::Peer;
use crate::{AvStatus, PeerEvent, PeerId, Role, SfuCmd, SfuStats, StreamKey};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use str0m::config::DtlsCert;
use str0m::Event;
use tokio::sync::mpsc;

pub use mirrors::{home_worker, Relay, MAX_WORKERS, PLAYERS_BEFORE_SPREAD};

/// A publisher (or an injected source) is asked for a key frame at most this often.
pub const KEYFRAME_REQUEST_MIN_INTERVAL: Duration = Duration::from_millis(100);

/// A datagram for the shell to send from the SFU's socket.
#[derive(Debug)]
pub struct Transmit {
    /// Where it goes.
    pub destination: SocketAddr,
    /// The datagram.
    pub contents: Vec<u8>,
}

/// What the core tells its shell about peers, in the order it happened.
#[derive(Debug)]
pub enum CoreEvent {
    /// A peer was created from [`SfuCmd::Open`]: its events go to `events` (the sender the
    /// command carried). Comes before any [`CoreEvent::Peer`] of that peer.
    Opened(PeerId, mpsc::Sender<PeerEvent>),
    /// An event for a peer's signalling session.
    Peer(PeerId, PeerEvent),
    /// The peer is gone: nothing more comes for it (the shell forgets its route).
    Gone(PeerId),
}

/// The meeting point of a stream's source and its consumers.
#[derive(Default)]
struct Stream {
    publisher: Option<PeerId>,
    /// Whose the publisher is (the app's id_name): only the same user may replace it.
    publisher_owner: String,
    /// A source inside the server (a mix output) instead of a publishing peer.
    injected: Option<InjectId>,
    players: Vec<PeerId>,
    taps: Vec<Tap>,
    status: AvStatus,
    /// On the stream's home worker: the other workers that hold players of it (each gets
    /// every packet once, see `core/mirrors.rs`).
    mirrors: Vec<usize>,
    /// On another worker: the stream's packets come from its home worker.
    mirror: Option<mirrors::MirrorSource>,
    /// On the home worker: players placed on each other worker since it subscribed (the
    /// next one goes where the fewest are, this worker's own players counted).
    placed: Vec<usize>,
}

impl Stream {
    fn unused(&self) -> bool {
        self.publisher.is_none()
            && self.injected.is_none()
            && self.players.is_empty()
            && self.taps.is_empty()
            && self.mirrors.is_empty()
    }
}

/// The SFU without I/O; see the module doc.
pub struct Core {
    /// The socket's bound address.
    local: SocketAddr,
    /// The addresses put in ICE candidates.
    candidates: Vec<SocketAddr>,
    /// A peer not connected this long after its creation is dropped.
    connect_timeout: Duration,
    peers: HashMap<PeerId, Peer>,
    by_ufrag: HashMap<String, PeerId>,
    by_addr: HashMap<SocketAddr, PeerId>,
    streams: HashMap<StreamKey, Stream>,
    injected: HashMap<InjectId, Injected>,
    /// Each peer's str0m deadline.
    rtc_timers: BTreeSet<(Instant, PeerId)>,
    /// Each not yet connected peer's connect deadline.
    connect_timers: BTreeSet<(Instant, PeerId)>,
    /// Events of drained peers, handled after the drain (they touch other peers).
    queue: VecDeque<(PeerId, Event)>,
    /// Peers whose `Rtc` died without a `Closed` event, closed after the drain.
    dead: Vec<PeerId>,
    /// Datagrams for the shell to send.
    transmits: VecDeque<Transmit>,
    /// Events for the shell to route.
    events: VecDeque<CoreEvent>,
    next_id: PeerId,
    stats: SfuStats,
    dtls_cert: Option<DtlsCert>,
    /// The time of the input being handled (set by every entry point).
    now: Instant,
    /// This core's worker and how many workers the SFU has (ids are `k * workers + worker`).
    worker: usize,
    workers: usize,
    /// Messages for other workers' cores (placed players, relayed packets).
    relays: VecDeque<(usize, Relay)>,
}

impl Core {
    /// A core for a socket bound at `local` that advertises `candidates`; `now` is the
    /// shell's clock at start.
    pub fn new(
        local: SocketAddr,
        candidates: Vec<SocketAddr>,
        connect_timeout: Duration,
        now: Instant,
    ) -> Core {
        let dtls_cert = str0m::crypto::from_feature_flags()
            .dtls_provider
            .generate_certificate();
        if dtls_cert.is_none() {
            tracing::warn!("cannot make the shared DTLS certificate; peers make their own");
        }
        Core {
            local,
            candidates,
            connect_timeout,
            peers: HashMap::new(),
            by_ufrag: HashMap::new(),
            by_addr: HashMap::new(),
            streams: HashMap::new(),
            injected: HashMap::new(),
            rtc_timers: BTreeSet::new(),
            connect_timers: BTreeSet::new(),
            queue: VecDeque::new(),
            dead: Vec::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            next_id: 1,
            stats: SfuStats::default(),
            dtls_cert,
            now,
            worker: 0,
            workers: 1,
            relays: VecDeque::new(),
        }
    }

    /// Makes this the core of worker `worker` of `workers` (the default: the only one). Its
    /// ids are `worker` modulo `workers`, so an id names its worker.
    pub fn on_worker(mut self, worker: usize, workers: usize) -> Core {
        assert!(worker < workers && workers <= MAX_WORKERS);
        self.worker = worker;
        self.workers = workers;
        self.next_id = workers as u64 + worker as u64;
        self
    }

    /// The worker whose core owns `id` (a peer, tap or injected source).
    pub fn worker_of(id: u64, workers: usize) -> usize {
        (id % workers as u64) as usize
    }

    /// A datagram arrived on the socket from `from`.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        self.now = now;
        self.on_datagram(from, bytes);
    }

    /// Time passed: runs every deadline up to `now` (peers' str0m timers, connect deadlines).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        self.on_timeout();
    }

    /// A command of an [`crate::SfuHandle`]; replies are answered on the command's oneshot.
    pub fn handle_command(&mut self, now: Instant, cmd: SfuCmd) {
        self.now = now;
        match cmd {
            SfuCmd::Open {
                key,
                role,
                owner,
                offer,
                events,
                reply,
            } => {
                if let Some(w) = self.placement(&key, role) {
                    // A big stream: this player goes to another worker (it answers).
                    let cmd = SfuCmd::Open {
                        key,
                        role,
                        owner,
                        offer,
                        events,
                        reply,
                    };
                    self.relays.push_back((w, Relay::Open(cmd)));
                    return;
                }
                let r = self.open(key, role, owner, &offer, events);
                let _ = reply.send(r);
            }
            SfuCmd::Close { peer } => self.close_peer(peer, true),
            SfuCmd::SetStatus { peer, status } => self.set_status(peer, status),
            SfuCmd::Tap { key, tx, reply } => {
                let _ = reply.send(self.tap(key, tx));
            }
            SfuCmd::Untap { key, id } => self.untap(&key, id),
            SfuCmd::Inject {
                key,
                tracks,
                keyframes,
                reply,
            } => {
                let _ = reply.send(self.inject(key, tracks, keyframes));
            }
            SfuCmd::InjectRtp { id, pkt } => self.inject_rtp(id, pkt),
            SfuCmd::Uninject { id } => self.uninject(id),
            SfuCmd::RequestKeyframe { key } => self.request_source_keyframe(&key),
            SfuCmd::Published { key, reply } => {
                let s = self.streams.get(&key);
                let _ =
                    reply.send(s.is_some_and(|s| s.publisher.is_some() || s.injected.is_some()));
            }
            SfuCmd::Usage { key, reply } => {
                let s = self.streams.get(&key);
                let _ = reply.send(crate::StreamUsage {
                    published: s.is_some_and(|s| s.publisher.is_some()),
                    injected: s.is_some_and(|s| s.injected.is_some()),
                    consumers: s.map_or(0, |s| s.players.len() + s.taps.len() + s.mirrors.len()),
                });
            }
            SfuCmd::Stats { reply } => {
                let _ = reply.send(self.stats());
            }
        }
        // Drains the commands caused (key-frame requests, forwarded injected packets) may
        // have left events.
        self.process_queue();
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// A message from another worker's core (see [`Relay`]).
    pub fn handle_relay(&mut self, now: Instant, relay: Relay) {
        self.now = now;
        self.on_relay(relay);
        self.process_queue();
    }

    /// The next message for another worker's core: (its worker, the message).
    pub fn poll_relay(&mut self) -> Option<(usize, Relay)> {
        self.relays.pop_front()
    }

    /// The next event for the shell.
    pub fn poll_event(&mut self) -> Option<CoreEvent> {
        self.events.pop_front()
    }

    /// When [`Core::handle_timeout`] is due next (None: nothing is scheduled).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_deadline()
    }

    /// The shell could not send a datagram it took from [`Core::poll_transmit`].
    pub fn send_failed(&mut self) {
        self.stats.dropped_datagrams += 1;
    }

    /// The counters, with the current numbers of peers, taps and injected sources.
    pub fn stats(&self) -> SfuStats {
        let mut s = self.stats.clone();
        s.peers = self.peers.len();
        s.publishers = self
            .peers
            .values()
            .filter(|p| p.role == Role::Publish)
            .count();
        s.players = s.peers - s.publishers;
        s.taps = self.streams.values().map(|st| st.taps.len()).sum();
        s.injected = self.injected.len();
        s
    }

    /// Queues an event for a peer's session (if the peer still exists).
    fn emit(&mut self, id: PeerId, e: PeerEvent) {
        if self.peers.contains_key(&id) {
            self.events.push_back(CoreEvent::Peer(id, e));
        }
    }

    /// A new id for a peer, tap or injected source (one sequence for all).
    fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += self.workers as u64;
        id
    }
}
