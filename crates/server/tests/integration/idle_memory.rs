//! Resident memory of idle logged-in room connections, measured on a real `liveroom` process
//! (`/proc/PID/status` VmRSS): 300 connections may grow it by at most 16 KiB each (release
//! builds measure ≈ 7 KiB, debug builds 7–8; it was ≈ 138 KiB with the WebSocket layer's
//! default 128 KiB read buffer). `LIVEROOM_BIN=path` runs it against another binary.
//! `crates/client/examples/bench_idle_conns.rs` is the benchmark behind docs/benchmarks.md.

use common::process::{spawn_dev, Proc};
use liveroom_client::{dev_token, ClientError, LoginOptions, RoomClient};
use std::time::Duration;

use crate::common;

const APPID: u64 = 1;
const CONNS: usize = 300;
const PER_ROOM: usize = 50;
/// The bound: generous (release ≈ 7 KiB), far below the old ≈ 138 KiB.
const MAX_BYTES_PER_CONN: u64 = 16 * 1024;

fn start() -> (Proc, String) {
    let (p, ready) = spawn_dev(
        &[
            "--http",
            "127.0.0.1:0",
            "--metrics",
            "",
            "--rtc",
            "",
            "--turn",
            "127.0.0.1:0",
        ],
        "warn",
    );
    let http = ready["http"].as_str().expect("http address").to_string();
    (p, http)
}

fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmRSS")
        * 1024
}

/// The RSS once it stops moving (two equal readings 500 ms apart, or after 5 s).
async fn settled_rss(pid: u32) -> u64 {
    let mut last = rss_bytes(pid);
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = rss_bytes(pid);
        if now == last {
            break;
        }
        last = now;
    }
    last
}

async fn open(http: &str, tag: &str, n: usize) -> Vec<RoomClient> {
    let url = format!("ws://{http}/ws");
    let mut conns = Vec::with_capacity(n);
    for i in 0..n {
        let user = format!("{tag}{i}");
        let room = format!("{tag}-room{}", i / PER_ROOM);
        let token = dev_token(http, APPID, &user).await.unwrap();
        loop {
            let mut c = RoomClient::connect(&url, APPID).await.unwrap();
            match c
                .login(&room, &user, &token, &LoginOptions::default())
                .await
            {
                Ok(_) => {
                    conns.push(c);
                    break;
                }
                // Logins from one address are rate limited; the server asks to retry later.
                Err(ClientError::Server { code: 1002, .. }) => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
                Err(e) => panic!("login of {user}: {e}"),
            }
        }
    }
    conns
}

#[tokio::test]
async fn idle_logged_in_connections_cost_little_resident_memory() {
    let (proc, http) = start();
    let pid = proc.pid();
    // Warm up: one-time allocations (thread caches, the first rooms) are not the connections'.
    for mut c in open(&http, "warm", 30).await {
        let _ = c.send("logout", serde_json::json!({})).await;
        c.close().await;
    }
    let before = settled_rss(pid).await;
    let conns = open(&http, "idle", CONNS).await;
    let with_open = settled_rss(pid).await;
    let per_conn = with_open.saturating_sub(before) / CONNS as u64;
    println!(
        "VmRSS {before} → {with_open} bytes with {CONNS} idle connections: {per_conn} bytes each"
    );
    assert!(
        per_conn <= MAX_BYTES_PER_CONN,
        "{per_conn} bytes of resident memory per idle connection (bound {MAX_BYTES_PER_CONN}): {before} → {with_open}"
    );
    drop(conns);
}
