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
/// Relay message type.
pub const RELAY_TYPE_MAX_BYTES: usize = 128;
/// Relay message data.
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
/// Streams one user may publish in a room.
pub const STREAMS_PER_USER: usize = 16;
/// Streams per room.
pub const STREAMS_PER_ROOM: usize = 256;

/// Checks an identifier (room id, id_name, stream id, nick name): `min` to [`MAX_ID_BYTES`]
/// bytes and no control or bidirectional-formatting character. Such characters forge log
/// lines (a newline), cut C strings (NUL), recolour terminals (ESC) or make one id look like
/// another (bidi overrides); the reference sets no character rules, and no real id needs them.
/// The error names `what` and the fault.
pub fn check_id(what: &str, value: &str, min: usize) -> Result<(), String> {
    if value.len() < min || value.len() > MAX_ID_BYTES {
        return Err(format!("{what} must be {min} to {MAX_ID_BYTES} bytes"));
    }
    if let Some(c) = value.chars().find(|c| is_forbidden_in_id(*c)) {
        return Err(format!(
            "{what} contains the control character U+{:04X}",
            c as u32
        ));
    }
    Ok(())
}

/// C0 and C1 controls, DEL, line/paragraph separators and the bidi controls.
pub fn is_forbidden_in_id(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_refuse_controls_and_bidi_and_keep_the_rest() {
        for ok in [
            "alice",
            "主播-1",
            "a b",
            "x@y.z",
            "😀",
            &"a".repeat(MAX_ID_BYTES),
        ] {
            assert_eq!(check_id("id_name", ok, 1), Ok(()), "{ok:?}");
        }
        for bad in [
            "a\nb",
            "a\rb",
            "a\0b",
            "a\u{1b}[31m",
            "a\u{7f}",
            "a\u{85}",
            "a\u{202e}b",
            "a\u{2066}",
            "a\u{200f}",
            "a\u{2028}",
            "\u{feff}a",
        ] {
            let e = check_id("id_name", bad, 1).unwrap_err();
            assert!(e.contains("control character"), "{bad:?}: {e}");
        }
        assert!(check_id("room id", "", 1)
            .unwrap_err()
            .contains("1 to 128 bytes"));
        assert_eq!(check_id("nick_name", "", 0), Ok(()));
        assert!(check_id("id_name", &"a".repeat(MAX_ID_BYTES + 1), 1).is_err());
    }
}
