//! Exponential backoff while the sidecar is not up yet (pure: the caller sleeps).

use std::time::Duration;

/// How long a call keeps retrying a sidecar that does not answer. Agones documents that the
/// sidecar may start after the game server, so the first calls must wait for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failed attempt; doubled after each further one.
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// No new attempt starts once this much time has passed since the first.
    pub budget: Duration,
    /// Per request, so a hung sidecar cannot stall a call forever.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(2),
            budget: Duration::from_secs(30),
            request_timeout: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// No retry at all (e.g. `Health`, which is sent again every second anyway).
    pub fn once(request_timeout: Duration) -> Self {
        Self {
            first_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            budget: Duration::ZERO,
            request_timeout,
        }
    }

    /// The delay before attempt `failed + 1`, after `failed` failures.
    pub fn delay(&self, failed: u32) -> Duration {
        let factor = 1u32
            .checked_shl(failed.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.first_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// Whether another attempt may start `elapsed` after the first one started.
    pub fn should_retry(&self, elapsed: Duration) -> bool {
        elapsed < self.budget
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap() {
        let p = RetryPolicy {
            first_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(300),
            ..RetryPolicy::default()
        };
        let delays: Vec<u128> = (1..=6).map(|n| p.delay(n).as_millis()).collect();
        assert_eq!(delays, [50, 100, 200, 300, 300, 300]);
        assert_eq!(p.delay(200), Duration::from_millis(300));
    }

    #[test]
    fn stops_at_the_budget() {
        let p = RetryPolicy {
            budget: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        assert!(p.should_retry(Duration::from_millis(999)));
        assert!(!p.should_retry(Duration::from_secs(1)));
        assert!(!RetryPolicy::once(Duration::from_secs(1)).should_retry(Duration::ZERO));
    }
}
