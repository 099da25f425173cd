//! Peers: opened from an offer, fed the datagrams of their ufrag and addresses, drained of
//! what their `Rtc` wants sent and what happened, closed on command, on death or on time-out.

use super::{Core, CoreEvent, Transmit};
use crate::codecs;
use crate::forward::TrackOut;
use crate::nominate;
use crate::offer;
use crate::peer::{OutTrack, Peer};
use crate::{AvStatus, MediaError, Opened, PeerEvent, PeerId, Role, StreamKey};
use std::net::SocketAddr;
use str0m::change::SdpOffer;
use str0m::ice::{IceCreds, StunMessage};
use str0m::media::MediaKind;
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, IceConnectionState, Input, Output};
use tokio::sync::mpsc;

impl Core {
    /// Creates a peer from a client's offer (see [`crate::SfuHandle::open`]).
    pub(super) fn open(
        &mut self,
        key: StreamKey,
        role: Role,
        owner: String,
        offer: &str,
        events: mpsc::Sender<PeerEvent>,
    ) -> Result<Opened, MediaError> {
        let now = self.now;
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
        let mut creds = IceCreds::new();
        if self.workers > 1 {
            // The receiving worker routes a new address's first check by this prefix.
            creds.ufrag = format!("{:02}{}", self.worker, creds.ufrag);
        }
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
        let id = self.next_id();
        let peer = Peer::new(id, key.clone(), role, rtc, ufrag.clone(), pwd, now);
        self.peers.insert(id, peer);
        self.by_ufrag.insert(ufrag, id);
        self.events.push_back(CoreEvent::Opened(id, events));
        self.set_connect_deadline(id, now + self.connect_timeout);
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
                self.emit(id, PeerEvent::StreamStatus(id, status));
                self.mirror_for_player(&key);
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

    /// Drops a peer (and, if `remove_from_stream`, its place in its stream). Its session is
    /// not told: callers that drop a peer on the SFU's own account emit `Closed` first.
    pub(super) fn close_peer(&mut self, id: PeerId, remove_from_stream: bool) {
        let Some(mut p) = self.peers.remove(&id) else {
            return;
        };
        p.rtc.disconnect();
        self.by_ufrag.remove(&p.ufrag);
        for a in &p.addrs {
            self.by_addr.remove(a);
        }
        self.clear_timers(&p);
        if remove_from_stream {
            if let Some(s) = self.streams.get_mut(&p.key) {
                match p.role {
                    Role::Publish if s.publisher == Some(id) => s.publisher = None,
                    Role::Play => s.players.retain(|x| *x != id),
                    _ => {}
                }
            }
            self.release_stream(&p.key);
        }
        self.events.push_back(CoreEvent::Gone(id));
        tracing::info!(appid = p.key.appid, stream = %p.key.stream_id, peer = id, "media peer closed");
    }

    /// Tells the session and drops the peer (it died or never connected).
    pub(super) fn drop_peer(&mut self, id: PeerId) {
        self.emit(id, PeerEvent::Closed(id));
        self.close_peer(id, true);
    }

    /// A publisher's camera/mic status: kept on its stream, passed on to its players.
    pub(super) fn set_status(&mut self, id: PeerId, status: AvStatus) {
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
            if self.peers.contains_key(pid) {
                self.events
                    .push_back(CoreEvent::Peer(*pid, PeerEvent::StreamStatus(*pid, status)));
            }
        }
    }

    /// Finds the datagram's peer and feeds it.
    pub(super) fn on_datagram(&mut self, src: SocketAddr, data: &[u8]) {
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
        let now = self.now;
        let Some(p) = self.peers.get_mut(&id) else {
            return;
        };
        let input = Input::Receive(now, recv);
        if !p.rtc.accepts(&input) {
            self.stats.dropped_datagrams += 1;
            return;
        }
        if let Err(e) = p.rtc.handle_input(input) {
            tracing::debug!(peer = id, error = %e, "peer rejected input");
        }
        if p.addrs.is_empty() {
            tracing::debug!(peer = id, after_ms = now.duration_since(p.created).as_millis() as u64, %src, "first datagram after offer");
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

    /// Polls a peer until it wants a timeout: queues its datagrams and its events.
    pub(super) fn drain(&mut self, id: PeerId) {
        let Some(p) = self.peers.get_mut(&id) else {
            return;
        };
        let mut deadline = None;
        loop {
            match p.rtc.poll_output() {
                Ok(Output::Timeout(t)) => {
                    deadline = Some(t);
                    break;
                }
                Ok(Output::Transmit(t)) => {
                    self.stats.tx_packets += 1;
                    self.stats.tx_bytes += t.contents.len() as u64;
                    self.transmits.push_back(Transmit {
                        destination: t.destination,
                        contents: t.contents.into(),
                    });
                }
                Ok(Output::Event(e)) => self.queue.push_back((id, e)),
                Err(e) => {
                    tracing::warn!(peer = id, error = %e, "peer failed");
                    break;
                }
            }
        }
        if !p.rtc.is_alive() {
            // Died without a `Closed` event (e.g. a DTLS failure): dropped after the events.
            self.dead.push(id);
        }
        if let Some(t) = deadline {
            self.set_rtc_deadline(id, t);
        }
    }

    /// Handles the events of drained peers, then drops the peers that died.
    pub(super) fn process_queue(&mut self) {
        loop {
            if let Some((id, e)) = self.queue.pop_front() {
                self.on_event(id, e);
            } else if let Some(id) = self.dead.pop() {
                if self.peers.contains_key(&id) {
                    tracing::info!(peer = id, "media peer died");
                    self.drop_peer(id);
                }
            } else {
                break;
            }
        }
    }

    fn on_event(&mut self, id: PeerId, e: Event) {
        match e {
            Event::RtpPacket(pkt) => self.forward(id, pkt),
            Event::Connected => self.on_connected(id),
            Event::IceConnectionStateChange(IceConnectionState::Disconnected)
                if self.peers.get(&id).is_some_and(|p| p.connected) =>
            {
                self.emit(id, PeerEvent::Disconnected(id));
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
            Event::Closed => self.drop_peer(id),
            _ => {}
        }
    }

    fn on_connected(&mut self, id: PeerId) {
        let now = self.now;
        let Some(p) = self.peers.get_mut(&id) else {
            return;
        };
        p.connected = true;
        let (role, has_video, created) = (p.role, p.video_out.is_some(), p.created);
        if let Some(v) = p.video_out.as_mut() {
            if role == Role::Play {
                v.track.waiting_keyframe = true;
            }
        }
        self.clear_connect_deadline(id);
        self.emit(id, PeerEvent::Connected(id));
        tracing::debug!(
            peer = id,
            after_ms = now.duration_since(created).as_millis() as u64,
            "connected after offer"
        );
        match role {
            Role::Play => {
                tracing::debug!(peer = id, "player connected");
                if has_video {
                    self.start_player_video(id);
                }
            }
            Role::Publish => tracing::debug!(peer = id, "publisher connected"),
        }
    }
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
