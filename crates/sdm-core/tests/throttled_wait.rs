//! A wait that runs out while the server answers every poll `429 Retry-After: 30` ends within
//! its timeout (plus the last poll's second), never sleeps the 30 s, and says that it was
//! throttled and for how long the server asked it to wait.
//!
//! The transport answers at once; its sleeps are real (the waiter's pauses of a few hundred
//! milliseconds), so the wait's clock moves: what is checked is the bound, not a timing.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use common::{block_on, config, job_id, response};
use sdm_core::http::{Request, Response};
use sdm_core::transport::{AsyncBody, AsyncTransport, BlockingBody, RequestBody, Transport};
use sdm_core::{AsyncClient, BlockingClient, TransportError, WaitOptions, WaitOutcome};

/// Answers every request `429` with `Retry-After: 30`; records each sleep asked for.
#[derive(Default)]
struct AlwaysThrottled {
    requests: Mutex<u32>,
    sleeps: Mutex<Vec<Duration>>,
}

impl AlwaysThrottled {
    fn answer(&self) -> Response<Vec<u8>> {
        *self.requests.lock().unwrap() += 1;
        response(
            429,
            &[("retry-after", "30")],
            r#"{"detail": "Request was throttled. Expected available in 30 seconds."}"#,
        )
    }

    fn record_sleep(&self, duration: Duration) {
        self.sleeps.lock().unwrap().push(duration);
        // The waiter's pauses are slept so that its clock moves; a longer sleep is the bug
        // this test is about, and is recorded without being slept.
        if duration < Duration::from_secs(1) {
            std::thread::sleep(duration);
        }
    }
}

impl Transport for AlwaysThrottled {
    fn send(&self, _: Request<RequestBody>) -> Result<Response<BlockingBody>, TransportError> {
        Ok(self.answer().map(BlockingBody::from_bytes))
    }

    fn sleep(&self, duration: Duration) {
        self.record_sleep(duration);
    }
}

#[async_trait]
impl AsyncTransport for AlwaysThrottled {
    async fn send(&self, _: Request<RequestBody>) -> Result<Response<AsyncBody>, TransportError> {
        Ok(self.answer().map(AsyncBody::from_bytes))
    }

    async fn sleep(&self, duration: Duration) {
        self.record_sleep(duration);
    }
}

const TIMEOUT: Duration = Duration::from_millis(300);

fn options() -> WaitOptions {
    WaitOptions::default()
        .interval(Duration::from_millis(100))
        .timeout(TIMEOUT)
}

fn check(fake: &AlwaysThrottled, outcome: WaitOutcome, took: Duration) {
    let WaitOutcome::TimedOut {
        throttled, polls, ..
    } = outcome
    else {
        panic!("expected a timeout, got {outcome:?}")
    };
    assert_eq!(throttled, Some(Duration::from_secs(30)));
    assert!(polls >= 2, "{polls} polls");
    // Never the 30 s: the timeout, and at most the last poll's second over it.
    assert!(took < TIMEOUT + Duration::from_secs(1), "{took:?}");
    let sleeps = fake.sleeps.lock().unwrap().clone();
    assert!(
        sleeps.iter().all(|&sleep| sleep < TIMEOUT),
        "slept past the timeout: {sleeps:?}"
    );
    // Each poll was one request: no retry was made for a `Retry-After` past the deadline.
    assert_eq!(*fake.requests.lock().unwrap(), polls);
}

#[test]
fn a_throttled_wait_times_out_in_time_and_says_it_was_throttled() {
    let fake = Arc::new(AlwaysThrottled::default());
    let client = BlockingClient::with_transport(config(), Arc::clone(&fake));
    let started = Instant::now();
    let outcome = client.wait_for_job(&job_id(), options(), |_| {}).unwrap();
    check(&fake, outcome, started.elapsed());

    let fake = Arc::new(AlwaysThrottled::default());
    let client = AsyncClient::with_transport(config(), Arc::clone(&fake));
    let started = Instant::now();
    let outcome = block_on(client.wait_for_job(&job_id(), options(), |_| {})).unwrap();
    check(&fake, outcome, started.elapsed());
}
