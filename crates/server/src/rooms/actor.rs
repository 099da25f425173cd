//! The async shell around one `liveroom_room::Room`: a task that owns the state, takes
//! commands from sessions, runs the room's timers and retires the room when it is empty.

use crate::integrations::webhooks::{self, Webhooks};
use crate::metrics::Metrics;
use crate::rooms::clock::Clock;
use crate::rooms::commands::{AdminCmd, RoomCmd, RoomInfo, RoomKey, CLOSING};
use crate::rooms::member_queue::SessionOutbox;
use liveroom_proto::body::error_body;
use liveroom_proto::ErrCode;
use liveroom_room::{Refusal, Room, RoomEvent, Settings};
use serde_json::json;
use std::sync::Arc;
use tokio::sync::mpsc;

/// What a room actor needs of the registry that spawned it (the registry implements it, so the
/// actor does not import the registry).
pub trait RoomHost: Send + Sync + 'static {
    /// The settings every room starts from.
    fn settings(&self) -> &Settings;
    /// The server's clock.
    fn clock(&self) -> &Clock;
    /// The server's counters.
    fn metrics(&self) -> &Metrics;
    /// Where room and member events go out.
    fn webhooks(&self) -> &Webhooks;
    /// A member left for good: frees its login claim (and its streams') if still its.
    fn release(&self, appid: u64, id_name: &str, key: u64);
    /// Retires an empty room unless commands are waiting; true when it is gone.
    fn remove_room_if_idle(&self, key: &RoomKey, rx: &mpsc::Receiver<RoomCmd>) -> bool;
}

pub fn spawn<H: RoomHost>(
    hub: Arc<H>,
    key: RoomKey,
    user_state_updates: bool,
    rx: mpsc::Receiver<RoomCmd>,
) {
    tokio::spawn(run(hub, key, user_state_updates, rx));
}

async fn run<H: RoomHost>(
    hub: Arc<H>,
    key: RoomKey,
    user_state_updates: bool,
    mut rx: mpsc::Receiver<RoomCmd>,
) {
    let mut settings = hub.settings().clone();
    if let Some(u) = &mut settings.live_urls {
        // The hub's prefix is per server; a room's streams belong to one app.
        *u = u.for_app(key.appid);
    }
    let mut room: Room<SessionOutbox> =
        Room::new(key.room_id.clone(), settings, user_state_updates);
    tracing::info!(appid = key.appid, room = %key.room_id, user_state_updates, "room created");
    let created_at = hub.clock().now().unix_ms;
    hub.metrics().rooms.inc();
    hub.webhooks()
        .emit(key.appid, &key.room_id, webhooks::ROOM_CREATED, json!({}));
    loop {
        let deadline = room.poll_timeout().map(|t| hub.clock().instant(t));
        tokio::select! {
            cmd = rx.recv() => match cmd {
                Some(cmd) => handle(&*hub, &key, &mut room, created_at, cmd),
                None => break,
            },
            _ = sleep_until(deadline), if deadline.is_some() => {
                room.handle_timeout(hub.clock().now());
            }
        }
        for ev in room.drain_events() {
            on_event(&*hub, &key, ev);
        }
        if room.is_empty() && hub.remove_room_if_idle(&key, &rx) {
            break;
        }
    }
    // Commands that raced with the room's retirement: logins try again with a new room.
    rx.close();
    while let Ok(cmd) = rx.try_recv() {
        match cmd {
            RoomCmd::Login { reply, .. } => {
                let _ = reply.send(Err(Refusal::new(CLOSING, "room closed; retry")));
            }
            RoomCmd::Request { seq, req, out, .. } => {
                out.reply(
                    req.cmd(),
                    seq,
                    error_body(ErrCode::LOGIN_STATE, "room closed"),
                );
            }
            // Admin commands' oneshots drop: "no such room".
            RoomCmd::RequestAs { .. }
            | RoomCmd::Disconnected { .. }
            | RoomCmd::Leave { .. }
            | RoomCmd::Kick { .. }
            | RoomCmd::Admin(_) => {}
        }
    }
    hub.metrics().rooms.dec();
    hub.webhooks()
        .emit(key.appid, &key.room_id, webhooks::ROOM_CLOSED, json!({}));
    tracing::info!(appid = key.appid, room = %key.room_id, "room closed");
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

fn handle<H: RoomHost>(
    hub: &H,
    key: &RoomKey,
    room: &mut Room<SessionOutbox>,
    created_at: u64,
    cmd: RoomCmd,
) {
    let now = hub.clock().now();
    match cmd {
        RoomCmd::Login { input, reply } => {
            let id_name = input.id_name.clone();
            let result = room.login(now, input);
            if let Err(r) = &result {
                tracing::info!(appid = key.appid, room = %key.room_id, user = %id_name, code = r.code.0, detail = %r.detail, "login refused");
            } else {
                tracing::info!(appid = key.appid, room = %key.room_id, user = %id_name, online = room.online_count(), "login");
            }
            let _ = reply.send(result);
        }
        RoomCmd::Request {
            key: member,
            seq,
            req,
            out,
        } => {
            let cmd = req.cmd();
            match room.request(now, member, req) {
                Ok(body) => out.reply(cmd, seq, body),
                Err(r) => {
                    hub.metrics().error(r.code);
                    tracing::info!(appid = key.appid, room = %key.room_id, user = %out.ids.user_id, cmd, code = r.code.0, detail = %r.detail, "request refused");
                    out.reply(cmd, seq, error_body(r.code, &r.detail));
                }
            }
        }
        RoomCmd::RequestAs {
            key: member,
            req,
            reply,
        } => {
            let _ = reply.send(room.request(now, member, req));
        }
        RoomCmd::Disconnected { key: member } => room.disconnected(now, member),
        RoomCmd::Leave { key: member } => room.leave(member),
        RoomCmd::Kick {
            id_name,
            key: member,
            reason,
        } => {
            if room.kick(&id_name, member, reason) {
                tracing::info!(appid = key.appid, room = %key.room_id, user = %id_name, reason, "kicked out");
            }
        }
        RoomCmd::Admin(cmd) => admin(hub, key, room, created_at, cmd),
    }
}

/// The admin API's commands (answers go back through their oneshots).
fn admin<H: RoomHost>(
    hub: &H,
    key: &RoomKey,
    room: &mut Room<SessionOutbox>,
    created_at: u64,
    cmd: AdminCmd,
) {
    let now = hub.clock().now();
    match cmd {
        AdminCmd::Info(reply) => {
            let _ = reply.send(RoomInfo {
                appid: key.appid,
                room_id: key.room_id.clone(),
                users: room.online_count(),
                streams: room.stream_list().1.len(),
                created_at,
                user_state_updates: room.user_state_updates(),
            });
        }
        AdminCmd::Users(reply) => {
            let _ = reply.send(room.member_list());
        }
        AdminCmd::Streams(reply) => {
            let _ = reply.send(room.stream_list());
        }
        AdminCmd::Kick {
            id_name,
            reason,
            reply,
        } => {
            let kicked = room.kick(&id_name, None, reason);
            if kicked {
                tracing::info!(appid = key.appid, room = %key.room_id, user = %id_name, reason, "kicked out by administrator");
            }
            let _ = reply.send(kicked);
        }
        AdminCmd::Close { reason, reply } => {
            let n = room.online_count();
            room.close(reason);
            tracing::info!(appid = key.appid, room = %key.room_id, users = n, "room closed by administrator");
            let _ = reply.send(n);
        }
        AdminCmd::Chat {
            category,
            msg_type,
            content,
            reply,
        } => {
            let _ = reply.send(room.system_chat(now, category, msg_type, content));
        }
        AdminCmd::Trans {
            trans_type,
            data,
            id_name,
            reply,
        } => {
            let _ = reply.send(room.system_trans(trans_type, data, id_name));
        }
        AdminCmd::HandOver(reply) => {
            let _ = reply.send(room.hand_over());
            tracing::info!(appid = key.appid, room = %key.room_id, "room handed over for the node that takes it next");
        }
        AdminCmd::TakeOver(h) => {
            room.take_over(h);
            tracing::info!(appid = key.appid, room = %key.room_id, "room taken over with what its previous node handed over");
        }
        AdminCmd::RtmpUrls {
            stream_id,
            urls,
            reply,
        } => {
            let _ = reply.send(room.set_rtmp_urls(&stream_id, urls));
        }
    }
}

fn on_event<H: RoomHost>(hub: &H, key: &RoomKey, ev: RoomEvent) {
    let (appid, room_id) = (key.appid, key.room_id.as_str());
    match ev {
        RoomEvent::MemberAdded {
            id_name,
            nick_name,
            role,
            ..
        } => {
            hub.metrics().users.inc();
            hub.webhooks().emit(
                appid,
                room_id,
                webhooks::USER_JOINED,
                json!({"id_name": id_name, "nick_name": nick_name, "role": role}),
            );
        }
        RoomEvent::MemberRemoved {
            id_name,
            key: member,
            reason,
        } => {
            tracing::info!(appid, room = %room_id, user = %id_name, reason = reason.as_str(), "left room");
            hub.release(appid, &id_name, member);
            hub.metrics().users.dec();
            hub.webhooks().emit(
                appid,
                room_id,
                webhooks::USER_LEFT,
                json!({"id_name": id_name, "reason": reason.as_str()}),
            );
        }
        RoomEvent::StreamAdded { stream_id, id_name } => {
            tracing::info!(appid, room = %room_id, user = %id_name, stream = %stream_id, "stream added");
            hub.metrics().streams.inc();
            hub.webhooks().emit(
                appid,
                room_id,
                webhooks::STREAM_ADDED,
                json!({"stream_id": stream_id, "id_name": id_name}),
            );
        }
        RoomEvent::StreamRemoved { stream_id, id_name } => {
            tracing::info!(appid, room = %room_id, user = %id_name, stream = %stream_id, "stream removed");
            hub.metrics().streams.dec();
            hub.webhooks().emit(
                appid,
                room_id,
                webhooks::STREAM_REMOVED,
                json!({"stream_id": stream_id, "id_name": id_name}),
            );
        }
    }
}
