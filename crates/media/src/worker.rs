//! The SFU workers: the shells around the [`Core`]s. Each worker is one thread with its own
//! current-thread tokio runtime, core, clock, command inbox and routes of its peers' events.
//! They share the one UDP socket (one port for every peer, whatever the number of workers):
//!
//! - **Reading**: worker 0 reads the socket and hands each datagram to the worker of its peer
//!   ([`Router`]): a STUN check names its worker in the ufrag it is addressed to (the core
//!   prefixes its ufrags with its worker's number), which teaches the router the sender's
//!   address; any other datagram goes by that address. With one worker nothing is routed.
//! - **Writing**: each worker writes its own core's datagrams from its own thread with batched
//!   `sendmmsg` ([`Batch`]): one system call per [`SEND_BATCH`] datagrams, the iovecs pointing
//!   at the datagrams str0m encrypted (no copy), the arrays reused from call to call.
//! - **Between workers**: what one core has for another ([`Relay`]: a big stream's players
//!   placed elsewhere, its packets relayed) goes over the other worker's inbox.
//!
//! Each wake-up (a datagram, an inbox message or the core's deadline) feeds the core with
//! `Instant::now()` and then flushes it: datagrams to the socket, relays to other workers,
//! events to the peers' channels. A worker ends when every [`crate::SfuHandle`] is dropped
//! (workers hold only weak senders to each other).

use crate::core::{Core, CoreEvent, Relay};
use crate::{PeerEvent, PeerId, SfuCmd, SFU_INBOX};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};
use str0m::ice::StunMessage;
use tokio::sync::mpsc;

/// Largest datagram read.
const MAX_DATAGRAM: usize = 2048;
/// Datagrams read per wake-up before looking at commands and timers again.
const READ_BATCH: usize = 64;
/// Inbox messages handled per wake-up before looking at the socket and timers again.
const INBOX_BATCH: usize = 64;
/// Datagrams per `sendmmsg` call.
pub const SEND_BATCH: usize = 64;
/// Send and receive buffer asked for the socket (the kernel caps it at its `wmem_max` /
/// `rmem_max`): a burst of one packet to hundreds of players fits.
pub const SOCKET_BUFFER: usize = 4 << 20;
/// A route (address → worker) not used this long is forgotten (a live peer's next ICE check
/// teaches it again).
const ROUTE_IDLE: Duration = Duration::from_secs(60);

/// What a worker's inbox carries.
pub enum Inbox {
    /// A command of an [`crate::SfuHandle`].
    Cmd(SfuCmd),
    /// A message of another worker's core.
    Relay(Relay),
    /// A datagram worker 0 read for this worker's peer.
    Datagram(SocketAddr, Vec<u8>),
}

/// Starts `n` workers on `socket` (non-blocking); their inboxes.
pub fn spawn(
    socket: std::net::UdpSocket,
    local: SocketAddr,
    candidates: Vec<SocketAddr>,
    connect_timeout: Duration,
    n: usize,
) -> std::io::Result<Vec<mpsc::Sender<Inbox>>> {
    set_buffers(socket.as_raw_fd());
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..n).map(|_| mpsc::channel(SFU_INBOX)).unzip();
    for (w, rx) in rxs.into_iter().enumerate() {
        let socket = socket.try_clone()?;
        let others: Vec<mpsc::WeakSender<Inbox>> = txs.iter().map(|t| t.downgrade()).collect();
        let candidates = candidates.clone();
        std::thread::Builder::new()
            .name(format!("media-{w}"))
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        tracing::error!(worker = w, error = %e, "media worker runtime failed");
                        return;
                    }
                };
                let core =
                    Core::new(local, candidates, connect_timeout, Instant::now()).on_worker(w, n);
                rt.block_on(run(w, socket, core, rx, others));
            })?;
    }
    tracing::info!(addr = %local, workers = n, "media workers started");
    Ok(txs)
}

/// The socket and the routes; the core beside it.
struct Shell {
    worker: usize,
    fd: RawFd,
    batch: Batch,
    /// Where each peer's events go (the sender its `SfuCmd::Open` carried).
    routes: HashMap<PeerId, mpsc::Sender<PeerEvent>>,
    /// Every worker's inbox (this one's too), weak so that dropping the handles ends them.
    others: Vec<mpsc::WeakSender<Inbox>>,
    /// Messages for other workers dropped (their inbox full or gone).
    relays_dropped: u64,
}

async fn run(
    w: usize,
    socket: std::net::UdpSocket,
    mut core: Core,
    mut rx: mpsc::Receiver<Inbox>,
    others: Vec<mpsc::WeakSender<Inbox>>,
) {
    let mut shell = Shell {
        worker: w,
        fd: socket.as_raw_fd(),
        batch: Batch::default(),
        routes: HashMap::new(),
        others,
        relays_dropped: 0,
    };
    // Only worker 0 reads; the others write through the shared descriptor.
    let (reader, _writer) = if w == 0 {
        match tokio::net::UdpSocket::from_std(socket) {
            Ok(s) => (Some(s), None),
            Err(e) => {
                tracing::error!(error = %e, "media socket cannot be registered");
                return;
            }
        }
    } else {
        // This worker's copy of the descriptor, closed when it stops.
        (None, Some(socket))
    };
    let mut router = Router::new(shell.others.len());
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let next = core.poll_timeout();
        tokio::select! {
            r = readable(reader.as_ref()) => {
                let Some(sock) = reader.as_ref() else { continue };
                if r.is_err() {
                    continue;
                }
                for _ in 0..READ_BATCH {
                    match sock.try_recv_from(&mut buf) {
                        Ok((n, src)) => {
                            let now = Instant::now();
                            let to = router.route(src, &buf[..n], now);
                            if to == 0 {
                                core.handle_datagram(now, src, &buf[..n]);
                                shell.flush(&mut core);
                            } else {
                                shell.hand_on(to, Inbox::Datagram(src, buf[..n].to_vec()));
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                        Err(e) => {
                            tracing::debug!(error = %e, "udp receive error");
                            break;
                        }
                    }
                }
            }
            m = rx.recv() => {
                let Some(m) = m else { break };
                shell.handle(&mut core, m);
                for _ in 0..INBOX_BATCH {
                    match rx.try_recv() {
                        Ok(m) => shell.handle(&mut core, m),
                        Err(_) => break,
                    }
                }
            }
            _ = sleep_until(next) => {
                core.handle_timeout(Instant::now());
                shell.flush(&mut core);
            }
        }
    }
    tracing::info!(worker = w, "media worker stopped");
}

async fn readable(s: Option<&tokio::net::UdpSocket>) -> std::io::Result<()> {
    match s {
        Some(s) => s.readable().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}

impl Shell {
    fn handle(&mut self, core: &mut Core, m: Inbox) {
        let now = Instant::now();
        match m {
            Inbox::Cmd(cmd) => core.handle_command(now, cmd),
            Inbox::Relay(r) => core.handle_relay(now, r),
            Inbox::Datagram(src, bytes) => core.handle_datagram(now, src, &bytes),
        }
        self.flush(core);
    }

    /// Sends what the core queued, hands its relays on and routes its events (after every
    /// input, so no queue grows beyond one input's worth).
    fn flush(&mut self, core: &mut Core) {
        self.batch.send_all(self.fd, core);
        while let Some((w, r)) = core.poll_relay() {
            if w == self.worker {
                core.handle_relay(Instant::now(), r);
                self.batch.send_all(self.fd, core);
            } else {
                self.hand_on(w, Inbox::Relay(r));
            }
        }
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

    /// Puts a message in another worker's inbox; one that does not fit now is dropped
    /// (logged), as a datagram would be.
    fn hand_on(&mut self, w: usize, m: Inbox) {
        let ok = self
            .others
            .get(w)
            .and_then(|s| s.upgrade())
            .is_some_and(|s| s.try_send(m).is_ok());
        if !ok {
            self.relays_dropped += 1;
            if self.relays_dropped.is_power_of_two() {
                tracing::warn!(
                    from = self.worker,
                    to = w,
                    dropped = self.relays_dropped,
                    "media worker inbox full: message dropped"
                );
            }
        }
    }
}

/// Worker 0's table of which worker each remote address belongs to.
struct Router {
    workers: usize,
    by_addr: HashMap<SocketAddr, (usize, Instant)>,
    last_sweep: Option<Instant>,
}

impl Router {
    fn new(workers: usize) -> Router {
        Router {
            workers,
            by_addr: HashMap::new(),
            last_sweep: None,
        }
    }

    /// The worker a datagram from `src` goes to (0 for one nobody knows: its core counts it
    /// as dropped, as with one worker).
    fn route(&mut self, src: SocketAddr, data: &[u8], now: Instant) -> usize {
        if self.workers == 1 {
            return 0;
        }
        if self
            .last_sweep
            .is_none_or(|t| now.duration_since(t) > ROUTE_IDLE)
        {
            self.by_addr
                .retain(|_, (_, seen)| now.duration_since(*seen) <= ROUTE_IDLE);
            self.last_sweep = Some(now);
        }
        // RFC 7983: a first byte of 0..=3 is STUN. A check names its worker; it also moves
        // an address that a new peer on another worker reuses.
        if data.first().is_some_and(|b| *b < 4) {
            if let Some(w) = stun_worker(data, self.workers) {
                self.by_addr.insert(src, (w, now));
                return w;
            }
        }
        match self.by_addr.get_mut(&src) {
            Some((w, seen)) => {
                *seen = now;
                *w
            }
            None => 0,
        }
    }
}

/// The worker named by the ufrag a STUN check is addressed to (`NN` + str0m's ufrag).
fn stun_worker(data: &[u8], workers: usize) -> Option<usize> {
    let m = StunMessage::parse(data).ok()?;
    let (local, _) = m.split_username()?;
    let w: usize = local.get(..2)?.parse().ok()?;
    (w < workers).then_some(w)
}

/// Asks for [`SOCKET_BUFFER`] of send and receive buffer (best effort, logged).
fn set_buffers(fd: RawFd) {
    for (opt, name) in [(libc::SO_SNDBUF, "send"), (libc::SO_RCVBUF, "receive")] {
        let v = SOCKET_BUFFER as libc::c_int;
        // SAFETY: a valid descriptor and a c_int option value of the size given.
        let r = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                opt,
                (&v as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if r != 0 {
            tracing::warn!(buffer = name, error = %std::io::Error::last_os_error(), "cannot size the media socket's buffer");
        }
    }
}

/// The arrays of one `sendmmsg` call, kept between calls (no allocation per datagram here;
/// each datagram's bytes are the buffer str0m encrypted into).
#[derive(Default)]
struct Batch {
    datagrams: Vec<crate::core::Transmit>,
    addrs: Vec<libc::sockaddr_storage>,
    iovs: Vec<libc::iovec>,
    hdrs: Vec<libc::mmsghdr>,
}

impl Batch {
    /// Writes every datagram the core has queued, [`SEND_BATCH`] per system call. A datagram
    /// the socket does not take now is dropped (counted), as UDP would.
    fn send_all(&mut self, fd: RawFd, core: &mut Core) {
        loop {
            self.datagrams.clear();
            while self.datagrams.len() < SEND_BATCH {
                match core.poll_transmit() {
                    Some(t) => self.datagrams.push(t),
                    None => break,
                }
            }
            if self.datagrams.is_empty() {
                return;
            }
            let failed = self.send(fd);
            for _ in 0..failed {
                core.send_failed();
            }
        }
    }

    /// Sends `self.datagrams`; how many were not sent.
    fn send(&mut self, fd: RawFd) -> usize {
        let n = self.datagrams.len();
        // SAFETY (zeroed): plain C structs for which all-zero is a valid value.
        self.addrs
            .resize(n, unsafe { std::mem::zeroed::<libc::sockaddr_storage>() });
        self.iovs.resize(
            n,
            libc::iovec {
                iov_base: std::ptr::null_mut(),
                iov_len: 0,
            },
        );
        self.hdrs
            .resize(n, unsafe { std::mem::zeroed::<libc::mmsghdr>() });
        for i in 0..n {
            let d = &mut self.datagrams[i];
            let len = write_sockaddr(&d.destination, &mut self.addrs[i]);
            self.iovs[i] = libc::iovec {
                iov_base: d.contents.as_mut_ptr().cast(),
                iov_len: d.contents.len(),
            };
            let h = &mut self.hdrs[i].msg_hdr;
            h.msg_name = (&mut self.addrs[i] as *mut libc::sockaddr_storage).cast();
            h.msg_namelen = len;
            h.msg_iov = &mut self.iovs[i];
            h.msg_iovlen = 1;
            h.msg_control = std::ptr::null_mut();
            h.msg_controllen = 0;
            h.msg_flags = 0;
        }
        let mut failed = 0;
        let mut off = 0;
        while off < n {
            // SAFETY: hdrs[off..n] point at live iovecs and addresses, which point at the
            // datagrams' buffers; none of them moves until the call returns.
            let r = unsafe {
                libc::sendmmsg(
                    fd,
                    self.hdrs[off..].as_mut_ptr(),
                    (n - off) as libc::c_uint,
                    0,
                )
            };
            if r > 0 {
                off += r as usize;
                continue;
            }
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            // The datagram at `off` was refused (buffer full, unreachable...): drop it, go on.
            tracing::trace!(error = %e, "sendmmsg refused a datagram");
            failed += 1;
            off += 1;
        }
        failed
    }
}

/// Writes `a` as a C socket address; its length.
fn write_sockaddr(a: &SocketAddr, out: &mut libc::sockaddr_storage) -> libc::socklen_t {
    match a {
        SocketAddr::V4(v4) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: v4.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(v4.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { std::ptr::write((out as *mut libc::sockaddr_storage).cast(), sin) };
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t
        }
        SocketAddr::V6(v6) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: v6.port().to_be(),
                sin6_flowinfo: v6.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: v6.ip().octets(),
                },
                sin6_scope_id: v6.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            unsafe { std::ptr::write((out as *mut libc::sockaddr_storage).cast(), sin6) };
            std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t
        }
    }
}
