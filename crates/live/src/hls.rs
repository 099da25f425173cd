//! HLS: one hlssink2 pipeline per stream writing MPEG-TS segments and a playlist into its own
//! temporary directory. Started by the first playlist request (which waits, bounded, for the
//! first segment); stopped, and its directory removed, once no playlist or segment was asked
//! for during [`HLS_IDLE`].

use crate::encode::{branches, H264Format};
use crate::registry::{lock, Joined, OnDemand, Registry};
use crate::source::{self, Running};
use crate::LiveError;
use liveroom_media::{SfuHandle, StreamKey};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
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

struct Output {
    dir: PathBuf,
    last_request: Mutex<Instant>,
    /// Set once the pipeline runs (or failed to start: `Err`).
    started: Mutex<Option<Result<(), String>>>,
}

impl OnDemand for Output {
    const KIND: &'static str = "HLS";
    const MAX_STREAMS: usize = HLS_MAX_STREAMS;
    const CHECK: Duration = HLS_CHECK;
    // Segments are cut at key frames and H.264 passes through: without asking, segments
    // would be as long as the publisher's key-frame interval (browsers send one rarely).
    const KEYFRAMES: Option<Duration> = Some(Duration::from_secs(HLS_TARGET_DURATION as u64));

    fn check(&self, _: &SfuHandle, _: &StreamKey) -> Option<String> {
        (lock(&self.last_request).elapsed() > HLS_IDLE).then(|| "no requests".to_string())
    }

    fn started(&self, key: &StreamKey) {
        *lock(&self.started) = Some(Ok(()));
        tracing::info!(appid = key.appid, stream = %key.stream_id, dir = %self.dir.display(), "HLS output started");
    }

    async fn failed(&self, error: &LiveError) {
        *lock(&self.started) = Some(Err(error.to_string()));
        let _ = tokio::fs::remove_dir_all(&self.dir).await;
    }

    async fn stopped(&self, running: Running) {
        drop(running);
        let _ = tokio::fs::remove_dir_all(&self.dir).await;
    }
}

/// Every stream's HLS output, started on demand; segments on disk.
pub struct HlsOutputs {
    sfu: SfuHandle,
    root: PathBuf,
    outputs: Arc<Registry<Output>>,
}

impl HlsOutputs {
    /// Segments go under `root` (created if missing), one directory per running output.
    pub fn new(sfu: SfuHandle, root: PathBuf) -> Arc<HlsOutputs> {
        Arc::new(HlsOutputs {
            outputs: Registry::new(sfu.clone()),
            sfu,
            root,
        })
    }

    /// How many outputs are running.
    pub fn running(&self) -> usize {
        self.outputs.running()
    }

    /// The playlist of `key` as hlssink2 wrote it (segment URIs are bare file names),
    /// starting the output if needed.
    pub async fn playlist(self: &Arc<Self>, key: &StreamKey) -> Result<String, LiveError> {
        self.outputs.require_published(key).await?;
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
        let output = self.outputs.get(key).ok_or_else(|| {
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
        let make = || Output {
            dir: self.root.join(format!(
                "{}-{}-{:016x}",
                key.appid,
                sanitize(&key.stream_id),
                rand_u64()
            )),
            last_request: Mutex::new(Instant::now()),
            started: Mutex::new(None),
        };
        match self.outputs.join_or_insert(key, |_| Ok(()), make)? {
            Joined::Existing(output) => Ok(output),
            Joined::New(output) => {
                let start = self.start(key, &output);
                self.outputs.launch(key, output.clone(), start).await?;
                Ok(output)
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
