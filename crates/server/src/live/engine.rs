//! The live engine as the server sees it: what the server uses of `liveroom_live` (GStreamer:
//! HTTP-FLV and HLS outputs, the mixer and the RTP probe of its inputs, RTMP push), under the
//! same names whether or not the engine is built in.
//!
//! This is the only file that names the `live` cargo feature. With it, everything here is
//! `liveroom_live`'s own. Without it, the same names exist so that the rest of the server
//! compiles the same code either way, but nothing can run: every start (GStreamer's
//! initialisation, an output's first viewer, a mix, a push) fails with [`NOT_BUILT`] through the
//! channel it reports failures on in the real engine. The server asks [`BUILT`] first, so those
//! failures are never reached; they only keep the types honest.

/// Whether this server was built with the live engine (cargo feature `live`, on by default).
/// Without it, live URLs answer 404, mixing and the RTMP relay answer "not built".
pub const BUILT: bool = cfg!(feature = "live");

/// Why anything of the engine fails in a server built without it.
pub const NOT_BUILT: &str = "the live engine is not built into this server (cargo feature `live`)";

#[cfg(feature = "live")]
pub use liveroom_live::{flv, hls, init, mix, rtmp_push, rtp_in, LiveError, PipelineEvent};

#[cfg(not(feature = "live"))]
pub use off::{flv, hls, init, mix, rtmp_push, rtp_in, LiveError, PipelineEvent};

/// `liveroom_live`'s names as the server uses them, for a build without it.
#[cfg(not(feature = "live"))]
mod off {
    use super::NOT_BUILT;

    /// Why a live output could not start (here: always, the engine is not built in). The
    /// variants are those the server tells apart.
    #[derive(Debug, thiserror::Error)]
    pub enum LiveError {
        /// The engine is not built into this server.
        #[error("{}", NOT_BUILT)]
        NotBuilt,
        /// Nothing arrived from the stream.
        #[error("stream {0:?} is not being published")]
        NotPublished(String),
        /// A configured limit was reached.
        #[error("limit reached: {0}")]
        Limit(String),
        /// The thing asked for does not exist.
        #[error("{0}")]
        NotFound(String),
    }

    /// What a pipeline reports.
    #[derive(Debug)]
    pub enum PipelineEvent {
        /// An element failed; the pipeline is dead.
        Error(String),
        /// All sinks got end-of-stream.
        Eos,
    }

    /// GStreamer's initialisation: there is none to run.
    pub fn init() -> Result<(), LiveError> {
        Err(LiveError::NotBuilt)
    }

    pub mod flv {
        use super::LiveError;
        use liveroom_media::{SfuHandle, StreamKey};
        use std::sync::Arc;

        /// Every stream's FLV output: none can start.
        pub struct FlvOutputs;

        impl FlvOutputs {
            pub fn new(_: SfuHandle) -> Arc<FlvOutputs> {
                Arc::new(FlvOutputs)
            }

            pub async fn subscribe(
                self: &Arc<Self>,
                _: StreamKey,
            ) -> Result<tokio::sync::mpsc::Receiver<bytes::Bytes>, LiveError> {
                Err(LiveError::NotBuilt)
            }
        }
    }

    pub mod hls {
        use super::LiveError;
        use liveroom_media::{SfuHandle, StreamKey};
        use std::sync::Arc;

        /// Every stream's HLS output: none can start.
        pub struct HlsOutputs;

        impl HlsOutputs {
            pub fn new(_: SfuHandle, _: std::path::PathBuf) -> Arc<HlsOutputs> {
                Arc::new(HlsOutputs)
            }

            pub async fn playlist(self: &Arc<Self>, _: &StreamKey) -> Result<String, LiveError> {
                Err(LiveError::NotBuilt)
            }

            pub async fn segment(&self, _: &StreamKey, _: &str) -> Result<Vec<u8>, LiveError> {
                Err(LiveError::NotBuilt)
            }
        }
    }

    pub mod rtp_in {
        use liveroom_media::{MediaCodec, SourceKinds, TapPacket};

        /// What a tap carries (never learnt here).
        #[derive(Debug)]
        pub struct Probe {
            pub video: Option<(MediaCodec, u8)>,
        }

        /// No engine to feed: nothing is probed, as if the stream sent nothing.
        pub async fn probe(
            _: &mut tokio::sync::mpsc::Receiver<TapPacket>,
            _: std::time::Duration,
            _: SourceKinds,
        ) -> Option<Probe> {
            None
        }
    }

    pub mod mix {
        use super::rtp_in::Probe;
        use super::{LiveError, PipelineEvent};
        use liveroom_media::{MediaCodec, TapPacket};
        use std::sync::Arc;

        /// The output's video codec.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum VideoCodec {
            H264,
            Vp8,
        }

        impl VideoCodec {
            pub fn media_codec(self) -> MediaCodec {
                match self {
                    VideoCodec::H264 => MediaCodec::H264,
                    VideoCodec::Vp8 => MediaCodec::Vp8,
                }
            }
        }

        /// The RTMP output's audio codec.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum FlvAudio {
            Aac,
            Mp3,
        }

        /// Where a mix goes and how it is encoded.
        #[derive(Debug, Clone, PartialEq)]
        pub struct MixOutput {
            pub video: Option<VideoCodec>,
            pub width: u32,
            pub height: u32,
            pub fps: u32,
            pub bitrate: u32,
            pub audio_bitrate: u32,
            pub audio_channels: u32,
            pub background_rgb: u32,
            pub background_image: Option<std::path::PathBuf>,
            pub rtp: bool,
            pub rtmp: Option<(String, FlvAudio)>,
        }

        /// Where an input is drawn, in output pixels.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
        pub struct Rect {
            pub left: i32,
            pub top: i32,
            pub width: i32,
            pub height: i32,
        }

        /// One RTP packet of a mix's output.
        #[derive(Debug, Clone, PartialEq)]
        pub struct OutRtp {
            pub video: bool,
            pub seq: u16,
            pub time: u32,
            pub marker: bool,
            pub payload: Vec<u8>,
        }

        /// Called with each RTP packet of a mix's output.
        pub type RtpCallback = Arc<dyn Fn(OutRtp) + Send + Sync>;

        /// Cannot be made: a running mix does not exist without the engine.
        enum Never {}

        /// A running mix (never, here: [`Mixer::start`] fails).
        pub struct Mixer(Never);

        type Started = (Mixer, tokio::sync::mpsc::UnboundedReceiver<PipelineEvent>);

        impl Mixer {
            pub fn start(_: &str, _: MixOutput, _: RtpCallback) -> Result<Started, LiveError> {
                Err(LiveError::NotBuilt)
            }

            pub fn input_ids(&self) -> Vec<String> {
                match self.0 {}
            }

            pub fn add_input(
                &mut self,
                _: &str,
                _: Probe,
                _: tokio::sync::mpsc::Receiver<TapPacket>,
                _: Rect,
                _: u32,
            ) -> Result<(), LiveError> {
                match self.0 {}
            }

            pub fn set_layout(&mut self, _: &str, _: Rect, _: u32) {
                match self.0 {}
            }

            pub fn remove_input(&mut self, _: &str) {
                match self.0 {}
            }

            pub fn force_keyframe(&self) {
                match self.0 {}
            }
        }

        /// Dropping a mix stops it (as the real one's pipeline does).
        impl Drop for Mixer {
            fn drop(&mut self) {
                match self.0 {}
            }
        }
    }

    pub mod rtmp_push {
        use super::super::NOT_BUILT;
        use liveroom_media::{SfuHandle, StreamKey};
        use std::sync::Arc;
        use std::time::Duration;

        /// What a push reports to its owner.
        #[derive(Debug, Clone, PartialEq)]
        pub enum PushEvent {
            Started,
            Failed {
                attempt: u32,
                reason: String,
                retry_in: Duration,
            },
        }

        /// A push that never runs.
        pub struct PushHandle;

        /// Called with each [`PushEvent`] of a push.
        pub type OnPushEvent = Arc<dyn Fn(PushEvent) + Send + Sync>;

        /// No URL can be pushed to.
        pub fn check_url(_: &str) -> Result<(), String> {
            Err(NOT_BUILT.into())
        }

        /// The push fails at once, for good (reported as the real engine reports a failure).
        pub fn spawn(_: SfuHandle, _: StreamKey, _: String, on_event: OnPushEvent) -> PushHandle {
            on_event(PushEvent::Failed {
                attempt: 1,
                reason: NOT_BUILT.into(),
                retry_in: Duration::MAX,
            });
            PushHandle
        }
    }
}
