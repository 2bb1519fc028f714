//! `sdm jobs list --all` end to end: every page walked, in every output format, read back and
//! compared with the fake server's newest-first list; limits, concurrency, usage errors, and
//! exit 8 when the server keeps rate limiting.

mod common;

use common::*;
use sdm_mock::{FairUse, MockServer};
use serde_json::Value;

/// `jobs list --all` plus `args`, with no client-side rate limit (tests walk many pages).
fn list_all(server: &MockServer, args: &[&str]) -> Run {
    let mut command = sdm_at(server, &[&["jobs", "list", "--all"], args].concat());
    command.args(["--rate-limit", "0"]);
    run_expect(&mut command, 0)
}

fn ids(jobs: &[Value]) -> Vec<&str> {
    jobs.iter().map(id_of).collect()
}

#[test]
fn every_format_gives_the_whole_newest_first_list() {
    let server = MockServer::start();
    let expected = newest_first(&server, |_| true);
    assert!(expected.len() > 200, "several pages of 100");

    // NDJSON: every object exactly as the server sent it, in list order.
    let run = list_all(&server, &["-o", "ndjson"]);
    assert_eq!(ndjson(&run.stdout), expected);
    assert_eq!(run.stderr, "", "no progress when stderr is not a terminal");

    // JSON: one array, the server's objects, byte for byte what pretty-printing gives.
    let run = list_all(&server, &["-o", "json"]);
    let array: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(array, expected);
    assert_eq!(
        run.stdout,
        serde_json::to_string_pretty(&expected).unwrap() + "\n"
    );

    // CSV: the header, then one record per job.
    let run = list_all(&server, &["-o", "csv"]);
    assert!(run.stdout.ends_with("\r\n"));
    let records = parse_csv(&run.stdout);
    assert_eq!(records[0], JOB_CSV_HEADER);
    assert_eq!(records.len(), expected.len() + 1);
    for (record, job) in records[1..].iter().zip(&expected) {
        assert_eq!(record[0], id_of(job));
        assert_eq!(record[1], job["name"].as_str().unwrap());
        assert_eq!(record[2], job["status"].as_str().unwrap());
        assert_eq!(record[3], project_id(job).to_string());
        assert_eq!(record[4], job["creation_date"].as_str().unwrap());
        assert_eq!(record[5], job["completion_date"].as_str().unwrap_or(""));
    }

    // Table: buffered, one line per job after the header; the count on stderr.
    let run = list_all(&server, &[]);
    let table_ids: Vec<&str> = run
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(table_ids, ids(&expected));
    assert_eq!(run.stderr, format!("{} jobs\n", expected.len()));
}

#[test]
fn all_pages_equal_the_pages_one_by_one() {
    let server = MockServer::start();
    let mut paged = Vec::new();
    for page in 1.. {
        let page = page.to_string();
        let mut command = sdm_at(
            &server,
            &["jobs", "list", "--page", &page, "--page-size", "40"],
        );
        command.args(["-o", "ndjson", "--rate-limit", "0"]);
        let run = run(&mut command);
        if run.code == 4 {
            break;
        }
        assert_eq!(run.code, 0, "{run:#?}");
        paged.extend(ndjson(&run.stdout));
    }
    let all = list_all(&server, &["--page-size", "40", "-o", "ndjson"]);
    assert_eq!(ndjson(&all.stdout), paged);
}

#[test]
fn limit_concurrency_page_size_and_filters() {
    let server = MockServer::start();
    let expected = newest_first(&server, |_| true);

    let run = list_all(&server, &["--limit", "130", "-o", "ndjson"]);
    assert_eq!(ndjson(&run.stdout), expected[..130]);

    let run = list_all(&server, &["--limit", "7", "--page-size", "3", "-o", "json"]);
    let array: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(array, expected[..7]);

    let run = list_all(&server, &["--limit", "0", "-o", "json"]);
    assert_eq!(run.stdout, "[]\n");

    // Sequential (following `next` links) or concurrent, small pages or large: the same list.
    let sequential = list_all(
        &server,
        &["--concurrency", "1", "--page-size", "30", "-o", "ndjson"],
    );
    assert_eq!(ndjson(&sequential.stdout), expected);
    let wide = list_all(
        &server,
        &["--concurrency", "8", "--page-size", "17", "-o", "ndjson"],
    );
    assert_eq!(ndjson(&wide.stdout), expected);

    // A page size over the server's cap (100) is capped; nothing is missed or repeated.
    let capped = list_all(&server, &["--page-size", "250", "-o", "ndjson"]);
    assert_eq!(ndjson(&capped.stdout), expected);

    // Filters apply to every page.
    let errors = newest_first(&server, |job| job["status"] == "error");
    let run = list_all(
        &server,
        &["--status", "error", "--page-size", "5", "-o", "ndjson"],
    );
    assert_eq!(ndjson(&run.stdout), errors);
    let run = list_all(
        &server,
        &[
            "--status",
            "error",
            "--page-size",
            "5",
            "--limit",
            "6",
            "-o",
            "csv",
        ],
    );
    let records = parse_csv(&run.stdout);
    assert_eq!(records.len(), 7);
    let csv_ids: Vec<&str> = records[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(csv_ids, ids(&errors[..6]));
}

#[test]
fn jobs_added_during_the_walk_do_not_repeat_jobs() {
    // Jobs inserted at the top after page 2 push the rest onto later pages.
    let server = MockServer::builder()
        .on_list_page(|control, page| {
            if page == 2 {
                control.insert_jobs(15);
            }
        })
        .start()
        .unwrap();
    let before = newest_first(&server, |_| true);
    let unique = |listed: &[Value]| {
        let mut ids = ids(listed);
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "each job once");
    };

    // Sequentially, pages come in order: nothing is missed, nothing repeated.
    let run = list_all(
        &server,
        &["--page-size", "50", "--concurrency", "1", "-o", "ndjson"],
    );
    let listed = ndjson(&run.stdout);
    unique(&listed);
    let listed_ids = ids(&listed);
    for job in &before {
        assert!(listed_ids.contains(&id_of(job)), "{} missing", id_of(job));
    }

    // Concurrently, pages may be computed on either side of the insertion (page numbers are
    // no snapshot), but no job is printed twice.
    let run = list_all(&server, &["--page-size", "50", "-o", "ndjson"]);
    unique(&ndjson(&run.stdout));
}

#[test]
fn options_of_all_without_all_are_usage_errors() {
    let dead = dead_base_url();
    for (args, needle) in [
        (&["--limit", "5"][..], "--all"),
        (&["--concurrency", "2"], "--all"),
        (&["--all", "--page", "2"], "--page"),
        (&["--all", "--concurrency", "0"], "--concurrency"),
        (&["--all", "--limit", "many"], "--limit"),
    ] {
        assert_list_usage_error(&dead, args, needle);
    }
}

#[test]
fn a_server_that_keeps_rate_limiting_exits_8() {
    let server = MockServer::builder()
        .fair_use(Some(FairUse {
            requests_per_second: 1,
            burst: 1,
            send_retry_after: true,
        }))
        .start()
        .unwrap();
    let mut command = sdm_at(
        &server,
        &["jobs", "list", "--all", "--page-size", "10", "-o", "ndjson"],
    );
    command.args(["--retries", "1", "--rate-limit", "0"]);
    let run = run_expect(&mut command, 8);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(run.stderr.contains("HTTP 429"), "{}", run.stderr);
    assert!(server.throttled_count() > 0);
    // The jobs that came before the refusal were printed, in order.
    let printed = ndjson(&run.stdout);
    let expected = newest_first(&server, |_| true);
    assert_eq!(printed, expected[..printed.len()]);

    // The same settings from the environment.
    let mut command = sdm_at(&server, &["jobs", "list", "--all", "--page-size", "10"]);
    command.env("SDM_RETRIES", "1").env("SDM_RATE_LIMIT", "0");
    let run = run_expect(&mut command, 8);
    assert!(run.stderr.contains("HTTP 429"), "{}", run.stderr);
}

#[test]
fn retries_ride_out_the_rate_limit() {
    // Retries honour Retry-After, and the client-side limit keeps the walk under the server's.
    let server = MockServer::builder()
        .fair_use(Some(FairUse::per_second(5)))
        .job_count(60)
        .start()
        .unwrap();
    let expected = newest_first(&server, |_| true);
    let mut command = sdm_at(
        &server,
        &["jobs", "list", "--all", "--page-size", "10", "-o", "ndjson"],
    );
    command.args(["--rate-limit", "4"]);
    let run = run_expect(&mut command, 0);
    assert_eq!(ndjson(&run.stdout), expected);
    assert_eq!(
        server.throttled_count(),
        0,
        "the client kept under the limit"
    );
}
