//! The one way the server takes its small std mutexes.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, taking the guard even if a thread panicked while holding it: the server's
/// locks guard small maps held for a lookup or an insert, and a panic there would be a bug
/// to log, not a reason to stop serving everyone else.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
