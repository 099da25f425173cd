//! Protocol limits, one named constant each (documented in docs/protocol.md).

/// Largest room-protocol WebSocket frame accepted; a larger one closes the connection (1009).
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest room id, id_name and nick_name.
pub const MAX_ID_BYTES: usize = 128;
/// Longest login token or third-party token.
pub const MAX_TOKEN_BYTES: usize = 4096;
/// `custom_content` of a custom command, as the sender gave it (notes §13).
pub const CUSTOM_CONTENT_MAX_BYTES: usize = 1024;
/// The whole serialized `custom_msg` envelope of a custom command.
pub const CUSTOM_MSG_MAX_BYTES: usize = 4096;
/// Most recipients named in one custom command or signal.
pub const MAX_DEST_IDS: usize = 100;
/// `msg_content` of a room chat message (`im_chat`) or big-room message.
pub const CHAT_CONTENT_MAX_BYTES: usize = 1024;
/// Reliable-message type: 1 to 128 bytes (API reference 1.28).
pub const TRANS_TYPE_MAX_BYTES: usize = 128;
/// Reliable-message data.
pub const TRANS_DATA_MAX_BYTES: usize = 4096;
/// Distinct reliable-message types per room (API reference 1.28).
pub const TRANS_TYPES_PER_ROOM: usize = 10;
/// Relay message type and data.
pub const RELAY_TYPE_MAX_BYTES: usize = 128;
pub const RELAY_DATA_MAX_BYTES: usize = 4096;
/// Big-room messages per `bigim_chat` request (the SDK batches at most 20).
pub const BIGIM_MSGS_PER_REQUEST: usize = 20;
/// Big-room messages per merged push; a fuller window is split over several pushes.
pub const BIGIM_MSGS_PER_PUSH: usize = 200;
/// Big-room messages buffered per room per window; beyond it messages are refused.
pub const BIGIM_MSGS_PER_WINDOW: usize = 5000;
/// Stream extra info.
pub const EXTRA_INFO_MAX_BYTES: usize = 4096;
/// Join-live `signal_msg`.
pub const SIGNAL_MSG_MAX_BYTES: usize = 4096;
/// Users per page of `user_list`.
pub const USER_LIST_PAGE: usize = 100;
/// Streams one user may publish in a room, and streams per room.
pub const STREAMS_PER_USER: usize = 16;
pub const STREAMS_PER_ROOM: usize = 256;
