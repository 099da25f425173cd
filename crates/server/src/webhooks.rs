//! Webhooks: room and user events POSTed to the business server (docs/business-server.md).
//!
//! Rooms hand events to a bounded queue and never wait: when the queue is full the event is
//! dropped (a log line and `liveroom_webhook_events_total{result="dropped"}`). One worker task
//! sends them in order, each a signed JSON POST (`X-Liveroom-Signature`, as `business.rs`),
//! retried with exponential backoff; an event that fails every attempt is given up (logged
//! and counted).

use crate::apps::Apps;
use crate::business::BusinessClient;
use crate::config::WebhookConfig;
use crate::metrics::Metrics;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot};

/// Every event name; `webhooks.events` picks among them.
pub const EVENTS: &[&str] = &[
    ROOM_CREATED,
    ROOM_CLOSED,
    USER_JOINED,
    USER_LEFT,
    STREAM_ADDED,
    STREAM_REMOVED,
];
pub const ROOM_CREATED: &str = "room_created";
pub const ROOM_CLOSED: &str = "room_closed";
pub const USER_JOINED: &str = "user_joined";
pub const USER_LEFT: &str = "user_left";
pub const STREAM_ADDED: &str = "stream_added";
pub const STREAM_REMOVED: &str = "stream_removed";

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

/// The rooms' handle on the webhook queue (cheap to clone). Off when `webhooks.url` is empty.
#[derive(Clone)]
pub struct Webhooks {
    tx: Option<mpsc::Sender<Item>>,
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
            tx: None,
            events: Arc::new(Vec::new()),
            metrics,
        }
    }

    /// Starts the worker (when `webhooks.url` is set).
    pub fn start(
        cfg: &WebhookConfig,
        apps: Apps,
        client: BusinessClient,
        metrics: Arc<Metrics>,
    ) -> Webhooks {
        if cfg.url.is_empty() {
            return Self::off(metrics);
        }
        let (tx, rx) = mpsc::channel(cfg.queue.max(1));
        tokio::spawn(worker(cfg.clone(), apps, client, metrics.clone(), rx));
        Webhooks {
            tx: Some(tx),
            events: Arc::new(cfg.events.clone()),
            metrics,
        }
    }

    pub fn enabled(&self, event: &str) -> bool {
        self.tx.is_some() && (self.events.is_empty() || self.events.iter().any(|e| e == event))
    }

    /// Queues `event` of room `room_id` with its own `fields`; never waits.
    pub fn emit(&self, appid: u64, room_id: &str, event: &'static str, fields: Value) {
        let Some(tx) = &self.tx else { return };
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
        match tx.try_send(item) {
            Ok(()) => self.metrics.webhook_queue.inc(),
            Err(_) => {
                self.metrics.webhook_dropped.inc();
                tracing::warn!(appid, room = %room_id, event, "webhook queue full; event dropped");
            }
        }
    }

    /// Waits (up to `within`) until every event queued so far has been sent or given up.
    pub async fn flush(&self, within: Duration) -> bool {
        let Some(tx) = &self.tx else { return true };
        let (done, rx) = oneshot::channel();
        let wait = async { tx.send(Item::Flush(done)).await.is_ok() && rx.await.is_ok() };
        tokio::time::timeout(within, wait).await.unwrap_or(false)
    }
}

async fn worker(
    cfg: WebhookConfig,
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
                    tracing::debug!(event = ev.name, id = %ev.id, attempt, "webhook delivered");
                    break;
                }
                Ok((status, _)) => format!("business server answered HTTP {status}"),
                Err(e) => e,
            };
            if attempt >= cfg.max_attempts {
                metrics.webhook_failed.inc();
                tracing::warn!(event = ev.name, id = %ev.id, attempts = attempt, error = %error, "webhook given up");
                break;
            }
            tracing::info!(event = ev.name, id = %ev.id, attempt, error = %error, retry_in_ms = backoff.as_millis() as u64, "webhook failed; retrying");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
            attempt += 1;
            metrics.webhook_retries.inc();
        }
    }
}
