//! Media-signalling frames from clients (`liveroom_proto::media::parse_client_frame`, every
//! frame on the media WebSocket): JSON, the header, each typed body read leniently. The
//! answer the server echoes from the header (`ServerMsg::encode`) must be valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liveroom_proto::media::{parse_client_frame, ResultRsp, ServerMsg};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((h, _msg)) = parse_client_frame(text) else {
        return;
    };
    let answer = ServerMsg::result(&h.cmd, ResultRsp::refused(1, &h.cmd));
    let out = answer.encode(&h.appid, h.seq, &h.user_id, h.session_id);
    assert!(
        serde_json::from_str::<serde_json::Value>(&out).is_ok(),
        "answer is not JSON: {out}"
    );
});
