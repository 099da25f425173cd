//! Per-player rewriting of one forwarded track: the player's own contiguous sequence numbers
//! and RTP times, rebased whenever the source changes (a publisher reconnects), and the
//! player's payload type for the codec.

use std::sync::Arc;
use std::time::Instant;
use str0m::format::PayloadParams;
use str0m::media::{MediaKind, Pt};
use str0m::rtp::{ExtensionValues, SeqNo};

/// A publisher's packet as the forwarder needs it (owned, so it can be cached).
#[derive(Debug, Clone)]
pub struct Fwd {
    pub kind: MediaKind,
    pub ssrc: u32,
    pub seq: SeqNo,
    pub time: u32,
    pub marker: bool,
    pub pt: Pt,
    /// First packet of a key frame.
    pub keyframe: bool,
    pub wallclock: Instant,
    pub ext: ExtensionValues,
    /// Shared by every player: never copied.
    pub payload: Arc<[u8]>,
}

/// Most packets kept of one group of pictures; a longer group is not cached (a joiner then
/// waits for the key frame it asks for).
pub const GOP_CACHE_MAX_PACKETS: usize = 1024;

/// The publisher's video since its last key frame, replayed to a player that joins.
#[derive(Debug, Default)]
pub struct GopCache {
    packets: Vec<Fwd>,
    params: Option<PayloadParams>,
    valid: bool,
    /// RTP time of the key frame the cache starts with.
    start_time: Option<u32>,
}

impl GopCache {
    pub fn push(&mut self, f: &Fwd, params: &PayloadParams) {
        // A key frame spans several flagged packets (H.264: the SPS/PPS packet, then the
        // IDR's first fragment), all with its RTP time: only the first one starts a new group,
        // or the group would begin at the IDR without the parameter sets a decoder needs.
        let same_frame = self.valid && self.start_time == Some(f.time);
        if f.keyframe && !same_frame {
            self.packets.clear();
            self.params = Some(*params);
            self.valid = true;
            self.start_time = Some(f.time);
        }
        if !self.valid {
            return;
        }
        if self.packets.len() >= GOP_CACHE_MAX_PACKETS
            || self.params.as_ref().is_some_and(|p| p.pt() != f.pt)
        {
            self.packets.clear();
            self.valid = false;
            return;
        }
        self.packets.push(f.clone());
    }

    /// The cached packets and their codec, if a whole group since a key frame is held.
    pub fn snapshot(&self) -> Option<(PayloadParams, Vec<Fwd>)> {
        if !self.valid || self.packets.is_empty() {
            return None;
        }
        Some((self.params?, self.packets.clone()))
    }
}

/// A player's outgoing copy of one of the publisher's tracks.
#[derive(Debug, Default)]
pub struct TrackOut {
    /// The source this mapping was built for (publisher's SSRC).
    src: Option<u32>,
    src_first_seq: u64,
    src_first_time: u32,
    out_first_seq: u64,
    out_first_time: u32,
    last_out_seq: Option<u64>,
    last_out_time: u32,
    /// Video only: packets are skipped until a key frame starts, so the decoder never sees a
    /// delta frame without its reference.
    pub waiting_keyframe: bool,
    /// The player's payload type for the publisher's payload type.
    pub pt_map: Vec<(Pt, Pt)>,
}

/// RTP time gap inserted when the source changes (≈33 ms of video, 33 ms of audio at 48 kHz
/// is 1600; the decoder only needs it to move forward).
const REBASE_TIME_GAP: u32 = 3000;

impl TrackOut {
    pub fn map_pt(&self, src: Pt) -> Option<Pt> {
        self.pt_map.iter().find(|(s, _)| *s == src).map(|(_, d)| *d)
    }

    /// The player's sequence number and RTP time for a source packet.
    pub fn rewrite(&mut self, ssrc: u32, seq: SeqNo, time: u32) -> (SeqNo, u32) {
        let seq = *seq;
        if self.src != Some(ssrc) || seq < self.src_first_seq {
            self.src = Some(ssrc);
            self.src_first_seq = seq;
            self.src_first_time = time;
            match self.last_out_seq {
                Some(last) => {
                    self.out_first_seq = last + 1;
                    self.out_first_time = self.last_out_time.wrapping_add(REBASE_TIME_GAP);
                }
                None => {
                    // Start low so the SRTP rollover counter starts at 0 on both sides.
                    self.out_first_seq = rand::random::<u16>() as u64 % 16384 + 1;
                    self.out_first_time = rand::random::<u32>();
                }
            }
        }
        let out_seq = self.out_first_seq + (seq - self.src_first_seq);
        let out_time = self
            .out_first_time
            .wrapping_add(time.wrapping_sub(self.src_first_time));
        if self.last_out_seq.is_none_or(|l| out_seq > l) {
            self.last_out_seq = Some(out_seq);
            self.last_out_time = out_time;
        }
        (out_seq.into(), out_time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h264_params() -> PayloadParams {
        *crate::codecs::rtc_config()
            .codec_config()
            .params()
            .iter()
            .find(|p| p.spec().codec == str0m::format::Codec::H264)
            .unwrap()
    }

    fn pkt(seq: u64, time: u32, keyframe: bool) -> Fwd {
        Fwd {
            kind: MediaKind::Video,
            ssrc: 1,
            seq: seq.into(),
            time,
            marker: false,
            pt: h264_params().pt(),
            keyframe,
            wallclock: Instant::now(),
            ext: ExtensionValues::default(),
            payload: Arc::from(vec![0u8]),
        }
    }

    #[test]
    fn a_group_starts_at_the_key_frames_first_packet_and_keeps_its_parameter_sets() {
        let params = h264_params();
        let mut g = GopCache::default();
        g.push(&pkt(1, 0, false), &params);
        assert!(g.snapshot().is_none(), "nothing before a key frame");
        // SPS/PPS (STAP-A) then the IDR's first fragment: both flagged, same RTP time.
        g.push(&pkt(2, 3000, true), &params);
        g.push(&pkt(3, 3000, true), &params);
        g.push(&pkt(4, 3000, false), &params);
        g.push(&pkt(5, 6000, false), &params);
        let (_, cached) = g.snapshot().unwrap();
        let seqs: Vec<u64> = cached.iter().map(|f| *f.seq).collect();
        assert_eq!(seqs, [2, 3, 4, 5]);
        // The next key frame starts a new group.
        g.push(&pkt(6, 9000, true), &params);
        g.push(&pkt(7, 9000, true), &params);
        let (_, cached) = g.snapshot().unwrap();
        assert_eq!(cached.iter().map(|f| *f.seq).collect::<Vec<_>>(), [6, 7]);
    }

    #[test]
    fn sequences_stay_contiguous_across_a_source_change() {
        let mut t = TrackOut::default();
        let (a, ta) = t.rewrite(1, 5000.into(), 90_000);
        let (b, tb) = t.rewrite(1, 5001.into(), 93_000);
        assert_eq!(*b, *a + 1);
        assert_eq!(tb.wrapping_sub(ta), 3000);
        // A retransmission of an earlier packet maps to its old number.
        let (a2, _) = t.rewrite(1, 5000.into(), 90_000);
        assert_eq!(a2, a);
        // Loss stays a gap (the player can NACK it).
        let (c, _) = t.rewrite(1, 5003.into(), 96_000);
        assert_eq!(*c, *a + 3);
        // The publisher reconnects with a new SSRC and sequence space.
        let (d, td) = t.rewrite(2, 100.into(), 7);
        assert_eq!(*d, *c + 1);
        assert!(td.wrapping_sub(ta) > 6000);
        assert!(*a < 65536);
    }
}
