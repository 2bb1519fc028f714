//! Pages in flight as a sliding window vs in waves, on the same client, transport and server.
//!
//! The embedded fake server answers every request after 300 ms; a wrapper transport holds every
//! 4th page request for 900 ms more before sending it (1.2 s in all). The sliding window is the
//! client's own `jobs()`; the baseline is the walk the clients used before, written here over
//! the same public `JobPager`: ask for every request the pager allows, send them all, wait for
//! all of them, repeat. Both at concurrency 4 and 100 jobs a page; the median of `RUNS` runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sdm_core::http::{Request, Response};
use sdm_core::proto::{JobPager, PageRequest};
use sdm_core::transport::{BlockingBody, RequestBody, Transport, TransportError};
use sdm_core::{BlockingClient, ClientConfig, JobQuery, PagerOptions};
use sdm_mock::MockServer;
use sdm_ureq::UreqTransport;

const JOBS: usize = 2000;
const RUNS: usize = 3;
const SLOW_EXTRA: Duration = Duration::from_millis(900);

/// Every 4th page of the listing takes `SLOW_EXTRA` longer.
struct SlowEveryFourthPage(UreqTransport);

impl Transport for SlowEveryFourthPage {
    fn send(
        &self,
        request: Request<RequestBody>,
    ) -> Result<Response<BlockingBody>, TransportError> {
        let page = request
            .uri()
            .query()
            .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("page=")))
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(1);
        if page.is_multiple_of(4) {
            std::thread::sleep(SLOW_EXTRA);
        }
        self.0.send(request)
    }
}

fn options() -> PagerOptions {
    PagerOptions::default().page_size(100).concurrency(4)
}

/// The walk before the sliding window: a wave of requests, all awaited, then the next wave.
fn in_waves(client: &BlockingClient<Arc<SlowEveryFourthPage>>) -> (usize, Duration) {
    let started = Instant::now();
    let mut first_page_after = None;
    let config = client.config();
    let mut pager = JobPager::new(config.base_url().clone(), JobQuery::new(), options());
    let mut jobs = 0;
    loop {
        let wave: Vec<PageRequest> = std::iter::from_fn(|| pager.next_request()).collect();
        if wave.is_empty() {
            break;
        }
        let results: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = wave
                .iter()
                .map(|request| scope.spawn(|| client.execute(&request.op)))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (request, result) in wave.iter().zip(results) {
            let released = pager.on_response(request, result);
            jobs += released.items.len();
            if let Some(error) = released.error {
                panic!("the wave walk failed: {error}");
            }
        }
        if jobs > 100 {
            first_page_after.get_or_insert(started.elapsed());
        }
    }
    (jobs, first_page_after.unwrap_or_default())
}

/// The client's own walk; returns the jobs and the time to the 101st (page 2's first).
fn sliding(client: &BlockingClient<Arc<SlowEveryFourthPage>>) -> (usize, Duration) {
    let started = Instant::now();
    let mut second_page_at = None;
    let mut jobs = 0;
    for job in client.jobs(&JobQuery::new(), options()) {
        job.expect("the sliding walk failed");
        jobs += 1;
        if jobs == 101 {
            second_page_at = Some(started.elapsed());
        }
    }
    (jobs, second_page_at.unwrap_or_default())
}

fn main() {
    let server = MockServer::builder()
        .job_count(JOBS)
        .latency(Duration::from_millis(300))
        .start()
        .expect("the fake server starts");
    let config = ClientConfig::new(server.base_url())
        .unwrap()
        .with_token(server.token());
    let transport = Arc::new(SlowEveryFourthPage(UreqTransport::new()));
    let client = BlockingClient::with_transport(config, transport);

    let measure = |walk: &dyn Fn() -> (usize, Duration)| {
        let mut times = Vec::new();
        let mut to_page_2 = Vec::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            let (jobs, second) = walk();
            times.push(started.elapsed());
            to_page_2.push(second);
            assert_eq!(jobs, JOBS, "every job, once");
        }
        times.sort();
        to_page_2.sort();
        (times[RUNS / 2], to_page_2[RUNS / 2])
    };
    let (window, window_p2) = measure(&|| sliding(&client));
    let (waves, waves_p2) = measure(&|| in_waves(&client));
    let ratio = window.as_secs_f64() / waves.as_secs_f64();
    println!(
        "sliding window (4 in flight):  median {:>5.2} s, page 2 after {:>4} ms",
        window.as_secs_f64(),
        window_p2.as_millis()
    );
    println!(
        "waves (baseline, 4 at a time): median {:>5.2} s, page 2 after {:>4} ms",
        waves.as_secs_f64(),
        waves_p2.as_millis()
    );
    println!(
        "ratio {ratio:.3} (target <= 0.45) {}",
        if ratio <= 0.45 { "ok" } else { "MISSED" }
    );
}
