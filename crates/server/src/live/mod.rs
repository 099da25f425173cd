//! Live outputs over HTTP: the `/live/{appid}/...` routes (HTTP-FLV, HLS), their signed URLs
//! and the URLs rooms and mixes hand out.
//!
//! The only place that names the `live` cargo feature for the server: without it the routes
//! answer 404 and nothing else changes.

pub mod routes;
pub mod sign;
pub mod urls;
