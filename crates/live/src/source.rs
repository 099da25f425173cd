//! A running output: an SFU tap feeding a pipeline built for what the tap carries. Dropping
//! it stops the pipeline, the feed and the tap.

use crate::encode::{AUDIO_SRC, VIDEO_SRC};
use crate::rtp_in::{probe, spawn_feed, Probe};
use crate::{LiveError, Pipeline, PipelineEvent};
use gstreamer_app::AppSrc;
use liveroom_media::{SfuHandle, StreamKey, TapId};
use std::time::Duration;
use tokio::sync::mpsc;

/// A running output; dropping it stops the pipeline, the feed and the tap.
pub struct Running {
    /// The pipeline.
    pub pipeline: Pipeline,
    /// The pipeline's events.
    pub events: mpsc::UnboundedReceiver<PipelineEvent>,
    /// Whether the tap carries video.
    pub has_video: bool,
    /// Whether the tap carries audio.
    pub has_audio: bool,
    feed: tokio::task::JoinHandle<()>,
    sfu: SfuHandle,
    key: StreamKey,
    tap: TapId,
}

/// Taps `key`, waits up to `first` for its first packet, builds the pipeline `build` describes
/// for the probed tracks (appsrc elements named by `encode`), lets `configure` set what a
/// launch line cannot carry, and starts it. `NotPublished` when nothing arrived.
pub async fn start(
    sfu: &SfuHandle,
    key: &StreamKey,
    name: &str,
    first: Duration,
    build: impl FnOnce(&Probe) -> Result<String, LiveError>,
    configure: impl FnOnce(&Pipeline, &Probe) -> Result<(), LiveError>,
) -> Result<Running, LiveError> {
    let (tap, mut rx, kinds) = sfu
        .tap(key.clone())
        .await
        .ok_or_else(|| LiveError::Init("media worker stopped".into()))?;
    let untap = |sfu: &SfuHandle| {
        let (sfu, key) = (sfu.clone(), key.clone());
        async move { sfu.untap(key, tap).await }
    };
    let Some(p) = probe(&mut rx, first, kinds).await else {
        untap(sfu).await;
        return Err(LiveError::NotPublished(key.stream_id.clone()));
    };
    let built = (|| {
        let description = build(&p)?;
        let (pipeline, events) = Pipeline::launch(name, &description)?;
        configure(&pipeline, &p)?;
        let video = match p.video {
            Some(_) => Some(pipeline.element::<AppSrc>(VIDEO_SRC)?),
            None => None,
        };
        let audio = match p.audio {
            Some(_) => Some(pipeline.element::<AppSrc>(AUDIO_SRC)?),
            None => None,
        };
        pipeline.play()?;
        Ok::<_, LiveError>((pipeline, events, video, audio))
    })();
    let (pipeline, events, video, audio) = match built {
        Ok(b) => b,
        Err(e) => {
            untap(sfu).await;
            return Err(e);
        }
    };
    let (has_video, has_audio) = (p.video.is_some(), p.audio.is_some());
    let feed = spawn_feed(p, rx, video, audio);
    Ok(Running {
        pipeline,
        events,
        has_video,
        has_audio,
        feed,
        sfu: sfu.clone(),
        key: key.clone(),
        tap,
    })
}

impl Drop for Running {
    fn drop(&mut self) {
        self.feed.abort();
        let (sfu, key, tap) = (self.sfu.clone(), self.key.clone(), self.tap);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { sfu.untap(key, tap).await });
        }
    }
}
