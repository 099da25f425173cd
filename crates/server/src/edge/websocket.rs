//! The WebSocket transport shared by `/ws` (room signalling) and `/media`: its size limits and
//! buffers, the close codes we send, and how a transport error reads as a close reason.

/// WebSocket close codes we use (RFC 6455 §7.4.1).
pub mod close_code {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const POLICY: u16 = 1008;
    pub const TOO_BIG: u16 = 1009;
    pub const TRY_AGAIN: u16 = 1013;
}

/// WebSocket messages larger than this are refused by the protocol layer before we see them;
/// ours are checked against `MAX_FRAME_BYTES` so the client gets a close with a reason.
pub const WS_TRANSPORT_LIMIT: usize = 1024 * 1024;

/// The WebSocket layer's read buffer per connection, and the most it reads at once
/// (tungstenite's default is 128 KiB, zero-filled at the first read: ≈ 130 KiB of resident memory
/// per idle connection). Signalling frames are a few hundred bytes; a larger one grows the
/// buffer to its length.
pub const WS_READ_BUFFER: usize = 1024;
/// Bytes the WebSocket layer gathers before it writes to the socket. Every frame we send is
/// flushed at once, so nothing is gathered: 0 writes each frame as it comes.
pub const WS_WRITE_BUFFER: usize = 0;
/// Kernel send buffer of each accepted socket (`SO_SNDBUF`; Linux doubles it for its own
/// bookkeeping). Unset, Linux grows it up to `net.ipv4.tcp_wmem`'s maximum (4 MiB), which a
/// client that stops reading fills before the server notices it; 256 KiB still carries
/// ≈ 20 Mbit/s at 200 ms round trip (HTTP-FLV and HLS share this listener).
pub const SOCKET_SEND_BUFFER: usize = 256 * 1024;

/// The close reason for a read error of the WebSocket layer that refused a frame or message over
/// its size limit (None for other errors: a dropped connection, bad framing).
pub fn ws_too_big(e: &axum::Error) -> Option<String> {
    use std::error::Error as _;
    match e.source()?.downcast_ref::<tungstenite::Error>()? {
        tungstenite::Error::Capacity(c) => Some(format!("over the WebSocket size limit: {c}")),
        _ => None,
    }
}

/// Bounds the kernel send buffer of the sockets `listener` accepts: they inherit the
/// listening socket's `SO_SNDBUF` (Linux copies it, and turns autotuning off with it).
pub fn limit_send_buffer(listener: &tokio::net::TcpListener) {
    if let Err(e) = socket2::SockRef::from(listener).set_send_buffer_size(SOCKET_SEND_BUFFER) {
        tracing::warn!(error = %e, "cannot bound the send buffer of accepted sockets (SO_SNDBUF)");
    }
}
