//! Idle-connection memory: how much resident memory a real `liveroom` process holds per
//! logged-in, idle room connection, and whether it gives it back when they close.
//!
//! The benchmark starts `liveroom --dev`, warms it up (one round of connections opened and
//! closed, so one-time allocations are not counted), then reads the server's VmRSS from
//! `/proc/PID/status`: before, with N logged-in idle connections open (members of rooms of
//! `--per-room`), after logging them out and closing them, and with N open again (memory reused,
//! not leaked, when that is not above the first round). The last line is JSON. The server
//! inherits the environment, so `LIVEROOM_*` settings apply to it.
//!
//! `cargo run --release -p liveroom-client --example bench_idle_conns -- \
//!     --server target/release/liveroom --conns 1000 --per-room 50`

use liveroom_client::load::{arg, settled_rss};
use liveroom_client::server_process::ServerProcess;
use liveroom_client::{dev_token, ClientError, LoginOptions, RoomClient};
use std::time::Duration;

const APPID: u64 = 1;

/// Opens `n` connections and logs each in (rooms of `per_room` members).
async fn open(
    http: &str,
    tag: &str,
    n: usize,
    per_room: usize,
) -> Result<Vec<RoomClient>, Box<dyn std::error::Error>> {
    let url = format!("ws://{http}/ws");
    let mut conns = Vec::with_capacity(n);
    for i in 0..n {
        let user = format!("{tag}-u{i}");
        let room = format!("{tag}-r{}", i / per_room.max(1));
        let token = dev_token(http, APPID, &user).await?;
        let mut c = RoomClient::connect(&url, APPID).await?;
        // Logins from one address are rate limited (1002 asks to retry later), unless the
        // server was started with `LIVEROOM_SESSION__LOGIN_RATE_PER_IP_PER_SEC=0`.
        loop {
            match c
                .login(&room, &user, &token, &LoginOptions::default())
                .await
            {
                Ok(_) => break,
                Err(ClientError::Server { code: 1002, .. }) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    c = RoomClient::connect(&url, APPID).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        conns.push(c);
    }
    Ok(conns)
}

/// Logs each out (the room lets go of it at once) and closes it.
async fn close(conns: Vec<RoomClient>) {
    for mut c in conns {
        let _ = c.send("logout", serde_json::json!({})).await;
        c.close().await;
    }
}

fn start(server: &str) -> std::io::Result<ServerProcess> {
    let log = std::env::var("LIVEROOM_LOG").unwrap_or_else(|_| "warn".into());
    let args = [
        "--dev",
        "--http",
        "127.0.0.1:0",
        "--metrics",
        "",
        "--rtc",
        "",
    ];
    ServerProcess::start(server, &args, &log)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = arg(&["--server"], "/var/tmp/liveroom-target/release/liveroom");
    let n: usize = arg(&["--conns"], "1000").parse()?;
    let per_room: usize = arg(&["--per-room"], "50").parse()?;
    let warmup: usize = arg(&["--warmup"], "100").parse()?;

    // `--http ADDR --pid PID` measures a server that is already running (e.g. under a heap
    // profiler) instead of starting one.
    let (child, http, pid) = match arg(&["--http"], "").as_str() {
        "" => {
            let child = start(&server)?;
            let (http, pid) = (child.http()?, child.pid());
            (Some(child), http, pid)
        }
        http => (None, http.to_string(), arg(&["--pid"], "0").parse()?),
    };
    let result = async {
        close(open(&http, "warm", warmup, per_room).await?).await;
        let before = settled_rss(pid).await;
        let conns = open(&http, "a", n, per_room).await?;
        let open_rss = settled_rss(pid).await;
        close(conns).await;
        let after = settled_rss(pid).await;
        let conns = open(&http, "b", n, per_room).await?;
        let reopen = settled_rss(pid).await;
        close(conns).await;
        Ok::<_, Box<dyn std::error::Error>>((before, open_rss, after, reopen))
    }
    .await;
    drop(child);
    let (before, open_rss, after, reopen) = result?;

    let per_conn = open_rss.saturating_sub(before) as f64 / n as f64;
    let kept = after.saturating_sub(before) as f64 / n as f64;
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!("connections:             {n} (rooms of {per_room})");
    println!("| phase | server VmRSS |");
    println!("|---|---|");
    println!("| before (warmed up) | {:.1} MiB |", mib(before));
    println!("| {n} open | {:.1} MiB |", mib(open_rss));
    println!("| after closing them | {:.1} MiB |", mib(after));
    println!("| {n} open again | {:.1} MiB |", mib(reopen));
    println!("per open connection:     {:.0} bytes", per_conn);
    println!("kept per closed one:     {:.0} bytes", kept);
    println!(
        "{}",
        serde_json::json!({
            "conns": n,
            "per_room": per_room,
            "rss_before": before,
            "rss_open": open_rss,
            "rss_after_close": after,
            "rss_reopen": reopen,
            "per_conn_bytes": per_conn.round() as u64,
            "kept_per_closed_conn_bytes": kept.round() as u64,
        })
    );
    Ok(())
}
