//! Graceful drain: not ready first (drain delay), then every room connection closes with
//! 1001 (the SDK logs in again: not a kick-out), within the shutdown grace.

use crate::common;
use common::*;

#[tokio::test]
async fn drain_reports_not_ready_then_closes_connections_with_1001() {
    let mut s = TestServer::start(&[
        ("LIVEROOM_HTTP__DRAIN_DELAY_MS", "500"),
        ("LIVEROOM_HTTP__SHUTDOWN_GRACE_SECS", "3"),
    ])
    .await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    assert_eq!(http(&s.addr, "GET", "/readyz", &[], b"").await.status, 200);

    let server = s.server.take().unwrap();
    let started = std::time::Instant::now();
    let shutdown = tokio::spawn(server.shutdown());
    tokio::time::sleep(Duration::from_millis(100)).await;

    // During the drain delay: not ready, no new room connections, the old ones carry on.
    let r = http(&s.addr, "GET", "/readyz", &[], b"").await;
    assert_eq!((r.status, r.body.as_str()), (503, "draining"));
    assert_eq!(http(&s.addr, "GET", "/livez", &[], b"").await.status, 200);
    assert!(RoomClient::connect(&s.ws_url(), APPID).await.is_err());
    hb(&mut alice).await;
    ok(&mut bob, "im_chat", chat_body("still here")).await;

    // Then the connections close with 1001, with no push_kickout before.
    for c in [&mut alice, &mut bob] {
        let closed = c.closed_within(WAIT).await.expect("closed");
        assert_eq!(closed.0, 1001, "{closed:?}");
        assert!(
            c.push_within("push_kickout", Duration::from_millis(1))
                .await
                .is_err(),
            "a drain is not a kick-out"
        );
    }
    assert!(started.elapsed() >= Duration::from_millis(500));
    tokio::time::timeout(Duration::from_secs(4), shutdown)
        .await
        .expect("shutdown within the grace")
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // Nothing listens any more.
    assert!(tokio::net::TcpStream::connect(&s.addr).await.is_err());
}

#[tokio::test]
async fn without_a_drain_delay_shutdown_is_quick() {
    let mut s = TestServer::start(&[]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let started = std::time::Instant::now();
    s.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let closed = alice.closed_within(WAIT).await.expect("closed");
    assert_eq!(closed.0, 1001);
    // Logging in again (as the SDK does) reaches a new server.
    let s2 = TestServer::start(&[]).await;
    let mut again = s2.connect().await;
    again
        .login("r", "alice", &dev_token("alice"), &anchor("Alice"))
        .await
        .expect("login on the next server");
}
