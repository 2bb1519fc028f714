//! The client-side fair-use limit: a rate with a burst allowance (GCRA, the "virtual
//! scheduling" form of a token bucket). Time is passed in; the clients do the sleeping.

use std::time::{Duration, Instant};

/// How many requests per second a client may send, with a burst allowance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    per_second: u32,
    burst: u32,
}

impl RateLimit {
    /// The documented fair-use rate of the SDM API: 10 requests per second.
    pub const FAIR_USE: RateLimit = RateLimit {
        per_second: 10,
        burst: 10,
    };

    /// `per_second` requests per second, allowing bursts of `per_second` (at least 1 each).
    pub fn per_second(per_second: u32) -> Self {
        Self {
            per_second: per_second.max(1),
            burst: per_second.max(1),
        }
    }

    /// The same rate with another burst allowance (at least 1).
    pub fn with_burst(self, burst: u32) -> Self {
        Self {
            burst: burst.max(1),
            ..self
        }
    }

    /// Requests per second.
    pub fn requests_per_second(&self) -> u32 {
        self.per_second
    }

    /// Requests that may go at once before the rate applies.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(1) / self.per_second
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::FAIR_USE
    }
}

/// The state of one client's limit. Each request reserves its slot, then waits for it.
#[derive(Clone, Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    /// When the next request would be due if requests were spread perfectly evenly.
    theoretical_arrival: Option<Instant>,
}

impl RateLimiter {
    /// A limiter with no request sent yet.
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            theoretical_arrival: None,
        }
    }

    /// Reserves a slot for a request wanting to go at `now`; returns how long to wait first.
    ///
    /// Reservations are final: a caller that reserved must send after waiting, so concurrent
    /// callers each get their own slot and together never exceed the rate.
    pub fn reserve(&mut self, now: Instant) -> Duration {
        let interval = self.limit.interval();
        let tolerance = interval * (self.limit.burst - 1);
        let arrival = self.theoretical_arrival.map_or(now, |t| t.max(now));
        let allowed_at = arrival.checked_sub(tolerance).unwrap_or(now);
        let wait = allowed_at.saturating_duration_since(now);
        self.theoretical_arrival = Some(arrival + interval);
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waits(limiter: &mut RateLimiter, start: Instant, offsets_ms: &[u64]) -> Vec<u64> {
        offsets_ms
            .iter()
            .map(|&ms| {
                limiter
                    .reserve(start + Duration::from_millis(ms))
                    .as_millis() as u64
            })
            .collect()
    }

    #[test]
    fn bursts_pass_then_the_rate_applies() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(RateLimit::per_second(10).with_burst(3));
        // Three at once pass; the fourth and fifth are spaced by 100 ms.
        assert_eq!(
            waits(&mut limiter, start, &[0, 0, 0, 0, 0]),
            [0, 0, 0, 100, 200]
        );
    }

    #[test]
    fn idle_time_refills_the_burst() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(RateLimit::per_second(10).with_burst(2));
        assert_eq!(waits(&mut limiter, start, &[0, 0, 0]), [0, 0, 100]);
        // A second later the burst is available again.
        assert_eq!(waits(&mut limiter, start, &[1300, 1300, 1300]), [0, 0, 100]);
    }

    #[test]
    fn a_steady_caller_is_held_to_the_rate() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(RateLimit::per_second(4).with_burst(1));
        let mut now = start;
        for _ in 0..8 {
            now += limiter.reserve(now);
        }
        // Eight requests at 4/s with no burst: the last goes 7 × 250 ms after the first.
        assert_eq!(now - start, Duration::from_millis(1750));
    }
}
