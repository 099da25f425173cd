//! `relay`: forwarded to the business server (a small HTTP server inside the test that checks
//! the `x-liveroom-signature` header), whose answer comes back as `relay_result`.

use crate::common;
use common::*;
use liveroom_server::config::DEV_SERVER_SECRET;
use liveroom_server::integrations::business::signature;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

#[derive(Clone, Copy)]
enum Mode {
    /// 200 with `{"relay_result": ...}` built from the request.
    Json,
    /// 200 with a plain-text body.
    Plain,
    /// 500.
    Fail,
    /// Answers after this many ms.
    Slow(u64),
}

/// What the business server saw: request line, lower-cased headers, body.
#[derive(Debug)]
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Starts the business server; returns its URL and what it receives.
async fn business(mode: Mode) -> (String, mpsc::UnboundedReceiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/relay", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let _ = serve_one(sock, mode, tx).await;
            });
        }
    });
    (url, rx)
}

async fn serve_one(
    mut sock: TcpStream,
    mode: Mode,
    tx: mpsc::UnboundedSender<Seen>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let seen = Seen {
        request_line,
        headers,
        body,
    };
    let signed = seen.header("x-liveroom-signature")
        == Some(signature(DEV_SERVER_SECRET, &seen.body).as_str());
    let (status, answer) = if !signed {
        (401, "bad signature".to_string())
    } else {
        match mode {
            Mode::Json | Mode::Slow(_) => {
                if let Mode::Slow(ms) = mode {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
                let v: Value = serde_json::from_slice(&seen.body).unwrap_or(Value::Null);
                let result = format!("{} answered {}", v["id_name"], v["relay_data"]);
                (200, json!({ "relay_result": result }).to_string())
            }
            Mode::Plain => (200, "plain answer".to_string()),
            Mode::Fail => (500, "business server broke".to_string()),
        }
    };
    let _ = tx.send(seen);
    let rsp = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    );
    sock.write_all(rsp.as_bytes()).await?;
    sock.shutdown().await
}

async fn server_relaying_to(url: &str) -> TestServer {
    TestServer::start(&[
        ("LIVEROOM_RELAY__URL", url),
        ("LIVEROOM_RELAY__TIMEOUT_MS", "400"),
    ])
    .await
}

fn relay(t: &str, data: &str) -> Value {
    json!({"relay_type": t, "relay_data": data})
}

#[tokio::test]
async fn relay_is_signed_forwarded_and_answered() {
    let (url, mut seen) = business(Mode::Json).await;
    let s = server_relaying_to(&url).await;
    let mut alice = s.join("quiz-room", "alice", anchor("Alice")).await;
    let before = now_secs();
    let r = ok(&mut alice, "relay", relay("answer", "B")).await;
    assert_eq!(
        r,
        json!({"err_code": 0, "err_message": "success", "relay_result": "\"alice\" answered \"B\""})
    );
    let req = seen.recv().await.unwrap();
    assert_eq!(req.request_line, "POST /hooks/relay HTTP/1.1");
    assert_eq!(req.header("content-type"), Some("application/json"));
    let sig = req.header("x-liveroom-signature").unwrap();
    assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64, "{sig}");
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    let ts = body["timestamp"].as_u64().unwrap();
    assert!(ts / 1000 >= before && ts / 1000 <= now_secs(), "{ts}");
    assert_eq!(
        body,
        json!({"event": "relay", "appid": APPID, "room_id": "quiz-room", "id_name": "alice",
               "nick_name": "Alice", "relay_type": "answer", "relay_data": "B", "timestamp": ts})
    );
    // Nobody in the room is pushed anything for a relay.
    let mut bob = s.join("quiz-room", "bob", audience("Bob")).await;
    let r = ok(&mut bob, "relay", relay("answer", "C")).await;
    assert_eq!(r["relay_result"], "\"bob\" answered \"C\"");
    expect_silence(&mut alice, 200).await;
}

#[tokio::test]
async fn a_plain_text_answer_is_the_result() {
    let (url, _seen) = business(Mode::Plain).await;
    let s = server_relaying_to(&url).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let r = ok(&mut alice, "relay", relay("t", "d")).await;
    assert_eq!(r["relay_result"], "plain answer");
}

#[tokio::test]
async fn without_a_relay_url_relay_is_refused() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let (code, msg) = refused(&mut alice, "relay", relay("t", "d")).await;
    assert_eq!(code, 1_000_000_010);
    assert!(msg.contains("relay"), "{msg}");
}

#[tokio::test]
async fn business_server_failures_are_1000000011() {
    // HTTP 500.
    let (url, mut seen) = business(Mode::Fail).await;
    let s = server_relaying_to(&url).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let (code, msg) = refused(&mut alice, "relay", relay("t", "d")).await;
    assert_eq!(code, 1_000_000_011);
    assert!(msg.contains("500"), "{msg}");
    assert!(seen.recv().await.is_some());

    // No answer within relay.timeout_ms (400 ms).
    let (url, _seen) = business(Mode::Slow(3000)).await;
    let s = server_relaying_to(&url).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let t = std::time::Instant::now();
    let (code, _) = refused(&mut alice, "relay", relay("t", "d")).await;
    assert_eq!(code, 1_000_000_011);
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(350) && took < Duration::from_millis(2000),
        "{took:?}"
    );

    // Nothing listening.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/relay", closed.local_addr().unwrap());
    drop(closed);
    let s = server_relaying_to(&url).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let (code, _) = refused(&mut alice, "relay", relay("t", "d")).await;
    assert_eq!(code, 1_000_000_011);
    // The session goes on working.
    hb(&mut alice).await;
}

#[tokio::test]
async fn a_slow_relay_does_not_hold_up_the_connection() {
    let (url, _seen) = business(Mode::Slow(300)).await;
    let s = TestServer::start(&[
        ("LIVEROOM_RELAY__URL", url.as_str()),
        ("LIVEROOM_RELAY__TIMEOUT_MS", "2000"),
    ])
    .await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let relay_seq = alice.send("relay", relay("t", "slow")).await.unwrap();
    // A heartbeat sent after the relay is answered first.
    let hb_seq = alice.send("hb", json!({"reserve": 0})).await.unwrap();
    let first = alice
        .wait_for(|f| f.protocol() == "rsp", WAIT)
        .await
        .unwrap();
    assert_eq!(first.header["seq"], hb_seq);
    let f = alice.reply(relay_seq).await.unwrap();
    assert_reply_header(&f, &alice, "relay", relay_seq);
    assert_eq!(f.body["err_code"], 0);
    assert_eq!(f.body["relay_result"], "\"alice\" answered \"slow\"");
}

#[tokio::test]
async fn oversized_relays_are_refused_before_forwarding() {
    let (url, mut seen) = business(Mode::Json).await;
    let s = server_relaying_to(&url).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let (code, _) = refused(&mut alice, "relay", relay(&"t".repeat(129), "d")).await;
    assert_eq!(code, 1_000_000_005);
    let (code, _) = refused(&mut alice, "relay", relay("t", &"d".repeat(4097))).await;
    assert_eq!(code, 1_000_000_005);
    let (code, msg) = refused(&mut alice, "relay", json!({"relay_type": "t"})).await;
    assert_eq!(code, 1_000_000_002);
    assert!(msg.contains("relay_data"), "{msg}");
    assert!(seen.try_recv().is_err(), "nothing was forwarded");
    // The limits themselves pass.
    ok(
        &mut alice,
        "relay",
        relay(&"t".repeat(128), &"d".repeat(4096)),
    )
    .await;
    assert!(seen.recv().await.unwrap().body.len() > 4096);
}
