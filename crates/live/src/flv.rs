//! HTTP-FLV: one pipeline per stream (flvmux into an appsink), started by the first viewer and
//! stopped when the last leaves. The FLV byte stream is cut into tags once and every tag is
//! shared (`Bytes`) with all viewers. A late viewer gets the cached FLV header, onMetaData and
//! the AVC/AAC sequence headers, then tags from the next key frame. Each viewer has a bounded
//! queue; one that falls behind is dropped (logged) rather than holding the others back.

use crate::encode::{branches, H264Format};
use crate::registry::{lock, Joined, OnDemand, Registry};
use crate::source::{self, Running};
use crate::LiveError;
use bytes::Bytes;
use gstreamer as gst;
use gstreamer_app::{AppSink, AppSinkCallbacks};
use liveroom_media::{SfuHandle, StreamKey};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Tags queued per viewer (≈10 s of 30 fps video with audio) before it counts as too slow.
pub const FLV_VIEWER_QUEUE: usize = 800;
/// Viewers of one stream: one process serves ≈ 5,000+ 1.5 Mbit/s viewers per core
/// (docs/benchmarks.md), and the open-file limit is the next bound.
pub const FLV_MAX_VIEWERS_PER_STREAM: usize = 20_000;
/// Streams with an FLV output at once.
pub const FLV_MAX_STREAMS: usize = 64;
/// How long the first viewer waits for the stream's first packet before a 404.
pub const FLV_PROBE_WAIT: Duration = Duration::from_secs(4);
/// Tags of the current group of pictures kept for joiners (a longer group is not cached:
/// joiners then wait for the next key frame, which they ask for).
pub const FLV_GOP_CACHE_MAX_TAGS: usize = FLV_VIEWER_QUEUE / 2;
/// Bytes of the current group of pictures kept for joiners.
pub const FLV_GOP_CACHE_MAX_BYTES: usize = 4 << 20;
/// An output that produced no tag this long (publisher gone) ends, closing its viewers.
pub const FLV_SOURCE_IDLE: Duration = Duration::from_secs(10);
/// How often an output looks for departed viewers and a silent source.
const FLV_CHECK: Duration = Duration::from_millis(500);

const TAG_AUDIO: u8 = 8;
const TAG_VIDEO: u8 = 9;
const TAG_SCRIPT: u8 = 18;

/// What an FLV tag is, as far as caching for joiners goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    /// The 9-byte file header with PreviousTagSize0.
    Header,
    /// The `onMetaData` script tag.
    Meta,
    /// The AVC decoder configuration.
    VideoSeqHeader,
    /// The AAC audio specific config.
    AudioSeqHeader,
    /// A video key frame.
    VideoKey,
    /// Any other video tag.
    Video,
    /// Any other audio tag.
    Audio,
    /// Any other tag type.
    Other,
}

/// One tag with its trailing PreviousTagSize, as sent.
#[derive(Debug, Clone)]
pub struct Tag {
    /// What the tag is.
    pub kind: TagKind,
    /// The tag's bytes with its PreviousTagSize.
    pub bytes: Bytes,
}

/// Cuts an FLV byte stream into tags, whatever the buffer boundaries.
#[derive(Debug, Default)]
pub struct FlvSplitter {
    buf: Vec<u8>,
    header_done: bool,
}

/// A tag bigger than this means the stream is not FLV (or is corrupt).
const MAX_TAG_BYTES: usize = 16 * 1024 * 1024;

impl FlvSplitter {
    /// Adds `data` and returns the complete tags it finished; an error if the stream is not FLV.
    pub fn push(&mut self, data: &[u8]) -> Result<Vec<Tag>, String> {
        self.buf.extend_from_slice(data);
        let mut out = Vec::new();
        let mut at = 0;
        if !self.header_done {
            if self.buf.len() < 13 {
                return Ok(out);
            }
            if &self.buf[..3] != b"FLV" {
                return Err("not an FLV stream".into());
            }
            let header_len =
                u32::from_be_bytes([self.buf[5], self.buf[6], self.buf[7], self.buf[8]]) as usize;
            if !(9..=64).contains(&header_len) {
                return Err(format!("FLV header length {header_len}"));
            }
            if self.buf.len() < header_len + 4 {
                return Ok(out);
            }
            out.push(Tag {
                kind: TagKind::Header,
                bytes: Bytes::copy_from_slice(&self.buf[..header_len + 4]),
            });
            at = header_len + 4;
            self.header_done = true;
        }
        loop {
            let rest = &self.buf[at..];
            if rest.len() < 11 {
                break;
            }
            let size = u32::from_be_bytes([0, rest[1], rest[2], rest[3]]) as usize;
            if size > MAX_TAG_BYTES {
                return Err(format!("FLV tag of {size} bytes"));
            }
            let total = 11 + size + 4;
            if rest.len() < total {
                break;
            }
            let data = &rest[11..11 + size];
            let kind = classify(rest[0] & 0x1f, data);
            out.push(Tag {
                kind,
                bytes: Bytes::copy_from_slice(&rest[..total]),
            });
            at += total;
        }
        self.buf.drain(..at);
        Ok(out)
    }
}

fn classify(tag_type: u8, data: &[u8]) -> TagKind {
    match tag_type {
        TAG_SCRIPT => TagKind::Meta,
        TAG_VIDEO => match data {
            // AVC (codec 7) packet type 0: AVCDecoderConfigurationRecord
            [b0, 0, ..] if b0 & 0x0f == 7 => TagKind::VideoSeqHeader,
            [b0, ..] if b0 >> 4 == 1 => TagKind::VideoKey,
            _ => TagKind::Video,
        },
        TAG_AUDIO => match data {
            // AAC (format 10) packet type 0: AudioSpecificConfig
            [b0, 0, ..] if b0 >> 4 == 10 => TagKind::AudioSeqHeader,
            _ => TagKind::Audio,
        },
        _ => TagKind::Other,
    }
}

struct Viewer {
    tx: mpsc::Sender<Bytes>,
    started: bool,
}

/// The cached start of the stream and the viewers of one output.
pub struct Fanout {
    label: String,
    has_video: bool,
    header: Option<Bytes>,
    meta: Option<Bytes>,
    video_seq: Option<Bytes>,
    audio_seq: Option<Bytes>,
    viewers: Vec<Viewer>,
    last_tag: Instant,
    /// Media tags since the last key frame (video streams), so a joiner starts at once.
    gop: Vec<Bytes>,
    gop_bytes: usize,
    gop_valid: bool,
}

impl Fanout {
    /// An empty fanout; `label` names it in logs, `has_video` makes joiners start on a key frame.
    pub fn new(label: String, has_video: bool) -> Fanout {
        Fanout {
            label,
            has_video,
            header: None,
            meta: None,
            video_seq: None,
            audio_seq: None,
            viewers: Vec::new(),
            last_tag: Instant::now(),
            gop: Vec::new(),
            gop_bytes: 0,
            gop_valid: false,
        }
    }

    /// A new viewer: it gets the cached headers and the current group of pictures at once
    /// when there is one, else it starts at the next key frame.
    pub fn add(&mut self, tx: mpsc::Sender<Bytes>) {
        let mut v = Viewer { tx, started: false };
        if self.has_video && self.gop_valid && !self.gop.is_empty() && self.header.is_some() {
            let sent = self
                .init()
                .into_iter()
                .chain(self.gop.iter().cloned())
                .all(|b| v.tx.try_send(b).is_ok());
            if !sent {
                tracing::info!(output = %self.label, "FLV viewer cannot take the cached group: dropped");
                return;
            }
            v.started = true;
        }
        self.viewers.push(v);
    }

    /// Whether a new viewer would wait for the next key frame.
    pub fn joiners_wait(&self) -> bool {
        self.has_video && (!self.gop_valid || self.gop.is_empty())
    }

    fn init(&self) -> Vec<Bytes> {
        [&self.header, &self.meta, &self.video_seq, &self.audio_seq]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }

    fn cache_gop(&mut self, tag: &Tag) {
        if !self.has_video {
            return;
        }
        match tag.kind {
            TagKind::VideoKey => {
                self.gop.clear();
                self.gop_bytes = 0;
                self.gop_valid = true;
            }
            TagKind::Video | TagKind::Audio => {}
            _ => return,
        }
        if !self.gop_valid {
            return;
        }
        if self.gop.len() >= FLV_GOP_CACHE_MAX_TAGS
            || self.gop_bytes + tag.bytes.len() > FLV_GOP_CACHE_MAX_BYTES
        {
            self.gop.clear();
            self.gop_bytes = 0;
            self.gop_valid = false;
            return;
        }
        self.gop_bytes += tag.bytes.len();
        self.gop.push(tag.bytes.clone());
    }

    /// How many viewers it has.
    pub fn viewers(&self) -> usize {
        self.viewers.len()
    }

    /// Forgets viewers whose connection is gone.
    pub fn prune(&mut self) {
        self.viewers.retain(|v| !v.tx.is_closed());
    }

    /// Caches `tag` if joiners need it and sends it to the viewers that can take it.
    pub fn on_tag(&mut self, tag: Tag) {
        self.last_tag = Instant::now();
        let cache = match tag.kind {
            TagKind::Header => Some(&mut self.header),
            TagKind::Meta => Some(&mut self.meta),
            TagKind::VideoSeqHeader => Some(&mut self.video_seq),
            TagKind::AudioSeqHeader => Some(&mut self.audio_seq),
            _ => None,
        };
        if let Some(slot) = cache {
            *slot = Some(tag.bytes.clone());
            if tag.kind == TagKind::Header {
                return;
            }
        }
        self.cache_gop(&tag);
        let start_point = match tag.kind {
            TagKind::VideoKey => true,
            TagKind::Audio => !self.has_video,
            _ => false,
        };
        let init = self.init();
        let label = &self.label;
        self.viewers.retain_mut(|v| {
            let send = |b: Bytes| match v.tx.try_send(b) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::info!(output = %label, "FLV viewer too slow: dropped");
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            };
            if !v.started {
                if !start_point || self.header.is_none() {
                    return !v.tx.is_closed();
                }
                v.started = true;
                for b in &init {
                    if !send(b.clone()) {
                        return false;
                    }
                }
                if cache_kind(tag.kind) {
                    // already sent as part of `init`
                    return true;
                }
            }
            send(tag.bytes.clone())
        });
    }
}

fn cache_kind(k: TagKind) -> bool {
    matches!(
        k,
        TagKind::Meta | TagKind::VideoSeqHeader | TagKind::AudioSeqHeader
    )
}

struct Output {
    fanout: Arc<Mutex<Fanout>>,
}

impl OnDemand for Output {
    const KIND: &'static str = "FLV";
    const MAX_STREAMS: usize = FLV_MAX_STREAMS;
    const CHECK: Duration = FLV_CHECK;

    fn check(&self, sfu: &SfuHandle, key: &StreamKey) -> Option<String> {
        let mut f = lock(&self.fanout);
        f.prune();
        if f.viewers() == 0 {
            return Some("no viewers left".to_string());
        }
        if f.last_tag.elapsed() > FLV_SOURCE_IDLE {
            return Some("the stream sends nothing".to_string());
        }
        // Viewers still waiting for a key frame (no cached group): ask again, as the request
        // made when they joined may have been rate-limited away.
        if f.viewers.iter().any(|v| !v.started) {
            let (sfu, key) = (sfu.clone(), key.clone());
            tokio::spawn(async move { sfu.request_keyframe(key).await });
        }
        None
    }

    fn started(&self, key: &StreamKey) {
        tracing::info!(appid = key.appid, stream = %key.stream_id, "FLV output started");
    }

    async fn failed(&self, _: &LiveError) {}

    async fn stopped(&self, running: Running) {
        // Viewers' senders drop with the fanout's list: their responses end.
        lock(&self.fanout).viewers.clear();
        drop(running);
    }
}

/// Every stream's FLV output, started on demand.
pub struct FlvOutputs {
    sfu: SfuHandle,
    outputs: Arc<Registry<Output>>,
}

impl FlvOutputs {
    /// No outputs yet; taps come from `sfu`.
    pub fn new(sfu: SfuHandle) -> Arc<FlvOutputs> {
        Arc::new(FlvOutputs {
            outputs: Registry::new(sfu.clone()),
            sfu,
        })
    }

    /// Streams with an output running (or starting).
    pub fn running(&self) -> usize {
        self.outputs.running()
    }

    /// A new viewer of `key`: the FLV bytes to send, in order. Starts the output if it is the
    /// first; `NotPublished` if the stream sends nothing.
    pub async fn subscribe(
        self: &Arc<Self>,
        key: StreamKey,
    ) -> Result<mpsc::Receiver<Bytes>, LiveError> {
        self.outputs.require_published(&key).await?;
        let (tx, rx) = mpsc::channel(FLV_VIEWER_QUEUE);
        let joined = self.outputs.join_or_insert(
            &key,
            |o| {
                let mut f = lock(&o.fanout);
                if f.viewers() >= FLV_MAX_VIEWERS_PER_STREAM {
                    return Err(LiveError::Limit(format!(
                        "at most {FLV_MAX_VIEWERS_PER_STREAM} FLV viewers per stream"
                    )));
                }
                f.add(tx.clone());
                // The joiner starts at the next key frame; browsers send one only when asked.
                let (sfu, key) = (self.sfu.clone(), key.clone());
                tokio::spawn(async move { sfu.request_keyframe(key).await });
                Ok(())
            },
            || {
                let label = format!("flv-{}-{}", key.appid, key.stream_id);
                let mut fanout = Fanout::new(label, true);
                fanout.add(tx.clone());
                Output {
                    fanout: Arc::new(Mutex::new(fanout)),
                }
            },
        );
        // Only the fanout holds the viewer's sender: its response ends when the output does.
        drop(tx);
        match joined? {
            Joined::Existing(_) => Ok(rx),
            Joined::New(output) => {
                let start = self.start(&key, &output);
                self.outputs.launch(&key, output.clone(), start).await?;
                Ok(rx)
            }
        }
    }

    async fn start(&self, key: &StreamKey, output: &Output) -> Result<Running, LiveError> {
        let name = format!("flv-{}-{}", key.appid, key.stream_id);
        let fanout = output.fanout.clone();
        source::start(
            &self.sfu,
            key,
            &name,
            FLV_PROBE_WAIT,
            |p| {
                Ok(format!(
                    "{} flvmux name=mux streamable=true latency=100000000 ! appsink name=out sync=false",
                    branches(p, "mux", H264Format::Avc, false)?
                ))
            },
            move |pipeline, p| {
                lock(&fanout).has_video = p.video.is_some();
                let sink: AppSink = pipeline.element("out")?;
                let mut splitter = FlvSplitter::default();
                let label = pipeline.name().to_string();
                sink.set_callbacks(
                    AppSinkCallbacks::builder()
                        .new_sample(move |sink| {
                            let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                            let Some(buf) = sample.buffer() else {
                                return Ok(gst::FlowSuccess::Ok);
                            };
                            let map = buf.map_readable().map_err(|_| gst::FlowError::Error)?;
                            match splitter.push(&map) {
                                Ok(tags) => {
                                    let mut f = lock(&fanout);
                                    for t in tags {
                                        f.on_tag(t);
                                    }
                                    Ok(gst::FlowSuccess::Ok)
                                }
                                Err(e) => {
                                    tracing::warn!(output = %label, error = %e, "bad FLV from flvmux");
                                    Err(gst::FlowError::Error)
                                }
                            }
                        })
                        .build(),
                );
                Ok(())
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(t: u8, data: &[u8]) -> Vec<u8> {
        let mut v = vec![t];
        v.extend_from_slice(&(data.len() as u32).to_be_bytes()[1..]);
        v.extend_from_slice(&[0; 7]);
        v.extend_from_slice(data);
        v.extend_from_slice(&((11 + data.len()) as u32).to_be_bytes());
        v
    }

    fn stream() -> Vec<u8> {
        let mut s = b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00".to_vec();
        s.extend(tag(18, b"meta"));
        s.extend(tag(9, &[0x17, 0, 1])); // AVC sequence header
        s.extend(tag(8, &[0xaf, 0, 2])); // AAC sequence header
        s.extend(tag(9, &[0x27, 1, 3])); // inter frame
        s.extend(tag(8, &[0xaf, 1, 4]));
        s.extend(tag(9, &[0x17, 1, 5])); // key frame
        s.extend(tag(9, &[0x27, 1, 6]));
        s
    }

    #[test]
    fn splits_tags_across_any_buffer_boundaries() {
        let s = stream();
        let mut whole = FlvSplitter::default();
        let all = whole.push(&s).unwrap();
        let kinds: Vec<TagKind> = all.iter().map(|t| t.kind).collect();
        use TagKind::*;
        assert_eq!(
            kinds,
            [
                Header,
                Meta,
                VideoSeqHeader,
                AudioSeqHeader,
                Video,
                Audio,
                VideoKey,
                Video
            ]
        );
        let mut bytewise = FlvSplitter::default();
        let mut got = Vec::new();
        for b in &s {
            got.extend(bytewise.push(&[*b]).unwrap());
        }
        let joined: Vec<u8> = got.iter().flat_map(|t| t.bytes.to_vec()).collect();
        assert_eq!(joined, s);
        assert!(FlvSplitter::default().push(b"GIF89a-not-flv").is_err());
    }

    #[test]
    fn late_viewer_starts_with_cached_headers_at_a_key_frame_and_slow_one_is_dropped() {
        let tags = FlvSplitter::default().push(&stream()).unwrap();
        let mut f = Fanout::new("t".into(), true);
        let (early_tx, mut early) = mpsc::channel(100);
        f.add(early_tx);
        for t in &tags[..5] {
            f.on_tag(t.clone());
        }
        // No key frame yet: the early viewer has nothing.
        assert!(early.try_recv().is_err());
        let (late_tx, mut late) = mpsc::channel(100);
        f.add(late_tx);
        let (slow_tx, _slow) = mpsc::channel(3);
        f.add(slow_tx);
        for t in &tags[5..] {
            f.on_tag(t.clone());
        }
        for rx in [&mut early, &mut late] {
            let mut got = Vec::new();
            while let Ok(b) = rx.try_recv() {
                got.push(b);
            }
            let want: Vec<Bytes> = [0, 1, 2, 3, 6, 7]
                .iter()
                .map(|i| tags[*i].bytes.clone())
                .collect();
            assert_eq!(got, want);
        }
        // Header + meta + 2 sequence headers + key frame do not fit in 3.
        assert_eq!(f.viewers(), 2);

        // A viewer joining now gets the headers and the group since the key frame at once.
        assert!(!f.joiners_wait());
        let (join_tx, mut join) = mpsc::channel(100);
        f.add(join_tx);
        let mut got = Vec::new();
        while let Ok(b) = join.try_recv() {
            got.push(b);
        }
        let want: Vec<Bytes> = [0, 1, 2, 3, 6, 7]
            .iter()
            .map(|i| tags[*i].bytes.clone())
            .collect();
        assert_eq!(got, want);
        // ... and then follows live.
        f.on_tag(tags[4].clone());
        assert_eq!(join.try_recv().unwrap(), tags[4].bytes);
    }
}
