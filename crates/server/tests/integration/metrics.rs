//! Prometheus metrics on their own listener: gauges follow rooms, users, streams and
//! connections; counters count messages by cmd and refusals by code.

use crate::common;
use common::business::*;
use common::*;

#[tokio::test]
async fn a_scrape_shows_rooms_users_streams_messages_and_errors() {
    let s = TestServer::start(&[]).await;
    let server = s.server.as_ref().unwrap();
    let maddr = server.metrics_addr.expect("metrics on by default");
    let ready: Value = serde_json::from_str(&server.ready_line()).unwrap();
    assert_eq!(ready["metrics"], maddr.to_string());
    assert_eq!(ready["http"], s.addr);

    let a = http(&maddr.to_string(), "GET", "/metrics", &[], b"").await;
    assert_eq!(a.status, 200);
    assert!(a
        .header("content-type")
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let t = a.body;
    for family in [
        "liveroom_rooms gauge",
        "liveroom_users gauge",
        "liveroom_streams gauge",
        "liveroom_connections gauge",
        "liveroom_connections_total counter",
        "liveroom_messages_total counter",
        "liveroom_outbound_dropped_total counter",
        "liveroom_webhook_events_total counter",
        "liveroom_third_party_auth_total counter",
        "liveroom_build_info gauge",
    ] {
        assert!(
            t.contains(&format!("# TYPE {family}\n")),
            "{family} missing:\n{t}"
        );
    }
    assert_eq!(metric(&t, "liveroom_rooms"), Some(0.0));

    let mut alice = s.join("r1", "alice", anchor("Alice")).await;
    let mut bob = s.join("r1", "bob", audience("Bob")).await;
    let _carol = s.join("r2", "carol", audience("Carol")).await;
    ok(&mut alice, "stream", stream_body(2001, "s1", "")).await;
    ok(&mut alice, "stream", stream_body(2001, "s2", "")).await;
    hb(&mut bob).await;
    hb(&mut bob).await;
    ok(&mut bob, "im_chat", chat_body("hi")).await;
    refused(&mut bob, "stream", stream_body(2002, "nope", "")).await;
    refused(&mut bob, "not_a_cmd", json!({})).await;

    let t = wait_metric(&s, "liveroom_streams", 2.0).await;
    assert_eq!(metric(&t, "liveroom_rooms"), Some(2.0));
    assert_eq!(metric(&t, "liveroom_users"), Some(3.0));
    assert_eq!(metric(&t, "liveroom_connections"), Some(3.0));
    assert_eq!(metric(&t, "liveroom_connections_total"), Some(3.0));
    assert_eq!(
        metric(&t, "liveroom_messages_total{cmd=\"login\"}"),
        Some(3.0)
    );
    assert_eq!(metric(&t, "liveroom_messages_total{cmd=\"hb\"}"), Some(2.0));
    assert_eq!(
        metric(&t, "liveroom_messages_total{cmd=\"stream\"}"),
        Some(3.0)
    );
    assert_eq!(
        metric(&t, "liveroom_messages_total{cmd=\"im_chat\"}"),
        Some(1.0)
    );
    assert_eq!(
        metric(&t, "liveroom_messages_total{cmd=\"other\"}"),
        Some(1.0)
    );
    assert_eq!(
        metric(&t, "liveroom_errors_total{code=\"1000000008\"}"),
        Some(1.0)
    );
    assert_eq!(
        metric(&t, "liveroom_errors_total{code=\"1000000001\"}"),
        Some(1.0)
    );
    assert!(t.contains("liveroom_build_info{version=\""));

    // alice leaves: her streams end; r1 keeps bob.
    ok(&mut alice, "logout", json!({"reserve": 0})).await;
    let t = wait_metric(&s, "liveroom_streams", 0.0).await;
    assert_eq!(metric(&t, "liveroom_users"), Some(2.0));
    alice.close().await;
    bob.close().await;
    wait_metric(&s, "liveroom_connections", 1.0).await;
    // bob dropped without logout: a member until his grace ends, so r1 stays.
    let t = scrape(&s).await;
    assert_eq!(metric(&t, "liveroom_rooms"), Some(2.0));
}

#[tokio::test]
async fn the_metrics_listener_can_be_off() {
    let s = TestServer::start(&[("LIVEROOM_METRICS__LISTEN", "\"\"")]).await;
    let server = s.server.as_ref().unwrap();
    // The flag of the test harness wins over the environment; the config key turns it off
    // when no flag is given.
    assert!(server.metrics_addr.is_some());
    let c = liveroom_server::config::Config::load(
        None,
        [("LIVEROOM_METRICS__LISTEN".to_string(), "".to_string())].into_iter(),
        &liveroom_server::config::Overrides {
            dev: true,
            http: Some("127.0.0.1:0".into()),
            rtc: Some("".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let server = liveroom_server::start(c).await.unwrap();
    assert!(server.metrics_addr.is_none());
    assert!(!server.ready_line().contains("metrics"));
    server.shutdown().await;
}
