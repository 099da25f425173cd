//! RTP header parsing in the live outputs (`liveroom_live::mix::parse_rtp`, on packets that
//! come from publishers through the SFU's taps): CSRCs, header extensions and padding of any
//! length. A payload found must lie inside the packet.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((_marker, _seq, _ts, payload)) = liveroom_live::mix::parse_rtp(data) {
        assert!(payload.len() + 12 <= data.len());
    }
});
