//! The SFU with native str0m clients: a publisher of synthetic RTP and several players,
//! through the real media-signalling WebSocket and the real UDP socket.

use crate::common;
use common::*;
use liveroom_client::media::{start_peer, MediaPeer, MediaSignal, PeerCmd, PeerOut};
use serde_json::json;
use std::time::Duration;
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind};

async fn signal(s: &TestServer, user: &str) -> MediaLogin {
    s.media_login("room", user).await
}

async fn wait_for(peer: &mut MediaPeer, want: impl Fn(&PeerOut) -> bool) -> PeerOut {
    wait_peer(peer, want).await
}

async fn publish(
    s: &TestServer,
    user: &str,
    stream: &str,
    codec: Codec,
) -> (MediaLogin, u64, MediaPeer) {
    let mut sig = signal(s, user).await;
    let (sid, _) = sig.create_session(0, stream, "").await.unwrap();
    let mut p = start_peer(
        &mut sig,
        sid,
        &[MediaKind::Audio, MediaKind::Video],
        Direction::SendOnly,
        codec,
    )
    .await
    .unwrap();
    wait_for(&mut p, |e| *e == PeerOut::Connected).await;
    let ev = sig.expect("PublishEventPush").await.unwrap();
    assert_eq!(ev["body"]["event"], 0);
    (sig, sid, p)
}

async fn play(
    s: &TestServer,
    user: &str,
    stream: &str,
    kinds: &[MediaKind],
) -> (MediaLogin, u64, MediaPeer) {
    let mut sig = signal(s, user).await;
    let (sid, _) = sig.create_session(1, stream, "").await.unwrap();
    let mut p = start_peer(&mut sig, sid, kinds, Direction::RecvOnly, Codec::H264)
        .await
        .unwrap();
    wait_for(&mut p, |e| *e == PeerOut::Connected).await;
    let ev = sig.expect("PlayEventPush").await.unwrap();
    assert_eq!(ev["body"]["event"], 0);
    assert_eq!(ev["body"]["stream_id"], stream);
    (sig, sid, p)
}

fn h264_idr(n: u8) -> Vec<u8> {
    vec![0x65, 0x88, n, 1, 2, 3]
}

fn h264_delta(n: u8) -> Vec<u8> {
    vec![0x41, 0x9a, n, 4, 5, 6]
}

async fn send_video(p: &MediaPeer, seq: u64, payload: Vec<u8>) {
    p.cmd
        .send(PeerCmd::Rtp {
            kind: MediaKind::Video,
            seq,
            time: (seq as u32) * 3000,
            marker: true,
            payload,
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_publisher_reaches_every_player_from_a_key_frame_with_contiguous_sequences() {
    let s = TestServer::start(&[]).await;
    let (_psig, _, mut publisher) = publish(&s, "alice", "s1", Codec::H264).await;
    let mut players = Vec::new();
    for i in 0..3 {
        players.push(
            play(
                &s,
                &format!("viewer{i}"),
                "s1",
                &[MediaKind::Audio, MediaKind::Video],
            )
            .await,
        );
    }
    // A player joining asks the publisher for a key frame at once.
    wait_for(&mut publisher, |e| *e == PeerOut::KeyframeRequest).await;
    // Delta frames first (players must not get them before a key frame), then a key frame.
    send_video(&publisher, 100, h264_delta(0)).await;
    send_video(&publisher, 101, h264_delta(1)).await;
    for i in 0..20u8 {
        let payload = if i == 0 { h264_idr(i) } else { h264_delta(i) };
        send_video(&publisher, 102 + i as u64, payload).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for (_, _, p) in players.iter_mut() {
        let mut got = Vec::new();
        while got.len() < 20 {
            if let PeerOut::Rtp {
                kind: MediaKind::Video,
                codec,
                seq,
                payload,
                marker,
                ..
            } = wait_for(p, |e| {
                matches!(
                    e,
                    PeerOut::Rtp {
                        kind: MediaKind::Video,
                        ..
                    }
                )
            })
            .await
            {
                assert_eq!(codec, Codec::H264);
                assert!(marker);
                got.push((seq, payload));
            }
        }
        assert_eq!(
            got[0].1,
            h264_idr(0),
            "the first packet a player gets is the key frame: {got:?}"
        );
        for (i, (seq, payload)) in got.iter().enumerate() {
            assert_eq!(*seq, got[0].0 + i as u64, "contiguous sequence numbers");
            let want = if i == 0 {
                h264_idr(0)
            } else {
                h264_delta(i as u8)
            };
            assert_eq!(*payload, want, "payload {i} forwarded unchanged");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audio_only_players_get_audio_and_vp8_is_forwarded() {
    let s = TestServer::start(&[]).await;
    let (_psig, _, publisher) = publish(&s, "alice", "s2", Codec::Vp8).await;
    let (_sig, _, mut audio_only) = play(&s, "bob", "s2", &[MediaKind::Audio]).await;
    let (_sig2, _, mut both) = play(&s, "carol", "s2", &[MediaKind::Audio, MediaKind::Video]).await;
    for i in 0..10u64 {
        publisher
            .cmd
            .send(PeerCmd::Rtp {
                kind: MediaKind::Audio,
                seq: 500 + i,
                time: i as u32 * 960,
                marker: false,
                payload: vec![0xf8, i as u8, 0xaa],
            })
            .await
            .unwrap();
        // VP8 key frame descriptor: S=1, PID=0; payload header bit 0 = 0.
        let vp8 = if i == 0 {
            vec![0x10, 0x50, 0x2a, i as u8]
        } else {
            vec![0x10, 0x51, 0x2a, i as u8]
        };
        send_video(&publisher, 900 + i, vp8).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let a = wait_for(&mut audio_only, |e| matches!(e, PeerOut::Rtp { .. })).await;
    assert!(matches!(
        a,
        PeerOut::Rtp {
            kind: MediaKind::Audio,
            codec: Codec::Opus,
            ..
        }
    ));
    let v = wait_for(&mut both, |e| {
        matches!(
            e,
            PeerOut::Rtp {
                kind: MediaKind::Video,
                ..
            }
        )
    })
    .await;
    assert!(
        matches!(v, PeerOut::Rtp { codec: Codec::Vp8, ref payload, .. } if payload[..2] == [0x10, 0x50])
    );
    // The audio-only player never sees video.
    let deadline = tokio::time::Instant::now() + Duration::from_millis(300);
    while let Ok(Some(e)) = tokio::time::timeout_at(deadline, audio_only.out.recv()).await {
        assert!(!matches!(
            e,
            PeerOut::Rtp {
                kind: MediaKind::Video,
                ..
            }
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn camera_and_mic_status_reach_players_and_late_players_get_the_current_one() {
    let s = TestServer::start(&[]).await;
    let (mut psig, psid, _publisher) = publish(&s, "alice", "s3", Codec::H264).await;
    let (mut sig, _, _p) = play(&s, "bob", "s3", &[MediaKind::Video]).await;
    let first = sig.expect("StreamStatusNotifyPush").await.unwrap();
    assert_eq!(first["body"]["camera_status"], 0);
    psig.send(
        "StreamStatusNotify",
        psid,
        json!({"camera_status": 2, "mic_status": 0}),
    )
    .await
    .unwrap();
    let push = sig.expect("StreamStatusNotifyPush").await.unwrap();
    assert_eq!(push["body"]["camera_status"], 2);
    assert_eq!(push["body"]["mic_status"], 0);
    assert_eq!(push["body"]["stream_id"], "s3");
    let (mut late, _, _p2) = play(&s, "carol", "s3", &[MediaKind::Video]).await;
    let now = late.expect("StreamStatusNotifyPush").await.unwrap();
    assert_eq!(now["body"]["camera_status"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signalling_errors_are_answered() {
    let s = TestServer::start(&[]).await;
    let _alice = s.join("room", "alice", anchor("A")).await;
    let mut sig = MediaSignal::connect(&format!("ws://{}/media", s.addr), APPID, "alice")
        .await
        .unwrap();
    // Nothing before login.
    let e = sig
        .request("CreateSessionReq", 0, json!({"type": 0, "stream_id": "x"}))
        .await;
    assert_eq!(err_code(e), 2);
    // A bad token.
    assert_eq!(err_code(sig.login("bad-token", "room").await), 1);
    sig.login(&dev_token("alice"), "room").await.unwrap();
    assert_eq!(
        err_code(
            sig.request("CreateSessionReq", 0, json!({"type": 7, "stream_id": "x"}))
                .await
        ),
        4
    );
    assert_eq!(
        err_code(
            sig.request("MediaDescReq", 99, json!({"type": 0, "sdp": "v=0"}))
                .await
        ),
        5
    );
    let (sid, rsp) = sig.create_session(1, "x", "").await.unwrap();
    assert!(rsp["session_id"].as_u64().unwrap() > 0);
    // An offer that is not SDP closes the session with a reason.
    sig.request("MediaDescReq", sid, json!({"type": 0, "sdp": "not sdp"}))
        .await
        .unwrap();
    let close = sig.expect("CloseSessionPush").await.unwrap();
    assert!(close["body"]["err_info"]["message"]
        .as_str()
        .unwrap()
        .contains("offer"));
    let hb = sig
        .request("ClientHBReq", 0, json!({"session_ids": []}))
        .await
        .unwrap();
    assert_eq!(hb["body"]["hb_interval"], 10000);
    // A heartbeat naming sessions this server does not hold (the closed one, one never made)
    // gets them reset, so the client restarts them at once.
    sig.request("ClientHBReq", 0, json!({"session_ids": [sid, 424242]}))
        .await
        .unwrap();
    let reset = sig.expect("SessionResetPush").await.unwrap();
    assert_eq!(reset["body"]["cResetType"], 1);
    assert_eq!(reset["body"]["session_ids"], json!([sid, 424242]));

    // So does a login that brings sessions of an earlier connection.
    let mut again = s.media_signal_of_logged_in("room", "alice").await;
    again
        .request(
            "LoginReq",
            0,
            json!({"token": dev_token("alice"), "tokenType": 0, "roomid": "room",
                   "sessions": [{"session_id": "77", "session_token": "t"}]}),
        )
        .await
        .unwrap();
    let reset = again.expect("SessionResetPush").await.unwrap();
    assert_eq!(reset["body"]["session_ids"], json!([77]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_auth_checks_stream_params() {
    let s = TestServer::start(&[("LIVEROOM_RTC__STREAM_AUTH", "true")]).await;
    let mut sig = signal(&s, "alice").await;
    assert_eq!(
        err_code(sig.create_session(0, "s", "").await.map(|(_, v)| v)),
        6
    );
    let params = liveroom_server::signalling::token::make_stream_params(
        APPID,
        liveroom_server::config::DEV_SERVER_SECRET,
        "s",
        now_secs() + 60,
    );
    sig.create_session(0, "s", &params).await.unwrap();
    assert_eq!(
        err_code(
            sig.create_session(0, "other", &params)
                .await
                .map(|(_, v)| v)
        ),
        6
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatch_answers_the_media_url() {
    let s = TestServer::start(&[]).await;
    let mut c = s.join("room", "alice", anchor("A")).await;
    let r = c
        .request(
            "webrtc_url",
            json!({"stream_id": "s", "ptype": "push", "signals": [], "header_kvs": []}),
        )
        .await
        .unwrap();
    assert_eq!(r["urls"], json!([format!("ws://{}/media", s.addr)]));
    assert_eq!(r["stream_id"], "s");
    assert_eq!(r["ptype"], "push");
    assert_eq!(
        err_code(
            c.request("webrtc_url", json!({"stream_id": "s", "ptype": "sideways"}))
                .await
        ),
        1_000_000_002
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_counters_reach_the_metrics_listener() {
    let s = TestServer::start(&[]).await;
    let (_psig, _, publisher) = publish(&s, "alice", "m1", Codec::H264).await;
    let (_sig, _, mut player) = play(&s, "bob", "m1", &[MediaKind::Video]).await;
    for i in 0..10u64 {
        send_video(
            &publisher,
            10 + i,
            if i == 0 {
                h264_idr(0)
            } else {
                h264_delta(i as u8)
            },
        )
        .await;
    }
    wait_for(&mut player, |e| matches!(e, PeerOut::Rtp { .. })).await;
    let maddr = s.server.as_ref().unwrap().metrics_addr.unwrap().to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let body = http(&maddr, "GET", "/metrics", &[], b"").await.body;
        let forwarded = body
            .lines()
            .find_map(|l| l.strip_prefix("liveroom_media_forwarded_rtp_total "))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0);
        if forwarded > 0 {
            assert!(
                body.contains("liveroom_media_peers{role=\"play\"} 1"),
                "{body}"
            );
            assert!(body.contains("liveroom_media_sent_bytes_total"));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "media counters never showed up:\n{body}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_player_gets_the_current_group_of_pictures_at_once() {
    let s = TestServer::start(&[]).await;
    let (_psig, _, publisher) = publish(&s, "alice", "g1", Codec::H264).await;
    // A key frame and four deltas go out before anyone plays.
    for i in 0..5u8 {
        let payload = if i == 0 { h264_idr(0) } else { h264_delta(i) };
        send_video(&publisher, 300 + i as u64, payload).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_sig, _, mut late) = play(&s, "bob", "g1", &[MediaKind::Video]).await;
    // Without any new key frame from the publisher, the player gets the cached group…
    let mut got = Vec::new();
    while got.len() < 5 {
        if let PeerOut::Rtp { seq, payload, .. } =
            wait_for(&mut late, |e| matches!(e, PeerOut::Rtp { .. })).await
        {
            got.push((seq, payload));
        }
    }
    assert_eq!(got[0].1, h264_idr(0));
    assert_eq!(got[4].1, h264_delta(4));
    // …and live packets continue the same sequence.
    send_video(&publisher, 305, h264_delta(5)).await;
    if let PeerOut::Rtp { seq, payload, .. } =
        wait_for(&mut late, |e| matches!(e, PeerOut::Rtp { .. })).await
    {
        assert_eq!(payload, h264_delta(5));
        assert_eq!(seq, got[0].0 + 5);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_signalling_without_a_login_is_closed_at_the_login_deadline() {
    let s = TestServer::start(&[("LIVEROOM_SESSION__LOGIN_DEADLINE_MS", "500")]).await;
    let mut sig = MediaSignal::connect(&format!("ws://{}/media", s.addr), APPID, "idle")
        .await
        .unwrap();
    // Heartbeats are answered but do not keep an unauthenticated connection open.
    let started = std::time::Instant::now();
    let closed = loop {
        match sig
            .request("ClientHBReq", 0, json!({"session_ids": []}))
            .await
        {
            Err(liveroom_client::ClientError::Server { code: 2, .. }) => {}
            Err(_) => break started.elapsed(),
            Ok(r) => panic!("heartbeat before login answered ok: {r}"),
        }
        assert!(started.elapsed() < Duration::from_secs(5), "still open");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(closed >= Duration::from_millis(400), "{closed:?}");
}
