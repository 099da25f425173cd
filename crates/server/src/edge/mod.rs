//! The edge: what every listener shares before a request reaches its handler — TLS, the
//! WebSocket transport's limits and close codes, the embedded static files.
//!
//! Imports nothing of the crate but `sync` and `error`: every other folder may use it.

pub mod tls;
pub mod websocket;
