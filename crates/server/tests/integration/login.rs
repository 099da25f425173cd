//! `login`: the reply's shape, token checks, room creation, v2 tokens.

use crate::common;
use common::*;
use liveroom_client::LoginOptions;
use liveroom_server::signalling::token;
use serde_json::json;

#[tokio::test]
async fn login_reply_has_every_field_of_the_notes() {
    let s = TestServer::start(&[]).await;
    let mut a = s.connect().await;
    let seq = a
        .send("login", json!({"id_name": "alice", "nick_name": "Alice", "role": 1, "token": dev_token("alice"),
            "version": "1.3.0", "room_name": "r1", "user_state_flag": 0, "room_create_flag": 1, "client_type": 3, "third_token": ""}))
        .await
        .unwrap();
    let f = a.reply(seq).await.unwrap();
    assert_eq!(f.header["protocol"], "rsp");
    assert_eq!(f.header["cmd"], "login");
    assert_eq!(f.header["appid"], APPID);
    let b = &f.body;
    assert_eq!(b["err_code"], 0);
    for key in ["user_id", "session_id", "ret_timestamp"] {
        assert!(
            b[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key} is a non-empty string"
        );
    }
    assert_eq!(f.header["session_id"], b["session_id"]);
    assert_eq!(f.header["user_id"], b["user_id"]);
    assert_eq!(f.header["room_id"], "r1");
    assert_eq!(b["hearbeat_interval"], 30000);
    assert_eq!(b["hearbeat_timeout"], 100000);
    assert_eq!(b["stream_seq"], 0);
    assert_eq!(b["server_user_seq"], 1);
    assert_eq!(b["stream_info"], json!([]));
    assert_eq!(b["online_count"], 1);
    assert_eq!(
        b["anchor_info"],
        json!({"anchor_id": b["user_id"], "anchor_id_name": "alice", "anchor_nick_name": "Alice"})
    );
    assert!(b["config_info"]["log_url"].is_string());
    assert!(b["bigim_time_window"].is_u64() && b["dati_time_window"].is_u64());
    let ts: u64 = b["ret_timestamp"].as_str().unwrap().parse().unwrap();
    assert!(ts / 1000 >= now_secs() - 5);
}

#[tokio::test]
async fn bad_tokens_fail_with_1008() {
    let s = TestServer::start(&[]).await;
    let mut a = s.connect().await;
    let o = LoginOptions::default();
    assert_eq!(
        err_code(a.login("r", "alice", "not-a-token", &o).await),
        1008
    );
    assert_eq!(
        err_code(a.login("r", "alice", &dev_token("bob"), &o).await),
        1008
    );
    let expired = token::make_v1(
        APPID,
        liveroom_server::config::DEV_APP_SIGN,
        "alice",
        now_secs() - 1,
    );
    assert_eq!(err_code(a.login("r", "alice", &expired, &o).await), 1008);
    // The same connection can still log in properly.
    a.login("r", "alice", &dev_token("alice"), &o)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_login_that_may_not_create_the_room_fails_clearly() {
    let s = TestServer::start(&[]).await;
    let mut a = s.connect().await;
    let o = LoginOptions {
        room_create_flag: 0,
        ..Default::default()
    };
    assert_eq!(
        err_code(
            a.login("empty-room", "alice", &dev_token("alice"), &o)
                .await
        ),
        1_000_000_004
    );
    let _host = s.join("empty-room", "host", anchor("Host")).await;
    a.login("empty-room", "alice", &dev_token("alice"), &o)
        .await
        .unwrap();
}

#[tokio::test]
async fn login_with_author_carries_a_third_token() {
    let s = TestServer::start(&[]).await;
    let mut a = s.connect().await;
    let o = LoginOptions {
        third_token: "business-token".into(),
        ..Default::default()
    };
    a.login("r", "alice", &dev_token("alice"), &o)
        .await
        .unwrap();
}

#[tokio::test]
async fn v2_tokens_are_scoped_to_room_and_privilege() {
    let secret = liveroom_server::config::DEV_SERVER_SECRET;
    let s = TestServer::start(&[]).await;
    let t = token::make_v2(
        APPID,
        secret,
        "alice",
        "only-here",
        token::PRIVILEGE_LOGIN,
        now_secs() + 60,
    );
    let mut a = s.connect().await;
    assert_eq!(
        err_code(
            a.login("elsewhere", "alice", &t, &LoginOptions::default())
                .await
        ),
        1008
    );
    a.login("only-here", "alice", &t, &LoginOptions::default())
        .await
        .unwrap();
    // Login-only: publishing a stream is refused.
    let r = a
        .request(
            "stream",
            json!({"sub_cmd": 2001, "stream_msg": json!({"stream_id": "s"}).to_string()}),
        )
        .await;
    assert_eq!(err_code(r), 1_000_000_014);
}

#[tokio::test]
async fn production_mode_knows_only_configured_apps() {
    let cfg = format!(
        "[tokens]\nallow_v1 = false\n[[apps]]\nappid = {APPID}\napp_sign = \"0123456789abcdef0123456789abcdef\"\nserver_secret = \"prod-secret-0123456789\"\n"
    );
    let s = TestServer::start_with(Some(&cfg), &[]).await;
    let mut a = s.connect().await;
    // v1 is off; v2 with the app's secret works.
    let v1 = token::make_v1(
        APPID,
        "0123456789abcdef0123456789abcdef",
        "alice",
        now_secs() + 60,
    );
    assert_eq!(
        err_code(a.login("r", "alice", &v1, &LoginOptions::default()).await),
        1008
    );
    let v2 = token::make_v2(
        APPID,
        "prod-secret-0123456789",
        "alice",
        "",
        3,
        now_secs() + 60,
    );
    a.login("r", "alice", &v2, &LoginOptions::default())
        .await
        .unwrap();
    let mut other = liveroom_client::RoomClient::connect(&s.ws_url(), 42)
        .await
        .unwrap();
    let v2 = token::make_v2(42, "prod-secret-0123456789", "bob", "", 3, now_secs() + 60);
    assert_eq!(
        err_code(other.login("r", "bob", &v2, &LoginOptions::default()).await),
        1008
    );
}

#[tokio::test]
async fn dev_token_endpoint_mints_v1_tokens() {
    let s = TestServer::start(&[]).await;
    let t = liveroom_client::dev_token(&s.addr, APPID, "carol")
        .await
        .unwrap();
    let mut c = s.connect().await;
    c.login("r", "carol", &t, &LoginOptions::default())
        .await
        .unwrap();
    assert!(liveroom_client::dev_token(&s.addr, 0, "carol")
        .await
        .is_err());
}
