//! The codecs the SFU negotiates: Opus, VP8 and H.264 in the profiles every browser shares
//! (constrained baseline 42e01f and baseline 42001f, packetization mode 1). Never AV1/VP9,
//! so publishers send what every player can take without transcoding.

use str0m::format::{Codec, PayloadParams};
use str0m::{Rtc, RtcConfig};

pub fn rtc_config() -> RtcConfig {
    let mut cfg = Rtc::builder()
        .set_ice_lite(true)
        .set_rtp_mode(true)
        .clear_codecs()
        .enable_opus(true, false);
    let codecs = cfg.codec_config();
    codecs.add_h264(108.into(), Some(109.into()), true, 0x42e01f);
    codecs.add_h264(127.into(), Some(121.into()), true, 0x42001f);
    codecs.enable_vp8(true);
    cfg
}

/// True if a player's payload params can carry what the publisher sends with `src`.
pub fn compatible(src: &PayloadParams, dst: &PayloadParams) -> bool {
    let (s, d) = (src.spec(), dst.spec());
    if s.codec != d.codec || s.clock_rate != d.clock_rate {
        return false;
    }
    if s.codec == Codec::H264 {
        return s.format.packetization_mode.unwrap_or(0)
            == d.format.packetization_mode.unwrap_or(0);
    }
    true
}
