//! Two users log in to one room and exchange a chat message.
//!
//! Start a server with `liveroom --dev`, then:
//! `cargo run -p liveroom-client --example chat -- 127.0.0.1:8282`

use liveroom_client::{dev_token, LoginOptions, RoomClient};
use serde_json::json;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8282".into());
    let url = format!("ws://{addr}/ws");
    let appid = 1;

    let mut alice = RoomClient::connect(&url, appid).await?;
    let token = dev_token(&addr, appid, "alice").await?;
    let opts = LoginOptions {
        nick_name: "Alice".into(),
        role: 1,
        ..Default::default()
    };
    let rsp = alice.login("lobby", "alice", &token, &opts).await?;
    println!(
        "alice logged in: session {}, {} online",
        rsp["session_id"], rsp["online_count"]
    );

    let mut bob = RoomClient::connect(&url, appid).await?;
    let token = dev_token(&addr, appid, "bob").await?;
    let opts = LoginOptions {
        nick_name: "Bob".into(),
        role: 2,
        ..Default::default()
    };
    let rsp = bob.login("lobby", "bob", &token, &opts).await?;
    println!(
        "bob logged in: anchor is {}, {} online",
        rsp["anchor_info"]["anchor_id_name"], rsp["online_count"]
    );

    let ack = alice
        .request(
            "im_chat",
            json!({"msg_category": 1, "msg_type": 1, "msg_content": "hello, bob"}),
        )
        .await?;
    println!("alice sent message {}", ack["msg_id"]);

    let push = bob.push("push_im_chat").await?;
    let msg = &push.body["chat_data"][0];
    println!(
        "bob received from {}: {}",
        msg["nick_name"], msg["msg_content"]
    );

    alice.request("logout", json!({"reserve": 0})).await?;
    bob.request("logout", json!({"reserve": 0})).await?;
    Ok(())
}
