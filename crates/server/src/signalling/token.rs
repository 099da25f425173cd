//! Login tokens: base64 of a JSON envelope.
//!
//! * v1 (legacy, the original demos): `{ver:1, hash, nonce, expired}` with
//!   `hash = md5(appid + appSign[..32] + idName + nonce + expired)`. Anyone holding the app
//!   sign can mint one, and app signs ship inside client apps: fine for development only.
//!   The fields are concatenated without separators, so characters could move between
//!   `idName`, `nonce` and `expired` under the same hash (`alice` + `1234…` = `alice1` +
//!   `234…`). [`V1Policy`] pins the boundaries: the nonce has a fixed length of letters and
//!   digits, and the expiry lies within a maximum lifetime from now (so it has 10 digits).
//! * v2 (ours): `{ver:2, appid, id_name, room_id, privilege, nonce, expired, hash}` with
//!   `hash = hex(HMAC-SHA256(server_secret, "2\n{appid}\n{id_name}\n{room_id}\n{privilege}\n{nonce}\n{expired}"))`.
//!   Keyed by the server secret, which never leaves the business server; optionally scoped to
//!   one room (`room_id` non-empty) and to privileges (bit 1 login, bit 2 publish).

use crate::crypto::{constant_time_eq, hmac_hex, md5_hex};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};

pub const PRIVILEGE_LOGIN: u32 = 1;
pub const PRIVILEGE_PUBLISH: u32 = 2;

/// What a valid token grants.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// `Some(room)` when the token is valid for that room only.
    pub room_id: Option<String>,
    pub can_publish: bool,
}

/// Whether and in which form legacy v1 tokens are accepted (`[tokens]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct V1Policy {
    pub allow: bool,
    /// The exact length of a v1 nonce (ASCII letters and digits).
    pub nonce_len: usize,
    /// The furthest a v1 token's expiry may lie in the future.
    pub max_ttl_secs: u64,
}

impl V1Policy {
    /// The policy `[tokens]` sets.
    pub fn of(cfg: &crate::config::TokenConfig) -> V1Policy {
        V1Policy {
            allow: cfg.allow_v1(),
            nonce_len: cfg.v1_nonce_len,
            max_ttl_secs: cfg.v1_max_ttl_secs,
        }
    }

    /// v1 refused.
    pub const OFF: V1Policy = V1Policy {
        allow: false,
        nonce_len: V1_NONCE_LEN,
        max_ttl_secs: 0,
    };
}

/// The nonce length of the v1 tokens this server mints (and accepts by default).
pub use crate::config::V1_NONCE_LEN;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TokenError {
    #[error("token is not base64 of a JSON object")]
    Malformed,
    #[error("token version {0} is not accepted")]
    Version(u32),
    #[error("token expired")]
    Expired,
    #[error("token signature does not match")]
    BadHash,
    #[error("token is for another user, app or room")]
    WrongScope,
    #[error("token does not grant login")]
    NoLogin,
    #[error("v1 token nonce must be {0} letters or digits")]
    V1Nonce(usize),
    #[error("v1 token expiry is further ahead than the {0} s this server allows")]
    V1Lifetime(u64),
}

#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    ver: u32,
    hash: String,
    #[serde(default, deserialize_with = "any_string")]
    nonce: String,
    expired: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    appid: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    room_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    privilege: Option<u32>,
}

/// The original demos send the nonce as a number or a string.
fn any_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

fn sign32(app_sign: &str) -> &str {
    app_sign.get(..32).unwrap_or(app_sign)
}

fn v2_payload(
    appid: u64,
    id_name: &str,
    room_id: &str,
    privilege: u32,
    nonce: &str,
    expired: u64,
) -> String {
    format!("2\n{appid}\n{id_name}\n{room_id}\n{privilege}\n{nonce}\n{expired}")
}

/// Checks a login token for `appid`/`id_name` at `now_secs`.
pub fn verify(
    token: &str,
    appid: u64,
    app_sign: &str,
    server_secret: &str,
    id_name: &str,
    v1: V1Policy,
    now_secs: u64,
) -> Result<Grant, TokenError> {
    let raw = B64
        .decode(token.trim())
        .map_err(|_| TokenError::Malformed)?;
    let env: Envelope = serde_json::from_slice(&raw).map_err(|_| TokenError::Malformed)?;
    match env.ver {
        1 if v1.allow => {
            // Fixed field forms first: they make the separator-less hash input unambiguous.
            if env.nonce.len() != v1.nonce_len
                || !env.nonce.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(TokenError::V1Nonce(v1.nonce_len));
            }
            if env.expired > now_secs.saturating_add(v1.max_ttl_secs) {
                return Err(TokenError::V1Lifetime(v1.max_ttl_secs));
            }
            let want = md5_hex(&format!(
                "{appid}{}{id_name}{}{}",
                sign32(app_sign),
                env.nonce,
                env.expired
            ));
            if !constant_time_eq(&want, &env.hash.to_ascii_lowercase()) {
                return Err(TokenError::BadHash);
            }
            if env.expired <= now_secs {
                return Err(TokenError::Expired);
            }
            Ok(Grant {
                room_id: None,
                can_publish: true,
            })
        }
        2 => {
            let room = env.room_id.clone().unwrap_or_default();
            let privilege = env.privilege.unwrap_or(PRIVILEGE_LOGIN | PRIVILEGE_PUBLISH);
            let tok_app = env.appid.unwrap_or(0);
            let tok_user = env.id_name.clone().unwrap_or_default();
            let want = hmac_hex(
                server_secret,
                &v2_payload(
                    tok_app,
                    &tok_user,
                    &room,
                    privilege,
                    &env.nonce,
                    env.expired,
                ),
            );
            if !constant_time_eq(&want, &env.hash.to_ascii_lowercase()) {
                return Err(TokenError::BadHash);
            }
            if env.expired <= now_secs {
                return Err(TokenError::Expired);
            }
            if tok_app != appid || tok_user != id_name {
                return Err(TokenError::WrongScope);
            }
            if privilege & PRIVILEGE_LOGIN == 0 {
                return Err(TokenError::NoLogin);
            }
            Ok(Grant {
                room_id: (!room.is_empty()).then_some(room),
                can_publish: privilege & PRIVILEGE_PUBLISH != 0,
            })
        }
        v => Err(TokenError::Version(v)),
    }
}

fn random_nonce() -> String {
    rand::random::<u64>().to_string()
}

/// Mints a legacy v1 token (its nonce: [`V1_NONCE_LEN`] hex digits).
pub fn make_v1(appid: u64, app_sign: &str, id_name: &str, expired: u64) -> String {
    let nonce = format!("{:016x}", rand::random::<u64>());
    let hash = md5_hex(&format!(
        "{appid}{}{id_name}{nonce}{expired}",
        sign32(app_sign)
    ));
    encode(&Envelope {
        ver: 1,
        hash,
        nonce,
        expired,
        appid: None,
        id_name: None,
        room_id: None,
        privilege: None,
    })
}

/// Mints a v2 token; `room_id` "" means any room.
pub fn make_v2(
    appid: u64,
    server_secret: &str,
    id_name: &str,
    room_id: &str,
    privilege: u32,
    expired: u64,
) -> String {
    let nonce = random_nonce();
    let hash = hmac_hex(
        server_secret,
        &v2_payload(appid, id_name, room_id, privilege, &nonce, expired),
    );
    encode(&Envelope {
        ver: 2,
        hash,
        nonce,
        expired,
        appid: Some(appid),
        id_name: Some(id_name.into()),
        room_id: Some(room_id.into()),
        privilege: Some(privilege),
    })
}

fn encode(env: &Envelope) -> String {
    B64.encode(serde_json::to_vec(env).unwrap_or_default())
}

/// Stream authentication (`streamParams` of publish/play, when `rtc.stream_auth` is on):
/// `zg_expired=<unix s>&zg_nonce=<n>&zg_token=<hex HMAC-SHA256(server_secret,
/// "stream\n{appid}\n{stream_id}\n{nonce}\n{expired}")>`, valid for publishing and playing.
pub fn make_stream_params(
    appid: u64,
    server_secret: &str,
    stream_id: &str,
    expired: u64,
) -> String {
    let nonce = random_nonce();
    let t = hmac_hex(
        server_secret,
        &stream_payload(appid, stream_id, &nonce, expired),
    );
    format!("zg_expired={expired}&zg_nonce={nonce}&zg_token={t}")
}

fn stream_payload(appid: u64, stream_id: &str, nonce: &str, expired: u64) -> String {
    format!("stream\n{appid}\n{stream_id}\n{nonce}\n{expired}")
}

/// Why `streamParams` (a stream token) were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamParamsError {
    #[error("streamParams need zg_expired, zg_nonce and zg_token")]
    Missing,
    #[error("zg_expired is not a number")]
    BadExpiry,
    #[error("zg_token does not match")]
    BadToken,
    #[error("stream token expired")]
    Expired,
}

/// Checks `streamParams`; the error says what is wrong.
pub fn verify_stream_params(
    params: &str,
    appid: u64,
    server_secret: &str,
    stream_id: &str,
    now_secs: u64,
) -> Result<(), StreamParamsError> {
    let get = |k: &str| {
        params
            .trim_start_matches('?')
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.to_string())
    };
    let (Some(expired), Some(nonce), Some(tok)) =
        (get("zg_expired"), get("zg_nonce"), get("zg_token"))
    else {
        return Err(StreamParamsError::Missing);
    };
    let expired: u64 = expired.parse().map_err(|_| StreamParamsError::BadExpiry)?;
    let want = hmac_hex(
        server_secret,
        &stream_payload(appid, stream_id, &nonce, expired),
    );
    if !constant_time_eq(&want, &tok.to_ascii_lowercase()) {
        return Err(StreamParamsError::BadToken);
    }
    if expired <= now_secs {
        return Err(StreamParamsError::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    const SIGN: &str = "0123456789abcdef0123456789abcdefIGNORED";
    const SECRET: &str = "server-secret-0123456789";

    const V1: V1Policy = V1Policy {
        allow: true,
        nonce_len: V1_NONCE_LEN,
        max_ttl_secs: 7 * 86400,
    };
    /// A realistic now (2026), so expiries have 10 digits as in the field.
    const NOW: u64 = 1_790_000_000;

    #[test]
    fn v1_round_trip_and_failures() {
        let t = make_v1(42, SIGN, "alice", NOW + 1000);
        assert!(
            verify(&t, 42, SIGN, SECRET, "alice", V1, NOW)
                .unwrap()
                .can_publish
        );
        assert_eq!(
            verify(&t, 42, SIGN, SECRET, "alice", V1, NOW + 1000),
            Err(TokenError::Expired)
        );
        assert_eq!(
            verify(&t, 42, SIGN, SECRET, "bob", V1, NOW),
            Err(TokenError::BadHash)
        );
        assert_eq!(
            verify(&t, 43, SIGN, SECRET, "alice", V1, NOW),
            Err(TokenError::BadHash)
        );
        assert_eq!(
            verify(&t, 42, SIGN, SECRET, "alice", V1Policy::OFF, NOW),
            Err(TokenError::Version(1))
        );
        assert_eq!(
            verify("%%%", 42, SIGN, SECRET, "alice", V1, NOW),
            Err(TokenError::Malformed)
        );
    }

    fn v1_hash(id_name: &str, nonce: &str, expired: &str) -> String {
        md5_hex(&format!("42{}{id_name}{nonce}{expired}", &SIGN[..32]))
    }

    fn v1_envelope(hash: &str, nonce: &str, expired: &str) -> String {
        B64.encode(format!(
            r#"{{"ver":1,"hash":"{hash}","nonce":"{nonce}","expired":{expired}}}"#
        ))
    }

    #[test]
    fn v1_matches_the_documented_formula() {
        // hash = md5(appid + appSign[..32] + idName + nonce + expired), nonce as a number.
        let expired = NOW + 3600;
        let hash = md5_hex(&format!(
            "420123456789abcdef0123456789abcdefalice1234567890123456{expired}"
        ));
        let t = B64.encode(format!(
            r#"{{"ver":1,"hash":"{hash}","nonce":1234567890123456,"expired":{expired}}}"#
        ));
        assert!(verify(&t, 42, SIGN, SECRET, "alice", V1, NOW).is_ok());
    }

    #[test]
    fn v1_characters_cannot_move_between_fields() {
        // Alice's genuine token: nonce "1abcdef012345678", a 10-digit expiry.
        let expired = (NOW + 3600).to_string();
        let hash = v1_hash("alice", "1abcdef012345678", &expired);
        let genuine = v1_envelope(&hash, "1abcdef012345678", &expired);
        assert!(verify(&genuine, 42, SIGN, SECRET, "alice", V1, NOW).is_ok());
        // The nonce's first character moved into the user name: same md5 input.
        let as_alice1 = v1_envelope(&hash, "abcdef012345678", &expired);
        assert_eq!(
            verify(&as_alice1, 42, SIGN, SECRET, "alice1", V1, NOW),
            Err(TokenError::V1Nonce(V1_NONCE_LEN))
        );
        // The nonce's last character moved into the expiry (11 digits, centuries ahead).
        let longer = v1_envelope(&hash, "1abcdef01234567", &format!("8{expired}"));
        assert_eq!(
            verify(&longer, 42, SIGN, SECRET, "alice", V1, NOW),
            Err(TokenError::V1Nonce(V1_NONCE_LEN))
        );
        // A genuine token further ahead than the configured lifetime is refused as well.
        let far = make_v1(42, SIGN, "alice", NOW + V1.max_ttl_secs + 1);
        assert_eq!(
            verify(&far, 42, SIGN, SECRET, "alice", V1, NOW),
            Err(TokenError::V1Lifetime(V1.max_ttl_secs))
        );
        // Letters and digits only.
        let hash = v1_hash("alice", "1abcdef01234567\n", &expired);
        let odd = v1_envelope(&hash, "1abcdef01234567\\n", &expired);
        assert_eq!(
            verify(&odd, 42, SIGN, SECRET, "alice", V1, NOW),
            Err(TokenError::V1Nonce(V1_NONCE_LEN))
        );
    }

    #[test]
    fn stream_params_round_trip() {
        let p = make_stream_params(42, SECRET, "s1", 2000);
        assert!(verify_stream_params(&p, 42, SECRET, "s1", 1000).is_ok());
        assert!(verify_stream_params(&p, 42, SECRET, "s2", 1000).is_err());
        assert!(verify_stream_params(&p, 42, SECRET, "s1", 2000).is_err());
        assert!(verify_stream_params("", 42, SECRET, "s1", 1000).is_err());
    }

    #[test]
    fn v2_scopes_room_and_privilege() {
        let t = make_v2(42, SECRET, "alice", "room1", PRIVILEGE_LOGIN, 2000);
        let g = verify(&t, 42, SIGN, SECRET, "alice", V1Policy::OFF, 1000).unwrap();
        assert_eq!(
            g,
            Grant {
                room_id: Some("room1".into()),
                can_publish: false
            }
        );
        assert_eq!(
            verify(&t, 42, SIGN, SECRET, "bob", V1Policy::OFF, 1000),
            Err(TokenError::WrongScope)
        );
        assert_eq!(
            verify(&t, 42, SIGN, "other-secret", "alice", V1Policy::OFF, 1000),
            Err(TokenError::BadHash)
        );
        let t = make_v2(42, SECRET, "alice", "", PRIVILEGE_PUBLISH, 2000);
        assert_eq!(
            verify(&t, 42, SIGN, SECRET, "alice", V1Policy::OFF, 1000),
            Err(TokenError::NoLogin)
        );
    }
}
