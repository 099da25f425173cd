//! Wire types of the ZegoClient 1.x room protocol (`zegoclient-protocol-notes.md` §1–§6).
//!
//! Field names are the wire's, quirks included (`hearbeat_interval`, capitalised keys in
//! `push_userlist_update`). Every body type derives `TS`, so the SDK's TypeScript types are
//! generated from these definitions (`scripts/gen-wire-types.sh`) and cannot drift. The
//! media-signalling protocol (`/media`, notes §7) is typed the same way in [`media`].

#![warn(missing_docs)]

pub mod body;
pub mod envelope;
pub mod errors;
pub mod limits;
pub mod media;

pub use envelope::{encode_push, encode_reply, parse_frame, Frame, FrameError, ReqHeader};
pub use errors::ErrCode;
