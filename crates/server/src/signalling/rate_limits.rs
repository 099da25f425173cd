//! Rate limits. [`TokenBucket`]: one bucket, `rate` per second on average and `burst` at once
//! (a connection's frames, a connection's logins). [`KeyedLimiter`]: one bucket per key shared
//! by every connection (a source address's logins, an app's logins), in a sharded map of
//! bounded size. [`LoginLimits`]: the two shared login limits of a server (docs/protocol.md §3).

use crate::metrics::{Counter, Metrics};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last_ms: u64,
}

impl TokenBucket {
    pub fn new(rate_per_sec: u32, burst: u32, now_ms: u64) -> Self {
        TokenBucket {
            rate: rate_per_sec as f64 / 1000.0,
            burst: burst as f64,
            tokens: burst as f64,
            last_ms: now_ms,
        }
    }

    fn refill(&mut self, now_ms: u64) {
        let elapsed = now_ms.saturating_sub(self.last_ms) as f64;
        self.last_ms = self.last_ms.max(now_ms);
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
    }

    /// Takes one token; false when the bucket is empty.
    pub fn take(&mut self, now_ms: u64) -> bool {
        self.refill(now_ms);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Milliseconds until the next token (0 when there is one).
    pub fn wait_ms(&self) -> u64 {
        if self.tokens >= 1.0 || self.rate <= 0.0 {
            return 0;
        }
        ((1.0 - self.tokens) / self.rate).ceil() as u64
    }

    /// Whether the bucket would be full at `now_ms`: it then acts as a new one, so a map of
    /// buckets may forget it.
    fn idle_at(&self, now_ms: u64) -> bool {
        let elapsed = now_ms.saturating_sub(self.last_ms) as f64;
        self.tokens + elapsed * self.rate >= self.burst
    }
}

/// Shards of a [`KeyedLimiter`] (each its own lock).
const SHARDS: usize = 16;
/// Keys a [`KeyedLimiter`] tracks at most (spread over the shards). Past it, keys not yet
/// tracked share one overflow bucket per shard, so random or spoofed keys neither grow the
/// map nor escape the limit.
pub const MAX_TRACKED_KEYS: usize = 65_536;
/// How often a shard forgets its idle (refilled) buckets.
const SWEEP_MS: u64 = 10_000;
/// How often a full shard may look for idle buckets to make room.
const FULL_SWEEP_MS: u64 = 100;

struct Shard<K> {
    buckets: HashMap<K, TokenBucket>,
    /// Shared by keys that found the shard full.
    overflow: TokenBucket,
    last_sweep_ms: u64,
}

/// The answer of [`KeyedLimiter::take`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    Allowed,
    /// Over the limit: the next token comes in this many ms.
    Limited {
        retry_ms: u64,
    },
}

/// A token bucket per key (`rate_per_sec` 0 = no limit), shared by every connection.
pub struct KeyedLimiter<K> {
    rate_per_sec: u32,
    burst: u32,
    per_shard: usize,
    hasher: RandomState,
    shards: Vec<Mutex<Shard<K>>>,
    /// Takes charged to an overflow bucket because a shard was full.
    overflowed: AtomicU64,
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    pub fn new(rate_per_sec: u32, burst: u32) -> Self {
        Self::with_capacity(rate_per_sec, burst, MAX_TRACKED_KEYS)
    }

    /// A limiter that tracks at most `max_keys` keys (rounded up to a multiple of the shards).
    pub fn with_capacity(rate_per_sec: u32, burst: u32, max_keys: usize) -> Self {
        let shards = (0..SHARDS)
            .map(|_| {
                Mutex::new(Shard {
                    buckets: HashMap::new(),
                    overflow: TokenBucket::new(rate_per_sec, burst, 0),
                    last_sweep_ms: 0,
                })
            })
            .collect();
        KeyedLimiter {
            rate_per_sec,
            burst,
            per_shard: max_keys.div_ceil(SHARDS).max(1),
            hasher: RandomState::new(),
            shards,
            overflowed: AtomicU64::new(0),
        }
    }

    pub fn enabled(&self) -> bool {
        self.rate_per_sec > 0
    }

    /// Takes one token of `key`'s bucket.
    pub fn take(&self, key: &K, now_ms: u64) -> Take {
        if !self.enabled() {
            return Take::Allowed;
        }
        let i = (self.hasher.hash_one(key) as usize) % self.shards.len();
        let mut shard = crate::sync::lock(&self.shards[i]);
        let shard = &mut *shard;
        if now_ms.saturating_sub(shard.last_sweep_ms) >= SWEEP_MS {
            shard.buckets.retain(|_, b| !b.idle_at(now_ms));
            shard.last_sweep_ms = now_ms;
        }
        // A full shard looks for idle buckets too, but not more than once per FULL_SWEEP_MS
        // (a flood of new keys would otherwise scan it on every take).
        if !shard.buckets.contains_key(key)
            && shard.buckets.len() >= self.per_shard
            && now_ms.saturating_sub(shard.last_sweep_ms) >= FULL_SWEEP_MS
        {
            shard.buckets.retain(|_, b| !b.idle_at(now_ms));
            shard.last_sweep_ms = now_ms;
        }
        let bucket = if shard.buckets.contains_key(key) || shard.buckets.len() < self.per_shard {
            shard
                .buckets
                .entry(key.clone())
                .or_insert_with(|| TokenBucket::new(self.rate_per_sec, self.burst, now_ms))
        } else {
            self.overflowed.fetch_add(1, Ordering::Relaxed);
            &mut shard.overflow
        };
        if bucket.take(now_ms) {
            Take::Allowed
        } else {
            Take::Limited {
                retry_ms: bucket.wait_ms(),
            }
        }
    }

    /// Keys tracked now.
    pub fn tracked(&self) -> usize {
        self.shards
            .iter()
            .map(|s| crate::sync::lock(s).buckets.len())
            .sum()
    }

    /// Takes charged to a shared overflow bucket so far.
    pub fn overflowed(&self) -> u64 {
        self.overflowed.load(Ordering::Relaxed)
    }
}

/// The key of a source address: IPv4 as it is (also when IPv4-mapped), IPv6 by its /64
/// prefix (one host or subscriber usually has a whole /64).
pub fn ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Which login limit refused a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginScope {
    Connection,
    Ip,
    App,
}

impl LoginScope {
    /// Its counter of `liveroom_login_rate_limited_total`.
    pub fn counter(self, m: &Metrics) -> &Counter {
        match self {
            LoginScope::Connection => &m.login_limited_connection,
            LoginScope::Ip => &m.login_limited_ip,
            LoginScope::App => &m.login_limited_app,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LoginScope::Connection => "connection",
            LoginScope::Ip => "ip",
            LoginScope::App => "app",
        }
    }
}

/// The server's shared login limits: per source address and per app (`session.login_*`).
pub struct LoginLimits {
    pub per_ip: KeyedLimiter<IpAddr>,
    pub per_app: KeyedLimiter<u64>,
}

impl LoginLimits {
    pub fn new(c: &crate::config::SessionConfig) -> LoginLimits {
        LoginLimits {
            per_ip: KeyedLimiter::new(c.login_rate_per_ip_per_sec, c.login_burst_per_ip),
            per_app: KeyedLimiter::new(c.login_rate_per_app_per_sec, c.login_burst_per_app),
        }
    }

    pub fn ip(&self, ip: IpAddr, now_ms: u64) -> Take {
        self.per_ip.take(&ip_key(ip), now_ms)
    }

    pub fn app(&self, appid: u64, now_ms: u64) -> Take {
        self.per_app.take(&appid, now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_rate() {
        let mut b = TokenBucket::new(10, 5, 0);
        assert!((0..5).all(|_| b.take(0)));
        assert!(!b.take(0));
        assert_eq!(b.wait_ms(), 100);
        assert!(b.take(100));
        assert!(!b.take(100));
        assert!((0..5).all(|_| b.take(10_000)));
        assert!(!b.take(10_000));
    }

    #[test]
    fn keys_have_their_own_buckets() {
        let l = KeyedLimiter::new(1, 3);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!((0..3).all(|_| l.take(&a, 0) == Take::Allowed));
        assert_eq!(l.take(&a, 0), Take::Limited { retry_ms: 1000 });
        // Another address is unaffected.
        assert!((0..3).all(|_| l.take(&b, 0) == Take::Allowed));
        assert!(matches!(l.take(&b, 10), Take::Limited { .. }));
        // One token a second afterwards.
        assert_eq!(l.take(&a, 1000), Take::Allowed);
        assert!(matches!(l.take(&a, 1000), Take::Limited { .. }));
    }

    #[test]
    fn rate_zero_is_no_limit() {
        let l = KeyedLimiter::new(0, 0);
        assert!((0..1000).all(|_| l.take(&7u64, 0) == Take::Allowed));
        assert_eq!(l.tracked(), 0);
    }

    #[test]
    fn idle_keys_are_forgotten() {
        // Rounds of 1000 new keys, 20 s apart: each round finds the last one's buckets
        // refilled (idle) and forgets them, so the map holds one round, not all of them.
        let l = KeyedLimiter::new(10, 5);
        for round in 0..10u64 {
            for k in 0..1000u64 {
                assert_eq!(l.take(&(round * 1000 + k), round * 20_000), Take::Allowed);
            }
            assert_eq!(l.tracked(), 1000, "round {round}");
        }
    }

    #[test]
    fn many_keys_stay_bounded_and_limited() {
        // 64 keys at most; a flood of distinct keys (spoofed or random) shares overflow buckets.
        let l = KeyedLimiter::with_capacity(1, 2, 64);
        let mut allowed = 0;
        for k in 0..100_000u64 {
            if l.take(&k, 5) == Take::Allowed {
                allowed += 1;
            }
        }
        assert!(l.tracked() <= 64, "{}", l.tracked());
        assert!(l.overflowed() > 0);
        // 64 tracked keys × 2 + 16 overflow buckets × 2.
        assert!(allowed <= 64 * 2 + SHARDS * 2, "{allowed}");
        // A key tracked before the flood keeps its own bucket.
        let l = KeyedLimiter::with_capacity(1, 2, 64);
        assert_eq!(l.take(&u64::MAX, 0), Take::Allowed);
        for k in 0..10_000u64 {
            l.take(&k, 0);
        }
        assert_eq!(l.take(&u64::MAX, 0), Take::Allowed);
        assert!(matches!(l.take(&u64::MAX, 0), Take::Limited { .. }));
    }

    #[test]
    fn ips_are_keyed_by_host_or_ipv6_prefix() {
        let k = |s: &str| ip_key(s.parse().unwrap());
        assert_eq!(k("198.51.100.7"), k("::ffff:198.51.100.7"));
        assert_ne!(k("198.51.100.7"), k("198.51.100.8"));
        assert_eq!(k("2001:db8:1:2::1"), k("2001:db8:1:2:ffff::9"));
        assert_ne!(k("2001:db8:1:2::1"), k("2001:db8:1:3::1"));
    }

    #[test]
    fn one_ip_is_limited_and_another_is_not() {
        let cfg = crate::config::SessionConfig {
            login_rate_per_ip_per_sec: 2,
            login_burst_per_ip: 4,
            ..Default::default()
        };
        let limits = LoginLimits::new(&cfg);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        assert!((0..4).all(|_| limits.ip(a, 0) == Take::Allowed));
        assert_eq!(limits.ip(a, 0), Take::Limited { retry_ms: 500 });
        assert_eq!(limits.ip(b, 0), Take::Allowed);
        assert_eq!(limits.ip(a, 500), Take::Allowed);
    }
}
