//! A connection's bounded outbound queue and the room-facing handle on it.
//!
//! Rooms only ever `try_send` here, so one slow client cannot slow its room: a lossy push
//! (big-room batch) to a full queue is dropped, anything else disconnects the client (its
//! SDK logs in again and resyncs) rather than losing a message silently.

use crate::edge::websocket::close_code;
use bytes::Bytes;
use liveroom_proto::envelope::SessionIds;
use liveroom_room::{Outbox, Push};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, Notify};

/// What the writer task sends; headers are written there, per recipient.
pub enum Outbound {
    Reply {
        cmd: String,
        seq: u64,
        body: Bytes,
        ids: Arc<SessionIds>,
    },
    Push {
        push: Arc<Push>,
        ids: Arc<SessionIds>,
    },
    /// `push_kickout`, then close.
    Kick { reason: u32, ids: Arc<SessionIds> },
}

/// The share of the queue (1/N) that lossy pushes leave free.
pub const LOSSY_RESERVE_DIVISOR: usize = 4;

/// The writer's end of a connection's queue.
///
/// The queue holds boxes: a tokio channel allocates its first block of 32 slots up front, and
/// 32 `Outbound`s (72 bytes each) would be 2.3 KiB of every idle connection; 32 boxes are 256
/// bytes. The box costs one small allocation per frame, next to the frame text the writer
/// formats for each recipient anyway.
pub struct OutboundRx(mpsc::Receiver<Box<Outbound>>);

impl OutboundRx {
    pub async fn recv(&mut self) -> Option<Outbound> {
        self.0.recv().await.map(|b| *b)
    }
}

/// One WebSocket connection's sending side.
pub struct Conn {
    tx: mpsc::Sender<Box<Outbound>>,
    kill: Notify,
    dead: AtomicBool,
    close: Mutex<Option<(u16, String)>>,
    pub dropped_lossy: AtomicU64,
    metrics: Option<Arc<crate::metrics::Metrics>>,
}

impl Conn {
    pub fn new(queue: usize) -> (Arc<Conn>, OutboundRx) {
        Self::with_metrics(queue, None)
    }

    /// A connection whose drops count in `liveroom_outbound_dropped_total`.
    pub fn with_metrics(
        queue: usize,
        metrics: Option<Arc<crate::metrics::Metrics>>,
    ) -> (Arc<Conn>, OutboundRx) {
        let (tx, rx) = mpsc::channel(queue);
        let conn = Arc::new(Conn {
            tx,
            kill: Notify::new(),
            dead: AtomicBool::new(false),
            close: Mutex::new(None),
            dropped_lossy: AtomicU64::new(0),
            metrics,
        });
        (conn, OutboundRx(rx))
    }

    /// Closes the connection as soon as the writer sees it (queued frames are not sent).
    pub fn kill(&self, code: u16, reason: &str) {
        if !self.dead.swap(true, Ordering::SeqCst) {
            if let Ok(mut c) = self.close.lock() {
                *c = Some((code, reason.to_string()));
            }
            self.kill.notify_one();
        }
    }

    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::SeqCst)
    }

    pub async fn killed(&self) -> (u16, String) {
        self.kill.notified().await;
        self.close
            .lock()
            .ok()
            .and_then(|c| c.clone())
            .unwrap_or((close_code::NORMAL, String::new()))
    }

    /// Queues a frame that must arrive; a full queue disconnects the client.
    pub fn send(&self, item: Outbound) {
        if self.is_dead() {
            return;
        }
        if self.tx.try_send(Box::new(item)).is_err() {
            if let Some(m) = &self.metrics {
                m.outbound_disconnects.inc();
            }
            tracing::warn!("client cannot keep up with its queue; disconnecting it");
            self.kill(
                close_code::TRY_AGAIN,
                "client too slow: outbound queue full",
            );
        }
    }

    /// The writer gave up on a client that stopped reading: one frame could not be written
    /// within `timeout` (`session.write_timeout_ms`). Counted with the full-queue disconnects.
    pub fn write_timed_out(&self, timeout: Duration) {
        if self.is_dead() {
            return;
        }
        if let Some(m) = &self.metrics {
            m.outbound_disconnects.inc();
        }
        tracing::warn!(
            timeout_ms = timeout.as_millis() as u64,
            "client stopped reading: a frame waited longer than session.write_timeout_ms; disconnecting it"
        );
        self.kill(close_code::TRY_AGAIN, "client too slow: not reading");
    }

    fn send_lossy(&self, item: Outbound) {
        if self.is_dead() {
            return;
        }
        // Lossy pushes never take the last quarter of the queue: it stays free for replies
        // and pushes that must arrive, so big-room traffic alone never disconnects a client.
        let reserve = self.tx.max_capacity() / LOSSY_RESERVE_DIVISOR;
        if self.tx.capacity() <= reserve || self.tx.try_send(Box::new(item)).is_err() {
            self.dropped_lossy.fetch_add(1, Ordering::Relaxed);
            if let Some(m) = &self.metrics {
                m.outbound_dropped_lossy.inc();
            }
        }
    }
}

/// The room's handle on one login of a connection: the connection plus the ids its headers
/// carry.
#[derive(Clone)]
pub struct SessionOutbox {
    pub conn: Arc<Conn>,
    pub ids: Arc<SessionIds>,
}

impl SessionOutbox {
    pub fn reply(&self, cmd: &str, seq: u64, body: Vec<u8>) {
        self.conn.send(Outbound::Reply {
            cmd: cmd.to_string(),
            seq,
            body: Bytes::from(body),
            ids: self.ids.clone(),
        });
    }
}

impl Outbox for SessionOutbox {
    fn push(&self, push: &Arc<Push>) {
        self.conn.send(Outbound::Push {
            push: push.clone(),
            ids: self.ids.clone(),
        });
    }

    fn push_lossy(&self, push: &Arc<Push>) {
        self.conn.send_lossy(Outbound::Push {
            push: push.clone(),
            ids: self.ids.clone(),
        });
    }

    fn kick(&self, reason: u32) {
        self.conn.send(Outbound::Kick {
            reason,
            ids: self.ids.clone(),
        });
    }

    fn close(&self) {
        self.conn.kill(close_code::POLICY, "session timed out");
    }
}
