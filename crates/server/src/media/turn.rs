//! The TURN relay media sessions use (clients run relay-only ICE): the embedded relay
//! (`crates/turn`) or an external coturn, as `[turn]` says, and the [`TurnService`] that
//! CreateSessionRsp takes its URLs and REST credentials from.

use crate::config::Config;
use liveroom_turn::{PeerPolicy, TurnServer, TurnServerConfig};
use std::net::{IpAddr, SocketAddr};

/// The host part of an ICE server URL (IPv6 in brackets).
fn host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    }
}

/// `(turn over UDP, turn over TCP, stun)` URLs of a relay at `ip:port`.
pub fn urls(ip: IpAddr, port: u16) -> (String, String, String) {
    let h = host(ip);
    (
        format!("turn:{h}:{port}?transport=udp"),
        format!("turn:{h}:{port}?transport=tcp"),
        format!("stun:{h}:{port}"),
    )
}

fn parse_ip(v: &str) -> Option<IpAddr> {
    // Checked by Config::validate.
    v.parse().ok()
}

/// Describes an external coturn's URLs: the first UDP TURN URL, the first TCP/TLS one, the
/// first STUN one (falling back to a TURN URL: the client puts it in its ICE servers too).
fn external(urls: &[String], secret: String, ttl_secs: u64) -> TurnService {
    let is_turn = |u: &&String| u.starts_with("turn:") || u.starts_with("turns:");
    let is_tcp = |u: &&String| u.starts_with("turns:") || u.contains("transport=tcp");
    let turn_url = urls
        .iter()
        .filter(is_turn)
        .find(|u| !is_tcp(u))
        .or_else(|| urls.iter().find(is_turn))
        .cloned()
        .unwrap_or_default();
    let turn_tcp_url = urls
        .iter()
        .filter(is_turn)
        .find(|u| is_tcp(u) && **u != turn_url)
        .cloned();
    let stun_url = urls
        .iter()
        .find(|u| u.starts_with("stun:") || u.starts_with("stuns:"))
        .cloned()
        .or_else(|| turn_tcp_url.clone())
        .unwrap_or_else(|| turn_url.clone());
    TurnService {
        turn_url,
        turn_tcp_url,
        stun_url,
        urls: urls.to_vec(),
        secret,
        ttl_secs,
        embedded: None,
    }
}

/// Starts the embedded relay (unless it is off or an external coturn replaces it) and
/// describes what media sessions hand out. The SFU's own socket (`sfu`, plus the announced
/// `rtc.public_ips` on its port) is always a permitted peer, whatever the peer policy.
pub async fn start(
    config: &Config,
    sfu: Option<SocketAddr>,
) -> Result<(Option<TurnService>, Option<TurnServer>), crate::StartError> {
    let t = &config.turn;
    let secret = config.turn_secret();
    if !t.external_urls.is_empty() {
        tracing::info!(urls = ?t.external_urls, "TURN: external relay (embedded relay not started)");
        return Ok((
            Some(external(&t.external_urls, secret, t.credential_ttl_secs)),
            None,
        ));
    }
    if !t.enabled {
        return Ok((None, None));
    }
    let listen: SocketAddr = t
        .listen
        .parse()
        .map_err(|_| crate::StartError::TurnListen(t.listen.clone()))?;
    let relay_ip = parse_ip(&t.relay_ip);
    let public_ip = parse_ip(&t.public_ip);
    let bound_relay_ip = relay_ip.unwrap_or(listen.ip());
    let mut allowed_addrs = Vec::new();
    if let Some(sfu) = sfu {
        if !sfu.ip().is_unspecified() {
            allowed_addrs.push(sfu);
        }
        for ip in config.rtc.public_ips.iter().filter_map(|ip| parse_ip(ip)) {
            allowed_addrs.push(SocketAddr::new(ip, sfu.port()));
        }
    }
    let mut cfg = TurnServerConfig::new(listen, &t.realm, &secret);
    cfg.relay_ip = Some(bound_relay_ip);
    cfg.advertised_relay_ip = bound_relay_ip
        .is_unspecified()
        .then(|| public_ip.unwrap_or(listen.ip()));
    cfg.policy = PeerPolicy {
        allow_loopback: t.allow_loopback_peers.unwrap_or(config.dev),
        allow_private: t.allow_private_peers.unwrap_or(config.dev),
        allowed_ips: t
            .allowed_peer_ips
            .iter()
            .filter_map(|ip| parse_ip(ip))
            .collect(),
        allowed_addrs,
    };
    cfg.max_allocations = t.max_allocations;
    cfg.max_allocations_per_user = t.max_allocations_per_user;
    cfg.max_bps_per_allocation = t.max_bps_per_allocation;
    let server = TurnServer::start(cfg)
        .await
        .map_err(|source| crate::StartError::Turn {
            addr: listen,
            source,
        })?;
    let addr = server.local_addr();
    let (turn_url, turn_tcp_url, stun_url) = urls(public_ip.unwrap_or(addr.ip()), addr.port());
    let service = TurnService {
        urls: vec![turn_url.clone(), turn_tcp_url.clone(), stun_url.clone()],
        turn_url,
        turn_tcp_url: Some(turn_tcp_url),
        stun_url,
        secret,
        ttl_secs: t.credential_ttl_secs,
        embedded: Some(server.handle()),
    };
    Ok((Some(service), Some(server)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_forms() {
        let (u, t, s) = urls("203.0.113.5".parse().unwrap(), 3478);
        assert_eq!(u, "turn:203.0.113.5:3478?transport=udp");
        assert_eq!(t, "turn:203.0.113.5:3478?transport=tcp");
        assert_eq!(s, "stun:203.0.113.5:3478");
        let (u, _, s) = urls("2001:db8::1".parse().unwrap(), 3478);
        assert_eq!(u, "turn:[2001:db8::1]:3478?transport=udp");
        assert_eq!(s, "stun:[2001:db8::1]:3478");
    }

    #[test]
    fn external_urls_are_sorted_out() {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let s = external(
            &v(&[
                "stun:turn.example.com:3478",
                "turn:turn.example.com:3478?transport=tcp",
                "turn:turn.example.com:3478",
            ]),
            "s".into(),
            60,
        );
        assert_eq!(s.turn_url, "turn:turn.example.com:3478");
        assert_eq!(
            s.turn_tcp_url.as_deref(),
            Some("turn:turn.example.com:3478?transport=tcp")
        );
        assert_eq!(s.stun_url, "stun:turn.example.com:3478");
        assert!(s.embedded.is_none());
        let s = external(&v(&["turns:turn.example.com:5349"]), "s".into(), 60);
        assert_eq!(s.turn_url, "turns:turn.example.com:5349");
        assert_eq!(s.turn_tcp_url, None);
        assert_eq!(s.stun_url, "turns:turn.example.com:5349");
        let s = external(
            &v(&["turn:a:3478?transport=udp", "turns:a:5349?transport=tcp"]),
            "s".into(),
            60,
        );
        assert_eq!(s.turn_url, "turn:a:3478?transport=udp");
        assert_eq!(s.stun_url, "turns:a:5349?transport=tcp");
    }
}

/// TURN/STUN servers and time-limited credentials for one media session (CreateSessionRsp).
#[derive(Debug, Clone, PartialEq)]
pub struct TurnGrant {
    pub turn_url: String,
    /// The same relay over TCP, when there is one (`turn:IP:PORT?transport=tcp`).
    pub turn_tcp_url: Option<String>,
    pub stun_url: String,
    pub username: String,
    pub credential: String,
}

/// Where media sessions are told to find a TURN relay, and how their credentials are made
/// (coturn REST style, so an external coturn can take the embedded relay's place).
#[derive(Debug, Clone)]
pub struct TurnService {
    /// `turn:IP:PORT?transport=udp` (embedded relay) or the external coturn's first UDP URL.
    pub turn_url: String,
    /// `turn:IP:PORT?transport=tcp`, or the external coturn's first TCP/TLS URL.
    pub turn_tcp_url: Option<String>,
    /// `stun:IP:PORT` (never empty: falls back to a TURN URL for an external coturn).
    pub stun_url: String,
    /// Every URL, in order.
    pub urls: Vec<String>,
    pub secret: String,
    pub ttl_secs: u64,
    /// The embedded relay, when it runs (peer policy additions, counts).
    pub embedded: Option<liveroom_turn::TurnHandle>,
}

impl TurnService {
    /// The servers and time-limited credentials for `user`'s media session at `now_secs`.
    pub fn grant(&self, user: &str, now_secs: u64) -> TurnGrant {
        let (username, credential) =
            liveroom_turn::rest_credentials(&self.secret, user, self.ttl_secs, now_secs);
        TurnGrant {
            turn_url: self.turn_url.clone(),
            turn_tcp_url: self.turn_tcp_url.clone(),
            stun_url: self.stun_url.clone(),
            username,
            credential,
        }
    }
}
