//! The fair-use limit: a token bucket over every request the server receives, answering DRF's
//! 429 (with `Retry-After` if asked) when it is empty.

use std::sync::Mutex;
use std::time::Instant;

/// A request rate limit for [`crate::MockBuilder::fair_use`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FairUse {
    /// Sustained rate: tokens added to the bucket per second (at least 1).
    pub requests_per_second: u32,
    /// Bucket size: how many requests may arrive at once after a quiet period (at least 1).
    pub burst: u32,
    /// Whether 429 responses carry a `Retry-After` header (integer seconds).
    pub send_retry_after: bool,
}

impl FairUse {
    /// `n` requests per second, bursts of `n`, with `Retry-After`.
    pub fn per_second(n: u32) -> Self {
        Self {
            requests_per_second: n,
            burst: n,
            send_retry_after: true,
        }
    }
}

/// The token bucket; starts full.
#[derive(Debug)]
pub(crate) struct Throttle {
    rate: f64,
    burst: f64,
    send_retry_after: bool,
    state: Mutex<Bucket>,
}

/// Tokens left at the last refill.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Throttle {
    /// A full bucket for `limit`.
    pub(crate) fn new(limit: FairUse) -> Self {
        let burst = f64::from(limit.burst.max(1));
        Self {
            rate: f64::from(limit.requests_per_second.max(1)),
            burst,
            send_retry_after: limit.send_retry_after,
            state: Mutex::new(Bucket {
                tokens: burst,
                at: Instant::now(),
            }),
        }
    }

    /// Whether 429 responses carry `Retry-After`.
    pub(crate) fn send_retry_after(&self) -> bool {
        self.send_retry_after
    }

    /// Takes a token for a request arriving at `now`; if there is none, the whole seconds
    /// (at least 1) until there will be one.
    pub(crate) fn acquire(&self, now: Instant) -> Result<(), u64> {
        let mut bucket = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.at = bucket.at.max(now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - bucket.tokens) / self.rate).ceil();
            Err((wait as u64).max(1))
        }
    }
}

/// DRF's `Throttled` detail for a wait of `seconds`.
pub(crate) fn throttled_detail(seconds: u64) -> String {
    let unit = if seconds == 1 { "second" } else { "seconds" };
    format!("Request was throttled. Expected available in {seconds} {unit}.")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn bucket_allows_bursts_then_refills_at_the_rate() {
        let throttle = Throttle::new(FairUse {
            requests_per_second: 4,
            burst: 2,
            send_retry_after: false,
        });
        let t0 = Instant::now();
        assert_eq!(throttle.acquire(t0), Ok(()));
        assert_eq!(throttle.acquire(t0), Ok(()));
        assert_eq!(throttle.acquire(t0), Err(1));
        // A token every 250 ms.
        assert_eq!(throttle.acquire(t0 + Duration::from_millis(200)), Err(1));
        assert_eq!(throttle.acquire(t0 + Duration::from_millis(260)), Ok(()));
        assert_eq!(throttle.acquire(t0 + Duration::from_millis(270)), Err(1));
        // Never more than the burst after a long pause.
        let later = t0 + Duration::from_secs(60);
        assert_eq!(throttle.acquire(later), Ok(()));
        assert_eq!(throttle.acquire(later), Ok(()));
        assert_eq!(throttle.acquire(later), Err(1));
    }

    #[test]
    fn zero_values_are_raised_to_one() {
        let throttle = Throttle::new(FairUse {
            requests_per_second: 0,
            burst: 0,
            send_retry_after: true,
        });
        let t0 = Instant::now();
        assert_eq!(throttle.acquire(t0), Ok(()));
        assert_eq!(throttle.acquire(t0), Err(1));
        assert_eq!(throttle.acquire(t0 + Duration::from_secs(1)), Ok(()));
        assert_eq!(FairUse::per_second(10).burst, 10);
        assert!(FairUse::per_second(10).send_retry_after);
    }

    #[test]
    fn detail_uses_drf_wording() {
        assert_eq!(
            throttled_detail(1),
            "Request was throttled. Expected available in 1 second."
        );
        assert_eq!(
            throttled_detail(3),
            "Request was throttled. Expected available in 3 seconds."
        );
    }
}
