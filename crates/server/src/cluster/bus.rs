//! The node's one connection to Redis for commands (a reconnecting connection manager: every
//! publish of this node goes through it, in order) and the health it last saw.

use crate::cluster::keys;
use crate::cluster::wire::Wire;
use redis::aio::ConnectionManager;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Clone)]
pub struct Bus {
    conn: ConnectionManager,
    /// This node's id.
    pub me: Arc<str>,
    ok: Arc<AtomicBool>,
}

impl Bus {
    pub fn new(conn: ConnectionManager, me: &str) -> Bus {
        Bus {
            conn,
            me: me.into(),
            ok: Arc::new(AtomicBool::new(false)),
        }
    }

    /// A handle on the shared connection (cheap; commands are pipelined on it).
    pub fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// Whether the last renewal reached Redis.
    pub fn ok(&self) -> bool {
        self.ok.load(Ordering::SeqCst)
    }

    /// Records whether Redis answered; true when that changed.
    pub fn set_ok(&self, ok: bool) -> bool {
        self.ok.swap(ok, Ordering::SeqCst) != ok
    }

    /// Sends `msg` to `node`'s inbox. Pub/sub delivers at most once: a message sent while the
    /// node is not subscribed (Redis restarting) is lost, as docs/cluster.md says.
    pub async fn send(&self, node: &str, msg: &Wire) -> Result<(), redis::RedisError> {
        let payload = serde_json::to_vec(msg).unwrap_or_default();
        let mut c = self.conn.clone();
        redis::cmd("PUBLISH")
            .arg(keys::inbox(node))
            .arg(payload)
            .query_async::<i64>(&mut c)
            .await
            .map(|_| ())
    }
}
