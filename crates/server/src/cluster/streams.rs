//! Stream ids across the cluster: one user holds a stream id of an app on the whole cluster
//! (as the local registry makes it on one node), and the key that says so also says which
//! node the stream's media is published to, for the pipes that bring it to players elsewhere.

use crate::cluster::node::NodeRecord;
use crate::cluster::{keys, Cluster};
use crate::sync::lock;
use std::collections::HashSet;

/// A stream id held on this node: (appid, stream_id, id_name).
pub(crate) type HeldStream = (u64, String, String);

impl Cluster {
    fn stream_value(&self, id_name: &str) -> String {
        format!("{} {id_name}", self.info.id)
    }

    /// Claims `stream_id` for `id_name` on the whole cluster, here. `Err(node)` when another
    /// user holds it on a live node. Redis unreachable: allowed (only this node's holders are
    /// checked, as on one node).
    pub async fn claim_stream(
        &self,
        appid: u64,
        stream_id: &str,
        id_name: &str,
    ) -> Result<(), String> {
        let mut c = self.bus.conn();
        let held: redis::RedisResult<Option<String>> = redis::cmd("EVAL")
            .arg(keys::CLAIM_STREAM)
            .arg(1)
            .arg(keys::stream(appid, stream_id))
            .arg(self.stream_value(id_name))
            .arg(self.ttl_ms)
            .arg(id_name)
            .arg(keys::NODE_PREFIX)
            .query_async(&mut c)
            .await;
        match held {
            Ok(None) => {
                lock(&self.held_streams).insert((appid, stream_id.to_string(), id_name.into()));
                Ok(())
            }
            Ok(Some(holder)) => {
                let node = holder.split(' ').next().unwrap_or_default().to_string();
                Err(node)
            }
            Err(e) => {
                tracing::warn!(appid, stream = %stream_id, error = %e, "cluster: Redis unreachable; the stream id is checked on this node only");
                Ok(())
            }
        }
    }

    /// The live node another than this one the stream is published to, with its record.
    pub async fn stream_node(&self, appid: u64, stream_id: &str) -> Option<NodeRecord> {
        let mut c = self.bus.conn();
        let v: Option<String> = redis::cmd("GET")
            .arg(keys::stream(appid, stream_id))
            .query_async(&mut c)
            .await
            .ok()?;
        let node = v?.split(' ').next()?.to_string();
        if node == *self.bus.me {
            return None;
        }
        let record: Option<String> = redis::cmd("GET")
            .arg(keys::node(&node))
            .query_async(&mut c)
            .await
            .ok()?;
        serde_json::from_str(&record?).ok()
    }

    /// Adds the renewal of the stream ids held here to `p` (one answer each) and the release
    /// of those no longer held (no answer); returns the renewed ones, in order.
    pub(super) fn renew_streams(&self, p: &mut redis::Pipeline) -> Vec<HeldStream> {
        let now: HashSet<HeldStream> = self.hub.held_streams().into_iter().collect();
        let mut held = lock(&self.held_streams);
        for (appid, sid, user) in held.difference(&now) {
            p.cmd("EVAL")
                .arg(keys::RELEASE_STREAM)
                .arg(1)
                .arg(keys::stream(*appid, sid))
                .arg(self.stream_value(user))
                .ignore();
        }
        let renewed: Vec<HeldStream> = now.into_iter().collect();
        for (appid, sid, user) in &renewed {
            p.cmd("EVAL")
                .arg(keys::RENEW_STREAM)
                .arg(1)
                .arg(keys::stream(*appid, sid))
                .arg(self.stream_value(user))
                .arg(self.ttl_ms);
        }
        *held = renewed.iter().cloned().collect();
        renewed
    }

    /// At shutdown: releases every stream id held here.
    pub(super) fn release_streams(&self, p: &mut redis::Pipeline) {
        let mut all: HashSet<HeldStream> = lock(&self.held_streams).clone();
        all.extend(self.hub.held_streams());
        for (appid, sid, user) in &all {
            p.cmd("EVAL")
                .arg(keys::RELEASE_STREAM)
                .arg(1)
                .arg(keys::stream(*appid, sid))
                .arg(self.stream_value(user))
                .ignore();
        }
    }

    /// Stream ids whose renewal answered 0: another node's user holds them (claimed while
    /// Redis could not be reached from here). This node's hold ends unless it publishes.
    pub(super) fn lost_streams(&self, lost: &[HeldStream]) {
        let mut held = lock(&self.held_streams);
        for s in lost {
            tracing::warn!(appid = s.0, stream = %s.1, user = %s.2, "cluster: another node's user holds this stream id; it is let go here unless published here");
            held.remove(s);
            self.hub.unclaim_stream(s.0, &s.1, &s.2);
        }
    }
}
