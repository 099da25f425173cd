//! One WebRTC peer: a publisher (receives a stream's tracks) or a player (sends copies).

use crate::forward::{GopCache, TrackOut};
use crate::{PeerId, Role, StreamKey};
use std::net::SocketAddr;
use std::time::Instant;
use str0m::media::{MediaKind, Mid};
use str0m::rtp::Ssrc;
use str0m::Rtc;

/// A player's outgoing track of one kind.
pub struct OutTrack {
    pub mid: Mid,
    pub ssrc: Option<Ssrc>,
    pub track: TrackOut,
}

pub struct Peer {
    pub id: PeerId,
    pub key: StreamKey,
    pub role: Role,
    pub rtc: Rtc,
    pub ufrag: String,
    /// Our ICE password (the key of the browser's checks), for early nomination.
    pub ice_pwd: String,
    /// Whether a check of this peer was already taken as its nomination.
    pub nominated: bool,
    pub created: Instant,
    pub connected: bool,
    /// The str0m deadline this peer is filed under in the core's timer set.
    pub rtc_deadline: Option<Instant>,
    /// Until it connects: when the peer is dropped if it has not (filed in the core too).
    pub connect_deadline: Option<Instant>,
    pub addrs: Vec<SocketAddr>,
    /// Publisher: SSRCs of incoming video, for key-frame requests.
    pub video_ssrcs: Vec<Ssrc>,
    /// Publisher: mids of incoming video (their streams exist once the offer declared SSRCs).
    pub video_mids: Vec<Mid>,
    /// Publisher: the offer has an incoming audio track.
    pub has_audio: bool,
    pub last_keyframe_request: Option<Instant>,
    /// Publisher: video since the last key frame.
    pub gop: GopCache,
    /// Player: the outgoing tracks.
    pub audio_out: Option<OutTrack>,
    pub video_out: Option<OutTrack>,
}

impl Peer {
    pub fn new(
        id: PeerId,
        key: StreamKey,
        role: Role,
        rtc: Rtc,
        ufrag: String,
        ice_pwd: String,
        now: Instant,
    ) -> Peer {
        Peer {
            id,
            key,
            role,
            rtc,
            ufrag,
            ice_pwd,
            nominated: false,
            created: now,
            connected: false,
            rtc_deadline: None,
            connect_deadline: None,
            addrs: Vec::new(),
            video_ssrcs: Vec::new(),
            video_mids: Vec::new(),
            has_audio: false,
            last_keyframe_request: None,
            gop: GopCache::default(),
            audio_out: None,
            video_out: None,
        }
    }

    pub fn out_track(&mut self, kind: MediaKind) -> Option<&mut OutTrack> {
        match kind {
            MediaKind::Audio => self.audio_out.as_mut(),
            MediaKind::Video => self.video_out.as_mut(),
        }
    }
}
