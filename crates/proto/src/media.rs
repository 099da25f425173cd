//! Wire types of the media-signalling WebSocket (`/media`, notes §7.2–§7.8): login with the
//! room token, sessions (publish or play), offer → answer, candidates, heartbeats, close,
//! camera/mic status and the server's pushes.
//!
//! A frame is `{header, body}`; the header ([`MediaHeader`]) names the command. Requests
//! `XxxReq` are answered by `XxxRsp` with the same `seq` and a `result` (0 = ok); pushes
//! `XxxPush` carry the server's own `seq` and some are acknowledged (`XxxAck`, no answer);
//! notifications (`StreamStatusNotify`, `BroadcasterStatusNotify`) get no answer.
//!
//! Field names, numbers and strings are the wire's, as the original 1.x client sends and
//! expects them. Client messages ([`ClientMsg`], parsed by [`parse_client_frame`]) are read
//! as leniently as the server always read them: a field that is missing or of another JSON
//! type reads as its default (the empty string, 0, none), a session id may be a number or a
//! decimal string, and a body that is not an object reads as `{}`. The server's messages
//! ([`ServerMsg`], written by [`ServerMsg::encode`]) list their fields in the byte order of
//! their names, so the frames are byte for byte those of the server's earlier `json!`
//! bodies. Every type exports a TypeScript twin into `sdk/src/wire/generated/media/`.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use ts_rs::TS;

/// Protocol version written in headers (`header.version`).
pub const VERSION: &str = "1.0.1";

/// `result` codes of answers (docs/protocol.md §10).
pub mod result {
    /// Accepted.
    pub const OK: u32 = 0;
    /// The token was refused (`LoginRsp`): the client reports `*.Error.Token`.
    pub const TOKEN: u32 = 1;
    /// `LoginReq` first, or the user has no live room login (in that room).
    pub const NOT_LOGGED_IN: u32 = 2;
    /// A bad request: an unknown command, a missing or bad field.
    pub const BAD_REQUEST: u32 = 4;
    /// No such session on this connection.
    pub const NO_SESSION: u32 = 5;
    /// Stream authentication (`strAuthParam`) failed.
    pub const STREAM_AUTH: u32 = 6;
    /// Not allowed: the token does not allow publishing, or the app's `play_scope`.
    pub const NO_PRIVILEGE: u32 = 7;
    /// Too many sessions on the connection, or streams held by the user.
    pub const TOO_MANY_SESSIONS: u32 = 8;
    /// A media failure (`strError` says what).
    pub const MEDIA: u32 = 9;
    /// A publish of a stream id another user holds (publishes, or is about to).
    pub const STREAM_TAKEN: u32 = 10;
}

/// `CloseSessionPush.reason` for an offer the server could not answer.
pub const CLOSE_REASON_OFFER_REFUSED: u32 = 1;
/// `CloseSessionPush.reason` for a session the server dropped; the client retries on it.
pub const CLOSE_REASON_RETRY: u32 = 26;
/// `SessionResetPush.cResetType`: only the listed sessions (0 would be all of them).
pub const RESET_LISTED_SESSIONS: u32 = 1;

/// Command names (`header.cmd`).
pub mod cmd {
    /// Login with the room login token.
    pub const LOGIN_REQ: &str = "LoginReq";
    /// Answer of [`LOGIN_REQ`].
    pub const LOGIN_RSP: &str = "LoginRsp";
    /// A publish or play session.
    pub const CREATE_SESSION_REQ: &str = "CreateSessionReq";
    /// Answer of [`CREATE_SESSION_REQ`].
    pub const CREATE_SESSION_RSP: &str = "CreateSessionRsp";
    /// The client's offer.
    pub const MEDIA_DESC_REQ: &str = "MediaDescReq";
    /// Answer of [`MEDIA_DESC_REQ`] (the SDP answer follows as [`MEDIA_DESC_PUSH`]).
    pub const MEDIA_DESC_RSP: &str = "MediaDescRsp";
    /// The client's ICE candidates.
    pub const CANDIDATE_INFO_REQ: &str = "CandidateInfoReq";
    /// Answer of [`CANDIDATE_INFO_REQ`].
    pub const CANDIDATE_INFO_RSP: &str = "CandidateInfoRsp";
    /// Heartbeat.
    pub const CLIENT_HB_REQ: &str = "ClientHBReq";
    /// Answer of [`CLIENT_HB_REQ`].
    pub const CLIENT_HB_RSP: &str = "ClientHBRsp";
    /// End of a session.
    pub const CLOSE_SESSION_REQ: &str = "CloseSessionReq";
    /// Answer of [`CLOSE_SESSION_REQ`].
    pub const CLOSE_SESSION_RSP: &str = "CloseSessionRsp";
    /// Quality statistics (sent only when `LoginRsp.report` is true).
    pub const QUALITY_REPORT_REQ: &str = "QualityReportReq";
    /// Answer of [`QUALITY_REPORT_REQ`].
    pub const QUALITY_REPORT_RSP: &str = "QualityReportRsp";
    /// A publisher's camera and microphone status (no answer).
    pub const STREAM_STATUS_NOTIFY: &str = "StreamStatusNotify";
    /// Whether the user also publishes, sent on its play sessions (no answer).
    pub const BROADCASTER_STATUS_NOTIFY: &str = "BroadcasterStatusNotify";
    /// The server's SDP answer.
    pub const MEDIA_DESC_PUSH: &str = "MediaDescPush";
    /// The server's ICE candidates.
    pub const CANDIDATE_INFO_PUSH: &str = "CandidateInfoPush";
    /// The server ended a session.
    pub const CLOSE_SESSION_PUSH: &str = "CloseSessionPush";
    /// The server does not hold sessions the client counts on.
    pub const SESSION_RESET_PUSH: &str = "SessionResetPush";
    /// A publish session's media flows.
    pub const PUBLISH_EVENT_PUSH: &str = "PublishEventPush";
    /// A play session's media flows.
    pub const PLAY_EVENT_PUSH: &str = "PlayEventPush";
    /// A publisher's camera and microphone status, relayed to a player.
    pub const STREAM_STATUS_NOTIFY_PUSH: &str = "StreamStatusNotifyPush";

    /// The pushes the client acknowledges (`XxxPush` → `XxxAck`, body `{result: 0}`).
    pub const ACKED_PUSHES: &[&str] = &[
        MEDIA_DESC_PUSH,
        CANDIDATE_INFO_PUSH,
        CLOSE_SESSION_PUSH,
        SESSION_RESET_PUSH,
    ];

    /// The answer's name of a request: `XxxReq` → `XxxRsp`.
    pub fn answer_of(request: &str) -> String {
        request.replace("Req", "Rsp")
    }
}

// ---------------------------------------------------------------- lenient reading

/// A value of another JSON type than `T` reads as `T`'s default, as the server's reads of
/// `body["field"].as_str().unwrap_or("")` and the like always did.
fn lenient<'de, D: Deserializer<'de>, T: DeserializeOwned + Default>(d: D) -> Result<T, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(T::deserialize(v).unwrap_or_default())
}

/// A list whose elements are read leniently (a bad element reads as the default element).
fn lenient_vec<'de, D: Deserializer<'de>, T: DeserializeOwned + Default>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(a) => a
            .into_iter()
            .map(|e| T::deserialize(e).unwrap_or_default())
            .collect(),
        _ => Vec::new(),
    })
}

/// A list that may be absent: anything but a list reads as absent.
fn lenient_opt_vec<'de, D: Deserializer<'de>, T: DeserializeOwned + Default>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(a) => Some(
            a.into_iter()
                .map(|e| T::deserialize(e).unwrap_or_default())
                .collect(),
        ),
        _ => None,
    })
}

/// A session id: a number, or a string of its decimal digits; anything else reads as 0 (no
/// session).
fn id_of(v: &Value) -> u64 {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(0)
}

fn lenient_id<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(id_of(&Value::deserialize(d)?))
}

fn lenient_ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(a) => a.iter().map(id_of).collect(),
        _ => Vec::new(),
    })
}

/// `appid` is a string on this socket; a number (or anything else) reads as its JSON text.
fn any_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

// ---------------------------------------------------------------- header

/// The header of every frame, both ways: `{appid, cmd, seq, session_id, user_id, version}`.
///
/// Unlike bodies, a header whose `cmd`, `seq` or `user_id` has the wrong JSON type does not
/// parse (the frame is dropped).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct MediaHeader {
    /// The app id as a decimal string.
    #[serde(default, deserialize_with = "any_string")]
    pub appid: String,
    /// The command, e.g. `CreateSessionReq`.
    #[serde(default)]
    pub cmd: String,
    /// A request's seq (its answer echoes it), or the server's own rising seq on pushes.
    #[serde(default)]
    #[ts(type = "number")]
    pub seq: u64,
    /// The session the frame belongs to; 0 outside a session. A number on the wire (a
    /// decimal string is accepted).
    #[serde(default, deserialize_with = "lenient_id")]
    #[ts(type = "number")]
    pub session_id: u64,
    /// The user's `id_name`.
    #[serde(default)]
    pub user_id: String,
    /// [`VERSION`].
    #[serde(default)]
    pub version: String,
}

// ---------------------------------------------------------------- client → server

/// A session the client held on an earlier connection (`LoginReq.sessions`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct SessionRef {
    /// The session id (a number, or a decimal string).
    #[serde(default, deserialize_with = "lenient_id")]
    #[ts(type = "number")]
    pub session_id: u64,
    /// The session token `CreateSessionRsp` gave.
    #[serde(default, deserialize_with = "lenient")]
    pub session_token: String,
}

/// `LoginReq`: the first request of a connection.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct LoginReq {
    /// The room login token (v1 or v2).
    #[serde(default, deserialize_with = "lenient")]
    pub token: String,
    /// Always 0.
    #[serde(rename = "tokenType")]
    #[serde(default, deserialize_with = "lenient")]
    pub token_type: u32,
    /// The room id the user is logged in to.
    #[serde(default, deserialize_with = "lenient")]
    pub roomid: String,
    /// The room anchor's id (`anchor_info.anchor_id`).
    #[serde(default, deserialize_with = "lenient")]
    pub anchorname: String,
    /// The SDK's version string, e.g. `"1.12.2"`.
    #[serde(default, deserialize_with = "lenient")]
    pub sdkversion: String,
    /// The browser's user agent.
    #[serde(default, deserialize_with = "lenient")]
    pub osinfo: String,
    /// Sessions of an earlier connection (a reconnect); absent on a first login.
    #[serde(
        default,
        deserialize_with = "lenient_opt_vec",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(optional)]
    pub sessions: Option<Vec<SessionRef>>,
}

/// `CreateSessionReq`: a publish (`type` 0) or play (`type` 1) session of a stream.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct CreateSessionReq {
    /// 0 publish, 1 play; none when missing or not a number (refused).
    #[serde(rename = "type")]
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(type = "number")]
    pub session_type: Option<u32>,
    /// The stream id.
    #[serde(default, deserialize_with = "lenient")]
    pub stream_id: String,
    /// `"web"`.
    #[serde(default, deserialize_with = "lenient")]
    pub platform: String,
    /// The browser's user agent.
    #[serde(default, deserialize_with = "lenient")]
    pub browser: String,
    /// The SDK's version number as a string, e.g. `"1122"`.
    #[serde(default, deserialize_with = "lenient")]
    pub version: String,
    /// The app id (a number here).
    #[serde(default, deserialize_with = "lenient")]
    #[ts(type = "number")]
    pub app_id: u64,
    /// Always 0 (the client offers).
    #[serde(default, deserialize_with = "lenient")]
    pub negotiate_mode: u32,
    /// The stream's `streamParams` (stream authentication).
    #[serde(rename = "strAuthParam")]
    #[serde(default, deserialize_with = "lenient")]
    pub str_auth_param: String,
    /// The SDK's version as a number, e.g. 1.12.2 → 1122.
    #[serde(default, deserialize_with = "lenient")]
    pub sdk_version: u32,
}

/// `MediaDescReq`: the client's offer. Players send only `type` and `sdp`; publishers add
/// their video size and rates.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct MediaDescReq {
    /// 0 (an offer).
    #[serde(rename = "type")]
    #[serde(default, deserialize_with = "lenient")]
    pub desc_type: u32,
    /// The offer; none when missing or not a string (refused).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(type = "string")]
    pub sdp: Option<String>,
    /// Video width in pixels.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(optional)]
    pub width: Option<u32>,
    /// Video height in pixels.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(optional)]
    pub height: Option<u32>,
    /// Frames per second.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(optional)]
    pub framerate: Option<u32>,
    /// Lowest video bitrate in kbps (the wire's spelling).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(optional)]
    pub video_min_kpbs: Option<u32>,
    /// Highest video bitrate in kbps (the wire's spelling).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(optional)]
    pub video_max_kpbs: Option<u32>,
    /// Audio bitrate in kbps (the wire's spelling).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(optional)]
    pub audio_kpbs: Option<u32>,
    /// Seconds between key frames.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(optional)]
    pub keyframe_intv: Option<u32>,
}

/// An ICE candidate, both ways (`CandidateInfoReq.infos`, `CandidateInfoPush.infos`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct CandidateInfo {
    /// The `candidate:` line.
    #[serde(default, deserialize_with = "lenient")]
    pub candidate: String,
    /// The media section's index (null from a browser that gives none).
    #[serde(rename = "sdpMLineIndex")]
    #[serde(default, deserialize_with = "lenient")]
    pub sdp_mline_index: Option<u32>,
    /// The media section's mid (null from a browser that gives none).
    #[serde(rename = "sdpMid")]
    #[serde(default, deserialize_with = "lenient")]
    pub sdp_mid: Option<String>,
}

/// `CandidateInfoReq`: the client's candidates (the ICE-lite server learns the addresses
/// from the connectivity checks and does not need them).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct CandidateInfoReq {
    /// The candidates.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub infos: Vec<CandidateInfo>,
}

/// `ClientHBReq`: heartbeat, every `hb_interval` while the connection has sessions.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct ClientHbReq {
    /// The sessions the client holds on this connection (numbers, or decimal strings; an
    /// element that is neither reads as 0).
    #[serde(default, deserialize_with = "lenient_ids")]
    #[ts(type = "Array<number>")]
    pub session_ids: Vec<u64>,
}

/// `CloseSessionReq`: the client ends the session of the header's `session_id`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct CloseSessionReq {
    /// 0 a stop, 1 after an error.
    #[serde(default, deserialize_with = "lenient")]
    pub reason: u32,
}

/// `QualityReportReq`: statistics per stream (only when `LoginRsp.report` is true, which
/// this server never says; the server does not read them).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct QualityReportReq {
    /// One entry of statistics per stream, free-form.
    #[serde(default, deserialize_with = "lenient")]
    #[ts(type = "Array<Record<string, unknown>>")]
    pub streams: Vec<Value>,
}

/// `StreamStatusNotify`: a publisher's camera and microphone (0 on, 2 off).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct StreamStatusNotify {
    /// 0 on, 2 off.
    #[serde(default, deserialize_with = "lenient")]
    pub camera_status: u32,
    /// 0 on, 2 off.
    #[serde(default, deserialize_with = "lenient")]
    pub mic_status: u32,
}

/// `BroadcasterStatusNotify`: on a play session, whether the user also publishes (1) or not
/// (0). Accepted without effect.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct BroadcasterStatusNotify {
    /// 1 the user publishes, 0 it does not.
    #[serde(default, deserialize_with = "lenient")]
    pub status: u32,
}

/// A message of the client, by its header's `cmd`.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientMsg {
    /// `LoginReq`.
    Login(LoginReq),
    /// `CreateSessionReq`.
    CreateSession(CreateSessionReq),
    /// `MediaDescReq`.
    MediaDesc(MediaDescReq),
    /// `CandidateInfoReq`.
    CandidateInfo(CandidateInfoReq),
    /// `ClientHBReq`.
    Heartbeat(ClientHbReq),
    /// `CloseSessionReq`.
    CloseSession(CloseSessionReq),
    /// `QualityReportReq`.
    QualityReport(QualityReportReq),
    /// `StreamStatusNotify`.
    StreamStatus(StreamStatusNotify),
    /// `BroadcasterStatusNotify`.
    BroadcasterStatus(BroadcasterStatusNotify),
    /// An acknowledgement of a push (`XxxAck`, body `{result: 0}`); needs no answer.
    Ack(String),
    /// A command this protocol does not have (a request among them gets an error answer).
    Unknown(String),
}

impl ClientMsg {
    /// Whether the message is a request (`XxxReq`), which gets an answer.
    pub fn is_request(cmd: &str) -> bool {
        cmd.ends_with("Req")
    }
}

/// A client frame that could not be read.
#[derive(Debug)]
pub enum MediaFrameError {
    /// The frame is not JSON.
    NotJson(serde_json::Error),
    /// The header is missing or a field of it has the wrong type.
    BadHeader(serde_json::Error),
}

impl std::fmt::Display for MediaFrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MediaFrameError::NotJson(e) => write!(f, "frame is not JSON: {e}"),
            MediaFrameError::BadHeader(e) => write!(f, "bad header: {e}"),
        }
    }
}

impl std::error::Error for MediaFrameError {}

/// Reads a body leniently: a body that is not an object reads as `{}`.
fn body_of<T: DeserializeOwned + Default>(body: &Value) -> T {
    let empty = Value::Object(Default::default());
    let v = if body.is_object() { body } else { &empty };
    // Every field of the client bodies is read leniently, so this does not fail; were it
    // to, the body reads as empty, as a body that is not an object does.
    T::deserialize(v).unwrap_or_default()
}

/// Parses a client frame `{header, body}` into its header and its typed message.
pub fn parse_client_frame(text: &str) -> Result<(MediaHeader, ClientMsg), MediaFrameError> {
    let frame: Value = serde_json::from_str(text).map_err(MediaFrameError::NotJson)?;
    let header = MediaHeader::deserialize(&frame["header"]).map_err(MediaFrameError::BadHeader)?;
    let body = &frame["body"];
    let msg = match header.cmd.as_str() {
        cmd::LOGIN_REQ => ClientMsg::Login(body_of(body)),
        cmd::CREATE_SESSION_REQ => ClientMsg::CreateSession(body_of(body)),
        cmd::MEDIA_DESC_REQ => ClientMsg::MediaDesc(body_of(body)),
        cmd::CANDIDATE_INFO_REQ => ClientMsg::CandidateInfo(body_of(body)),
        cmd::CLIENT_HB_REQ => ClientMsg::Heartbeat(body_of(body)),
        cmd::CLOSE_SESSION_REQ => ClientMsg::CloseSession(body_of(body)),
        cmd::QUALITY_REPORT_REQ => ClientMsg::QualityReport(body_of(body)),
        cmd::STREAM_STATUS_NOTIFY => ClientMsg::StreamStatus(body_of(body)),
        cmd::BROADCASTER_STATUS_NOTIFY => ClientMsg::BroadcasterStatus(body_of(body)),
        c if c.ends_with("Ack") => ClientMsg::Ack(c.to_string()),
        c => ClientMsg::Unknown(c.to_string()),
    };
    Ok((header, msg))
}

// ---------------------------------------------------------------- server → client
//
// Fields in the byte order of their names (uppercase before `_` before lowercase).

/// `{result, strError?}`: the answer of requests that carry nothing else (`MediaDescRsp`,
/// `CandidateInfoRsp`, `CloseSessionRsp`, `QualityReportRsp`, acks), and every refusal.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct ResultRsp {
    /// 0 ok, else a [`result`] code (docs/protocol.md §10).
    pub result: u32,
    /// What went wrong (refusals carry it).
    #[serde(rename = "strError")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub str_error: Option<String>,
}

impl ResultRsp {
    /// `{result: 0}`.
    pub fn ok() -> ResultRsp {
        ResultRsp {
            result: 0,
            str_error: None,
        }
    }

    /// `{result: code}` without a text.
    pub fn code(result: u32) -> ResultRsp {
        ResultRsp {
            result,
            str_error: None,
        }
    }

    /// `{result: code, strError: why}`.
    pub fn refused(result: u32, why: &str) -> ResultRsp {
        ResultRsp {
            result,
            str_error: Some(why.to_string()),
        }
    }
}

/// `LoginRsp` of an accepted login (a refusal is a [`ResultRsp`]).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct LoginRsp {
    /// The negotiation watchdog in ms.
    #[serde(rename = "negoInterval")]
    pub nego_interval: u32,
    /// Negotiation tries made (0).
    #[serde(rename = "negoTryCount")]
    pub nego_try_count: u32,
    /// Negotiation tries before the client gives up.
    #[serde(rename = "negoTryMaxCount")]
    pub nego_try_max_count: u32,
    /// Whether the client uploads quality reports (`QualityReportReq`).
    pub report: bool,
    /// Their interval in ms.
    pub report_interval_ms: u32,
    /// 0.
    pub result: u32,
    /// Empty.
    #[serde(rename = "strError")]
    pub str_error: String,
    /// A media token (unused: empty).
    pub token: String,
    /// 0.
    #[serde(rename = "tokenType")]
    pub token_type: u32,
}

/// `CreateSessionRsp` of a created session (a refusal is a [`ResultRsp`]). The TURN fields
/// are there when the server runs its TURN relay.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct CreateSessionRsp {
    /// 0.
    pub result: u32,
    /// The new session's id (also in the header), below 2^53.
    #[ts(type = "number")]
    pub session_id: u64,
    /// The session id as a decimal string.
    pub session_token: String,
    /// Empty.
    #[serde(rename = "strError")]
    pub str_error: String,
    /// The second ICE server URL: the TCP TURN URL, else a `stun:` URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub stun_server: Option<String>,
    /// The TURN credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub turn_auth_key: Option<String>,
    /// The TURN URL (`turn:host:port?transport=udp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub turn_server: Option<String>,
    /// The TURN user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub turn_username: Option<String>,
}

/// `ClientHBRsp`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct ClientHbRsp {
    /// The heartbeat interval in ms the client uses from now on.
    #[ts(type = "number")]
    pub hb_interval: u64,
    /// 0.
    pub result: u32,
}

/// `MediaDescPush`: the server's SDP answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct MediaDescPush {
    /// The answer.
    pub sdp: String,
    /// 1 (an answer).
    #[serde(rename = "type")]
    pub desc_type: u32,
}

/// `CandidateInfoPush`: the server's (host) candidates.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct CandidateInfoPush {
    /// The candidates.
    pub infos: Vec<CandidateInfo>,
}

/// Why the server closed a session (`CloseSessionPush.err_info`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct ErrInfo {
    /// The original service's hint (5 = retry, 2 = next URL); this server sends none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub action: Option<u32>,
    /// A [`result`] code (docs/protocol.md §10).
    pub code: u32,
    /// What happened.
    pub message: String,
}

/// `CloseSessionPush`: the server ended the session of the header's `session_id`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct CloseSessionPush {
    /// Why.
    pub err_info: ErrInfo,
    /// 1 the offer was refused ([`CLOSE_REASON_OFFER_REFUSED`]), 26 the media connection was
    /// lost ([`CLOSE_REASON_RETRY`]: the client retries).
    pub reason: u32,
}

/// `SessionResetPush`: sessions the client counts on that this connection does not hold.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct SessionResetPush {
    /// 1 the listed sessions ([`RESET_LISTED_SESSIONS`]); 0 would be all (never sent).
    #[serde(rename = "cResetType")]
    pub reset_type: u32,
    /// The sessions.
    #[ts(type = "Array<number>")]
    pub session_ids: Vec<u64>,
}

/// `PublishEventPush` / `PlayEventPush`: event 0, the session's media flows.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct StreamEventPush {
    /// 0 the media flows.
    #[serde(default)]
    pub event: u32,
    /// The stream id.
    pub stream_id: String,
}

/// `StreamStatusNotifyPush`: a publisher's camera and microphone, to a player.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, TS)]
#[ts(export, export_to = "media/")]
pub struct StreamStatusNotifyPush {
    /// 0 on, 2 off.
    pub camera_status: u32,
    /// 0 on, 2 off.
    pub mic_status: u32,
    /// The stream id.
    pub stream_id: String,
}

/// A message of the server: the command and its body.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMsg {
    /// `LoginRsp` of an accepted login.
    Login(LoginRsp),
    /// `CreateSessionRsp` of a created session.
    CreateSession(CreateSessionRsp),
    /// `ClientHBRsp`.
    Heartbeat(ClientHbRsp),
    /// The `{result, strError?}` answer `cmd` (an `XxxRsp`): a refusal of any request, or
    /// the acceptance of those that carry nothing else.
    Result {
        /// The answer's command, e.g. `MediaDescRsp`.
        cmd: String,
        /// The body.
        body: ResultRsp,
    },
    /// `MediaDescPush`.
    MediaDesc(MediaDescPush),
    /// `CandidateInfoPush`.
    CandidateInfo(CandidateInfoPush),
    /// `CloseSessionPush`.
    CloseSession(CloseSessionPush),
    /// `SessionResetPush`.
    SessionReset(SessionResetPush),
    /// `PublishEventPush`.
    PublishEvent(StreamEventPush),
    /// `PlayEventPush`.
    PlayEvent(StreamEventPush),
    /// `StreamStatusNotifyPush`.
    StreamStatus(StreamStatusNotifyPush),
}

/// A frame as the server writes it: `{"body": …, "header": …}`.
#[derive(Serialize)]
struct OutFrame<'a, B: Serialize> {
    body: &'a B,
    header: &'a MediaHeader,
}

impl ServerMsg {
    /// The answer of request `request_cmd` (`XxxReq`) that carries only `body`.
    pub fn result(request_cmd: &str, body: ResultRsp) -> ServerMsg {
        ServerMsg::Result {
            cmd: cmd::answer_of(request_cmd),
            body,
        }
    }

    /// The header's `cmd`.
    pub fn cmd(&self) -> &str {
        match self {
            ServerMsg::Login(_) => cmd::LOGIN_RSP,
            ServerMsg::CreateSession(_) => cmd::CREATE_SESSION_RSP,
            ServerMsg::Heartbeat(_) => cmd::CLIENT_HB_RSP,
            ServerMsg::Result { cmd, .. } => cmd,
            ServerMsg::MediaDesc(_) => cmd::MEDIA_DESC_PUSH,
            ServerMsg::CandidateInfo(_) => cmd::CANDIDATE_INFO_PUSH,
            ServerMsg::CloseSession(_) => cmd::CLOSE_SESSION_PUSH,
            ServerMsg::SessionReset(_) => cmd::SESSION_RESET_PUSH,
            ServerMsg::PublishEvent(_) => cmd::PUBLISH_EVENT_PUSH,
            ServerMsg::PlayEvent(_) => cmd::PLAY_EVENT_PUSH,
            ServerMsg::StreamStatus(_) => cmd::STREAM_STATUS_NOTIFY_PUSH,
        }
    }

    /// The frame `{body, header}` with the header `{appid, cmd, seq, session_id, user_id,
    /// version}`.
    pub fn encode(&self, appid: &str, seq: u64, user_id: &str, session_id: u64) -> String {
        let header = MediaHeader {
            appid: appid.to_string(),
            cmd: self.cmd().to_string(),
            seq,
            session_id,
            user_id: user_id.to_string(),
            version: VERSION.to_string(),
        };
        fn frame<B: Serialize>(body: &B, header: &MediaHeader) -> String {
            // Plain structs of strings and numbers: serialization does not fail.
            serde_json::to_string(&OutFrame { body, header }).unwrap_or_default()
        }
        match self {
            ServerMsg::Login(b) => frame(b, &header),
            ServerMsg::CreateSession(b) => frame(b, &header),
            ServerMsg::Heartbeat(b) => frame(b, &header),
            ServerMsg::Result { body, .. } => frame(body, &header),
            ServerMsg::MediaDesc(b) => frame(b, &header),
            ServerMsg::CandidateInfo(b) => frame(b, &header),
            ServerMsg::CloseSession(b) => frame(b, &header),
            ServerMsg::SessionReset(b) => frame(b, &header),
            ServerMsg::PublishEvent(b) => frame(b, &header),
            ServerMsg::PlayEvent(b) => frame(b, &header),
            ServerMsg::StreamStatus(b) => frame(b, &header),
        }
    }
}

#[cfg(test)]
mod tests {
    //! Every message against literal JSON: client messages as the SDK (sdk/src/media/*.ts)
    //! and the original client send them, server messages byte for byte as the server's
    //! `json!` bodies wrote them before they were typed.
    use super::*;
    use serde_json::json;

    /// A client body read and written again is the same JSON (the SDK's key order is its
    /// own; the values and names must match).
    fn client_roundtrip<T: DeserializeOwned + Serialize + Default>(lit: &str) -> T {
        let typed: T = body_of(&serde_json::from_str(lit).unwrap());
        let again: Value = serde_json::to_value(&typed).unwrap();
        assert_eq!(again, serde_json::from_str::<Value>(lit).unwrap(), "{lit}");
        typed
    }

    /// A server body written by its type is byte for byte the literal, and reads back.
    fn server_roundtrip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(
        typed: T,
        lit: &str,
    ) {
        assert_eq!(serde_json::to_string(&typed).unwrap(), lit);
        assert_eq!(serde_json::from_str::<T>(lit).unwrap(), typed);
    }

    /// The frame as the server wrote it before its messages were typed (media_signal.rs).
    fn untyped_frame(cmd: &str, seq: u64, session_id: u64, body: Value) -> String {
        json!({
            "header": {"version": VERSION, "cmd": cmd, "appid": "42", "seq": seq,
                       "user_id": "alice", "session_id": session_id},
            "body": body,
        })
        .to_string()
    }

    const LOGIN_REQ_FULL: &str = r#"{"token":"tok","tokenType":0,"roomid":"r1","anchorname":"","sdkversion":"1.12.2","osinfo":"","sessions":[{"session_id":77,"session_token":"77"}]}"#;
    const CREATE_SESSION_REQ: &str = r#"{"type":0,"stream_id":"s1","platform":"web","browser":"Mozilla/5.0","version":"1122","app_id":42,"negotiate_mode":0,"strAuthParam":"","sdk_version":1122}"#;
    const MEDIA_DESC_REQ_PUBLISHER: &str = r#"{"type":0,"sdp":"v=0\r\n","width":640,"height":480,"framerate":15,"video_min_kpbs":200,"video_max_kpbs":800,"audio_kpbs":48,"keyframe_intv":3}"#;
    const LOGIN_RSP: &str = r#"{"negoInterval":25000,"negoTryCount":0,"negoTryMaxCount":2,"report":false,"report_interval_ms":30000,"result":0,"strError":"","token":"","tokenType":0}"#;
    const CREATE_SESSION_RSP_TURN: &str = r#"{"result":0,"session_id":4503599627370495,"session_token":"4503599627370495","strError":"","stun_server":"turn:127.0.0.1:3478?transport=tcp","turn_auth_key":"key","turn_server":"turn:127.0.0.1:3478?transport=udp","turn_username":"1700000000:alice"}"#;

    fn parse(text: &str) -> (MediaHeader, ClientMsg) {
        parse_client_frame(text).unwrap()
    }

    /// The field names of `T`'s TypeScript twin (`{ a: string, b?: number, }`).
    fn ts_fields<T: TS>() -> std::collections::BTreeSet<String> {
        // Without the JSDoc comments ts-rs puts before each field.
        let mut decl = T::inline();
        while let Some(start) = decl.find("/**") {
            let end = decl[start..]
                .find("*/")
                .map_or(decl.len(), |e| start + e + 2);
            decl.replace_range(start..end, "");
        }
        let (mut depth, mut names, mut word) =
            (0, std::collections::BTreeSet::new(), String::new());
        for ch in decl.chars() {
            match ch {
                '{' | '<' | '(' | '[' => depth += 1,
                '}' | '>' | ')' | ']' => depth -= 1,
                ':' if depth == 1 && !word.is_empty() => {
                    names.insert(word.trim_end_matches('?').to_string());
                }
                _ => {}
            }
            if depth == 1 && (ch.is_alphanumeric() || ch == '_' || ch == '?') {
                word.push(ch);
            } else if ch != ':' {
                word.clear();
            }
        }
        names
    }

    /// `T`'s TypeScript twin names exactly the keys of `lit` (a literal with every field),
    /// so a rename serde applies and ts-rs missed cannot pass.
    fn same_fields_in_ts<T: TS>(lit: &str) {
        let v: Value = serde_json::from_str(lit).unwrap();
        let keys: std::collections::BTreeSet<String> =
            v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(ts_fields::<T>(), keys, "{}", T::inline());
    }

    #[test]
    fn typescript_twins_name_the_wire_fields() {
        same_fields_in_ts::<MediaHeader>(
            r#"{"appid":"42","cmd":"c","seq":1,"session_id":0,"user_id":"u","version":"1.0.1"}"#,
        );
        same_fields_in_ts::<SessionRef>(r#"{"session_id":1,"session_token":"1"}"#);
        same_fields_in_ts::<LoginReq>(LOGIN_REQ_FULL);
        same_fields_in_ts::<CreateSessionReq>(CREATE_SESSION_REQ);
        same_fields_in_ts::<MediaDescReq>(MEDIA_DESC_REQ_PUBLISHER);
        same_fields_in_ts::<CandidateInfo>(r#"{"candidate":"c","sdpMid":"0","sdpMLineIndex":0}"#);
        same_fields_in_ts::<CandidateInfoReq>(r#"{"infos":[]}"#);
        same_fields_in_ts::<ClientHbReq>(r#"{"session_ids":[]}"#);
        same_fields_in_ts::<CloseSessionReq>(r#"{"reason":0}"#);
        same_fields_in_ts::<QualityReportReq>(r#"{"streams":[]}"#);
        same_fields_in_ts::<StreamStatusNotify>(r#"{"camera_status":0,"mic_status":0}"#);
        same_fields_in_ts::<BroadcasterStatusNotify>(r#"{"status":0}"#);
        same_fields_in_ts::<ResultRsp>(r#"{"result":1,"strError":"x"}"#);
        same_fields_in_ts::<LoginRsp>(LOGIN_RSP);
        same_fields_in_ts::<CreateSessionRsp>(CREATE_SESSION_RSP_TURN);
        same_fields_in_ts::<ClientHbRsp>(r#"{"hb_interval":10000,"result":0}"#);
        same_fields_in_ts::<MediaDescPush>(r#"{"sdp":"v=0","type":1}"#);
        same_fields_in_ts::<CandidateInfoPush>(r#"{"infos":[]}"#);
        same_fields_in_ts::<ErrInfo>(r#"{"action":5,"code":1,"message":"m"}"#);
        same_fields_in_ts::<CloseSessionPush>(r#"{"err_info":{},"reason":1}"#);
        same_fields_in_ts::<SessionResetPush>(r#"{"cResetType":1,"session_ids":[]}"#);
        same_fields_in_ts::<StreamEventPush>(r#"{"event":0,"stream_id":"s"}"#);
        same_fields_in_ts::<StreamStatusNotifyPush>(
            r#"{"camera_status":0,"mic_status":0,"stream_id":"s"}"#,
        );
    }

    /// Writes `media/commands.ts` beside the types ts-rs writes: which body goes with which
    /// command (requests with their accepted answers, notifications, pushes and whether they
    /// are acknowledged), from the command names and types here.
    #[test]
    fn export_bindings_media_commands() {
        fn t<T: TS>() -> String {
            T::name()
        }
        let requests = [
            (cmd::LOGIN_REQ, t::<LoginReq>(), t::<LoginRsp>()),
            (
                cmd::CREATE_SESSION_REQ,
                t::<CreateSessionReq>(),
                t::<CreateSessionRsp>(),
            ),
            (cmd::MEDIA_DESC_REQ, t::<MediaDescReq>(), t::<ResultRsp>()),
            (
                cmd::CANDIDATE_INFO_REQ,
                t::<CandidateInfoReq>(),
                t::<ResultRsp>(),
            ),
            (cmd::CLIENT_HB_REQ, t::<ClientHbReq>(), t::<ClientHbRsp>()),
            (
                cmd::CLOSE_SESSION_REQ,
                t::<CloseSessionReq>(),
                t::<ResultRsp>(),
            ),
            (
                cmd::QUALITY_REPORT_REQ,
                t::<QualityReportReq>(),
                t::<ResultRsp>(),
            ),
        ];
        let notifications = [
            (cmd::STREAM_STATUS_NOTIFY, t::<StreamStatusNotify>()),
            (
                cmd::BROADCASTER_STATUS_NOTIFY,
                t::<BroadcasterStatusNotify>(),
            ),
        ];
        let pushes = [
            (cmd::MEDIA_DESC_PUSH, t::<MediaDescPush>()),
            (cmd::CANDIDATE_INFO_PUSH, t::<CandidateInfoPush>()),
            (cmd::CLOSE_SESSION_PUSH, t::<CloseSessionPush>()),
            (cmd::SESSION_RESET_PUSH, t::<SessionResetPush>()),
            (cmd::PUBLISH_EVENT_PUSH, t::<StreamEventPush>()),
            (cmd::PLAY_EVENT_PUSH, t::<StreamEventPush>()),
            (
                cmd::STREAM_STATUS_NOTIFY_PUSH,
                t::<StreamStatusNotifyPush>(),
            ),
        ];
        let mut types: Vec<&String> = requests
            .iter()
            .flat_map(|(_, a, b)| [a, b])
            .chain(notifications.iter().map(|(_, a)| a))
            .chain(pushes.iter().map(|(_, a)| a))
            .collect();
        types.sort();
        types.dedup();
        let mut ts = String::from(
            "// This file was generated by crates/proto/src/media.rs (export_bindings_media_commands). Do not edit this file manually.\n",
        );
        for ty in types {
            ts += &format!("import type {{ {ty} }} from \"./{ty}\";\n");
        }
        ts += &format!(
            "\n/** `header.version`. */\nexport const MEDIA_PROTOCOL_VERSION = \"{VERSION}\";\n"
        );
        ts += "\n/**\n * Requests (`XxxReq`) with the body of their accepted answer (`XxxRsp`, `result` 0). A refused request is\n * answered `{result, strError}` (ResultRsp) whatever its command.\n */\nexport interface MediaRequests {\n";
        for (c, req, rsp) in &requests {
            ts += &format!("  {c}: {{ req: {req}; rsp: {rsp} }};\n");
        }
        ts += "}\n\n/** Notifications of a session: no answer. */\nexport interface MediaNotifications {\n";
        for (c, body) in &notifications {
            ts += &format!("  {c}: {body};\n");
        }
        ts += "}\n\n/** The server's pushes by command. */\nexport interface MediaPushes {\n";
        for (c, body) in &pushes {
            ts += &format!("  {c}: {body};\n");
        }
        ts += "}\n\n/** Every push and whether the client acknowledges it (`XxxPush` → `XxxAck {result: 0}`). */\nexport const MEDIA_PUSH_ACKED: { readonly [C in keyof MediaPushes]: boolean } = {\n";
        for (c, _) in &pushes {
            let acked = cmd::ACKED_PUSHES.contains(c);
            ts += &format!("  {c}: {acked},\n");
        }
        ts += "};\n";
        // Every push the server writes is listed.
        for msg in [
            ServerMsg::MediaDesc(Default::default()),
            ServerMsg::CandidateInfo(Default::default()),
            ServerMsg::CloseSession(Default::default()),
            ServerMsg::SessionReset(Default::default()),
            ServerMsg::PublishEvent(Default::default()),
            ServerMsg::PlayEvent(Default::default()),
            ServerMsg::StreamStatus(Default::default()),
        ] {
            assert!(pushes.iter().any(|(c, _)| *c == msg.cmd()), "{}", msg.cmd());
        }
        let dir = std::path::PathBuf::from(
            std::env::var("TS_RS_EXPORT_DIR").unwrap_or_else(|_| "./bindings".into()),
        )
        .join("media");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("commands.ts"), ts).unwrap();
    }

    // ------------------------------------------------------------ client → server

    #[test]
    fn header_as_the_sdk_sends_it() {
        let lit = r#"{"version":"1.0.1","cmd":"LoginReq","appid":"42","seq":1,"user_id":"alice","session_id":0}"#;
        let h: MediaHeader = serde_json::from_str(lit).unwrap();
        assert_eq!(
            h,
            MediaHeader {
                appid: "42".into(),
                cmd: "LoginReq".into(),
                seq: 1,
                session_id: 0,
                user_id: "alice".into(),
                version: "1.0.1".into(),
            }
        );
        assert_eq!(
            serde_json::to_value(&h).unwrap(),
            serde_json::from_str::<Value>(lit).unwrap()
        );
    }

    #[test]
    fn header_takes_a_numeric_appid_and_a_string_session_id() {
        let (h, _) = parse(
            r#"{"header":{"cmd":"ClientHBReq","appid":42,"seq":3,"user_id":"a","session_id":"77"},"body":{}}"#,
        );
        assert_eq!((h.appid.as_str(), h.session_id, h.seq), ("42", 77, 3));
        let (h, _) = parse(r#"{"header":{"cmd":"X","session_id":"abc"}}"#);
        assert_eq!(h.session_id, 0);
    }

    #[test]
    fn login_req() {
        let b: LoginReq = client_roundtrip(
            r#"{"token":"tok","tokenType":0,"roomid":"r1","anchorname":"anchor-1","sdkversion":"1.12.2","osinfo":"Mozilla/5.0"}"#,
        );
        assert_eq!((b.token.as_str(), b.roomid.as_str()), ("tok", "r1"));
        assert_eq!(b.sessions, None);
        let b: LoginReq = client_roundtrip(LOGIN_REQ_FULL);
        assert_eq!(
            b.sessions,
            Some(vec![SessionRef {
                session_id: 77,
                session_token: "77".into()
            }])
        );
        // The original client's earlier sessions may name their ids as strings.
        let b: LoginReq =
            body_of(&json!({"token": "t", "sessions": [{"session_id": "77"}, "junk"]}));
        let ids: Vec<u64> = b.sessions.unwrap().iter().map(|s| s.session_id).collect();
        assert_eq!(ids, vec![77, 0]);
    }

    #[test]
    fn create_session_req() {
        let b: CreateSessionReq = client_roundtrip(CREATE_SESSION_REQ);
        assert_eq!(b.session_type, Some(0));
        assert_eq!(b.stream_id, "s1");
        assert_eq!(b.app_id, 42);
        let b: CreateSessionReq = client_roundtrip(
            r#"{"type":1,"stream_id":"s2","platform":"web","browser":"","version":"1122","app_id":42,"negotiate_mode":0,"strAuthParam":"sig=1","sdk_version":1122}"#,
        );
        assert_eq!(
            (b.session_type, b.str_auth_param.as_str()),
            (Some(1), "sig=1")
        );
    }

    #[test]
    fn media_desc_req_of_a_publisher_and_a_player() {
        let b: MediaDescReq = client_roundtrip(MEDIA_DESC_REQ_PUBLISHER);
        assert_eq!(b.sdp.as_deref(), Some("v=0\r\n"));
        assert_eq!((b.width, b.video_max_kpbs), (Some(640), Some(800)));
        let b: MediaDescReq = client_roundtrip(r#"{"type":0,"sdp":"v=0\r\n"}"#);
        assert_eq!(b.width, None);
    }

    #[test]
    fn candidate_info_req() {
        let b: CandidateInfoReq = client_roundtrip(
            r#"{"infos":[{"candidate":"candidate:1 1 udp 2122260223 10.0.0.1 50000 typ host","sdpMid":"0","sdpMLineIndex":0},{"candidate":"candidate:2 1 udp 1 10.0.0.2 3478 typ relay","sdpMid":null,"sdpMLineIndex":null}]}"#,
        );
        assert_eq!(b.infos[0].sdp_mid.as_deref(), Some("0"));
        assert_eq!(b.infos[1].sdp_mline_index, None);
    }

    #[test]
    fn heartbeat_close_status_quality_and_acks() {
        let b: ClientHbReq = client_roundtrip(r#"{"session_ids":[1,2]}"#);
        assert_eq!(b.session_ids, vec![1, 2]);
        let b: CloseSessionReq = client_roundtrip(r#"{"reason":1}"#);
        assert_eq!(b.reason, 1);
        let b: StreamStatusNotify = client_roundtrip(r#"{"camera_status":0,"mic_status":2}"#);
        assert_eq!((b.camera_status, b.mic_status), (0, 2));
        let b: BroadcasterStatusNotify = client_roundtrip(r#"{"status":1}"#);
        assert_eq!(b.status, 1);
        let b: QualityReportReq = client_roundtrip(
            r#"{"streams":[{"aid":5,"stream_type":"publish","stream_id":"s","timeStamp":1}]}"#,
        );
        assert_eq!(b.streams.len(), 1);
        let b: ResultRsp = client_roundtrip(r#"{"result":0}"#);
        assert_eq!(b, ResultRsp::ok());
    }

    #[test]
    fn frames_parse_into_their_messages() {
        let f = |cmd: &str, body: &str| {
            format!(
                r#"{{"header":{{"version":"1.0.1","cmd":"{cmd}","appid":"42","seq":9,"user_id":"alice","session_id":5}},"body":{body}}}"#
            )
        };
        let (h, m) = parse(&f("CreateSessionReq", r#"{"type":1,"stream_id":"s"}"#));
        assert_eq!((h.seq, h.session_id), (9, 5));
        let ClientMsg::CreateSession(b) = m else {
            panic!("{m:?}")
        };
        assert_eq!((b.session_type, b.stream_id.as_str()), (Some(1), "s"));
        for (cmd, want) in [
            ("LoginReq", "Login"),
            ("MediaDescReq", "MediaDesc"),
            ("CandidateInfoReq", "CandidateInfo"),
            ("ClientHBReq", "Heartbeat"),
            ("CloseSessionReq", "CloseSession"),
            ("QualityReportReq", "QualityReport"),
            ("StreamStatusNotify", "StreamStatus"),
            ("BroadcasterStatusNotify", "BroadcasterStatus"),
            ("MediaDescAck", "Ack"),
            ("SessionResetAck", "Ack"),
            ("FooReq", "Unknown"),
        ] {
            let (_, m) = parse(&f(cmd, "{}"));
            let got = format!("{m:?}");
            assert!(got.starts_with(&format!("{want}(")), "{cmd}: {got}");
        }
    }

    #[test]
    fn fields_of_another_type_read_as_missing_as_the_server_always_read_them() {
        let b: CreateSessionReq =
            body_of(&json!({"type": "0", "stream_id": 5, "strAuthParam": null}));
        assert_eq!(b, CreateSessionReq::default());
        let b: MediaDescReq = body_of(&json!({"type": 0, "sdp": 12}));
        assert_eq!(b.sdp, None);
        let b: StreamStatusNotify = body_of(&json!({"camera_status": "2", "mic_status": 2}));
        assert_eq!((b.camera_status, b.mic_status), (0, 2));
        let b: ClientHbReq = body_of(&json!({"session_ids": [3, "4", "x", null]}));
        assert_eq!(b.session_ids, vec![3, 4, 0, 0]);
        let b: ClientHbReq = body_of(&json!({"session_ids": "3"}));
        assert!(b.session_ids.is_empty());
        // A body that is not an object reads as `{}`.
        let (_, m) =
            parse(r#"{"header":{"cmd":"LoginReq","appid":"1","seq":1,"user_id":"u"},"body":"x"}"#);
        assert_eq!(m, ClientMsg::Login(LoginReq::default()));
        let (_, m) = parse(r#"{"header":{"cmd":"MediaDescReq"}}"#);
        assert_eq!(m, ClientMsg::MediaDesc(MediaDescReq::default()));
    }

    #[test]
    fn frames_that_cannot_be_read() {
        assert!(matches!(
            parse_client_frame("not json"),
            Err(MediaFrameError::NotJson(_))
        ));
        assert!(matches!(
            parse_client_frame(r#"{"body":{}}"#),
            Err(MediaFrameError::BadHeader(_))
        ));
        assert!(matches!(
            parse_client_frame(r#"{"header":{"cmd":"LoginReq","seq":"1"}}"#),
            Err(MediaFrameError::BadHeader(_))
        ));
        assert!(matches!(
            parse_client_frame(r#"{"header":{"cmd":5}}"#),
            Err(MediaFrameError::BadHeader(_))
        ));
    }

    // ------------------------------------------------------------ server → client

    #[test]
    fn login_rsp_and_refusals() {
        server_roundtrip(
            LoginRsp {
                nego_interval: 25000,
                nego_try_count: 0,
                nego_try_max_count: 2,
                report: false,
                report_interval_ms: 30000,
                result: 0,
                str_error: String::new(),
                token: String::new(),
                token_type: 0,
            },
            LOGIN_RSP,
        );
        server_roundtrip(
            ResultRsp::refused(1, "unknown appid"),
            r#"{"result":1,"strError":"unknown appid"}"#,
        );
        server_roundtrip(ResultRsp::ok(), r#"{"result":0}"#);
        server_roundtrip(ResultRsp::code(5), r#"{"result":5}"#);
    }

    #[test]
    fn create_session_rsp_with_and_without_turn() {
        server_roundtrip(
            CreateSessionRsp {
                result: 0,
                session_id: 4503599627370495,
                session_token: "4503599627370495".into(),
                str_error: String::new(),
                stun_server: Some("turn:127.0.0.1:3478?transport=tcp".into()),
                turn_auth_key: Some("key".into()),
                turn_server: Some("turn:127.0.0.1:3478?transport=udp".into()),
                turn_username: Some("1700000000:alice".into()),
            },
            CREATE_SESSION_RSP_TURN,
        );
        server_roundtrip(
            CreateSessionRsp {
                result: 0,
                session_id: 7,
                session_token: "7".into(),
                str_error: String::new(),
                ..Default::default()
            },
            r#"{"result":0,"session_id":7,"session_token":"7","strError":""}"#,
        );
    }

    #[test]
    fn heartbeat_rsp_and_pushes() {
        server_roundtrip(
            ClientHbRsp {
                hb_interval: 10000,
                result: 0,
            },
            r#"{"hb_interval":10000,"result":0}"#,
        );
        server_roundtrip(
            MediaDescPush {
                sdp: "v=0\r\n".into(),
                desc_type: 1,
            },
            r#"{"sdp":"v=0\r\n","type":1}"#,
        );
        server_roundtrip(
            CandidateInfoPush {
                infos: vec![CandidateInfo {
                    candidate: "candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host".into(),
                    sdp_mline_index: Some(0),
                    sdp_mid: Some("0".into()),
                }],
            },
            r#"{"infos":[{"candidate":"candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host","sdpMLineIndex":0,"sdpMid":"0"}]}"#,
        );
        server_roundtrip(
            CloseSessionPush {
                err_info: ErrInfo {
                    action: None,
                    code: 9,
                    message: "media connection lost".into(),
                },
                reason: 26,
            },
            r#"{"err_info":{"code":9,"message":"media connection lost"},"reason":26}"#,
        );
        server_roundtrip(
            SessionResetPush {
                reset_type: 1,
                session_ids: vec![5, 424242],
            },
            r#"{"cResetType":1,"session_ids":[5,424242]}"#,
        );
        server_roundtrip(
            StreamEventPush {
                event: 0,
                stream_id: "s".into(),
            },
            r#"{"event":0,"stream_id":"s"}"#,
        );
        server_roundtrip(
            StreamStatusNotifyPush {
                camera_status: 2,
                mic_status: 0,
                stream_id: "s".into(),
            },
            r#"{"camera_status":2,"mic_status":0,"stream_id":"s"}"#,
        );
        // The original service's `err_info.action` (5 = retry) reads.
        let p: CloseSessionPush =
            serde_json::from_str(r#"{"err_info":{"action":5,"code":1,"message":"m"},"reason":4}"#)
                .unwrap();
        assert_eq!(p.err_info.action, Some(5));
    }

    /// Every server message's frame, byte for byte as the untyped server wrote it.
    #[test]
    fn server_frames_are_the_untyped_servers_bytes() {
        let cases: Vec<(ServerMsg, &str, Value)> = vec![
            (
                ServerMsg::Login(LoginRsp {
                    nego_interval: 25000,
                    nego_try_max_count: 2,
                    report_interval_ms: 30000,
                    ..Default::default()
                }),
                "LoginRsp",
                json!({"result": 0, "token": "", "tokenType": 0, "report": false, "report_interval_ms": 30000,
                       "negoInterval": 25000, "negoTryCount": 0, "negoTryMaxCount": 2, "strError": ""}),
            ),
            (
                ServerMsg::result("LoginReq", ResultRsp::refused(2, "LoginReq first")),
                "LoginRsp",
                json!({"result": 2, "strError": "LoginReq first"}),
            ),
            (
                ServerMsg::CreateSession(CreateSessionRsp {
                    session_id: 99,
                    session_token: "99".into(),
                    stun_server: Some("stun:h:1".into()),
                    turn_auth_key: Some("k".into()),
                    turn_server: Some("turn:h:1".into()),
                    turn_username: Some("u".into()),
                    ..Default::default()
                }),
                "CreateSessionRsp",
                json!({"result": 0, "session_id": 99, "session_token": "99", "strError": "",
                       "turn_server": "turn:h:1", "stun_server": "stun:h:1", "turn_username": "u", "turn_auth_key": "k"}),
            ),
            (
                ServerMsg::result("MediaDescReq", ResultRsp::ok()),
                "MediaDescRsp",
                json!({"result": 0}),
            ),
            (
                ServerMsg::result("CandidateInfoReq", ResultRsp::code(5)),
                "CandidateInfoRsp",
                json!({"result": 5}),
            ),
            (
                ServerMsg::result("FooReq", ResultRsp::refused(4, "unknown command")),
                "FooRsp",
                json!({"result": 4, "strError": "unknown command"}),
            ),
            (
                ServerMsg::Heartbeat(ClientHbRsp {
                    hb_interval: 10000,
                    result: 0,
                }),
                "ClientHBRsp",
                json!({"result": 0, "hb_interval": 10000u64}),
            ),
            (
                ServerMsg::MediaDesc(MediaDescPush {
                    sdp: "v=0".into(),
                    desc_type: 1,
                }),
                "MediaDescPush",
                json!({"type": 1, "sdp": "v=0"}),
            ),
            (
                ServerMsg::CandidateInfo(CandidateInfoPush {
                    infos: vec![CandidateInfo {
                        candidate: "c".into(),
                        sdp_mline_index: Some(0),
                        sdp_mid: Some("0".into()),
                    }],
                }),
                "CandidateInfoPush",
                json!({"infos": [{"candidate": "c", "sdpMid": "0", "sdpMLineIndex": 0}]}),
            ),
            (
                ServerMsg::CloseSession(CloseSessionPush {
                    err_info: ErrInfo {
                        action: None,
                        code: 10,
                        message: "taken".into(),
                    },
                    reason: 1,
                }),
                "CloseSessionPush",
                json!({"reason": 1, "err_info": {"code": 10, "message": "taken"}}),
            ),
            (
                ServerMsg::SessionReset(SessionResetPush {
                    reset_type: 1,
                    session_ids: vec![77],
                }),
                "SessionResetPush",
                json!({"cResetType": 1, "session_ids": [77u64]}),
            ),
            (
                ServerMsg::PublishEvent(StreamEventPush {
                    event: 0,
                    stream_id: "s".into(),
                }),
                "PublishEventPush",
                json!({"event": 0, "stream_id": "s"}),
            ),
            (
                ServerMsg::PlayEvent(StreamEventPush {
                    event: 0,
                    stream_id: "s".into(),
                }),
                "PlayEventPush",
                json!({"event": 0, "stream_id": "s"}),
            ),
            (
                ServerMsg::StreamStatus(StreamStatusNotifyPush {
                    camera_status: 2,
                    mic_status: 0,
                    stream_id: "s".into(),
                }),
                "StreamStatusNotifyPush",
                json!({"camera_status": 2, "mic_status": 0, "stream_id": "s"}),
            ),
        ];
        for (msg, cmd, old_body) in cases {
            assert_eq!(msg.cmd(), cmd);
            assert_eq!(
                msg.encode("42", 3, "alice", 99),
                untyped_frame(cmd, 3, 99, old_body),
                "{cmd}"
            );
        }
        assert_eq!(
            ServerMsg::result("CloseSessionReq", ResultRsp::ok()).encode("42", 7, "alice", 5),
            r#"{"body":{"result":0},"header":{"appid":"42","cmd":"CloseSessionRsp","seq":7,"session_id":5,"user_id":"alice","version":"1.0.1"}}"#
        );
    }
}
