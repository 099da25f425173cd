//! How the room hands frames to sessions. The room never waits on a session: an `Outbox`
//! queues without blocking and deals with a session that cannot keep up by itself.

use bytes::Bytes;
use std::sync::Arc;

/// A push whose body is serialized once and shared by every recipient; each session writes
/// only its own small header around it.
#[derive(Debug)]
pub struct Push {
    /// The push's `cmd`, e.g. `push_im_chat`.
    pub cmd: &'static str,
    /// `from_user_id` of the push header: the user id of the member who caused it (empty for the server).
    pub from_user_id: String,
    /// The serialized body.
    pub body: Bytes,
}

impl Push {
    /// Serializes `body` once into a shareable push.
    pub fn new<T: serde::Serialize>(
        cmd: &'static str,
        from_user_id: String,
        body: &T,
    ) -> Arc<Push> {
        Arc::new(Push {
            cmd,
            from_user_id,
            // Serializing our own plain structs cannot fail.
            body: Bytes::from(serde_json::to_vec(body).unwrap_or_default()),
        })
    }
}

/// A session as seen by the room.
pub trait Outbox {
    /// A push that must arrive (chat, streams, users, reliable messages, signals). If the
    /// session's queue is full the session is disconnected instead of losing it.
    fn push(&self, push: &Arc<Push>);
    /// A push that may be dropped when the session's queue is full (big-room batches).
    fn push_lossy(&self, push: &Arc<Push>);
    /// Sends `push_kickout {reason}` and closes the session.
    fn kick(&self, reason: u32);
    /// Closes the session without a kick-out (its client will log in again).
    fn close(&self);
}
