//! Live outputs end to end: a GStreamer test source published over real WebRTC (str0m
//! client) plays as HTTP-FLV and HLS (checked with ffmpeg/ffprobe), and is relayed to a real
//! nginx-rtmp server by `publishTarget` (biz_channel media addpush), by `cdnUrl` and by a
//! mix's `outputUrl` (biz_channel zeus start_mix with `mixurl`). Needs
//! GStreamer, ffmpeg and nginx with the RTMP module (scripts/system-deps.sh --test): the tests
//! fail when any is missing.

use crate::common;
use common::*;
use liveroom_client::media::{start_peer, MediaPeer, PeerOut};
use liveroom_media::MediaCodec;
use md5::{Digest, Md5};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind};

fn tmp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("liveroom-{tag}-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A publisher: the real media-signalling flow, then RTP from a GStreamer test source.
struct Publisher {
    sig: MediaLogin,
    sid: u64,
    _feed: tokio::task::JoinHandle<()>,
}

async fn publish(s: &TestServer, user: &str, stream: &str, video: MediaCodec) -> Publisher {
    let mut sig = s.media_login("room", user).await;
    let (sid, _) = sig.create_session(0, stream, "").await.unwrap();
    let codec = if video == MediaCodec::Vp8 {
        Codec::Vp8
    } else {
        Codec::H264
    };
    let mut peer: MediaPeer = start_peer(
        &mut sig,
        sid,
        &[MediaKind::Audio, MediaKind::Video],
        Direction::SendOnly,
        codec,
    )
    .await
    .unwrap();
    wait_peer(&mut peer, |e| *e == PeerOut::Connected).await;
    let src = liveroom_live::testsrc::start(Some(video), true).expect("GStreamer test source");
    let feed = feed_test_source(peer, src, ());
    Publisher {
        sig,
        sid,
        _feed: feed,
    }
}

/// Codec names of a media file, by ffprobe.
fn probe(file: &Path) -> Vec<String> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "csv=p=0",
        ])
        .arg(file)
        .output()
        .expect("ffprobe runs (install ffmpeg)");
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().trim_end_matches(',').to_string())
        .filter(|l| !l.is_empty())
        .collect();
    v.sort();
    // MPEG-TS lists its streams once more under its program.
    v.dedup();
    v
}

/// Copies `secs` seconds of `url` into `file` with ffmpeg (as a player would read it).
async fn record(url: &str, secs: u32, file: &Path) {
    let (url, file) = (url.to_string(), file.to_path_buf());
    let out = tokio::task::spawn_blocking(move || {
        Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-y",
                "-rw_timeout",
                "15000000",
                "-i",
                &url,
                "-t",
            ])
            .arg(secs.to_string())
            .args(["-c", "copy"])
            .arg(&file)
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
}

fn size(file: &Path) -> u64 {
    std::fs::metadata(file).map(|m| m.len()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_stream_plays_as_flv_and_hls_from_the_urls_in_the_stream_list() {
    let s = TestServer::start(&[]).await;
    let mut anchor_c = s.join("room", "alice", anchor("Alice")).await;
    let v = ok(&mut anchor_c, "stream", stream_body(2001, "s1", "")).await;
    let flv = v["stream_info"][0]["urls_flv"][0]
        .as_str()
        .unwrap()
        .to_string();
    let m3u8 = v["stream_info"][0]["urls_m3u8"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(flv, format!("http://{}/live/{APPID}/s1.flv", s.addr));
    assert_eq!(m3u8, format!("http://{}/live/{APPID}/s1.m3u8", s.addr));
    // A stream nobody publishes: 404 with a reason.
    let r = http(&s.addr, "GET", &format!("/live/{APPID}/nope.flv"), &[], b"").await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("not being published"), "{}", r.body);
    let r = http(
        &s.addr,
        "GET",
        &format!("/live/{APPID}/s1/segment00001.ts"),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 404, "no HLS running yet");

    let _p = publish(&s, "alice", "s1", MediaCodec::H264).await;
    let dir = tmp_dir("flv");
    // Two viewers, one joining later: both get playable FLV (one pipeline).
    let late_file = dir.join("late.flv");
    let late = {
        let (flv, f) = (flv.clone(), late_file.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            record(&flv, 3, &f).await;
        })
    };
    record(&flv, 4, &dir.join("a.flv")).await;
    late.await.unwrap();
    for f in [dir.join("a.flv"), late_file] {
        assert_eq!(probe(&f), ["aac", "h264"], "{}", f.display());
        assert!(size(&f) > 20_000, "{} is {} bytes", f.display(), size(&f));
    }

    // HLS: the playlist lists segments under the stream's folder; ffmpeg plays it.
    let path = m3u8
        .trim_start_matches(&format!("http://{}", s.addr))
        .to_string();
    let r = http(&s.addr, "GET", &path, &[], b"").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.apple.mpegurl")
    );
    let seg = r
        .body
        .lines()
        .find(|l| l.starts_with("s1/segment"))
        .unwrap_or_else(|| panic!("no segment in {}", r.body))
        .to_string();
    let r = http(&s.addr, "GET", &format!("/live/{APPID}/{seg}"), &[], b"").await;
    assert_eq!(r.status, 200);
    record(&m3u8, 3, &dir.join("h.ts")).await;
    assert_eq!(probe(&dir.join("h.ts")), ["aac", "h264"]);
    let r = http(
        &s.addr,
        "GET",
        &format!("/live/{APPID}/s1/..%2Fx.ts"),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 404);

    // Unpublishing: new requests get 404 at once, running viewers' responses end soon after.
    let viewer = tokio::spawn(read_until_closed(
        s.addr.clone(),
        format!("/live/{APPID}/s1.flv"),
    ));
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(_p);
    let unpublished = std::time::Instant::now();
    loop {
        let r = http(&s.addr, "GET", &format!("/live/{APPID}/s1.flv"), &[], b"").await;
        if r.status == 404 {
            assert!(r.body.contains("not being published"), "{}", r.body);
            break;
        }
        assert!(
            unpublished.elapsed() < Duration::from_secs(2),
            "FLV still answers {} after the publisher left",
            r.status
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let got = tokio::time::timeout(Duration::from_secs(8), viewer)
        .await
        .expect("the running viewer's response ends once the stream is unpublished")
        .unwrap();
    assert!(got > 5_000, "the viewer got {got} bytes before the end");
    let _ = std::fs::remove_dir_all(dir);
}

/// GETs `path` and reads the response until the server closes it; returns the bytes read.
async fn read_until_closed(addr: String, path: String) -> usize {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
    c.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0;
    loop {
        match c.read(&mut buf).await {
            Ok(0) | Err(_) => return total,
            Ok(n) => total += n,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vp8_is_transcoded_to_h264_for_flv() {
    let s = TestServer::start(&[]).await;
    let _p = publish(&s, "bob", "v1", MediaCodec::Vp8).await;
    let dir = tmp_dir("vp8");
    record(
        &format!("http://{}/live/{APPID}/v1.flv", s.addr),
        4,
        &dir.join("v.flv"),
    )
    .await;
    assert_eq!(probe(&dir.join("v.flv")), ["aac", "h264"]);
    assert!(size(&dir.join("v.flv")) > 10_000);
    let _ = std::fs::remove_dir_all(dir);
}

/// nginx with the RTMP module on a free port, recording every stream into its folder.
struct Nginx {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Nginx {
    fn start() -> Nginx {
        let dir = tmp_dir("nginx");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let conf = format!(
            "load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;\n\
             error_log {d}/error.log info;\npid {d}/nginx.pid;\n\
             events {{ worker_connections 64; }}\n\
             rtmp {{ server {{ listen 127.0.0.1:{port}; application live {{ live on; record all; record_path {d}; }} }} }}\n",
            d = dir.display()
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let child = Command::new("nginx")
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-p")
            .arg(&dir)
            .args(["-g", "daemon off; master_process off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx runs (install nginx and libnginx-mod-rtmp)");
        // Drop kills and waits for it, whether or not it came up.
        let nginx = Nginx { child, port, dir };
        for _ in 0..50 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return nginx;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("nginx did not listen on {port}");
    }

    fn url(&self, name: &str) -> String {
        format!("rtmp://127.0.0.1:{}/live/{name}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn push_body(cmd_appid: u64, secret: &str, stream: &str, url: &str) -> Value {
    let ts = now_secs();
    let sig = Md5::digest(format!("{cmd_appid}{ts}{secret}").as_bytes());
    let sig: String = sig.iter().map(|b| format!("{b:02x}")).collect();
    json!({"appid": cmd_appid, "biz_type": 0, "timestamp": ts, "signature": sig, "seq": 1,
           "version": "test", "stream_id": stream, "pushurl": url})
}

async fn media_cmd(c: &mut RoomClient, cmd: &str, req: Value) -> Value {
    let v = ok(
        c,
        "biz_channel",
        json!({"channel": "media", "cmd": cmd, "req_body": req.to_string()}),
    )
    .await;
    serde_json::from_str(v["rsp_body"].as_str().unwrap()).unwrap()
}

/// Waits until `file` has stopped growing and holds `min` bytes.
async fn finished_recording(file: &Path, min: u64) {
    let mut last = 0;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let n = size(file);
        if n >= min && n == last {
            return;
        }
        last = n;
    }
    panic!("{} has {} bytes", file.display(), size(file));
}

const SECRET: &str = liveroom_server::config::DEV_SERVER_SECRET;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_target_relays_to_an_rtmp_server_and_urls_rtmp_shows_it() {
    let nginx = Nginx::start();
    let s = TestServer::start(&[]).await;
    let mut a = s.join("room", "alice", anchor("Alice")).await;
    let mut viewer = s.join("room", "vic", audience("Vic")).await;
    ok(&mut a, "stream", stream_body(2001, "s2", "")).await;
    let _ = expect_push(&mut viewer, "push_stream_update").await;
    let _p = publish(&s, "alice", "s2", MediaCodec::H264).await;
    let url = nginx.url("relay1");

    // Refused: wrong signature, other app, not a URL, not the caller's stream.
    let r = media_cmd(&mut a, "addpush", push_body(APPID, "wrong", "s2", &url)).await;
    assert_eq!(r["code"], 2, "{r}");
    let r = media_cmd(&mut a, "addpush", push_body(APPID + 1, SECRET, "s2", &url)).await;
    assert_eq!(r["code"], 2, "{r}");
    // A correct signature over a stale timestamp (a replayed request).
    let mut stale = push_body(APPID, SECRET, "s2", &url);
    let ts = now_secs() - 3600;
    let sig = Md5::digest(format!("{APPID}{ts}{SECRET}").as_bytes());
    stale["timestamp"] = json!(ts);
    stale["signature"] = json!(sig.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let r = media_cmd(&mut a, "addpush", stale).await;
    assert_eq!(r["code"], 2, "{r}");
    assert!(r["message"].as_str().unwrap().contains("timestamp"), "{r}");
    let r = media_cmd(
        &mut a,
        "addpush",
        push_body(APPID, SECRET, "s2", "http://x/y"),
    )
    .await;
    assert_eq!(r["code"], 3, "{r}");
    let r = media_cmd(&mut viewer, "addpush", push_body(APPID, SECRET, "s2", &url)).await;
    assert_eq!(r["code"], 4, "{r}");
    let r = media_cmd(&mut a, "addpush", json!({"stream_id": "s2"})).await;
    assert_eq!(r["code"], 1, "{r}");

    let r = media_cmd(&mut a, "addpush", push_body(APPID, SECRET, "s2", &url)).await;
    assert_eq!(r["code"], 0, "{r}");
    // Everyone learns the running relay from the stream list.
    let p = expect_push(&mut viewer, "push_stream_update").await;
    assert_eq!(p.body["stream_info"][0]["urls_rtmp"][0], url.as_str());
    tokio::time::sleep(Duration::from_secs(4)).await;
    let r = media_cmd(&mut a, "delpush", push_body(APPID, SECRET, "s2", &url)).await;
    assert_eq!(r["code"], 0, "{r}");
    let p = expect_push(&mut viewer, "push_stream_update").await;
    assert_eq!(p.body["stream_info"][0]["urls_rtmp"], json!([]));
    let r = media_cmd(&mut a, "delpush", push_body(APPID, SECRET, "s2", &url)).await;
    assert_eq!(r["code"], 4, "a second delpush finds nothing: {r}");
    let file = nginx.dir.join("relay1.flv");
    finished_recording(&file, 20_000).await;
    assert_eq!(probe(&file), ["aac", "h264"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdn_url_pushes_while_published_and_dead_targets_are_retried() {
    let nginx = Nginx::start();
    let s = TestServer::start(&[]).await;
    let mut a = s.join("room", "alice", anchor("Alice")).await;
    let url = nginx.url("cdn1");
    let v = ok(
        &mut a,
        "webrtc_url",
        json!({"stream_id": "s3", "ptype": "push", "signals": [],
               "header_kvs": [{"key": "grpc-metadata-push", "value": url}]}),
    )
    .await;
    assert!(v["urls"][0].as_str().unwrap().ends_with("/media"));
    let bad = json!({"stream_id": "s3", "ptype": "push",
                     "header_kvs": [{"key": "grpc-metadata-push", "value": "ftp://x"}]});
    let (code, msg) = refused(&mut a, "webrtc_url", bad).await;
    assert_eq!(code, 1_000_000_002);
    assert!(msg.contains("cdnUrl"), "{msg}");

    let mut p = publish(&s, "alice", "s3", MediaCodec::H264).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    // Unpublishing stops the push: nginx closes the recording.
    p.sig
        .request("CloseSessionReq", p.sid, json!({}))
        .await
        .unwrap();
    let file = nginx.dir.join("cdn1.flv");
    finished_recording(&file, 20_000).await;
    assert_eq!(probe(&file), ["aac", "h264"]);

    // A target that refuses connections: retried with backoff, counted.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("rtmp://{}/live/x", dead.local_addr().unwrap());
    drop(dead);
    ok(&mut a, "stream", stream_body(2001, "s4", "")).await;
    let _p4 = publish(&s, "alice", "s4", MediaCodec::H264).await;
    let r = media_cmd(&mut a, "addpush", push_body(APPID, SECRET, "s4", &dead_url)).await;
    assert_eq!(r["code"], 0, "{r}");
    let metrics = &s.server.as_ref().unwrap().state.hub.metrics;
    let failures = || {
        metrics
            .render()
            .lines()
            .find(|l| l.starts_with("liveroom_relay_push_failures_total"))
            .and_then(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while failures() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "no retries counted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// ffprobe's `codec_name,width,height` lines (sorted) and the container's duration in seconds.
fn probe_mix(file: &Path) -> (Vec<String>, f64) {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,width,height:format=duration",
            "-of",
            "default=nw=1",
        ])
        .arg(file)
        .output()
        .expect("ffprobe runs (install ffmpeg)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut streams = Vec::new();
    let mut duration = 0.0;
    let mut cur: Vec<String> = Vec::new();
    for l in text.lines() {
        let Some((k, v)) = l.split_once('=') else {
            continue;
        };
        match k {
            "codec_name" => {
                if !cur.is_empty() {
                    streams.push(cur.join(","));
                }
                cur = vec![v.to_string()];
            }
            "width" | "height" => cur.push(v.to_string()),
            "duration" => duration = v.parse().unwrap_or(0.0),
            _ => {}
        }
    }
    if !cur.is_empty() {
        streams.push(cur.join(","));
    }
    streams.sort();
    (streams, duration)
}

fn zeus(cmd: &str, req: Value) -> Value {
    json!({"channel": "zeus", "cmd": cmd, "req_body": req.to_string()})
}

/// `start_mix` with `mixurl` (updateMixStream's `outputUrl`) through the room WebSocket: the mix
/// reaches a real RTMP server (nginx-rtmp, recording) as FLV with H.264 of the output's size and
/// AAC-LC (audio_enc_id 0, HE-AAC requested) or MP3 (audio_enc_id 2), for as long as it runs. One
/// mix is URL-only (addressed by its URL), the other also a stream of the room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mix_output_url_pushes_flv_over_rtmp_with_the_chosen_audio() {
    let nginx = Nginx::start();
    let s = TestServer::start(&[]).await;
    let mut a = s.join("room", "alice", anchor("Alice")).await;
    let mut viewer = s.join("room", "vic", audience("Vic")).await;
    ok(&mut a, "stream", stream_body(2001, "cam", "")).await;
    let _ = expect_push(&mut viewer, "push_stream_update").await;
    let _p = publish(&s, "alice", "cam", MediaCodec::H264).await;
    let (aac_url, mp3_url) = (nginx.url("mixaac"), nginx.url("mixmp3"));
    let start = |output: Value| {
        zeus(
            "start_mix",
            json!({"id_name": "alice", "live_channel": "room", "appid": APPID, "version": 1,
                   "MixInput": [{"stream_id": "cam", "rect": {"top": 0, "left": 0, "bottom": 180, "right": 240}}],
                   "MixOutput": [output]}),
        )
    };
    let play = |r: &Value| -> Value {
        assert_eq!(r["err_code"], 0, "{r}");
        serde_json::from_str(r["rsp_body"].as_str().unwrap()).unwrap()
    };

    // A stream of the room and an RTMP push, HE-AAC (mapped to AAC-LC).
    let r = call(
        &mut a,
        "biz_channel",
        start(
            json!({"stream_id": "mixa", "mixurl": aac_url, "bitrate": 500_000, "fps": 15,
                     "width": 320, "height": 180, "audio_enc_id": 0}),
        ),
    )
    .await;
    let p = play(&r.body);
    assert_eq!(p["play"][0]["rtmp_url"], aac_url.as_str(), "{p}");
    assert_eq!(
        p["play"][0]["hdl_url"],
        format!("http://{}/live/{APPID}/mixa.flv", s.addr)
    );
    let push = expect_push(&mut viewer, "push_stream_update").await;
    assert_eq!(push.body["stream_cmd"], 12001);
    assert_eq!(push.body["stream_info"][0]["stream_id"], "mixa");
    // URL-only, MP3, an odd size rounded up to even.
    let r = call(
        &mut a,
        "biz_channel",
        start(json!({"mixurl": mp3_url, "bitrate": 300_000, "fps": 10,
                     "width": 255, "height": 144, "audio_enc_id": 2, "audio_bitrate": 64_000})),
    )
    .await;
    let p = play(&r.body);
    assert_eq!(p["play"][0]["rtmp_url"], mp3_url.as_str(), "{p}");
    assert!(p["play"][0]["hdl_url"].is_null(), "{p}");
    assert!(p["play"][0]["hls_url"].is_null(), "{p}");

    tokio::time::sleep(Duration::from_secs(4)).await;
    let stop = |k: &str, v: &str| {
        zeus(
            "stop_mix",
            json!({"id_name": "alice", "live_channel": "room", "appid": APPID, "version": 1, k: v}),
        )
    };
    // The URL-only mix is addressed by its URL, the other by its stream id.
    let r = call(&mut a, "biz_channel", stop("mixurl", &mp3_url)).await;
    assert_eq!(r.body["err_code"], 0, "{}", r.body);
    let r = call(&mut a, "biz_channel", stop("stream_id", "mixa")).await;
    assert_eq!(r.body["err_code"], 0, "{}", r.body);
    let push = expect_push(&mut viewer, "push_stream_update").await;
    assert_eq!(push.body["stream_cmd"], 12002);
    assert_eq!(push.body["stream_info"][0]["stream_id"], "mixa");

    // Stopping ends the RTMP sessions: nginx closes both recordings.
    let (aac_file, mp3_file) = (nginx.dir.join("mixaac.flv"), nginx.dir.join("mixmp3.flv"));
    finished_recording(&aac_file, 20_000).await;
    finished_recording(&mp3_file, 10_000).await;
    let (streams, duration) = probe_mix(&aac_file);
    assert_eq!(streams, ["aac", "h264,320,180"], "{}", aac_file.display());
    assert!(
        (2.5..6.0).contains(&duration),
        "AAC mix lasted {duration} s"
    );
    let (streams, duration) = probe_mix(&mp3_file);
    assert_eq!(streams, ["h264,256,144", "mp3"], "{}", mp3_file.display());
    assert!(
        (2.5..6.0).contains(&duration),
        "MP3 mix lasted {duration} s"
    );
}
