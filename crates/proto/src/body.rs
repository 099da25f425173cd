//! Bodies of requests, replies and pushes, with the wire's exact field names.
//!
//! Request bodies are lenient where the original clients differ (optional fields default);
//! required fields are required, so a missing one is a `BAD_BODY` reply naming it.
//! Every type exports a TypeScript twin into `sdk/src/wire/generated/`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

// ---------------------------------------------------------------- login

/// `login` request (plain and `loginWithAuthor`, which fills `third_token`).
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct LoginReq {
    /// The app's user id (distinct from the server-assigned `user_id`).
    pub id_name: String,
    /// Display name.
    #[serde(default)]
    pub nick_name: String,
    /// 1 anchor, 2 audience.
    pub role: u8,
    /// The login token the app's server issued.
    pub token: String,
    /// SDK version string, e.g. `"1.3.0"`.
    #[serde(default)]
    pub version: String,
    /// The room id.
    #[serde(default)]
    pub room_name: String,
    /// 1 if the client asked for user-state updates (`setUserStateUpdate(true)`) before login.
    #[serde(default)]
    pub user_state_flag: u8,
    /// 0 if this login must not create the room (`audienceCreateRoom: false`), else 1.
    #[serde(default = "one")]
    pub room_create_flag: u8,
    /// 3 WebRTC, 1 H5, 2 mini-program.
    #[serde(default)]
    pub client_type: u8,
    /// Third-party token of `loginWithAuthor`; empty for a plain login.
    #[serde(default)]
    pub third_token: String,
}

fn one() -> u8 {
    1
}

/// A stream as listed in the room (notes §8.3).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct StreamInfo {
    /// The stream id.
    pub stream_id: String,
    /// `id_name` of the publisher.
    pub anchor_id_name: String,
    /// Nick name of the publisher.
    pub anchor_nick_name: String,
    /// The publisher's extra info (free-form string).
    pub extra_info: String,
    /// Opaque group id; clients store it.
    pub stream_gid: String,
    /// HTTP-FLV playback URLs.
    pub urls_flv: Vec<String>,
    /// HLS playback URLs.
    pub urls_m3u8: Vec<String>,
    /// HTTPS-FLV playback URLs.
    pub urls_https_flv: Vec<String>,
    /// HTTPS HLS playback URLs.
    pub urls_https_m3u8: Vec<String>,
    /// RTMP playback URLs.
    pub urls_rtmp: Vec<String>,
}

/// Remote logging settings sent at login.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct ConfigInfo {
    /// Remote log level; overrides the client's own setting.
    pub log_level: i32,
    /// Remote log server URL; empty for none.
    pub log_url: String,
}

/// The room's anchor, as reported to `onGetAnchorInfo`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct AnchorInfo {
    /// The anchor's server-assigned user id.
    pub anchor_id: String,
    /// The anchor's `id_name`.
    pub anchor_id_name: String,
    /// The anchor's nick name.
    pub anchor_nick_name: String,
}

/// `login` reply body (without `err_code`/`err_message`, which `Reply` adds).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct LoginRsp {
    /// Server-assigned user id (decimal string of a 64-bit number).
    pub user_id: String,
    /// Server-assigned session id (decimal string of a 64-bit number).
    pub session_id: String,
    /// Heartbeat interval in ms (the wire's spelling).
    pub hearbeat_interval: u32,
    /// Server-side session timeout in ms: a session silent this long is dropped.
    pub hearbeat_timeout: u32,
    /// Sequence of the room's user list.
    pub server_user_seq: u32,
    /// Sequence of the room's stream list.
    pub stream_seq: u32,
    /// The streams being published in the room.
    pub stream_info: Vec<StreamInfo>,
    /// Remote logging settings.
    pub config_info: ConfigInfo,
    /// Users in the room.
    pub online_count: u32,
    /// Server time in ms, as a string.
    pub ret_timestamp: String,
    /// Big-room message batching window in ms (0 = no batching).
    pub bigim_time_window: u32,
    /// Relay message batching window in ms (0 = no batching).
    pub dati_time_window: u32,
    /// The room's anchor.
    pub anchor_info: AnchorInfo,
    /// Opaque cluster name.
    pub cluster_name: String,
    /// 1 for a test environment.
    pub cluster_env: u32,
    /// Minimum ms between two full user-list fetches.
    pub userlist_interval: u32,
    /// How long (ms) the client buffers out-of-order user-list pushes.
    pub userlist_merge_timeout: u32,
}

// ---------------------------------------------------------------- heartbeat

/// Latest sequence of one reliable-message type.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct TransSeq {
    /// The reliable-message type.
    pub trans_type: String,
    /// Its latest sequence.
    pub trans_seq: u32,
}

/// Latest reliable-message sequences of one channel.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct TransChannelSeqs {
    /// The channel (`"clt"` for client messages).
    pub trans_channel: String,
    /// One entry per type.
    pub trans_seq_array: Vec<TransSeq>,
}

/// `hb` reply body.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct HbRsp {
    /// Heartbeat interval in ms (the wire's spelling).
    pub hearbeat_interval: u32,
    /// Server-side session timeout in ms.
    pub hearbeat_timeout: u32,
    /// Sequence of the room's stream list; a change makes the client fetch it.
    pub stream_seq: u32,
    /// Sequence of the room's user list; a change makes the client refetch it.
    pub server_user_seq: u32,
    /// Users in the room.
    pub online_count: u32,
    /// Big-room message batching window in ms.
    pub bigim_time_window: u32,
    /// Relay message batching window in ms.
    pub dati_time_window: u32,
    /// Latest reliable-message sequences, per channel and type.
    pub trans_seqs: Vec<TransChannelSeqs>,
    /// Per-user reliable-message sequences; opaque to clients, sent empty.
    pub user_trans_seqs: Vec<TransChannelSeqs>,
}

// ---------------------------------------------------------------- streams

/// `stream` sub_cmd values and `push_stream_update` stream_cmd values.
pub mod stream_cmd {
    /// A publisher starts its stream.
    pub const LIVE_BEGIN: u32 = 2001;
    /// A publisher ends its stream.
    pub const LIVE_END: u32 = 2002;
    /// A publisher updates its stream's extra info.
    pub const EXTRA_INFO: u32 = 2003;
    /// Push: streams were added.
    pub const PUSH_ADDED: u32 = 12001;
    /// Push: streams were deleted.
    pub const PUSH_DELETED: u32 = 12002;
    /// Push: streams' extra info changed.
    pub const PUSH_UPDATED: u32 = 12003;
}

/// `stream` request: a publisher registers, updates or ends its stream.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct StreamReq {
    /// One of [`stream_cmd`]'s request values.
    pub sub_cmd: u32,
    /// JSON string of `StreamMsg`.
    pub stream_msg: String,
}

/// What `StreamReq::stream_msg` holds.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct StreamMsg {
    /// The stream id.
    pub stream_id: String,
    /// The stream's extra info.
    #[serde(default)]
    pub extra_info: String,
}

/// Reply to `stream` and to `stream_info`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct StreamListRsp {
    /// Sequence of the room's stream list after the change.
    pub stream_seq: u32,
    /// The streams being published in the room.
    pub stream_info: Vec<StreamInfo>,
}

/// `push_stream_update`: streams added, deleted or changed.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct PushStreamUpdate {
    /// One of [`stream_cmd`]'s push values.
    pub stream_cmd: u32,
    /// Sequence of the room's stream list after the change.
    pub stream_seq: u32,
    /// The streams concerned.
    pub stream_info: Vec<StreamInfo>,
    /// The room id.
    pub room_id: String,
}

// ---------------------------------------------------------------- users

/// `user_list` request: one page of the room's users.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct UserListReq {
    /// Where the page starts (0 or the previous `ret_user_index + 1`).
    #[serde(default)]
    pub user_index: u32,
    /// Sort order; clients send 0.
    #[serde(default)]
    pub sort_type: u32,
}

/// One user of a `user_list` page.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct UserBaseInfo {
    /// The user's `id_name`.
    pub id_name: String,
    /// The user's nick name.
    pub nick_name: String,
    /// 1 anchor, 2 audience.
    pub role: u8,
}

/// Paging is 1-based: `ret_user_index` is the position of the last user returned,
/// `server_user_index` the room's user count; the next page starts at `ret_user_index + 1`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct UserListRsp {
    /// Position of the last user returned.
    pub ret_user_index: u32,
    /// The room's user count.
    pub server_user_index: u32,
    /// Sequence of the room's user list.
    pub server_user_seq: u32,
    /// The users of this page.
    pub user_baseinfos: Vec<UserBaseInfo>,
}

/// One entry of `push_userlist_update` (capitalised keys on the wire).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct UserAction {
    /// 1 joined, 2 left.
    #[serde(rename = "Action")]
    pub action: u8,
    /// The user's `id_name`.
    #[serde(rename = "IdName")]
    pub id_name: String,
    /// The user's nick name.
    #[serde(rename = "NickName")]
    pub nick_name: String,
    /// 1 anchor, 2 audience.
    #[serde(rename = "Role")]
    pub role: u8,
    /// Login time, unix milliseconds as a string.
    #[serde(rename = "LoginTime")]
    pub login_time: String,
}

/// [`UserAction::action`] values.
pub mod user_action {
    /// The user joined.
    pub const JOIN: u8 = 1;
    /// The user left.
    pub const LEAVE: u8 = 2;
}

/// `push_userlist_update`: users joined or left.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct PushUserlistUpdate {
    /// Sequence of the room's user list after these actions.
    pub user_list_seq: u32,
    /// The room id.
    pub room_id: String,
    /// The joins and leaves, in order.
    pub user_actions: Vec<UserAction>,
}

// ---------------------------------------------------------------- custom commands, chat

/// `custommsg` request: a custom command to some users of the room.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct CustomMsgReq {
    /// Recipients' `id_name`s (not empty: no room broadcast).
    pub dest_id_name: Vec<String>,
    /// JSON string of `CustomMsgEnvelope`.
    pub custom_msg: String,
}

/// What the SDK puts inside `custom_msg` (notes §2).
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct CustomMsgEnvelope {
    /// Sender's `id_name`.
    pub from_userid: String,
    /// Sender's nick name.
    #[serde(default)]
    pub from_username: String,
    /// `"<idName>-<n>"`, chosen by the sender.
    #[serde(default)]
    pub request_id: String,
    /// A string, or an object (its JSON counts against the limit).
    #[ts(type = "string | Record<string, unknown>")]
    pub custom_content: serde_json::Value,
    /// The room id.
    #[serde(default)]
    pub room_id: String,
}

/// `push_custommsg`: a custom command delivered to a recipient.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct PushCustomMsg {
    /// The sender's `custom_msg` string, unchanged.
    pub custommsg: String,
}

/// `im_chat` request: a room chat message.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct ImChatReq {
    /// 1 chat, 2 system.
    pub msg_category: u32,
    /// 1 text, 2 image URL, 3 file URL.
    pub msg_type: u32,
    /// The message content.
    pub msg_content: String,
}

/// `im_chat` reply.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct ImChatRsp {
    /// The id the server gave the message.
    #[ts(type = "number")]
    pub msg_id: u64,
}

/// One chat message of `push_im_chat`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct ChatData {
    /// Sender's `id_name`.
    pub id_name: String,
    /// Sender's nick name.
    pub nick_name: String,
    /// Sender's role: 1 anchor, 2 audience.
    pub role: u8,
    /// The message id.
    #[ts(type = "number")]
    pub msg_id: u64,
    /// 1 chat, 2 system.
    pub msg_category: u32,
    /// 1 text, 2 image URL, 3 file URL.
    pub msg_type: u32,
    /// The message content.
    pub msg_content: String,
    /// Unix milliseconds.
    #[ts(type = "number")]
    pub send_time: u64,
}

/// `push_im_chat`: room chat messages.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct PushImChat {
    /// The messages.
    pub chat_data: Vec<ChatData>,
    /// The server's latest message id.
    #[ts(type = "number")]
    pub server_msg_id: u64,
    /// Id of the latest message in this push.
    #[ts(type = "number")]
    pub ret_msg_id: u64,
}

// ---------------------------------------------------------------- join-live signals

/// Join-live `signal` sub_cmd values.
pub mod signal_cmd {
    /// Request to join live.
    pub const REQUEST: u32 = 1001;
    /// Answer to a request or an invitation.
    pub const RESULT: u32 = 1002;
    /// Invitation to join live.
    pub const INVITE: u32 = 1003;
    /// End of join-live.
    pub const END: u32 = 1004;
    /// Push sub_cmd = request sub_cmd + this.
    pub const PUSH_OFFSET: u32 = 10000;
}

/// `signal` request: a join-live signal to some users.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct SignalReq {
    /// One of [`signal_cmd`]'s request values.
    pub sub_cmd: u32,
    /// JSON string of `SignalMsg`.
    pub signal_msg: String,
    /// Recipients' `id_name`s.
    pub dest_id_name: Vec<String>,
}

/// What `SignalReq::signal_msg` holds.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct SignalMsg {
    /// `"<idName>-<n>"`; an answer reuses the request's.
    pub request_id: String,
    /// The room id.
    #[serde(default)]
    pub room_id: String,
    /// Sender's `id_name`.
    pub from_userid: String,
    /// Sender's nick name.
    #[serde(default)]
    pub from_username: String,
    /// Recipient's `id_name`.
    #[serde(default)]
    pub to_userid: String,
    /// In a [`signal_cmd::RESULT`]: 1 accepted, 0 refused.
    #[serde(default)]
    #[ts(optional)]
    pub result: Option<u32>,
}

/// `push_signal`: a join-live signal delivered to a recipient.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct PushSignal {
    /// Request sub_cmd + [`signal_cmd::PUSH_OFFSET`].
    pub sub_cmd: u32,
    /// The sender's `signal_msg` string, unchanged.
    pub signal_msg: String,
}

// ---------------------------------------------------------------- reliable messages

/// `trans` request: a reliable message (the room keeps the latest per type).
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct TransReq {
    /// The message type.
    pub trans_type: String,
    /// The message data.
    pub trans_data: String,
    /// The sender's last known sequence of this type.
    #[serde(default)]
    pub trans_local_seq: u32,
    /// The channel; clients send `"clt"`.
    #[serde(default)]
    pub trans_channel: String,
}

/// `trans` reply.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct TransRsp {
    /// The message type.
    pub trans_type: String,
    /// The sequence the server gave the message.
    pub trans_seq: u32,
}

/// `push_trans`: a reliable message delivered to the room.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct PushTrans {
    /// The message type.
    pub trans_type: String,
    /// Its sequence.
    pub trans_seq: u32,
    /// The message data.
    pub trans_data: String,
    /// Sender's `id_name`.
    pub trans_user_idname: String,
    /// The channel.
    pub trans_channel: String,
}

/// One type asked for in `trans_fetch`.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct TransFetchItem {
    /// The message type.
    pub trans_type: String,
    /// The sequence the client knows.
    #[serde(default)]
    pub trans_seq: u32,
}

/// `trans_fetch`: the 1.3+ form sends `fetch_array`; 1.0.3 sent one type per request.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct TransFetchReq {
    /// The channel.
    #[serde(default)]
    pub trans_channel: String,
    /// The types to fetch (1.3+).
    #[serde(default)]
    pub fetch_array: Vec<TransFetchItem>,
    /// The one type to fetch (1.0.3).
    #[serde(default)]
    #[ts(optional)]
    pub trans_type: Option<String>,
    /// The sequence the client knows of that type (1.0.3).
    #[serde(default)]
    #[ts(optional)]
    pub trans_local_seq: Option<u32>,
}

/// The latest message of one type, in a `trans_fetch` reply.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct TransFetchResult {
    /// The message type.
    pub trans_type: String,
    /// Its sequence.
    pub trans_seq: u32,
    /// The message data.
    pub trans_data: String,
    /// Sender's `id_name`.
    pub trans_user_idname: String,
}

/// `trans_fetch` reply.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct TransFetchRsp {
    /// The channel.
    pub trans_channel: String,
    /// The latest message of each type asked for.
    pub trans_fetch_results: Vec<TransFetchResult>,
}

// ---------------------------------------------------------------- relay, big-room messages

/// `relay` request: a message for the app's business server.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct RelayReq {
    /// The message type.
    pub relay_type: String,
    /// The message data.
    pub relay_data: String,
}

/// `relay` reply.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct RelayRsp {
    /// The business server's answer.
    pub relay_result: String,
}

/// One message of a `bigim_chat` request.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct BigImMsg {
    /// 1 chat, 2 system.
    pub msg_category: u32,
    /// 1 text, 2 image URL, 3 file URL.
    pub msg_type: u32,
    /// The message content.
    pub msg_content: String,
    /// The sender's local id of the message, echoed in the ack.
    pub bigmsg_client_id: String,
}

/// `bigim_chat` request: a batch of big-room messages.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct BigImReq {
    /// The messages (at most [`crate::limits::BIGIM_MSGS_PER_REQUEST`]).
    pub msgs: Vec<BigImMsg>,
}

/// The server's ack of one big-room message.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct BigImAck {
    /// The sender's local id of the message.
    pub bigmsg_client_id: String,
    /// The id the server gave the message.
    pub bigmsg_id: String,
}

/// `bigim_chat` reply.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct BigImRsp {
    /// Big-room message batching window in ms.
    pub bigim_time_window: u32,
    /// One ack per message of the request.
    pub msgs: Vec<BigImAck>,
}

/// `sub_cmd` of a merged big-room message batch.
pub const MERGE_SUB_CMD_BIGIM: u32 = 14001;

/// One message of `push_merge_message`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct MergeMessage {
    /// What the body is ([`MERGE_SUB_CMD_BIGIM`]).
    pub sub_cmd: u32,
    /// JSON string of `BigImMerge`.
    pub msg_body: String,
}

/// `push_merge_message`: merged messages, one push per room per window.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct PushMergeMessage {
    /// The merged messages.
    pub messages: Vec<MergeMessage>,
}

/// One big-room message in a [`BigImMerge`].
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct BigImData {
    /// Sender's `id_name`.
    pub id_name: String,
    /// Sender's nick name.
    pub nick_name: String,
    /// The message id.
    pub bigmsg_id: String,
    /// 1 chat, 2 system.
    pub msg_category: u32,
    /// 1 text, 2 image URL, 3 file URL.
    pub msg_type: u32,
    /// The message content.
    pub msg_content: String,
    /// Unix milliseconds.
    #[ts(type = "number")]
    pub send_time: u64,
}

/// Body of a merged big-room batch: the room's messages of one window.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct BigImMerge {
    /// The room id.
    pub room_id: String,
    /// The messages.
    pub msg_data: Vec<BigImData>,
}

// ---------------------------------------------------------------- media dispatch

/// A header key and value for the media server.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct KeyValue {
    /// The key, e.g. `grpc-metadata-push`.
    pub key: String,
    /// The value.
    pub value: String,
}

/// `biz_channel` (notes §8): a business command for a server module, its body a JSON string.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct BizChannelReq {
    /// The module: `zeus` (mixing) or `media` (CDN relay).
    pub channel: String,
    /// The module's command, e.g. `start_mix`.
    pub cmd: String,
    /// The command's body, a JSON string.
    #[serde(default)]
    pub req_body: String,
}

/// `biz_channel` answer: the module's answer as a JSON string (also on errors, where the
/// module has details such as missing mix inputs).
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct BizChannelRsp {
    /// The command answered.
    pub cmd: String,
    /// The module's answer, a JSON string.
    pub rsp_body: String,
}

/// `webrtc_url`: where to signal a publish (`ptype: "push"`) or a play (`"pull"`).
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct WebrtcUrlReq {
    /// The stream id.
    pub stream_id: String,
    /// `"push"` or `"pull"`.
    pub ptype: String,
    /// Media-signalling URLs the client is already connected to.
    #[serde(default)]
    pub signals: Vec<String>,
    /// Extra headers; `grpc-metadata-push` carries the publish option `cdnUrl`.
    #[serde(default)]
    pub header_kvs: Vec<KeyValue>,
}

/// `webrtc_url` reply.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct WebrtcUrlRsp {
    /// The stream id.
    pub stream_id: String,
    /// `"push"` or `"pull"`.
    pub ptype: String,
    /// Media-signalling (wss) URLs to use.
    pub urls: Vec<String>,
}

// ---------------------------------------------------------------- kick-out

/// `push_kickout`: the session is removed from the room.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct PushKickout {
    /// One of [`crate::errors::kick_reason`].
    pub reason: u32,
    /// A short text for the reason.
    pub err_message: String,
}

/// Replies carry `err_code` and `err_message` next to the command's own fields.
#[derive(Debug, Clone, Serialize)]
pub struct Reply<'a, T: Serialize> {
    /// 0 on success.
    pub err_code: u32,
    /// What went wrong, or `"success"`.
    pub err_message: &'a str,
    /// The command's own fields.
    #[serde(flatten)]
    pub body: T,
}

/// An error reply's body: `{"err_code":N,"err_message":"..."}`.
pub fn error_body(code: crate::ErrCode, detail: &str) -> Vec<u8> {
    let msg = if detail.is_empty() {
        code.message().to_string()
    } else {
        format!("{}: {}", code.message(), detail)
    };
    serde_json::to_vec(&serde_json::json!({"err_code": code.0, "err_message": msg}))
        .unwrap_or_default()
}

/// A success reply's body: the command's fields plus `err_code: 0`.
pub fn ok_body<T: Serialize>(body: T) -> Vec<u8> {
    serde_json::to_vec(&Reply {
        err_code: 0,
        err_message: "success",
        body,
    })
    .unwrap_or_default()
}

/// A body with no fields of its own.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Empty {}
