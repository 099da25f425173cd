//! Prometheus metrics: a small registry of counters and gauges by name and labels, rendered
//! in the Prometheus text format on the metrics listener (`/metrics`).
//!
//! Names are `liveroom_<thing>_<unit>`; only counters end in `_total`. To add metrics (media
//! bitrates, packets, …) register them once with [`Registry::counter`] / [`Registry::gauge`]
//! and keep the handle: updating a handle is one atomic operation. [`Metrics`] holds the
//! server's own handles.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A monotonically rising count.
#[derive(Clone, Debug, Default)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    pub fn inc(&self) {
        self.add(1);
    }
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down.
#[derive(Clone, Debug, Default)]
pub struct Gauge(Arc<AtomicI64>);

impl Gauge {
    pub fn inc(&self) {
        self.add(1);
    }
    pub fn dec(&self) {
        self.add(-1);
    }
    pub fn add(&self, n: i64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn set(&self, v: i64) {
        self.0.store(v, Ordering::Relaxed);
    }
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[derive(Clone)]
enum Series {
    Counter(Counter),
    Gauge(Gauge),
}

struct Family {
    help: &'static str,
    is_counter: bool,
    /// Rendered label sets (`{a="1",b="2"}` or "") to their value.
    series: BTreeMap<String, Series>,
}

/// Metric families by name.
#[derive(Default)]
pub struct Registry {
    families: Mutex<BTreeMap<&'static str, Family>>,
}

fn valid_name(name: &str) -> bool {
    name.starts_with("liveroom_")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn label_set(labels: &[(&str, &str)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let mut s = String::from("{");
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(k);
        s.push_str("=\"");
        for c in v.chars() {
            match c {
                '\\' => s.push_str("\\\\"),
                '"' => s.push_str("\\\""),
                '\n' => s.push_str("\\n"),
                c => s.push(c),
            }
        }
        s.push('"');
    }
    s.push('}');
    s
}

impl Registry {
    fn series(
        &self,
        name: &'static str,
        help: &'static str,
        is_counter: bool,
        labels: &[(&str, &str)],
    ) -> Series {
        debug_assert!(valid_name(name), "metric name {name}");
        debug_assert_eq!(
            is_counter,
            name.ends_with("_total"),
            "only counters end in _total: {name}"
        );
        let mut f = crate::sync::lock(&self.families);
        let fam = f.entry(name).or_insert_with(|| Family {
            help,
            is_counter,
            series: BTreeMap::new(),
        });
        fam.series
            .entry(label_set(labels))
            .or_insert_with(|| {
                if is_counter {
                    Series::Counter(Counter::default())
                } else {
                    Series::Gauge(Gauge::default())
                }
            })
            .clone()
    }

    /// The counter `name{labels}`, registered on first use (the same handle afterwards).
    pub fn counter(
        &self,
        name: &'static str,
        help: &'static str,
        labels: &[(&str, &str)],
    ) -> Counter {
        match self.series(name, help, true, labels) {
            Series::Counter(c) => c,
            Series::Gauge(_) => Counter::default(),
        }
    }

    /// The gauge `name{labels}`, registered on first use (the same handle afterwards).
    pub fn gauge(&self, name: &'static str, help: &'static str, labels: &[(&str, &str)]) -> Gauge {
        match self.series(name, help, false, labels) {
            Series::Gauge(g) => g,
            Series::Counter(_) => Gauge::default(),
        }
    }

    /// Every family in the Prometheus text format (version 0.0.4).
    pub fn render(&self) -> String {
        let f = crate::sync::lock(&self.families);
        let mut out = String::new();
        for (name, fam) in f.iter() {
            let kind = if fam.is_counter { "counter" } else { "gauge" };
            let _ = writeln!(out, "# HELP {name} {}", fam.help);
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for (labels, s) in &fam.series {
                let _ = match s {
                    Series::Counter(c) => writeln!(out, "{name}{labels} {}", c.get()),
                    Series::Gauge(g) => writeln!(out, "{name}{labels} {}", g.get()),
                };
            }
        }
        out
    }
}

/// Commands counted by name in `liveroom_messages_total`; anything else is "other" (so a
/// client cannot grow the label set).
const KNOWN_CMDS: &[&str] = &[
    "login",
    "logout",
    "hb",
    "stream_info",
    "stream",
    "user_list",
    "custommsg",
    "im_chat",
    "signal",
    "trans",
    "trans_fetch",
    "relay",
    "bigim_chat",
    "biz_channel",
    "webrtc_url",
    "other",
];

/// The server's metrics.
pub struct Metrics {
    pub registry: Registry,
    pub rooms: Gauge,
    pub users: Gauge,
    pub streams: Gauge,
    pub connections: Gauge,
    pub connections_total: Counter,
    messages: Vec<(&'static str, Counter)>,
    pub outbound_dropped_lossy: Counter,
    pub outbound_disconnects: Counter,
    pub webhook_delivered: Counter,
    pub webhook_failed: Counter,
    pub webhook_retries: Counter,
    pub webhook_dropped: Counter,
    pub webhook_queue: Gauge,
    pub auth_allowed: Counter,
    pub auth_refused: Counter,
    pub auth_failed: Counter,
    /// Logins refused by a login rate limit, by scope (`signalling::rate_limits::LoginScope`).
    pub login_limited_connection: Counter,
    pub login_limited_ip: Counter,
    pub login_limited_app: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let r = Registry::default();
        let messages = KNOWN_CMDS
            .iter()
            .map(|cmd| {
                (
                    *cmd,
                    r.counter(
                        "liveroom_messages_total",
                        "Room-protocol requests received, by cmd.",
                        &[("cmd", cmd)],
                    ),
                )
            })
            .collect();
        let drops = |kind| {
            r.counter(
                "liveroom_outbound_dropped_total",
                "Frames not delivered to a client whose queue was full: lossy pushes dropped, or clients disconnected (a full queue, or a socket that took no frame within session.write_timeout_ms).",
                &[("kind", kind)],
            )
        };
        let webhook = |result| {
            r.counter(
                "liveroom_webhook_events_total",
                "Webhook events by outcome: delivered, failed (after every attempt) or dropped (queue full).",
                &[("result", result)],
            )
        };
        let auth = |result| {
            r.counter(
                "liveroom_third_party_auth_total",
                "Third-party login checks by outcome: allowed, refused, failed.",
                &[("result", result)],
            )
        };
        let login_limited = |scope| {
            r.counter(
                "liveroom_login_rate_limited_total",
                "Logins refused by a login rate limit (answered 1002), by scope: connection, ip or app.",
                &[("scope", scope)],
            )
        };
        r.gauge(
            "liveroom_build_info",
            "The running version (always 1).",
            &[("version", env!("CARGO_PKG_VERSION"))],
        )
        .set(1);
        Metrics {
            rooms: r.gauge("liveroom_rooms", "Rooms open.", &[]),
            users: r.gauge(
                "liveroom_users",
                "Members of all rooms (including those within their reconnect grace).",
                &[],
            ),
            streams: r.gauge("liveroom_streams", "Streams registered in all rooms.", &[]),
            connections: r.gauge("liveroom_connections", "Open room WebSockets.", &[]),
            connections_total: r.counter(
                "liveroom_connections_total",
                "Room WebSockets accepted.",
                &[],
            ),
            messages,
            outbound_dropped_lossy: drops("lossy"),
            outbound_disconnects: drops("disconnect"),
            webhook_delivered: webhook("delivered"),
            webhook_failed: webhook("failed"),
            webhook_dropped: webhook("dropped"),
            webhook_retries: r.counter(
                "liveroom_webhook_retries_total",
                "Webhook delivery attempts after a first failure.",
                &[],
            ),
            webhook_queue: r.gauge(
                "liveroom_webhook_queue",
                "Webhook events waiting to be sent.",
                &[],
            ),
            auth_allowed: auth("allowed"),
            auth_refused: auth("refused"),
            auth_failed: auth("failed"),
            login_limited_connection: login_limited("connection"),
            login_limited_ip: login_limited("ip"),
            login_limited_app: login_limited("app"),
            registry: r,
        }
    }

    /// Counts one room-protocol request.
    pub fn message(&self, cmd: &str) {
        let c = self
            .messages
            .iter()
            .find(|(k, _)| *k == cmd)
            .or_else(|| self.messages.last())
            .map(|(_, c)| c);
        if let Some(c) = c {
            c.inc();
        }
    }

    /// Counts one refusal sent to a client.
    pub fn error(&self, code: liveroom_proto::ErrCode) {
        self.registry
            .counter(
                "liveroom_errors_total",
                "Refusals sent to clients, by err_code.",
                &[("code", &code.0.to_string())],
            )
            .inc();
    }

    /// `liveroom_webhook_dropped_total{appid}`: events of one app dropped because its queue was
    /// full (`appid="other"` for apps past the queue limit, so the label set stays bounded).
    pub fn webhook_dropped_for(&self, appid: &str) -> Counter {
        self.registry.counter(
            "liveroom_webhook_dropped_total",
            "Webhook events dropped because their app's queue was full, by appid.",
            &[("appid", appid)],
        )
    }

    /// Every metric in the Prometheus text format.
    pub fn render(&self) -> String {
        self.registry.render()
    }
}

/// The metrics listener's routes: `/metrics` (and `/livez`).
pub fn router(metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(move || {
                let m = metrics.clone();
                async move {
                    (
                        [(
                            header::CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8",
                        )],
                        m.render(),
                    )
                        .into_response()
                }
            }),
        )
        .route("/livez", get(|| async { "ok" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_text_format() {
        let r = Registry::default();
        let c = r.counter("liveroom_things_total", "Things.", &[("kind", "a\"b")]);
        c.add(3);
        r.counter("liveroom_things_total", "Things.", &[("kind", "a\"b")])
            .inc();
        r.gauge("liveroom_level", "Level.", &[]).set(-2);
        assert_eq!(
            r.render(),
            "# HELP liveroom_level Level.\n# TYPE liveroom_level gauge\nliveroom_level -2\n\
             # HELP liveroom_things_total Things.\n# TYPE liveroom_things_total counter\n\
             liveroom_things_total{kind=\"a\\\"b\"} 4\n"
        );
    }

    #[test]
    fn unknown_cmds_count_as_other() {
        let m = Metrics::new();
        m.message("hb");
        m.message("x-not-a-cmd");
        m.error(liveroom_proto::ErrCode::TOKEN);
        let t = m.render();
        assert!(t.contains("liveroom_messages_total{cmd=\"hb\"} 1\n"), "{t}");
        assert!(
            t.contains("liveroom_messages_total{cmd=\"other\"} 1\n"),
            "{t}"
        );
        assert!(
            t.contains("liveroom_errors_total{code=\"1008\"} 1\n"),
            "{t}"
        );
    }
}
