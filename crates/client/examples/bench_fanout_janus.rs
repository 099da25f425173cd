//! Fan-out benchmark side by side: the same native str0m client and the same load as
//! `bench_fanout`, driving Janus's videoroom plugin (Janus 1.1.2, Debian package `janus`)
//! instead of a `liveroom` process. One publisher sends H.264 video at ≈ 1.5 Mbit/s (30 frames
//! a second, each a burst of `--video-packets` packets of `--payload` bytes, a key frame every
//! 2 s) and Opus audio (one 120-byte packet every 20 ms); every player counts the RTP packets it
//! RECEIVES; Janus's CPU time comes from /proc. Prints a table and, as the last line of stdout,
//! one JSON line.
//!
//! `scripts/janus-fanout.sh --players 200 --seconds 10` starts Janus and runs this with
//! `--janus-ws ws://127.0.0.1:PORT --janus-pid PID --bind IP`.
//!
//! Signalling is Janus's WebSocket API (subprotocol `janus-protocol`): per client its own
//! connection, session (kept alive every 20 s) and videoroom handle. The publisher's handle
//! creates the room (1 publisher, no bitrate cap, H.264 42e01f + Opus), joins as publisher and
//! publishes str0m's send-only offer; each player joins as a subscriber to the publisher's feed,
//! answers Janus's offer with str0m and `start`s. Half-trickle: Janus's candidates are in its
//! SDP, ours are in our SDP and trickled too, then `completed`.
//!
//! Flags: `--janus-ws URL` (required), `--janus-pid PID` (Janus's CPU; without it the CPU
//! figures are 0), `--bind IP` (the local address of the client's UDP sockets; default this
//! machine's primary IPv4, as Janus never gathers on loopback), `--players N`, `--seconds S`,
//! `--payload BYTES` (default 1200), `--video-packets P` (default 5), `--fps F` (default 30),
//! `--audio 0|1` (default 1), `--connect-parallel K` (default 16), `--max-loss F` (fail above
//! this fraction; default: only a warning above 0.005).

use futures_util::{SinkExt, StreamExt};
use liveroom_client::load::{arg, count_rtp, cpu_secs, thread_cpu, CameraLoad};
use liveroom_client::media::{native_rtc, spawn_peer, MediaPeer, PeerOut};
use serde_json::{json, Value};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind, Mid};
use str0m::{Candidate, Rtc};
use tokio::net::UdpSocket;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

/// Opus: one packet per 20 ms of this many bytes (≈ 48 kbit/s).
/// A key frame (an IDR burst) every this many video frames (2 s at 30 fps).
const GOP_FRAMES: u64 = 60;
/// How long one Janus reply, or one peer's ICE + DTLS, may take.
const WAIT: Duration = Duration::from_secs(20);
/// Janus's `session_timeout` is 60 s; a keepalive every 20 s.
const KEEPALIVE: Duration = Duration::from_secs(20);

type Error = Box<dyn std::error::Error + Send + Sync>;
type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// This machine's primary IPv4 address (the source of its default route; no packet is sent).
fn primary_ipv4() -> IpAddr {
    std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| {
            s.connect("1.1.1.1:9")?;
            s.local_addr()
        })
        .map(|a| a.ip())
        .ok()
        .filter(|ip| !ip.is_unspecified())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

/// One Janus WebSocket connection with one session on it.
struct Janus {
    ws: Ws,
    session: u64,
    next: u64,
    buffered: Vec<Value>,
}

impl Janus {
    /// Connects with subprotocol `janus-protocol` and creates a session.
    async fn connect(url: &str) -> Result<Janus, Error> {
        let mut req = url.into_client_request()?;
        req.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("janus-protocol"),
        );
        let (ws, _) = tokio_tungstenite::connect_async(req).await?;
        let mut j = Janus {
            ws,
            session: 0,
            next: 0,
            buffered: Vec::new(),
        };
        let r = j.call(json!({"janus": "create"}), false).await?;
        j.session = r["data"]["id"]
            .as_u64()
            .ok_or_else(|| format!("create: no session id in {r}"))?;
        Ok(j)
    }

    /// Sends `msg` with a new transaction (and the session, once there is one).
    async fn send(&mut self, mut msg: Value) -> Result<String, Error> {
        self.next += 1;
        let tx = format!("t{}", self.next);
        msg["transaction"] = json!(tx);
        if self.session != 0 {
            msg["session_id"] = json!(self.session);
        }
        self.ws.send(Message::Text(msg.to_string().into())).await?;
        Ok(tx)
    }

    /// The next message of transaction `tx`: its `ack` if `ack`, else the reply after the ack
    /// (`success` or the plugin's `event`). Janus's and the plugin's errors are errors.
    async fn wait(&mut self, tx: &str, ack: bool) -> Result<Value, Error> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let msg = if let Some(i) = self.buffered.iter().position(|m| m["transaction"] == tx) {
                self.buffered.remove(i)
            } else {
                let next = tokio::time::timeout_at(deadline, self.ws.next())
                    .await
                    .map_err(|_| format!("no reply from Janus to {tx} in {WAIT:?}"))?;
                match next {
                    Some(Ok(Message::Text(t))) => {
                        let v: Value = serde_json::from_str(t.as_str())?;
                        if v["transaction"] != tx {
                            // Other events (webrtcup, media, ...) are not waited for.
                            if v["transaction"].is_string() {
                                self.buffered.push(v);
                            }
                            continue;
                        }
                        v
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(e.into()),
                    None => return Err("Janus closed the WebSocket".into()),
                }
            };
            match msg["janus"].as_str() {
                Some("error") => return Err(format!("Janus error: {}", msg["error"]).into()),
                Some("ack") if !ack => continue,
                _ => {}
            }
            let data = &msg["plugindata"]["data"];
            if data["error_code"].is_number() || data["error"].is_string() {
                return Err(format!("videoroom error: {data}").into());
            }
            return Ok(msg);
        }
    }

    async fn call(&mut self, msg: Value, ack: bool) -> Result<Value, Error> {
        let tx = self.send(msg).await?;
        self.wait(&tx, ack).await
    }

    /// Attaches a videoroom handle; returns its id.
    async fn attach(&mut self) -> Result<u64, Error> {
        let r = self
            .call(
                json!({"janus": "attach", "plugin": "janus.plugin.videoroom"}),
                false,
            )
            .await?;
        Ok(r["data"]["id"]
            .as_u64()
            .ok_or_else(|| format!("attach: no handle id in {r}"))?)
    }

    /// A videoroom request (with a JSEP if any); returns the plugin's reply.
    async fn message(
        &mut self,
        handle: u64,
        body: Value,
        jsep: Option<Value>,
    ) -> Result<Value, Error> {
        let mut msg = json!({"janus": "message", "handle_id": handle, "body": body});
        if let Some(jsep) = jsep {
            msg["jsep"] = jsep;
        }
        self.call(msg, false).await
    }

    /// Trickles our host candidate (on the first m-line, `mid`), then `completed`.
    async fn trickle(&mut self, handle: u64, mid: &str, cand: &Candidate) -> Result<(), Error> {
        let c = json!({"candidate": cand.to_sdp_string(), "sdpMid": mid, "sdpMLineIndex": 0});
        self.call(
            json!({"janus": "trickle", "handle_id": handle, "candidate": c}),
            true,
        )
        .await?;
        self.call(
            json!({"janus": "trickle", "handle_id": handle, "candidate": {"completed": true}}),
            true,
        )
        .await?;
        Ok(())
    }

    /// Keeps the session alive (a keepalive every 20 s, events read and dropped) until the
    /// returned guard is dropped, which closes the WebSocket (Janus then ends the session).
    fn keep_alive(self) -> KeptAlive {
        let Janus {
            mut ws, session, ..
        } = self;
        KeptAlive(tokio::spawn(async move {
            let mut tick = tokio::time::interval(KEEPALIVE);
            tick.tick().await;
            let mut n = 0u64;
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        n += 1;
                        let ka = json!({"janus": "keepalive", "session_id": session, "transaction": format!("ka{n}")});
                        if ws.send(Message::Text(ka.to_string().into())).await.is_err() {
                            return;
                        }
                    }
                    m = ws.next() => if !matches!(m, Some(Ok(_))) { return },
                }
            }
        }))
    }
}

/// A Janus session kept alive by a task; dropping it ends the task and the connection.
struct KeptAlive(tokio::task::JoinHandle<()>);

impl Drop for KeptAlive {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A UDP socket on `ip` and an Rtc with its host candidate.
async fn bound_rtc(ip: IpAddr) -> Result<(Rtc, UdpSocket, Candidate), Error> {
    let socket = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
    let cand = Candidate::host(socket.local_addr()?, "udp")?;
    let mut rtc = native_rtc();
    rtc.add_local_candidate(cand.clone());
    Ok((rtc, socket, cand))
}

/// The first `a=mid:` of an SDP.
fn first_mid(sdp: &str) -> String {
    sdp.lines()
        .find_map(|l| l.trim().strip_prefix("a=mid:"))
        .unwrap_or("0")
        .to_string()
}

fn jsep_sdp(reply: &Value) -> Result<String, Error> {
    Ok(reply["jsep"]["sdp"]
        .as_str()
        .ok_or_else(|| format!("no jsep in {reply}"))?
        .to_string())
}

async fn connected(who: &str, p: &mut MediaPeer) -> Result<(), Error> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, p.out.recv()).await {
            Ok(Some(PeerOut::Connected)) => return Ok(()),
            Ok(Some(_)) => {}
            Ok(None) => return Err(format!("{who}: peer ended before connecting").into()),
            Err(_) => return Err(format!("{who}: ICE/DTLS not connected in {WAIT:?}").into()),
        }
    }
}

/// The publisher: creates the room, joins it and publishes. Returns (room, feed, peer).
async fn publisher(
    url: &str,
    ip: IpAddr,
    kinds: &[MediaKind],
) -> Result<(u64, u64, MediaPeer, KeptAlive), Error> {
    let mut j = Janus::connect(url).await?;
    let h = j.attach().await?;
    let r = j
        .message(
            h,
            json!({"request": "create", "description": "bench", "publishers": 1, "bitrate": 0,
                   "videocodec": "h264", "audiocodec": "opus", "h264_profile": "42e01f",
                   "fir_freq": 0, "notify_joining": false}),
            None,
        )
        .await?;
    let room = r["plugindata"]["data"]["room"]
        .as_u64()
        .ok_or_else(|| format!("create room: no room in {r}"))?;
    let r = j
        .message(
            h,
            json!({"request": "join", "ptype": "publisher", "room": room, "display": "publisher"}),
            None,
        )
        .await?;
    let feed = r["plugindata"]["data"]["id"]
        .as_u64()
        .ok_or_else(|| format!("join: no publisher id in {r}"))?;

    let (mut rtc, socket, cand) = bound_rtc(ip).await?;
    let mut change = rtc.sdp_api();
    let mids: Vec<(MediaKind, Mid)> = kinds
        .iter()
        .map(|k| {
            (
                *k,
                change.add_media(*k, Direction::SendOnly, None, None, None),
            )
        })
        .collect();
    let (offer, pending): (_, SdpPendingOffer) = change.apply().ok_or("no offer")?;
    let offer = offer.to_sdp_string();
    let r = j
        .message(
            h,
            json!({"request": "publish", "audio": true, "video": true}),
            Some(json!({"type": "offer", "sdp": offer})),
        )
        .await?;
    let answer = SdpAnswer::from_sdp_string(&jsep_sdp(&r)?)?;
    rtc.sdp_api().accept_answer(pending, answer)?;
    j.trickle(h, &first_mid(&offer), &cand).await?;
    let mut p = spawn_peer(rtc, socket, mids, Codec::H264)?;
    connected("publisher", &mut p).await?;
    Ok((room, feed, p, j.keep_alive()))
}

/// One player: subscribes to `feed`, answers Janus's offer and starts.
async fn player(
    url: String,
    ip: IpAddr,
    room: u64,
    feed: u64,
    who: String,
) -> Result<(MediaPeer, KeptAlive), Error> {
    let mut j = Janus::connect(&url).await?;
    let h = j.attach().await?;
    let r = j
        .message(
            h,
            json!({"request": "join", "ptype": "subscriber", "room": room,
                   "streams": [{"feed": feed}]}),
            None,
        )
        .await?;
    let offer = SdpOffer::from_sdp_string(&jsep_sdp(&r)?)?;
    let (mut rtc, socket, cand) = bound_rtc(ip).await?;
    let answer = rtc.sdp_api().accept_offer(offer)?.to_sdp_string();
    j.message(
        h,
        json!({"request": "start"}),
        Some(json!({"type": "answer", "sdp": answer})),
    )
    .await?;
    j.trickle(h, &first_mid(&answer), &cand).await?;
    let mut p = spawn_peer(rtc, socket, Vec::new(), Codec::H264)?;
    connected(&who, &mut p).await?;
    Ok((p, j.keep_alive()))
}

fn fail(msg: String) -> ! {
    eprintln!("bench_fanout_janus: FAILED: {msg}");
    std::process::exit(1);
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let url = arg(&["--janus-ws"], "");
    if url.is_empty() {
        fail("--janus-ws ws://127.0.0.1:PORT is required (scripts/janus-fanout.sh starts Janus and passes it)".into());
    }
    let pid: Option<u32> = arg(&["--janus-pid"], "").parse().ok();
    let ip: IpAddr = match arg(&["--bind"], "").as_str() {
        "" => primary_ipv4(),
        s => s.parse()?,
    };
    let players: usize = arg(&["--players", "--subscribers"], "50").parse()?;
    let seconds: u64 = arg(&["--seconds"], "10").parse()?;
    let payload_len: usize = arg(&["--payload"], "1200").parse()?;
    let video_packets: u64 = arg(&["--video-packets"], "5").parse()?;
    let fps: u64 = arg(&["--fps"], "30").parse()?;
    let audio = arg(&["--audio"], "1") == "1";
    let parallel: usize = arg(&["--connect-parallel"], "16").parse()?;
    let max_loss: Option<f64> = arg(&["--max-loss"], "").parse().ok();
    if pid.is_none() {
        eprintln!("bench_fanout_janus: no --janus-pid: the CPU figures will be 0");
    }

    let mut kinds = vec![MediaKind::Video];
    if audio {
        kinds.insert(0, MediaKind::Audio);
    }
    let t_connect = Instant::now();
    let (room, feed, publisher, keep_pub) = match publisher(&url, ip, &kinds).await {
        Ok(p) => p,
        Err(e) => fail(format!(
            "the publisher did not connect to Janus at {url}: {e}"
        )),
    };
    let sem = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let mut joins = Vec::new();
    for i in 0..players {
        let (url, sem) = (url.clone(), sem.clone());
        joins.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await?;
            player(url, ip, room, feed, format!("player{i}")).await
        }));
    }
    let mut subs = Vec::new();
    let mut failed = Vec::new();
    for (i, j) in joins.into_iter().enumerate() {
        match j.await? {
            Ok(s) => subs.push(s),
            Err(e) => failed.push(format!("player{i}: {e}")),
        }
    }
    if !failed.is_empty() {
        fail(format!(
            "{} of {players} players did not connect; first: {}",
            failed.len(),
            failed[0]
        ));
    }
    eprintln!(
        "1 publisher and {players} players connected to Janus (room {room}, bound to {ip}) in {:.1} s; sending for {seconds} s",
        t_connect.elapsed().as_secs_f64()
    );

    // Count what each player receives, in its own task.
    let mut counters = Vec::new();
    let mut keep = Vec::new();
    for (p, kept) in subs.drain(..) {
        keep.push(kept);
        counters.push(count_rtp(p).0);
    }
    // Whatever arrived before the sending period (none: the publisher has not sent yet).
    let before: u64 = counters.iter().map(|c| c.load(Ordering::Relaxed)).sum();

    let cpu0 = pid.map_or(0.0, cpu_secs);
    let threads0 = pid.map(thread_cpu).unwrap_or_default();
    let t0 = Instant::now();
    let load = CameraLoad {
        fps,
        video_packets,
        payload_len,
        gop_frames: GOP_FRAMES,
        audio,
    };
    let sent = load.send(&[&publisher], seconds).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = pid.map_or(0.0, cpu_secs) - cpu0;
    let threads1 = pid.map(thread_cpu).unwrap_or_default();
    let received: Vec<u64> = counters.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    // Players leave first, then the publisher (Janus tears each session down as its WebSocket
    // closes).
    drop(keep);
    drop(publisher);
    drop(keep_pub);
    if before > 0 {
        eprintln!("bench_fanout_janus: note: {before} packets were received before sending");
    }
    // Janus names its threads by role (`hloop <handle>`, ...): sum them by name.
    let mut busy: Vec<(String, f64)> = Vec::new();
    for (tid, name, c) in &threads1 {
        let before = threads0
            .iter()
            .find(|(t, _, _)| t == tid)
            .map_or(0.0, |(_, _, c)| *c);
        let name = name.split(' ').next().unwrap_or("").to_string();
        match busy.iter_mut().find(|(n, _)| *n == name) {
            Some((_, s)) => *s += c - before,
            None => busy.push((name, c - before)),
        }
    }
    busy.sort_by(|a, b| b.1.total_cmp(&a.1));
    let loss = report(players, sent, wall, cpu, &received, &busy);
    match max_loss {
        Some(max) if loss > max => fail(format!(
            "loss {:.3} % is over --max-loss {:.3} %",
            100.0 * loss,
            100.0 * max
        )),
        None if loss > 0.005 => eprintln!(
            "bench_fanout_janus: WARNING: loss {:.3} % is over 0.5 %",
            100.0 * loss
        ),
        _ => {}
    }
    Ok(())
}

/// Prints the table and the JSON line; returns the loss.
fn report(
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
    println!("server:                 janus (videoroom)");
    println!("players:                {players}");
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
    println!(
        "busiest server threads: {} (summed by name)",
        top.join(", ")
    );
    println!(
        "{{\"server\": \"janus\", \"players\": {players}, \"sent\": {sent}, \"received\": {got}, \"expected\": {expected}, \"loss\": {loss:.6}, \"wall_s\": {wall:.3}, \"server_cpu_s\": {cpu:.3}, \"egress_pps\": {:.0}, \"egress_pps_per_core\": {per_core:.0}}}",
        got as f64 / wall
    );
    loss
}
