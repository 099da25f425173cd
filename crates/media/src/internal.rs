//! Internal ends of streams, for the live outputs: a *tap* receives a stream's RTP inside the
//! server (FLV/HLS/RTMP outputs, mix inputs), an *injected source* publishes a stream from
//! inside the server (a mix output), which players and taps then take like any other.

use crate::forward::{Fwd, GopCache};
use std::sync::Arc;
use std::time::Instant;
use str0m::format::PayloadParams;
use tokio::sync::mpsc;

/// Packets queued per tap; a tap that falls behind loses packets (its video then waits for the
/// next key frame, which is asked for).
pub const TAP_QUEUE: usize = 1024;

/// The worker's id of a tap.
pub type TapId = u64;
/// The worker's id of an injected source.
pub type InjectId = u64;

/// The codecs a stream's tracks can carry (what the SFU negotiates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaCodec {
    /// Opus audio.
    Opus,
    /// H.264 video.
    H264,
    /// VP8 video.
    Vp8,
}

impl MediaCodec {
    /// Whether this is a video codec.
    pub fn is_video(self) -> bool {
        !matches!(self, MediaCodec::Opus)
    }

    /// RTP clock rate in Hz.
    pub fn clock_rate(self) -> u32 {
        match self {
            MediaCodec::Opus => 48_000,
            _ => 90_000,
        }
    }

    pub(crate) fn from_str0m(c: str0m::format::Codec) -> Option<MediaCodec> {
        match c {
            str0m::format::Codec::Opus => Some(MediaCodec::Opus),
            str0m::format::Codec::H264 => Some(MediaCodec::H264),
            str0m::format::Codec::Vp8 => Some(MediaCodec::Vp8),
            _ => None,
        }
    }

    pub(crate) fn to_str0m(self) -> str0m::format::Codec {
        match self {
            MediaCodec::Opus => str0m::format::Codec::Opus,
            MediaCodec::H264 => str0m::format::Codec::H264,
            MediaCodec::Vp8 => str0m::format::Codec::Vp8,
        }
    }
}

/// One RTP packet of a stream, as a tap gets it.
#[derive(Debug, Clone)]
pub struct TapPacket {
    /// The packet's codec.
    pub codec: MediaCodec,
    /// Its payload type in the source's negotiation.
    pub pt: u8,
    /// The source's SSRC: it changes when the publisher reconnects.
    pub ssrc: u32,
    /// Extended sequence number (no wrap).
    pub seq: u64,
    /// RTP timestamp.
    pub time: u32,
    /// RTP marker bit.
    pub marker: bool,
    /// First packet of a video key frame.
    pub keyframe: bool,
    /// The RTP payload.
    pub payload: Arc<[u8]>,
}

/// A packet an injected source publishes (its RTP header fields and payload).
#[derive(Debug, Clone, PartialEq)]
pub struct InjectPacket {
    /// A video packet (else audio).
    pub video: bool,
    /// RTP sequence number.
    pub seq: u16,
    /// RTP timestamp.
    pub time: u32,
    /// RTP marker bit.
    pub marker: bool,
    /// The RTP payload.
    pub payload: Arc<[u8]>,
}

/// What an injected source publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InjectTracks {
    /// The audio codec, if it has audio.
    pub audio: Option<MediaCodec>,
    /// The video codec, if it has video.
    pub video: Option<MediaCodec>,
}

/// The kinds of track a tapped stream's source negotiated (both while no source is known, so a
/// consumer waits for either).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceKinds {
    /// Whether it has audio.
    pub audio: bool,
    /// Whether it has video.
    pub video: bool,
}

impl Default for SourceKinds {
    fn default() -> Self {
        SourceKinds {
            audio: true,
            video: true,
        }
    }
}

pub(crate) struct Tap {
    pub id: TapId,
    pub tx: mpsc::Sender<TapPacket>,
    /// Video is held back until a key frame (at the start, and after a loss).
    pub waiting_keyframe: bool,
    pub dropped: u64,
}

impl Tap {
    /// Hands a packet to the tap; false if the tap needs a key frame.
    pub fn offer(&mut self, pkt: &TapPacket) -> bool {
        if pkt.codec.is_video() && self.waiting_keyframe {
            if !pkt.keyframe {
                return false;
            }
            self.waiting_keyframe = false;
        }
        match self.tx.try_send(pkt.clone()) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.dropped += 1;
                if pkt.codec.is_video() {
                    self.waiting_keyframe = true;
                }
                if self.dropped.is_power_of_two() {
                    tracing::warn!(
                        tap = self.id,
                        dropped = self.dropped,
                        "tap behind: packets dropped"
                    );
                }
                !pkt.codec.is_video()
            }
            // The consumer is gone; the worker removes the tap when told.
            Err(mpsc::error::TrySendError::Closed(_)) => true,
        }
    }
}

pub(crate) struct Injected {
    pub key: crate::StreamKey,
    pub audio: Option<PayloadParams>,
    pub video: Option<PayloadParams>,
    pub ssrc_audio: u32,
    pub ssrc_video: u32,
    /// Extended sequence numbers of what was published.
    pub seq_audio: Option<u64>,
    pub seq_video: Option<u64>,
    pub gop: GopCache,
    pub keyframes: mpsc::Sender<()>,
    pub last_keyframe_request: Option<Instant>,
}

impl Injected {
    /// Extends a 16-bit sequence number against the last one of its track.
    pub fn extend(last: &mut Option<u64>, seq: u16) -> u64 {
        let ext = match *last {
            None => seq as u64 + 65536,
            Some(l) => {
                let cand = (l & !0xffff) | seq as u64;
                let options = [cand.wrapping_sub(65536), cand, cand + 65536];
                *options
                    .iter()
                    .min_by_key(|c| c.abs_diff(l))
                    .expect("three options")
            }
        };
        if last.is_none_or(|l| ext > l) {
            *last = Some(ext);
        }
        ext
    }

    pub fn accept(&mut self, p: InjectPacket, now: Instant) -> Option<(PayloadParams, Fwd)> {
        let (params, ssrc, seq) = if p.video {
            (
                self.video?,
                self.ssrc_video,
                Self::extend(&mut self.seq_video, p.seq),
            )
        } else {
            (
                self.audio?,
                self.ssrc_audio,
                Self::extend(&mut self.seq_audio, p.seq),
            )
        };
        let codec = params.spec().codec;
        let kind = if p.video {
            str0m::media::MediaKind::Video
        } else {
            str0m::media::MediaKind::Audio
        };
        let fwd = Fwd {
            kind,
            ssrc,
            seq: seq.into(),
            time: p.time,
            marker: p.marker,
            pt: params.pt(),
            keyframe: p.video && crate::is_keyframe_start(codec, &p.payload),
            wallclock: now,
            ext: Default::default(),
            payload: p.payload,
        };
        if p.video {
            self.gop.push(&fwd, &params);
        }
        Some((params, fwd))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_extend_across_wraps_and_reordering() {
        let mut last = None;
        let a = Injected::extend(&mut last, 65534);
        let b = Injected::extend(&mut last, 65535);
        let c = Injected::extend(&mut last, 0);
        let d = Injected::extend(&mut last, 65535);
        assert_eq!(b, a + 1);
        assert_eq!(c, a + 2);
        assert_eq!(d, b, "a late packet keeps its number");
    }
}
