//! One room-protocol text frame as a client sends it on the WebSocket: the envelope
//! (`parse_frame`), then the body of its command with the type the session parses it into,
//! then the reply the session echoes (header ids and cmd back into `encode_reply` and
//! `encode_push`), which must be valid JSON whatever the header held.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liveroom_fuzz::parse_command;
use liveroom_proto::envelope::SessionIds;
use liveroom_proto::{encode_push, encode_reply, parse_frame};

fuzz_target!(|data: &[u8]| {
    // WebSocket text frames are UTF-8 (tungstenite refuses others before the session).
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(frame) = parse_frame(text) else {
        return;
    };
    let h = &frame.header;
    let _ = parse_command(&h.cmd, frame.body.get());
    let ids = SessionIds {
        appid: h.appid,
        user_id: h.user_id.clone(),
        session_id: h.session_id.clone(),
        room_id: h.room_id.clone(),
    };
    // A refusal naming the command, as the session answers an unknown one (the request's own
    // body is never echoed: serde_json's raw values keep numbers, e.g. `1E739272706`, that
    // its `Value` refuses as out of range).
    let body = liveroom_proto::body::error_body(
        liveroom_proto::ErrCode::UNKNOWN_CMD,
        &format!("unknown cmd {:?}", h.cmd),
    );
    let reply = encode_reply(&h.cmd, h.seq, &ids, &body);
    assert!(
        serde_json::from_str::<serde_json::Value>(&reply).is_ok(),
        "reply is not JSON: {reply}"
    );
    let push = encode_push(&h.cmd, h.seq, &h.user_id, &ids, b"{}");
    assert!(
        serde_json::from_str::<serde_json::Value>(&push).is_ok(),
        "push is not JSON: {push}"
    );
});
