//! The media-signalling WebSocket (`/media`, notes §7.2–§7.8): login with the room token,
//! sessions (publish or play), offer → answer, candidates, heartbeats, close, camera/mic
//! status relay, and the SFU's events (connected, closed) turned into pushes.
//!
//! Frames use the room envelope `{header, body}`; the header is
//! `{version, cmd, appid (string), seq, user_id (id_name), session_id (number)}`. Requests
//! `XxxReq` get `XxxRsp` with the same seq and `result` (0 = ok); pushes carry the server's
//! own seq and the client acknowledges them (`XxxAck`), which needs no answer. The messages
//! are typed in `liveroom_proto::media`: frames are read with `parse_client_frame` (bodies as
//! leniently as the original clients need) and written with `ServerMsg::encode`.

use crate::config::PlayScope;
use crate::edge::websocket::close_code;
use crate::rooms::commands::{AdminCmd, Claim};
use crate::rooms::registry::StreamClaimError;
use crate::signalling::token;
use crate::AppState;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt};
use liveroom_media::{AvStatus, PeerEvent, PeerId, Role, StreamKey};
use liveroom_proto::media::{
    self as wire, result, ClientMsg, CloseSessionPush, CreateSessionReq, CreateSessionRsp, ErrInfo,
    LoginReq, MediaDescReq, MediaFrameError, MediaHeader, ResultRsp, ServerMsg,
    CLOSE_REASON_OFFER_REFUSED, CLOSE_REASON_RETRY, RESET_LISTED_SESSIONS,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Sessions (publish + play) one media-signalling connection may hold.
pub const MAX_SESSIONS_PER_CONNECTION: usize = 32;
/// Largest media-signalling frame (SDP offers are a few KiB).
pub const MAX_MEDIA_FRAME_BYTES: usize = 64 * 1024;
/// Heartbeat interval told to clients (`ClientHBRsp.hb_interval`).
pub const HB_INTERVAL_MS: u64 = 10_000;
/// A connection silent for this long is closed (the SDK heartbeats every 10 s).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Frames queued towards one client.
const OUT_QUEUE: usize = 256;

struct Login {
    appid: u64,
    id_name: String,
    can_publish: bool,
    play_scope: PlayScope,
}

struct Session {
    role: Role,
    stream_id: String,
    peer: Option<PeerId>,
}

struct Conn {
    state: Arc<AppState>,
    out: mpsc::Sender<Message>,
    login: Option<Login>,
    sessions: HashMap<u64, Session>,
    events_tx: mpsc::Sender<PeerEvent>,
    push_seq: u64,
    /// Frames dropped for a full queue (logged at powers of two).
    dropped: std::sync::atomic::AtomicU64,
    appid_str: String,
    user_id: String,
}

pub async fn serve(socket: WebSocket, state: Arc<AppState>) {
    let (mut sink, stream) = socket.split();
    let (out, mut out_rx) = mpsc::channel::<Message>(OUT_QUEUE);
    // A frame the socket does not take within `session.write_timeout_ms` (the client stopped
    // reading) ends the writer; the reader then sees the end of its stream, so the connection
    // closes as if the client had gone.
    let write_timeout = Duration::from_millis(state.config.session.write_timeout_ms);
    let (writer_alive, writer_gone) = tokio::sync::oneshot::channel::<()>();
    let mut stream = stream.take_until(writer_gone);
    let slow = state.hub.metrics.clone();
    let writer = tokio::spawn(async move {
        let _alive = writer_alive;
        while let Some(m) = out_rx.recv().await {
            let close = matches!(m, Message::Close(_));
            match tokio::time::timeout(write_timeout, sink.send(m)).await {
                Ok(Ok(())) if !close => {}
                Ok(_) => break,
                Err(_) => {
                    slow.outbound_disconnects.inc();
                    tracing::warn!(
                        timeout_ms = write_timeout.as_millis() as u64,
                        "media-signalling client stopped reading: a frame waited longer than session.write_timeout_ms; disconnecting it"
                    );
                    break;
                }
            }
        }
    });
    let (events_tx, mut events) = mpsc::channel(liveroom_media::PEER_EVENTS);
    let mut c = Conn {
        state: state.clone(),
        out,
        login: None,
        sessions: HashMap::new(),
        events_tx,
        push_seq: 0,
        dropped: std::sync::atomic::AtomicU64::new(0),
        appid_str: String::new(),
        user_id: String::new(),
    };
    let mut shutdown = state.shutdown.clone();
    // As on `/ws`: a connection that never logs in does not get to stay by heartbeating.
    let login_deadline = tokio::time::sleep(Duration::from_millis(
        state.config.session.login_deadline_ms,
    ));
    tokio::pin!(login_deadline);
    let mut deadline_done = false;
    loop {
        tokio::select! {
            _ = &mut login_deadline, if !deadline_done => {
                deadline_done = true;
                if c.login.is_none() {
                    tracing::info!("media-signalling connection did not log in in time; closing");
                    c.close(close_code::POLICY, "no login in time");
                    break;
                }
            }
            msg = tokio::time::timeout(IDLE_TIMEOUT, stream.next()) => match msg {
                Ok(Some(Ok(Message::Text(t)))) => {
                    if t.len() > MAX_MEDIA_FRAME_BYTES {
                        c.close(close_code::TOO_BIG, "frame over the size limit");
                        break;
                    }
                    c.on_text(t.as_str()).await;
                }
                Ok(Some(Err(e))) => {
                    if let Some(reason) = crate::edge::websocket::ws_too_big(&e) {
                        tracing::warn!(%reason, "media-signalling frame refused by the WebSocket layer; closing");
                        c.close(close_code::TOO_BIG, &reason);
                    }
                    break;
                }
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) => break,
                Ok(Some(Ok(_))) => {}
                Err(_) => {
                    c.close(close_code::POLICY, "idle");
                    break;
                }
            },
            Some(ev) = events.recv() => c.on_peer_event(ev),
            _ = shutdown.changed() => {
                c.close(close_code::GOING_AWAY, "server shutting down");
                break;
            }
        }
    }
    c.close_all().await;
    drop(c);
    let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
}

impl Conn {
    fn send(&self, msg: ServerMsg, seq: u64, session_id: u64) {
        let frame = msg.encode(&self.appid_str, seq, &self.user_id, session_id);
        if self.out.try_send(Message::Text(frame.into())).is_err() {
            let cmd = msg.cmd();
            let n = self
                .dropped
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                + 1;
            if n.is_power_of_two() {
                tracing::warn!(user = %self.user_id, cmd, dropped = n, "media-signalling client too slow; frame dropped");
            }
        }
    }

    /// The answer to the request of header `h`.
    fn reply(&self, h: &MediaHeader, session_id: u64, msg: ServerMsg) {
        self.send(msg, h.seq, session_id);
    }

    /// `{result[, strError]}` answering the request of header `h`.
    fn answer(&self, h: &MediaHeader, session_id: u64, body: ResultRsp) {
        self.reply(h, session_id, ServerMsg::result(&h.cmd, body));
    }

    fn push(&mut self, session_id: u64, msg: ServerMsg) {
        self.push_seq += 1;
        self.send(msg, self.push_seq, session_id);
    }

    fn close(&self, code: u16, reason: &str) {
        let _ = self.out.try_send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })));
    }

    async fn on_text(&mut self, text: &str) {
        let (h, msg) = match wire::parse_client_frame(text) {
            Ok(frame) => frame,
            Err(MediaFrameError::NotJson(_)) => {
                tracing::info!("media-signalling frame is not JSON");
                return;
            }
            // Nothing to answer: without a header there is no command or seq.
            Err(e @ MediaFrameError::BadHeader(_)) => {
                tracing::info!(error = %e, "media-signalling frame dropped");
                return;
            }
        };
        let sid = h.session_id;
        match msg {
            ClientMsg::Login(body) => self.login(&h, body),
            ClientMsg::Ack(_) => {}
            _ if self.login.is_none() => {
                if ClientMsg::is_request(&h.cmd) {
                    self.answer(
                        &h,
                        sid,
                        ResultRsp::refused(result::NOT_LOGGED_IN, "LoginReq first"),
                    );
                }
            }
            ClientMsg::CreateSession(body) => self.create_session(&h, body).await,
            ClientMsg::MediaDesc(body) => self.media_desc(&h, sid, body).await,
            ClientMsg::CandidateInfo(_) => {
                // ICE-lite: the server learns the client's addresses from its connectivity checks.
                let code = if self.sessions.contains_key(&sid) {
                    result::OK
                } else {
                    result::NO_SESSION
                };
                self.answer(&h, sid, ResultRsp::code(code));
            }
            ClientMsg::Heartbeat(body) => {
                self.reply(
                    &h,
                    sid,
                    ServerMsg::Heartbeat(wire::ClientHbRsp {
                        hb_interval: HB_INTERVAL_MS,
                        result: result::OK,
                    }),
                );
                self.reset_unknown(&body.session_ids);
            }
            ClientMsg::QualityReport(_) => self.answer(&h, sid, ResultRsp::ok()),
            ClientMsg::CloseSession(_) => {
                if let Some(s) = self.sessions.remove(&sid) {
                    if let (Some(peer), Some(sfu)) = (s.peer, self.state.sfu.as_ref()) {
                        sfu.close(peer).await;
                    }
                    self.publish_ended(&s);
                }
                self.answer(&h, sid, ResultRsp::ok());
            }
            ClientMsg::StreamStatus(body) => {
                let status = AvStatus {
                    camera: body.camera_status,
                    mic: body.mic_status,
                };
                if let (Some(s), Some(sfu)) = (self.sessions.get(&sid), self.state.sfu.as_ref()) {
                    if let (Role::Publish, Some(peer)) = (s.role, s.peer) {
                        sfu.set_status(peer, status).await;
                    }
                }
            }
            ClientMsg::BroadcasterStatus(_) => {}
            ClientMsg::Unknown(other) => {
                tracing::info!(cmd = %other, "unknown media-signalling command");
                if ClientMsg::is_request(&other) {
                    self.answer(
                        &h,
                        sid,
                        ResultRsp::refused(result::BAD_REQUEST, "unknown command"),
                    );
                }
            }
        }
    }

    fn login(&mut self, h: &MediaHeader, body: LoginReq) {
        self.appid_str = h.appid.clone();
        self.user_id = h.user_id.clone();
        let refuse = |c: &Self, why: &str| {
            tracing::info!(user = %h.user_id, why, "media-signalling login refused");
            c.answer(h, 0, ResultRsp::refused(result::TOKEN, why));
        };
        let Ok(appid) = h.appid.parse::<u64>() else {
            return refuse(self, "appid is not a number");
        };
        let Some(app) = self.state.apps.get(appid) else {
            return refuse(self, "unknown appid");
        };
        let tok = body.token.as_str();
        let room_id = body.roomid.as_str();
        let now = self.state.hub.clock.now().unix_ms / 1000;
        let grant = match token::verify(
            tok,
            appid,
            &app.app_sign,
            &app.server_secret,
            &h.user_id,
            token::V1Policy::of(&self.state.config.tokens),
            now,
        ) {
            Ok(g) => g,
            Err(e) => return refuse(self, &e.to_string()),
        };
        if grant.room_id.as_ref().is_some_and(|r| *r != room_id) {
            return refuse(self, "token is for another room");
        }
        // A media session belongs to a live room login of the same user (notes §7.1: the
        // room's `webrtc_url` dispatch comes first).
        let Some(claim) = self.state.hub.claim_of(appid, &h.user_id) else {
            tracing::info!(user = %h.user_id, "media-signalling login without a room login refused");
            return self.answer(
                h,
                0,
                ResultRsp::refused(result::NOT_LOGGED_IN, "log in to a room first"),
            );
        };
        if !room_id.is_empty() && claim.room.room_id != room_id {
            tracing::info!(user = %h.user_id, room = %room_id, "media-signalling login for a room the user is not in refused");
            return self.answer(
                h,
                0,
                ResultRsp::refused(result::NOT_LOGGED_IN, "not logged in to that room"),
            );
        }
        self.login = Some(Login {
            appid,
            id_name: h.user_id.clone(),
            can_publish: grant.can_publish,
            play_scope: app.play_scope,
        });
        self.reply(
            h,
            0,
            ServerMsg::Login(wire::LoginRsp {
                nego_interval: 25000,
                nego_try_count: 0,
                nego_try_max_count: 2,
                report: false,
                report_interval_ms: 30000,
                result: result::OK,
                str_error: String::new(),
                token: String::new(),
                token_type: 0,
            }),
        );
        // Sessions of an earlier connection (the client reconnected, or this server restarted)
        // do not live on here: the client restarts them now rather than when ICE gives up.
        let earlier: Vec<u64> = body
            .sessions
            .unwrap_or_default()
            .iter()
            .map(|s| s.session_id)
            .collect();
        self.reset_unknown(&earlier);
    }

    /// `SessionResetPush {cResetType: 1, session_ids}` for the ids the client names that
    /// this connection does not hold (0, an id that was not a number, names none).
    fn reset_unknown(&mut self, ids: &[u64]) {
        let unknown: Vec<u64> = ids
            .iter()
            .copied()
            .filter(|id| *id != 0 && !self.sessions.contains_key(id))
            .take(MAX_SESSIONS_PER_CONNECTION)
            .collect();
        if unknown.is_empty() {
            return;
        }
        tracing::info!(user = %self.user_id, sessions = ?unknown, "client names sessions this server does not hold; resetting them");
        self.push(
            0,
            ServerMsg::SessionReset(wire::SessionResetPush {
                reset_type: RESET_LISTED_SESSIONS,
                session_ids: unknown,
            }),
        );
    }

    async fn create_session(&mut self, h: &MediaHeader, body: CreateSessionReq) {
        let l = self.login.as_ref().expect("checked");
        let fail = |c: &Self, code: u32, why: &str| {
            tracing::info!(user = %h.user_id, code, why, "CreateSession refused");
            c.answer(h, 0, ResultRsp::refused(code, why));
        };
        let role = match body.session_type {
            Some(0) => Role::Publish,
            Some(1) => Role::Play,
            _ => {
                return fail(
                    self,
                    result::BAD_REQUEST,
                    "type must be 0 (publish) or 1 (play)",
                )
            }
        };
        let stream_id = body.stream_id;
        if let Err(e) = liveroom_proto::limits::check_id("stream_id", &stream_id, 1) {
            return fail(self, result::BAD_REQUEST, &e);
        }
        if self.sessions.len() >= MAX_SESSIONS_PER_CONNECTION {
            return fail(
                self,
                result::TOO_MANY_SESSIONS,
                "too many sessions on this connection",
            );
        }
        if role == Role::Publish && !l.can_publish {
            return fail(
                self,
                result::NO_PRIVILEGE,
                "token does not allow publishing",
            );
        }
        // The room login this media connection belongs to must still live.
        let Some(claim) = self.state.hub.claim_of(l.appid, &l.id_name) else {
            return fail(self, result::NOT_LOGGED_IN, "the room login has ended");
        };
        if role == Role::Play
            && l.play_scope == PlayScope::Room
            && !self.in_room(&claim, &stream_id).await
        {
            return fail(
                self,
                result::NO_PRIVILEGE,
                "this app plays only streams of the player's own room",
            );
        }
        if self.state.config.rtc.stream_auth {
            let Some(app) = self.state.apps.get(l.appid) else {
                return fail(self, result::STREAM_AUTH, "unknown app");
            };
            let params = body.str_auth_param.as_str();
            let now = self.state.hub.clock.now().unix_ms / 1000;
            if let Err(e) =
                token::verify_stream_params(params, l.appid, &app.server_secret, &stream_id, now)
            {
                return fail(self, result::STREAM_AUTH, &e.to_string());
            }
        }
        if role == Role::Publish {
            let l = self.login.as_ref().expect("checked");
            match self
                .state
                .hub
                .claim_stream(l.appid, &stream_id, &l.id_name, &claim)
            {
                Ok(()) => {}
                Err(StreamClaimError::Taken(room)) => {
                    tracing::warn!(user = %l.id_name, stream = %stream_id, owner_room = %room.room_id, "publish of another user's stream refused");
                    return fail(
                        self,
                        result::STREAM_TAKEN,
                        "the stream id is published by another user",
                    );
                }
                Err(StreamClaimError::TooMany) => {
                    return fail(
                        self,
                        result::TOO_MANY_SESSIONS,
                        "too many streams held by this user",
                    )
                }
            }
            if let Some(cluster) = self.state.cluster.as_ref() {
                if let Err(node) = cluster.claim_stream(l.appid, &stream_id, &l.id_name).await {
                    self.state
                        .hub
                        .unclaim_stream(l.appid, &stream_id, &l.id_name);
                    tracing::warn!(user = %l.id_name, stream = %stream_id, node = %node, "publish of a stream id another user holds on another node refused");
                    return fail(
                        self,
                        result::STREAM_TAKEN,
                        "the stream id is published by another user",
                    );
                }
            }
            self.state
                .hub
                .stream_publishing(l.appid, &stream_id, &l.id_name, true);
        }
        let l = self.login.as_ref().expect("checked");
        let sid = loop {
            // Session ids travel as JSON numbers: keep them within 2^53.
            let v = rand::random::<u64>() >> 12;
            if v != 0 && !self.sessions.contains_key(&v) {
                break v;
            }
        };
        self.sessions.insert(
            sid,
            Session {
                role,
                stream_id,
                peer: None,
            },
        );
        let turn = self.state.turn_grant(&l.id_name);
        let mut rsp = CreateSessionRsp {
            result: result::OK,
            session_id: sid,
            session_token: sid.to_string(),
            str_error: String::new(),
            ..Default::default()
        };
        if let Some(t) = turn {
            rsp.turn_server = Some(t.turn_url);
            // Relay-only clients put both URLs in one ICE server entry: a second TURN URL
            // (TCP) gives them a relay candidate over each transport, a `stun:` URL nothing.
            rsp.stun_server = Some(t.turn_tcp_url.unwrap_or(t.stun_url));
            rsp.turn_username = Some(t.username);
            rsp.turn_auth_key = Some(t.credential);
        }
        self.reply(h, sid, ServerMsg::CreateSession(rsp));
    }

    async fn media_desc(&mut self, h: &MediaHeader, sid: u64, body: MediaDescReq) {
        let Some(session) = self.sessions.get(&sid) else {
            return self.answer(
                h,
                sid,
                ResultRsp::refused(result::NO_SESSION, "no such session"),
            );
        };
        let Some(sdp) = body.sdp else {
            return self.answer(
                h,
                sid,
                ResultRsp::refused(result::BAD_REQUEST, "sdp missing"),
            );
        };
        let Some(sfu) = self.state.sfu.clone() else {
            return self.answer(h, sid, ResultRsp::refused(result::MEDIA, "media is off"));
        };
        let l = self.login.as_ref().expect("checked");
        let key = StreamKey {
            appid: l.appid,
            stream_id: session.stream_id.clone(),
        };
        let role = session.role;
        if let Some(old) = session.peer {
            // A renegotiation replaces the session's peer.
            sfu.close(old).await;
        }
        self.answer(h, sid, ResultRsp::ok());
        match sfu
            .open(key, role, &l.id_name, sdp, self.events_tx.clone())
            .await
        {
            Ok(opened) => {
                if let Some(s) = self.sessions.get_mut(&sid) {
                    s.peer = Some(opened.peer);
                }
                let mid = first_mid(&opened.answer);
                self.push(
                    sid,
                    ServerMsg::MediaDesc(wire::MediaDescPush {
                        sdp: opened.answer,
                        desc_type: 1,
                    }),
                );
                let infos = opened
                    .candidates
                    .into_iter()
                    .map(|candidate| wire::CandidateInfo {
                        candidate,
                        sdp_mline_index: Some(0),
                        sdp_mid: Some(mid.clone()),
                    })
                    .collect();
                self.push(
                    sid,
                    ServerMsg::CandidateInfo(wire::CandidateInfoPush { infos }),
                );
            }
            Err(e) => {
                tracing::info!(user = %h.user_id, error = %e, "offer refused");
                let code = if e == liveroom_media::MediaError::StreamTaken {
                    result::STREAM_TAKEN
                } else {
                    result::MEDIA
                };
                self.push(
                    sid,
                    ServerMsg::CloseSession(CloseSessionPush {
                        err_info: ErrInfo {
                            action: None,
                            code,
                            message: e.to_string(),
                        },
                        reason: CLOSE_REASON_OFFER_REFUSED,
                    }),
                );
                if let Some(s) = self.sessions.remove(&sid) {
                    self.publish_ended(&s);
                }
            }
        }
    }

    fn session_of(&self, peer: PeerId) -> Option<u64> {
        self.sessions
            .iter()
            .find(|(_, s)| s.peer == Some(peer))
            .map(|(k, _)| *k)
    }

    fn on_peer_event(&mut self, ev: PeerEvent) {
        match ev {
            PeerEvent::Connected(peer) => {
                let Some(sid) = self.session_of(peer) else {
                    return;
                };
                let s = &self.sessions[&sid];
                let stream_id = s.stream_id.clone();
                if s.role == Role::Publish {
                    if let Some(l) = self.login.as_ref() {
                        self.state.relay.published(l.appid, &stream_id);
                    }
                }
                // Event 0: the session's media is flowing (the 1.12 publisher waits for it).
                let event = wire::StreamEventPush {
                    event: 0,
                    stream_id,
                };
                let msg = match s.role {
                    Role::Publish => ServerMsg::PublishEvent(event),
                    Role::Play => ServerMsg::PlayEvent(event),
                };
                self.push(sid, msg);
            }
            PeerEvent::Disconnected(_) => {}
            PeerEvent::Closed(peer) => {
                let Some(sid) = self.session_of(peer) else {
                    return;
                };
                if let Some(s) = self.sessions.remove(&sid) {
                    self.publish_ended(&s);
                }
                self.push(
                    sid,
                    ServerMsg::CloseSession(CloseSessionPush {
                        err_info: ErrInfo {
                            action: None,
                            code: result::MEDIA,
                            message: "media connection lost".into(),
                        },
                        reason: CLOSE_REASON_RETRY,
                    }),
                );
            }
            PeerEvent::StreamStatus(peer, st) => {
                let Some(sid) = self.session_of(peer) else {
                    return;
                };
                let stream_id = self.sessions[&sid].stream_id.clone();
                self.push(
                    sid,
                    ServerMsg::StreamStatus(wire::StreamStatusNotifyPush {
                        camera_status: st.camera,
                        mic_status: st.mic,
                        stream_id,
                    }),
                );
            }
        }
    }

    async fn close_all(&mut self) {
        let sessions: Vec<_> = self.sessions.drain().map(|(_, s)| s).collect();
        for s in &sessions {
            self.publish_ended(s);
        }
        if let Some(sfu) = self.state.sfu.as_ref() {
            for s in sessions {
                if let Some(peer) = s.peer {
                    sfu.close(peer).await;
                }
            }
        }
    }

    /// A publish session ended: its stream's RTMP relays stop, and its hold on the stream id
    /// ends with the last of its user's sessions and room login.
    fn publish_ended(&self, s: &Session) {
        if let (Role::Publish, Some(l)) = (s.role, self.login.as_ref()) {
            self.state.relay.unpublished(l.appid, &s.stream_id);
            self.state
                .hub
                .stream_publishing(l.appid, &s.stream_id, &l.id_name, false);
        }
    }

    /// Whether `stream_id` is in the stream list of the room of `claim` (`play_scope = "room"`).
    /// False also when the room cannot be asked (it has just closed).
    async fn in_room(&self, claim: &Claim, stream_id: &str) -> bool {
        if let Some((_, streams)) = self.state.hub.ask(&claim.room, AdminCmd::Streams).await {
            return streams.iter().any(|s| s.stream_id == stream_id);
        }
        // A room on another node of the cluster: asked there through the admin API.
        let Some(cluster) = self.state.cluster.as_ref() else {
            return false;
        };
        let Some(node) = cluster.room_node(&claim.room).await else {
            return false;
        };
        let secret = &self.state.config.admin.secret;
        if secret.is_empty() {
            tracing::warn!(room = %claim.room.room_id, "play_scope = \"room\" for a room on another node needs admin.secret (the nodes ask each other through the admin API)");
            return false;
        }
        let req = crate::cluster::ForwardedAdmin {
            method: "GET".into(),
            path: format!(
                "/admin/v1/apps/{}/rooms/{}/streams",
                claim.room.appid,
                liveroom_room::percent_encode(&claim.room.room_id)
            ),
            authorization: format!("Bearer {secret}"),
            body: String::new(),
        };
        match cluster.forward_admin(&node, req).await {
            Ok((200, body)) => serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["streams"].as_array().cloned())
                .is_some_and(|list| list.iter().any(|s| s["stream_id"] == stream_id)),
            Ok((status, _)) => {
                tracing::warn!(node = %node, status, "the room's node did not list its streams");
                false
            }
            Err(e) => {
                tracing::warn!(node = %node, error = %e, "the room's node did not answer");
                false
            }
        }
    }
}

/// The first `a=mid:` of an SDP (candidates are announced on the bundle's first section).
fn first_mid(sdp: &str) -> String {
    sdp.lines()
        .find_map(|l| l.trim().strip_prefix("a=mid:"))
        .unwrap_or("0")
        .to_string()
}
