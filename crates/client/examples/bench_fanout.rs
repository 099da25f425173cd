//! Fan-out benchmark: one publisher to N subscribers on loopback, through a real `liveroom`
//! process. Reports the server's egress packets per second, its CPU use (from /proc), the
//! egress packets per second per core, and the loss each subscriber saw.
//!
//! `cargo run --release -p liveroom-client --example bench_fanout -- \
//!     --server target/release/liveroom --subscribers 50 --seconds 10 --pps 600`

use liveroom_client::media::{start_peer, MediaSignal, PeerCmd, PeerOut};
use liveroom_client::server_process::ServerProcess;
use liveroom_client::{dev_token, LoginOptions, RoomClient};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind};

const APPID: u64 = 1;

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_string())
}

/// utime + stime of a process, in seconds.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the command name.
    (ticks(11) + ticks(12)) / 100.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = arg("--server", "/var/tmp/liveroom-target/release/liveroom");
    let subscribers: usize = arg("--subscribers", "20").parse()?;
    let seconds: u64 = arg("--seconds", "10").parse()?;
    let pps: u64 = arg("--pps", "600").parse()?;
    let payload_len: usize = arg("--payload", "1000").parse()?;

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
    let child = ServerProcess::start(&server, &args, &log)?;
    let http = child.http()?;
    let media_url = format!("ws://{http}/media");
    let pid = child.pid();

    // A media session belongs to a room login of its user: each user logs in to the room first.
    let room_login = |user: String| {
        let (http, url) = (http.clone(), format!("ws://{http}/ws"));
        async move {
            let token = dev_token(&http, APPID, &user).await?;
            let mut c = RoomClient::connect(&url, APPID).await?;
            c.login("bench", &user, &token, &LoginOptions::default())
                .await?;
            Ok::<_, Box<dyn std::error::Error>>((c.keep_alive(Duration::from_secs(10)), token))
        }
    };
    let (_proom, ptoken) = room_login("publisher".into()).await?;
    let mut psig = MediaSignal::connect(&media_url, APPID, "publisher").await?;
    psig.login(&ptoken, "bench").await?;
    let (sid, _) = psig.create_session(0, "bench", "").await?;
    let mut publisher = start_peer(
        &mut psig,
        sid,
        &[MediaKind::Video],
        Direction::SendOnly,
        Codec::H264,
    )
    .await?;
    while publisher.out.recv().await != Some(PeerOut::Connected) {}

    let mut subs = Vec::new();
    for i in 0..subscribers {
        let user = format!("sub{i}");
        let (room, token) = room_login(user.clone()).await?;
        let mut sig = MediaSignal::connect(&media_url, APPID, &user).await?;
        sig.login(&token, "bench").await?;
        let (sid, _) = sig.create_session(1, "bench", "").await?;
        let mut p = start_peer(
            &mut sig,
            sid,
            &[MediaKind::Video],
            Direction::RecvOnly,
            Codec::H264,
        )
        .await?;
        while p.out.recv().await != Some(PeerOut::Connected) {}
        subs.push((sig, p, room));
    }
    eprintln!("{subscribers} subscribers connected; sending {pps} packets/s of {payload_len} bytes for {seconds} s");

    // Count what each subscriber receives, in its own task.
    let mut counters = Vec::new();
    let mut keep = Vec::new();
    for (sig, mut p, room) in subs.drain(..) {
        keep.push((sig, room));
        let n = Arc::new(AtomicU64::new(0));
        counters.push(n.clone());
        tokio::spawn(async move {
            while let Some(ev) = p.out.recv().await {
                if std::env::var("BENCH_DEBUG").is_ok() {
                    eprintln!("{ev:?}");
                }
                if matches!(ev, PeerOut::Rtp { .. }) {
                    n.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }

    let cpu0 = cpu_secs(pid);
    let t0 = Instant::now();
    let total = pps * seconds;
    let interval = Duration::from_secs_f64(1.0 / pps as f64);
    let mut next = tokio::time::Instant::now();
    for i in 0..total {
        // The first packet is a key frame (players start at one), the rest are deltas.
        let mut payload = vec![if i == 0 { 0x65 } else { 0x41 }; payload_len];
        payload[1] = 0x88;
        publisher
            .cmd
            .send(PeerCmd::Rtp {
                kind: MediaKind::Video,
                seq: 1000 + i,
                time: (i as u32) * 90,
                marker: i % 10 == 9,
                payload,
            })
            .await?;
        next += interval;
        tokio::time::sleep_until(next).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_secs(pid) - cpu0;
    drop(publisher);
    drop(child);
    let received: Vec<u64> = counters.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    drop(keep);
    report(subscribers, total, wall, cpu, &received);
    Ok(())
}

fn report(subscribers: usize, sent: u64, wall: f64, cpu: f64, received: &[u64]) {
    let got: u64 = received.iter().sum();
    let expected = sent * subscribers as u64;
    let worst = received.iter().min().copied().unwrap_or(0);
    println!("subscribers:            {subscribers}");
    println!("packets sent:           {sent}");
    println!("packets received:       {got} of {expected}");
    println!(
        "loss (all / worst sub): {:.3}% / {:.3}%",
        100.0 * (1.0 - got as f64 / expected as f64),
        100.0 * (1.0 - worst as f64 / sent as f64)
    );
    println!("server egress pkt/s:    {:.0}", got as f64 / wall);
    println!("server CPU (cores):     {:.3}", cpu / wall);
    if cpu > 0.0 {
        println!("egress pkt/s per core:  {:.0}", got as f64 / cpu);
    }
}
