//! The `liveroom` server: configuration, the HTTP/WebSocket edge, login and tokens, the room
//! registry and actors. `start` binds and runs it, so tests start real servers on port 0.

// Folders by concern (rustfmt sorts them here). Their import order, lowest first, is the
// LAYERS list in tests/integration/layers.rs, which fails on an import of a higher layer
// (docs/architecture.md shows the tree; CONTRIBUTING.md says where a change goes).
pub mod biz;
pub mod cluster;
pub mod config;
pub mod crypto;
pub mod edge;
pub mod error;
pub mod integrations;
pub mod live;
pub mod media;
pub mod metrics;
pub mod ops;
pub mod rooms;
pub mod routes;
pub mod signalling;
pub mod sync;

use config::apps::Apps;
use config::Config;
pub use error::StartError;
use integrations::business::BusinessClient;
use metrics::Metrics;
use ops::log_collector::LogCollector;
use rooms::registry::Hub;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// What every connection handler shares.
pub struct AppState {
    pub config: Config,
    pub apps: Apps,
    pub hub: Arc<Hub>,
    pub business: BusinessClient,
    pub log_collector: Option<Arc<LogCollector>>,
    /// Flips to true at shutdown; sessions close their sockets (clients log in again later).
    pub shutdown: watch::Receiver<bool>,
    pub draining: AtomicBool,
    /// Notified by the admin API's drain (`POST /admin/v1/nodes/{id}/drain`): the binary then
    /// shuts the node down as on SIGTERM.
    pub drain_requested: tokio::sync::Notify,
    /// The SFU, unless media is off (`rtc.listen = ""`).
    pub sfu: Option<liveroom_media::SfuHandle>,
    /// TURN/STUN servers handed to media sessions.
    pub turn: Option<media::turn::TurnService>,
    /// HTTP-FLV and HLS outputs (off unless `live` is built and enabled and media is on).
    pub outputs: live::routes::Outputs,
    /// RTMP relay (`publishTarget`, `cdnUrl`).
    pub relay: biz::rtmp_push::Relay,
    /// Server-side mixes (`biz_channel` zeus).
    pub mixes: Arc<biz::mix::Mixes>,
    /// Login limits shared by every connection: per source IP and per app.
    pub login_limits: signalling::rate_limits::LoginLimits,
    /// Open room and media connections per source address (`session.max_connections_per_ip`).
    pub address_caps: Arc<signalling::address_caps::AddressCaps>,
    /// HTTP requests per source address (`http.rate_limit_per_ip_per_sec`).
    pub http_limits: signalling::rate_limits::KeyedLimiter<std::net::IpAddr>,
    /// This node: its id and advertised addresses (`GET /admin/v1/nodes`).
    pub node: cluster::node::NodeInfo,
    /// The cluster through Redis (`cluster.redis_url`), unless this node is alone.
    pub cluster: Option<Arc<cluster::Cluster>>,
    /// Streams piped here from the nodes they are published to (a cluster with media).
    pub pipes: Option<Arc<cluster::pipes::Pipes>>,
}

impl AppState {
    /// TURN/STUN servers and fresh credentials for `user`'s media session (None: no TURN).
    pub fn turn_grant(&self, user: &str) -> Option<media::turn::TurnGrant> {
        let now_secs = self.hub.clock.now().unix_ms / 1000;
        Some(self.turn.as_ref()?.grant(user, now_secs))
    }
}

/// A running server.
pub struct Server {
    pub http_addr: SocketAddr,
    /// Whether the HTTP listener serves https/wss (`http.tls_cert`).
    pub tls: bool,
    /// The Prometheus listener (`metrics.listen`), unless off.
    pub metrics_addr: Option<SocketAddr>,
    /// The media UDP socket, unless media is off.
    pub rtc_addr: Option<SocketAddr>,
    /// The embedded TURN relay's address (UDP and TCP), unless it is off or external.
    pub turn_addr: Option<SocketAddr>,
    turn_server: Option<liveroom_turn::TurnServer>,
    pub state: Arc<AppState>,
    shutdown_tx: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    metrics_task: Option<tokio::task::JoinHandle<()>>,
}

pub fn room_settings(c: &Config) -> liveroom_room::Settings {
    liveroom_room::Settings {
        heartbeat_interval_ms: c.room.heartbeat_interval_ms,
        session_timeout_ms: c.room.session_timeout_ms,
        reconnect_grace_ms: c.room.reconnect_grace_ms,
        bigim_time_window_ms: c.room.bigim_time_window_ms,
        dati_time_window_ms: c.room.dati_time_window_ms,
        max_users: c.room.max_users_per_room,
        log_level: c.remote_log.level,
        log_url: c.remote_log.url.clone(),
        cluster_name: "liveroom".into(),
        // Set by `start`, which knows the listener's address.
        live_urls: None,
    }
}

/// Binds every listener and starts serving.
pub async fn start(config: Config) -> Result<Server, StartError> {
    let listener = TcpListener::bind(&config.http.listen)
        .await
        .map_err(|source| StartError::HttpBind {
            addr: config.http.listen.clone(),
            source,
        })?;
    let http_addr = listener.local_addr().map_err(StartError::LocalAddr)?;
    edge::websocket::limit_send_buffer(&listener);
    let tls = if config.http.tls_cert.is_empty() {
        None
    } else {
        Some(edge::tls::server_config(
            &config.http.tls_cert,
            &config.http.tls_key,
        )?)
    };
    let metrics = Arc::new(Metrics::new());
    let metrics_listener = if config.metrics.listen.is_empty() {
        None
    } else {
        let addr = &config.metrics.listen;
        Some(
            TcpListener::bind(addr)
                .await
                .map_err(|source| StartError::MetricsBind {
                    addr: addr.clone(),
                    source,
                })?,
        )
    };
    let metrics_addr = match &metrics_listener {
        Some(l) => Some(l.local_addr().map_err(StartError::LocalAddr)?),
        None => None,
    };
    let log_collector = match config.log_collector_dir() {
        Some(dir) => Some(Arc::new(
            LogCollector::new(
                dir.clone(),
                config.log_collector.max_file_bytes,
                config.log_collector.max_files,
                config.log_collector.max_users,
            )
            .map_err(|source| StartError::LogCollector {
                dir: dir.clone(),
                source,
            })?,
        )),
        None => None,
    };
    let sfu = start_sfu(&config).await?;
    let (turn_service, turn_server) =
        media::turn::start(&config, sfu.as_ref().map(|s| s.addr)).await?;
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let apps = Apps::from_config(&config);
    let business = BusinessClient::new(&config.business.ca_file)?;
    let https_urls = [
        &config.webhooks.url,
        &config.third_party_auth.url,
        &config.relay.url,
    ];
    if business.roots_from().is_none() && https_urls.iter().any(|u| u.starts_with("https:")) {
        tracing::warn!("an https business-server URL is set but no CA certificates were found: set business.ca_file");
    }
    let hooks = integrations::webhooks::Webhooks::start(
        &config.webhooks,
        apps.clone(),
        business.clone(),
        metrics.clone(),
    );
    let outputs = live::routes::Outputs::start(&config, sfu.as_ref())?;
    let mut settings = room_settings(&config);
    settings.live_urls = outputs
        .url_prefix(&config, http_addr, tls.is_some())
        .map(|prefix| liveroom_room::LiveUrls {
            prefix,
            appid: 0,
            signer: Some(
                live::sign::LiveSigner::new(apps.clone(), config.live.url_ttl_secs).room_signer(),
            ),
        });
    let hub = Hub::new(settings, config.room.max_rooms, metrics.clone(), hooks);
    let relay = biz::rtmp_push::Relay::start(&config, sfu.as_ref(), hub.clone());
    let mixes = biz::mix::Mixes::new(
        live::urls::UrlBase::new(
            &config.live.cdn_base_url,
            &config.live.public_url,
            http_addr,
            tls.is_some(),
        ),
        &config,
        hub.clone(),
        sfu.clone(),
        apps.clone(),
    );
    let node = cluster::node::NodeInfo::new(
        &config.cluster,
        http_addr,
        tls.is_some(),
        sfu.as_ref().map(|s| s.addr),
        hub.clock.now().unix_ms,
    );
    let cluster = if config.cluster.redis_url.is_empty() {
        None
    } else {
        Some(
            cluster::Cluster::start(
                &config.cluster,
                node.clone(),
                hub.clone(),
                config.session.outbound_queue,
            )
            .await?,
        )
    };
    let pipes = match (&cluster, &sfu) {
        (Some(c), Some(sfu)) => Some(cluster::pipes::Pipes::install(
            c.clone(),
            sfu.clone(),
            apps.clone(),
            business.clone(),
        )),
        _ => None,
    };
    let state = Arc::new(AppState {
        node,
        cluster,
        pipes,
        mixes: Arc::new(mixes),
        apps,
        hub,
        outputs,
        relay,
        business,
        log_collector,
        shutdown: shutdown_rx.clone(),
        draining: AtomicBool::new(false),
        drain_requested: tokio::sync::Notify::new(),
        sfu: sfu.clone(),
        turn: turn_service,
        login_limits: signalling::rate_limits::LoginLimits::new(&config.session),
        http_limits: signalling::rate_limits::KeyedLimiter::new(
            config
                .http
                .rate_limit_per_ip_per_sec
                .unwrap_or(config::DEFAULT_HTTP_RATE_PER_IP),
            config.http.rate_limit_burst_per_ip,
        ),
        address_caps: signalling::address_caps::AddressCaps::new(
            config
                .session
                .max_connections_per_ip
                .unwrap_or(signalling::address_caps::DEFAULT_MAX_CONNECTIONS_PER_IP),
        ),
        config,
    });
    if let Some(c) = &state.cluster {
        c.set_admin_handler(ops::admin::forwarded_handler(Arc::downgrade(&state)));
    }
    if let Some(sfu) = sfu.clone() {
        media::metrics::spawn(sfu, metrics.clone());
    }
    let app = routes::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let mut stop = shutdown_rx;
    let graceful = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    let is_tls = tls.is_some();
    let task = match tls {
        None => tokio::spawn(async move {
            use axum::serve::ListenerExt;
            // Signalling frames are small request/answer pairs: without TCP_NODELAY, Nagle
            // and the peer's delayed ACK hold some of them back by ~40 ms.
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(graceful)
                .await
            {
                tracing::error!(error = %e, "http server failed");
            }
        }),
        Some(cfg) => {
            use axum::serve::ListenerExt;
            // tap_io gives the TLS listener the same `ConnectInfo<SocketAddr>` as plain TCP.
            let listener = edge::tls::TlsListener::new(listener, cfg)
                .map_err(StartError::LocalAddr)?
                .tap_io(|_| {});
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app)
                    .with_graceful_shutdown(graceful)
                    .await
                {
                    tracing::error!(error = %e, "https server failed");
                }
            })
        }
    };
    let metrics_task = metrics_listener.map(|l| {
        let router = metrics::router(metrics.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(l, router).await {
                tracing::error!(error = %e, "metrics server failed");
            }
        })
    });
    Ok(Server {
        http_addr,
        tls: is_tls,
        metrics_addr,
        rtc_addr: sfu.map(|s| s.addr),
        turn_addr: turn_server.as_ref().map(|t| t.local_addr()),
        turn_server,
        state,
        shutdown_tx,
        task,
        metrics_task,
    })
}

impl Server {
    /// The JSON line printed when ready; names every bound address.
    pub fn ready_line(&self) -> String {
        let mut line = serde_json::json!({"event": "ready", "http": self.http_addr.to_string()});
        if self.tls {
            line["tls"] = true.into();
        }
        if let Some(m) = self.metrics_addr {
            line["metrics"] = m.to_string().into();
        }
        if let Some(r) = self.rtc_addr {
            line["rtc"] = r.to_string().into();
        }
        if let Some(t) = self.turn_addr {
            line["turn"] = t.to_string().into();
        }
        if let Some(c) = &self.state.cluster {
            line["node_id"] = c.info.id.clone().into();
            line["redis"] = c.redis_display.clone().into();
        }
        line.to_string()
    }

    /// Stops accepting, closes every connection (clients will log in again elsewhere or
    /// later), and waits up to the configured grace: for the room connections to close, then
    /// for the webhook queue to empty.
    pub async fn shutdown(self) {
        self.state.draining.store(true, Ordering::SeqCst);
        if let Some(c) = &self.state.cluster {
            // New rooms go to other nodes from now on.
            c.drain().await;
        }
        // Not ready any more, still serving: load balancers take the instance out first.
        let delay = self.state.config.http.drain_delay_ms;
        if delay > 0 {
            tracing::info!(delay_ms = delay, "draining: /readyz answers 503");
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        if let Some(c) = &self.state.cluster {
            // Before the clients go: the rooms are handed over and their keys released, so
            // the clients' next logins, on other nodes, find them there with their messages.
            c.leave().await;
        }
        let _ = self.shutdown_tx.send(true);
        let grace = Duration::from_secs(self.state.config.http.shutdown_grace_secs);
        let deadline = tokio::time::Instant::now() + grace;
        let metrics = &self.state.hub.metrics;
        // Upgraded WebSockets are not the HTTP server's to wait for: count them down.
        while metrics.connections.get() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let closed = tokio::time::timeout_at(deadline, self.task).await.is_ok();
        if !closed || metrics.connections.get() > 0 {
            tracing::warn!(
                open = metrics.connections.get(),
                "connections still open after the shutdown grace; exiting anyway"
            );
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if !self.state.hub.webhooks.flush(left).await {
            tracing::warn!("webhook events still queued after the shutdown grace; dropped");
        }
        if let Some(t) = self.metrics_task {
            t.abort();
        }
        if let Some(t) = self.turn_server {
            t.shutdown().await;
        }
    }
}

/// Binds the media UDP socket and starts the SFU (`rtc.listen`; "" = media off).
async fn start_sfu(config: &Config) -> Result<Option<liveroom_media::SfuHandle>, StartError> {
    if config.rtc.listen.is_empty() {
        return Ok(None);
    }
    let listen: SocketAddr = config
        .rtc
        .listen
        .parse()
        .map_err(|source| StartError::RtcListen {
            value: config.rtc.listen.clone(),
            source,
        })?;
    let advertise = config
        .rtc
        .public_ips
        .iter()
        .map(|ip| {
            ip.parse().map_err(|source| StartError::RtcPublicIp {
                value: ip.clone(),
                source,
            })
        })
        .collect::<Result<Vec<std::net::IpAddr>, StartError>>()?;
    let sfu = liveroom_media::start(liveroom_media::SfuConfig {
        listen,
        advertise,
        connect_timeout: Duration::from_millis(config.rtc.connect_timeout_ms),
        workers: config.rtc.workers,
    })
    .await
    .map_err(|source| StartError::Media {
        addr: listen,
        source,
    })?;
    Ok(Some(sfu))
}
