//! Whether an RTP payload starts a key frame, so a new player is fed from a key frame on.

use str0m::format::Codec;

/// True if this RTP payload is the first packet of a key frame.
pub fn is_keyframe_start(codec: Codec, payload: &[u8]) -> bool {
    match codec {
        Codec::H264 => h264_starts_idr(payload),
        Codec::Vp8 => vp8_starts_keyframe(payload),
        _ => false,
    }
}

/// An SPS, or an IDR slice that is not a continuation fragment.
fn h264_starts_idr(p: &[u8]) -> bool {
    let Some(&first) = p.first() else {
        return false;
    };
    match first & 0x1f {
        5 | 7 => true,
        // STAP-A: look at each aggregated NAL unit.
        24 => {
            let mut i = 1;
            while i + 2 < p.len() {
                let size = u16::from_be_bytes([p[i], p[i + 1]]) as usize;
                let nal = p[i + 2] & 0x1f;
                if nal == 5 || nal == 7 {
                    return true;
                }
                i += 2 + size;
            }
            false
        }
        // FU-A: the start fragment of an IDR.
        28 => p.len() > 1 && p[1] & 0x80 != 0 && p[1] & 0x1f == 5,
        _ => false,
    }
}

/// RFC 7741: the start of a partition 0 whose VP8 frame header says key frame.
fn vp8_starts_keyframe(p: &[u8]) -> bool {
    let Some(&b0) = p.first() else { return false };
    let start = b0 & 0x10 != 0;
    let pid = b0 & 0x07;
    if !start || pid != 0 {
        return false;
    }
    let mut i = 1;
    if b0 & 0x80 != 0 {
        let Some(&x) = p.get(i) else { return false };
        i += 1;
        if x & 0x80 != 0 {
            // PictureID, 7 or 15 bits.
            let Some(&pic) = p.get(i) else { return false };
            i += if pic & 0x80 != 0 { 2 } else { 1 };
        }
        if x & 0x40 != 0 {
            i += 1; // TL0PICIDX
        }
        if x & 0x30 != 0 {
            i += 1; // TID/KEYIDX
        }
    }
    // VP8 payload header: bit 0 of the first byte is 0 for a key frame.
    p.get(i).is_some_and(|h| h & 0x01 == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h264() {
        assert!(is_keyframe_start(Codec::H264, &[0x67, 0x42]));
        assert!(is_keyframe_start(Codec::H264, &[0x65, 0x88]));
        assert!(!is_keyframe_start(Codec::H264, &[0x41, 0x9a]));
        // STAP-A carrying SPS.
        assert!(is_keyframe_start(
            Codec::H264,
            &[0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce]
        ));
        // FU-A start of IDR / middle of IDR.
        assert!(is_keyframe_start(Codec::H264, &[0x7c, 0x85, 0x00]));
        assert!(!is_keyframe_start(Codec::H264, &[0x7c, 0x05, 0x00]));
    }

    #[test]
    fn vp8() {
        // S=1, PID=0, no extensions, key frame header.
        assert!(is_keyframe_start(Codec::Vp8, &[0x10, 0x50, 0x2a]));
        // Inter frame.
        assert!(!is_keyframe_start(Codec::Vp8, &[0x10, 0x51, 0x2a]));
        // X with 15-bit picture id, then key frame.
        assert!(is_keyframe_start(
            Codec::Vp8,
            &[0x90, 0x80, 0x81, 0x23, 0x10]
        ));
        // Not a start.
        assert!(!is_keyframe_start(Codec::Vp8, &[0x00, 0x50]));
    }
}
