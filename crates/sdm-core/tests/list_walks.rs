//! Both clients walking a listing that misbehaves page by page (closure transports, no
//! network): the shared pager recovers by page numbers where it can, and otherwise the iterator
//! and the stream end with `Error::Incomplete` after the jobs seen, never as if complete.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::{BASE, block_on, client_config, ok, response};
use futures_util::StreamExt;
use sdm_core::http::{Request, Response};
use sdm_core::transport::transport_fn;
use sdm_core::{
    AsyncClient, BlockingClient, Error, JobQuery, PagerOptions, Shortfall, TransportError,
};

/// How the fake listing misbehaves.
#[derive(Clone, Copy, Debug)]
enum Shape {
    /// `next` names page 1.
    NextToFirst,
    /// Page 2 answers 404.
    Missing,
    /// Every page is page 1, with a `next` link forever.
    Endless,
}

/// 30 jobs, 10 a page, newest first.
const COUNT: u64 = 30;

fn uuid(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// Page `page` of the listing, misbehaving as `shape` says.
fn answer(shape: Shape, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let query = request.uri().query().unwrap_or("");
    let asked: u64 = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("page="))
        .map_or(1, |n| n.parse().unwrap());
    let page = match shape {
        Shape::Missing if asked == 2 => {
            return response(404, &[], r#"{"detail": "Invalid page."}"#);
        }
        Shape::Endless => 1,
        _ => asked,
    };
    let pages = COUNT.div_ceil(10);
    let next = match shape {
        Shape::NextToFirst => Some(format!("{BASE}jobs/?page_size=10")),
        Shape::Endless => Some(format!("{BASE}jobs/?page={}&page_size=10", asked + 1)),
        Shape::Missing => {
            (page < pages).then(|| format!("{BASE}jobs/?page={}&page_size=10", page + 1))
        }
    };
    let results: Vec<serde_json::Value> = (0..10)
        .map(|i| COUNT - (page - 1) * 10 - i)
        .filter(|&n| n >= 1)
        .map(|n| serde_json::json!({"id": uuid(n), "status": "done"}))
        .collect();
    let body =
        serde_json::json!({"count": COUNT, "next": next, "previous": null, "results": results});
    ok(body.to_string())
}

/// Every result of a walk with both clients, and the requests each sent.
fn walk_both(shape: Shape, concurrency: usize) -> [(Vec<Result<String, Error>>, u64); 2] {
    let options = || {
        PagerOptions::default()
            .page_size(10)
            .concurrency(concurrency)
    };
    let sent = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&sent);
    let transport = transport_fn(move |request: Request<Vec<u8>>| {
        counter.fetch_add(1, Ordering::Relaxed);
        Ok::<_, TransportError>(answer(shape, &request))
    });
    let blocking = BlockingClient::with_transport(client_config(), transport.clone());
    let iterated: Vec<Result<String, Error>> = blocking
        .jobs(&JobQuery::new(), options())
        .map(|job| job.map(|j| j.id.to_string()))
        .collect();
    let blocking_sent = sent.swap(0, Ordering::Relaxed);
    let client = AsyncClient::with_transport(client_config(), transport);
    let streamed: Vec<Result<String, Error>> = block_on(
        client
            .jobs(&JobQuery::new(), options())
            .map(|job| job.map(|j| j.id.to_string()))
            .collect(),
    );
    [
        (iterated, blocking_sent),
        (streamed, sent.load(Ordering::Relaxed)),
    ]
}

fn expected(n: u64) -> Vec<String> {
    (0..n).map(|i| uuid(COUNT - i)).collect()
}

/// The jobs before the error, and the error (which must be last).
fn split(results: Vec<Result<String, Error>>) -> (Vec<String>, Option<Error>) {
    let mut jobs = Vec::new();
    let mut error = None;
    for result in results {
        assert!(error.is_none(), "nothing after the error");
        match result {
            Ok(id) => jobs.push(id),
            Err(e) => error = Some(e),
        }
    }
    (jobs, error)
}

#[test]
fn a_next_link_back_to_page_1_is_not_the_end() {
    for concurrency in [1, 3] {
        for (results, sent) in walk_both(Shape::NextToFirst, concurrency) {
            let (jobs, error) = split(results);
            assert!(error.is_none(), "{error:?}");
            assert_eq!(jobs, expected(COUNT));
            assert_eq!(sent, 3);
        }
    }
}

#[test]
fn a_later_page_that_answers_404_ends_both_clients_with_incomplete() {
    for concurrency in [1, 3] {
        for (results, _) in walk_both(Shape::Missing, concurrency) {
            let (jobs, error) = split(results);
            assert_eq!(jobs, expected(10));
            let error = error.expect("the walk fails");
            let Error::Incomplete(incomplete) = &error else {
                panic!("{error:?}");
            };
            assert_eq!(incomplete.reason, Shortfall::PageNotFound);
            assert_eq!(
                (incomplete.seen, incomplete.count, incomplete.page),
                (10, 30, 2)
            );
            assert_eq!(
                error.to_string(),
                "list jobs: the listing ended after 10 of 30 jobs (page 2 answered 404)"
            );
            let source = std::error::Error::source(&error).expect("the 404 is the source");
            assert!(source.to_string().contains("HTTP 404"), "{source}");
        }
    }
}

#[test]
fn endless_pages_end_both_clients_after_a_bound() {
    for concurrency in [1, 3] {
        for (results, sent) in walk_both(Shape::Endless, concurrency) {
            let (jobs, error) = split(results);
            assert_eq!(jobs, expected(10));
            let error = error.expect("the walk fails");
            let Error::Incomplete(incomplete) = &error else {
                panic!("{error:?}");
            };
            // 3 pages for 30 jobs, and the margin.
            assert_eq!(incomplete.reason, Shortfall::TooManyPages { max_pages: 13 });
            assert_eq!(sent, 13);
        }
    }
}
