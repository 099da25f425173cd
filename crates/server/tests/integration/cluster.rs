//! Clustering through Redis (docs/cluster.md), end to end: a real `redis-server` started here
//! on a free port and real `liveroom` processes on this machine.
//!
//! Slice 1: the node registry (records with their load, a killed node gone within 15 s, Redis
//! restarted: `/readyz` says so, the keys come back). Slice 2: one room spanning two nodes.

use crate::common;
use crate::common::redis_server;

use common::process::{spawn_dev, Proc};
use common::*;
use redis_server::RedisServer;
use std::time::Instant;

pub(crate) const ADMIN_SECRET: &str = "cluster-test-admin-secret";

/// A `liveroom --dev` node of the cluster on `redis`.
pub(crate) struct Node {
    proc: Proc,
    pub http: String,
    pub ready: Value,
    _dir: TempDir,
}

fn node(redis: &RedisServer, id: &str, extra_toml: &str) -> Node {
    node_with(redis, id, extra_toml, "")
}

/// A node with its SFU on `rtc` (`""`: media off).
pub(crate) fn node_with(redis: &RedisServer, id: &str, extra_toml: &str, rtc: &str) -> Node {
    let dir = TempDir::new("cluster");
    let cfg = dir.file("liveroom.toml");
    std::fs::write(
        &cfg,
        format!(
            "[admin]\nsecret = \"{ADMIN_SECRET}\"\n[cluster]\nredis_url = \"{}\"\nnode_id = \"{id}\"\n{}{extra_toml}",
            redis.url(),
            // Rooms where the test's logins create them, unless it tests placement.
            if extra_toml.contains("placement") { "" } else { "placement = \"local\"\n" }
        ),
    )
    .unwrap();
    let (proc, ready) = spawn_dev(
        &[
            "--config",
            &cfg,
            "--http",
            "127.0.0.1:0",
            "--metrics",
            "",
            "--rtc",
            rtc,
            "--turn",
            "127.0.0.1:0",
        ],
        "warn",
    );
    let http = ready["http"].as_str().expect("http").to_string();
    Node {
        proc,
        http,
        ready,
        _dir: dir,
    }
}

impl Node {
    async fn admin(&self, path: &str) -> (u16, Value) {
        self.admin_call("GET", path, b"").await
    }

    async fn admin_call(&self, method: &str, path: &str, body: &[u8]) -> (u16, Value) {
        let auth = format!("Bearer {ADMIN_SECRET}");
        let a = http(&self.http, method, path, &[("Authorization", &auth)], body).await;
        (
            a.status,
            serde_json::from_str(&a.body).unwrap_or(Value::Null),
        )
    }

    /// The node ids `GET /admin/v1/nodes` lists, with the records.
    async fn nodes(&self) -> (Vec<String>, Vec<Value>) {
        let (status, v) = self.admin("/admin/v1/nodes").await;
        assert_eq!(status, 200, "{v}");
        let list = v["nodes"].as_array().cloned().unwrap_or_default();
        let ids = list
            .iter()
            .map(|n| n["node_id"].as_str().unwrap_or("").to_string())
            .collect();
        (ids, list)
    }

    async fn readyz(&self) -> (u16, String) {
        let a = http(&self.http, "GET", "/readyz", &[], b"").await;
        (a.status, a.body)
    }

    pub(crate) async fn join(&self, room: &str, id_name: &str, o: LoginOptions) -> RoomClient {
        let mut c = RoomClient::connect(&format!("ws://{}/ws", self.http), APPID)
            .await
            .expect("connect");
        c.login(room, id_name, &dev_token(id_name), &o)
            .await
            .unwrap_or_else(|e| panic!("{id_name} logs in on {}: {e}", self.http));
        c
    }

    /// Whether the process has exited by itself.
    pub(crate) fn proc_exited(&mut self) -> bool {
        matches!(self.proc.child.try_wait(), Ok(Some(_)))
    }

    pub(crate) fn kill9(&mut self) {
        let _ = self.proc.child.kill();
        let _ = self.proc.child.wait();
    }
}

/// Polls `check` every 100 ms until it holds or `within` passed; returns how long it took.
pub(crate) async fn eventually<F, Fut>(within: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let t0 = Instant::now();
    loop {
        if check().await {
            return t0.elapsed();
        }
        assert!(t0.elapsed() < within, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn room_key(room: &str) -> String {
    format!("liveroom:room:{APPID}:{room}")
}

#[tokio::test]
async fn nodes_register_with_their_load_expire_when_killed_and_come_back_after_a_redis_restart() {
    let mut redis = RedisServer::start();
    let a = node(&redis, "node-a", "");
    let mut b = node(&redis, "node-b", "");
    assert_eq!(a.ready["node_id"], "node-a", "{}", a.ready);
    assert_eq!(a.ready["redis"], redis.url().as_str(), "{}", a.ready);
    assert_eq!(b.ready["node_id"], "node-b");

    // Both registered by the time they said ready, each with its advertised address.
    let (ids, list) = a.nodes().await;
    assert_eq!(ids, ["node-a", "node-b"]);
    assert_eq!(list[0]["http"], a.http.as_str());
    assert_eq!(list[1]["http"], b.http.as_str());
    assert_eq!(b.nodes().await.0, ["node-a", "node-b"]);
    assert_eq!(a.readyz().await, (200, "ok".into()));

    // The load is renewed: a room and its connection on node-a show in its record.
    let mut alice = a.join("r1", "alice", anchor("Alice")).await;
    eventually(
        Duration::from_secs(5),
        "node-a reports its room",
        || async {
            let (_, list) = a.nodes().await;
            list[0]["rooms"] == 1 && list[0]["sessions"] == 1 && list[0]["users"] == 1
        },
    )
    .await;
    assert_eq!(redis.cmd(&["GET", &room_key("r1")]), "node-a");
    let (_, list) = a.nodes().await;
    assert!(
        list[0]["cpu_pct"].as_f64().is_some_and(|c| c >= 0.0),
        "{list:?}"
    );
    assert_eq!(list[0]["draining"], false, "{list:?}");

    // kill -9: the record expires without anyone removing it, within 15 s.
    b.kill9();
    let took = eventually(
        Duration::from_secs(15),
        "node-b's record expires",
        || async { a.nodes().await.0 == ["node-a"] },
    )
    .await;
    eprintln!("a killed node left the node list after {took:?}");

    // Redis goes away: the node says it is not ready, and keeps serving its own clients.
    redis.kill();
    eventually(Duration::from_secs(10), "/readyz reports Redis", || async {
        a.readyz().await == (503, "redis unreachable".into())
    })
    .await;
    assert_eq!(a.admin("/admin/v1/nodes").await.0, 503);
    assert_eq!(hb(&mut alice).await["err_code"], 0);

    // An empty Redis comes back on the same address: the node's record and its room's key
    // are restored by its renewals.
    redis.restart();
    assert_eq!(redis.cmd(&["EXISTS", "liveroom:node:node-a"]), "0");
    eventually(Duration::from_secs(10), "node-a re-registers", || async {
        a.readyz().await.0 == 200 && a.nodes().await.0 == ["node-a"]
    })
    .await;
    assert_eq!(redis.cmd(&["GET", &room_key("r1")]), "node-a");
    let (_, list) = a.nodes().await;
    assert_eq!(list[0]["rooms"], 1, "{list:?}");
    assert_eq!(hb(&mut alice).await["err_code"], 0);
}

#[tokio::test]
async fn a_room_spans_two_nodes() {
    let redis = RedisServer::start();
    let a = node(&redis, "node-a", "");
    let b = node(&redis, "node-b", "");

    // alice creates the room on node-a: it lives there.
    let mut alice = a
        .join("r", "alice", with_user_updates(anchor("Alice")))
        .await;
    assert_eq!(redis.cmd(&["GET", &room_key("r")]), "node-a");

    // bob logs in through node-b: relayed to the room on node-a, and they see each other.
    let rsp = b.join_rsp("r", "bob", anchor("Bob")).await;
    let (mut bob, login) = rsp;
    assert_eq!(login["err_code"], 0, "{login}");
    let p = expect_push(&mut alice, "push_userlist_update").await;
    assert_eq!(p.body["user_actions"][0]["Action"], 1, "{}", p.body);
    assert_eq!(p.body["user_actions"][0]["IdName"], "bob", "{}", p.body);
    for c in [&mut alice, &mut bob] {
        assert_eq!(hb(c).await["online_count"], 2, "{}", c.id_name);
        let list = ok(c, "user_list", json!({"user_index": 0, "sort_type": 0})).await;
        let mut names: Vec<String> = list["user_baseinfos"]
            .as_array()
            .unwrap_or_else(|| panic!("{list}"))
            .iter()
            .map(|u| u["id_name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        assert_eq!(names, ["alice", "bob"], "{list}");
    }

    // Chat both ways, with ids rising per room.
    ok(&mut bob, "im_chat", chat_body("hello from node-b")).await;
    let p = expect_push(&mut alice, "push_im_chat").await;
    let m1 = p.body["chat_data"][0].clone();
    assert_eq!(m1["msg_content"], "hello from node-b", "{}", p.body);
    assert_eq!(m1["id_name"], "bob", "{}", p.body);
    ok(&mut alice, "im_chat", chat_body("hello from node-a")).await;
    let p = expect_push(&mut bob, "push_im_chat").await;
    let m2 = p.body["chat_data"][0].clone();
    assert_eq!(m2["msg_content"], "hello from node-a", "{}", p.body);
    assert_eq!(m1["msg_id"], 1, "{m1}");
    assert_eq!(m2["msg_id"], 2, "{m2}");

    // A custom command to a named member on the other node.
    let f = custom(&mut alice, &["bob"], json!({"hi": "bob"})).await;
    assert_eq!(f.body["err_code"], 0, "{}", f.body);
    let p = expect_push(&mut bob, "push_custommsg").await;
    let env: Value = serde_json::from_str(p.body["custommsg"].as_str().unwrap()).unwrap();
    assert_eq!(env["custom_content"], json!({"hi": "bob"}), "{env}");

    // A stream of bob's reaches alice.
    let r = ok(&mut bob, "stream", stream_body(2001, "bob-cam", "x")).await;
    assert_eq!(r["stream_seq"], 1, "{r}");
    let p = expect_push(&mut alice, "push_stream_update").await;
    assert_eq!(p.body["stream_cmd"], 12001, "{}", p.body);
    assert_eq!(
        p.body["stream_info"][0]["stream_id"], "bob-cam",
        "{}",
        p.body
    );

    // Reliable messages: seqs rise per room whichever node sends; fetched from either node.
    let trans = |t: &str, d: &str| json!({"trans_type": t, "trans_data": d, "trans_local_seq": 0, "trans_channel": "clt"});
    assert_eq!(
        ok(&mut bob, "trans", trans("t", "one")).await["trans_seq"],
        1
    );
    let p = expect_push(&mut alice, "push_trans").await;
    assert_eq!(
        (
            p.body["trans_seq"].clone(),
            p.body["trans_user_idname"].clone()
        ),
        (json!(1), json!("bob"))
    );
    assert_eq!(
        ok(&mut alice, "trans", trans("t", "two")).await["trans_seq"],
        2
    );
    assert_eq!(
        expect_push(&mut bob, "push_trans").await.body["trans_data"],
        "two"
    );
    let fetched = ok(
        &mut bob,
        "trans_fetch",
        json!({"trans_channel": "clt", "fetch_array": [{"trans_type": "t", "trans_seq": 0}]}),
    )
    .await;
    assert_eq!(
        fetched["trans_fetch_results"][0]["trans_data"], "two",
        "{fetched}"
    );

    // Big-room messages from both nodes: one merged push per window for the room, the same on
    // both nodes (not one merge per node).
    let w = 1000;
    let now = now_ms();
    tokio::time::sleep(Duration::from_millis((now / w + 1) * w + 20 - now)).await;
    let big = |c: &str, id: &str| json!({"msgs": [{"msg_category": 1, "msg_type": 2, "msg_content": c, "bigmsg_client_id": id}]});
    ok(&mut bob, "bigim_chat", big("big from b", "1")).await;
    ok(&mut alice, "bigim_chat", big("big from a", "1")).await;
    let mut merged = Vec::new();
    for c in [&mut alice, &mut bob] {
        let p = expect_push(c, "push_merge_message").await;
        let body: Value =
            serde_json::from_str(p.body["messages"][0]["msg_body"].as_str().unwrap()).unwrap();
        let contents: Vec<&str> = body["msg_data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["msg_content"].as_str().unwrap())
            .collect();
        assert_eq!(contents, ["big from b", "big from a"], "{body}");
        merged.push(p.body);
    }
    assert_eq!(merged[0], merged[1]);

    // Node-b holds no room; node-a holds it with both members.
    eventually(
        Duration::from_secs(5),
        "the load shows where the room is",
        || async {
            let (_, list) = a.nodes().await;
            list[0]["rooms"] == 1 && list[0]["users"] == 2 && list[1]["rooms"] == 0
        },
    )
    .await;

    // bob logs out: alice sees him leave.
    ok(&mut bob, "logout", json!({"reserve": 0})).await;
    let p = expect_push(&mut alice, "push_userlist_update").await;
    assert_eq!(p.body["user_actions"][0]["Action"], 2, "{}", p.body);
    assert_eq!(p.body["user_actions"][0]["IdName"], "bob", "{}", p.body);
    assert_eq!(hb(&mut alice).await["online_count"], 1);
    // …and node-b, where his connection was, knows he is gone (his login claim ended there).
    let user = format!("/admin/v1/apps/{APPID}/users/bob");
    eventually(
        Duration::from_secs(5),
        "bob's claim on node-b ends",
        || async { b.admin(&user).await.0 == 404 },
    )
    .await;
}

impl Node {
    /// Logs in and returns the client with its login reply.
    async fn join_rsp(&self, room: &str, id_name: &str, o: LoginOptions) -> (RoomClient, Value) {
        let mut c = RoomClient::connect(&format!("ws://{}/ws", self.http), APPID)
            .await
            .expect("connect");
        let rsp = c
            .login(room, id_name, &dev_token(id_name), &o)
            .await
            .unwrap_or_else(|e| panic!("{id_name} logs in on {}: {e}", self.http));
        (c, rsp)
    }
}

/// Short lifetimes, so that the tests of dead nodes do not wait the defaults' 10 s.
const FAST: &str =
    "node_ttl_ms = 3000\nrenew_interval_ms = 500\n[room]\nreconnect_grace_ms = 1000\n";

async fn expect_kicked(old: &mut RoomClient) {
    let p = expect_push(old, "push_kickout").await;
    assert_eq!(
        p.body,
        json!({"reason": 1, "err_message": "logged in elsewhere"})
    );
    assert_eq!(
        old.closed_within(Duration::from_secs(2)).await,
        Some((1000, "kicked out".to_string()))
    );
}

#[tokio::test]
async fn a_login_on_another_node_kicks_out_the_users_login_in_another_room() {
    let redis = RedisServer::start();
    let a = node(&redis, "node-a", "");
    let b = node(&redis, "node-b", "");

    // alice in r1 on node-a, then alice in r2 on node-b: the first is kicked out.
    let mut first = a.join("r1", "alice", anchor("Alice")).await;
    let mut second = b.join("r2", "alice", anchor("Alice")).await;
    expect_kicked(&mut first).await;
    assert_eq!(hb(&mut second).await["online_count"], 1);

    // A relayed login is kicked out too: alice in r3, a room of node-a's, through node-b…
    let _carol = a.join("r3", "carol", anchor("Carol")).await;
    let mut third = b.join("r3", "alice", anchor("Alice")).await;
    expect_kicked(&mut second).await;
    assert_eq!(hb(&mut third).await["online_count"], 2);
    // …when alice logs in once more, on node-a in r1.
    let mut fourth = a.join("r1", "alice", anchor("Alice")).await;
    expect_kicked(&mut third).await;
    assert_eq!(hb(&mut fourth).await["online_count"], 1);
}

#[tokio::test]
async fn a_dead_nodes_members_leave_and_its_rooms_are_taken_over() {
    let redis = RedisServer::start();
    let a = node(&redis, "node-a", FAST);
    let mut b = node(&redis, "node-b", FAST);

    // The connection's node dies: the room's other members see its member leave.
    let mut alice = a
        .join("r", "alice", with_user_updates(anchor("Alice")))
        .await;
    let _bob = b.join("r", "bob", anchor("Bob")).await;
    let p = expect_push(&mut alice, "push_userlist_update").await;
    assert_eq!(p.body["user_actions"][0]["IdName"], "bob");
    b.kill9();
    let t0 = Instant::now();
    let p = alice
        .push_within("push_userlist_update", Duration::from_secs(15))
        .await
        .expect("bob's leave within 15 s");
    assert_eq!(p.body["user_actions"][0]["Action"], 2, "{}", p.body);
    assert_eq!(p.body["user_actions"][0]["IdName"], "bob", "{}", p.body);
    eprintln!(
        "a dead node's member left its room after {:?}",
        t0.elapsed()
    );
    assert_eq!(hb(&mut alice).await["online_count"], 1);

    // The room's node dies: connections relayed to it are closed (try again), and the login
    // that follows takes the room over on the node it reaches.
    let mut a = a;
    let c = node(&redis, "node-c", FAST);
    let mut gina = c.join("t", "gina", anchor("Gina")).await;
    let _frank = a.join("t", "frank", anchor("Frank")).await;
    assert_eq!(redis.cmd(&["GET", &room_key("t")]), "node-c");
    let _hank = a.join("u", "hank", anchor("Hank")).await;
    let mut ivy = c.join("u", "ivy", anchor("Ivy")).await;
    assert_eq!(redis.cmd(&["GET", &room_key("u")]), "node-a");
    assert_eq!(hb(&mut ivy).await["online_count"], 2);
    a.kill9();
    let closed = ivy.closed_within(Duration::from_secs(15)).await;
    assert_eq!(
        closed.map(|c| c.0),
        Some(1013),
        "ivy's relayed connection closes"
    );
    let mut ivy = c.join("u", "ivy", anchor("Ivy")).await;
    assert_eq!(redis.cmd(&["GET", &room_key("u")]), "node-c");
    assert_eq!(hb(&mut ivy).await["online_count"], 1);
    // The room that lives on node-c loses node-a's member (after the reconnect grace).
    let t0 = Instant::now();
    loop {
        if hb(&mut gina).await["online_count"] == 1 {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(15), "frank still in t");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_admin_api_of_any_node_answers_about_the_whole_cluster() {
    let redis = RedisServer::start();
    let a = node(&redis, "node-a", "");
    let b = node(&redis, "node-b", "");
    let mut alice = a.join("ra", "alice", anchor("Alice")).await;
    let mut bob = b.join("rb", "bob", anchor("Bob")).await;
    let mut carol = b.join("ra", "carol", anchor("Carol")).await;
    let app = format!("/admin/v1/apps/{APPID}");

    // Room lists gather every node's rooms, whichever node is asked.
    for n in [&a, &b] {
        for path in ["/admin/v1/rooms".to_string(), format!("{app}/rooms")] {
            let (status, v) = n.admin(&path).await;
            assert_eq!(status, 200, "{v}");
            let rooms: Vec<(String, u64)> = v["rooms"]
                .as_array()
                .unwrap_or_else(|| panic!("{v}"))
                .iter()
                .map(|r| {
                    (
                        r["room_id"].as_str().unwrap().to_string(),
                        r["users"].as_u64().unwrap(),
                    )
                })
                .collect();
            assert_eq!(rooms, [("ra".to_string(), 2), ("rb".to_string(), 1)], "{v}");
        }
    }

    // A room's calls are answered by its node: users, streams, system messages.
    let (status, v) = b.admin(&format!("{app}/rooms/ra/users")).await;
    assert_eq!(status, 200, "{v}");
    let mut names: Vec<&str> = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id_name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["alice", "carol"]);
    let (status, v) = b
        .admin_call(
            "POST",
            &format!("{app}/rooms/ra/messages"),
            br#"{"content": "from the admin"}"#,
        )
        .await;
    assert_eq!(status, 200, "{v}");
    for c in [&mut alice, &mut carol] {
        let p = expect_push(c, "push_im_chat").await;
        assert_eq!(
            p.body["chat_data"][0]["msg_content"], "from the admin",
            "{}",
            p.body
        );
    }
    let (status, v) = a.admin(&format!("{app}/rooms/nope")).await;
    assert_eq!(status, 404, "{v}");

    // A user's calls go to the node of its login: where it is, kick it out (relayed or not).
    let (status, v) = a.admin(&format!("{app}/users/bob")).await;
    assert_eq!((status, v["room_id"].clone()), (200, json!("rb")), "{v}");
    let (status, v) = a
        .admin_call("POST", &format!("{app}/users/carol/kick"), b"")
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        expect_push(&mut carol, "push_kickout").await.body["reason"],
        2
    );

    // Closing a room of another node.
    let (status, v) = a
        .admin_call("POST", &format!("{app}/rooms/rb/close"), b"")
        .await;
    assert_eq!((status, v["users"].clone()), (200, json!(1)), "{v}");
    assert_eq!(
        expect_push(&mut bob, "push_kickout").await.body["reason"],
        3
    );
}

#[tokio::test]
async fn a_stopped_node_leaves_at_once_and_its_rooms_move_with_their_clients() {
    let redis = RedisServer::start();
    let a = node(&redis, "node-a", "");
    let b = node(&redis, "node-b", "");
    let _alice = b.join("d", "alice", anchor("Alice")).await;
    let mut bob = a.join("d", "bob", anchor("Bob")).await;
    assert_eq!(redis.cmd(&["GET", &room_key("d")]), "node-b");

    // SIGTERM: the node closes the connections relayed to its rooms (going away) and removes
    // its keys, well before they would expire.
    let t0 = Instant::now();
    let term = std::process::Command::new("kill")
        .args(["-TERM", &b.proc.pid().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let closed = bob.closed_within(Duration::from_secs(5)).await;
    assert_eq!(closed.map(|c| c.0), Some(1001), "bob's relayed connection");
    eventually(
        Duration::from_secs(5),
        "node-b leaves the node list",
        || async { a.nodes().await.0 == ["node-a"] },
    )
    .await;
    assert!(t0.elapsed() < Duration::from_secs(8), "{:?}", t0.elapsed());
    assert_eq!(redis.cmd(&["GET", &room_key("d")]), "");

    // bob logs in again where he is: the room is on node-a now.
    let mut bob = a.join("d", "bob", anchor("Bob")).await;
    assert_eq!(redis.cmd(&["GET", &room_key("d")]), "node-a");
    assert_eq!(hb(&mut bob).await["online_count"], 1);
}

#[tokio::test]
async fn a_new_room_goes_to_the_least_loaded_node() {
    let redis = RedisServer::start();
    let placed = "placement = \"least_loaded\"\n";
    let a = node(&redis, "node-a", placed);
    let b = node(&redis, "node-b", placed);

    // Both empty: the room stays on the node the login reached.
    let _u1 = b.join("busy", "u1", anchor("U1")).await;
    let _u2 = b.join("busy", "u2", anchor("U2")).await;
    assert_eq!(redis.cmd(&["GET", &room_key("busy")]), "node-b");
    eventually(
        Duration::from_secs(5),
        "node-b reports its members",
        || async { b.nodes().await.1[1]["users"] == 2 },
    )
    .await;

    // node-b is busier: a room created through it goes to node-a, its login relayed there.
    let mut dave = b.join("fresh", "dave", anchor("Dave")).await;
    assert_eq!(redis.cmd(&["GET", &room_key("fresh")]), "node-a");
    assert_eq!(hb(&mut dave).await["online_count"], 1);
    let mut erin = a.join("fresh", "erin", anchor("Erin")).await;
    assert_eq!(hb(&mut erin).await["online_count"], 2);
}

#[tokio::test]
async fn a_drained_node_hands_its_rooms_over_with_their_reliable_messages() {
    let redis = RedisServer::start();
    let mut a = node(&redis, "node-a", "");
    let b = node(&redis, "node-b", "");
    let mut alice = a.join("class", "alice", anchor("Alice")).await;
    let mut bob = b.join("class", "bob", anchor("Bob")).await;
    assert_eq!(redis.cmd(&["GET", &room_key("class")]), "node-a");
    let t = |t: &str, d: &str| json!({"trans_type": t, "trans_data": d, "trans_local_seq": 0, "trans_channel": "clt"});
    ok(&mut alice, "trans", t("question", "q1")).await;
    ok(&mut bob, "trans", t("answer", "a1")).await;
    ok(&mut alice, "trans", t("question", "q2")).await;
    ok(&mut alice, "im_chat", chat_body("before the drain")).await;

    // The admin API of node-b drains node-a (passed on to it).
    let (status, v) = b
        .admin_call("POST", "/admin/v1/nodes/node-a/drain", b"")
        .await;
    assert_eq!((status, &v["draining"]), (200, &json!(true)), "{v}");
    // node-a hands the room over and moves its clients: the relayed and the local ones go.
    let closed = bob.closed_within(Duration::from_secs(10)).await;
    assert_eq!(closed.map(|c| c.0), Some(1001), "bob's relayed connection");
    assert!(alice.closed_within(Duration::from_secs(10)).await.is_some());
    eventually(Duration::from_secs(10), "node-a leaves", || async {
        b.nodes().await.0 == ["node-b"]
    })
    .await;

    // They log in again through node-b: the room is there with its reliable messages, seqs
    // and message ids going on from where they were.
    let mut bob = b.join("class", "bob", anchor("Bob")).await;
    let mut alice = b.join("class", "alice", anchor("Alice")).await;
    assert_eq!(redis.cmd(&["GET", &room_key("class")]), "node-b");
    let beat = hb(&mut bob).await;
    assert_eq!(
        beat["trans_seqs"][0]["trans_seq_array"],
        json!([{"trans_type": "question", "trans_seq": 3}, {"trans_type": "answer", "trans_seq": 2}]),
        "{beat}"
    );
    let fetched = ok(
        &mut bob,
        "trans_fetch",
        json!({"trans_channel": "clt", "fetch_array": [{"trans_type": "question", "trans_seq": 0}, {"trans_type": "answer", "trans_seq": 0}]}),
    )
    .await;
    let values: Vec<&str> = fetched["trans_fetch_results"]
        .as_array()
        .unwrap_or_else(|| panic!("{fetched}"))
        .iter()
        .map(|r| r["trans_data"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(values, ["q2", "a1"], "{fetched}");
    assert_eq!(
        ok(&mut alice, "trans", t("question", "q3")).await["trans_seq"],
        4
    );
    ok(&mut alice, "im_chat", chat_body("after the drain")).await;
    let p = expect_push(&mut bob, "push_im_chat").await;
    assert!(
        p.body["chat_data"][0]["msg_id"].as_u64().unwrap() > 1,
        "{}",
        p.body
    );
    // node-a exited by itself.
    eventually(Duration::from_secs(15), "node-a exits", || {
        let gone = a.proc_exited();
        async move { gone }
    })
    .await;
}
