//! Tokens and signed parameters the server takes from clients
//! (`liveroom_server::signalling::token`, `liveroom_server::live::sign`): login tokens (raw
//! text, or the input as the token's JSON envelope, base64-encoded as a client would),
//! `streamParams`, signed live-URL queries. Tokens the server mints from fuzzed users, rooms,
//! privileges and expiries must verify exactly when they should. The first byte picks the
//! mode and the v1 policy.
#![no_main]

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use liveroom_server::live::sign;
use liveroom_server::signalling::token::{self, V1Policy, PRIVILEGE_LOGIN, PRIVILEGE_PUBLISH};

const APPID: u64 = 1_739_272_706;
const APP_SIGN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const SECRET: &str = "fuzz-server-secret";
const NOW: u64 = 1_700_000_000;
const V1: V1Policy = V1Policy {
    allow: true,
    nonce_len: token::V1_NONCE_LEN,
    max_ttl_secs: 86_400,
};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let v1 = if sel & 1 != 0 { V1 } else { V1Policy::OFF };
    let (user, room) = text.split_once('\n').unwrap_or((&text, ""));
    let offset = rest
        .iter()
        .fold(0u64, |a, b| a.wrapping_mul(31).wrapping_add(*b as u64));
    match (sel >> 1) % 6 {
        0 => {
            let _ = token::verify(&text, APPID, APP_SIGN, SECRET, "alice", v1, NOW);
        }
        1 => {
            let tok = B64.encode(rest);
            let _ = token::verify(&tok, APPID, APP_SIGN, SECRET, "alice", v1, NOW);
        }
        2 => {
            let _ = token::verify_stream_params(&text, APPID, SECRET, "s1", NOW);
            let _ = sign::verify(Some(&text), SECRET, APPID, "s1", NOW);
        }
        3 => {
            // A v2 token minted for (user, room): valid iff unexpired and granting login.
            let privilege = (sel >> 4) as u32 & 3;
            let expired = NOW - 10 + offset % 20;
            let tok = token::make_v2(APPID, SECRET, user, room, privilege, expired);
            let got = token::verify(&tok, APPID, "", SECRET, user, V1Policy::OFF, NOW);
            match got {
                Ok(g) => {
                    assert!(expired > NOW && privilege & PRIVILEGE_LOGIN != 0);
                    assert_eq!(g.can_publish, privilege & PRIVILEGE_PUBLISH != 0);
                    assert_eq!(g.room_id.as_deref(), (!room.is_empty()).then_some(room));
                }
                Err(e) => assert!(
                    expired <= NOW || privilege & PRIVILEGE_LOGIN == 0,
                    "a valid v2 token was refused: {e}"
                ),
            }
            // Never for another user.
            let other = format!("{user}x");
            assert!(token::verify(&tok, APPID, "", SECRET, &other, V1Policy::OFF, NOW).is_err());
        }
        4 => {
            // A v1 token: valid iff unexpired and within the lifetime the policy allows.
            let expired = NOW - 10 + offset % (V1.max_ttl_secs + 20);
            let tok = token::make_v1(APPID, APP_SIGN, user, expired);
            let ok = token::verify(&tok, APPID, APP_SIGN, "", user, V1, NOW).is_ok();
            assert_eq!(
                ok,
                expired > NOW && expired <= NOW + V1.max_ttl_secs,
                "v1 token verdict"
            );
            assert!(token::verify(&tok, APPID, APP_SIGN, "", user, V1Policy::OFF, NOW).is_err());
        }
        _ => {
            // Stream parameters and live-URL signatures for stream `user`.
            let expired = NOW - 10 + offset % 20;
            let p = token::make_stream_params(APPID, SECRET, user, expired);
            let ok = token::verify_stream_params(&p, APPID, SECRET, user, NOW).is_ok();
            assert_eq!(ok, expired > NOW, "streamParams verdict");
            let q = sign::query(SECRET, APPID, user, expired);
            assert_eq!(
                sign::verify(Some(&q), SECRET, APPID, user, NOW).is_ok(),
                expired > NOW
            );
            assert!(sign::verify(Some(&q), SECRET, APPID, &format!("{user}/"), NOW).is_err());
        }
    }
});
