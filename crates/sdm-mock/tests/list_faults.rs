//! The faults that make a listing misbehave page by page: `next` links that do not advance, a
//! later page that answers 404, pages without end and a `count` that keeps growing.

mod common;

use common::get;
use sdm_mock::{Fault, FaultPlan, MockServer};
use serde_json::Value;

/// 40 jobs, so four pages of 10.
fn server_with(fault: Fault) -> MockServer {
    MockServer::builder()
        .job_count(40)
        .fault(FaultPlan::always(fault))
        .start()
        .unwrap()
}

fn ids(page: &Value) -> Vec<&str> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|job| job["id"].as_str().unwrap())
        .collect()
}

#[test]
fn next_links_that_do_not_advance() {
    let server = server_with(Fault::NextStuck);
    let page = get(&server, "jobs/?page=2&page_size=5&status=done").json();
    let next = page["next"].as_str().unwrap();
    assert!(
        next.ends_with("/api/v1/jobs/?page=2&page_size=5&status=done"),
        "{next}"
    );
    let last = get(&server, "jobs/?page=4&page_size=10").json();
    assert_eq!(last["next"], Value::Null, "no next page, nothing to change");
    assert_eq!(server.faults_served(), 1);

    let server = server_with(Fault::NextToFirst);
    let page = get(&server, "jobs/?page=2&page_size=10").json();
    let next = page["next"].as_str().unwrap();
    assert!(next.ends_with("/api/v1/jobs/?page_size=10"), "{next}");
    assert_eq!(server.faults_served(), 1);
}

#[test]
fn a_page_that_answers_404() {
    let server = server_with(Fault::PageNotFound { page: 2 });
    let first = get(&server, "jobs/?page_size=10").json();
    assert_eq!(first["count"], 40);
    assert!(first["next"].as_str().unwrap().contains("page=2"));
    let missing = get(&server, "jobs/?page=2&page_size=10");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["detail"], "Invalid page.");
    assert_eq!(get(&server, "jobs/?page=3&page_size=10").status, 200);
    assert_eq!(get(&server, "projects/?page=2").status, 404);
    assert_eq!(server.faults_served(), 2, "only page 2 was faulted");
}

#[test]
fn pages_without_end_and_a_growing_count() {
    let server = server_with(Fault::EndlessPages);
    server.clear_faults();
    let healthy = get(&server, "jobs/?page_size=10").json();
    server.set_faults(vec![FaultPlan::always(Fault::EndlessPages)]);
    // Past the four real pages, page 7 is page 1 again, and it goes on.
    let page = get(&server, "jobs/?page=7&page_size=10").json();
    assert_eq!(ids(&page), ids(&healthy));
    assert_eq!(page["count"], 40);
    let next = page["next"].as_str().unwrap();
    assert!(
        next.ends_with("/api/v1/jobs/?page=8&page_size=10"),
        "{next}"
    );
    assert_eq!(get(&server, "jobs/?page_size=10").json(), healthy);

    server.set_faults(vec![FaultPlan::always(Fault::GrowingCount)]);
    let page = get(&server, "jobs/?page=3&page_size=10").json();
    assert_eq!(ids(&page), ids(&healthy));
    assert_eq!(page["count"], 40 + 3 * 10);
    assert!(page["next"].as_str().unwrap().contains("page=4"));
}
