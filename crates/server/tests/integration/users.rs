//! `user_list` paging and `push_userlist_update` (capitalised keys, contiguous seqs, only in
//! rooms whose creator asked for user-state updates).

use crate::common;
use common::*;

fn user(id: &str, nick: &str, role: u8) -> Value {
    json!({"id_name": id, "nick_name": nick, "role": role})
}

#[tokio::test]
async fn one_user_lists_itself() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let r = ok(
        &mut alice,
        "user_list",
        json!({"user_index": 0, "sort_type": 0}),
    )
    .await;
    assert_eq!(
        r,
        json!({"err_code": 0, "err_message": "success", "ret_user_index": 1, "server_user_index": 1,
               "server_user_seq": 1, "user_baseinfos": [user("alice", "Alice", 1)]})
    );
}

#[tokio::test]
async fn user_list_pages_hold_100_users_and_are_1_based() {
    let s = TestServer::start(&[]).await;
    let total = 105;
    let mut clients = Vec::new();
    for i in 0..total {
        let o = if i == 0 {
            anchor("U0")
        } else {
            audience(&format!("U{i}"))
        };
        clients.push(s.join("big", &format!("u{i:03}"), o).await);
    }
    let expected: Vec<Value> = (0..total)
        .map(|i| {
            user(
                &format!("u{i:03}"),
                &format!("U{i}"),
                if i == 0 { 1 } else { 2 },
            )
        })
        .collect();
    let c = &mut clients[7];

    // What the SDK does: start at 0, then ret_user_index + 1 until ret == server.
    let p1 = ok(c, "user_list", json!({"user_index": 0, "sort_type": 0})).await;
    assert_eq!(p1["ret_user_index"], 100);
    assert_eq!(p1["server_user_index"], 105);
    assert_eq!(p1["server_user_seq"], 105);
    assert_eq!(p1["user_baseinfos"], json!(expected[..100]));
    let p2 = ok(c, "user_list", json!({"user_index": 101, "sort_type": 0})).await;
    assert_eq!(p2["ret_user_index"], 105);
    assert_eq!(p2["server_user_index"], 105);
    assert_eq!(p2["user_baseinfos"], json!(expected[100..]));

    // Index 1 is the first user, like 0.
    let again = ok(c, "user_list", json!({"user_index": 1})).await;
    assert_eq!(again["user_baseinfos"], p1["user_baseinfos"]);
    // A page in the middle.
    let mid = ok(c, "user_list", json!({"user_index": 51})).await;
    assert_eq!(mid["ret_user_index"], 105);
    assert_eq!(mid["user_baseinfos"], json!(expected[50..]));
    // Past the end: empty, and ret == server so the SDK stops.
    let past = ok(c, "user_list", json!({"user_index": 106})).await;
    assert_eq!(past["ret_user_index"], 105);
    assert_eq!(past["server_user_index"], 105);
    assert_eq!(past["user_baseinfos"], json!([]));

    // Someone leaves: the pages close the gap.
    ok(&mut clients[3], "logout", json!({"reserve": 0})).await;
    let c = &mut clients[0];
    let p1 = ok(c, "user_list", json!({"user_index": 0})).await;
    assert_eq!(p1["ret_user_index"], 100);
    assert_eq!(p1["server_user_index"], 104);
    assert_eq!(p1["server_user_seq"], 106);
    let mut rest = expected.clone();
    rest.remove(3);
    assert_eq!(p1["user_baseinfos"], json!(rest[..100]));
    let p2 = ok(c, "user_list", json!({"user_index": 101})).await;
    assert_eq!(p2["ret_user_index"], 104);
    assert_eq!(p2["user_baseinfos"], json!(rest[100..]));
}

#[tokio::test]
async fn a_logout_shrinks_the_list() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    let mut bob = s.join("r", "bob", audience("Bob")).await;
    let _carol = s.join("r", "carol", audience("Carol")).await;
    ok(&mut bob, "logout", json!({"reserve": 0})).await;
    let r = ok(&mut alice, "user_list", json!({"user_index": 0})).await;
    assert_eq!(r["ret_user_index"], 2);
    assert_eq!(r["server_user_index"], 2);
    assert_eq!(r["server_user_seq"], 4);
    assert_eq!(
        r["user_baseinfos"],
        json!([user("alice", "Alice", 1), user("carol", "Carol", 2)])
    );
}

fn assert_action(a: &Value, action: u8, id: &str, nick: &str, role: u8) {
    assert_eq!(
        keys(a),
        ["Action", "IdName", "LoginTime", "NickName", "Role"],
        "{a}"
    );
    assert_eq!(a["Action"], action);
    assert_eq!(a["IdName"], id);
    assert_eq!(a["NickName"], nick);
    assert_eq!(a["Role"], role);
    let t: u64 = a["LoginTime"]
        .as_str()
        .expect("LoginTime is a string")
        .parse()
        .expect("LoginTime is unix ms");
    assert!(t / 1000 + 10 >= now_secs() && t / 1000 <= now_secs(), "{t}");
}

#[tokio::test]
async fn joins_and_leaves_are_pushed_with_contiguous_seqs() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.connect().await;
    let rsp = alice
        .login(
            "r",
            "alice",
            &dev_token("alice"),
            &with_user_updates(anchor("Alice")),
        )
        .await
        .unwrap();
    let mut alice_seq = rsp["server_user_seq"].as_u64().unwrap();
    assert_eq!(alice_seq, 1);

    // Bob did not ask for updates, but the room pushes them to everyone in it.
    let mut bob = s.connect().await;
    let rsp = bob
        .login("r", "bob", &dev_token("bob"), &audience("Bob"))
        .await
        .unwrap();
    let mut bob_seq = rsp["server_user_seq"].as_u64().unwrap();
    assert_eq!(bob_seq, 2);
    let p = expect_push(&mut alice, "push_userlist_update").await;
    assert_eq!(keys(&p.body), ["room_id", "user_actions", "user_list_seq"]);
    assert_eq!(p.body["room_id"], "r");
    let actions = p.body["user_actions"].as_array().unwrap();
    assert_eq!(alice_seq + actions.len() as u64, p.body["user_list_seq"]);
    alice_seq = p.body["user_list_seq"].as_u64().unwrap();
    assert_eq!(actions.len(), 1);
    assert_action(&actions[0], 1, "bob", "Bob", 2);
    let bob_login_time = actions[0]["LoginTime"].clone();

    let mut carol = s.join("r", "carol", audience("Carol")).await;
    for (c, seq) in [(&mut alice, &mut alice_seq), (&mut bob, &mut bob_seq)] {
        let p = expect_push(c, "push_userlist_update").await;
        assert_eq!(*seq + 1, p.body["user_list_seq"]);
        *seq += 1;
        assert_action(&p.body["user_actions"][0], 1, "carol", "Carol", 2);
    }
    assert_eq!(alice_seq, 3);

    ok(&mut bob, "logout", json!({"reserve": 0})).await;
    for c in [&mut alice, &mut carol] {
        let p = expect_push(c, "push_userlist_update").await;
        assert_eq!(p.body["user_list_seq"], 4);
        let a = &p.body["user_actions"][0];
        assert_action(a, 2, "bob", "Bob", 2);
        assert_eq!(a["LoginTime"], bob_login_time);
    }
    // Nobody is told about their own join.
    expect_no_push(&mut carol, "push_userlist_update", 200).await;
    expect_no_push(&mut bob, "push_userlist_update", 50).await;
    assert_eq!(hb(&mut alice).await["server_user_seq"], 4);
}

#[tokio::test]
async fn no_pushes_in_a_room_created_without_user_updates() {
    let s = TestServer::start(&[]).await;
    let mut alice = s.join("r", "alice", anchor("Alice")).await;
    // A later login asking for updates does not change the room's setting.
    let mut bob = s.join("r", "bob", with_user_updates(audience("Bob"))).await;
    let carol = s
        .join("r", "carol", with_user_updates(audience("Carol")))
        .await;
    carol.close().await;
    ok(&mut alice, "stream", stream_body(2001, "s", "")).await;
    expect_push(&mut bob, "push_stream_update").await;
    expect_no_push(&mut alice, "push_userlist_update", 300).await;
    expect_no_push(&mut bob, "push_userlist_update", 50).await;
    // The seq still moves, so a client that lists users sees the change.
    assert_eq!(hb(&mut bob).await["server_user_seq"], 3);
}
