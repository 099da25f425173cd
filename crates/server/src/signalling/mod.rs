//! Room signalling: the `/ws` WebSocket session of one client (login, requests, heartbeats), its
//! rate limits and the tokens it checks.
//!
//! Imports rooms, biz, live and integrations; `media` (stream tokens), `ops` and `routes`
//! import it.

pub mod address_caps;
pub mod login;
pub mod rate_limits;
pub mod session;
pub mod token;
