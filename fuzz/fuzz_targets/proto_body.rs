//! Each request body type of the room protocol, and the JSON strings nested in them
//! (`stream_msg`, `signal_msg`, `custom_msg`), decoded from arbitrary JSON with the
//! session's decoder; the first byte picks the type. A decoded body must serialize again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liveroom_fuzz::parse_body;
use liveroom_proto::body::*;
use serde::Serialize;

fn check<T: serde::de::DeserializeOwned + Serialize>(text: &str) {
    if let Ok(v) = parse_body::<T>(text) {
        assert!(serde_json::to_vec(&v).is_ok(), "a decoded body must encode");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match sel % 18 {
        0 => check::<LoginReq>(text),
        1 => check::<StreamReq>(text),
        2 => check::<StreamMsg>(text),
        3 => check::<UserListReq>(text),
        4 => check::<CustomMsgReq>(text),
        5 => check::<CustomMsgEnvelope>(text),
        6 => check::<ImChatReq>(text),
        7 => check::<SignalReq>(text),
        8 => check::<SignalMsg>(text),
        9 => check::<TransReq>(text),
        10 => check::<TransFetchReq>(text),
        11 => check::<TransFetchItem>(text),
        12 => check::<RelayReq>(text),
        13 => check::<BigImReq>(text),
        14 => check::<BizChannelReq>(text),
        15 => check::<WebrtcUrlReq>(text),
        16 => check::<KeyValue>(text),
        _ => {
            // Ids as the session checks them (login fields, stream ids).
            let _ = liveroom_proto::limits::check_id("id", text, 0);
            let _ = liveroom_proto::limits::check_id("id", text, 1);
        }
    }
});
