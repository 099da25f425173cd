//! Clients that stop reading are cut within seconds (`session.write_timeout_ms`, 5 s, after the
//! bounded kernel send buffer fills), on `/ws` and on `/media`. They used to be cut only after
//! 4 MiB had piled up in the kernel and the queue behind it was full (≈ 40–75 s), and a
//! `/media` connection not at all while the client kept sending. The server runs as a real
//! `liveroom` process; `LIVEROOM_BIN=path` runs these against another binary.

use common::process::{spawn_dev, Proc};
use futures_util::SinkExt;
use liveroom_client::{dev_token, LoginOptions, RoomClient};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

use crate::common;

const APPID: u64 = 1;
/// What the tests allow; the fix cuts in ≈ 7 s at these rates.
const CUT_WITHIN: Duration = Duration::from_secs(15);
/// How long they wait before calling it a failure.
const GIVE_UP: Duration = Duration::from_secs(25);

/// Starts the server (`log`: its `LIVEROOM_LOG`); returns it, its HTTP address and its
/// metrics address.
fn start(log: &str) -> (Proc, String, String) {
    let (p, ready) = spawn_dev(
        &[
            "--http",
            "127.0.0.1:0",
            "--metrics",
            "127.0.0.1:0",
            "--rtc",
            "127.0.0.1:0",
            "--turn",
            "127.0.0.1:0",
        ],
        log,
    );
    let addr = |k: &str| ready[k].as_str().expect(k).to_string();
    (p, addr("http"), addr("metrics"))
}

/// The value of one sample line of `/metrics` (e.g. `liveroom_connections`).
async fn metric(metrics: &str, sample: &str) -> f64 {
    let mut s = tokio::net::TcpStream::connect(metrics).await.unwrap();
    let req = format!("GET /metrics HTTP/1.1\r\nHost: {metrics}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

async fn join(http: &str, room: &str, user: &str) -> RoomClient {
    let mut c = RoomClient::connect(&format!("ws://{http}/ws"), APPID)
        .await
        .unwrap();
    let token = dev_token(http, APPID, user).await.unwrap();
    c.login(room, user, &token, &LoginOptions::default())
        .await
        .unwrap();
    c
}

#[tokio::test]
async fn a_room_client_that_stops_reading_is_cut_within_seconds() {
    let (_server, http, metrics) = start("warn");
    let mut senders = [
        join(&http, "r", "sender1").await,
        join(&http, "r", "sender2").await,
    ];
    // Logs in, then never reads again.
    let mut reader = join(&http, "r", "reader").await;
    assert_eq!(metric(&metrics, "liveroom_connections").await, 3.0);
    let stopped = Instant::now();
    // Two members send 4 KiB reliable messages at 40 a second each (under the 50/s frame
    // limit): ≈ 330 KB/s pushed to the reader.
    let data = "x".repeat(4000);
    let mut tick = tokio::time::interval(Duration::from_millis(25));
    let mut cut = None;
    let mut n = 0u64;
    while stopped.elapsed() < GIVE_UP {
        tick.tick().await;
        for sender in &mut senders {
            let body = json!({"trans_type": "t", "trans_data": data, "trans_local_seq": n, "trans_channel": "clt"});
            sender.request("trans", body).await.expect("trans");
            n += 1;
        }
        if n.is_multiple_of(20) && metric(&metrics, "liveroom_connections").await < 3.0 {
            cut = Some(stopped.elapsed());
            break;
        }
    }
    let Some(cut) = cut else {
        panic!("a client that stopped reading was still connected after {GIVE_UP:?}");
    };
    println!("cut after {cut:?} ({n} messages sent)");
    assert!(cut < CUT_WITHIN, "cut after {cut:?}");
    assert!(
        metric(
            &metrics,
            "liveroom_outbound_dropped_total{kind=\"disconnect\"}"
        )
        .await
            >= 1.0,
        "the cut is counted"
    );
    // The reader, reading again, gets what the kernel held and then the end of the connection.
    assert!(
        reader
            .closed_within(Duration::from_secs(10))
            .await
            .is_some(),
        "the reader's connection ended"
    );
    // The senders are unaffected.
    assert_eq!(metric(&metrics, "liveroom_connections").await, 2.0);
    senders[0]
        .request("trans", json!({"trans_type": "t", "trans_data": "ok", "trans_local_seq": n, "trans_channel": "clt"}))
        .await
        .expect("the sender is still served");
}

#[tokio::test]
async fn a_media_signalling_client_that_stops_reading_is_cut_within_seconds() {
    // Each answer dropped from the full queue logs a warning: thousands here.
    let (_server, http, _metrics) = start("warn,liveroom_server::media::signalling=error");
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{http}/media"))
        .await
        .unwrap();
    // Requests that each get an answer (not logged in: `result` 2), which this client never
    // reads: 2 500 a second, ≈ 400 KB/s of answers. Once the server has closed its end, a send
    // fails (the server's kernel answers with a reset).
    let req = |seq: u64| {
        json!({"header": {"cmd": "QualityReportReq", "seq": seq, "appid": "1", "user_id": "u", "session_id": 0},
               "body": {}})
        .to_string()
    };
    let stopped = Instant::now();
    let mut seq = 0u64;
    let cut = 'sending: loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        for _ in 0..50 {
            seq += 1;
            if ws.feed(Message::Text(req(seq).into())).await.is_err() {
                break 'sending stopped.elapsed();
            }
        }
        if ws.flush().await.is_err() {
            break stopped.elapsed();
        }
        assert!(
            stopped.elapsed() < GIVE_UP,
            "a media-signalling client that stopped reading was still connected after {GIVE_UP:?}"
        );
    };
    println!("media-signalling connection cut after {cut:?}");
    assert!(cut < CUT_WITHIN, "cut after {cut:?}");
}
