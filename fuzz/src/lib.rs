//! Helpers shared by the fuzz targets: the room-protocol command → body dispatch as the
//! server's session does it (`crates/server/src/session.rs`), so the targets parse each body
//! with the type and the decoder the server uses.

use liveroom_proto::body;
use liveroom_room::Request;
use serde::de::DeserializeOwned;

/// The server's `parse_body`: serde_path_to_error over serde_json, trailing bytes refused.
pub fn parse_body<T: DeserializeOwned>(body: &str) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            e.inner().to_string()
        } else {
            format!("{path}: {}", e.inner())
        }
    })?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

/// What a command's body parses into, as the session dispatches it.
pub enum Parsed {
    /// `login`.
    Login(Box<body::LoginReq>),
    /// A command the room handles.
    Room(Request),
    /// `relay`.
    Relay(body::RelayReq),
    /// `webrtc_url`.
    WebrtcUrl(body::WebrtcUrlReq),
    /// `biz_channel`.
    BizChannel(body::BizChannelReq),
}

/// Parses `body` as the body of `cmd`: None for an unknown command, Err for a bad body.
pub fn parse_command(cmd: &str, body: &str) -> Option<Result<Parsed, String>> {
    fn room<T: DeserializeOwned>(
        body: &str,
        f: impl FnOnce(T) -> Request,
    ) -> Result<Parsed, String> {
        parse_body(body).map(|b| Parsed::Room(f(b)))
    }
    Some(match cmd {
        "login" => parse_body(body).map(|b| Parsed::Login(Box::new(b))),
        "logout" => Ok(Parsed::Room(Request::Logout)),
        "hb" => Ok(Parsed::Room(Request::Hb)),
        "stream_info" => Ok(Parsed::Room(Request::StreamInfo)),
        "stream" => room(body, Request::Stream),
        "user_list" => room(body, Request::UserList),
        "custommsg" => room(body, Request::CustomMsg),
        "im_chat" => room(body, Request::ImChat),
        "signal" => room(body, Request::Signal),
        "trans" => room(body, Request::Trans),
        "trans_fetch" => room(body, Request::TransFetch),
        "bigim_chat" => room(body, Request::BigIm),
        "relay" => parse_body(body).map(Parsed::Relay),
        "webrtc_url" => parse_body(body).map(Parsed::WebrtcUrl),
        "biz_channel" => parse_body(body).map(Parsed::BizChannel),
        _ => return None,
    })
}

/// The commands of [`parse_command`], indexable by a fuzzer byte.
pub const COMMANDS: &[&str] = &[
    "login",
    "logout",
    "hb",
    "stream_info",
    "stream",
    "user_list",
    "custommsg",
    "im_chat",
    "signal",
    "trans",
    "trans_fetch",
    "bigim_chat",
    "relay",
    "webrtc_url",
    "biz_channel",
];

/// The server's login field checks (`check_login_fields` in the session) on what the room
/// gets: a login the server refuses never reaches the room.
pub fn login_fields_ok(req: &body::LoginReq) -> bool {
    use liveroom_proto::limits::check_id;
    check_id("id_name", &req.id_name, 1).is_ok()
        && check_id("nick_name", &req.nick_name, 0).is_ok()
        && matches!(req.role, 1 | 2)
}
