//! Room state with a fake clock and recording outboxes.

use super::*;
use liveroom_proto::body::*;
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Push(&'static str, serde_json::Value),
    Lossy(&'static str, serde_json::Value),
    Kick(u32),
    Close,
}

#[derive(Clone, Default)]
struct Rec(Rc<RefCell<Vec<Seen>>>);

impl Rec {
    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut self.0.borrow_mut())
    }
    fn pushes(&self, cmd: &str) -> Vec<serde_json::Value> {
        self.take()
            .into_iter()
            .filter_map(|s| match s {
                Seen::Push(c, v) | Seen::Lossy(c, v) if c == cmd => Some(v),
                _ => None,
            })
            .collect()
    }
}

impl Outbox for Rec {
    fn push(&self, p: &Arc<Push>) {
        self.0
            .borrow_mut()
            .push(Seen::Push(p.cmd, serde_json::from_slice(&p.body).unwrap()));
    }
    fn push_lossy(&self, p: &Arc<Push>) {
        self.0
            .borrow_mut()
            .push(Seen::Lossy(p.cmd, serde_json::from_slice(&p.body).unwrap()));
    }
    fn kick(&self, reason: u32) {
        self.0.borrow_mut().push(Seen::Kick(reason));
    }
    fn close(&self) {
        self.0.borrow_mut().push(Seen::Close);
    }
}

fn at(ms: u64) -> Now {
    Now {
        mono_ms: ms,
        unix_ms: 1_700_000_000_000 + ms,
    }
}

fn settings() -> Settings {
    Settings {
        heartbeat_interval_ms: 1000,
        session_timeout_ms: 5000,
        reconnect_grace_ms: 3000,
        bigim_time_window_ms: 1000,
        ..Settings::default()
    }
}

fn join(room: &mut Room<Rec>, now: Now, key: u64, id: &str, role: u8) -> (Rec, LoginRsp) {
    let rec = Rec::default();
    let rsp = room
        .login(
            now,
            LoginInput {
                key,
                user_id: key + 1000,
                id_name: id.into(),
                nick_name: format!("nick-{id}"),
                role,
                can_publish: true,
                handle: rec.clone(),
            },
        )
        .unwrap();
    (rec, rsp)
}

fn ok(reply: super::Reply) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_slice(&reply.expect("ok reply")).unwrap();
    assert_eq!(v["err_code"], 0);
    v
}

fn stream(sub_cmd: u32, id: &str, extra: &str) -> Request {
    Request::Stream(StreamReq {
        sub_cmd,
        stream_msg: serde_json::json!({"stream_id": id, "extra_info": extra}).to_string(),
    })
}

#[test]
fn login_reply_carries_room_state() {
    let mut room = Room::new("r".into(), settings(), true);
    let (_a, ra) = join(&mut room, at(0), 1, "alice", 1);
    assert_eq!(ra.online_count, 1);
    assert_eq!(ra.server_user_seq, 1);
    assert_eq!(ra.anchor_info.anchor_id_name, "alice");
    assert_eq!(ra.anchor_info.anchor_id, "1001");
    assert_eq!(ra.session_id, "1");
    assert_eq!(ra.ret_timestamp, "1700000000000");
    let (_b, rb) = join(&mut room, at(10), 2, "bob", 2);
    assert_eq!(rb.online_count, 2);
    assert_eq!(rb.server_user_seq, 2);
    assert_eq!(rb.anchor_info.anchor_id_name, "alice");
}

#[test]
fn the_anchor_is_the_earliest_member_with_role_1() {
    let mut room = Room::new("r".into(), settings(), true);
    let (_a, ra) = join(&mut room, at(0), 1, "aud", 2);
    assert_eq!(ra.anchor_info.anchor_id_name, "");
    let (_b, _) = join(&mut room, at(1), 2, "bob", 1);
    let (_c, _) = join(&mut room, at(2), 3, "carol", 1);
    let (_d, rd) = join(&mut room, at(3), 4, "dave", 2);
    assert_eq!(rd.anchor_info.anchor_id_name, "bob");
    // bob logs in again as audience: carol is the anchor now.
    let (_b2, rb) = join(&mut room, at(4), 5, "bob", 2);
    assert_eq!(rb.anchor_info.anchor_id_name, "carol");
    ok(room.request(at(5), 3, Request::Logout));
    let (_e, re) = join(&mut room, at(6), 6, "eve", 2);
    assert_eq!(re.anchor_info.anchor_id_name, "");
    // bob back as anchor keeps his first place in the login order.
    let (_b3, rb) = join(&mut room, at(7), 7, "bob", 1);
    assert_eq!(rb.anchor_info.anchor_id_name, "bob");
}

#[test]
fn streams_carry_live_urls_and_rtmp_relays_are_announced() {
    let mut room = Room::new(
        "r".into(),
        Settings {
            live_urls: Some(crate::LiveUrls {
                prefix: "http://h:1/live/7/".into(),
                ..Default::default()
            }),
            ..settings()
        },
        false,
    );
    let (a, _) = join(&mut room, at(0), 1, "alice", 1);
    let (b, _) = join(&mut room, at(0), 2, "bob", 2);
    let v = ok(room.request(at(1), 1, stream(2001, "s 1", "")));
    let s = &v["stream_info"][0];
    assert_eq!(s["urls_flv"][0], "http://h:1/live/7/s%201.flv");
    assert_eq!(s["urls_m3u8"][0], "http://h:1/live/7/s%201.m3u8");
    assert_eq!(s["urls_https_flv"].as_array().map(|a| a.len()), Some(0));
    assert_eq!(
        b.pushes("push_stream_update")[0]["stream_info"][0]["urls_flv"][0],
        "http://h:1/live/7/s%201.flv"
    );
    assert!(room.set_rtmp_urls("s 1", vec!["rtmp://x/live/a".into()]));
    for r in [&a, &b] {
        let p = r.pushes("push_stream_update");
        assert_eq!(p[0]["stream_cmd"], 12003);
        assert_eq!(p[0]["stream_seq"], 2);
        assert_eq!(p[0]["stream_info"][0]["urls_rtmp"][0], "rtmp://x/live/a");
    }
    // Unchanged: nothing announced; unknown stream: false.
    assert!(room.set_rtmp_urls("s 1", vec!["rtmp://x/live/a".into()]));
    assert!(b.pushes("push_stream_update").is_empty());
    assert!(!room.set_rtmp_urls("nope", vec![]));
    let https = crate::LiveUrls {
        prefix: "https://c/live/7/".into(),
        ..Default::default()
    };
    let mut s = liveroom_proto::body::StreamInfo {
        stream_id: "x".into(),
        ..Default::default()
    };
    https.fill(&mut s, 0);
    assert_eq!(s.urls_https_flv, vec!["https://c/live/7/x.flv"]);
    assert!(s.urls_flv.is_empty());
}

#[test]
fn live_urls_are_signed_when_announced_and_afresh_in_each_list() {
    // The signer gets the room's app, the stream id and the time in seconds.
    let signer: crate::LiveUrlSigner =
        Arc::new(|appid, id, now| Some(format!("app={appid}&id={id}&t={now}")));
    let template = crate::LiveUrls {
        prefix: "http://h:1/live/{appid}/".into(),
        signer: Some(signer),
        ..Default::default()
    };
    let settings = Settings {
        live_urls: Some(template.for_app(7)),
        ..settings()
    };
    let mut room = Room::new("r".into(), settings, false);
    let (_a, _) = join(&mut room, at(0), 1, "alice", 1);
    let (b, _) = join(&mut room, at(0), 2, "bob", 2);
    let v = ok(room.request(at(1000), 1, stream(2001, "s1", "")));
    let added = "http://h:1/live/7/s1.flv?app=7&id=s1&t=1700000001";
    assert_eq!(v["stream_info"][0]["urls_flv"][0], added);
    assert_eq!(
        v["stream_info"][0]["urls_m3u8"][0],
        "http://h:1/live/7/s1.m3u8?app=7&id=s1&t=1700000001"
    );
    assert_eq!(
        b.pushes("push_stream_update")[0]["stream_info"][0]["urls_flv"][0],
        added
    );
    // A list answered later carries URLs signed then: stream_info and a login reply.
    let v = ok(room.request(at(60_000), 2, Request::StreamInfo));
    assert_eq!(
        v["stream_info"][0]["urls_flv"][0],
        "http://h:1/live/7/s1.flv?app=7&id=s1&t=1700000060"
    );
    let (_c, rc) = join(&mut room, at(120_000), 3, "carol", 2);
    assert_eq!(
        rc.stream_info[0].urls_flv,
        vec!["http://h:1/live/7/s1.flv?app=7&id=s1&t=1700000120"]
    );
    // A signer that declines (an app with plain URLs): no query.
    let plain = crate::LiveUrls {
        prefix: "http://h:1/live/{appid}/".into(),
        signer: Some(Arc::new(|_, _, _| None)),
        ..Default::default()
    }
    .for_app(8);
    let mut s = liveroom_proto::body::StreamInfo {
        stream_id: "x".into(),
        ..Default::default()
    };
    plain.fill(&mut s, 5);
    assert_eq!(s.urls_flv, vec!["http://h:1/live/8/x.flv"]);
}

#[test]
fn user_updates_have_contiguous_seqs_and_skip_the_subject() {
    let mut room = Room::new("r".into(), settings(), true);
    let (a, _) = join(&mut room, at(0), 1, "alice", 1);
    let (b, _) = join(&mut room, at(1), 2, "bob", 2);
    let p = a.pushes("push_userlist_update");
    assert_eq!(p.len(), 1);
    assert_eq!(p[0]["user_list_seq"], 2);
    assert_eq!(p[0]["user_actions"][0]["Action"], 1);
    assert_eq!(p[0]["user_actions"][0]["IdName"], "bob");
    assert_eq!(p[0]["user_actions"][0]["LoginTime"], "1700000000001");
    assert!(b.pushes("push_userlist_update").is_empty());
    ok(room.request(at(2), 2, Request::Logout));
    let p = a.pushes("push_userlist_update");
    assert_eq!(p[0]["user_list_seq"], 3);
    assert_eq!(p[0]["user_actions"][0]["Action"], 2);
}

#[test]
fn no_user_pushes_when_the_room_has_updates_off() {
    let mut room = Room::new("r".into(), settings(), false);
    let (a, _) = join(&mut room, at(0), 1, "alice", 1);
    join(&mut room, at(1), 2, "bob", 2);
    assert!(a.pushes("push_userlist_update").is_empty());
    let hb = ok(room.request(at(2), 1, Request::Hb));
    assert_eq!(hb["server_user_seq"], 2);
}

#[test]
fn user_list_pages_are_one_based() {
    let mut room = Room::new("r".into(), settings(), true);
    for i in 0..250u64 {
        join(&mut room, at(i), i + 1, &format!("u{i:03}"), 2);
    }
    let mut index = 0;
    let mut all = Vec::new();
    loop {
        let v = ok(room.request(
            at(300),
            1,
            Request::UserList(UserListReq {
                user_index: index,
                sort_type: 0,
            }),
        ));
        all.extend(
            v["user_baseinfos"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["id_name"].as_str().unwrap().to_string()),
        );
        assert_eq!(v["server_user_index"], 250);
        if v["ret_user_index"] == v["server_user_index"] {
            break;
        }
        index = v["ret_user_index"].as_u64().unwrap() as u32 + 1;
    }
    assert_eq!(all.len(), 250);
    assert_eq!(all[0], "u000");
    assert_eq!(all[249], "u249");
}

#[test]
fn stream_seq_rises_per_change_and_others_get_pushes() {
    let mut room = Room::new("r".into(), settings(), false);
    let (a, _) = join(&mut room, at(0), 1, "alice", 1);
    let (b, _) = join(&mut room, at(0), 2, "bob", 2);
    let v = ok(room.request(at(1), 1, stream(2001, "s1", "x")));
    assert_eq!(v["stream_seq"], 1);
    assert_eq!(v["stream_info"][0]["stream_id"], "s1");
    let p = b.pushes("push_stream_update");
    assert_eq!(p[0]["stream_cmd"], 12001);
    assert_eq!(p[0]["stream_seq"], 1);
    assert_eq!(p[0]["stream_info"][0]["anchor_id_name"], "alice");
    assert!(a.pushes("push_stream_update").is_empty());
    // Repeated liveBegin with the same info: idempotent, no push.
    let v = ok(room.request(at(2), 1, stream(2001, "s1", "x")));
    assert_eq!(v["stream_seq"], 1);
    assert!(b.pushes("push_stream_update").is_empty());
    ok(room.request(at(3), 1, stream(2003, "s1", "y")));
    let p = b.pushes("push_stream_update");
    assert_eq!(
        (p[0]["stream_cmd"].as_u64(), p[0]["stream_seq"].as_u64()),
        (Some(12003), Some(2))
    );
    assert_eq!(p[0]["stream_info"][0]["extra_info"], "y");
    // Bob may not end or take alice's stream.
    let e = room.request(at(4), 2, stream(2002, "s1", "")).unwrap_err();
    assert_eq!(e.code, ErrCode::STREAM_OWNED_BY_OTHER);
    ok(room.request(at(5), 1, stream(2002, "s1", "")));
    let p = b.pushes("push_stream_update");
    assert_eq!(
        (p[0]["stream_cmd"].as_u64(), p[0]["stream_seq"].as_u64()),
        (Some(12002), Some(3))
    );
    let e = room.request(at(6), 1, stream(2002, "s1", "")).unwrap_err();
    assert_eq!(e.code, ErrCode::STREAM_NOT_FOUND);
    let e = room.request(at(6), 1, stream(2009, "s1", "")).unwrap_err();
    assert_eq!(e.code, ErrCode::BAD_BODY);
}

#[test]
fn streams_survive_a_reconnect_within_grace_and_end_after_it() {
    let mut room = Room::new("r".into(), settings(), true);
    let (_a, _) = join(&mut room, at(0), 1, "alice", 1);
    let (b, _) = join(&mut room, at(0), 2, "bob", 2);
    ok(room.request(at(1), 1, stream(2001, "s1", "")));
    b.take();
    room.disconnected(at(100), 1);
    // Within grace: alice logs in again with a new session; no pushes, stream kept.
    room.handle_timeout(at(2000));
    let (_a2, r) = join(&mut room, at(2500), 11, "alice", 1);
    assert_eq!(r.stream_info.len(), 1);
    assert_eq!(r.online_count, 2);
    assert!(b.take().is_empty());
    // The old session's key is dead.
    assert_eq!(
        room.request(at(2600), 1, Request::Hb).unwrap_err().code,
        ErrCode::LOGIN_STATE
    );
    // Now drop for longer than the grace.
    room.disconnected(at(3000), 11);
    ok(room.request(at(4500), 2, Request::Hb));
    room.handle_timeout(at(5000));
    assert!(b.pushes("push_stream_update").is_empty());
    let due = room.poll_timeout().unwrap();
    room.handle_timeout(at(due.max(6000)));
    let seen = b.take();
    assert!(seen
        .iter()
        .any(|s| matches!(s, Seen::Push("push_stream_update", v) if v["stream_cmd"] == 12002)));
    assert!(seen.iter().any(|s| matches!(s, Seen::Push("push_userlist_update", v) if v["user_actions"][0]["Action"] == 2)));
    assert_eq!(room.online_count(), 1);
    assert_eq!(
        room.drain_events()
            .iter()
            .filter(|e| matches!(e, RoomEvent::MemberRemoved { .. }))
            .count(),
        1
    );
}

#[test]
fn a_silent_member_is_removed_after_the_session_timeout() {
    let mut room = Room::new("r".into(), settings(), true);
    let (a, _) = join(&mut room, at(0), 1, "alice", 1);
    let (b, _) = join(&mut room, at(0), 2, "bob", 2);
    a.take();
    for t in (1000..=4000).step_by(1000) {
        ok(room.request(at(t), 2, Request::Hb));
        room.handle_timeout(at(t));
    }
    assert_eq!(room.online_count(), 2);
    ok(room.request(at(5000), 2, Request::Hb));
    room.handle_timeout(at(5000));
    assert_eq!(room.online_count(), 1);
    assert!(a.take().contains(&Seen::Close));
    let p = b.pushes("push_userlist_update");
    assert_eq!(p[0]["user_actions"][0]["IdName"], "alice");
}

#[test]
fn a_second_live_login_kicks_the_first() {
    let mut room = Room::new("r".into(), settings(), true);
    let (a1, _) = join(&mut room, at(0), 1, "alice", 1);
    let (a2, _) = join(&mut room, at(1), 2, "alice", 1);
    assert_eq!(
        a1.take(),
        vec![Seen::Kick(
            liveroom_proto::errors::kick_reason::DUPLICATE_LOGIN
        )]
    );
    assert!(a2.take().is_empty());
    assert_eq!(room.online_count(), 1);
}

#[test]
fn custom_commands_reach_named_members_only() {
    let mut room = Room::new("r".into(), settings(), false);
    let (a, _) = join(&mut room, at(0), 1, "alice", 1);
    let (b, _) = join(&mut room, at(0), 2, "bob", 2);
    let (c, _) = join(&mut room, at(0), 3, "carol", 2);
    let msg = |content: serde_json::Value, from: &str| {
        serde_json::json!({"from_userid": from, "from_username": "A", "request_id": "alice-1", "custom_content": content, "room_id": "r"}).to_string()
    };
    let req = |dest: Vec<&str>, m: String| {
        Request::CustomMsg(CustomMsgReq {
            dest_id_name: dest.into_iter().map(String::from).collect(),
            custom_msg: m,
        })
    };
    ok(room.request(
        at(1),
        1,
        req(vec!["bob", "bob", "nobody"], msg("hi".into(), "alice")),
    ));
    let p = b.pushes("push_custommsg");
    assert_eq!(p.len(), 1);
    let inner: serde_json::Value =
        serde_json::from_str(p[0]["custommsg"].as_str().unwrap()).unwrap();
    assert_eq!(inner["custom_content"], "hi");
    assert!(c.take().is_empty());
    assert!(a.take().is_empty());
    assert_eq!(
        room.request(at(1), 1, req(vec![], msg("hi".into(), "alice")))
            .unwrap_err()
            .code,
        ErrCode::BAD_BODY
    );
    assert_eq!(
        room.request(at(1), 1, req(vec!["nobody"], msg("hi".into(), "alice")))
            .unwrap_err()
            .code,
        ErrCode::USER_NOT_IN_ROOM
    );
    assert_eq!(
        room.request(at(1), 1, req(vec!["bob"], msg("hi".into(), "bob")))
            .unwrap_err()
            .code,
        ErrCode::BAD_BODY
    );
    let long = "x".repeat(1025);
    assert_eq!(
        room.request(at(1), 1, req(vec!["bob"], msg(long.into(), "alice")))
            .unwrap_err()
            .code,
        ErrCode::CONTENT_TOO_LONG
    );
    ok(room.request(
        at(1),
        1,
        req(vec!["bob"], msg("x".repeat(1024).into(), "alice")),
    ));
    // An object counts as its JSON.
    ok(room.request(
        at(1),
        1,
        req(vec!["bob"], msg(serde_json::json!({"k": "v"}), "alice")),
    ));
}

#[test]
fn chat_ids_rise_per_room_and_go_to_others() {
    let mut room = Room::new("r".into(), settings(), false);
    let (a, _) = join(&mut room, at(0), 1, "alice", 1);
    let (b, _) = join(&mut room, at(0), 2, "bob", 2);
    let chat = |s: &str| {
        Request::ImChat(ImChatReq {
            msg_category: 1,
            msg_type: 1,
            msg_content: s.into(),
        })
    };
    assert_eq!(ok(room.request(at(5), 1, chat("one")))["msg_id"], 1);
    assert_eq!(ok(room.request(at(6), 2, chat("two")))["msg_id"], 2);
    let p = b.pushes("push_im_chat");
    assert_eq!(p.len(), 1);
    assert_eq!(p[0]["chat_data"][0]["msg_content"], "one");
    assert_eq!(p[0]["chat_data"][0]["id_name"], "alice");
    assert_eq!(p[0]["chat_data"][0]["send_time"], 1_700_000_000_005u64);
    assert_eq!(p[0]["server_msg_id"], 1);
    assert_eq!(
        a.pushes("push_im_chat")[0]["chat_data"][0]["msg_content"],
        "two"
    );
    assert_eq!(
        room.request(at(7), 1, chat(&"x".repeat(1025)))
            .unwrap_err()
            .code,
        ErrCode::CONTENT_TOO_LONG
    );
}

#[test]
fn signals_are_relayed_with_push_sub_cmds() {
    let mut room = Room::new("r".into(), settings(), false);
    join(&mut room, at(0), 1, "alice", 1);
    let (b, _) = join(&mut room, at(0), 2, "bob", 2);
    for sub in 1001..=1004 {
        let msg = serde_json::json!({"request_id": "alice-1", "room_id": "r", "from_userid": "alice", "from_username": "A", "to_userid": "bob", "result": 1}).to_string();
        ok(room.request(
            at(1),
            1,
            Request::Signal(SignalReq {
                sub_cmd: sub,
                signal_msg: msg.clone(),
                dest_id_name: vec!["bob".into()],
            }),
        ));
        let p = b.pushes("push_signal");
        assert_eq!(p[0]["sub_cmd"], sub + 10000);
        assert_eq!(p[0]["signal_msg"], msg);
    }
    let e = room.request(
        at(1),
        1,
        Request::Signal(SignalReq {
            sub_cmd: 1005,
            signal_msg: "{}".into(),
            dest_id_name: vec!["bob".into()],
        }),
    );
    assert_eq!(e.unwrap_err().code, ErrCode::BAD_BODY);
}

#[test]
fn reliable_messages_keep_the_latest_per_type_with_a_rising_seq() {
    let mut room = Room::new("r".into(), settings(), false);
    join(&mut room, at(0), 1, "alice", 1);
    let (b, _) = join(&mut room, at(0), 2, "bob", 2);
    let send = |t: &str, d: &str| {
        Request::Trans(TransReq {
            trans_type: t.into(),
            trans_data: d.into(),
            trans_local_seq: 0,
            trans_channel: "clt".into(),
        })
    };
    assert_eq!(ok(room.request(at(1), 1, send("q", "one")))["trans_seq"], 1);
    assert_eq!(ok(room.request(at(1), 1, send("q", "two")))["trans_seq"], 2);
    assert_eq!(
        ok(room.request(at(1), 1, send("score", "5")))["trans_seq"],
        3
    );
    let p = b.pushes("push_trans");
    assert_eq!(p.len(), 3);
    assert_eq!(p[1]["trans_data"], "two");
    assert_eq!(p[1]["trans_user_idname"], "alice");
    // A late joiner learns the seqs from the heartbeat and fetches the latest values only.
    let (_c, _) = join(&mut room, at(2), 3, "carol", 2);
    let hb = ok(room.request(at(3), 3, Request::Hb));
    assert_eq!(hb["trans_seqs"][0]["trans_channel"], "clt");
    assert_eq!(
        hb["trans_seqs"][0]["trans_seq_array"],
        serde_json::json!([{"trans_type": "q", "trans_seq": 2}, {"trans_type": "score", "trans_seq": 3}])
    );
    let fetch = |room: &mut Room<Rec>, items: &[(&str, u32)], old: Option<(&str, u32)>| {
        ok(room.request(
            at(3),
            3,
            Request::TransFetch(TransFetchReq {
                trans_channel: "clt".into(),
                fetch_array: items
                    .iter()
                    .map(|&(t, s)| TransFetchItem {
                        trans_type: t.into(),
                        trans_seq: s,
                    })
                    .collect(),
                trans_type: old.map(|(t, _)| t.into()),
                trans_local_seq: old.map(|(_, s)| s),
            }),
        ))["trans_fetch_results"]
            .clone()
    };
    let q = serde_json::json!({"trans_type": "q", "trans_seq": 2, "trans_data": "two", "trans_user_idname": "alice"});
    let score = serde_json::json!({"trans_type": "score", "trans_seq": 3, "trans_data": "5", "trans_user_idname": "alice"});
    // The original 1.x client asks with the heartbeat's (the server's) seqs, the ones it lacks.
    assert_eq!(
        fetch(&mut room, &[("q", 2), ("score", 3)], None),
        serde_json::json!([q, score])
    );
    // Ours asks with the seqs it holds; a type asked twice is answered once; unknown types are left out.
    assert_eq!(
        fetch(
            &mut room,
            &[("score", 0), ("q", 1), ("q", 1), ("zzz", 0)],
            None
        ),
        serde_json::json!([q, score])
    );
    // The 1.0.3 form names the client's own seq: a type still at it is left out.
    assert_eq!(
        fetch(&mut room, &[], Some(("q", 1))),
        serde_json::json!([q])
    );
    assert_eq!(fetch(&mut room, &[], Some(("q", 2))), serde_json::json!([]));
    for i in 0..8 {
        ok(room.request(at(4), 1, send(&format!("t{i}"), "")));
    }
    assert_eq!(
        room.request(at(4), 1, send("t9", "")).unwrap_err().code,
        ErrCode::TOO_MANY_TRANS_TYPES
    );
    assert_eq!(
        room.request(at(4), 1, send("", "")).unwrap_err().code,
        ErrCode::BAD_BODY
    );
    assert_eq!(
        room.request(at(4), 1, send(&"t".repeat(129), ""))
            .unwrap_err()
            .code,
        ErrCode::BAD_BODY
    );
}

#[test]
fn big_room_messages_merge_into_one_push_per_window() {
    let mut room = Room::new("r".into(), settings(), false);
    let (a, _) = join(&mut room, at(0), 1, "alice", 1);
    let (b, _) = join(&mut room, at(0), 2, "bob", 2);
    let msg = |id: &str| BigImMsg {
        msg_category: 1,
        msg_type: 1,
        msg_content: format!("m{id}"),
        bigmsg_client_id: id.into(),
    };
    // unix time of at(250) is 250 ms into a 1000 ms window: flush due at mono 1000.
    let v = ok(room.request(
        at(250),
        1,
        Request::BigIm(BigImReq {
            msgs: vec![msg("1"), msg("2")],
        }),
    ));
    assert_eq!(
        v["msgs"],
        serde_json::json!([{"bigmsg_client_id": "1", "bigmsg_id": "1"}, {"bigmsg_client_id": "2", "bigmsg_id": "2"}])
    );
    assert_eq!(v["bigim_time_window"], 1000);
    ok(room.request(
        at(600),
        2,
        Request::BigIm(BigImReq {
            msgs: vec![msg("1")],
        }),
    ));
    assert_eq!(room.poll_timeout(), Some(1000));
    room.handle_timeout(at(999));
    assert!(a.pushes("push_merge_message").is_empty());
    room.handle_timeout(at(1000));
    let pa = a.pushes("push_merge_message");
    let pb = b.pushes("push_merge_message");
    assert_eq!(pa, pb);
    assert_eq!(pa.len(), 1);
    assert_eq!(pa[0]["messages"][0]["sub_cmd"], 14001);
    let inner: serde_json::Value =
        serde_json::from_str(pa[0]["messages"][0]["msg_body"].as_str().unwrap()).unwrap();
    assert_eq!(inner["room_id"], "r");
    assert_eq!(inner["msg_data"].as_array().unwrap().len(), 3);
    assert_eq!(inner["msg_data"][2]["id_name"], "bob");
    assert_eq!(inner["msg_data"][2]["bigmsg_id"], "3");
    let too_many = (0..21).map(|i| msg(&i.to_string())).collect();
    assert_eq!(
        room.request(at(1001), 1, Request::BigIm(BigImReq { msgs: too_many }))
            .unwrap_err()
            .code,
        ErrCode::BAD_BODY
    );
}

#[test]
fn kick_and_close_remove_members_with_a_reason() {
    let mut room = Room::new("r".into(), settings(), false);
    let (a, _) = join(&mut room, at(0), 1, "alice", 1);
    let (b, _) = join(&mut room, at(0), 2, "bob", 2);
    ok(room.request(at(1), 2, stream(2001, "s", "")));
    a.take();
    assert!(!room.kick("bob", Some(99), 2));
    assert!(room.kick("bob", None, 2));
    assert_eq!(b.take(), vec![Seen::Kick(2)]);
    assert_eq!(a.pushes("push_stream_update")[0]["stream_cmd"], 12002);
    room.close(3);
    assert_eq!(a.take(), vec![Seen::Kick(3)]);
    assert!(room.is_empty());
}

#[test]
fn room_full_is_refused() {
    let mut room = Room::new(
        "r".into(),
        Settings {
            max_users: 1,
            ..settings()
        },
        false,
    );
    join(&mut room, at(0), 1, "alice", 1);
    let e = room.login(
        at(0),
        LoginInput {
            key: 2,
            user_id: 2,
            id_name: "bob".into(),
            nick_name: String::new(),
            role: 2,
            can_publish: true,
            handle: Rec::default(),
        },
    );
    assert_eq!(e.unwrap_err().code, ErrCode::ROOM_FULL);
}

/// The `(id_name, reason)` of every `MemberRemoved` so far.
fn removals(room: &mut Room<Rec>) -> Vec<(String, LeaveReason)> {
    room.drain_events()
        .into_iter()
        .filter_map(|e| match e {
            RoomEvent::MemberRemoved {
                id_name, reason, ..
            } => Some((id_name, reason)),
            _ => None,
        })
        .collect()
}

#[test]
fn events_name_joins_and_why_members_left() {
    let mut room = Room::new("r".into(), settings(), false);
    join(&mut room, at(0), 1, "alice", 1);
    join(&mut room, at(0), 2, "bob", 2);
    assert_eq!(
        room.drain_events(),
        vec![
            RoomEvent::MemberAdded {
                id_name: "alice".into(),
                nick_name: "nick-alice".into(),
                role: 1,
                key: 1
            },
            RoomEvent::MemberAdded {
                id_name: "bob".into(),
                nick_name: "nick-bob".into(),
                role: 2,
                key: 2
            },
        ]
    );
    // A reconnect is not a join.
    room.disconnected(at(10), 2);
    join(&mut room, at(20), 3, "bob", 2);
    assert!(room.drain_events().is_empty());
    ok(room.request(at(30), 3, Request::Logout));
    assert_eq!(
        removals(&mut room),
        vec![("bob".into(), LeaveReason::Logout)]
    );
    join(&mut room, at(40), 4, "carol", 2);
    join(&mut room, at(40), 5, "dave", 2);
    join(&mut room, at(40), 6, "erin", 2);
    room.drain_events();
    room.kick("carol", None, 2);
    room.kick("dave", None, 1);
    room.leave(6);
    assert_eq!(
        removals(&mut room),
        vec![
            ("carol".into(), LeaveReason::Kicked),
            ("dave".into(), LeaveReason::DuplicateLogin),
            ("erin".into(), LeaveReason::Moved),
        ]
    );
    // alice goes silent (timeout); frank's connection drops (grace).
    join(&mut room, at(4000), 7, "frank", 2);
    room.disconnected(at(4000), 7);
    room.drain_events();
    room.handle_timeout(at(5000));
    room.handle_timeout(at(7000));
    assert_eq!(
        removals(&mut room),
        vec![
            ("alice".into(), LeaveReason::Timeout),
            ("frank".into(), LeaveReason::Disconnected),
        ]
    );
    join(&mut room, at(8000), 8, "gina", 2);
    room.close(3);
    assert_eq!(
        removals(&mut room),
        vec![("gina".into(), LeaveReason::RoomClosed)]
    );
}

#[test]
fn members_and_streams_are_listed_for_administrators() {
    let mut room = Room::new("r".into(), settings(), false);
    join(&mut room, at(0), 1, "alice", 1);
    join(&mut room, at(5), 2, "bob", 2);
    room.disconnected(at(6), 2);
    ok(room.request(at(7), 1, stream(2001, "s1", "x")));
    let m = room.member_list();
    assert_eq!(
        m.iter().map(|m| m.id_name.as_str()).collect::<Vec<_>>(),
        ["alice", "bob"]
    );
    assert_eq!(m[0].user_id, 1001);
    assert_eq!(m[0].login_unix_ms, at(0).unix_ms);
    assert!(m[0].connected && !m[1].connected);
    let (seq, streams) = room.stream_list();
    assert_eq!(seq, 1);
    assert_eq!(streams[0].stream_id, "s1");
    assert_eq!(streams[0].extra_info, "x");
}

#[test]
fn a_room_handed_over_keeps_its_reliable_messages_and_seqs_where_it_goes() {
    let send = |t: &str, d: &str| {
        Request::Trans(TransReq {
            trans_type: t.into(),
            trans_data: d.into(),
            trans_local_seq: 0,
            trans_channel: "clt".into(),
        })
    };
    let mut old = Room::new("r".into(), settings(), false);
    join(&mut old, at(0), 1, "alice", 1);
    ok(old.request(at(1), 1, send("q", "one")));
    ok(old.request(at(1), 1, send("q", "two")));
    ok(old.request(at(1), 1, send("score", "5")));
    let h = old.hand_over();
    // What is sent after the handover would be lost: refused, so the sender knows.
    let late = old.request(at(2), 1, send("q", "three"));
    assert_eq!(late.unwrap_err().code, ErrCode::SHUTTING_DOWN);
    // Through JSON, as it travels between nodes.
    let h: Handover = serde_json::from_str(&serde_json::to_string(&h).unwrap()).unwrap();

    let mut new = Room::new("r".into(), settings(), false);
    new.take_over(h);
    join(&mut new, at(3), 2, "alice", 1);
    let hb = ok(new.request(at(3), 2, Request::Hb));
    assert_eq!(
        hb["trans_seqs"][0]["trans_seq_array"],
        serde_json::json!([{"trans_type": "q", "trans_seq": 2}, {"trans_type": "score", "trans_seq": 3}])
    );
    assert_eq!(
        ok(new.request(at(4), 2, send("q", "four")))["trans_seq"],
        4,
        "seqs keep rising"
    );
}
