//! The Liveroom SFU: WebRTC peers on str0m (ICE-lite, DTLS-SRTP, RTP mode) sharing one UDP
//! port, forwarding RTP from each stream's publisher to its players.
//!
//! Signalling code talks to the SFU through an [`SfuHandle`] (commands in, [`SfuCmd`]) and a
//! per-peer channel of [`PeerEvent`]s (events out). Behind the handle, two pieces:
//!
//! - **The core** (`core.rs`, `core/`): every peer, stream, tap and injected source, without
//!   I/O. Datagrams, commands and timeouts go in with the time they happened; datagrams to
//!   send, peers' events and its next deadline come out. It demultiplexes datagrams by ICE
//!   ufrag and then by remote address, drives each str0m `Rtc` (which takes `now` too) and
//!   forwards packets. Its unit tests drive it with a fake clock against real str0m clients.
//! - **The shell** (`worker.rs`): one thread per worker (`SfuConfig::workers`, one per CPU
//!   core by default), each with its own core, clock and inbox, sharing the one UDP socket:
//!   worker 0 reads it and hands each datagram to the worker of its peer; every worker writes
//!   its own datagrams with batched `sendmmsg`, routes its events to the peers' channels and
//!   sleeps until its deadline. A stream lives on one worker (a hash of its key); a big
//!   stream's players are spread over all of them (`core/mirrors.rs`).
//!
//! Beside them, what the core is built from: `peer.rs` (one peer's state), `forward.rs`
//! (per-player rewriting and the cached group of pictures), `internal.rs` (taps and injected
//! sources), `keyframe.rs`, `nominate.rs` (early ICE nomination), `offer.rs` (players' offers
//! prepared for str0m) and `codecs.rs` (what the SFU negotiates).

#![warn(missing_docs)]

mod codecs;
mod core;
mod forward;
mod internal;
mod keyframe;
mod nominate;
mod offer;
mod peer;
mod worker;

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot};

pub use internal::{
    InjectId, InjectPacket, InjectTracks, MediaCodec, SourceKinds, TapId, TapPacket, TAP_QUEUE,
};
pub use keyframe::is_keyframe_start;

/// Why the SFU refused a peer or an injected source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// The worker task is gone (the server is shutting down).
    #[error("media worker stopped")]
    WorkerStopped,
    /// A publisher for a stream that is published from inside the server (a mix output).
    #[error("the stream is published inside the server")]
    PublishedInside,
    /// A publisher for a stream another user publishes.
    #[error("the stream is published by another user")]
    StreamTaken,
    /// An injected source for a stream that already has a source.
    #[error("stream {0} is already published")]
    AlreadyPublished(String),
    /// The client's SDP offer does not parse.
    #[error("bad offer: {0}")]
    BadOffer(String),
    /// An advertised address cannot be made an ICE candidate.
    #[error("candidate {addr}: {reason}")]
    Candidate {
        /// The address.
        addr: SocketAddr,
        /// What str0m said.
        reason: String,
    },
    /// The offer parses but cannot be answered (e.g. no codec in common).
    #[error("cannot answer offer: {0}")]
    Answer(String),
    /// An injected source's codec is not among the SFU's codecs.
    #[error("codec {0:?} is not negotiated")]
    CodecNotNegotiated(MediaCodec),
}

/// Commands queued to the worker before senders wait.
pub const SFU_INBOX: usize = 4096;
/// Events queued per peer towards its signalling session; beyond it events are dropped (logged).
pub const PEER_EVENTS: usize = 256;

/// A stream of an app: what publishers and players meet on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StreamKey {
    /// The app the stream belongs to.
    pub appid: u64,
    /// The stream id.
    pub stream_id: String,
}

/// What a peer does with its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Sends the stream.
    Publish,
    /// Receives the stream.
    Play,
}

/// The worker's id of a peer.
pub type PeerId = u64;

/// Camera and microphone status of a published stream (0 on, 2 off, as on the wire).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AvStatus {
    /// Camera status: 0 on, 2 off.
    pub camera: u32,
    /// Microphone status: 0 on, 2 off.
    pub mic: u32,
}

/// What the worker tells a peer's signalling session.
#[derive(Debug, Clone, PartialEq)]
pub enum PeerEvent {
    /// ICE and DTLS are up.
    Connected(PeerId),
    /// ICE lost the peer after it had connected (the client notices too and may retry).
    Disconnected(PeerId),
    /// The server dropped the peer: it never connected in time, or its connection died.
    Closed(PeerId),
    /// For players: the publisher's camera/mic status (at once when known, then on change).
    StreamStatus(PeerId, AvStatus),
}

/// A peer created from an offer.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The new peer's id.
    pub peer: PeerId,
    /// The SDP answer for the client.
    pub answer: String,
    /// `candidate:...` lines of the server (also in the answer).
    pub candidates: Vec<String>,
}

/// Counters for benchmarks and metrics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SfuStats {
    /// Peers the worker has.
    pub peers: usize,
    /// Of which publishers.
    pub publishers: usize,
    /// Of which players.
    pub players: usize,
    /// UDP datagrams received.
    pub rx_packets: u64,
    /// UDP bytes received.
    pub rx_bytes: u64,
    /// UDP datagrams sent.
    pub tx_packets: u64,
    /// UDP bytes sent.
    pub tx_bytes: u64,
    /// RTP packets written to players.
    pub forwarded_rtp: u64,
    /// Key-frame requests sent to sources (after rate limiting).
    pub keyframe_requests: u64,
    /// Players that got a cached group of pictures when they connected.
    pub gop_replays: u64,
    /// Datagrams dropped: unknown sender, unparsable or refused by the peer.
    pub dropped_datagrams: u64,
    /// Internal consumers of streams (live outputs, mix inputs).
    pub taps: usize,
    /// Streams published from inside the server (mix outputs).
    pub injected: usize,
}

/// How a stream is used on this server now ([`SfuHandle::usage`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamUsage {
    /// A peer publishes it here.
    pub published: bool,
    /// A source inside the server publishes it (a mix output, a stream piped from another node).
    pub injected: bool,
    /// Its players and taps here (a worker holding some of its players counts once).
    pub consumers: usize,
}

/// Looks for a stream that has no source on this server elsewhere (a cluster's other nodes,
/// which pipe it here as an injected source): called with the stream's key, it resolves true
/// once the stream has a source here.
pub type RemoteSources =
    Arc<dyn Fn(StreamKey) -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// Commands to the worker (what [`SfuHandle`]'s methods send).
pub enum SfuCmd {
    /// Creates a peer from an offer; see [`SfuHandle::open`].
    Open {
        /// The stream.
        key: StreamKey,
        /// Publish or play.
        role: Role,
        /// The user (id_name) the peer belongs to.
        owner: String,
        /// The client's SDP offer.
        offer: String,
        /// Where the peer's events go.
        events: mpsc::Sender<PeerEvent>,
        /// The answer, or why the peer could not be made.
        reply: oneshot::Sender<Result<Opened, MediaError>>,
    },
    /// Drops a peer.
    Close {
        /// The peer.
        peer: PeerId,
    },
    /// A publisher's camera/mic status changed.
    SetStatus {
        /// The publisher's peer.
        peer: PeerId,
        /// Its new status.
        status: AvStatus,
    },
    /// Reads the counters.
    Stats {
        /// Where they go.
        reply: oneshot::Sender<SfuStats>,
    },
    /// Starts copying a stream's packets to `tx` (from its cached key frame on).
    Tap {
        /// The stream.
        key: StreamKey,
        /// Where its packets go.
        tx: mpsc::Sender<TapPacket>,
        /// The tap's id and the kinds of track the source negotiated.
        reply: oneshot::Sender<(TapId, SourceKinds)>,
    },
    /// Stops a tap.
    Untap {
        /// The stream tapped.
        key: StreamKey,
        /// The tap's id.
        id: TapId,
    },
    /// Publishes a stream from inside the server; key-frame requests of its players and taps
    /// arrive on `keyframes`.
    Inject {
        /// The stream to publish.
        key: StreamKey,
        /// The tracks it has.
        tracks: InjectTracks,
        /// Where key-frame requests go.
        keyframes: mpsc::Sender<()>,
        /// The source's id, or why it cannot publish.
        reply: oneshot::Sender<Result<InjectId, MediaError>>,
    },
    /// One packet of an injected source.
    InjectRtp {
        /// The source's id.
        id: InjectId,
        /// The packet.
        pkt: InjectPacket,
    },
    /// Stops an injected source.
    Uninject {
        /// The source's id.
        id: InjectId,
    },
    /// Asks a stream's source for a key frame (outputs that cut segments at key frames).
    RequestKeyframe {
        /// The stream.
        key: StreamKey,
    },
    /// Whether a stream has a source now (a publishing peer or an injected source).
    Published {
        /// The stream.
        key: StreamKey,
        /// The answer.
        reply: oneshot::Sender<bool>,
    },
    /// How a stream is used now.
    Usage {
        /// The stream.
        key: StreamKey,
        /// The answer.
        reply: oneshot::Sender<StreamUsage>,
    },
}

/// Where the SFU listens and what it tells peers.
#[derive(Debug, Clone)]
pub struct SfuConfig {
    /// UDP address to bind.
    pub listen: SocketAddr,
    /// Addresses put in ICE candidates; empty = the bound address (which must then be a
    /// specific IP, not 0.0.0.0).
    pub advertise: Vec<std::net::IpAddr>,
    /// A peer that is not connected this long after its creation is dropped.
    pub connect_timeout: std::time::Duration,
    /// Media worker threads, each with its own core; 0 = one per available CPU core (at most
    /// [`MAX_WORKERS`]).
    pub workers: usize,
}

pub use crate::core::{MAX_WORKERS, PLAYERS_BEFORE_SPREAD};

/// Talks to the workers; cheap to clone. Commands about a stream go to its home worker,
/// commands about a peer, tap or injected source to the worker its id names.
#[derive(Clone)]
pub struct SfuHandle {
    workers: std::sync::Arc<[mpsc::Sender<worker::Inbox>]>,
    /// The bound UDP address.
    pub addr: SocketAddr,
    /// Where streams without a source here are looked for (set once, by a cluster).
    remote: Arc<OnceLock<RemoteSources>>,
}

impl SfuHandle {
    /// Creates a peer of user `owner` for `key` from the client's offer; answers the SDP
    /// answer. A stream's publisher is replaced only by a publisher of the same owner.
    pub async fn open(
        &self,
        key: StreamKey,
        role: Role,
        owner: &str,
        offer: String,
        events: mpsc::Sender<PeerEvent>,
    ) -> Result<Opened, MediaError> {
        let (reply, rx) = oneshot::channel();
        let wanted = (role == Role::Play).then(|| key.clone());
        self.to_stream(&key)
            .send(worker::Inbox::Cmd(SfuCmd::Open {
                key,
                role,
                owner: owner.to_string(),
                offer,
                events,
                reply,
            }))
            .await
            .map_err(|_| MediaError::WorkerStopped)?;
        let opened = rx.await.map_err(|_| MediaError::WorkerStopped)??;
        if let Some(key) = wanted {
            self.look_elsewhere(key).await;
        }
        Ok(opened)
    }

    /// Sets where streams without a source here are looked for (once; later calls are ignored).
    pub fn set_remote_sources(&self, remote: RemoteSources) {
        let _ = self.remote.set(remote);
    }

    /// A player or tap of `key` came: when the stream has no source here, the remote sources
    /// are asked for it in the background (the consumer gets it once it is piped here).
    async fn look_elsewhere(&self, key: StreamKey) {
        let Some(remote) = self.remote.get() else {
            return;
        };
        let u = self.usage(key.clone()).await;
        if !u.published && !u.injected {
            tokio::spawn(remote(key));
        }
    }

    /// How a stream is used on this server now (nothing, if the worker is gone).
    pub async fn usage(&self, key: StreamKey) -> StreamUsage {
        let (reply, rx) = oneshot::channel();
        if self
            .to_stream(&key)
            .send(worker::Inbox::Cmd(SfuCmd::Usage { key, reply }))
            .await
            .is_err()
        {
            return StreamUsage::default();
        }
        rx.await.unwrap_or_default()
    }

    /// Drops a peer.
    pub async fn close(&self, peer: PeerId) {
        let _ = self
            .to_id(peer)
            .send(worker::Inbox::Cmd(SfuCmd::Close { peer }))
            .await;
    }

    /// Sets a publisher's camera/mic status (passed on to its players).
    pub async fn set_status(&self, peer: PeerId, status: AvStatus) {
        let _ = self
            .to_id(peer)
            .send(worker::Inbox::Cmd(SfuCmd::SetStatus { peer, status }))
            .await;
    }

    /// Copies a stream's packets to a new channel (whether or not it is published yet).
    /// Taps a stream: its packets, and the kinds of track its source negotiated. A stream
    /// without a source here is looked for elsewhere ([`SfuHandle::set_remote_sources`]).
    pub async fn tap(
        &self,
        key: StreamKey,
    ) -> Option<(TapId, mpsc::Receiver<TapPacket>, SourceKinds)> {
        let tapped = self.tap_here(key.clone()).await?;
        self.look_elsewhere(key).await;
        Some(tapped)
    }

    /// [`SfuHandle::tap`] that never looks elsewhere (what pipes a stream to another node taps:
    /// two nodes must not end up piping a stream to each other).
    pub async fn tap_here(
        &self,
        key: StreamKey,
    ) -> Option<(TapId, mpsc::Receiver<TapPacket>, SourceKinds)> {
        let (tx, rx) = mpsc::channel(TAP_QUEUE);
        let (reply, r) = oneshot::channel();
        self.to_stream(&key)
            .send(worker::Inbox::Cmd(SfuCmd::Tap { key, tx, reply }))
            .await
            .ok()?;
        let (id, kinds) = r.await.ok()?;
        Some((id, rx, kinds))
    }

    /// Stops a tap.
    pub async fn untap(&self, key: StreamKey, id: TapId) {
        let _ = self
            .to_stream(&key)
            .send(worker::Inbox::Cmd(SfuCmd::Untap { key, id }))
            .await;
    }

    /// Publishes a stream from inside the server; returns its id and the key-frame requests.
    pub async fn inject(
        &self,
        key: StreamKey,
        tracks: InjectTracks,
    ) -> Result<(InjectId, mpsc::Receiver<()>), MediaError> {
        let (keyframes, krx) = mpsc::channel(1);
        let (reply, r) = oneshot::channel();
        self.to_stream(&key)
            .send(worker::Inbox::Cmd(SfuCmd::Inject {
                key,
                tracks,
                keyframes,
                reply,
            }))
            .await
            .map_err(|_| MediaError::WorkerStopped)?;
        let id = r.await.map_err(|_| MediaError::WorkerStopped)??;
        Ok((id, krx))
    }

    /// Queues a packet of an injected source; false if the worker's inbox is full (dropped).
    pub fn inject_rtp(&self, id: InjectId, pkt: InjectPacket) -> bool {
        self.to_id(id)
            .try_send(worker::Inbox::Cmd(SfuCmd::InjectRtp { id, pkt }))
            .is_ok()
    }

    /// Stops an injected source.
    pub async fn uninject(&self, id: InjectId) {
        let _ = self
            .to_id(id)
            .send(worker::Inbox::Cmd(SfuCmd::Uninject { id }))
            .await;
    }

    /// Asks a stream's source (publisher or injected) for a key frame; rate limited by the
    /// worker like players' requests.
    pub async fn request_keyframe(&self, key: StreamKey) {
        let _ = self
            .to_stream(&key)
            .send(worker::Inbox::Cmd(SfuCmd::RequestKeyframe { key }))
            .await;
    }

    /// Whether a stream has a source now (false if the worker is gone). A stream without a
    /// source here is looked for elsewhere, which answers once it is here or cannot be.
    pub async fn is_published(&self, key: StreamKey) -> bool {
        if self.is_published_here(key.clone()).await {
            return true;
        }
        match self.remote.get() {
            Some(remote) => remote(key).await,
            None => false,
        }
    }

    /// Whether a stream has a source on this server now.
    pub async fn is_published_here(&self, key: StreamKey) -> bool {
        let (reply, rx) = oneshot::channel();
        if self
            .to_stream(&key)
            .send(worker::Inbox::Cmd(SfuCmd::Published { key, reply }))
            .await
            .is_err()
        {
            return false;
        }
        rx.await.unwrap_or(false)
    }

    /// The counters, summed over the workers (None if a worker is gone).
    pub async fn stats(&self) -> Option<SfuStats> {
        let mut sum = SfuStats::default();
        for w in self.workers.iter() {
            let (reply, rx) = oneshot::channel();
            w.send(worker::Inbox::Cmd(SfuCmd::Stats { reply }))
                .await
                .ok()?;
            sum.add(&rx.await.ok()?);
        }
        Some(sum)
    }

    /// How many media workers run.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    fn to_stream(&self, key: &StreamKey) -> &mpsc::Sender<worker::Inbox> {
        &self.workers[crate::core::home_worker(key, self.workers.len())]
    }

    fn to_id(&self, id: u64) -> &mpsc::Sender<worker::Inbox> {
        &self.workers[crate::core::Core::worker_of(id, self.workers.len())]
    }
}

impl SfuStats {
    /// Adds another worker's counters.
    pub(crate) fn add(&mut self, o: &SfuStats) {
        self.peers += o.peers;
        self.publishers += o.publishers;
        self.players += o.players;
        self.rx_packets += o.rx_packets;
        self.rx_bytes += o.rx_bytes;
        self.tx_packets += o.tx_packets;
        self.tx_bytes += o.tx_bytes;
        self.forwarded_rtp += o.forwarded_rtp;
        self.keyframe_requests += o.keyframe_requests;
        self.gop_replays += o.gop_replays;
        self.dropped_datagrams += o.dropped_datagrams;
        self.taps += o.taps;
        self.injected += o.injected;
    }
}

/// Binds the UDP socket and starts the workers.
pub async fn start(config: SfuConfig) -> std::io::Result<SfuHandle> {
    let socket = std::net::UdpSocket::bind(config.listen)?;
    socket.set_nonblocking(true)?;
    let addr = socket.local_addr()?;
    let advertise = if config.advertise.is_empty() {
        if addr.ip().is_unspecified() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "rtc.listen is a wildcard address: set rtc.public_ips to the addresses clients reach",
            ));
        }
        vec![addr.ip()]
    } else {
        config.advertise.clone()
    };
    let candidates: Vec<SocketAddr> = advertise
        .iter()
        .map(|ip| SocketAddr::new(*ip, addr.port()))
        .collect();
    let n = match config.workers {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(MAX_WORKERS);
    let workers = worker::spawn(socket, addr, candidates, config.connect_timeout, n)?;
    Ok(SfuHandle {
        workers: workers.into(),
        addr,
        remote: Arc::default(),
    })
}
