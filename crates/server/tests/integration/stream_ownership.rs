//! Who may publish and play a stream: a media session belongs to a live room login of its
//! user; a stream id belongs to the user who announced it first while that user's login or
//! publish lives (nobody publishes over another user's stream, from any room); playing is
//! open within the app unless the app sets `play_scope = "room"`.

use crate::common;
use common::*;
use liveroom_client::media::{start_peer, MediaPeer, MediaSignal, PeerOut};
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind};

async fn connected(peer: &mut MediaPeer) {
    wait_peer(peer, |e| *e == PeerOut::Connected).await;
}

/// `user` (logged in to `room` by the caller) publishes `stream` over a native peer.
async fn publish_in(
    s: &TestServer,
    room: &str,
    user: &str,
    stream: &str,
) -> (MediaLogin, MediaPeer) {
    let mut sig = s.media_signal_of_logged_in(room, user).await;
    let (sid, _) = sig.create_session(0, stream, "").await.unwrap();
    let mut p = start_peer(
        &mut sig,
        sid,
        &[MediaKind::Video],
        Direction::SendOnly,
        Codec::H264,
    )
    .await
    .unwrap();
    connected(&mut p).await;
    (sig, p)
}

fn dispatch_body(stream: &str, ptype: &str) -> Value {
    json!({"stream_id": stream, "ptype": ptype, "signals": [], "header_kvs": []})
}

async fn sfu_publishers(s: &TestServer) -> usize {
    let sfu = s.server.as_ref().unwrap().state.sfu.clone().unwrap();
    sfu.stats().await.unwrap().publishers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_media_session_needs_a_room_login_of_its_user() {
    let s = TestServer::start(&[]).await;
    let url = format!("ws://{}/media", s.addr);
    // A valid token alone is not enough.
    let mut sig = MediaSignal::connect(&url, APPID, "mallory").await.unwrap();
    assert_eq!(
        err_code(sig.login(&dev_token("mallory"), "room-a").await),
        2
    );
    // Logged in to another room than the one the media login names.
    let _m = s.join("room-m", "mallory", anchor("M")).await;
    assert_eq!(
        err_code(sig.login(&dev_token("mallory"), "room-a").await),
        2
    );
    sig.login(&dev_token("mallory"), "room-m").await.unwrap();
    sig.create_session(1, "anything", "").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_publishes_over_another_users_stream() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("room-a", "alice", anchor("Alice")).await;
    let r = alice
        .request("webrtc_url", dispatch_body("alice-cam", "push"))
        .await;
    assert!(r.is_ok(), "{r:?}");
    let (_asig, mut apeer) = publish_in(&s, "room-a", "alice", "alice-cam").await;
    assert_eq!(sfu_publishers(&s).await, 1);

    // Mallory, logged in to another room with a valid token, cannot take it over: neither by
    // the room's dispatch nor by opening a media session directly.
    let mut mallory = s.join("room-m", "mallory", anchor("M")).await;
    let e = mallory
        .request("webrtc_url", dispatch_body("alice-cam", "push"))
        .await;
    assert_eq!(err_code(e), 1_000_000_009);
    let mut msig = s.media_signal_of_logged_in("room-m", "mallory").await;
    assert_eq!(
        err_code(
            msig.create_session(0, "alice-cam", "")
                .await
                .map(|(_, v)| v)
        ),
        10
    );
    // Nor can a user in Alice's own room.
    let mut eve = s.join("room-a", "eve", anchor("E")).await;
    let e = eve
        .request("webrtc_url", dispatch_body("alice-cam", "push"))
        .await;
    assert_eq!(err_code(e), 1_000_000_009);
    // Playing it stays open within the app (cross-room co-hosting).
    msig.create_session(1, "alice-cam", "").await.unwrap();

    // Alice's publisher is untouched.
    let lost = tokio::time::timeout(Duration::from_millis(800), async {
        while apeer.out.recv().await.is_some() {}
    })
    .await;
    assert!(lost.is_err(), "alice's publisher was disconnected");
    assert_eq!(sfu_publishers(&s).await, 1);

    // Alice herself may publish it again (a reconnect on a new media connection).
    let (_asig2, _apeer2) = publish_in(&s, "room-a", "alice", "alice-cam").await;
    assert_eq!(sfu_publishers(&s).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_id_is_free_again_when_its_owner_has_gone() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("room-a", "alice", anchor("Alice")).await;
    alice
        .request("webrtc_url", dispatch_body("cam", "push"))
        .await
        .unwrap();
    let (asig, apeer) = publish_in(&s, "room-a", "alice", "cam").await;
    let mut bob = s.join("room-b", "bob", anchor("Bob")).await;
    assert_eq!(
        err_code(
            bob.request("webrtc_url", dispatch_body("cam", "push"))
                .await
        ),
        1_000_000_009
    );
    // Alice stops publishing but stays logged in: the id stays hers.
    drop(apeer);
    drop(asig);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        err_code(
            bob.request("webrtc_url", dispatch_body("cam", "push"))
                .await
        ),
        1_000_000_009
    );
    // She logs out: bob may have it.
    alice.request("logout", json!({})).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match bob
            .request("webrtc_url", dispatch_body("cam", "push"))
            .await
        {
            Ok(_) => break,
            Err(_) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("stream id still held after the owner logged out: {e:?}"),
        }
    }
    let (_bsig, _bpeer) = publish_in(&s, "room-b", "bob", "cam").await;
}

fn app_config(play_scope: &str) -> String {
    format!(
        "[tokens]\nallow_v1 = true\n[[apps]]\nappid = {APPID}\napp_sign = \"{}\"\nserver_secret = \"{}\"\nplay_scope = \"{play_scope}\"\nsigned_live_urls = false\n",
        liveroom_server::config::DEV_APP_SIGN,
        liveroom_server::config::DEV_SERVER_SECRET,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn play_scope_room_limits_play_to_the_logins_room() {
    for (scope, cross_room_ok) in [("app", true), ("room", false)] {
        let s = TestServer::start_with(Some(&app_config(scope)), &[]).await;
        let mut alice = s.join("room-a", "alice", anchor("Alice")).await;
        alice
            .request("webrtc_url", dispatch_body("cam", "push"))
            .await
            .unwrap();
        let (_asig, _apeer) = publish_in(&s, "room-a", "alice", "cam").await;
        alice
            .request("stream", stream_body(2001, "cam", ""))
            .await
            .unwrap();
        // A member of Alice's room may always play it.
        let mut carol = s.media_login("room-a", "carol").await;
        carol.create_session(1, "cam", "").await.unwrap();
        // A member of another room only while the app's scope is "app".
        let mut bob = s.media_login("room-b", "bob").await;
        let r = bob.create_session(1, "cam", "").await.map(|(_, v)| v);
        if cross_room_ok {
            assert!(r.is_ok(), "{scope}: {r:?}");
        } else {
            assert_eq!(err_code(r), 7, "{scope}");
        }
    }
}
