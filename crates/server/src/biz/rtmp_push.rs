//! Relay of streams to external RTMP servers (notes §8.4): `biz_channel {channel:"media",
//! cmd: addpush | delpush | clearpush}` signed with `md5(appid + timestamp + server_secret)`,
//! and the `cdnUrl` publish option (`webrtc_url.header_kvs["grpc-metadata-push"]`), pushed
//! while the stream is published. Failing pushes are retried with backoff
//! (`liveroom_live::rtmp_push`); a stream's `urls_rtmp` lists its pushes that are running.
//!
//! Answers are `rsp_body {code, message}`, code 0 = done (the codes are below).

use crate::biz::caller::{BizCaller, BizError};
use crate::live::engine;
use crate::metrics::{Counter, Gauge};
use crate::rooms::commands::{AdminCmd, RoomCmd, RoomKey};
use crate::rooms::registry::Hub;
use crate::sync::lock;
use crate::AppState;
use engine::rtmp_push::{self, PushEvent, PushHandle};
use liveroom_media::{SfuHandle, StreamKey};
use liveroom_proto::limits::check_id;
use liveroom_proto::ErrCode;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// `rsp_body.code` of a media command.
pub mod code {
    pub const OK: i64 = 0;
    /// req_body is not the JSON the command needs (a field is missing or mistyped).
    pub const BAD_REQUEST: i64 = 1;
    /// appid does not match the caller's, or the signature is wrong.
    pub const BAD_SIGNATURE: i64 = 2;
    /// pushurl is not an rtmp:// or rtmps:// URL.
    pub const BAD_URL: i64 = 3;
    /// The stream is not one the caller publishes in this room, or the push does not exist.
    pub const NOT_FOUND: i64 = 4;
    /// Too many pushes for the stream or the server.
    pub const LIMIT: i64 = 5;
    /// Relay is off on this server (live outputs off, media off or not built in).
    pub const UNAVAILABLE: i64 = 6;
}

/// RTMP pushes of one stream.
pub const RELAY_MAX_PER_STREAM: usize = 8;
/// RTMP pushes on the server.
pub const RELAY_MAX_TOTAL: usize = 256;
/// How far a signed request's timestamp may be from the server's clock (either way): a
/// captured signature stops working after this.
pub const SIGNATURE_MAX_SKEW_SECS: u64 = 600;
/// The header_kvs key of the `cdnUrl` publish option.
pub const CDN_URL_KEY: &str = "grpc-metadata-push";

fn answer(code: i64, message: impl Into<String>) -> String {
    json!({"code": code, "message": message.into()}).to_string()
}

/// The signature an addpush/delpush/clearpush must carry.
pub fn signature(appid: u64, timestamp: &str, server_secret: &str) -> String {
    crate::crypto::md5_hex(&format!("{appid}{timestamp}{server_secret}"))
}

/// A number or a string of digits (clients differ).
fn num_or_str(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            Some(s.clone())
        }
        _ => None,
    }
}

/// `biz_channel` on the `media` channel.
pub async fn handle(
    state: &AppState,
    caller: &BizCaller,
    cmd: &str,
    req_body: &str,
) -> Result<String, BizError> {
    if !matches!(cmd, "addpush" | "delpush" | "clearpush") {
        return Err(BizError::new(
            ErrCode::BIZ_INVALID_CHANNEL,
            format!("media has no cmd {cmd:?} (addpush, delpush, clearpush)"),
        ));
    }
    let Ok(req) = serde_json::from_str::<Value>(req_body) else {
        return Ok(answer(code::BAD_REQUEST, "req_body is not JSON"));
    };
    let (Some(appid), Some(timestamp), Some(sig)) = (
        req.get("appid").and_then(num_or_str),
        req.get("timestamp").and_then(num_or_str),
        req.get("signature").and_then(Value::as_str),
    ) else {
        return Ok(answer(
            code::BAD_REQUEST,
            "req_body needs appid, timestamp (numbers) and signature (string)",
        ));
    };
    if appid != caller.appid.to_string() {
        return Ok(answer(code::BAD_SIGNATURE, "appid is not the room's app"));
    }
    let Some(app) = state.apps.get(caller.appid) else {
        return Ok(answer(code::BAD_SIGNATURE, "unknown app"));
    };
    if !sig.eq_ignore_ascii_case(&signature(caller.appid, &timestamp, &app.server_secret)) {
        return Ok(answer(
            code::BAD_SIGNATURE,
            "signature is not md5(appid + timestamp + server secret)",
        ));
    }
    let now = state.hub.clock.now().unix_ms / 1000;
    let fresh = timestamp
        .parse::<u64>()
        .is_ok_and(|t| t.abs_diff(now) <= SIGNATURE_MAX_SKEW_SECS);
    if !fresh {
        return Ok(answer(
            code::BAD_SIGNATURE,
            format!(
                "timestamp {timestamp} is more than {SIGNATURE_MAX_SKEW_SECS} s from the server's clock ({now})"
            ),
        ));
    }
    let stream_id = req.get("stream_id").and_then(Value::as_str).unwrap_or("");
    if let Err(e) = check_id("stream_id", stream_id, 1) {
        return Ok(answer(code::BAD_REQUEST, e));
    }
    let url = req.get("pushurl").and_then(Value::as_str).unwrap_or("");
    command(state, caller, cmd, stream_id, url).await
}

/// Why the relay does not run: off here (live outputs off, media off), or not built in.
fn off_reason() -> &'static str {
    if engine::BUILT {
        "RTMP relay is off on this server"
    } else {
        "RTMP relay is not built into this server"
    }
}

/// The relay, unless live outputs are off.
#[derive(Default)]
pub struct Relay {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    sfu: SfuHandle,
    hub: Arc<Hub>,
    state: Mutex<State>,
    started: Counter,
    failures: Counter,
    running: Gauge,
}

#[derive(Default)]
struct State {
    streams: HashMap<StreamKey, StreamPushes>,
    /// `cdnUrl` of streams being published or about to be: (room, url).
    cdn: HashMap<StreamKey, (String, String)>,
    total: usize,
}

struct StreamPushes {
    room_id: String,
    by_url: BTreeMap<String, Push>,
}

struct Push {
    _handle: PushHandle,
    running: bool,
}

impl Relay {
    pub fn start(config: &crate::config::Config, sfu: Option<&SfuHandle>, hub: Arc<Hub>) -> Relay {
        let Some(sfu) = sfu.filter(|_| engine::BUILT && config.live.enabled) else {
            return Relay::default();
        };
        let r = &hub.metrics.registry;
        let inner = Inner {
            sfu: sfu.clone(),
            started: r.counter(
                "liveroom_relay_push_started_total",
                "RTMP relay pushes that started (each retry counts)",
                &[],
            ),
            failures: r.counter(
                "liveroom_relay_push_failures_total",
                "RTMP relay push attempts that failed (retried with backoff)",
                &[],
            ),
            running: r.gauge("liveroom_relay_pushes", "RTMP relay pushes configured", &[]),
            hub,
            state: Mutex::new(State::default()),
        };
        Relay {
            inner: Some(Arc::new(inner)),
        }
    }

    fn inner(&self) -> Option<&Arc<Inner>> {
        self.inner.as_ref()
    }

    /// Whether `url` can be a `cdnUrl` (checked at dispatch so a typo is refused there).
    pub fn check_cdn_url(&self, url: &str) -> Result<(), String> {
        if self.inner.is_none() {
            return Err(off_reason().into());
        }
        rtmp_push::check_url(url)
    }

    /// Remembers a publish's `cdnUrl`; the push starts when the stream is published.
    pub fn arm_cdn(&self, appid: u64, room_id: &str, stream_id: &str, url: &str) {
        if let Some(i) = &self.inner {
            let key = StreamKey {
                appid,
                stream_id: stream_id.to_string(),
            };
            lock(&i.state)
                .cdn
                .insert(key, (room_id.to_string(), url.to_string()));
        }
    }

    /// The stream's publisher connected: start its `cdnUrl` push, if it has one.
    pub fn published(&self, appid: u64, stream_id: &str) {
        let Some(i) = &self.inner else { return };
        let key = StreamKey {
            appid,
            stream_id: stream_id.to_string(),
        };
        let cdn = lock(&i.state).cdn.get(&key).cloned();
        if let Some((room_id, url)) = cdn {
            if let Err(e) = i.add(&key, &room_id, &url, true) {
                tracing::info!(appid, stream = stream_id, %url, error = %e.1, "cdnUrl push refused");
            }
        }
    }

    /// The stream's publisher left: every push of the stream stops.
    pub fn unpublished(&self, appid: u64, stream_id: &str) {
        let Some(i) = &self.inner else { return };
        let key = StreamKey {
            appid,
            stream_id: stream_id.to_string(),
        };
        lock(&i.state).cdn.remove(&key);
        i.clear(&key);
    }
}

impl Inner {
    /// Adds a push (an existing one of the same URL stays as it is).
    fn add(
        self: &Arc<Self>,
        key: &StreamKey,
        room_id: &str,
        url: &str,
        from_cdn: bool,
    ) -> Result<(), (i64, String)> {
        rtmp_push::check_url(url).map_err(|e| (code::BAD_URL, e))?;
        let mut st = lock(&self.state);
        let total = st.total;
        let sp = st
            .streams
            .entry(key.clone())
            .or_insert_with(|| StreamPushes {
                room_id: room_id.to_string(),
                by_url: BTreeMap::new(),
            });
        if sp.by_url.contains_key(url) {
            return Ok(());
        }
        if sp.by_url.len() >= RELAY_MAX_PER_STREAM || total >= RELAY_MAX_TOTAL {
            return Err((
                code::LIMIT,
                format!("at most {RELAY_MAX_PER_STREAM} pushes per stream and {RELAY_MAX_TOTAL} per server"),
            ));
        }
        let me = Arc::downgrade(self);
        let (k, u) = (key.clone(), url.to_string());
        let handle = rtmp_push::spawn(
            self.sfu.clone(),
            key.clone(),
            url.to_string(),
            Arc::new(move |ev| {
                if let Some(me) = me.upgrade() {
                    me.on_event(&k, &u, ev);
                }
            }),
        );
        sp.by_url.insert(
            url.to_string(),
            Push {
                _handle: handle,
                running: false,
            },
        );
        st.total += 1;
        self.running.inc();
        tracing::info!(appid = key.appid, stream = %key.stream_id, url, from_cdn, "RTMP push added");
        Ok(())
    }

    fn remove(&self, key: &StreamKey, url: &str) -> bool {
        let mut st = lock(&self.state);
        let Some(sp) = st.streams.get_mut(key) else {
            return false;
        };
        if sp.by_url.remove(url).is_none() {
            return false;
        }
        let (room_id, urls) = (sp.room_id.clone(), running_urls(sp));
        if sp.by_url.is_empty() {
            st.streams.remove(key);
        }
        st.total -= 1;
        self.running.dec();
        drop(st);
        self.set_room_urls(key, room_id, urls);
        true
    }

    fn clear(&self, key: &StreamKey) {
        let mut st = lock(&self.state);
        if let Some(sp) = st.streams.remove(key) {
            let n = sp.by_url.len();
            st.total -= n;
            self.running.add(-(n as i64));
            drop(st);
            self.set_room_urls(key, sp.room_id, Vec::new());
        }
    }

    fn on_event(&self, key: &StreamKey, url: &str, ev: PushEvent) {
        let running = match &ev {
            PushEvent::Started => {
                self.started.inc();
                tracing::info!(appid = key.appid, stream = %key.stream_id, url, "RTMP push running");
                true
            }
            PushEvent::Failed {
                attempt,
                reason,
                retry_in,
            } => {
                self.failures.inc();
                tracing::warn!(appid = key.appid, stream = %key.stream_id, url, attempt, %reason, retry_in_ms = retry_in.as_millis() as u64, "RTMP push failed; will retry");
                false
            }
        };
        let changed = {
            let mut st = lock(&self.state);
            match st
                .streams
                .get_mut(key)
                .and_then(|sp| sp.by_url.get_mut(url))
            {
                Some(p) if p.running != running => {
                    p.running = running;
                    true
                }
                _ => false,
            }
        };
        if changed {
            self.announce(key);
        }
    }

    /// Tells the stream's room which pushes are running (`urls_rtmp`).
    fn announce(&self, key: &StreamKey) {
        let (room_id, urls) = {
            let st = lock(&self.state);
            match st.streams.get(key) {
                Some(sp) => (sp.room_id.clone(), running_urls(sp)),
                None => return,
            }
        };
        self.set_room_urls(key, room_id, urls);
    }

    fn set_room_urls(&self, key: &StreamKey, room_id: String, urls: Vec<String>) {
        let Some(room) = self.hub.room(&RoomKey {
            appid: key.appid,
            room_id,
        }) else {
            return;
        };
        let (reply, _) = oneshot::channel();
        let cmd = RoomCmd::Admin(AdminCmd::RtmpUrls {
            stream_id: key.stream_id.clone(),
            urls,
            reply,
        });
        // Runs on GStreamer or timer threads too: never block them.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = room.send(cmd).await;
            });
        } else {
            let _ = room.try_send(cmd);
        }
    }
}

fn running_urls(sp: &StreamPushes) -> Vec<String> {
    sp.by_url
        .iter()
        .filter(|(_, p)| p.running)
        .map(|(u, _)| u.clone())
        .collect()
}

/// Whether `caller` publishes `stream_id` in its room.
async fn publishes(state: &AppState, caller: &BizCaller, stream_id: &str) -> bool {
    let key = RoomKey {
        appid: caller.appid,
        room_id: caller.room_id.clone(),
    };
    state
        .hub
        .ask(&key, AdminCmd::Streams)
        .await
        .is_some_and(|(_, list)| {
            list.iter()
                .any(|s| s.stream_id == stream_id && s.anchor_id_name == caller.id_name)
        })
}

pub async fn command(
    state: &AppState,
    caller: &BizCaller,
    cmd: &str,
    stream_id: &str,
    url: &str,
) -> Result<String, BizError> {
    let Some(inner) = state.relay.inner() else {
        return Ok(answer(code::UNAVAILABLE, off_reason()));
    };
    if !publishes(state, caller, stream_id).await {
        return Ok(answer(
            code::NOT_FOUND,
            format!("stream {stream_id:?} is not published by you in this room"),
        ));
    }
    let key = StreamKey {
        appid: caller.appid,
        stream_id: stream_id.to_string(),
    };
    Ok(match cmd {
        "addpush" => match inner.add(&key, &caller.room_id, url, false) {
            Ok(()) => answer(code::OK, "ok"),
            Err((c, m)) => answer(c, m),
        },
        "delpush" => {
            if inner.remove(&key, url) {
                answer(code::OK, "ok")
            } else {
                answer(
                    code::NOT_FOUND,
                    format!("stream {stream_id:?} is not pushed to {url:?}"),
                )
            }
        }
        _ => {
            inner.clear(&key);
            answer(code::OK, "ok")
        }
    })
}
