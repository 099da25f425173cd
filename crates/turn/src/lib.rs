//! The embedded TURN relay of Liveroom: an RFC 8656 subset (Allocate with UDP relays, Refresh,
//! CreatePermission, ChannelBind, Send/Data indications, ChannelData) plus plain STUN Binding,
//! over UDP and TCP, with coturn-style REST credentials so an external coturn can take its place.
//!
//! * [`stun`]: message parsing and encoding, MESSAGE-INTEGRITY, FINGERPRINT, ChannelData.
//! * [`auth`]: REST credentials ([`rest_credentials`]), long-term keys, nonces.
//! * [`policy`]: which peer addresses may be relayed to.
//! * [`core`]: the allocation state machine, sans I/O, time passed in.
//! * [`server`]: the tokio shell ([`TurnServer`]).
//! * [`client`]: a small client codec for tests and native test clients.

#![warn(missing_docs)]

pub mod auth;
pub mod client;
pub mod core;
pub mod policy;
pub mod server;
pub mod stun;

pub use auth::rest_credentials;
pub use policy::PeerPolicy;
pub use server::{TurnHandle, TurnServer, TurnServerConfig};
