//! Every integration test of the server in one binary: one link instead of one per file keeps
//! the build small (a test binary carries the whole server). Run one file's tests with
//! `cargo test -p liveroom-server --test integration sfu::`.

mod common;

mod admin_api;
mod bad_input;
mod big_room;
mod biz_channel;
mod business_auth;
mod chat;
mod cluster;
mod cluster_media;
mod connection_caps;
mod custom_commands;
mod drain;
mod fanout;
#[cfg(feature = "live")]
mod flv_latency;
mod forgery;
mod heartbeat;
mod http_endpoints;
mod idle_memory;
mod join_live;
mod kickout;
mod layers;
#[cfg(feature = "live")]
mod live_auth;
#[cfg(feature = "live")]
mod live_outputs;
mod login;
mod login_limits;
mod metrics;
#[cfg(feature = "live")]
mod mix;
mod reconnect;
mod relay;
mod reliable;
mod sfu;
mod slow_consumer;
mod stream_ownership;
mod streams;
mod tls;
mod turn;
mod users;
mod webhooks;
