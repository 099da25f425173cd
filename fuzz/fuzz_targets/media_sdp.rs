//! SDP offers from clients as the SFU handles them (`crates/media/src/worker.rs`, opening a
//! peer): `SdpOffer::from_sdp_string`, then an `Rtc` with the SFU's configuration
//! (`codecs::rtc_config`: ICE-lite, RTP mode, Opus/H.264/VP8, one shared DTLS certificate)
//! accepts it; an answer it makes must parse as SDP again. Also the first look at a datagram
//! from an unknown address: `StunMessage::parse` and its username, and `Receive::new`.
//!
//! `codecs::rtc_config` and the player-offer munging (`offer::with_shared_msid`) are private
//! to liveroom-media, so the configuration is repeated here (keep it in step).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use std::time::Instant;
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::config::DtlsCert;
use str0m::ice::StunMessage;
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Rtc, RtcConfig};

fn rtc_config() -> RtcConfig {
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

fn cert() -> Option<DtlsCert> {
    static CERT: OnceLock<Option<DtlsCert>> = OnceLock::new();
    CERT.get_or_init(|| {
        str0m::crypto::from_feature_flags()
            .dtls_provider
            .generate_certificate()
    })
    .clone()
}

fuzz_target!(|data: &[u8]| {
    let src = "198.51.100.7:5000".parse().unwrap();
    let dst = "192.0.2.1:3478".parse().unwrap();
    if let Ok(m) = StunMessage::parse(data) {
        let _ = m.split_username();
    }
    let _ = Receive::new(Protocol::Udp, src, dst, data);

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(offer) = SdpOffer::from_sdp_string(text) else {
        return;
    };
    let mut cfg = rtc_config();
    if let Some(c) = cert() {
        cfg = cfg.set_dtls_cert(c);
    }
    let mut rtc = cfg.build(Instant::now());
    if let Ok(c) = Candidate::host(dst, "udp") {
        rtc.add_local_candidate(c);
    }
    if let Ok(answer) = rtc.sdp_api().accept_offer(offer) {
        let sdp = answer.to_sdp_string();
        assert!(
            SdpAnswer::from_sdp_string(&sdp).is_ok(),
            "our answer does not parse: {sdp}"
        );
    }
});
