//! Live outputs over HTTP: the `/live/{appid}/...` routes (HTTP-FLV, HLS), their signed URLs
//! and the URLs rooms and mixes hand out.
//!
//! `engine` is the only place that names the `live` cargo feature: it gives the server
//! `liveroom_live` (GStreamer) or, without the feature, the same names failing with "not built
//! into this server". Without it the routes answer 404, mixing and the RTMP relay answer "not
//! built", and nothing else changes.

pub mod engine;
pub mod routes;
pub mod sign;
pub mod urls;
