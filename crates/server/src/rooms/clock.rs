//! The rooms' clock: monotonic milliseconds for the room cores' timers and wall-clock
//! milliseconds for what goes on the wire.

use liveroom_room::Now;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// One per server, so every room's monotonic times share a base.
#[derive(Clone)]
pub struct Clock {
    base: Instant,
}

impl Clock {
    pub fn now(&self) -> Now {
        let unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        Now {
            mono_ms: self.base.elapsed().as_millis() as u64,
            unix_ms,
        }
    }

    /// The tokio instant of a monotonic ms value from `now()`.
    pub fn instant(&self, mono_ms: u64) -> tokio::time::Instant {
        tokio::time::Instant::from_std(self.base + std::time::Duration::from_millis(mono_ms))
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock {
            base: Instant::now(),
        }
    }
}
