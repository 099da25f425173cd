//! The admin REST API (`/admin/v1/`): authentication, room queries, kick, close, system and
//! reliable messages, token minting.

use crate::common;
use common::business::*;
use common::*;

async fn server() -> TestServer {
    TestServer::start(&[("LIVEROOM_ADMIN__SECRET", ADMIN_SECRET)]).await
}

fn room_path(room: &str) -> String {
    format!("/admin/v1/apps/{APPID}/rooms/{room}")
}

#[tokio::test]
async fn refusals_are_json_401_without_or_with_wrong_credentials() {
    let s = server().await;
    for (method, path) in [
        ("GET", "/admin/v1/rooms".to_string()),
        ("GET", room_path("r")),
        ("GET", format!("{}/users", room_path("r"))),
        ("GET", format!("{}/streams", room_path("r"))),
        ("POST", format!("{}/users/alice/kick", room_path("r"))),
        ("POST", format!("{}/close", room_path("r"))),
        ("POST", format!("{}/messages", room_path("r"))),
        ("POST", format!("{}/trans", room_path("r"))),
        ("POST", "/admin/v1/tokens".to_string()),
        ("GET", format!("/admin/v1/apps/{APPID}/users/alice")),
        ("POST", format!("/admin/v1/apps/{APPID}/users/alice/kick")),
        ("GET", "/admin/v1/nothing-here".to_string()),
    ] {
        let (status, v) = admin(&s.addr, method, &path, None, None).await;
        assert_eq!(status, 401, "{method} {path}: {v}");
        assert_eq!(v["code"], "unauthorized", "{v}");
        assert!(v["message"].as_str().unwrap().contains("Bearer"), "{v}");
        let (status, v) = admin(
            &s.addr,
            method,
            &path,
            Some("wrong-secret-wrong-secret"),
            None,
        )
        .await;
        assert_eq!(status, 401, "{method} {path}: {v}");
        assert_eq!(v["code"], "unauthorized");
        assert_eq!(keys(&v), ["code", "message"]);
    }
    let a = http(
        &s.addr,
        "GET",
        "/admin/v1/rooms",
        &[("Authorization", &format!("Basic {ADMIN_SECRET}"))],
        b"",
    )
    .await;
    assert_eq!(a.status, 401);
    assert!(a.header("www-authenticate").unwrap().starts_with("Bearer"));
    // An unknown admin path with the right secret.
    let (status, v) = admin(&s.addr, "GET", "/admin/v1/nope", Some(ADMIN_SECRET), None).await;
    assert_eq!((status, v["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn the_api_is_off_without_a_secret() {
    let s = TestServer::start(&[]).await;
    let (status, v) = admin(&s.addr, "GET", "/admin/v1/rooms", Some(ADMIN_SECRET), None).await;
    assert_eq!(status, 404);
    assert_eq!(v["code"], "admin_disabled");
}

#[tokio::test]
async fn rooms_users_and_streams_are_listed() {
    let s = server().await;
    let mut alice = s.join("room-a", "alice", anchor("Alice")).await;
    let _bob = s.join("room-a", "bob", audience("Bob")).await;
    let _carol = s.join("room b/2", "carol", audience("Carol")).await;
    ok(&mut alice, "stream", stream_body(2001, "s1", "extra")).await;

    let v = admin_ok(&s.addr, "GET", "/admin/v1/rooms", None).await;
    let rooms = v["rooms"].as_array().unwrap();
    assert_eq!(rooms.len(), 2, "{v}");
    assert_eq!(rooms[0]["room_id"], "room b/2");
    assert_eq!(rooms[1]["room_id"], "room-a");
    assert_eq!(rooms[1]["appid"], APPID);
    assert_eq!(rooms[1]["users"], 2);
    assert_eq!(rooms[1]["streams"], 1);
    assert!(rooms[1]["created_at"].as_u64().unwrap() > 1_600_000_000_000);
    assert_eq!(
        keys(&rooms[1]),
        [
            "appid",
            "created_at",
            "room_id",
            "streams",
            "user_state_updates",
            "users"
        ]
    );
    let v = admin_ok(
        &s.addr,
        "GET",
        &format!("/admin/v1/rooms?appid={APPID}"),
        None,
    )
    .await;
    assert_eq!(v["rooms"].as_array().unwrap().len(), 2);
    let v = admin_ok(&s.addr, "GET", "/admin/v1/rooms?appid=5", None).await;
    assert_eq!(v["rooms"], json!([]));
    let v = admin_ok(
        &s.addr,
        "GET",
        &format!("/admin/v1/apps/{APPID}/rooms"),
        None,
    )
    .await;
    assert_eq!(v["rooms"].as_array().unwrap().len(), 2);

    // A room id with a space and a slash, percent-encoded.
    let v = admin_ok(&s.addr, "GET", &room_path("room%20b%2F2"), None).await;
    assert_eq!(v["room_id"], "room b/2");
    assert_eq!(v["users"], 1);

    let v = admin_ok(
        &s.addr,
        "GET",
        &format!("{}/users", room_path("room-a")),
        None,
    )
    .await;
    let users = v["users"].as_array().unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(users[0]["id_name"], "alice");
    assert_eq!(users[0]["nick_name"], "Alice");
    assert_eq!(users[0]["role"], 1);
    assert_eq!(users[0]["user_id"], alice.user_id.as_str());
    assert_eq!(users[0]["connected"], true);
    assert!(users[0]["login_time"].as_u64().unwrap() > 1_600_000_000_000);
    assert_eq!(users[1]["id_name"], "bob");

    let v = admin_ok(
        &s.addr,
        "GET",
        &format!("{}/streams", room_path("room-a")),
        None,
    )
    .await;
    assert_eq!(v["stream_seq"], 1);
    assert_eq!(
        v["streams"],
        json!([s.stream_entry("room-a", "s1", "alice", "Alice", "extra")])
    );

    for path in [
        room_path("nope"),
        format!("{}/users", room_path("nope")),
        format!("{}/streams", room_path("nope")),
    ] {
        let (status, v) = admin(&s.addr, "GET", &path, Some(ADMIN_SECRET), None).await;
        assert_eq!(
            (status, v["code"].as_str()),
            (404, Some("room_not_found")),
            "{v}"
        );
    }
    let (status, v) = admin(
        &s.addr,
        "GET",
        "/admin/v1/apps/abc/rooms/room-a",
        Some(ADMIN_SECRET),
        None,
    )
    .await;
    assert_eq!(
        (status, v["code"].as_str()),
        (400, Some("bad_request")),
        "{v}"
    );
}

#[tokio::test]
async fn kick_sends_push_kickout_reason_2() {
    let s = server().await;
    let mut alice = s
        .join("r", "alice", with_user_updates(anchor("Alice")))
        .await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    expect_push(&mut alice, "push_userlist_update").await;

    let v = admin_ok(
        &s.addr,
        "POST",
        &format!("{}/users/bob/kick", room_path("r")),
        None,
    )
    .await;
    assert_eq!(v, json!({"kicked": "bob"}));
    let k = expect_push(&mut bob, "push_kickout").await;
    assert_eq!(k.body["reason"], 2);
    assert!(bob.closed_within(WAIT).await.is_some());
    let left = expect_push(&mut alice, "push_userlist_update").await;
    assert_eq!(left.body["user_actions"][0]["Action"], 2);
    assert_eq!(left.body["user_actions"][0]["IdName"], "bob");

    let (status, v) = admin(
        &s.addr,
        "POST",
        &format!("{}/users/bob/kick", room_path("r")),
        Some(ADMIN_SECRET),
        None,
    )
    .await;
    assert_eq!(
        (status, v["code"].as_str()),
        (404, Some("user_not_found")),
        "{v}"
    );
}

#[tokio::test]
async fn users_are_found_and_kicked_wherever_they_are() {
    let s = server().await;
    let mut dora = s.join("lobby", "dora", audience("Dora")).await;
    let v = admin_ok(
        &s.addr,
        "GET",
        &format!("/admin/v1/apps/{APPID}/users/dora"),
        None,
    )
    .await;
    assert_eq!(
        v,
        json!({"appid": APPID, "id_name": "dora", "room_id": "lobby"})
    );
    let v = admin_ok(
        &s.addr,
        "POST",
        &format!("/admin/v1/apps/{APPID}/users/dora/kick"),
        None,
    )
    .await;
    assert_eq!(v, json!({"kicked": "dora", "room_id": "lobby"}));
    assert_eq!(
        expect_push(&mut dora, "push_kickout").await.body["reason"],
        2
    );
    for (method, path) in [
        ("GET", format!("/admin/v1/apps/{APPID}/users/dora")),
        ("POST", format!("/admin/v1/apps/{APPID}/users/dora/kick")),
        ("GET", format!("/admin/v1/apps/{APPID}/users/nobody")),
    ] {
        let mut last = (0, Value::Null);
        for _ in 0..50 {
            last = admin(&s.addr, method, &path, Some(ADMIN_SECRET), None).await;
            if last.0 == 404 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            (last.0, last.1["code"].as_str()),
            (404, Some("user_not_found")),
            "{path}"
        );
    }
}

#[tokio::test]
async fn close_kicks_everyone_with_reason_3_and_drops_the_room() {
    let s = server().await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    let v = admin_ok(&s.addr, "POST", &format!("{}/close", room_path("r")), None).await;
    assert_eq!(v, json!({"closed": true, "users": 2}));
    for c in [&mut alice, &mut bob] {
        let k = expect_push(c, "push_kickout").await;
        assert_eq!(k.body["reason"], 3);
    }
    let mut gone = false;
    for _ in 0..50 {
        let (status, _) = admin(&s.addr, "GET", &room_path("r"), Some(ADMIN_SECRET), None).await;
        if status == 404 {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(gone, "the closed room is still listed");
    let (status, v) = admin(
        &s.addr,
        "POST",
        &format!("{}/close", room_path("r")),
        Some(ADMIN_SECRET),
        None,
    )
    .await;
    assert_eq!((status, v["code"].as_str()), (404, Some("room_not_found")));
}

#[tokio::test]
async fn system_messages_reach_every_member_as_im_chat() {
    let s = server().await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    ok(&mut alice, "im_chat", chat_body("hi")).await;
    expect_push(&mut bob, "push_im_chat").await;

    let v = admin_ok(
        &s.addr,
        "POST",
        &format!("{}/messages", room_path("r")),
        Some(json!({"content": "maintenance at 10"})),
    )
    .await;
    assert_eq!(v, json!({"msg_id": 2}));
    for c in [&mut alice, &mut bob] {
        let p = expect_push(c, "push_im_chat").await;
        assert_eq!(p.header["from_user_id"], "");
        let d = &p.body["chat_data"][0];
        assert_eq!(d["msg_category"], 2);
        assert_eq!(d["msg_type"], 1);
        assert_eq!(d["msg_content"], "maintenance at 10");
        assert_eq!(d["msg_id"], 2);
        assert_eq!(d["id_name"], "");
    }
    let v = admin_ok(
        &s.addr,
        "POST",
        &format!("{}/messages", room_path("r")),
        Some(json!({"content": "x", "category": 100, "type": 3})),
    )
    .await;
    assert_eq!(v["msg_id"], 3);
    let p = expect_push(&mut bob, "push_im_chat").await;
    assert_eq!(p.body["chat_data"][0]["msg_category"], 100);
    assert_eq!(p.body["chat_data"][0]["msg_type"], 3);

    for (body, what) in [
        (json!({}), "content"),
        (json!({"content": "x".repeat(1025)}), "1024"),
        (json!({"content": "x", "bogus": 1}), "bogus"),
    ] {
        let (status, v) = admin(
            &s.addr,
            "POST",
            &format!("{}/messages", room_path("r")),
            Some(ADMIN_SECRET),
            Some(body),
        )
        .await;
        assert_eq!(status, 400, "{v}");
        assert_eq!(v["code"], "bad_request");
        assert!(v["message"].as_str().unwrap().contains(what), "{v}");
    }
}

#[tokio::test]
async fn reliable_messages_from_the_server() {
    let s = server().await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let v = admin_ok(
        &s.addr,
        "POST",
        &format!("{}/trans", room_path("r")),
        Some(json!({"trans_type": "notice", "trans_data": "v1", "id_name": "ops"})),
    )
    .await;
    assert_eq!(v, json!({"trans_type": "notice", "trans_seq": 1}));
    let p = expect_push(&mut alice, "push_trans").await;
    assert_eq!(
        p.body,
        json!({"trans_type": "notice", "trans_seq": 1, "trans_data": "v1",
               "trans_user_idname": "ops", "trans_channel": "clt"})
    );
    // The client can fetch it like any reliable message.
    let f = ok(
        &mut alice,
        "trans_fetch",
        json!({"trans_channel": "clt", "fetch_array": [{"trans_type": "notice", "trans_seq": 0}]}),
    )
    .await;
    assert_eq!(f["trans_fetch_results"][0]["trans_data"], "v1");
    // The room's limits apply: an 11th type is refused.
    for i in 0..9 {
        admin_ok(
            &s.addr,
            "POST",
            &format!("{}/trans", room_path("r")),
            Some(json!({"trans_type": format!("t{i}"), "trans_data": ""})),
        )
        .await;
    }
    let (status, v) = admin(
        &s.addr,
        "POST",
        &format!("{}/trans", room_path("r")),
        Some(ADMIN_SECRET),
        Some(json!({"trans_type": "eleventh", "trans_data": ""})),
    )
    .await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["code"], "refused");
    assert!(v["message"].as_str().unwrap().contains("1000000006"), "{v}");
}

#[tokio::test]
async fn minted_tokens_log_in() {
    let s = server().await;
    let v = admin_ok(
        &s.addr,
        "POST",
        "/admin/v1/tokens",
        Some(json!({"appid": APPID, "id_name": "dora", "room_id": "vip", "ttl_secs": 60})),
    )
    .await;
    assert_eq!(v["version"], 2);
    assert!(v["expired"].as_u64().unwrap() >= now_secs() + 59);
    let t = v["token"].as_str().unwrap().to_string();
    let mut c = s.connect().await;
    c.login("vip", "dora", &t, &anchor("Dora")).await.unwrap();
    // Scoped to its room.
    let mut c2 = s.connect().await;
    assert_eq!(
        err_code(c2.login("other", "dora", &t, &anchor("Dora")).await),
        1008
    );
    // Without publish, no streams.
    let v = admin_ok(
        &s.addr,
        "POST",
        "/admin/v1/tokens",
        Some(json!({"appid": APPID, "id_name": "eve", "publish": false})),
    )
    .await;
    let mut e = s.connect().await;
    e.login("any", "eve", v["token"].as_str().unwrap(), &audience("Eve"))
        .await
        .unwrap();
    let (code, _) = refused(&mut e, "stream", stream_body(2001, "s", "")).await;
    assert_eq!(code, 1_000_000_014);
    // v1 (dev servers accept them).
    let v = admin_ok(
        &s.addr,
        "POST",
        "/admin/v1/tokens",
        Some(json!({"appid": APPID, "id_name": "fay", "version": 1})),
    )
    .await;
    assert_eq!(v["version"], 1);
    let mut f = s.connect().await;
    f.login("any", "fay", v["token"].as_str().unwrap(), &audience("Fay"))
        .await
        .unwrap();

    for (body, status, code) in [
        (json!({"appid": APPID, "id_name": ""}), 400, "bad_request"),
        (json!({"appid": APPID}), 400, "bad_request"),
        (
            json!({"appid": APPID, "id_name": "x", "version": 3}),
            400,
            "bad_request",
        ),
        (
            json!({"appid": APPID, "id_name": "x", "version": 1, "room_id": "r"}),
            400,
            "bad_request",
        ),
        (json!({"appid": 0, "id_name": "x"}), 404, "unknown_app"),
    ] {
        let (st, v) = admin(
            &s.addr,
            "POST",
            "/admin/v1/tokens",
            Some(ADMIN_SECRET),
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (st, v["code"].as_str().unwrap()),
            (status, code),
            "{body}: {v}"
        );
    }
}

#[tokio::test]
async fn v1_tokens_follow_tokens_allow_v1() {
    let s = TestServer::start(&[
        ("LIVEROOM_ADMIN__SECRET", ADMIN_SECRET),
        ("LIVEROOM_TOKENS__ALLOW_V1", "false"),
    ])
    .await;
    let (status, v) = admin(
        &s.addr,
        "POST",
        "/admin/v1/tokens",
        Some(ADMIN_SECRET),
        Some(json!({"appid": APPID, "id_name": "x", "version": 1})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(v["message"].as_str().unwrap().contains("allow_v1"), "{v}");
}
