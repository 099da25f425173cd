//! The internal ends of streams: taps (FLV/HLS/RTMP outputs, mix inputs take a stream's
//! packets, from its cached key frame on) and injected sources (a mix output publishes a
//! stream, which players and taps take like a publisher's).

use super::Core;
use crate::codecs;
use crate::forward::Fwd;
use crate::internal::{
    InjectId, InjectPacket, InjectTracks, Injected, MediaCodec, SourceKinds, Tap, TapId, TapPacket,
};
use crate::{MediaError, StreamKey};
use str0m::format::PayloadParams;
use tokio::sync::mpsc;

impl Core {
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

    /// Starts copying a stream's packets to `tx`; its id and the source's kinds of track.
    pub(super) fn tap(
        &mut self,
        key: StreamKey,
        tx: mpsc::Sender<TapPacket>,
    ) -> (TapId, SourceKinds) {
        let id = self.next_id();
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

    pub(super) fn untap(&mut self, key: &StreamKey, id: TapId) {
        if let Some(s) = self.streams.get_mut(key) {
            s.taps.retain(|t| t.id != id);
        }
        self.release_stream(key);
        tracing::info!(appid = key.appid, stream = %key.stream_id, tap = id, "tap closed");
    }

    /// Publishes a stream from inside the server.
    pub(super) fn inject(
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
        let id = self.next_id();
        let stream = self.streams.entry(key.clone()).or_default();
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

    /// One packet of an injected source, fanned out like a publisher's.
    pub(super) fn inject_rtp(&mut self, id: InjectId, pkt: InjectPacket) {
        let now = self.now;
        let Some(i) = self.injected.get_mut(&id) else {
            return;
        };
        let Some((src, fwd)) = i.accept(pkt, now) else {
            return;
        };
        let key = i.key.clone();
        if self.fan_out(&key, &src, &fwd) {
            self.request_source_keyframe(&key);
        }
    }

    pub(super) fn uninject(&mut self, id: InjectId) {
        let Some(i) = self.injected.remove(&id) else {
            return;
        };
        if let Some(s) = self.streams.get_mut(&i.key) {
            if s.injected == Some(id) {
                s.injected = None;
            }
        }
        self.release_stream(&i.key);
        tracing::info!(appid = i.key.appid, stream = %i.key.stream_id, source = id, "injected source closed");
    }
}

/// A forwarded packet as a tap takes it (None for a codec taps do not know).
pub(super) fn tap_packet(src: &PayloadParams, f: &Fwd) -> Option<TapPacket> {
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
