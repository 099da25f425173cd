//! What a room actor takes: the commands sessions, the media side, the mixer and the admin API
//! send it, and the keys rooms and logins are known by.

use crate::rooms::member_queue::SessionOutbox;
use liveroom_proto::body::{LoginRsp, StreamInfo};
use liveroom_proto::ErrCode;
use liveroom_room::{LoginInput, MemberSummary, Refusal, Request};
use tokio::sync::oneshot;

/// Commands a room actor takes.
pub enum RoomCmd {
    Login {
        input: LoginInput<SessionOutbox>,
        reply: oneshot::Sender<Result<LoginRsp, Refusal>>,
    },
    /// The room answers through `out`.
    Request {
        key: u64,
        seq: u64,
        req: Request,
        out: SessionOutbox,
    },
    /// A request made inside the server on behalf of member `key` (the mixer registering its
    /// output stream as its starter's), answered on the oneshot rather than to a connection.
    RequestAs {
        key: u64,
        req: Request,
        reply: oneshot::Sender<liveroom_room::Reply>,
    },
    Disconnected {
        key: u64,
    },
    /// The member leaves for good without a reply (its connection logged in elsewhere).
    Leave {
        key: u64,
    },
    Kick {
        id_name: String,
        key: Option<u64>,
        reason: u32,
    },
    /// Admin API: the commands below answer through their oneshot (a room that retired
    /// meanwhile drops it, which reads as "no such room").
    Admin(AdminCmd),
}

/// What the admin API asks of a room.
pub enum AdminCmd {
    Info(oneshot::Sender<RoomInfo>),
    Users(oneshot::Sender<Vec<MemberSummary>>),
    Streams(oneshot::Sender<(u32, Vec<StreamInfo>)>),
    /// Kicks `id_name` out with `reason`; answers whether it was in the room.
    Kick {
        id_name: String,
        reason: u32,
        reply: oneshot::Sender<bool>,
    },
    /// Kicks everybody out with `reason` (the room then retires); answers how many.
    Close {
        reason: u32,
        reply: oneshot::Sender<usize>,
    },
    /// `push_im_chat` from the server to every member; answers the msg_id.
    Chat {
        category: u32,
        msg_type: u32,
        content: String,
        reply: oneshot::Sender<u64>,
    },
    /// A reliable message from the server; answers its trans_seq.
    Trans {
        trans_type: String,
        data: String,
        id_name: String,
        reply: oneshot::Sender<Result<u32, Refusal>>,
    },
    /// Hands the room's reliable messages and message ids over to the node that takes the
    /// room next (this node is draining); later reliable messages are refused.
    HandOver(oneshot::Sender<liveroom_room::Handover>),
    /// Takes what the room's previous node handed over (sent before the first login).
    TakeOver(liveroom_room::Handover),
    /// Sets a stream's `urls_rtmp` (its active RTMP relays); answers whether it exists.
    RtmpUrls {
        stream_id: String,
        urls: Vec<String>,
        reply: oneshot::Sender<bool>,
    },
}

/// A room as the admin API lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RoomInfo {
    pub appid: u64,
    pub room_id: String,
    pub users: usize,
    pub streams: usize,
    /// Unix ms.
    pub created_at: u64,
    pub user_state_updates: bool,
}

/// Commands queued per room before senders wait (only the sending session waits).
pub const ROOM_INBOX: usize = 4096;

/// An answer to a login that reached a room as it was closing: the session tries again.
pub const CLOSING: ErrCode = ErrCode::LIVEROOM_REQUEST;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoomKey {
    pub appid: u64,
    pub room_id: String,
}

/// Where an id_name (of an app) is logged in.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub key: u64,
    pub room: RoomKey,
}
