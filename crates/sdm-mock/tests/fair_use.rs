//! The fair-use limit over real HTTP: DRF's 429, `Retry-After`, recovery, and the counters.

mod common;

use std::time::Duration;

use common::{get, login, request};
use sdm_mock::{FairUse, MockServer};
use serde_json::json;

const THROTTLED: &str = "Request was throttled. Expected available in 1 second.";

#[test]
fn a_burst_over_the_limit_gets_429_with_retry_after_then_recovers() {
    let server = MockServer::builder()
        .job_count(10)
        .fair_use(Some(FairUse {
            requests_per_second: 1,
            burst: 3,
            send_retry_after: true,
        }))
        .start()
        .unwrap();
    for _ in 0..3 {
        assert_eq!(get(&server, "jobs/?page_size=1").status, 200);
    }
    // Every route counts and is throttled: the list, an unknown path, unauthenticated login.
    let over = [
        get(&server, "jobs/?page_size=1"),
        request(server.addr(), "GET", "/nowhere/", &[], None),
        login(&server, "{}"),
    ];
    for resp in &over {
        assert_eq!(resp.status, 429);
        assert_eq!(resp.header("retry-after"), Some("1"));
        assert_eq!(resp.json(), json!({ "detail": THROTTLED }));
    }
    assert_eq!(server.throttled_count(), 3);
    assert_eq!(server.request_count(), 6);

    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(get(&server, "jobs/?page_size=1").status, 200);
    assert_eq!(server.throttled_count(), 3);
    assert_eq!(server.request_count(), 7);
}

#[test]
fn without_retry_after_only_the_body_says_when() {
    let server = MockServer::builder()
        .job_count(10)
        .fair_use(Some(FairUse {
            send_retry_after: false,
            ..FairUse::per_second(1)
        }))
        .start()
        .unwrap();
    assert_eq!(get(&server, "jobs/").status, 200);
    let resp = get(&server, "jobs/");
    assert_eq!(resp.status, 429);
    assert_eq!(resp.header("retry-after"), None);
    assert_eq!(resp.json(), json!({ "detail": THROTTLED }));
    assert_eq!(server.throttled_count(), 1);
}

#[test]
fn the_sustained_rate_is_honoured() {
    // 20 per second, bursts of 2: pacing requests 100 ms apart never trips the limit.
    let server = MockServer::builder()
        .job_count(10)
        .fair_use(Some(FairUse {
            burst: 2,
            ..FairUse::per_second(20)
        }))
        .start()
        .unwrap();
    for _ in 0..5 {
        assert_eq!(get(&server, "jobs/?page_size=1").status, 200);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(server.throttled_count(), 0);
    let statuses: Vec<u16> = (0..10).map(|_| get(&server, "jobs/").status).collect();
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[test]
fn no_limit_by_default_and_every_request_is_counted() {
    let server = MockServer::builder().job_count(10).start().unwrap();
    for _ in 0..30 {
        assert_eq!(get(&server, "jobs/?page_size=1").status, 200);
    }
    assert_eq!(
        request(server.addr(), "GET", "/api/v1/jobs", &[], None).status,
        404
    );
    assert_eq!(server.request_count(), 31);
    assert_eq!(server.throttled_count(), 0);
}

#[test]
fn the_drf_window_refuses_past_its_count_and_says_when_the_oldest_leaves() {
    // Three in any three seconds, as DRF's `SimpleRateThrottle` counts them.
    let server = MockServer::builder()
        .job_count(10)
        .fair_use_window(Some(FairUse {
            burst: 3,
            ..FairUse::per_second(1)
        }))
        .start()
        .unwrap();
    for _ in 0..3 {
        assert_eq!(get(&server, "jobs/?page_size=1").status, 200);
    }
    for _ in 0..2 {
        let resp = get(&server, "jobs/?page_size=1");
        assert_eq!(resp.status, 429);
        // The first arrival leaves the window 3 s after it came, a few milliseconds ago.
        assert_eq!(resp.header("retry-after"), Some("3"));
        assert_eq!(
            resp.json(),
            json!({ "detail": "Request was throttled. Expected available in 3 seconds." })
        );
    }
    assert_eq!(server.throttled_count(), 2);
    assert_eq!(server.request_count(), 5);
}
