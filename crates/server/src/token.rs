//! Login tokens: base64 of a JSON envelope.
//!
//! * v1 (legacy, the original demos): `{ver:1, hash, nonce, expired}` with
//!   `hash = md5(appid + appSign[..32] + idName + nonce + expired)`. Anyone holding the app
//!   sign can mint one, and app signs ship inside client apps: fine for development only.
//! * v2 (ours): `{ver:2, appid, id_name, room_id, privilege, nonce, expired, hash}` with
//!   `hash = hex(HMAC-SHA256(server_secret, "2\n{appid}\n{id_name}\n{room_id}\n{privilege}\n{nonce}\n{expired}"))`.
//!   Keyed by the server secret, which never leaves the business server; optionally scoped to
//!   one room (`room_id` non-empty) and to privileges (bit 1 login, bit 2 publish).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub const PRIVILEGE_LOGIN: u32 = 1;
pub const PRIVILEGE_PUBLISH: u32 = 2;

/// What a valid token grants.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// `Some(room)` when the token is valid for that room only.
    pub room_id: Option<String>,
    pub can_publish: bool,
}

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

pub fn md5_hex(s: &str) -> String {
    hex(&Md5::digest(s.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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

fn hmac_hex(key: &str, payload: &str) -> String {
    // HMAC takes keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(payload.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// Checks a login token for `appid`/`id_name` at `now_secs`.
pub fn verify(
    token: &str,
    appid: u64,
    app_sign: &str,
    server_secret: &str,
    id_name: &str,
    allow_v1: bool,
    now_secs: u64,
) -> Result<Grant, TokenError> {
    let raw = B64
        .decode(token.trim())
        .map_err(|_| TokenError::Malformed)?;
    let env: Envelope = serde_json::from_slice(&raw).map_err(|_| TokenError::Malformed)?;
    match env.ver {
        1 if allow_v1 => {
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

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn random_nonce() -> String {
    rand::random::<u64>().to_string()
}

/// Mints a legacy v1 token.
pub fn make_v1(appid: u64, app_sign: &str, id_name: &str, expired: u64) -> String {
    let nonce = random_nonce();
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

/// Checks `streamParams`; the error says what is wrong.
pub fn verify_stream_params(
    params: &str,
    appid: u64,
    server_secret: &str,
    stream_id: &str,
    now_secs: u64,
) -> Result<(), String> {
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
        return Err("streamParams need zg_expired, zg_nonce and zg_token".into());
    };
    let expired: u64 = expired
        .parse()
        .map_err(|_| "zg_expired is not a number".to_string())?;
    let want = hmac_hex(
        server_secret,
        &stream_payload(appid, stream_id, &nonce, expired),
    );
    if !constant_time_eq(&want, &tok.to_ascii_lowercase()) {
        return Err("zg_token does not match".into());
    }
    if expired <= now_secs {
        return Err("stream token expired".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    const SIGN: &str = "0123456789abcdef0123456789abcdefIGNORED";
    const SECRET: &str = "server-secret-0123456789";

    #[test]
    fn v1_round_trip_and_failures() {
        let t = make_v1(42, SIGN, "alice", 2000);
        assert!(
            verify(&t, 42, SIGN, SECRET, "alice", true, 1000)
                .unwrap()
                .can_publish
        );
        assert_eq!(
            verify(&t, 42, SIGN, SECRET, "alice", true, 2000),
            Err(TokenError::Expired)
        );
        assert_eq!(
            verify(&t, 42, SIGN, SECRET, "bob", true, 1000),
            Err(TokenError::BadHash)
        );
        assert_eq!(
            verify(&t, 43, SIGN, SECRET, "alice", true, 1000),
            Err(TokenError::BadHash)
        );
        assert_eq!(
            verify(&t, 42, SIGN, SECRET, "alice", false, 1000),
            Err(TokenError::Version(1))
        );
        assert_eq!(
            verify("%%%", 42, SIGN, SECRET, "alice", true, 1000),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn v1_matches_the_documented_formula() {
        // hash = md5(appid + appSign[..32] + idName + nonce + expired), nonce as a number.
        let hash = md5_hex("420123456789abcdef0123456789abcdefalice77762000");
        let t = B64.encode(format!(
            r#"{{"ver":1,"hash":"{hash}","nonce":777,"expired":62000}}"#
        ));
        assert!(verify(&t, 42, SIGN, SECRET, "alice", true, 1000).is_ok());
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
        let g = verify(&t, 42, SIGN, SECRET, "alice", false, 1000).unwrap();
        assert_eq!(
            g,
            Grant {
                room_id: Some("room1".into()),
                can_publish: false
            }
        );
        assert_eq!(
            verify(&t, 42, SIGN, SECRET, "bob", false, 1000),
            Err(TokenError::WrongScope)
        );
        assert_eq!(
            verify(&t, 42, SIGN, "other-secret", "alice", false, 1000),
            Err(TokenError::BadHash)
        );
        let t = make_v2(42, SECRET, "alice", "", PRIVILEGE_PUBLISH, 2000);
        assert_eq!(
            verify(&t, 42, SIGN, SECRET, "alice", false, 1000),
            Err(TokenError::NoLogin)
        );
    }
}
