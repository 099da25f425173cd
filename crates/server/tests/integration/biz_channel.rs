//! `biz_channel` routing: unknown channels and commands get 2001 with the command echoed.

use crate::common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn an_unknown_channel_is_refused_with_2001() {
    let s = TestServer::start(&[]).await;
    let mut c = s.join("r", "alice", anchor("Alice")).await;
    let seq = c
        .send(
            "biz_channel",
            json!({"channel": "nope", "cmd": "start_mix", "req_body": "{}"}),
        )
        .await
        .unwrap();
    let r = c.reply(seq).await.unwrap();
    assert_eq!(r.body["err_code"], 2001);
    assert_eq!(r.body["cmd"], "start_mix");
    assert_eq!(r.body["rsp_body"], "");

    // A body without the channel is a bad body, not a crash.
    let seq = c.send("biz_channel", json!({"cmd": 1})).await.unwrap();
    let r = c.reply(seq).await.unwrap();
    assert_eq!(r.body["err_code"], 1_000_000_002);
}
