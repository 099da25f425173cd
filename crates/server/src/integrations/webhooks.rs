//! Webhooks: room and user events POSTed to the business server (docs/business-server.md).
//!
//! Each app has a bounded queue and a worker of its own (made on its first event), so one
//! app's slow or dead receiver never delays or drops another app's events. Rooms hand events
//! to their app's queue and never wait: when it is full the event is dropped (counted in
//! `liveroom_webhook_dropped_total{appid}` and `liveroom_webhook_events_total{result="dropped"}`,
//! logged at the 1st, 2nd, 4th, 8th… drop of the app). A worker sends its app's events in
//! order, each a signed JSON POST (`X-Liveroom-Signature`, as `business.rs`), retried with
//! exponential backoff; an event that fails every attempt is given up (logged and counted).
//! Past [`MAX_APP_QUEUES`] apps, the further apps share one more queue (`appid="other"`).

use crate::config::apps::Apps;
use crate::config::WebhookConfig;
use crate::integrations::business::{BusinessClient, BusinessError};
use crate::metrics::{Counter, Metrics};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot};

// The event names are configuration vocabulary (`webhooks.events` is checked at load).
pub use crate::config::webhook_events::*;

/// Apps with a queue and worker of their own; the events of further apps share one queue.
pub const MAX_APP_QUEUES: usize = 1024;
/// Longest pause between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

struct Event {
    appid: u64,
    /// The signed body, made once (retries send the same bytes, with the same id).
    body: Vec<u8>,
    name: &'static str,
    id: String,
}

enum Item {
    Event(Event),
    /// Answered when every event queued before it has been handled.
    Flush(oneshot::Sender<()>),
}

/// Which queue an event goes to.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum QueueKey {
    App(u64),
    /// Apps past [`MAX_APP_QUEUES`].
    Other,
}

#[derive(Clone)]
struct AppQueue {
    tx: mpsc::Sender<Item>,
    /// `liveroom_webhook_dropped_total{appid}`.
    dropped: Counter,
}

struct Inner {
    cfg: Arc<WebhookConfig>,
    apps: Apps,
    client: BusinessClient,
    metrics: Arc<Metrics>,
    queues: Mutex<HashMap<QueueKey, AppQueue>>,
}

impl Inner {
    /// The queue of `appid`, made (with its worker) on first use.
    fn queue(&self, appid: u64) -> AppQueue {
        let mut queues = crate::sync::lock(&self.queues);
        if let Some(q) = queues.get(&QueueKey::App(appid)) {
            return q.clone();
        }
        let own = queues.keys().filter(|k| **k != QueueKey::Other).count();
        let key = if own < MAX_APP_QUEUES {
            QueueKey::App(appid)
        } else {
            QueueKey::Other
        };
        queues
            .entry(key)
            .or_insert_with(|| {
                let label = match key {
                    QueueKey::App(id) => id.to_string(),
                    QueueKey::Other => {
                        tracing::warn!(
                            appid,
                            max = MAX_APP_QUEUES,
                            "more apps than webhook queues; further apps share one"
                        );
                        "other".to_string()
                    }
                };
                let (tx, rx) = mpsc::channel(self.cfg.queue.max(1));
                tokio::spawn(worker(
                    self.cfg.clone(),
                    self.apps.clone(),
                    self.client.clone(),
                    self.metrics.clone(),
                    rx,
                ));
                AppQueue {
                    tx,
                    dropped: self.metrics.webhook_dropped_for(&label),
                }
            })
            .clone()
    }

    fn all(&self) -> Vec<AppQueue> {
        let queues = crate::sync::lock(&self.queues);
        queues.values().cloned().collect()
    }
}

/// The rooms' handle on the webhook queues (cheap to clone). Off when `webhooks.url` is empty.
#[derive(Clone)]
pub struct Webhooks {
    inner: Option<Arc<Inner>>,
    events: Arc<Vec<String>>,
    metrics: Arc<Metrics>,
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Webhooks {
    /// A handle that sends nothing.
    pub fn off(metrics: Arc<Metrics>) -> Webhooks {
        Webhooks {
            inner: None,
            events: Arc::new(Vec::new()),
            metrics,
        }
    }

    /// Webhooks on (when `webhooks.url` is set); each app's worker starts with its first event.
    pub fn start(
        cfg: &WebhookConfig,
        apps: Apps,
        client: BusinessClient,
        metrics: Arc<Metrics>,
    ) -> Webhooks {
        if cfg.url.is_empty() {
            return Self::off(metrics);
        }
        Webhooks {
            inner: Some(Arc::new(Inner {
                cfg: Arc::new(cfg.clone()),
                apps,
                client,
                metrics: metrics.clone(),
                queues: Mutex::new(HashMap::new()),
            })),
            events: Arc::new(cfg.events.clone()),
            metrics,
        }
    }

    pub fn enabled(&self, event: &str) -> bool {
        self.inner.is_some() && (self.events.is_empty() || self.events.iter().any(|e| e == event))
    }

    /// Queues `event` of room `room_id` with its own `fields` on its app's queue; never waits.
    pub fn emit(&self, appid: u64, room_id: &str, event: &'static str, fields: Value) {
        let Some(inner) = &self.inner else { return };
        if !self.enabled(event) {
            return;
        }
        let id = format!(
            "EV_{:016x}{:08x}",
            rand::random::<u64>(),
            rand::random::<u32>()
        );
        let mut body = Map::new();
        body.insert("id".into(), Value::String(id.clone()));
        body.insert("event".into(), Value::String(event.into()));
        body.insert("timestamp".into(), unix_ms().into());
        body.insert("appid".into(), appid.into());
        body.insert("room_id".into(), Value::String(room_id.into()));
        if let Value::Object(f) = fields {
            body.extend(f);
        }
        let body = serde_json::to_vec(&Value::Object(body)).unwrap_or_default();
        let item = Item::Event(Event {
            appid,
            body,
            name: event,
            id,
        });
        let q = inner.queue(appid);
        match q.tx.try_send(item) {
            Ok(()) => self.metrics.webhook_queue.inc(),
            Err(_) => {
                self.metrics.webhook_dropped.inc();
                q.dropped.inc();
                let dropped = q.dropped.get();
                if dropped.is_power_of_two() {
                    tracing::warn!(appid, room = %room_id, event, dropped, "webhook queue of the app full; event dropped");
                }
            }
        }
    }

    /// Waits (up to `within`) until every event queued so far, of every app, has been sent or
    /// given up.
    pub async fn flush(&self, within: Duration) -> bool {
        let Some(inner) = &self.inner else {
            return true;
        };
        let waits = inner.all().into_iter().map(|q| async move {
            let (done, rx) = oneshot::channel();
            q.tx.send(Item::Flush(done)).await.is_ok() && rx.await.is_ok()
        });
        let all = futures_util::future::join_all(waits);
        tokio::time::timeout(within, all)
            .await
            .is_ok_and(|r| r.into_iter().all(|ok| ok))
    }
}

async fn worker(
    cfg: Arc<WebhookConfig>,
    apps: Apps,
    client: BusinessClient,
    metrics: Arc<Metrics>,
    mut rx: mpsc::Receiver<Item>,
) {
    let timeout = Duration::from_millis(cfg.timeout_ms);
    while let Some(item) = rx.recv().await {
        let ev = match item {
            Item::Event(ev) => ev,
            Item::Flush(done) => {
                let _ = done.send(());
                continue;
            }
        };
        metrics.webhook_queue.dec();
        let Some(app) = apps.get(ev.appid) else {
            continue;
        };
        let mut backoff = Duration::from_millis(cfg.retry_base_ms);
        let mut attempt = 1;
        loop {
            let result = client
                .post_json(&cfg.url, ev.body.clone(), &app.server_secret, timeout)
                .await;
            let error = match result {
                Ok((status, _)) if (200..300).contains(&status) => {
                    metrics.webhook_delivered.inc();
                    tracing::debug!(appid = ev.appid, event = ev.name, id = %ev.id, attempt, "webhook delivered");
                    break;
                }
                Ok((status, _)) => BusinessError::Status(status),
                Err(e) => e,
            };
            if attempt >= cfg.max_attempts {
                metrics.webhook_failed.inc();
                tracing::warn!(appid = ev.appid, event = ev.name, id = %ev.id, attempts = attempt, error = %error, "webhook given up");
                break;
            }
            tracing::info!(appid = ev.appid, event = ev.name, id = %ev.id, attempt, error = %error, retry_in_ms = backoff.as_millis() as u64, "webhook failed; retrying");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
            attempt += 1;
            metrics.webhook_retries.inc();
        }
    }
}
