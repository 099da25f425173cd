//! A live test source: H.264 (or VP8) video and Opus audio from GStreamer's test sources,
//! encoded and packetized as RTP, one packet at a time. Tests publish it through a real
//! WebRTC client; demos can use it as a stand-in camera.

use crate::{LiveError, Pipeline, PipelineEvent};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app::{AppSink, AppSinkCallbacks};
use liveroom_media::MediaCodec;
use tokio::sync::mpsc;

/// One RTP packet's fields.
#[derive(Debug, Clone)]
pub struct RtpOut {
    /// A video packet (else audio).
    pub video: bool,
    /// The RTP sequence number.
    pub seq: u16,
    /// The RTP timestamp.
    pub time: u32,
    /// The RTP marker bit.
    pub marker: bool,
    /// The RTP payload.
    pub payload: Vec<u8>,
}

/// Parses an RTP packet (skipping CSRCs, header extension and padding).
pub fn parse_rtp(b: &[u8], video: bool) -> Option<RtpOut> {
    if b.len() < 12 || b[0] >> 6 != 2 {
        return None;
    }
    let cc = (b[0] & 0x0f) as usize;
    let mut at = 12 + cc * 4;
    if b[0] & 0x10 != 0 {
        let ext = b.get(at + 2..at + 4)?;
        at += 4 + 4 * u16::from_be_bytes([ext[0], ext[1]]) as usize;
    }
    let mut end = b.len();
    if b[0] & 0x20 != 0 {
        end = end.checked_sub(*b.last()? as usize)?;
    }
    Some(RtpOut {
        video,
        seq: u16::from_be_bytes([b[2], b[3]]),
        time: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
        marker: b[1] & 0x80 != 0,
        payload: b.get(at..end)?.to_vec(),
    })
}

/// A running test source; drop to stop.
pub struct TestSource {
    /// The source's RTP packets.
    pub packets: mpsc::Receiver<RtpOut>,
    /// The pipeline's events.
    pub events: mpsc::UnboundedReceiver<PipelineEvent>,
    pipeline: Pipeline,
}

impl TestSource {
    /// Makes the video encoder produce a key frame now (with SPS/PPS), as a browser does on
    /// a PLI; without it the source has a key frame only every second.
    pub fn request_keyframe(&self) {
        // A sink element sends the event upstream, through the payloader, to the encoder
        // (GstVideoEncoder's upstream force-key-unit event).
        if let Ok(sink) = self.pipeline.element::<AppSink>("v") {
            let s = gst::Structure::builder("GstForceKeyUnit")
                .field("all-headers", true)
                .build();
            let _ = sink.send_event(gst::event::CustomUpstream::new(s));
        }
    }
}

/// Starts a 320×240 25 fps video (key frame every second) and 48 kHz Opus audio source.
pub fn start(video: Option<MediaCodec>, audio: bool) -> Result<TestSource, LiveError> {
    let mut d = String::new();
    match video {
        Some(MediaCodec::H264) => d.push_str(
            "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=25/1 ! \
             x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 bitrate=600 ! \
             video/x-h264,profile=constrained-baseline ! rtph264pay config-interval=-1 mtu=1100 pt=108 ! \
             appsink name=v sync=false ",
        ),
        Some(MediaCodec::Vp8) => d.push_str(
            "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=25/1 ! \
             vp8enc deadline=1 keyframe-max-dist=25 target-bitrate=600000 ! rtpvp8pay mtu=1100 pt=96 ! \
             appsink name=v sync=false ",
        ),
        Some(MediaCodec::Opus) => {
            return Err(LiveError::Init("Opus is not a video codec".into()));
        }
        None => {}
    }
    if audio {
        d.push_str(
            "audiotestsrc is-live=true wave=sine freq=440 ! audio/x-raw,rate=48000,channels=2 ! \
             opusenc ! rtpopuspay pt=111 ! appsink name=a sync=false",
        );
    }
    let (pipeline, events) = Pipeline::launch("testsrc", &d)?;
    let (tx, packets) = mpsc::channel(4096);
    for (name, is_video) in [("v", true), ("a", false)] {
        if (is_video && video.is_none()) || (!is_video && !audio) {
            continue;
        }
        let sink: AppSink = pipeline.element(name)?;
        let tx = tx.clone();
        sink.set_callbacks(
            AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    if let Some(buf) = sample.buffer() {
                        let map = buf.map_readable().map_err(|_| gst::FlowError::Error)?;
                        if let Some(p) = parse_rtp(&map, is_video) {
                            // A consumer that stopped reading: drop packets, keep running.
                            let _ = tx.try_send(p);
                        }
                    }
                    Ok(gst::FlowSuccess::Ok)
                })
                .build(),
        );
    }
    pipeline.play()?;
    Ok(TestSource {
        packets,
        events,
        pipeline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn produces_h264_and_opus_rtp() {
        let mut src = start(Some(MediaCodec::H264), true).unwrap();
        let (mut v, mut a) = (0, 0);
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while v < 20 || a < 20 {
            tokio::select! {
                p = src.packets.recv() => {
                    let p = p.expect("source runs");
                    if p.video { v += 1 } else { a += 1 }
                }
                ev = src.events.recv() => panic!("source failed: {ev:?}"),
                _ = tokio::time::sleep_until(deadline) => panic!("only {v} video and {a} audio packets"),
            }
        }
    }
}
