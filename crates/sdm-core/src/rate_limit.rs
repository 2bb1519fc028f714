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
        match self.reserve_before(now, None) {
            Ok(wait) | Err(wait) => wait,
        }
    }

    /// Reserves a slot for a request wanting to go at `now` that must start before `deadline`:
    /// `Ok` with how long to wait first or, when the slot would come at or after the deadline,
    /// `Err` with that wait and nothing reserved (the slot stays free for others). What the
    /// clients do, with the call's deadline.
    pub fn reserve_before(
        &mut self,
        now: Instant,
        deadline: Option<Instant>,
    ) -> Result<Duration, Duration> {
        let interval = self.limit.interval();
        let tolerance = interval * (self.limit.burst - 1);
        let arrival = self.theoretical_arrival.map_or(now, |t| t.max(now));
        let allowed_at = arrival.checked_sub(tolerance).unwrap_or(now).max(now);
        let wait = allowed_at.saturating_duration_since(now);
        if deadline.is_some_and(|deadline| allowed_at >= deadline) {
            return Err(wait);
        }
        self.theoretical_arrival = Some(arrival + interval);
        Ok(wait)
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
    fn a_slot_after_the_deadline_is_refused_and_left_free() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut limiter = RateLimiter::new(RateLimit::per_second(10).with_burst(1));
        assert_eq!(
            limiter.reserve_before(at(0), Some(at(50))),
            Ok(Duration::ZERO)
        );
        // The next slot is at 100 ms: after a deadline at 50 ms, and at one at 100 ms.
        let refused = Err(Duration::from_millis(100));
        assert_eq!(limiter.reserve_before(at(0), Some(at(50))), refused);
        assert_eq!(limiter.reserve_before(at(0), Some(at(100))), refused);
        // Nothing was reserved by the refusals: the slot at 100 ms is still the next one.
        assert_eq!(
            limiter.reserve_before(at(0), Some(at(101))),
            Ok(Duration::from_millis(100))
        );
        assert_eq!(
            limiter.reserve_before(at(0), None),
            Ok(Duration::from_millis(200))
        );
        // A deadline already passed refuses even a slot free now.
        let mut fresh = RateLimiter::new(RateLimit::per_second(10));
        assert_eq!(
            fresh.reserve_before(at(10), Some(at(10))),
            Err(Duration::ZERO)
        );
        assert_eq!(
            fresh.reserve_before(at(10), Some(at(11))),
            Ok(Duration::ZERO)
        );
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
