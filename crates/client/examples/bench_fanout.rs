//! Fan-out benchmark: one publisher to N players on loopback, through a real `liveroom`
//! process. The publisher sends a camera-shaped load: H.264 video at ≈ 1.5 Mbit/s (30 frames
//! a second, each a burst of `--video-packets` packets of `--payload` bytes, a key frame every
//! 2 s) and Opus audio (one 120-byte packet every 20 ms). Every player counts the RTP packets
//! it RECEIVES; the server's CPU time comes from /proc. Reports the egress packets per second
//! of server CPU and the loss, as a table and as one JSON line (the last line of stdout).
//!
//! `cargo run --release -p liveroom-client --example bench_fanout -- \
//!     --server target/release/liveroom --players 200 --seconds 10`
//!
//! Flags: `--players N` (`--subscribers` is the old name), `--seconds S`, `--payload BYTES`
//! (video packet payload, default 1200), `--video-packets P` (per frame, default 5),
//! `--fps F` (default 30), `--audio 0|1` (default 1), `--connect-parallel K` (players
//! negotiating at once, default 16), `--rooms R` (default 1: R rooms, each with its own
//! publisher and `--players` players — the online-class shape with `--rooms 500 --players 3`).
//! The server's environment passes through, e.g. `LIVEROOM_RTC__WORKERS=1`.

use liveroom_client::load::{arg, count_rtp, cpu_secs, thread_cpu, CameraLoad};
use liveroom_client::media::{start_peer, MediaPeer, MediaSignal};
use liveroom_client::server_process::ServerProcess;
use liveroom_client::{dev_token, KeptAlive, LoginOptions, RoomClient};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind};

const APPID: u64 = 1;
/// Opus: one packet per 20 ms of this many bytes (≈ 48 kbit/s).
/// A key frame (an IDR burst) every this many video frames (2 s at 30 fps).
const GOP_FRAMES: u64 = 60;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// One logged-in user with a negotiated, connected media peer.
async fn join(
    http: String,
    room_id: String,
    user: String,
    kind: u8,
    kinds: Vec<MediaKind>,
) -> Result<(MediaSignal, MediaPeer, KeptAlive), Error> {
    let token = dev_token(&http, APPID, &user).await?;
    let mut room = RoomClient::connect(&format!("ws://{http}/ws"), APPID).await?;
    room.login(&room_id, &user, &token, &LoginOptions::default())
        .await?;
    let room = room.keep_alive(Duration::from_secs(10));
    let mut sig = MediaSignal::connect(&format!("ws://{http}/media"), APPID, &user).await?;
    sig.login(&token, &room_id).await?;
    let stream_id = format!("{room_id}-cam");
    let (sid, _) = sig.create_session(kind, &stream_id, "").await?;
    let dir = if kind == 0 {
        Direction::SendOnly
    } else {
        Direction::RecvOnly
    };
    let mut p = start_peer(&mut sig, sid, &kinds, dir, Codec::H264).await?;
    p.wait_connected(&user, Duration::from_secs(20)).await?;
    Ok((sig, p, room))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let server = arg(&["--server"], "/var/tmp/liveroom-target/release/liveroom");
    let players: usize = arg(&["--players", "--subscribers"], "50").parse()?;
    let seconds: u64 = arg(&["--seconds"], "10").parse()?;
    let payload_len: usize = arg(&["--payload"], "1200").parse()?;
    let video_packets: u64 = arg(&["--video-packets"], "5").parse()?;
    let fps: u64 = arg(&["--fps"], "30").parse()?;
    let audio = arg(&["--audio"], "1") == "1";
    let parallel: usize = arg(&["--connect-parallel"], "16").parse()?;
    let rooms: usize = arg(&["--rooms"], "1").parse::<usize>()?.max(1);

    let log = std::env::var("LIVEROOM_LOG").unwrap_or_else(|_| "warn".into());
    let args = [
        "--dev",
        "--http",
        "127.0.0.1:0",
        "--rtc",
        "127.0.0.1:0",
        "--metrics",
        "127.0.0.1:0",
    ];
    // One machine's players log in from one address: the per-address and per-app login
    // limits are for the open internet, not for a benchmark.
    let child = ServerProcess::start_with_env(
        &server,
        &args,
        &log,
        &[
            ("LIVEROOM_SESSION__LOGIN_RATE_PER_IP_PER_SEC", "0"),
            ("LIVEROOM_SESSION__LOGIN_RATE_PER_APP_PER_SEC", "0"),
        ],
    )?;
    let http = child.http()?;
    let pid = child.pid();

    let mut kinds = vec![MediaKind::Video];
    if audio {
        kinds.insert(0, MediaKind::Audio);
    }
    let room_name = |r: usize| {
        if rooms == 1 {
            "bench".to_string()
        } else {
            format!("bench{r}")
        }
    };
    let t_connect = Instant::now();
    let sem = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let mut pubs = Vec::new();
    for r in 0..rooms {
        let (http, kinds, sem, room) = (http.clone(), kinds.clone(), sem.clone(), room_name(r));
        pubs.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await?;
            join(http, room, format!("publisher{r}"), 0, kinds).await
        }));
    }
    let mut publishers = Vec::new();
    let mut keep_pubs = Vec::new();
    for p in pubs {
        let (sig, peer, room) = p.await??;
        publishers.push(peer);
        keep_pubs.push((sig, room));
    }
    let mut joins = Vec::new();
    for i in 0..players * rooms {
        let (http, kinds, sem, room) = (
            http.clone(),
            kinds.clone(),
            sem.clone(),
            room_name(i / players.max(1)),
        );
        joins.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await?;
            join(http, room, format!("player{i}"), 1, kinds).await
        }));
    }
    let mut subs = Vec::new();
    for j in joins {
        subs.push(j.await??);
    }
    eprintln!(
        "{rooms} publishers and {} players connected in {:.1} s; sending for {seconds} s",
        players * rooms,
        t_connect.elapsed().as_secs_f64()
    );

    // Count what each player receives, in its own task.
    let mut counters = Vec::new();
    let mut keep = Vec::new();
    for (sig, p, room) in subs.drain(..) {
        keep.push((sig, room));
        counters.push(count_rtp(p).0);
    }

    let cpu0 = cpu_secs(pid);
    let threads0 = thread_cpu(pid);
    let t0 = Instant::now();
    let load = CameraLoad {
        fps,
        video_packets,
        payload_len,
        gop_frames: GOP_FRAMES,
        audio,
    };
    let sent = load
        .send(&publishers.iter().collect::<Vec<_>>(), seconds)
        .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_secs(pid) - cpu0;
    let threads1 = thread_cpu(pid);
    drop(publishers);
    drop(keep_pubs);
    drop(child);
    let received: Vec<u64> = counters.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    drop(keep);
    let mut busy: Vec<(String, f64)> = threads1
        .iter()
        .map(|(tid, n, c)| {
            let before = threads0
                .iter()
                .find(|(t, _, _)| t == tid)
                .map_or(0.0, |(_, _, c)| *c);
            (n.clone(), c - before)
        })
        .collect();
    busy.sort_by(|a, b| b.1.total_cmp(&a.1));
    let max_loss: f64 = arg(&["--max-loss"], "0.005").parse()?;
    let loss = report(rooms, players, sent, wall, cpu, &received, &busy);
    if loss > max_loss {
        eprintln!(
            "bench_fanout: FAILED: loss {:.3} % is over --max-loss {:.3} %",
            100.0 * loss,
            100.0 * max_loss
        );
        std::process::exit(1);
    }
    Ok(())
}

/// Prints the table and the JSON line; returns the loss.
fn report(
    rooms: usize,
    players: usize,
    sent: u64,
    wall: f64,
    cpu: f64,
    received: &[u64],
    busy: &[(String, f64)],
) -> f64 {
    let got: u64 = received.iter().sum();
    let expected = sent * received.len() as u64;
    let worst = received.iter().min().copied().unwrap_or(0);
    let loss = 1.0 - got as f64 / expected.max(1) as f64;
    let per_core = if cpu > 0.0 { got as f64 / cpu } else { 0.0 };
    if rooms > 1 {
        println!("rooms:                  {rooms} (1 publisher + {players} players each)");
    } else {
        println!("players:                {players}");
    }
    println!(
        "packets sent:           {sent} per publisher ({:.0}/s)",
        sent as f64 / wall
    );
    println!("packets received:       {got} of {expected}");
    println!(
        "loss (all / worst):     {:.3}% / {:.3}%",
        100.0 * loss,
        100.0 * (1.0 - worst as f64 / sent.max(1) as f64)
    );
    println!("server egress pkt/s:    {:.0}", got as f64 / wall);
    println!("server CPU (cores):     {:.3}", cpu / wall);
    println!("egress pkt/s per core:  {per_core:.0}");
    let top: Vec<String> = busy
        .iter()
        .take(4)
        .map(|(n, c)| format!("{n} {:.2}", c / wall))
        .collect();
    println!("busiest server threads: {}", top.join(", "));
    let bench = if rooms > 1 { "rooms" } else { "fanout" };
    println!(
        "{{\"bench\": \"{bench}\", \"server\": \"liveroom\", \"rooms\": {rooms}, \"players\": {players}, \"sent\": {sent}, \"received\": {got}, \"expected\": {expected}, \"loss\": {loss:.6}, \"wall_s\": {wall:.3}, \"server_cpu_s\": {cpu:.3}, \"egress_pps\": {:.0}, \"egress_pps_per_core\": {per_core:.0}, \"cpu_us_per_packet\": {:.3}}}",
        got as f64 / wall,
        if got > 0 { 1e6 * cpu / got as f64 } else { 0.0 }
    );
    loss
}
