//! Many `liveroom` nodes as one system, coordinated through Redis (docs/cluster.md). Off, and
//! not running at all, unless `cluster.redis_url` is set.
//!
//! Like LiveKit's routing: a room lives on one node (the room key in Redis names it, with a
//! TTL its node renews); a client logging in on another node has its session relayed to the
//! room's actor there (`relay`), over one pub/sub inbox per node. Each node keeps a record of
//! itself and its load under a key with a TTL (`node`), renewed every `renew_interval_ms`, so a
//! node that dies drops out of the cluster by itself; when Redis restarts, the next renewal
//! restores every key and the inbox is subscribed again.
//!
//! Imports `rooms` (the registry and the member queues), `config`, `edge`; signalling and the
//! admin API call into it.

pub mod bus;
pub mod keys;
pub mod node;
pub mod pipe_wire;
pub mod pipes;
pub mod relay;
pub mod streams;
pub mod wire;

use crate::cluster::bus::Bus;
use crate::cluster::node::{NodeInfo, NodeRecord};
use crate::cluster::relay::Relays;
pub use crate::cluster::relay::{AdminHandler, ForwardedAdmin};
use crate::config::ClusterConfig;
use crate::rooms::commands::{AdminCmd, RoomCmd, RoomKey};
use crate::rooms::member_queue::SessionOutbox;
use crate::rooms::registry::Hub;
use crate::sync::lock;
use crate::StartError;
use futures_util::StreamExt;
use liveroom_proto::body::LoginRsp;
use liveroom_proto::ErrCode;
use liveroom_room::LoginInput;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, Notify};

/// How long one Redis command or connection attempt may take before it counts as a failure.
pub const REDIS_TIMEOUT: Duration = Duration::from_secs(2);
/// Placement compares the nodes' CPU in steps of this many % of a core before their members.
pub const PLACEMENT_CPU_STEP_PCT: f64 = 50.0;
/// Pause before the inbox is subscribed again after its connection was lost.
const RESUBSCRIBE_PAUSE: Duration = Duration::from_millis(500);
/// How long `start` waits for the first registration and the inbox before it goes on (a
/// node whose Redis is down still starts, serves its own rooms and says so on `/readyz`).
const FIRST_CONTACT: Duration = Duration::from_secs(3);

/// A user's latest login, as the cluster remembers it (`keys::user`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct UserClaim {
    pub node: String,
    pub room_id: String,
    pub key: u64,
}

/// Where a room lives.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    /// On this node (or nobody's yet and this node took it, or Redis is unreachable).
    Local,
    /// On the node named.
    Remote(String),
}

pub struct Cluster {
    pub info: NodeInfo,
    /// The Redis URL without its password, for the ready line and logs.
    pub redis_display: String,
    client: redis::Client,
    bus: Bus,
    relays: Arc<Relays>,
    hub: Arc<Hub>,
    ttl_ms: u64,
    interval: Duration,
    /// `cluster.placement = "least_loaded"`.
    least_loaded: bool,
    /// Rooms whose keys the last renewal held, so a retired room's key is released.
    held: Mutex<HashSet<RoomKey>>,
    /// Stream ids whose keys this node holds (`streams.rs`), so a released one is let go.
    held_streams: Mutex<HashSet<streams::HeldStream>>,
    subscribed: Notify,
    /// Set by `leave`: no renewal writes the keys back while the node shuts down.
    left: std::sync::atomic::AtomicBool,
    /// Streams piped into and out of this node now.
    pub pipes: pipes::PipeCounts,
    /// Set by `drain`: the record says so and new rooms go elsewhere.
    draining: std::sync::atomic::AtomicBool,
    /// (when, process CPU seconds) at the previous record, for its `cpu_pct`.
    cpu_at: Mutex<Option<(std::time::Instant, f64)>>,
}

impl Cluster {
    /// Connects (lazily: a Redis that is down now is retried), registers the node and
    /// subscribes its inbox, then keeps both up in the background.
    pub async fn start(
        cfg: &ClusterConfig,
        info: NodeInfo,
        hub: Arc<Hub>,
        queue: usize,
    ) -> Result<Arc<Cluster>, StartError> {
        let client = redis::Client::open(cfg.redis_url.as_str())
            .map_err(|e| StartError::Invalid(format!("cluster.redis_url: {e}")))?;
        let manager = ConnectionManager::new_lazy_with_config(
            client.clone(),
            ConnectionManagerConfig::new()
                .set_connection_timeout(Some(REDIS_TIMEOUT))
                .set_response_timeout(Some(REDIS_TIMEOUT))
                .set_number_of_retries(2)
                .set_max_delay(Duration::from_millis(500)),
        )
        .map_err(|e| StartError::Invalid(format!("cluster.redis_url: {e}")))?;
        let bus = Bus::new(manager, &info.id);
        let relays = Arc::new(Relays::new(bus.clone(), hub.clone(), queue));
        let weak = Arc::downgrade(&relays);
        hub.set_release_hook(Box::new(move |appid, id_name, key| {
            if let Some(r) = weak.upgrade() {
                r.released(appid, id_name, key);
            }
        }));
        let cluster = Arc::new(Cluster {
            redis_display: redact(&cfg.redis_url),
            info,
            client,
            bus,
            relays,
            hub,
            ttl_ms: cfg.node_ttl_ms,
            least_loaded: cfg.placement == "least_loaded",
            interval: Duration::from_millis(cfg.renew_interval_ms),
            held: Mutex::default(),
            held_streams: Mutex::default(),
            subscribed: Notify::new(),
            left: std::sync::atomic::AtomicBool::new(false),
            pipes: pipes::PipeCounts::default(),
            draining: std::sync::atomic::AtomicBool::new(false),
            cpu_at: Mutex::new(None),
        });
        tokio::spawn(cluster.clone().run_inbox());
        let first = async {
            cluster.subscribed.notified().await;
            cluster.renew_once().await;
        };
        if tokio::time::timeout(FIRST_CONTACT, first).await.is_err() {
            tracing::warn!(redis = %cluster.redis_display, "cluster: Redis not reachable at start; serving this node's rooms and retrying");
        }
        tokio::spawn(cluster.clone().run_registry());
        Ok(cluster)
    }

    /// Whether the last renewal reached Redis (`/readyz`).
    pub fn redis_ok(&self) -> bool {
        self.bus.ok()
    }

    /// Relayed logins: (on this node's connections, of members in this node's rooms).
    pub fn relay_counts(&self) -> (usize, usize) {
        self.relays.counts()
    }

    /// Which node a login to `key` goes to. A room nobody holds is placed (`place`) when
    /// `create`; a room held by a node whose record expired is taken over. Redis unreachable:
    /// this node (it keeps serving; docs/cluster.md says what that costs).
    pub async fn route(&self, key: &RoomKey, create: bool) -> Route {
        match self.try_route(key, create).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(appid = key.appid, room = %key.room_id, error = %e, "cluster: Redis unreachable; the room stays on this node");
                Route::Local
            }
        }
    }

    async fn try_route(&self, key: &RoomKey, create: bool) -> redis::RedisResult<Route> {
        let me = &*self.bus.me;
        let k = keys::room(key.appid, &key.room_id);
        let mut c = self.bus.conn();
        for _ in 0..2 {
            let owner: Option<String> = redis::cmd("GET").arg(&k).query_async(&mut c).await?;
            let Some(owner) = owner else {
                if !create {
                    return Ok(Route::Local);
                }
                let target = self.place().await;
                let set: Option<String> = redis::cmd("SET")
                    .arg(&k)
                    .arg(&target)
                    .arg("NX")
                    .arg("PX")
                    .arg(self.ttl_ms)
                    .query_async(&mut c)
                    .await?;
                if set.is_none() {
                    // Another login placed it meanwhile: look again.
                    continue;
                }
                if target == me {
                    return Ok(Route::Local);
                }
                tracing::info!(appid = key.appid, room = %key.room_id, node = %target, "cluster: new room placed on the least loaded node");
                return Ok(Route::Remote(target));
            };
            if owner == me {
                return Ok(Route::Local);
            }
            let alive: bool = redis::cmd("EXISTS")
                .arg(keys::node(&owner))
                .query_async(&mut c)
                .await?;
            if alive {
                return Ok(Route::Remote(owner));
            }
            let taken: i64 = redis::cmd("EVAL")
                .arg(keys::TAKE_OVER_ROOM)
                .arg(1)
                .arg(&k)
                .arg(&owner)
                .arg(me)
                .arg(self.ttl_ms)
                .query_async(&mut c)
                .await?;
            if taken == 1 {
                tracing::info!(appid = key.appid, room = %key.room_id, dead = %owner, "cluster: room taken over from a node that is gone");
                return Ok(Route::Local);
            }
        }
        Ok(Route::Local)
    }

    /// The node a new room goes to (`cluster.placement`): of the live nodes not draining, the
    /// one with the least CPU (in steps of [`PLACEMENT_CPU_STEP_PCT`]), then the fewest members
    /// in its rooms, then the fewest rooms, this node on a tie; this node when the node list
    /// cannot be read.
    async fn place(&self) -> String {
        let me = self.info.id.clone();
        if !self.least_loaded {
            return me;
        }
        let Ok(nodes) = self.nodes().await else {
            return me;
        };
        // CPU in coarse steps first, so that members and rooms decide between nodes that are
        // about as busy.
        let load = |n: &NodeRecord| {
            (
                (n.cpu_pct / PLACEMENT_CPU_STEP_PCT) as i64,
                n.users,
                n.rooms,
            )
        };
        let draining = self.draining.load(std::sync::atomic::Ordering::SeqCst);
        let mine = nodes
            .iter()
            .find(|n| n.node_id == me && !draining)
            .map(load);
        let best = nodes
            .iter()
            .filter(|n| !(n.draining || (draining && n.node_id == me)))
            .min_by_key(|n| (load(n), n.node_id != me));
        match (best, mine) {
            (Some(b), Some(m)) if load(b) < m => b.node_id.clone(),
            (Some(b), None) => b.node_id.clone(),
            _ => me,
        }
    }

    /// Hands a login to its room wherever the room lives: this node's registry, or the room's
    /// node through a relay.
    pub async fn enter_room(
        &self,
        room_key: &RoomKey,
        create: bool,
        user_state_updates: bool,
        input: impl Fn() -> LoginInput<SessionOutbox>,
    ) -> Result<(mpsc::Sender<RoomCmd>, LoginRsp), (ErrCode, String)> {
        match self.route(room_key, create).await {
            Route::Local => {
                if create && self.hub.room(room_key).is_none() {
                    self.take_over_handed(room_key, user_state_updates).await;
                }
                self.hub
                    .enter_room(room_key, create, user_state_updates, input)
                    .await
            }
            Route::Remote(node) => {
                self.relays
                    .login(&node, room_key, create, user_state_updates, input())
                    .await
            }
        }
    }

    /// A room created here that a draining node handed over: created now with what it handed.
    async fn take_over_handed(&self, key: &RoomKey, user_state_updates: bool) {
        let mut c = self.bus.conn();
        let handed: Option<String> = match redis::cmd("GETDEL")
            .arg(keys::handover(key.appid, &key.room_id))
            .query_async(&mut c)
            .await
        {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(appid = key.appid, room = %key.room_id, error = %e, "cluster: Redis unreachable; a handed-over room starts empty");
                return;
            }
        };
        let Some(h) = handed.and_then(|h| serde_json::from_str::<liveroom_room::Handover>(&h).ok())
        else {
            return;
        };
        match self.hub.room_or_create(key, user_state_updates) {
            Ok(tx) => {
                let _ = tx.send(RoomCmd::Admin(AdminCmd::TakeOver(h))).await;
            }
            Err(code) => {
                tracing::warn!(appid = key.appid, room = %key.room_id, ?code, "cluster: a handed-over room could not be created")
            }
        }
    }

    /// Sets what answers admin API requests other nodes pass on to this one.
    pub fn set_admin_handler(&self, h: AdminHandler) {
        self.relays.set_admin_handler(h);
    }

    /// Passes an admin API request on to `node`; its HTTP status and JSON body.
    pub async fn forward_admin(
        &self,
        node: &str,
        req: ForwardedAdmin,
    ) -> Result<(u16, String), String> {
        self.relays.forward_admin(node, req).await
    }

    /// The live node a room lives on, when it is another than this one (None: here, nowhere,
    /// or Redis unreachable — the caller answers from this node).
    pub async fn room_node(&self, key: &RoomKey) -> Option<String> {
        let mut c = self.bus.conn();
        let owner: Option<String> = redis::cmd("GET")
            .arg(keys::room(key.appid, &key.room_id))
            .query_async(&mut c)
            .await
            .ok()?;
        let owner = owner.filter(|o| o.as_str() != &*self.bus.me)?;
        let alive: bool = redis::cmd("EXISTS")
            .arg(keys::node(&owner))
            .query_async(&mut c)
            .await
            .ok()?;
        alive.then_some(owner)
    }

    /// The live node of a user's latest login, when it is another than this one.
    pub async fn user_node(&self, appid: u64, id_name: &str) -> Option<String> {
        let mut c = self.bus.conn();
        let claim: Option<String> = redis::cmd("GET")
            .arg(keys::user(appid, id_name))
            .query_async(&mut c)
            .await
            .ok()?;
        let claim: UserClaim = serde_json::from_str(&claim?).ok()?;
        let owner = Some(claim.node).filter(|o| o.as_str() != &*self.bus.me)?;
        let alive: bool = redis::cmd("EXISTS")
            .arg(keys::node(&owner))
            .query_async(&mut c)
            .await
            .ok()?;
        alive.then_some(owner)
    }

    /// Makes login `key` the user's one login of the app in the whole cluster: the user's
    /// earlier login, on any node, in another room is kicked out with `DUPLICATE_LOGIN` (one in
    /// the same room is replaced by the room itself). Redis unreachable: only this node's
    /// logins are checked (`login::claim_user`).
    pub async fn claim_user(&self, appid: u64, id_name: &str, room: &RoomKey, key: u64) {
        let claim = UserClaim {
            node: self.info.id.clone(),
            room_id: room.room_id.clone(),
            key,
        };
        let mut c = self.bus.conn();
        let prev: redis::RedisResult<Option<String>> = redis::cmd("SET")
            .arg(keys::user(appid, id_name))
            .arg(serde_json::to_string(&claim).unwrap_or_default())
            .arg("PX")
            .arg(keys::USER_CLAIM_TTL_MS)
            .arg("GET")
            .query_async(&mut c)
            .await;
        let prev = match prev {
            Ok(p) => p.and_then(|p| serde_json::from_str::<UserClaim>(&p).ok()),
            Err(e) => {
                tracing::warn!(appid, user = %id_name, error = %e, "cluster: Redis unreachable; a login elsewhere in the cluster is not kicked out");
                return;
            }
        };
        let Some(prev) = prev else { return };
        if prev.key == key || prev.room_id == room.room_id {
            return;
        }
        let reason = liveroom_proto::errors::kick_reason::DUPLICATE_LOGIN;
        tracing::info!(appid, user = %id_name, node = %prev.node, room = %prev.room_id, "cluster: the user's login elsewhere is kicked out");
        if prev.node == self.info.id {
            self.relays
                .kick(appid, prev.room_id, id_name.to_string(), prev.key, reason)
                .await;
            return;
        }
        let msg = wire::Wire::Kick {
            appid,
            room_id: prev.room_id,
            id_name: id_name.to_string(),
            key: prev.key,
            reason,
        };
        if let Err(e) = self.bus.send(&prev.node, &msg).await {
            tracing::warn!(node = %prev.node, error = %e, "cluster: a kick-out could not be sent");
        }
    }

    /// The live nodes' records, by id.
    pub async fn nodes(&self) -> redis::RedisResult<Vec<NodeRecord>> {
        let mut c = self.bus.conn();
        let mut cursor: u64 = 0;
        let mut found: Vec<String> = Vec::new();
        loop {
            let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(keys::NODE_PATTERN)
                .arg("COUNT")
                .arg(100)
                .query_async(&mut c)
                .await?;
            found.extend(batch);
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        if found.is_empty() {
            return Ok(Vec::new());
        }
        let values: Vec<Option<String>> =
            redis::cmd("MGET").arg(&found).query_async(&mut c).await?;
        let mut records: Vec<NodeRecord> = values
            .into_iter()
            .flatten()
            .filter_map(|v| serde_json::from_str(&v).ok())
            .collect();
        records.sort_by(|a, b| a.node_id.cmp(&b.node_id));
        Ok(records)
    }

    /// This node's record as it would renew it now.
    pub fn record(&self) -> NodeRecord {
        let mut r = self.info.record(&self.hub, self.hub.clock.now().unix_ms);
        r.pipes_in = self.pipes.inbound.load(std::sync::atomic::Ordering::SeqCst);
        r.pipes_out = self
            .pipes
            .outbound
            .load(std::sync::atomic::Ordering::SeqCst);
        r.draining = self.draining.load(std::sync::atomic::Ordering::SeqCst);
        r.cpu_pct = self.cpu_pct();
        r
    }

    /// The process's CPU use since the previous call, in % of one core (rounded to 0.1).
    fn cpu_pct(&self) -> f64 {
        let Some(now_cpu) = node::process_cpu_secs() else {
            return 0.0;
        };
        let now = std::time::Instant::now();
        let mut at = lock(&self.cpu_at);
        let pct = match *at {
            Some((t, c)) if now > t => (now_cpu - c) / (now - t).as_secs_f64() * 100.0,
            _ => 0.0,
        };
        *at = Some((now, now_cpu));
        (pct * 10.0).round() / 10.0
    }

    /// Starts draining: the record says so at once and new rooms are placed on other nodes
    /// (`leave` then hands this node's rooms over).
    pub async fn drain(&self) {
        self.draining
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.renew_once().await;
    }

    /// At shutdown: hands each room's reliable messages over (`keys::handover`), closes the
    /// relayed members, and drops the node's record and room keys so other nodes take its
    /// rooms at once, with what they handed over.
    pub async fn leave(&self) {
        self.left.store(true, std::sync::atomic::Ordering::SeqCst);
        let me = &*self.bus.me;
        let mut p = redis::pipe();
        for r in self.hub.rooms() {
            let Some(h) = self.hub.ask(&r, AdminCmd::HandOver).await else {
                continue;
            };
            p.cmd("SET")
                .arg(keys::handover(r.appid, &r.room_id))
                .arg(serde_json::to_string(&h).unwrap_or_default())
                .arg("PX")
                .arg(keys::HANDOVER_TTL_MS)
                .ignore();
        }
        self.relays.close_all();
        p.cmd("DEL").arg(keys::node(me)).ignore();
        // The rooms renewed last and those created since.
        let mut rooms: HashSet<RoomKey> = lock(&self.held).clone();
        rooms.extend(self.hub.rooms());
        for r in &rooms {
            p.cmd("EVAL")
                .arg(keys::RELEASE_ROOM)
                .arg(1)
                .arg(keys::room(r.appid, &r.room_id))
                .arg(me)
                .ignore();
        }
        self.release_streams(&mut p);
        let mut c = self.bus.conn();
        if let Err(e) = p.query_async::<()>(&mut c).await {
            tracing::warn!(error = %e, "cluster: could not remove this node's keys at shutdown; they expire");
        }
    }

    /// One renewal: the node's record and its rooms' keys; then the relays of nodes that are
    /// gone end. Records whether Redis answered.
    async fn renew_once(&self) {
        let result = self.renew().await;
        let ok = result.is_ok();
        if self.bus.set_ok(ok) {
            match &result {
                Ok(()) => {
                    tracing::info!(redis = %self.redis_display, node = %self.info.id, "cluster: registered in Redis")
                }
                Err(e) => {
                    tracing::warn!(redis = %self.redis_display, error = %e, "cluster: Redis unreachable; serving this node's rooms and retrying")
                }
            }
        }
        if ok {
            match self.nodes().await {
                Ok(nodes) => {
                    let live: HashSet<String> = nodes.into_iter().map(|n| n.node_id).collect();
                    self.relays.sweep(&live, self.interval * 2).await;
                }
                Err(e) => tracing::debug!(error = %e, "cluster: listing nodes failed"),
            }
        }
    }

    async fn renew(&self) -> redis::RedisResult<()> {
        let me = &*self.bus.me;
        let record = serde_json::to_string(&self.record()).unwrap_or_default();
        let rooms: Vec<RoomKey> = self.hub.rooms();
        let now: HashSet<RoomKey> = rooms.iter().cloned().collect();
        let released: Vec<RoomKey> = lock(&self.held).difference(&now).cloned().collect();
        let mut p = redis::pipe();
        p.cmd("SET")
            .arg(keys::node(me))
            .arg(record)
            .arg("PX")
            .arg(self.ttl_ms)
            .ignore();
        for r in &rooms {
            p.cmd("EVAL")
                .arg(keys::RENEW_ROOM)
                .arg(1)
                .arg(keys::room(r.appid, &r.room_id))
                .arg(me)
                .arg(self.ttl_ms);
        }
        for r in &released {
            p.cmd("EVAL")
                .arg(keys::RELEASE_ROOM)
                .arg(1)
                .arg(keys::room(r.appid, &r.room_id))
                .arg(me)
                .ignore();
        }
        let streams = self.renew_streams(&mut p);
        let mut c = self.bus.conn();
        let held: Vec<i64> = p.query_async(&mut c).await?;
        let (held, streams_held) = held.split_at(rooms.len().min(held.len()));
        let lost: Vec<_> = streams
            .into_iter()
            .zip(streams_held)
            .filter(|(_, h)| **h != 1)
            .map(|(s, _)| s)
            .collect();
        self.lost_streams(&lost);
        let mut kept = HashSet::new();
        for (r, h) in rooms.into_iter().zip(held.iter().copied()) {
            if h == 1 {
                kept.insert(r);
            } else {
                tracing::warn!(appid = r.appid, room = %r.room_id, "cluster: another node holds this room's key (Redis was unreachable meanwhile); its logins go there");
            }
        }
        *lock(&self.held) = kept;
        Ok(())
    }

    async fn run_registry(self: Arc<Self>) {
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            if self.left.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            self.renew_once().await;
        }
    }

    /// Reads this node's inbox, subscribing again whenever the connection is lost.
    async fn run_inbox(self: Arc<Self>) {
        let channel = keys::inbox(&self.info.id);
        loop {
            match tokio::time::timeout(REDIS_TIMEOUT, self.client.get_async_pubsub()).await {
                Ok(Ok(mut ps)) => match ps.subscribe(&channel).await {
                    Ok(()) => {
                        tracing::debug!(channel = %channel, "cluster: inbox subscribed");
                        self.subscribed.notify_one();
                        let mut messages = ps.into_on_message();
                        while let Some(msg) = messages.next().await {
                            match serde_json::from_slice::<wire::Wire>(msg.get_payload_bytes()) {
                                Ok(w) => self.relays.on_message(w).await,
                                Err(e) => {
                                    tracing::warn!(error = %e, "cluster: unreadable message in the inbox")
                                }
                            }
                        }
                        tracing::warn!("cluster: inbox connection lost; subscribing again");
                    }
                    Err(e) => tracing::debug!(error = %e, "cluster: subscribing the inbox failed"),
                },
                Ok(Err(e)) => tracing::debug!(error = %e, "cluster: inbox connection failed"),
                Err(_) => tracing::debug!("cluster: inbox connection timed out"),
            }
            tokio::time::sleep(RESUBSCRIBE_PAUSE).await;
        }
    }
}

/// The URL with its password replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.rsplit_once('@') {
        Some((cred, host)) => {
            let user = cred.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_stay_out_of_the_ready_line() {
        assert_eq!(
            super::redact("redis://127.0.0.1:6379/0"),
            "redis://127.0.0.1:6379/0"
        );
        assert_eq!(super::redact("rediss://:pw@h:1"), "rediss://:***@h:1");
        assert_eq!(super::redact("redis://u:p@w@h:1/2"), "redis://u:***@h:1/2");
    }
}
