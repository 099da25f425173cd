//! The HTTP listener's routes: the room WebSocket, the dev token endpoint, health, the SDK
//! log collector, the SDK bundle and the landing page.

use crate::edge::websocket::{WS_READ_BUFFER, WS_TRANSPORT_LIMIT, WS_WRITE_BUFFER};
use crate::ops::log_collector::MAX_BATCH_BYTES;
use crate::signalling::rate_limits::{ip_key, Take};
use crate::signalling::{session, token};
use crate::AppState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::StreamExt;
use liveroom_proto::limits::{check_id, MAX_FRAME_BYTES};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tower_http::cors::{Any, CorsLayer};

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/ws", get(room_ws))
        .route("/media", get(media_ws))
        .route("/token", get(dev_token))
        .route("/livez", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/log", get(log_ws).post(log_post))
        .route("/sdk/zego-client.js", get(sdk_bundle))
        .route("/", get(index))
        .route("/console/{name}", get(console_file))
        .route("/live/{appid}/{*rest}", get(crate::live::routes::serve))
        .route(
            crate::cluster::pipes::PIPE_PATH,
            get(crate::cluster::pipes::serve_pipe),
        )
        .route(
            crate::cluster::pipes::KEYFRAME_PATH,
            axum::routing::post(crate::cluster::pipes::serve_keyframe),
        )
        .merge(crate::ops::admin::router(state.clone()))
        .layer(DefaultBodyLimit::max(MAX_BATCH_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            per_address_rate,
        ))
        // Application pages are often served from another origin (notes §12).
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods(Any)
                .allow_headers(Any),
        )
        .with_state(state)
}

/// `http.rate_limit_per_ip_per_sec`: every request of a source address (IPv6: its /64) takes
/// a token of its bucket; past the burst, 429 with `Retry-After` before any route runs.
async fn per_address_rate(
    State(state): State<Arc<AppState>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>() {
        let now_ms = state.hub.clock.now().mono_ms;
        if let Take::Limited { retry_ms } = state.http_limits.take(&ip_key(peer.ip()), now_ms) {
            let refused = HTTP_REFUSED.fetch_add(1, Ordering::Relaxed) + 1;
            if refused.is_power_of_two() {
                tracing::warn!(peer = %peer.ip(), refused, "HTTP request over its address's rate limit (http.rate_limit_per_ip_per_sec); refused");
            }
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(
                    header::RETRY_AFTER,
                    retry_ms.div_ceil(1000).max(1).to_string(),
                )],
                "too many requests from this address\n",
            )
                .into_response();
        }
    }
    next.run(req).await
}

/// Requests refused by [`per_address_rate`] (for the log's powers of two).
static HTTP_REFUSED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

async fn room_ws(
    ws: WebSocketUpgrade,
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
) -> Response {
    if state.draining.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "server is shutting down").into_response();
    }
    let slot = match state.address_caps.acquire(peer.ip()) {
        Ok(slot) => slot,
        Err(held) => return too_many_connections(held),
    };
    // Media dispatch answers a URL on the host the client reached us by.
    let scheme = if state.config.http.tls_cert.is_empty() {
        "ws"
    } else {
        "wss"
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    let media_url = format!("{scheme}://{host}/media");
    ws.read_buffer_size(WS_READ_BUFFER)
        .write_buffer_size(WS_WRITE_BUFFER)
        .max_message_size(WS_TRANSPORT_LIMIT.max(MAX_FRAME_BYTES * 2))
        .max_frame_size(WS_TRANSPORT_LIMIT)
        .on_upgrade(move |socket| async move {
            session::serve(socket, state, peer, media_url).await;
            drop(slot);
        })
}

async fn media_ws(
    ws: WebSocketUpgrade,
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response {
    if state.draining.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "server is shutting down").into_response();
    }
    let slot = match state.address_caps.acquire(peer.ip()) {
        Ok(slot) => slot,
        Err(held) => return too_many_connections(held),
    };
    ws.read_buffer_size(WS_READ_BUFFER)
        .write_buffer_size(WS_WRITE_BUFFER)
        .max_message_size(crate::media::signalling::MAX_MEDIA_FRAME_BYTES * 2)
        .on_upgrade(move |socket| async move {
            crate::media::signalling::serve(socket, state).await;
            drop(slot);
        })
}

/// 429 before the upgrade: the address holds `session.max_connections_per_ip` already.
fn too_many_connections(held: u32) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        format!("this address holds {held} open connections, the most one address may (session.max_connections_per_ip)\n"),
    )
        .into_response()
}

#[derive(Deserialize)]
struct TokenQuery {
    app_id: Option<String>,
    id_name: Option<String>,
}

/// `GET /token?app_id=A&id_name=U`: a v1 token as plain text, in dev mode only (as the
/// original service's test endpoint).
async fn dev_token(State(state): State<Arc<AppState>>, Query(q): Query<TokenQuery>) -> Response {
    if !state.config.dev {
        return (
            StatusCode::NOT_FOUND,
            "/token exists only in dev mode; mint tokens with `liveroom token`\n",
        )
            .into_response();
    }
    let Some(appid) = q
        .app_id
        .as_deref()
        .and_then(|a| a.trim().parse::<u64>().ok())
        .filter(|a| *a != 0)
    else {
        return (
            StatusCode::BAD_REQUEST,
            "app_id must be a positive number\n",
        )
            .into_response();
    };
    let id_name = q.id_name.unwrap_or_default();
    if let Err(e) = check_id("id_name", &id_name, 1) {
        return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response();
    }
    let Some(app) = state.apps.get(appid) else {
        return (StatusCode::NOT_FOUND, "unknown app\n").into_response();
    };
    let expired = state.hub.clock.now().unix_ms / 1000 + state.config.tokens.default_ttl_secs;
    let t = token::make_v1(app.appid, &app.app_sign, &id_name, expired);
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], t).into_response()
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    if state.draining.load(Ordering::SeqCst) {
        (StatusCode::SERVICE_UNAVAILABLE, "draining").into_response()
    } else if state.cluster.as_ref().is_some_and(|c| !c.redis_ok()) {
        (StatusCode::SERVICE_UNAVAILABLE, "redis unreachable").into_response()
    } else {
        "ok".into_response()
    }
}

async fn log_post(State(state): State<Arc<AppState>>, body: String) -> Response {
    let Some(c) = state.log_collector.clone() else {
        return (
            StatusCode::NOT_FOUND,
            "log collector is off (set log_collector.dir)\n",
        )
            .into_response();
    };
    let r = tokio::task::spawn_blocking(move || c.store_batch(&body))
        .await
        .unwrap_or_default();
    axum::Json(serde_json::json!({"stored": r.stored, "rejected": r.rejected, "interval": 10000}))
        .into_response()
}

async fn log_ws(ws: WebSocketUpgrade, State(state): State<Arc<AppState>>) -> Response {
    let Some(c) = state.log_collector.clone() else {
        return (
            StatusCode::NOT_FOUND,
            "log collector is off (set log_collector.dir)\n",
        )
            .into_response();
    };
    ws.read_buffer_size(WS_READ_BUFFER)
        .write_buffer_size(WS_WRITE_BUFFER)
        .max_message_size(MAX_BATCH_BYTES)
        .on_upgrade(move |socket: WebSocket| async move {
            let (_, mut rx) = socket.split();
            while let Some(Ok(msg)) = rx.next().await {
                if let Message::Text(t) = msg {
                    let c = c.clone();
                    let text = t.to_string();
                    let _ = tokio::task::spawn_blocking(move || c.store_batch(&text)).await;
                }
            }
        })
}

async fn sdk_bundle() -> Response {
    match SDK_BUNDLE {
        Some(js) => ([(header::CONTENT_TYPE, "application/javascript; charset=utf-8")], js).into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the SDK bundle was not built into this binary: run `npm --prefix sdk ci && npm --prefix sdk run build`, then rebuild the server\n",
        )
            .into_response(),
    }
}

/// The demo console: `/` is `web/index.html`, `/console/NAME` the other files of `web/`.
async fn index() -> Response {
    web_file("index.html")
}

async fn console_file(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    web_file(&name)
}

fn web_file(name: &str) -> Response {
    let Some((_, body)) = WEB_FILES.iter().find(|(n, _)| *n == name) else {
        if name == "index.html" {
            return Html("<!doctype html><title>Liveroom</title><p>Liveroom server is running (the demo console was not built into this binary).</p>").into_response();
        }
        return (StatusCode::NOT_FOUND, "no such file\n").into_response();
    };
    let mime = match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "application/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    ([(header::CONTENT_TYPE, mime)], *body).into_response()
}
