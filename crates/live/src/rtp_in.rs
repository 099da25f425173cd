//! RTP from an SFU tap into a pipeline's `appsrc` elements: what the tap carries is probed
//! first (which codecs, so the pipeline can be built for them), then every packet is pushed
//! as an RTP buffer with one continuous sequence and time line per track, even across a
//! publisher's reconnects (a new SSRC and sequence space).

use gstreamer as gst;
use gstreamer_app::AppSrc;
use liveroom_media::{MediaCodec, SourceKinds, TapPacket};
use std::time::Duration;
use tokio::sync::mpsc;

/// What a tap carries, learnt from its first packets, and those packets.
#[derive(Debug, Default)]
pub struct Probe {
    /// The video codec and payload type, if the tap carries video.
    pub video: Option<(MediaCodec, u8)>,
    /// The audio codec and payload type, if the tap carries audio.
    pub audio: Option<(MediaCodec, u8)>,
    /// The packets read while probing, to be fed first.
    pub buffered: Vec<TapPacket>,
}

/// After the first packet, how long to wait for the other kind (a stream may be audio- or
/// video-only).
/// Audio packets come every 20 ms and a new tap gets the cached video burst first, so a
/// track that exists shows up well within this.
pub const PROBE_OTHER_KIND: Duration = Duration::from_millis(500);

/// Waits up to `first` for a tap's first packet, then up to [`PROBE_OTHER_KIND`] for the
/// other kind if the source negotiated it (`kinds`, from the tap). None if nothing arrived
/// (the stream is not being published) or the tap closed.
pub async fn probe(
    rx: &mut mpsc::Receiver<TapPacket>,
    first: Duration,
    kinds: SourceKinds,
) -> Option<Probe> {
    let mut p = Probe::default();
    let pkt = tokio::time::timeout(first, rx.recv()).await.ok()??;
    p.note(pkt);
    let deadline = tokio::time::Instant::now() + PROBE_OTHER_KIND;
    while (kinds.video && p.video.is_none()) || (kinds.audio && p.audio.is_none()) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(pkt)) => p.note(pkt),
            Ok(None) => return None,
            Err(_) => break,
        }
    }
    Some(p)
}

impl Probe {
    fn note(&mut self, pkt: TapPacket) {
        let slot = if pkt.codec.is_video() {
            &mut self.video
        } else {
            &mut self.audio
        };
        slot.get_or_insert((pkt.codec, pkt.pt));
        self.buffered.push(pkt);
    }
}

/// `application/x-rtp` caps of a track.
pub fn caps_string(codec: MediaCodec, pt: u8) -> String {
    let (media, name) = match codec {
        MediaCodec::Opus => ("audio", "OPUS"),
        MediaCodec::H264 => ("video", "H264"),
        MediaCodec::Vp8 => ("video", "VP8"),
    };
    format!(
        "application/x-rtp,media={media},clock-rate={},encoding-name={name},payload={pt}",
        codec.clock_rate()
    )
}

/// An `appsrc` for a track, named `name`, live and stamped on arrival.
pub fn appsrc_description(name: &str, codec: MediaCodec, pt: u8) -> String {
    format!(
        "appsrc name={name} is-live=true do-timestamp=true format=time max-bytes=4000000 caps=\"{}\"",
        caps_string(codec, pt)
    )
}

/// The depayloader (and parser) of a codec, from RTP to its elementary stream.
pub fn depayloader(codec: MediaCodec) -> &'static str {
    match codec {
        MediaCodec::Opus => "rtpopusdepay",
        MediaCodec::H264 => "rtph264depay ! h264parse",
        MediaCodec::Vp8 => "rtpvp8depay",
    }
}

/// RTP time gap inserted when the source changes.
const REBASE_TIME_GAP: u32 = 3000;

/// One track's continuous numbering across source changes.
#[derive(Debug, Default)]
struct Renumber {
    ssrc: Option<u32>,
    seq_offset: u64,
    time_offset: u32,
    last_seq: u64,
    last_time: u32,
}

impl Renumber {
    fn map(&mut self, p: &TapPacket) -> (u16, u32) {
        if self.ssrc != Some(p.ssrc) {
            if self.ssrc.is_some() {
                self.seq_offset = (self.last_seq + 1).wrapping_sub(p.seq);
                self.time_offset = self
                    .last_time
                    .wrapping_add(REBASE_TIME_GAP)
                    .wrapping_sub(p.time);
            }
            self.ssrc = Some(p.ssrc);
        }
        let seq = p.seq.wrapping_add(self.seq_offset);
        let time = p.time.wrapping_add(self.time_offset);
        if seq > self.last_seq || self.last_seq == 0 {
            self.last_seq = seq;
            self.last_time = time;
        }
        (seq as u16, time)
    }
}

/// An RTP packet (12-byte header, no extensions) for a tapped packet.
pub fn rtp_buffer(p: &TapPacket, seq: u16, time: u32) -> gst::Buffer {
    let mut v = Vec::with_capacity(12 + p.payload.len());
    v.push(0x80);
    v.push((p.pt & 0x7f) | if p.marker { 0x80 } else { 0 });
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&time.to_be_bytes());
    let ssrc: u32 = if p.codec.is_video() { 0x1000 } else { 0x2000 };
    v.extend_from_slice(&ssrc.to_be_bytes());
    v.extend_from_slice(&p.payload);
    gst::Buffer::from_mut_slice(v)
}

/// Pushes a tap's packets into the pipeline until the tap or the pipeline ends. Packets of a
/// kind without an `appsrc` (or of another codec than probed) are skipped.
pub fn spawn_feed(
    probe: Probe,
    mut rx: mpsc::Receiver<TapPacket>,
    video: Option<AppSrc>,
    audio: Option<AppSrc>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut feed = Feed {
            video_codec: probe.video.map(|v| v.0),
            audio_codec: probe.audio.map(|a| a.0),
            video,
            audio,
            video_num: Renumber::default(),
            audio_num: Renumber::default(),
        };
        for p in probe.buffered {
            if !feed.push(&p) {
                return;
            }
        }
        while let Some(p) = rx.recv().await {
            if !feed.push(&p) {
                return;
            }
        }
        feed.end();
    })
}

struct Feed {
    video_codec: Option<MediaCodec>,
    audio_codec: Option<MediaCodec>,
    video: Option<AppSrc>,
    audio: Option<AppSrc>,
    video_num: Renumber,
    audio_num: Renumber,
}

impl Feed {
    /// False once the pipeline no longer takes buffers.
    fn push(&mut self, p: &TapPacket) -> bool {
        let (src, num, codec) = if p.codec.is_video() {
            (&self.video, &mut self.video_num, self.video_codec)
        } else {
            (&self.audio, &mut self.audio_num, self.audio_codec)
        };
        let Some(src) = src else { return true };
        if codec != Some(p.codec) {
            return true;
        }
        let (seq, time) = num.map(p);
        match src.push_buffer(rtp_buffer(p, seq, time)) {
            Ok(_) => true,
            Err(gst::FlowError::Flushing) | Err(gst::FlowError::Eos) => false,
            Err(e) => {
                tracing::debug!(error = ?e, "appsrc refused a buffer");
                false
            }
        }
    }

    fn end(&self) {
        for s in [&self.video, &self.audio].into_iter().flatten() {
            let _ = s.end_of_stream();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn pkt(ssrc: u32, seq: u64, time: u32) -> TapPacket {
        TapPacket {
            codec: MediaCodec::H264,
            pt: 108,
            ssrc,
            seq,
            time,
            marker: false,
            keyframe: false,
            payload: Arc::from(vec![1u8]),
        }
    }

    #[test]
    fn numbering_continues_across_a_new_source() {
        let mut n = Renumber::default();
        let (a, ta) = n.map(&pkt(1, 70_000, 1000));
        let (b, _) = n.map(&pkt(1, 70_001, 4000));
        assert_eq!(b, a.wrapping_add(1));
        let (c, tc) = n.map(&pkt(2, 5, 90));
        assert_eq!(c, b.wrapping_add(1));
        assert_eq!(tc, ta.wrapping_add(3000 + REBASE_TIME_GAP));
    }

    #[test]
    fn rtp_header_carries_the_fields() {
        crate::init().unwrap();
        let mut p = pkt(1, 1, 0x01020304);
        p.marker = true;
        let b = rtp_buffer(&p, 0xabcd, 0x01020304);
        let m = b.map_readable().unwrap();
        assert_eq!(&m[..8], &[0x80, 0x80 | 108, 0xab, 0xcd, 1, 2, 3, 4]);
        assert_eq!(m.len(), 13);
    }
}
