//! Relay of a stream to an external RTMP URL: tap → H.264 (passthrough, or VP8 transcoded) and
//! AAC → `flvmux streamable=true` → `rtmp2sink`. A push that fails (no stream yet, connection
//! refused, server gone) is retried with exponential backoff until it is stopped; every start
//! and failure is reported to the owner.

use crate::encode::{branches, H264Format};
use crate::source;
use crate::{LiveError, PipelineEvent};
use liveroom_media::{SfuHandle, StreamKey};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// First wait before retrying a failed push.
pub const RELAY_BACKOFF_FIRST: Duration = Duration::from_secs(1);
/// Longest wait between retries.
pub const RELAY_BACKOFF_MAX: Duration = Duration::from_secs(30);
/// A push that ran this long before failing starts over from the first backoff.
pub const RELAY_STABLE: Duration = Duration::from_secs(30);
/// How long an attempt waits for the stream's first packet.
pub const RELAY_PROBE_WAIT: Duration = Duration::from_secs(5);
/// Longest push URL accepted.
pub const RELAY_MAX_URL_BYTES: usize = 1024;

/// What a push reports to its owner.
#[derive(Debug, Clone, PartialEq)]
pub enum PushEvent {
    /// The pipeline runs (connected or connecting to the RTMP server).
    Started,
    /// An attempt failed; the next one comes after `retry_in`.
    Failed {
        /// Which attempt failed (1-based).
        attempt: u32,
        /// Why it failed.
        reason: String,
        /// The wait before the next attempt.
        retry_in: Duration,
    },
}

/// Refuses URLs rtmp2sink cannot push to, with the reason.
pub fn check_url(url: &str) -> Result<(), String> {
    if url.len() > RELAY_MAX_URL_BYTES {
        return Err(format!("push URL is over {RELAY_MAX_URL_BYTES} bytes"));
    }
    let rest = url
        .strip_prefix("rtmp://")
        .or_else(|| url.strip_prefix("rtmps://"))
        .ok_or("push URL must start with rtmp:// or rtmps://")?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err("push URL has no host".into());
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("push URL contains whitespace or control characters".into());
    }
    Ok(())
}

/// The backoff before retry number `attempt` (1-based).
pub fn backoff(attempt: u32) -> Duration {
    let factor = 1u32 << attempt.saturating_sub(1).min(16);
    (RELAY_BACKOFF_FIRST * factor).min(RELAY_BACKOFF_MAX)
}

/// A running push; dropping it stops the push.
pub struct PushHandle {
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for PushHandle {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// Called with each [`PushEvent`] of a push.
pub type OnPushEvent = Arc<dyn Fn(PushEvent) + Send + Sync>;

/// Starts pushing `key` to `url` (checked with [`check_url`] first) until the handle drops.
pub fn spawn(sfu: SfuHandle, key: StreamKey, url: String, on_event: OnPushEvent) -> PushHandle {
    let (tx, mut stop) = oneshot::channel();
    tokio::spawn(async move {
        let mut attempt = 0u32;
        loop {
            let began = Instant::now();
            let reason = tokio::select! {
                r = run_once(&sfu, &key, &url, &on_event) => r,
                _ = &mut stop => break,
            };
            if began.elapsed() >= RELAY_STABLE {
                attempt = 0;
            }
            attempt += 1;
            let retry_in = backoff(attempt);
            on_event(PushEvent::Failed {
                attempt,
                reason,
                retry_in,
            });
            tokio::select! {
                _ = tokio::time::sleep(retry_in) => {}
                _ = &mut stop => break,
            }
        }
        tracing::info!(appid = key.appid, stream = %key.stream_id, %url, "RTMP push stopped");
    });
    PushHandle { stop: Some(tx) }
}

/// One attempt; returns why it ended.
async fn run_once(sfu: &SfuHandle, key: &StreamKey, url: &str, on_event: &OnPushEvent) -> String {
    let name = format!("rtmp-{}-{}", key.appid, key.stream_id);
    let started = source::start(
        sfu,
        key,
        &name,
        RELAY_PROBE_WAIT,
        |p| {
            crate::require_elements(&["flvmux", "rtmp2sink"])?;
            Ok(format!(
                "{} flvmux name=mux streamable=true latency=100000000 ! rtmp2sink name=rtmp",
                branches(p, "mux", H264Format::Avc, false)?
            ))
        },
        |pipeline, _| {
            use gstreamer::prelude::*;
            let sink: gstreamer::Element = pipeline.element("rtmp")?;
            // A property, not the launch line: URLs carry characters the parser treats specially.
            sink.set_property("location", url);
            Ok(())
        },
    )
    .await;
    let mut running = match started {
        Ok(r) => r,
        Err(e @ LiveError::NotPublished(_)) => return e.to_string(),
        Err(e) => return format!("cannot start: {e}"),
    };
    on_event(PushEvent::Started);
    match running.events.recv().await {
        Some(PipelineEvent::Error(e)) => e,
        Some(PipelineEvent::Eos) | None => "the stream ended".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_backoff() {
        assert!(check_url("rtmp://127.0.0.1:1935/live/s1").is_ok());
        assert!(check_url("rtmps://cdn.example.com/app/key?x=1").is_ok());
        assert!(check_url("http://x/y").is_err());
        assert!(check_url("rtmp:///live").is_err());
        assert!(check_url("rtmp://h/a b").is_err());
        assert_eq!(backoff(1), RELAY_BACKOFF_FIRST);
        assert_eq!(backoff(2), RELAY_BACKOFF_FIRST * 2);
        assert_eq!(backoff(40), RELAY_BACKOFF_MAX);
    }
}
