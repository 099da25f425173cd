//! A player's offer, prepared for str0m: its receive-only media sections carry no `a=msid`, so
//! str0m would answer every track with a random media stream of its own, and the browser,
//! which keeps audio and video in sync only within one media stream (its "sync group"), would
//! play them unsynchronised. Each audio and video section without an `a=msid` gets one with a
//! media stream shared by the offer; str0m reflects it in its answer.

/// Most characters of a media stream id (RFC 8830 `msid-id`: 1–64 token characters).
const MSID_MAX: usize = 64;

/// The offer with `a=msid:<stream_id> <kind>` added to each audio and video section that has
/// none. `stream_id` is reduced to token characters (RFC 4566), so any stream name will do.
pub fn with_shared_msid(offer: &str, stream_id: &str) -> String {
    let id: String = stream_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`{|}~".contains(*c))
        .take(MSID_MAX)
        .collect();
    let id = if id.is_empty() {
        "liveroom".to_string()
    } else {
        id
    };
    let eol = if offer.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out = String::with_capacity(offer.len() + 128);
    // The audio or video section being copied: its kind, and whether it has an msid.
    let mut section: Option<(&str, bool)> = None;
    let close = |out: &mut String, section: Option<(&str, bool)>| {
        if let Some((kind, false)) = section {
            out.push_str(&format!("a=msid:{id} {kind}{eol}"));
        }
    };
    for line in offer.split(eol).filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("m=") {
            close(&mut out, section);
            let kind = rest.split(' ').next().unwrap_or("");
            section = matches!(kind, "audio" | "video").then_some((kind, false));
        } else if line.starts_with("a=msid:") {
            if let Some(s) = section.as_mut() {
                s.1 = true;
            }
        }
        out.push_str(line);
        out.push_str(eol);
    }
    close(&mut out, section);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str =
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1 2\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=recvonly\r\n\
        m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=recvonly\r\n\
        m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:2\r\n";

    #[test]
    fn audio_and_video_sections_share_one_media_stream() {
        let out = with_shared_msid(OFFER, "room stream/1");
        let msids: Vec<&str> = out.lines().filter(|l| l.starts_with("a=msid:")).collect();
        assert_eq!(
            msids,
            ["a=msid:roomstream1 audio", "a=msid:roomstream1 video"]
        );
        // Each one in its own section, the data channel's untouched.
        let sections: Vec<&str> = out.split("m=").skip(1).collect();
        assert!(sections[0].contains("a=msid:roomstream1 audio"));
        assert!(sections[1].contains("a=msid:roomstream1 video"));
        assert!(!sections[2].contains("a=msid"));
        assert!(out.ends_with("\r\n") && !out.contains("\r\n\r\n"));
    }

    #[test]
    fn sections_with_an_msid_keep_theirs_and_odd_names_still_give_an_id() {
        let offer = OFFER.replace("a=mid:0\r\n", "a=mid:0\r\na=msid:mine t0\r\n");
        let out = with_shared_msid(&offer, "流");
        assert!(out.contains("a=msid:mine t0\r\n"));
        assert!(out.contains("a=msid:liveroom video\r\n"));
        assert_eq!(out.matches("a=msid:").count(), 2);
        let long = "x".repeat(200);
        assert!(
            with_shared_msid(OFFER, &long).contains(&format!("a=msid:{} audio", "x".repeat(64)))
        );
    }

    #[test]
    fn str0m_answers_with_the_shared_stream() {
        use str0m::change::SdpOffer;
        let chrome = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
            a=group:BUNDLE 0 1\r\na=msid-semantic: WMS\r\n\
            m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n\
            a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=ice-options:trickle\r\n\
            a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n\
            a=setup:actpass\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n\
            m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n\
            a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=ice-options:trickle\r\n\
            a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n\
            a=setup:actpass\r\na=mid:1\r\na=recvonly\r\na=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack pli\r\n";
        let offer = SdpOffer::from_sdp_string(&with_shared_msid(chrome, "s1")).unwrap();
        let mut rtc = crate::codecs::rtc_config().build(std::time::Instant::now());
        let answer = rtc.sdp_api().accept_offer(offer).unwrap().to_sdp_string();
        let streams: Vec<&str> = answer
            .lines()
            .filter_map(|l| l.strip_prefix("a=msid:"))
            .map(|l| l.split(' ').next().unwrap())
            .collect();
        assert_eq!(streams, ["s1", "s1"], "{answer}");
    }
}
