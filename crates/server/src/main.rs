//! `liveroom`: the server (`liveroom --dev`, `liveroom --config FILE`) and its tools
//! (`liveroom token ...`).

use clap::{Parser, Subcommand};
use liveroom_server::config::{ClusterFlags, Config, Overrides, DEV_APP_SIGN, DEV_SERVER_SECRET};
use liveroom_server::signalling::token;
use std::io::Write;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Parser)]
#[command(
    name = "liveroom",
    version,
    about = "Liveroom: self-hosted real-time audio/video rooms"
)]
struct Cli {
    /// Dev mode: in-memory state, any appid with the fixed dev credentials, /token endpoint.
    #[arg(long)]
    dev: bool,
    /// TOML configuration file (see docs/configuration.md).
    #[arg(long, env = "LIVEROOM_CONFIG")]
    config: Option<PathBuf>,
    /// HTTP and WebSocket listener address; port 0 picks a free port.
    #[arg(long, value_name = "ADDR")]
    http: Option<String>,
    /// Prometheus metrics listener address (default 127.0.0.1:9282); port 0 picks a free port.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<String>,
    /// Media (WebRTC) UDP listener address; port 0 picks a free port.
    #[arg(long, value_name = "ADDR")]
    rtc: Option<String>,
    /// Embedded TURN relay's UDP and TCP listener address; port 0 picks a free port.
    #[arg(long, value_name = "ADDR")]
    turn: Option<String>,
    /// Redis the nodes of a cluster share (`redis://` or `rediss://`, password and db in the
    /// URL): turns clustering on (docs/cluster.md).
    #[arg(long, value_name = "URL", env = "LIVEROOM_REDIS_URL")]
    redis: Option<String>,
    /// This node's id in the cluster (default: host name and bound HTTP address).
    #[arg(long, value_name = "ID")]
    node_id: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Prints a login token.
    Token {
        #[arg(long)]
        appid: u64,
        /// The user (login tokens).
        #[arg(long, default_value = "")]
        id_name: String,
        /// Make stream-authentication `streamParams` for this stream instead of a login token
        /// (needs --server-secret or --dev-credentials).
        #[arg(long)]
        stream_id: Option<String>,
        /// App sign: makes a legacy v1 token (defaults to the dev app sign with --dev-credentials).
        #[arg(long)]
        app_sign: Option<String>,
        /// Server secret: makes a v2 token (recommended for production).
        #[arg(long)]
        server_secret: Option<String>,
        /// v2 only: restrict the token to this room.
        #[arg(long, default_value = "")]
        room_id: String,
        /// v2 only: the token may log in but not publish.
        #[arg(long)]
        no_publish: bool,
        /// Use the dev credentials (for a server started with --dev).
        #[arg(long)]
        dev_credentials: bool,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 86400)]
        ttl: u64,
    },
}

fn main() {
    let cli = Cli::parse();
    if let Some(Command::Token {
        appid,
        id_name,
        stream_id,
        app_sign,
        server_secret,
        room_id,
        no_publish,
        dev_credentials,
        ttl,
    }) = cli.command
    {
        let expired = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
            + ttl;
        if let Some(stream_id) = stream_id {
            let secret = match (server_secret, dev_credentials) {
                (Some(s), _) => s,
                (None, true) => liveroom_server::config::DEV_SERVER_SECRET.to_string(),
                (None, false) => {
                    eprintln!(
                        "liveroom token --stream-id: give --server-secret or --dev-credentials"
                    );
                    std::process::exit(2);
                }
            };
            println!(
                "{}",
                token::make_stream_params(appid, &secret, &stream_id, expired)
            );
            return;
        }
        if id_name.is_empty() {
            eprintln!("liveroom token: --id-name is required for a login token");
            std::process::exit(2);
        }
        let t = match (app_sign, server_secret, dev_credentials) {
            (_, Some(secret), _) => {
                let privilege = token::PRIVILEGE_LOGIN
                    | if no_publish {
                        0
                    } else {
                        token::PRIVILEGE_PUBLISH
                    };
                token::make_v2(appid, &secret, &id_name, &room_id, privilege, expired)
            }
            (Some(sign), None, _) => token::make_v1(appid, &sign, &id_name, expired),
            (None, None, true) => token::make_v1(appid, DEV_APP_SIGN, &id_name, expired),
            (None, None, false) => {
                eprintln!("liveroom token: give --app-sign (v1), --server-secret (v2) or --dev-credentials");
                std::process::exit(2);
            }
        };
        println!("{t}");
        return;
    }
    let overrides = Overrides {
        dev: cli.dev,
        http: cli.http,
        metrics: cli.metrics,
        rtc: cli.rtc,
        turn: cli.turn,
    };
    let cluster_flags = ClusterFlags {
        redis_url: cli.redis,
        node_id: cli.node_id,
    };
    let config = match Config::load_with(
        cli.config.as_ref(),
        std::env::vars(),
        &overrides,
        &cluster_flags,
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("liveroom: {e}");
            std::process::exit(2);
        }
    };
    init_logging(&config);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let dev = config.dev;
        let server = match liveroom_server::start(config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("liveroom: {e}");
                std::process::exit(1);
            }
        };
        if dev {
            eprintln!(
                "liveroom dev mode: any appid is accepted\n  app sign:      {DEV_APP_SIGN}\n  server secret: {DEV_SERVER_SECRET}\n  console:       http://{}/\n  dev token:     http://{}/token?app_id=1&id_name=alice",
                server.http_addr, server.http_addr
            );
        }
        let mut out = std::io::stdout();
        let _ = writeln!(out, "{}", server.ready_line());
        let _ = out.flush();
        tokio::select! {
            _ = wait_for_signal() => tracing::info!("shutting down"),
            _ = server.state.drain_requested.notified() => tracing::info!("drain asked for through the admin API; shutting down"),
        }
        server.shutdown().await;
    });
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

fn init_logging(c: &Config) {
    liveroom_server::ops::log_format::init(&c.log.level, &c.log.format);
}
