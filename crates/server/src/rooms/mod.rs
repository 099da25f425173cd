//! Rooms: the registry of live rooms and of who is logged in where (and who owns which stream),
//! one actor task per room around `liveroom_room`'s sans-IO core, the commands they take, the
//! clock, and the per-connection queue the rooms deliver into.
//!
//! Imports `config`, `metrics`, `integrations` (webhooks), `edge`; never signalling or media:
//! sessions and the media side call into rooms, not the other way round.

pub mod actor;
pub mod clock;
pub mod commands;
pub mod member_queue;
pub mod registry;
