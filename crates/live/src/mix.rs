//! Server-side mixing: one GStreamer pipeline per mix. Inputs (RTP from SFU taps) are decoded
//! and laid out on a `compositor` (video) and summed by an `audiomixer` (audio); the result
//! is encoded once and leaves as RTP (for an injected WebRTC stream) and/or as FLV pushed to
//! an RTMP URL.
//!
//! Layout changes and input changes are applied to the running pipeline (pad properties,
//! branches added and released), so the output never restarts: its SSRC, sequence numbers
//! and time line continue. A background source (solid colour, optionally an image on top) is
//! always live, so the output runs at its frame rate even when no input sends anything, and an
//! input that stops leaves its last frame on the compositor.
//!
//! This module knows nothing of the server: commands are method calls on [`Mixer`], RTP comes
//! out through a callback, failures through the pipeline's [`PipelineEvent`]s.

use crate::pipeline::{Pipeline, PipelineEvent};
use crate::rtp_in::{appsrc_description, depayloader, spawn_feed, Probe};
use crate::{require_elements, LiveError};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app::{AppSink, AppSinkCallbacks, AppSrc};
use liveroom_media::{MediaCodec, TapPacket};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Most inputs in one mix (the Zego service allows 9).
pub const MAX_INPUTS: usize = 9;
/// Output width and height limits, in pixels (x264 and I420 need even sizes).
pub const MIN_DIMENSION: u32 = 16;
/// Largest output width and height, in pixels.
pub const MAX_DIMENSION: u32 = 1920;
/// Highest output frame rate.
pub const MAX_FPS: u32 = 60;
/// Video bit rate limits, bits per second.
pub const MIN_BITRATE: u32 = 10_000;
/// Highest video bit rate, bits per second.
pub const MAX_BITRATE: u32 = 20_000_000;
/// Audio bit rate limits, bits per second (default when not given: 48 kbit/s).
pub const MIN_AUDIO_BITRATE: u32 = 8_000;
/// Highest audio bit rate, bits per second.
pub const MAX_AUDIO_BITRATE: u32 = 320_000;
/// Audio bit rate when none is given, bits per second.
pub const DEFAULT_AUDIO_BITRATE: u32 = 48_000;
/// RTP packet size of the output (fits any path MTU with SRTP and TURN overhead).
pub const RTP_MTU: u32 = 1200;
/// How long the compositor and the mixer wait for late input buffers, in ms: decoders and
/// network jitter must fit in it or an input's frame is shown one frame later.
const AGGREGATOR_LATENCY_MS: u64 = 100;
/// A key frame at least this often (seconds), so a player that lost one recovers.
const KEYFRAME_INTERVAL_S: u32 = 2;
/// Compositor z-order of the background colour and image; inputs come above them.
const ZORDER_BG_COLOR: u32 = 0;
const ZORDER_BG_IMAGE: u32 = 1;
const ZORDER_INPUTS: u32 = 2;

/// The video codec of the output: what its WebRTC players get. The RTMP output is always
/// H.264 (FLV has no VP8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoCodec {
    /// H.264.
    H264,
    /// VP8.
    Vp8,
}

impl VideoCodec {
    /// The SFU's name for the codec.
    pub fn media_codec(self) -> MediaCodec {
        match self {
            VideoCodec::H264 => MediaCodec::H264,
            VideoCodec::Vp8 => MediaCodec::Vp8,
        }
    }
}

/// The audio codec of the RTMP/FLV output (the WebRTC output is always Opus).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlvAudio {
    /// AAC-LC (libav's encoder; Debian ships no HE-AAC encoder).
    Aac,
    /// MP3.
    Mp3,
}

/// Where a mix goes and how it is encoded. Fixed for the mix's lifetime.
#[derive(Debug, Clone, PartialEq)]
pub struct MixOutput {
    /// None: an audio-only mix.
    pub video: Option<VideoCodec>,
    /// Output width in pixels (even).
    pub width: u32,
    /// Output height in pixels (even).
    pub height: u32,
    /// Output frame rate.
    pub fps: u32,
    /// Video bit rate, bits per second.
    pub bitrate: u32,
    /// Audio bit rate, bits per second.
    pub audio_bitrate: u32,
    /// 1 or 2.
    pub audio_channels: u32,
    /// `0xRRGGBB`.
    pub background_rgb: u32,
    /// An image scaled over the whole output, above the background colour.
    pub background_image: Option<PathBuf>,
    /// RTP out through the callback given to [`Mixer::start`].
    pub rtp: bool,
    /// `rtmp://` URL the mix is pushed to as FLV, with its audio codec.
    pub rtmp: Option<(String, FlvAudio)>,
}

/// Where an input is drawn, in output pixels; an empty rectangle draws nothing (the input
/// still contributes its audio).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rect {
    /// Left edge, in output pixels.
    pub left: i32,
    /// Top edge, in output pixels.
    pub top: i32,
    /// Width, in output pixels.
    pub width: i32,
    /// Height, in output pixels.
    pub height: i32,
}

impl Rect {
    /// Whether the rectangle has no area (the input is not drawn).
    pub fn is_empty(&self) -> bool {
        self.width <= 0 || self.height <= 0
    }
}

/// One RTP packet of the output.
#[derive(Debug, Clone, PartialEq)]
pub struct OutRtp {
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

/// Called with each RTP packet of a mix's output.
pub type RtpCallback = Arc<dyn Fn(OutRtp) + Send + Sync>;

/// Elements every mix needs, and those of each option.
const BASE_ELEMENTS: &[&str] = &[
    "appsrc",
    "appsink",
    "audiomixer",
    "audiotestsrc",
    "audioconvert",
    "audioresample",
    "opusdec",
    "rtpopusdepay",
    "tee",
    "queue",
];
const VIDEO_ELEMENTS: &[&str] = &[
    "compositor",
    "videotestsrc",
    "videoconvert",
    "avdec_h264",
    "rtph264depay",
    "h264parse",
    "vp8dec",
    "rtpvp8depay",
];

/// One input's branches in the pipeline.
struct Input {
    video: Option<(gst::Element, gst::Pad)>,
    audio: Option<(gst::Element, gst::Pad)>,
    feed: tokio::task::JoinHandle<()>,
}

/// A running mix. Dropping it stops the pipeline and every feed.
pub struct Mixer {
    pipeline: Pipeline,
    output: MixOutput,
    compositor: Option<gst::Element>,
    audiomixer: gst::Element,
    /// The encoder of the RTP video, for key-frame requests.
    rtp_video_encoder: Option<gst::Element>,
    inputs: HashMap<String, Input>,
}

fn pipeline_error(name: &str, reason: impl Into<String>) -> LiveError {
    LiveError::Pipeline {
        name: name.to_string(),
        reason: reason.into(),
    }
}

/// `gst-launch` description of a mix without inputs.
pub fn description(o: &MixOutput) -> String {
    let mut d = Vec::new();
    let (w, h, fps) = (o.width, o.height, o.fps);
    let kbps = (o.bitrate / 1000).max(1);
    let gop = fps * KEYFRAME_INTERVAL_S;
    let latency = AGGREGATOR_LATENCY_MS * 1_000_000;
    let raw = format!("video/x-raw,format=I420,width={w},height={h},framerate={fps}/1");
    let x264 = |name: &str| {
        // zerolatency: no B-frames, no lookahead; constrained baseline is what every browser
        // decodes (and what the SFU offers for H.264).
        format!(
            "videoconvert ! {raw} ! x264enc name={name} tune=zerolatency speed-preset=ultrafast \
             bitrate={kbps} key-int-max={gop} ! video/x-h264,profile=constrained-baseline"
        )
    };
    if let Some(codec) = o.video {
        d.push(format!(
            "compositor name=comp background=black latency={latency} ! {raw} ! tee name=vt allow-not-linked=true"
        ));
        // The background colour: always live, so the compositor produces frames on its own.
        d.push(format!(
            "videotestsrc is-live=true pattern=solid-color foreground-color={:#010x} ! {raw} ! comp.",
            0xff00_0000u32 | (o.background_rgb & 0xff_ffff)
        ));
        if let Some(img) = &o.background_image {
            d.push(format!(
                "filesrc location=\"{}\" ! decodebin ! videoconvert ! videoscale ! \
                 video/x-raw,width={w},height={h} ! imagefreeze is-live=true ! \
                 video/x-raw,framerate={fps}/1 ! comp.",
                img.display().to_string().replace('"', "")
            ));
        }
        let h264_shared = codec == VideoCodec::H264 && o.rtp;
        if o.rtp {
            match codec {
                VideoCodec::H264 => d.push(format!(
                    "vt. ! queue max-size-buffers=3 leaky=downstream ! {} ! tee name=ht allow-not-linked=true \
                     ht. ! queue ! rtph264pay config-interval=-1 aggregate-mode=none mtu={RTP_MTU} pt=108 \
                     ! appsink name=vrtp sync=false",
                    x264("venc")
                )),
                VideoCodec::Vp8 => d.push(format!(
                    "vt. ! queue max-size-buffers=3 leaky=downstream ! videoconvert ! {raw} ! vp8enc name=venc deadline=1 \
                     target-bitrate={} keyframe-max-dist={gop} cpu-used=8 error-resilient=default \
                     ! rtpvp8pay mtu={RTP_MTU} pt=96 ! appsink name=vrtp sync=false",
                    o.bitrate
                )),
            }
        }
        if o.rtmp.is_some() {
            if h264_shared {
                d.push("ht. ! queue ! h264parse ! video/x-h264,stream-format=avc ! fmux.".into());
            } else {
                d.push(format!(
                    "vt. ! queue max-size-buffers=3 leaky=downstream ! {} ! h264parse ! video/x-h264,stream-format=avc ! fmux.",
                    x264("fenc")
                ));
            }
        }
    }
    let ch = o.audio_channels;
    let araw = format!("audio/x-raw,format=S16LE,rate=48000,channels={ch}");
    d.push(format!(
        "audiomixer name=amix latency={latency} ! audioconvert ! {araw} ! tee name=at allow-not-linked=true"
    ));
    // Silence keeps the mixer running with no (or silent) inputs.
    d.push(format!(
        "audiotestsrc is-live=true wave=silence ! audioconvert ! {araw} ! amix."
    ));
    if o.rtp {
        d.push(format!(
            "at. ! queue ! opusenc bitrate={} ! rtpopuspay pt=111 mtu={RTP_MTU} ! appsink name=artp sync=false",
            o.audio_bitrate
        ));
    }
    if let Some((url, audio)) = &o.rtmp {
        let enc = match audio {
            FlvAudio::Aac => format!("avenc_aac bitrate={} ! aacparse", o.audio_bitrate),
            FlvAudio::Mp3 => format!(
                "lamemp3enc target=bitrate cbr=true bitrate={} ! mpegaudioparse",
                (o.audio_bitrate / 1000).max(8)
            ),
        };
        // FLV's MP3 rates stop at 44.1 kHz (flvmux refuses 48 kHz MP3); AAC gets the same rate.
        d.push(format!(
            "at. ! queue ! audioconvert ! audioresample ! audio/x-raw,rate=44100 ! {enc} ! fmux."
        ));
        d.push(format!(
            "flvmux name=fmux streamable=true latency={latency} ! rtmp2sink location=\"{}\" async=false",
            url.replace('"', "")
        ));
    }
    d.join("  ")
}

fn required_elements(o: &MixOutput) -> Vec<&'static str> {
    let mut v: Vec<&str> = BASE_ELEMENTS.to_vec();
    if let Some(c) = o.video {
        v.extend_from_slice(VIDEO_ELEMENTS);
        if o.background_image.is_some() {
            v.extend_from_slice(&["filesrc", "decodebin", "videoscale", "imagefreeze"]);
        }
        if o.rtp {
            match c {
                VideoCodec::H264 => v.extend_from_slice(&["x264enc", "rtph264pay"]),
                VideoCodec::Vp8 => v.extend_from_slice(&["vp8enc", "rtpvp8pay"]),
            }
        }
        if o.rtmp.is_some() {
            v.push("x264enc");
        }
    }
    if o.rtp {
        v.extend_from_slice(&["opusenc", "rtpopuspay"]);
    }
    if let Some((_, a)) = &o.rtmp {
        v.extend_from_slice(&["flvmux", "rtmp2sink"]);
        match a {
            FlvAudio::Aac => v.extend_from_slice(&["avenc_aac", "aacparse"]),
            FlvAudio::Mp3 => v.extend_from_slice(&["lamemp3enc", "mpegaudioparse"]),
        }
    }
    v
}

/// The RTP header fields and payload of a packet (None if it is not RTP).
pub fn parse_rtp(b: &[u8]) -> Option<(bool, u16, u32, &[u8])> {
    if b.len() < 12 || b[0] >> 6 != 2 {
        return None;
    }
    let cc = (b[0] & 0x0f) as usize;
    let mut off = 12 + 4 * cc;
    if b[0] & 0x10 != 0 {
        let ext = b.get(off + 2..off + 4)?;
        off += 4 + 4 * u16::from_be_bytes([ext[0], ext[1]]) as usize;
    }
    let mut end = b.len();
    if b[0] & 0x20 != 0 {
        end = end.checked_sub(*b.last()? as usize)?;
    }
    let payload = b.get(off..end)?;
    Some((
        b[1] & 0x80 != 0,
        u16::from_be_bytes([b[2], b[3]]),
        u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
        payload,
    ))
}

fn rtp_sink(sink: &AppSink, video: bool, out: RtpCallback) {
    sink.set_callbacks(
        AppSinkCallbacks::builder()
            .new_sample(move |s| {
                let sample = s.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                if let Some(buf) = sample.buffer() {
                    if let Ok(map) = buf.map_readable() {
                        if let Some((marker, seq, time, payload)) = parse_rtp(&map) {
                            out(OutRtp {
                                video,
                                seq,
                                time,
                                marker,
                                payload: payload.to_vec(),
                            });
                        }
                    }
                }
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );
}

impl Mixer {
    /// Builds and starts a mix without inputs. RTP of the output goes to `on_rtp` (from
    /// GStreamer's streaming threads: it must not block).
    pub fn start(
        name: &str,
        output: MixOutput,
        on_rtp: RtpCallback,
    ) -> Result<(Mixer, mpsc::UnboundedReceiver<PipelineEvent>), LiveError> {
        require_elements(&required_elements(&output))?;
        let (pipeline, events) = Pipeline::launch(name, &description(&output))?;
        let compositor = match output.video {
            Some(_) => Some(pipeline.element::<gst::Element>("comp")?),
            None => None,
        };
        if let Some(comp) = &compositor {
            // The background pads, in the order the description links them.
            for (i, pad) in comp.sink_pads().iter().enumerate() {
                let z = if i == 0 {
                    ZORDER_BG_COLOR
                } else {
                    ZORDER_BG_IMAGE
                };
                pad.set_property("zorder", z);
                pad.set_property("width", output.width as i32);
                pad.set_property("height", output.height as i32);
            }
        }
        let audiomixer = pipeline.element::<gst::Element>("amix")?;
        let mut rtp_video_encoder = None;
        if output.rtp {
            if output.video.is_some() {
                rtp_sink(&pipeline.element::<AppSink>("vrtp")?, true, on_rtp.clone());
                rtp_video_encoder = Some(pipeline.element::<gst::Element>("venc")?);
            }
            rtp_sink(&pipeline.element::<AppSink>("artp")?, false, on_rtp);
        }
        pipeline.play()?;
        tracing::info!(pipeline = name, ?output, "mix started");
        Ok((
            Mixer {
                pipeline,
                output,
                compositor,
                audiomixer,
                rtp_video_encoder,
                inputs: HashMap::new(),
            },
            events,
        ))
    }

    /// Where the mix goes and how it is encoded.
    pub fn output(&self) -> &MixOutput {
        &self.output
    }

    /// Whether an input with this id is in the mix.
    pub fn has_input(&self, id: &str) -> bool {
        self.inputs.contains_key(id)
    }

    /// The ids of the mix's inputs.
    pub fn input_ids(&self) -> Vec<String> {
        self.inputs.keys().cloned().collect()
    }

    /// Adds an input whose tap was probed: its video (if the mix has video) is drawn at
    /// `rect` with `zorder` (higher above), its audio mixed in. Packets flow from the tap at once.
    pub fn add_input(
        &mut self,
        id: &str,
        probe: Probe,
        rx: mpsc::Receiver<TapPacket>,
        rect: Rect,
        zorder: u32,
    ) -> Result<(), LiveError> {
        self.remove_input(id);
        let name = self.pipeline.name().to_string();
        let n = self.inputs.len();
        let video = match (&self.compositor, probe.video) {
            (Some(comp), Some((codec, pt))) => {
                let decoder = match codec {
                    MediaCodec::H264 => "avdec_h264",
                    MediaCodec::Vp8 => "vp8dec",
                    MediaCodec::Opus => {
                        return Err(pipeline_error(&name, "audio codec on the video track"))
                    }
                };
                let d = format!(
                    "{} ! {} ! {decoder} ! videoconvert ! queue max-size-buffers=5",
                    appsrc_description("src", codec, pt),
                    depayloader(codec)
                );
                let bin = self.add_branch(&d, comp)?;
                Some(bin)
            }
            _ => None,
        };
        let audio = match probe.audio {
            Some((codec @ MediaCodec::Opus, pt)) => {
                let d = format!(
                    "{} ! rtpopusdepay ! opusdec plc=true ! audioconvert ! audioresample ! queue",
                    appsrc_description("src", codec, pt)
                );
                match self.add_branch(&d, &self.audiomixer.clone()) {
                    Ok(b) => Some(b),
                    Err(e) => {
                        if let Some(v) = video {
                            self.release_branch(v);
                        }
                        return Err(e);
                    }
                }
            }
            _ => None,
        };
        let src_of = |b: &Option<(gst::Element, gst::Pad)>| {
            b.as_ref()
                .and_then(|(bin, _)| bin.downcast_ref::<gst::Bin>()?.by_name("src"))
                .and_then(|e| e.downcast::<AppSrc>().ok())
        };
        let feed = spawn_feed(probe, rx, src_of(&video), src_of(&audio));
        self.inputs
            .insert(id.to_string(), Input { video, audio, feed });
        self.set_layout(id, rect, zorder);
        tracing::debug!(pipeline = %name, input = id, index = n, "mix input added");
        Ok(())
    }

    /// A bin from `d` linked to a new request pad of `aggregator`, playing.
    fn add_branch(
        &self,
        d: &str,
        aggregator: &gst::Element,
    ) -> Result<(gst::Element, gst::Pad), LiveError> {
        let name = self.pipeline.name();
        let bin = gst::parse::bin_from_description(d, true)
            .map_err(|e| pipeline_error(name, e.to_string()))?;
        let bin: gst::Element = bin.upcast();
        self.pipeline
            .gst()
            .add(&bin)
            .map_err(|e| pipeline_error(name, e.to_string()))?;
        let fail = |reason: String| {
            let _ = self.pipeline.gst().remove(&bin);
            pipeline_error(name, reason)
        };
        let Some(sink) = aggregator.request_pad_simple("sink_%u") else {
            return Err(fail("aggregator gave no pad".into()));
        };
        let Some(src) = bin.static_pad("src") else {
            aggregator.release_request_pad(&sink);
            return Err(fail("branch has no src pad".into()));
        };
        if let Err(e) = src.link(&sink) {
            aggregator.release_request_pad(&sink);
            return Err(fail(format!("cannot link a branch: {e:?}")));
        }
        if let Err(e) = bin.sync_state_with_parent() {
            aggregator.release_request_pad(&sink);
            return Err(fail(format!("branch does not start: {e}")));
        }
        Ok((bin, sink))
    }

    fn release_branch(&self, (bin, pad): (gst::Element, gst::Pad)) {
        let _ = bin.set_state(gst::State::Null);
        let _ = self.pipeline.gst().remove(&bin);
        if let Some(agg) = pad.parent_element() {
            agg.release_request_pad(&pad);
        }
    }

    /// Moves an input (no effect on an unknown one).
    pub fn set_layout(&mut self, id: &str, rect: Rect, zorder: u32) {
        let Some((_, pad)) = self.inputs.get(id).and_then(|i| i.video.as_ref()) else {
            return;
        };
        pad.set_property("xpos", rect.left);
        pad.set_property("ypos", rect.top);
        pad.set_property("width", rect.width.max(1));
        pad.set_property("height", rect.height.max(1));
        pad.set_property("zorder", ZORDER_INPUTS + zorder);
        pad.set_property("alpha", if rect.is_empty() { 0.0f64 } else { 1.0 });
        // A drawn input that stops sending keeps its last frame (and after end-of-stream too).
        pad.set_property("repeat-after-eos", true);
    }

    /// Takes an input out of the mix; nothing if there is no such input.
    pub fn remove_input(&mut self, id: &str) {
        let Some(input) = self.inputs.remove(id) else {
            return;
        };
        input.feed.abort();
        for b in [input.video, input.audio].into_iter().flatten() {
            self.release_branch(b);
        }
        tracing::debug!(pipeline = %self.pipeline.name(), input = id, "mix input removed");
    }

    /// Asks the RTP video encoder for a key frame (a player joined or lost one).
    pub fn force_keyframe(&self) {
        let Some(enc) = &self.rtp_video_encoder else {
            return;
        };
        // What gstreamer-video's UpstreamForceKeyUnitEvent builds, without the dependency.
        let s = gst::Structure::builder("GstForceKeyUnit")
            .field("all-headers", true)
            .field("count", 0u32)
            .build();
        if let Some(pad) = enc.static_pad("src") {
            pad.send_event(gst::event::CustomUpstream::new(s));
        }
    }
}

impl Drop for Mixer {
    fn drop(&mut self) {
        for (_, i) in self.inputs.drain() {
            i.feed.abort();
        }
        tracing::info!(pipeline = %self.pipeline.name(), "mix stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtp_headers_are_parsed_with_csrcs_extensions_and_padding() {
        let mut p = vec![0x80, 0x80 | 96, 0x12, 0x34, 0, 0, 0x10, 0, 1, 2, 3, 4, 9, 9];
        assert_eq!(parse_rtp(&p), Some((true, 0x1234, 0x1000, &[9u8, 9][..])));
        // One CSRC, an extension of one word, two bytes of padding.
        p = vec![0xb1, 96, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4];
        p.extend_from_slice(&[5, 5, 5, 5]);
        p.extend_from_slice(&[0xbe, 0xde, 0, 1, 7, 7, 7, 7]);
        p.extend_from_slice(&[42, 0, 2]);
        assert_eq!(parse_rtp(&p), Some((false, 1, 1, &[42u8][..])));
        assert_eq!(parse_rtp(&[0x80, 1, 2]), None);
        assert_eq!(parse_rtp(&[0x40; 20]), None, "not RTP version 2");
    }

    fn output() -> MixOutput {
        MixOutput {
            video: Some(VideoCodec::H264),
            width: 320,
            height: 240,
            fps: 15,
            bitrate: 300_000,
            audio_bitrate: DEFAULT_AUDIO_BITRATE,
            audio_channels: 1,
            background_rgb: 0x00ff00,
            background_image: None,
            rtp: true,
            rtmp: None,
        }
    }

    /// The output of a mix without inputs is its background, as H.264 RTP and Opus RTP.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_empty_mix_sends_video_and_audio_rtp() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let cb: RtpCallback = Arc::new(move |p| {
            let _ = tx.send(p);
        });
        let (mixer, _events) = Mixer::start("mix-test", output(), cb).unwrap();
        let (mut video, mut audio, mut idr) = (0, 0, false);
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while video < 10 || audio < 10 || !idr {
            let p = tokio::time::timeout_at(deadline, rx.recv())
                .await
                .expect("output in time")
                .unwrap();
            if p.video {
                video += 1;
                // config-interval=-1 sends SPS (NAL type 7) before every IDR (5).
                idr |= matches!(p.payload.first().map(|b| b & 0x1f), Some(5 | 7));
            } else {
                audio += 1;
            }
        }
        mixer.force_keyframe();
        drop(mixer);
    }

    #[test]
    fn the_description_names_the_chosen_encoders() {
        let mut o = output();
        o.rtmp = Some(("rtmp://127.0.0.1/live/x".into(), FlvAudio::Mp3));
        o.video = Some(VideoCodec::Vp8);
        let d = description(&o);
        assert!(d.contains("vp8enc name=venc"), "{d}");
        assert!(d.contains("x264enc name=fenc"), "{d}");
        assert!(d.contains("lamemp3enc"), "{d}");
        assert!(d.contains("foreground-color=0xff00ff00"), "{d}");
        o.video = None;
        let d = description(&o);
        assert!(!d.contains("compositor"), "{d}");
    }
}
