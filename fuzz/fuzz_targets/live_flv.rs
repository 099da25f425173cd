//! The FLV tag splitter of the HTTP-FLV output (`liveroom_live::flv::FlvSplitter`), fed the
//! input in chunks whose sizes the input picks (buffer boundaries anywhere); it is also the
//! parser an FLV ingest would use. The tags it returns must add up to the bytes it consumed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liveroom_live::flv::FlvSplitter;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, mut rest)) = data.split_first() else {
        return;
    };
    let chunk = chunk as usize + 1;
    let mut s = FlvSplitter::default();
    let (mut fed, mut out) = (0usize, 0usize);
    while !rest.is_empty() {
        let (now, tail) = rest.split_at(chunk.min(rest.len()));
        rest = tail;
        fed += now.len();
        match s.push(now) {
            Ok(tags) => out += tags.iter().map(|t| t.bytes.len()).sum::<usize>(),
            Err(_) => return,
        }
        assert!(out <= fed, "tags hold more bytes than were fed");
    }
});
