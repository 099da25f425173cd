//! One GStreamer pipeline with a watcher thread for its bus: errors and end-of-stream come
//! out as [`PipelineEvent`]s; dropping the [`Pipeline`] stops it and ends the thread.

use crate::{init, LiveError};
use gstreamer as gst;
use gstreamer::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often the bus thread looks whether its pipeline was dropped.
const BUS_POLL: Duration = Duration::from_millis(100);

/// What a pipeline's bus reports.
#[derive(Debug, Clone, PartialEq)]
pub enum PipelineEvent {
    /// An element failed; the pipeline is dead and should be dropped.
    Error(String),
    /// All sinks got end-of-stream.
    Eos,
}

/// A GStreamer pipeline with a thread watching its bus; dropping it stops the pipeline and the thread.
pub struct Pipeline {
    name: String,
    pipeline: gst::Pipeline,
    stop: Arc<AtomicBool>,
}

impl Pipeline {
    /// Builds a pipeline from a `gst-launch` description (elements referenced later are named
    /// with `name=`), returning it (not yet playing) and its events.
    pub fn launch(
        name: &str,
        description: &str,
    ) -> Result<(Pipeline, mpsc::UnboundedReceiver<PipelineEvent>), LiveError> {
        init()?;
        let err = |reason: String| LiveError::Pipeline {
            name: name.to_string(),
            reason,
        };
        let element = gst::parse::launch(description).map_err(|e| err(e.to_string()))?;
        let pipeline = element
            .downcast::<gst::Pipeline>()
            .map_err(|_| err("not a pipeline".into()))?;
        let bus = pipeline.bus().ok_or_else(|| err("no bus".into()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::unbounded_channel();
        let thread_stop = stop.clone();
        let thread_name = name.to_string();
        std::thread::Builder::new()
            .name(format!("gst-bus-{name}"))
            .spawn(move || watch_bus(thread_name, bus, thread_stop, tx))
            .map_err(|e| err(e.to_string()))?;
        tracing::debug!(pipeline = name, description, "pipeline built");
        Ok((
            Pipeline {
                name: name.to_string(),
                pipeline,
                stop,
            },
            rx,
        ))
    }

    /// The name given at launch (for logs).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The underlying GStreamer pipeline.
    pub fn gst(&self) -> &gst::Pipeline {
        &self.pipeline
    }

    /// An element by its `name=`, as the type it is expected to be.
    pub fn element<T: IsA<gst::Element>>(&self, name: &str) -> Result<T, LiveError> {
        self.pipeline
            .by_name(name)
            .and_then(|e| e.downcast::<T>().ok())
            .ok_or_else(|| LiveError::Pipeline {
                name: self.name.clone(),
                reason: format!("no element {name} of the expected type"),
            })
    }

    /// Sets the pipeline playing.
    pub fn play(&self) -> Result<(), LiveError> {
        self.pipeline
            .set_state(gst::State::Playing)
            .map(|_| ())
            .map_err(|e| LiveError::Pipeline {
                name: self.name.clone(),
                reason: format!("cannot start: {e}"),
            })
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.pipeline.set_state(gst::State::Null);
        tracing::debug!(pipeline = %self.name, "pipeline stopped");
    }
}

fn watch_bus(
    name: String,
    bus: gst::Bus,
    stop: Arc<AtomicBool>,
    tx: mpsc::UnboundedSender<PipelineEvent>,
) {
    let timeout = gst::ClockTime::from_mseconds(BUS_POLL.as_millis() as u64);
    while !stop.load(Ordering::Relaxed) {
        let Some(msg) = bus.timed_pop(timeout) else {
            continue;
        };
        match msg.view() {
            gst::MessageView::Error(e) => {
                let source = e
                    .src()
                    .map(|s| s.path_string().to_string())
                    .unwrap_or_default();
                let reason = format!("{source}: {} ({:?})", e.error(), e.debug());
                tracing::warn!(pipeline = %name, %reason, "pipeline failed");
                let _ = tx.send(PipelineEvent::Error(reason));
                return;
            }
            gst::MessageView::Eos(_) => {
                let _ = tx.send(PipelineEvent::Eos);
                return;
            }
            gst::MessageView::Warning(w) => {
                tracing::debug!(pipeline = %name, warning = %w.error(), "pipeline warning");
            }
            _ => {}
        }
    }
}
