//! Test plumbing: a [`Net`] of one [`Core`] per worker (one unless a test asks for more) and real str0m clients (RTP mode, not ICE-lite,
//! as a browser is), their datagrams passed between them in memory, and a fake clock that only
//! moves when a test advances it.

use super::super::{Core, CoreEvent};
use crate::codecs;
use crate::{Opened, PeerEvent, PeerId, Role, SfuCmd, SfuStats, StreamKey};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use str0m::change::SdpAnswer;
use str0m::format::Codec;
use str0m::media::{Direction, KeyframeRequest, MediaKind, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{RtpPacket, RtpWrite};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::sync::{mpsc, oneshot};

/// The SFU's address (bound and advertised).
pub const SFU: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1)),
    3478,
);
/// The connect timeout the tests' core has.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How far the clock moves per step while a test lets time pass.
const STEP: Duration = Duration::from_millis(10);

/// A stream of app 1.
pub fn key(stream: &str) -> StreamKey {
    StreamKey {
        appid: 1,
        stream_id: stream.into(),
    }
}

/// One browser-like client: a str0m `Rtc` at its own address, and what it received.
pub struct Client {
    pub rtc: Rtc,
    pub addr: SocketAddr,
    /// The core's id of this client's peer.
    pub peer: PeerId,
    pub video_mid: Mid,
    /// Its str0m deadline.
    deadline: Instant,
    /// Set once its `Rtc` reported `Connected`.
    pub connected: bool,
    /// RTP packets received (players).
    pub rtp: Vec<RtpPacket>,
    /// Key-frame requests received (publishers).
    pub keyframe_requests: Vec<KeyframeRequest>,
    /// Whether the client still takes datagrams (false once it went away).
    online: bool,
}

impl Client {
    /// Polls the client's `Rtc` until it wants a timeout: its datagrams go to `out`, its
    /// events are kept.
    fn drain(&mut self, out: &mut Vec<(SocketAddr, Vec<u8>)>) {
        loop {
            match self.rtc.poll_output().expect("client output") {
                Output::Timeout(t) => {
                    self.deadline = t;
                    return;
                }
                Output::Transmit(t) => out.push((t.source, t.contents.into())),
                Output::Event(Event::Connected) => self.connected = true,
                Output::Event(Event::RtpPacket(p)) => self.rtp.push(p),
                Output::Event(Event::KeyframeRequest(r)) => self.keyframe_requests.push(r),
                Output::Event(_) => {}
            }
        }
    }
}

/// The cores (one per worker), their clients and the fake clock.
pub struct Net {
    pub cores: Vec<Core>,
    pub now: Instant,
    pub clients: Vec<Client>,
    /// Events the core emitted for peers' sessions, in order.
    pub events: Vec<(PeerId, PeerEvent)>,
    /// Peers the core reported gone.
    pub gone: Vec<PeerId>,
}

impl Net {
    pub fn new() -> Net {
        Net::with_workers(1)
    }

    /// A net whose SFU has `n` workers, each its own core (messages between them carried as
    /// the shells carry them).
    pub fn with_workers(n: usize) -> Net {
        let now = Instant::now();
        Net {
            cores: (0..n)
                .map(|w| Core::new(SFU, vec![SFU], CONNECT_TIMEOUT, now).on_worker(w, n))
                .collect(),
            now,
            clients: Vec::new(),
            events: Vec::new(),
            gone: Vec::new(),
        }
    }

    /// A client that offers to publish (send-only audio and video) or play (receive-only)
    /// `stream` as user `owner`; answered by the core, not connected yet. Its index.
    pub fn open(&mut self, stream: &str, role: Role, owner: &str) -> usize {
        self.open_client(stream, role, owner, true)
    }

    /// A client that gets its answer and then never sends a datagram (its network is gone).
    pub fn open_offline(&mut self, stream: &str, role: Role, owner: &str) -> usize {
        self.open_client(stream, role, owner, false)
    }

    fn open_client(&mut self, stream: &str, role: Role, owner: &str, online: bool) -> usize {
        let n = self.clients.len();
        let addr: SocketAddr = format!("198.51.100.{}:{}", n + 10, 50_000 + n)
            .parse()
            .unwrap();
        let mut rtc = codecs::rtc_config().set_ice_lite(false).build(self.now);
        rtc.add_local_candidate(Candidate::host(addr, "udp").unwrap());
        let dir = match role {
            Role::Publish => Direction::SendOnly,
            Role::Play => Direction::RecvOnly,
        };
        let mut api = rtc.sdp_api();
        api.add_media(MediaKind::Audio, dir, None, None, None);
        let video_mid = api.add_media(MediaKind::Video, dir, None, None, None);
        let (offer, pending) = api.apply().expect("an offer");
        let opened = self
            .command_open(key(stream), role, owner, offer.to_sdp_string())
            .expect("the core answers");
        let answer = SdpAnswer::from_sdp_string(&opened.answer).expect("an answer that parses");
        rtc.sdp_api()
            .accept_answer(pending, answer)
            .expect("the answer is accepted");
        self.clients.push(Client {
            rtc,
            addr,
            peer: opened.peer,
            video_mid,
            deadline: self.now,
            connected: false,
            rtp: Vec::new(),
            keyframe_requests: Vec::new(),
            online,
        });
        self.pump();
        n
    }

    /// [`SfuCmd::Open`] through the core: its answer.
    pub fn command_open(
        &mut self,
        key: StreamKey,
        role: Role,
        owner: &str,
        offer: String,
    ) -> Result<Opened, crate::MediaError> {
        let (events, _) = mpsc::channel(1);
        let (reply, mut rx) = oneshot::channel();
        self.command(SfuCmd::Open {
            key,
            role,
            owner: owner.into(),
            offer,
            events,
            reply,
        });
        rx.try_recv().expect("answered in place")
    }

    /// Hands a command to the core an `SfuHandle` sends it to (the stream's home worker, or
    /// the worker the id names) and moves what it caused.
    pub fn command(&mut self, cmd: SfuCmd) {
        let n = self.cores.len();
        let w = match &cmd {
            SfuCmd::Open { key, .. }
            | SfuCmd::Tap { key, .. }
            | SfuCmd::Untap { key, .. }
            | SfuCmd::Inject { key, .. }
            | SfuCmd::RequestKeyframe { key }
            | SfuCmd::Published { key, .. }
            | SfuCmd::Usage { key, .. } => crate::core::home_worker(key, n),
            SfuCmd::Close { peer } | SfuCmd::SetStatus { peer, .. } => Core::worker_of(*peer, n),
            SfuCmd::InjectRtp { id, .. } | SfuCmd::Uninject { id } => Core::worker_of(*id, n),
            SfuCmd::Stats { .. } => 0,
        };
        self.cores[w].handle_command(self.now, cmd);
        self.pump();
    }

    /// The counters of every core, summed, through [`SfuCmd::Stats`].
    pub fn stats(&mut self) -> SfuStats {
        let mut sum = SfuStats::default();
        for w in 0..self.cores.len() {
            let (reply, mut rx) = oneshot::channel();
            self.cores[w].handle_command(self.now, SfuCmd::Stats { reply });
            sum.add(&rx.try_recv().unwrap());
        }
        self.pump();
        sum
    }

    /// Whether the core says `stream` has a source, through [`SfuCmd::Published`].
    pub fn published(&mut self, stream: &str) -> bool {
        let (reply, mut rx) = oneshot::channel();
        self.command(SfuCmd::Published {
            key: key(stream),
            reply,
        });
        rx.try_recv().unwrap()
    }

    /// Lets `d` pass in steps, running every deadline of the core (when its `poll_timeout`
    /// says) and of the clients.
    pub fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            self.now = (self.now + STEP).min(end);
            // A client's clock ticks as a browser's does (str0m sends what was written on it).
            for c in self.clients.iter_mut().filter(|c| c.online) {
                c.rtc.handle_input(Input::Timeout(self.now)).unwrap();
            }
            self.pump();
        }
    }

    /// Lets time pass until the clients `ids` and their peers in the core are connected.
    pub fn connect(&mut self, ids: &[usize]) {
        for _ in 0..500 {
            let done = ids.iter().all(|&i| {
                let peer = self.clients[i].peer;
                self.clients[i].connected
                    && self.events.contains(&(peer, PeerEvent::Connected(peer)))
            });
            if done {
                return;
            }
            self.advance(STEP);
        }
        panic!("clients {ids:?} did not connect");
    }

    /// Runs what is due at `now` on every side (the core when its `poll_timeout` says, as the
    /// shell does) and passes datagrams between the clients and the core until nothing moves,
    /// collecting what each side reports.
    pub fn pump(&mut self) {
        // Datagrams of the clients on their way to the cores.
        let mut to_core: Vec<(SocketAddr, Vec<u8>)> = Vec::new();
        let n = self.cores.len();
        for _ in 0..10_000 {
            let mut moved = false;
            for (from, d) in to_core.drain(..) {
                // Worker 0's router sends a client's datagrams to the worker of its peer.
                let w = self
                    .clients
                    .iter()
                    .find(|c| c.addr == from)
                    .map_or(0, |c| Core::worker_of(c.peer, n));
                self.cores[w].handle_datagram(self.now, from, &d);
                moved = true;
            }
            for core in &mut self.cores {
                if core.poll_timeout().is_some_and(|t| t <= self.now) {
                    core.handle_timeout(self.now);
                    moved = true;
                }
            }
            let mut relays = Vec::new();
            for core in &mut self.cores {
                while let Some(r) = core.poll_relay() {
                    relays.push(r);
                }
            }
            for (w, r) in relays {
                self.cores[w].handle_relay(self.now, r);
                moved = true;
            }
            for c in self.clients.iter_mut().filter(|c| c.online) {
                if c.deadline <= self.now {
                    c.rtc.handle_input(Input::Timeout(self.now)).unwrap();
                    moved = true;
                }
                c.drain(&mut to_core);
            }
            let mut transmits = Vec::new();
            for core in &mut self.cores {
                while let Some(t) = core.poll_transmit() {
                    transmits.push(t);
                }
            }
            for t in transmits {
                let Some(c) = self
                    .clients
                    .iter_mut()
                    .find(|c| c.online && c.addr == t.destination)
                else {
                    continue;
                };
                let r = Receive::new(Protocol::Udp, SFU, t.destination, &t.contents).unwrap();
                // A client may refuse a datagram (as a browser would): not the test's business.
                let _ = c.rtc.handle_input(Input::Receive(self.now, r));
                // str0m wants its output drained after every input.
                c.drain(&mut to_core);
                moved = true;
            }
            for core in &mut self.cores {
                while let Some(e) = core.poll_event() {
                    match e {
                        CoreEvent::Opened(..) => {}
                        CoreEvent::Peer(peer, e) => self.events.push((peer, e)),
                        CoreEvent::Gone(peer) => self.gone.push(peer),
                    }
                }
            }
            if !moved && to_core.is_empty() {
                return;
            }
        }
        panic!("datagrams kept moving");
    }

    /// A publisher client sends one H.264 video packet (an IDR slice if `keyframe`, else a
    /// non-IDR slice) with payload `[nal, tag]`; then one step of time passes (str0m sends what
    /// was written when its clock moves, and real packets are apart).
    pub fn send_video(&mut self, i: usize, seq: u64, time: u32, keyframe: bool, tag: u8) {
        let now = self.now;
        let c = &mut self.clients[i];
        let pt = h264_pt(&c.rtc);
        let mut api = c.rtc.direct_api();
        let tx = api
            .stream_tx_by_mid(c.video_mid, None)
            .expect("the publisher's video stream");
        let nal = if keyframe { 0x65 } else { 0x41 };
        let payload: Arc<[u8]> = Arc::from(vec![nal, tag]);
        tx.write_rtp(RtpWrite::new(pt, seq.into(), time, now, payload).marker(true));
        self.advance(STEP);
    }

    /// The tags of the video a client received, in order.
    pub fn received_tags(&self, i: usize) -> Vec<u8> {
        self.clients[i]
            .rtp
            .iter()
            .filter(|p| p.payload.len() == 2)
            .map(|p| p.payload[1])
            .collect()
    }

    /// The events the core emitted for `peer`.
    pub fn events_of(&self, peer: PeerId) -> Vec<PeerEvent> {
        self.events
            .iter()
            .filter(|(p, _)| *p == peer)
            .map(|(_, e)| e.clone())
            .collect()
    }
}

/// The payload type of H.264 (packetization mode 1) in a client's negotiation.
fn h264_pt(rtc: &Rtc) -> Pt {
    rtc.codec_config()
        .params()
        .iter()
        .find(|p| p.spec().codec == Codec::H264)
        .expect("H.264 negotiated")
        .pt()
}
