//! The fair-use limit over every request the server receives, answering DRF's 429 (with
//! `Retry-After` if asked) when it is reached: a token bucket ([`crate::MockBuilder::fair_use`]),
//! or the sliding window of Django REST Framework's `SimpleRateThrottle`
//! ([`crate::MockBuilder::fair_use_window`]).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A request rate limit for [`crate::MockBuilder::fair_use`] (a token bucket) or
/// [`crate::MockBuilder::fair_use_window`] (a sliding window).
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

/// How a [`FairUse`] limit counts the requests it has seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    /// A bucket of `burst` tokens, refilled at `requests_per_second`.
    TokenBucket,
    /// DRF's `SimpleRateThrottle`: a log of arrival times; a request is refused when `burst` of
    /// them are in the last `burst / requests_per_second` seconds (10 a second: 10 in the last
    /// second). Refused requests are not logged.
    SlidingWindow,
}

/// A fair-use limit and its state.
#[derive(Debug)]
pub(crate) struct Throttle {
    rate: f64,
    burst: f64,
    send_retry_after: bool,
    state: Mutex<State>,
}

/// What each algorithm remembers.
#[derive(Debug)]
enum State {
    Bucket(Bucket),
    Window(Window),
}

/// Tokens left at the last refill.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The arrival times of the accepted requests still in the window, oldest first.
#[derive(Debug)]
struct Window {
    /// How many may be in the window.
    num_requests: usize,
    /// How long an arrival stays in it.
    duration: Duration,
    history: VecDeque<Instant>,
}

impl Window {
    /// DRF's `allow_request`: drops the arrivals that are `duration` old or older, then refuses
    /// when `num_requests` remain (with the whole seconds, rounded up, until the oldest of them
    /// leaves: DRF's `wait()` with one request available, at least 1), else logs `now`.
    fn acquire(&mut self, now: Instant) -> Result<(), u64> {
        while self
            .history
            .front()
            .is_some_and(|&oldest| oldest + self.duration <= now)
        {
            self.history.pop_front();
        }
        match self.history.front() {
            Some(&oldest) if self.history.len() >= self.num_requests => {
                let remaining = (oldest + self.duration).saturating_duration_since(now);
                Err((remaining.as_secs_f64().ceil() as u64).max(1))
            }
            _ => {
                // Arrivals are logged in order: one timed a little before the last logged
                // (requests racing to the lock) counts as arriving with it.
                let last = self.history.back().map_or(now, |&last| last.max(now));
                self.history.push_back(last);
                Ok(())
            }
        }
    }
}

impl Throttle {
    /// A full bucket, or an empty window, for `limit`.
    pub(crate) fn new(limit: FairUse, algorithm: Algorithm) -> Self {
        let burst = limit.burst.max(1);
        let per_second = limit.requests_per_second.max(1);
        let state = match algorithm {
            Algorithm::TokenBucket => State::Bucket(Bucket {
                tokens: f64::from(burst),
                at: Instant::now(),
            }),
            Algorithm::SlidingWindow => State::Window(Window {
                num_requests: burst as usize,
                duration: Duration::from_secs(1) * burst / per_second,
                history: VecDeque::with_capacity(burst as usize),
            }),
        };
        Self {
            rate: f64::from(per_second),
            burst: f64::from(burst),
            send_retry_after: limit.send_retry_after,
            state: Mutex::new(state),
        }
    }

    /// Whether 429 responses carry `Retry-After`.
    pub(crate) fn send_retry_after(&self) -> bool {
        self.send_retry_after
    }

    /// Admits a request arriving at `now`; if the limit refuses it, the whole seconds (at
    /// least 1) until one would be admitted.
    pub(crate) fn acquire(&self, now: Instant) -> Result<(), u64> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = match &mut *state {
            State::Bucket(bucket) => bucket,
            State::Window(window) => return window.acquire(now),
        };
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
        let throttle = Throttle::new(
            FairUse {
                requests_per_second: 4,
                burst: 2,
                send_retry_after: false,
            },
            Algorithm::TokenBucket,
        );
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
        let throttle = Throttle::new(
            FairUse {
                requests_per_second: 0,
                burst: 0,
                send_retry_after: true,
            },
            Algorithm::TokenBucket,
        );
        let t0 = Instant::now();
        assert_eq!(throttle.acquire(t0), Ok(()));
        assert_eq!(throttle.acquire(t0), Err(1));
        assert_eq!(throttle.acquire(t0 + Duration::from_secs(1)), Ok(()));
        assert_eq!(FairUse::per_second(10).burst, 10);
        assert!(FairUse::per_second(10).send_retry_after);
    }

    fn window(limit: FairUse) -> Throttle {
        Throttle::new(limit, Algorithm::SlidingWindow)
    }

    #[test]
    fn the_window_refuses_the_eleventh_in_a_second_until_the_oldest_leaves() {
        let throttle = window(FairUse::per_second(10));
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        for ms in (0..10).map(|i| i * 100) {
            assert_eq!(throttle.acquire(at(ms)), Ok(()), "{ms} ms");
        }
        // Ten in the last second: the 11th is refused until the one at 0 ms is a second old.
        assert_eq!(throttle.acquire(at(950)), Err(1));
        assert_eq!(throttle.acquire(at(999)), Err(1));
        assert_eq!(throttle.acquire(at(1000)), Ok(()));
        assert_eq!(throttle.acquire(at(1050)), Err(1));
        assert_eq!(throttle.acquire(at(1100)), Ok(()));
    }

    #[test]
    fn a_burst_then_one_at_the_rate_passes_the_bucket_but_not_the_window() {
        let limit = FairUse::per_second(10);
        let (bucket, window) = (Throttle::new(limit, Algorithm::TokenBucket), window(limit));
        // After the bucket's creation, which is when it was last full.
        let t0 = Instant::now();
        for throttle in [&bucket, &window] {
            for _ in 0..10 {
                assert_eq!(throttle.acquire(t0), Ok(()));
            }
        }
        // 100 ms later the bucket has a token again; the window still holds ten arrivals,
        // the oldest leaving in 900 ms.
        let next = t0 + Duration::from_millis(100);
        assert_eq!(bucket.acquire(next), Ok(()));
        assert_eq!(window.acquire(next), Err(1));
    }

    #[test]
    fn refused_requests_are_not_logged() {
        let throttle = window(FairUse::per_second(10));
        let t0 = Instant::now();
        for _ in 0..10 {
            assert_eq!(throttle.acquire(t0), Ok(()));
        }
        for ms in (1..10).map(|i| i * 100) {
            assert_eq!(throttle.acquire(t0 + Duration::from_millis(ms)), Err(1));
        }
        // A second after the ten, the window is empty: nine refusals took no place in it.
        let later = t0 + Duration::from_secs(1);
        for _ in 0..10 {
            assert_eq!(throttle.acquire(later), Ok(()));
        }
        assert_eq!(throttle.acquire(later), Err(1));
    }

    #[test]
    fn retry_after_is_the_wait_for_the_oldest_rounded_up() {
        // One a second, bursts of 3: 3 in any 3 s.
        let throttle = window(FairUse {
            burst: 3,
            ..FairUse::per_second(1)
        });
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        for ms in [0, 0, 1000] {
            assert_eq!(throttle.acquire(at(ms)), Ok(()));
        }
        assert_eq!(throttle.acquire(at(500)), Err(3));
        assert_eq!(throttle.acquire(at(1000)), Err(2));
        assert_eq!(throttle.acquire(at(2001)), Err(1));
        // Both arrivals at 0 ms leave at 3 s.
        assert_eq!(throttle.acquire(at(3000)), Ok(()));
        assert_eq!(throttle.acquire(at(3000)), Ok(()));
        assert_eq!(throttle.acquire(at(3000)), Err(1));
    }

    #[test]
    fn an_arrival_timed_before_the_last_logged_counts_as_arriving_with_it() {
        let throttle = window(FairUse {
            burst: 2,
            ..FairUse::per_second(1)
        });
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert_eq!(throttle.acquire(at(500)), Ok(()));
        assert_eq!(throttle.acquire(at(400)), Ok(()));
        // Both stay until 2.5 s.
        assert_eq!(throttle.acquire(at(2400)), Err(1));
        assert_eq!(throttle.acquire(at(2500)), Ok(()));
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
