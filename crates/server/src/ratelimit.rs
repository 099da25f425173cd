//! A token bucket per connection: `rate` frames per second on average, `burst` at once.

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

    /// Takes one token; false when the bucket is empty.
    pub fn take(&mut self, now_ms: u64) -> bool {
        let elapsed = now_ms.saturating_sub(self.last_ms) as f64;
        self.last_ms = now_ms;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
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
        assert!(b.take(100));
        assert!(!b.take(100));
        assert!((0..5).all(|_| b.take(10_000)));
        assert!(!b.take(10_000));
    }
}
