//! Live outputs on GStreamer: HTTP-FLV and HLS of any stream, RTMP relay to external URLs,
//! and server-side mixing. Every pipeline runs on GStreamer's own streaming threads; the
//! rest of the server talks to it through channels (RTP in from SFU taps, bytes or RTP out,
//! events when a pipeline dies), so a pipeline that fails is reported and torn down and never
//! takes the server with it.

#![warn(missing_docs)]

pub mod encode;
pub mod flv;
pub mod hls;
pub mod mix;
pub mod pipeline;
mod registry;
pub mod rtmp_push;
pub mod rtp_in;
pub mod source;
pub mod testsrc;

pub use pipeline::{Pipeline, PipelineEvent};

/// Why a live output could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// GStreamer could not be initialised, or a part the output needs is not running.
    #[error("GStreamer is not usable: {0}")]
    Init(String),
    /// A pipeline failed to build, start or run.
    #[error("pipeline {name}: {reason}")]
    Pipeline {
        /// The pipeline's name.
        name: String,
        /// Why it failed.
        reason: String,
    },
    /// A GStreamer element the output needs is not installed.
    #[error("GStreamer element missing: {0} (install the GStreamer plugin that has it)")]
    MissingElement(String),
    /// Nothing arrived from the stream: it is not being published.
    #[error("stream {0:?} is not being published")]
    NotPublished(String),
    /// A configured limit was reached.
    #[error("limit reached: {0}")]
    Limit(String),
    /// The thing asked for does not exist (e.g. an HLS segment).
    #[error("{0}")]
    NotFound(String),
}

/// An output whose stream lost its source (publisher gone, not replaced) this long ends,
/// closing its viewers; the grace covers a publisher replacing its media session.
pub const UNPUBLISHED_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// Tracks how long a stream has been without a source.
#[derive(Debug, Default)]
pub struct SourceWatch {
    since: Option<std::time::Instant>,
}

impl SourceWatch {
    /// Notes whether the stream is published now; true once it has not been for the grace.
    pub fn gone(&mut self, published: bool) -> bool {
        if published {
            self.since = None;
            return false;
        }
        self.since
            .get_or_insert_with(std::time::Instant::now)
            .elapsed()
            >= UNPUBLISHED_GRACE
    }
}

/// Initializes GStreamer once; later calls return the first result.
pub fn init() -> Result<(), LiveError> {
    static INIT: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    INIT.get_or_init(|| gstreamer::init().map_err(|e| e.to_string()))
        .clone()
        .map_err(LiveError::Init)
}

/// Fails naming the first element of `names` that this GStreamer installation lacks.
pub fn require_elements(names: &[&str]) -> Result<(), LiveError> {
    init()?;
    for n in names {
        if gstreamer::ElementFactory::find(n).is_none() {
            return Err(LiveError::MissingElement((*n).to_string()));
        }
    }
    Ok(())
}
