//! Pages in flight as a sliding window: after the first page, a walk keeps `concurrency`
//! requests in flight, so a slow page holds up no other request, and jobs still come out in
//! list order. Time is virtual (tokio's paused clock, or a test thread that decides when each
//! request is answered): nothing here sleeps.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use common::{BASE, config, unpaced};
use futures_util::StreamExt;
use sdm_core::http::{Request, Response};
use sdm_core::transport::{
    AsyncBody, AsyncTransport, BlockingBody, RequestBody, Transport, TransportError,
};
use sdm_core::{AsyncClient, BlockingClient, JobQuery, PagerOptions};

const JOBS: u64 = 2000;
const PAGE_SIZE: u64 = 100;
const PAGES: u64 = JOBS / PAGE_SIZE;
const CONCURRENCY: usize = 4;

fn page_of(request: &Request<RequestBody>) -> u64 {
    let query = request.uri().query().unwrap_or("");
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("page="))
        .map_or(1, |n| n.parse().unwrap())
}

fn uuid(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// Page `page` of a DRF listing of [`JOBS`] jobs numbered from 1, [`PAGE_SIZE`] a page.
fn page_body(page: u64) -> Vec<u8> {
    let first = (page - 1) * PAGE_SIZE + 1;
    let results: Vec<_> = (first..first + PAGE_SIZE)
        .map(|n| serde_json::json!({"id": uuid(n), "status": "done"}))
        .collect();
    let next = (page < PAGES).then(|| format!("{BASE}jobs/?page={}", page + 1));
    serde_json::to_vec(&serde_json::json!({
        "count": JOBS, "next": next, "previous": null, "results": results,
    }))
    .unwrap()
}

fn expected_ids() -> Vec<String> {
    (1..=JOBS).map(uuid).collect()
}

fn options() -> PagerOptions {
    PagerOptions::default()
        .page_size(PAGE_SIZE)
        .concurrency(CONCURRENCY)
}

/// A listing whose every 4th page takes 1.2 s and the others 300 ms, on tokio's clock; it
/// records, at each instant, how many requests are in flight.
#[derive(Default)]
struct SlowPages {
    in_flight: Mutex<usize>,
    /// Virtual milliseconds since the start → requests in flight once that instant is over.
    level: Mutex<BTreeMap<u128, usize>>,
    sent: Mutex<Vec<(u128, u64)>>,
    start: Mutex<Option<tokio::time::Instant>>,
}

impl SlowPages {
    fn now_ms(&self) -> u128 {
        let mut start = self.start.lock().unwrap();
        start
            .get_or_insert_with(tokio::time::Instant::now)
            .elapsed()
            .as_millis()
    }

    fn change(&self, by: isize) {
        let now = self.now_ms();
        let mut in_flight = self.in_flight.lock().unwrap();
        *in_flight = in_flight.checked_add_signed(by).unwrap();
        self.level.lock().unwrap().insert(now, *in_flight);
    }
}

#[async_trait]
impl AsyncTransport for SlowPages {
    async fn send(
        &self,
        request: Request<RequestBody>,
    ) -> Result<Response<AsyncBody>, TransportError> {
        let page = page_of(&request);
        self.sent.lock().unwrap().push((self.now_ms(), page));
        self.change(1);
        let latency = if page.is_multiple_of(4) { 1200 } else { 300 };
        tokio::time::sleep(Duration::from_millis(latency)).await;
        self.change(-1);
        Ok(Response::new(AsyncBody::from_bytes(page_body(page))))
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

#[tokio::test(start_paused = true)]
async fn the_async_stream_keeps_every_slot_busy_and_jobs_in_order() {
    let pages = Arc::new(SlowPages::default());
    // The transport as users hold it: an `Arc`, shared with the test.
    let client = AsyncClient::with_transport(unpaced(config()), Arc::clone(&pages));
    pages.now_ms();
    let mut jobs = client.jobs(&JobQuery::new(), options());
    let mut ids = Vec::new();
    let mut eleventh_at = None;
    while let Some(job) = jobs.next().await {
        ids.push(job.unwrap().id.as_str().to_owned());
        if ids.len() == 101 {
            eleventh_at.get_or_insert(pages.now_ms());
        }
    }
    let total = pages.now_ms();
    assert_eq!(ids, expected_ids(), "every job once, in list order");

    let sent = pages.sent.lock().unwrap().clone();
    assert_eq!(sent.len() as u64, PAGES, "each page asked for once");
    let last_send = sent.iter().map(|(at, _)| *at).max().unwrap();
    let level = pages.level.lock().unwrap().clone();
    // From the moment the first page is in (300 ms) until the last page has been asked for,
    // every instant ends with exactly `CONCURRENCY` requests in flight.
    assert!(
        last_send >= 2100,
        "the last page goes out late in the walk: {last_send}"
    );
    for (&at, &in_flight) in level.range(300..last_send) {
        assert_eq!(in_flight, CONCURRENCY, "at {at} ms: {level:?}");
    }
    assert!(level.values().all(|&n| n <= CONCURRENCY), "{level:?}");
    // Waves of 4 would take 300 ms + 5 × 1.2 s = 6.3 s; the window is done in 3.6 s, the time
    // the work takes spread over four slots.
    assert_eq!(total, 3600, "virtual milliseconds for the whole walk");
    assert_eq!(
        eleventh_at,
        Some(600),
        "page 2 released as soon as it arrived"
    );
}

/// A blocking listing whose requests wait until the test answers them.
#[derive(Default)]
struct Held {
    state: Mutex<HeldState>,
    changed: Condvar,
}

#[derive(Default)]
struct HeldState {
    waiting: Vec<u64>,
    answered: Vec<u64>,
}

impl Held {
    /// Waits until `ready` holds of the requests waiting for an answer; fails after 10 s
    /// rather than hang when the walk does not send what it should.
    fn wait_for(&self, what: &str, ready: impl Fn(&[u64]) -> bool) {
        let state = self.state.lock().unwrap();
        let (state, timeout) = self
            .changed
            .wait_timeout_while(state, Duration::from_secs(10), |s| !ready(&s.waiting))
            .unwrap();
        assert!(!timeout.timed_out(), "{what}: waiting {:?}", state.waiting);
    }

    fn answer(&self, page: u64) {
        let mut state = self.state.lock().unwrap();
        assert!(state.waiting.contains(&page), "page {page} is not waiting");
        state.answered.push(page);
        self.changed.notify_all();
    }
}

impl Transport for Held {
    fn send(
        &self,
        request: Request<RequestBody>,
    ) -> Result<Response<BlockingBody>, TransportError> {
        let page = page_of(&request);
        let mut state = self.state.lock().unwrap();
        state.waiting.push(page);
        self.changed.notify_all();
        let mut state = self
            .changed
            .wait_while(state, |s| !s.answered.contains(&page))
            .unwrap();
        state.waiting.retain(|&p| p != page);
        self.changed.notify_all();
        Ok(Response::new(BlockingBody::from_bytes(page_body(page))))
    }
}

#[test]
fn the_blocking_iterator_sends_the_next_page_while_a_slow_one_is_held() {
    let held = Arc::new(Held::default());
    let client = BlockingClient::with_transport(unpaced(config()), Arc::clone(&held));
    // The iterator owns its client: it can go to another thread.
    let jobs = client.jobs(&JobQuery::new(), options());
    let walker = std::thread::spawn(move || {
        jobs.map(|job| job.unwrap().id.as_str().to_owned())
            .collect::<Vec<_>>()
    });

    held.wait_for("page 1 asked first, alone", |w| w == [1]);
    held.answer(1);
    held.wait_for("four pages in flight", |w| w.len() == CONCURRENCY);
    // Page 4 is slow: hold it while the others are answered. Each answer must bring a new
    // request at once; a walk in waves would wait for page 4 and never get there.
    let pages_answered = [2, 3, 5, 6, 7, 8, 9];
    for (next, page) in (CONCURRENCY as u64 + 2..).zip(pages_answered) {
        held.answer(page);
        held.wait_for("a new page sent while page 4 is held", |w| {
            w.len() == CONCURRENCY && w.contains(&next) && w.contains(&4)
        });
    }
    // Then answer everything, in any order, as it comes.
    for page in [4].into_iter().chain(10..=PAGES) {
        held.wait_for("the page is asked for", |w| w.contains(&page));
        held.answer(page);
    }
    let ids = walker.join().unwrap();
    assert_eq!(ids, expected_ids(), "every job once, in list order");
}
