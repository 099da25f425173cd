//! One room-protocol WebSocket connection: reads frames, checks them, logs in, forwards
//! commands to the room actor; a writer task drains the connection's bounded queue and
//! writes each frame's header (the recipient's own ids) around the shared body.

use crate::edge::websocket::close_code;
use crate::integrations::business::BusinessError;
use crate::rooms::commands::{Claim, RoomCmd, RoomKey};
use crate::rooms::member_queue::{Conn, Outbound, OutboundRx, SessionOutbox};
use crate::rooms::registry::StreamClaimError;
use crate::signalling::login;
use crate::signalling::rate_limits::{LoginScope, Take, TokenBucket};
use crate::AppState;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::{SplitSink, StreamExt};
use futures_util::SinkExt;
use liveroom_proto::body::{
    self, error_body, ok_body, LoginReq, PushKickout, RelayReq, RelayRsp, WebrtcUrlReq,
    WebrtcUrlRsp,
};
use liveroom_proto::envelope::SessionIds;
use liveroom_proto::errors::kick_reason;
use liveroom_proto::limits::*;
use liveroom_proto::{encode_push, encode_reply, parse_frame, ErrCode, ReqHeader};
use liveroom_room::{LoginInput, Request};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long the end of a connection waits for its writer to flush.
const WRITER_FLUSH: Duration = Duration::from_secs(2);
/// How long a close frame may wait for a client's full socket.
const CLOSE_WRITE: Duration = Duration::from_secs(1);

struct LoggedIn {
    room_key: RoomKey,
    room: mpsc::Sender<RoomCmd>,
    key: u64,
    session_id: String,
    id_name: String,
    nick_name: String,
    out: SessionOutbox,
}

struct Session {
    state: Arc<AppState>,
    /// The media-signalling URL `webrtc_url` answers.
    media_url: String,
    conn: Arc<Conn>,
    peer: SocketAddr,
    bucket: TokenBucket,
    /// This connection's logins (`session.login_rate_per_sec`, `login_burst`).
    login_bucket: TokenBucket,
    login: Option<LoggedIn>,
    rate_limited: u64,
    /// Logins this connection had refused by a login limit.
    logins_limited: u64,
}

pub async fn serve(socket: WebSocket, state: Arc<AppState>, peer: SocketAddr, media_url: String) {
    let (conn, rx) = Conn::with_metrics(
        state.config.session.outbound_queue,
        Some(state.hub.metrics.clone()),
    );
    let metrics = state.hub.metrics.clone();
    metrics.connections.inc();
    metrics.connections_total.inc();
    let (sink, mut stream) = socket.split();
    let write_timeout = Duration::from_millis(state.config.session.write_timeout_ms);
    let mut writer = tokio::spawn(write_loop(sink, rx, conn.clone(), write_timeout));
    let mut shutdown = state.shutdown.clone();
    let login_deadline = tokio::time::sleep(Duration::from_millis(
        state.config.session.login_deadline_ms,
    ));
    tokio::pin!(login_deadline);
    let now_ms = state.hub.clock.now().mono_ms;
    let mut s = Session {
        bucket: TokenBucket::new(
            state.config.session.rate_limit_per_sec,
            state.config.session.rate_limit_burst,
            now_ms,
        ),
        login_bucket: TokenBucket::new(
            state.config.session.login_rate_per_sec,
            state.config.session.login_burst,
            now_ms,
        ),
        logins_limited: 0,
        state,
        media_url,
        conn: conn.clone(),
        peer,
        login: None,
        rate_limited: 0,
    };
    let mut writer_done = false;
    let mut deadline_done = false;
    tracing::debug!(%peer, "room connection opened");
    loop {
        tokio::select! {
            msg = stream.next() => match msg {
                Some(Ok(Message::Text(t))) => {
                    // Boxed: the handling of one frame (a login's is the largest) lives on the
                    // heap while it runs, not in every idle connection's task (docs/benchmarks.md).
                    if !Box::pin(s.on_text(t.as_str())).await {
                        break;
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    s.refuse_raw("", 0, ErrCode::PARSE_JSON, "binary frames are not accepted");
                }
                Some(Err(e)) => {
                    if let Some(reason) = crate::edge::websocket::ws_too_big(&e) {
                        tracing::warn!(%peer, %reason, "frame refused by the WebSocket layer; closing");
                        conn.kill(close_code::TOO_BIG, &reason);
                    }
                    break;
                }
                Some(Ok(Message::Close(_))) | None => break,
                Some(Ok(_)) => {}
            },
            _ = &mut writer => { writer_done = true; break; }
            _ = shutdown.changed() => {
                // Not a kick-out: the SDK sees a dropped socket and logs in again later.
                conn.kill(close_code::GOING_AWAY, "server shutting down");
            }
            _ = &mut login_deadline, if !deadline_done => {
                deadline_done = true;
                if s.login.is_none() {
                    tracing::info!(%peer, "no login in time; closing");
                    conn.kill(close_code::POLICY, "no login in time");
                }
            }
        }
    }
    s.on_close().await;
    conn.kill(close_code::NORMAL, "");
    if !writer_done {
        let _ = tokio::time::timeout(WRITER_FLUSH, writer).await;
    }
    metrics.connections.dec();
    tracing::debug!(%peer, "room connection closed");
}

/// Writes the queue out; a frame the socket does not take within `write_timeout` (the client
/// stopped reading and the kernel buffers are full) disconnects the client.
async fn write_loop(
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: OutboundRx,
    conn: Arc<Conn>,
    write_timeout: Duration,
) {
    let mut push_seq: u64 = 0;
    loop {
        let item = tokio::select! {
            biased;
            (code, reason) = conn.killed() => return close(&mut sink, code, reason).await,
            item = rx.recv() => item,
        };
        let Some(item) = item else { return };
        let mut close_after = false;
        let text = match item {
            Outbound::Reply {
                cmd,
                seq,
                body,
                ids,
            } => encode_reply(&cmd, seq, &ids, &body),
            Outbound::Push { push, ids } => {
                push_seq += 1;
                encode_push(push.cmd, push_seq, &push.from_user_id, &ids, &push.body)
            }
            Outbound::Kick { reason, ids } => {
                push_seq += 1;
                close_after = true;
                let body = serde_json::to_vec(&PushKickout {
                    reason,
                    err_message: kick_reason::text(reason).into(),
                })
                .unwrap_or_default();
                encode_push("push_kickout", push_seq, "", &ids, &body)
            }
        };
        // A client that stops reading blocks this write once its socket is full; a kill
        // (its queue overflowed, a timeout) must still end the connection, and so must a
        // write that makes no progress for `write_timeout`.
        let sent = tokio::select! {
            biased;
            r = tokio::time::timeout(write_timeout, sink.send(Message::Text(text.into()))) => match r {
                Ok(r) => r.is_ok(),
                Err(_) => {
                    // No close frame: the socket it would go through is full.
                    conn.write_timed_out(write_timeout);
                    return;
                }
            },
            (code, reason) = conn.killed() => return close(&mut sink, code, reason).await,
        };
        if !sent {
            conn.kill(close_code::NORMAL, "");
            return;
        }
        if close_after {
            conn.kill(close_code::NORMAL, "kicked out");
        }
    }
}

/// Sends the close frame, but gives up on a client that does not read.
async fn close(sink: &mut SplitSink<WebSocket, Message>, code: u16, reason: String) {
    let frame = Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }));
    let _ = tokio::time::timeout(CLOSE_WRITE, sink.send(frame)).await;
}

impl Session {
    /// Handles one text frame; false closes the connection.
    async fn on_text(&mut self, text: &str) -> bool {
        if text.len() > MAX_FRAME_BYTES {
            tracing::warn!(peer = %self.peer, bytes = text.len(), "frame over the size limit; closing");
            self.conn.kill(
                close_code::TOO_BIG,
                &format!(
                    "frame of {} bytes is over the {MAX_FRAME_BYTES}-byte limit",
                    text.len()
                ),
            );
            return false;
        }
        let frame = match parse_frame(text) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(peer = %self.peer, error = ?e, "unparseable frame");
                self.refuse_raw(
                    "",
                    0,
                    ErrCode::PARSE_JSON,
                    "frame is not {header, body} JSON with a cmd",
                );
                return true;
            }
        };
        let h = frame.header;
        self.state.hub.metrics.message(&h.cmd);
        // Keep-alive and session commands are not charged to the frame limit: the 1.x SDK
        // treats an error on `hb` as a disconnect, and on `login` as fatal unless it is 1002 or
        // 1003. Logins have limits of their own, answered with 1002 (`Session::login`).
        let exempt = matches!(h.cmd.as_str(), "hb" | "login" | "logout");
        if !exempt && !self.bucket.take(self.state.hub.clock.now().mono_ms) {
            self.rate_limited += 1;
            if self.rate_limited.is_power_of_two() {
                tracing::warn!(peer = %self.peer, refused = self.rate_limited, "connection over its rate limit");
            }
            self.refuse(&h, ErrCode::RATE_LIMITED, "too many frames; slow down");
            return true;
        }
        let body = frame.body.get();
        match h.cmd.as_str() {
            "login" => self.login(&h, body).await,
            _ if self.login.is_none() => self.refuse(&h, ErrCode::LOGIN_STATE, "log in first"),
            _ if !self.header_matches(&h) => self.refuse(
                &h,
                ErrCode::LOGIN_STATE,
                "session_id does not match this connection's login",
            ),
            "logout" => {
                self.forward(&h, Request::Logout).await;
                self.login = None;
            }
            "hb" => self.forward(&h, Request::Hb).await,
            "stream_info" => self.forward(&h, Request::StreamInfo).await,
            "stream" => self.parsed(&h, body, Request::Stream).await,
            "user_list" => self.parsed(&h, body, Request::UserList).await,
            "custommsg" => self.parsed(&h, body, Request::CustomMsg).await,
            "im_chat" => self.parsed(&h, body, Request::ImChat).await,
            "signal" => self.parsed(&h, body, Request::Signal).await,
            "trans" => self.parsed(&h, body, Request::Trans).await,
            "trans_fetch" => self.parsed(&h, body, Request::TransFetch).await,
            "bigim_chat" => self.parsed(&h, body, Request::BigIm).await,
            "relay" => self.relay(&h, body),
            "webrtc_url" => self.dispatch(&h, body),
            "biz_channel" => self.biz_channel(&h, body),
            other => {
                tracing::info!(peer = %self.peer, cmd = other, "unknown command");
                self.refuse(&h, ErrCode::UNKNOWN_CMD, &format!("unknown cmd {other:?}"));
            }
        }
        true
    }

    fn header_matches(&self, h: &ReqHeader) -> bool {
        let l = self.login.as_ref().expect("checked by caller");
        h.session_id == l.session_id && (h.room_id.is_empty() || h.room_id == l.room_key.room_id)
    }

    /// The ids an answer echoes: the login's, or the request's own before login.
    fn ids_for(&self, h: &ReqHeader) -> Arc<SessionIds> {
        match &self.login {
            Some(l) => l.out.ids.clone(),
            None => Arc::new(SessionIds {
                appid: h.appid,
                user_id: String::new(),
                session_id: String::new(),
                room_id: h.room_id.clone(),
            }),
        }
    }

    fn refuse(&self, h: &ReqHeader, code: ErrCode, detail: &str) {
        self.state.hub.metrics.error(code);
        self.conn.send(Outbound::Reply {
            cmd: h.cmd.clone(),
            seq: h.seq,
            body: error_body(code, detail).into(),
            ids: self.ids_for(h),
        });
    }

    fn refuse_raw(&self, cmd: &str, seq: u64, code: ErrCode, detail: &str) {
        let h = ReqHeader {
            cmd: cmd.into(),
            seq,
            ..Default::default()
        };
        self.refuse(&h, code, detail);
    }

    async fn parsed<T: DeserializeOwned>(
        &mut self,
        h: &ReqHeader,
        body: &str,
        make: fn(T) -> Request,
    ) {
        match parse_body::<T>(body) {
            Ok(b) => self.forward(h, make(b)).await,
            Err(e) => {
                tracing::info!(peer = %self.peer, cmd = %h.cmd, error = %e, "bad body");
                self.refuse(h, ErrCode::BAD_BODY, &e);
            }
        }
    }

    async fn forward(&mut self, h: &ReqHeader, req: Request) {
        let l = self.login.as_ref().expect("logged in");
        let cmd = RoomCmd::Request {
            key: l.key,
            seq: h.seq,
            req,
            out: l.out.clone(),
        };
        if l.room.send(cmd).await.is_err() {
            self.refuse(h, ErrCode::LOGIN_STATE, "room closed; log in again");
            self.login = None;
        }
    }

    /// A login (or a re-login on this connection): the steps are in `signalling::login`.
    async fn login(&mut self, h: &ReqHeader, body: &str) {
        // Login limits (docs/protocol.md §3), before any other work: this connection's, then its
        // source IP's; the app's once the appid is known.
        let now_ms = self.state.hub.clock.now().mono_ms;
        if !self.login_bucket.take(now_ms) {
            let retry_ms = self.login_bucket.wait_ms();
            return self.login_limited(h, LoginScope::Connection, retry_ms);
        }
        if let Take::Limited { retry_ms } = self.state.login_limits.ip(self.peer.ip(), now_ms) {
            return self.login_limited(h, LoginScope::Ip, retry_ms);
        }
        let req: LoginReq = match parse_body(body) {
            Ok(r) => r,
            Err(e) => return self.refuse(h, ErrCode::BAD_BODY, &e),
        };
        let room_id = login::room_id_of(&h.room_id, &req);
        if let Err(detail) = login::check_fields(&req, &room_id) {
            return self.refuse(h, ErrCode::BAD_BODY, &detail);
        }
        let state = self.state.clone();
        let admitted = match login::authenticate(&state, self.peer, h.appid, &room_id, &req).await {
            Ok(a) => a,
            Err(login::Refused::Limited { scope, retry_ms }) => {
                return self.login_limited(h, scope, retry_ms)
            }
            Err(login::Refused::Error(code, detail)) => return self.refuse(h, code, &detail),
        };
        let login::Admitted {
            app,
            grant,
            room_key,
        } = admitted;
        // A login on a connection that is logged in replaces that login.
        if let Some(old) = self.login.take() {
            let cmd = if old.room_key == room_key {
                RoomCmd::Disconnected { key: old.key }
            } else {
                RoomCmd::Leave { key: old.key }
            };
            let _ = old.room.send(cmd).await;
        }
        let key = nonzero_random();
        let user_id = nonzero_random();
        let out = SessionOutbox {
            conn: self.conn.clone(),
            ids: Arc::new(SessionIds {
                appid: app.appid,
                user_id: user_id.to_string(),
                session_id: key.to_string(),
                room_id: room_id.clone(),
            }),
        };
        let hub = &state.hub;
        let claim = Claim {
            key,
            room: room_key.clone(),
        };
        login::claim_user(hub, app.appid, &req.id_name, claim).await;
        if let Some(c) = &state.cluster {
            c.claim_user(app.appid, &req.id_name, &room_key, key).await;
        }
        let create = req.room_create_flag != 0 && state.config.room.allow_create;
        let input = || LoginInput {
            key,
            user_id,
            id_name: req.id_name.clone(),
            nick_name: req.nick_name.clone(),
            role: req.role,
            can_publish: grant.can_publish,
            handle: out.clone(),
        };
        let user_state_updates = req.user_state_flag == 1;
        let entered = match &state.cluster {
            Some(c) => {
                c.enter_room(&room_key, create, user_state_updates, input)
                    .await
            }
            None => login::enter_room(hub, &room_key, create, user_state_updates, input).await,
        };
        match entered {
            Ok((tx, rsp)) => {
                out.reply("login", h.seq, ok_body(rsp));
                self.login = Some(LoggedIn {
                    room_key,
                    room: tx,
                    key,
                    session_id: key.to_string(),
                    id_name: req.id_name.clone(),
                    nick_name: req.nick_name.clone(),
                    out,
                });
            }
            Err((code, detail)) => {
                hub.release(app.appid, &req.id_name, key);
                tracing::info!(peer = %self.peer, appid = app.appid, room = %room_id, user = %req.id_name, code = code.0, "login failed");
                self.refuse(h, code, &detail);
            }
        }
    }

    /// Refuses a login over a login limit with 1002, which the SDKs retry on their schedule
    /// (notes §1.3); counted per scope, logged at the 1st, 2nd, 4th, 8th… refusal.
    fn login_limited(&mut self, h: &ReqHeader, scope: LoginScope, retry_ms: u64) {
        let counter = scope.counter(&self.state.hub.metrics);
        counter.inc();
        let refused = match scope {
            LoginScope::Connection => {
                self.logins_limited += 1;
                self.logins_limited
            }
            _ => counter.get(),
        };
        if refused.is_power_of_two() {
            tracing::warn!(peer = %self.peer, appid = h.appid, scope = scope.name(), refused, retry_ms, "login over its rate limit; refused");
        }
        let what = match scope {
            LoginScope::Connection => "too many logins on this connection",
            LoginScope::Ip => "too many logins from this address",
            LoginScope::App => "too many logins into this app",
        };
        self.refuse(
            h,
            ErrCode::LIVEROOM_REQUEST,
            &format!("{what}; retry in {retry_ms} ms"),
        );
    }

    /// Forwards a relay message to the business server; the answer comes back as
    /// `relay_result` without holding up this connection or the room.
    fn relay(&mut self, h: &ReqHeader, body: &str) {
        let req: RelayReq = match parse_body(body) {
            Ok(r) => r,
            Err(e) => return self.refuse(h, ErrCode::BAD_BODY, &e),
        };
        if req.relay_type.len() > RELAY_TYPE_MAX_BYTES
            || req.relay_data.len() > RELAY_DATA_MAX_BYTES
        {
            return self.refuse(
                h,
                ErrCode::CONTENT_TOO_LONG,
                &format!("relay_type is at most {RELAY_TYPE_MAX_BYTES} and relay_data {RELAY_DATA_MAX_BYTES} bytes"),
            );
        }
        let cfg = &self.state.config.relay;
        if cfg.url.is_empty() {
            return self.refuse(
                h,
                ErrCode::RELAY_NOT_CONFIGURED,
                "set relay.url to the business server",
            );
        }
        let l = self.login.as_ref().expect("logged in");
        let Some(app) = self.state.apps.get(l.room_key.appid) else {
            return self.refuse(h, ErrCode::INTERNAL, "app vanished");
        };
        let payload = serde_json::json!({
            "event": "relay",
            "appid": l.room_key.appid,
            "room_id": l.room_key.room_id,
            "id_name": l.id_name,
            "nick_name": l.nick_name,
            "relay_type": req.relay_type,
            "relay_data": req.relay_data,
            "timestamp": self.state.hub.clock.now().unix_ms,
        });
        let body = serde_json::to_vec(&payload).unwrap_or_default();
        let url = cfg.url.clone();
        let timeout = Duration::from_millis(cfg.timeout_ms);
        let client = self.state.business.clone();
        let out = l.out.clone();
        let seq = h.seq;
        let metrics = self.state.hub.metrics.clone();
        tokio::spawn(async move {
            let answer = match client
                .post_json(&url, body, &app.server_secret, timeout)
                .await
            {
                Ok((status, bytes)) if (200..300).contains(&status) => Ok(relay_result(&bytes)),
                Ok((status, _)) => Err(BusinessError::Status(status)),
                Err(e) => Err(e),
            };
            match answer {
                Ok(result) => out.reply(
                    "relay",
                    seq,
                    ok_body(RelayRsp {
                        relay_result: result,
                    }),
                ),
                Err(e) => {
                    metrics.error(ErrCode::RELAY_FAILED);
                    tracing::warn!(url = %url, error = %e, "relay failed");
                    out.reply(
                        "relay",
                        seq,
                        error_body(ErrCode::RELAY_FAILED, &e.to_string()),
                    );
                }
            }
        });
    }

    /// `biz_channel` (notes §8): runs the module's command in its own task and answers.
    fn biz_channel(&self, h: &ReqHeader, body: &str) {
        let req: body::BizChannelReq = match parse_body(body) {
            Ok(r) => r,
            Err(e) => return self.refuse(h, ErrCode::BAD_BODY, &e),
        };
        let l = self.login.as_ref().expect("logged in");
        let caller = crate::biz::caller::BizCaller {
            appid: l.room_key.appid,
            room_id: l.room_key.room_id.clone(),
            id_name: l.id_name.clone(),
            nick_name: l.nick_name.clone(),
        };
        let (state, out, seq, peer) = (self.state.clone(), l.out.clone(), h.seq, self.peer);
        tokio::spawn(async move {
            let answer =
                crate::biz::handle(state.clone(), caller, &req.channel, &req.cmd, &req.req_body)
                    .await;
            let body = match answer {
                Ok(rsp_body) => ok_body(body::BizChannelRsp {
                    cmd: req.cmd,
                    rsp_body,
                }),
                Err(e) => {
                    state.hub.metrics.error(e.code);
                    tracing::info!(%peer, channel = %req.channel, cmd = %req.cmd, code = e.code.0, error = %e.message, "biz_channel refused");
                    serde_json::to_vec(&serde_json::json!({
                        "err_code": e.code.0,
                        "err_message": format!("{}: {}", e.code.message(), e.message),
                        "cmd": req.cmd,
                        "rsp_body": e.rsp_body,
                    }))
                    .unwrap_or_default()
                }
            };
            out.reply("biz_channel", seq, body);
        });
    }

    /// Media dispatch (notes §7.1): the media-signalling URL for a publish or a play.
    fn dispatch(&self, h: &ReqHeader, body: &str) {
        let req: WebrtcUrlReq = match serde_json::from_str(body) {
            Ok(r) => r,
            Err(e) => return self.refuse(h, ErrCode::BAD_BODY, &e.to_string()),
        };
        if let Err(e) = check_id("stream_id", &req.stream_id, 1) {
            return self.refuse(h, ErrCode::BAD_BODY, &e);
        }
        if !matches!(req.ptype.as_str(), "push" | "pull") {
            return self.refuse(h, ErrCode::BAD_BODY, "ptype must be \"push\" or \"pull\"");
        }
        if self.state.sfu.is_none() {
            return self.refuse(
                h,
                ErrCode::DISPATCH,
                "media is off on this server (rtc.listen)",
            );
        }
        let l = self.login.as_ref().expect("logged in");
        if req.ptype == "push" {
            // Announces the publish: the stream id is this user's from now on, and a stream id
            // another user publishes (in this room or another) is refused here already.
            let claim = Claim {
                key: l.key,
                room: l.room_key.clone(),
            };
            match self
                .state
                .hub
                .claim_stream(l.room_key.appid, &req.stream_id, &l.id_name, &claim)
            {
                Ok(()) => {}
                Err(StreamClaimError::Taken(_)) => {
                    tracing::warn!(peer = %self.peer, user = %l.id_name, stream = %req.stream_id, "publish dispatch for another user's stream refused");
                    return self.refuse(
                        h,
                        ErrCode::STREAM_OWNED_BY_OTHER,
                        "the stream id is published by another user",
                    );
                }
                Err(StreamClaimError::TooMany) => {
                    return self.refuse(
                        h,
                        ErrCode::TOO_MANY_STREAMS,
                        &format!(
                            "at most {} streams per user",
                            crate::rooms::registry::STREAMS_OWNED_PER_USER
                        ),
                    )
                }
            }
        }
        // The `cdnUrl` publish option: relay the stream there while it is published.
        let cdn_url = req
            .header_kvs
            .iter()
            .find(|kv| kv.key == crate::biz::rtmp_push::CDN_URL_KEY && !kv.value.is_empty());
        if let (Some(kv), "push") = (cdn_url, req.ptype.as_str()) {
            if let Err(e) = self.state.relay.check_cdn_url(&kv.value) {
                return self.refuse(h, ErrCode::BAD_BODY, &format!("cdnUrl: {e}"));
            }
            self.state.relay.arm_cdn(
                l.room_key.appid,
                &l.room_key.room_id,
                &req.stream_id,
                &kv.value,
            );
        }
        l.out.reply(
            "webrtc_url",
            h.seq,
            ok_body(WebrtcUrlRsp {
                stream_id: req.stream_id,
                ptype: req.ptype,
                urls: vec![self.media_url.clone()],
            }),
        );
    }

    async fn on_close(&mut self) {
        if let Some(l) = self.login.take() {
            let _ = l.room.send(RoomCmd::Disconnected { key: l.key }).await;
        }
    }
}

/// Parses a request body; the error names the field at fault (`msg_category: invalid type…`),
/// as serde_json alone names missing fields but not mistyped ones.
fn parse_body<T: DeserializeOwned>(body: &str) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            e.inner().to_string()
        } else {
            format!("{path}: {}", e.inner())
        }
    })?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

/// The business server answers `{"relay_result": "..."}` or plain text.
fn relay_result(bytes: &[u8]) -> String {
    if let Ok(body::RelayRsp { relay_result }) = serde_json::from_slice::<body::RelayRsp>(bytes) {
        return relay_result;
    }
    String::from_utf8_lossy(bytes).into_owned()
}

fn nonzero_random() -> u64 {
    // Ids go to JavaScript as decimal strings, so the full u64 range is safe.
    loop {
        let v = rand::random::<u64>();
        if v != 0 {
            return v;
        }
    }
}
