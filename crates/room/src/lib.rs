//! One room's state as a sans-IO state machine: members, streams, sequences, messages.
//!
//! Time comes in as [`Now`]; timers are asked for with [`Room::poll_timeout`] and run by
//! [`Room::handle_timeout`]. Pushes go straight to the members' [`Outbox`]es (which never
//! block); things the owner must act on (a member gone, so its login claim can be released)
//! come out of [`Room::drain_events`]. The async actor in the server is a thin shell around it.

#![warn(missing_docs)]

mod members;
mod messages;
mod outbox;
mod streams;
mod trans;
pub use trans::TransHandover;

pub use outbox::{Outbox, Push};

use liveroom_proto::body::{self, AnchorInfo, ConfigInfo, HbRsp, LoginRsp};
use liveroom_proto::ErrCode;
use members::Members;
use std::sync::Arc;

/// The time, both monotonic (for timeouts) and wall clock (for timestamps on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Monotonic milliseconds (any origin).
    pub mono_ms: u64,
    /// Wall-clock unix milliseconds.
    pub unix_ms: u64,
}

/// How often members are checked for heartbeat and reconnect timeouts.
pub const SWEEP_INTERVAL_MS: u64 = 1000;
/// Sent to clients as `userlist_interval` (1.9.x user-list logic).
pub const USERLIST_INTERVAL_MS: u32 = 30_000;
/// Sent to clients as `userlist_merge_timeout` (1.9.x user-list logic).
pub const USERLIST_MERGE_TIMEOUT_MS: u32 = 5_000;

/// Room behaviour that comes from the server's configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Heartbeat interval sent to clients (`hearbeat_interval`).
    pub heartbeat_interval_ms: u32,
    /// A connected member silent for this long is removed.
    pub session_timeout_ms: u32,
    /// A member whose connection dropped keeps its place and streams this long.
    pub reconnect_grace_ms: u32,
    /// Big-room message batching window sent to clients (`bigim_time_window`).
    pub bigim_time_window_ms: u32,
    /// Relay message batching window sent to clients (`dati_time_window`).
    pub dati_time_window_ms: u32,
    /// Members a room admits; further logins are refused with `ROOM_FULL`.
    pub max_users: usize,
    /// `config_info.log_level` of the login reply: the level of the SDK's remote logging.
    pub log_level: i32,
    /// `config_info.log_url`; empty for none.
    pub log_url: String,
    /// `cluster_name` of the login reply.
    pub cluster_name: String,
    /// Where streams play outside WebRTC (HTTP-FLV / HLS), for the stream list's `urls_*`;
    /// None = no such outputs (lists carry empty arrays).
    pub live_urls: Option<LiveUrls>,
}

/// The URL prefix of a room's live outputs, up to the slash before the stream id, e.g.
/// `http://host/live/7/`; a stream plays at `{prefix}{percent-encoded id}.flv` and `.m3u8`,
/// followed by `?{query}` when a signer gives one (signed URLs, expiring).
#[derive(Clone, Default)]
pub struct LiveUrls {
    /// Everything up to the stream id, e.g. `http://host/live/7/`.
    pub prefix: String,
    /// The room's app, passed to the signer.
    pub appid: u64,
    /// None = plain URLs.
    pub signer: Option<LiveUrlSigner>,
}

/// Signs a stream's live URLs: `(appid, stream_id, now_unix_secs)` → the query string to
/// append (without `?`), or None when the app's URLs are not signed. Made by the server (which
/// holds the secrets); the room only calls it.
pub type LiveUrlSigner = Arc<dyn Fn(u64, &str, u64) -> Option<String> + Send + Sync>;

impl std::fmt::Debug for LiveUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveUrls")
            .field("prefix", &self.prefix)
            .field("appid", &self.appid)
            .field("signed", &self.signer.is_some())
            .finish()
    }
}

impl LiveUrls {
    /// The server-wide URLs made into one app's: `{appid}` in the prefix replaced.
    pub fn for_app(&self, appid: u64) -> LiveUrls {
        LiveUrls {
            prefix: self.prefix.replace("{appid}", &appid.to_string()),
            appid,
            signer: self.signer.clone(),
        }
    }

    /// Fills a stream's FLV/HLS URL arrays (the `https_` ones for an https prefix), signed as
    /// of `now_unix_secs` when the signer signs this app's URLs; replaces what was there.
    pub fn fill(&self, s: &mut liveroom_proto::body::StreamInfo, now_unix_secs: u64) {
        let query = self
            .signer
            .as_ref()
            .and_then(|sign| sign(self.appid, &s.stream_id, now_unix_secs));
        let u = StreamUrls::build(&self.prefix, &s.stream_id, query.as_deref());
        s.urls_flv = u.flv;
        s.urls_m3u8 = u.m3u8;
        s.urls_https_flv = u.https_flv;
        s.urls_https_m3u8 = u.https_m3u8;
    }
}

/// The URLs of one stream, by the stream list's wire names (notes §8.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamUrls {
    /// `urls_flv`.
    pub flv: Vec<String>,
    /// `urls_m3u8`.
    pub m3u8: Vec<String>,
    /// `urls_https_flv`.
    pub https_flv: Vec<String>,
    /// `urls_https_m3u8`.
    pub https_m3u8: Vec<String>,
}

impl StreamUrls {
    /// The one place a stream's live URLs are made: `{prefix}{percent-encoded id}.flv` and
    /// `.m3u8`, with `?{query}` when signed, in the `https_` arrays for an https prefix.
    pub fn build(prefix: &str, stream_id: &str, query: Option<&str>) -> StreamUrls {
        let base = format!("{prefix}{}", percent_encode(stream_id));
        let q = query.map(|q| format!("?{q}")).unwrap_or_default();
        let (flv, m3u8) = (
            vec![format!("{base}.flv{q}")],
            vec![format!("{base}.m3u8{q}")],
        );
        if prefix.starts_with("https:") {
            StreamUrls {
                https_flv: flv,
                https_m3u8: m3u8,
                ..Default::default()
            }
        } else {
            StreamUrls {
                flv,
                m3u8,
                ..Default::default()
            }
        }
    }
}

/// Encodes everything but unreserved characters (stream ids are free text on the wire).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            heartbeat_interval_ms: 30_000,
            session_timeout_ms: 100_000,
            reconnect_grace_ms: 30_000,
            bigim_time_window_ms: 1_000,
            dati_time_window_ms: 1_000,
            max_users: 10_000,
            log_level: 1,
            log_url: String::new(),
            cluster_name: "liveroom".into(),
            live_urls: None,
        }
    }
}

/// What the room's owner has to act on.
#[derive(Debug, Clone, PartialEq)]
pub enum RoomEvent {
    /// A new member joined (not a reconnect of a member already in the room).
    MemberAdded {
        /// The member's `id_name`.
        id_name: String,
        /// The member's nick name.
        nick_name: String,
        /// The member's role (1 anchor, 2 audience).
        role: u8,
        /// The member's key (session id).
        key: u64,
    },
    /// A member left for good (logout, timeout, kick, end of its reconnect grace).
    MemberRemoved {
        /// The member's `id_name`.
        id_name: String,
        /// The member's key (session id) when it left.
        key: u64,
        /// Why it left.
        reason: LeaveReason,
    },
    /// A member registered a stream (`stream` liveBegin).
    StreamAdded {
        /// The stream id.
        stream_id: String,
        /// `id_name` of the publisher.
        id_name: String,
    },
    /// A stream ended (liveEnd, or its publisher left).
    StreamRemoved {
        /// The stream id.
        stream_id: String,
        /// `id_name` of the publisher.
        id_name: String,
    },
}

/// Why a member left the room for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveReason {
    /// The client sent `logout`.
    Logout,
    /// The connection logged in to another room.
    Moved,
    /// The same user logged in again elsewhere (kick-out reason 1).
    DuplicateLogin,
    /// Removed by an administrator (kick-out reason 2, or another reason given to `kick`).
    Kicked,
    /// The room was closed (kick-out reason 3).
    RoomClosed,
    /// A connected member stopped sending anything for the session timeout.
    Timeout,
    /// The connection dropped and the member did not come back within the reconnect grace.
    Disconnected,
}

impl LeaveReason {
    /// The reason's name in logs and webhooks, e.g. `"duplicate_login"`.
    pub fn as_str(self) -> &'static str {
        match self {
            LeaveReason::Logout => "logout",
            LeaveReason::Moved => "moved",
            LeaveReason::DuplicateLogin => "duplicate_login",
            LeaveReason::Kicked => "kicked",
            LeaveReason::RoomClosed => "room_closed",
            LeaveReason::Timeout => "timeout",
            LeaveReason::Disconnected => "disconnected",
        }
    }

    fn of_kick(reason: u32) -> LeaveReason {
        match reason {
            liveroom_proto::errors::kick_reason::DUPLICATE_LOGIN => LeaveReason::DuplicateLogin,
            liveroom_proto::errors::kick_reason::ROOM_CLOSED => LeaveReason::RoomClosed,
            _ => LeaveReason::Kicked,
        }
    }
}

/// A member as listed to administrators.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberSummary {
    /// The member's `id_name`.
    pub id_name: String,
    /// The member's nick name.
    pub nick_name: String,
    /// The member's role (1 anchor, 2 audience).
    pub role: u8,
    /// The member's server-assigned user id.
    pub user_id: u64,
    /// When the member logged in, unix milliseconds.
    pub login_unix_ms: u64,
    /// False while the member's connection is down (within its reconnect grace).
    pub connected: bool,
}

/// A logged-in member's identity, made by the server for each login.
#[derive(Debug, Clone)]
pub struct LoginInput<H> {
    /// The member's key in this room: its session id.
    pub key: u64,
    /// The server-assigned user id.
    pub user_id: u64,
    /// The app's user id.
    pub id_name: String,
    /// The member's nick name.
    pub nick_name: String,
    /// The member's role (1 anchor, 2 audience).
    pub role: u8,
    /// Whether the login token allows publishing.
    pub can_publish: bool,
    /// Where the room sends the member's pushes.
    pub handle: H,
}

/// Room commands other than login, with their bodies already parsed by the session.
#[derive(Debug, Clone)]
pub enum Request {
    /// `hb`: a heartbeat.
    Hb,
    /// `stream_info`: the full stream list.
    StreamInfo,
    /// `stream`: register, update or end a stream.
    Stream(body::StreamReq),
    /// `user_list`: one page of the user list.
    UserList(body::UserListReq),
    /// `custommsg`: a custom command to some members.
    CustomMsg(body::CustomMsgReq),
    /// `im_chat`: a room chat message.
    ImChat(body::ImChatReq),
    /// `signal`: a join-live signal to some members.
    Signal(body::SignalReq),
    /// `trans`: a reliable message.
    Trans(body::TransReq),
    /// `trans_fetch`: the latest reliable messages of some types.
    TransFetch(body::TransFetchReq),
    /// `bigim_chat`: a batch of big-room messages.
    BigIm(body::BigImReq),
    /// `logout`: the member leaves.
    Logout,
}

impl Request {
    /// The reply's `cmd`.
    pub fn cmd(&self) -> &'static str {
        match self {
            Request::Hb => "hb",
            Request::StreamInfo => "stream_info",
            Request::Stream(_) => "stream",
            Request::UserList(_) => "user_list",
            Request::CustomMsg(_) => "custommsg",
            Request::ImChat(_) => "im_chat",
            Request::Signal(_) => "signal",
            Request::Trans(_) => "trans",
            Request::TransFetch(_) => "trans_fetch",
            Request::BigIm(_) => "bigim_chat",
            Request::Logout => "logout",
        }
    }
}

/// A refused request: the code and a detail for `err_message`.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The `err_code` to reply with.
    pub code: ErrCode,
    /// Appended to the code's message in `err_message`; may be empty.
    pub detail: String,
}

impl Refusal {
    /// A refusal with `code` and `detail`.
    pub fn new(code: ErrCode, detail: impl Into<String>) -> Self {
        Refusal {
            code,
            detail: detail.into(),
        }
    }
}

/// A reply body (serialized, `err_code` 0 included) or a refusal.
pub type Reply = Result<Vec<u8>, Refusal>;

/// What a room hands to the node that takes it over ([`Room::hand_over`]).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Handover {
    /// The reliable messages.
    pub trans: trans::TransHandover,
    /// The last chat message id, so ids keep rising.
    pub msg_id: u64,
}

/// One room.
pub struct Room<H: Outbox> {
    /// The room id.
    pub id: String,
    settings: Settings,
    /// Taken from the login that created the room (notes §13).
    user_state_updates: bool,
    members: Members<H>,
    streams: streams::Streams,
    trans: trans::Trans,
    chat: messages::Chat,
    events: Vec<RoomEvent>,
    next_sweep_mono: Option<u64>,
}

impl<H: Outbox> Room<H> {
    /// An empty room; `user_state_updates` comes from the login creating it.
    pub fn new(id: String, settings: Settings, user_state_updates: bool) -> Self {
        Room {
            id,
            settings,
            user_state_updates,
            members: Members::default(),
            streams: streams::Streams::default(),
            trans: trans::Trans::default(),
            chat: messages::Chat::default(),
            events: Vec::new(),
            next_sweep_mono: None,
        }
    }

    /// Hands the room's lasting state over to the node that takes the room next (a drain):
    /// its reliable messages and message ids. Reliable messages sent after this are refused.
    pub fn hand_over(&mut self) -> Handover {
        Handover {
            trans: self.trans.hand_over(),
            msg_id: self.chat.msg_id(),
        }
    }

    /// Takes what the room's previous node handed over (a new room only: the messages of a
    /// room that has its own are kept).
    pub fn take_over(&mut self, h: Handover) {
        self.trans.take_over(h.trans);
        self.chat.continue_from(h.msg_id);
    }

    /// The room's settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Whether members get `push_userlist_update`s (taken from the creating login).
    pub fn user_state_updates(&self) -> bool {
        self.user_state_updates
    }

    /// No members, not even ones waiting to reconnect: the owner may drop the room.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Members in the room, including those waiting to reconnect.
    pub fn online_count(&self) -> usize {
        self.members.len()
    }

    /// Takes the events that happened since the last call.
    pub fn drain_events(&mut self) -> Vec<RoomEvent> {
        std::mem::take(&mut self.events)
    }

    /// Admits a member, or replaces the member with the same id_name: a reconnect keeps its
    /// place and streams silently; a second live session of the same user is kicked out.
    pub fn login(&mut self, now: Now, input: LoginInput<H>) -> Result<LoginRsp, Refusal> {
        let (member_key, joined) = self.members.login(now, input, &self.settings)?;
        if let Some(action) = joined {
            self.events.push(RoomEvent::MemberAdded {
                id_name: action.id_name.clone(),
                nick_name: action.nick_name.clone(),
                role: action.role,
                key: member_key,
            });
            self.broadcast_user_actions(vec![action], Some(member_key));
        }
        self.arm_sweep(now);
        let m = self.members.get(member_key).expect("just logged in");
        Ok(LoginRsp {
            user_id: m.user_id.to_string(),
            session_id: m.key.to_string(),
            hearbeat_interval: self.settings.heartbeat_interval_ms,
            hearbeat_timeout: self.settings.session_timeout_ms,
            server_user_seq: self.members.user_seq,
            stream_seq: self.streams.seq,
            stream_info: self.signed_stream_list(now),
            config_info: ConfigInfo {
                log_level: self.settings.log_level,
                log_url: self.settings.log_url.clone(),
            },
            online_count: self.members.len() as u32,
            ret_timestamp: now.unix_ms.to_string(),
            bigim_time_window: self.settings.bigim_time_window_ms,
            dati_time_window: self.settings.dati_time_window_ms,
            anchor_info: self.anchor_info(),
            cluster_name: self.settings.cluster_name.clone(),
            cluster_env: 0,
            userlist_interval: USERLIST_INTERVAL_MS,
            userlist_merge_timeout: USERLIST_MERGE_TIMEOUT_MS,
        })
    }

    /// Handles one request of member `key`; the reply body (or refusal) is returned, and
    /// pushes to others have been queued.
    pub fn request(&mut self, now: Now, key: u64, req: Request) -> Reply {
        if !self.members.touch(key, now) {
            return Err(Refusal::new(
                ErrCode::LOGIN_STATE,
                "session is not in this room",
            ));
        }
        match req {
            Request::Hb => Ok(body::ok_body(self.hb_rsp())),
            Request::StreamInfo => Ok(body::ok_body(body::StreamListRsp {
                stream_seq: self.streams.seq,
                stream_info: self.signed_stream_list(now),
            })),
            Request::Stream(r) => self.stream_cmd(now, key, r),
            Request::UserList(r) => Ok(body::ok_body(self.members.page(r.user_index))),
            Request::CustomMsg(r) => self.custom_msg(key, r),
            Request::ImChat(r) => self.im_chat(now, key, r),
            Request::Signal(r) => self.signal(key, r),
            Request::Trans(r) => self.trans_send(key, r),
            Request::TransFetch(r) => Ok(body::ok_body(self.trans.fetch(&r))),
            Request::BigIm(r) => self.bigim(now, key, r),
            Request::Logout => {
                self.remove_member(key, LeaveReason::Logout);
                Ok(body::ok_body(body::Empty {}))
            }
        }
    }

    /// The member's connection dropped without a logout: it keeps its place and streams for
    /// the reconnect grace period. Ignored if `key` is no longer the member's session.
    pub fn disconnected(&mut self, now: Now, key: u64) {
        self.members.disconnect(key, now);
    }

    /// The member leaves for good, without a reply (its connection moved to another room).
    pub fn leave(&mut self, key: u64) {
        self.remove_member(key, LeaveReason::Moved);
    }

    /// Removes a member with a kick-out (admin kick, the same user logging in elsewhere).
    /// With `key`, only that session is kicked (a newer login of the user stays).
    pub fn kick(&mut self, id_name: &str, key: Option<u64>, reason: u32) -> bool {
        let Some(m) = self.members.by_id_name(id_name) else {
            return false;
        };
        if key.is_some_and(|k| k != m.key) {
            return false;
        }
        let key = m.key;
        if m.connected {
            m.handle.kick(reason);
        }
        self.remove_member(key, LeaveReason::of_kick(reason));
        true
    }

    /// Kicks everybody out (room closed by an administrator).
    pub fn close(&mut self, reason: u32) {
        for key in self.members.keys() {
            if let Some(m) = self.members.get(key) {
                if m.connected {
                    m.handle.kick(reason);
                }
            }
            self.remove_member(key, LeaveReason::of_kick(reason));
        }
    }

    /// The members in login order (for administrators).
    pub fn member_list(&self) -> Vec<MemberSummary> {
        self.members.summaries()
    }

    /// `(stream_seq, streams in publishing order)`.
    pub fn stream_list(&self) -> (u32, Vec<body::StreamInfo>) {
        (self.streams.seq, self.streams.list())
    }

    /// When [`Room::handle_timeout`] should run next (monotonic ms).
    pub fn poll_timeout(&self) -> Option<u64> {
        [self.next_sweep_mono, self.chat.flush_due()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Runs what is due: heartbeat and reconnect timeouts, the big-room batch.
    pub fn handle_timeout(&mut self, now: Now) {
        if self.chat.flush_due().is_some_and(|t| t <= now.mono_ms) {
            self.flush_bigim(now);
        }
        if self.next_sweep_mono.is_some_and(|t| t <= now.mono_ms) {
            self.next_sweep_mono = None;
            for (key, timed_out) in self.members.expired(now, &self.settings) {
                if timed_out {
                    if let Some(m) = self.members.get(key) {
                        m.handle.close();
                    }
                }
                let reason = if timed_out {
                    LeaveReason::Timeout
                } else {
                    LeaveReason::Disconnected
                };
                self.remove_member(key, reason);
            }
            self.arm_sweep(now);
        }
    }

    fn arm_sweep(&mut self, now: Now) {
        if self.next_sweep_mono.is_none() && !self.members.is_empty() {
            self.next_sweep_mono = Some(now.mono_ms + SWEEP_INTERVAL_MS);
        }
    }

    fn hb_rsp(&self) -> HbRsp {
        HbRsp {
            hearbeat_interval: self.settings.heartbeat_interval_ms,
            hearbeat_timeout: self.settings.session_timeout_ms,
            stream_seq: self.streams.seq,
            server_user_seq: self.members.user_seq,
            online_count: self.members.len() as u32,
            bigim_time_window: self.settings.bigim_time_window_ms,
            dati_time_window: self.settings.dati_time_window_ms,
            trans_seqs: self.trans.seqs(),
            user_trans_seqs: Vec::new(),
        }
    }

    fn anchor_info(&self) -> AnchorInfo {
        match self.members.anchor() {
            Some(m) => AnchorInfo {
                anchor_id: m.user_id.to_string(),
                anchor_id_name: m.id_name.clone(),
                anchor_nick_name: m.nick_name.clone(),
            },
            None => AnchorInfo::default(),
        }
    }

    /// Removes a member for good: its streams end, the others see it leave.
    fn remove_member(&mut self, key: u64, reason: LeaveReason) {
        let Some(m) = self.members.remove(key) else {
            return;
        };
        for s in self.streams.remove_owned_by(&m.id_name) {
            self.streams.seq += 1;
            self.events.push(RoomEvent::StreamRemoved {
                stream_id: s.stream_id.clone(),
                id_name: m.id_name.clone(),
            });
            self.push_stream_update(
                body::stream_cmd::PUSH_DELETED,
                s,
                None,
                &m.user_id.to_string(),
            );
        }
        let action = self.members.leave_action(&m);
        self.broadcast_user_actions(vec![action], None);
        self.events.push(RoomEvent::MemberRemoved {
            id_name: m.id_name,
            key: m.key,
            reason,
        });
    }

    /// `push_userlist_update` to everyone but `except` (the subject of a join), only in rooms
    /// with user-state updates on.
    fn broadcast_user_actions(&mut self, actions: Vec<body::UserAction>, except: Option<u64>) {
        if !self.user_state_updates || actions.is_empty() {
            return;
        }
        let push = Push::new(
            "push_userlist_update",
            String::new(),
            &body::PushUserlistUpdate {
                user_list_seq: self.members.user_seq,
                room_id: self.id.clone(),
                user_actions: actions,
            },
        );
        self.members.for_each_connected(except, |h| h.push(&push));
    }

    fn member_or_refuse(&self, key: u64) -> Result<&members::Member<H>, Refusal> {
        self.members
            .get(key)
            .ok_or_else(|| Refusal::new(ErrCode::LOGIN_STATE, "session is not in this room"))
    }
}

/// Shared by the message handlers: sends `push` to the named members present in the room.
/// Returns how many received it.
fn push_to_named<H: Outbox>(members: &Members<H>, dest: &[String], push: &Arc<Push>) -> usize {
    let mut seen: Vec<&str> = Vec::with_capacity(dest.len());
    let mut sent = 0;
    for d in dest {
        if seen.contains(&d.as_str()) {
            continue;
        }
        seen.push(d);
        if let Some(m) = members.by_id_name(d) {
            if m.connected {
                m.handle.push(push);
                sent += 1;
            }
        }
    }
    sent
}

#[cfg(test)]
mod tests;
