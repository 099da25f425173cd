//! Webhooks to a business server (a real HTTP server in the test that checks signatures):
//! the events of a room's life, retries with the same id, the bounded queue, the filter.

use crate::common;
use common::business::*;
use common::*;
use liveroom_server::config::DEV_SERVER_SECRET;

async fn server_with_hooks(fb: &FakeBusiness, extra: &[(&str, &str)]) -> TestServer {
    let url = fb.url("/liveroom/hooks");
    let mut env: Vec<(&str, &str)> = vec![
        ("LIVEROOM_WEBHOOKS__URL", &url),
        ("LIVEROOM_WEBHOOKS__RETRY_BASE_MS", "50"),
        ("LIVEROOM_ADMIN__SECRET", ADMIN_SECRET),
    ];
    env.extend_from_slice(extra);
    TestServer::start(&env).await
}

/// `(event, id_name or stream, reason)` of each call, in order.
fn summary(calls: &[Call]) -> Vec<(String, String)> {
    calls
        .iter()
        .map(|c| {
            let b = &c.body;
            let who = match c.event() {
                "stream_added" | "stream_removed" => b["stream_id"].as_str().unwrap().to_string(),
                "user_left" => format!(
                    "{}/{}",
                    b["id_name"].as_str().unwrap(),
                    b["reason"].as_str().unwrap()
                ),
                "user_joined" => b["id_name"].as_str().unwrap().to_string(),
                _ => b["room_id"].as_str().unwrap().to_string(),
            };
            (c.event().to_string(), who)
        })
        .collect()
}

fn ev(e: &str, who: &str) -> (String, String) {
    (e.to_string(), who.to_string())
}

#[tokio::test]
async fn a_rooms_life_is_posted_signed_and_in_order() {
    let fb = FakeBusiness::start(DEV_SERVER_SECRET).await;
    let s = server_with_hooks(&fb, &[]).await;
    let mut alice = s.join("r1", "alice", anchor("Alice")).await;
    let mut bob = s.join("r1", "bob", audience("Bob")).await;
    ok(&mut alice, "stream", stream_body(2001, "s1", "")).await;
    ok(&mut bob, "stream", stream_body(2001, "s2", "")).await;
    ok(&mut bob, "stream", stream_body(2002, "s2", "")).await;
    // A reconnect within the grace is neither a leave nor a join.
    bob.drop_connection();
    let mut bob = s.join("r1", "bob", audience("Bob")).await;
    admin_ok(
        &s.addr,
        "POST",
        &format!("/admin/v1/apps/{APPID}/rooms/r1/users/bob/kick"),
        None,
    )
    .await;
    assert!(bob.closed_within(WAIT).await.is_some());
    ok(&mut alice, "logout", json!({"reserve": 0})).await;

    let calls = fb
        .wait_until(WAIT, |c| c.iter().any(|c| c.event() == "room_closed"))
        .await;
    assert_eq!(
        summary(&calls),
        [
            ev("room_created", "r1"),
            ev("user_joined", "alice"),
            ev("user_joined", "bob"),
            ev("stream_added", "s1"),
            ev("stream_added", "s2"),
            ev("stream_removed", "s2"),
            ev("user_left", "bob/kicked"),
            ev("stream_removed", "s1"),
            ev("user_left", "alice/logout"),
            ev("room_closed", "r1"),
        ]
    );
    let mut ids = std::collections::HashSet::new();
    let mut last_ts = 0;
    for c in &calls {
        assert!(c.signed, "bad signature on {}", c.body);
        assert_eq!(c.path, "/liveroom/hooks");
        assert!(c
            .headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "application/json"));
        assert_eq!(c.body["appid"], APPID);
        assert_eq!(c.body["room_id"], "r1");
        let id = c.body["id"].as_str().unwrap();
        assert!(id.starts_with("EV_") && id.len() > 10, "{id}");
        assert!(ids.insert(id.to_string()), "duplicate id {id}");
        let ts = c.body["timestamp"].as_u64().unwrap();
        assert!(ts >= last_ts && ts > 1_600_000_000_000);
        last_ts = ts;
    }
    assert_eq!(
        calls[1].body,
        json!({"id": calls[1].body["id"], "event": "user_joined", "timestamp": calls[1].body["timestamp"],
               "appid": APPID, "room_id": "r1", "id_name": "alice", "nick_name": "Alice", "role": 1})
    );
    assert_eq!(
        keys(&calls[3].body),
        [
            "appid",
            "event",
            "id",
            "id_name",
            "room_id",
            "stream_id",
            "timestamp"
        ]
    );
    assert_eq!(calls[3].body["id_name"], "alice");
    wait_metric(
        &s,
        "liveroom_webhook_events_total{result=\"delivered\"}",
        10.0,
    )
    .await;
}

#[tokio::test]
async fn leave_reasons_cover_duplicate_login_close_timeout_and_moves() {
    let fb = FakeBusiness::start(DEV_SERVER_SECRET).await;
    let s = server_with_hooks(
        &fb,
        &[
            ("LIVEROOM_ROOM__HEARTBEAT_INTERVAL_MS", "1000"),
            ("LIVEROOM_ROOM__SESSION_TIMEOUT_MS", "1000"),
            ("LIVEROOM_WEBHOOKS__EVENTS", "[\"user_left\"]"),
        ],
    )
    .await;
    // Duplicate login in another room.
    let _a1 = s.join("ra", "ann", audience("Ann")).await;
    let _a2 = s.join("rb", "ann", audience("Ann")).await;
    // A login on the same connection into another room.
    let mut c = s.join("ra", "cid", audience("Cid")).await;
    c.login("rb", "cid", &dev_token("cid"), &audience("Cid"))
        .await
        .unwrap();
    // Room closed by the admin API.
    let _d = s.join("rc", "dan", audience("Dan")).await;
    admin_ok(
        &s.addr,
        "POST",
        &format!("/admin/v1/apps/{APPID}/rooms/rc/close"),
        None,
    )
    .await;
    let want = [
        ("ann", "ra", "duplicate_login"),
        ("cid", "ra", "moved"),
        ("dan", "rc", "room_closed"),
    ];
    for (who, room, reason) in want {
        let c = fb
            .wait_event("user_left", |b| b["id_name"] == who && b["room_id"] == room)
            .await;
        assert_eq!(c.body["reason"], reason, "{}", c.body);
    }
    // A silent member is removed after the session timeout (checked every second).
    let _e = s.join("rd", "eve", audience("Eve")).await;
    let c = fb.wait_event("user_left", |b| b["id_name"] == "eve").await;
    assert_eq!(c.body["reason"], "timeout");
    // Only the configured event went out.
    assert!(fb.calls().iter().all(|c| c.event() == "user_left"));
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_the_same_id() {
    let fb = FakeBusiness::start(DEV_SERVER_SECRET).await;
    // The first two attempts fail (500, then a timeout), the third succeeds.
    fb.respond(|_, n| match n {
        1 => Answer::status(500, json!({})),
        2 => Answer::ok(json!({})).delayed(Duration::from_millis(600)),
        _ => Answer::ok(json!({})),
    });
    let s = server_with_hooks(
        &fb,
        &[
            ("LIVEROOM_WEBHOOKS__TIMEOUT_MS", "200"),
            ("LIVEROOM_WEBHOOKS__EVENTS", "[\"room_created\"]"),
        ],
    )
    .await;
    let _a = s.join("r", "alice", anchor("Alice")).await;
    let calls = fb.wait_until(WAIT, |c| c.len() >= 3).await;
    assert!(calls
        .iter()
        .all(|c| c.event() == "room_created" && c.signed));
    assert_eq!(calls[0].raw, calls[1].raw, "a retry sends the same bytes");
    assert_eq!(calls[0].raw, calls[2].raw);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(fb.calls().len(), 3, "no attempt after a success");
    let m = wait_metric(
        &s,
        "liveroom_webhook_events_total{result=\"delivered\"}",
        1.0,
    )
    .await;
    assert_eq!(metric(&m, "liveroom_webhook_retries_total"), Some(2.0));
}

#[tokio::test]
async fn an_event_is_given_up_after_max_attempts() {
    let fb = FakeBusiness::start(DEV_SERVER_SECRET).await;
    fb.respond(|_, _| Answer::status(503, json!({})));
    let s = server_with_hooks(
        &fb,
        &[
            ("LIVEROOM_WEBHOOKS__MAX_ATTEMPTS", "3"),
            ("LIVEROOM_WEBHOOKS__EVENTS", "[\"room_created\"]"),
        ],
    )
    .await;
    let _a = s.join("r", "alice", anchor("Alice")).await;
    fb.wait_until(WAIT, |c| c.len() >= 3).await;
    wait_metric(&s, "liveroom_webhook_events_total{result=\"failed\"}", 1.0).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fb.calls().len(), 3);
}

#[tokio::test]
async fn a_full_queue_drops_events_and_never_slows_the_room() {
    let fb = FakeBusiness::start(DEV_SERVER_SECRET).await;
    // A business server that takes 2 s per answer.
    fb.respond(|_, _| Answer::ok(json!({})).delayed(Duration::from_secs(2)));
    let s = server_with_hooks(
        &fb,
        &[
            ("LIVEROOM_WEBHOOKS__QUEUE", "2"),
            ("LIVEROOM_WEBHOOKS__TIMEOUT_MS", "5000"),
        ],
    )
    .await;
    let started = std::time::Instant::now();
    let mut a = s.join("r", "alice", anchor("Alice")).await;
    for i in 0..10 {
        ok(&mut a, "stream", stream_body(2001, &format!("s{i}"), "")).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the room waited for webhooks: {:?}",
        started.elapsed()
    );
    let m = scrape(&s).await;
    let dropped = metric(&m, "liveroom_webhook_events_total{result=\"dropped\"}").unwrap();
    // 12 events: one in flight, two queued, the rest dropped.
    assert!(dropped >= 8.0, "{m}");
}

#[tokio::test]
async fn shutdown_flushes_the_queue_within_the_grace() {
    let fb = FakeBusiness::start(DEV_SERVER_SECRET).await;
    fb.respond(|_, _| Answer::ok(json!({})).delayed(Duration::from_millis(100)));
    let mut s = server_with_hooks(&fb, &[]).await;
    let mut a = s.join("r", "alice", anchor("Alice")).await;
    for i in 0..3 {
        ok(&mut a, "stream", stream_body(2001, &format!("s{i}"), "")).await;
    }
    s.stop().await;
    // room_created, user_joined, 3 × stream_added: all sent before shutdown returned.
    assert_eq!(fb.calls().len(), 5);
}

#[tokio::test]
async fn one_apps_dead_receiver_does_not_drop_another_apps_events() {
    const OTHER_APP: u64 = 1_000_042;
    let fb = FakeBusiness::start(DEV_SERVER_SECRET).await;
    // App APPID's receiver is down (every attempt fails after 300 ms); OTHER_APP's answers.
    fb.respond(|c, _| {
        if c.body["appid"] == APPID {
            Answer::status(503, json!({})).delayed(Duration::from_millis(300))
        } else {
            Answer::ok(json!({}))
        }
    });
    let s = server_with_hooks(
        &fb,
        &[
            ("LIVEROOM_WEBHOOKS__QUEUE", "8"),
            ("LIVEROOM_WEBHOOKS__MAX_ATTEMPTS", "2"),
            (
                "LIVEROOM_WEBHOOKS__EVENTS",
                "[\"stream_added\", \"stream_removed\"]",
            ),
        ],
    )
    .await;
    let mut a = s.join("ra", "alice", anchor("Alice")).await;
    let mut b = RoomClient::connect(&s.ws_url(), OTHER_APP).await.unwrap();
    let t = liveroom_server::signalling::token::make_v1(
        OTHER_APP,
        liveroom_server::config::DEV_APP_SIGN,
        "bob",
        now_secs() + 3600,
    );
    b.login("rb", "bob", &t, &anchor("Bob")).await.unwrap();
    // The first app's queue fills up (20 events; a stream added and removed, 10 times)…
    for i in 0..10 {
        ok(&mut a, "stream", stream_body(2001, &format!("a{i}"), "")).await;
        ok(&mut a, "stream", stream_body(2002, &format!("a{i}"), "")).await;
    }
    // … and keeps overflowing while the other app sends 30 events, each pair of which arrives
    // at once (in a shared queue they would be dropped, or wait behind 650 ms events).
    let theirs = |c: &[Call]| c.iter().filter(|c| c.body["appid"] == OTHER_APP).count();
    for i in 0..15 {
        for (c, who) in [(&mut a, "a"), (&mut b, "b")] {
            let id = format!("{who}{}", i + 10);
            ok(c, "stream", stream_body(2001, &id, "")).await;
            ok(c, "stream", stream_body(2002, &id, "")).await;
        }
        fb.wait_until(Duration::from_secs(2), |c| theirs(c) == 2 * (i + 1))
            .await;
    }
    // In order.
    let calls = fb.calls();
    let theirs: Vec<(String, String)> = calls
        .iter()
        .filter(|c| c.body["appid"] == OTHER_APP)
        .map(|c| {
            (
                c.event().to_string(),
                c.body["stream_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = (10..25)
        .flat_map(|i| {
            [
                ev("stream_added", &format!("b{i}")),
                ev("stream_removed", &format!("b{i}")),
            ]
        })
        .collect();
    assert_eq!(theirs, want);
    // The dead receiver's app (650 ms an event): 50 events, a few sent, 8 queued, the rest
    // dropped and counted as its own.
    let m = scrape(&s).await;
    let dropped_a = metric(
        &m,
        &format!("liveroom_webhook_dropped_total{{appid=\"{APPID}\"}}"),
    )
    .unwrap_or(0.0);
    assert!(dropped_a >= 30.0, "{m}");
    assert_eq!(
        metric(
            &m,
            &format!("liveroom_webhook_dropped_total{{appid=\"{OTHER_APP}\"}}")
        ),
        Some(0.0),
        "{m}"
    );
    assert_eq!(
        metric(&m, "liveroom_webhook_events_total{result=\"dropped\"}"),
        Some(dropped_a)
    );
}
