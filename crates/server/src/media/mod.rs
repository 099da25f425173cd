//! The media side of the server: the `/media` WebSocket (media signalling between the SDK and the
//! SFU), the TURN service handed to media sessions, and the SFU's metrics.
//!
//! Imports rooms (logins and stream claims), `signalling::token` (stream tokens), `live`,
//! `config`, `edge`; only `routes` and `ops` import it.

pub mod metrics;
pub mod signalling;
pub mod turn;
