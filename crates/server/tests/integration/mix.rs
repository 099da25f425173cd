//! Server-side mixing end to end: publishers send real H.264 (solid colours encoded by
//! GStreamer) through real WebRTC peers into the SFU; a mix is started over `biz_channel`; a
//! viewer gets the stream-added push, plays the mix over WebRTC and decodes it, and the
//! pixels at the layout's positions are checked. Layout changes keep the output running.

use crate::common;
use common::*;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app::{AppSink, AppSrc};
use liveroom_client::media::{start_peer, MediaPeer, PeerCmd, PeerOut};
use liveroom_media::StreamKey;
use std::time::Duration;
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind};
use tokio::sync::mpsc;

const ROOM: &str = "r";
const W: usize = 320;
const H: usize = 240;
/// Per channel, for YUV 4:2:0 rounding and H.264 at a modest bit rate.
const TOLERANCE: i32 = 40;

const RED: u32 = 0xff0000;
const GREEN: u32 = 0x00ff00;
const BLUE: u32 = 0x0000ff;
const YELLOW: u32 = 0xffff00;
const GREY: u32 = 0x808080;

/// `user`'s media signalling in ROOM; the caller keeps `user` logged in to ROOM.
async fn signal(s: &TestServer, user: &str) -> MediaLogin {
    s.media_signal_of_logged_in(ROOM, user).await
}

async fn wait_for(peer: &mut MediaPeer, want: impl Fn(&PeerOut) -> bool) -> PeerOut {
    wait_peer(peer, want).await
}

/// A user publishing a solid colour: a live GStreamer encoder whose RTP goes out through a
/// str0m peer, and the stream registered in the room.
struct Publisher {
    _room: RoomClient,
    _sig: MediaLogin,
    _peer: MediaPeer,
    pipeline: gst::Pipeline,
}

impl Drop for Publisher {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

async fn publish_colour(s: &TestServer, user: &str, stream: &str, rgb: u32) -> Publisher {
    let mut room = s.join(ROOM, user, anchor(user)).await;
    let mut sig = signal(s, user).await;
    let (sid, _) = sig.create_session(0, stream, "").await.unwrap();
    let mut peer = start_peer(
        &mut sig,
        sid,
        &[MediaKind::Audio, MediaKind::Video],
        Direction::SendOnly,
        Codec::H264,
    )
    .await
    .unwrap();
    wait_for(&mut peer, |e| *e == PeerOut::Connected).await;
    ok(&mut room, "stream", stream_body(2001, stream, "")).await;

    liveroom_live::init().unwrap();
    let d = format!(
        "videotestsrc is-live=true pattern=solid-color foreground-color={:#010x} ! \
         video/x-raw,format=I420,width=160,height=120,framerate=15/1 ! \
         x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! \
         video/x-h264,profile=constrained-baseline ! \
         rtph264pay config-interval=-1 aggregate-mode=none mtu=1200 ! appsink name=out sync=false",
        0xff00_0000u32 | rgb
    );
    let pipeline = gst::parse::launch(&d)
        .unwrap()
        .downcast::<gst::Pipeline>()
        .unwrap();
    let sink = pipeline
        .by_name("out")
        .unwrap()
        .downcast::<AppSink>()
        .unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel::<(bool, u32, Vec<u8>)>();
    sink.set_callbacks(
        gstreamer_app::AppSinkCallbacks::builder()
            .new_sample(move |s| {
                let sample = s.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                let buf = sample.buffer().ok_or(gst::FlowError::Error)?;
                let map = buf.map_readable().map_err(|_| gst::FlowError::Error)?;
                if let Some((marker, _, time, payload)) = liveroom_live::mix::parse_rtp(&map) {
                    let _ = tx.send((marker, time, payload.to_vec()));
                }
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );
    pipeline.set_state(gst::State::Playing).unwrap();
    let cmd = peer.cmd.clone();
    tokio::spawn(async move {
        let mut seq = 1000u64;
        while let Some((marker, time, payload)) = rx.recv().await {
            seq += 1;
            let rtp = PeerCmd::Rtp {
                kind: MediaKind::Video,
                seq,
                time,
                marker,
                payload,
            };
            if cmd.send(rtp).await.is_err() {
                return;
            }
        }
    });
    Publisher {
        _room: room,
        _sig: sig,
        _peer: peer,
        pipeline,
    }
}

/// A WebRTC player of a stream whose H.264 is decoded to RGB frames.
struct Viewer {
    _sig: MediaLogin,
    peer: MediaPeer,
    src: AppSrc,
    sink: AppSink,
    pipeline: gst::Pipeline,
}

impl Drop for Viewer {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

async fn view(s: &TestServer, user: &str, stream: &str) -> Viewer {
    let mut sig = signal(s, user).await;
    let (sid, _) = sig.create_session(1, stream, "").await.unwrap();
    let mut peer = start_peer(
        &mut sig,
        sid,
        &[MediaKind::Video],
        Direction::RecvOnly,
        Codec::H264,
    )
    .await
    .unwrap();
    wait_for(&mut peer, |e| *e == PeerOut::Connected).await;
    let d = "appsrc name=src is-live=true do-timestamp=true format=time \
             caps=\"application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=108\" ! \
             rtph264depay ! avdec_h264 ! videoconvert ! video/x-raw,format=RGB ! \
             appsink name=out sync=false max-buffers=2 drop=true";
    let pipeline = gst::parse::launch(d)
        .unwrap()
        .downcast::<gst::Pipeline>()
        .unwrap();
    let src = pipeline
        .by_name("src")
        .unwrap()
        .downcast::<AppSrc>()
        .unwrap();
    let sink = pipeline
        .by_name("out")
        .unwrap()
        .downcast::<AppSink>()
        .unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    Viewer {
        _sig: sig,
        peer,
        src,
        sink,
        pipeline,
    }
}

type Frame = Vec<u8>;

fn pixel(f: &Frame, x: usize, y: usize) -> u32 {
    let i = y * W * 3 + x * 3;
    (f[i] as u32) << 16 | (f[i + 1] as u32) << 8 | f[i + 2] as u32
}

fn near(a: u32, b: u32) -> bool {
    (0..3).all(|k| {
        let (ca, cb) = ((a >> (8 * k)) & 0xff, (b >> (8 * k)) & 0xff);
        (ca as i32 - cb as i32).abs() <= TOLERANCE
    })
}

impl Viewer {
    /// Decodes the mix until a frame has every `(x, y, colour)`; panics naming what it saw.
    async fn expect(&mut self, what: &str, points: &[(usize, usize, u32)]) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        let mut last: Option<Vec<u32>> = None;
        loop {
            let ev = match tokio::time::timeout_at(deadline, self.peer.out.recv()).await {
                Ok(Some(ev)) => ev,
                _ => panic!(
                    "{what}: no frame with {points:06x?}; last seen {:06x?}",
                    last
                ),
            };
            let PeerOut::Rtp {
                kind: MediaKind::Video,
                seq,
                time,
                marker,
                payload,
                ..
            } = ev
            else {
                continue;
            };
            let mut rtp = vec![0x80, if marker { 0x80 | 108 } else { 108 }];
            rtp.extend_from_slice(&(seq as u16).to_be_bytes());
            rtp.extend_from_slice(&time.to_be_bytes());
            rtp.extend_from_slice(&1u32.to_be_bytes());
            rtp.extend_from_slice(&payload);
            self.src
                .push_buffer(gst::Buffer::from_mut_slice(rtp))
                .unwrap();
            while let Some(sample) = self.sink.try_pull_sample(gst::ClockTime::ZERO) {
                let caps = sample.caps().unwrap().structure(0).unwrap().to_owned();
                assert_eq!(caps.get::<i32>("width").unwrap() as usize, W);
                assert_eq!(caps.get::<i32>("height").unwrap() as usize, H);
                let map = sample.buffer().unwrap().map_readable().unwrap();
                let f: Frame = map.to_vec();
                let seen: Vec<u32> = points.iter().map(|(x, y, _)| pixel(&f, *x, *y)).collect();
                if points.iter().zip(&seen).all(|((_, _, c), s)| near(*c, *s)) {
                    return;
                }
                last = Some(seen);
            }
        }
    }
}

fn input(id: &str, left: u32, top: u32, right: u32, bottom: u32) -> Value {
    json!({"stream_id": id, "rect": {"top": top, "left": left, "bottom": bottom, "right": right}})
}

fn start_body(output: Value, inputs: Vec<Value>) -> Value {
    let req = json!({
        "id_name": "host", "live_channel": ROOM, "appid": APPID, "version": 1,
        "MixInput": inputs,
        "MixOutput": [output],
        "output_bg_color": (GREY << 8) | 0xff,
    });
    json!({"channel": "zeus", "cmd": "start_mix", "req_body": req.to_string()})
}

fn stream_output(id: &str) -> Value {
    json!({"stream_id": id, "bitrate": 600_000, "fps": 15, "width": W, "height": H, "testenv": 0})
}

async fn biz(c: &mut RoomClient, body: Value) -> Value {
    let seq = c.send("biz_channel", body).await.unwrap();
    c.reply(seq).await.unwrap().body
}

/// Packets of a tap (on the mix output) until `d` passes.
async fn tapped(
    rx: &mut mpsc::Receiver<liveroom_media::TapPacket>,
    d: Duration,
) -> Vec<(u32, u64, u32)> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + d;
    while let Ok(Some(p)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        if p.codec.is_video() {
            got.push((p.ssrc, p.seq, p.time));
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixes_are_laid_out_updated_live_and_stopped() {
    let s = TestServer::start(&[]).await;
    let sfu = s.server.as_ref().unwrap().state.sfu.clone().unwrap();
    let mut host = s.join(ROOM, "host", anchor("Host")).await;
    let mut viewer_room = s.join(ROOM, "viewer", audience("Viewer")).await;
    let pubs = vec![
        publish_colour(&s, "pa", "a", RED).await,
        publish_colour(&s, "pb", "b", GREEN).await,
        publish_colour(&s, "pc", "c", BLUE).await,
        publish_colour(&s, "pd", "d", YELLOW).await,
    ];

    // A missing input is named.
    let r = biz(
        &mut host,
        start_body(
            stream_output("mix"),
            vec![input("a", 0, 0, 160, 120), input("ghost", 0, 0, 1, 1)],
        ),
    )
    .await;
    assert_eq!(r["err_code"], 1_000_000_150, "{r}");
    let rsp: Value = serde_json::from_str(r["rsp_body"].as_str().unwrap()).unwrap();
    assert_eq!(rsp["non_exist_streams"], json!(["ghost"]));

    // Two inputs: a top left, b bottom right, grey background elsewhere.
    let r = biz(
        &mut host,
        start_body(
            stream_output("mix"),
            vec![input("a", 0, 0, 160, 120), input("b", 160, 120, 320, 240)],
        ),
    )
    .await;
    assert_eq!(r["err_code"], 0, "{r}");
    let rsp: Value = serde_json::from_str(r["rsp_body"].as_str().unwrap()).unwrap();
    assert!(
        rsp["play"][0]["hdl_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/live/{APPID}/mix.flv")),
        "{rsp}"
    );
    assert!(rsp["play"][0]["rtmp_url"].is_null());
    // Everybody else learns of the output stream, as the host's.
    let push = viewer_room
        .wait_for(
            |f| f.cmd() == "push_stream_update" && f.body["stream_info"][0]["stream_id"] == "mix",
            WAIT,
        )
        .await
        .unwrap();
    assert_eq!(push.body["stream_cmd"], 12001);
    assert_eq!(push.body["stream_info"][0]["anchor_id_name"], "host");

    let (tap, mut tap_rx, _) = sfu
        .tap(StreamKey {
            appid: APPID,
            stream_id: "mix".into(),
        })
        .await
        .unwrap();
    let mut viewer = view(&s, "viewer", "mix").await;
    viewer
        .expect(
            "two inputs",
            &[
                (80, 60, RED),
                (240, 180, GREEN),
                (240, 60, GREY),
                (80, 180, GREY),
            ],
        )
        .await;

    // Swap them and add c and d, on the running mix; later inputs are drawn above earlier ones.
    let before = tapped(&mut tap_rx, Duration::from_millis(500)).await;
    let r = biz(
        &mut host,
        start_body(
            stream_output("mix"),
            vec![
                input("b", 0, 0, 160, 120),
                input("a", 160, 120, 320, 240),
                input("c", 160, 0, 320, 120),
                input("d", 0, 120, 160, 240),
            ],
        ),
    )
    .await;
    assert_eq!(r["err_code"], 0, "{r}");
    viewer
        .expect(
            "four inputs, swapped",
            &[
                (80, 60, GREEN),
                (240, 180, RED),
                (240, 60, BLUE),
                (80, 180, YELLOW),
            ],
        )
        .await;
    let after = tapped(&mut tap_rx, Duration::from_millis(500)).await;
    let all: Vec<_> = before.iter().chain(&after).collect();
    assert!(all.len() > 10, "output packets {}", all.len());
    assert!(
        all.iter().all(|p| p.0 == all[0].0),
        "one SSRC: the output never restarted"
    );
    for w in all.windows(2) {
        assert!(
            w[1].1 > w[0].1 && w[1].1 - w[0].1 < 100,
            "continuous sequence {:?}",
            w
        );
        let dt = w[1].2.wrapping_sub(w[0].2);
        assert!(dt < 90_000 * 3, "continuous time line {:?}", w);
    }

    // Overlap: d moved over a's place, with the higher layer.
    let r = biz(
        &mut host,
        start_body(
            stream_output("mix"),
            vec![
                input("a", 160, 120, 320, 240),
                input("d", 200, 160, 320, 240),
            ],
        ),
    )
    .await;
    assert_eq!(r["err_code"], 0, "{r}");
    viewer
        .expect(
            "removed inputs, overlap",
            &[
                (180, 140, RED),
                (260, 200, YELLOW),
                (80, 60, GREY),
                (240, 60, GREY),
            ],
        )
        .await;

    // Stopping an unknown mix is refused; the host stops the running one.
    let stop = |id: &str| {
        json!({"channel": "zeus", "cmd": "stop_mix",
        "req_body": json!({"id_name": "host", "live_channel": ROOM, "appid": APPID, "version": 1, "stream_id": id}).to_string()})
    };
    let r = biz(&mut host, stop("nope")).await;
    assert_eq!(r["err_code"], 1_000_000_152, "{r}");
    let r = biz(&mut host, stop("mix")).await;
    assert_eq!(r["err_code"], 0, "{r}");
    let push = viewer_room
        .wait_for(
            |f| f.cmd() == "push_stream_update" && f.body["stream_cmd"] == 12002,
            WAIT,
        )
        .await
        .unwrap();
    assert_eq!(push.body["stream_info"][0]["stream_id"], "mix");
    let list = ok(&mut viewer_room, "stream_info", json!({})).await;
    assert!(!list.to_string().contains("\"mix\""), "{list}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    while tap_rx.try_recv().is_ok() {}
    assert!(
        tapped(&mut tap_rx, Duration::from_millis(700))
            .await
            .is_empty(),
        "output stopped"
    );
    sfu.untap(
        StreamKey {
            appid: APPID,
            stream_id: "mix".into(),
        },
        tap,
    )
    .await;

    // A mix ends when the user who started it leaves the room.
    let r = biz(
        &mut host,
        start_body(stream_output("mix2"), vec![input("c", 0, 0, 320, 240)]),
    )
    .await;
    assert_eq!(r["err_code"], 0, "{r}");
    viewer_room
        .wait_for(
            |f| f.cmd() == "push_stream_update" && f.body["stream_cmd"] == 12001,
            WAIT,
        )
        .await
        .unwrap();
    ok(&mut host, "logout", json!({"reserve": 0})).await;
    let push = viewer_room
        .wait_for(
            |f| f.cmd() == "push_stream_update" && f.body["stream_cmd"] == 12002,
            WAIT,
        )
        .await
        .unwrap();
    assert_eq!(push.body["stream_info"][0]["stream_id"], "mix2");
    drop(pubs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_input_check_does_not_hold_up_other_mixes() {
    let s = TestServer::start(&[]).await;
    let mut host = s.join(ROOM, "host", anchor("Host")).await;
    let _a = publish_colour(&s, "pa", "a", RED).await;
    // Another room announces a stream that sends no media: a mix of it waits for the input's
    // first packets (INPUT_PROBE_TIMEOUT) before it is refused.
    let mut other = s.join("room-slow", "host2", anchor("Host2")).await;
    ok(&mut other, "stream", stream_body(2001, "silent", "")).await;
    let slow = tokio::spawn(async move {
        let started = std::time::Instant::now();
        let r = biz(
            &mut other,
            start_body(
                stream_output("mix-slow"),
                vec![input("silent", 0, 0, 160, 120)],
            ),
        )
        .await;
        (r, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    let started = std::time::Instant::now();
    let r = biz(
        &mut host,
        start_body(stream_output("mix-fast"), vec![input("a", 0, 0, 160, 120)]),
    )
    .await;
    let fast = started.elapsed();
    assert_eq!(r["err_code"], 0, "{r}");
    let (r, slow_took) = slow.await.unwrap();
    assert_eq!(r["err_code"], 1_000_000_150, "{r}");
    assert!(
        slow_took >= Duration::from_secs(2),
        "the silent input was refused after {slow_took:?}"
    );
    // The fast mix only waited for its own input, not for the slow request.
    assert!(
        fast < slow_took - Duration::from_millis(1000),
        "fast {fast:?}, slow {slow_took:?}"
    );
}
