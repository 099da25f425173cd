//! Media across nodes (docs/cluster.md): a stream published to one node's SFU played by
//! native str0m players logged in on other nodes, through the pipe between the nodes; and
//! one user per stream id in the whole cluster.

use crate::cluster::{eventually, node_with, Node};
use crate::common;
use common::redis_server::RedisServer;
use common::*;
use liveroom_client::media::{start_peer, MediaPeer, MediaSignal, PeerCmd, PeerOut};
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind};

fn media_node(redis: &RedisServer, id: &str) -> Node {
    node_with(redis, id, "", "127.0.0.1:0")
}

async fn media_signal(n: &Node, room: &str, user: &str) -> MediaSignal {
    let mut sig = MediaSignal::connect(&format!("ws://{}/media", n.http), APPID, user)
        .await
        .unwrap();
    sig.login(&dev_token(user), room).await.unwrap();
    sig
}

async fn publish(n: &Node, room: &str, user: &str, stream: &str) -> (MediaSignal, MediaPeer) {
    let mut sig = media_signal(n, room, user).await;
    let (sid, _) = sig.create_session(0, stream, "").await.unwrap();
    let mut p = start_peer(
        &mut sig,
        sid,
        &[MediaKind::Audio, MediaKind::Video],
        Direction::SendOnly,
        Codec::H264,
    )
    .await
    .unwrap();
    wait_peer(&mut p, |e| *e == PeerOut::Connected).await;
    (sig, p)
}

async fn play(n: &Node, room: &str, user: &str, stream: &str) -> (MediaSignal, MediaPeer) {
    let mut sig = media_signal(n, room, user).await;
    let (sid, _) = sig.create_session(1, stream, "").await.unwrap();
    let mut p = start_peer(
        &mut sig,
        sid,
        &[MediaKind::Audio, MediaKind::Video],
        Direction::RecvOnly,
        Codec::H264,
    )
    .await
    .unwrap();
    wait_peer(&mut p, |e| *e == PeerOut::Connected).await;
    (sig, p)
}

fn frame(key: bool, n: u8) -> Vec<u8> {
    if key {
        vec![0x65, 0x88, n, 1, 2, 3]
    } else {
        vec![0x41, 0x9a, n, 4, 5, 6]
    }
}

async fn send(p: &MediaPeer, kind: MediaKind, seq: u64, payload: Vec<u8>) {
    p.cmd
        .send(PeerCmd::Rtp {
            kind,
            seq,
            time: (seq as u32) * 3000,
            marker: kind == MediaKind::Video,
            payload,
        })
        .await
        .unwrap();
}

/// The next `n` video payloads `p` receives, with their sequence numbers, and how many audio
/// packets came meanwhile.
async fn video(p: &mut MediaPeer, n: usize) -> (Vec<(u64, Vec<u8>)>, usize) {
    let mut got = Vec::new();
    let mut audio = 0;
    while got.len() < n {
        let e = wait_peer(p, |e| matches!(e, PeerOut::Rtp { .. })).await;
        if let PeerOut::Rtp {
            kind,
            seq,
            payload,
            codec,
            ..
        } = e
        {
            if kind == MediaKind::Audio {
                audio += 1;
                continue;
            }
            assert_eq!(codec, Codec::H264);
            got.push((seq, payload));
        }
    }
    (got, audio)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_published_on_one_node_plays_on_the_others_through_one_pipe_each() {
    let redis = RedisServer::start();
    let a = media_node(&redis, "node-a");
    let b = media_node(&redis, "node-b");
    let c = media_node(&redis, "node-c");

    // The room lives on node-a; viewers log in through node-b and node-c (relayed to it).
    let _alice = a.join("show", "alice", anchor("Alice")).await;
    let _v1 = b.join("show", "v1", anchor("V1")).await;
    let _v2 = b.join("show", "v2", anchor("V2")).await;
    let _v3 = c.join("show", "v3", anchor("V3")).await;

    let (_psig, mut publisher) = publish(&a, "show", "alice", "s1").await;
    assert_eq!(
        redis.cmd(&["GET", &format!("liveroom:stream:{APPID}:s1")]),
        "node-a alice",
        "the stream's key names its node and user"
    );
    let mut players = Vec::new();
    for (n, user) in [(&b, "v1"), (&b, "v2"), (&c, "v3")] {
        players.push(play(n, "show", user, "s1").await);
    }

    // Players elsewhere ask for a key frame: the request reaches the publisher across nodes.
    wait_peer(&mut publisher, |e| *e == PeerOut::KeyframeRequest).await;
    send(&publisher, MediaKind::Video, 100, frame(false, 0)).await;
    for i in 0..30u8 {
        send(
            &publisher,
            MediaKind::Video,
            101 + i as u64,
            frame(i % 10 == 0, i),
        )
        .await;
        send(&publisher, MediaKind::Audio, 500 + i as u64, vec![0xfc, i]).await;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    for (_, p) in players.iter_mut() {
        let (got, audio) = video(p, 30).await;
        assert!(audio > 0, "audio is piped too");
        assert_eq!(
            got[0].1,
            frame(true, 0),
            "a player starts at a key frame: {got:?}"
        );
        for (i, (seq, payload)) in got.iter().enumerate() {
            assert_eq!(*seq, got[0].0 + i as u64, "contiguous sequence numbers");
            assert_eq!(
                *payload,
                frame(i % 10 == 0, i as u8),
                "the publisher's bytes"
            );
        }
    }

    // Each node took the stream once: node-a serves two pipes, whatever the players.
    // (The records are renewed every 2 s.)
    eventually(
        std::time::Duration::from_secs(5),
        "node-a pipes s1 out to node-b and node-c once each, node-b takes it once",
        || async {
            pipes_of(&a).await == (0, 2)
                && pipes_of(&b).await == (1, 0)
                && pipes_of(&c).await == (1, 0)
        },
    )
    .await;

    // The players go: the pipes end a few seconds later.
    drop(players);
    eventually(
        std::time::Duration::from_secs(20),
        "the pipes end with their last player",
        || async { pipes_of(&a).await == (0, 0) && pipes_of(&b).await == (0, 0) },
    )
    .await;
}

/// (streams piped into the node, streams it pipes out) from its record in `GET /admin/v1/nodes`.
async fn pipes_of(n: &Node) -> (u64, u64) {
    let auth = format!("Bearer {}", crate::cluster::ADMIN_SECRET);
    let a = http(
        &n.http,
        "GET",
        "/admin/v1/nodes",
        &[("Authorization", &auth)],
        b"",
    )
    .await;
    let v: Value = serde_json::from_str(&a.body).unwrap_or(Value::Null);
    let me = v["node_id"].clone();
    let rec = v["nodes"]
        .as_array()
        .and_then(|l| l.iter().find(|r| r["node_id"] == me).cloned())
        .unwrap_or(Value::Null);
    (
        rec["pipes_in"].as_u64().unwrap_or(u64::MAX),
        rec["pipes_out"].as_u64().unwrap_or(u64::MAX),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_holds_a_stream_id_in_the_whole_cluster() {
    let redis = RedisServer::start();
    let a = media_node(&redis, "node-a");
    let b = media_node(&redis, "node-b");
    let _alice = a.join("r", "alice", anchor("Alice")).await;
    let _bob = b.join("r", "bob", anchor("Bob")).await;

    let (_asig, _apub) = publish(&a, "r", "alice", "taken").await;
    let mut bsig = media_signal(&b, "r", "bob").await;
    let refused = bsig.create_session(0, "taken", "").await;
    let err = format!("{refused:?}");
    assert!(
        refused.is_err(),
        "bob may not publish alice's stream id: {err}"
    );
    assert!(err.contains("published by another user"), "{err}");
    // Another id is bob's to publish.
    let (sid, _) = bsig.create_session(0, "bobs", "").await.unwrap();
    assert!(sid > 0);
}

/// HTTP-FLV from a node the stream is not published to: the output there takes the stream
/// through the pipe. A real GStreamer source over WebRTC, the file checked with ffprobe.
#[cfg(feature = "live")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_output_on_another_node_plays_the_stream() {
    use liveroom_media::MediaCodec;
    let redis = RedisServer::start();
    let a = media_node(&redis, "node-a");
    let b = media_node(&redis, "node-b");
    let _alice = a.join("r", "alice", anchor("Alice")).await;
    let (sig, peer) = publish(&a, "r", "alice", "cam").await;
    let src =
        liveroom_live::testsrc::start(Some(MediaCodec::H264), true).expect("GStreamer test source");
    let _feed = feed_test_source(peer, src, sig);

    let url = format!("http://{}/live/{APPID}/cam.flv", b.http);
    let file = std::env::temp_dir().join(format!("liveroom-pipe-{}.flv", rand::random::<u64>()));
    let (u, f) = (url.clone(), file.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-y",
                "-rw_timeout",
                "15000000",
                "-i",
                &u,
                "-t",
                "3",
            ])
            .args(["-c", "copy"])
            .arg(&f)
            .output()
            .expect("ffmpeg runs (install ffmpeg)")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "ffmpeg read {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let probe = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "csv=p=0",
        ])
        .arg(&file)
        .output()
        .expect("ffprobe runs");
    let mut codecs: Vec<String> = String::from_utf8_lossy(&probe.stdout)
        .lines()
        .map(|l| l.trim().trim_end_matches(',').to_string())
        .filter(|l| !l.is_empty())
        .collect();
    codecs.sort();
    assert_eq!(codecs, ["aac", "h264"], "FLV of the piped stream on node-b");
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    assert!(size > 10_000, "{size} bytes");
    let _ = std::fs::remove_file(&file);
    // A stream published nowhere is still a 404 on any node.
    let r = http(
        &b.http,
        "GET",
        &format!("/live/{APPID}/nowhere.flv"),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 404);
}

/// `play_scope = "room"` when the player's room lives on another node: the room is asked
/// there (through the admin API between the nodes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn play_scope_room_asks_the_rooms_node() {
    let redis = RedisServer::start();
    let app = format!(
        "[tokens]\nallow_v1 = true\n[[apps]]\nappid = {APPID}\napp_sign = \"{}\"\nserver_secret = \"{}\"\nplay_scope = \"room\"\nsigned_live_urls = false\n",
        liveroom_server::config::DEV_APP_SIGN,
        liveroom_server::config::DEV_SERVER_SECRET,
    );
    let a = node_with(&redis, "node-a", &app, "127.0.0.1:0");
    let b = node_with(&redis, "node-b", &app, "127.0.0.1:0");
    let mut alice = a.join("ra", "alice", anchor("Alice")).await;
    let (_asig, _apub) = publish(&a, "ra", "alice", "cam").await;
    alice
        .request("stream", stream_body(2001, "cam", ""))
        .await
        .unwrap();
    // carol is in alice's room (on node-a) through node-b: she may play it.
    let _carol = b.join("ra", "carol", anchor("Carol")).await;
    let mut csig = media_signal(&b, "ra", "carol").await;
    csig.create_session(1, "cam", "").await.unwrap();
    // bob is in another room: refused, as on one node.
    let _bob = b.join("rb", "bob", anchor("Bob")).await;
    let mut bsig = media_signal(&b, "rb", "bob").await;
    let r = bsig.create_session(1, "cam", "").await.map(|(_, v)| v);
    assert_eq!(err_code(r), 7);
}
