//! The registry of live rooms and of who is logged in where.
//!
//! Each room is an actor task (see `rooms::actor`) behind a bounded command channel; the maps
//! here are held only for a lookup or an insert, never across an await.

use crate::integrations::webhooks::Webhooks;
use crate::metrics::Metrics;
use crate::rooms::actor::{self as room_actor, RoomHost};
use crate::rooms::clock::Clock;
use crate::rooms::commands::{AdminCmd, Claim, RoomCmd, RoomKey, CLOSING, ROOM_INBOX};
use crate::rooms::member_queue::SessionOutbox;
use crate::sync::lock;
use liveroom_proto::body::LoginRsp;
use liveroom_proto::ErrCode;
use liveroom_room::{LoginInput, Settings};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// How many times a login is retried when it reached a room that was just retiring.
const LOGIN_ATTEMPTS: usize = 3;

/// Streams a user of an app may hold (publishing or about to) at once.
pub const STREAMS_OWNED_PER_USER: usize = 32;

/// Who may publish a stream id of an app: the user who announced it first (dispatch or a
/// media publish session) while that user's room login or publish session lives.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamOwner {
    pub id_name: String,
    pub room: RoomKey,
    /// The room login (session key) it was claimed under.
    pub login_key: u64,
    /// Live media publish sessions of it.
    pub publishing: u32,
}

/// Why a stream id cannot be claimed.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamClaimError {
    /// Another user's live stream; names the owner's room.
    Taken(RoomKey),
    TooMany,
}

#[derive(Default)]
struct StreamOwners {
    by_stream: HashMap<(u64, String), StreamOwner>,
    /// (appid, id_name) → its stream ids, so a logout drops them without a scan.
    by_user: HashMap<(u64, String), Vec<String>>,
}

impl StreamOwners {
    fn remove(&mut self, appid: u64, stream_id: &str) {
        let Some(o) = self.by_stream.remove(&(appid, stream_id.to_string())) else {
            return;
        };
        let uk = (appid, o.id_name);
        if let Some(list) = self.by_user.get_mut(&uk) {
            list.retain(|s| s != stream_id);
            if list.is_empty() {
                self.by_user.remove(&uk);
            }
        }
    }
}

/// Told when a member left its room for good (appid, id_name, session key), after the
/// registry released it: the cluster tells the node of the member's connection, whose own
/// registry holds the member's login claim (`cluster::relay`).
pub type ReleaseHook = Box<dyn Fn(u64, &str, u64) + Send + Sync>;

pub struct Hub {
    rooms: Mutex<HashMap<RoomKey, mpsc::Sender<RoomCmd>>>,
    claims: Mutex<HashMap<(u64, String), Claim>>,
    /// Lock order: `claims` before `streams`.
    streams: Mutex<StreamOwners>,
    pub settings: Settings,
    pub max_rooms: usize,
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
    pub webhooks: Webhooks,
    release_hook: std::sync::OnceLock<ReleaseHook>,
}

impl Hub {
    pub fn new(
        settings: Settings,
        max_rooms: usize,
        metrics: Arc<Metrics>,
        webhooks: Webhooks,
    ) -> Arc<Hub> {
        Arc::new(Hub {
            rooms: Mutex::new(HashMap::new()),
            claims: Mutex::new(HashMap::new()),
            streams: Mutex::new(StreamOwners::default()),
            settings,
            max_rooms,
            clock: Clock::default(),
            metrics,
            webhooks,
            release_hook: std::sync::OnceLock::new(),
        })
    }

    /// Sets what is told after each release (once; the cluster's).
    pub fn set_release_hook(&self, hook: ReleaseHook) {
        let _ = self.release_hook.set(hook);
    }

    pub fn room(&self, key: &RoomKey) -> Option<mpsc::Sender<RoomCmd>> {
        lock(&self.rooms).get(key).cloned()
    }

    /// Asks a live room something (`make` wraps the reply channel in the command) and waits
    /// for the answer; None when there is no such room or it retired meanwhile.
    pub async fn ask<T>(
        &self,
        key: &RoomKey,
        make: impl FnOnce(oneshot::Sender<T>) -> AdminCmd,
    ) -> Option<T> {
        let tx = self.room(key)?;
        let (reply, rx) = oneshot::channel();
        tx.send(RoomCmd::Admin(make(reply))).await.ok()?;
        rx.await.ok()
    }

    /// The room's handle, creating the room (with the creator's user-state setting).
    pub fn room_or_create(
        self: &Arc<Self>,
        key: &RoomKey,
        user_state_updates: bool,
    ) -> Result<mpsc::Sender<RoomCmd>, ErrCode> {
        let mut rooms = lock(&self.rooms);
        if let Some(tx) = rooms.get(key) {
            return Ok(tx.clone());
        }
        if rooms.len() >= self.max_rooms {
            return Err(ErrCode::TOO_MANY_ROOMS);
        }
        let (tx, rx) = mpsc::channel(ROOM_INBOX);
        rooms.insert(key.clone(), tx.clone());
        room_actor::spawn(self.clone(), key.clone(), user_state_updates, rx);
        Ok(tx)
    }

    /// Hands a login to its room, creating the room when `create`; a room that was retiring
    /// as the login reached it is tried again (up to [`LOGIN_ATTEMPTS`]). The sessions of this
    /// node and the logins other nodes relay to this one (`cluster::relay`) enter this way.
    pub async fn enter_room(
        self: &Arc<Self>,
        room_key: &RoomKey,
        create: bool,
        user_state_updates: bool,
        input: impl Fn() -> LoginInput<SessionOutbox>,
    ) -> Result<(mpsc::Sender<RoomCmd>, LoginRsp), (ErrCode, String)> {
        for _ in 0..LOGIN_ATTEMPTS {
            let tx = if create {
                self.room_or_create(room_key, user_state_updates)
                    .map_err(|c| (c, String::new()))?
            } else {
                self.room(room_key)
                    .ok_or((ErrCode::ROOM_NOT_EXIST, room_key.room_id.clone()))?
            };
            let (reply, rx) = oneshot::channel();
            let login = RoomCmd::Login {
                input: input(),
                reply,
            };
            if tx.send(login).await.is_err() {
                continue;
            }
            match rx.await {
                Ok(Ok(rsp)) => return Ok((tx, rsp)),
                Ok(Err(r)) if r.code == CLOSING => continue,
                Ok(Err(r)) => return Err((r.code, r.detail)),
                Err(_) => continue,
            }
        }
        Err((
            ErrCode::LIVEROOM_REQUEST,
            "room busy; try again".to_string(),
        ))
    }

    /// Called by a room actor with nothing left: removes it unless a command is waiting.
    pub fn remove_room_if_idle(&self, key: &RoomKey, rx: &mpsc::Receiver<RoomCmd>) -> bool {
        let mut rooms = lock(&self.rooms);
        if !rx.is_empty() {
            return false;
        }
        rooms.remove(key);
        true
    }

    pub fn room_count(&self) -> usize {
        lock(&self.rooms).len()
    }

    pub fn rooms(&self) -> Vec<RoomKey> {
        lock(&self.rooms).keys().cloned().collect()
    }

    /// Records that `id_name` is logged in at `claim`; returns where it was before.
    pub fn claim(&self, appid: u64, id_name: &str, claim: Claim) -> Option<Claim> {
        lock(&self.claims).insert((appid, id_name.to_string()), claim)
    }

    /// Forgets the claim if it is still session `key`'s, and the streams claimed under it
    /// that no media session publishes.
    pub fn release(&self, appid: u64, id_name: &str, key: u64) {
        self.release_here(appid, id_name, key);
        if let Some(hook) = self.release_hook.get() {
            hook(appid, id_name, key);
        }
    }

    fn release_here(&self, appid: u64, id_name: &str, key: u64) {
        let mut claims = lock(&self.claims);
        let k = (appid, id_name.to_string());
        if claims.get(&k).is_some_and(|c| c.key == key) {
            claims.remove(&k);
        }
        let mut streams = lock(&self.streams);
        let owned = streams.by_user.get(&k).cloned().unwrap_or_default();
        for id in owned {
            let sk = (appid, id);
            if streams
                .by_stream
                .get(&sk)
                .is_some_and(|o| o.login_key == key && o.publishing == 0)
            {
                streams.remove(appid, &sk.1);
            }
        }
    }

    /// Claims `stream_id` for `id_name`'s room login `claim` (publish dispatch, a publish
    /// session). The same user may claim again (a reconnect); another user's stream is
    /// taken while its owner's room login or a publish session of it lives.
    pub fn claim_stream(
        &self,
        appid: u64,
        stream_id: &str,
        id_name: &str,
        claim: &Claim,
    ) -> Result<(), StreamClaimError> {
        let claims = lock(&self.claims);
        let mut streams = lock(&self.streams);
        let sk = (appid, stream_id.to_string());
        if let Some(o) = streams.by_stream.get_mut(&sk) {
            if o.id_name == id_name {
                o.room = claim.room.clone();
                o.login_key = claim.key;
                return Ok(());
            }
            let owner_live = o.publishing > 0
                || claims
                    .get(&(appid, o.id_name.clone()))
                    .is_some_and(|c| c.key == o.login_key);
            if owner_live {
                return Err(StreamClaimError::Taken(o.room.clone()));
            }
            streams.remove(appid, stream_id);
        }
        let uk = (appid, id_name.to_string());
        if streams.by_user.get(&uk).map_or(0, Vec::len) >= STREAMS_OWNED_PER_USER {
            return Err(StreamClaimError::TooMany);
        }
        streams
            .by_user
            .entry(uk)
            .or_default()
            .push(stream_id.to_string());
        streams.by_stream.insert(
            sk,
            StreamOwner {
                id_name: id_name.to_string(),
                room: claim.room.clone(),
                login_key: claim.key,
                publishing: 0,
            },
        );
        Ok(())
    }

    /// A publish session of `id_name`'s stream started (`true`) or ended; when the last one
    /// ends and the owner's room login is gone, the stream id is free again.
    pub fn stream_publishing(&self, appid: u64, stream_id: &str, id_name: &str, started: bool) {
        let claims = lock(&self.claims);
        let mut streams = lock(&self.streams);
        let sk = (appid, stream_id.to_string());
        let Some(o) = streams.by_stream.get_mut(&sk) else {
            return;
        };
        if o.id_name != id_name {
            return;
        }
        if started {
            o.publishing += 1;
            return;
        }
        o.publishing = o.publishing.saturating_sub(1);
        let login_live = claims
            .get(&(appid, o.id_name.clone()))
            .is_some_and(|c| c.key == o.login_key);
        if o.publishing == 0 && !login_live {
            streams.remove(appid, stream_id);
        }
    }

    /// Who holds a stream id now, if anybody.
    pub fn stream_owner(&self, appid: u64, stream_id: &str) -> Option<StreamOwner> {
        lock(&self.streams)
            .by_stream
            .get(&(appid, stream_id.to_string()))
            .cloned()
    }

    /// Every stream id held on this node: (appid, stream_id, id_name of its holder).
    pub fn held_streams(&self) -> Vec<(u64, String, String)> {
        lock(&self.streams)
            .by_stream
            .iter()
            .map(|((appid, sid), o)| (*appid, sid.clone(), o.id_name.clone()))
            .collect()
    }

    /// Drops `id_name`'s hold on a stream id none of its sessions publishes (the cluster
    /// refused it: another node's user holds it).
    pub fn unclaim_stream(&self, appid: u64, stream_id: &str, id_name: &str) {
        let mut streams = lock(&self.streams);
        let held = streams
            .by_stream
            .get(&(appid, stream_id.to_string()))
            .is_some_and(|o| o.id_name == id_name && o.publishing == 0);
        if held {
            streams.remove(appid, stream_id);
        }
    }

    pub fn claim_of(&self, appid: u64, id_name: &str) -> Option<Claim> {
        lock(&self.claims)
            .get(&(appid, id_name.to_string()))
            .cloned()
    }

    /// Closes every connection's room sessions gracefully (shutdown): rooms just drop.
    pub fn room_senders(&self) -> Vec<mpsc::Sender<RoomCmd>> {
        lock(&self.rooms).values().cloned().collect()
    }
}

impl RoomHost for Hub {
    fn settings(&self) -> &Settings {
        &self.settings
    }
    fn clock(&self) -> &Clock {
        &self.clock
    }
    fn metrics(&self) -> &Metrics {
        &self.metrics
    }
    fn webhooks(&self) -> &Webhooks {
        &self.webhooks
    }
    fn release(&self, appid: u64, id_name: &str, key: u64) {
        Hub::release(self, appid, id_name, key)
    }
    fn remove_room_if_idle(&self, key: &RoomKey, rx: &mpsc::Receiver<RoomCmd>) -> bool {
        Hub::remove_room_if_idle(self, key, rx)
    }
}
