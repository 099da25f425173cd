//! Interoperability with coturn's own tools (Debian package `coturn`):
//! * `turnutils_uclient` (coturn's test client, REST credentials from the shared secret) relays
//!   through the embedded relay to `turnutils_peer` (a UDP echo peer), over UDP and TCP, with
//!   channels and with Send indications, and client-to-client between two allocations;
//! * our REST credentials and client codec allocate on a real `turnserver` configured with
//!   `use-auth-secret` / `static-auth-secret` (the "external coturn" setup).
//!
//! Each test prints why and skips when the tools are not installed (`apt-get install coturn`;
//! scripts/test.sh installs it).

use liveroom_turn::client::ClientCodec;
use liveroom_turn::stun::{self, Class, Message};
use liveroom_turn::{rest_credentials, PeerPolicy, TurnServer, TurnServerConfig};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::UdpSocket;
use tokio::process::{Child, Command};

const SECRET: &str = "coturn-tools-secret";

fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn tools(names: &[&str]) -> Option<Vec<PathBuf>> {
    let found: Option<Vec<PathBuf>> = names.iter().map(|n| tool(n)).collect();
    if found.is_none() {
        println!(
            "SKIPPED: {} not installed (Debian package `coturn`; scripts/test.sh installs it)",
            names.join(", ")
        );
    }
    found
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A UDP port that was free a moment ago (for the external tools, which need a number).
async fn free_udp_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    s.local_addr().unwrap().port()
}

/// A port free for both UDP and TCP.
async fn free_port() -> u16 {
    loop {
        let u = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = u.local_addr().unwrap().port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.start_kill();
    }
}

async fn embedded() -> TurnServer {
    let mut cfg = TurnServerConfig::new("127.0.0.1:0".parse().unwrap(), "liveroom", SECRET);
    cfg.policy = PeerPolicy {
        allow_loopback: true,
        ..Default::default()
    };
    TurnServer::start(cfg).await.expect("turn server starts")
}

/// Runs `turnutils_uclient` with `flags` against the embedded relay and checks that every
/// message came back.
async fn uclient(flags: &[&str], with_peer: bool) {
    let Some(bins) = tools(&["turnutils_uclient", "turnutils_peer"]) else {
        return;
    };
    let server = embedded().await;
    let peer_port = free_udp_port().await;
    let _peer = if with_peer {
        let child = Command::new(&bins[1])
            .args(["-p", &peer_port.to_string(), "-L", "127.0.0.1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("turnutils_peer starts");
        tokio::time::sleep(Duration::from_millis(300)).await;
        Some(Killed(child))
    } else {
        None
    };
    let messages = 20;
    let mut cmd = Command::new(&bins[0]);
    cmd.args(["-u", "uclient", "-W", SECRET])
        .args(["-p", &server.local_addr().port().to_string()])
        .args(["-e", "127.0.0.1", "-r", &peer_port.to_string()])
        .args([
            "-n",
            &messages.to_string(),
            "-m",
            "1",
            "-l",
            "200",
            "-z",
            "5",
        ])
        .args(flags)
        .arg("127.0.0.1")
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("turnutils_uclient finishes within 60 s")
        .expect("turnutils_uclient runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stats = server.handle().stats();
    server.shutdown().await;
    assert!(
        text.contains("Total lost packets 0 (0.000000%)"),
        "uclient {flags:?} lost packets or failed:\n{text}"
    );
    let sent = text
        .lines()
        .filter_map(|l| l.split("tot_recv_msgs=").nth(1))
        .filter_map(|v| {
            v.trim()
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse::<u64>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    assert!(
        sent >= messages,
        "uclient {flags:?} received {sent} messages:\n{text}"
    );
    assert!(stats.allocations_total >= 1, "{stats:?}");
    assert_eq!(stats.auth_failures_total, 0, "{stats:?}");
}

#[tokio::test]
async fn uclient_udp_channels() {
    uclient(&["-c", "-X"], true).await;
}

#[tokio::test]
async fn uclient_udp_send_indications() {
    uclient(&["-c", "-X", "-s"], true).await;
}

#[tokio::test]
async fn uclient_tcp_channels() {
    uclient(&["-t", "-c", "-X"], true).await;
}

#[tokio::test]
async fn uclient_tcp_send_indications() {
    uclient(&["-t", "-c", "-X", "-s"], true).await;
}

#[tokio::test]
async fn uclient_client_to_client() {
    // Two clients talking relay to relay (no RTCP allocations: those use the R bit of
    // EVEN-PORT and RESERVATION-TOKEN, which the relay declines).
    uclient(&["-y", "-c", "-X"], false).await;
}

/// Allocate on `server` over UDP with our codec, answering the 401 first.
async fn allocate_on(server: SocketAddr, c: &mut ClientCodec) -> Message<'static> {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.connect(server).await.unwrap();
    let mut buf = vec![0u8; 2048];
    for _ in 0..2 {
        let (_, req) = c.allocate();
        let mut resp = None;
        // coturn may take a moment to start listening (meanwhile the socket reports ICMP
        // "port unreachable" as errors): retry for up to 10 s.
        for _ in 0..40 {
            let _ = sock.send(&req).await;
            match tokio::time::timeout(Duration::from_millis(250), sock.recv(&mut buf)).await {
                Ok(Ok(n)) => {
                    resp = Some(buf[..n].to_vec());
                    break;
                }
                Ok(Err(_)) => tokio::time::sleep(Duration::from_millis(250)).await,
                Err(_) => {}
            }
        }
        let resp: &'static [u8] = Box::leak(resp.expect("an answer").into_boxed_slice());
        let m = Message::parse(resp).unwrap();
        if !c.learn(&m) {
            return m;
        }
    }
    panic!("still challenged after answering");
}

#[tokio::test]
async fn rest_credentials_work_on_a_real_coturn() {
    let Some(bins) = tools(&["turnserver"]) else {
        return;
    };
    let port = free_port().await;
    let secret = "shared-with-coturn";
    let dir = std::env::temp_dir().join(format!("liveroom-coturn-{port}"));
    std::fs::create_dir_all(&dir).unwrap();
    let child = Command::new(&bins[0])
        .args(["-n", "--use-auth-secret"])
        .arg(format!("--static-auth-secret={secret}"))
        .args([
            "--realm",
            "liveroom",
            "-L",
            "127.0.0.1",
            "--relay-ip",
            "127.0.0.1",
        ])
        .args(["--listening-port", &port.to_string()])
        .args([
            "--no-cli",
            "--no-tls",
            "--no-dtls",
            "--no-tcp-relay",
            "--allow-loopback-peers",
        ])
        .arg(format!("--pidfile={}", dir.join("turn.pid").display()))
        .arg(format!("--userdb={}", dir.join("turndb").display()))
        .args(["--log-file", "stdout", "--simple-log"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("turnserver starts");
    let _coturn = Killed(child);
    let server: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();

    let (u, p) = rest_credentials(secret, "alice", 600, now_secs());
    let mut c = ClientCodec::new(&u, &p);
    let m = allocate_on(server, &mut c).await;
    assert_eq!(
        m.class,
        Class::Success,
        "coturn refused: {:?}",
        m.error_code()
    );
    assert!(c.verify(&m));
    assert!(m.get_xor_addr(stun::ATTR_XOR_RELAYED_ADDRESS).is_some());

    // The same formula with another secret, or an expired username, is refused.
    let (u, p) = rest_credentials("not-the-secret", "alice", 600, now_secs());
    let m = allocate_on(server, &mut ClientCodec::new(&u, &p)).await;
    assert_eq!(m.error_code().map(|e| e.0), Some(401));
    let (u, p) = rest_credentials(secret, "alice", 0, now_secs() - 600);
    let m = allocate_on(server, &mut ClientCodec::new(&u, &p)).await;
    assert_eq!(m.error_code().map(|e| e.0), Some(401));
    let _ = std::fs::remove_dir_all(&dir);
}
