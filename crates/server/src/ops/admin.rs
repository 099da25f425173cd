//! The admin REST API under `/admin/v1/` (docs/business-server.md): rooms, their users and
//! streams; kick, close, system messages, reliable messages; login tokens; signed live URLs.
//!
//! Every request needs `Authorization: Bearer <admin.secret>`; the API is off (404) while
//! `admin.secret` is empty. Answers and errors are JSON; errors are `{code, message}`.
//! Room queries go to the room's actor and come back through a oneshot.

use crate::cluster::{AdminHandler, Cluster, ForwardedAdmin};
use crate::rooms::commands::{AdminCmd, Claim, RoomInfo, RoomKey};
use crate::signalling::token;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use liveroom_proto::errors::kick_reason;
use liveroom_proto::limits::{check_id, CHAT_CONTENT_MAX_BYTES};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::oneshot;
use tower::ServiceExt;

/// An error answer: HTTP status and `{code, message}`.
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    fn bad(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    fn no_room(key: &RoomKey) -> ApiError {
        Self::new(
            StatusCode::NOT_FOUND,
            "room_not_found",
            format!("no room {:?} in app {}", key.room_id, key.appid),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
            Json(json!({"code": self.code, "message": self.message})),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"liveroom-admin\""),
            );
        }
        r
    }
}

type ApiResult = Result<Json<Value>, ApiError>;

pub fn router(state: Arc<AppState>) -> Router<Arc<AppState>> {
    let room = "/admin/v1/apps/{appid}/rooms/{room_id}";
    Router::new()
        .route("/admin/v1/rooms", get(list_rooms))
        .route("/admin/v1/apps/{appid}/rooms", get(list_app_rooms))
        .route(room, get(room_info))
        .route(&format!("{room}/users"), get(room_users))
        .route(&format!("{room}/streams"), get(room_streams))
        .route(&format!("{room}/users/{{id_name}}/kick"), post(kick_user))
        .route(&format!("{room}/close"), post(close_room))
        .route(&format!("{room}/messages"), post(send_message))
        .route(&format!("{room}/trans"), post(send_trans))
        .route("/admin/v1/apps/{appid}/users/{id_name}", get(find_user))
        .route(
            "/admin/v1/apps/{appid}/users/{id_name}/kick",
            post(kick_anywhere),
        )
        .route("/admin/v1/nodes", get(list_nodes))
        .route("/admin/v1/nodes/{node_id}/drain", post(drain_node))
        .route("/admin/v1/tokens", post(mint_token))
        .route("/admin/v1/apps/{appid}/live_urls", post(mint_live_urls))
        .route("/admin/v1/{*rest}", get(not_found).post(not_found))
        // Authorized here first, then answered here or by the node the room or user is on.
        .route_layer(middleware::from_fn_with_state(state.clone(), cluster_route))
        .route_layer(middleware::from_fn_with_state(state, authorize))
}

/// Set on an admin API request one node passes on to another, which answers it itself.
pub const FORWARDED_HEADER: &str = "x-liveroom-forwarded";
/// The largest admin request body passed on to another node.
const MAX_FORWARDED_BODY: usize = 1024 * 1024;

/// In a cluster (docs/cluster.md): a room's calls are answered by the node the room lives
/// on, a user's by the node of its login, and room lists are gathered from every node.
async fn cluster_route(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let Some(c) = state.cluster.clone() else {
        return next.run(req).await;
    };
    if req.headers().contains_key(FORWARDED_HEADER) {
        return next.run(req).await;
    }
    let segs: Vec<String> = req
        .uri()
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let target = match segs.as_slice() {
        ["admin", "v1", "rooms"] | ["admin", "v1", "apps", _, "rooms"] => {
            return gather_rooms(&c, req, next).await
        }
        ["admin", "v1", "apps", appid, "rooms", room_id, ..] => match appid.parse::<u64>() {
            Ok(appid) => {
                let key = RoomKey {
                    appid,
                    room_id: room_id.to_string(),
                };
                c.room_node(&key).await
            }
            Err(_) => None,
        },
        ["admin", "v1", "nodes", node_id, "drain"] if *node_id != c.info.id => {
            Some(node_id.to_string())
        }
        ["admin", "v1", "apps", appid, "users", id_name, ..] => match appid.parse::<u64>() {
            Ok(appid) => c.user_node(appid, id_name).await,
            Err(_) => None,
        },
        _ => None,
    };
    match target {
        Some(node) => forward(&c, &node, req).await,
        None => next.run(req).await,
    }
}

fn forwarded(parts: &axum::http::request::Parts, body: &[u8]) -> ForwardedAdmin {
    ForwardedAdmin {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        authorization: parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        body: String::from_utf8_lossy(body).into_owned(),
    }
}

async fn forward(c: &Cluster, node: &str, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_FORWARDED_BODY).await {
        Ok(b) => b,
        Err(e) => return ApiError::bad(format!("request body: {e}")).into_response(),
    };
    match c.forward_admin(node, forwarded(&parts, &body)).await {
        Ok((status, body)) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(node, error = %e, "admin API: the node a request belongs to did not answer");
            ApiError::new(StatusCode::BAD_GATEWAY, "node_unreachable", e).into_response()
        }
    }
}

/// A room list of every node: this node's, and the others' asked through Redis; a node that
/// does not answer is named in `unreachable_nodes`.
async fn gather_rooms(c: &Cluster, req: Request, next: Next) -> Response {
    let nodes = match c.nodes().await {
        Ok(n) => n,
        Err(e) => {
            return ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "redis_unreachable",
                format!("the cluster's Redis is unreachable: {e}"),
            )
            .into_response()
        }
    };
    let (parts, body) = req.into_parts();
    let ask = forwarded(&parts, b"");
    let local = next.run(Request::from_parts(parts, body)).await;
    if local.status() != StatusCode::OK {
        return local;
    }
    let local = axum::body::to_bytes(local.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let mut rooms: Vec<Value> = serde_json::from_slice::<Value>(&local)
        .ok()
        .and_then(|v| v["rooms"].as_array().cloned())
        .unwrap_or_default();
    let others: Vec<String> = nodes
        .into_iter()
        .map(|n| n.node_id)
        .filter(|n| *n != c.info.id)
        .collect();
    let answers =
        futures_util::future::join_all(others.iter().map(|n| c.forward_admin(n, ask.clone())))
            .await;
    let mut unreachable = Vec::new();
    for (node, a) in others.iter().zip(answers) {
        match a {
            Ok((200, body)) => rooms.extend(
                serde_json::from_str::<Value>(&body)
                    .ok()
                    .and_then(|v| v["rooms"].as_array().cloned())
                    .unwrap_or_default(),
            ),
            _ => unreachable.push(node.clone()),
        }
    }
    rooms.sort_by(|a, b| {
        (a["appid"].as_u64(), a["room_id"].as_str())
            .cmp(&(b["appid"].as_u64(), b["room_id"].as_str()))
    });
    let mut out = json!({ "rooms": rooms });
    if !unreachable.is_empty() {
        out["unreachable_nodes"] = json!(unreachable);
    }
    Json(out).into_response()
}

/// Decodes `%XX` escapes of a path segment (as the `Path` extractor does).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Escapes a path segment for a URL this node builds.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|c| {
            if c.is_ascii_alphanumeric() || b"-_.~".contains(&c) {
                (c as char).to_string()
            } else {
                format!("%{c:02X}")
            }
        })
        .collect()
}

/// What answers the admin API requests other nodes pass on to this one: this node's own
/// router, with the request marked as forwarded (answered here, never passed on again).
pub fn forwarded_handler(state: std::sync::Weak<AppState>) -> AdminHandler {
    Arc::new(move |f: ForwardedAdmin| {
        let state = state.upgrade();
        Box::pin(async move {
            let Some(state) = state else {
                return (
                    503,
                    json!({"code": "stopping", "message": "node stopping"}).to_string(),
                );
            };
            let req = axum::http::Request::builder()
                .method(f.method.as_str())
                .uri(&f.path)
                .header(header::AUTHORIZATION, f.authorization)
                .header(header::CONTENT_TYPE, "application/json")
                .header(FORWARDED_HEADER, "1")
                .body(axum::body::Body::from(f.body));
            let req = match req {
                Ok(r) => r,
                Err(e) => {
                    let msg = format!("forwarded request: {e}");
                    return (
                        400,
                        json!({"code": "bad_request", "message": msg}).to_string(),
                    );
                }
            };
            let rsp = match router(state.clone()).with_state(state).oneshot(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            let status = rsp.status().as_u16();
            let body = axum::body::to_bytes(rsp.into_body(), usize::MAX)
                .await
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            (status, body)
        })
    })
}

/// Constant-time comparison (the secret's length is not hidden).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn authorize(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let secret = &state.config.admin.secret;
    if secret.is_empty() {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "admin_disabled",
            "the admin API is off: set admin.secret",
        )
        .into_response();
    }
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(t) if same(t.as_bytes(), secret.as_bytes()) => next.run(req).await,
        Some(_) => {
            tracing::warn!(path = %req.uri().path(), "admin API: wrong bearer token");
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "wrong admin bearer token",
            )
            .into_response()
        }
        None => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing Authorization: Bearer <admin.secret>",
        )
        .into_response(),
    }
}

/// `GET /admin/v1/nodes`: the live nodes of the cluster with their load (docs/cluster.md); a
/// node without `cluster.redis_url` lists itself.
async fn list_nodes(State(state): State<Arc<AppState>>) -> ApiResult {
    let Some(c) = &state.cluster else {
        let me = state.node.record(&state.hub, state.hub.clock.now().unix_ms);
        return Ok(Json(
            json!({"clustered": false, "node_id": me.node_id, "nodes": [me]}),
        ));
    };
    match c.nodes().await {
        Ok(nodes) => Ok(Json(
            json!({"clustered": true, "node_id": c.info.id, "nodes": nodes}),
        )),
        Err(e) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "redis_unreachable",
            format!("the cluster's Redis is unreachable: {e}"),
        )),
    }
}

/// `POST /admin/v1/nodes/{node_id}/drain`: the node (this one; another is reached through the
/// cluster) stops taking rooms and sessions, hands its rooms over, moves its clients and exits
/// as on SIGTERM.
async fn drain_node(State(state): State<Arc<AppState>>, Path(node_id): Path<String>) -> ApiResult {
    if node_id != state.node.id {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no live node {node_id:?}"),
        ));
    }
    tracing::warn!(node = %node_id, "drain asked for through the admin API");
    state.drain_requested.notify_one();
    Ok(Json(json!({"node_id": node_id, "draining": true})))
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such admin endpoint")
}

fn parse_appid(s: &str) -> Result<u64, ApiError> {
    s.parse::<u64>()
        .ok()
        .filter(|a| *a != 0)
        .ok_or_else(|| ApiError::bad(format!("appid must be a positive number, not {s:?}")))
}

fn room_key(appid: &str, room_id: String) -> Result<RoomKey, ApiError> {
    Ok(RoomKey {
        appid: parse_appid(appid)?,
        room_id,
    })
}

fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.is_empty() { b"{}" } else { bytes };
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad(format!("request body: {e}")))
}

/// Sends `make(reply)` to the room and waits for the answer; a missing or retiring room is
/// `room_not_found`.
async fn ask<T>(
    state: &AppState,
    key: &RoomKey,
    make: impl FnOnce(oneshot::Sender<T>) -> AdminCmd,
) -> Result<T, ApiError> {
    state
        .hub
        .ask(key, make)
        .await
        .ok_or_else(|| ApiError::no_room(key))
}

async fn rooms_of(state: &AppState, appid: Option<u64>) -> Vec<RoomInfo> {
    let keys: Vec<RoomKey> = state
        .hub
        .rooms()
        .into_iter()
        .filter(|k| appid.is_none() || appid == Some(k.appid))
        .collect();
    let asks = keys.iter().map(|k| ask(state, k, AdminCmd::Info));
    let mut rooms: Vec<RoomInfo> = futures_util::future::join_all(asks)
        .await
        .into_iter()
        .flatten()
        .collect();
    rooms.sort_by(|a, b| (a.appid, &a.room_id).cmp(&(b.appid, &b.room_id)));
    rooms
}

#[derive(Deserialize)]
struct RoomsQuery {
    appid: Option<String>,
}

async fn list_rooms(State(state): State<Arc<AppState>>, Query(q): Query<RoomsQuery>) -> ApiResult {
    let appid = q.appid.as_deref().map(parse_appid).transpose()?;
    Ok(Json(json!({"rooms": rooms_of(&state, appid).await})))
}

async fn list_app_rooms(
    State(state): State<Arc<AppState>>,
    Path(appid): Path<String>,
) -> ApiResult {
    let appid = parse_appid(&appid)?;
    Ok(Json(json!({"rooms": rooms_of(&state, Some(appid)).await})))
}

async fn room_info(
    State(state): State<Arc<AppState>>,
    Path((appid, room_id)): Path<(String, String)>,
) -> ApiResult {
    let key = room_key(&appid, room_id)?;
    let info = ask(&state, &key, AdminCmd::Info).await?;
    Ok(Json(json!(info)))
}

async fn room_users(
    State(state): State<Arc<AppState>>,
    Path((appid, room_id)): Path<(String, String)>,
) -> ApiResult {
    let key = room_key(&appid, room_id)?;
    let users: Vec<Value> = ask(&state, &key, AdminCmd::Users)
        .await?
        .into_iter()
        .map(|m| {
            json!({"id_name": m.id_name, "nick_name": m.nick_name, "role": m.role,
                   "user_id": m.user_id.to_string(), "login_time": m.login_unix_ms,
                   "connected": m.connected})
        })
        .collect();
    Ok(Json(json!({"users": users})))
}

async fn room_streams(
    State(state): State<Arc<AppState>>,
    Path((appid, room_id)): Path<(String, String)>,
) -> ApiResult {
    let key = room_key(&appid, room_id)?;
    let (seq, streams) = ask(&state, &key, AdminCmd::Streams).await?;
    Ok(Json(json!({"stream_seq": seq, "streams": streams})))
}

async fn kick_user(
    State(state): State<Arc<AppState>>,
    Path((appid, room_id, id_name)): Path<(String, String, String)>,
) -> ApiResult {
    let key = room_key(&appid, room_id)?;
    let kicked = ask(&state, &key, |reply| AdminCmd::Kick {
        id_name: id_name.clone(),
        reason: kick_reason::ADMIN,
        reply,
    })
    .await?;
    if !kicked {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "user_not_found",
            format!("{id_name:?} is not in room {:?}", key.room_id),
        ));
    }
    Ok(Json(json!({"kicked": id_name})))
}

fn no_user(id_name: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "user_not_found",
        format!("{id_name:?} is not logged in on this server"),
    )
}

/// The user's login claim, or 404 `no_user`.
fn logged_in(state: &AppState, appid: u64, id_name: &str) -> Result<Claim, ApiError> {
    state
        .hub
        .claim_of(appid, id_name)
        .ok_or_else(|| no_user(id_name))
}

/// Where a user is logged in: `{id_name, room_id}`.
async fn find_user(
    State(state): State<Arc<AppState>>,
    Path((appid, id_name)): Path<(String, String)>,
) -> ApiResult {
    let appid = parse_appid(&appid)?;
    let claim = logged_in(&state, appid, &id_name)?;
    Ok(Json(
        json!({"appid": appid, "id_name": id_name, "room_id": claim.room.room_id}),
    ))
}

/// Kicks a user out of whatever room it is in.
async fn kick_anywhere(
    State(state): State<Arc<AppState>>,
    Path((appid, id_name)): Path<(String, String)>,
) -> ApiResult {
    let appid = parse_appid(&appid)?;
    let claim = logged_in(&state, appid, &id_name)?;
    if let Some(c) = &state.cluster {
        // A login of this node relayed to a room on another node: that node kicks.
        if state.hub.room(&claim.room).is_none() {
            if let Some(node) = c.room_node(&claim.room).await {
                let path = format!(
                    "/admin/v1/apps/{appid}/rooms/{}/users/{}/kick",
                    percent_encode(&claim.room.room_id),
                    percent_encode(&id_name)
                );
                let f = ForwardedAdmin {
                    method: "POST".into(),
                    path,
                    authorization: format!("Bearer {}", state.config.admin.secret),
                    body: String::new(),
                };
                return match c.forward_admin(&node, f).await {
                    Ok((200, _)) => Ok(Json(
                        json!({"kicked": id_name, "room_id": claim.room.room_id}),
                    )),
                    Ok(_) => Err(no_user(&id_name)),
                    Err(e) => Err(ApiError::new(
                        StatusCode::BAD_GATEWAY,
                        "node_unreachable",
                        e,
                    )),
                };
            }
        }
    }
    let kicked = ask(&state, &claim.room, |reply| AdminCmd::Kick {
        id_name: id_name.clone(),
        reason: kick_reason::ADMIN,
        reply,
    })
    .await?;
    if !kicked {
        return Err(no_user(&id_name));
    }
    Ok(Json(
        json!({"kicked": id_name, "room_id": claim.room.room_id}),
    ))
}

async fn close_room(
    State(state): State<Arc<AppState>>,
    Path((appid, room_id)): Path<(String, String)>,
) -> ApiResult {
    let key = room_key(&appid, room_id)?;
    let users = ask(&state, &key, |reply| AdminCmd::Close {
        reason: kick_reason::ROOM_CLOSED,
        reply,
    })
    .await?;
    Ok(Json(json!({"closed": true, "users": users})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageBody {
    content: String,
    /// `msg_category` of the chat message: 2 (system) unless given.
    #[serde(default = "system_category")]
    category: u32,
    /// `msg_type`: 1 (text) unless given.
    #[serde(default = "text_type", rename = "type")]
    msg_type: u32,
}

fn system_category() -> u32 {
    2
}

fn text_type() -> u32 {
    1
}

async fn send_message(
    State(state): State<Arc<AppState>>,
    Path((appid, room_id)): Path<(String, String)>,
    raw: Bytes,
) -> ApiResult {
    let key = room_key(&appid, room_id)?;
    let b: MessageBody = body(&raw)?;
    if b.content.len() > CHAT_CONTENT_MAX_BYTES {
        return Err(ApiError::bad(format!(
            "content is over {CHAT_CONTENT_MAX_BYTES} bytes"
        )));
    }
    let msg_id = ask(&state, &key, |reply| AdminCmd::Chat {
        category: b.category,
        msg_type: b.msg_type,
        content: b.content,
        reply,
    })
    .await?;
    Ok(Json(json!({"msg_id": msg_id})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransBody {
    trans_type: String,
    trans_data: String,
    /// Shown to clients as `trans_user_idname` ("" unless given).
    #[serde(default)]
    id_name: String,
}

async fn send_trans(
    State(state): State<Arc<AppState>>,
    Path((appid, room_id)): Path<(String, String)>,
    raw: Bytes,
) -> ApiResult {
    let key = room_key(&appid, room_id)?;
    let b: TransBody = body(&raw)?;
    check_id("id_name", &b.id_name, 0).map_err(ApiError::bad)?;
    let trans_type = b.trans_type.clone();
    let seq = ask(&state, &key, |reply| AdminCmd::Trans {
        trans_type: b.trans_type,
        data: b.trans_data,
        id_name: b.id_name,
        reply,
    })
    .await?
    .map_err(|r| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
            format!("{} ({}): {}", r.code.message(), r.code.0, r.detail),
        )
    })?;
    Ok(Json(json!({"trans_type": trans_type, "trans_seq": seq})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    appid: u64,
    id_name: String,
    /// 2 (default) or 1 (legacy, when `tokens.allow_v1`).
    #[serde(default = "v2")]
    version: u32,
    /// v2: the only room the token logs in to ("" = any).
    #[serde(default)]
    room_id: String,
    /// v2: whether the token may publish streams.
    #[serde(default = "yes")]
    publish: bool,
    /// Lifetime; `tokens.default_ttl_secs` unless given.
    ttl_secs: Option<u64>,
}

fn v2() -> u32 {
    2
}

fn yes() -> bool {
    true
}

async fn mint_token(State(state): State<Arc<AppState>>, raw: Bytes) -> ApiResult {
    let b: TokenBody = body(&raw)?;
    check_id("id_name", &b.id_name, 1).map_err(ApiError::bad)?;
    check_id("room_id", &b.room_id, 0).map_err(ApiError::bad)?;
    let app = state.apps.get(b.appid).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_app",
            format!("no app {}", b.appid),
        )
    })?;
    let ttl = b.ttl_secs.unwrap_or(state.config.tokens.default_ttl_secs);
    if ttl == 0 {
        return Err(ApiError::bad("ttl_secs must be positive"));
    }
    let expired = state.hub.clock.now().unix_ms / 1000 + ttl;
    let t = match b.version {
        2 => {
            let privilege = token::PRIVILEGE_LOGIN
                | if b.publish {
                    token::PRIVILEGE_PUBLISH
                } else {
                    0
                };
            token::make_v2(
                app.appid,
                &app.server_secret,
                &b.id_name,
                &b.room_id,
                privilege,
                expired,
            )
        }
        1 if !state.config.tokens.allow_v1() => {
            return Err(ApiError::bad(
                "v1 tokens are off on this server (tokens.allow_v1 = false)",
            ))
        }
        1 if !b.room_id.is_empty() || !b.publish => {
            return Err(ApiError::bad(
                "v1 tokens carry no room or privilege: use version 2",
            ))
        }
        1 if ttl > state.config.tokens.v1_max_ttl_secs => {
            return Err(ApiError::bad(format!(
                "ttl_secs of a v1 token is at most tokens.v1_max_ttl_secs ({})",
                state.config.tokens.v1_max_ttl_secs
            )))
        }
        1 => token::make_v1(app.appid, &app.app_sign, &b.id_name, expired),
        v => return Err(ApiError::bad(format!("version must be 1 or 2, not {v}"))),
    };
    Ok(Json(
        json!({"token": t, "version": b.version, "expired": expired}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LiveUrlsBody {
    stream_id: String,
    /// Lifetime; `live.url_ttl_secs` unless given.
    ttl_secs: Option<u64>,
}

/// A stream's signed HTTP-FLV and HLS URLs (protocol.md §11), for a business server that hands
/// out its own.
async fn mint_live_urls(
    State(state): State<Arc<AppState>>,
    Path(appid): Path<String>,
    raw: Bytes,
) -> ApiResult {
    let appid = parse_appid(&appid)?;
    let b: LiveUrlsBody = body(&raw)?;
    check_id("stream_id", &b.stream_id, 1).map_err(ApiError::bad)?;
    let app = state.apps.get(appid).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_app",
            format!("no app {appid}"),
        )
    })?;
    if !state.outputs.enabled() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "live_off",
            "live outputs are off on this server (live.enabled, media, or a build without `live`)",
        ));
    }
    let ttl = b.ttl_secs.unwrap_or(state.config.live.url_ttl_secs);
    if ttl == 0 {
        return Err(ApiError::bad("ttl_secs must be positive"));
    }
    let expires = (state.hub.clock.now().unix_ms / 1000).saturating_add(ttl);
    let query = crate::live::sign::query(&app.server_secret, appid, &b.stream_id, expires);
    let u = state.mixes.urls.urls(appid, &b.stream_id, Some(&query));
    let first = |a: Vec<String>, b: Vec<String>| a.into_iter().chain(b).next();
    Ok(Json(json!({
        "flv": first(u.flv, u.https_flv),
        "m3u8": first(u.m3u8, u.https_m3u8),
        "expires": expires,
        "signed": app.signed_live_urls,
    })))
}
