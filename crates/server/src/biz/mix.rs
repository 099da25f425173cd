//! Server-side mixing (`biz_channel` `zeus` `start_mix` / `stop_mix`, notes §8.1/§8.2).
//!
//! A mix is keyed by its output (the output stream id, else the RTMP URL) within an app. Its
//! inputs are tapped from the SFU, its output is published back into the SFU as an injected
//! stream that is registered in the room's stream list as a stream of the user who started
//! the mix (so everybody else gets the stream-added push and plays it over WebRTC), and/or
//! pushed to `mixurl` over RTMP. Another `start_mix` for a running mix changes its layout and
//! inputs on the live pipeline; the output format (size, rate, codecs) is fixed at start.
//!
//! Who may control a mix: any member of the mix's room (as with Zego, where a mix is an
//! app-level task addressed by its output); members of other rooms get `MIX_NOT_FOUND`.
//! Lifetime: the mix stops on `stop_mix`, when its pipeline fails, or when the user who
//! started it leaves the room for good (logout, kick, room closed, end of the reconnect
//! grace) — the output stream is that user's, and the room removes a leaving user's streams.
//!
//! Each mix runs in a task owning its pipeline; control commands are serialized by one lock
//! so two `start_mix` for the same output cannot both build a pipeline.

use crate::biz::{BizCaller, BizError};
use crate::live::urls::UrlBase;
use crate::AppState;
use liveroom_proto::limits::check_id;
use liveroom_proto::ErrCode;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

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

/// Every running mix, and what mixing needs from the configuration.
pub struct Mixes {
    pub urls: UrlBase,
    images: BTreeMap<String, String>,
    /// Whether mixing may run (feature, `live.enabled`, media on).
    enabled: bool,
    /// One slot per output; a request holds its output's slot while it checks and taps the
    /// inputs (which can take seconds), so requests for other outputs are not held up.
    #[cfg(feature = "live")]
    running: std::sync::Mutex<std::collections::HashMap<(u64, OutputKey), run::Slot>>,
}

impl Mixes {
    pub fn new(urls: UrlBase, config: &crate::config::Config, media_on: bool) -> Mixes {
        Mixes {
            urls,
            images: config.live.background_images.clone(),
            enabled: cfg!(feature = "live") && config.live.enabled && media_on,
            #[cfg(feature = "live")]
            running: Default::default(),
        }
    }

    fn unavailable() -> BizError {
        BizError::new(
            ErrCode::MIX_FAILED,
            if cfg!(feature = "live") {
                "mixing is off (live.enabled = false or media off)"
            } else {
                "this server was built without live outputs (feature `live`)"
            },
        )
    }
}

/// `start_mix`: starts a mix, or updates the running one with the same output.
pub async fn start_mix(
    state: &Arc<AppState>,
    caller: &BizCaller,
    req_body: &str,
) -> Result<String, BizError> {
    let mixes = &state.mixes;
    let plan = plan(req_body, &mixes.images)?;
    if !mixes.enabled {
        return Err(Mixes::unavailable());
    }
    #[cfg(feature = "live")]
    {
        run::start_or_update(state, caller, plan).await
    }
    #[cfg(not(feature = "live"))]
    {
        let _ = (caller, plan);
        Err(Mixes::unavailable())
    }
}

/// `stop_mix`: stops a mix of the caller's room.
pub async fn stop_mix(
    state: &Arc<AppState>,
    caller: &BizCaller,
    req_body: &str,
) -> Result<String, BizError> {
    let key = stop_key(req_body)?;
    if !state.mixes.enabled {
        return Err(Mixes::unavailable());
    }
    #[cfg(feature = "live")]
    {
        run::stop(state, caller, key).await
    }
    #[cfg(not(feature = "live"))]
    {
        let _ = (caller, key);
        Err(Mixes::unavailable())
    }
}

#[cfg(feature = "live")]
mod run {
    use super::*;
    use crate::rooms::registry::{AdminCmd, RoomCmd, RoomKey};
    use liveroom_live::mix::{FlvAudio, MixOutput, Mixer, Rect, RtpCallback, VideoCodec};
    use liveroom_live::rtp_in::{probe, Probe};
    use liveroom_live::PipelineEvent;
    use liveroom_media::{
        InjectId, InjectPacket, InjectTracks, MediaCodec, SfuHandle, StreamKey, TapId, TapPacket,
    };
    use liveroom_proto::body::{stream_cmd, StreamReq};
    use liveroom_room::Request;
    use std::collections::{HashMap, HashSet};
    use std::time::Duration;
    use tokio::sync::{mpsc, oneshot};

    /// How long an input may take to send its first packet before it counts as missing.
    pub const INPUT_PROBE_TIMEOUT: Duration = Duration::from_secs(3);
    /// How often a mix checks that its owner is still in the room.
    pub const OWNER_CHECK_INTERVAL: Duration = Duration::from_secs(1);
    /// How long the room may take to answer a stream registration.
    const ROOM_TIMEOUT: Duration = Duration::from_secs(5);

    pub struct MixEntry {
        tx: mpsc::Sender<MixCmd>,
        room: RoomKey,
        inputs: Vec<String>,
    }

    /// The answer to a start or update: the output's URLs, signed afresh for apps with
    /// `signed_live_urls`.
    fn answer(state: &AppState, appid: u64, o: &PlannedOutput) -> String {
        let now = state.hub.clock.now().unix_ms / 1000;
        play_body(&state.mixes.urls, appid, o, |s| {
            crate::live::sign::query_for(&state.apps, state.config.live.url_ttl_secs, appid, s, now)
        })
    }

    /// An output's mix (None while one is being started, or after a start failed).
    pub type Slot = Arc<tokio::sync::Mutex<Option<MixEntry>>>;
    type SlotGuard = tokio::sync::OwnedMutexGuard<Option<MixEntry>>;

    /// Locks the slot of `key`, made when `create` (None when there is none to lock, or when a
    /// new one would pass `MAX_MIXES`: then `Err`).
    async fn lock_slot(
        state: &AppState,
        key: &(u64, OutputKey),
        create: bool,
    ) -> Result<Option<SlotGuard>, BizError> {
        loop {
            let slot = {
                let mut map = crate::sync::lock(&state.mixes.running);
                // Forget ended mixes and failed starts (a slot in use is kept).
                map.retain(|_, s| match s.try_lock() {
                    Ok(e) => e.as_ref().is_some_and(|e| !e.tx.is_closed()),
                    Err(_) => true,
                });
                match map.get(key) {
                    Some(s) => s.clone(),
                    None if !create => return Ok(None),
                    None => {
                        if map.len() >= MAX_MIXES {
                            return Err(failed(format!("at most {MAX_MIXES} mixes run at once")));
                        }
                        let s = Slot::default();
                        map.insert(key.clone(), s.clone());
                        // Locked before the map is released, so no other request forgets it
                        // (a new slot is never locked; if it were, it is waited for below).
                        match s.clone().try_lock_owned() {
                            Ok(guard) => return Ok(Some(guard)),
                            Err(_) => s,
                        }
                    }
                }
            };
            let guard = slot.clone().lock_owned().await;
            let map = crate::sync::lock(&state.mixes.running);
            // The slot may have been forgotten while this request waited for it.
            if map.get(key).is_some_and(|s| Arc::ptr_eq(s, &slot)) {
                return Ok(Some(guard));
            }
        }
    }

    enum MixCmd {
        Update {
            inputs: Vec<PlannedInput>,
            added: Vec<Tapped>,
            reply: oneshot::Sender<()>,
        },
        Stop {
            reply: oneshot::Sender<()>,
        },
    }

    /// An input's tap, probed.
    struct Tapped {
        stream_id: String,
        tap: TapId,
        rx: mpsc::Receiver<TapPacket>,
        probe: Probe,
    }

    fn failed(msg: impl Into<String>) -> BizError {
        BizError::new(ErrCode::MIX_FAILED, msg)
    }

    fn sfu(state: &AppState) -> Result<SfuHandle, BizError> {
        state.sfu.clone().ok_or_else(Mixes::unavailable)
    }

    pub async fn start_or_update(
        state: &Arc<AppState>,
        caller: &BizCaller,
        plan: MixPlan,
    ) -> Result<String, BizError> {
        let room = RoomKey {
            appid: caller.appid,
            room_id: caller.room_id.clone(),
        };
        let key = (caller.appid, plan.key.clone());
        let Some(mut slot) = lock_slot(state, &key, true).await? else {
            return Err(failed("no slot for the mix"));
        };
        let published: HashSet<String> = room_streams(state, &room)
            .await?
            .into_iter()
            .map(|s| s.0)
            .collect();
        let missing: Vec<&str> = plan
            .inputs
            .iter()
            .map(|i| i.stream_id.as_str())
            .filter(|s| !published.contains(*s))
            .collect();
        if !missing.is_empty() {
            return Err(not_exist(&missing));
        }
        if let Some(entry) = slot.as_mut().filter(|e| !e.tx.is_closed()) {
            if entry.room != room {
                return Err(BizError::new(
                    ErrCode::MIX_NOT_FOUND,
                    "the mix belongs to another room",
                ));
            }
            let new: Vec<&str> = plan
                .inputs
                .iter()
                .map(|i| i.stream_id.as_str())
                .filter(|s| !entry.inputs.iter().any(|e| e == s))
                .collect();
            let added = tap_all(state, caller.appid, &new).await?;
            let (reply, done) = oneshot::channel();
            let ids: Vec<String> = plan.inputs.iter().map(|i| i.stream_id.clone()).collect();
            let sent = entry
                .tx
                .send(MixCmd::Update {
                    inputs: plan.inputs,
                    added,
                    reply,
                })
                .await;
            if sent.is_err() || done.await.is_err() {
                return Err(failed("the mix ended during the update"));
            }
            entry.inputs = ids;
            tracing::info!(appid = caller.appid, room = %caller.room_id, user = %caller.id_name, output = ?plan.key, inputs = ?entry.inputs, "mix updated");
            return Ok(answer(state, caller.appid, &plan.output));
        }
        if let Some(s) = &plan.output.stream_id {
            if published.contains(s) {
                return Err(BizError::new(ErrCode::STREAM_OWNED_BY_OTHER, s.clone()));
            }
        }
        let ids: Vec<&str> = plan.inputs.iter().map(|i| i.stream_id.as_str()).collect();
        let tapped = tap_all(state, caller.appid, &ids).await?;
        let body = answer(state, caller.appid, &plan.output);
        let inputs = plan.inputs.iter().map(|i| i.stream_id.clone()).collect();
        let tx = launch(state, caller, &room, plan, tapped).await?;
        *slot = Some(MixEntry { tx, room, inputs });
        Ok(body)
    }

    pub async fn stop(
        state: &Arc<AppState>,
        caller: &BizCaller,
        key: OutputKey,
    ) -> Result<String, BizError> {
        let k = (caller.appid, key);
        let mut slot = lock_slot(state, &k, false).await?;
        let ours = slot.as_ref().and_then(|s| s.as_ref()).is_some_and(|e| {
            e.room.appid == caller.appid && e.room.room_id == caller.room_id && !e.tx.is_closed()
        });
        let Some(entry) = ours.then(|| slot.as_mut().and_then(|s| s.take())).flatten() else {
            return Err(BizError::new(
                ErrCode::MIX_NOT_FOUND,
                format!("no mix of this room outputs {:?}", k.1),
            ));
        };
        let (reply, done) = oneshot::channel();
        if entry.tx.send(MixCmd::Stop { reply }).await.is_ok() {
            let _ = done.await;
        }
        tracing::info!(appid = caller.appid, room = %caller.room_id, user = %caller.id_name, output = ?k.1, "mix stopped on request");
        Ok(String::new())
    }

    fn not_exist(ids: &[&str]) -> BizError {
        BizError {
            code: ErrCode::MIX_INPUT_NOT_FOUND,
            message: format!("inputs not published in the room: {ids:?}"),
            rsp_body: json!({ "non_exist_streams": ids }).to_string(),
        }
    }

    /// The room's streams as (stream_id, owner).
    async fn room_streams(
        state: &AppState,
        room: &RoomKey,
    ) -> Result<Vec<(String, String)>, BizError> {
        let no_room = || BizError::new(ErrCode::LOGIN_STATE, "room closed");
        let tx = state.hub.room(room).ok_or_else(no_room)?;
        let (reply, rx) = oneshot::channel();
        tx.send(RoomCmd::Admin(AdminCmd::Streams(reply)))
            .await
            .map_err(|_| no_room())?;
        let (_, list) = rx.await.map_err(|_| no_room())?;
        Ok(list
            .into_iter()
            .map(|s| (s.stream_id, s.anchor_id_name))
            .collect())
    }

    /// Taps and probes the inputs at once; any that sends nothing is missing.
    async fn tap_all(state: &AppState, appid: u64, ids: &[&str]) -> Result<Vec<Tapped>, BizError> {
        let sfu = sfu(state)?;
        let probes = ids.iter().map(|id| {
            let sfu = sfu.clone();
            let key = StreamKey {
                appid,
                stream_id: id.to_string(),
            };
            async move {
                let (tap, mut rx, kinds) = sfu.tap(key.clone()).await?;
                match probe(&mut rx, INPUT_PROBE_TIMEOUT, kinds).await {
                    Some(probe) => Some(Tapped {
                        stream_id: key.stream_id,
                        tap,
                        rx,
                        probe,
                    }),
                    None => {
                        sfu.untap(key, tap).await;
                        None
                    }
                }
            }
        });
        let results = futures_util::future::join_all(probes).await;
        let missing: Vec<&str> = ids
            .iter()
            .zip(&results)
            .filter(|(_, r)| r.is_none())
            .map(|(id, _)| *id)
            .collect();
        if !missing.is_empty() {
            let missing = not_exist(&missing);
            for t in results.into_iter().flatten() {
                untap(&sfu, appid, t.stream_id, t.tap).await;
            }
            return Err(missing);
        }
        Ok(results.into_iter().flatten().collect())
    }

    async fn untap(sfu: &SfuHandle, appid: u64, stream_id: String, tap: TapId) {
        sfu.untap(StreamKey { appid, stream_id }, tap).await;
    }

    fn rect(p: &PlannedInput) -> Rect {
        Rect {
            left: p.rect.0,
            top: p.rect.1,
            width: p.rect.2,
            height: p.rect.3,
        }
    }

    /// Builds the pipeline, injects and registers the output, starts the mix's task.
    async fn launch(
        state: &Arc<AppState>,
        caller: &BizCaller,
        room: &RoomKey,
        plan: MixPlan,
        tapped: Vec<Tapped>,
    ) -> Result<mpsc::Sender<MixCmd>, BizError> {
        let sfu = sfu(state)?;
        let appid = caller.appid;
        let o = &plan.output;
        // Video when any input has some; an audio-only mix stays so (the output's tracks are
        // fixed once players have them).
        let has_video = tapped.iter().any(|t| t.probe.video.is_some());
        let video = has_video.then_some(if o.vp8 {
            VideoCodec::Vp8
        } else {
            VideoCodec::H264
        });
        let mut taps: HashMap<String, TapId> = HashMap::new();
        let untap_all = |taps: HashMap<String, TapId>| {
            let sfu = sfu.clone();
            async move {
                for (id, tap) in taps {
                    untap(&sfu, appid, id, tap).await;
                }
            }
        };
        for t in &tapped {
            taps.insert(t.stream_id.clone(), t.tap);
        }
        let mut inject: Option<(InjectId, mpsc::Receiver<()>)> = None;
        if let Some(s) = &o.stream_id {
            let tracks = InjectTracks {
                audio: Some(MediaCodec::Opus),
                video: video.map(|v| v.media_codec()),
            };
            let key = StreamKey {
                appid,
                stream_id: s.clone(),
            };
            match sfu.inject(key, tracks).await {
                Ok(i) => inject = Some(i),
                Err(e) => {
                    untap_all(taps).await;
                    return Err(BizError::new(ErrCode::STREAM_OWNED_BY_OTHER, e.to_string()));
                }
            }
        }
        let inject_id = inject.as_ref().map(|i| i.0);
        let on_rtp: RtpCallback = {
            let sfu = sfu.clone();
            Arc::new(move |p| {
                if let Some(id) = inject_id {
                    sfu.inject_rtp(
                        id,
                        InjectPacket {
                            video: p.video,
                            seq: p.seq,
                            time: p.time,
                            marker: p.marker,
                            payload: Arc::from(p.payload),
                        },
                    );
                }
            })
        };
        let spec = MixOutput {
            video,
            width: o.width,
            height: o.height,
            fps: o.fps,
            bitrate: o.bitrate,
            audio_bitrate: o.audio_bitrate,
            audio_channels: o.audio_channels,
            background_rgb: o.background_rgb,
            background_image: o.background_image.clone(),
            rtp: inject.is_some(),
            rtmp: o.url.clone().map(|u| {
                let a = if o.flv_mp3 {
                    FlvAudio::Mp3
                } else {
                    FlvAudio::Aac
                };
                (u, a)
            }),
        };
        let name = format!("mix-{appid}-{:?}", plan.key);
        let cleanup_inject = |inject: Option<(InjectId, mpsc::Receiver<()>)>| {
            let sfu = sfu.clone();
            async move {
                if let Some((id, _)) = inject {
                    sfu.uninject(id).await;
                }
            }
        };
        let started = Mixer::start(&name, spec, on_rtp);
        let (mut mixer, events) = match started {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(appid, room = %room.room_id, error = %e, "mix pipeline does not start");
                untap_all(taps).await;
                cleanup_inject(inject).await;
                return Err(failed(e.to_string()));
            }
        };
        for (t, p) in tapped.into_iter().zip(&plan.inputs) {
            if let Err(e) = mixer.add_input(&t.stream_id, t.probe, t.rx, rect(p), p.zorder) {
                tracing::warn!(appid, input = %t.stream_id, error = %e, "mix input not added");
                drop(mixer);
                untap_all(taps).await;
                cleanup_inject(inject).await;
                return Err(failed(e.to_string()));
            }
        }
        if let Some(s) = &o.stream_id {
            if let Err(e) =
                stream_cmd_as(state, room, &caller.id_name, stream_cmd::LIVE_BEGIN, s).await
            {
                drop(mixer);
                untap_all(taps).await;
                cleanup_inject(inject).await;
                return Err(e);
            }
        }
        tracing::info!(appid, room = %room.room_id, user = %caller.id_name, output = ?plan.key, inputs = ?plan.inputs, "mix started");
        let (tx, rx) = mpsc::channel(8);
        let task = MixTask {
            state: state.clone(),
            sfu,
            room: room.clone(),
            owner: caller.id_name.clone(),
            output_stream: o.stream_id.clone(),
            mixer,
            taps,
            inject_id,
        };
        tokio::spawn(task.run(rx, events, inject.map(|i| i.1)));
        Ok(tx)
    }

    /// A `stream` request (liveBegin/liveEnd) in the room on behalf of `owner`
    /// (`RoomCmd::RequestAs`).
    async fn stream_cmd_as(
        state: &AppState,
        room: &RoomKey,
        owner: &str,
        sub_cmd: u32,
        stream_id: &str,
    ) -> Result<(), BizError> {
        let gone = || BizError::new(ErrCode::LOGIN_STATE, "not in the room any more");
        let claim = state
            .hub
            .claim_of(room.appid, owner)
            .filter(|c| c.room == *room)
            .ok_or_else(gone)?;
        let tx = state.hub.room(room).ok_or_else(gone)?;
        let req = Request::Stream(StreamReq {
            sub_cmd,
            stream_msg: json!({"stream_id": stream_id, "extra_info": ""}).to_string(),
        });
        let (reply, answer) = oneshot::channel();
        tx.send(RoomCmd::RequestAs {
            key: claim.key,
            req,
            reply,
        })
        .await
        .map_err(|_| gone())?;
        match tokio::time::timeout(ROOM_TIMEOUT, answer).await {
            Ok(Ok(Ok(_))) => Ok(()),
            Ok(Ok(Err(r))) => Err(BizError::new(
                r.code,
                format!("output stream not registered: {}", r.detail),
            )),
            _ => Err(failed("the room did not answer the stream registration")),
        }
    }

    struct MixTask {
        state: Arc<AppState>,
        sfu: SfuHandle,
        room: RoomKey,
        owner: String,
        output_stream: Option<String>,
        mixer: Mixer,
        taps: HashMap<String, TapId>,
        inject_id: Option<InjectId>,
    }

    impl MixTask {
        async fn run(
            mut self,
            mut cmds: mpsc::Receiver<MixCmd>,
            mut events: mpsc::UnboundedReceiver<PipelineEvent>,
            mut keyframes: Option<mpsc::Receiver<()>>,
        ) {
            let mut check = tokio::time::interval(OWNER_CHECK_INTERVAL);
            let why = loop {
                let keyframe = async {
                    match keyframes.as_mut() {
                        Some(k) => k.recv().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    cmd = cmds.recv() => match cmd {
                        Some(MixCmd::Update { inputs, added, reply }) => {
                            self.update(inputs, added).await;
                            let _ = reply.send(());
                        }
                        Some(MixCmd::Stop { reply }) => {
                            self.end().await;
                            let _ = reply.send(());
                            return;
                        }
                        None => break "server stopping",
                    },
                    ev = events.recv() => {
                        match ev {
                            Some(PipelineEvent::Error(e)) => {
                                tracing::warn!(appid = self.room.appid, room = %self.room.room_id, error = %e, "mix pipeline failed; mix stopped");
                            }
                            _ => tracing::warn!(appid = self.room.appid, room = %self.room.room_id, "mix pipeline ended"),
                        }
                        break "pipeline ended";
                    }
                    k = keyframe => match k {
                        Some(()) => self.mixer.force_keyframe(),
                        None => keyframes = None,
                    },
                    _ = check.tick() => {
                        let here = self
                            .state
                            .hub
                            .claim_of(self.room.appid, &self.owner)
                            .is_some_and(|c| c.room == self.room);
                        if !here {
                            break "its owner left the room";
                        }
                    }
                }
            };
            tracing::info!(appid = self.room.appid, room = %self.room.room_id, user = %self.owner, output = ?self.output_stream, why, "mix stopped");
            self.end().await;
        }

        async fn update(&mut self, inputs: Vec<PlannedInput>, added: Vec<Tapped>) {
            let keep: HashSet<&str> = inputs.iter().map(|i| i.stream_id.as_str()).collect();
            for id in self.mixer.input_ids() {
                if !keep.contains(id.as_str()) {
                    self.mixer.remove_input(&id);
                    if let Some(tap) = self.taps.remove(&id) {
                        untap(&self.sfu, self.room.appid, id, tap).await;
                    }
                }
            }
            for t in added {
                let Some(p) = inputs.iter().find(|i| i.stream_id == t.stream_id) else {
                    untap(&self.sfu, self.room.appid, t.stream_id, t.tap).await;
                    continue;
                };
                self.taps.insert(t.stream_id.clone(), t.tap);
                if let Err(e) = self
                    .mixer
                    .add_input(&t.stream_id, t.probe, t.rx, rect(p), p.zorder)
                {
                    tracing::warn!(input = %t.stream_id, error = %e, "mix input not added");
                }
            }
            for p in &inputs {
                self.mixer.set_layout(&p.stream_id, rect(p), p.zorder);
            }
        }

        async fn end(self) {
            let MixTask {
                state,
                sfu,
                room,
                owner,
                output_stream,
                mixer,
                taps,
                inject_id,
            } = self;
            drop(mixer);
            for (id, tap) in taps {
                untap(&sfu, room.appid, id, tap).await;
            }
            if let Some(id) = inject_id {
                sfu.uninject(id).await;
            }
            if let Some(s) = output_stream {
                // Fails harmlessly when the owner has left (the room removed the stream).
                let _ = stream_cmd_as(&state, &room, &owner, stream_cmd::LIVE_END, &s).await;
            }
        }
    }
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
