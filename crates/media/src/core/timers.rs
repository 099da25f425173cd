//! Deadlines: each peer's str0m timer and, until it connects, its connect deadline, both in
//! ordered sets keyed by time, so the next deadline is the first entry and a due one costs
//! nothing for the peers that are not due.

use super::Core;
use crate::peer::Peer;
use crate::PeerId;
use std::time::Instant;
use str0m::Input;

impl Core {
    /// The earliest deadline of any peer.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        let rtc = self.rtc_timers.first().map(|(t, _)| *t);
        let connect = self.connect_timers.first().map(|(t, _)| *t);
        match (rtc, connect) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Runs every deadline up to `self.now`: str0m timers, then peers that did not connect.
    pub(super) fn on_timeout(&mut self) {
        let now = self.now;
        while let Some(&(t, id)) = self.rtc_timers.first() {
            if t > now {
                break;
            }
            self.rtc_timers.remove(&(t, id));
            if let Some(p) = self.peers.get_mut(&id) {
                p.rtc_deadline = None;
                if let Err(e) = p.rtc.handle_input(Input::Timeout(now)) {
                    tracing::debug!(peer = id, error = %e, "timeout input failed");
                }
                self.drain(id);
            }
        }
        self.process_queue();
        while let Some(&(t, id)) = self.connect_timers.first() {
            if t > now {
                break;
            }
            self.connect_timers.remove(&(t, id));
            let Some(p) = self.peers.get_mut(&id) else {
                continue;
            };
            p.connect_deadline = None;
            if !p.connected {
                tracing::info!(peer = id, connected = false, "media peer timed out");
                self.drop_peer(id);
            }
        }
        self.process_queue();
    }

    /// Files the peer under its str0m deadline `t` (moving it from an earlier one).
    pub(super) fn set_rtc_deadline(&mut self, id: PeerId, t: Instant) {
        let Some(p) = self.peers.get_mut(&id) else {
            return;
        };
        if p.rtc_deadline != Some(t) {
            if let Some(old) = p.rtc_deadline.take() {
                self.rtc_timers.remove(&(old, id));
            }
            p.rtc_deadline = Some(t);
            self.rtc_timers.insert((t, id));
        }
    }

    /// The peer is dropped at `t` unless it connected by then.
    pub(super) fn set_connect_deadline(&mut self, id: PeerId, t: Instant) {
        let Some(p) = self.peers.get_mut(&id) else {
            return;
        };
        if let Some(old) = p.connect_deadline.replace(t) {
            self.connect_timers.remove(&(old, id));
        }
        self.connect_timers.insert((t, id));
    }

    /// The peer connected: no connect deadline any more.
    pub(super) fn clear_connect_deadline(&mut self, id: PeerId) {
        if let Some(t) = self
            .peers
            .get_mut(&id)
            .and_then(|p| p.connect_deadline.take())
        {
            self.connect_timers.remove(&(t, id));
        }
    }

    /// Removes a peer that is being dropped from both sets.
    pub(super) fn clear_timers(&mut self, p: &Peer) {
        if let Some(d) = p.rtc_deadline {
            self.rtc_timers.remove(&(d, p.id));
        }
        if let Some(d) = p.connect_deadline {
            self.connect_timers.remove(&(d, p.id));
        }
    }
}
