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
    pub id_name: String,
    #[serde(default)]
    pub nick_name: String,
    pub role: u8,
    pub token: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub room_name: String,
    #[serde(default)]
    pub user_state_flag: u8,
    #[serde(default = "one")]
    pub room_create_flag: u8,
    #[serde(default)]
    pub client_type: u8,
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
    pub stream_id: String,
    pub anchor_id_name: String,
    pub anchor_nick_name: String,
    pub extra_info: String,
    pub stream_gid: String,
    pub urls_flv: Vec<String>,
    pub urls_m3u8: Vec<String>,
    pub urls_https_flv: Vec<String>,
    pub urls_https_m3u8: Vec<String>,
    pub urls_rtmp: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct ConfigInfo {
    pub log_level: i32,
    pub log_url: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct AnchorInfo {
    pub anchor_id: String,
    pub anchor_id_name: String,
    pub anchor_nick_name: String,
}

/// `login` reply body (without `err_code`/`err_message`, which `Reply` adds).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct LoginRsp {
    pub user_id: String,
    pub session_id: String,
    pub hearbeat_interval: u32,
    pub hearbeat_timeout: u32,
    pub server_user_seq: u32,
    pub stream_seq: u32,
    pub stream_info: Vec<StreamInfo>,
    pub config_info: ConfigInfo,
    pub online_count: u32,
    /// Server time in ms, as a string.
    pub ret_timestamp: String,
    pub bigim_time_window: u32,
    pub dati_time_window: u32,
    pub anchor_info: AnchorInfo,
    pub cluster_name: String,
    pub cluster_env: u32,
    pub userlist_interval: u32,
    pub userlist_merge_timeout: u32,
}

// ---------------------------------------------------------------- heartbeat

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct TransSeq {
    pub trans_type: String,
    pub trans_seq: u32,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct TransChannelSeqs {
    pub trans_channel: String,
    pub trans_seq_array: Vec<TransSeq>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct HbRsp {
    pub hearbeat_interval: u32,
    pub hearbeat_timeout: u32,
    pub stream_seq: u32,
    pub server_user_seq: u32,
    pub online_count: u32,
    pub bigim_time_window: u32,
    pub dati_time_window: u32,
    pub trans_seqs: Vec<TransChannelSeqs>,
    pub user_trans_seqs: Vec<TransChannelSeqs>,
}

// ---------------------------------------------------------------- streams

/// `stream` sub_cmd values and `push_stream_update` stream_cmd values.
pub mod stream_cmd {
    pub const LIVE_BEGIN: u32 = 2001;
    pub const LIVE_END: u32 = 2002;
    pub const EXTRA_INFO: u32 = 2003;
    pub const PUSH_ADDED: u32 = 12001;
    pub const PUSH_DELETED: u32 = 12002;
    pub const PUSH_UPDATED: u32 = 12003;
}

#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct StreamReq {
    pub sub_cmd: u32,
    /// JSON string of `StreamMsg`.
    pub stream_msg: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct StreamMsg {
    pub stream_id: String,
    #[serde(default)]
    pub extra_info: String,
}

/// Reply to `stream` and to `stream_info`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct StreamListRsp {
    pub stream_seq: u32,
    pub stream_info: Vec<StreamInfo>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct PushStreamUpdate {
    pub stream_cmd: u32,
    pub stream_seq: u32,
    pub stream_info: Vec<StreamInfo>,
    pub room_id: String,
}

// ---------------------------------------------------------------- users

#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct UserListReq {
    #[serde(default)]
    pub user_index: u32,
    #[serde(default)]
    pub sort_type: u32,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct UserBaseInfo {
    pub id_name: String,
    pub nick_name: String,
    pub role: u8,
}

/// Paging is 1-based: `ret_user_index` is the position of the last user returned,
/// `server_user_index` the room's user count; the next page starts at `ret_user_index + 1`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct UserListRsp {
    pub ret_user_index: u32,
    pub server_user_index: u32,
    pub server_user_seq: u32,
    pub user_baseinfos: Vec<UserBaseInfo>,
}

/// One entry of `push_userlist_update` (capitalised keys on the wire).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct UserAction {
    /// 1 joined, 2 left.
    #[serde(rename = "Action")]
    pub action: u8,
    #[serde(rename = "IdName")]
    pub id_name: String,
    #[serde(rename = "NickName")]
    pub nick_name: String,
    #[serde(rename = "Role")]
    pub role: u8,
    /// Login time, unix milliseconds as a string.
    #[serde(rename = "LoginTime")]
    pub login_time: String,
}

pub mod user_action {
    pub const JOIN: u8 = 1;
    pub const LEAVE: u8 = 2;
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct PushUserlistUpdate {
    pub user_list_seq: u32,
    pub room_id: String,
    pub user_actions: Vec<UserAction>,
}

// ---------------------------------------------------------------- custom commands, chat

#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct CustomMsgReq {
    pub dest_id_name: Vec<String>,
    /// JSON string of `CustomMsgEnvelope`.
    pub custom_msg: String,
}

/// What the SDK puts inside `custom_msg` (notes §2).
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct CustomMsgEnvelope {
    pub from_userid: String,
    #[serde(default)]
    pub from_username: String,
    #[serde(default)]
    pub request_id: String,
    /// A string, or an object (its JSON counts against the limit).
    #[ts(type = "string | Record<string, unknown>")]
    pub custom_content: serde_json::Value,
    #[serde(default)]
    pub room_id: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct PushCustomMsg {
    pub custommsg: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct ImChatReq {
    pub msg_category: u32,
    pub msg_type: u32,
    pub msg_content: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct ImChatRsp {
    #[ts(type = "number")]
    pub msg_id: u64,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct ChatData {
    pub id_name: String,
    pub nick_name: String,
    pub role: u8,
    #[ts(type = "number")]
    pub msg_id: u64,
    pub msg_category: u32,
    pub msg_type: u32,
    pub msg_content: String,
    /// Unix milliseconds.
    #[ts(type = "number")]
    pub send_time: u64,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct PushImChat {
    pub chat_data: Vec<ChatData>,
    #[ts(type = "number")]
    pub server_msg_id: u64,
    #[ts(type = "number")]
    pub ret_msg_id: u64,
}

// ---------------------------------------------------------------- join-live signals

pub mod signal_cmd {
    pub const REQUEST: u32 = 1001;
    pub const RESULT: u32 = 1002;
    pub const INVITE: u32 = 1003;
    pub const END: u32 = 1004;
    /// Push sub_cmd = request sub_cmd + this.
    pub const PUSH_OFFSET: u32 = 10000;
}

#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct SignalReq {
    pub sub_cmd: u32,
    /// JSON string of `SignalMsg`.
    pub signal_msg: String,
    pub dest_id_name: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct SignalMsg {
    pub request_id: String,
    #[serde(default)]
    pub room_id: String,
    pub from_userid: String,
    #[serde(default)]
    pub from_username: String,
    #[serde(default)]
    pub to_userid: String,
    #[serde(default)]
    #[ts(optional)]
    pub result: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct PushSignal {
    pub sub_cmd: u32,
    pub signal_msg: String,
}

// ---------------------------------------------------------------- reliable messages

#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct TransReq {
    pub trans_type: String,
    pub trans_data: String,
    #[serde(default)]
    pub trans_local_seq: u32,
    #[serde(default)]
    pub trans_channel: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct TransRsp {
    pub trans_type: String,
    pub trans_seq: u32,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct PushTrans {
    pub trans_type: String,
    pub trans_seq: u32,
    pub trans_data: String,
    pub trans_user_idname: String,
    pub trans_channel: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct TransFetchItem {
    pub trans_type: String,
    #[serde(default)]
    pub trans_seq: u32,
}

/// `trans_fetch`: the 1.3+ form sends `fetch_array`; 1.0.3 sent one type per request.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct TransFetchReq {
    #[serde(default)]
    pub trans_channel: String,
    #[serde(default)]
    pub fetch_array: Vec<TransFetchItem>,
    #[serde(default)]
    #[ts(optional)]
    pub trans_type: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub trans_local_seq: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct TransFetchResult {
    pub trans_type: String,
    pub trans_seq: u32,
    pub trans_data: String,
    pub trans_user_idname: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct TransFetchRsp {
    pub trans_channel: String,
    pub trans_fetch_results: Vec<TransFetchResult>,
}

// ---------------------------------------------------------------- relay, big-room messages

#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct RelayReq {
    pub relay_type: String,
    pub relay_data: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct RelayRsp {
    pub relay_result: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct BigImMsg {
    pub msg_category: u32,
    pub msg_type: u32,
    pub msg_content: String,
    pub bigmsg_client_id: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct BigImReq {
    pub msgs: Vec<BigImMsg>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct BigImAck {
    pub bigmsg_client_id: String,
    pub bigmsg_id: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct BigImRsp {
    pub bigim_time_window: u32,
    pub msgs: Vec<BigImAck>,
}

/// `sub_cmd` of a merged big-room message batch.
pub const MERGE_SUB_CMD_BIGIM: u32 = 14001;

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct MergeMessage {
    pub sub_cmd: u32,
    /// JSON string of `BigImMerge`.
    pub msg_body: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct PushMergeMessage {
    pub messages: Vec<MergeMessage>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct BigImData {
    pub id_name: String,
    pub nick_name: String,
    pub bigmsg_id: String,
    pub msg_category: u32,
    pub msg_type: u32,
    pub msg_content: String,
    #[ts(type = "number")]
    pub send_time: u64,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct BigImMerge {
    pub room_id: String,
    pub msg_data: Vec<BigImData>,
}

// ---------------------------------------------------------------- media dispatch

#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

/// `biz_channel` (notes §8): a business command for a server module, its body a JSON string.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct BizChannelReq {
    pub channel: String,
    pub cmd: String,
    #[serde(default)]
    pub req_body: String,
}

/// `biz_channel` answer: the module's answer as a JSON string (also on errors, where the
/// module has details such as missing mix inputs).
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct BizChannelRsp {
    pub cmd: String,
    pub rsp_body: String,
}

/// `webrtc_url`: where to signal a publish (`ptype: "push"`) or a play (`"pull"`).
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export)]
pub struct WebrtcUrlReq {
    pub stream_id: String,
    pub ptype: String,
    #[serde(default)]
    pub signals: Vec<String>,
    #[serde(default)]
    pub header_kvs: Vec<KeyValue>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct WebrtcUrlRsp {
    pub stream_id: String,
    pub ptype: String,
    pub urls: Vec<String>,
}

// ---------------------------------------------------------------- kick-out

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, TS)]
#[ts(export)]
pub struct PushKickout {
    pub reason: u32,
    pub err_message: String,
}

/// Replies carry `err_code` and `err_message` next to the command's own fields.
#[derive(Debug, Clone, Serialize)]
pub struct Reply<'a, T: Serialize> {
    pub err_code: u32,
    pub err_message: &'a str,
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
