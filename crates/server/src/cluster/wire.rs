//! The messages nodes send each other over their pub/sub inboxes (JSON): a login relayed to
//! the room's node and its answer, the member's requests, and what the room sends back to the
//! member's connection. Requests travel as `cmd` + body, as on the client's wire.

use liveroom_proto::body::LoginRsp;
use liveroom_room::{Push, Request};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One message between two nodes. `key` is the member's session key (its login's random id),
/// which names the relayed login on both ends.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Wire {
    /// Connection node → room node: log this member in (creating the room when `create`).
    Login {
        from: String,
        corr: u64,
        appid: u64,
        room_id: String,
        create: bool,
        user_state_updates: bool,
        member: Member,
    },
    /// Room node → connection node: the answer to `Login { corr }`.
    LoginReply {
        corr: u64,
        rsp: Option<LoginRsp>,
        err_code: u32,
        detail: String,
    },
    /// Connection node → room node: a request of the member (answered with `Out`).
    Request {
        from: String,
        key: u64,
        seq: u64,
        cmd: String,
        body: Value,
    },
    /// Connection node → room node: the member's connection closed (`leave`: it logged in
    /// elsewhere on the same connection and leaves for good).
    Gone { from: String, key: u64, leave: bool },
    /// Room node → connection node: a frame for the member's connection.
    Out { key: u64, item: OutItem },
    /// Room node → connection node: the room closed the member's connection.
    Closed { key: u64, code: u16, reason: String },
    /// Room node → connection node: the member left its room for good; its login claim
    /// (and the stream ids held under it) on the connection's node end.
    Released {
        appid: u64,
        id_name: String,
        key: u64,
    },
    /// Any node → another: answer this admin API request as if it had come to you
    /// (`ops::admin`: the room or user it names is on that node).
    AdminAsk {
        from: String,
        corr: u64,
        method: String,
        /// Path and query.
        path: String,
        authorization: String,
        body: String,
    },
    /// The answer to `AdminAsk { corr }`: HTTP status and JSON body.
    AdminAnswer {
        corr: u64,
        status: u16,
        body: String,
    },
    /// Any node → the node of a user's earlier login (and on to its room's node): kick login
    /// `key` of `id_name` out of its room (the user logged in again elsewhere).
    Kick {
        appid: u64,
        room_id: String,
        id_name: String,
        key: u64,
        reason: u32,
    },
}

/// A member's identity as the room needs it (`liveroom_room::LoginInput` without its handle).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    pub key: u64,
    pub user_id: u64,
    pub id_name: String,
    pub nick_name: String,
    pub role: u8,
    pub can_publish: bool,
}

/// A frame the room queued for a member (`rooms::member_queue::Outbound` without its ids: the
/// connection's node writes its own).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum OutItem {
    Reply {
        cmd: String,
        seq: u64,
        body: String,
    },
    Push {
        cmd: String,
        from: String,
        body: String,
    },
    Kick {
        reason: u32,
    },
}

/// Push commands rooms send; a push's `cmd` is a static name on this side of the wire.
const PUSH_CMDS: &[&str] = &[
    "push_custommsg",
    "push_im_chat",
    "push_merge_message",
    "push_signal",
    "push_stream_update",
    "push_trans",
    "push_userlist_update",
];

/// The static name of a push command that arrived over the wire (None: not one rooms send).
pub fn push_cmd(cmd: &str) -> Option<&'static str> {
    PUSH_CMDS.iter().copied().find(|c| *c == cmd)
}

/// Whether rooms send this push lossy (`Outbox::push_lossy`: big-room batches).
pub fn is_lossy(cmd: &str) -> bool {
    cmd == "push_merge_message"
}

/// A push as rooms make it, rebuilt on the connection's node.
pub fn push_of(cmd: &str, from: String, body: String) -> Option<Push> {
    Some(Push {
        cmd: push_cmd(cmd)?,
        from_user_id: from,
        body: body.into_bytes().into(),
    })
}

/// A request as `cmd` and its body, for the wire.
pub fn request_out(req: &Request) -> (String, Value) {
    fn v<T: Serialize>(b: &T) -> Value {
        serde_json::to_value(b).unwrap_or_default()
    }
    let body = match req {
        Request::Hb | Request::StreamInfo | Request::Logout => Value::Null,
        Request::Stream(b) => v(b),
        Request::UserList(b) => v(b),
        Request::CustomMsg(b) => v(b),
        Request::ImChat(b) => v(b),
        Request::Signal(b) => v(b),
        Request::Trans(b) => v(b),
        Request::TransFetch(b) => v(b),
        Request::BigIm(b) => v(b),
    };
    (req.cmd().to_string(), body)
}

/// A request back from its `cmd` and body (the session parsed and checked it already).
pub fn request_in(cmd: &str, body: Value) -> Result<Request, String> {
    fn p<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, String> {
        serde_json::from_value(body).map_err(|e| e.to_string())
    }
    Ok(match cmd {
        "hb" => Request::Hb,
        "stream_info" => Request::StreamInfo,
        "logout" => Request::Logout,
        "stream" => Request::Stream(p(body)?),
        "user_list" => Request::UserList(p(body)?),
        "custommsg" => Request::CustomMsg(p(body)?),
        "im_chat" => Request::ImChat(p(body)?),
        "signal" => Request::Signal(p(body)?),
        "trans" => Request::Trans(p(body)?),
        "trans_fetch" => Request::TransFetch(p(body)?),
        "bigim_chat" => Request::BigIm(p(body)?),
        other => return Err(format!("unknown relayed request {other:?}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_cross_the_wire_unchanged() {
        let chat: liveroom_proto::body::ImChatReq = serde_json::from_value(serde_json::json!({
            "msg_category": 1, "msg_type": 1, "msg_content": "hi"
        }))
        .unwrap();
        let (cmd, body) = request_out(&Request::ImChat(chat));
        assert_eq!(cmd, "im_chat");
        let back = request_in(&cmd, body.clone()).unwrap();
        assert_eq!(request_out(&back).1, body);
        assert!(matches!(request_in("hb", Value::Null), Ok(Request::Hb)));
        assert!(request_in("login", Value::Null).is_err());
    }

    #[test]
    fn only_known_pushes_are_rebuilt() {
        assert!(push_of("push_im_chat", "1".into(), "{}".into()).is_some());
        assert!(push_of("push_anything", "1".into(), "{}".into()).is_none());
    }
}
