/**
 * Wire shapes of the room protocol (notes §1–§6). Hand-written until crates/proto generates them into
 * ./generated/ (ts-rs); then the generated types replace these where names match, so server and SDK cannot drift.
 * Field names are the wire's, quirks included (`Protocol` with a capital P, `hearbeat_interval`, capitalised
 * keys in push_userlist_update).
 */

export interface ReqHeader {
  Protocol: 'req';
  cmd: string;
  appid: number;
  seq: number;
  user_id: string;
  session_id: string;
  room_id: string;
}

/** Header of responses (`protocol: "rsp"`) and pushes (`protocol: "push"`). */
export interface InboundHeader {
  protocol: 'rsp' | 'push' | string;
  cmd: string;
  seq?: number;
  appid: number;
  user_id: string;
  session_id: string;
  room_id: string;
  push_seq?: number;
  from_user_id?: string;
  qos_flag?: number;
}

export interface InboundFrame {
  header: InboundHeader;
  body: Record<string, unknown>;
}

export interface RspBase {
  err_code: number;
  err_message?: string;
}

export interface WireStreamInfo {
  stream_id: string;
  anchor_id_name: string;
  anchor_nick_name: string;
  extra_info: string;
  stream_gid?: string;
  urls_flv?: string[];
  urls_m3u8?: string[];
  urls_https_flv?: string[];
  urls_https_m3u8?: string[];
  urls_rtmp?: string[];
}

export interface LoginReq {
  id_name: string;
  nick_name: string;
  role: number;
  token: string;
  version: string;
  room_name: string;
  user_state_flag: number;
  room_create_flag: number;
  client_type: number;
  third_token: string;
}

export interface LoginRsp extends RspBase {
  user_id: string;
  session_id: string;
  hearbeat_interval: number;
  server_user_seq: number;
  stream_seq: number;
  stream_info: WireStreamInfo[];
  config_info?: { log_level?: number; log_url?: string };
  online_count: number;
  ret_timestamp: string;
  bigim_time_window: number;
  dati_time_window: number;
  anchor_info?: { anchor_id: string; anchor_id_name: string; anchor_nick_name: string };
  cluster_name?: string;
  userlist_interval?: number;
  userlist_merge_timeout?: number;
}

export interface TransSeqEntry {
  trans_type: string;
  trans_seq: number;
}

export interface TransSeqChannel {
  trans_channel: string;
  trans_seq_array: TransSeqEntry[];
}

export interface HbReq {
  reserve: 0;
}

export interface HbRsp extends RspBase {
  hearbeat_interval: number;
  stream_seq: number;
  server_user_seq: number;
  online_count: number;
  bigim_time_window: number;
  dati_time_window: number;
  /** 1.3+ shape (per channel); 1.0.3 servers sent a flat TransSeqEntry[]. */
  trans_seqs: Array<TransSeqChannel | TransSeqEntry>;
  hearbeat_timeout?: number;
}

export interface LogoutReq {
  reserve: 0;
}

export interface StreamInfoReq {
  reserve: 0;
}

export interface StreamInfoRsp extends RspBase {
  stream_seq: number;
  stream_info: WireStreamInfo[];
}

/** `stream` sub commands (publisher side, notes §7.7). */
export const StreamSubCmd = { liveBegin: 2001, liveEnd: 2002, updateInfo: 2003 } as const;

export interface StreamReq {
  sub_cmd: number;
  /** JSON string of StreamMsg. */
  stream_msg: string;
}

export interface StreamMsg {
  stream_id: string;
  extra_info: string;
}

export interface StreamRsp extends RspBase {
  stream_seq: number;
  stream_info?: WireStreamInfo[];
}

export const StreamUpdateCmd = { added: 12001, deleted: 12002, updated: 12003 } as const;

export interface PushStreamUpdate {
  stream_cmd: number;
  stream_seq: number;
  stream_info: WireStreamInfo[];
}

export interface UserListReq {
  user_index: number;
  sort_type: 0;
}

export interface WireUserBaseInfo {
  id_name: string;
  nick_name: string;
  role: number;
}

export interface UserListRsp extends RspBase {
  ret_user_index: number;
  server_user_index: number;
  server_user_seq: number;
  user_baseinfos: WireUserBaseInfo[];
}

export interface WireUserAction {
  Action: number;
  IdName: string;
  NickName: string;
  Role: number;
  LoginTime: number | string;
}

export interface PushUserListUpdate {
  user_list_seq: number;
  room_id: string;
  user_actions: WireUserAction[];
}

export interface CustomMsgReq {
  dest_id_name: string[];
  /** JSON string of CustomMsgEnvelope. */
  custom_msg: string;
}

export interface CustomMsgEnvelope {
  from_userid: string;
  from_username: string;
  request_id: string;
  custom_content: unknown;
  room_id: string;
}

export interface PushCustomMsg {
  custommsg: string;
}

export interface ImChatReq {
  msg_category: number;
  msg_type: number;
  msg_content: string;
}

export interface ImChatRsp extends RspBase {
  msg_id: number;
}

export interface WireChatData {
  id_name: string;
  nick_name: string;
  role: number;
  msg_id: number;
  msg_category: number;
  msg_type: number;
  msg_content: string;
  send_time: number;
}

export interface PushImChat {
  chat_data: WireChatData[];
  server_msg_id: number;
  ret_msg_id: number;
}

/** Join-live `signal` sub commands (client → server) and their pushes (notes §6). */
export const SignalSubCmd = { request: 1001, result: 1002, invite: 1003, stop: 1004 } as const;
export const SignalPushCmd = { request: 11001, result: 11002, invite: 11003, stop: 11004 } as const;

export interface SignalReq {
  sub_cmd: number;
  /** JSON string of SignalMsg. */
  signal_msg: string;
  dest_id_name: string[];
}

export interface SignalMsg {
  request_id: string;
  room_id: string;
  from_userid: string;
  from_username: string;
  to_userid: string;
  result?: number;
}

export interface PushSignal {
  sub_cmd: number;
  signal_msg: string;
}

export interface TransReq {
  trans_type: string;
  trans_data: string;
  trans_local_seq: number;
  trans_channel: string;
}

export interface TransRsp extends RspBase {
  trans_type: string;
  trans_seq: number;
}

export interface PushTrans {
  trans_type: string;
  trans_seq: number;
  trans_data: string;
  trans_user_idname: string;
}

export interface TransFetchReq {
  trans_channel: string;
  fetch_array: TransSeqEntry[];
}

export interface TransFetchResult {
  trans_type: string;
  trans_seq: number;
  trans_data: string;
  trans_user_idname?: string;
  trans_idname?: string;
}

export interface TransFetchRsp extends RspBase {
  trans_fetch_results: TransFetchResult[];
}

export interface RelayReq {
  relay_type: string;
  relay_data: string;
}

export interface RelayRsp extends RspBase {
  relay_result: string;
}

export interface BigimMsg {
  msg_category: number;
  msg_type: number;
  msg_content: string;
  bigmsg_client_id: string;
}

export interface BigimChatReq {
  msgs: BigimMsg[];
}

export interface BigimChatRsp extends RspBase {
  bigim_time_window?: number;
  msgs: Array<{ bigmsg_client_id: string; bigmsg_id: string }>;
}

/** push_merge_message sub_cmd carrying big-room messages. */
export const MERGE_SUB_CMD_BIGIM = 14001;

export interface PushMergeMessage {
  messages: Array<{ sub_cmd: number; msg_body: string }>;
}

export interface BigimMergeBody {
  room_id: string;
  msg_data: Array<{
    id_name: string;
    nick_name: string;
    bigmsg_id: string;
    msg_category: number;
    msg_type: number;
    msg_content: string;
    send_time: number;
  }>;
}

export interface PushKickout {
  reason: number | string;
}
