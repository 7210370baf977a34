//! A token bucket for input datagrams. Time comes from the caller, so it is tested without
//! a clock.

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate_per_sec: u32,
    burst: u32,
    /// Tokens in millitokens, so sub-token refills are not lost.
    milli: u64,
    last: Instant,
}

impl TokenBucket {
    /// `rate_per_sec` sustained, `burst` at most at once; starts full.
    pub fn new(rate_per_sec: u32, burst: u32, now: Instant) -> TokenBucket {
        TokenBucket {
            rate_per_sec,
            burst,
            milli: u64::from(burst) * 1000,
            last: now,
        }
    }

    /// Takes one token if there is one.
    pub fn allow(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last);
        self.last = now;
        let refill = elapsed
            .as_micros()
            .saturating_mul(u128::from(self.rate_per_sec))
            / 1000;
        let cap = u64::from(self.burst) * 1000;
        self.milli = (u128::from(self.milli) + refill).min(u128::from(cap)) as u64;
        if self.milli >= 1000 {
            self.milli -= 1000;
            true
        } else {
            false
        }
    }

    /// The time one token takes to refill.
    pub fn interval(&self) -> Duration {
        Duration::from_micros(1_000_000 / u64::from(self.rate_per_sec.max(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_sustained_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10, 5, t0);
        assert_eq!((0..20).filter(|_| b.allow(t0)).count(), 5, "the burst");
        // One second later: 10 more, not 20.
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(
            (0..20).filter(|_| b.allow(t1)).count(),
            5,
            "refill capped at the burst"
        );
        let mut allowed = 0;
        for i in 1..=100u64 {
            if b.allow(t1 + Duration::from_millis(i * 10)) {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 10, "10 per second sustained");
        assert_eq!(b.interval(), Duration::from_millis(100));
    }
}
