//! The on-demand output registry FLV and HLS share: at most one running output per stream,
//! started by the first request (under a limit on streams), joined by later ones (including
//! those that arrive while it is still starting), and stopped, and unregistered, when its
//! kind's check says it is unused, when its stream is no longer published or when its
//! pipeline ends.

use crate::source::Running;
use crate::{LiveError, PipelineEvent, SourceWatch};
use liveroom_media::{SfuHandle, StreamKey};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Locks `m`, taking the data of a poisoned lock as it is (one panicking holder must not take
/// every later output down with it).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One kind of on-demand output (FLV, HLS): what the registry needs to know of it.
pub(crate) trait OnDemand: Send + Sync + Sized + 'static {
    /// Names the kind in logs and limit errors (`"FLV"`).
    const KIND: &'static str;
    /// Streams with an output of this kind at once.
    const MAX_STREAMS: usize;
    /// How often a running output is checked (source gone, [`OnDemand::check`]).
    const CHECK: Duration;
    /// How often to ask the publisher for a key frame while running (`None`: never).
    const KEYFRAMES: Option<Duration> = None;

    /// Run under the registry's lock every [`OnDemand::CHECK`]: `Some(reason)` stops the
    /// output, unregistering it in the same critical section (so nobody joins it after).
    fn check(&self, sfu: &SfuHandle, key: &StreamKey) -> Option<String>;

    /// The pipeline runs (called before supervision starts).
    fn started(&self, key: &StreamKey);

    /// The pipeline failed to start; the output is already unregistered.
    fn failed(&self, error: &LiveError) -> impl Future<Output = ()> + Send;

    /// The output stopped and is unregistered; `running` is its pipeline, to drop.
    fn stopped(&self, running: Running) -> impl Future<Output = ()> + Send;
}

/// What [`Registry::join_or_insert`] found.
pub(crate) enum Joined<O> {
    /// The stream's output was there (running or starting) and was joined.
    Existing(Arc<O>),
    /// A new output was registered: the caller starts it with [`Registry::launch`].
    New(Arc<O>),
}

/// Every stream's output of one kind.
pub(crate) struct Registry<O> {
    sfu: SfuHandle,
    outputs: Mutex<HashMap<StreamKey, Arc<O>>>,
}

impl<O: OnDemand> Registry<O> {
    /// No outputs yet; streams are watched through `sfu`.
    pub(crate) fn new(sfu: SfuHandle) -> Arc<Registry<O>> {
        Arc::new(Registry {
            sfu,
            outputs: Mutex::new(HashMap::new()),
        })
    }

    /// Streams with an output running (or starting).
    pub(crate) fn running(&self) -> usize {
        lock(&self.outputs).len()
    }

    /// The output of `key`, if one is running (or starting).
    pub(crate) fn get(&self, key: &StreamKey) -> Option<Arc<O>> {
        lock(&self.outputs).get(key).cloned()
    }

    /// `NotPublished` at once for a stream without a source (its output, if any, is winding
    /// down).
    pub(crate) async fn require_published(&self, key: &StreamKey) -> Result<(), LiveError> {
        if self.sfu.is_published(key.clone()).await {
            Ok(())
        } else {
            Err(LiveError::NotPublished(key.stream_id.clone()))
        }
    }

    /// Under the registry's lock: `join` the output of `key` if there is one (its error
    /// refuses the joiner), else register the output `make` builds, unless
    /// [`OnDemand::MAX_STREAMS`] are already there.
    pub(crate) fn join_or_insert(
        &self,
        key: &StreamKey,
        join: impl FnOnce(&O) -> Result<(), LiveError>,
        make: impl FnOnce() -> O,
    ) -> Result<Joined<O>, LiveError> {
        let mut outputs = lock(&self.outputs);
        if let Some(o) = outputs.get(key) {
            join(o)?;
            return Ok(Joined::Existing(o.clone()));
        }
        if outputs.len() >= O::MAX_STREAMS {
            return Err(LiveError::Limit(format!(
                "at most {} streams with {} output",
                O::MAX_STREAMS,
                O::KIND
            )));
        }
        let o = Arc::new(make());
        outputs.insert(key.clone(), o.clone());
        Ok(Joined::New(o))
    }

    /// Starts `output`, just registered by [`Registry::join_or_insert`], with `start`: once
    /// it runs, a task supervises it until it stops; if it fails, it is unregistered and the
    /// error returned.
    pub(crate) async fn launch(
        self: &Arc<Self>,
        key: &StreamKey,
        output: Arc<O>,
        start: impl Future<Output = Result<Running, LiveError>>,
    ) -> Result<(), LiveError> {
        match start.await {
            Ok(running) => {
                output.started(key);
                let me = self.clone();
                let key = key.clone();
                tokio::spawn(async move { me.supervise(key, output, running).await });
                Ok(())
            }
            Err(e) => {
                self.remove(key, &output);
                output.failed(&e).await;
                Err(e)
            }
        }
    }

    async fn supervise(self: Arc<Self>, key: StreamKey, output: Arc<O>, mut running: Running) {
        let mut keyframes = O::KEYFRAMES.map(tokio::time::interval);
        let mut source = SourceWatch::default();
        let why = loop {
            tokio::select! {
                _ = tick(&mut keyframes) => self.sfu.request_keyframe(key.clone()).await,
                ev = running.events.recv() => {
                    break match ev {
                        Some(PipelineEvent::Error(e)) => format!("pipeline failed: {e}"),
                        Some(PipelineEvent::Eos) | None => "pipeline ended".to_string(),
                    };
                }
                _ = tokio::time::sleep(O::CHECK) => {
                    if source.gone(self.sfu.is_published(key.clone()).await) {
                        break "the stream is no longer published".to_string();
                    }
                    let mut outputs = lock(&self.outputs);
                    if let Some(why) = output.check(&self.sfu, &key) {
                        remove_from(&mut outputs, &key, &output);
                        break why;
                    }
                }
            }
        };
        self.remove(&key, &output);
        output.stopped(running).await;
        tracing::info!(appid = key.appid, stream = %key.stream_id, reason = %why, "{} output stopped", O::KIND);
    }

    fn remove(&self, key: &StreamKey, output: &Arc<O>) {
        remove_from(&mut lock(&self.outputs), key, output);
    }
}

/// Completes at each tick of `interval`; never without one.
async fn tick(interval: &mut Option<tokio::time::Interval>) {
    match interval {
        Some(i) => {
            i.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Unregisters `output` if it is still the one registered for `key` (a newer output of the
/// same stream stays).
fn remove_from<O>(outputs: &mut HashMap<StreamKey, Arc<O>>, key: &StreamKey, output: &Arc<O>) {
    if outputs.get(key).is_some_and(|o| Arc::ptr_eq(o, output)) {
        outputs.remove(key);
    }
}
