//! HTTP-FLV benchmark: one ≈ 1.5 Mbit/s H.264 stream published over WebRTC to a real
//! `liveroom` process and watched over `GET /live/{appid}/{stream}.flv` by N viewers.
//!
//! The source is a real x264 stream (GStreamer's noise test pattern, so the encoder spends its
//! whole 1.5 Mbit/s budget; 640×360 25 fps, a key frame
//! every second, one slice per frame), made once with `gst-launch-1.0` and cached under the
//! system's temp folder, or given with `--h264 FILE` (Annex B). The native str0m client sends
//! it at its frame rate (single NAL and FU-A packets), looping the file. Viewers run in
//! `--workers` load processes (this example started again with `--worker`); each parses the
//! FLV tags it RECEIVES and counts its video frames over the measured window. A viewer that
//! receives less than 95 % of the frames the publisher sent in the window, or is cut, is
//! "behind": the run fails (exit 1) if any is.
//!
//! Latency: a probe viewer in this process matches each video tag's slice NAL by content with
//! the instant its first RTP packet went to the WebRTC client (H.264 passes through the FLV
//! output unchanged; both ends share this process's clock): publish → FLV viewer, with every
//! other viewer watching. It does not include the camera, the encoder or the player's decoder.
//!
//! `bench_flv --server target/release/liveroom --viewers 5000 --workers 2 --seconds 20`

use liveroom_client::load::{arg, coordinator_lines, cpu_secs, rss_bytes, say, LoadWorker};
use liveroom_client::media::{start_peer, MediaSignal, PeerCmd};
use liveroom_client::server_process::ServerProcess;
use liveroom_client::{dev_token, LoginOptions, RoomClient};
use serde_json::json;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const APPID: u64 = 1;
const STREAM: &str = "flvbench";
const FPS: u64 = 25;
/// The largest RTP payload; bigger NALs are split into FU-A fragments.
const MAX_PAYLOAD: usize = 1200;
/// A viewer with fewer than this share of the window's frames is behind.
const MIN_SHARE: f64 = 0.95;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn hash(b: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    b.hash(&mut h);
    h.finish()
}

fn is_slice(nal: &[u8]) -> bool {
    matches!(nal.first().map(|b| b & 0x1f), Some(1 | 5))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    if std::env::args().any(|a| a == "--worker") {
        return worker().await;
    }
    coordinator().await
}

// ---------------------------------------------------------------------------------------------
// The FLV reader shared by the workers' viewers and the probe.

/// An open `GET …flv` (HTTP/1.0: the body is the raw FLV stream) with its unparsed bytes.
struct FlvReader {
    tcp: tokio::net::TcpStream,
    buf: Vec<u8>,
    chunk: Vec<u8>,
}

impl FlvReader {
    async fn open(http: &str) -> Result<FlvReader, Error> {
        let mut tcp = tokio::net::TcpStream::connect(http).await?;
        let req = format!("GET /live/{APPID}/{STREAM}.flv HTTP/1.0\r\nHost: {http}\r\n\r\n");
        tcp.write_all(req.as_bytes()).await?;
        let mut r = FlvReader {
            tcp,
            buf: Vec::new(),
            chunk: vec![0u8; 16 * 1024],
        };
        let head_end = loop {
            if let Some(i) = r.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            r.more().await?;
        };
        let head = String::from_utf8_lossy(&r.buf[..head_end]).to_string();
        if !head.contains(" 200 ") {
            return Err(format!("the FLV output answered {head:?}").into());
        }
        // The FLV file header and PreviousTagSize0.
        while r.buf.len() < head_end + 13 {
            r.more().await?;
        }
        r.buf.drain(..head_end + 13);
        Ok(r)
    }

    async fn more(&mut self) -> Result<(), Error> {
        let n = self.tcp.read(&mut self.chunk).await?;
        if n == 0 {
            return Err("the server ended the FLV stream".into());
        }
        self.buf.extend_from_slice(&self.chunk[..n]);
        Ok(())
    }

    /// The next tag: (type, data).
    async fn tag(&mut self) -> Result<(u8, Vec<u8>), Error> {
        loop {
            if self.buf.len() >= 11 {
                let size = u32::from_be_bytes([0, self.buf[1], self.buf[2], self.buf[3]]) as usize;
                if self.buf.len() >= 15 + size {
                    let kind = self.buf[0] & 0x1f;
                    let data = self.buf[11..11 + size].to_vec();
                    self.buf.drain(..15 + size);
                    return Ok((kind, data));
                }
            }
            self.more().await?;
        }
    }
}

/// A video tag carrying a picture (AVC NALUs, not the decoder configuration).
fn is_picture(kind: u8, data: &[u8]) -> bool {
    kind == 9 && data.len() > 5 && data[0] & 0x0f == 7 && data[1] == 1
}

// ---------------------------------------------------------------------------------------------
// Worker: `--count` viewers; counts each one's pictures between "start" and "stop" on stdin;
// prints "ready" once all are connected and "counts <n,n,…> cut <k>" after "stop".

async fn worker() -> Result<(), Error> {
    let http = arg(&["--http"], "");
    let count: usize = arg(&["--count"], "0").parse()?;
    let counting = Arc::new(AtomicBool::new(false));
    let cut = Arc::new(AtomicU64::new(0));
    let sem = Arc::new(tokio::sync::Semaphore::new(64));
    let mut opens = Vec::new();
    for _ in 0..count {
        let (http, sem) = (http.clone(), sem.clone());
        opens.push(tokio::spawn(async move {
            let _p = sem.acquire_owned().await?;
            FlvReader::open(&http).await
        }));
    }
    let mut counters = Vec::new();
    for o in opens {
        let mut r = o.await??;
        let n = Arc::new(AtomicU64::new(0));
        counters.push(n.clone());
        let (counting, cut) = (counting.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                match r.tag().await {
                    Ok((kind, data)) => {
                        if is_picture(kind, &data) && counting.load(Ordering::Relaxed) {
                            n.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Err(_) => {
                        cut.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                }
            }
        });
    }
    let mut lines = coordinator_lines();
    say("ready");
    lines.recv().await.ok_or("the coordinator went away")?;
    counting.store(true, Ordering::Relaxed);
    lines.recv().await.ok_or("the coordinator went away")?;
    counting.store(false, Ordering::Relaxed);
    let list: Vec<String> = counters
        .iter()
        .map(|c| c.load(Ordering::Relaxed).to_string())
        .collect();
    say(&format!(
        "counts {} cut {}",
        list.join(","),
        cut.load(Ordering::Relaxed)
    ));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The source: an x264 Annex-B file, split into access units.

/// The cached test stream, made with GStreamer when missing.
fn source_file() -> Result<std::path::PathBuf, Error> {
    let given = arg(&["--h264"], "");
    if !given.is_empty() {
        return Ok(given.into());
    }
    let path = std::env::temp_dir().join("liveroom-bench-640x360-25fps-1500k.h264");
    if path.exists() {
        return Ok(path);
    }
    let tmp = path.with_extension("part");
    let status = Command::new("gst-launch-1.0")
        .args(["-q", "videotestsrc", "num-buffers=250", "pattern=snow", "!"])
        .args([
            "video/x-raw,width=640,height=360,framerate=25/1",
            "!",
            "videoconvert",
            "!",
        ])
        .args([
            "video/x-raw,format=I420",
            "!",
            "x264enc",
            "bitrate=1500",
            "key-int-max=25",
        ])
        .args([
            "speed-preset=ultrafast",
            "tune=zerolatency",
            "threads=1",
            "!",
        ])
        .args([
            "video/x-h264,profile=constrained-baseline,stream-format=byte-stream",
            "!",
        ])
        .arg("filesink")
        .arg(format!("location={}", tmp.display()))
        .status()
        .map_err(|e| format!("gst-launch-1.0 (GStreamer) makes the test stream: {e}"))?;
    if !status.success() {
        return Err(format!("gst-launch-1.0 failed ({status}) making the test stream").into());
    }
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// NAL units of an Annex-B stream.
fn nals(b: &[u8]) -> Vec<Vec<u8>> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= b.len() {
        if b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut out = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let mut end = starts.get(k + 1).map_or(b.len(), |n| n - 3);
        // A 4-byte start code's leading zero belongs to no NAL.
        while end > s && b[end - 1] == 0 {
            end -= 1;
        }
        if end > s {
            out.push(b[s..end].to_vec());
        }
    }
    out
}

/// Access units: the NALs up to and including each slice (one slice per frame).
fn access_units(nals: Vec<Vec<u8>>) -> Vec<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for n in nals {
        let slice = is_slice(&n);
        cur.push(n);
        if slice {
            out.push(std::mem::take(&mut cur));
        }
    }
    out
}

/// RTP payloads of one NAL (RFC 6184 single NAL unit or FU-A).
fn packetize(nal: &[u8]) -> Vec<Vec<u8>> {
    if nal.len() <= MAX_PAYLOAD {
        return vec![nal.to_vec()];
    }
    let (hdr, body) = (nal[0], &nal[1..]);
    let pieces: Vec<&[u8]> = body.chunks(MAX_PAYLOAD - 2).collect();
    let last = pieces.len() - 1;
    pieces
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut fu = Vec::with_capacity(p.len() + 2);
            fu.push((hdr & 0xe0) | 28);
            let mut h = hdr & 0x1f;
            if i == 0 {
                h |= 0x80;
            }
            if i == last {
                h |= 0x40;
            }
            fu.push(h);
            fu.extend_from_slice(p);
            fu
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Coordinator.

/// Slice hash → unix-independent send instant of the frame's first packet (the latest send:
/// the file loops, and a frame takes far less than a loop to arrive).
type Sent = Arc<Mutex<HashMap<u64, Instant>>>;

async fn coordinator() -> Result<(), Error> {
    let server = arg(&["--server"], "/var/tmp/liveroom-target/release/liveroom");
    let viewers: usize = arg(&["--viewers"], "1000").parse()?;
    let workers: usize = arg(&["--workers"], "2").parse::<usize>()?.max(1);
    let seconds: u64 = arg(&["--seconds"], "20").parse()?;
    let aus = access_units(nals(&std::fs::read(source_file()?)?));
    if aus.is_empty() {
        return Err("the test stream holds no frame".into());
    }
    let bytes: usize = aus.iter().flatten().map(Vec::len).sum();
    let kbps = bytes as f64 * 8.0 * FPS as f64 / aus.len() as f64 / 1000.0;

    let log = std::env::var("LIVEROOM_LOG").unwrap_or_else(|_| "warn".into());
    let child = ServerProcess::start_with_env(
        &server,
        &[
            "--dev",
            "--http",
            "127.0.0.1:0",
            "--rtc",
            "127.0.0.1:0",
            "--metrics",
            "",
        ],
        &log,
        &[("LIVEROOM_SESSION__LOGIN_RATE_PER_IP_PER_SEC", "0")],
    )?;
    let http = child.http()?;
    let pid = child.pid();

    // The publisher: a room login and a video-only WebRTC publish session.
    let token = dev_token(&http, APPID, "flvpub").await?;
    let mut room = RoomClient::connect(&format!("ws://{http}/ws"), APPID).await?;
    room.login("flvbench", "flvpub", &token, &LoginOptions::default())
        .await?;
    let _room = room.keep_alive(Duration::from_secs(10));
    let mut sig = MediaSignal::connect(&format!("ws://{http}/media"), APPID, "flvpub").await?;
    sig.login(&token, "flvbench").await?;
    let (sid, _) = sig.create_session(0, STREAM, "").await?;
    let peer = start_peer(
        &mut sig,
        sid,
        &[MediaKind::Video],
        Direction::SendOnly,
        Codec::H264,
    )
    .await?;
    let sent: Sent = Arc::default();
    let frames_sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let (sent, frames_sent, stop) = (sent.clone(), frames_sent.clone(), stop.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(1000 / FPS));
            let (mut seq, mut frame) = (1u64, 0u64);
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let au = &aus[(frame as usize) % aus.len()];
                let time = (frame * 90_000 / FPS) as u32;
                if let Some(slice) = au.iter().find(|n| is_slice(n)) {
                    if let Ok(mut s) = sent.lock() {
                        s.insert(hash(slice), Instant::now());
                    }
                }
                let packets: Vec<Vec<u8>> = au.iter().flat_map(|n| packetize(n)).collect();
                let last = packets.len().saturating_sub(1);
                for (i, payload) in packets.into_iter().enumerate() {
                    let rtp = PeerCmd::Rtp {
                        kind: MediaKind::Video,
                        seq,
                        time,
                        marker: i == last,
                        payload,
                    };
                    if peer.cmd.send(rtp).await.is_err() {
                        return;
                    }
                    seq += 1;
                }
                frame += 1;
                frames_sent.store(frame, Ordering::Relaxed);
            }
        })
    };

    // The probe: the first viewer, which also starts the output.
    let mut probe = FlvReader::open(&http).await?;
    let latencies = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let measuring = Arc::new(AtomicBool::new(false));
    let probe_task = {
        let (sent, latencies, measuring) = (sent.clone(), latencies.clone(), measuring.clone());
        tokio::spawn(async move {
            let mut len_size = 4;
            while let Ok((kind, data)) = probe.tag().await {
                let at = Instant::now();
                if kind == 9 && data.len() > 9 && data[1] == 0 {
                    len_size = (data[9] & 3) as usize + 1;
                    continue;
                }
                if !is_picture(kind, &data) || !measuring.load(Ordering::Relaxed) {
                    continue;
                }
                let mut rest = &data[5..];
                while rest.len() >= len_size {
                    let n = rest[..len_size]
                        .iter()
                        .fold(0usize, |a, b| (a << 8) | *b as usize);
                    let Some(nal) = rest.get(len_size..len_size + n) else {
                        break;
                    };
                    if is_slice(nal) {
                        let t = sent.lock().ok().and_then(|s| s.get(&hash(nal)).copied());
                        if let (Some(t), Ok(mut l)) = (t, latencies.lock()) {
                            l.push(at.saturating_duration_since(t));
                        }
                    }
                    rest = &rest[len_size + n..];
                }
            }
        })
    };

    let rss0 = rss_bytes(pid);
    let mut pool = Vec::new();
    let t_open = Instant::now();
    for w in 0..workers {
        let count = viewers * (w + 1) / workers - viewers * w / workers;
        let args = ["--worker", "--http", &http, "--count", &count.to_string()];
        pool.push(LoadWorker::spawn(&args.map(String::from))?);
    }
    for w in &mut pool {
        tokio::task::block_in_place(|| w.expect("ready"))?;
    }
    eprintln!(
        "{viewers} FLV viewers connected in {:.1} s; measuring {seconds} s",
        t_open.elapsed().as_secs_f64()
    );
    // Let the joiners' cached groups of pictures drain before the window opens.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let cpu0 = cpu_secs(pid);
    let t0 = Instant::now();
    let f0 = frames_sent.load(Ordering::Relaxed);
    for w in &mut pool {
        w.tell("start")?;
    }
    measuring.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let f1 = frames_sent.load(Ordering::Relaxed);
    let cpu = cpu_secs(pid) - cpu0;
    let wall = t0.elapsed().as_secs_f64();
    let rss1 = rss_bytes(pid);
    // Frames still on their way when the window closes count for the viewers.
    tokio::time::sleep(Duration::from_millis(500)).await;
    measuring.store(false, Ordering::Relaxed);
    let mut counts: Vec<u64> = Vec::with_capacity(viewers);
    let mut cut = 0u64;
    for w in &mut pool {
        w.tell("stop")?;
        let line = tokio::task::block_in_place(|| w.expect("counts"))?;
        let (list, c) = line.split_once(" cut ").unwrap_or((&line, "0"));
        counts.extend(list.split(',').filter_map(|v| v.parse::<u64>().ok()));
        cut += c.trim().parse::<u64>().unwrap_or(0);
    }
    stop.store(true, Ordering::Relaxed);
    let _ = sender.await;
    probe_task.abort();
    drop(pool);
    drop(child);

    let window_frames = f1 - f0;
    let behind = counts
        .iter()
        .filter(|&&c| (c as f64) < MIN_SHARE * window_frames as f64)
        .count();
    let mut lat = std::mem::take(&mut *latencies.lock().map_err(|_| "poisoned")?);
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let cores = cpu / wall;
    let per_core = if cores > 0.0 {
        viewers as f64 / cores
    } else {
        0.0
    };
    let received: u64 = counts.iter().sum();
    let rss_per_viewer = rss1.saturating_sub(rss0) / viewers.max(1) as u64;
    println!("stream:                 640×360 25 fps x264, {kbps:.0} kbit/s, video only");
    println!("viewers:                {viewers} over {workers} load processes");
    println!(
        "frames in the window:   {window_frames} sent; viewers received {received} of {} (min {})",
        window_frames * viewers as u64,
        counts.iter().min().copied().unwrap_or(0)
    );
    println!("behind or cut:          {behind} behind, {cut} cut");
    println!("server CPU (cores):     {cores:.3}");
    println!("viewers per core:       {per_core:.0}");
    println!("server RSS per viewer:  {} bytes", rss_per_viewer);
    println!(
        "publish → FLV viewer:   median {:.1} ms, p95 {:.1} ms, max {:.1} ms ({} frames)",
        pct(0.5),
        pct(0.95),
        pct(1.0),
        lat.len()
    );
    println!(
        "{}",
        json!({
            "bench": "flv", "viewers": viewers, "kbps": kbps.round(),
            "window_frames": window_frames, "frames_received": received,
            "behind": behind, "cut": cut,
            "server_cores": (cores * 1000.0).round() / 1000.0,
            "viewers_per_core": per_core.round(),
            "rss_bytes_per_viewer": rss_per_viewer,
            "glass_to_glass_ms": (pct(0.95) * 10.0).round() / 10.0,
            "latency_median_ms": (pct(0.5) * 10.0).round() / 10.0,
            "latency_max_ms": (pct(1.0) * 10.0).round() / 10.0,
        })
    );
    if behind > 0 || cut > 0 || lat.is_empty() {
        eprintln!(
            "bench_flv: FAILED: {behind} viewers behind, {cut} cut, {} frames matched by the probe",
            lat.len()
        );
        std::process::exit(1);
    }
    Ok(())
}
