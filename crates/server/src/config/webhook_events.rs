//! The webhook event names: what `webhooks.events` may list (checked by `Config::load`) and
//! what `integrations::webhooks` sends.

/// Every event name; `webhooks.events` picks among them.
pub const EVENTS: &[&str] = &[
    ROOM_CREATED,
    ROOM_CLOSED,
    USER_JOINED,
    USER_LEFT,
    STREAM_ADDED,
    STREAM_REMOVED,
];
pub const ROOM_CREATED: &str = "room_created";
pub const ROOM_CLOSED: &str = "room_closed";
pub const USER_JOINED: &str = "user_joined";
pub const USER_LEFT: &str = "user_left";
pub const STREAM_ADDED: &str = "stream_added";
pub const STREAM_REMOVED: &str = "stream_removed";
