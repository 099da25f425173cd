//! Calls out of the server to the application's systems: the business-server HTTP client,
//! webhooks, and third-party login checks.
//!
//! Imports `config`, `metrics`, `sync`, `error`; never rooms, sessions or media.

pub mod business;
pub mod third_party_auth;
pub mod webhooks;
