//! The SFU worker: the tokio shell around [`Core`]. It owns what the core does not: the UDP
//! socket, the clock, the command inbox and the routes of peers' events to their sessions.
//!
//! Each wake-up (a datagram, a command or the core's deadline) feeds the core with
//! `Instant::now()` and then flushes it: its datagrams go to the socket ([`Shell::send`]: the one
//! place a batched send, e.g. sendmmsg, would go), its events to the peers' channels.

use crate::core::{Core, CoreEvent};
use crate::{PeerEvent, PeerId, SfuCmd};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Largest datagram read.
const MAX_DATAGRAM: usize = 2048;
/// Datagrams read per wake-up before looking at commands and timers again.
const READ_BATCH: usize = 64;

/// The socket and the routes; the core beside it.
struct Shell {
    socket: UdpSocket,
    /// Where each peer's events go (the sender its `SfuCmd::Open` carried).
    routes: HashMap<PeerId, mpsc::Sender<PeerEvent>>,
}

/// Runs the SFU until every [`crate::SfuHandle`] is dropped.
pub async fn run(
    socket: UdpSocket,
    local: SocketAddr,
    candidates: Vec<SocketAddr>,
    connect_timeout: Duration,
    mut rx: mpsc::Receiver<SfuCmd>,
) {
    let mut core = Core::new(local, candidates, connect_timeout, Instant::now());
    let mut shell = Shell {
        socket,
        routes: HashMap::new(),
    };
    let mut buf = vec![0u8; MAX_DATAGRAM];
    tracing::info!(addr = %local, "media worker started");
    loop {
        let next = core.poll_timeout();
        tokio::select! {
            r = shell.socket.recv_from(&mut buf) => {
                match r {
                    Ok((n, src)) => {
                        core.handle_datagram(Instant::now(), src, &buf[..n]);
                        shell.flush(&mut core);
                    }
                    Err(e) => tracing::debug!(error = %e, "udp receive error"),
                }
                for _ in 0..READ_BATCH {
                    match shell.socket.try_recv_from(&mut buf) {
                        Ok((n, src)) => {
                            core.handle_datagram(Instant::now(), src, &buf[..n]);
                            shell.flush(&mut core);
                        }
                        Err(_) => break,
                    }
                }
            }
            cmd = rx.recv() => match cmd {
                Some(cmd) => {
                    core.handle_command(Instant::now(), cmd);
                    shell.flush(&mut core);
                }
                None => break,
            },
            _ = sleep_until(next) => {
                core.handle_timeout(Instant::now());
                shell.flush(&mut core);
            }
        }
    }
    tracing::info!("media worker stopped");
}

async fn sleep_until(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}

impl Shell {
    /// Sends what the core queued and routes its events (after every input, so neither queue
    /// grows beyond one input's worth).
    fn flush(&mut self, core: &mut Core) {
        self.send(core);
        while let Some(e) = core.poll_event() {
            match e {
                CoreEvent::Opened(peer, tx) => {
                    self.routes.insert(peer, tx);
                }
                CoreEvent::Peer(peer, e) => {
                    // A session that cannot keep up loses the event (logged).
                    let sent = self
                        .routes
                        .get(&peer)
                        .is_some_and(|tx| tx.try_send(e).is_ok());
                    if !sent {
                        tracing::warn!(peer, "peer event dropped (session gone or slow)");
                    }
                }
                CoreEvent::Gone(peer) => {
                    self.routes.remove(&peer);
                }
            }
        }
    }

    /// Writes the core's datagrams to the socket, one `send_to` each; a datagram the socket
    /// does not take now is dropped (counted), as UDP would.
    fn send(&mut self, core: &mut Core) {
        while let Some(t) = core.poll_transmit() {
            if self.socket.try_send_to(&t.contents, t.destination).is_err() {
                core.send_failed();
            }
        }
    }
}
