//! The tokio shell around [`Core`]: one UDP socket and one TCP listener on the same port, a
//! relay UDP socket (and task) per allocation, a once-a-second timer. The core sits behind a
//! std mutex held only while a packet is processed (never across an await).

use crate::core::{
    Client, Conn, Core, CoreConfig, Output, RelayBinder, Stats, DEFAULT_MAX_ALLOCATIONS,
    DEFAULT_MAX_ALLOCATIONS_PER_USER, DEFAULT_MAX_BPS_PER_ALLOCATION,
};
use crate::policy::PeerPolicy;
use crate::stun;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, watch, Notify, Semaphore};
use tokio::task::JoinHandle;

/// TCP client connections served at once; more are closed on accept.
pub const DEFAULT_MAX_TCP_CONNECTIONS: usize = 4096;
/// Frames queued towards one TCP client; more are dropped (media is loss-tolerant).
pub const TCP_OUTBOUND_QUEUE: usize = 256;
/// A TCP connection that has had no allocation for this long is closed.
pub const TCP_IDLE_WITHOUT_ALLOCATION: Duration = Duration::from_secs(30);
/// Peer datagrams up to this size are relayed; larger ones are dropped.
pub const MAX_PEER_DATAGRAM: usize = 4096;
/// How often allocations, permissions and channels are checked for expiry.
pub const TICK: Duration = Duration::from_secs(1);
/// Pause after a socket receive error, so a persistent one cannot spin a core.
const ERROR_PAUSE: Duration = Duration::from_millis(1);
/// The longest a shutdown waits for the relay's tasks.
pub const SHUTDOWN_WAIT: Duration = Duration::from_secs(2);
/// Tries to find a port free for both UDP and TCP when the configured port is 0.
const SAME_PORT_ATTEMPTS: usize = 16;
/// Relay sockets bound while looking for an even port (EVEN-PORT).
const EVEN_PORT_ATTEMPTS: usize = 16;

/// How to run the relay.
#[derive(Debug, Clone)]
pub struct TurnServerConfig {
    /// UDP and TCP listen address (the same port for both); port 0 picks a free port.
    pub listen: SocketAddr,
    /// Relay sockets bind here; `None` = the listen IP.
    pub relay_ip: Option<IpAddr>,
    /// Put in XOR-RELAYED-ADDRESS instead of the relay socket's IP (when that is a wildcard).
    pub advertised_relay_ip: Option<IpAddr>,
    /// The REALM of the long-term credentials.
    pub realm: String,
    /// REST shared secret (coturn `static-auth-secret`).
    pub secret: String,
    /// Which peer addresses may be relayed to.
    pub policy: PeerPolicy,
    /// Allocations on the whole server.
    pub max_allocations: usize,
    /// Allocations of one username.
    pub max_allocations_per_user: usize,
    /// TCP client connections open at once.
    pub max_tcp_connections: usize,
    /// Relayed bits per second per allocation (0 = no limit).
    pub max_bps_per_allocation: u64,
}

impl TurnServerConfig {
    /// Defaults for everything but the address, realm and secret.
    pub fn new(listen: SocketAddr, realm: &str, secret: &str) -> TurnServerConfig {
        TurnServerConfig {
            listen,
            relay_ip: None,
            advertised_relay_ip: None,
            realm: realm.into(),
            secret: secret.into(),
            policy: PeerPolicy::default(),
            max_allocations: DEFAULT_MAX_ALLOCATIONS,
            max_allocations_per_user: DEFAULT_MAX_ALLOCATIONS_PER_USER,
            max_tcp_connections: DEFAULT_MAX_TCP_CONNECTIONS,
            max_bps_per_allocation: DEFAULT_MAX_BPS_PER_ALLOCATION,
        }
    }
}

/// One allocation's relay socket.
struct Relay {
    socket: UdpSocket,
    addr: SocketAddr,
    closed: Notify,
}

type Out = Vec<Output<Arc<Relay>>>;

struct Shared {
    core: Mutex<Core<Arc<Relay>>>,
    udp: UdpSocket,
    tcp_conns: Mutex<HashMap<u64, mpsc::Sender<Vec<u8>>>>,
    next_conn: AtomicU64,
    shutdown: watch::Receiver<bool>,
    /// Relay and TCP connection tasks still running (shutdown waits for them).
    live_tasks: AtomicUsize,
    task_ended: Notify,
}

struct Live(Arc<Shared>);

impl Drop for Live {
    fn drop(&mut self) {
        self.0.live_tasks.fetch_sub(1, Ordering::SeqCst);
        self.0.task_ended.notify_waiters();
    }
}

/// Binds relay sockets while the core is locked; their tasks start after it is released.
#[derive(Default)]
struct Binder {
    created: Vec<Arc<Relay>>,
}

impl RelayBinder<Arc<Relay>> for Binder {
    fn bind(&mut self, ip: IpAddr, even_port: bool) -> io::Result<(SocketAddr, Arc<Relay>)> {
        let mut std_socket = std::net::UdpSocket::bind(SocketAddr::new(ip, 0))?;
        // For EVEN-PORT keep the odd sockets until an even one turns up, so the OS moves on.
        let mut odd = Vec::new();
        while even_port && std_socket.local_addr()?.port() % 2 == 1 {
            if odd.len() >= EVEN_PORT_ATTEMPTS {
                return Err(io::Error::other("no even relay port found"));
            }
            odd.push(std_socket);
            std_socket = std::net::UdpSocket::bind(SocketAddr::new(ip, 0))?;
        }
        drop(odd);
        std_socket.set_nonblocking(true)?;
        let socket = UdpSocket::from_std(std_socket)?;
        let addr = socket.local_addr()?;
        let relay = Arc::new(Relay {
            socket,
            addr,
            closed: Notify::new(),
        });
        self.created.push(relay.clone());
        Ok((addr, relay))
    }
}

impl Shared {
    fn core(&self) -> MutexGuard<'_, Core<Arc<Relay>>> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters more than losing the relay, so keep serving.
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn from_client(self: &Arc<Self>, client: Client, data: &[u8]) {
        let mut out = Vec::new();
        let mut binder = Binder::default();
        self.core()
            .handle_client(Instant::now(), client, data, &mut binder, &mut out);
        for relay in binder.created {
            self.spawn_tracked(relay_task(self.clone(), relay));
        }
        self.dispatch(out).await;
    }

    /// Spawns a task that shutdown waits for (counted until it ends, panics included).
    fn spawn_tracked(
        self: &Arc<Self>,
        task: impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        self.live_tasks.fetch_add(1, Ordering::SeqCst);
        let live = Live(self.clone());
        tokio::spawn(async move {
            let _live = live;
            task.await;
        });
    }

    async fn dispatch(&self, out: Out) {
        for o in out {
            match o {
                Output::ToClient { client, data } => match client.conn {
                    Conn::Udp => {
                        if let Err(e) = self.udp.send_to(&data, client.remote).await {
                            tracing::debug!(error = %e, to = %client.remote, "turn: send to client failed");
                        }
                    }
                    Conn::Tcp(id) => {
                        let tx = self
                            .tcp_conns
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .get(&id)
                            .cloned();
                        if let Some(tx) = tx {
                            // Full queue: the frame is dropped, like a lost datagram.
                            let _ = tx.try_send(data);
                        }
                    }
                },
                Output::ToPeer { relay, peer, data } => {
                    if let Err(e) = relay.socket.send_to(&data, peer).await {
                        tracing::debug!(error = %e, to = %peer, "turn: send to peer failed");
                    }
                }
                Output::Released { relay, .. } => relay.closed.notify_one(),
            }
        }
    }
}

async fn relay_task(shared: Arc<Shared>, relay: Arc<Relay>) {
    let mut buf = vec![0u8; MAX_PEER_DATAGRAM + 1];
    let mut shutdown = shared.shutdown.clone();
    loop {
        tokio::select! {
            _ = relay.closed.notified() => break,
            _ = shutdown.changed() => break,
            r = relay.socket.recv_from(&mut buf) => match r {
                // A datagram that filled the buffer may have been cut: drop it.
                Ok((n, _)) if n > MAX_PEER_DATAGRAM => {}
                Ok((n, peer)) => {
                    let mut out = Vec::new();
                    shared.core().handle_peer(Instant::now(), relay.addr, peer, &buf[..n], &mut out);
                    shared.dispatch(out).await;
                }
                // ICMP errors reported on the socket; keep serving (without spinning).
                Err(_) => tokio::time::sleep(ERROR_PAUSE).await,
            },
        }
    }
}

async fn udp_task(shared: Arc<Shared>) {
    let mut buf = vec![0u8; stun::MAX_MESSAGE_LEN];
    let mut shutdown = shared.shutdown.clone();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            r = shared.udp.recv_from(&mut buf) => match r {
                Ok((n, from)) => {
                    let client = Client { remote: from, conn: Conn::Udp };
                    shared.from_client(client, &buf[..n]).await;
                }
                Err(e) => {
                    tracing::debug!(error = %e, "turn: udp receive error");
                    tokio::time::sleep(ERROR_PAUSE).await;
                }
            },
        }
    }
}

async fn tcp_accept_task(shared: Arc<Shared>, listener: TcpListener, max: usize) {
    let slots = Arc::new(Semaphore::new(max));
    let mut shutdown = shared.shutdown.clone();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            r = listener.accept() => match r {
                Ok((stream, remote)) => {
                    let Ok(permit) = slots.clone().try_acquire_owned() else {
                        tracing::warn!(%remote, "turn: too many TCP connections; closing a new one");
                        continue;
                    };
                    let conn = tcp_conn(shared.clone(), stream, remote);
                    shared.spawn_tracked(async move {
                        conn.await;
                        drop(permit);
                    });
                }
                Err(e) => {
                    tracing::debug!(error = %e, "turn: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
}

async fn tcp_conn(shared: Arc<Shared>, stream: TcpStream, remote: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    let client = Client {
        remote,
        conn: Conn::Tcp(id),
    };
    let (mut rd, mut wr) = stream.into_split();
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(TCP_OUTBOUND_QUEUE);
    shared
        .tcp_conns
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, tx);
    let writer = tokio::spawn(async move {
        while let Some(frame) = rx.recv().await {
            if wr.write_all(&frame).await.is_err() {
                break;
            }
        }
        let _ = wr.shutdown().await;
    });
    let mut shutdown = shared.shutdown.clone();
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut chunk = vec![0u8; 8192];
    let mut idle_since = Instant::now();
    'conn: loop {
        // Hand every complete frame to the core.
        loop {
            match stun::frame_len(&buf) {
                Ok(Some(len)) if buf.len() >= len => {
                    let frame: Vec<u8> = buf.drain(..len).collect();
                    shared.from_client(client, &frame).await;
                }
                Ok(_) => break,
                Err(_) => {
                    tracing::debug!(%remote, "turn: TCP stream is not STUN/ChannelData; closing");
                    break 'conn;
                }
            }
        }
        tokio::select! {
            _ = shutdown.changed() => break,
            r = tokio::time::timeout(TCP_IDLE_WITHOUT_ALLOCATION, rd.read(&mut chunk)) => match r {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
                Err(_) => {
                    if shared.core().has_allocation(&client) {
                        idle_since = Instant::now();
                    } else if idle_since.elapsed() >= TCP_IDLE_WITHOUT_ALLOCATION {
                        break;
                    }
                }
            },
        }
    }
    shared
        .tcp_conns
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&id);
    let mut out = Vec::new();
    shared.core().client_closed(client, &mut out);
    shared.dispatch(out).await;
    let _ = writer.await;
}

async fn timer_task(shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.clone();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = tick.tick() => {
                let mut out = Vec::new();
                shared.core().handle_timeout(Instant::now(), &mut out);
                shared.dispatch(out).await;
            }
        }
    }
}

/// A cheap handle on a running relay, for the rest of the server. It does not keep the relay
/// alive: once the relay is shut down its methods do nothing (and count 0).
#[derive(Clone)]
pub struct TurnHandle {
    shared: Weak<Shared>,
}

impl std::fmt::Debug for TurnHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let addr = self.shared.upgrade().and_then(|s| s.udp.local_addr().ok());
        f.debug_struct("TurnHandle").field("addr", &addr).finish()
    }
}

impl TurnHandle {
    /// Always lets the relay send to `ip` (e.g. the SFU's own address on a private network).
    pub fn allow_peer_ip(&self, ip: IpAddr) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        let mut core = shared.core();
        let policy = core.policy_mut();
        if !policy.allowed_ips.contains(&ip) {
            policy.allowed_ips.push(ip);
        }
    }

    /// Lets the relay send to `addr` (that port only) even if its IP is loopback or private:
    /// the SFU's own socket.
    pub fn allow_peer(&self, addr: SocketAddr) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        let mut core = shared.core();
        let policy = core.policy_mut();
        if !policy.allowed_addrs.contains(&addr) {
            policy.allowed_addrs.push(addr);
        }
    }

    /// Allocations alive (0 once the relay is shut down).
    pub fn allocation_count(&self) -> usize {
        self.shared
            .upgrade()
            .map_or(0, |s| s.core().allocation_count())
    }

    /// The counters (zero once the relay is shut down).
    pub fn stats(&self) -> Stats {
        self.shared
            .upgrade()
            .map_or(Stats::default(), |s| s.core().stats())
    }
}

/// A running TURN relay.
pub struct TurnServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown_tx: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl TurnServer {
    /// Binds UDP and TCP on the same port and starts serving.
    pub async fn start(cfg: TurnServerConfig) -> io::Result<TurnServer> {
        let (udp, tcp) = bind_same_port(cfg.listen).await?;
        let addr = udp.local_addr()?;
        let relay_ip = cfg.relay_ip.unwrap_or(cfg.listen.ip());
        let now = Instant::now();
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let core = Core::new(
            CoreConfig {
                realm: cfg.realm.clone(),
                secret: cfg.secret.clone(),
                relay_ip,
                advertised_relay_ip: cfg.advertised_relay_ip,
                policy: cfg.policy.clone(),
                max_allocations: cfg.max_allocations,
                max_allocations_per_user: cfg.max_allocations_per_user,
                max_bps_per_allocation: cfg.max_bps_per_allocation,
                nonce_key: random_key(),
            },
            now,
            unix,
        );
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            core: Mutex::new(core),
            udp,
            tcp_conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(1),
            shutdown: shutdown_rx,
            live_tasks: AtomicUsize::new(0),
            task_ended: Notify::new(),
        });
        let tasks = vec![
            tokio::spawn(udp_task(shared.clone())),
            tokio::spawn(tcp_accept_task(
                shared.clone(),
                tcp,
                cfg.max_tcp_connections.max(1),
            )),
            tokio::spawn(timer_task(shared.clone())),
        ];
        tracing::info!(%addr, %relay_ip, realm = %cfg.realm, "turn relay listening (udp and tcp)");
        Ok(TurnServer {
            addr,
            shared,
            shutdown_tx,
            tasks,
        })
    }

    /// The bound address (UDP and TCP).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle that does not keep the relay alive.
    pub fn handle(&self) -> TurnHandle {
        TurnHandle {
            shared: Arc::downgrade(&self.shared),
        }
    }

    /// Stops serving, releases every allocation and closes every socket (waiting up to
    /// [`SHUTDOWN_WAIT`] for the tasks to end).
    pub async fn shutdown(self) {
        let _ = self.shutdown_tx.send(true);
        let deadline = tokio::time::Instant::now() + SHUTDOWN_WAIT;
        for t in self.tasks {
            let _ = tokio::time::timeout_at(deadline, t).await;
        }
        loop {
            let ended = self.shared.task_ended.notified();
            if self.shared.live_tasks.load(Ordering::SeqCst) == 0 {
                break;
            }
            if tokio::time::timeout_at(deadline, ended).await.is_err() {
                tracing::warn!("turn: relay tasks still running after the shutdown wait");
                break;
            }
        }
        let mut out = Vec::new();
        self.shared.core().clear(&mut out);
        self.shared.dispatch(out).await;
        // The last strong reference: the sockets close here (handles are weak).
    }
}

async fn bind_same_port(listen: SocketAddr) -> io::Result<(UdpSocket, TcpListener)> {
    let mut last_err = None;
    for _ in 0..SAME_PORT_ATTEMPTS {
        let udp = UdpSocket::bind(listen).await?;
        let addr = udp.local_addr()?;
        match TcpListener::bind(addr).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) if listen.port() == 0 => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::other("no port free for both UDP and TCP")))
}

/// 16 random bytes from the std hasher's per-process random keys (no extra dependency).
fn random_key() -> [u8; 16] {
    let mut key = [0u8; 16];
    for (i, chunk) in key.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(i);
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        chunk.copy_from_slice(&h.finish().to_be_bytes());
    }
    key
}
