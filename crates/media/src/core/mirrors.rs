//! A stream spread over workers. The SFU runs one core per worker thread (`rtc.workers`, one
//! per CPU core by default); every stream has a *home* worker (a hash of its key) that owns its
//! source (publisher or injected), its taps and its first [`PLAYERS_BEFORE_SPREAD`] players.
//! Further players of a big stream are placed on the worker that has the fewest of them (the
//! home worker's own players counted, so the load evens out): the home core hands
//! the `Open` command on ([`Relay::Open`]), the chosen core answers it and subscribes to the
//! stream ([`Relay::Subscribe`]); from then on the home core relays each packet of the source
//! once per subscribed worker ([`Relay::Rtp`], the payload shared, not copied), and that core
//! fans it out to its own players with their own SRTP, RTCP, NACK/RTX and TWCC, exactly as the
//! home core does for its players. A mirrored stream keeps its own group of pictures for the
//! players that join on its worker, asks the home core for key frames ([`Relay::Keyframe`],
//! rate limited on both sides) and unsubscribes when its last player there leaves.
//!
//! Small streams never spread: a room of a few players costs no relaying at all.

use super::{Core, Stream, KEYFRAME_REQUEST_MIN_INTERVAL};
use crate::forward::{Fwd, GopCache};
use crate::{AvStatus, PeerEvent, Role, SfuCmd, StreamKey};
use std::time::Instant;
use str0m::format::PayloadParams;
use str0m::media::MediaKind;

/// Players of a stream its home worker takes before it places further ones on other workers.
pub const PLAYERS_BEFORE_SPREAD: usize = 32;
/// Most media workers (ids and ICE ufrags name their worker).
pub const MAX_WORKERS: usize = 64;

/// A message between two workers' cores (the shells carry them over the workers' inboxes).
pub enum Relay {
    /// Home → worker: open this player here (its reply and events go with it).
    Open(SfuCmd),
    /// Worker → home: this worker has players of the stream; send it the stream's packets.
    Subscribe {
        /// The stream.
        key: StreamKey,
        /// The subscribing worker.
        worker: usize,
    },
    /// Worker → home: its last player of the stream is gone.
    Unsubscribe {
        /// The stream.
        key: StreamKey,
        /// The worker.
        worker: usize,
    },
    /// Home → worker: one packet of the stream's source (boxed: one allocation per packet
    /// and mirror, not per player).
    Rtp(Box<Relayed>),
    /// Home → worker: the publisher's camera/mic status.
    Status {
        /// The stream.
        key: StreamKey,
        /// The status.
        status: AvStatus,
    },
    /// Worker → home: a player there needs a key frame.
    Keyframe {
        /// The stream.
        key: StreamKey,
    },
}

/// One packet of a stream's source, relayed to a mirror.
pub struct Relayed {
    /// The stream.
    pub key: StreamKey,
    /// The source's payload parameters of the packet.
    pub src: PayloadParams,
    /// The packet (its payload shared with every other receiver).
    pub fwd: Fwd,
}

/// A stream whose source is on another worker.
#[derive(Default)]
pub(super) struct MirrorSource {
    /// The source's video since its last key frame, for players that join here.
    pub gop: GopCache,
    pub last_keyframe_request: Option<Instant>,
}

/// The home worker of a stream.
pub fn home_worker(key: &StreamKey, workers: usize) -> usize {
    use std::hash::{Hash, Hasher};
    // SipHash with fixed keys: the same worker for a key in every handle and every run.
    let mut h = std::hash::DefaultHasher::new();
    key.hash(&mut h);
    (h.finish() % workers as u64) as usize
}

impl Core {
    /// Where a new peer of `key` goes: None here, or the worker a big stream's player is
    /// placed on.
    pub(super) fn placement(&mut self, key: &StreamKey, role: Role) -> Option<usize> {
        if self.workers == 1 || role != Role::Play {
            return None;
        }
        let s = self.streams.get_mut(key)?;
        if s.mirror.is_some() || s.players.len() < PLAYERS_BEFORE_SPREAD {
            return None;
        }
        s.placed.resize(self.workers, 0);
        let here = self.worker;
        let load = |w: usize| {
            if w == here {
                s.players.len()
            } else {
                s.placed[w]
            }
        };
        let w = (0..self.workers)
            .min_by_key(|w| (load(*w), *w != here))
            .unwrap_or(here);
        if w == here {
            return None;
        }
        s.placed[w] += 1;
        Some(w)
    }

    /// A player opened here for a stream whose home is another worker: the stream becomes a
    /// mirror and subscribes (once) to its home.
    pub(super) fn mirror_for_player(&mut self, key: &StreamKey) {
        let home = home_worker(key, self.workers);
        if home == self.worker {
            return;
        }
        let s = self.streams.entry(key.clone()).or_default();
        if s.mirror.is_none() {
            s.mirror = Some(MirrorSource::default());
            self.relays.push_back((
                home,
                Relay::Subscribe {
                    key: key.clone(),
                    worker: self.worker,
                },
            ));
        }
    }

    /// Drops a stream nothing uses any more; a mirror tells its home it needs no more packets.
    pub(super) fn release_stream(&mut self, key: &StreamKey) {
        let Some(s) = self.streams.get(key) else {
            return;
        };
        if !s.unused() {
            return;
        }
        if let Some(Stream {
            mirror: Some(_), ..
        }) = self.streams.remove(key)
        {
            self.relays.push_back((
                home_worker(key, self.workers),
                Relay::Unsubscribe {
                    key: key.clone(),
                    worker: self.worker,
                },
            ));
        }
    }

    /// Copies a packet to the stream's mirrors (on its home worker).
    pub(super) fn relay_packet(&mut self, key: &StreamKey, src: &PayloadParams, fwd: &Fwd) {
        let Some(s) = self.streams.get(key) else {
            return;
        };
        for w in &s.mirrors {
            self.relays.push_back((
                *w,
                Relay::Rtp(Box::new(Relayed {
                    key: key.clone(),
                    src: *src,
                    fwd: fwd.clone(),
                })),
            ));
        }
    }

    /// Asks the home worker for a key frame for a mirrored stream (rate limited here too).
    /// False if the stream is not a mirror.
    pub(super) fn request_mirror_keyframe(&mut self, key: &StreamKey) -> bool {
        let now = self.now;
        let Some(m) = self.streams.get_mut(key).and_then(|s| s.mirror.as_mut()) else {
            return false;
        };
        if m.last_keyframe_request
            .is_none_or(|t| now.duration_since(t) >= KEYFRAME_REQUEST_MIN_INTERVAL)
        {
            m.last_keyframe_request = Some(now);
            self.relays.push_back((
                home_worker(key, self.workers),
                Relay::Keyframe { key: key.clone() },
            ));
        }
        true
    }

    pub(super) fn on_relay(&mut self, relay: Relay) {
        match relay {
            Relay::Open(SfuCmd::Open {
                key,
                role,
                owner,
                offer,
                events,
                reply,
            }) => {
                let r = self.open(key, role, owner, &offer, events);
                let _ = reply.send(r);
            }
            Relay::Open(_) => {}
            Relay::Subscribe { key, worker } => {
                let s = self.streams.entry(key.clone()).or_default();
                if !s.mirrors.contains(&worker) {
                    s.mirrors.push(worker);
                }
                let status = s.status;
                self.relays.push_back((
                    worker,
                    Relay::Status {
                        key: key.clone(),
                        status,
                    },
                ));
                // The current group of pictures first, so the mirror can start its players
                // at once; then a fresh key frame keeps the next joiner's wait short.
                if let Some((src, packets)) = self.source_gop(&key) {
                    for fwd in packets {
                        self.relays.push_back((
                            worker,
                            Relay::Rtp(Box::new(Relayed {
                                key: key.clone(),
                                src,
                                fwd,
                            })),
                        ));
                    }
                }
                self.request_source_keyframe(&key);
            }
            Relay::Unsubscribe { key, worker } => {
                if let Some(s) = self.streams.get_mut(&key) {
                    s.mirrors.retain(|w| *w != worker);
                    if let Some(n) = s.placed.get_mut(worker) {
                        *n = 0;
                    }
                }
                self.release_stream(&key);
            }
            Relay::Rtp(r) => {
                let Relayed { key, src, fwd } = *r;
                let Some(m) = self.streams.get_mut(&key).and_then(|s| s.mirror.as_mut()) else {
                    return;
                };
                if fwd.kind == MediaKind::Video {
                    m.gop.push(&fwd, &src);
                }
                if self.fan_out(&key, &src, &fwd) {
                    self.request_mirror_keyframe(&key);
                }
            }
            Relay::Status { key, status } => {
                let Some(s) = self.streams.get_mut(&key) else {
                    return;
                };
                if s.mirror.is_none() || s.status == status {
                    return;
                }
                s.status = status;
                for pid in s.players.clone() {
                    self.emit(pid, PeerEvent::StreamStatus(pid, status));
                }
            }
            Relay::Keyframe { key } => self.request_source_keyframe(&key),
        }
    }
}
