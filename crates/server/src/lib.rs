//! The `liveroom` server: configuration, the HTTP/WebSocket edge, login and tokens, the room
//! registry and actors. `start` binds and runs it, so tests start real servers on port 0.

pub mod apps;
pub mod business;
pub mod config;
pub mod http;
pub mod hub;
pub mod log_collector;
pub mod outbox;
pub mod ratelimit;
pub mod room_actor;
pub mod session;
pub mod token;

use apps::Apps;
use business::BusinessClient;
use config::Config;
use hub::Hub;
use log_collector::LogCollector;
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
}

/// A running server.
pub struct Server {
    pub http_addr: SocketAddr,
    pub state: Arc<AppState>,
    shutdown_tx: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
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
    }
}

/// Binds every listener and starts serving.
pub async fn start(config: Config) -> Result<Server, String> {
    let listener = TcpListener::bind(&config.http.listen)
        .await
        .map_err(|e| format!("cannot bind http listener {}: {e}", config.http.listen))?;
    let http_addr = listener.local_addr().map_err(|e| e.to_string())?;
    let log_collector = match config.log_collector_dir() {
        Some(dir) => Some(Arc::new(
            LogCollector::new(
                dir.clone(),
                config.log_collector.max_file_bytes,
                config.log_collector.max_files,
            )
            .map_err(|e| format!("log collector folder {}: {e}", dir.display()))?,
        )),
        None => None,
    };
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let state = Arc::new(AppState {
        apps: Apps::from_config(&config),
        hub: Hub::new(room_settings(&config), config.room.max_rooms),
        business: BusinessClient::new(),
        log_collector,
        shutdown: shutdown_rx.clone(),
        draining: AtomicBool::new(false),
        config,
    });
    let app = http::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let mut stop = shutdown_rx;
    let task = tokio::spawn(async move {
        let graceful = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(graceful)
            .await
        {
            tracing::error!(error = %e, "http server failed");
        }
    });
    Ok(Server {
        http_addr,
        state,
        shutdown_tx,
        task,
    })
}

impl Server {
    /// The JSON line printed when ready; names every bound address.
    pub fn ready_line(&self) -> String {
        serde_json::json!({"event": "ready", "http": self.http_addr.to_string()}).to_string()
    }

    /// Stops accepting, closes every connection (clients will log in again elsewhere or
    /// later), and waits up to the configured grace.
    pub async fn shutdown(self) {
        self.state.draining.store(true, Ordering::SeqCst);
        let _ = self.shutdown_tx.send(true);
        let grace = Duration::from_secs(self.state.config.http.shutdown_grace_secs);
        if tokio::time::timeout(grace, self.task).await.is_err() {
            tracing::warn!("connections still open after the shutdown grace; exiting anyway");
        }
    }
}
