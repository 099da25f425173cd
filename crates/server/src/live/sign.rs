//! Signed HTTP-FLV / HLS URLs, as CDNs sign theirs (docs/protocol.md §11): a stream's URL
//! carries `?expires=<unix s>&sign=<hex HMAC-SHA256(server_secret,
//! "live\n{appid}\n{stream_id}\n{expires}")>`, with the app's server secret and the stream id
//! as published (not percent-encoded). Apps with `signed_live_urls` (the default outside dev
//! mode) are served only on such URLs; the playlist passes the same query on to its segments.

use crate::config::apps::Apps;
use crate::crypto::{constant_time_eq, hmac_hex};

/// The query parameters.
pub const EXPIRES: &str = "expires";
pub const SIGN: &str = "sign";

/// Why a live URL is refused (the 403's text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiveSignError {
    #[error("this stream's URLs are signed: add ?expires=<unix s>&sign=<hex HMAC> (a URL from the stream list, or one minted by POST /admin/v1/apps/{{appid}}/live_urls)")]
    Missing,
    #[error("expires is not a number of seconds")]
    BadExpires,
    #[error("sign does not match this app, stream and expiry")]
    BadSign,
    #[error("expired")]
    Expired,
}

fn payload(appid: u64, stream_id: &str, expires: u64) -> String {
    format!("live\n{appid}\n{stream_id}\n{expires}")
}

/// The hex signature of a stream's URLs valid until `expires`.
pub fn sign(server_secret: &str, appid: u64, stream_id: &str, expires: u64) -> String {
    hmac_hex(server_secret, &payload(appid, stream_id, expires))
}

/// The query string (without `?`) of a stream's URLs valid until `expires`.
pub fn query(server_secret: &str, appid: u64, stream_id: &str, expires: u64) -> String {
    let s = sign(server_secret, appid, stream_id, expires);
    format!("{EXPIRES}={expires}&{SIGN}={s}")
}

/// Checks a request's query string (without `?`; other parameters are ignored). On success
/// the query to pass on (to a playlist's segments) is returned.
pub fn verify(
    raw_query: Option<&str>,
    server_secret: &str,
    appid: u64,
    stream_id: &str,
    now_secs: u64,
) -> Result<String, LiveSignError> {
    let q = raw_query.unwrap_or("");
    let get = |k: &str| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v)
    };
    let (Some(expires), Some(given)) = (get(EXPIRES), get(SIGN)) else {
        return Err(LiveSignError::Missing);
    };
    let expires: u64 = expires.parse().map_err(|_| LiveSignError::BadExpires)?;
    let want = sign(server_secret, appid, stream_id, expires);
    if !constant_time_eq(&want, &given.to_ascii_lowercase()) {
        return Err(LiveSignError::BadSign);
    }
    if expires <= now_secs {
        return Err(LiveSignError::Expired);
    }
    Ok(format!("{EXPIRES}={expires}&{SIGN}={want}"))
}

/// The query of a stream's URLs valid `ttl_secs` from `now_secs`, for an app with
/// `signed_live_urls`; None for other apps (plain URLs) and unknown ones.
pub fn query_for(
    apps: &Apps,
    ttl_secs: u64,
    appid: u64,
    stream_id: &str,
    now_secs: u64,
) -> Option<String> {
    let app = apps.get(appid).filter(|a| a.signed_live_urls)?;
    let expires = now_secs.saturating_add(ttl_secs);
    Some(query(&app.server_secret, appid, stream_id, expires))
}

/// Signs the URLs the server hands out (stream lists, mix answers): for an app with
/// `signed_live_urls`, the query of URLs valid `ttl_secs` from now.
#[derive(Debug, Clone)]
pub struct LiveSigner {
    apps: Apps,
    ttl_secs: u64,
}

impl LiveSigner {
    pub fn new(apps: Apps, ttl_secs: u64) -> LiveSigner {
        LiveSigner { apps, ttl_secs }
    }

    /// None when the app's URLs are not signed (or there is no such app).
    pub fn query(&self, appid: u64, stream_id: &str, now_secs: u64) -> Option<String> {
        query_for(&self.apps, self.ttl_secs, appid, stream_id, now_secs)
    }

    /// The same, as the room crate's signer of stream lists.
    pub fn room_signer(self) -> liveroom_room::LiveUrlSigner {
        std::sync::Arc::new(move |appid, stream_id, now| self.query(appid, stream_id, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const SECRET: &str = "server-secret-0123456789";

    fn q(stream: &str, expires: u64) -> String {
        query(SECRET, 7, stream, expires)
    }

    #[test]
    fn round_trip_and_the_documented_formula() {
        let good = q("s 1", 2000);
        assert_eq!(
            verify(Some(&good), SECRET, 7, "s 1", 1000),
            Ok(good.clone())
        );
        // Other parameters (a player's cache buster) are ignored; the hex may be upper case.
        let upper = sign(SECRET, 7, "s 1", 2000).to_uppercase();
        let mixed = format!("t=1&expires=2000&sign={upper}");
        assert_eq!(verify(Some(&mixed), SECRET, 7, "s 1", 1000), Ok(good));
        assert_eq!(
            sign(SECRET, 7, "s 1", 2000),
            hmac_hex(SECRET, "live\n7\ns 1\n2000")
        );
    }

    #[test]
    fn wrong_stream_app_secret_expiry_and_missing_parts_are_refused() {
        let good = q("s1", 2000);
        let v = |query: Option<&str>, secret: &str, appid: u64, stream: &str, now: u64| {
            verify(query, secret, appid, stream, now)
        };
        assert_eq!(
            v(Some(&good), SECRET, 7, "s2", 1000),
            Err(LiveSignError::BadSign)
        );
        assert_eq!(
            v(Some(&good), SECRET, 8, "s1", 1000),
            Err(LiveSignError::BadSign)
        );
        assert_eq!(
            v(Some(&good), "another-secret-0123", 7, "s1", 1000),
            Err(LiveSignError::BadSign)
        );
        assert_eq!(
            v(Some(&good), SECRET, 7, "s1", 2000),
            Err(LiveSignError::Expired)
        );
        assert_eq!(LiveSignError::Expired.to_string(), "expired");
        // A later expiry with the old signature.
        let tampered = good.replace("expires=2000", "expires=9999");
        assert_eq!(
            v(Some(&tampered), SECRET, 7, "s1", 1000),
            Err(LiveSignError::BadSign)
        );
        let not_a_number = good.replace("expires=2000", "expires=20x0");
        assert_eq!(
            v(Some(&not_a_number), SECRET, 7, "s1", 1000),
            Err(LiveSignError::BadExpires)
        );
        assert_eq!(v(None, SECRET, 7, "s1", 1000), Err(LiveSignError::Missing));
        assert_eq!(
            v(Some("expires=2000"), SECRET, 7, "s1", 1000),
            Err(LiveSignError::Missing)
        );
        assert_eq!(
            v(Some("expires=2000&sign="), SECRET, 7, "s1", 1000),
            Err(LiveSignError::BadSign)
        );
    }

    #[test]
    fn the_signer_signs_only_apps_with_signed_urls() {
        let toml = format!(
            "[[apps]]\nappid = 7\napp_sign = \"{s}{s}\"\nserver_secret = \"{SECRET}\"\n\
             [[apps]]\nappid = 8\napp_sign = \"{s}{s}\"\nserver_secret = \"{SECRET}\"\nsigned_live_urls = false\n",
            s = "0123456789abcdef"
        );
        let config: crate::config::Config = toml::from_str(&toml).unwrap();
        let signer = LiveSigner::new(Apps::from_config(&config), 100);
        let got = signer.query(7, "s1", 1000).unwrap();
        assert_eq!(got, q("s1", 1100));
        assert!(signer.query(8, "s1", 1000).is_none());
        assert!(signer.query(9, "s1", 1000).is_none());
        let room = signer.room_signer();
        assert_eq!(room(7, "s1", 1000), Some(got));
    }
}
