//! Signalling benchmark: many logged-in connections in ONE room of a real `liveroom` process.
//! Measures, from outside, what a big show asks of the room server:
//!
//! - **logins per second**, over all logins and over the last fifth (the room almost full:
//!   a login's cost must not grow with the room);
//! - **memory per idle connection** (the server's RSS growth over the logins / connections);
//! - **heartbeat cost**: server CPU while every client heartbeats at the interval the login
//!   reply gives (30 s by default, with random phases), and nothing else happens;
//! - **room-message fan-out**: one member sends `im_chat` messages carrying its send time
//!   (unix µs; every process is on this machine's clock); every other member records when the
//!   push arrived. p50/p99/max over all deliveries, and the p99 over messages of the LAST
//!   receiver's receipt.
//!
//! The connections are spread over `--workers` load processes (this example started again
//! with `--worker`; the per-process open-file limit is 20,000) and over loopback source
//! addresses 127.0.0.2…, as a real audience comes from many addresses. Every figure comes from
//! what the clients received. The run fails (exit 1, the reason on stderr) when a delivery is
//! missing, a login fails, or a delivery is later than `--max-lag-ms`.
//!
//! `bench_signalling --server target/release/liveroom --conns 19000 --workers 3 --messages 20`
//!
//! Flags: `--conns N` (default 5000), `--workers W` (4), `--messages M` (20), `--interval-ms`
//! between messages (500), `--login-parallel` logins in flight per worker (32), `--idle-secs`
//! of the heartbeat measurement (30), `--max-lag-ms` (2500), `--user-state 0|1` (members ask
//! for user-state pushes; default 0, as a big room would). The server's environment passes
//! through (`LIVEROOM_*`); the benchmark lifts the room size and login-rate limits itself.

use liveroom_client::load::{
    arg, coordinator_lines, cpu_secs, say, settled_rss, unix_us, LoadWorker,
};
use liveroom_client::server_process::ServerProcess;
use liveroom_client::{dev_token, ClientError, LoginOptions, RoomClient};
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const APPID: u64 = 1;
const ROOM: &str = "big-show";
/// Source addresses 127.0.0.2 … 127.0.0.(1 + SOURCE_ADDRS).
const SOURCE_ADDRS: u32 = 64;
/// How long the last push of a message may take to arrive before the run stops waiting.
const DRAIN: Duration = Duration::from_secs(5);

type Error = Box<dyn std::error::Error + Send + Sync>;

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    if std::env::args().any(|a| a == "--worker") {
        return worker().await;
    }
    coordinator().await
}

// ---------------------------------------------------------------------------------------------
// Worker: opens its share of connections, logs them in, records the pushes' latencies.
// Protocol on stdin/stdout, one line each: → "tokens" (tokens fetched), ← "go", → "logged
// <unix_ms of each login, comma-separated>", ← "report", → "lat <msg> <us> <us> …" per message,
// then "done". Errors go to stderr and make the worker exit 1.

async fn worker() -> Result<(), Error> {
    let http = arg(&["--http"], "");
    let from: usize = arg(&["--from"], "0").parse()?;
    let count: usize = arg(&["--count"], "0").parse()?;
    let parallel: usize = arg(&["--login-parallel"], "32").parse()?;
    let user_state: u8 = arg(&["--user-state"], "0").parse()?;
    let url = format!("ws://{http}/ws");

    // Tokens first, so the login measurement is logins only.
    let sem = Arc::new(tokio::sync::Semaphore::new(64));
    let mut fetches = Vec::with_capacity(count);
    for i in from..from + count {
        let (http, sem) = (http.clone(), sem.clone());
        fetches.push(tokio::spawn(async move {
            let _p = sem.acquire_owned().await?;
            let user = format!("m{i}");
            let token = dev_token(&http, APPID, &user).await?;
            Ok::<_, Error>((i, user, token))
        }));
    }
    let mut users = Vec::with_capacity(count);
    for f in fetches {
        users.push(f.await??);
    }
    let mut lines = coordinator_lines();
    say("tokens");
    lines.recv().await.ok_or("the coordinator went away")?;

    // Latencies per message id, filled by the connections' reader tasks.
    let lat: Arc<Mutex<Vec<Vec<u64>>>> = Arc::new(Mutex::new(Vec::new()));
    let sem = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let mut logins = Vec::with_capacity(count);
    for (i, user, token) in users {
        let (url, sem, lat) = (url.clone(), sem.clone(), lat.clone());
        logins.push(tokio::spawn(async move {
            let permit = sem.acquire_owned().await?;
            let local = IpAddr::V4(Ipv4Addr::new(
                127,
                0,
                0,
                2 + (i as u32 % SOURCE_ADDRS) as u8,
            ));
            let mut c = RoomClient::connect_from(&url, APPID, local).await?;
            let o = LoginOptions {
                user_state_flag: user_state,
                ..LoginOptions::default()
            };
            let rsp = loop {
                match c.login(ROOM, &user, &token, &o).await {
                    Ok(r) => break r,
                    Err(ClientError::Server { code: 1002, .. }) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        c = RoomClient::connect_from(&url, APPID, local).await?;
                    }
                    Err(e) => return Err(Error::from(format!("{user}: login: {e}"))),
                }
            };
            let done_ms = unix_us() / 1000;
            drop(permit);
            let hb_ms = rsp["hearbeat_interval"]
                .as_u64()
                .unwrap_or(30_000)
                .max(1000);
            tokio::spawn(member(c, hb_ms, i as u64, lat));
            Ok::<_, Error>(done_ms)
        }));
    }
    let mut done = Vec::with_capacity(count);
    for l in logins {
        done.push(l.await??.to_string());
    }
    say(&format!("logged {}", done.join(",")));

    lines.recv().await.ok_or("the coordinator went away")?;
    let lat = std::mem::take(&mut *lat.lock().map_err(|_| "poisoned")?);
    for (k, v) in lat.iter().enumerate() {
        let list: Vec<String> = v.iter().map(u64::to_string).collect();
        say(&format!("lat {k} {}", list.join(" ")));
    }
    say("done");
    Ok(())
}

/// A logged-in member: heartbeats at the server's interval (a random phase, as clients that
/// logged in at different times) and records the latency of every bench message pushed.
async fn member(mut c: RoomClient, hb_ms: u64, salt: u64, lat: Arc<Mutex<Vec<Vec<u64>>>>) {
    let phase = Duration::from_millis(salt.wrapping_mul(2_654_435_761) % hb_ms);
    let mut hb = tokio::time::interval_at(
        tokio::time::Instant::now() + phase,
        Duration::from_millis(hb_ms),
    );
    loop {
        tokio::select! {
            _ = hb.tick() => {
                if c.send("hb", json!({"reserve": 0})).await.is_err() {
                    return;
                }
            }
            f = c.next_text() => match f {
                Ok(t) => record(&t, &lat),
                Err(e) => {
                    eprintln!("bench_signalling worker: a member lost its connection: {e}");
                    return;
                }
            },
        }
    }
}

/// A bench message's content is "bench <k> <sent unix µs>". The frame is searched, not parsed:
/// JSON parsing in 19,000 clients would compete with the server for this machine's 2 cores.
fn record(text: &str, lat: &Mutex<Vec<Vec<u64>>>) {
    const MARK: &str = "\"msg_content\":\"bench ";
    if !text.contains("push_im_chat") {
        return;
    }
    let now = unix_us();
    let Some(at) = text.find(MARK) else {
        return;
    };
    let rest = &text[at + MARK.len()..];
    let mut w = rest.split([' ', '"']);
    let (Some(k), Some(t)) = (
        w.next().and_then(|k| k.parse::<usize>().ok()),
        w.next().and_then(|t| t.parse::<u64>().ok()),
    ) else {
        return;
    };
    if let Ok(mut l) = lat.lock() {
        if l.len() <= k {
            l.resize(k + 1, Vec::new());
        }
        l[k].push(now.saturating_sub(t));
    }
}

// ---------------------------------------------------------------------------------------------
// Coordinator: the server, the workers, the sender, the figures.

async fn coordinator() -> Result<(), Error> {
    let server = arg(&["--server"], "/var/tmp/liveroom-target/release/liveroom");
    let conns: usize = arg(&["--conns"], "5000").parse()?;
    let workers: usize = arg(&["--workers"], "4").parse::<usize>()?.max(1);
    let messages: usize = arg(&["--messages"], "20").parse()?;
    let interval = Duration::from_millis(arg(&["--interval-ms"], "500").parse()?);
    let parallel = arg(&["--login-parallel"], "32");
    let idle_secs: u64 = arg(&["--idle-secs"], "30").parse()?;
    let max_lag_ms: u64 = arg(&["--max-lag-ms"], "2500").parse()?;
    let user_state = arg(&["--user-state"], "0");

    // The room must hold everyone (and the sender); one machine's clients are not limited.
    let room_max = (conns + 10).to_string();
    let log = std::env::var("LIVEROOM_LOG").unwrap_or_else(|_| "warn".into());
    let child = ServerProcess::start_with_env(
        &server,
        &[
            "--dev",
            "--http",
            "127.0.0.1:0",
            "--rtc",
            "",
            "--metrics",
            "",
        ],
        &log,
        &[
            ("LIVEROOM_ROOM__MAX_USERS_PER_ROOM", room_max.as_str()),
            ("LIVEROOM_SESSION__LOGIN_RATE_PER_IP_PER_SEC", "0"),
            ("LIVEROOM_SESSION__LOGIN_RATE_PER_APP_PER_SEC", "0"),
        ],
    )?;
    let http = child.http()?;
    let pid = child.pid();

    // The sender logs in first; its login warms the room up.
    let token = dev_token(&http, APPID, "sender").await?;
    let mut sender = RoomClient::connect(&format!("ws://{http}/ws"), APPID).await?;
    sender
        .login(ROOM, "sender", &token, &LoginOptions::default())
        .await?;
    let rss0 = settled_rss(pid).await;

    let mut pool = Vec::new();
    for w in 0..workers {
        let from = conns * w / workers;
        let count = conns * (w + 1) / workers - from;
        let args = [
            "--worker",
            "--http",
            &http,
            "--from",
            &from.to_string(),
            "--count",
            &count.to_string(),
            "--login-parallel",
            &parallel,
            "--user-state",
            &user_state,
        ];
        pool.push(LoadWorker::spawn(&args.map(String::from))?);
    }
    for w in &mut pool {
        tokio::task::block_in_place(|| w.expect("tokens"))?;
    }

    // Logins: every worker at once.
    let t_login = unix_us() / 1000;
    let cpu_login0 = cpu_secs(pid);
    let started = Instant::now();
    for w in &mut pool {
        w.tell("go")?;
    }
    let mut done_ms: Vec<u64> = Vec::with_capacity(conns);
    for w in &mut pool {
        let list = tokio::task::block_in_place(|| w.expect("logged"))?;
        done_ms.extend(list.split(',').filter_map(|v| v.parse::<u64>().ok()));
    }
    let login_wall = started.elapsed().as_secs_f64();
    let login_cpu = cpu_secs(pid) - cpu_login0;
    if done_ms.len() != conns {
        return Err(format!("{} of {conns} logins reported", done_ms.len()).into());
    }
    done_ms.sort_unstable();
    let last_ms = done_ms.last().copied().unwrap_or(t_login);
    let logins_per_s = conns as f64 / ((last_ms.saturating_sub(t_login)).max(1) as f64 / 1000.0);
    // The last fifth: the room held 80–100 % of its final size.
    let fifth = &done_ms[conns * 4 / 5..];
    let span = fifth.last().copied().unwrap_or(0) - fifth.first().copied().unwrap_or(0);
    let logins_per_s_full = fifth.len() as f64 / (span.max(1) as f64 / 1000.0);
    eprintln!(
        "{conns} logged in, {logins_per_s:.0}/s ({logins_per_s_full:.0}/s in the last fifth)"
    );

    let rss1 = settled_rss(pid).await;
    let bytes_per_idle_conn = rss1.saturating_sub(rss0) / conns.max(1) as u64;

    // Heartbeats only: the sender heartbeats too, and reads nothing yet (no pushes are sent).
    let cpu_idle0 = cpu_secs(pid);
    let t_idle = Instant::now();
    let mut hb = tokio::time::interval(Duration::from_secs(10));
    while t_idle.elapsed() < Duration::from_secs(idle_secs) {
        hb.tick().await;
        sender.send("hb", json!({"reserve": 0})).await?;
    }
    let idle_cpu_pct = 100.0 * (cpu_secs(pid) - cpu_idle0) / t_idle.elapsed().as_secs_f64();

    // Fan-out: one message per interval; the sender drains its replies as it goes.
    let cpu_fan0 = cpu_secs(pid);
    let t_fan = Instant::now();
    for k in 0..messages {
        let content = format!("bench {k} {}", unix_us());
        sender
            .request(
                "im_chat",
                json!({"msg_category": 1, "msg_type": 1, "msg_content": content}),
            )
            .await?;
        tokio::time::sleep(interval).await;
    }
    tokio::time::sleep(DRAIN).await;
    let fan_cpu = cpu_secs(pid) - cpu_fan0;
    let fan_wall = t_fan.elapsed().as_secs_f64();

    let mut per_msg: Vec<Vec<u64>> = vec![Vec::new(); messages];
    for w in &mut pool {
        w.tell("report")?;
        loop {
            let line = w.line()?;
            let line = line.as_str();
            if line == "done" {
                break;
            }
            let Some(rest) = line.strip_prefix("lat ") else {
                continue;
            };
            let mut it = rest.split(' ');
            let Some(k) = it.next().and_then(|k| k.parse::<usize>().ok()) else {
                continue;
            };
            if let Some(v) = per_msg.get_mut(k) {
                v.extend(it.filter_map(|t| t.parse::<u64>().ok()));
            }
        }
    }
    drop(pool);
    drop(child);

    let expected = (conns * messages) as u64;
    let received: u64 = per_msg.iter().map(|v| v.len() as u64).sum();
    let mut all: Vec<u64> = per_msg.iter().flatten().copied().collect();
    all.sort_unstable();
    let mut last: Vec<u64> = per_msg
        .iter()
        .map(|v| v.iter().copied().max().unwrap_or(0))
        .collect();
    last.sort_unstable();
    let ms = |us: u64| us as f64 / 1000.0;
    let (p50, p99, max) = (
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99)),
        ms(all.last().copied().unwrap_or(0)),
    );
    let last_p99 = ms(percentile(&last, 0.99));
    let late = all.iter().filter(|&&l| l > max_lag_ms * 1000).count();

    println!("connections in one room:     {conns} (+ the sender), {workers} load processes");
    println!(
        "logins:                      {logins_per_s:.0}/s overall, {logins_per_s_full:.0}/s in the last fifth, {login_wall:.1} s, server CPU {:.2} ms/login",
        1000.0 * login_cpu / conns.max(1) as f64
    );
    println!(
        "server memory per idle conn: {bytes_per_idle_conn} bytes ({:.1} KiB)",
        bytes_per_idle_conn as f64 / 1024.0
    );
    println!("heartbeats, idle:            {idle_cpu_pct:.2} % of a core over {idle_secs} s");
    println!("room messages:               {messages}, delivered {received} of {expected}");
    println!(
        "fan-out latency:             p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms; last receiver p99 {last_p99:.1} ms"
    );
    println!(
        "server CPU during fan-out:   {:.2} cores ({:.1} µs per delivery)",
        fan_cpu / fan_wall,
        1e6 * fan_cpu / received.max(1) as f64
    );
    println!(
        "{}",
        json!({
            "bench": "signalling", "connections": conns, "messages": messages,
            "delivered": received, "expected": expected,
            "fanout_p50_ms": p50, "fanout_p99_ms": p99, "fanout_max_ms": max,
            "fanout_last_receiver_p99_ms": last_p99,
            "logins_per_s": logins_per_s.round(), "logins_per_s_full_room": logins_per_s_full.round(),
            "bytes_per_idle_conn": bytes_per_idle_conn, "heartbeat_cpu_pct": (idle_cpu_pct * 100.0).round() / 100.0,
        })
    );
    if received != expected {
        eprintln!(
            "bench_signalling: FAILED: {} deliveries missing",
            expected - received
        );
        std::process::exit(1);
    }
    if late > 0 {
        eprintln!("bench_signalling: FAILED: {late} deliveries later than {max_lag_ms} ms");
        std::process::exit(1);
    }
    Ok(())
}
