//! The SFU worker: owns every peer, the UDP socket's traffic, the timers and the forwarding.
//!
//! Per received packet the work is: find the peer (ufrag or address map lookup), feed its
//! `Rtc`, drain it; for a publisher's RTP, write a copy into each player of that stream and
//! drain that player. Nothing per packet grows with anything but the number of receivers of
//! that packet: timers live in an ordered set, streams in a map.

use crate::codecs;
use crate::forward::{Fwd, TrackOut};
use crate::internal::{
    InjectId, InjectPacket, InjectTracks, Injected, MediaCodec, SourceKinds, Tap, TapId, TapPacket,
};
use crate::keyframe::is_keyframe_start;
use crate::nominate;
use crate::offer;
use crate::peer::{OutTrack, Peer};
use crate::{AvStatus, MediaError, Opened, PeerEvent, PeerId, Role, SfuCmd, SfuStats, StreamKey};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use str0m::change::SdpOffer;
use str0m::config::DtlsCert;
use str0m::format::PayloadParams;
use str0m::ice::{IceCreds, StunMessage};
use str0m::media::{KeyframeRequestKind, MediaKind, Pt};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{ExtensionValues, RtpPacket, RtpWrite};
use str0m::{Candidate, Event, IceConnectionState, Input, Output};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Largest datagram read.
const MAX_DATAGRAM: usize = 2048;
/// Datagrams read per wake-up before looking at commands and timers again.
const READ_BATCH: usize = 64;
/// A publisher is asked for a key frame at most this often.
const KEYFRAME_REQUEST_MIN_INTERVAL: Duration = Duration::from_millis(100);
/// How often the worker looks for peers that never connected.
const HOUSEKEEPING: Duration = Duration::from_secs(1);

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
}

impl Stream {
    fn unused(&self) -> bool {
        self.publisher.is_none()
            && self.injected.is_none()
            && self.players.is_empty()
            && self.taps.is_empty()
    }
}

struct Worker {
    socket: Arc<UdpSocket>,
    local: SocketAddr,
    candidates: Vec<SocketAddr>,
    connect_timeout: Duration,
    peers: HashMap<PeerId, Peer>,
    by_ufrag: HashMap<String, PeerId>,
    by_addr: HashMap<SocketAddr, PeerId>,
    streams: HashMap<StreamKey, Stream>,
    injected: HashMap<InjectId, Injected>,
    timers: BTreeSet<(Instant, PeerId)>,
    /// Events of drained peers, handled after the drain (they touch other peers).
    queue: VecDeque<(PeerId, Event)>,
    next_id: PeerId,
    stats: SfuStats,
    dtls_cert: Option<DtlsCert>,
}

pub async fn run(
    socket: UdpSocket,
    local: SocketAddr,
    candidates: Vec<SocketAddr>,
    connect_timeout: Duration,
    mut rx: mpsc::Receiver<SfuCmd>,
) {
    let socket = Arc::new(socket);
    let mut w = Worker {
        socket: socket.clone(),
        local,
        candidates,
        connect_timeout,
        peers: HashMap::new(),
        by_ufrag: HashMap::new(),
        by_addr: HashMap::new(),
        streams: HashMap::new(),
        injected: HashMap::new(),
        timers: BTreeSet::new(),
        queue: VecDeque::new(),
        next_id: 1,
        stats: SfuStats::default(),
        dtls_cert: match str0m::crypto::from_feature_flags()
            .dtls_provider
            .generate_certificate()
        {
            Some(c) => Some(c),
            None => {
                tracing::warn!("cannot make the shared DTLS certificate; peers make their own");
                None
            }
        },
    };
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut housekeeping = tokio::time::interval(HOUSEKEEPING);
    tracing::info!(addr = %local, "media worker started");
    loop {
        let next = w.timers.first().map(|(t, _)| *t);
        tokio::select! {
            r = socket.recv_from(&mut buf) => {
                match r {
                    Ok((n, src)) => w.on_datagram(src, &buf[..n]),
                    Err(e) => tracing::debug!(error = %e, "udp receive error"),
                }
                for _ in 0..READ_BATCH {
                    match socket.try_recv_from(&mut buf) {
                        Ok((n, src)) => w.on_datagram(src, &buf[..n]),
                        Err(_) => break,
                    }
                }
            }
            cmd = rx.recv() => match cmd {
                Some(cmd) => w.on_cmd(cmd),
                None => break,
            },
            _ = sleep_until(next) => w.on_timers(Instant::now()),
            _ = housekeeping.tick() => w.housekeeping(Instant::now()),
        }
    }
    tracing::info!("media worker stopped");
}

async fn sleep_until(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}

impl Worker {
    fn on_cmd(&mut self, cmd: SfuCmd) {
        match cmd {
            SfuCmd::Open {
                key,
                role,
                owner,
                offer,
                events,
                reply,
            } => {
                let r = self.open(key, role, owner, &offer, events);
                let _ = reply.send(r);
            }
            SfuCmd::Close { peer } => self.close(peer),
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
            SfuCmd::Stats { reply } => {
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
                let _ = reply.send(s);
            }
        }
    }

    fn open(
        &mut self,
        key: StreamKey,
        role: Role,
        owner: String,
        offer: &str,
        events: mpsc::Sender<PeerEvent>,
    ) -> Result<Opened, MediaError> {
        let now = Instant::now();
        if role == Role::Publish {
            if let Some(s) = self.streams.get(&key) {
                if s.injected.is_some() {
                    return Err(MediaError::PublishedInside);
                }
                // A publisher is replaced only by its own user (a reconnect), never taken over.
                if s.publisher.is_some() && s.publisher_owner != owner {
                    tracing::warn!(appid = key.appid, stream = %key.stream_id, owner = %s.publisher_owner, refused = %owner, "second publisher of a live stream refused");
                    return Err(MediaError::StreamTaken);
                }
            }
        }
        let offer = match role {
            Role::Play => {
                SdpOffer::from_sdp_string(&offer::with_shared_msid(offer, &key.stream_id))
            }
            Role::Publish => SdpOffer::from_sdp_string(offer),
        }
        .map_err(|e| MediaError::BadOffer(e.to_string()))?;
        let creds = IceCreds::new();
        let (ufrag, pwd) = (creds.ufrag.clone(), creds.pass.clone());
        let mut config = codecs::rtc_config().set_local_ice_credentials(creds);
        if let Some(cert) = &self.dtls_cert {
            // One certificate for every peer: generating a key pair per offer costs more than
            // the rest of the answer.
            config = config.set_dtls_cert(cert.clone());
        }
        let mut rtc = config.build(now);
        let mut candidates = Vec::new();
        for addr in &self.candidates {
            let c = Candidate::host(*addr, "udp").map_err(|e| MediaError::Candidate {
                addr: *addr,
                reason: e.to_string(),
            })?;
            candidates.push(candidate_line(&c.to_sdp_string()));
            rtc.add_local_candidate(c);
        }
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| MediaError::Answer(e.to_string()))?;
        let id = self.next_id;
        self.next_id += 1;
        let peer = Peer::new(id, key.clone(), role, rtc, ufrag.clone(), pwd, events, now);
        self.peers.insert(id, peer);
        self.by_ufrag.insert(ufrag, id);
        let stream = self.streams.entry(key.clone()).or_default();
        match role {
            Role::Publish => {
                stream.publisher_owner = owner;
                if let Some(old) = stream.publisher.replace(id) {
                    tracing::info!(appid = key.appid, stream = %key.stream_id, old, new = id, "publisher replaced");
                    self.close_peer(old, false);
                }
            }
            Role::Play => {
                stream.players.push(id);
                let status = stream.status;
                if let Some(p) = self.peers.get(&id) {
                    p.emit(PeerEvent::StreamStatus(id, status));
                }
            }
        }
        self.drain(id);
        self.process_queue();
        tracing::info!(appid = key.appid, stream = %key.stream_id, peer = id, ?role, "media peer opened");
        Ok(Opened {
            peer: id,
            answer: answer.to_sdp_string(),
            candidates,
        })
    }

    fn close(&mut self, id: PeerId) {
        self.close_peer(id, true);
    }

    fn close_peer(&mut self, id: PeerId, remove_from_stream: bool) {
        let Some(mut p) = self.peers.remove(&id) else {
            return;
        };
        p.rtc.disconnect();
        self.by_ufrag.remove(&p.ufrag);
        for a in &p.addrs {
            self.by_addr.remove(a);
        }
        if let Some(d) = p.deadline {
            self.timers.remove(&(d, id));
        }
        if remove_from_stream {
            if let Some(s) = self.streams.get_mut(&p.key) {
                match p.role {
                    Role::Publish if s.publisher == Some(id) => s.publisher = None,
                    Role::Play => s.players.retain(|x| *x != id),
                    _ => {}
                }
                if s.unused() {
                    self.streams.remove(&p.key);
                }
            }
        }
        tracing::info!(appid = p.key.appid, stream = %p.key.stream_id, peer = id, "media peer closed");
    }

    fn set_status(&mut self, id: PeerId, status: AvStatus) {
        let Some(p) = self.peers.get(&id) else { return };
        if p.role != Role::Publish {
            return;
        }
        let Some(s) = self.streams.get_mut(&p.key) else {
            return;
        };
        if s.publisher != Some(id) || s.status == status {
            s.status = status;
            return;
        }
        s.status = status;
        for pid in &s.players {
            if let Some(pl) = self.peers.get(pid) {
                pl.emit(PeerEvent::StreamStatus(*pid, status));
            }
        }
    }

    fn on_datagram(&mut self, src: SocketAddr, data: &[u8]) {
        self.stats.rx_packets += 1;
        self.stats.rx_bytes += data.len() as u64;
        let id = match self.by_addr.get(&src) {
            Some(id) => *id,
            None => {
                // A new address: only an ICE check naming one of our ufrags may introduce it.
                let found = StunMessage::parse(data)
                    .ok()
                    .and_then(|m| m.split_username().map(|(local, _)| local.to_string()))
                    .and_then(|u| self.by_ufrag.get(&u).copied());
                match found {
                    Some(id) => id,
                    None => {
                        self.stats.dropped_datagrams += 1;
                        return;
                    }
                }
            }
        };
        // Early nomination (see nominate.rs): the first authenticated check of a peer counts
        // as its nomination, so its DTLS handshake is answered at once.
        let renominated = match self.peers.get_mut(&id) {
            Some(p) if !p.nominated => {
                let r = nominate::with_use_candidate(data, &p.ice_pwd);
                p.nominated = r.is_some();
                r
            }
            _ => None,
        };
        let data = renominated.as_deref().unwrap_or(data);
        let Ok(recv) = Receive::new(Protocol::Udp, src, self.destination(), data) else {
            self.stats.dropped_datagrams += 1;
            return;
        };
        let Some(p) = self.peers.get_mut(&id) else {
            return;
        };
        let input = Input::Receive(Instant::now(), recv);
        if !p.rtc.accepts(&input) {
            self.stats.dropped_datagrams += 1;
            return;
        }
        if let Err(e) = p.rtc.handle_input(input) {
            tracing::debug!(peer = id, error = %e, "peer rejected input");
        }
        if p.addrs.is_empty() {
            tracing::debug!(peer = id, after_ms = p.created.elapsed().as_millis() as u64, %src, "first datagram after offer");
        }
        if !p.addrs.contains(&src) {
            p.addrs.push(src);
            self.by_addr.insert(src, id);
        }
        self.drain(id);
        self.process_queue();
    }

    /// The local address datagrams arrive at, as the peer's candidates know it.
    fn destination(&self) -> SocketAddr {
        self.candidates.first().copied().unwrap_or(self.local)
    }

    fn on_timers(&mut self, now: Instant) {
        while let Some(&(t, id)) = self.timers.first() {
            if t > now {
                break;
            }
            self.timers.remove(&(t, id));
            if let Some(p) = self.peers.get_mut(&id) {
                p.deadline = None;
                if let Err(e) = p.rtc.handle_input(Input::Timeout(now)) {
                    tracing::debug!(peer = id, error = %e, "timeout input failed");
                }
                self.drain(id);
            }
        }
        self.process_queue();
    }

    fn housekeeping(&mut self, now: Instant) {
        let stale: Vec<PeerId> = self
            .peers
            .values()
            .filter(|p| {
                (!p.connected && now.duration_since(p.created) > self.connect_timeout)
                    || !p.rtc.is_alive()
            })
            .map(|p| p.id)
            .collect();
        for id in stale {
            if let Some(p) = self.peers.get(&id) {
                tracing::info!(peer = id, connected = p.connected, "media peer timed out");
                p.emit(PeerEvent::Closed(id));
            }
            self.close_peer(id, true);
        }
    }

    /// Polls a peer until it wants a timeout: sends its datagrams, queues its events.
    fn drain(&mut self, id: PeerId) {
        let Some(p) = self.peers.get_mut(&id) else {
            return;
        };
        loop {
            match p.rtc.poll_output() {
                Ok(Output::Timeout(t)) => {
                    if p.deadline != Some(t) {
                        if let Some(old) = p.deadline.take() {
                            self.timers.remove(&(old, id));
                        }
                        p.deadline = Some(t);
                        self.timers.insert((t, id));
                    }
                    break;
                }
                Ok(Output::Transmit(t)) => {
                    self.stats.tx_packets += 1;
                    self.stats.tx_bytes += t.contents.len() as u64;
                    if self.socket.try_send_to(&t.contents, t.destination).is_err() {
                        self.stats.dropped_datagrams += 1;
                    }
                }
                Ok(Output::Event(e)) => self.queue.push_back((id, e)),
                Err(e) => {
                    tracing::warn!(peer = id, error = %e, "peer failed");
                    break;
                }
            }
        }
    }

    fn process_queue(&mut self) {
        while let Some((id, e)) = self.queue.pop_front() {
            self.on_event(id, e);
        }
    }

    fn on_event(&mut self, id: PeerId, e: Event) {
        match e {
            Event::RtpPacket(pkt) => self.forward(id, pkt),
            Event::Connected => self.on_connected(id),
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                if let Some(p) = self.peers.get(&id) {
                    if p.connected {
                        p.emit(PeerEvent::Disconnected(id));
                    }
                }
            }
            Event::MediaAdded(m) => {
                let Some(p) = self.peers.get_mut(&id) else {
                    return;
                };
                if p.role == Role::Publish {
                    match m.kind {
                        MediaKind::Video => p.video_mids.push(m.mid),
                        MediaKind::Audio => p.has_audio = true,
                    }
                }
                if p.role == Role::Play && p.out_track(m.kind).is_none() {
                    // A player's video starts at a key frame, whenever it connects.
                    let mut track = TrackOut::default();
                    track.waiting_keyframe = m.kind == MediaKind::Video;
                    let out = OutTrack {
                        mid: m.mid,
                        ssrc: None,
                        track,
                    };
                    match m.kind {
                        MediaKind::Audio => p.audio_out = Some(out),
                        MediaKind::Video => p.video_out = Some(out),
                    }
                    // str0m may report the media after the connection: start the video now.
                    if m.kind == MediaKind::Video && p.connected {
                        self.start_player_video(id);
                    }
                }
            }
            Event::KeyframeRequest(r) => {
                tracing::debug!(peer = id, kind = ?r.kind, "keyframe request from player");
                if let Some(key) = self.peers.get(&id).map(|p| p.key.clone()) {
                    self.request_source_keyframe(&key);
                }
            }
            Event::Closed => {
                if let Some(p) = self.peers.get(&id) {
                    p.emit(PeerEvent::Closed(id));
                }
                self.close_peer(id, true);
            }
            _ => {}
        }
    }

    fn on_connected(&mut self, id: PeerId) {
        let Some(p) = self.peers.get_mut(&id) else {
            return;
        };
        p.connected = true;
        p.emit(PeerEvent::Connected(id));
        tracing::debug!(
            peer = id,
            after_ms = p.created.elapsed().as_millis() as u64,
            "connected after offer"
        );
        match p.role {
            Role::Play => {
                if let Some(v) = p.video_out.as_mut() {
                    v.track.waiting_keyframe = true;
                }
                tracing::debug!(peer = id, "player connected");
                if p.video_out.is_some() {
                    self.start_player_video(id);
                }
            }
            Role::Publish => tracing::debug!(peer = id, "publisher connected"),
        }
    }

    /// A player's video can flow (connected, video track known): it gets the publisher's
    /// cached group of pictures at once, and the publisher is asked for a fresh key frame,
    /// which keeps the cached group short for the next joiner.
    fn start_player_video(&mut self, player: PeerId) {
        let key = match self.peers.get(&player) {
            Some(p) => p.key.clone(),
            None => return,
        };
        if let Some((src, packets)) = self.source_gop(&key) {
            for fwd in &packets {
                if self.write_to_player(player, &src, fwd) != Write::Written {
                    break;
                }
            }
            self.stats.gop_replays += 1;
        }
        self.request_source_keyframe(&key);
    }

    /// The current group of pictures of a stream's source (publisher or injected).
    fn source_gop(&self, key: &StreamKey) -> Option<(PayloadParams, Vec<Fwd>)> {
        let s = self.streams.get(key)?;
        if let Some(p) = s.publisher.and_then(|id| self.peers.get(&id)) {
            return p.gop.snapshot();
        }
        s.injected
            .and_then(|id| self.injected.get(&id))
            .and_then(|i| i.gop.snapshot())
    }

    /// Asks a stream's source for a key frame, whichever kind it is.
    fn request_source_keyframe(&mut self, key: &StreamKey) {
        let Some(s) = self.streams.get(key) else {
            return;
        };
        if let Some(p) = s.publisher {
            self.request_keyframe(p);
        } else if let Some(i) = s.injected.and_then(|id| self.injected.get_mut(&id)) {
            let now = Instant::now();
            if i.last_keyframe_request
                .is_some_and(|t| now.duration_since(t) < KEYFRAME_REQUEST_MIN_INTERVAL)
            {
                return;
            }
            i.last_keyframe_request = Some(now);
            self.stats.keyframe_requests += 1;
            // Full: a request is already pending.
            let _ = i.keyframes.try_send(());
        }
    }

    /// The kinds of track a stream's source negotiated (both when it has none yet).
    fn source_kinds(&self, key: &StreamKey) -> SourceKinds {
        let Some(s) = self.streams.get(key) else {
            return SourceKinds::default();
        };
        if let Some(p) = s.publisher.and_then(|id| self.peers.get(&id)) {
            return SourceKinds {
                audio: p.has_audio,
                video: !p.video_mids.is_empty(),
            };
        }
        match s.injected.and_then(|id| self.injected.get(&id)) {
            Some(i) => SourceKinds {
                audio: i.audio.is_some(),
                video: i.video.is_some(),
            },
            None => SourceKinds::default(),
        }
    }

    fn tap(&mut self, key: StreamKey, tx: mpsc::Sender<TapPacket>) -> (TapId, SourceKinds) {
        let id = self.next_id;
        self.next_id += 1;
        let mut tap = Tap {
            id,
            tx,
            waiting_keyframe: true,
            dropped: 0,
        };
        // The tap starts from the cached group of pictures, like a player.
        if let Some((src, packets)) = self.source_gop(&key) {
            for f in &packets {
                if let Some(t) = tap_packet(&src, f) {
                    tap.offer(&t);
                }
            }
        }
        self.streams.entry(key.clone()).or_default().taps.push(tap);
        self.request_source_keyframe(&key);
        tracing::info!(appid = key.appid, stream = %key.stream_id, tap = id, "tap opened");
        (id, self.source_kinds(&key))
    }

    fn untap(&mut self, key: &StreamKey, id: TapId) {
        if let Some(s) = self.streams.get_mut(key) {
            s.taps.retain(|t| t.id != id);
            if s.unused() {
                self.streams.remove(key);
            }
        }
        tracing::info!(appid = key.appid, stream = %key.stream_id, tap = id, "tap closed");
    }

    fn inject(
        &mut self,
        key: StreamKey,
        tracks: InjectTracks,
        keyframes: mpsc::Sender<()>,
    ) -> Result<InjectId, MediaError> {
        let stream = self.streams.entry(key.clone()).or_default();
        if stream.publisher.is_some() || stream.injected.is_some() {
            return Err(MediaError::AlreadyPublished(key.stream_id.clone()));
        }
        let params = codecs::rtc_config().codec_config().params().to_vec();
        let find = |c: Option<MediaCodec>| -> Result<Option<PayloadParams>, MediaError> {
            let Some(c) = c else { return Ok(None) };
            params
                .iter()
                .find(|p| p.spec().codec == c.to_str0m())
                .copied()
                .map(Some)
                .ok_or(MediaError::CodecNotNegotiated(c))
        };
        let (audio, video) = (find(tracks.audio)?, find(tracks.video)?);
        let id = self.next_id;
        self.next_id += 1;
        stream.injected = Some(id);
        self.injected.insert(
            id,
            Injected {
                key: key.clone(),
                audio,
                video,
                ssrc_audio: rand::random(),
                ssrc_video: rand::random(),
                seq_audio: None,
                seq_video: None,
                gop: Default::default(),
                keyframes,
                last_keyframe_request: None,
            },
        );
        tracing::info!(appid = key.appid, stream = %key.stream_id, source = id, "injected source opened");
        Ok(id)
    }

    fn inject_rtp(&mut self, id: InjectId, pkt: InjectPacket) {
        let Some(i) = self.injected.get_mut(&id) else {
            return;
        };
        let Some((src, fwd)) = i.accept(pkt, Instant::now()) else {
            return;
        };
        let key = i.key.clone();
        if self.fan_out(&key, &src, &fwd) {
            self.request_source_keyframe(&key);
        }
    }

    fn uninject(&mut self, id: InjectId) {
        let Some(i) = self.injected.remove(&id) else {
            return;
        };
        if let Some(s) = self.streams.get_mut(&i.key) {
            if s.injected == Some(id) {
                s.injected = None;
            }
            if s.unused() {
                self.streams.remove(&i.key);
            }
        }
        tracing::info!(appid = i.key.appid, stream = %i.key.stream_id, source = id, "injected source closed");
    }

    /// Asks a publisher for a key frame (PLI), at most every `KEYFRAME_REQUEST_MIN_INTERVAL`.
    fn request_keyframe(&mut self, publisher: PeerId) {
        let now = Instant::now();
        let Some(p) = self.peers.get_mut(&publisher) else {
            return;
        };
        if p.last_keyframe_request
            .is_some_and(|t| now.duration_since(t) < KEYFRAME_REQUEST_MIN_INTERVAL)
        {
            return;
        }
        let mut asked = false;
        let ssrcs = p.video_ssrcs.clone();
        let mids = p.video_mids.clone();
        let mut api = p.rtc.direct_api();
        for ssrc in ssrcs {
            if let Some(rx) = api.stream_rx(&ssrc) {
                rx.request_keyframe(KeyframeRequestKind::Pli);
                asked = true;
            }
        }
        if !asked {
            // No video seen yet: the streams the offer declared still take a request.
            for mid in mids {
                if let Some(rx) = api.stream_rx_by_mid(mid, None) {
                    rx.request_keyframe(KeyframeRequestKind::Pli);
                    asked = true;
                }
            }
        }
        if asked {
            p.last_keyframe_request = Some(now);
            self.stats.keyframe_requests += 1;
            self.drain(publisher);
        }
    }

    /// Copies a publisher's RTP packet to every connected player of its stream, and keeps
    /// the current group of pictures for players that join later.
    fn forward(&mut self, from: PeerId, pkt: RtpPacket) {
        let Some(p) = self.peers.get_mut(&from) else {
            return;
        };
        if p.role != Role::Publish {
            return;
        }
        let pt = pkt.header.payload_type;
        let Some(src) = p
            .rtc
            .codec_config()
            .params()
            .iter()
            .find(|x| x.pt() == pt)
            .cloned()
        else {
            return;
        };
        let codec = src.spec().codec;
        let kind = if codec.is_audio() {
            MediaKind::Audio
        } else {
            MediaKind::Video
        };
        let fwd = Fwd {
            kind,
            ssrc: *pkt.header.ssrc,
            seq: pkt.seq_no,
            time: pkt.header.timestamp,
            marker: pkt.header.marker,
            pt,
            keyframe: kind == MediaKind::Video && is_keyframe_start(codec, &pkt.payload),
            wallclock: pkt.timestamp,
            ext: ExtensionValues {
                audio_level: pkt.header.ext_vals.audio_level,
                voice_activity: pkt.header.ext_vals.voice_activity,
                video_orientation: pkt.header.ext_vals.video_orientation,
                ..Default::default()
            },
            payload: pkt.payload,
        };
        if kind == MediaKind::Video {
            if !p.video_ssrcs.contains(&pkt.header.ssrc) {
                p.video_ssrcs.push(pkt.header.ssrc);
            }
            p.gop.push(&fwd, &src);
        }
        let key = p.key.clone();
        if self.streams.get(&key).map(|s| s.publisher) != Some(Some(from)) {
            return;
        }
        if self.fan_out(&key, &src, &fwd) {
            self.request_keyframe(from);
        }
    }

    /// Writes a source's packet to every player and tap of its stream; true if one of them
    /// waits for a key frame.
    fn fan_out(&mut self, key: &StreamKey, src: &PayloadParams, fwd: &Fwd) -> bool {
        let Some(stream) = self.streams.get_mut(key) else {
            return false;
        };
        let mut waiting = false;
        if !stream.taps.is_empty() {
            if let Some(t) = tap_packet(src, fwd) {
                for tap in &mut stream.taps {
                    waiting |= !tap.offer(&t);
                }
            }
        }
        let players = std::mem::take(&mut stream.players);
        for pid in &players {
            if self.write_to_player(*pid, src, fwd) == Write::WaitingKeyframe {
                waiting = true;
            }
        }
        if let Some(stream) = self.streams.get_mut(key) {
            stream.players = players;
        }
        waiting
    }

    fn write_to_player(&mut self, pid: PeerId, src: &PayloadParams, pkt: &Fwd) -> Write {
        let Some(pl) = self.peers.get_mut(&pid) else {
            return Write::Skipped;
        };
        if !pl.connected {
            return Write::Skipped;
        }
        let kind = pkt.kind;
        let dst_pt = match pl.out_track(kind).map(|o| o.track.map_pt(pkt.pt)) {
            None => return Write::Skipped,
            Some(Some(pt)) => pt,
            Some(None) => {
                let Some(mid) = pl.out_track(kind).map(|o| o.mid) else {
                    return Write::Skipped;
                };
                let remote: Vec<Pt> = pl
                    .rtc
                    .media(mid)
                    .map(|m| m.remote_pts().to_vec())
                    .unwrap_or_default();
                let found = pl
                    .rtc
                    .codec_config()
                    .params()
                    .iter()
                    .filter(|d| remote.contains(&d.pt()))
                    .find(|d| codecs::compatible(src, d))
                    .map(|d| d.pt());
                let Some(dst) = found else {
                    tracing::warn!(peer = pid, codec = ?src.spec().codec, "player did not negotiate the publisher's codec");
                    if let Some(o) = pl.out_track(kind) {
                        o.track.pt_map.push((pkt.pt, pkt.pt));
                    }
                    return Write::Skipped;
                };
                if let Some(o) = pl.out_track(kind) {
                    o.track.pt_map.push((pkt.pt, dst));
                }
                dst
            }
        };
        let Some(out) = pl.out_track(kind) else {
            return Write::Skipped;
        };
        if out.track.waiting_keyframe {
            if !pkt.keyframe {
                return Write::WaitingKeyframe;
            }
            out.track.waiting_keyframe = false;
        }
        let mid = out.mid;
        let (seq, time) = out.track.rewrite(pkt.ssrc, pkt.seq, pkt.time);
        let ssrc = match out.ssrc {
            Some(s) => s,
            None => {
                let Some(s) = pl
                    .rtc
                    .direct_api()
                    .stream_tx_by_mid(mid, None)
                    .map(|s| s.ssrc())
                else {
                    return Write::Skipped;
                };
                if let Some(o) = pl.out_track(kind) {
                    o.ssrc = Some(s);
                }
                s
            }
        };
        let mut api = pl.rtc.direct_api();
        let Some(tx) = api.stream_tx(&ssrc) else {
            return Write::Skipped;
        };
        let write = RtpWrite::new(dst_pt, seq, time, pkt.wallclock, pkt.payload.clone())
            .marker(pkt.marker)
            .ext_vals(pkt.ext.clone())
            .nackable(kind == MediaKind::Video);
        tx.write_rtp(write);
        self.stats.forwarded_rtp += 1;
        self.drain(pid);
        Write::Written
    }
}

#[derive(Debug, PartialEq)]
enum Write {
    Written,
    Skipped,
    WaitingKeyframe,
}

/// A forwarded packet as a tap takes it (None for a codec taps do not know).
fn tap_packet(src: &PayloadParams, f: &Fwd) -> Option<TapPacket> {
    Some(TapPacket {
        codec: MediaCodec::from_str0m(src.spec().codec)?,
        pt: *f.pt,
        ssrc: f.ssrc,
        seq: *f.seq,
        time: f.time,
        marker: f.marker,
        keyframe: f.keyframe,
        payload: f.payload.clone(),
    })
}

/// `candidate:...` as browsers take it in addIceCandidate.
fn candidate_line(sdp: &str) -> String {
    let s = sdp.trim().trim_start_matches("a=");
    if s.starts_with("candidate:") {
        s.to_string()
    } else {
        format!("candidate:{s}")
    }
}
