//! Configuration: defaults < TOML file (`--config`) < `LIVEROOM_*` environment < flags.
//! Unknown keys are errors that name the key. Every key is listed in docs/configuration.md.

pub mod apps;
pub mod webhook_events;

use crate::StartError;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The fixed credentials of dev mode, the same at every start (printed at start).
pub const DEV_APP_SIGN: &str = "6c6976656f6f6d2d6465762d6170702d7369676e2d6e6f742d736563726574";
pub const DEV_SERVER_SECRET: &str = "liveroom-dev-server-secret-not-for-production";
/// The TURN shared secret of dev mode (when `turn.secret` is not set).
pub const DEV_TURN_SECRET: &str = "liveroom-dev-turn-secret-not-for-production";

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Dev mode: any appid is accepted with the dev credentials, `/token` mints tokens.
    pub dev: bool,
    pub http: HttpConfig,
    pub log: LogConfig,
    pub room: RoomConfig,
    pub session: SessionConfig,
    pub tokens: TokenConfig,
    pub relay: RelayConfig,
    pub remote_log: RemoteLogConfig,
    pub log_collector: LogCollectorConfig,
    pub metrics: MetricsConfig,
    pub webhooks: WebhookConfig,
    pub third_party_auth: ThirdPartyAuthConfig,
    pub business: BusinessConfig,
    pub admin: AdminConfig,
    pub rtc: RtcConfig,
    pub turn: TurnConfig,
    pub live: LiveConfig,
    pub cluster: ClusterConfig,
    pub apps: Vec<AppConfig>,
}

/// Many nodes as one system through a shared Redis (docs/cluster.md); off while `redis_url` is
/// empty, and then nothing of it runs.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS) of the Redis every node of
    /// the cluster shares ("" = one node, no cluster). `--redis`, `LIVEROOM_REDIS_URL`.
    pub redis_url: String,
    /// This node's name in the cluster ("" = the host name and the bound HTTP address).
    /// `--node-id`.
    pub node_id: String,
    /// `host:port` clients and other nodes reach this node's HTTP listener at ("" = the bound one).
    pub advertise_http: String,
    /// `host:port` of this node's media UDP socket as others reach it ("" = the bound one).
    pub advertise_rtc: String,
    /// Lifetime of this node's record and of its rooms' ownership keys in Redis: a node that
    /// dies is gone from the cluster this long after its last renewal.
    pub node_ttl_ms: u64,
    /// How often the node renews its record and its rooms' keys (at most a third of
    /// `node_ttl_ms`, so one lost renewal does not expire them).
    pub renew_interval_ms: u64,
    /// Where a login puts a room that does not exist yet: `"least_loaded"`, the live node
    /// with the fewest members in its rooms (then rooms; this node on a tie), or `"local"`,
    /// the node the login reached.
    pub placement: String,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            redis_url: String::new(),
            node_id: String::new(),
            advertise_http: String::new(),
            advertise_rtc: String::new(),
            node_ttl_ms: 10_000,
            renew_interval_ms: 2_000,
            placement: "least_loaded".into(),
        }
    }
}

/// The TURN relay media sessions use (relay-only ICE): the embedded one, or an external coturn.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TurnConfig {
    /// Run the embedded relay (not started when `external_urls` is set).
    pub enabled: bool,
    /// UDP and TCP listener of the embedded relay (one port for both; port 0 = free port).
    pub listen: String,
    /// IP the relay sockets bind to ("" = the listen IP).
    pub relay_ip: String,
    /// IP put in the URLs given to clients ("" = the listen IP); the public IP behind NAT.
    pub public_ip: String,
    pub realm: String,
    /// Shared secret of the REST credentials (coturn `static-auth-secret`); dev mode uses
    /// [`DEV_TURN_SECRET`] when empty, production requires it.
    pub secret: String,
    /// Lifetime of the credentials handed to a media session.
    pub credential_ttl_secs: u64,
    /// Relay to 127.0.0.0/8 and ::1 (absent = true in dev mode, false otherwise).
    pub allow_loopback_peers: Option<bool>,
    /// Relay to private, shared, link-local and unique-local addresses (absent = as dev mode).
    pub allow_private_peers: Option<bool>,
    /// Peer IPs always allowed, whatever the two switches say.
    pub allowed_peer_ips: Vec<String>,
    pub max_allocations: usize,
    pub max_allocations_per_user: usize,
    /// Relayed bits per second of one allocation, both directions (0 = no limit).
    pub max_bps_per_allocation: u64,
    /// `turn:`/`turns:`/`stun:` URLs of an external coturn sharing `secret` (use-auth-secret);
    /// when set they are handed out and the embedded relay is not started.
    pub external_urls: Vec<String>,
}

impl Default for TurnConfig {
    fn default() -> Self {
        TurnConfig {
            enabled: true,
            listen: "127.0.0.1:3478".into(),
            relay_ip: String::new(),
            public_ip: String::new(),
            realm: "liveroom".into(),
            secret: String::new(),
            credential_ttl_secs: 24 * 3600,
            allow_loopback_peers: None,
            allow_private_peers: None,
            allowed_peer_ips: Vec::new(),
            max_allocations: liveroom_turn::core::DEFAULT_MAX_ALLOCATIONS,
            max_allocations_per_user: liveroom_turn::core::DEFAULT_MAX_ALLOCATIONS_PER_USER,
            max_bps_per_allocation: liveroom_turn::core::DEFAULT_MAX_BPS_PER_ALLOCATION,
            external_urls: Vec::new(),
        }
    }
}

/// The default lifetime of signed live URLs: a day.
pub const DEFAULT_LIVE_URL_TTL_SECS: u64 = 86_400;

/// Live outputs (GStreamer): mixing, HTTP-FLV, HLS and RTMP relay.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LiveConfig {
    /// Live outputs on (needs media on and a build with the `live` feature, the default).
    pub enabled: bool,
    /// Base URL the FLV/HLS outputs are announced under ("" = this server's address).
    pub public_url: String,
    /// A CDN in front of the server: announced URLs use this base instead.
    pub cdn_base_url: String,
    /// Where HLS segments are written, one folder per running output ("" = a folder under
    /// the system's temporary directory).
    pub hls_dir: String,
    /// Mix background images: `preset-id://NAME` in `updateMixStream` picks the file of NAME
    /// (any format GStreamer decodes, e.g. PNG or JPEG), e.g. `{ logo = "/srv/logo.png" }`.
    pub background_images: std::collections::BTreeMap<String, String>,
    /// How long the signed FLV/HLS URLs the server hands out stay valid (apps with
    /// `signed_live_urls`); stream lists are signed afresh each time they are answered.
    pub url_ttl_secs: u64,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            enabled: true,
            public_url: String::new(),
            cdn_base_url: String::new(),
            hls_dir: String::new(),
            background_images: Default::default(),
            url_ttl_secs: DEFAULT_LIVE_URL_TTL_SECS,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RtcConfig {
    /// Media (WebRTC) UDP listener shared by every peer ("" = media off; port 0 = free port).
    pub listen: String,
    /// Addresses announced in ICE candidates (public IPs behind NAT); empty = the bound IP.
    pub public_ips: Vec<String>,
    /// Check `streamParams` (zg_expired, zg_nonce, zg_token) when a media session is created.
    pub stream_auth: bool,
    /// A media peer that has not connected this long after its offer is dropped.
    pub connect_timeout_ms: u64,
    /// Media worker threads (each its own SFU core, sharing the UDP port); 0 = one per CPU core.
    pub workers: usize,
}

impl Default for RtcConfig {
    fn default() -> Self {
        RtcConfig {
            listen: "127.0.0.1:8283".into(),
            public_ips: Vec::new(),
            stream_auth: false,
            connect_timeout_ms: 15_000,
            workers: 0,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// HTTP and WebSocket listener; port 0 picks a free port.
    pub listen: String,
    /// Seconds a shutdown waits for connections to close.
    pub shutdown_grace_secs: u64,
    /// At shutdown, how long `/readyz` answers 503 (and new room connections are refused)
    /// before connections are closed, so load balancers stop sending clients first.
    pub drain_delay_ms: u64,
    /// PEM certificate chain; with `tls_key`, the listener serves https and wss only.
    pub tls_cert: String,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of `tls_cert`.
    pub tls_key: String,
    /// HTTP requests per second one source address (IPv6: one /64) may make on average, every
    /// route together (WebSocket upgrades, pages, live outputs, the log collector, the admin
    /// API); 0 = no limit. Absent: 0 in dev mode, `DEFAULT_HTTP_RATE_PER_IP` otherwise.
    pub rate_limit_per_ip_per_sec: Option<u32>,
    /// … and in a burst (429 with `Retry-After` past it).
    pub rate_limit_burst_per_ip: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Prometheus `/metrics` listener ("" = off; port 0 picks a free port).
    pub listen: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConfig {
    /// The business server's URL that events are POSTed to ("" = no webhooks).
    pub url: String,
    /// How long one attempt waits for an answer.
    pub timeout_ms: u64,
    /// Attempts per event (the first one included) before it is given up.
    pub max_attempts: u32,
    /// Pause after the first failed attempt; doubles after each further one (at most 30 s).
    pub retry_base_ms: u64,
    /// Events waiting to be sent; past it new events are dropped (and counted).
    pub queue: usize,
    /// The events to send (empty = all).
    pub events: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThirdPartyAuthConfig {
    /// The business server's URL that checks `loginWithAuthor`'s third_token ("" = not checked).
    pub url: String,
    /// How long a login waits for the business server.
    pub timeout_ms: u64,
    /// Every login must carry a third_token that the business server accepts.
    pub required: bool,
}

/// Calls to the business server (webhooks, third-party auth, relay) over `http://` or `https://`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BusinessConfig {
    /// PEM file of the CA certificates that `https://` business servers are checked against
    /// ("" = the system's bundle, e.g. `/etc/ssl/certs/ca-certificates.crt`).
    pub ca_file: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// Bearer token of the admin API under `/admin/v1/` ("" = admin API off).
    pub secret: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A tracing filter, e.g. "info" or "liveroom_server=debug".
    pub level: String,
    /// "text" or "json".
    pub format: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoomConfig {
    pub heartbeat_interval_ms: u32,
    pub session_timeout_ms: u32,
    pub reconnect_grace_ms: u32,
    pub bigim_time_window_ms: u32,
    pub dati_time_window_ms: u32,
    pub max_users_per_room: usize,
    pub max_rooms: usize,
    /// When false, logins never create rooms (whatever their `room_create_flag`).
    pub allow_create: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// Frames per second a connection may send on average …
    pub rate_limit_per_sec: u32,
    /// … and in a burst.
    pub rate_limit_burst: u32,
    /// Frames queued towards one client before it counts as unable to keep up.
    pub outbound_queue: usize,
    /// A frame the client's socket does not take within this time (it stopped reading)
    /// disconnects it.
    pub write_timeout_ms: u64,
    /// A connection that has not logged in within this time is closed.
    pub login_deadline_ms: u64,
    /// Logins per second one connection may make on average …
    pub login_rate_per_sec: u32,
    /// … and in a burst (logins over it get 1002, which clients retry later).
    pub login_burst: u32,
    /// Logins per second from one source IP (IPv6: one /64), all its connections together
    /// (0 = no limit: set it so behind a proxy that hides client addresses) …
    pub login_rate_per_ip_per_sec: u32,
    /// … and in a burst.
    pub login_burst_per_ip: u32,
    /// Logins per second into one app, all connections together (0 = no limit) …
    pub login_rate_per_app_per_sec: u32,
    /// … and in a burst.
    pub login_burst_per_app: u32,
    /// Room and media connections one source address (IPv6: one /64) may hold open at once;
    /// 0 = no cap. Absent: 0 in dev mode, `DEFAULT_MAX_CONNECTIONS_PER_IP` otherwise
    /// (`Config::load` fills it).
    pub max_connections_per_ip: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenConfig {
    /// Accept the legacy md5 token v1 (the original demos use it). Absent = only in dev
    /// mode: anyone holding the app sign (it ships inside client apps) can mint v1 tokens.
    pub allow_v1: Option<bool>,
    /// The exact nonce length of accepted v1 tokens (letters and digits).
    pub v1_nonce_len: usize,
    /// The furthest ahead a v1 token's expiry may lie.
    pub v1_max_ttl_secs: u64,
    /// Longest lifetime the `/token` endpoint and the CLI give a token.
    pub default_ttl_secs: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RelayConfig {
    /// The business server's URL that `relay` messages are POSTed to ("" = none).
    pub url: String,
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RemoteLogConfig {
    /// Told to SDKs in the login reply (`config_info.log_url`); "" = no remote logging.
    pub url: String,
    /// Told to SDKs as `config_info.log_level`.
    pub level: i32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogCollectorConfig {
    /// Where `/log` stores SDK log lines ("" = collector off; dev mode uses a temp folder).
    pub dir: String,
    pub max_file_bytes: u64,
    /// Rotated files kept per app and user.
    pub max_files: u32,
    /// (app, user) log files the collector keeps at most; a new user's lines past it are
    /// refused (the collector takes lines without a login).
    pub max_users: usize,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    pub appid: u64,
    /// Checks login tokens v1 (its first 32 characters).
    pub app_sign: String,
    /// Checks v2 tokens and server-side signatures; never leaves the business server.
    pub server_secret: String,
    /// Which streams a login may play over WebRTC: any stream of the app (`"app"`, as the
    /// original service: cross-room co-hosting relies on it) or only its own room's (`"room"`).
    #[serde(default)]
    pub play_scope: PlayScope,
    /// HTTP-FLV/HLS URLs need a signature and an expiry (`?expires=…&sign=…`, signed with the
    /// server secret; protocol.md §11). Absent = on, except in dev mode.
    #[serde(default)]
    pub signed_live_urls: Option<bool>,
}

/// Which streams a login may play (`apps.play_scope`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PlayScope {
    /// Any stream of the app.
    #[default]
    App,
    /// Only streams of the room the player is logged in to.
    Room,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: "127.0.0.1:8282".into(),
            shutdown_grace_secs: 5,
            drain_delay_ms: 0,
            tls_cert: String::new(),
            tls_key: String::new(),
            rate_limit_per_ip_per_sec: None,
            rate_limit_burst_per_ip: 1_000,
        }
    }
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            listen: "127.0.0.1:9282".into(),
        }
    }
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            url: String::new(),
            timeout_ms: 5_000,
            max_attempts: 5,
            retry_base_ms: 1_000,
            queue: 10_000,
            events: Vec::new(),
        }
    }
}

impl Default for ThirdPartyAuthConfig {
    fn default() -> Self {
        ThirdPartyAuthConfig {
            url: String::new(),
            timeout_ms: 3_000,
            required: false,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: "text".into(),
        }
    }
}

impl Default for RoomConfig {
    fn default() -> Self {
        RoomConfig {
            heartbeat_interval_ms: 30_000,
            session_timeout_ms: 100_000,
            reconnect_grace_ms: 30_000,
            bigim_time_window_ms: 1_000,
            dati_time_window_ms: 1_000,
            max_users_per_room: 10_000,
            max_rooms: 10_000,
            allow_create: true,
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            rate_limit_per_sec: 50,
            rate_limit_burst: 100,
            outbound_queue: 1024,
            write_timeout_ms: 5_000,
            login_deadline_ms: 30_000,
            login_rate_per_sec: 1,
            login_burst: 5,
            login_rate_per_ip_per_sec: 50,
            login_burst_per_ip: 200,
            login_rate_per_app_per_sec: 500,
            login_burst_per_app: 2_000,
            max_connections_per_ip: None,
        }
    }
}

/// `http.rate_limit_per_ip_per_sec` outside dev mode when absent: far above what one viewer,
/// player or SDK asks for (an HLS player ≈ 1 request/s), low enough that one host cannot keep
/// the listener busy.
pub const DEFAULT_HTTP_RATE_PER_IP: u32 = 200;

/// `session.max_connections_per_ip` outside dev mode when absent: room + media connections of
/// one address. Generous for carrier-grade NAT (many subscribers behind one IPv4 address),
/// small against the 20,000 open files of a process.
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: u32 = 1000;

/// The nonce length of the v1 tokens this server mints, and the default `tokens.v1_nonce_len`.
pub const V1_NONCE_LEN: usize = 16;

impl TokenConfig {
    /// Whether v1 tokens are accepted (absent = only in dev mode; `Config::load` fills it).
    pub fn allow_v1(&self) -> bool {
        self.allow_v1.unwrap_or(false)
    }
}

impl Default for TokenConfig {
    fn default() -> Self {
        TokenConfig {
            allow_v1: None,
            v1_nonce_len: V1_NONCE_LEN,
            v1_max_ttl_secs: 7 * 24 * 3600,
            default_ttl_secs: 24 * 3600,
        }
    }
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            url: String::new(),
            timeout_ms: 3_000,
        }
    }
}

impl Default for RemoteLogConfig {
    fn default() -> Self {
        RemoteLogConfig {
            url: String::new(),
            level: 1,
        }
    }
}

impl Default for LogCollectorConfig {
    fn default() -> Self {
        LogCollectorConfig {
            dir: String::new(),
            max_file_bytes: 10 * 1024 * 1024,
            max_files: 3,
            max_users: 10_000,
        }
    }
}

/// Flags given on the command line; `None` leaves the lower layers' value.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub dev: bool,
    pub http: Option<String>,
    /// `--metrics ADDR`.
    pub metrics: Option<String>,
    /// `--rtc ADDR`.
    pub rtc: Option<String>,
    /// `--turn ADDR`.
    pub turn: Option<String>,
}

/// The cluster's flags (`--redis URL` or `LIVEROOM_REDIS_URL`, `--node-id ID`); `None` leaves
/// the lower layers' value.
#[derive(Debug, Default, Clone)]
pub struct ClusterFlags {
    pub redis_url: Option<String>,
    pub node_id: Option<String>,
}

/// Environment variables that are not config keys but are ours (read elsewhere).
/// `LIVEROOM_REDIS_URL` is the `--redis` flag's variable (`cluster.redis_url`), read by the CLI.
const ENV_NOT_KEYS: &[&str] = &[
    "LIVEROOM_CONFIG",
    "LIVEROOM_BIN",
    "LIVEROOM_LOG",
    "LIVEROOM_REDIS_URL",
];

impl Config {
    /// Builds the configuration from its four layers.
    pub fn load(
        file: Option<&PathBuf>,
        env: impl Iterator<Item = (String, String)>,
        flags: &Overrides,
    ) -> Result<Config, StartError> {
        Self::load_with(file, env, flags, &ClusterFlags::default())
    }

    /// [`Config::load`] with the cluster's flags too (`--redis`, `--node-id`).
    pub fn load_with(
        file: Option<&PathBuf>,
        env: impl Iterator<Item = (String, String)>,
        flags: &Overrides,
        cluster: &ClusterFlags,
    ) -> Result<Config, StartError> {
        let mut table = match file {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| StartError::ConfigRead {
                        path: path.clone(),
                        source,
                    })?;
                text.parse::<toml::Table>()
                    .map_err(|source| StartError::ConfigSyntax {
                        path: path.clone(),
                        source,
                    })?
            }
            None => toml::Table::new(),
        };
        for (name, value) in env {
            let Some(rest) = name.strip_prefix("LIVEROOM_") else {
                continue;
            };
            // LIVEROOM_TEST_* belong to test tooling (harness switches), never to the server.
            if ENV_NOT_KEYS.contains(&name.as_str()) || rest.starts_with("TEST_") {
                continue;
            }
            let path: Vec<String> = rest.split("__").map(|p| p.to_ascii_lowercase()).collect();
            if path.len() == 1 && path[0] != "dev" {
                // Top-level flags only; sections need LIVEROOM_SECTION__KEY.
                return Err(StartError::UnknownEnv(name));
            }
            set_path(&mut table, &path, parse_env_value(&value));
        }
        if flags.dev {
            table.insert("dev".into(), toml::Value::Boolean(true));
        }
        if let Some(rtc) = &flags.rtc {
            set_path(
                &mut table,
                &["rtc".into(), "listen".into()],
                toml::Value::String(rtc.clone()),
            );
        }
        if let Some(turn) = &flags.turn {
            set_path(
                &mut table,
                &["turn".into(), "listen".into()],
                toml::Value::String(turn.clone()),
            );
        }
        if let Some(http) = &flags.http {
            set_path(
                &mut table,
                &["http".into(), "listen".into()],
                toml::Value::String(http.clone()),
            );
        }
        for (key, value) in [
            ("redis_url", &cluster.redis_url),
            ("node_id", &cluster.node_id),
        ] {
            if let Some(v) = value {
                set_path(
                    &mut table,
                    &["cluster".into(), key.into()],
                    toml::Value::String(v.clone()),
                );
            }
        }
        if let Some(metrics) = &flags.metrics {
            set_path(
                &mut table,
                &["metrics".into(), "listen".into()],
                toml::Value::String(metrics.clone()),
            );
        }
        let mut config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| StartError::ConfigShape(e.message().to_string()))?;
        config.tokens.allow_v1.get_or_insert(config.dev);
        let http_rate = if config.dev {
            0
        } else {
            DEFAULT_HTTP_RATE_PER_IP
        };
        config
            .http
            .rate_limit_per_ip_per_sec
            .get_or_insert(http_rate);
        config
            .session
            .max_connections_per_ip
            .get_or_insert(if config.dev {
                0
            } else {
                DEFAULT_MAX_CONNECTIONS_PER_IP
            });
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), StartError> {
        if self.room.heartbeat_interval_ms < 1000 {
            return Err(StartError::Invalid(
                "room.heartbeat_interval_ms must be at least 1000".into(),
            ));
        }
        if self.room.session_timeout_ms < self.room.heartbeat_interval_ms {
            return Err(StartError::Invalid(
                "room.session_timeout_ms must be at least room.heartbeat_interval_ms".into(),
            ));
        }
        if self.session.rate_limit_per_sec == 0 || self.session.rate_limit_burst == 0 {
            return Err(StartError::Invalid(
                "session.rate_limit_per_sec and rate_limit_burst must be positive".into(),
            ));
        }
        let sc = &self.session;
        if sc.login_rate_per_sec == 0 || sc.login_burst == 0 {
            return Err(StartError::Invalid(
                "session.login_rate_per_sec and login_burst must be positive".into(),
            ));
        }
        if sc.login_rate_per_ip_per_sec > 0 && sc.login_burst_per_ip == 0 {
            return Err(StartError::Invalid("session.login_burst_per_ip must be positive (or set login_rate_per_ip_per_sec = 0 for no limit)".into()));
        }
        if sc.login_rate_per_app_per_sec > 0 && sc.login_burst_per_app == 0 {
            return Err(StartError::Invalid("session.login_burst_per_app must be positive (or set login_rate_per_app_per_sec = 0 for no limit)".into()));
        }
        if self.session.outbound_queue < 16 {
            return Err(StartError::Invalid(
                "session.outbound_queue must be at least 16".into(),
            ));
        }
        if self.session.write_timeout_ms == 0 {
            return Err(StartError::Invalid(
                "session.write_timeout_ms must be positive".into(),
            ));
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err(StartError::Invalid(format!(
                "log.format must be \"text\" or \"json\", not {:?}",
                self.log.format
            )));
        }
        if self.http.tls_cert.is_empty() != self.http.tls_key.is_empty() {
            return Err(StartError::Invalid(
                "http.tls_cert and http.tls_key go together: set both or neither".into(),
            ));
        }
        for e in &self.webhooks.events {
            if !webhook_events::EVENTS.contains(&e.as_str()) {
                return Err(StartError::Invalid(format!(
                    "webhooks.events: unknown event {e:?} (known: {})",
                    webhook_events::EVENTS.join(", ")
                )));
            }
        }
        if self.webhooks.max_attempts == 0 || self.webhooks.queue == 0 {
            return Err(StartError::Invalid(
                "webhooks.max_attempts and webhooks.queue must be positive".into(),
            ));
        }
        if self.live.url_ttl_secs == 0 {
            return Err(StartError::Invalid(
                "live.url_ttl_secs must be positive".into(),
            ));
        }
        if !(8..=64).contains(&self.tokens.v1_nonce_len) {
            return Err(StartError::Invalid(
                "tokens.v1_nonce_len must be 8 to 64".into(),
            ));
        }
        if self.tokens.allow_v1() && self.tokens.default_ttl_secs > self.tokens.v1_max_ttl_secs {
            return Err(StartError::Invalid(
                "tokens.default_ttl_secs must not exceed tokens.v1_max_ttl_secs while v1 tokens are on"
                    .into(),
            ));
        }
        if self.third_party_auth.required && self.third_party_auth.url.is_empty() {
            return Err(StartError::Invalid(
                "third_party_auth.required needs third_party_auth.url".into(),
            ));
        }
        if !self.admin.secret.is_empty() && self.admin.secret.len() < 16 {
            return Err(StartError::Invalid(
                "admin.secret must have at least 16 characters".into(),
            ));
        }
        for app in &self.apps {
            if app.app_sign.len() < 32 {
                return Err(StartError::Invalid(format!(
                    "apps: appid {}: app_sign must have at least 32 characters",
                    app.appid
                )));
            }
            if app.server_secret.len() < 16 {
                return Err(StartError::Invalid(format!(
                    "apps: appid {}: server_secret must have at least 16 characters",
                    app.appid
                )));
            }
        }
        if !self.dev && self.apps.is_empty() {
            return Err(StartError::Invalid(
                "no apps configured: add [[apps]] to the config file, or start with --dev".into(),
            ));
        }
        self.validate_turn()?;
        self.validate_cluster()?;
        Ok(())
    }

    fn validate_cluster(&self) -> Result<(), StartError> {
        let c = &self.cluster;
        if c.redis_url.is_empty() {
            return Ok(());
        }
        if !(c.redis_url.starts_with("redis://") || c.redis_url.starts_with("rediss://")) {
            return Err(StartError::Invalid(
                "cluster.redis_url must start with redis:// or rediss://".into(),
            ));
        }
        if !c.node_id.is_empty()
            && (c.node_id.len() > 128
                || !c
                    .node_id
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "-_.:".contains(ch)))
        {
            return Err(StartError::Invalid(
                "cluster.node_id must be 1 to 128 characters of A-Z a-z 0-9 - _ . :".into(),
            ));
        }
        if !matches!(c.placement.as_str(), "least_loaded" | "local") {
            return Err(StartError::Invalid(format!(
                "cluster.placement must be \"least_loaded\" or \"local\", not {:?}",
                c.placement
            )));
        }
        if c.renew_interval_ms < 100 || c.node_ttl_ms < 3 * c.renew_interval_ms {
            return Err(StartError::Invalid(
                "cluster.renew_interval_ms must be at least 100 and cluster.node_ttl_ms at least three times it".into(),
            ));
        }
        Ok(())
    }

    fn validate_turn(&self) -> Result<(), StartError> {
        let t = &self.turn;
        let ip = |key: &str, v: &str| -> Result<Option<std::net::IpAddr>, StartError> {
            if v.is_empty() {
                return Ok(None);
            }
            v.parse().map(Some).map_err(|_| {
                StartError::Invalid(format!("turn.{key} must be an IP address, not {v:?}"))
            })
        };
        if t.realm.is_empty() {
            return Err(StartError::Invalid("turn.realm must not be empty".into()));
        }
        if t.credential_ttl_secs == 0 {
            return Err(StartError::Invalid(
                "turn.credential_ttl_secs must be positive".into(),
            ));
        }
        if t.max_allocations == 0 || t.max_allocations_per_user == 0 {
            return Err(StartError::Invalid(
                "turn.max_allocations and turn.max_allocations_per_user must be positive".into(),
            ));
        }
        for a in &t.allowed_peer_ips {
            ip("allowed_peer_ips", a)?;
        }
        for u in &t.external_urls {
            if !["turn:", "turns:", "stun:", "stuns:"]
                .iter()
                .any(|s| u.starts_with(s))
            {
                return Err(StartError::Invalid(format!(
                    "turn.external_urls: {u:?} is not a turn:, turns:, stun: or stuns: URL"
                )));
            }
        }
        let external = !t.external_urls.is_empty();
        if external && !t.external_urls.iter().any(|u| u.starts_with("turn")) {
            return Err(StartError::Invalid("turn.external_urls needs at least one turn: or turns: URL (clients use relay-only ICE)".into()));
        }
        if (t.enabled || external) && !t.secret.is_empty() && t.secret.len() < 16 {
            return Err(StartError::Invalid(
                "turn.secret must have at least 16 characters".into(),
            ));
        }
        if (t.enabled || external) && t.secret.is_empty() && !self.dev {
            return Err(StartError::Invalid("turn.secret is required: the shared secret TURN credentials are made from (the same as coturn's static-auth-secret); or set turn.enabled = false".into()));
        }
        if t.enabled && !external {
            let listen: std::net::SocketAddr = t
                .listen
                .parse()
                .map_err(|_| StartError::TurnListen(t.listen.clone()))?;
            let relay_ip = ip("relay_ip", &t.relay_ip)?;
            let public_ip = ip("public_ip", &t.public_ip)?;
            if listen.ip().is_unspecified() && public_ip.is_none() {
                return Err(StartError::Invalid(format!("turn.public_ip is required when turn.listen is {listen}: it is the address put in the TURN URLs given to clients")));
            }
            if relay_ip.is_some_and(|r| r.is_ipv4() != listen.is_ipv4()) {
                return Err(StartError::Invalid(
                    "turn.relay_ip and turn.listen must be of the same IP family".into(),
                ));
            }
        }
        Ok(())
    }

    /// The TURN shared secret in effect (dev mode has a fixed one).
    pub fn turn_secret(&self) -> String {
        if self.turn.secret.is_empty() && self.dev {
            DEV_TURN_SECRET.into()
        } else {
            self.turn.secret.clone()
        }
    }

    /// The log collector's folder, if the collector is on.
    pub fn log_collector_dir(&self) -> Option<PathBuf> {
        if !self.log_collector.dir.is_empty() {
            Some(PathBuf::from(&self.log_collector.dir))
        } else if self.dev {
            Some(std::env::temp_dir().join("liveroom-logs"))
        } else {
            None
        }
    }
}

fn parse_env_value(v: &str) -> toml::Value {
    // "30000" is a number, "true" a boolean, anything else a string.
    match format!("v = {v}").parse::<toml::Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(v.into())),
        Err(_) => toml::Value::String(v.into()),
    }
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) {
    let (last, parents) = path.split_last().expect("non-empty path");
    let mut t = table;
    for p in parents {
        let entry = t
            .entry(p.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        t = entry.as_table_mut().expect("just made a table");
    }
    t.insert(last.clone(), value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(file: &str, env: &[(&str, &str)], flags: Overrides) -> Result<Config, String> {
        // The tests match on the message.
        let dir = std::env::temp_dir().join(format!("liveroom-cfg-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.toml");
        std::fs::write(&path, file).unwrap();
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        let loaded = Config::load(Some(&path), env, &flags);
        let _ = std::fs::remove_dir_all(&dir);
        loaded.map_err(|e| e.to_string())
    }

    #[test]
    fn connections_and_requests_per_address_are_capped_outside_dev_mode() {
        let prod = "[[apps]]\nappid = 7\napp_sign = \"0123456789abcdef0123456789abcdef\"\nserver_secret = \"0123456789abcdef\"\n[turn]\nsecret = \"0123456789abcdef\"\n";
        let c = load(prod, &[], Overrides::default()).unwrap();
        assert_eq!(
            c.session.max_connections_per_ip,
            Some(DEFAULT_MAX_CONNECTIONS_PER_IP)
        );
        assert_eq!(
            c.http.rate_limit_per_ip_per_sec,
            Some(DEFAULT_HTTP_RATE_PER_IP)
        );
        let c = load("dev = true\n", &[], Overrides::default()).unwrap();
        assert_eq!(c.session.max_connections_per_ip, Some(0));
        assert_eq!(c.http.rate_limit_per_ip_per_sec, Some(0));
        let env = [("LIVEROOM_SESSION__MAX_CONNECTIONS_PER_IP", "0")];
        let c = load(prod, &env, Overrides::default()).unwrap();
        assert_eq!(c.session.max_connections_per_ip, Some(0));
    }

    #[test]
    fn layers_apply_in_order() {
        let c = load(
            "dev = true\n[http]\nlisten = \"127.0.0.1:1\"\n[room]\nheartbeat_interval_ms = 5000\n",
            &[
                ("LIVEROOM_HTTP__LISTEN", "127.0.0.1:2"),
                ("LIVEROOM_ROOM__SESSION_TIMEOUT_MS", "9000"),
            ],
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(c.http.listen, "127.0.0.1:2");
        assert_eq!(c.room.heartbeat_interval_ms, 5000);
        assert_eq!(c.room.session_timeout_ms, 9000);
        let c = load(
            "dev = true\n",
            &[("LIVEROOM_HTTP__LISTEN", "127.0.0.1:2")],
            Overrides {
                dev: true,
                http: Some("127.0.0.1:3".into()),
                metrics: Some("127.0.0.1:0".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(c.http.listen, "127.0.0.1:3");
        assert_eq!(c.metrics.listen, "127.0.0.1:0");
    }

    #[test]
    fn operations_keys_are_checked() {
        let e = load(
            "dev = true\n[http]\ntls_cert = \"c.pem\"\n",
            &[],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(e.contains("tls_key"), "{e}");
        let e = load(
            "dev = true\n[webhooks]\nevents = [\"nope\"]\n",
            &[],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(e.contains("nope"), "{e}");
        let e = load(
            "dev = true\n[admin]\nsecret = \"short\"\n",
            &[],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(e.contains("admin.secret"), "{e}");
        let e = load(
            "dev = true\n[third_party_auth]\nrequired = true\n",
            &[],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(e.contains("third_party_auth.url"), "{e}");
        let c = load(
            "dev = true\n[webhooks]\nurl = \"http://127.0.0.1:1/hook\"\nevents = [\"user_left\"]\n",
            &[("LIVEROOM_ADMIN__SECRET", "0123456789abcdef0")],
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(c.webhooks.events, ["user_left"]);
        assert_eq!(c.admin.secret, "0123456789abcdef0");
        assert_eq!(c.metrics.listen, "127.0.0.1:9282");
    }

    #[test]
    fn login_limit_keys_are_checked() {
        let e = load(
            "dev = true\n[session]\nlogin_burst = 0\n",
            &[],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(e.contains("session.login_rate_per_sec"), "{e}");
        let e = load(
            "dev = true\n[session]\nlogin_burst_per_ip = 0\n",
            &[],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(e.contains("session.login_burst_per_ip"), "{e}");
        let c = load(
            "dev = true\n[session]\nlogin_rate_per_ip_per_sec = 0\nlogin_burst_per_ip = 0\n",
            &[("LIVEROOM_SESSION__LOGIN_RATE_PER_APP_PER_SEC", "7")],
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(c.session.login_rate_per_ip_per_sec, 0);
        assert_eq!(c.session.login_rate_per_app_per_sec, 7);
        assert_eq!(c.session.login_burst_per_app, 2_000);
        assert_eq!(c.session.login_burst, 5);
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = load(
            "dev = true\n[room]\nheartbeat = 1\n",
            &[],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(e.contains("heartbeat"), "{e}");
        let e = load("dev = true\nbogus = 1\n", &[], Overrides::default()).unwrap_err();
        assert!(e.contains("bogus"), "{e}");
        let e = load(
            "dev = true\n",
            &[("LIVEROOM_ROOM__NOPE", "1")],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(e.contains("nope"), "{e}");
        let e = load(
            "dev = true\n",
            &[("LIVEROOM_WHATEVER", "1")],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(e.contains("LIVEROOM_WHATEVER"), "{e}");
    }

    #[test]
    fn production_needs_apps() {
        assert!(load("", &[], Overrides::default())
            .unwrap_err()
            .contains("no apps"));
        let c = load(
            "[[apps]]\nappid = 7\napp_sign = \"0123456789abcdef0123456789abcdef\"\nserver_secret = \"0123456789abcdef\"\n[turn]\nsecret = \"0123456789abcdef\"\n",
            &[],
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(c.apps[0].appid, 7);
    }

    const APP: &str = "[[apps]]\nappid = 7\napp_sign = \"0123456789abcdef0123456789abcdef\"\nserver_secret = \"0123456789abcdef\"\n";

    #[test]
    fn turn_keys() {
        // Dev: enabled on loopback with the dev secret; peers on loopback/private allowed later.
        let c = load("dev = true\n", &[], Overrides::default()).unwrap();
        assert!(c.turn.enabled);
        assert_eq!(c.turn.listen, "127.0.0.1:3478");
        assert_eq!(c.turn_secret(), DEV_TURN_SECRET);
        // The flag wins over the environment.
        let c = load(
            "dev = true\n",
            &[("LIVEROOM_TURN__LISTEN", "127.0.0.1:1")],
            Overrides {
                turn: Some("127.0.0.1:0".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(c.turn.listen, "127.0.0.1:0");
        // Production: the secret is required while the relay is on, and named.
        let e = load(APP, &[], Overrides::default()).unwrap_err();
        assert!(e.contains("turn.secret"), "{e}");
        let c = load(
            &format!("{APP}[turn]\nenabled = false\n"),
            &[],
            Overrides::default(),
        )
        .unwrap();
        assert!(!c.turn.enabled);
        let e = load(
            &format!("{APP}[turn]\nsecret = \"short\"\n"),
            &[],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(e.contains("16"), "{e}");
        let c = load(
            APP,
            &[("LIVEROOM_TURN__SECRET", "0123456789abcdef-secret")],
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(c.turn_secret(), "0123456789abcdef-secret");
        // A wildcard listener needs the public IP for the URLs.
        let e = load(
            "dev = true\n[turn]\nlisten = \"0.0.0.0:3478\"\n",
            &[],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(e.contains("turn.public_ip"), "{e}");
        load(
            "dev = true\n[turn]\nlisten = \"0.0.0.0:3478\"\npublic_ip = \"203.0.113.5\"\n",
            &[],
            Overrides::default(),
        )
        .unwrap();
        let e = load(
            "dev = true\n[turn]\nrelay_ip = \"x\"\n",
            &[],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(e.contains("turn.relay_ip"), "{e}");
        let e = load(
            "dev = true\n[turn]\nlisten = \"nope\"\n",
            &[],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(e.contains("turn.listen"), "{e}");
        // External coturn URLs: checked, and at least one TURN URL.
        let e = load(
            "dev = true\n[turn]\nexternal_urls = [\"http://x\"]\n",
            &[],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(e.contains("turn.external_urls"), "{e}");
        let e = load(
            "dev = true\n[turn]\nexternal_urls = [\"stun:203.0.113.5:3478\"]\n",
            &[],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(e.contains("turn:"), "{e}");
        let e = load(
            &format!("{APP}[turn]\nexternal_urls = [\"turn:203.0.113.5:3478\"]\nenabled = false\n"),
            &[],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(e.contains("turn.secret"), "{e}");
        let e = load("dev = true\n[turn]\nbogus = 1\n", &[], Overrides::default()).unwrap_err();
        assert!(e.contains("bogus"), "{e}");
    }

    #[test]
    fn cluster_flags_win_and_bad_cluster_settings_are_named() {
        let dev = || Overrides {
            dev: true,
            ..Default::default()
        };
        let env = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
                .into_iter()
        };
        // Off unless set; LIVEROOM_REDIS_URL is the flag's variable, not an unknown key.
        let c = Config::load(None, env(&[("LIVEROOM_REDIS_URL", "redis://x:1")]), &dev()).unwrap();
        assert_eq!(c.cluster.redis_url, "");
        let flags = ClusterFlags {
            redis_url: Some("redis://:p@10.0.0.5:6379/2".into()),
            node_id: Some("7".into()),
        };
        let c = Config::load_with(
            None,
            env(&[("LIVEROOM_CLUSTER__REDIS_URL", "redis://other:1")]),
            &dev(),
            &flags,
        )
        .unwrap();
        assert_eq!(c.cluster.redis_url, "redis://:p@10.0.0.5:6379/2");
        assert_eq!(c.cluster.node_id, "7");
        assert_eq!(c.cluster.placement, "least_loaded");
        let bad = |pairs: &[(&str, &str)]| {
            let mut all = vec![("LIVEROOM_CLUSTER__REDIS_URL", "redis://h:1")];
            all.extend_from_slice(pairs);
            Config::load(None, env(&all), &dev())
                .unwrap_err()
                .to_string()
        };
        let e = Config::load(
            None,
            env(&[("LIVEROOM_CLUSTER__REDIS_URL", "http://h")]),
            &dev(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("redis://"), "{e}");
        assert!(bad(&[("LIVEROOM_CLUSTER__NODE_ID", "a b")]).contains("node_id"));
        assert!(bad(&[("LIVEROOM_CLUSTER__PLACEMENT", "random")]).contains("placement"));
        assert!(bad(&[("LIVEROOM_CLUSTER__NODE_TTL_MS", "1000")]).contains("node_ttl_ms"));
    }
}
