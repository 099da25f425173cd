//! The bytes of a pipe (docs/cluster.md, "Media across nodes"): the body of the stream node's
//! answer to `GET /internal/v1/pipe`, a sequence of frames `[kind u8][length u32 BE][body]`:
//!
//! - `TRACKS` (JSON `{"audio": "opus"|null, "video": "h264"|"vp8"|null}`): the codecs of what
//!   follows; first, and again whenever the source's codecs change;
//! - `PACKET`: `[flags u8][seq u16 BE][time u32 BE][payload]`, flags bit 0 video, bit 1 marker;
//! - `PING` (empty): sent when nothing else was for a while, so a dead stream node is noticed.
//!
//! Pure code: the tests below are its specification.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use liveroom_media::{InjectPacket, InjectTracks, MediaCodec};
use std::sync::Arc;

/// Largest frame body (an RTP payload is at most a datagram).
pub const MAX_FRAME_BODY: usize = 64 * 1024;
/// Bytes before a frame's body.
const FRAME_HEAD: usize = 5;
const TRACKS: u8 = 1;
const PACKET: u8 = 2;
const PING: u8 = 3;
const PACKET_HEAD: usize = 7;
const FLAG_VIDEO: u8 = 1;
const FLAG_MARKER: u8 = 2;

/// One frame of a pipe.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Tracks(InjectTracks),
    Packet(InjectPacket),
    Ping,
}

/// Why a pipe's bytes were refused (the pipe is then cut and started again).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PipeWireError {
    #[error("frame of {0} bytes is over the limit")]
    TooBig(usize),
    #[error("unknown frame kind {0}")]
    UnknownKind(u8),
    #[error("bad tracks frame: {0}")]
    BadTracks(String),
    #[error("packet frame of {0} bytes is too short")]
    ShortPacket(usize),
}

fn codec_name(c: Option<MediaCodec>) -> serde_json::Value {
    match c {
        Some(MediaCodec::Opus) => "opus".into(),
        Some(MediaCodec::H264) => "h264".into(),
        Some(MediaCodec::Vp8) => "vp8".into(),
        None => serde_json::Value::Null,
    }
}

fn codec_of(v: &serde_json::Value) -> Result<Option<MediaCodec>, PipeWireError> {
    match v {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(s) => match s.as_str() {
            "opus" => Ok(Some(MediaCodec::Opus)),
            "h264" => Ok(Some(MediaCodec::H264)),
            "vp8" => Ok(Some(MediaCodec::Vp8)),
            other => Err(PipeWireError::BadTracks(format!("unknown codec {other:?}"))),
        },
        other => Err(PipeWireError::BadTracks(format!("codec {other}"))),
    }
}

/// Appends one frame to `out`.
pub fn encode(frame: &Frame, out: &mut BytesMut) {
    match frame {
        Frame::Tracks(t) => {
            let body =
                serde_json::json!({"audio": codec_name(t.audio), "video": codec_name(t.video)})
                    .to_string();
            out.put_u8(TRACKS);
            out.put_u32(body.len() as u32);
            out.put_slice(body.as_bytes());
        }
        Frame::Packet(p) => {
            out.put_u8(PACKET);
            out.put_u32((PACKET_HEAD + p.payload.len()) as u32);
            let mut flags = 0;
            if p.video {
                flags |= FLAG_VIDEO;
            }
            if p.marker {
                flags |= FLAG_MARKER;
            }
            out.put_u8(flags);
            out.put_u16(p.seq);
            out.put_u32(p.time);
            out.put_slice(&p.payload);
        }
        Frame::Ping => {
            out.put_u8(PING);
            out.put_u32(0);
        }
    }
}

/// Reads frames out of a pipe's bytes as they arrive, in whatever pieces.
#[derive(Default)]
pub struct Decoder {
    buf: BytesMut,
}

impl Decoder {
    /// Adds bytes that arrived.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole frame, if one has arrived.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, PipeWireError> {
        if self.buf.len() < FRAME_HEAD {
            return Ok(None);
        }
        let kind = self.buf[0];
        let len = u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]) as usize;
        if len > MAX_FRAME_BODY {
            return Err(PipeWireError::TooBig(len));
        }
        if self.buf.len() < FRAME_HEAD + len {
            return Ok(None);
        }
        self.buf.advance(FRAME_HEAD);
        let mut body: Bytes = self.buf.split_to(len).freeze();
        match kind {
            TRACKS => {
                let v: serde_json::Value = serde_json::from_slice(&body)
                    .map_err(|e| PipeWireError::BadTracks(e.to_string()))?;
                Ok(Some(Frame::Tracks(InjectTracks {
                    audio: codec_of(&v["audio"])?,
                    video: codec_of(&v["video"])?,
                })))
            }
            PACKET => {
                if len < PACKET_HEAD {
                    return Err(PipeWireError::ShortPacket(len));
                }
                let flags = body.get_u8();
                let seq = body.get_u16();
                let time = body.get_u32();
                Ok(Some(Frame::Packet(InjectPacket {
                    video: flags & FLAG_VIDEO != 0,
                    seq,
                    time,
                    marker: flags & FLAG_MARKER != 0,
                    payload: Arc::from(&body[..]),
                })))
            }
            PING => Ok(Some(Frame::Ping)),
            other => Err(PipeWireError::UnknownKind(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(video: bool, seq: u16, payload: &[u8]) -> Frame {
        Frame::Packet(InjectPacket {
            video,
            seq,
            time: 90_000 + seq as u32,
            marker: video,
            payload: Arc::from(payload),
        })
    }

    #[test]
    fn frames_come_back_whole_however_the_bytes_are_cut() {
        let frames = vec![
            Frame::Tracks(InjectTracks {
                audio: Some(MediaCodec::Opus),
                video: Some(MediaCodec::H264),
            }),
            packet(true, 65535, &[0x65, 1, 2, 3]),
            Frame::Ping,
            packet(false, 0, &[]),
            Frame::Tracks(InjectTracks {
                audio: None,
                video: Some(MediaCodec::Vp8),
            }),
        ];
        let mut out = BytesMut::new();
        for f in &frames {
            encode(f, &mut out);
        }
        for cut in [1, 2, 3, 7, 100] {
            let mut d = Decoder::default();
            let mut got = Vec::new();
            for piece in out.chunks(cut) {
                d.push(piece);
                while let Some(f) = d.next_frame().unwrap() {
                    got.push(f);
                }
            }
            assert_eq!(got, frames, "cut into pieces of {cut}");
        }
    }

    #[test]
    fn bad_bytes_are_refused_not_trusted() {
        let mut d = Decoder::default();
        d.push(&[9, 0, 0, 0, 0]);
        assert_eq!(d.next_frame(), Err(PipeWireError::UnknownKind(9)));
        let mut d = Decoder::default();
        d.push(&[PACKET, 0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(d.next_frame(), Err(PipeWireError::TooBig(_))));
        let mut d = Decoder::default();
        d.push(&[PACKET, 0, 0, 0, 3, 1, 2, 3]);
        assert_eq!(d.next_frame(), Err(PipeWireError::ShortPacket(3)));
        let mut d = Decoder::default();
        let body = br#"{"audio":"aac","video":null}"#;
        d.push(&[TRACKS, 0, 0, 0, body.len() as u8]);
        d.push(body);
        assert!(matches!(d.next_frame(), Err(PipeWireError::BadTracks(_))));
    }
}
