//! Early nomination for the ICE-lite SFU.
//!
//! Chrome (the controlling agent) first checks a pair without USE-CANDIDATE and nominates it
//! with a later check, about 50 ms on. An ICE-lite agent has no send address until the
//! nomination, so the browser's DTLS ClientHello, sent as soon as its first check succeeds,
//! waits unanswered — the first frame comes that much later (the known trap of ICE-lite
//! servers). The SFU has exactly one candidate per address family, so the first pair that
//! passes a check is the pair the browser will nominate: we treat that first authenticated
//! check as if it carried USE-CANDIDATE, re-signing it with our own ICE password (which is the
//! key of its MESSAGE-INTEGRITY). A later real nomination of another pair still switches the
//! send address as usual.

use hmac::{Hmac, Mac};
use sha1::Sha1;

const BINDING_REQUEST: u16 = 0x0001;
const MAGIC_COOKIE: [u8; 4] = [0x21, 0x12, 0xa4, 0x42];
const ATTR_MESSAGE_INTEGRITY: u16 = 0x0008;
const ATTR_USE_CANDIDATE: u16 = 0x0025;
const ATTR_FINGERPRINT: u16 = 0x8028;
const ATTR_ICE_CONTROLLING: u16 = 0x802a;
const FINGERPRINT_XOR: u32 = 0x5354_554e;
const HEADER: usize = 20;

/// The binding request with USE-CANDIDATE added and its integrity and fingerprint redone,
/// if `data` is an authenticated binding request from a controlling agent without it.
pub fn with_use_candidate(data: &[u8], local_pwd: &str) -> Option<Vec<u8>> {
    if data.len() < HEADER
        || u16::from_be_bytes([data[0], data[1]]) != BINDING_REQUEST
        || data[4..8] != MAGIC_COOKIE
    {
        return None;
    }
    let len = u16::from_be_bytes([data[2], data[3]]) as usize;
    if HEADER + len != data.len() {
        return None;
    }
    let mut i = HEADER;
    let mut integrity_at = None;
    let mut controlling = false;
    while i + 4 <= data.len() {
        let typ = u16::from_be_bytes([data[i], data[i + 1]]);
        let alen = u16::from_be_bytes([data[i + 2], data[i + 3]]) as usize;
        match typ {
            ATTR_USE_CANDIDATE => return None,
            ATTR_ICE_CONTROLLING => controlling = true,
            ATTR_MESSAGE_INTEGRITY => {
                integrity_at = Some(i);
                break;
            }
            _ => {}
        }
        i += 4 + alen.div_ceil(4) * 4;
    }
    let integrity_at = integrity_at?;
    if !controlling || !integrity_ok(data, integrity_at, local_pwd) {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() + 4);
    out.extend_from_slice(&data[..integrity_at]);
    out.extend_from_slice(&ATTR_USE_CANDIDATE.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    // MESSAGE-INTEGRITY covers the message up to itself, with the length counting it.
    let n = out.len() - HEADER + 24;
    set_len(&mut out, n);
    let mac = hmac_sha1(local_pwd.as_bytes(), &out);
    out.extend_from_slice(&ATTR_MESSAGE_INTEGRITY.to_be_bytes());
    out.extend_from_slice(&20u16.to_be_bytes());
    out.extend_from_slice(&mac);
    let n = out.len() - HEADER + 8;
    set_len(&mut out, n);
    let crc = crc32fast::hash(&out) ^ FINGERPRINT_XOR;
    out.extend_from_slice(&ATTR_FINGERPRINT.to_be_bytes());
    out.extend_from_slice(&4u16.to_be_bytes());
    out.extend_from_slice(&crc.to_be_bytes());
    Some(out)
}

fn set_len(msg: &mut [u8], len: usize) {
    msg[2..4].copy_from_slice(&(len as u16).to_be_bytes());
}

fn hmac_sha1(key: &[u8], msg: &[u8]) -> [u8; 20] {
    let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("any key length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// Checks the request's own MESSAGE-INTEGRITY: only a check signed with our password is
/// re-signed (anything else goes to str0m untouched and is refused there).
fn integrity_ok(data: &[u8], at: usize, pwd: &str) -> bool {
    if data.len() < at + 24 {
        return false;
    }
    let mut signed = data[..at].to_vec();
    set_len(&mut signed, at - HEADER + 24);
    hmac_sha1(pwd.as_bytes(), &signed)[..] == data[at + 4..at + 24]
}

#[cfg(test)]
mod tests {
    use super::*;
    use str0m::ice::StunMessage;

    fn request(pwd: &str, use_candidate: bool) -> Vec<u8> {
        let mut m = vec![0x00, 0x01, 0x00, 0x00];
        m.extend_from_slice(&MAGIC_COOKIE);
        m.extend_from_slice(&[7; 12]);
        // USERNAME "abcd:efgh"
        m.extend_from_slice(&[0x00, 0x06, 0x00, 0x09]);
        m.extend_from_slice(b"abcd:efgh\0\0\0");
        // PRIORITY, ICE-CONTROLLING
        m.extend_from_slice(&[0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x1e, 0xff]);
        m.extend_from_slice(&[0x80, 0x2a, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8]);
        if use_candidate {
            m.extend_from_slice(&[0x00, 0x25, 0x00, 0x00]);
        }
        let n = m.len() - HEADER + 24;
        set_len(&mut m, n);
        let mac = hmac_sha1(pwd.as_bytes(), &m);
        m.extend_from_slice(&[0x00, 0x08, 0x00, 0x14]);
        m.extend_from_slice(&mac);
        let n = m.len() - HEADER + 8;
        set_len(&mut m, n);
        let crc = crc32fast::hash(&m) ^ FINGERPRINT_XOR;
        m.extend_from_slice(&[0x80, 0x28, 0x00, 0x04]);
        m.extend_from_slice(&crc.to_be_bytes());
        m
    }

    #[test]
    fn adds_use_candidate_and_re_signs() {
        let out = with_use_candidate(&request("secret", false), "secret").unwrap();
        assert_eq!(out, request("secret", true));
        let parsed = StunMessage::parse(&out).unwrap();
        assert!(parsed.is_binding_request());
        assert!(parsed.use_candidate());
    }

    #[test]
    fn leaves_other_messages_alone() {
        assert!(with_use_candidate(&request("secret", true), "secret").is_none());
        assert!(with_use_candidate(&request("other", false), "secret").is_none());
        assert!(with_use_candidate(b"not stun", "secret").is_none());
    }
}
