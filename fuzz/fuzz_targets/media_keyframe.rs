//! Key-frame detection on RTP payloads from publishers (`liveroom_media::is_keyframe_start`,
//! run on every forwarded video packet): H.264 (single NAL, STAP-A, FU-A) and VP8 payload
//! descriptors; the first byte picks the codec.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liveroom_media::is_keyframe_start;
use str0m::format::Codec;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, payload)) = data.split_first() else {
        return;
    };
    let codec = match sel % 4 {
        0 => Codec::H264,
        1 => Codec::Vp8,
        2 => Codec::Opus,
        _ => Codec::Vp9,
    };
    let _ = is_keyframe_start(codec, payload);
});
