//! Test harness: a real server on 127.0.0.1:0 (in this process) and real WebSocket clients.
#![allow(dead_code)]

use liveroom_client::{LoginOptions, RoomClient};
use liveroom_server::config::{Config, Overrides};
use liveroom_server::{token, Server};
use std::time::{SystemTime, UNIX_EPOCH};

pub const APPID: u64 = 1_739_272_706;

pub struct TestServer {
    pub server: Option<Server>,
    pub addr: String,
}

impl TestServer {
    /// A dev server; `env` entries are `LIVEROOM_*` overrides such as
    /// `("LIVEROOM_ROOM__HEARTBEAT_INTERVAL_MS", "1000")`.
    pub async fn start(env: &[(&str, &str)]) -> TestServer {
        Self::start_with(None, env).await
    }

    pub async fn start_with(file: Option<&str>, env: &[(&str, &str)]) -> TestServer {
        let path = file.map(|text| {
            let p = std::env::temp_dir().join(format!("liveroom-test-{}.toml", rand::random::<u64>()));
            std::fs::write(&p, text).unwrap();
            p
        });
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        let flags = Overrides { dev: file.is_none(), http: Some("127.0.0.1:0".into()) };
        let config = Config::load(path.as_ref(), env, &flags).expect("test config");
        let server = liveroom_server::start(config).await.expect("server starts");
        let addr = server.http_addr.to_string();
        TestServer { server: Some(server), addr }
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    pub async fn connect(&self) -> RoomClient {
        RoomClient::connect(&self.ws_url(), APPID).await.expect("connect")
    }

    /// Connects and logs `id_name` in to `room` with a dev token.
    pub async fn join(&self, room: &str, id_name: &str, o: LoginOptions) -> RoomClient {
        let mut c = self.connect().await;
        c.login(room, id_name, &dev_token(id_name), &o).await.expect("login");
        c
    }

    pub async fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
    }
}

pub fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// A v1 token with the dev app sign, valid for an hour.
pub fn dev_token(id_name: &str) -> String {
    token::make_v1(APPID, liveroom_server::config::DEV_APP_SIGN, id_name, now_secs() + 3600)
}

pub fn anchor(nick: &str) -> LoginOptions {
    LoginOptions { nick_name: nick.into(), role: 1, ..Default::default() }
}

pub fn audience(nick: &str) -> LoginOptions {
    LoginOptions { nick_name: nick.into(), role: 2, ..Default::default() }
}

/// Options of a login that turns user-state updates on (when it creates the room).
pub fn with_user_updates(mut o: LoginOptions) -> LoginOptions {
    o.user_state_flag = 1;
    o
}

/// The error code of a failed request.
pub fn err_code(r: liveroom_client::Result<serde_json::Value>) -> u64 {
    match r {
        Err(liveroom_client::ClientError::Server { code, .. }) => code,
        other => panic!("expected a server error, got {other:?}"),
    }
}
