//! Pacing against a server that enforces exactly 10 requests per second: the client's sliding
//! window vs the token bucket it replaced, over the same walk of every page, in the same run.
//!
//! The embedded fake server has `JOBS` jobs and the fair-use limit of Django REST Framework's
//! `SimpleRateThrottle` at 10 a second ([`sdm_mock::MockBuilder::fair_use_window`]: refused
//! when 10 requests arrived in the last second). Both walks ask for every page at `PAGE_SIZE`
//! jobs, `CONCURRENCY` pages in flight (what `sdm jobs list --all` does by default):
//!
//! - new: the release `sdm` binary (the first argument), `sdm jobs list --all -o ndjson`, as users run it;
//! - old (the baseline): the sdm-ureq client with its own rate limit off and every attempt
//!   paced by the former limiter, a token bucket of 10 a second with bursts of 10 (GCRA, the
//!   form the client had); a 429 is retried after its `Retry-After` by the client's default
//!   retry policy, as the CLI's is.
//!
//! Each walk starts after a quiet second, so the server's window is empty; `RUNS` runs each,
//! alternating which goes first. Requests and 429s are the server's counts. Throughput is the
//! requests answered (429s not counted) per second of the walk.

use std::collections::HashSet;
use std::ffi::OsString;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sdm_core::http::{Request, Response};
use sdm_core::transport::{BlockingBody, RequestBody, Transport, TransportError};
use sdm_core::{BlockingClient, ClientConfig, JobQuery, PagerOptions};
use sdm_mock::{FairUse, MockServer};
use sdm_ureq::UreqTransport;

const JOBS: usize = 10_000;
/// 200 pages: about 20 s at 10 a second, so the rate decides, not the first burst.
const PAGE_SIZE: u64 = 50;
/// `sdm jobs list --all`'s default.
const CONCURRENCY: usize = 10;
/// The server's limit, and the former client's rate and burst.
const PER_SECOND: u32 = 10;
const RUNS: usize = 2;
/// Before each walk: longer than the server's window, which is then empty.
const QUIET: Duration = Duration::from_millis(1100);

/// The former client-side pacing: GCRA, the virtual-scheduling form of a token bucket of
/// `PER_SECOND` a second with bursts of `PER_SECOND`. Each request reserves its slot, then
/// waits for it.
struct TokenBucket {
    theoretical_arrival: Option<Instant>,
}

impl TokenBucket {
    /// Reserves the slot of a request wanting to go at `now`; returns how long to wait.
    fn reserve(&mut self, now: Instant) -> Duration {
        let interval = Duration::from_secs(1) / PER_SECOND;
        let tolerance = interval * (PER_SECOND - 1);
        let arrival = self.theoretical_arrival.map_or(now, |t| t.max(now));
        let allowed_at = arrival.checked_sub(tolerance).unwrap_or(now).max(now);
        self.theoretical_arrival = Some(arrival + interval);
        allowed_at.saturating_duration_since(now)
    }
}

/// A transport that paces every request (retries too) by the former token bucket.
struct BucketPaced {
    inner: UreqTransport,
    bucket: Mutex<TokenBucket>,
}

impl Transport for BucketPaced {
    fn send(
        &self,
        request: Request<RequestBody>,
    ) -> Result<Response<BlockingBody>, TransportError> {
        let wait = self
            .bucket
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .reserve(Instant::now());
        std::thread::sleep(wait);
        self.inner.send(request)
    }
}

/// One walk: how long it took, what the server saw, the job ids received.
struct Walk {
    elapsed: Duration,
    requests: u64,
    throttled: u64,
    ids: Vec<String>,
}

impl Walk {
    /// Requests answered (429s not counted) per second.
    fn throughput(&self) -> f64 {
        (self.requests - self.throttled) as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs `walk` after a quiet period and counts what the server saw meanwhile.
fn measured(server: &MockServer, walk: impl FnOnce() -> Vec<String>) -> Walk {
    std::thread::sleep(QUIET);
    let (requests, throttled) = (server.request_count(), server.throttled_count());
    let started = Instant::now();
    let ids = walk();
    Walk {
        elapsed: started.elapsed(),
        requests: server.request_count() - requests,
        throttled: server.throttled_count() - throttled,
        ids,
    }
}

/// `sdm jobs list --all -o ndjson --page-size PAGE_SIZE`: the ids of the jobs it printed.
fn new_walk(sdm: &OsString, server: &MockServer) -> Vec<String> {
    let output = Command::new(sdm)
        .args(["jobs", "list", "--all", "-o", "ndjson", "--no-proxy"])
        .args(["--page-size", &PAGE_SIZE.to_string()])
        .env("SDM_BASE_URL", server.base_url())
        .env("SDM_TOKEN", server.token())
        // The defaults are what is measured.
        .env_remove("SDM_RATE_LIMIT")
        .env_remove("SDM_RETRIES")
        .env_remove("SDM_PROFILE")
        .stderr(Stdio::inherit())
        .output()
        .expect("sdm runs");
    assert!(
        output.status.success(),
        "sdm jobs list failed: {}",
        output.status
    );
    String::from_utf8(output.stdout)
        .expect("sdm prints UTF-8")
        .lines()
        .map(|line| {
            let job: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            job["id"].as_str().expect("a job id").to_owned()
        })
        .collect()
}

/// The same walk on the client, its rate limit off, paced by the former token bucket.
fn old_walk(server: &MockServer) -> Vec<String> {
    let config = ClientConfig::new(server.base_url())
        .expect("the fake server's URL")
        .with_token(server.token())
        .with_rate_limit(None);
    let transport = Arc::new(BucketPaced {
        inner: UreqTransport::new(),
        bucket: Mutex::new(TokenBucket {
            theoretical_arrival: None,
        }),
    });
    let client = BlockingClient::with_transport(config, transport);
    let options = PagerOptions::default()
        .page_size(PAGE_SIZE)
        .concurrency(CONCURRENCY);
    client
        .jobs(&JobQuery::new(), options)
        .map(|job| job.expect("the token-bucket walk failed").id.to_string())
        .collect()
}

/// Every job of the server exactly once, or what is wrong.
fn check_jobs(who: &str, ids: &[String], expected: &HashSet<String>) {
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), JOBS, "{who}: {} jobs received", ids.len());
    assert_eq!(unique.len(), JOBS, "{who}: duplicate jobs");
    assert!(
        unique.iter().all(|id| expected.contains(*id)),
        "{who}: a job the server does not have"
    );
}

fn line(who: &str, walk: &Walk) {
    println!(
        "  {who:<34} {:>6.2} s, {:>3} requests, {:>2} x 429, {:>5} jobs, {:>5.2} requests/s",
        walk.elapsed.as_secs_f64(),
        walk.requests,
        walk.throttled,
        walk.ids.len(),
        walk.throughput()
    );
}

/// The totals of several walks, as one.
fn total(walks: &[Walk]) -> Walk {
    Walk {
        elapsed: walks.iter().map(|w| w.elapsed).sum(),
        requests: walks.iter().map(|w| w.requests).sum(),
        throttled: walks.iter().map(|w| w.throttled).sum(),
        ids: Vec::new(),
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISSED" }
}

fn main() {
    let sdm = std::env::args_os()
        .nth(1)
        .expect("usage: pacing PATH_TO_SDM_BINARY");
    let server = MockServer::builder()
        .job_count(JOBS)
        .fair_use_window(Some(FairUse::per_second(PER_SECOND)))
        .start()
        .expect("the fake server starts");
    let expected: HashSet<String> = server
        .world()
        .jobs()
        .iter()
        .filter_map(|job| job["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(expected.len(), JOBS);

    println!(
        "  {JOBS} jobs, page size {PAGE_SIZE}, {CONCURRENCY} pages in flight on both sides; \
         the server refuses the 11th request in any second (DRF's SimpleRateThrottle)"
    );
    let (mut news, mut olds) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        for new_turn in [run % 2 == 1, run % 2 == 0] {
            if new_turn {
                let walk = measured(&server, || new_walk(&sdm, &server));
                check_jobs("sdm jobs list --all", &walk.ids, &expected);
                line("new: sdm (sliding window 10/1.02s)", &walk);
                news.push(walk);
            } else {
                let walk = measured(&server, || old_walk(&server));
                check_jobs("the token-bucket walk", &walk.ids, &expected);
                line("old: token bucket 10/s, burst 10", &walk);
                olds.push(walk);
            }
        }
    }
    let (new, old) = (total(&news), total(&olds));
    let ratio = new.throughput() / old.throughput();
    println!(
        "  over {RUNS} runs each: new {:.2} requests/s with {} x 429; old {:.2} requests/s with {} x 429",
        new.throughput(),
        new.throttled,
        old.throughput(),
        old.throttled
    );
    // Under "at most 10 in any second", n requests span at least ceil(n / 10) - 1 seconds.
    let pages = news[0].requests - news[0].throttled;
    let shortest = pages
        .div_ceil(u64::from(PER_SECOND))
        .saturating_sub(1)
        .max(1);
    println!(
        "  theoretical best: {PER_SECOND}.00 requests/s sustained; {pages} requests in no less than \
         {shortest}.0 s, {:.2} requests/s measured as above",
        pages as f64 / shortest as f64
    );
    println!(
        "  new draws no 429 (target 0): {} {}",
        new.throttled,
        verdict(new.throttled == 0)
    );
    println!(
        "  throughput ratio new/old {ratio:.3} (target >= 0.95) {}",
        verdict(ratio >= 0.95)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_former_bucket_lets_ten_go_at_once_then_one_every_100_ms() {
        let mut bucket = TokenBucket {
            theoretical_arrival: None,
        };
        let t0 = Instant::now();
        let waits: Vec<u64> = (0..13)
            .map(|_| bucket.reserve(t0).as_millis() as u64)
            .collect();
        assert_eq!(waits, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 200, 300]);
        // After a quiet second and more, the burst is whole again.
        let later = t0 + Duration::from_secs(3);
        let waits: Vec<u64> = (0..11)
            .map(|_| bucket.reserve(later).as_millis() as u64)
            .collect();
        assert_eq!(waits[9..], [0, 100]);
    }
}
