//! Which peer addresses the relay may send to.
//!
//! A TURN relay that sends anywhere lets its users reach the server's own network (loopback
//! services, the LAN, cloud metadata endpoints). Loopback and private peers are therefore refused
//! unless the configuration allows them (dev mode does); addresses that are never a unicast
//! peer (unspecified, multicast, broadcast, reserved) are always refused. Explicitly listed
//! IPs are always allowed, and listed socket addresses (the SFU's own address) are allowed on
//! that port only.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerPolicy {
    /// 127.0.0.0/8 and ::1.
    pub allow_loopback: bool,
    /// RFC 1918 (10/8, 172.16/12, 192.168/16), shared 100.64/10, link-local 169.254/16 and
    /// fe80::/10, unique-local fc00::/7.
    pub allow_private: bool,
    /// Always allowed (any port), whatever the two switches say.
    pub allowed_ips: Vec<IpAddr>,
    /// Always allowed on that port only (e.g. the SFU's UDP socket on a private address).
    pub allowed_addrs: Vec<SocketAddr>,
}

impl PeerPolicy {
    /// Everything a dev server needs: loopback and private peers.
    pub fn permissive() -> PeerPolicy {
        PeerPolicy {
            allow_loopback: true,
            allow_private: true,
            ..Default::default()
        }
    }

    /// Whether a permission (which covers every port of an IP) may be installed for `ip`:
    /// the IP is allowed as such, or some port of it is listed.
    pub fn permits_ip(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.ip_allowed(ip) || self.allowed_addrs.iter().any(|a| canonical(a.ip()) == ip)
    }

    /// Whether a packet may be relayed to or from `peer`.
    pub fn permits(&self, peer: SocketAddr) -> bool {
        let ip = canonical(peer.ip());
        self.ip_allowed(ip)
            || self
                .allowed_addrs
                .iter()
                .any(|a| canonical(a.ip()) == ip && a.port() == peer.port())
    }

    fn ip_allowed(&self, ip: IpAddr) -> bool {
        if self.allowed_ips.iter().any(|a| canonical(*a) == ip) {
            return true;
        }
        match classify(ip) {
            Kind::Never => false,
            Kind::Loopback => self.allow_loopback,
            Kind::Private => self.allow_private,
            Kind::Public => true,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Never,
    Loopback,
    Private,
    Public,
}

/// IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 => v4,
    }
}

fn classify(ip: IpAddr) -> Kind {
    match ip {
        IpAddr::V4(a) => classify_v4(a),
        IpAddr::V6(a) => classify_v6(a),
    }
}

fn classify_v4(a: Ipv4Addr) -> Kind {
    let o = a.octets();
    if o[0] == 0 || a.is_multicast() || a.is_broadcast() || o[0] >= 240 {
        Kind::Never
    } else if a.is_loopback() {
        Kind::Loopback
    } else if a.is_private() || a.is_link_local() || (o[0] == 100 && (o[1] & 0xC0) == 64) {
        Kind::Private
    } else {
        Kind::Public
    }
}

fn classify_v6(a: Ipv6Addr) -> Kind {
    let s = a.segments();
    if a.is_unspecified() || a.is_multicast() {
        Kind::Never
    } else if a.is_loopback() {
        Kind::Loopback
    } else if (s[0] & 0xFE00) == 0xFC00 || (s[0] & 0xFFC0) == 0xFE80 {
        Kind::Private
    } else {
        Kind::Public
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn production_default_denies_loopback_and_private() {
        let p = PeerPolicy::default();
        for a in [
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!p.permits_ip(ip(a)), "{a} should be denied");
        }
        for a in [
            "203.0.113.5",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2001:db8::1",
        ] {
            assert!(p.permits_ip(ip(a)), "{a} should be allowed");
        }
    }

    #[test]
    fn never_unicast_is_always_denied() {
        let p = PeerPolicy::permissive();
        for a in [
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "::",
            "ff02::1",
        ] {
            assert!(!p.permits_ip(ip(a)), "{a} should be denied");
        }
    }

    #[test]
    fn switches_and_explicit_list() {
        let loopback_only = PeerPolicy {
            allow_loopback: true,
            ..Default::default()
        };
        assert!(loopback_only.permits_ip(ip("127.0.0.1")));
        assert!(!loopback_only.permits_ip(ip("192.168.0.2")));
        let private_only = PeerPolicy {
            allow_private: true,
            ..Default::default()
        };
        assert!(!private_only.permits_ip(ip("127.0.0.1")));
        assert!(private_only.permits_ip(ip("192.168.0.2")));
        assert!(private_only.permits_ip(ip("fd12::3")));
        let listed = PeerPolicy {
            allowed_ips: vec![ip("10.0.0.5")],
            ..Default::default()
        };
        assert!(listed.permits_ip(ip("10.0.0.5")));
        assert!(listed.permits_ip(ip("::ffff:10.0.0.5")));
        assert!(!listed.permits_ip(ip("10.0.0.6")));
        assert!(PeerPolicy::permissive().permits_ip(ip("127.0.0.1")));
    }

    #[test]
    fn listed_socket_addresses_allow_one_port() {
        let sfu: SocketAddr = "10.0.0.5:40000".parse().unwrap();
        let p = PeerPolicy {
            allowed_addrs: vec![sfu],
            ..Default::default()
        };
        assert!(p.permits_ip(sfu.ip()));
        assert!(p.permits(sfu));
        assert!(p.permits("[::ffff:10.0.0.5]:40000".parse().unwrap()));
        assert!(!p.permits("10.0.0.5:6379".parse().unwrap()));
        assert!(!p.permits_ip(ip("10.0.0.6")));
        // Public peers pass on any port.
        assert!(p.permits("203.0.113.1:6379".parse().unwrap()));
    }
}
