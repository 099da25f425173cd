//! The pure part of mixing: a `start_mix` / `stop_mix` body parsed and checked into a
//! [`MixPlan`] (every field in range, named when it is not), and the answer's play URLs.
//! No IO and no state: `biz::mix` runs the plans.

use crate::biz::caller::BizError;
use crate::live::urls::UrlBase;
use liveroom_proto::limits::check_id;
use liveroom_proto::ErrCode;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Most inputs in one mix (the Zego service's limit).
pub const MAX_INPUTS: usize = 9;
/// Output size limits in pixels (odd sizes are rounded up to even: I420 and x264 need it).
pub const MIN_DIMENSION: i64 = 16;
pub const MAX_DIMENSION: i64 = 1920;
pub const MAX_FPS: i64 = 60;
/// Video bit rate limits, bits per second (as the SDK sends `outputBitrate`).
pub const MIN_BITRATE: i64 = 10_000;
pub const MAX_BITRATE: i64 = 20_000_000;
/// Audio bit rate limits and default, bits per second.
pub const MIN_AUDIO_BITRATE: i64 = 8_000;
pub const MAX_AUDIO_BITRATE: i64 = 320_000;
pub const DEFAULT_AUDIO_BITRATE: u32 = 48_000;
/// Input rectangles' coordinates may reach past the output (clipped) up to this.
pub const MAX_COORD: i64 = 2 * MAX_DIMENSION;
/// Highest `layer` an input may ask for.
pub const MAX_LAYER: i64 = 100;
pub const MAX_URL_BYTES: usize = 1024;
/// Running mixes per server: each costs a decoder per input and an encoder.
pub const MAX_MIXES: usize = 64;

/// An output as a mix is addressed: stream id, else RTMP URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutputKey {
    Stream(String),
    Url(String),
}

/// One input as laid out.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedInput {
    pub stream_id: String,
    /// left, top, width, height in output pixels; empty = audio only.
    pub rect: (i32, i32, i32, i32),
    pub zorder: u32,
}

/// What the output is (fixed at start).
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedOutput {
    pub stream_id: Option<String>,
    pub url: Option<String>,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub bitrate: u32,
    /// "vp8" in `extra_params.video_encode` picks VP8 for the WebRTC output, else H.264.
    pub vp8: bool,
    /// `audio_enc_id` 2 (MP3) gives MP3 in FLV; 0 HE-AAC, 1 AAC-LC and 3 Opus give AAC-LC.
    pub flv_mp3: bool,
    pub audio_bitrate: u32,
    pub audio_channels: u32,
    pub background_rgb: u32,
    pub background_image: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MixPlan {
    pub key: OutputKey,
    pub output: PlannedOutput,
    pub inputs: Vec<PlannedInput>,
}

#[derive(Deserialize)]
struct StartReq {
    #[serde(rename = "MixInput", default)]
    inputs: Vec<InputReq>,
    #[serde(rename = "MixOutput", default)]
    outputs: Vec<OutputReq>,
    #[serde(default)]
    output_bg_color: Option<i64>,
    #[serde(default)]
    output_bg_image: Option<String>,
    #[serde(default)]
    extra_params: Option<Vec<KeyValue>>,
}

#[derive(Deserialize)]
struct InputReq {
    stream_id: String,
    rect: RectReq,
}

#[derive(Deserialize)]
struct RectReq {
    #[serde(default)]
    layer: Option<i64>,
    top: i64,
    left: i64,
    bottom: i64,
    right: i64,
}

#[derive(Deserialize)]
struct OutputReq {
    #[serde(default)]
    stream_id: Option<String>,
    #[serde(default)]
    mixurl: Option<String>,
    bitrate: i64,
    fps: i64,
    width: i64,
    height: i64,
    #[serde(default)]
    audio_enc_id: Option<i64>,
    #[serde(default)]
    audio_bitrate: Option<i64>,
    #[serde(default)]
    audio_channel_cnt: Option<i64>,
}

#[derive(Deserialize)]
struct KeyValue {
    key: String,
    #[serde(default)]
    value: serde_json::Value,
}

#[derive(Deserialize)]
struct StopReq {
    #[serde(default)]
    stream_id: Option<String>,
    #[serde(default)]
    mixurl: Option<String>,
}

fn bad(msg: impl Into<String>) -> BizError {
    BizError::new(ErrCode::BAD_BODY, msg)
}

fn in_range(name: &str, v: i64, lo: i64, hi: i64) -> Result<u32, BizError> {
    if v < lo || v > hi {
        return Err(bad(format!("{name} {v} is not within {lo}..={hi}")));
    }
    Ok(v as u32)
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

fn output_key(stream_id: Option<String>, url: Option<String>) -> Result<OutputKey, BizError> {
    match (non_empty(stream_id), non_empty(url)) {
        (Some(s), _) => match check_id("output stream_id", &s, 1) {
            Ok(()) => Ok(OutputKey::Stream(s)),
            Err(e) => Err(bad(e)),
        },
        (None, Some(u)) => Ok(OutputKey::Url(check_url(&u)?)),
        (None, None) => Err(bad("the output needs a stream_id or a mixurl")),
    }
}

fn check_url(u: &str) -> Result<String, BizError> {
    if u.len() > MAX_URL_BYTES || !(u.starts_with("rtmp://") || u.starts_with("rtmps://")) {
        return Err(bad(format!(
            "mixurl must be an rtmp:// or rtmps:// URL of at most {MAX_URL_BYTES} bytes"
        )));
    }
    if u.chars().any(|c| c.is_control() || c == '"' || c == ' ') {
        return Err(bad("mixurl has spaces, quotes or control characters"));
    }
    Ok(u.to_string())
}

/// Checks a `start_mix` body and turns it into a plan; `images` maps `preset-id://` names.
pub fn plan(req_body: &str, images: &BTreeMap<String, String>) -> Result<MixPlan, BizError> {
    let de = &mut serde_json::Deserializer::from_str(req_body);
    let req: StartReq =
        serde_path_to_error::deserialize(de).map_err(|e| bad(format!("req_body: {e}")))?;
    let Some(out) = req.outputs.into_iter().next() else {
        return Err(bad("MixOutput is empty"));
    };
    let url = match non_empty(out.mixurl.clone()) {
        Some(u) => Some(check_url(&u)?),
        None => None,
    };
    let key = output_key(out.stream_id.clone(), out.mixurl)?;
    let even = |v: u32| v + (v & 1);
    let width = even(in_range("width", out.width, MIN_DIMENSION, MAX_DIMENSION)?);
    let height = even(in_range(
        "height",
        out.height,
        MIN_DIMENSION,
        MAX_DIMENSION,
    )?);
    let fps = in_range("fps", out.fps, 1, MAX_FPS)?;
    let bitrate = in_range("bitrate", out.bitrate, MIN_BITRATE, MAX_BITRATE)?;
    let flv_mp3 = match out.audio_enc_id.unwrap_or(0) {
        0 | 1 | 3 => false,
        2 => true,
        other => return Err(bad(format!("audio_enc_id {other} is not 0, 1, 2 or 3"))),
    };
    let audio_bitrate = match out.audio_bitrate {
        None | Some(0) => DEFAULT_AUDIO_BITRATE,
        Some(b) => in_range("audio_bitrate", b, MIN_AUDIO_BITRATE, MAX_AUDIO_BITRATE)?,
    };
    let audio_channels = match out.audio_channel_cnt {
        None | Some(0) => 1,
        Some(c) => in_range("audio_channel_cnt", c, 1, 2)?,
    };
    // 0xRRGGBBxx: the low byte is not used.
    let background_rgb = match req.output_bg_color {
        None => 0,
        Some(c) => (in_range("output_bg_color", c, 0, u32::MAX as i64)? >> 8) & 0xff_ffff,
    };
    let background_image = match non_empty(req.output_bg_image) {
        None => None,
        Some(s) => {
            let name = s.strip_prefix("preset-id://").ok_or_else(|| {
                bad(format!(
                    "output_bg_image {s:?} does not start with preset-id://"
                ))
            })?;
            let path = images.get(name).ok_or_else(|| {
                bad(format!(
                    "no background image {name:?} (configure live.background_images)"
                ))
            })?;
            Some(PathBuf::from(path))
        }
    };
    let mut vp8 = false;
    for kv in req.extra_params.unwrap_or_default() {
        if kv.key == "video_encode" {
            match kv.value.as_str().map(|v| v.to_ascii_lowercase()).as_deref() {
                Some("h264") => vp8 = false,
                Some("vp8") => vp8 = true,
                _ => {
                    return Err(bad(format!(
                        "video_encode {} is not \"h264\" or \"vp8\"",
                        kv.value
                    )))
                }
            }
        }
    }
    if req.inputs.is_empty() || req.inputs.len() > MAX_INPUTS {
        return Err(bad(format!("MixInput must have 1 to {MAX_INPUTS} inputs")));
    }
    let mut inputs: Vec<PlannedInput> = Vec::with_capacity(req.inputs.len());
    for (i, inp) in req.inputs.into_iter().enumerate() {
        check_id("input stream_id", &inp.stream_id, 1).map_err(bad)?;
        if inputs.iter().any(|p| p.stream_id == inp.stream_id) {
            return Err(bad(format!("input {} is listed twice", inp.stream_id)));
        }
        if key == OutputKey::Stream(inp.stream_id.clone()) {
            return Err(bad(format!("{} is both input and output", inp.stream_id)));
        }
        let r = &inp.rect;
        let c = |n: &str, v: i64| in_range(&format!("{} rect.{n}", inp.stream_id), v, 0, MAX_COORD);
        let (top, left, bottom, right) = (
            c("top", r.top)?,
            c("left", r.left)?,
            c("bottom", r.bottom)?,
            c("right", r.right)?,
        );
        let layer = match r.layer {
            Some(l) => in_range("rect.layer", l, 0, MAX_LAYER)?,
            None => i as u32,
        };
        inputs.push(PlannedInput {
            stream_id: inp.stream_id,
            rect: (
                left as i32,
                top as i32,
                right as i32 - left as i32,
                bottom as i32 - top as i32,
            ),
            zorder: layer,
        });
    }
    Ok(MixPlan {
        output: PlannedOutput {
            stream_id: match &key {
                OutputKey::Stream(s) => Some(s.clone()),
                OutputKey::Url(_) => None,
            },
            url,
            width,
            height,
            fps,
            bitrate,
            vp8,
            flv_mp3,
            audio_bitrate,
            audio_channels,
            background_rgb,
            background_image,
        },
        key,
        inputs,
    })
}

/// The `stop_mix` body's output.
pub fn stop_key(req_body: &str) -> Result<OutputKey, BizError> {
    let req: StopReq = serde_json::from_str(req_body).map_err(|e| bad(format!("req_body: {e}")))?;
    output_key(req.stream_id, req.mixurl)
}

/// The success `rsp_body`: the output's URLs (RTMP: the push URL; FLV/HLS: this server's, for
/// a stream output, with `sign` giving a signed URL's query for the stream when the app's are).
pub fn play_body(
    urls: &UrlBase,
    appid: u64,
    o: &PlannedOutput,
    sign: impl Fn(&str) -> Option<String>,
) -> String {
    let (flv, hls) = match &o.stream_id {
        Some(s) => {
            let u = urls.urls(appid, s, sign(s).as_deref());
            let flv = u.flv.into_iter().chain(u.https_flv).next();
            let hls = u.m3u8.into_iter().chain(u.https_m3u8).next();
            (flv, hls)
        }
        None => (None, None),
    };
    json!({"play": [{"rtmp_url": o.url, "hls_url": hls, "hdl_url": flv}]}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(extra: serde_json::Value) -> String {
        let mut v = json!({
            "id_name": "u", "live_channel": "r", "appid": 1, "version": 1,
            "MixInput": [
                {"stream_id": "a", "rect": {"layer": 0, "top": 0, "left": 0, "bottom": 240, "right": 320}},
                {"stream_id": "b", "rect": {"layer": 1, "top": 0, "left": 320, "bottom": 240, "right": 640}}
            ],
            "MixOutput": [{"stream_id": "mix", "bitrate": 800000, "fps": 15, "width": 640, "height": 241, "testenv": 0}],
            "output_bg_color": 0x11223300u32
        });
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            for (k, x) in e {
                o.insert(k.clone(), x.clone());
            }
        }
        v.to_string()
    }

    #[test]
    fn a_start_body_becomes_a_plan() {
        let p = plan(&body(json!({})), &BTreeMap::new()).unwrap();
        assert_eq!(p.key, OutputKey::Stream("mix".into()));
        assert_eq!(p.output.height, 242, "odd sizes round up to even");
        assert_eq!(p.output.background_rgb, 0x112233);
        assert!(!p.output.vp8 && !p.output.flv_mp3);
        assert_eq!(p.inputs[1].rect, (320, 0, 320, 240));
        assert_eq!(p.inputs[1].zorder, 1);
    }

    #[test]
    fn bad_bodies_are_refused_naming_the_field() {
        let images = BTreeMap::from([("logo".to_string(), "/x.png".to_string())]);
        let cases = [
            (json!({"MixInput": []}), "MixInput"),
            (json!({"output_bg_image": "http://x"}), "preset-id://"),
            (json!({"output_bg_image": "preset-id://nope"}), "nope"),
            (
                json!({"extra_params": [{"key": "video_encode", "value": "av1"}]}),
                "video_encode",
            ),
            (
                json!({"MixOutput": [{"bitrate": 800, "fps": 15, "width": 64, "height": 64, "stream_id": "m"}]}),
                "bitrate",
            ),
            (
                json!({"MixOutput": [{"bitrate": 800000, "fps": 15, "width": 64, "height": 64, "mixurl": "http://x"}]}),
                "mixurl",
            ),
            (
                json!({"MixOutput": [{"bitrate": 800000, "fps": 15, "width": 64, "height": 64}]}),
                "stream_id or a mixurl",
            ),
            (
                json!({"MixInput": [{"stream_id": "a", "rect": {"top": -1, "left": 0, "bottom": 1, "right": 1}}]}),
                "rect.top",
            ),
            (
                json!({"MixInput": [{"stream_id": "mix", "rect": {"top": 0, "left": 0, "bottom": 1, "right": 1}}]}),
                "both input and output",
            ),
        ];
        for (extra, want) in cases {
            let e = plan(&body(extra.clone()), &images).unwrap_err();
            assert_eq!(e.code, ErrCode::BAD_BODY, "{extra}");
            assert!(e.message.contains(want), "{extra}: {}", e.message);
        }
        let ten: Vec<_> = (0..10)
            .map(|i| json!({"stream_id": format!("s{i}"), "rect": {"top": 0, "left": 0, "bottom": 1, "right": 1}}))
            .collect();
        assert!(plan(&body(json!({ "MixInput": ten })), &images).is_err());
        let ok = plan(
            &body(json!({"output_bg_image": "preset-id://logo", "extra_params": [{"key": "video_encode", "value": "VP8"}]})),
            &images,
        )
        .unwrap();
        assert_eq!(ok.output.background_image, Some(PathBuf::from("/x.png")));
        assert!(ok.output.vp8);
    }

    #[test]
    fn audio_codecs_map_to_what_flv_carries() {
        let with = |id: i64| {
            plan(
                &body(
                    json!({"MixOutput": [{"mixurl": "rtmp://h/live/x", "bitrate": 800000, "fps": 15, "width": 64, "height": 64, "audio_enc_id": id}]}),
                ),
                &BTreeMap::new(),
            )
        };
        assert!(!with(0).unwrap().output.flv_mp3);
        assert!(!with(1).unwrap().output.flv_mp3);
        assert!(with(2).unwrap().output.flv_mp3);
        assert!(
            !with(3).unwrap().output.flv_mp3,
            "Opus cannot go in FLV: AAC"
        );
        assert!(with(4).is_err());
        assert_eq!(
            with(0).unwrap().key,
            OutputKey::Url("rtmp://h/live/x".into())
        );
    }

    #[test]
    fn play_urls_name_the_outputs() {
        let urls = UrlBase("http://h:1".into());
        let p = plan(&body(json!({})), &BTreeMap::new()).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&play_body(&urls, 7, &p.output, |_| None)).unwrap();
        assert_eq!(v["play"][0]["hdl_url"], "http://h:1/live/7/mix.flv");
        assert_eq!(v["play"][0]["hls_url"], "http://h:1/live/7/mix.m3u8");
        assert!(v["play"][0]["rtmp_url"].is_null());
        let signed: serde_json::Value =
            serde_json::from_str(&play_body(&urls, 7, &p.output, |s| {
                Some(format!("expires=9&sign={s}"))
            }))
            .unwrap();
        assert_eq!(
            signed["play"][0]["hdl_url"],
            "http://h:1/live/7/mix.flv?expires=9&sign=mix"
        );
        assert_eq!(
            signed["play"][0]["hls_url"],
            "http://h:1/live/7/mix.m3u8?expires=9&sign=mix"
        );
        assert_eq!(
            stop_key(r#"{"mixurl":"rtmp://a/b"}"#).unwrap(),
            OutputKey::Url("rtmp://a/b".into())
        );
    }
}
