//! Forwarding: a publisher's RTP copied to every connected player (and tap) of its stream,
//! rewritten into each player's own sequence and payload type; the publisher's current group
//! of pictures, replayed to a player whose video starts; key-frame requests to a stream's
//! source, at most one per [`KEYFRAME_REQUEST_MIN_INTERVAL`].
//!
//! Per packet the work is one map lookup for the stream and, per receiver, one write into its
//! `Rtc` and one drain: nothing grows with anything but the number of receivers. The payload
//! is one `Arc<[u8]>` for every receiver (and every worker a big stream is mirrored on); each
//! player's `Rtc` encrypts it once into that player's datagram.

use super::taps::tap_packet;
use super::{Core, KEYFRAME_REQUEST_MIN_INTERVAL};
use crate::codecs;
use crate::forward::Fwd;
use crate::keyframe::is_keyframe_start;
use crate::{PeerId, Role, StreamKey};
use str0m::format::PayloadParams;
use str0m::media::{KeyframeRequestKind, MediaKind, Pt};
use str0m::rtp::{ExtensionValues, RtpPacket, RtpWrite};

/// What became of a packet written to a player.
#[derive(Debug, PartialEq)]
enum Write {
    Written,
    Skipped,
    WaitingKeyframe,
}

impl Core {
    /// A player's video can flow (connected, video track known): it gets the publisher's
    /// cached group of pictures at once, and the publisher is asked for a fresh key frame,
    /// which keeps the cached group short for the next joiner.
    pub(super) fn start_player_video(&mut self, player: PeerId) {
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
    pub(super) fn source_gop(&self, key: &StreamKey) -> Option<(PayloadParams, Vec<Fwd>)> {
        let s = self.streams.get(key)?;
        if let Some(p) = s.publisher.and_then(|id| self.peers.get(&id)) {
            return p.gop.snapshot();
        }
        if let Some(m) = &s.mirror {
            return m.gop.snapshot();
        }
        s.injected
            .and_then(|id| self.injected.get(&id))
            .and_then(|i| i.gop.snapshot())
    }

    /// Asks a stream's source for a key frame, whichever kind it is.
    pub(super) fn request_source_keyframe(&mut self, key: &StreamKey) {
        let now = self.now;
        if self.request_mirror_keyframe(key) {
            return;
        }
        let Some(s) = self.streams.get(key) else {
            return;
        };
        if let Some(p) = s.publisher {
            self.request_keyframe(p);
        } else if let Some(i) = s.injected.and_then(|id| self.injected.get_mut(&id)) {
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

    /// Asks a publisher for a key frame (PLI), at most every `KEYFRAME_REQUEST_MIN_INTERVAL`.
    fn request_keyframe(&mut self, publisher: PeerId) {
        let now = self.now;
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
    pub(super) fn forward(&mut self, from: PeerId, pkt: RtpPacket) {
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
    pub(super) fn fan_out(&mut self, key: &StreamKey, src: &PayloadParams, fwd: &Fwd) -> bool {
        self.relay_packet(key, src, fwd);
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
