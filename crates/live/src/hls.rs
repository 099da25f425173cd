//! HLS: one hlssink2 pipeline per stream writing MPEG-TS segments and a playlist into its own
//! temporary directory. Started by the first playlist request (which waits, bounded, for the
//! first segment); stopped, and its directory removed, once no playlist or segment was asked
//! for during [`HLS_IDLE`].

use crate::encode::{branches, H264Format};
use crate::source::{self, Running};
use crate::{LiveError, PipelineEvent};
use liveroom_media::{SfuHandle, StreamKey};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Target segment length, seconds (segments are cut at key frames, so they may be longer).
pub const HLS_TARGET_DURATION: u32 = 2;
/// Segments listed in the playlist.
pub const HLS_PLAYLIST_LENGTH: u32 = 6;
/// Segments kept on disk (a few more than listed, for players that lag behind).
pub const HLS_MAX_FILES: u32 = 10;
/// An output nobody asked anything of for this long stops.
pub const HLS_IDLE: Duration = Duration::from_secs(30);
/// How long the first playlist request waits for the first segment.
pub const HLS_FIRST_SEGMENT_WAIT: Duration = Duration::from_secs(15);
/// How long the first request waits for the stream's first packet before a 404.
pub const HLS_PROBE_WAIT: Duration = Duration::from_secs(4);
/// Streams with an HLS output at once.
pub const HLS_MAX_STREAMS: usize = 64;
const HLS_CHECK: Duration = Duration::from_millis(500);
const PLAYLIST: &str = "playlist.m3u8";

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct Output {
    dir: PathBuf,
    last_request: Mutex<Instant>,
    /// Set once the pipeline runs (or failed to start: `Err`).
    started: Mutex<Option<Result<(), String>>>,
}

/// Every stream's HLS output, started on demand; segments on disk.
pub struct HlsOutputs {
    sfu: SfuHandle,
    root: PathBuf,
    outputs: Mutex<HashMap<StreamKey, Arc<Output>>>,
}

impl HlsOutputs {
    /// Segments go under `root` (created if missing), one directory per running output.
    pub fn new(sfu: SfuHandle, root: PathBuf) -> Arc<HlsOutputs> {
        Arc::new(HlsOutputs {
            sfu,
            root,
            outputs: Mutex::new(HashMap::new()),
        })
    }

    /// How many outputs are running.
    pub fn running(&self) -> usize {
        lock(&self.outputs).len()
    }

    /// The playlist of `key` as hlssink2 wrote it (segment URIs are bare file names),
    /// starting the output if needed.
    pub async fn playlist(self: &Arc<Self>, key: &StreamKey) -> Result<String, LiveError> {
        if !self.sfu.is_published(key.clone()).await {
            return Err(LiveError::NotPublished(key.stream_id.clone()));
        }
        let output = self.output_or_start(key).await?;
        let path = output.dir.join(PLAYLIST);
        let deadline = tokio::time::Instant::now() + HLS_FIRST_SEGMENT_WAIT;
        loop {
            *lock(&output.last_request) = Instant::now();
            if let Some(Err(e)) = lock(&output.started).clone() {
                return Err(LiveError::Pipeline {
                    name: format!("hls-{}", key.stream_id),
                    reason: e,
                });
            }
            if let Ok(text) = tokio::fs::read_to_string(&path).await {
                if text.contains("#EXTINF") {
                    return Ok(text);
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(LiveError::NotFound(format!(
                    "no HLS segment of stream {:?} within {} s",
                    key.stream_id,
                    HLS_FIRST_SEGMENT_WAIT.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A segment of a running output; `name` must be one hlssink2 writes.
    pub async fn segment(&self, key: &StreamKey, name: &str) -> Result<Vec<u8>, LiveError> {
        if !is_segment_name(name) {
            return Err(LiveError::NotFound(format!("no segment {name:?}")));
        }
        let output = lock(&self.outputs).get(key).cloned().ok_or_else(|| {
            LiveError::NotFound(format!(
                "no HLS output of stream {:?} is running",
                key.stream_id
            ))
        })?;
        *lock(&output.last_request) = Instant::now();
        tokio::fs::read(output.dir.join(name)).await.map_err(|_| {
            LiveError::NotFound(format!("segment {name:?} is gone or not written yet"))
        })
    }

    async fn output_or_start(self: &Arc<Self>, key: &StreamKey) -> Result<Arc<Output>, LiveError> {
        let output = {
            let mut outputs = lock(&self.outputs);
            if let Some(o) = outputs.get(key) {
                return Ok(o.clone());
            }
            if outputs.len() >= HLS_MAX_STREAMS {
                return Err(LiveError::Limit(format!(
                    "at most {HLS_MAX_STREAMS} streams with HLS output"
                )));
            }
            let dir = self.root.join(format!(
                "{}-{}-{:016x}",
                key.appid,
                sanitize(&key.stream_id),
                rand_u64()
            ));
            let o = Arc::new(Output {
                dir,
                last_request: Mutex::new(Instant::now()),
                started: Mutex::new(None),
            });
            outputs.insert(key.clone(), o.clone());
            o
        };
        match self.start(key, &output).await {
            Ok(running) => {
                *lock(&output.started) = Some(Ok(()));
                let me = self.clone();
                let key = key.clone();
                let o = output.clone();
                tokio::spawn(async move { me.supervise(key, o, running).await });
                Ok(output)
            }
            Err(e) => {
                *lock(&output.started) = Some(Err(e.to_string()));
                self.remove(key, &output);
                let _ = tokio::fs::remove_dir_all(&output.dir).await;
                Err(e)
            }
        }
    }

    async fn start(&self, key: &StreamKey, output: &Output) -> Result<Running, LiveError> {
        std::fs::create_dir_all(&output.dir).map_err(|e| LiveError::Pipeline {
            name: "hls".into(),
            reason: format!("cannot create {}: {e}", output.dir.display()),
        })?;
        crate::require_elements(&["hlssink2"])?;
        let name = format!("hls-{}-{}", key.appid, key.stream_id);
        let dir = output.dir.clone();
        source::start(
            &self.sfu,
            key,
            &name,
            HLS_PROBE_WAIT,
            |p| {
                Ok(format!(
                    "{} hlssink2 name=hls target-duration={HLS_TARGET_DURATION} \
                     playlist-length={HLS_PLAYLIST_LENGTH} max-files={HLS_MAX_FILES}",
                    branches(p, "hls", H264Format::ByteStream, true)?
                ))
            },
            move |pipeline, _| {
                use gstreamer::prelude::*;
                let sink: gstreamer::Element = pipeline.element("hls")?;
                // Set here, not in the launch line: the directory may need quoting there.
                sink.set_property("location", path_str(&dir.join("segment%05d.ts")));
                sink.set_property("playlist-location", path_str(&dir.join(PLAYLIST)));
                Ok(())
            },
        )
        .await
    }

    async fn supervise(self: Arc<Self>, key: StreamKey, output: Arc<Output>, mut running: Running) {
        tracing::info!(appid = key.appid, stream = %key.stream_id, dir = %output.dir.display(), "HLS output started");
        // Segments are cut at key frames and H.264 passes through: without asking, segments
        // would be as long as the publisher's key-frame interval (browsers send one rarely).
        let mut keyframes =
            tokio::time::interval(Duration::from_secs(u64::from(HLS_TARGET_DURATION)));
        let mut source = crate::SourceWatch::default();
        let why = loop {
            tokio::select! {
                _ = keyframes.tick() => self.sfu.request_keyframe(key.clone()).await,
                ev = running.events.recv() => {
                    break match ev {
                        Some(PipelineEvent::Error(e)) => format!("pipeline failed: {e}"),
                        Some(PipelineEvent::Eos) | None => "pipeline ended".to_string(),
                    };
                }
                _ = tokio::time::sleep(HLS_CHECK) => {
                    if source.gone(self.sfu.is_published(key.clone()).await) {
                        break "the stream is no longer published".to_string();
                    }
                    let outputs = lock(&self.outputs);
                    if lock(&output.last_request).elapsed() > HLS_IDLE {
                        remove_from(outputs, &key, &output);
                        break "no requests".to_string();
                    }
                }
            }
        };
        self.remove(&key, &output);
        drop(running);
        let _ = tokio::fs::remove_dir_all(&output.dir).await;
        tracing::info!(appid = key.appid, stream = %key.stream_id, reason = %why, "HLS output stopped");
    }

    fn remove(&self, key: &StreamKey, output: &Arc<Output>) {
        remove_from(lock(&self.outputs), key, output);
    }
}

fn remove_from(
    mut outputs: MutexGuard<'_, HashMap<StreamKey, Arc<Output>>>,
    key: &StreamKey,
    output: &Arc<Output>,
) {
    if outputs.get(key).is_some_and(|o| Arc::ptr_eq(o, output)) {
        outputs.remove(key);
    }
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// `segmentNNNNN.ts` and nothing else (no path tricks).
pub fn is_segment_name(name: &str) -> bool {
    name.strip_prefix("segment")
        .and_then(|r| r.strip_suffix(".ts"))
        .is_some_and(|n| !n.is_empty() && n.len() <= 10 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The playlist with each segment URI prefixed by `prefix` (e.g. `"s1/"`).
pub fn rewrite_playlist(text: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(text.len() + 256);
    for line in text.lines() {
        if !line.is_empty() && !line.starts_with('#') {
            out.push_str(prefix);
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn sanitize(s: &str) -> String {
    s.chars()
        .take(40)
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_and_playlist_rewrite() {
        assert!(is_segment_name("segment00012.ts"));
        assert!(!is_segment_name("../segment1.ts"));
        assert!(!is_segment_name("segment.ts"));
        assert!(!is_segment_name("playlist.m3u8"));
        let p = "#EXTM3U\n#EXTINF:2.0,\nsegment00001.ts\n";
        assert_eq!(
            rewrite_playlist(p, "s%201/"),
            "#EXTM3U\n#EXTINF:2.0,\ns%201/segment00001.ts\n"
        );
    }
}
