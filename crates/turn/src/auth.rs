//! Credentials: coturn's REST scheme ("use-auth-secret"), the long-term key, and nonces.
//!
//! REST credentials: `username = "<expiry unix seconds>:<user>"`,
//! `password = base64(HMAC-SHA1(secret, username))`. Whoever knows the shared secret (this
//! server, or an external coturn with `use-auth-secret` / `static-auth-secret`) checks them
//! without any per-user state; a username whose expiry has passed is refused.

use base64::Engine;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha1::Sha1;
use std::net::IpAddr;

/// How long a nonce stays valid; a request with an older one gets 438 (Stale Nonce) and a new
/// nonce, and the client retries at once.
pub const NONCE_LIFETIME_SECS: u64 = 600;

/// REST credentials valid for `ttl_secs` from `now_secs` (unix seconds), for the TURN servers
/// sharing `secret`. Returns `(username, password)`.
pub fn rest_credentials(
    secret: &str,
    user: &str,
    ttl_secs: u64,
    now_secs: u64,
) -> (String, String) {
    let username = format!("{}:{}", now_secs.saturating_add(ttl_secs), user);
    let password = rest_password(secret, &username);
    (username, password)
}

/// `base64(HMAC-SHA1(secret, username))`.
pub fn rest_password(secret: &str, username: &str) -> String {
    let mut mac =
        Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("hmac accepts any key length");
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The expiry (unix seconds) of a REST username: the number before the first ':' (or the
/// whole username when it is only a number, as coturn accepts).
pub fn rest_expiry(username: &str) -> Option<u64> {
    let ts = username.split(':').next()?;
    if ts.is_empty() || !ts.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    ts.parse().ok()
}

/// The user part of a REST username (what per-user quotas count).
pub fn rest_user(username: &str) -> &str {
    match username.split_once(':') {
        Some((_, user)) => user,
        None => username,
    }
}

/// The long-term credential key: `MD5(username ":" realm ":" password)`.
pub fn long_term_key(username: &str, realm: &str, password: &str) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(username.as_bytes());
    h.update(b":");
    h.update(realm.as_bytes());
    h.update(b":");
    h.update(password.as_bytes());
    h.finalize().into()
}

/// Stateless nonces: `<8 hex digits of the issue time><16 hex digits of a MAC>` over the issue
/// time and the client's IP, keyed by a per-process random key.
#[derive(Clone)]
pub struct Nonces {
    key: [u8; 16],
}

/// The outcome of checking a client's NONCE.
#[derive(Debug, PartialEq, Eq)]
pub enum NonceCheck {
    /// Ours, fresh, and made for this client IP.
    Valid,
    /// Ours, but older than [`NONCE_LIFETIME_SECS`].
    Stale,
    /// Not one of ours (or made for another client IP).
    Invalid,
}

impl Nonces {
    /// Nonces keyed with `key`.
    pub fn new(key: [u8; 16]) -> Nonces {
        Nonces { key }
    }

    fn tag(&self, issued: u32, ip: IpAddr) -> String {
        let mut mac = Hmac::<Sha1>::new_from_slice(&self.key).expect("any key length");
        mac.update(&issued.to_be_bytes());
        match ip {
            IpAddr::V4(a) => mac.update(&a.octets()),
            IpAddr::V6(a) => mac.update(&a.octets()),
        }
        let out = mac.finalize().into_bytes();
        out[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A fresh nonce for a client at `ip`: issue time and an HMAC tag of it and the IP.
    pub fn make(&self, now_secs: u64, ip: IpAddr) -> String {
        let issued = now_secs as u32;
        format!("{issued:08x}{}", self.tag(issued, ip))
    }

    /// Whether `nonce` is one of ours for `ip`, and whether it is still fresh.
    pub fn check(&self, nonce: &str, now_secs: u64, ip: IpAddr) -> NonceCheck {
        if nonce.len() != 24 || !nonce.is_ascii() {
            return NonceCheck::Invalid;
        }
        let Ok(issued) = u32::from_str_radix(&nonce[..8], 16) else {
            return NonceCheck::Invalid;
        };
        if !constant_time_eq(&nonce.as_bytes()[8..], self.tag(issued, ip).as_bytes()) {
            return NonceCheck::Invalid;
        }
        let age = (now_secs as u32).wrapping_sub(issued);
        if age > NONCE_LIFETIME_SECS as u32 {
            NonceCheck::Stale
        } else {
            NonceCheck::Valid
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_credentials_match_coturn_formula() {
        let (u, p) = rest_credentials("north", "alice", 3600, 1_700_000_000);
        assert_eq!(u, "1700003600:alice");
        assert_eq!(p, rest_password("north", "1700003600:alice"));
        // 20-byte HMAC-SHA1 in base64 with padding.
        assert_eq!(p.len(), 28);
        assert!(p.ends_with('='));
        // Known value: HMAC-SHA1("key", "The quick brown fox jumps over the lazy dog")
        // = de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9 (RFC 2104 examples, Wikipedia).
        assert_eq!(
            rest_password("key", "The quick brown fox jumps over the lazy dog"),
            "3nybhbi3iqa8ino29wqQcBydtNk="
        );
        assert_eq!(rest_expiry(&u), Some(1_700_003_600));
        assert_eq!(rest_user(&u), "alice");
        assert_eq!(rest_expiry("1700003600"), Some(1_700_003_600));
        assert_eq!(rest_expiry("alice"), None);
        assert_eq!(rest_expiry(":alice"), None);
        assert_eq!(rest_expiry("12a:alice"), None);
        // Users may contain ':' themselves.
        assert_eq!(rest_user("5:a:b"), "a:b");
    }

    #[test]
    fn long_term_key_is_md5() {
        // md5("user:realm:pass")
        assert_eq!(
            long_term_key("user", "realm", "pass")
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
            "8493fbc53ba582fb4c044c456bdc40eb"
        );
    }

    #[test]
    fn nonces_expire_and_bind_to_the_client_ip() {
        let n = Nonces::new([3; 16]);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let nonce = n.make(1000, ip);
        assert_eq!(nonce.len(), 24);
        assert_eq!(n.check(&nonce, 1000, ip), NonceCheck::Valid);
        assert_eq!(
            n.check(&nonce, 1000 + NONCE_LIFETIME_SECS, ip),
            NonceCheck::Valid
        );
        assert_eq!(
            n.check(&nonce, 1001 + NONCE_LIFETIME_SECS, ip),
            NonceCheck::Stale
        );
        assert_eq!(n.check(&nonce, 1000, other), NonceCheck::Invalid);
        assert_eq!(
            Nonces::new([4; 16]).check(&nonce, 1000, ip),
            NonceCheck::Invalid
        );
        assert_eq!(n.check("garbage", 1000, ip), NonceCheck::Invalid);
        assert_eq!(
            n.check("zzzzzzzz0000000000000000", 1000, ip),
            NonceCheck::Invalid
        );
    }
}
