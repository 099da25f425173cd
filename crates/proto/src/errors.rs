//! `err_code` values of room replies. The first group is the original service's table
//! (notes §1.7), which clients map to fixed messages; ours sit above 1 000 000 000, which
//! clients report as "liveroom cmd error, result=<code>".

/// A room-protocol error code as carried in a reply's `err_code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrCode(pub u32);

impl ErrCode {
    /// Success.
    pub const OK: ErrCode = ErrCode(0);
    /// The frame is not JSON, or has no usable header.
    pub const PARSE_JSON: ErrCode = ErrCode(1);
    /// A second login is still being processed on this connection.
    pub const LOGIN_PROCESSING: ErrCode = ErrCode(1001);
    /// Transient server trouble; clients keep retrying the login.
    pub const LIVEROOM_REQUEST: ErrCode = ErrCode(1002);
    /// A command before login, or a header whose session does not match.
    pub const LOGIN_STATE: ErrCode = ErrCode(1006);
    /// The login token is malformed, expired, or its signature is wrong.
    pub const TOKEN: ErrCode = ErrCode(1008);
    /// Media dispatch (`webrtc_url`) failed.
    pub const DISPATCH: ErrCode = ErrCode(1009);
    /// `biz_channel` names a channel/cmd this server does not have.
    pub const BIZ_INVALID_CHANNEL: ErrCode = ErrCode(2001);
    /// `biz_channel` failed.
    pub const BIZ_CHANNEL: ErrCode = ErrCode(2002);

    /// Base of our own command-level codes.
    pub const CMD_BASE: u32 = 1_000_000_000;
    /// The `cmd` is not one this server knows.
    pub const UNKNOWN_CMD: ErrCode = ErrCode(Self::CMD_BASE + 1);
    /// The body is missing a field, or a field has the wrong type or an invalid value.
    pub const BAD_BODY: ErrCode = ErrCode(Self::CMD_BASE + 2);
    /// The connection sent more frames than its rate limit allows.
    pub const RATE_LIMITED: ErrCode = ErrCode(Self::CMD_BASE + 3);
    /// The room does not exist and the login did not allow creating it.
    pub const ROOM_NOT_EXIST: ErrCode = ErrCode(Self::CMD_BASE + 4);
    /// A message's content is over its size limit.
    pub const CONTENT_TOO_LONG: ErrCode = ErrCode(Self::CMD_BASE + 5);
    /// The room already has the maximum number of reliable-message types.
    pub const TOO_MANY_TRANS_TYPES: ErrCode = ErrCode(Self::CMD_BASE + 6);
    /// None of the named recipients is in the room.
    pub const USER_NOT_IN_ROOM: ErrCode = ErrCode(Self::CMD_BASE + 7);
    /// The stream is not in the room.
    pub const STREAM_NOT_FOUND: ErrCode = ErrCode(Self::CMD_BASE + 8);
    /// The stream id is taken by another user's stream.
    pub const STREAM_OWNED_BY_OTHER: ErrCode = ErrCode(Self::CMD_BASE + 9);
    /// `relay` was sent but no business-server relay URL is configured.
    pub const RELAY_NOT_CONFIGURED: ErrCode = ErrCode(Self::CMD_BASE + 10);
    /// The business server refused the relay, failed, or did not answer in time.
    pub const RELAY_FAILED: ErrCode = ErrCode(Self::CMD_BASE + 11);
    /// The room is at its user limit.
    pub const ROOM_FULL: ErrCode = ErrCode(Self::CMD_BASE + 12);
    /// The user already publishes the maximum number of streams, or the room has its maximum.
    pub const TOO_MANY_STREAMS: ErrCode = ErrCode(Self::CMD_BASE + 13);
    /// The token does not grant what was asked (room scope or publish privilege).
    pub const NO_PRIVILEGE: ErrCode = ErrCode(Self::CMD_BASE + 14);
    /// The server has too many rooms.
    pub const TOO_MANY_ROOMS: ErrCode = ErrCode(Self::CMD_BASE + 15);
    /// The server is shutting down; log in again later.
    pub const SHUTTING_DOWN: ErrCode = ErrCode(Self::CMD_BASE + 16);
    /// The business server refused the login's third_token (or a required one is missing).
    pub const THIRD_PARTY_REFUSED: ErrCode = ErrCode(Self::CMD_BASE + 17);
    /// The business server's third-party check failed or did not answer in time.
    pub const THIRD_PARTY_FAILED: ErrCode = ErrCode(Self::CMD_BASE + 18);
    /// A mix input is not a stream being published in the room; `rsp_body` lists them as
    /// `non_exist_streams` (the Zego code, which the SDK maps).
    pub const MIX_INPUT_NOT_FOUND: ErrCode = ErrCode(Self::CMD_BASE + 150);
    /// Mixing is not available (build without the `live` feature, `live.enabled = false`,
    /// media off, GStreamer elements missing) or the mix pipeline failed (logged).
    pub const MIX_FAILED: ErrCode = ErrCode(Self::CMD_BASE + 151);
    /// `stop_mix` (or an update) names no running mix of the room.
    pub const MIX_NOT_FOUND: ErrCode = ErrCode(Self::CMD_BASE + 152);
    /// Something failed inside the server (logged there).
    pub const INTERNAL: ErrCode = ErrCode(Self::CMD_BASE + 99);

    /// The `err_message` sent with this code.
    pub fn message(self) -> &'static str {
        match self.0 {
            0 => "success",
            1 => "parse json error.",
            1001 => "login is processing.",
            1002 => "liveroom request error.",
            1006 => "user login state is wrong.",
            1008 => "token error",
            1009 => "dispatch error",
            2001 => "invalid channel",
            2002 => "bizchannel error",
            c if c == Self::UNKNOWN_CMD.0 => "unknown command",
            c if c == Self::BAD_BODY.0 => "invalid request body",
            c if c == Self::RATE_LIMITED.0 => "rate limited",
            c if c == Self::ROOM_NOT_EXIST.0 => "room does not exist and may not be created",
            c if c == Self::CONTENT_TOO_LONG.0 => "content too long",
            c if c == Self::TOO_MANY_TRANS_TYPES.0 => "too many reliable message types in room",
            c if c == Self::USER_NOT_IN_ROOM.0 => "no recipient is in the room",
            c if c == Self::STREAM_NOT_FOUND.0 => "stream not found",
            c if c == Self::STREAM_OWNED_BY_OTHER.0 => "stream id belongs to another user",
            c if c == Self::RELAY_NOT_CONFIGURED.0 => "no relay url configured",
            c if c == Self::RELAY_FAILED.0 => "relay to business server failed",
            c if c == Self::ROOM_FULL.0 => "room is full",
            c if c == Self::TOO_MANY_STREAMS.0 => "too many streams",
            c if c == Self::NO_PRIVILEGE.0 => "token does not grant this",
            c if c == Self::TOO_MANY_ROOMS.0 => "too many rooms",
            c if c == Self::SHUTTING_DOWN.0 => "server is shutting down",
            c if c == Self::THIRD_PARTY_REFUSED.0 => "third-party authentication refused",
            c if c == Self::THIRD_PARTY_FAILED.0 => "third-party authentication unavailable",
            c if c == Self::MIX_INPUT_NOT_FOUND.0 => "mix input stream does not exist",
            c if c == Self::MIX_FAILED.0 => "mixing unavailable or failed",
            c if c == Self::MIX_NOT_FOUND.0 => "no such mix",
            _ => "internal error",
        }
    }

    /// Whether this is [`ErrCode::OK`].
    pub fn is_ok(self) -> bool {
        self.0 == 0
    }
}

/// Reasons carried by `push_kickout {reason}`; clients show "kickout reason=<reason>".
pub mod kick_reason {
    /// The same id_name of the same app logged in again (any room).
    pub const DUPLICATE_LOGIN: u32 = 1;
    /// An administrator removed the user.
    pub const ADMIN: u32 = 2;
    /// The room was closed by an administrator.
    pub const ROOM_CLOSED: u32 = 3;
    /// The session stopped heartbeating for longer than the session timeout.
    pub const HEARTBEAT_TIMEOUT: u32 = 4;

    /// A short human-readable text for a kick-out reason, sent as the push's `err_message`.
    pub fn text(reason: u32) -> &'static str {
        match reason {
            DUPLICATE_LOGIN => "logged in elsewhere",
            ADMIN => "removed by administrator",
            ROOM_CLOSED => "room closed",
            HEARTBEAT_TIMEOUT => "heartbeat timeout",
            _ => "kicked out",
        }
    }
}
