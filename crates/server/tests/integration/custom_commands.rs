//! `custommsg` → `push_custommsg` to the named members only: no broadcast, a 1024-byte
//! `custom_content` limit (as the sender gave it: a string, or an object's JSON).

use crate::common;
use common::*;

async fn room_of_four(s: &TestServer) -> [RoomClient; 4] {
    [
        s.join("r", "alice", anchor("Alice")).await,
        s.join("r", "bob", audience("Bob")).await,
        s.join("r", "carol", audience("Carol")).await,
        s.join("r", "dave", audience("Dave")).await,
    ]
}

#[tokio::test]
async fn a_custom_command_reaches_the_named_members_only() {
    let s = TestServer::start(&[]).await;
    let [mut alice, mut bob, mut carol, mut dave] = room_of_four(&s).await;
    let body = custom_body("alice", "r", &["bob", "carol", "bob"], json!("hello"));
    let sent = body["custom_msg"].as_str().unwrap().to_string();
    let r = ok(&mut alice, "custommsg", body).await;
    assert_eq!(r, json!({"err_code": 0, "err_message": "success"}));
    for c in [&mut bob, &mut carol] {
        let p = expect_push(c, "push_custommsg").await;
        assert_eq!(p.header["from_user_id"], alice.user_id.as_str());
        // The envelope arrives exactly as sent.
        assert_eq!(p.body, json!({ "custommsg": sent }));
        let env: Value = serde_json::from_str(p.body["custommsg"].as_str().unwrap()).unwrap();
        assert_eq!(env["from_userid"], "alice");
        assert_eq!(env["custom_content"], "hello");
        // Named twice, delivered once.
        expect_no_push(c, "push_custommsg", 100).await;
    }
    expect_no_push(&mut dave, "push_custommsg", 200).await;
    expect_no_push(&mut alice, "push_custommsg", 50).await;
}

#[tokio::test]
async fn broadcast_and_unknown_recipients_are_refused() {
    let s = TestServer::start(&[]).await;
    let [mut alice, mut bob, mut carol, mut dave] = room_of_four(&s).await;
    let mut eve = s.join("elsewhere", "eve", audience("Eve")).await;

    // An empty destination list would be a broadcast: refused.
    let (code, msg) = refused(
        &mut alice,
        "custommsg",
        custom_body("alice", "r", &[], json!("x")),
    )
    .await;
    assert_eq!(code, 1_000_000_002);
    assert!(msg.contains("dest_id_name"), "{msg}");
    // Nobody named is in the room (eve is in another room).
    let (code, msg) = refused(
        &mut alice,
        "custommsg",
        custom_body("alice", "r", &["nobody", "eve"], json!("x")),
    )
    .await;
    assert_eq!(code, 1_000_000_007);
    assert!(msg.contains("nobody"), "{msg}");
    // Too many recipients.
    let many: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let (code, _) = refused(
        &mut alice,
        "custommsg",
        custom_body("alice", "r", &many, json!("x")),
    )
    .await;
    assert_eq!(code, 1_000_000_002);
    for c in [&mut bob, &mut carol, &mut dave, &mut eve] {
        expect_no_push(c, "push_custommsg", 100).await;
    }
    // Some named members present, some not: those present get it.
    ok(
        &mut alice,
        "custommsg",
        custom_body("alice", "r", &["nobody", "dave"], json!("y")),
    )
    .await;
    expect_push(&mut dave, "push_custommsg").await;
    expect_no_push(&mut bob, "push_custommsg", 100).await;
}

#[tokio::test]
async fn custom_content_is_at_most_1024_bytes() {
    let s = TestServer::start(&[]).await;
    let [mut alice, mut bob, _carol, _dave] = room_of_four(&s).await;
    let fits = [
        json!("a".repeat(1024)),
        // 512 two-byte characters: 1024 bytes.
        json!("é".repeat(512)),
        // {"k":"…"} is 8 bytes of JSON around the value.
        json!({"k": "a".repeat(1016)}),
    ];
    for content in fits {
        ok(
            &mut alice,
            "custommsg",
            custom_body("alice", "r", &["bob"], content.clone()),
        )
        .await;
        let p = expect_push(&mut bob, "push_custommsg").await;
        let env: Value = serde_json::from_str(p.body["custommsg"].as_str().unwrap()).unwrap();
        assert_eq!(env["custom_content"], content);
    }
    let too_long = [
        json!("a".repeat(1025)),
        json!("é".repeat(513)),
        json!({"k": "a".repeat(1017)}),
    ];
    for content in too_long {
        let (code, msg) = refused(
            &mut alice,
            "custommsg",
            custom_body("alice", "r", &["bob"], content),
        )
        .await;
        assert_eq!(code, 1_000_000_005);
        assert!(msg.contains("custom_content"), "{msg}");
    }
    // The whole envelope is capped too.
    let mut body = custom_body("alice", "r", &["bob"], json!("x"));
    let env = json!({"from_userid": "alice", "from_username": "n".repeat(4100), "request_id": "alice-1",
                     "custom_content": "x", "room_id": "r"});
    body["custom_msg"] = json!(env.to_string());
    let (code, _) = refused(&mut alice, "custommsg", body).await;
    assert_eq!(code, 1_000_000_005);
    expect_no_push(&mut bob, "push_custommsg", 200).await;
}

#[tokio::test]
async fn the_envelope_must_be_the_senders() {
    let s = TestServer::start(&[]).await;
    let [mut alice, mut bob, _carol, _dave] = room_of_four(&s).await;
    // from_userid names someone else.
    let mut body = custom_body("alice", "r", &["bob"], json!("x"));
    let env = json!({"from_userid": "carol", "from_username": "", "request_id": "carol-1",
                     "custom_content": "x", "room_id": "r"});
    body["custom_msg"] = json!(env.to_string());
    let (code, msg) = refused(&mut alice, "custommsg", body).await;
    assert_eq!(code, 1_000_000_002);
    assert!(msg.contains("from_userid"), "{msg}");
    // custom_msg is not JSON, or lacks the envelope's fields.
    for bad in ["{oops", "{}", "\"text\""] {
        let (code, msg) = refused(
            &mut alice,
            "custommsg",
            json!({"dest_id_name": ["bob"], "custom_msg": bad}),
        )
        .await;
        assert_eq!(code, 1_000_000_002, "{bad}");
        assert!(msg.contains("custom_msg"), "{msg}");
    }
    expect_no_push(&mut bob, "push_custommsg", 200).await;
}

#[tokio::test]
async fn recipients_who_left_get_nothing() {
    let s = TestServer::start(&[]).await;
    let [mut alice, mut bob, carol, _dave] = room_of_four(&s).await;
    ok(&mut bob, "logout", json!({"reserve": 0})).await;
    let (code, _) = refused(
        &mut alice,
        "custommsg",
        custom_body("alice", "r", &["bob"], json!("x")),
    )
    .await;
    assert_eq!(code, 1_000_000_007);
    // A member whose connection dropped is not reachable while it is away.
    carol.drop_connection();
    let mut refused_after_drop = false;
    for _ in 0..50 {
        let f = call(
            &mut alice,
            "custommsg",
            custom_body("alice", "r", &["carol"], json!("x")),
        )
        .await;
        if f.body["err_code"] == 1_000_000_007u64 {
            refused_after_drop = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused_after_drop);
}
