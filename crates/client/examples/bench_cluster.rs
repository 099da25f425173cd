//! Cluster benchmark (issue #15): what a room and a stream cost when they span nodes,
//! measured beside one node in the same run. It starts its own `redis-server` on a free port
//! and three real `liveroom --dev` nodes on it (`node-1`, `node-2`, `node-3`, placement
//! `local`: a room lives on the node of its first login), then measures twice each:
//!
//! - **chat fan-out**: `--members` connections in one room (created by a sender on node-1),
//!   first all on node-1, then split evenly over the three nodes (the logins on node-2 and
//!   node-3 relayed to the room on node-1 through Redis). The sender sends `--messages`
//!   `im_chat` messages carrying their send time (unix µs; one machine, one clock); every
//!   member notes when the push arrived. p50/p99/max over all deliveries, per node too, and
//!   every node's (and Redis's) CPU over the messages. A missing delivery or one later than
//!   `--max-lag-ms` fails the run.
//! - **one stream**: a publisher on node-1 sends bench_fanout's camera-shaped load (H.264 at
//!   ≈ 1.5 Mbit/s: 30 frames a second of 5 × 1 200-byte packets, a key frame every 2 s, and
//!   Opus every 20 ms) to `--players` native str0m players, first all on node-1, then spread
//!   over the three nodes (players on node-2 and node-3 play through the pipe their node
//!   takes from node-1). Each player counts the RTP packets it received (loss); per node,
//!   the packets its players received per second (egress), the node's CPU from
//!   `/proc/PID/stat`, and egress packets per CPU-second. Loss over `--max-loss` fails the run.
//!
//! The members are spread over `--workers` load processes (this example started again with
//! `--worker`) and 64 loopback source addresses, as in bench_signalling; the players and the
//! publisher run in this process, as in bench_fanout. Output: a table, then as the LAST line
//! of stdout one JSON object (`"bench": "cluster"`).
//!
//! `bench_cluster --server …/release/liveroom --members 2000 --players 150 --seconds 10`
//!
//! Flags: `--members N` (2000), `--workers W` (2), `--messages M` (20), `--interval-ms` (500),
//! `--players P` (150), `--seconds S` (10), `--connect-parallel K` (16), `--max-lag-ms`
//! (2500), `--max-loss` (0.005), `--only chat|media`, `--redis-server PATH` (`redis-server`,
//! Debian's; `scripts/system-deps.sh --test` installs it). The nodes' environment passes
//! through (`LIVEROOM_*`); the benchmark lifts the room size and login-rate limits itself.

use liveroom_client::load::{
    arg, coordinator_lines, count_rtp, cpu_secs, say, unix_us, CameraLoad, LoadWorker,
};
use liveroom_client::media::{start_peer, MediaPeer, MediaSignal};
use liveroom_client::server_process::ServerProcess;
use liveroom_client::{dev_token, ClientError, KeptAlive, LoginOptions, RoomClient};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind};

const APPID: u64 = 1;
const NODES: usize = 3;
/// Source addresses 127.0.0.2 … 127.0.0.(1 + SOURCE_ADDRS).
const SOURCE_ADDRS: u32 = 64;
/// How long the last push of a message may take to arrive before the run stops waiting.
const DRAIN: Duration = Duration::from_secs(3);

type Error = Box<dyn std::error::Error + Send + Sync>;

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(us: u64) -> f64 {
    (us as f64 / 100.0).round() / 10.0
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    if std::env::args().any(|a| a == "--worker") {
        return worker().await;
    }
    coordinator().await
}

// ---------------------------------------------------------------------------------------------
// Worker: its share of the chat members, connection i on node i % (number of nodes given).
// Protocol on stdin/stdout, one line each: → "tokens", ← "go", → "logged N", ← "report",
// → "lat <node> <msg> <us> <us> …" per node and message, then "done".

async fn worker() -> Result<(), Error> {
    let nodes: Vec<String> = arg(&["--nodes"], "")
        .split(',')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let from: usize = arg(&["--from"], "0").parse()?;
    let count: usize = arg(&["--count"], "0").parse()?;
    let prefix = arg(&["--prefix"], "m");
    let room = arg(&["--room"], "chat");
    let parallel: usize = arg(&["--login-parallel"], "32").parse()?;
    if nodes.is_empty() {
        return Err("--nodes is empty".into());
    }

    let sem = Arc::new(tokio::sync::Semaphore::new(64));
    let mut fetches = Vec::with_capacity(count);
    for i in from..from + count {
        let (sem, node) = (sem.clone(), i % nodes.len());
        let http = nodes[node].clone();
        let user = format!("{prefix}{i}");
        fetches.push(tokio::spawn(async move {
            let _p = sem.acquire_owned().await?;
            let token = dev_token(&http, APPID, &user).await?;
            Ok::<_, Error>((i, node, user, token))
        }));
    }
    let mut users = Vec::with_capacity(count);
    for f in fetches {
        users.push(f.await??);
    }
    let mut lines = coordinator_lines();
    say("tokens");
    lines.recv().await.ok_or("the coordinator went away")?;

    // lat[node][message]: latencies in µs, filled by the members' reader tasks.
    let lat: Arc<Mutex<Vec<Vec<Vec<u64>>>>> = Arc::new(Mutex::new(vec![Vec::new(); nodes.len()]));
    let sem = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let mut logins = Vec::with_capacity(count);
    for (i, node, user, token) in users {
        let url = format!("ws://{}/ws", nodes[node]);
        let (sem, lat, room) = (sem.clone(), lat.clone(), room.clone());
        logins.push(tokio::spawn(async move {
            let permit = sem.acquire_owned().await?;
            let local = IpAddr::V4(Ipv4Addr::new(
                127,
                0,
                0,
                2 + (i as u32 % SOURCE_ADDRS) as u8,
            ));
            let mut c = RoomClient::connect_from(&url, APPID, local).await?;
            let rsp = loop {
                match c
                    .login(&room, &user, &token, &LoginOptions::default())
                    .await
                {
                    Ok(r) => break r,
                    Err(ClientError::Server { code: 1002, .. }) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        c = RoomClient::connect_from(&url, APPID, local).await?;
                    }
                    Err(e) => return Err(Error::from(format!("{user}: login: {e}"))),
                }
            };
            drop(permit);
            let hb_ms = rsp["hearbeat_interval"]
                .as_u64()
                .unwrap_or(30_000)
                .max(1000);
            tokio::spawn(member(c, hb_ms, i as u64, node, lat));
            Ok::<_, Error>(())
        }));
    }
    for l in logins {
        l.await??;
    }
    say(&format!("logged {count}"));

    lines.recv().await.ok_or("the coordinator went away")?;
    let lat = std::mem::take(&mut *lat.lock().map_err(|_| "poisoned")?);
    for (node, per_msg) in lat.iter().enumerate() {
        for (k, v) in per_msg.iter().enumerate() {
            let list: Vec<String> = v.iter().map(u64::to_string).collect();
            say(&format!("lat {node} {k} {}", list.join(" ")));
        }
    }
    say("done");
    Ok(())
}

/// A logged-in member: heartbeats at the server's interval (a random phase) and records the
/// latency of every bench message pushed to it.
async fn member(
    mut c: RoomClient,
    hb_ms: u64,
    salt: u64,
    node: usize,
    lat: Arc<Mutex<Vec<Vec<Vec<u64>>>>>,
) {
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
                Ok(t) => record(&t, node, &lat),
                Err(e) => {
                    eprintln!("bench_cluster worker: a member lost its connection: {e}");
                    return;
                }
            },
        }
    }
}

/// A bench message's content is "bench <k> <sent unix µs>"; the frame is searched, not parsed.
fn record(text: &str, node: usize, lat: &Mutex<Vec<Vec<Vec<u64>>>>) {
    const MARK: &str = "\"msg_content\":\"bench ";
    if !text.contains("push_im_chat") {
        return;
    }
    let now = unix_us();
    let Some(at) = text.find(MARK) else {
        return;
    };
    let mut w = text[at + MARK.len()..].split([' ', '"']);
    let (Some(k), Some(t)) = (
        w.next().and_then(|k| k.parse::<usize>().ok()),
        w.next().and_then(|t| t.parse::<u64>().ok()),
    ) else {
        return;
    };
    if let Ok(mut l) = lat.lock() {
        let per_msg = &mut l[node];
        if per_msg.len() <= k {
            per_msg.resize(k + 1, Vec::new());
        }
        per_msg[k].push(now.saturating_sub(t));
    }
}

// ---------------------------------------------------------------------------------------------
// Redis and the nodes.

/// Our own `redis-server` on a free port, without persistence; killed when dropped.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    fn start(binary: &str) -> Result<Redis, Error> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(binary)
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                format!("{binary} does not run ({e}); scripts/system-deps.sh --test installs it")
            })?;
        let r = Redis { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !r.pong() {
            if Instant::now() > deadline {
                return Err("redis-server did not answer PING in 10 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(r)
    }

    fn pong(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
        let mut buf = [0u8; 7];
        s.write_all(b"*1\r\n$4\r\nPING\r\n").is_ok()
            && s.read_exact(&mut buf).is_ok()
            && &buf == b"+PONG\r\n"
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Node {
    id: String,
    http: String,
    process: ServerProcess,
}

impl Node {
    fn pid(&self) -> u32 {
        self.process.pid()
    }
}

fn start_node(server: &str, redis: &Redis, id: &str, room_max: &str) -> Result<Node, Error> {
    let log = std::env::var("LIVEROOM_LOG").unwrap_or_else(|_| "warn".into());
    let url = format!("redis://127.0.0.1:{}/0", redis.port);
    let process = ServerProcess::start_with_env(
        server,
        &[
            "--dev",
            "--http",
            "127.0.0.1:0",
            "--rtc",
            "127.0.0.1:0",
            "--turn",
            "127.0.0.1:0",
            "--metrics",
            "",
        ],
        &log,
        &[
            ("LIVEROOM_REDIS_URL", url.as_str()),
            ("LIVEROOM_CLUSTER__NODE_ID", id),
            ("LIVEROOM_CLUSTER__PLACEMENT", "local"),
            ("LIVEROOM_ROOM__MAX_USERS_PER_ROOM", room_max),
            // One machine's clients: the per-address and per-app login limits are for the
            // open internet, not for a benchmark.
            ("LIVEROOM_SESSION__LOGIN_RATE_PER_IP_PER_SEC", "0"),
            ("LIVEROOM_SESSION__LOGIN_RATE_PER_APP_PER_SEC", "0"),
        ],
    )?;
    if process.ready["node_id"].as_str() != Some(id) {
        return Err(format!("{id} is not clustered: ready line {}", process.ready).into());
    }
    let http = process.http()?;
    Ok(Node {
        id: id.into(),
        http,
        process,
    })
}

/// CPU seconds of every node and of Redis (last).
fn cpu_all(nodes: &[Node], redis: &Redis) -> Vec<f64> {
    let mut v: Vec<f64> = nodes.iter().map(|n| cpu_secs(n.pid())).collect();
    v.push(cpu_secs(redis.pid()));
    v
}

fn cpu_delta(before: &[f64], after: &[f64]) -> Vec<f64> {
    after.iter().zip(before).map(|(a, b)| a - b).collect()
}

// ---------------------------------------------------------------------------------------------
// Chat fan-out.

struct ChatRun {
    /// Latencies (µs) per node of the members' connections, all messages together.
    per_node: Vec<Vec<u64>>,
    members_per_node: Vec<usize>,
    expected: u64,
    /// CPU seconds over the messages: every node, then Redis.
    cpu: Vec<f64>,
    wall: f64,
}

impl ChatRun {
    fn all(&self) -> Vec<u64> {
        let mut a: Vec<u64> = self.per_node.iter().flatten().copied().collect();
        a.sort_unstable();
        a
    }
    fn received(&self) -> u64 {
        self.per_node.iter().map(|v| v.len() as u64).sum()
    }
}

struct ChatCfg {
    members: usize,
    workers: usize,
    messages: usize,
    interval: Duration,
    parallel: String,
}

/// `members` members in room `room`, spread over the first `spread` nodes; the sender on node-1.
async fn chat(
    nodes: &[Node],
    redis: &Redis,
    spread: usize,
    room: &str,
    prefix: &str,
    c: &ChatCfg,
) -> Result<ChatRun, Error> {
    let sender_id = format!("{prefix}sender");
    let token = dev_token(&nodes[0].http, APPID, &sender_id).await?;
    let mut sender = RoomClient::connect(&format!("ws://{}/ws", nodes[0].http), APPID).await?;
    sender
        .login(room, &sender_id, &token, &LoginOptions::default())
        .await?;

    let list: Vec<&str> = nodes[..spread].iter().map(|n| n.http.as_str()).collect();
    let list = list.join(",");
    let mut pool = Vec::new();
    for w in 0..c.workers {
        let from = c.members * w / c.workers;
        let count = c.members * (w + 1) / c.workers - from;
        let args = [
            "--worker",
            "--nodes",
            &list,
            "--from",
            &from.to_string(),
            "--count",
            &count.to_string(),
            "--prefix",
            prefix,
            "--room",
            room,
            "--login-parallel",
            &c.parallel,
        ];
        pool.push(LoadWorker::spawn(&args.map(String::from))?);
    }
    for w in &mut pool {
        tokio::task::block_in_place(|| w.expect("tokens"))?;
    }
    let t_login = Instant::now();
    for w in &mut pool {
        w.tell("go")?;
    }
    for w in &mut pool {
        tokio::task::block_in_place(|| w.expect("logged"))?;
    }
    eprintln!(
        "chat, {spread} node(s): {} members logged in in {:.1} s",
        c.members,
        t_login.elapsed().as_secs_f64()
    );
    // Let the logins' aftermath (relay set-up, user-list work) settle before measuring.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let cpu0 = cpu_all(nodes, redis);
    let t0 = Instant::now();
    for k in 0..c.messages {
        let content = format!("bench {k} {}", unix_us());
        sender
            .request(
                "im_chat",
                json!({"msg_category": 1, "msg_type": 1, "msg_content": content}),
            )
            .await?;
        tokio::time::sleep(c.interval).await;
    }
    tokio::time::sleep(DRAIN).await;
    let cpu = cpu_delta(&cpu0, &cpu_all(nodes, redis));
    let wall = t0.elapsed().as_secs_f64();

    let mut per_node: Vec<Vec<u64>> = vec![Vec::new(); NODES];
    for w in &mut pool {
        w.tell("report")?;
        loop {
            let line = w.line()?;
            if line == "done" {
                break;
            }
            let Some(rest) = line.strip_prefix("lat ") else {
                continue;
            };
            let mut it = rest.split(' ');
            let Some(node) = it.next().and_then(|k| k.parse::<usize>().ok()) else {
                continue;
            };
            let _msg = it.next();
            if let Some(v) = per_node.get_mut(node) {
                v.extend(it.filter_map(|t| t.parse::<u64>().ok()));
            }
        }
    }
    drop(pool);
    sender.close().await;
    let members_per_node = (0..NODES)
        .map(|n| {
            if n < spread {
                (0..c.members).filter(|i| i % spread == n).count()
            } else {
                0
            }
        })
        .collect();
    // The members' connections are gone; let their rooms retire before the next run.
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(ChatRun {
        per_node,
        members_per_node,
        expected: (c.members * c.messages) as u64,
        cpu,
        wall,
    })
}

// ---------------------------------------------------------------------------------------------
// One stream.

struct MediaRun {
    sent: u64,
    /// (node index, packets received) per player.
    received: Vec<(usize, u64)>,
    /// CPU seconds over the sending: every node, then Redis.
    cpu: Vec<f64>,
    wall: f64,
}

impl MediaRun {
    fn loss(&self) -> f64 {
        let got: u64 = self.received.iter().map(|r| r.1).sum();
        let expected = self.sent * self.received.len() as u64;
        1.0 - got as f64 / expected.max(1) as f64
    }
    fn got_on(&self, node: usize) -> u64 {
        self.received
            .iter()
            .filter(|r| r.0 == node)
            .map(|r| r.1)
            .sum()
    }
    fn players_on(&self, node: usize) -> usize {
        self.received.iter().filter(|r| r.0 == node).count()
    }
}

/// One logged-in user (room and media) with a negotiated, connected media peer.
async fn join(
    http: String,
    room_id: String,
    user: String,
    kind: u8,
    stream_id: String,
) -> Result<(MediaSignal, MediaPeer, KeptAlive), Error> {
    let token = dev_token(&http, APPID, &user).await?;
    let mut room = RoomClient::connect(&format!("ws://{http}/ws"), APPID).await?;
    room.login(&room_id, &user, &token, &LoginOptions::default())
        .await?;
    let room = room.keep_alive(Duration::from_secs(10));
    let mut sig = MediaSignal::connect(&format!("ws://{http}/media"), APPID, &user).await?;
    sig.login(&token, &room_id).await?;
    let (sid, _) = sig.create_session(kind, &stream_id, "").await?;
    let dir = if kind == 0 {
        Direction::SendOnly
    } else {
        Direction::RecvOnly
    };
    let kinds = [MediaKind::Audio, MediaKind::Video];
    let mut p = start_peer(&mut sig, sid, &kinds, dir, Codec::H264).await?;
    p.wait_connected(&user, Duration::from_secs(20)).await?;
    Ok((sig, p, room))
}

/// A publisher on node-1 and `players` players spread over the first `spread` nodes.
async fn media(
    nodes: &[Node],
    redis: &Redis,
    spread: usize,
    room: &str,
    players: usize,
    seconds: u64,
    parallel: usize,
) -> Result<MediaRun, Error> {
    let stream = format!("{room}-cam");
    let t_connect = Instant::now();
    let (psig, mut publisher, proom) = join(
        nodes[0].http.clone(),
        room.into(),
        format!("{room}-pub"),
        0,
        stream.clone(),
    )
    .await?;
    // The publisher's reports (key-frame requests) are drained, not counted.
    let mut pub_out = std::mem::replace(&mut publisher.out, tokio::sync::mpsc::channel(1).1);
    let drain = tokio::spawn(async move { while pub_out.recv().await.is_some() {} });

    let sem = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let mut joins = Vec::new();
    for i in 0..players {
        let node = i % spread;
        let (http, sem, room, stream) = (
            nodes[node].http.clone(),
            sem.clone(),
            room.to_string(),
            stream.clone(),
        );
        joins.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await?;
            let j = join(http, room.clone(), format!("{room}-p{i}"), 1, stream).await?;
            Ok::<_, Error>((node, j))
        }));
    }
    let mut counters = Vec::new();
    let mut keep = Vec::new();
    let mut tasks = Vec::new();
    for j in joins {
        let (node, (sig, p, kept)) = j.await??;
        keep.push((sig, kept));
        let (n, task) = count_rtp(p);
        counters.push((node, n));
        tasks.push(task);
    }
    eprintln!(
        "stream, {spread} node(s): publisher and {players} players connected in {:.1} s; sending for {seconds} s",
        t_connect.elapsed().as_secs_f64()
    );

    let cpu0 = cpu_all(nodes, redis);
    let t0 = Instant::now();
    let sent = CameraLoad::default().send(&[&publisher], seconds).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_delta(&cpu0, &cpu_all(nodes, redis));
    let received = counters
        .iter()
        .map(|(node, n)| (*node, n.load(Ordering::Relaxed)))
        .collect();
    drop(publisher);
    drop(psig);
    drop(proom);
    drop(keep);
    // Dropping the players' reports ends their peer tasks.
    for t in tasks {
        t.abort();
    }
    drain.abort();
    // The pipes end 5 s after their last player; the next run is another stream.
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(MediaRun {
        sent,
        received,
        cpu,
        wall,
    })
}

// ---------------------------------------------------------------------------------------------
// Coordinator.

async fn coordinator() -> Result<(), Error> {
    let server = arg(&["--server"], "/var/tmp/liveroom-target/release/liveroom");
    let redis_bin = arg(&["--redis-server"], "redis-server");
    let members: usize = arg(&["--members"], "2000").parse()?;
    let cfg = ChatCfg {
        members,
        workers: arg(&["--workers"], "2").parse::<usize>()?.max(1),
        messages: arg(&["--messages"], "20").parse()?,
        interval: Duration::from_millis(arg(&["--interval-ms"], "500").parse()?),
        parallel: arg(&["--login-parallel"], "32"),
    };
    let players: usize = arg(&["--players"], "150").parse()?;
    let seconds: u64 = arg(&["--seconds"], "10").parse()?;
    let parallel: usize = arg(&["--connect-parallel"], "16").parse()?;
    let max_lag_ms: u64 = arg(&["--max-lag-ms"], "2500").parse()?;
    let max_loss: f64 = arg(&["--max-loss"], "0.005").parse()?;
    let only = arg(&["--only"], "");
    let (do_chat, do_media) = (only != "media", only != "chat");

    let redis = Redis::start(&redis_bin)?;
    let room_max = (members + 10).to_string();
    let mut nodes = Vec::new();
    for i in 1..=NODES {
        nodes.push(start_node(
            &server,
            &redis,
            &format!("node-{i}"),
            &room_max,
        )?);
    }
    eprintln!(
        "redis on 127.0.0.1:{}; nodes {}",
        redis.port,
        nodes
            .iter()
            .map(|n| format!("{} {}", n.id, n.http))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Every node sees the others in the registry before the first login.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut out = json!({"bench": "cluster", "members": members, "messages": cfg.messages,
                         "players": players, "seconds": seconds});
    let mut failures: Vec<String> = Vec::new();

    if do_chat {
        let one = chat(&nodes, &redis, 1, "chat-one", "a", &cfg).await?;
        let three = chat(&nodes, &redis, NODES, "chat-three", "b", &cfg).await?;
        println!(
            "chat fan-out: {members} members in one room, {} messages {} ms apart, sender on node-1",
            cfg.messages,
            cfg.interval.as_millis()
        );
        println!(
            "  {:<22} {:>9} {:>9} {:>9} {:>9} {:>16}  CPU % of a core (node-1, node-2, node-3, redis)",
            "run", "delivered", "p50 ms", "p99 ms", "max ms", "CPU µs/delivery"
        );
        for (name, r) in [("all on node-1", &one), ("split over 3 nodes", &three)] {
            let all = r.all();
            let cpu_total: f64 = r.cpu.iter().sum();
            let pct: Vec<String> = r
                .cpu
                .iter()
                .map(|c| format!("{:.1}", 100.0 * c / r.wall))
                .collect();
            println!(
                "  {name:<22} {:>9} {:>9.1} {:>9.1} {:>9.1} {:>16.1}  {}",
                format!("{}/{}", r.received(), r.expected),
                ms(percentile(&all, 0.5)),
                ms(percentile(&all, 0.99)),
                ms(all.last().copied().unwrap_or(0)),
                1e6 * cpu_total / r.received().max(1) as f64,
                pct.join(", ")
            );
            if r.received() != r.expected {
                failures.push(format!(
                    "chat {name}: {} of {} deliveries missing",
                    r.expected - r.received(),
                    r.expected
                ));
            }
            let late = all.iter().filter(|&&l| l > max_lag_ms * 1000).count();
            if late > 0 {
                failures.push(format!(
                    "chat {name}: {late} deliveries later than {max_lag_ms} ms"
                ));
            }
        }
        let mut chat_nodes = Vec::new();
        for (n, node) in nodes.iter().enumerate() {
            let mut v = three.per_node[n].clone();
            v.sort_unstable();
            let how = if n == 0 {
                "local to the room"
            } else {
                "relayed through Redis"
            };
            println!(
                "  split, members on {}: {:>5} ({how}): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                node.id,
                three.members_per_node[n],
                ms(percentile(&v, 0.5)),
                ms(percentile(&v, 0.99)),
                ms(v.last().copied().unwrap_or(0))
            );
            chat_nodes.push(json!({
                "node": node.id, "members": three.members_per_node[n],
                "p50_ms": ms(percentile(&v, 0.5)), "p99_ms": ms(percentile(&v, 0.99)),
                "cpu_pct": round2(100.0 * three.cpu[n] / three.wall),
            }));
        }
        let mut relayed: Vec<u64> = three.per_node[1..].iter().flatten().copied().collect();
        relayed.sort_unstable();
        let (a1, a3) = (one.all(), three.all());
        let per_delivery =
            |r: &ChatRun| round2(1e6 * r.cpu.iter().sum::<f64>() / r.received().max(1) as f64);
        let o = out.as_object_mut().ok_or("not an object")?;
        for (k, v) in [
            ("chat_delivered_one_node", json!(one.received())),
            ("chat_delivered_three_nodes", json!(three.received())),
            ("chat_expected", json!(one.expected)),
            ("chat_p50_ms_one_node", json!(ms(percentile(&a1, 0.5)))),
            ("chat_p99_ms_one_node", json!(ms(percentile(&a1, 0.99)))),
            (
                "chat_max_ms_one_node",
                json!(ms(a1.last().copied().unwrap_or(0))),
            ),
            ("chat_p50_ms_three_nodes", json!(ms(percentile(&a3, 0.5)))),
            ("chat_p99_ms_three_nodes", json!(ms(percentile(&a3, 0.99)))),
            (
                "chat_max_ms_three_nodes",
                json!(ms(a3.last().copied().unwrap_or(0))),
            ),
            ("chat_p99_ms_relayed", json!(ms(percentile(&relayed, 0.99)))),
            (
                "chat_cpu_us_per_delivery_one_node",
                json!(per_delivery(&one)),
            ),
            (
                "chat_cpu_us_per_delivery_three_nodes",
                json!(per_delivery(&three)),
            ),
            (
                "chat_redis_cpu_pct_three_nodes",
                json!(round2(100.0 * three.cpu[NODES] / three.wall)),
            ),
            ("chat_nodes", Value::Array(chat_nodes)),
        ] {
            o.insert(k.into(), v);
        }
    }

    if do_media {
        let one = media(&nodes, &redis, 1, "cast-one", players, seconds, parallel).await?;
        let three = media(
            &nodes,
            &redis,
            NODES,
            "cast-three",
            players,
            seconds,
            parallel,
        )
        .await?;
        println!(
            "one stream: publisher on node-1 ({} packets in {seconds} s, ≈ 1.5 Mbit/s H.264 + Opus) to {players} players",
            one.sent
        );
        println!(
            "  {:<22} {:>8} {:>17} {:>8} {:>9} {:>9} {:>12} {:>14}",
            "run / node",
            "players",
            "received",
            "loss %",
            "egress/s",
            "CPU %",
            "egress/CPU-s",
            "CPU µs/packet"
        );
        let mut node_json = |r: &MediaRun, name: &str| {
            let loss = r.loss();
            let got: u64 = r.received.iter().map(|x| x.1).sum();
            let cpu: f64 = r.cpu[..NODES].iter().sum();
            println!(
                "  {name:<22} {:>8} {:>17} {:>8.3} {:>9.0} {:>9.1} {:>12.0} {:>14.2}",
                r.received.len(),
                format!("{got}/{}", r.sent * r.received.len() as u64),
                100.0 * loss,
                got as f64 / r.wall,
                100.0 * cpu / r.wall,
                got as f64 / cpu.max(1e-9),
                1e6 * cpu / got.max(1) as f64
            );
            let mut list = Vec::new();
            for (n, node) in nodes.iter().enumerate() {
                let got = r.got_on(n);
                let expected = r.sent * r.players_on(n) as u64;
                let node_loss = if expected > 0 {
                    1.0 - got as f64 / expected as f64
                } else {
                    0.0
                };
                println!(
                    "    {:<20} {:>8} {:>17} {:>8.3} {:>9.0} {:>9.1} {:>12.0} {:>14}",
                    node.id,
                    r.players_on(n),
                    format!("{got}/{expected}"),
                    100.0 * node_loss,
                    got as f64 / r.wall,
                    100.0 * r.cpu[n] / r.wall,
                    got as f64 / r.cpu[n].max(1e-9),
                    if got > 0 {
                        format!("{:.2}", 1e6 * r.cpu[n] / got as f64)
                    } else {
                        "-".into()
                    }
                );
                list.push(json!({
                    "node": node.id, "players": r.players_on(n),
                    "egress_pps": (got as f64 / r.wall).round(),
                    "cpu_pct": round2(100.0 * r.cpu[n] / r.wall),
                    "cpu_s": round2(r.cpu[n]),
                    "egress_pps_per_core": (got as f64 / r.cpu[n].max(1e-9)).round(),
                }));
            }
            if loss > max_loss {
                failures.push(format!(
                    "stream {name}: loss {:.3} % is over --max-loss {:.3} %",
                    100.0 * loss,
                    100.0 * max_loss
                ));
            }
            let summary = json!({
                "received": got,
                "egress_pps_per_core": (got as f64 / cpu.max(1e-9)).round(),
                "cpu_us_per_packet": round2(1e6 * cpu / got.max(1) as f64),
            });
            (loss, list, summary)
        };
        let (loss1, nodes1, s1) = node_json(&one, "all on node-1");
        let (loss3, nodes3, s3) = node_json(&three, "spread over 3 nodes");
        let ratio = match (
            s1["cpu_us_per_packet"].as_f64(),
            s3["cpu_us_per_packet"].as_f64(),
        ) {
            (Some(a), Some(b)) if a > 0.0 => json!(round2(b / a)),
            _ => Value::Null,
        };
        let o = out.as_object_mut().ok_or("not an object")?;
        for (k, v) in [
            ("sent", json!(one.sent)),
            ("expected", json!(one.sent * players as u64)),
            ("received_one_node", s1["received"].clone()),
            ("received_three_nodes", s3["received"].clone()),
            ("loss_pct_one_node", json!((loss1 * 1e5).round() / 1e3)),
            ("loss_pct_three_nodes", json!((loss3 * 1e5).round() / 1e3)),
            (
                "egress_pps_per_core_one_node",
                s1["egress_pps_per_core"].clone(),
            ),
            (
                "egress_pps_per_core_three_nodes",
                s3["egress_pps_per_core"].clone(),
            ),
            (
                "cpu_us_per_packet_one_node",
                s1["cpu_us_per_packet"].clone(),
            ),
            (
                "cpu_us_per_packet_three_nodes",
                s3["cpu_us_per_packet"].clone(),
            ),
            ("cpu_ratio_three_to_one", ratio),
            ("nodes_one_node", Value::Array(nodes1)),
            ("nodes", Value::Array(nodes3)),
        ] {
            o.insert(k.into(), v);
        }
    }

    drop(nodes);
    drop(redis);
    println!("{out}");
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("bench_cluster: FAILED: {f}");
        }
        std::process::exit(1);
    }
    Ok(())
}
