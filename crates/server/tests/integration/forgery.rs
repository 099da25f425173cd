//! Input crafted to forge: v1 tokens with characters moved between their unseparated fields,
//! v1 tokens outside dev mode, and ids carrying control characters (log lines, terminals).

use crate::common;
use base64::Engine;
use common::*;
use liveroom_server::config::{DEV_APP_SIGN, DEV_SERVER_SECRET};
use liveroom_server::signalling::token;

fn prod_config(tokens: &str) -> String {
    format!(
        "{tokens}[[apps]]\nappid = {APPID}\napp_sign = \"{DEV_APP_SIGN}\"\nserver_secret = \"{DEV_SERVER_SECRET}\"\n"
    )
}

/// The fields of a v1 token.
fn fields(t: &str) -> Value {
    serde_json::from_slice(&base64::engine::general_purpose::STANDARD.decode(t).unwrap()).unwrap()
}

fn envelope(v: &Value) -> String {
    base64::engine::general_purpose::STANDARD.encode(v.to_string())
}

#[tokio::test]
async fn v1_tokens_are_off_outside_dev_mode_unless_turned_on() {
    let v1 = token::make_v1(APPID, DEV_APP_SIGN, "alice", now_secs() + 600);
    let s = TestServer::start_with(Some(&prod_config("")), &[]).await;
    let mut c = s.connect().await;
    assert_eq!(
        err_code(c.login("r", "alice", &v1, &LoginOptions::default()).await),
        1008
    );
    let s = TestServer::start_with(Some(&prod_config("[tokens]\nallow_v1 = true\n")), &[]).await;
    let mut c = s.connect().await;
    c.login("r", "alice", &v1, &LoginOptions::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_v1_token_cannot_be_bent_to_another_user_or_a_later_expiry() {
    let s = TestServer::start(&[]).await;
    let genuine = dev_token("alice");
    let f = fields(&genuine);
    let nonce = f["nonce"].as_str().unwrap().to_string();
    let expired = f["expired"].as_u64().unwrap();
    // The nonce's first character moved into the user name: same md5 input, other user.
    let mut as_other = f.clone();
    as_other["nonce"] = json!(nonce[1..]);
    let other = format!("alice{}", &nonce[..1]);
    let mut c = s.connect().await;
    let e = c
        .login("r", &other, &envelope(&as_other), &LoginOptions::default())
        .await;
    assert_eq!(err_code(e), 1008);
    // The nonce's last character moved in front of the expiry: centuries later.
    let mut later = f.clone();
    later["nonce"] = json!(nonce[..nonce.len() - 1]);
    later["expired"] = json!(format!("{}{expired}", &nonce[nonce.len() - 1..])
        .parse::<u64>()
        .unwrap_or(u64::MAX));
    let e = c
        .login("r", "alice", &envelope(&later), &LoginOptions::default())
        .await;
    assert_eq!(err_code(e), 1008);
    // The genuine one still works.
    c.login("r", "alice", &genuine, &LoginOptions::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn ids_with_control_characters_are_refused_everywhere() {
    let s = TestServer::start(&[]).await;
    for (room, id_name, nick) in [
        (
            "r",
            "mallory\n2026-12-06T00:00:00Z  INFO ADMIN login ok",
            "M",
        ),
        ("r", "mallory\u{0}", "M"),
        ("r\u{1b}[2J", "mallory", "M"),
        ("r", "mallory", "M\u{202e}gnp.exe"),
    ] {
        let mut c = s.connect().await;
        let o = LoginOptions {
            nick_name: nick.into(),
            ..anchor(nick)
        };
        let r = c.login(room, id_name, &dev_token(id_name), &o).await;
        let Err(liveroom_client::ClientError::Server { code, message, .. }) = r else {
            panic!("{id_name:?} in {room:?} logged in: {r:?}");
        };
        assert_eq!(code, 1_000_000_002, "{id_name:?}");
        assert!(message.contains("control character"), "{message}");
    }
    // Stream ids: in the room's stream list, the publish dispatch and media signalling.
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let e = alice
        .request("stream", stream_body(2001, "cam\u{2066}", ""))
        .await;
    assert_eq!(err_code(e), 1_000_000_002);
    let e = alice
        .request(
            "webrtc_url",
            json!({"stream_id": "cam\r\nx", "ptype": "push", "signals": [], "header_kvs": []}),
        )
        .await;
    assert_eq!(err_code(e), 1_000_000_002);
    let mut sig = s.media_signal_of_logged_in("r", "alice").await;
    let e = sig.create_session(0, "cam\n", "").await.map(|(_, v)| v);
    assert_eq!(err_code(e), 4);
    // And the dev token endpoint.
    let a = http(
        &s.addr,
        "GET",
        &format!("/token?app_id={APPID}&id_name=a%0Ab"),
        &[],
        b"",
    )
    .await;
    assert_eq!(a.status, 400);
}
