//! A native client of the ZegoClient 1.x room protocol: what the integration tests, the
//! examples and load tools use to talk to a real server over a real WebSocket.
//!
//! It keeps the header rules of the protocol (capital `Protocol`, per-connection `seq`,
//! the ids from the login reply) and buffers frames that arrive while it waits for another.

#![warn(missing_docs)]

pub mod load;
pub mod media;
pub mod server_process;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub use tokio_tungstenite::tungstenite::protocol::CloseFrame;

/// How long `reply` and `push` wait by default.
pub const WAIT: Duration = Duration::from_secs(5);

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Why a client call failed.
#[derive(Debug)]
pub enum ClientError {
    /// The WebSocket could not connect, send or receive, or a frame was not JSON.
    Io(String),
    /// The server closed the connection, with its close code and reason if it gave one.
    Closed(Option<(u16, String)>),
    /// Nothing arrived in time; says what was awaited.
    Timeout(String),
    /// A reply with a non-zero `err_code`.
    Server {
        /// The reply's `err_code`.
        code: u64,
        /// The reply's `err_message`.
        message: String,
        /// The whole reply body.
        body: Value,
    },
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for ClientError {}

/// The result of a client call.
pub type Result<T> = std::result::Result<T, ClientError>;

/// One received frame.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The frame's header.
    pub header: Value,
    /// The frame's body.
    pub body: Value,
}

impl Frame {
    /// The header's `cmd` (empty if missing).
    pub fn cmd(&self) -> &str {
        self.header["cmd"].as_str().unwrap_or("")
    }
    /// The header's `protocol`: `rsp` or `push` (empty if missing).
    pub fn protocol(&self) -> &str {
        self.header["protocol"].as_str().unwrap_or("")
    }
}

/// Login options beyond room, user and token.
#[derive(Debug, Clone)]
pub struct LoginOptions {
    /// Display name.
    pub nick_name: String,
    /// 1 anchor, 2 audience (default 2).
    pub role: u8,
    /// 1 to ask for user-state updates.
    pub user_state_flag: u8,
    /// 0 if the login must not create the room (default 1).
    pub room_create_flag: u8,
    /// Third-party token (`loginWithAuthor`); empty for a plain login.
    pub third_token: String,
}

impl Default for LoginOptions {
    fn default() -> Self {
        LoginOptions {
            nick_name: String::new(),
            role: 2,
            user_state_flag: 0,
            room_create_flag: 1,
            third_token: String::new(),
        }
    }
}

/// One room-protocol connection, logged in or not.
pub struct RoomClient {
    ws: Ws,
    seq: u64,
    /// The application id sent in every header.
    pub appid: u64,
    /// The room logged in to (empty before login).
    pub room_id: String,
    /// The app user id logged in as (empty before login).
    pub id_name: String,
    /// The server-assigned user id from the login reply.
    pub user_id: String,
    /// The server-assigned session id from the login reply.
    pub session_id: String,
    buffered: VecDeque<Frame>,
    closed: Option<Option<(u16, String)>>,
}

/// A room login kept open in the background (see [`RoomClient::keep_alive`]); dropping it
/// closes the connection.
pub struct KeptAlive(tokio::task::JoinHandle<()>);

impl Drop for KeptAlive {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl RoomClient {
    /// Hands the logged-in client to a task that reads (and drops) what the room sends and
    /// heartbeats, so the login lives while nobody looks at it (a media session's room login).
    pub fn keep_alive(mut self, hb_every: Duration) -> KeptAlive {
        KeptAlive(tokio::spawn(async move {
            let mut hb = tokio::time::interval(hb_every);
            loop {
                tokio::select! {
                    _ = hb.tick() => {
                        if self.send("hb", json!({"reserve": 0})).await.is_err() {
                            return;
                        }
                    }
                    f = self.next_frame() => if f.is_err() { return },
                }
            }
        }))
    }

    /// A client on an open WebSocket, not logged in yet.
    fn over(ws: Ws, appid: u64) -> RoomClient {
        RoomClient {
            ws,
            seq: 0,
            appid,
            room_id: String::new(),
            id_name: String::new(),
            user_id: String::new(),
            session_id: String::new(),
            buffered: VecDeque::new(),
            closed: None,
        }
    }

    /// Opens a WebSocket to `url` (not logged in yet).
    pub async fn connect(url: &str, appid: u64) -> Result<RoomClient> {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .map_err(|e| ClientError::Io(e.to_string()))?;
        Ok(RoomClient::over(ws, appid))
    }

    /// Opens a WebSocket to `url` from the local address `local` (port chosen by the kernel):
    /// load generators spread their connections over loopback addresses (127.0.0.0/8), as
    /// clients of a real show come from many addresses.
    pub async fn connect_from(
        url: &str,
        appid: u64,
        local: std::net::IpAddr,
    ) -> Result<RoomClient> {
        let io = |e: std::io::Error| ClientError::Io(e.to_string());
        let host = url
            .strip_prefix("ws://")
            .and_then(|r| r.split('/').next())
            .ok_or_else(|| ClientError::Io(format!("connect_from takes ws:// URLs: {url}")))?;
        let remote = tokio::net::lookup_host(host)
            .await
            .map_err(io)?
            .next()
            .ok_or_else(|| ClientError::Io(format!("{host} has no address")))?;
        let socket = if remote.is_ipv4() {
            tokio::net::TcpSocket::new_v4()
        } else {
            tokio::net::TcpSocket::new_v6()
        }
        .map_err(io)?;
        socket
            .bind(std::net::SocketAddr::new(local, 0))
            .map_err(io)?;
        let stream = socket.connect(remote).await.map_err(io)?;
        let _ = stream.set_nodelay(true);
        let (ws, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
            .await
            .map_err(|e| ClientError::Io(e.to_string()))?;
        Ok(RoomClient::over(ws, appid))
    }

    /// Logs in; on success the client's ids are the reply's. Returns the reply body.
    pub async fn login(
        &mut self,
        room_id: &str,
        id_name: &str,
        token: &str,
        o: &LoginOptions,
    ) -> Result<Value> {
        self.room_id = room_id.into();
        self.id_name = id_name.into();
        let body = json!({
            "id_name": id_name, "nick_name": o.nick_name, "role": o.role, "token": token,
            "version": "liveroom-client", "room_name": room_id, "user_state_flag": o.user_state_flag,
            "room_create_flag": o.room_create_flag, "client_type": 3, "third_token": o.third_token,
        });
        let rsp = self.request("login", body).await?;
        self.user_id = rsp["user_id"].as_str().unwrap_or("").into();
        self.session_id = rsp["session_id"].as_str().unwrap_or("").into();
        Ok(rsp)
    }

    /// Sends a request with this client's header; returns its seq.
    pub async fn send(&mut self, cmd: &str, body: Value) -> Result<u64> {
        self.seq += 1;
        let frame = json!({
            "header": {"Protocol": "req", "cmd": cmd, "appid": self.appid, "seq": self.seq,
                       "user_id": self.user_id, "session_id": self.session_id, "room_id": self.room_id},
            "body": body,
        });
        self.send_text(frame.to_string()).await?;
        Ok(self.seq)
    }

    /// Sends any text as one frame (for tests of bad input).
    pub async fn send_text(&mut self, text: String) -> Result<()> {
        self.ws
            .send(Message::Text(text.into()))
            .await
            .map_err(|e| ClientError::Io(e.to_string()))
    }

    /// Sends and waits for the reply; a non-zero `err_code` is an `Err`.
    pub async fn request(&mut self, cmd: &str, body: Value) -> Result<Value> {
        let seq = self.send(cmd, body).await?;
        let f = self.reply(seq).await?;
        let code = f.body["err_code"].as_u64().unwrap_or(0);
        if code != 0 {
            return Err(ClientError::Server {
                code,
                message: f.body["err_message"].as_str().unwrap_or("").into(),
                body: f.body,
            });
        }
        Ok(f.body)
    }

    /// The reply frame to request `seq` (pushes that arrive first are kept for later).
    pub async fn reply(&mut self, seq: u64) -> Result<Frame> {
        self.wait_for(
            |f| f.protocol() == "rsp" && f.header["seq"].as_u64() == Some(seq),
            WAIT,
        )
        .await
    }

    /// The next push of `cmd`.
    pub async fn push(&mut self, cmd: &str) -> Result<Frame> {
        self.push_within(cmd, WAIT).await
    }

    /// The next push of `cmd` within `wait`.
    pub async fn push_within(&mut self, cmd: &str, wait: Duration) -> Result<Frame> {
        let cmd = cmd.to_string();
        self.wait_for(move |f| f.protocol() == "push" && f.cmd() == cmd, wait)
            .await
    }

    /// True if no push of `cmd` arrives within `wait`.
    pub async fn no_push(&mut self, cmd: &str, wait: Duration) -> bool {
        matches!(
            self.push_within(cmd, wait).await,
            Err(ClientError::Timeout(_))
        )
    }

    /// Waits for the first frame (buffered or new) that `pred` accepts.
    pub async fn wait_for(
        &mut self,
        pred: impl Fn(&Frame) -> bool,
        wait: Duration,
    ) -> Result<Frame> {
        if let Some(i) = self.buffered.iter().position(&pred) {
            return Ok(self.buffered.remove(i).expect("index from position"));
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let f = match tokio::time::timeout_at(deadline, self.next_frame()).await {
                Ok(f) => f?,
                Err(_) => {
                    return Err(ClientError::Timeout(format!(
                        "no matching frame within {wait:?}"
                    )))
                }
            };
            if pred(&f) {
                return Ok(f);
            }
            self.buffered.push_back(f);
        }
    }

    /// Reads the next text frame from the socket (not the buffer) unparsed: for load
    /// generators, whose JSON parsing would otherwise compete with the server for the CPU.
    pub async fn next_text(&mut self) -> Result<String> {
        if let Some(c) = &self.closed {
            return Err(ClientError::Closed(c.clone()));
        }
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Text(t))) => return Ok(t.as_str().to_string()),
                Some(Ok(Message::Close(c))) => {
                    let c = c.map(|c| (u16::from(c.code), c.reason.to_string()));
                    self.closed = Some(c.clone());
                    return Err(ClientError::Closed(c));
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    self.closed = Some(None);
                    return Err(ClientError::Io(e.to_string()));
                }
                None => {
                    self.closed = Some(None);
                    return Err(ClientError::Closed(None));
                }
            }
        }
    }

    /// Reads the next frame from the socket (not the buffer).
    pub async fn next_frame(&mut self) -> Result<Frame> {
        let t = self.next_text().await?;
        let v: Value = serde_json::from_str(&t)
            .map_err(|e| ClientError::Io(format!("server sent bad JSON: {e}: {t}")))?;
        Ok(Frame {
            header: v["header"].clone(),
            body: v["body"].clone(),
        })
    }

    /// Reads until the server closes; returns the close code and reason.
    pub async fn closed_within(&mut self, wait: Duration) -> Option<(u16, String)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.next_frame()).await {
                Ok(Ok(f)) => self.buffered.push_back(f),
                Ok(Err(ClientError::Closed(c))) => return c.or(Some((1005, String::new()))),
                Ok(Err(_)) => return Some((1006, String::new())),
                Err(_) => return None,
            }
        }
    }

    /// Sends a binary frame (the protocol has none; for tests of bad input).
    pub async fn send_binary(&mut self, data: Vec<u8>) -> Result<()> {
        self.ws
            .send(Message::Binary(data.into()))
            .await
            .map_err(|e| ClientError::Io(e.to_string()))
    }

    /// Closes the connection with a close handshake.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }

    /// Drops the TCP connection without a close handshake (a network failure).
    pub fn drop_connection(self) {
        drop(self);
    }
}

/// Fetches a dev token from `GET /token` with a plain HTTP/1.1 request.
pub async fn dev_token(http_addr: &str, appid: u64, id_name: &str) -> Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = TcpStream::connect(http_addr)
        .await
        .map_err(|e| ClientError::Io(e.to_string()))?;
    let req = format!(
        "GET /token?app_id={appid}&id_name={id_name} HTTP/1.1\r\nHost: {http_addr}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| ClientError::Io(e.to_string()))?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)
        .await
        .map_err(|e| ClientError::Io(e.to_string()))?;
    let text = String::from_utf8_lossy(&buf);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    if !head.starts_with("HTTP/1.1 200") {
        return Err(ClientError::Io(format!("token endpoint answered: {head}")));
    }
    Ok(body.trim().to_string())
}
