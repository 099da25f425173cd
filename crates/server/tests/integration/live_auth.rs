//! Signed HTTP-FLV / HLS URLs (docs/protocol.md §11): outside dev mode an app's live outputs
//! play only on URLs carrying a valid `expires` + `sign` (HMAC of the app's server secret), as
//! the stream list, mix answers and the admin API hand them out; the playlist passes the
//! signature on to its segments. Dev mode, and apps with `signed_live_urls = false`, keep plain
//! URLs. Needs GStreamer and ffmpeg (as live_outputs.rs).

use crate::common;
use common::*;
use liveroom_client::media::{start_peer, MediaSignal, PeerOut};
use liveroom_server::live::sign as live_sign;
use liveroom_server::signalling::token;
use std::path::Path;
use std::process::Command;
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind};

const SECRET: &str = "live-auth-server-secret-0123";
const ADMIN: &str = "live-auth-admin-secret-0123";
/// An app of the same server whose URLs stay plain.
const PLAIN_APP: u64 = APPID + 1;

fn config() -> String {
    format!(
        "[admin]\nsecret = \"{ADMIN}\"\n\
         [[apps]]\nappid = {APPID}\napp_sign = \"0123456789abcdef0123456789abcdef\"\nserver_secret = \"{SECRET}\"\n\
         [[apps]]\nappid = {PLAIN_APP}\napp_sign = \"0123456789abcdef0123456789abcdef\"\nserver_secret = \"{SECRET}\"\nsigned_live_urls = false\n"
    )
}

fn token_of(appid: u64, user: &str) -> String {
    let p = token::PRIVILEGE_LOGIN | token::PRIVILEGE_PUBLISH;
    token::make_v2(appid, SECRET, user, "", p, now_secs() + 3600)
}

async fn join(s: &TestServer, appid: u64, room: &str, user: &str) -> RoomClient {
    let mut c = RoomClient::connect(&s.ws_url(), appid).await.unwrap();
    c.login(room, user, &token_of(appid, user), &anchor(user))
        .await
        .expect("login");
    c
}

/// `user`, logged in to `room`, publishes `stream` (H.264 + Opus from a GStreamer test
/// source) over real WebRTC; it stops when the handle is dropped.
async fn publish(s: &TestServer, room: &str, user: &str, stream: &str) -> impl Drop {
    let mut sig = MediaSignal::connect(&format!("ws://{}/media", s.addr), APPID, user)
        .await
        .unwrap();
    sig.login(&token_of(APPID, user), room).await.unwrap();
    let (sid, _) = sig.create_session(0, stream, "").await.unwrap();
    let kinds = [MediaKind::Audio, MediaKind::Video];
    let mut peer = start_peer(&mut sig, sid, &kinds, Direction::SendOnly, Codec::H264)
        .await
        .unwrap();
    wait_peer(&mut peer, |e| *e == PeerOut::Connected).await;
    let src = liveroom_live::testsrc::start(Some(liveroom_media::MediaCodec::H264), true)
        .expect("GStreamer test source");
    AbortOnDrop(feed_test_source(peer, src, sig))
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Copies `secs` seconds of `url` into `file` with ffmpeg; the codecs ffprobe finds in it.
async fn play(url: &str, secs: u32, file: &Path) -> Vec<String> {
    let (url, f) = (url.to_string(), file.to_path_buf());
    let out = tokio::task::spawn_blocking(move || {
        Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-rw_timeout", "15000000", "-i", &url])
            .args(["-t", &secs.to_string(), "-c", "copy"])
            .arg(&f)
            .output()
            .expect("ffmpeg runs (install ffmpeg)")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "ffmpeg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_name"])
        .args(["-of", "csv=p=0"])
        .arg(file)
        .output()
        .expect("ffprobe runs (install ffmpeg)");
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().trim_end_matches(',').to_string())
        .filter(|l| !l.is_empty())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The status and first body bytes of an endless FLV answer (read until `n` bytes came).
async fn flv_start(addr: &str, path: &str, n: usize) -> (u16, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
    // HTTP/1.0: no chunked encoding, the body follows the head as is.
    c.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let read = async {
        loop {
            let k = c.read(&mut chunk).await.unwrap();
            buf.extend_from_slice(&chunk[..k]);
            let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n");
            if k == 0 || head_end.is_some_and(|e| buf.len() >= e + 4 + n) {
                return head_end;
            }
        }
    };
    let head_end = tokio::time::timeout(Duration::from_secs(15), read)
        .await
        .expect("FLV answer in time")
        .expect("an HTTP head");
    let status = String::from_utf8_lossy(&buf[..head_end])
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap();
    (status, buf[head_end + 4..].to_vec())
}

/// The path and query of a URL on the test server.
fn path_of(s: &TestServer, url: &str) -> String {
    url.strip_prefix(&format!("http://{}", s.addr))
        .unwrap_or_else(|| panic!("{url} is not on {}", s.addr))
        .to_string()
}

async fn get(s: &TestServer, path: &str) -> HttpAnswer {
    http(&s.addr, "GET", path, &[], b"").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_dev_mode_live_outputs_play_only_on_signed_urls() {
    let s = TestServer::start_with(Some(&config()), &[]).await;
    let mut alice = join(&s, APPID, "room", "alice").await;
    let v = ok(&mut alice, "stream", stream_body(2001, "s1", "")).await;
    let flv = v["stream_info"][0]["urls_flv"][0]
        .as_str()
        .unwrap()
        .to_string();
    let m3u8 = v["stream_info"][0]["urls_m3u8"][0]
        .as_str()
        .unwrap()
        .to_string();
    let plain_flv = format!("/live/{APPID}/s1.flv");
    let plain_m3u8 = format!("/live/{APPID}/s1.m3u8");
    // The stream list's URLs are signed: expires about url_ttl_secs (a day) ahead.
    let flv_path = path_of(&s, &flv);
    let query = flv_path
        .strip_prefix(&format!("{plain_flv}?"))
        .unwrap_or_else(|| panic!("{flv} is not signed"))
        .to_string();
    assert_eq!(path_of(&s, &m3u8), format!("{plain_m3u8}?{query}"));
    let expires: u64 = query
        .strip_prefix("expires=")
        .and_then(|q| q.split('&').next())
        .and_then(|e| e.parse().ok())
        .unwrap_or_else(|| panic!("no expires in {query}"));
    assert!(expires.abs_diff(now_secs() + 86_400) < 60, "{expires}");
    assert_eq!(
        query,
        live_sign::query(SECRET, APPID, "s1", expires),
        "the documented formula"
    );

    let _p = publish(&s, "room", "alice", "s1").await;
    // Unsigned, tampered, for another stream, expired: 403 with the reason, before any output.
    let r = get(&s, &plain_flv).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("signed"), "{}", r.body);
    let r = get(&s, &plain_m3u8).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let later = flv_path.replace(
        &format!("expires={expires}"),
        &format!("expires={}", expires + 1000),
    );
    let r = get(&s, &later).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("sign does not match"), "{}", r.body);
    let other = live_sign::query(SECRET, APPID, "s2", expires);
    let r = get(&s, &format!("{plain_flv}?{other}")).await;
    assert_eq!(r.status, 403);
    let past = live_sign::query(SECRET, APPID, "s1", now_secs() - 1);
    let r = get(&s, &format!("{plain_flv}?{past}")).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body.trim(), "expired");
    let wrong_key = live_sign::query("another-secret-0123456", APPID, "s1", expires);
    let r = get(&s, &format!("{plain_m3u8}?{wrong_key}")).await;
    assert_eq!(r.status, 403);

    // The signed URL plays.
    let dir = TempDir::new("live-auth");
    assert_eq!(play(&flv, 3, &dir.0.join("a.flv")).await, ["aac", "h264"]);
    // HLS: the playlist's segment URIs carry the signature, and load with it only.
    let r = get(&s, &path_of(&s, &m3u8)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let seg = r
        .body
        .lines()
        .find(|l| l.starts_with("s1/segment"))
        .unwrap_or_else(|| panic!("no segment in {}", r.body))
        .to_string();
    assert!(seg.ends_with(&format!(".ts?{query}")), "{seg}");
    let r = get(&s, &format!("/live/{APPID}/{seg}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("video/mp2t"));
    let bare = seg.split('?').next().unwrap();
    let r = get(&s, &format!("/live/{APPID}/{bare}")).await;
    assert_eq!(r.status, 403, "a segment without the signature");
    assert_eq!(play(&m3u8, 3, &dir.0.join("h.ts")).await, ["aac", "h264"]);

    // A list answered later is signed afresh (a member joining, stream_info).
    let mut bob = join(&s, APPID, "room", "bob").await;
    let v = ok(&mut bob, "stream_info", json!({})).await;
    let listed = v["stream_info"][0]["urls_flv"][0].as_str().unwrap();
    assert!(
        listed.starts_with(&format!("http://{}{plain_flv}?expires=", s.addr)),
        "{listed}"
    );
    let (status, head) = flv_start(&s.addr, &path_of(&s, listed), 3).await;
    assert_eq!((status, &head[..3]), (200, &b"FLV"[..]));

    // The admin API mints URLs for a business server (here valid 60 s).
    let auth = format!("Bearer {ADMIN}");
    let minted = http(
        &s.addr,
        "POST",
        &format!("/admin/v1/apps/{APPID}/live_urls"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        br#"{"stream_id": "s1", "ttl_secs": 60}"#,
    )
    .await;
    assert_eq!(minted.status, 200, "{}", minted.body);
    let m: Value = serde_json::from_str(&minted.body).unwrap();
    let e = m["expires"].as_u64().unwrap();
    assert!(e.abs_diff(now_secs() + 60) < 10, "{m}");
    assert_eq!(m["signed"], true);
    let q = live_sign::query(SECRET, APPID, "s1", e);
    assert_eq!(m["flv"], format!("http://{}{plain_flv}?{q}", s.addr));
    assert_eq!(m["m3u8"], format!("http://{}{plain_m3u8}?{q}", s.addr));
    let (status, head) = flv_start(&s.addr, &path_of(&s, m["flv"].as_str().unwrap()), 3).await;
    assert_eq!((status, &head[..3]), (200, &b"FLV"[..]));
    let bad = http(
        &s.addr,
        "POST",
        &format!("/admin/v1/apps/{APPID}/live_urls"),
        &[("Authorization", &auth)],
        br#"{"stream_id": ""}"#,
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let unknown = http(
        &s.addr,
        "POST",
        &format!("/admin/v1/apps/{}/live_urls", APPID + 7),
        &[("Authorization", &auth)],
        br#"{"stream_id": "s1"}"#,
    )
    .await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
}

#[tokio::test]
async fn dev_mode_and_apps_without_signing_keep_plain_urls() {
    // An app with signed_live_urls = false on a production server: plain URLs, not refused.
    let s = TestServer::start_with(Some(&config()), &[]).await;
    let mut c = join(&s, PLAIN_APP, "room", "carol").await;
    let v = ok(&mut c, "stream", stream_body(2001, "p1", "")).await;
    let flv = v["stream_info"][0]["urls_flv"][0].as_str().unwrap();
    assert_eq!(flv, format!("http://{}/live/{PLAIN_APP}/p1.flv", s.addr));
    let r = get(&s, &format!("/live/{PLAIN_APP}/p1.flv")).await;
    assert_eq!(r.status, 404, "not published, but not refused: {}", r.body);
    // An app the server does not serve.
    let r = get(&s, &format!("/live/{}/p1.flv", APPID + 7)).await;
    assert_eq!(r.status, 404, "{}", r.body);

    // Dev mode: plain URLs play (tests/live_outputs.rs plays them).
    let d = TestServer::start(&[]).await;
    let mut a = d.join("room", "alice", anchor("Alice")).await;
    let v = ok(&mut a, "stream", stream_body(2001, "s1", "")).await;
    assert_eq!(
        v["stream_info"][0]["urls_flv"][0],
        format!("http://{}/live/{APPID}/s1.flv", d.addr)
    );
    let r = get(&d, &format!("/live/{APPID}/s1.flv")).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(r.body.contains("not being published"), "{}", r.body);
}
