//! Media across nodes (docs/cluster.md): a stream published to one node's SFU is *piped* to
//! every other node where somebody plays it, like mediasoup's pipe transports and LiveKit's
//! relay. Each node receives the stream once and fans it out to its own players, taps (live
//! outputs, mix inputs) and their mirrors on its workers.
//!
//! - **The consuming node** (`Pipes`): when a player or tap of a stream without a source here
//!   comes (`SfuHandle::set_remote_sources`), the stream's key in Redis (`streams.rs`) names
//!   the node it is published to. One task per stream then asks that node for it
//!   (`GET /internal/v1/pipe`, signed with the app's server secret), injects what comes into
//!   this node's SFU as the stream itself, passes the key-frame requests of its players back
//!   (`POST /internal/v1/pipe/keyframe`), follows the stream when it moves to another node,
//!   and ends a few seconds after its last consumer here.
//! - **The publishing node** (`serve_pipe`): taps the stream (from its cached key frame on) and
//!   writes its packets as `pipe_wire` frames in the response body, renumbered per track so a
//!   publisher that reconnects (new SSRC) continues the sequence.
//!
//! Imports the cluster (the stream keys and node records), the SFU handle, the app secrets and
//! the HTTP client; the router serves the two paths.

use crate::cluster::node::NodeRecord;
use crate::cluster::pipe_wire::{self, Decoder, Frame};
use crate::cluster::Cluster;
use crate::config::apps::Apps;
use crate::crypto::{constant_time_eq, hmac_hex};
use crate::integrations::business::BusinessClient;
use crate::sync::lock;
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use liveroom_media::{
    InjectId, InjectPacket, InjectTracks, MediaCodec, MediaError, SfuHandle, SourceKinds,
    StreamKey, TapId, TapPacket,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// Where a node asks another for a stream.
pub const PIPE_PATH: &str = "/internal/v1/pipe";
/// Where a node passes its players' key-frame requests back to the stream's node.
pub const KEYFRAME_PATH: &str = "/internal/v1/pipe/keyframe";
/// Lifetime of a signed pipe URL.
pub const URL_TTL_SECS: u64 = 60;
/// How long a consumer that needs the stream now (a live output) waits for its pipe.
pub const PIPE_START_WAIT: Duration = Duration::from_secs(3);
/// A pipe with no consumer left here ends after this long.
pub const PIPE_IDLE_LINGER: Duration = Duration::from_secs(5);
/// A pipe with no frame for this long (the stream's node died) is cut and started again.
pub const PIPE_SILENCE_LIMIT: Duration = Duration::from_secs(10);
/// The stream's node sends a ping when it has written nothing for this long.
pub const PIPE_PING_AFTER: Duration = Duration::from_secs(3);
/// Streams piped into one node at once, and streams one node pipes out at once.
pub const MAX_PIPES: usize = 2000;
/// How long the stream's node waits for the other track's first packet before it says
/// which tracks the stream has.
const TRACKS_WAIT: Duration = Duration::from_secs(1);
/// Packets held while the tracks are not known yet.
const MAX_PENDING: usize = 1024;
/// Packets written in one body chunk at most.
const MAX_BATCH: usize = 64;
/// Body chunks queued towards a consuming node; behind that the tap drops (and waits for the
/// next key frame), so a slow node costs a bounded amount of memory.
const WRITE_QUEUE: usize = 32;
/// How often a consuming pipe checks its consumers, and every how many checks where the
/// stream is published.
const CHECK_EVERY: Duration = Duration::from_secs(1);
const LOCATE_EVERY_CHECKS: u32 = 3;
/// Pause before a cut pipe is asked for again.
const RETRY_PAUSE: Duration = Duration::from_millis(500);
/// How long connecting to the stream's node may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Streams piped into and out of a node now (its record in Redis shows them).
#[derive(Default)]
pub struct PipeCounts {
    pub inbound: AtomicUsize,
    pub outbound: AtomicUsize,
}

/// The consuming side: one task per stream piped into this node.
pub struct Pipes {
    cluster: Arc<Cluster>,
    sfu: SfuHandle,
    apps: Apps,
    client: BusinessClient,
    /// Streams being piped here: whether their source is injected now.
    running: Mutex<HashMap<StreamKey, watch::Receiver<bool>>>,
}

/// Why a consuming pipe stopped.
enum Ended {
    /// No consumer here any more.
    Idle,
    /// The stream is published on this node now.
    Here,
    /// Cut (the stream's node refused or went away, bad bytes, the stream moved): asked for
    /// again while it has consumers.
    Cut(String),
}

impl Pipes {
    /// Makes the pipes and makes the SFU look for streams it has no source of through them.
    pub fn install(
        cluster: Arc<Cluster>,
        sfu: SfuHandle,
        apps: Apps,
        client: BusinessClient,
    ) -> Arc<Pipes> {
        let pipes = Arc::new(Pipes {
            cluster,
            sfu: sfu.clone(),
            apps,
            client,
            running: Mutex::default(),
        });
        let weak: Weak<Pipes> = Arc::downgrade(&pipes);
        sfu.set_remote_sources(Arc::new(move |key| {
            let pipes = weak.upgrade();
            Box::pin(async move {
                match pipes {
                    Some(p) => p.find(key).await,
                    None => false,
                }
            })
        }));
        pipes
    }

    /// Streams piped into this node now.
    pub fn count(&self) -> usize {
        lock(&self.running).len()
    }

    /// Brings `key` here from the node it is published to, if it is published elsewhere;
    /// true once its source is injected here (within [`PIPE_START_WAIT`]).
    pub async fn find(self: Arc<Self>, key: StreamKey) -> bool {
        let existing = lock(&self.running).get(&key).cloned();
        let mut up = match existing {
            Some(up) => up,
            None => {
                let Some(node) = self.cluster.stream_node(key.appid, &key.stream_id).await else {
                    return false;
                };
                let mut running = lock(&self.running);
                match running.get(&key) {
                    Some(up) => up.clone(),
                    None => {
                        if running.len() >= MAX_PIPES {
                            tracing::warn!(
                                max = MAX_PIPES,
                                stream = %key.stream_id,
                                "cluster: too many streams piped into this node; not piping another"
                            );
                            return false;
                        }
                        let (tx, up) = watch::channel(false);
                        running.insert(key.clone(), up.clone());
                        self.cluster.pipes.inbound.fetch_add(1, Ordering::SeqCst);
                        tokio::spawn(self.clone().run(key.clone(), node, tx));
                        up
                    }
                }
            }
        };
        let injected = tokio::time::timeout(PIPE_START_WAIT, up.wait_for(|i| *i))
            .await
            .is_ok_and(|r| r.is_ok());
        injected
    }

    /// The task of one piped stream: asks for it again while it has consumers here.
    async fn run(self: Arc<Self>, key: StreamKey, first: NodeRecord, up: watch::Sender<bool>) {
        let mut node = Some(first);
        let mut idle_since: Option<Instant> = None;
        tracing::info!(appid = key.appid, stream = %key.stream_id, "cluster: piping a stream from its node");
        loop {
            if let Some(n) = node.take() {
                idle_since = None;
                match self.pipe_once(&key, &n, &up).await {
                    Ended::Idle | Ended::Here => break,
                    Ended::Cut(why) => {
                        tracing::info!(appid = key.appid, stream = %key.stream_id, node = %n.node_id, why = %why, "cluster: stream pipe cut; asking again while it has players here")
                    }
                }
            }
            let u = self.sfu.usage(key.clone()).await;
            if u.published {
                break;
            }
            if u.consumers == 0
                && idle_since.get_or_insert_with(Instant::now).elapsed() >= PIPE_IDLE_LINGER
            {
                break;
            }
            tokio::time::sleep(RETRY_PAUSE).await;
            node = self.cluster.stream_node(key.appid, &key.stream_id).await;
        }
        lock(&self.running).remove(&key);
        self.cluster.pipes.inbound.fetch_sub(1, Ordering::SeqCst);
        tracing::info!(appid = key.appid, stream = %key.stream_id, "cluster: stream pipe ended");
    }

    fn signed_url(&self, node: &NodeRecord, path: &str, key: &StreamKey) -> Option<String> {
        let app = self.apps.get(key.appid)?;
        let exp = self.cluster.hub.clock.now().unix_ms / 1000 + URL_TTL_SECS;
        let sig = hmac_hex(&app.server_secret, &signed_text(key, exp));
        Some(format!(
            "{}{path}?appid={}&stream={}&exp={exp}&sig={sig}",
            node.base_url(),
            key.appid,
            liveroom_room::percent_encode(&key.stream_id)
        ))
    }

    /// One connection to the stream's node: injects what it sends until it ends.
    async fn pipe_once(
        &self,
        key: &StreamKey,
        node: &NodeRecord,
        up: &watch::Sender<bool>,
    ) -> Ended {
        let Some(url) = self.signed_url(node, PIPE_PATH, key) else {
            return Ended::Idle;
        };
        let req = match hyper::Request::get(&url).body(Full::new(Bytes::new())) {
            Ok(r) => r,
            Err(e) => return Ended::Cut(format!("bad pipe URL: {e}")),
        };
        let rsp = match tokio::time::timeout(CONNECT_TIMEOUT, self.client.send(req)).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Ended::Cut(e),
            Err(_) => return Ended::Cut("no answer in time".into()),
        };
        if rsp.status() != StatusCode::OK {
            return Ended::Cut(format!("answered {}", rsp.status()));
        }
        let mut body = rsp.into_body();
        let mut state = Injecting {
            key,
            sfu: &self.sfu,
            decoder: Decoder::default(),
            id: None,
        };
        let mut keyframes: Option<mpsc::Receiver<()>> = None;
        let mut check = tokio::time::interval(CHECK_EVERY);
        let mut checks = 0u32;
        let mut last_frame = Instant::now();
        let mut idle_since: Option<Instant> = None;
        let ended = loop {
            tokio::select! {
                frame = body.frame() => match frame {
                    Some(Ok(f)) => {
                        let Ok(data) = f.into_data() else { continue };
                        last_frame = Instant::now();
                        match state.take(&data).await {
                            Ok(Some(k)) => {
                                keyframes = Some(k);
                                let _ = up.send(true);
                            }
                            Ok(None) => {}
                            Err(e) => break e,
                        }
                    }
                    Some(Err(e)) => break Ended::Cut(format!("reading the pipe: {e}")),
                    None => break Ended::Cut("the stream's node ended the pipe".into()),
                },
                Some(()) = recv_or_wait(&mut keyframes) => self.pass_keyframe_request(node, key),
                _ = check.tick() => {
                    if last_frame.elapsed() >= PIPE_SILENCE_LIMIT {
                        break Ended::Cut("nothing from the stream's node".into());
                    }
                    let u = self.sfu.usage(key.clone()).await;
                    if u.consumers == 0 {
                        if idle_since.get_or_insert_with(Instant::now).elapsed() >= PIPE_IDLE_LINGER {
                            break Ended::Idle;
                        }
                    } else {
                        idle_since = None;
                    }
                    checks += 1;
                    if checks.is_multiple_of(LOCATE_EVERY_CHECKS) {
                        let now = self.cluster.stream_node(key.appid, &key.stream_id).await;
                        if now.as_ref().is_none_or(|n| n.node_id != node.node_id) {
                            if self.sfu.usage(key.clone()).await.published {
                                break Ended::Here;
                            }
                            if now.is_some() {
                                break Ended::Cut("the stream moved to another node".into());
                            }
                        }
                    }
                }
            }
        };
        if let Some(id) = state.id.take() {
            self.sfu.uninject(id).await;
        }
        let _ = up.send(false);
        ended
    }

    /// Passes a key-frame request of this node's players on to the stream's node (the SFU has
    /// already throttled them).
    fn pass_keyframe_request(&self, node: &NodeRecord, key: &StreamKey) {
        let Some(url) = self.signed_url(node, KEYFRAME_PATH, key) else {
            return;
        };
        let client = self.client.clone();
        tokio::spawn(async move {
            let Ok(req) = hyper::Request::post(&url).body(Full::new(Bytes::new())) else {
                return;
            };
            match tokio::time::timeout(CONNECT_TIMEOUT, client.send(req)).await {
                Ok(Ok(r)) if r.status().is_success() => {}
                Ok(Ok(r)) => {
                    tracing::debug!(status = %r.status(), "cluster: key-frame request refused by the stream's node")
                }
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "cluster: key-frame request not passed on")
                }
                Err(_) => tracing::debug!("cluster: key-frame request timed out"),
            }
        });
    }
}

/// The receiver of an injected source's key-frame requests, or never.
async fn recv_or_wait(rx: &mut Option<mpsc::Receiver<()>>) -> Option<()> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// What a consuming pipe has injected so far.
struct Injecting<'a> {
    key: &'a StreamKey,
    sfu: &'a SfuHandle,
    decoder: Decoder,
    id: Option<InjectId>,
}

impl Injecting<'_> {
    /// Takes bytes of the pipe: injects its packets; a (new) tracks frame (re)creates the
    /// injected source, whose key-frame requests are then answered.
    async fn take(&mut self, data: &[u8]) -> Result<Option<mpsc::Receiver<()>>, Ended> {
        self.decoder.push(data);
        let mut new_keyframes = None;
        loop {
            match self.decoder.next_frame() {
                Ok(Some(Frame::Tracks(t))) => {
                    if let Some(id) = self.id.take() {
                        self.sfu.uninject(id).await;
                    }
                    match self.sfu.inject(self.key.clone(), t).await {
                        Ok((id, k)) => {
                            self.id = Some(id);
                            new_keyframes = Some(k);
                        }
                        Err(MediaError::AlreadyPublished(_)) => return Err(Ended::Here),
                        Err(e) => return Err(Ended::Cut(format!("cannot inject: {e}"))),
                    }
                }
                Ok(Some(Frame::Packet(p))) => {
                    if let Some(id) = self.id {
                        // A full worker inbox drops the packet, as a lossy network would.
                        self.sfu.inject_rtp(id, p);
                    }
                }
                Ok(Some(Frame::Ping)) => {}
                Ok(None) => return Ok(new_keyframes),
                Err(e) => return Err(Ended::Cut(format!("bad pipe bytes: {e}"))),
            }
        }
    }
}

/// What a pipe URL's signature covers.
fn signed_text(key: &StreamKey, exp: u64) -> String {
    format!("pipe\n{}\n{}\n{exp}", key.appid, key.stream_id)
}

#[derive(serde::Deserialize)]
pub struct PipeQuery {
    appid: u64,
    stream: String,
    exp: u64,
    sig: String,
}

/// Checks a pipe URL's signature: the stream's key, or the refusal to answer.
fn authorize(state: &AppState, q: &PipeQuery) -> Result<StreamKey, Box<Response>> {
    let refuse = |status: StatusCode, why: &str| {
        tracing::warn!(appid = q.appid, stream = %q.stream, why, "cluster: pipe request refused");
        Err(Box::new((status, format!("{why}\n")).into_response()))
    };
    let Some(app) = state.apps.get(q.appid) else {
        return refuse(StatusCode::NOT_FOUND, "unknown app");
    };
    let key = StreamKey {
        appid: q.appid,
        stream_id: q.stream.clone(),
    };
    let now = state.hub.clock.now().unix_ms / 1000;
    if q.exp < now || q.exp > now + 2 * URL_TTL_SECS {
        return refuse(
            StatusCode::FORBIDDEN,
            "pipe URL expired (or the nodes' clocks disagree)",
        );
    }
    let want = hmac_hex(&app.server_secret, &signed_text(&key, q.exp));
    if !constant_time_eq(&want, &q.sig) {
        return refuse(
            StatusCode::FORBIDDEN,
            "bad pipe signature (are the nodes' app secrets the same?)",
        );
    }
    Ok(key)
}

/// `GET /internal/v1/pipe`: another node asks for a stream published here.
pub async fn serve_pipe(
    State(state): State<Arc<AppState>>,
    Query(q): Query<PipeQuery>,
) -> Response {
    let key = match authorize(&state, &q) {
        Ok(k) => k,
        Err(r) => return *r,
    };
    let Some(cluster) = state.cluster.clone() else {
        return (StatusCode::NOT_FOUND, "this node is not in a cluster\n").into_response();
    };
    let Some(sfu) = state.sfu.clone() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "media is off on this node\n",
        )
            .into_response();
    };
    let out_count = &cluster.pipes.outbound;
    if out_count.fetch_add(1, Ordering::SeqCst) >= MAX_PIPES {
        out_count.fetch_sub(1, Ordering::SeqCst);
        tracing::warn!(
            max = MAX_PIPES,
            "cluster: too many pipes served; refusing another"
        );
        return (StatusCode::SERVICE_UNAVAILABLE, "too many pipes\n").into_response();
    }
    let Some((tap, rx, kinds)) = sfu.tap_here(key.clone()).await else {
        out_count.fetch_sub(1, Ordering::SeqCst);
        return (StatusCode::SERVICE_UNAVAILABLE, "media worker stopped\n").into_response();
    };
    tracing::info!(appid = key.appid, stream = %key.stream_id, "cluster: piping a stream to another node");
    let (tx, out) = mpsc::channel::<Bytes>(WRITE_QUEUE);
    tokio::spawn(async move {
        feed(sfu, key, tap, rx, kinds, tx).await;
        cluster.pipes.outbound.fetch_sub(1, Ordering::SeqCst);
    });
    let body = futures_util::stream::unfold(out, |mut out| async move {
        out.recv().await.map(|b| (Ok::<_, std::io::Error>(b), out))
    });
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/x-liveroom-pipe",
        )],
        axum::body::Body::from_stream(body),
    )
        .into_response()
}

/// `POST /internal/v1/pipe/keyframe`: a node playing a stream of this node wants a key frame.
pub async fn serve_keyframe(
    State(state): State<Arc<AppState>>,
    Query(q): Query<PipeQuery>,
) -> Response {
    let key = match authorize(&state, &q) {
        Ok(k) => k,
        Err(r) => return *r,
    };
    if let Some(sfu) = &state.sfu {
        sfu.request_keyframe(key).await;
    }
    StatusCode::NO_CONTENT.into_response()
}

/// Per track: the source's sequence numbers mapped onto one contiguous sequence.
#[derive(Default)]
struct Renumber {
    ssrc: Option<u32>,
    src_base: u64,
    out_base: u16,
    last_out: u16,
}

impl Renumber {
    fn map(&mut self, ssrc: u32, seq: u64) -> u16 {
        if self.ssrc != Some(ssrc) {
            // A new source (the publisher reconnected): its numbers follow the last one out.
            self.out_base = if self.ssrc.is_some() {
                self.last_out.wrapping_add(1)
            } else {
                0
            };
            self.src_base = seq;
            self.ssrc = Some(ssrc);
        }
        let out = self
            .out_base
            .wrapping_add(seq.wrapping_sub(self.src_base) as u16);
        if out.wrapping_sub(self.last_out) < 0x8000 {
            self.last_out = out;
        }
        out
    }
}

/// What the tap has shown of the stream's tracks.
#[derive(Default, Clone, Copy, PartialEq)]
struct Seen {
    audio: Option<MediaCodec>,
    video: Option<MediaCodec>,
}

impl Seen {
    fn tracks(self) -> InjectTracks {
        InjectTracks {
            audio: self.audio,
            video: self.video,
        }
    }

    /// Every track the source negotiated has shown its codec.
    fn complete(self, kinds: SourceKinds) -> bool {
        (!kinds.audio || self.audio.is_some()) && (!kinds.video || self.video.is_some())
    }
}

/// The publishing node's side of one pipe: the tap's packets as frames, until the consuming
/// node goes away.
async fn feed(
    sfu: SfuHandle,
    key: StreamKey,
    tap: TapId,
    mut rx: mpsc::Receiver<TapPacket>,
    kinds: SourceKinds,
    tx: mpsc::Sender<Bytes>,
) {
    let mut seen = Seen::default();
    let mut said: Option<Seen> = None;
    let mut pending: Vec<TapPacket> = Vec::new();
    let mut first_at: Option<Instant> = None;
    let mut audio = Renumber::default();
    let mut video = Renumber::default();
    let mut last_write = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut packet = |p: &TapPacket, out: &mut BytesMut| {
        let is_video = p.codec.is_video();
        let seq = if is_video { &mut video } else { &mut audio }.map(p.ssrc, p.seq);
        pipe_wire::encode(
            &Frame::Packet(InjectPacket {
                video: is_video,
                seq,
                time: p.time,
                marker: p.marker,
                payload: p.payload.clone(),
            }),
            out,
        );
    };
    loop {
        let mut out = BytesMut::new();
        tokio::select! {
            p = rx.recv() => {
                let Some(p) = p else { break };
                let mut batch = vec![p];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(p) => batch.push(p),
                        Err(_) => break,
                    }
                }
                for p in batch {
                    if p.codec.is_video() {
                        seen.video = Some(p.codec);
                    } else {
                        seen.audio = Some(p.codec);
                    }
                    if said.is_none() {
                        first_at.get_or_insert_with(Instant::now);
                        if pending.len() < MAX_PENDING {
                            pending.push(p);
                        }
                        if seen.complete(kinds) {
                            said = Some(seen);
                            pipe_wire::encode(&Frame::Tracks(seen.tracks()), &mut out);
                            for p in pending.drain(..) {
                                packet(&p, &mut out);
                            }
                        }
                        continue;
                    }
                    if said != Some(seen) {
                        said = Some(seen);
                        pipe_wire::encode(&Frame::Tracks(seen.tracks()), &mut out);
                    }
                    packet(&p, &mut out);
                }
            }
            _ = tick.tick() => {
                if said.is_none() && first_at.is_some_and(|t| t.elapsed() >= TRACKS_WAIT) {
                    said = Some(seen);
                    pipe_wire::encode(&Frame::Tracks(seen.tracks()), &mut out);
                    for p in pending.drain(..) {
                        packet(&p, &mut out);
                    }
                } else if last_write.elapsed() >= PIPE_PING_AFTER {
                    pipe_wire::encode(&Frame::Ping, &mut out);
                }
            }
        }
        if !out.is_empty() {
            if tx.send(out.freeze()).await.is_err() {
                break;
            }
            last_write = Instant::now();
        }
    }
    sfu.untap(key.clone(), tap).await;
    tracing::info!(appid = key.appid, stream = %key.stream_id, "cluster: stream pipe to another node ended");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconnected_source_continues_the_sequence() {
        let mut r = Renumber::default();
        assert_eq!(r.map(7, 1000), 0);
        assert_eq!(r.map(7, 1001), 1);
        assert_eq!(r.map(7, 1003), 3, "a gap stays a gap");
        assert_eq!(r.map(7, 1002), 2, "a late packet keeps its place");
        assert_eq!(
            r.map(9, 50),
            4,
            "the new source follows the highest number out"
        );
        assert_eq!(r.map(9, 51), 5);
    }

    #[test]
    fn tracks_are_said_once_every_negotiated_kind_showed() {
        let both = SourceKinds {
            audio: true,
            video: true,
        };
        let video_only = SourceKinds {
            audio: false,
            video: true,
        };
        let mut s = Seen {
            video: Some(MediaCodec::H264),
            ..Default::default()
        };
        assert!(!s.complete(both));
        assert!(s.complete(video_only));
        s.audio = Some(MediaCodec::Opus);
        assert!(s.complete(both));
    }
}
