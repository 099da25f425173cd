//! Where a stream plays from outside WebRTC: its HTTP-FLV and HLS URLs on this server (or on a
//! CDN in front of it, `live.cdn_base_url`), as the stream list and mix answers carry them.
//!
//! Paths: `/live/{appid}/{stream_id}.flv` and `/live/{appid}/{stream_id}.m3u8` (segments
//! beside it under `/live/{appid}/{stream_id}/`), signed for apps with `signed_live_urls`
//! (`crate::live::sign`).

pub use liveroom_room::StreamUrls;

/// The base URL the outputs are announced under (no trailing slash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlBase(pub String);

impl UrlBase {
    /// `cdn_base_url` when set, else `public_url`, else this server's own address.
    pub fn new(
        cdn_base_url: &str,
        public_url: &str,
        http_addr: std::net::SocketAddr,
        tls: bool,
    ) -> UrlBase {
        let chosen = if !cdn_base_url.is_empty() {
            cdn_base_url.to_string()
        } else if !public_url.is_empty() {
            public_url.to_string()
        } else {
            let scheme = if tls { "https" } else { "http" };
            let host = if http_addr.ip().is_unspecified() {
                // Bound to every interface: announce loopback; set live.public_url for others.
                std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), http_addr.port())
            } else {
                http_addr
            };
            format!("{scheme}://{host}")
        };
        UrlBase(chosen.trim_end_matches('/').to_string())
    }

    pub fn is_https(&self) -> bool {
        self.0.starts_with("https:")
    }

    /// The URL prefix of an app's streams (up to the slash before the stream id); `appid` may
    /// be the `{appid}` placeholder the room settings fill per room.
    pub fn prefix(&self, appid: &str) -> String {
        format!("{}/live/{appid}/", self.0)
    }

    /// The stream's URLs, with `?{query}` appended when signed (`crate::live::sign`).
    pub fn urls(&self, appid: u64, stream_id: &str, query: Option<&str>) -> StreamUrls {
        StreamUrls::build(&self.prefix(&appid.to_string()), stream_id, query)
    }
}

/// Encodes everything but unreserved characters (stream ids are free text on the wire).
pub use liveroom_room::percent_encode;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_the_base_and_its_scheme() {
        let addr = "0.0.0.0:8282".parse().unwrap();
        let own = UrlBase::new("", "", addr, false);
        assert_eq!(own.0, "http://127.0.0.1:8282");
        let u = own.urls(7, "s 1", None);
        assert_eq!(u.flv, vec!["http://127.0.0.1:8282/live/7/s%201.flv"]);
        assert_eq!(u.m3u8, vec!["http://127.0.0.1:8282/live/7/s%201.m3u8"]);
        assert!(u.https_flv.is_empty());
        let cdn = UrlBase::new("https://cdn.example.com/", "http://x", addr, false);
        let u = cdn.urls(7, "s", Some("expires=9&sign=ab"));
        assert_eq!(
            u.https_flv,
            vec!["https://cdn.example.com/live/7/s.flv?expires=9&sign=ab"]
        );
        assert_eq!(
            u.https_m3u8,
            vec!["https://cdn.example.com/live/7/s.m3u8?expires=9&sign=ab"]
        );
        assert!(u.flv.is_empty());
        assert!(UrlBase::new("", "", addr, true).is_https());
    }
}
