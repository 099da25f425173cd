//! Names and URLs the live outputs take from requests: HLS segment names from the request
//! path (`hls::is_segment_name`, the guard against path tricks), RTMP relay push URLs
//! (`rtmp_push::check_url`) and the playlist rewrite; the first byte picks which.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liveroom_live::{hls, rtmp_push};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match sel % 3 {
        0 => {
            if hls::is_segment_name(&text) {
                // Whatever passes is a plain file name.
                assert!(!text.contains('/') && !text.contains("..") && !text.contains('\\'));
            }
        }
        1 => {
            if rtmp_push::check_url(&text).is_ok() {
                assert!(!text.chars().any(|c| c.is_control() || c.is_whitespace()));
            }
        }
        _ => {
            let out = hls::rewrite_playlist(&text, "s1/");
            assert!(out.len() >= text.lines().map(str::len).sum::<usize>());
        }
    }
});
