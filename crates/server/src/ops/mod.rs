//! Operating the server: the admin API, the SDK log collector and the log line format.
//!
//! May import every folder (the admin API reaches rooms, streams and tokens); only `routes` and
//! `lib.rs` import it.

pub mod admin;
pub mod log_collector;
pub mod log_format;
