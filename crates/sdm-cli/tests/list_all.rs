//! `sdm jobs list --all` end to end: every page walked, in every output format, read back and
//! compared with the fake server's newest-first list; limits, concurrency, usage errors, exit 8
//! when the server keeps rate limiting, and a listing that misbehaves page by page never ending
//! as if it were complete.

mod common;

use common::*;
use sdm_mock::{FairUse, Fault, FaultPlan, MockServer};
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
    // Jobs inserted at the top once page 2 is asked for, once per walk, push the rest onto
    // later pages. (Once: a listing that grows again on every re-read of page 2 changes
    // faster than it is read, and a walk may then end with an error, never with jobs lost.)
    let armed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let hook = armed.clone();
    let server = MockServer::builder()
        .on_list_page(move |control, page| {
            if page == 2 && hook.swap(false, std::sync::atomic::Ordering::SeqCst) {
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
    armed.store(true, std::sync::atomic::Ordering::SeqCst);
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

/// A server of 1000 jobs that always misbehaves with `fault` on the job list.
fn misbehaving(fault: Fault) -> MockServer {
    MockServer::builder()
        .job_count(1000)
        .fault(FaultPlan::always(fault).on(sdm_mock::Route::JobList))
        .start()
        .unwrap()
}

/// `jobs list --all` plus `args` on `server`, exiting with `code`.
fn list_all_expect(server: &MockServer, args: &[&str], code: i32) -> Run {
    let mut command = sdm_at(server, &[&["jobs", "list", "--all"], args].concat());
    command.args(["--rate-limit", "0"]);
    run_expect(&mut command, code)
}

#[test]
fn a_next_link_that_loops_or_does_not_advance_still_gives_every_job() {
    for fault in [Fault::NextToFirst, Fault::NextStuck] {
        let server = misbehaving(fault.clone());
        let expected = newest_first(&server, |_| true);
        assert_eq!(expected.len(), 1000);
        // Following the links one page after the other, or pages fetched at once: every job,
        // asked for by page number.
        for concurrency in ["1", "4"] {
            let run = list_all_expect(&server, &["--concurrency", concurrency, "-o", "ndjson"], 0);
            assert_eq!(ndjson(&run.stdout), expected, "{fault:?} {concurrency}");
        }
        let run = list_all_expect(&server, &["-o", "json"], 0);
        let array: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(array.len(), 1000, "{fault:?}");
    }
}

#[test]
fn a_later_page_that_answers_404_fails_after_the_jobs_seen() {
    let server = misbehaving(Fault::PageNotFound { page: 2 });
    let expected = newest_first(&server, |_| true);
    for concurrency in ["1", "4"] {
        let run = list_all_expect(&server, &["--concurrency", concurrency, "-o", "ndjson"], 1);
        assert_eq!(
            ndjson(&run.stdout),
            expected[..100],
            "page 1 only, in order"
        );
        let first = run.stderr.lines().next().unwrap();
        assert_eq!(
            first,
            "error: list jobs: the listing ended after 100 of 1000 jobs (page 2 answered 404)"
        );
    }
    // The JSON array is left open: it does not parse as a complete list.
    let run = list_all_expect(&server, &["-o", "json"], 1);
    assert!(run.stdout.starts_with("[\n"), "{}", run.stdout);
    assert!(!run.stdout.trim_end().ends_with(']'));
    assert!(serde_json::from_str::<Value>(&run.stdout).is_err());
    assert!(run.stderr.contains("of 1000"), "{}", run.stderr);
}

#[test]
fn endless_pages_and_a_growing_count_fail_after_a_bound() {
    for fault in [Fault::EndlessPages, Fault::GrowingCount] {
        let server = misbehaving(fault.clone());
        let expected = newest_first(&server, |_| true);
        let run = list_all_expect(&server, &["-o", "ndjson"], 1);
        assert_eq!(ndjson(&run.stdout), expected[..100], "{fault:?}");
        assert!(
            run.stderr
                .starts_with("error: list jobs: the listing did not end within "),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("100 of "), "{}", run.stderr);
        // 1000 jobs at 100 a page: 21 pages with the margin, at most 42 for a growing count,
        // and the pages fetched again or ahead and dropped when the count changed.
        assert!(server.request_count() < 600, "{}", server.request_count());
    }
    let server = misbehaving(Fault::EndlessPages);
    let run = list_all_expect(&server, &["-o", "ndjson"], 1);
    assert!(run.stderr.contains("100 of 1000 jobs"), "{}", run.stderr);
}

#[test]
fn projects_list_all_prints_nothing_when_the_listing_is_incomplete() {
    let server = MockServer::builder()
        .fault(FaultPlan::always(Fault::PageNotFound { page: 2 }).on(sdm_mock::Route::ProjectList))
        .start()
        .unwrap();
    let mut command = sdm_at(
        &server,
        &[
            "projects",
            "list",
            "--all",
            "--page-size",
            "1",
            "-o",
            "json",
        ],
    );
    let run = run_expect(&mut command, 1);
    assert_eq!(run.stdout, "", "no partial list");
    assert!(
        run.stderr
            .starts_with("error: list projects: the listing ended after 1 of "),
        "{}",
        run.stderr
    );
}
