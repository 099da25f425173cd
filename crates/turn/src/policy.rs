//! Which peer addresses the relay may send to.
//!
//! A TURN relay that sends anywhere lets its users reach the server's own network (loopback
//! services, the LAN, cloud metadata endpoints). Loopback and private peers are therefore refused
//! unless the configuration allows them (dev mode does); addresses that are never a unicast
//! peer (unspecified, multicast, broadcast, reserved) are always refused. Explicitly listed
//! IPs are always allowed, and listed socket addresses (the SFU's own address) are allowed on
//! that port only.
//!
//! IPv6 addresses that carry an IPv4 address (IPv4-compatible, IPv4-mapped and -translated,
//! NAT64, 6to4, Teredo) reach that IPv4 host through some translator or tunnel, so each IPv4
//! address they carry is judged by the IPv4 rules too (all must pass).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Which peer addresses the relay may reach: public ones, loopback and private ones when allowed, and listed exceptions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerPolicy {
    /// 127.0.0.0/8 and ::1.
    pub allow_loopback: bool,
    /// RFC 1918 (10/8, 172.16/12, 192.168/16), shared 100.64/10, link-local 169.254/16 and
    /// fe80::/10, unique-local fc00::/7.
    pub allow_private: bool,
    /// Always allowed (any port), whatever the two switches say. A listed IPv4 address covers
    /// the IPv6 forms that carry it.
    pub allowed_ips: Vec<IpAddr>,
    /// Always allowed on that port only (e.g. the SFU's UDP socket on a private address).
    /// Matched as written (or as its IPv4-mapped form).
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

    /// Whether every port of `ip` is allowed (a listed socket address allows only its port:
    /// see [`PeerPolicy::permits`]).
    pub fn permits_ip(&self, ip: IpAddr) -> bool {
        self.ip_allowed(canonical(ip))
    }

    /// Whether `peer` may be given a permission or a channel, and packets relayed to or from it.
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
        let own = match classify(ip) {
            Kind::Never => false,
            Kind::Loopback => self.allow_loopback,
            Kind::Private => self.allow_private,
            Kind::Public => true,
        };
        own && match ip {
            IpAddr::V6(a) => embedded_v4(a)
                .into_iter()
                .flatten()
                .all(|v4| self.ip_allowed(IpAddr::V4(v4))),
            IpAddr::V4(_) => true,
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

/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, which a dual-stack socket sends to as IPv4)
/// are the IPv4 address they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 => v4,
    }
}

/// The IPv4 addresses an IPv6 address carries (other than the IPv4-mapped form, see
/// [`canonical`]):
/// * IPv4-compatible `::a.b.c.d` (deprecated, RFC 4291 §2.5.5.1), but not `::` and `::1`;
/// * IPv4-translated `::ffff:0:a.b.c.d` (RFC 2765);
/// * NAT64 well-known prefix `64:ff9b::a.b.c.d` (RFC 6052);
/// * 6to4 `2002:AABB:CCDD::/48` (RFC 3056);
/// * Teredo `2001:0:SSSS:SSSS:flags:port:~CC:~CC` (RFC 4380): the server, and the client whose
///   address is stored inverted.
///
/// The NAT64 local-use prefix 64:ff9b:1::/48 (RFC 8215) puts the IPv4 address where its
/// operator chooses; it is refused outright (see [`classify_v6`]).
fn embedded_v4(a: Ipv6Addr) -> [Option<Ipv4Addr>; 2] {
    let s = a.segments();
    let o = a.octets();
    let last = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    if s[..6] == [0; 6] && s[6] == 0 && s[7] <= 1 {
        // `::` and `::1`: IPv6's own unspecified and loopback addresses.
        [None, None]
    } else if s[..6] == [0; 6]
        || s[..6] == [0, 0, 0, 0, 0xFFFF, 0]
        || s[..6] == [0x64, 0xFF9B, 0, 0, 0, 0]
    {
        [Some(last), None]
    } else if s[0] == 0x2002 {
        [Some(Ipv4Addr::new(o[2], o[3], o[4], o[5])), None]
    } else if s[0] == 0x2001 && s[1] == 0 {
        [
            Some(Ipv4Addr::new(o[4], o[5], o[6], o[7])),
            Some(Ipv4Addr::new(!o[12], !o[13], !o[14], !o[15])),
        ]
    } else {
        [None, None]
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
    if a.is_unspecified() || a.is_multicast() || s[..3] == [0x64, 0xFF9B, 1] {
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
        // Only that port: the IP as a whole is not allowed.
        assert!(!p.permits_ip(sfu.ip()));
        assert!(p.permits(sfu));
        assert!(p.permits("[::ffff:10.0.0.5]:40000".parse().unwrap()));
        assert!(!p.permits("10.0.0.5:6379".parse().unwrap()));
        assert!(!p.permits_ip(ip("10.0.0.6")));
        // Public peers pass on any port.
        assert!(p.permits("203.0.113.1:6379".parse().unwrap()));
    }

    /// Production policy plus one that allows loopback only and one that allows private only.
    fn policies() -> (PeerPolicy, PeerPolicy, PeerPolicy) {
        (
            PeerPolicy::default(),
            PeerPolicy {
                allow_loopback: true,
                ..Default::default()
            },
            PeerPolicy {
                allow_private: true,
                ..Default::default()
            },
        )
    }

    /// `loopback`, `private` and `public` IPv6 forms of one embedding: each is judged as the
    /// IPv4 address it carries.
    fn judged_as_ipv4(loopback: &[&str], private: &[&str], public: &[&str]) {
        let (prod, lo, pr) = policies();
        for a in loopback {
            assert!(!prod.permits_ip(ip(a)), "{a} should be denied");
            assert!(!pr.permits_ip(ip(a)), "{a} is loopback, not private");
            assert!(lo.permits_ip(ip(a)), "{a} is loopback");
            assert!(!prod.permits(SocketAddr::new(ip(a), 7000)), "{a}:7000");
        }
        for a in private {
            assert!(!prod.permits_ip(ip(a)), "{a} should be denied");
            assert!(!lo.permits_ip(ip(a)), "{a} is private, not loopback");
            assert!(pr.permits_ip(ip(a)), "{a} is private");
        }
        for a in public {
            assert!(prod.permits_ip(ip(a)), "{a} should be allowed");
        }
    }

    #[test]
    fn ipv4_compatible_addresses_are_judged_as_ipv4() {
        judged_as_ipv4(
            &["::127.0.0.1", "::7f00:1", "::127.1.2.3"],
            &["::a00:1", "::192.168.1.1", "::169.254.169.254"],
            &["::203.0.113.5"],
        );
        // `::` and `::1` keep their IPv6 meaning.
        let (prod, lo, _) = policies();
        assert!(lo.permits_ip(ip("::1")));
        assert!(!prod.permits_ip(ip("::1")));
        assert!(!PeerPolicy::permissive().permits_ip(ip("::")));
        assert!(!PeerPolicy::permissive().permits_ip(ip("::0.0.0.2")));
    }

    #[test]
    fn ipv4_mapped_and_translated_addresses_are_judged_as_ipv4() {
        judged_as_ipv4(
            &[
                "::ffff:127.0.0.1",
                "::ffff:7f00:1",
                "::ffff:0:127.0.0.1",
                "::ffff:0:7f00:1",
            ],
            &[
                "::ffff:10.0.0.1",
                "::ffff:a00:1",
                "::ffff:0:a00:1",
                "::ffff:0:169.254.169.254",
            ],
            &["::ffff:203.0.113.5", "::ffff:0:203.0.113.5"],
        );
        assert!(!PeerPolicy::permissive().permits_ip(ip("::ffff:0:224.0.0.1")));
    }

    #[test]
    fn nat64_well_known_prefix_is_judged_as_ipv4() {
        judged_as_ipv4(
            &["64:ff9b::7f00:1", "64:ff9b::127.0.0.1"],
            &[
                "64:ff9b::a00:1",
                "64:ff9b::172.16.0.1",
                "64:ff9b::169.254.169.254",
            ],
            &["64:ff9b::203.0.113.5", "64:ff9b::8.8.8.8"],
        );
        assert!(!PeerPolicy::permissive().permits_ip(ip("64:ff9b::0.0.0.0")));
    }

    #[test]
    fn nat64_local_use_prefix_is_refused() {
        // RFC 8215's 64:ff9b:1::/48 is translated by the operator's own NAT64, with the IPv4
        // address at a position of the operator's choosing: refused whatever it carries.
        for a in [
            "64:ff9b:1::7f00:1",
            "64:ff9b:1:7f00:0:100::",
            "64:ff9b:1::a00:1",
            "64:ff9b:1::203.0.113.5",
            "64:ff9b:1:fffe::cb00:7105",
        ] {
            assert!(!PeerPolicy::permissive().permits_ip(ip(a)), "{a}");
        }
        // Unless listed.
        let listed = PeerPolicy {
            allowed_ips: vec![ip("64:ff9b:1::203.0.113.5")],
            ..Default::default()
        };
        assert!(listed.permits_ip(ip("64:ff9b:1::203.0.113.5")));
    }

    #[test]
    fn six_to_four_is_judged_as_ipv4() {
        judged_as_ipv4(
            &["2002:7f00:1::1", "2002:7f00:1:5::9"],
            &["2002:a00:1::1", "2002:c0a8:101::1", "2002:a9fe:a9fe::"],
            &["2002:cb00:7105::1"],
        );
        assert!(!PeerPolicy::permissive().permits_ip(ip("2002:e000:1::1")));
    }

    #[test]
    fn teredo_server_and_client_are_judged_as_ipv4() {
        // 2001:0:SERVER:flags:port:~CLIENT. ~203.0.113.5 = 34ff:8efa, ~127.0.0.1 = 80ff:fffe,
        // ~10.0.0.1 = f5ff:fffe; 203.0.113.9 = cb00:7109.
        judged_as_ipv4(
            // Loopback client, or loopback server.
            &["2001:0:cb00:7109::80ff:fffe", "2001:0:7f00:1::34ff:8efa"],
            // Private client, or private server.
            &[
                "2001:0:cb00:7109::f5ff:fffe",
                "2001:0:a00:1:0:f227:34ff:8efa",
            ],
            &["2001:0:cb00:7109:0:f227:34ff:8efa"],
        );
        // Both must pass: a loopback server with a private client passes neither switch alone.
        let (_, lo, pr) = policies();
        let mixed = ip("2001:0:7f00:1::f5ff:fffe");
        assert!(!lo.permits_ip(mixed) && !pr.permits_ip(mixed));
        assert!(PeerPolicy::permissive().permits_ip(mixed));
        // 2001:db8::/32 (documentation) is not Teredo.
        assert!(PeerPolicy::default().permits_ip(ip("2001:db8::7f00:1")));
    }

    #[test]
    fn listed_ipv4_addresses_cover_their_embedded_forms() {
        let p = PeerPolicy {
            allowed_ips: vec![ip("10.0.0.5")],
            ..Default::default()
        };
        for a in [
            "::ffff:10.0.0.5",
            "64:ff9b::a00:5",
            "2002:a00:5::1",
            "::a00:5",
        ] {
            assert!(p.permits_ip(ip(a)), "{a}");
        }
        assert!(!p.permits_ip(ip("64:ff9b::a00:6")));
    }
}
