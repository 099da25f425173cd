//! A native client of the media side: the media-signalling WebSocket (notes §7) and a str0m
//! peer that publishes synthetic RTP or receives a stream. Used by the SFU tests and the
//! benchmarks.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{RtpWrite, Ssrc};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::{ClientError, Result, WAIT};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The media-signalling connection.
pub struct MediaSignal {
    ws: Ws,
    seq: u64,
    appid: u64,
    id_name: String,
    buffered: Vec<Value>,
}

impl MediaSignal {
    /// Opens a media-signalling WebSocket to `url` as `id_name` (not logged in yet).
    pub async fn connect(url: &str, appid: u64, id_name: &str) -> Result<MediaSignal> {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .map_err(|e| ClientError::Io(e.to_string()))?;
        Ok(MediaSignal {
            ws,
            seq: 0,
            appid,
            id_name: id_name.into(),
            buffered: Vec::new(),
        })
    }

    /// Sends a frame; returns its seq.
    pub async fn send(&mut self, cmd: &str, session_id: u64, body: Value) -> Result<u64> {
        self.seq += 1;
        let f = json!({"header": {"version": "1.0.1", "cmd": cmd, "appid": self.appid.to_string(), "seq": self.seq,
                                  "user_id": self.id_name, "session_id": session_id}, "body": body});
        self.ws
            .send(Message::Text(f.to_string().into()))
            .await
            .map_err(|e| ClientError::Io(e.to_string()))?;
        Ok(self.seq)
    }

    /// The next frame whose header `cmd` is `cmd` (others are kept).
    pub async fn expect(&mut self, cmd: &str) -> Result<Value> {
        if let Some(i) = self.buffered.iter().position(|f| f["header"]["cmd"] == cmd) {
            return Ok(self.buffered.remove(i));
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .map_err(|_| ClientError::Timeout(format!("no {cmd}")))?;
            match msg {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(t.as_str())
                        .map_err(|e| ClientError::Io(e.to_string()))?;
                    if v["header"]["cmd"] == cmd {
                        return Ok(v);
                    }
                    self.buffered.push(v);
                }
                Some(Ok(_)) => {}
                _ => return Err(ClientError::Closed(None)),
            }
        }
    }

    /// Sends a request and returns the body of its `...Rsp`; `result != 0` is an error.
    pub async fn request(&mut self, cmd: &str, session_id: u64, body: Value) -> Result<Value> {
        self.send(cmd, session_id, body).await?;
        let rsp = self.expect(&cmd.replace("Req", "Rsp")).await?;
        let code = rsp["body"]["result"].as_u64().unwrap_or(0);
        if code != 0 {
            return Err(ClientError::Server {
                code,
                message: rsp["body"]["strError"].as_str().unwrap_or("").into(),
                body: rsp["body"].clone(),
            });
        }
        Ok(rsp)
    }

    /// `LoginReq` with a room login token; returns the whole `LoginRsp`.
    pub async fn login(&mut self, token: &str, room_id: &str) -> Result<Value> {
        self.request(
            "LoginReq",
            0,
            json!({"token": token, "tokenType": 0, "roomid": room_id, "anchorname": "",
                                             "sdkversion": "liveroom-client", "osinfo": "rust"}),
        )
        .await
    }

    /// Creates a session (0 publish, 1 play); returns its id and the whole reply body.
    pub async fn create_session(
        &mut self,
        kind: u8,
        stream_id: &str,
        stream_params: &str,
    ) -> Result<(u64, Value)> {
        let rsp = self
            .request(
                "CreateSessionReq",
                0,
                json!({"type": kind, "stream_id": stream_id, "platform": "rust",
                "browser": "none", "version": "1", "app_id": self.appid, "negotiate_mode": 0,
                "strAuthParam": stream_params, "sdk_version": 1}),
            )
            .await?;
        let sid = rsp["body"]["session_id"].as_u64().unwrap_or(0);
        Ok((sid, rsp["body"].clone()))
    }

    /// Sends the offer; returns the answer and the server's candidates (acknowledging both).
    pub async fn negotiate(
        &mut self,
        session_id: u64,
        offer: &str,
    ) -> Result<(String, Vec<String>)> {
        self.request("MediaDescReq", session_id, json!({"type": 0, "sdp": offer}))
            .await?;
        let push = self.expect("MediaDescPush").await?;
        self.send("MediaDescAck", session_id, json!({"result": 0}))
            .await?;
        let answer = push["body"]["sdp"].as_str().unwrap_or("").to_string();
        let cands = self.expect("CandidateInfoPush").await?;
        self.send("CandidateInfoAck", session_id, json!({"result": 0}))
            .await?;
        let list = cands["body"]["infos"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|i| i["candidate"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        Ok((answer, list))
    }
}

/// What a media peer task reports.
#[derive(Debug, Clone, PartialEq)]
pub enum PeerOut {
    /// ICE and DTLS are up.
    Connected,
    /// An RTP packet was received.
    Rtp {
        /// Audio or video.
        kind: MediaKind,
        /// The codec of its payload type.
        codec: Codec,
        /// The sequence number, extended to 64 bits.
        seq: u64,
        /// The RTP timestamp.
        time: u32,
        /// The RTP marker bit.
        marker: bool,
        /// The RTP payload.
        payload: Vec<u8>,
    },
    /// The SFU asked for a keyframe (PLI or FIR).
    KeyframeRequest,
}

/// Commands to a publishing peer.
#[derive(Debug)]
pub enum PeerCmd {
    /// Writes one RTP packet on the track of `kind` with the codec given at creation.
    Rtp {
        /// Audio or video.
        kind: MediaKind,
        /// The sequence number (extended).
        seq: u64,
        /// The RTP timestamp.
        time: u32,
        /// The RTP marker bit.
        marker: bool,
        /// The RTP payload.
        payload: Vec<u8>,
    },
}

/// A running media peer: commands in, reports out.
pub struct MediaPeer {
    /// Commands to the peer.
    pub cmd: mpsc::Sender<PeerCmd>,
    /// What the peer reports.
    pub out: mpsc::Receiver<PeerOut>,
}

impl MediaPeer {
    /// Waits until ICE and DTLS are up, skipping other reports; an error names `who` and says
    /// whether the peer ended or the wait ran out.
    pub async fn wait_connected(
        &mut self,
        who: &str,
        within: Duration,
    ) -> std::result::Result<(), String> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.out.recv()).await {
                Ok(Some(PeerOut::Connected)) => return Ok(()),
                Ok(Some(_)) => {}
                Ok(None) => return Err(format!("{who}: peer ended before connecting")),
                Err(_) => return Err(format!("{who}: not connected in {} s", within.as_secs())),
            }
        }
    }
}

/// The Rtc configuration of the native client: RTP mode, Opus, H.264 42e01f and VP8.
fn client_rtc() -> Rtc {
    let mut cfg = Rtc::builder()
        .set_rtp_mode(true)
        .clear_codecs()
        .enable_opus(true, false);
    cfg.codec_config()
        .add_h264(108.into(), Some(109.into()), true, 0x42e01f);
    cfg.codec_config().enable_vp8(true);
    cfg.build(Instant::now())
}

/// Negotiates a peer over `sig` (session already created) and runs it in a task.
/// `direction` is `SendOnly` for a publisher and `RecvOnly` for a player; `video_codec` is
/// the codec a publisher writes its video with.
pub async fn start_peer(
    sig: &mut MediaSignal,
    session_id: u64,
    kinds: &[MediaKind],
    direction: Direction,
    video_codec: Codec,
) -> Result<MediaPeer> {
    let socket = UdpSocket::bind("127.0.0.1:0")
        .await
        .map_err(|e| ClientError::Io(e.to_string()))?;
    let local = socket
        .local_addr()
        .map_err(|e| ClientError::Io(e.to_string()))?;
    let mut rtc = client_rtc();
    rtc.add_local_candidate(
        Candidate::host(local, "udp").map_err(|e| ClientError::Io(e.to_string()))?,
    );
    let mut change = rtc.sdp_api();
    let mids: Vec<(MediaKind, Mid)> = kinds
        .iter()
        .map(|k| (*k, change.add_media(*k, direction, None, None, None)))
        .collect();
    let (offer, pending): (_, SdpPendingOffer) = change
        .apply()
        .ok_or_else(|| ClientError::Io("no offer".into()))?;
    let (answer, candidates) = sig.negotiate(session_id, &offer.to_sdp_string()).await?;
    let answer = SdpAnswer::from_sdp_string(&answer)
        .map_err(|e| ClientError::Io(format!("bad answer: {e}")))?;
    rtc.sdp_api()
        .accept_answer(pending, answer)
        .map_err(|e| ClientError::Io(e.to_string()))?;
    for c in candidates {
        match Candidate::from_sdp_string(&c) {
            Ok(c) => rtc.add_remote_candidate(c),
            Err(e) => return Err(ClientError::Io(format!("bad candidate {c}: {e}"))),
        }
    }
    let (cmd_tx, cmd_rx) = mpsc::channel(1024);
    let (out_tx, out_rx) = mpsc::channel(65536);
    tokio::spawn(run_peer(
        rtc,
        socket,
        local,
        mids,
        video_codec,
        cmd_rx,
        out_tx,
    ));
    Ok(MediaPeer {
        cmd: cmd_tx,
        out: out_rx,
    })
}

/// The native client's Rtc configuration (RTP mode, Opus, H.264 42e01f packetization-mode 1,
/// VP8), for a peer negotiated outside [`start_peer`], e.g. against another SFU's signalling.
pub fn native_rtc() -> Rtc {
    client_rtc()
}

/// Runs an already negotiated `rtc` on `socket` in a task: the loop [`start_peer`] runs.
/// `send_mids` are the tracks a publisher writes on (empty for a player); `video_codec` is
/// the codec a publisher writes its video with.
pub fn spawn_peer(
    rtc: Rtc,
    socket: UdpSocket,
    send_mids: Vec<(MediaKind, Mid)>,
    video_codec: Codec,
) -> Result<MediaPeer> {
    let local = socket
        .local_addr()
        .map_err(|e| ClientError::Io(e.to_string()))?;
    let (cmd_tx, cmd_rx) = mpsc::channel(1024);
    let (out_tx, out_rx) = mpsc::channel(65536);
    tokio::spawn(run_peer(
        rtc,
        socket,
        local,
        send_mids,
        video_codec,
        cmd_rx,
        out_tx,
    ));
    Ok(MediaPeer {
        cmd: cmd_tx,
        out: out_rx,
    })
}

struct TxTrack {
    kind: MediaKind,
    ssrc: Ssrc,
    pt: Pt,
}

fn find_tx(rtc: &mut Rtc, mids: &[(MediaKind, Mid)], video_codec: Codec) -> Vec<TxTrack> {
    let mut out = Vec::new();
    for (kind, mid) in mids {
        let want = if *kind == MediaKind::Audio {
            Codec::Opus
        } else {
            video_codec
        };
        let remote: Vec<Pt> = rtc
            .media(*mid)
            .map(|m| m.remote_pts().to_vec())
            .unwrap_or_default();
        let pt = rtc
            .codec_config()
            .params()
            .iter()
            .find(|p| p.spec().codec == want && remote.contains(&p.pt()))
            .map(|p| p.pt());
        let ssrc = rtc
            .direct_api()
            .stream_tx_by_mid(*mid, None)
            .map(|s| s.ssrc());
        if let (Some(pt), Some(ssrc)) = (pt, ssrc) {
            out.push(TxTrack {
                kind: *kind,
                ssrc,
                pt,
            });
        }
    }
    out
}

async fn run_peer(
    mut rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    mids: Vec<(MediaKind, Mid)>,
    video_codec: Codec,
    mut cmds: mpsc::Receiver<PeerCmd>,
    out: mpsc::Sender<PeerOut>,
) {
    let mut buf = vec![0u8; 2048];
    let mut tracks: Option<Vec<TxTrack>> = None;
    let mut cmds_open = true;
    loop {
        if out.is_closed() {
            return;
        }
        // Drain.
        let timeout = loop {
            match rtc.poll_output() {
                Ok(Output::Timeout(t)) => break t,
                Ok(Output::Transmit(t)) => {
                    let _ = socket.send_to(&t.contents, t.destination).await;
                }
                Ok(Output::Event(e)) => {
                    let report = match e {
                        Event::Connected => Some(PeerOut::Connected),
                        Event::KeyframeRequest(_) => Some(PeerOut::KeyframeRequest),
                        Event::RtpPacket(p) => {
                            let codec = rtc
                                .codec_config()
                                .params()
                                .iter()
                                .find(|x| x.pt() == p.header.payload_type)
                                .map(|x| x.spec().codec);
                            codec.map(|codec| PeerOut::Rtp {
                                kind: if codec.is_audio() {
                                    MediaKind::Audio
                                } else {
                                    MediaKind::Video
                                },
                                codec,
                                seq: *p.seq_no,
                                time: p.header.timestamp,
                                marker: p.header.marker,
                                payload: p.payload.to_vec(),
                            })
                        }
                        _ => None,
                    };
                    if let Some(r) = report {
                        if out.send(r).await.is_err() {
                            return;
                        }
                    }
                }
                Err(_) => return,
            }
        };
        let wait = timeout
            .saturating_duration_since(Instant::now())
            .min(Duration::from_millis(100));
        tokio::select! {
            r = socket.recv_from(&mut buf) => {
                if let Ok((n, src)) = r {
                    if let Ok(recv) = Receive::new(Protocol::Udp, src, local, &buf[..n]) {
                        let _ = rtc.handle_input(Input::Receive(Instant::now(), recv));
                    }
                }
            }
            c = cmds.recv(), if cmds_open => match c {
                Some(PeerCmd::Rtp { kind, seq, time, marker, payload }) => {
                    if tracks.is_none() {
                        tracks = Some(find_tx(&mut rtc, &mids, video_codec));
                    }
                    if let Some(t) = tracks.as_ref().and_then(|ts| ts.iter().find(|t| t.kind == kind)) {
                        let (ssrc, pt) = (t.ssrc, t.pt);
                        if let Some(tx) = rtc.direct_api().stream_tx(&ssrc) {
                            tx.write_rtp(RtpWrite::new(pt, seq.into(), time, Instant::now(), payload).marker(marker).nackable(true));
                        }
                    }
                }
                // No more commands: keep receiving until the owner drops the events.
                None => cmds_open = false,
            },
            _ = tokio::time::sleep(wait) => {
                let _ = rtc.handle_input(Input::Timeout(Instant::now()));
            }
        }
    }
}
