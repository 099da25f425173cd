//! Publish-to-HTTP-FLV latency: how long a video frame takes from a WebRTC publisher to an
//! HTTP-FLV viewer, and how long a viewer waits for its first frame. Ignored by default (a
//! benchmark, not a timed test): `cargo test -p liveroom-server --release --test integration flv_latency
//! -- --ignored --nocapture`; figures and method in docs/benchmarks.md.
//!
//! H.264 passes through the FLV output unchanged, so a frame is recognised on both sides by
//! its bytes: the publisher rebuilds every slice NAL it sends from its RTP packets (single
//! NAL, STAP-A, FU-A) and notes a hash of it with the instant the frame's first packet was
//! handed to the WebRTC client; the viewer parses the FLV stream, hashes the slice NALs of
//! each video tag and matches them. Both ends run in this process, so they share one clock.

use crate::common;
use common::*;
use liveroom_client::media::{start_peer, PeerCmd, PeerOut};
use liveroom_media::MediaCodec;
use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Frames measured per run, after `WARMUP` of viewing. The warm-up is long enough to skip
/// the video-only output's start-up backlog (see docs/benchmarks.md).
const FRAMES: usize = 300;
const WARMUP: Duration = Duration::from_secs(8);
/// Viewers joining a running output (each waits for the next key frame, so the figure
/// depends on where in the 1 s group of pictures it joins: the joins are spread over it).
const LATE_JOINS: usize = 10;
/// Output starts measured (first viewer of a stream that has no output yet).
const COLD_STARTS: usize = 5;
/// A sent frame not seen by then is forgotten (a viewer that joins later never sees it).
const FORGET: Duration = Duration::from_secs(3);

/// Send instants of the slice NALs the publisher sent, by hash of the whole NAL. A deque,
/// not one instant: two identical slices (a still picture) must not be matched to the wrong
/// send.
#[derive(Clone, Default)]
struct Sent(Arc<Mutex<HashMap<u64, VecDeque<Instant>>>>);

impl Sent {
    fn note(&self, nal: &[u8], at: Instant) {
        let mut m = self.0.lock().unwrap();
        m.entry(hash(nal)).or_default().push_back(at);
    }

    /// The send instant of `nal` seen at `now`, if the publisher sent it.
    fn take(&self, nal: &[u8], now: Instant) -> Option<Instant> {
        let mut m = self.0.lock().unwrap();
        let q = m.get_mut(&hash(nal))?;
        while q.front().is_some_and(|t| now.duration_since(*t) > FORGET) {
            q.pop_front();
        }
        q.pop_front()
    }
}

fn hash(b: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    b.hash(&mut h);
    h.finish()
}

/// Coded slices: the NALs that carry a picture (non-IDR and IDR).
fn is_slice(nal: &[u8]) -> bool {
    matches!(nal.first().map(|b| b & 0x1f), Some(1 | 5))
}

/// Rebuilds NAL units from H.264 RTP payloads (RFC 6184, packetization mode 1) as the
/// publisher sends them, noting each slice with the send instant of its frame's first packet.
#[derive(Default)]
struct Depacketizer {
    frame: Option<(u32, Instant)>,
    fu: Vec<u8>,
}

impl Depacketizer {
    fn push(&mut self, time: u32, payload: &[u8], at: Instant, sent: &Sent) {
        let start = match self.frame {
            Some((t, s)) if t == time => s,
            _ => {
                self.frame = Some((time, at));
                at
            }
        };
        let Some(&h) = payload.first() else { return };
        let note = |nal: &[u8]| {
            if is_slice(nal) {
                sent.note(nal, start)
            }
        };
        match h & 0x1f {
            1..=23 => note(payload),
            // STAP-A: 16-bit sizes, then NALs.
            24 => {
                let mut rest = &payload[1..];
                while rest.len() >= 2 {
                    let n = u16::from_be_bytes([rest[0], rest[1]]) as usize;
                    let Some(nal) = rest.get(2..2 + n) else { break };
                    note(nal);
                    rest = &rest[2 + n..];
                }
            }
            // FU-A: the NAL header is rebuilt from the indicator's F/NRI and the header's type.
            28 if payload.len() > 2 => {
                let fu = payload[1];
                if fu & 0x80 != 0 {
                    self.fu.clear();
                    self.fu.push((h & 0xe0) | (fu & 0x1f));
                }
                if !self.fu.is_empty() {
                    self.fu.extend_from_slice(&payload[2..]);
                }
                if fu & 0x40 != 0 && !self.fu.is_empty() {
                    note(&self.fu);
                    self.fu.clear();
                }
            }
            _ => {}
        }
    }
}

/// Publishes the GStreamer test source (320×240 25 fps H.264, key frame every second, and
/// Opus when `audio`) as `stream` over real WebRTC, noting every video slice it sends.
/// Drop the returned handle's task (abort) and the signalling to stop publishing.
async fn publish(
    s: &TestServer,
    stream: &str,
    audio: bool,
    sent: Sent,
) -> (MediaLogin, tokio::task::JoinHandle<()>) {
    let user = format!("pub-{stream}");
    let mut sig = s.media_login("room", &user).await;
    let (sid, _) = sig.create_session(0, stream, "").await.unwrap();
    let kinds: &[MediaKind] = if audio {
        &[MediaKind::Audio, MediaKind::Video]
    } else {
        &[MediaKind::Video]
    };
    let mut peer = start_peer(&mut sig, sid, kinds, Direction::SendOnly, Codec::H264)
        .await
        .unwrap();
    wait_peer(&mut peer, |e| *e == PeerOut::Connected).await;
    let src = liveroom_live::testsrc::start(Some(MediaCodec::H264), audio).expect("test source");
    let feed = tokio::spawn(async move {
        // Moved whole into the task (not just `packets`): the source's pipeline lives as
        // long as the feed.
        let mut src = src;
        let (mut vseq, mut aseq) = (1000u64, 5000u64);
        let mut depay = Depacketizer::default();
        while let Some(p) = src.packets.recv().await {
            let (kind, seq) = if p.video {
                vseq += 1;
                // The instant the packet goes to the WebRTC client, which sends it at once.
                depay.push(p.time, &p.payload, Instant::now(), &sent);
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
            // Answer the server's key-frame requests (it asks when an output taps the
            // stream), as a browser would.
            while let Ok(ev) = peer.out.try_recv() {
                if ev == PeerOut::KeyframeRequest {
                    src.request_keyframe();
                }
            }
        }
    });
    (sig, feed)
}

/// Appends what `tcp` has to `buf`; returns the instant it arrived.
async fn read_more(
    tcp: &mut tokio::net::TcpStream,
    buf: &mut Vec<u8>,
    chunk: &mut [u8],
) -> Instant {
    let n = tokio::time::timeout(Duration::from_secs(10), tcp.read(chunk))
        .await
        .expect("FLV data in time")
        .unwrap();
    let at = Instant::now();
    assert!(n > 0, "FLV stream ended");
    buf.extend_from_slice(&chunk[..n]);
    at
}

/// What one viewer saw.
struct Viewed {
    /// Request sent → first video tag carrying a picture.
    first_frame: Duration,
    /// Send → receive of each matched frame after the warm-up.
    latencies: Vec<Duration>,
    /// Picture tags after the warm-up whose slices the publisher never noted.
    unmatched: usize,
}

/// Reads `GET /live/{APPID}/{stream}.flv` until `frames` frames after `warmup` are matched
/// (`frames` 0: until the first picture). HTTP/1.0, so the body is the raw FLV stream (no
/// chunked framing to undo), read as it arrives.
async fn view(
    s: &TestServer,
    stream: &str,
    sent: &Sent,
    warmup: Duration,
    frames: usize,
) -> Viewed {
    let asked = Instant::now();
    let mut tcp = tokio::net::TcpStream::connect(&s.addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let req = format!(
        "GET /live/{APPID}/{stream}.flv HTTP/1.0\r\nHost: {}\r\n\r\n",
        s.addr
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        read_more(&mut tcp, &mut buf, &mut chunk).await;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
    assert!(
        head.starts_with("http/1.") && head.contains(" 200 "),
        "{head}"
    );
    assert!(!head.contains("chunked"), "{head}");
    // The FLV file header and PreviousTagSize0.
    while buf.len() < head_end + 13 {
        read_more(&mut tcp, &mut buf, &mut chunk).await;
    }
    buf.drain(..head_end + 13);
    let (mut at, mut len_size, mut first_frame) = (Instant::now(), 4, None);
    let (mut latencies, mut unmatched) = (Vec::new(), 0);
    loop {
        // One whole tag: 11-byte header, data, 4-byte PreviousTagSize.
        while buf.len() < 11
            || buf.len() < 15 + u32::from_be_bytes([0, buf[1], buf[2], buf[3]]) as usize
        {
            at = read_more(&mut tcp, &mut buf, &mut chunk).await;
        }
        let size = u32::from_be_bytes([0, buf[1], buf[2], buf[3]]) as usize;
        let tag: Vec<u8> = buf.drain(..15 + size).collect();
        let data = &tag[11..11 + size];
        // Video (9), AVC (codec 7).
        if tag[0] & 0x1f != 9 || data.len() < 5 || data[0] & 0x0f != 7 {
            continue;
        }
        if data[1] == 0 {
            // AVCDecoderConfigurationRecord: lengthSizeMinusOne in byte 4.
            len_size = (data.get(9).map_or(3, |b| b & 3) + 1) as usize;
            continue;
        }
        let first = *first_frame.get_or_insert_with(|| at - asked);
        if frames == 0 {
            return Viewed {
                first_frame: first,
                latencies,
                unmatched,
            };
        }
        if at - asked < first + warmup {
            continue;
        }
        // AVCPacketType 1: NALUs, each after a big-endian length of `len_size` bytes.
        let mut rest = &data[5..];
        let mut matched = None;
        while rest.len() >= len_size {
            let n = rest[..len_size]
                .iter()
                .fold(0usize, |a, b| (a << 8) | *b as usize);
            let Some(nal) = rest.get(len_size..len_size + n) else {
                break;
            };
            if is_slice(nal) {
                if let Some(t) = sent.take(nal, at) {
                    matched.get_or_insert(t);
                }
            }
            rest = &rest[len_size + n..];
        }
        match matched {
            Some(t) => latencies.push(at - t),
            None => unmatched += 1,
        }
        if latencies.len() >= frames {
            return Viewed {
                first_frame: first,
                latencies,
                unmatched,
            };
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// min / median / p95 / max.
fn summary(mut v: Vec<Duration>) -> String {
    v.sort();
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    format!(
        "n={} min {} · median {} · p95 {} · max {}",
        v.len(),
        ms(v[0]),
        ms(at(0.5)),
        ms(at(0.95)),
        ms(v[v.len() - 1])
    )
}

/// One stream: frame latency on a long-running viewer, then late joins, then cold starts.
async fn run(s: &TestServer, stream: &str, audio: bool) {
    let sent = Sent::default();
    let (_sig, feed) = publish(s, stream, audio, sent.clone()).await;
    // Let the publisher settle (first key frame through the SFU).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let long = view(s, stream, &sent, WARMUP, FRAMES).await;
    println!(
        "[{stream}] frame latency: {} (unmatched picture tags: {})",
        summary(long.latencies),
        long.unmatched
    );
    // Late viewers, joining while one viewer keeps the output running: they wait for the
    // publisher's next key frame, so the joins are spread over the 1 s group of pictures.
    let keep = {
        let (s_addr, stream) = (s.addr.clone(), stream.to_string());
        tokio::spawn(async move {
            let mut tcp = tokio::net::TcpStream::connect(&s_addr).await.unwrap();
            let req = format!("GET /live/{APPID}/{stream}.flv HTTP/1.0\r\n\r\n");
            tcp.write_all(req.as_bytes()).await.unwrap();
            let mut b = vec![0u8; 64 * 1024];
            while tcp.read(&mut b).await.is_ok_and(|n| n > 0) {}
        })
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut late = Vec::new();
    for i in 0..LATE_JOINS {
        late.push(view(s, stream, &sent, Duration::ZERO, 0).await.first_frame);
        // A viewer starts on a key frame: the next joins i × 100 ms after one.
        tokio::time::sleep(Duration::from_millis(100) * i as u32).await;
    }
    println!(
        "[{stream}] late viewer, request → first picture: {}",
        summary(late)
    );
    keep.abort();
    // Cold starts: the output stops once its last viewer is gone (it looks every 500 ms,
    // `FLV_CHECK`); 2 s later the next request starts a new one.
    let mut cold = vec![long.first_frame];
    for i in 0..COLD_STARTS {
        tokio::time::sleep(Duration::from_millis(2000 + 150 * i as u64)).await;
        cold.push(view(s, stream, &sent, Duration::ZERO, 0).await.first_frame);
    }
    println!(
        "[{stream}] first viewer (output start), request → first picture: {}",
        summary(cold)
    );
    feed.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark, run by hand in release (docs/benchmarks.md), not a check"]
async fn publish_to_flv_latency() {
    let s = TestServer::start(&[]).await;
    run(&s, "av", true).await;
    run(&s, "v", false).await;
}
