//! CPU cost of one 1280x720 30 fps mix of four 640x360 H.264 inputs (decode ×4, compose,
//! encode H.264 + Opus), measured from /proc/self/stat over a fixed window while inputs are
//! replayed in real time. Ignored by default: `cargo test -p liveroom-live --release --test
//! mix_bench -- --ignored --nocapture`. The inputs are encoded before the measurement.
//! Also here, run by default: the mixer's RTMP output pushed to a real nginx-rtmp.

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app::AppSink;
use liveroom_live::mix::{MixOutput, Mixer, Rect, RtpCallback, VideoCodec};
use liveroom_live::rtp_in::Probe;
use liveroom_media::{MediaCodec, TapPacket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const INPUT_FRAMES: u64 = 60;
const FPS: u64 = 30;
const WARMUP: Duration = Duration::from_secs(3);
const MEASURE: Duration = Duration::from_secs(10);

struct Pkt {
    at: Duration,
    marker: bool,
    time: u32,
    payload: Arc<[u8]>,
}

fn encode_input(pattern: &str) -> Vec<Pkt> {
    let d = format!(
        "videotestsrc num-buffers={INPUT_FRAMES} pattern={pattern} ! \
         video/x-raw,format=I420,width=640,height=360,framerate={FPS}/1 ! \
         x264enc tune=zerolatency speed-preset=ultrafast key-int-max={FPS} bitrate=800 ! \
         video/x-h264,profile=constrained-baseline ! \
         rtph264pay config-interval=-1 aggregate-mode=none mtu=1200 ! appsink name=out sync=false"
    );
    let p = gst::parse::launch(&d)
        .unwrap()
        .downcast::<gst::Pipeline>()
        .unwrap();
    let sink = p.by_name("out").unwrap().downcast::<AppSink>().unwrap();
    p.set_state(gst::State::Playing).unwrap();
    let mut out = Vec::new();
    while let Ok(s) = sink.pull_sample() {
        let b = s.buffer().unwrap();
        let at = Duration::from_nanos(b.pts().map(|t| t.nseconds()).unwrap_or(0));
        let m = b.map_readable().unwrap();
        let (marker, _, time, payload) = liveroom_live::mix::parse_rtp(&m).unwrap();
        out.push(Pkt {
            at,
            marker,
            time,
            payload: Arc::from(payload),
        });
    }
    p.set_state(gst::State::Null).unwrap();
    out
}

/// utime + stime of this process, in seconds (Linux clock ticks are 100 Hz).
fn cpu_seconds() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after = &s[s.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    (f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()) as f64 / 100.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark, run by hand in release (docs/benchmarks.md), not a check"]
async fn cpu_of_a_720p_mix_of_four_inputs() {
    liveroom_live::init().unwrap();
    let inputs: Vec<Vec<Pkt>> = ["ball", "smpte", "snow", "pinwheel"]
        .iter()
        .map(|p| encode_input(p))
        .collect();
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let cb: RtpCallback = Arc::new(move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    let output = MixOutput {
        video: Some(VideoCodec::H264),
        width: 1280,
        height: 720,
        fps: FPS as u32,
        bitrate: 2_000_000,
        audio_bitrate: 48_000,
        audio_channels: 1,
        background_rgb: 0,
        background_image: None,
        rtp: true,
        rtmp: None,
    };
    let (mut mixer, _events) = Mixer::start("bench", output, cb).unwrap();
    let mut txs = Vec::new();
    for i in 0..4 {
        let (tx, rx) = tokio::sync::mpsc::channel(4096);
        let probe = Probe {
            video: Some((MediaCodec::H264, 108)),
            audio: None,
            buffered: Vec::new(),
        };
        let rect = Rect {
            left: (i % 2) * 640,
            top: (i / 2) * 360,
            width: 640,
            height: 360,
        };
        mixer
            .add_input(&format!("in{i}"), probe, rx, rect, i as u32)
            .unwrap();
        txs.push(tx);
    }
    let start = Instant::now();
    let feeder = tokio::spawn(async move {
        let loop_len = Duration::from_nanos(INPUT_FRAMES * 1_000_000_000 / FPS);
        let mut seq = 0u64;
        for round in 0u64.. {
            for k in 0..inputs[0].len().max(1) {
                for (i, pkts) in inputs.iter().enumerate() {
                    let Some(p) = pkts.get(k) else { continue };
                    let due = start + loop_len * round as u32 + p.at;
                    tokio::time::sleep_until(due.into()).await;
                    seq += 1;
                    let pkt = TapPacket {
                        codec: MediaCodec::H264,
                        pt: 108,
                        ssrc: 1,
                        seq,
                        time: p.time.wrapping_add((round * INPUT_FRAMES * 3000) as u32),
                        marker: p.marker,
                        keyframe: false,
                        payload: p.payload.clone(),
                    };
                    if txs[i].send(pkt).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    tokio::time::sleep(WARMUP).await;
    let (c0, t0, n0) = (cpu_seconds(), Instant::now(), sent.load(Ordering::Relaxed));
    tokio::time::sleep(MEASURE).await;
    let (c1, t1, n1) = (cpu_seconds(), Instant::now(), sent.load(Ordering::Relaxed));
    feeder.abort();
    drop(mixer);
    let cpu = (c1 - c0) / (t1 - t0).as_secs_f64() * 100.0;
    println!(
        "720p30 mix of 4 × 640x360 H.264 inputs: {cpu:.0}% of one core (incl. replaying the inputs), {} output packets/s",
        (n1 - n0) / MEASURE.as_secs()
    );
    assert!(n1 > n0, "the mix produced output");
}

/// The RTMP output reaches a real RTMP server (nginx-rtmp) as FLV with H.264 of the output's
/// size and MP3, with a background image decoded from a file (needs nginx with
/// libnginx-mod-rtmp and ffprobe, as `scripts/system-deps.sh --test` installs: fails without
/// them). The same path through the room WebSocket: crates/server/tests/integration/live_outputs.rs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtmp_output_is_flv_with_h264_and_the_chosen_audio() {
    liveroom_live::init().unwrap();
    let dir = std::env::temp_dir().join(format!("mix-rtmp-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("rec")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conf = format!(
        "load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;\nerror_log {d}/error.log;\npid {d}/nginx.pid;\n\
         events {{}}\nrtmp {{ server {{ listen 127.0.0.1:{port}; application live {{ live on; record all; record_path {d}/rec; }} }} }}\n",
        d = dir.display()
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let mut nginx = std::process::Command::new("nginx")
        .args([
            "-c",
            &dir.join("nginx.conf").display().to_string(),
            "-p",
            &dir.display().to_string(),
            "-g",
            "daemon off; master_process off;",
        ])
        .spawn()
        .expect("nginx runs (install nginx and libnginx-mod-rtmp)");
    let listening = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    // A background image file, made with GStreamer.
    let png = dir.join("bg.png");
    let d = format!(
        "videotestsrc num-buffers=1 pattern=smpte ! video/x-raw,width=64,height=48 ! pngenc ! filesink location={}",
        png.display()
    );
    let p = gst::parse::launch(&d).unwrap();
    p.set_state(gst::State::Playing).unwrap();
    p.bus()
        .unwrap()
        .timed_pop_filtered(gst::ClockTime::from_seconds(5), &[gst::MessageType::Eos]);
    p.set_state(gst::State::Null).unwrap();
    let output = MixOutput {
        video: Some(VideoCodec::H264),
        width: 320,
        height: 180,
        fps: 15,
        bitrate: 500_000,
        audio_bitrate: 64_000,
        audio_channels: 1,
        background_rgb: 0x102030,
        background_image: Some(png),
        rtp: false,
        rtmp: Some((
            format!("rtmp://127.0.0.1:{port}/live/mixed"),
            liveroom_live::mix::FlvAudio::Mp3,
        )),
    };
    let (mixer, mut events) = Mixer::start("rtmp", output, Arc::new(|_| {})).unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let failed = events.try_recv();
    drop(mixer);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // One process (no master): SIGKILL ends it.
    let _ = nginx.kill();
    let _ = nginx.wait();
    assert!(listening, "nginx did not listen on {port}");
    assert!(failed.is_err(), "pipeline error: {failed:?}");
    let probe = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,width,height",
            "-of",
            "csv=p=0",
        ])
        .arg(dir.join("rec/mixed.flv"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&probe.stdout).to_string();
    assert!(
        out.contains("h264,320,180"),
        "{out} {}",
        String::from_utf8_lossy(&probe.stderr)
    );
    assert!(out.contains("mp3"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
