//! Third-party login (`loginWithAuthor`): the third_token is checked by the business server
//! (a real HTTP server in the test that checks signatures).

use crate::common;
use common::business::*;
use common::*;
use liveroom_server::config::DEV_SERVER_SECRET;

const REFUSED: u64 = 1_000_000_017;
const FAILED: u64 = 1_000_000_018;

async fn server(fb: &FakeBusiness, extra: &[(&str, &str)]) -> TestServer {
    let url = fb.url("/liveroom/auth");
    let mut env: Vec<(&str, &str)> = vec![
        ("LIVEROOM_THIRD_PARTY_AUTH__URL", &url),
        ("LIVEROOM_THIRD_PARTY_AUTH__TIMEOUT_MS", "300"),
    ];
    env.extend_from_slice(extra);
    TestServer::start(&env).await
}

fn with_third(third: &str) -> LoginOptions {
    LoginOptions {
        nick_name: "Alice".into(),
        role: 1,
        third_token: third.into(),
        ..Default::default()
    }
}

/// Logs `alice` in to room "r" with `third`; the login reply or error.
async fn login(s: &TestServer, third: &str) -> liveroom_client::Result<Value> {
    let mut c = s.connect().await;
    c.login("r", "alice", &dev_token("alice"), &with_third(third))
        .await
}

fn server_error(r: liveroom_client::Result<Value>) -> (u64, String) {
    match r {
        Err(liveroom_client::ClientError::Server { code, message, .. }) => (code, message),
        other => panic!("expected a server error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_accepted_third_token_logs_in_and_the_call_is_signed() {
    let fb = FakeBusiness::start(DEV_SERVER_SECRET).await;
    fb.respond(|c, _| {
        if c.body["third_token"] == "good" {
            Answer::ok(json!({"allow": true}))
        } else {
            Answer::status(403, json!({"message": "unknown session"}))
        }
    });
    let s = server(&fb, &[]).await;
    let rsp = login(&s, "good").await.expect("login");
    assert!(!rsp["session_id"].as_str().unwrap().is_empty());
    let calls = fb.calls();
    assert_eq!(calls.len(), 1);
    let c = &calls[0];
    assert!(c.signed, "signature must verify");
    assert_eq!(c.path, "/liveroom/auth");
    assert_eq!(
        c.body,
        json!({"event": "authenticate", "appid": APPID, "room_id": "r", "id_name": "alice",
               "nick_name": "Alice", "role": 1, "third_token": "good",
               "timestamp": c.body["timestamp"]})
    );
    assert!(c.body["timestamp"].as_u64().unwrap() > 1_600_000_000_000);

    let (code, msg) = server_error(login(&s, "bad").await);
    assert_eq!(code, REFUSED);
    assert!(msg.contains("unknown session"), "{msg}");
    let m = wait_metric(&s, "liveroom_errors_total{code=\"1000000017\"}", 1.0).await;
    assert_eq!(
        metric(&m, "liveroom_third_party_auth_total{result=\"allowed\"}"),
        Some(1.0)
    );
    assert_eq!(
        metric(&m, "liveroom_third_party_auth_total{result=\"refused\"}"),
        Some(1.0)
    );
    assert_eq!(
        metric(&m, "liveroom_errors_total{code=\"1000000017\"}"),
        Some(1.0)
    );
}

#[tokio::test]
async fn refusals_and_failures_have_their_own_codes() {
    let fb = FakeBusiness::start(DEV_SERVER_SECRET).await;
    fb.respond(|c, _| match c.body["third_token"].as_str().unwrap() {
        "allow-false" => Answer::ok(json!({"allow": false, "message": "banned"})),
        "plain-401" => Answer::status(401, json!("nope")),
        "server-error" => Answer::status(500, json!({})),
        "slow" => Answer::ok(json!({})).delayed(Duration::from_secs(2)),
        _ => Answer::ok(json!({})),
    });
    let s = server(&fb, &[]).await;
    let (code, msg) = server_error(login(&s, "allow-false").await);
    assert_eq!(code, REFUSED);
    assert_eq!(msg, "third-party authentication refused: banned");
    let (code, msg) = server_error(login(&s, "plain-401").await);
    assert_eq!(code, REFUSED);
    assert!(msg.contains("401"), "{msg}");
    let (code, msg) = server_error(login(&s, "server-error").await);
    assert_eq!(code, FAILED);
    assert!(msg.contains("500"), "{msg}");
    let started = std::time::Instant::now();
    let (code, msg) = server_error(login(&s, "slow").await);
    assert_eq!(code, FAILED);
    assert!(msg.contains("300 ms"), "{msg}");
    assert!(started.elapsed() < Duration::from_millis(1500));
    // An empty 2xx answer allows.
    login(&s, "anything").await.expect("login");
}

#[tokio::test]
async fn an_https_business_server_is_called_with_its_certificate_checked() {
    let fb = FakeBusiness::start_tls(DEV_SERVER_SECRET).await;
    fb.respond(|c, _| match c.body["third_token"].as_str() {
        Some("good") => Answer::ok(json!({"allow": true})),
        _ => Answer::status(403, json!({"message": "no"})),
    });
    // Trusted through business.ca_file: the call goes through, signed.
    let ca = fb.write_ca_file();
    let s = server(&fb, &[("LIVEROOM_BUSINESS__CA_FILE", &ca)]).await;
    login(&s, "good").await.expect("login over https");
    let (code, _) = server_error(login(&s, "bad").await);
    assert_eq!(code, REFUSED);
    let calls = fb.calls();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|c| c.signed && c.path == "/liveroom/auth"));

    // Not trusted (the system's CAs do not know this certificate): no call reaches the
    // business server and the login fails with the failure code, saying why.
    let s = server(&fb, &[]).await;
    let (code, msg) = server_error(login(&s, "good").await);
    assert_eq!(code, FAILED);
    assert!(msg.to_lowercase().contains("certificate"), "{msg}");
    assert_eq!(fb.calls().len(), 2);
}

#[tokio::test]
async fn an_unreachable_business_server_fails_the_login() {
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/auth");
    let s = TestServer::start(&[("LIVEROOM_THIRD_PARTY_AUTH__URL", &url)]).await;
    let (code, _) = server_error(login(&s, "t").await);
    assert_eq!(code, FAILED);
}

#[tokio::test]
async fn plain_logins_are_not_checked_unless_required() {
    let fb = FakeBusiness::start(DEV_SERVER_SECRET).await;
    fb.respond(|_, _| Answer::status(403, json!({})));
    let s = server(&fb, &[]).await;
    login(&s, "").await.expect("plain login");
    assert!(fb.calls().is_empty());

    let s = server(&fb, &[("LIVEROOM_THIRD_PARTY_AUTH__REQUIRED", "true")]).await;
    let (code, msg) = server_error(login(&s, "").await);
    assert_eq!(code, REFUSED);
    assert!(msg.contains("loginWithAuthor"), "{msg}");
    assert!(fb.calls().is_empty(), "no call without a third token");
    fb.respond(|_, _| Answer::ok(json!({})));
    login(&s, "t").await.expect("login with a third token");
}

#[tokio::test]
async fn without_a_url_the_third_token_is_not_checked() {
    let s = TestServer::start(&[]).await;
    login(&s, "whatever").await.expect("login");
}

#[tokio::test]
async fn the_login_token_is_still_checked_first() {
    let fb = FakeBusiness::start(DEV_SERVER_SECRET).await;
    let s = server(&fb, &[]).await;
    let mut c = s.connect().await;
    let r = c
        .login("r", "alice", "not-a-token", &with_third("good"))
        .await;
    assert_eq!(err_code(r), 1008);
    assert!(fb.calls().is_empty());
}
