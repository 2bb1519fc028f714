//! The client-side fair-use limit: at most `burst` requests in any window of `burst` intervals,
//! the window lengthened by a safety margin of [`MARGIN_PERCENT`]. Time is passed in; the
//! clients do the sleeping.
//!
//! A sliding window rather than a token bucket: a server that enforces exactly its rate over
//! any window (Django REST Framework's throttles keep a log of the last second) then never sees
//! more than it allows, even when the requests arrive a little later or earlier than they were
//! sent; and a server with a token bucket of the same rate and burst accepts it too. The
//! sustained rate is `per_second` less the margin.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How much longer than `burst` intervals the window is, in percent: room for requests that
/// reach the server later or earlier than they were sent (20 ms a second at the fair-use rate).
pub(crate) const MARGIN_PERCENT: u32 = 2;

/// How many requests per second a client may send, with a burst allowance: at most `burst`
/// requests in any window of `burst / per_second` seconds, lengthened by 2 % for safety.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    per_second: u32,
    burst: u32,
}

impl RateLimit {
    /// The documented fair-use rate of the SDM API: 10 requests per second, never more than 10
    /// in any window of 1.02 s (about 9.8 a second sustained), so that a server enforcing
    /// exactly 10 a second over any second never refuses one.
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

    /// The same rate with another burst allowance (at least 1): at most `burst` requests in any
    /// window of `burst` intervals (and the margin).
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

    /// The window `burst` requests must fit in: `burst` intervals, and the margin.
    fn window(&self) -> Duration {
        let window = Duration::from_secs(1) * self.burst / self.per_second;
        window + window * MARGIN_PERCENT / 100
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
    /// The slots of the last `burst` requests, in order (at most `burst` of them).
    slots: VecDeque<Instant>,
}

impl RateLimiter {
    /// A limiter with no request sent yet.
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            slots: VecDeque::new(),
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
        let burst = self.limit.burst as usize;
        // Never before the last slot given (slots stay in order), and, once `burst` slots are
        // taken, a window after the oldest of them: then no window holds more than `burst`.
        let mut allowed_at = self.slots.back().map_or(now, |&last| last.max(now));
        let oldest = self.slots.front().filter(|_| self.slots.len() >= burst);
        if let Some(&oldest) = oldest {
            allowed_at = allowed_at.max(oldest + self.limit.window());
        }
        let wait = allowed_at.saturating_duration_since(now);
        if deadline.is_some_and(|deadline| allowed_at >= deadline) {
            return Err(wait);
        }
        if self.slots.len() >= burst {
            self.slots.pop_front();
        }
        self.slots.push_back(allowed_at);
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
    fn bursts_pass_then_the_window_applies() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(RateLimit::per_second(10).with_burst(3));
        // Three at once pass; the next three go once the window (300 ms + 2 %) has passed.
        assert_eq!(
            waits(&mut limiter, start, &[0, 0, 0, 0, 0, 0, 0]),
            [0, 0, 0, 306, 306, 306, 612]
        );
    }

    #[test]
    fn idle_time_refills_the_burst() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(RateLimit::per_second(10).with_burst(2));
        assert_eq!(waits(&mut limiter, start, &[0, 0, 0]), [0, 0, 204]);
        // A second later the burst is available again.
        assert_eq!(waits(&mut limiter, start, &[1300, 1300, 1300]), [0, 0, 204]);
    }

    #[test]
    fn a_steady_caller_is_held_to_the_rate() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(RateLimit::per_second(4).with_burst(1));
        let mut now = start;
        for _ in 0..8 {
            now += limiter.reserve(now);
        }
        // Eight requests at 4/s with no burst: the last goes 7 × 255 ms after the first.
        assert_eq!(now - start, Duration::from_millis(1785));
    }

    /// The send times of `n` requests made as soon as the fair-use limiter allows, by a
    /// caller that asks again `think` after each slot (zero: as fast as it can).
    fn fair_use_walk(n: usize, start: Instant, think: impl Fn(usize) -> Duration) -> Vec<Instant> {
        let mut limiter = RateLimiter::new(RateLimit::FAIR_USE);
        let mut now = start;
        let mut sent = Vec::with_capacity(n);
        for i in 0..n {
            now += limiter.reserve(now);
            sent.push(now);
            now += think(i);
        }
        sent
    }

    /// What DRF's throttle does with arrivals: a request is refused when 10 others arrived in
    /// the second before it (`history` entries newer than `now - 1 s`). Returns the refusals.
    fn sliding_window_refusals(arrivals: &[Instant]) -> usize {
        let mut history: VecDeque<Instant> = VecDeque::new();
        let mut refused = 0;
        for &now in arrivals {
            while history
                .front()
                .is_some_and(|&t| t + Duration::from_secs(1) <= now)
            {
                history.pop_front();
            }
            if history.len() >= 10 {
                refused += 1;
            } else {
                history.push_back(now);
            }
        }
        refused
    }

    /// The fake server's token bucket of 10, refilled at 10 a second.
    fn token_bucket_refusals(arrivals: &[Instant]) -> usize {
        let (mut tokens, mut at) = (10.0_f64, arrivals[0]);
        let mut refused = 0;
        for &now in arrivals {
            tokens = (tokens + (now - at).as_secs_f64() * 10.0).min(10.0);
            at = now;
            if tokens >= 1.0 {
                tokens -= 1.0;
            } else {
                refused += 1;
            }
        }
        refused
    }

    /// Every window `[t, t + 1 s)` starting at a send holds at most 10 sends.
    fn most_in_a_second(sent: &[Instant]) -> usize {
        (0..sent.len())
            .map(|i| {
                sent[i..]
                    .iter()
                    .take_while(|&&t| t < sent[i] + Duration::from_secs(1))
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_server_enforcing_exactly_ten_a_second_never_refuses_the_fair_use_pace() {
        let start = Instant::now();
        // 10,000 requests as fast as allowed; then a caller that pauses now and then (so
        // the burst refills and is spent again) in an irregular pattern.
        let steady = fair_use_walk(10_000, start, |_| Duration::ZERO);
        let bursty = fair_use_walk(10_000, start, |i| {
            Duration::from_millis([0, 0, 350, 0, 1200, 0, 0, 90][i % 8])
        });
        for sent in [&steady, &bursty] {
            assert!(most_in_a_second(sent) <= 10);
            assert_eq!(sliding_window_refusals(sent), 0);
            assert_eq!(token_bucket_refusals(sent), 0);
            // The requests may reach the server up to 10 ms later or earlier than they were
            // sent, in any pattern: still no refusal.
            let jittered: Vec<Instant> = sent
                .iter()
                .enumerate()
                .map(|(i, &t)| {
                    t + Duration::from_millis(10) - Duration::from_millis((i * 7 % 21) as u64)
                })
                .collect();
            let mut arrivals = jittered.clone();
            arrivals.sort();
            assert_eq!(sliding_window_refusals(&arrivals), 0);
        }

        // The pace of the former limit (10 a second, bursts of 10 as a token bucket: the 11th
        // request 100 ms after the burst) drew a refusal from such a server.
        let former: Vec<Instant> = (0..20u64)
            .map(|i| start + Duration::from_millis(i.saturating_sub(9) * 100))
            .collect();
        assert!(sliding_window_refusals(&former) > 0);

        // Throughput within 5 % of the former limit's: 10,000 requests took it
        // (10,000 - 10) × 100 ms.
        let former_total = Duration::from_millis((10_000 - 10) * 100);
        let total = steady[steady.len() - 1] - start;
        assert!(total <= former_total * 105 / 100, "{total:?}");
        assert!(total >= former_total, "{total:?}");
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
        // The next slot is at 102 ms: after a deadline at 50 ms, and at one at 102 ms.
        let refused = Err(Duration::from_millis(102));
        assert_eq!(limiter.reserve_before(at(0), Some(at(50))), refused);
        assert_eq!(limiter.reserve_before(at(0), Some(at(102))), refused);
        // Nothing was reserved by the refusals: the slot at 102 ms is still the next one.
        assert_eq!(
            limiter.reserve_before(at(0), Some(at(103))),
            Ok(Duration::from_millis(102))
        );
        assert_eq!(
            limiter.reserve_before(at(0), None),
            Ok(Duration::from_millis(204))
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
}
