//! The async shell around one `liveroom_room::Room`: a task that owns the state, takes
//! commands from sessions, runs the room's timers and retires the room when it is empty.

use crate::hub::{Hub, RoomCmd, RoomKey, CLOSING};
use crate::outbox::SessionOutbox;
use liveroom_proto::body::error_body;
use liveroom_proto::ErrCode;
use liveroom_room::{Refusal, Room, RoomEvent};
use std::sync::Arc;
use tokio::sync::mpsc;

pub fn spawn(hub: Arc<Hub>, key: RoomKey, user_state_updates: bool, rx: mpsc::Receiver<RoomCmd>) {
    tokio::spawn(run(hub, key, user_state_updates, rx));
}

async fn run(
    hub: Arc<Hub>,
    key: RoomKey,
    user_state_updates: bool,
    mut rx: mpsc::Receiver<RoomCmd>,
) {
    let mut room: Room<SessionOutbox> = Room::new(
        key.room_id.clone(),
        hub.settings.clone(),
        user_state_updates,
    );
    tracing::info!(appid = key.appid, room = %key.room_id, user_state_updates, "room created");
    loop {
        let deadline = room.poll_timeout().map(|t| hub.clock.instant(t));
        tokio::select! {
            cmd = rx.recv() => match cmd {
                Some(cmd) => handle(&hub, &key, &mut room, cmd),
                None => break,
            },
            _ = sleep_until(deadline), if deadline.is_some() => {
                room.handle_timeout(hub.clock.now());
            }
        }
        for ev in room.drain_events() {
            on_event(&hub, &key, ev);
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
            RoomCmd::Disconnected { .. } | RoomCmd::Leave { .. } | RoomCmd::Kick { .. } => {}
        }
    }
    tracing::info!(appid = key.appid, room = %key.room_id, "room closed");
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

fn handle(hub: &Hub, key: &RoomKey, room: &mut Room<SessionOutbox>, cmd: RoomCmd) {
    let now = hub.clock.now();
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
                    tracing::info!(appid = key.appid, room = %key.room_id, user = %out.ids.user_id, cmd, code = r.code.0, detail = %r.detail, "request refused");
                    out.reply(cmd, seq, error_body(r.code, &r.detail));
                }
            }
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
    }
}

fn on_event(hub: &Hub, key: &RoomKey, ev: RoomEvent) {
    match ev {
        RoomEvent::MemberRemoved {
            id_name,
            key: member,
        } => {
            tracing::info!(appid = key.appid, room = %key.room_id, user = %id_name, "left room");
            hub.release(key.appid, &id_name, member);
        }
        RoomEvent::StreamAdded { stream_id, id_name } => {
            tracing::info!(appid = key.appid, room = %key.room_id, user = %id_name, stream = %stream_id, "stream added");
        }
        RoomEvent::StreamRemoved { stream_id, id_name } => {
            tracing::info!(appid = key.appid, room = %key.room_id, user = %id_name, stream = %stream_id, "stream removed");
        }
    }
}
