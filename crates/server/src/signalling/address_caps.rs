//! Open WebSocket connections per source address (IPv6: per /64, as the login limits count):
//! one address may hold at most `session.max_connections_per_ip` room and media connections at
//! once. Logins are rate limited per address already, but a connection that never logs in
//! costs memory and a file descriptor until its login deadline; without a cap one host could
//! hold the process's whole open-file budget.

use crate::signalling::rate_limits::ip_key;
use crate::sync::lock;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub use crate::config::DEFAULT_MAX_CONNECTIONS_PER_IP;

/// The open-connection count of every address that has one.
pub struct AddressCaps {
    /// 0 = no cap.
    max: u32,
    open: Mutex<HashMap<IpAddr, u32>>,
    refused: AtomicU64,
}

/// One open connection of an address; dropping it gives its place back.
pub struct AddressSlot {
    caps: Arc<AddressCaps>,
    key: IpAddr,
}

impl AddressCaps {
    pub fn new(max: u32) -> Arc<AddressCaps> {
        Arc::new(AddressCaps {
            max,
            open: Mutex::new(HashMap::new()),
            refused: AtomicU64::new(0),
        })
    }

    /// A place for one more connection from `ip`, or how many it holds already.
    pub fn acquire(self: &Arc<Self>, ip: IpAddr) -> Result<Option<AddressSlot>, u32> {
        if self.max == 0 {
            return Ok(None);
        }
        let key = ip_key(ip);
        let mut open = lock(&self.open);
        let n = open.entry(key).or_insert(0);
        if *n >= self.max {
            let held = *n;
            drop(open);
            let refused = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
            // Logged at powers of two: a host that retries in a loop must not flood the log.
            if refused.is_power_of_two() {
                tracing::warn!(peer = %ip, held, refused, "connection refused: too many open connections from this address (session.max_connections_per_ip)");
            }
            return Err(held);
        }
        *n += 1;
        Ok(Some(AddressSlot {
            caps: self.clone(),
            key,
        }))
    }

    /// Addresses with an open connection.
    pub fn tracked(&self) -> usize {
        lock(&self.open).len()
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = lock(&self.caps.open);
        if let Some(n) = open.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_at_most_max_and_gets_its_places_back() {
        let caps = AddressCaps::new(2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let s1 = caps.acquire(a).unwrap();
        let _s2 = caps.acquire(a).unwrap();
        assert_eq!(caps.acquire(a).err(), Some(2));
        // Another address is not affected.
        assert!(caps.acquire("192.0.2.2".parse().unwrap()).is_ok());
        drop(s1);
        assert!(caps.acquire(a).is_ok());
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let caps = AddressCaps::new(1);
        let _a = caps.acquire("2001:db8:1:2::1".parse().unwrap()).unwrap();
        assert!(caps.acquire("2001:db8:1:2::ffff".parse().unwrap()).is_err());
        assert!(caps.acquire("2001:db8:1:3::1".parse().unwrap()).is_ok());
        let _v4 = caps.acquire("198.51.100.7".parse().unwrap()).unwrap();
        assert!(caps
            .acquire("::ffff:198.51.100.7".parse().unwrap())
            .is_err());
    }

    #[test]
    fn no_cap_tracks_nothing() {
        let caps = AddressCaps::new(0);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let slots: Vec<_> = (0..5000).map(|_| caps.acquire(a).unwrap()).collect();
        assert!(slots.iter().all(Option::is_none));
        assert_eq!(caps.tracked(), 0);
    }

    #[test]
    fn the_table_forgets_addresses_with_no_connection() {
        let caps = AddressCaps::new(3);
        let slots: Vec<_> = (1..=100u8)
            .map(|i| caps.acquire(IpAddr::from([10, 0, 0, i])).unwrap())
            .collect();
        assert_eq!(caps.tracked(), 100);
        drop(slots);
        assert_eq!(caps.tracked(), 0);
    }
}
