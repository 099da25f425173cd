//! The frame envelope `{ "header": {...}, "body": {...} }` (notes §1.1).
//!
//! Requests are parsed in two steps: the header first (to know the command and the seq to echo),
//! the body later by the command's handler. Replies and pushes are written by hand around an
//! already-serialized body, so a push body is serialized once and shared by every recipient;
//! only the recipient's small header is written per session.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Request header (client → server). Note the capital `Protocol`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct ReqHeader {
    /// The frame kind, `"req"` for requests (the wire capitalises the key).
    #[serde(rename = "Protocol", default)]
    pub protocol: String,
    /// The command, e.g. `login`, `hb`, `stream`.
    pub cmd: String,
    /// The application id the client was configured with.
    #[serde(default)]
    pub appid: u64,
    /// The client's request number, echoed in the reply so the client can match it.
    #[serde(default)]
    pub seq: u64,
    /// The user id from the login reply (empty before login; some clients send a number).
    #[serde(default, deserialize_with = "string_or_number")]
    pub user_id: String,
    /// The session id from the login reply (empty before login; some clients send a number).
    #[serde(default, deserialize_with = "string_or_number")]
    pub session_id: String,
    /// The room the request is for.
    #[serde(default)]
    pub room_id: String,
}

/// A parsed request: its header and the still-unparsed body.
#[derive(Debug)]
pub struct Frame<'a> {
    /// The request header.
    pub header: ReqHeader,
    /// The body, parsed later by the command's handler.
    pub body: &'a RawValue,
}

#[derive(Debug, Deserialize)]
struct RawFrame<'a> {
    header: ReqHeader,
    #[serde(borrow)]
    body: Option<&'a RawValue>,
}

/// Why a frame could not be parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum FrameError {
    /// Not JSON, or no header with a string `cmd`: nothing to echo.
    Malformed(String),
}

const EMPTY_BODY: &str = "{}";

/// Parses the envelope of one text frame; the body stays raw.
pub fn parse_frame(text: &str) -> Result<Frame<'_>, FrameError> {
    let raw: RawFrame<'_> =
        serde_json::from_str(text).map_err(|e| FrameError::Malformed(e.to_string()))?;
    let body = match raw.body {
        Some(b) => b,
        // Safe: a literal valid JSON object.
        None => serde_json::from_str::<&RawValue>(EMPTY_BODY).expect("literal JSON"),
    };
    Ok(Frame {
        header: raw.header,
        body,
    })
}

/// The identity a session echoes in every header it sends.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionIds {
    /// The application id.
    pub appid: u64,
    /// The user id the server assigned at login.
    pub user_id: String,
    /// The session id the server assigned at login.
    pub session_id: String,
    /// The room the session is in.
    pub room_id: String,
}

/// Writes a reply frame `{"header":{"protocol":"rsp",...},"body":<body>}`.
pub fn encode_reply(cmd: &str, seq: u64, ids: &SessionIds, body: &[u8]) -> String {
    let mut out = String::with_capacity(160 + body.len());
    out.push_str("{\"header\":{\"protocol\":\"rsp\",\"cmd\":");
    push_json_str(&mut out, cmd);
    out.push_str(",\"seq\":");
    out.push_str(&seq.to_string());
    push_ids(&mut out, ids);
    out.push_str("},\"body\":");
    // Bodies come from serde_json, so they are valid UTF-8.
    out.push_str(std::str::from_utf8(body).unwrap_or("{}"));
    out.push('}');
    out
}

/// Writes a push frame around a shared, already-serialized body.
pub fn encode_push(
    cmd: &str,
    push_seq: u64,
    from_user_id: &str,
    ids: &SessionIds,
    body: &[u8],
) -> String {
    let mut out = String::with_capacity(200 + body.len());
    out.push_str("{\"header\":{\"protocol\":\"push\",\"cmd\":");
    push_json_str(&mut out, cmd);
    push_ids(&mut out, ids);
    out.push_str(",\"push_seq\":");
    out.push_str(&push_seq.to_string());
    out.push_str(",\"from_user_id\":");
    push_json_str(&mut out, from_user_id);
    out.push_str(",\"qos_flag\":0},\"body\":");
    out.push_str(std::str::from_utf8(body).unwrap_or("{}"));
    out.push('}');
    out
}

fn push_ids(out: &mut String, ids: &SessionIds) {
    out.push_str(",\"appid\":");
    out.push_str(&ids.appid.to_string());
    out.push_str(",\"user_id\":");
    push_json_str(out, &ids.user_id);
    out.push_str(",\"session_id\":");
    push_json_str(out, &ids.session_id);
    out.push_str(",\"room_id\":");
    push_json_str(out, &ids.room_id);
}

fn push_json_str(out: &mut String, s: &str) {
    // serde_json never fails to serialize a &str.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
}

/// Accepts `"123"` or `123` (some clients send ids as numbers) or null.
fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        S(String),
        N(u64),
        Null(()),
    }
    Ok(match Id::deserialize(d)? {
        Id::S(s) => s,
        Id::N(n) => n.to_string(),
        Id::Null(()) => String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_login_frame() {
        let f = parse_frame(
            r#"{"header":{"Protocol":"req","cmd":"login","appid":1739272706,"seq":1,"user_id":"","session_id":"","room_id":"r1"},"body":{"id_name":"u"}}"#,
        )
        .unwrap();
        assert_eq!(f.header.cmd, "login");
        assert_eq!(f.header.seq, 1);
        assert_eq!(f.header.appid, 1739272706);
        assert_eq!(f.body.get(), r#"{"id_name":"u"}"#);
    }

    #[test]
    fn rejects_frames_without_header() {
        assert!(parse_frame("{}").is_err());
        assert!(parse_frame("not json").is_err());
        assert!(parse_frame(r#"{"header":{"seq":1}}"#).is_err());
    }

    #[test]
    fn reply_and_push_are_valid_json() {
        let ids = SessionIds {
            appid: 7,
            user_id: "11".into(),
            session_id: "22".into(),
            room_id: "r\"1".into(),
        };
        let r: serde_json::Value =
            serde_json::from_str(&encode_reply("hb", 3, &ids, br#"{"err_code":0}"#)).unwrap();
        assert_eq!(r["header"]["protocol"], "rsp");
        assert_eq!(r["header"]["room_id"], "r\"1");
        assert_eq!(r["header"]["seq"], 3);
        let p: serde_json::Value =
            serde_json::from_str(&encode_push("push_im_chat", 9, "5", &ids, b"{}")).unwrap();
        assert_eq!(p["header"]["protocol"], "push");
        assert_eq!(p["header"]["push_seq"], 9);
        assert_eq!(p["header"]["session_id"], "22");
        assert_eq!(p["header"]["appid"], 7);
    }
}
