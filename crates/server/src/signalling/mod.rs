//! Room signalling: the `/ws` WebSocket session of one client (login, requests, heartbeats), its
//! rate limits and the tokens it checks.
//!
//! The top of the request path: imports rooms, media, biz, live and integrations; only `routes`
//! and `ops` import it.

pub mod rate_limits;
pub mod session;
pub mod token;
