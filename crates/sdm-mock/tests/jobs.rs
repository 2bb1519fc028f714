//! `GET jobs/` and `GET jobs/{id}/` over real HTTP, checked against the world.

mod common;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use common::{get, get_url, ids, request};
use sdm_mock::MockServer;
use serde_json::{Value, json};

/// The world's jobs ordered like the list endpoint (newest first, ties by id).
fn newest_first(server: &MockServer) -> Vec<Value> {
    let mut jobs = server.world().jobs().to_vec();
    jobs.sort_by(|a, b| {
        created(b)
            .cmp(&created(a))
            .then_with(|| a["id"].as_str().cmp(&b["id"].as_str()))
    });
    jobs
}

fn created(job: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(job["creation_date"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn project_id(job: &Value) -> u64 {
    match &job["project"] {
        Value::Object(p) => p["id"].as_u64().unwrap(),
        p => p.as_u64().unwrap(),
    }
}

/// Walks every page from `first` via `next`, returning all results.
fn walk(server: &MockServer, first: &str) -> (Vec<Value>, usize) {
    let mut resp = get(server, first).json();
    let count = resp["count"].as_u64().unwrap() as usize;
    let mut all: Vec<Value> = resp["results"].as_array().unwrap().clone();
    let mut pages = 1;
    while let Some(next) = resp["next"].as_str() {
        let page = get_url(server, next);
        assert_eq!(page.status, 200, "{next}");
        resp = page.json();
        assert_eq!(resp["count"].as_u64().unwrap() as usize, count);
        all.extend(resp["results"].as_array().unwrap().iter().cloned());
        pages += 1;
        assert!(pages < 1000);
    }
    assert_eq!(all.len(), count);
    (all, pages)
}

#[test]
fn detail_serves_the_world_job() {
    let server = MockServer::start();
    for job in server.world().jobs().iter().take(20) {
        let id = job["id"].as_str().unwrap();
        let resp = get(&server, &format!("jobs/{id}/"));
        assert_eq!(resp.status, 200);
        assert_eq!(&resp.json(), job);
        // Byte-for-byte the compact serialization, field order included.
        assert_eq!(resp.text(), serde_json::to_string(job).unwrap());
        assert_eq!(server.world().job(id), Some(job));
    }
    let first = &server.world().jobs()[0];
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        &keys[..9],
        [
            "id",
            "name",
            "status",
            "step",
            "message",
            "project",
            "file",
            "creation_date",
            "completion_date"
        ]
    );
}

#[test]
fn detail_of_unknown_job_is_404_not_found() {
    let server = MockServer::start();
    let resp = get(&server, "jobs/00000000-0000-4000-8000-000000000000/");
    assert_eq!(resp.status, 404);
    assert_eq!(resp.json(), json!({"detail": "Not found."}));
}

#[test]
fn first_page_has_envelope_and_links() {
    let server = MockServer::start();
    let resp = get(&server, "jobs/");
    assert_eq!(resp.status, 200);
    let body = resp.json();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["count", "next", "previous", "results"]);
    assert!(body["count"].is_u64());
    assert_eq!(body["count"], 300);
    assert_eq!(body["previous"], Value::Null);
    assert_eq!(
        body["next"],
        format!("http://{}/api/v1/jobs/?page=2", server.addr())
    );
    let expected = newest_first(&server);
    assert_eq!(body["results"].as_array().unwrap(), &expected[..25]);
}

#[test]
fn links_keep_parameters_sorted_and_use_the_host_header() {
    let server = MockServer::start();
    let auth = format!("Token {}", server.token());
    let resp = request(
        server.addr(),
        "GET",
        "/api/v1/jobs/?status=done&page_size=10&page=2",
        &[("Authorization", &auth), ("Host", "sdm.example.test:8443")],
        None,
    );
    let body = resp.json();
    assert_eq!(
        body["next"],
        "http://sdm.example.test:8443/api/v1/jobs/?page=3&page_size=10&status=done"
    );
    assert_eq!(
        body["previous"],
        "http://sdm.example.test:8443/api/v1/jobs/?page_size=10&status=done"
    );
    let body = get(&server, "jobs/?page=3&page_size=10&status=done").json();
    assert_eq!(
        body["previous"],
        format!(
            "http://{}/api/v1/jobs/?page=2&page_size=10&status=done",
            server.addr()
        )
    );
}

#[test]
fn walking_next_links_yields_every_job_once_in_order() {
    let server = MockServer::start();
    for (first, expected_pages) in [
        ("jobs/", 12),
        ("jobs/?page_size=7", 43),
        ("jobs/?page_size=100", 3),
    ] {
        let (all, pages) = walk(&server, first);
        assert_eq!(pages, expected_pages, "{first}");
        assert_eq!(all, newest_first(&server), "{first}");
        let unique: HashSet<String> = ids(&Value::Array(all)).into_iter().collect();
        assert_eq!(unique.len(), 300);
    }
}

#[test]
fn last_and_past_the_end_pages() {
    let server = MockServer::start();
    let expected = newest_first(&server);
    let last = get(&server, "jobs/?page=last").json();
    assert_eq!(last["next"], Value::Null);
    assert_eq!(last["results"].as_array().unwrap(), &expected[275..]);
    assert_eq!(
        last["previous"],
        format!("http://{}/api/v1/jobs/?page=11", server.addr())
    );
    for page in ["13", "0", "-1", "two", "1.5"] {
        let resp = get(&server, &format!("jobs/?page={page}"));
        assert_eq!(resp.status, 404, "page={page}");
        assert_eq!(resp.json(), json!({"detail": "Invalid page."}));
    }
    let resp = get(&server, "jobs/?page=12");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["results"].as_array().unwrap().len(), 300 - 275);
}

#[test]
fn page_size_is_capped_and_invalid_values_default() {
    let server = MockServer::builder().max_page_size(40).start().unwrap();
    let body = get(&server, "jobs/?page_size=1000").json();
    assert_eq!(body["results"].as_array().unwrap().len(), 40);
    assert_eq!(
        body["next"],
        format!(
            "http://{}/api/v1/jobs/?page=2&page_size=1000",
            server.addr()
        )
    );
    for bad in ["0", "-3", "abc", ""] {
        let body = get(&server, &format!("jobs/?page_size={bad}")).json();
        assert_eq!(body["results"].as_array().unwrap().len(), 25, "{bad:?}");
    }
    assert_eq!(
        get(&server, "jobs/?page_size=3").json()["results"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn status_filter_and_its_validation() {
    let server = MockServer::start();
    let mut total = 0;
    for status in ["running", "done", "error", "pending"] {
        let (all, _) = walk(&server, &format!("jobs/?status={status}&page_size=100"));
        let expected: Vec<Value> = newest_first(&server)
            .into_iter()
            .filter(|j| j["status"] == status)
            .collect();
        assert!(!expected.is_empty(), "{status}");
        assert_eq!(all, expected, "{status}");
        total += all.len();
    }
    assert_eq!(total, 300);
    let done = get(&server, "jobs/?status=done").json()["count"]
        .as_u64()
        .unwrap();
    assert!((120..=210).contains(&done), "{done} done jobs out of 300");

    let resp = get(&server, "jobs/?status=finished");
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.json(),
        json!({"status": ["Select a valid choice. finished is not one of the available choices."]})
    );
    // An empty value is no filter.
    assert_eq!(get(&server, "jobs/?status=").json()["count"], 300);
}

#[test]
fn project_filter_matches_both_forms() {
    let server = MockServer::start();
    let object_form: Vec<&Value> = server
        .world()
        .jobs()
        .iter()
        .filter(|j| j["project"].is_object())
        .collect();
    assert!(!object_form.is_empty());
    let project = project_id(object_form[0]);
    let (all, _) = walk(&server, &format!("jobs/?project={project}&page_size=100"));
    let expected: Vec<Value> = newest_first(&server)
        .into_iter()
        .filter(|j| project_id(j) == project)
        .collect();
    assert_eq!(all, expected);
    assert!(all.iter().any(|j| j["project"].is_object()));
    assert!(all.iter().any(|j| j["project"].is_u64()));

    assert_eq!(get(&server, "jobs/?project=99").json()["count"], 0);
    let resp = get(&server, "jobs/?project=abc&status=nope");
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.json(),
        json!({
            "status": ["Select a valid choice. nope is not one of the available choices."],
            "project": ["Enter a number."],
        })
    );
}

#[test]
fn date_filters_are_inclusive_after_and_exclusive_before() {
    let server = MockServer::start();
    let jobs = newest_first(&server);
    let pivot = &jobs[100];
    let stamp = pivot["creation_date"].as_str().unwrap();
    let encoded = stamp.replace(':', "%3A");

    let (after, _) = walk(
        &server,
        &format!("jobs/?created_after={encoded}&page_size=30"),
    );
    let expected_after = jobs.iter().filter(|j| created(j) >= created(pivot)).count();
    assert_eq!(after.len(), expected_after);
    assert_eq!(after.last(), Some(pivot), "the pivot itself is included");

    let before = get(&server, &format!("jobs/?created_before={encoded}")).json();
    let expected_before = jobs.iter().filter(|j| created(j) < created(pivot)).count();
    assert_eq!(before["count"].as_u64().unwrap() as usize, expected_before);
    assert_eq!(expected_after + expected_before, 300);

    // Plain dates are midnight UTC; offsets are honoured; both bounds combine with AND.
    let year_2023 = get(
        &server,
        "jobs/?created_after=2023-01-01&created_before=2024-01-01T01:00:00%2B01:00&page_size=100",
    );
    let (all, _) = walk(
        &server,
        "jobs/?created_after=2023-01-01&created_before=2024-01-01T01:00:00%2B01:00&page_size=100",
    );
    let expected: Vec<Value> = jobs
        .iter()
        .filter(|j| j["creation_date"].as_str().unwrap().starts_with("2023-"))
        .cloned()
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        year_2023.json()["count"].as_u64().unwrap() as usize,
        expected.len()
    );
    assert_eq!(all, expected);

    let combined = get(
        &server,
        "jobs/?created_after=2023-01-01T00:00:00.000000Z&status=done&page_size=100",
    )
    .json();
    let expected = jobs
        .iter()
        .filter(|j| {
            j["status"] == "done"
                && created(j) >= "2023-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        })
        .count();
    assert_eq!(combined["count"].as_u64().unwrap() as usize, expected);

    let resp = get(
        &server,
        "jobs/?created_after=yesterday&created_before=2022-02-30",
    );
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.json(),
        json!({
            "created_after": ["Enter a valid date/time."],
            "created_before": ["Enter a valid date/time."],
        })
    );
}

#[test]
fn empty_result_has_a_valid_empty_first_page() {
    let server = MockServer::start();
    let body = get(&server, "jobs/?created_before=2021-01-01").json();
    assert_eq!(
        body,
        json!({"count": 0, "next": null, "previous": null, "results": []})
    );
    assert_eq!(
        get(&server, "jobs/?created_before=2021-01-01&page=last").status,
        200
    );
    let resp = get(&server, "jobs/?created_before=2021-01-01&page=2");
    assert_eq!(resp.status, 404);
    assert_eq!(resp.json(), json!({"detail": "Invalid page."}));
}

#[test]
fn world_shape_matches_the_api_description() {
    let server = MockServer::start();
    let jobs = server.world().jobs();
    let mut precisions = HashSet::new();
    for job in jobs {
        let status = job["status"].as_str().unwrap();
        let stamp = job["creation_date"].as_str().unwrap();
        assert!(stamp.ends_with('Z'));
        precisions.insert(stamp.split_once('.').map_or(0, |(_, f)| f.len() - 1));
        let created = created(job);
        assert!(created >= "2022-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
        assert!(created < "2026-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
        match status {
            "done" | "error" => {
                let done =
                    DateTime::parse_from_rfc3339(job["completion_date"].as_str().unwrap()).unwrap();
                assert!(done > created);
            }
            "running" | "pending" => assert_eq!(job["completion_date"], Value::Null),
            other => panic!("unexpected status {other}"),
        }
        assert_eq!(job["message"].is_string(), status == "error", "{job}");
        let step = &job["step"];
        assert!(step["id"].is_u64() && step["name"].is_string() && step["number"].is_u64());
        if status == "done" {
            assert_eq!(step["number"], 5);
        }
        if status == "pending" {
            assert_eq!(step["name"], "Validation");
        }
        assert!((1..=6).contains(&project_id(job)));
        assert!(job["file"]["id"].is_u64());
        assert_eq!(job["model_version"], 0);
    }
    for p in [0, 2, 3, 6] {
        assert!(
            precisions.contains(&p),
            "precision {p} missing: {precisions:?}"
        );
    }
    assert!(jobs.iter().any(|j| !j["name"].as_str().unwrap().is_ascii()));
    let ids: HashSet<&str> = jobs.iter().map(|j| j["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), jobs.len());
}
