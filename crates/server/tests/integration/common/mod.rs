//! Test harness: a real server on 127.0.0.1:0 (in this process) and real WebSocket clients.
#![allow(dead_code)]

pub mod business;
pub mod process;
pub mod redis_server;

pub use liveroom_client::{Frame, LoginOptions, RoomClient, WAIT};
use liveroom_server::config::{Config, Overrides};
use liveroom_server::signalling::token;
use liveroom_server::Server;
pub use serde_json::{json, Value};
pub use std::time::Duration;
use std::time::{SystemTime, UNIX_EPOCH};

pub const APPID: u64 = 1_739_272_706;

/// A folder under the system's temp folder, removed with what it holds when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("liveroom-{tag}-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    /// The path of `name` in the folder, as a string.
    pub fn file(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

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
            let p =
                std::env::temp_dir().join(format!("liveroom-test-{}.toml", rand::random::<u64>()));
            std::fs::write(&p, text).unwrap();
            p
        });
        let mut env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        // Production configs need a TURN secret; tests that do not care get one.
        if file.is_some_and(|f| !f.contains("[turn]"))
            && !env.iter().any(|(k, _)| k.starts_with("LIVEROOM_TURN__"))
        {
            env.push((
                "LIVEROOM_TURN__SECRET".into(),
                "test-turn-secret-0123456789".into(),
            ));
        }
        let env = env.into_iter();
        let flags = Overrides {
            dev: file.is_none(),
            http: Some("127.0.0.1:0".into()),
            metrics: Some("127.0.0.1:0".into()),
            rtc: Some("127.0.0.1:0".into()),
            turn: Some("127.0.0.1:0".into()),
        };
        let config = Config::load(path.as_ref(), env, &flags);
        if let Some(p) = &path {
            let _ = std::fs::remove_file(p);
        }
        let config = config.expect("test config");
        let server = liveroom_server::start(config).await.expect("server starts");
        let addr = server.http_addr.to_string();
        TestServer {
            server: Some(server),
            addr,
        }
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    pub async fn connect(&self) -> RoomClient {
        RoomClient::connect(&self.ws_url(), APPID)
            .await
            .expect("connect")
    }

    /// Connects and logs `id_name` in to `room` with a dev token.
    pub async fn join(&self, room: &str, id_name: &str, o: LoginOptions) -> RoomClient {
        let mut c = self.connect().await;
        c.login(room, id_name, &dev_token(id_name), &o)
            .await
            .expect("login");
        c
    }

    pub async fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
    }
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A v1 token with the dev app sign, valid for an hour.
pub fn dev_token(id_name: &str) -> String {
    token::make_v1(
        APPID,
        liveroom_server::config::DEV_APP_SIGN,
        id_name,
        now_secs() + 3600,
    )
}

pub fn anchor(nick: &str) -> LoginOptions {
    LoginOptions {
        nick_name: nick.into(),
        role: 1,
        ..Default::default()
    }
}

pub fn audience(nick: &str) -> LoginOptions {
    LoginOptions {
        nick_name: nick.into(),
        role: 2,
        ..Default::default()
    }
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

// ------------------------------------------------------------------ frame checks

/// Sends a request and returns its reply frame, after checking the reply header: protocol
/// "rsp", the same cmd and seq, and the client's own appid, user_id, session_id and room_id.
pub async fn call(c: &mut RoomClient, cmd: &str, body: Value) -> Frame {
    let seq = c.send(cmd, body).await.expect("send");
    let f = c.reply(seq).await.expect("reply");
    assert_reply_header(&f, c, cmd, seq);
    f
}

pub fn assert_reply_header(f: &Frame, c: &RoomClient, cmd: &str, seq: u64) {
    let h = &f.header;
    assert_eq!(h["protocol"], "rsp", "{h}");
    assert_eq!(h["cmd"], cmd, "{h}");
    assert_eq!(h["seq"], seq, "{h}");
    assert_eq!(h["appid"], c.appid, "{h}");
    assert_eq!(h["user_id"], c.user_id.as_str(), "{h}");
    assert_eq!(h["session_id"], c.session_id.as_str(), "{h}");
    assert_eq!(h["room_id"], c.room_id.as_str(), "{h}");
}

/// A request that must succeed: returns the reply body (`err_code` 0, checked header).
pub async fn ok(c: &mut RoomClient, cmd: &str, body: Value) -> Value {
    let f = call(c, cmd, body).await;
    assert_eq!(f.body["err_code"], 0, "{cmd} failed: {}", f.body);
    assert_eq!(f.body["err_message"], "success", "{}", f.body);
    f.body
}

/// A request that must fail: returns `(err_code, err_message)`.
pub async fn refused(c: &mut RoomClient, cmd: &str, body: Value) -> (u64, String) {
    let f = call(c, cmd, body).await;
    let code = f.body["err_code"].as_u64().unwrap_or(0);
    assert_ne!(code, 0, "{cmd} should have failed: {}", f.body);
    let msg = f.body["err_message"].as_str().unwrap_or("").to_string();
    (code, msg)
}

/// Checks a push header: protocol "push", its cmd, the RECIPIENT's appid, user_id,
/// session_id and room_id, a numeric push_seq and the other fields of the notes.
pub fn assert_push_header(f: &Frame, c: &RoomClient, cmd: &str) {
    let h = &f.header;
    assert_eq!(h["protocol"], "push", "{h}");
    assert_eq!(h["cmd"], cmd, "{h}");
    assert_eq!(h["appid"], c.appid, "{h}");
    assert_eq!(h["user_id"], c.user_id.as_str(), "{h}");
    assert_eq!(h["session_id"], c.session_id.as_str(), "{h}");
    assert_eq!(h["room_id"], c.room_id.as_str(), "{h}");
    assert!(h["push_seq"].as_u64().is_some_and(|s| s > 0), "{h}");
    assert!(h["from_user_id"].is_string(), "{h}");
    assert_eq!(h["qos_flag"], 0, "{h}");
}

/// Waits for the next push of `cmd` to `c` and checks its header.
pub async fn expect_push(c: &mut RoomClient, cmd: &str) -> Frame {
    let f = c
        .push(cmd)
        .await
        .unwrap_or_else(|e| panic!("{} expected {cmd}: {e}", c.id_name));
    assert_push_header(&f, c, cmd);
    f
}

/// Asserts that no push of `cmd` reaches `c` within `ms` milliseconds.
pub async fn expect_no_push(c: &mut RoomClient, cmd: &str, ms: u64) {
    match c.push_within(cmd, Duration::from_millis(ms)).await {
        Err(liveroom_client::ClientError::Timeout(_)) => {}
        other => panic!("{} got an unexpected {cmd}: {other:?}", c.id_name),
    }
}

/// Asserts that `c` received no push of any kind so far, waiting `ms` milliseconds.
pub async fn expect_silence(c: &mut RoomClient, ms: u64) {
    match c
        .wait_for(|f| f.protocol() == "push", Duration::from_millis(ms))
        .await
    {
        Err(liveroom_client::ClientError::Timeout(_)) => {}
        other => panic!("{} got an unexpected push: {other:?}", c.id_name),
    }
}

/// The `stream_msg` of a `stream` request.
pub fn stream_body(sub_cmd: u32, stream_id: &str, extra_info: &str) -> Value {
    json!({"sub_cmd": sub_cmd,
           "stream_msg": json!({"stream_id": stream_id, "extra_info": extra_info}).to_string()})
}

impl TestServer {
    /// The stream entry this server lists for a stream of `id_name` in `room`: with its
    /// HTTP-FLV and HLS URLs (live outputs are on in tests).
    pub fn stream_entry(
        &self,
        room: &str,
        id: &str,
        id_name: &str,
        nick: &str,
        extra: &str,
    ) -> Value {
        let mut v = stream_entry(room, id, id_name, nick, extra);
        let base = format!("http://{}/live/{APPID}/{id}", self.addr);
        v["urls_flv"] = json!([format!("{base}.flv")]);
        v["urls_m3u8"] = json!([format!("{base}.m3u8")]);
        v
    }
}

/// The stream entry a server without live outputs lists for a stream of `id_name` in `room`.
pub fn stream_entry(room: &str, id: &str, id_name: &str, nick: &str, extra: &str) -> Value {
    json!({"stream_id": id, "anchor_id_name": id_name, "anchor_nick_name": nick,
           "extra_info": extra, "stream_gid": format!("{room}/{id}"),
           "urls_flv": [], "urls_m3u8": [], "urls_https_flv": [], "urls_https_m3u8": [],
           "urls_rtmp": []})
}

/// The `custommsg` body the SDK of `from` (in room `room`) sends.
pub fn custom_body(from: &str, room: &str, dest: &[&str], content: Value) -> Value {
    let env = json!({"from_userid": from, "from_username": format!("nick-{from}"),
                     "request_id": format!("{from}-1"), "custom_content": content,
                     "room_id": room});
    json!({"dest_id_name": dest, "custom_msg": env.to_string()})
}

/// Sends a custom command as the SDK of `c` would; returns the reply frame.
pub async fn custom(c: &mut RoomClient, dest: &[&str], content: Value) -> Frame {
    let body = custom_body(&c.id_name, &c.room_id, dest, content);
    call(c, "custommsg", body).await
}

pub fn chat_body(content: &str) -> Value {
    json!({"msg_category": 1, "msg_type": 1, "msg_content": content})
}

/// Sends a heartbeat and returns its reply body.
pub async fn hb(c: &mut RoomClient) -> Value {
    ok(c, "hb", json!({"reserve": 0})).await
}

/// The key set of a JSON object, sorted.
pub fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

// ------------------------------------------------------------------ raw HTTP

/// An HTTP answer: status, lower-cased header names with values, body.
#[derive(Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }
}

/// One plain HTTP/1.1 request over a fresh TCP connection (`Connection: close`).
pub async fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpAnswer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut buf))
        .await
        .expect("HTTP answer in time")
        .unwrap();
    parse_http_answer(&buf)
}

fn parse_http_answer(buf: &[u8]) -> HttpAnswer {
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of HTTP head");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let raw = &buf[split + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        let mut out = Vec::new();
        let mut rest = raw;
        loop {
            let end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size_text = String::from_utf8_lossy(&rest[..end]).to_string();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
                .expect("chunk size");
            rest = &rest[end + 2..];
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
        out
    } else {
        raw.to_vec()
    };
    HttpAnswer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    }
}

/// A media-signalling connection logged in (`LoginReq`) for `room`, with the room login it
/// belongs to (a media session needs a live room login of its user) kept open beside it.
pub struct MediaLogin {
    pub sig: liveroom_client::media::MediaSignal,
    _room: Option<liveroom_client::KeptAlive>,
}

impl std::ops::Deref for MediaLogin {
    type Target = liveroom_client::media::MediaSignal;
    fn deref(&self) -> &Self::Target {
        &self.sig
    }
}

impl std::ops::DerefMut for MediaLogin {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.sig
    }
}

impl TestServer {
    /// Opens `user`'s media signalling for `room`, logging `user` in to `room` (as an anchor)
    /// first unless the test already has it logged in there.
    pub async fn media_login(&self, room: &str, user: &str) -> MediaLogin {
        let hub = &self.server.as_ref().expect("running").state.hub;
        if hub
            .claim_of(APPID, user)
            .is_some_and(|c| c.room.room_id == room)
        {
            return self.media_signal_of_logged_in(room, user).await;
        }
        let c = self.join(room, user, anchor(user)).await;
        let mut m = self.media_signal_of_logged_in(room, user).await;
        m._room = Some(c.keep_alive(Duration::from_secs(10)));
        m
    }

    /// Opens `user`'s media signalling for `room`, where the caller keeps `user` logged in.
    pub async fn media_signal_of_logged_in(&self, room: &str, user: &str) -> MediaLogin {
        let mut sig = liveroom_client::media::MediaSignal::connect(
            &format!("ws://{}/media", self.addr),
            APPID,
            user,
        )
        .await
        .unwrap();
        sig.login(&dev_token(user), room).await.unwrap();
        MediaLogin { sig, _room: None }
    }
}

/// The next event of `peer` that `want` accepts, within 10 s.
pub async fn wait_peer(
    peer: &mut liveroom_client::media::MediaPeer,
    want: impl Fn(&liveroom_client::media::PeerOut) -> bool,
) -> liveroom_client::media::PeerOut {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let ev = tokio::time::timeout_at(deadline, peer.out.recv())
            .await
            .expect("peer event in time")
            .expect("peer alive");
        if want(&ev) {
            return ev;
        }
    }
}

/// Sends a GStreamer test source's RTP out through a publishing `peer` (video and audio
/// sequence numbers of their own), keeping the peer's events drained; `keep` (the
/// signalling, say) lives as long as the feed. Abort the task to stop publishing.
pub fn feed_test_source(
    peer: liveroom_client::media::MediaPeer,
    src: liveroom_live::testsrc::TestSource,
    keep: impl Send + 'static,
) -> tokio::task::JoinHandle<()> {
    use liveroom_client::media::PeerCmd;
    use str0m::media::MediaKind;
    tokio::spawn(async move {
        // The whole source (its pipeline too) lives as long as the feed.
        let (_keep, mut src, mut peer) = (keep, src, peer);
        let (mut vseq, mut aseq) = (1000u64, 5000u64);
        while let Some(p) = src.packets.recv().await {
            let (kind, seq) = if p.video {
                vseq += 1;
                (MediaKind::Video, vseq)
            } else {
                aseq += 1;
                (MediaKind::Audio, aseq)
            };
            let cmd = PeerCmd::Rtp {
                kind,
                seq,
                time: p.time,
                marker: p.marker,
                payload: p.payload,
            };
            if peer.cmd.send(cmd).await.is_err() {
                return;
            }
            while peer.out.try_recv().is_ok() {}
        }
    })
}
