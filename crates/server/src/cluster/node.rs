//! This node: its id, the addresses it advertises, and the record of its load it keeps in
//! Redis (and `GET /admin/v1/nodes` lists).

use crate::config::ClusterConfig;
use crate::rooms::registry::Hub;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// Longest node id (`cluster.node_id`); a derived one is cut to it.
pub const MAX_NODE_ID: usize = 128;

/// Who this node is and where others reach it.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub id: String,
    /// `host:port` of the HTTP/WebSocket listener as clients and nodes reach it.
    pub http: String,
    /// Whether that listener serves https/wss only (`http.tls_cert`).
    pub tls: bool,
    /// `host:port` of the media UDP socket, unless media is off.
    pub rtc: Option<String>,
    /// Unix ms.
    pub started_at: u64,
}

/// A node as Redis holds it: who, where, and its load when it last renewed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NodeRecord {
    pub node_id: String,
    pub http: String,
    /// Whether `http` serves https only (records of older nodes say nothing: plain).
    #[serde(default)]
    pub tls: bool,
    pub rtc: Option<String>,
    pub version: String,
    /// Unix ms.
    pub started_at: u64,
    /// Unix ms of this renewal.
    pub updated_at: u64,
    /// Rooms whose actor runs on this node.
    pub rooms: usize,
    /// Room connections open on this node.
    pub sessions: i64,
    /// Members of the rooms on this node (wherever their connection is).
    pub users: i64,
    /// Streams in the rooms on this node.
    pub streams: i64,
    /// CPU the process used since the previous renewal, in % of one core.
    #[serde(default)]
    pub cpu_pct: f64,
    /// Draining: new rooms go to other nodes, and it leaves once its clients have moved.
    #[serde(default)]
    pub draining: bool,
    /// Streams piped into this node from the nodes they are published to.
    #[serde(default)]
    pub pipes_in: usize,
    /// Streams this node pipes out to other nodes (one per stream and node).
    #[serde(default)]
    pub pipes_out: usize,
}

impl NodeRecord {
    /// The base URL other nodes reach this node's HTTP listener at.
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.http)
    }
}

impl NodeInfo {
    pub fn new(
        cfg: &ClusterConfig,
        http: SocketAddr,
        tls: bool,
        rtc: Option<SocketAddr>,
        now_ms: u64,
    ) -> NodeInfo {
        let id = if cfg.node_id.is_empty() {
            default_id(&host_name(), http)
        } else {
            cfg.node_id.clone()
        };
        let or = |set: &str, bound: String| {
            if set.is_empty() {
                bound
            } else {
                set.to_string()
            }
        };
        NodeInfo {
            id,
            http: or(&cfg.advertise_http, http.to_string()),
            tls,
            rtc: rtc.map(|r| or(&cfg.advertise_rtc, r.to_string())),
            started_at: now_ms,
        }
    }

    /// The record of this node's load now.
    pub fn record(&self, hub: &Hub, now_ms: u64) -> NodeRecord {
        let m = &hub.metrics;
        NodeRecord {
            node_id: self.id.clone(),
            http: self.http.clone(),
            tls: self.tls,
            rtc: self.rtc.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            started_at: self.started_at,
            updated_at: now_ms,
            rooms: hub.room_count(),
            sessions: m.connections.get(),
            users: m.users.get(),
            streams: m.streams.get(),
            cpu_pct: 0.0,
            draining: false,
            pipes_in: 0,
            pipes_out: 0,
        }
    }
}

/// CPU seconds this process has used (user + system, from `/proc/self/stat`); None where
/// there is no procfs.
pub fn process_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces), from the state on: utime is the
    // 12th of them, stime the 13th, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// The id a node gets when `cluster.node_id` is not set: its host name and bound HTTP address
/// (unique on one machine too), in the characters node ids allow.
pub fn default_id(host: &str, http: SocketAddr) -> String {
    let raw = format!("{host}-{http}");
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.:".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(MAX_NODE_ID)
        .collect()
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "liveroom".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ids_name_the_host_and_the_address() {
        let a: SocketAddr = "127.0.0.1:8282".parse().unwrap();
        assert_eq!(default_id("box", a), "box-127.0.0.1:8282");
        let v6: SocketAddr = "[::1]:9".parse().unwrap();
        assert_eq!(default_id("my box", v6), "my-box--::1-:9");
    }
}
