//! The room state machine driven by a sequence of client commands, as the server's session
//! hands them over after parsing: logins, every room command with a fuzzed body, dropped
//! connections, time passing (heartbeat and reconnect timeouts, big-room batches), kicks,
//! moves and room closes. Replies and every push must be valid JSON; nothing may panic.
//!
//! Input: records separated by `\n`. A record's first byte picks the session (low 3 bits,
//! keys 1–8), the operation (next 3 bits) and a flag (bit 6); the rest is its argument.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liveroom_fuzz::{login_fields_ok, parse_command, Parsed, COMMANDS};
use liveroom_room::{LiveUrls, LoginInput, Now, Outbox, Push, Room, Settings};
use std::sync::Arc;

#[derive(Clone)]
struct Sink;

fn check_push(push: &Push) {
    assert!(
        serde_json::from_slice::<serde_json::Value>(&push.body).is_ok(),
        "push {} body is not JSON",
        push.cmd
    );
}

impl Outbox for Sink {
    fn push(&self, push: &Arc<Push>) {
        check_push(push);
    }
    fn push_lossy(&self, push: &Arc<Push>) {
        check_push(push);
    }
    fn kick(&self, _reason: u32) {}
    fn close(&self) {}
}

fn settings() -> Settings {
    let signer: liveroom_room::LiveUrlSigner = Arc::new(|appid, id: &str, now| {
        id.len()
            .is_multiple_of(2)
            .then(|| format!("a={appid}&t={now}"))
    });
    Settings {
        max_users: 4,
        live_urls: Some(
            LiveUrls {
                prefix: "https://live.example/{appid}/".into(),
                appid: 0,
                signer: Some(signer),
            }
            .for_app(7),
        ),
        ..Settings::default()
    }
}

fn check_reply(reply: &liveroom_room::Reply) {
    if let Ok(body) = reply {
        assert!(
            serde_json::from_slice::<serde_json::Value>(body).is_ok(),
            "reply body is not JSON"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let mut now = Now {
        mono_ms: 1_000,
        unix_ms: 1_700_000_000_000,
    };
    let mut room: Room<Sink> = Room::new("room-1".into(), settings(), data.first() != Some(&0));
    for record in data.split(|b| *b == b'\n') {
        let Some((&b0, arg)) = record.split_first() else {
            continue;
        };
        let key = (b0 & 7) as u64 + 1;
        let flag = b0 & 0x40 != 0;
        match (b0 >> 3) & 7 {
            0 | 1 => {
                let Some((&c, body)) = arg.split_first() else {
                    continue;
                };
                let Ok(body) = std::str::from_utf8(body) else {
                    continue;
                };
                let cmd = COMMANDS[c as usize % COMMANDS.len()];
                match parse_command(cmd, body) {
                    Some(Ok(Parsed::Login(req))) => {
                        if !login_fields_ok(&req) {
                            continue;
                        }
                        let r = room.login(
                            now,
                            LoginInput {
                                key,
                                user_id: key * 1000,
                                id_name: req.id_name.clone(),
                                nick_name: req.nick_name.clone(),
                                role: req.role,
                                can_publish: flag || req.role == 1,
                                handle: Sink,
                            },
                        );
                        if let Ok(rsp) = r {
                            assert!(serde_json::to_vec(&rsp).is_ok());
                        }
                    }
                    Some(Ok(Parsed::Room(req))) => check_reply(&room.request(now, key, req)),
                    _ => {}
                }
            }
            2 => room.disconnected(now, key),
            3 => {
                let step = arg.first().copied().unwrap_or(1) as u64 * if flag { 1000 } else { 50 };
                now.mono_ms += step;
                now.unix_ms += step;
                if room.poll_timeout().is_some_and(|t| t <= now.mono_ms) {
                    room.handle_timeout(now);
                }
            }
            4 => {
                let id = String::from_utf8_lossy(arg);
                let reason = arg.len() as u32 % 4;
                room.kick(&id, flag.then_some(key), reason);
            }
            5 => room.leave(key),
            6 => room.close(arg.len() as u32 % 4),
            _ => {
                let _ = room.member_list();
                let _ = room.stream_list();
                let _ = room.online_count();
                let _ = room.is_empty();
            }
        }
        let _ = room.drain_events();
        assert!(room.online_count() <= 4, "more members than max_users");
    }
});
