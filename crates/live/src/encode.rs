//! Pipeline fragments shared by the outputs: a tapped stream's tracks into a muxer as
//! H.264 and AAC. H.264 passes through (depayload and parse only); VP8 is decoded and
//! encoded with x264 (zerolatency); Opus is decoded and encoded to AAC.

use crate::rtp_in::{appsrc_description, Probe};
use crate::LiveError;
use liveroom_media::MediaCodec;

/// Key-frame interval of transcoded video, in frames (≈2 s at 25 fps): HLS segments and late
/// FLV viewers start on key frames.
pub const TRANSCODE_KEY_INT: u32 = 50;
/// Bitrate of transcoded video, kbit/s.
pub const TRANSCODE_KBPS: u32 = 1500;
/// AAC bitrate, bit/s.
pub const AAC_BPS: u32 = 128_000;

/// Names of the appsrc elements the fragments create.
pub const VIDEO_SRC: &str = "vsrc";
/// Name of the audio appsrc element.
pub const AUDIO_SRC: &str = "asrc";

/// What the muxer wants of H.264.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum H264Format {
    /// length-prefixed with codec_data (FLV)
    Avc,
    /// Annex B with SPS/PPS repeated before key frames (MPEG-TS / HLS)
    ByteStream,
}

/// The elements every output needs, to fail early with the plugin's name.
pub fn required_elements(p: &Probe) -> Vec<&'static str> {
    let mut v = vec!["appsrc", "queue"];
    match p.video.map(|x| x.0) {
        Some(MediaCodec::H264) => v.extend(["rtph264depay", "h264parse"]),
        Some(MediaCodec::Vp8) => v.extend([
            "rtpvp8depay",
            "vp8dec",
            "videoconvert",
            "x264enc",
            "h264parse",
        ]),
        _ => {}
    }
    if p.audio.is_some() {
        v.extend([
            "rtpopusdepay",
            "opusdec",
            "audioconvert",
            "audioresample",
            "avenc_aac",
            "aacparse",
        ]);
    }
    v
}

/// Branches from the tracks' appsrc elements into `mux` (an element's `name=`): `mux.` is
/// linked by request pad, or `mux.video` / `mux.audio` when `named_pads` (hlssink2).
pub fn branches(
    p: &Probe,
    mux: &str,
    h264: H264Format,
    named_pads: bool,
) -> Result<String, LiveError> {
    if p.video.is_none() && p.audio.is_none() {
        return Err(LiveError::Pipeline {
            name: mux.to_string(),
            reason: "the stream has neither audio nor video".into(),
        });
    }
    crate::require_elements(&required_elements(p))?;
    let (caps, parse) = match h264 {
        H264Format::Avc => ("video/x-h264,stream-format=avc,alignment=au", "h264parse"),
        H264Format::ByteStream => (
            "video/x-h264,stream-format=byte-stream,alignment=au",
            "h264parse config-interval=-1",
        ),
    };
    let pad = |kind: &str| {
        if named_pads {
            format!("{mux}.{kind}")
        } else {
            format!("{mux}.")
        }
    };
    let mut d = String::new();
    if let Some((codec, pt)) = p.video {
        let to_h264 = match codec {
            MediaCodec::H264 => format!("rtph264depay ! {parse}"),
            MediaCodec::Vp8 => format!(
                "rtpvp8depay ! vp8dec ! videoconvert ! video/x-raw,format=I420 ! \
                 x264enc tune=zerolatency speed-preset=ultrafast key-int-max={TRANSCODE_KEY_INT} \
                 bitrate={TRANSCODE_KBPS} ! {parse}"
            ),
            MediaCodec::Opus => {
                return Err(LiveError::Pipeline {
                    name: mux.to_string(),
                    reason: "Opus in the video track".into(),
                })
            }
        };
        d.push_str(&format!(
            "{} ! {to_h264} ! {caps} ! queue ! {} ",
            appsrc_description(VIDEO_SRC, codec, pt),
            pad("video")
        ));
    }
    if let Some((codec, pt)) = p.audio {
        d.push_str(&format!(
            "{} ! rtpopusdepay ! opusdec ! audioconvert ! audioresample ! avenc_aac bitrate={AAC_BPS} ! \
             aacparse ! queue ! {} ",
            appsrc_description(AUDIO_SRC, codec, pt),
            pad("audio")
        ));
    }
    Ok(d)
}
