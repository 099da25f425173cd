//! Sessions relayed between nodes (docs/cluster.md, "A room spans nodes"). A room lives on one
//! node; a member whose connection is on another node is, on the room's node, a queue like any
//! connection's (`rooms::member_queue::Conn`) that a forwarder drains into Redis towards the
//! connection's node, and, on the connection's node, a room handle whose commands a proxy sends
//! to the room's node. The room actor and the session do not know the difference.

use crate::cluster::bus::Bus;
use crate::cluster::wire::{self, Member, OutItem, Wire};
use crate::edge::websocket::close_code;
use crate::rooms::commands::{RoomCmd, RoomKey};
use crate::rooms::member_queue::{Conn, Outbound, OutboundRx, SessionOutbox};
use crate::rooms::registry::Hub;
use crate::sync::lock;
use liveroom_proto::body::{error_body, LoginRsp};
use liveroom_proto::envelope::SessionIds;
use liveroom_proto::ErrCode;
use liveroom_room::{LoginInput, Outbox};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// How long a relayed login waits for the room's node.
pub const RELAY_LOGIN_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a relayed login's connection still takes frames from the room's node after its
/// session let go of it (the answer to its logout is one).
pub const RELAY_LINGER: Duration = Duration::from_secs(5);
/// Commands a relayed login's session may queue towards the room's node before it waits.
pub const RELAY_INBOX: usize = 256;

type LoginAnswer = Result<LoginRsp, (ErrCode, String)>;

/// An admin API request another node passed on to this one.
#[derive(Debug, Clone)]
pub struct ForwardedAdmin {
    pub method: String,
    /// Path and query.
    pub path: String,
    pub authorization: String,
    pub body: String,
}

/// Answers a forwarded admin API request on this node: HTTP status and JSON body
/// (`ops::admin::forwarded_handler`, set at start).
pub type AdminHandler = Arc<
    dyn Fn(
            ForwardedAdmin,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = (u16, String)> + Send>>
        + Send
        + Sync,
>;

/// How long an admin API request passed on to another node waits for its answer.
pub const ADMIN_FORWARD_TIMEOUT: Duration = Duration::from_secs(5);

/// On the connection's node: a login whose room is on another node.
struct EdgeMember {
    conn: Arc<Conn>,
    ids: Arc<SessionIds>,
    owner: String,
}

/// On the room's node: a member whose connection is on another node.
struct RemoteMember {
    from: String,
    room: mpsc::Sender<RoomCmd>,
    out: SessionOutbox,
}

pub struct Relays {
    bus: Bus,
    hub: Arc<Hub>,
    /// Frames queued towards one relayed member (`session.outbound_queue`).
    queue: usize,
    edge: Mutex<HashMap<u64, EdgeMember>>,
    owned: Mutex<HashMap<u64, RemoteMember>>,
    pending: Mutex<HashMap<u64, oneshot::Sender<LoginAnswer>>>,
    /// Nodes our relays point at that were missing from the node list, and since when.
    missing: Mutex<HashMap<String, Instant>>,
    admin: std::sync::OnceLock<AdminHandler>,
    admin_pending: Mutex<HashMap<u64, oneshot::Sender<(u16, String)>>>,
    /// On the room's node: relayed members still in a room (session key → connection's node),
    /// to tell that node when the room lets them go.
    remote_keys: Mutex<HashMap<u64, String>>,
}

impl Relays {
    pub fn new(bus: Bus, hub: Arc<Hub>, queue: usize) -> Relays {
        Relays {
            bus,
            hub,
            queue,
            edge: Mutex::default(),
            owned: Mutex::default(),
            pending: Mutex::default(),
            missing: Mutex::default(),
            admin: std::sync::OnceLock::new(),
            admin_pending: Mutex::default(),
            remote_keys: Mutex::default(),
        }
    }

    /// The room let member `key` go for good (`Hub::release` on this node): a relayed member's
    /// node is told, so that its login claim there ends too.
    pub fn released(&self, appid: u64, id_name: &str, key: u64) {
        let Some(from) = lock(&self.remote_keys).remove(&key) else {
            return;
        };
        let bus = self.bus.clone();
        let msg = Wire::Released {
            appid,
            id_name: id_name.to_string(),
            key,
        };
        tokio::spawn(async move {
            if let Err(e) = bus.send(&from, &msg).await {
                tracing::debug!(node = %from, error = %e, "cluster: a release could not be sent");
            }
        });
    }

    /// Sets what answers admin API requests other nodes pass on to this one.
    pub fn set_admin_handler(&self, h: AdminHandler) {
        let _ = self.admin.set(h);
    }

    /// Passes an admin API request on to `node` and waits for its answer.
    pub async fn forward_admin(
        &self,
        node: &str,
        req: ForwardedAdmin,
    ) -> Result<(u16, String), String> {
        let corr = nonzero();
        let (tx, rx) = oneshot::channel();
        lock(&self.admin_pending).insert(corr, tx);
        let msg = Wire::AdminAsk {
            from: self.bus.me.to_string(),
            corr,
            method: req.method,
            path: req.path,
            authorization: req.authorization,
            body: req.body,
        };
        let answer = match self.bus.send(node, &msg).await {
            Ok(()) => match tokio::time::timeout(ADMIN_FORWARD_TIMEOUT, rx).await {
                Ok(Ok(a)) => Ok(a),
                _ => Err(format!("node {node} did not answer")),
            },
            Err(e) => Err(format!("the cluster's Redis is unreachable: {e}")),
        };
        lock(&self.admin_pending).remove(&corr);
        answer
    }

    /// Relayed logins: (on this node's connections, of members in this node's rooms).
    pub fn counts(&self) -> (usize, usize) {
        (lock(&self.edge).len(), lock(&self.owned).len())
    }

    /// Logs `input` in to `room_key` on node `owner`; the handle returned takes the session's
    /// room commands as a local room's does.
    pub async fn login(
        self: &Arc<Self>,
        owner: &str,
        room_key: &RoomKey,
        create: bool,
        user_state_updates: bool,
        input: LoginInput<SessionOutbox>,
    ) -> Result<(mpsc::Sender<RoomCmd>, LoginRsp), (ErrCode, String)> {
        let key = input.key;
        lock(&self.edge).insert(
            key,
            EdgeMember {
                conn: input.handle.conn.clone(),
                ids: input.handle.ids.clone(),
                owner: owner.to_string(),
            },
        );
        let corr = nonzero();
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(corr, tx);
        let msg = Wire::Login {
            from: self.bus.me.to_string(),
            corr,
            appid: room_key.appid,
            room_id: room_key.room_id.clone(),
            create,
            user_state_updates,
            member: Member {
                key,
                user_id: input.user_id,
                id_name: input.id_name,
                nick_name: input.nick_name,
                role: input.role,
                can_publish: input.can_publish,
            },
        };
        let answer = match self.bus.send(owner, &msg).await {
            Ok(()) => match tokio::time::timeout(RELAY_LOGIN_TIMEOUT, rx).await {
                Ok(Ok(a)) => a,
                _ => Err((
                    ErrCode::LIVEROOM_REQUEST,
                    format!("the room's node {owner} did not answer; try again"),
                )),
            },
            Err(e) => {
                tracing::warn!(node = %owner, error = %e, "cluster: relaying a login failed");
                Err((
                    ErrCode::LIVEROOM_REQUEST,
                    "the cluster's Redis is unreachable; try again".into(),
                ))
            }
        };
        lock(&self.pending).remove(&corr);
        match answer {
            Ok(rsp) => {
                let (tx, rx) = mpsc::channel(RELAY_INBOX);
                tokio::spawn(self.clone().proxy(owner.to_string(), key, rx));
                tracing::info!(appid = room_key.appid, room = %room_key.room_id, node = %owner, "login relayed to the room's node");
                Ok((tx, rsp))
            }
            Err(e) => {
                lock(&self.edge).remove(&key);
                Err(e)
            }
        }
    }

    /// Sends a relayed login's room commands to the room's node, in order.
    async fn proxy(self: Arc<Self>, owner: String, key: u64, mut rx: mpsc::Receiver<RoomCmd>) {
        let from = self.bus.me.to_string();
        while let Some(cmd) = rx.recv().await {
            let (msg, out) = match cmd {
                RoomCmd::Request { key, seq, req, out } => {
                    let (cmd, body) = wire::request_out(&req);
                    let m = Wire::Request {
                        from: from.clone(),
                        key,
                        seq,
                        cmd: cmd.clone(),
                        body,
                    };
                    (m, Some((out, cmd, seq)))
                }
                RoomCmd::Disconnected { key } => (
                    Wire::Gone {
                        from: from.clone(),
                        key,
                        leave: false,
                    },
                    None,
                ),
                RoomCmd::Leave { key } => (
                    Wire::Gone {
                        from: from.clone(),
                        key,
                        leave: true,
                    },
                    None,
                ),
                // Sessions send only the commands above to their room.
                _ => continue,
            };
            if let Err(e) = self.bus.send(&owner, &msg).await {
                tracing::warn!(node = %owner, error = %e, "cluster: relaying a request failed");
                if let Some((out, cmd, seq)) = out {
                    out.reply(
                        &cmd,
                        seq,
                        error_body(
                            ErrCode::LIVEROOM_REQUEST,
                            "the cluster's Redis is unreachable; try again",
                        ),
                    );
                }
            }
        }
        // The session let go of the login (logout, closed, logged in again): what the room
        // still answers (the logout's reply) arrives after this, so the entry lingers a while.
        tokio::time::sleep(RELAY_LINGER).await;
        let mut edge = lock(&self.edge);
        if edge.get(&key).is_some_and(|m| m.owner == owner) {
            edge.remove(&key);
        }
    }

    /// Handles one message from another node (in the order the inbox delivers them).
    pub async fn on_message(self: &Arc<Self>, msg: Wire) {
        match msg {
            Wire::Login {
                from,
                corr,
                appid,
                room_id,
                create,
                user_state_updates,
                member,
            } => {
                let room_key = RoomKey { appid, room_id };
                let me = self.clone();
                tokio::spawn(async move {
                    me.owner_login(from, corr, room_key, create, user_state_updates, member)
                        .await
                });
            }
            Wire::LoginReply {
                corr,
                rsp,
                err_code,
                detail,
            } => {
                if let Some(tx) = lock(&self.pending).remove(&corr) {
                    let _ = tx.send(rsp.ok_or((ErrCode(err_code), detail)));
                }
            }
            Wire::Request {
                from,
                key,
                seq,
                cmd,
                body,
            } => {
                let target = lock(&self.owned)
                    .get(&key)
                    .map(|m| (m.room.clone(), m.out.clone()));
                let refuse = |code: ErrCode, detail: &str| Wire::Out {
                    key,
                    item: OutItem::Reply {
                        cmd: cmd.clone(),
                        seq,
                        body: String::from_utf8_lossy(&error_body(code, detail)).into_owned(),
                    },
                };
                let Some((room, out)) = target else {
                    let _ = self
                        .bus
                        .send(
                            &from,
                            &refuse(ErrCode::LOGIN_STATE, "room closed; log in again"),
                        )
                        .await;
                    return;
                };
                let req = match wire::request_in(&cmd, body) {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::warn!(node = %from, cmd = %cmd, error = %e, "cluster: relayed request unreadable");
                        let _ = self.bus.send(&from, &refuse(ErrCode::BAD_BODY, &e)).await;
                        return;
                    }
                };
                if room
                    .send(RoomCmd::Request { key, seq, req, out })
                    .await
                    .is_err()
                {
                    lock(&self.owned).remove(&key);
                    let _ = self
                        .bus
                        .send(
                            &from,
                            &refuse(ErrCode::LOGIN_STATE, "room closed; log in again"),
                        )
                        .await;
                }
            }
            Wire::Gone { key, leave, .. } => {
                let m = lock(&self.owned).remove(&key);
                if let Some(m) = m {
                    let cmd = if leave {
                        RoomCmd::Leave { key }
                    } else {
                        RoomCmd::Disconnected { key }
                    };
                    let _ = m.room.send(cmd).await;
                    m.out.conn.kill(close_code::NORMAL, "");
                }
            }
            Wire::Out { key, item } => {
                let Some((conn, ids)) = lock(&self.edge)
                    .get(&key)
                    .map(|m| (m.conn.clone(), m.ids.clone()))
                else {
                    return;
                };
                match item {
                    OutItem::Reply { cmd, seq, body } => conn.send(Outbound::Reply {
                        cmd,
                        seq,
                        body: body.into_bytes().into(),
                        ids,
                    }),
                    OutItem::Push { cmd, from, body } => match wire::push_of(&cmd, from, body) {
                        // Big-room batches stay lossy on this side too: a client that falls
                        // behind loses them rather than its connection.
                        Some(push) if wire::is_lossy(push.cmd) => {
                            SessionOutbox { conn, ids }.push_lossy(&Arc::new(push))
                        }
                        Some(push) => conn.send(Outbound::Push {
                            push: Arc::new(push),
                            ids,
                        }),
                        None => tracing::warn!(cmd = %cmd, "cluster: unknown relayed push dropped"),
                    },
                    OutItem::Kick { reason } => conn.send(Outbound::Kick { reason, ids }),
                }
            }
            Wire::Closed { key, code, reason } => {
                let conn = lock(&self.edge).get(&key).map(|m| m.conn.clone());
                if let Some(conn) = conn {
                    conn.kill(code, &reason);
                }
            }
            Wire::Kick {
                appid,
                room_id,
                id_name,
                key,
                reason,
            } => self.kick(appid, room_id, id_name, key, reason).await,
            Wire::AdminAsk {
                from,
                corr,
                method,
                path,
                authorization,
                body,
            } => {
                let req = ForwardedAdmin {
                    method,
                    path,
                    authorization,
                    body,
                };
                let handler = self.admin.get().cloned();
                let bus = self.bus.clone();
                tokio::spawn(async move {
                    let (status, body) = match handler {
                        Some(h) => h(req).await,
                        None => (
                            503,
                            r#"{"code":"starting","message":"node starting"}"#.into(),
                        ),
                    };
                    let answer = Wire::AdminAnswer { corr, status, body };
                    if let Err(e) = bus.send(&from, &answer).await {
                        tracing::warn!(node = %from, error = %e, "cluster: an admin answer could not be sent");
                    }
                });
            }
            Wire::Released {
                appid,
                id_name,
                key,
            } => self.hub.release(appid, &id_name, key),
            Wire::AdminAnswer { corr, status, body } => {
                if let Some(tx) = lock(&self.admin_pending).remove(&corr) {
                    let _ = tx.send((status, body));
                }
            }
        }
    }

    /// Kicks login `key` of `id_name` out of its room: the room is on this node, or the login
    /// is relayed from this node to its room's node, which is told.
    pub async fn kick(&self, appid: u64, room_id: String, id_name: String, key: u64, reason: u32) {
        let room_key = RoomKey { appid, room_id };
        if let Some(tx) = self.hub.room(&room_key) {
            let _ = tx
                .send(RoomCmd::Kick {
                    id_name,
                    key: Some(key),
                    reason,
                })
                .await;
            return;
        }
        let owner = lock(&self.edge).get(&key).map(|m| m.owner.clone());
        if let Some(owner) = owner {
            let msg = Wire::Kick {
                appid,
                room_id: room_key.room_id,
                id_name,
                key,
                reason,
            };
            if let Err(e) = self.bus.send(&owner, &msg).await {
                tracing::warn!(node = %owner, error = %e, "cluster: a kick-out could not be sent");
            }
        }
    }

    /// On the room's node: logs a relayed member in and answers its node.
    async fn owner_login(
        self: Arc<Self>,
        from: String,
        corr: u64,
        room_key: RoomKey,
        create: bool,
        user_state_updates: bool,
        m: Member,
    ) {
        let (conn, rx) = Conn::new(self.queue);
        let out = SessionOutbox {
            conn: conn.clone(),
            ids: Arc::new(SessionIds {
                appid: room_key.appid,
                user_id: m.user_id.to_string(),
                session_id: m.key.to_string(),
                room_id: room_key.room_id.clone(),
            }),
        };
        let input = LoginInput {
            key: m.key,
            user_id: m.user_id,
            id_name: m.id_name,
            nick_name: m.nick_name,
            role: m.role,
            can_publish: m.can_publish,
            handle: out.clone(),
        };
        let entered = self
            .hub
            .enter_room(&room_key, create, user_state_updates, || input.clone())
            .await;
        let reply = match entered {
            Ok((room, rsp)) => {
                lock(&self.remote_keys).insert(m.key, from.clone());
                lock(&self.owned).insert(
                    m.key,
                    RemoteMember {
                        from: from.clone(),
                        room,
                        out,
                    },
                );
                Wire::LoginReply {
                    corr,
                    rsp: Some(rsp),
                    err_code: 0,
                    detail: String::new(),
                }
            }
            Err((code, detail)) => Wire::LoginReply {
                corr,
                rsp: None,
                err_code: code.0,
                detail,
            },
        };
        let ok = matches!(reply, Wire::LoginReply { rsp: Some(_), .. });
        // The answer goes out before the forwarder starts, so it reaches the connection's node
        // before anything the room sends the member.
        if let Err(e) = self.bus.send(&from, &reply).await {
            tracing::warn!(node = %from, error = %e, "cluster: answering a relayed login failed");
        }
        if ok {
            tokio::spawn(self.forward(from, m.key, conn, rx));
        }
    }

    /// On the room's node: drains a relayed member's queue towards its connection's node.
    async fn forward(self: Arc<Self>, to: String, key: u64, conn: Arc<Conn>, mut rx: OutboundRx) {
        loop {
            let item = tokio::select! {
                biased;
                (code, reason) = conn.killed() => {
                    // Killed by the room (timeout, queue overflow) rather than by its node's Gone:
                    // the connection's node closes the client.
                    let ours = lock(&self.owned).remove(&key).is_some();
                    if ours {
                        let _ = self.bus.send(&to, &Wire::Closed { key, code, reason }).await;
                    }
                    return;
                }
                item = rx.recv() => item,
            };
            let Some(item) = item else { return };
            let item = match item {
                Outbound::Reply { cmd, seq, body, .. } => OutItem::Reply {
                    cmd,
                    seq,
                    body: String::from_utf8_lossy(&body).into_owned(),
                },
                Outbound::Push { push, .. } => OutItem::Push {
                    cmd: push.cmd.to_string(),
                    from: push.from_user_id.clone(),
                    body: String::from_utf8_lossy(&push.body).into_owned(),
                },
                Outbound::Kick { reason, .. } => OutItem::Kick { reason },
            };
            if let Err(e) = self.bus.send(&to, &Wire::Out { key, item }).await {
                tracing::debug!(node = %to, error = %e, "cluster: a frame for a relayed member was lost");
            }
        }
    }

    /// The nodes relays point at (room nodes of this node's relayed logins, connection nodes
    /// of this node's relayed members).
    pub fn peers(&self) -> HashSet<String> {
        let mut p: HashSet<String> = lock(&self.edge).values().map(|m| m.owner.clone()).collect();
        p.extend(lock(&self.owned).values().map(|m| m.from.clone()));
        p
    }

    /// Ends the relays of nodes that have been missing from the node list for `grace`: a
    /// relayed login whose room's node died is closed (its client logs in again and the room
    /// is taken over), a member whose connection's node died is disconnected from its room
    /// (which removes it after the reconnect grace, as for a dropped connection).
    pub async fn sweep(&self, live: &HashSet<String>, grace: Duration) {
        let now = Instant::now();
        let dead: HashSet<String> = {
            let mut missing = lock(&self.missing);
            let peers = self.peers();
            missing.retain(|n, _| peers.contains(n) && !live.contains(n));
            for p in peers.iter().filter(|p| !live.contains(*p)) {
                missing.entry(p.clone()).or_insert(now);
            }
            missing
                .iter()
                .filter(|(_, since)| now.duration_since(**since) >= grace)
                .map(|(n, _)| n.clone())
                .collect()
        };
        if dead.is_empty() {
            return;
        }
        let closed: Vec<Arc<Conn>> = lock(&self.edge)
            .values()
            .filter(|m| dead.contains(&m.owner))
            .map(|m| m.conn.clone())
            .collect();
        for c in &closed {
            c.kill(
                close_code::TRY_AGAIN,
                "the room's node is gone; log in again",
            );
        }
        let gone: Vec<(u64, RemoteMember)> = {
            let mut owned = lock(&self.owned);
            let keys: Vec<u64> = owned
                .iter()
                .filter(|(_, m)| dead.contains(&m.from))
                .map(|(k, _)| *k)
                .collect();
            keys.into_iter()
                .filter_map(|k| owned.remove(&k).map(|m| (k, m)))
                .collect()
        };
        for (key, m) in &gone {
            let _ = m.room.send(RoomCmd::Disconnected { key: *key }).await;
            m.out.conn.kill(close_code::NORMAL, "");
        }
        tracing::warn!(nodes = ?dead, closed = closed.len(), disconnected = gone.len(), "cluster: nodes gone; their relays ended");
        lock(&self.missing).retain(|n, _| !dead.contains(n));
    }

    /// At shutdown: closes this node's relayed members (their connection's nodes close the
    /// clients, which log in again elsewhere).
    pub fn close_all(&self) {
        let owned: Vec<Arc<Conn>> = lock(&self.owned)
            .values()
            .map(|m| m.out.conn.clone())
            .collect();
        for c in owned {
            c.kill(close_code::GOING_AWAY, "the room's node is shutting down");
        }
    }
}

fn nonzero() -> u64 {
    loop {
        let c = rand::random::<u64>();
        if c != 0 {
            return c;
        }
    }
}
