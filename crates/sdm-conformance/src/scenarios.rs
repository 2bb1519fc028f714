//! The scenarios every transport must pass. Each takes a [`ConnectWith`], starts its own fake
//! server (or, for TLS, a listener of its own) and makes its clients with [`connect_to`]: the
//! default configuration and [`Timeouts::DEFAULT`](crate::Timeouts::DEFAULT). The timeout
//! scenarios hand the transport [`STALL_TIMEOUTS`] instead, and the scenarios about failures
//! turn retries off where a retry would only repeat the failure.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use sdm_core::ops::Operation;
use sdm_core::transport::RequestBody;
use sdm_core::{
    ClientConfig, CreateJob, Created, Error, FileId, JobId, JobQuery, JobStatus, OutputFormatId,
    PagerOptions, Password, ProjectId, RetryPolicy, TransportErrorKind, UploadFile, WaitOptions,
    WaitOutcome,
};
use sdm_mock::{FairUse, Fault, FaultPlan, Fnv1a64, JobSpec, MockServer, Route, Status, World};
use serde_json::Value;

use crate::bounded::bounded;
use crate::paced;
use crate::{ConnectWith, Subject, Timeouts, connect_to, default_config};

/// The fake server's page size cap (its default, as DRF deployments set one).
const MAX_PAGE_SIZE: usize = 100;

fn server() -> MockServer {
    MockServer::start()
}

fn id_of(job: &Value) -> JobId {
    JobId::parse(job["id"].as_str().expect("world jobs have string ids"))
        .expect("world ids are UUIDs")
}

fn created(job: &Value) -> DateTime<Utc> {
    job["creation_date"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("world jobs have a creation date")
}

fn project_of(job: &Value) -> Option<u64> {
    job["project"]
        .as_u64()
        .or_else(|| job["project"]["id"].as_u64())
}

/// The world's jobs matching `keep`, in the list endpoint's order: newest first.
fn expected_ids(world: &World, keep: impl Fn(&Value) -> bool) -> Vec<String> {
    let mut jobs: Vec<&Value> = world.jobs().iter().filter(|job| keep(job)).collect();
    jobs.sort_by(|a, b| {
        created(b)
            .cmp(&created(a))
            .then_with(|| a["id"].as_str().cmp(&b["id"].as_str()))
    });
    jobs.iter()
        .map(|job| job["id"].as_str().unwrap().to_owned())
        .collect()
}

fn first_with_status<'w>(world: &'w World, status: &str) -> &'w Value {
    world
        .jobs()
        .iter()
        .find(|job| job["status"] == status)
        .unwrap_or_else(|| panic!("the world has a {status} job"))
}

/// Logging in yields a token that then works, and the same token name yields the same token.
pub fn login_returns_a_working_token(connect: ConnectWith) {
    let server = server();
    let anonymous = connect_to(connect, server.base_url(), None);
    let password = Password::new(server.password());
    let token = anonymous
        .login(server.email(), &password, "conformance")
        .expect("login succeeds");
    let again = anonymous
        .login(server.email(), &password, "conformance")
        .expect("login succeeds");
    assert_eq!(
        token.expose(),
        again.expose(),
        "{}: same token name, same token",
        anonymous.name()
    );

    let client = connect_to(connect, server.base_url(), Some(token.expose()));
    let job = &server.world().jobs()[0];
    assert_eq!(
        client.get_job(&id_of(job)).expect("the new token works").id,
        id_of(job)
    );
}

/// Wrong credentials are a 400 with DRF's `non_field_errors`: an authentication error, with
/// the server's message.
pub fn login_with_a_wrong_password_is_refused(connect: ConnectWith) {
    let server = server();
    let client = connect_to(connect, server.base_url(), None);
    let error = client
        .login(server.email(), &Password::new("wrong"), "conformance")
        .unwrap_err();
    let Error::Authentication(api) = &error else {
        panic!(
            "{}: expected an authentication error, got {error:?}",
            client.name()
        )
    };
    assert_eq!(api.status, 400);
    assert_eq!(
        api.detail.as_deref(),
        Some("Unable to log in with provided credentials.")
    );
    assert!(
        !error.to_string().contains("wrong"),
        "the password must not be echoed: {error}"
    );
}

/// A job of each status decodes, and serializes back to exactly what the server sent.
pub fn get_job_returns_every_field_the_server_sent(connect: ConnectWith) {
    let server = server();
    let client = connect_to(connect, server.base_url(), Some(server.token()));
    for status in ["running", "done", "error", "pending"] {
        let expected = first_with_status(server.world(), status);
        let job = client
            .get_job(&id_of(expected))
            .unwrap_or_else(|e| panic!("{}: {e}", client.name()));
        assert_eq!(job.status, JobStatus::from_api(status));
        assert_eq!(job.name.as_deref(), expected["name"].as_str());
        assert_eq!(job.message.as_deref(), expected["message"].as_str());
        assert_eq!(job.creation_date, Some(created(expected)));
        assert_eq!(
            job.project.as_ref().map(|p| p.id.get()),
            project_of(expected)
        );
        assert_eq!(
            job.step.as_ref().map(|s| s.id),
            expected["step"]["id"].as_u64()
        );
        assert_eq!(
            &serde_json::to_value(&job).unwrap(),
            expected,
            "{}: the raw object is kept",
            client.name()
        );
        let sent_order: Vec<&str> = expected
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let kept_order: Vec<&str> = job.fields().map(|(key, _)| key).collect();
        assert_eq!(kept_order, sent_order, "field order is kept");
    }
    let failed = first_with_status(server.world(), "error");
    let job = client.get_job(&id_of(failed)).unwrap();
    assert!(
        job.message.as_deref().is_some_and(|m| !m.is_empty()),
        "an error job says why"
    );
}

/// An unknown job is `NotFound`, with the server's detail.
pub fn get_unknown_job_is_not_found(connect: ConnectWith) {
    let server = server();
    let client = connect_to(connect, server.base_url(), Some(server.token()));
    let unknown = JobId::parse("00000000-0000-4000-8000-000000000000").unwrap();
    match client.get_job(&unknown) {
        Err(Error::NotFound(e)) => {
            assert_eq!(e.status, 404);
            assert_eq!(e.detail.as_deref(), Some("Not found."));
            assert!(
                e.to_string()
                    .contains("00000000-0000-4000-8000-000000000000"),
                "{e}"
            );
        }
        other => panic!("{}: expected NotFound, got {other:?}", client.name()),
    }
}

/// A wrong token is refused on every endpoint with `Authentication`, never echoed back.
pub fn wrong_token_is_an_authentication_error(connect: ConnectWith) {
    let server = server();
    let secret = "11111111-2222-4333-8444-555555555555";
    let client = connect_to(connect, server.base_url(), Some(secret));
    let done = first_with_status(server.world(), "done");
    let errors = [
        client.get_job(&id_of(done)).unwrap_err(),
        client.list_jobs(&JobQuery::new()).unwrap_err(),
        client
            .job_data(&id_of(done), OutputFormatId(1))
            .unwrap_err(),
    ];
    for error in errors {
        let Error::Authentication(api) = &error else {
            panic!("{}: expected Authentication, got {error:?}", client.name())
        };
        assert_eq!(api.status, 401);
        assert_eq!(api.detail.as_deref(), Some("Invalid token."));
        assert!(
            !format!("{error} {error:?}").contains(secret),
            "the token leaked: {error:?}"
        );
    }
}

/// The first page has the server's default size, the total count and a `next` link.
pub fn list_first_page(connect: ConnectWith) {
    let server = server();
    let client = connect_to(connect, server.base_url(), Some(server.token()));
    let page = client.list_jobs(&JobQuery::new()).unwrap();
    let expected = expected_ids(server.world(), |_| true);
    assert_eq!(page.count as usize, expected.len());
    let ids: Vec<String> = page.results.iter().map(|job| job.id.to_string()).collect();
    assert_eq!(
        ids,
        expected[..25],
        "{}: newest first, 25 per page by default",
        client.name()
    );
    assert!(page.previous.is_none());
    let next = page.next.expect("a second page exists");
    assert!(
        next.starts_with(server.base_url()) && next.contains("page=2"),
        "{next}"
    );
}

/// Walking page numbers yields every job exactly once; one page past the end is `NotFound`.
pub fn list_every_page_by_number(connect: ConnectWith) {
    let server = server();
    let client = connect_to(connect, server.base_url(), Some(server.token()));
    let expected = expected_ids(server.world(), |_| true);
    let mut seen = Vec::new();
    let mut page_number = 1;
    loop {
        let page = client
            .list_jobs(&JobQuery::new().page(page_number).page_size(40))
            .unwrap();
        assert_eq!(page.count as usize, expected.len());
        seen.extend(page.results.iter().map(|job| job.id.to_string()));
        if page.next.is_none() {
            break;
        }
        page_number += 1;
    }
    assert_eq!(
        seen,
        expected,
        "{}: every job once, in order",
        client.name()
    );
    let past_end = client.list_jobs(&JobQuery::new().page(page_number + 1).page_size(40));
    match past_end {
        Err(Error::NotFound(e)) => assert_eq!(e.detail.as_deref(), Some("Invalid page.")),
        other => panic!("expected Invalid page, got {other:?}"),
    }
}

/// A page size over the server's cap is capped silently; the count stays the total.
pub fn list_page_size_is_capped_by_the_server(connect: ConnectWith) {
    let server = server();
    let client = connect_to(connect, server.base_url(), Some(server.token()));
    let page = client.list_jobs(&JobQuery::new().page_size(1000)).unwrap();
    assert_eq!(
        page.results.len(),
        MAX_PAGE_SIZE.min(server.world().jobs().len())
    );
    assert_eq!(page.count as usize, server.world().jobs().len());
}

/// Every filter reaches the server and selects what the world says it should.
pub fn list_filters(connect: ConnectWith) {
    let server = server();
    let world = server.world();
    let client = connect_to(connect, server.base_url(), Some(server.token()));
    let all = |query: JobQuery| -> Vec<String> {
        let page = client
            .list_jobs(&query.page_size(MAX_PAGE_SIZE as u64))
            .unwrap();
        assert!(
            page.count as usize <= MAX_PAGE_SIZE,
            "the filter should fit one page here"
        );
        page.results.iter().map(|job| job.id.to_string()).collect()
    };

    let errors = all(JobQuery::new().status(JobStatus::Error));
    assert_eq!(errors, expected_ids(world, |job| job["status"] == "error"));

    let project = project_of(&world.jobs()[0]).expect("jobs have a project");
    let in_project = all(JobQuery::new().project(project).status(JobStatus::Done));
    assert_eq!(
        in_project,
        expected_ids(world, |job| project_of(job) == Some(project)
            && job["status"] == "done")
    );
    assert!(!in_project.is_empty());

    let after = DateTime::parse_from_rfc3339("2024-06-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let before = NaiveDate::from_ymd_opt(2024, 10, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let window = all(JobQuery::new().created_after(after).created_before(before));
    assert_eq!(
        window,
        expected_ids(world, |job| created(job) >= after && created(job) < before)
    );
    assert!(!window.is_empty());
}

/// A done job's rows arrive exactly as the server holds them, column order included.
pub fn job_data_matches_the_server(connect: ConnectWith) {
    let server = server();
    let world = server.world();
    let client = connect_to(connect, server.base_url(), Some(server.token()));
    let mut checked_rows = 0;
    let mut empty_outputs = 0;
    let mut columns = BTreeSet::new();
    for job in world
        .jobs()
        .iter()
        .filter(|job| job["status"] == "done")
        .take(30)
    {
        for &format in world.output_format_ids() {
            let expected = world
                .rows(job["id"].as_str().unwrap(), format)
                .expect("done jobs have rows");
            let rows = client
                .job_data(&id_of(job), OutputFormatId(format))
                .unwrap();
            let got: Vec<Value> = rows
                .iter()
                .map(|row| serde_json::to_value(row).unwrap())
                .collect();
            assert_eq!(
                got,
                expected,
                "{}: rows of {} format {format}",
                client.name(),
                job["id"]
            );
            for (row, want) in rows.iter().zip(&expected) {
                let order: Vec<&str> = row.columns().collect();
                let want_order: Vec<&str> = want
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(String::as_str)
                    .collect();
                assert_eq!(order, want_order);
                columns.extend(order.into_iter().map(str::to_owned));
            }
            checked_rows += rows.len();
            empty_outputs += usize::from(rows.is_empty());
        }
    }
    assert!(
        checked_rows > 100,
        "enough rows were compared ({checked_rows})"
    );
    assert!(columns.len() > 3, "rows have several columns: {columns:?}");
    let _ = empty_outputs;
}

/// Data of a job that is not done is an API error; an unknown output format is `NotFound`.
pub fn job_data_errors(connect: ConnectWith) {
    let server = server();
    let client = connect_to(connect, server.base_url(), Some(server.token()));
    let running = first_with_status(server.world(), "running");
    match client.job_data(&id_of(running), OutputFormatId(1)) {
        Err(Error::Api(e)) => assert_eq!(e.status, 400),
        other => panic!("{}: expected a 400, got {other:?}", client.name()),
    }
    let done = first_with_status(server.world(), "done");
    match client.job_data(&id_of(done), OutputFormatId(999)) {
        Err(Error::NotFound(_)) => {}
        other => panic!("{}: expected NotFound, got {other:?}", client.name()),
    }
}

/// Nothing listening is a transport error of kind `Connect`, naming the operation.
pub fn connection_refused_is_a_connect_error(connect: ConnectWith) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}/api/v1/", listener.local_addr().unwrap());
    drop(listener);
    let client = connect_to(connect, &base_url, Some("token"));
    match client.list_jobs(&JobQuery::new()) {
        Err(Error::Transport(failure)) => {
            assert_eq!(
                failure.error.kind(),
                TransportErrorKind::Connect,
                "{}: {failure:?}",
                client.name()
            );
            assert!(failure.to_string().starts_with("list jobs: "), "{failure}");
        }
        other => panic!(
            "{}: expected a transport error, got {other:?}",
            client.name()
        ),
    }
}

fn ids_of(jobs: Vec<Result<sdm_core::JobSummary, Error>>) -> Vec<String> {
    jobs.into_iter()
        .map(|job| job.expect("every page arrives").id.to_string())
        .collect()
}

/// Walking every page yields each job once, in list order, sequentially or concurrently, with
/// the server capping the page size.
pub fn all_pages_yield_every_job_once(connect: ConnectWith) {
    let server = MockServer::builder()
        .job_count(1_150)
        .start()
        .expect("the fake server starts");
    let client = connect_to(connect, server.base_url(), Some(server.token()));
    let expected = expected_ids(server.world(), |_| true);
    for options in [
        PagerOptions::default(),
        PagerOptions::default().concurrency(1).page_size(25),
        PagerOptions::default().concurrency(3).page_size(500),
    ] {
        let ids = ids_of(client.all_jobs(&JobQuery::new(), options.clone()));
        assert_eq!(ids, expected, "{}: {options:?}", client.name());
    }
}

/// Filters apply to every page, and a limit stops the walk.
pub fn all_pages_with_filters_and_a_limit(connect: ConnectWith) {
    let server = MockServer::builder()
        .job_count(600)
        .start()
        .expect("the fake server starts");
    let client = connect_to(connect, server.base_url(), Some(server.token()));
    let done = ids_of(client.all_jobs(
        &JobQuery::new().status(JobStatus::Done),
        PagerOptions::default().page_size(40),
    ));
    assert_eq!(
        done,
        expected_ids(server.world(), |job| job["status"] == "done")
    );
    assert!(
        done.len() > 100,
        "several pages of done jobs ({})",
        done.len()
    );
    let limited = ids_of(client.all_jobs(&JobQuery::new(), PagerOptions::default().limit(123)));
    assert_eq!(limited, expected_ids(server.world(), |_| true)[..123]);
}

/// Streamed rows are the server's rows, byte for byte as it sent them.
pub fn streamed_rows_are_the_servers_rows(connect: ConnectWith) {
    let server = server();
    let world = server.world();
    let client = connect_to(connect, server.base_url(), Some(server.token()));
    let mut compared = 0;
    for job in world
        .jobs()
        .iter()
        .filter(|job| job["status"] == "done")
        .take(10)
    {
        let expected = world.rows(job["id"].as_str().unwrap(), 1).unwrap();
        let (rows, error) = client.raw_rows(&id_of(job), OutputFormatId(1));
        assert!(error.is_none(), "{}: {error:?}", client.name());
        let sent: Vec<String> = expected
            .iter()
            .map(|row| serde_json::to_string(row).unwrap())
            .collect();
        assert_eq!(rows, sent, "{}: rows of {}", client.name(), job["id"]);
        compared += rows.len();
    }
    assert!(compared > 50, "enough rows compared ({compared})");
    let running = first_with_status(world, "running");
    let (rows, error) = client.raw_rows(&id_of(running), OutputFormatId(1));
    assert!(rows.is_empty());
    assert!(
        matches!(error, Some(Error::Api(ref e)) if e.status == 400),
        "{error:?}"
    );
}

/// With the server's fair-use limit on (429 + Retry-After), walking 1,000+ jobs still returns
/// exactly the set the server holds: the client paces itself and retries what was throttled.
pub fn all_pages_under_the_fair_use_limit(connect: ConnectWith) {
    let server = MockServer::builder()
        .job_count(1_050)
        .fair_use(Some(FairUse::per_second(5)))
        .start()
        .expect("the fake server starts");
    let client = connect_to(connect, server.base_url(), Some(server.token()));
    let expected = expected_ids(server.world(), |_| true);
    let ids = ids_of(client.all_jobs(
        &JobQuery::new(),
        PagerOptions::default().page_size(100).concurrency(4),
    ));
    assert_eq!(ids.len(), expected.len(), "{}", client.name());
    let mut sorted_ids = ids.clone();
    sorted_ids.sort();
    let mut sorted_expected = expected.clone();
    sorted_expected.sort();
    assert_eq!(
        sorted_ids,
        sorted_expected,
        "{}: exactly the server's set",
        client.name()
    );
    assert_eq!(ids, expected, "{}: in list order", client.name());
    assert!(
        server.throttled_count() > 0,
        "the server's limit was reached and retried through"
    );
}

/// Jobs created while the pages are walked shift page contents; no job comes twice and every
/// job present at the start is yielded.
pub fn jobs_created_during_a_walk(connect: ConnectWith) {
    for options in [
        PagerOptions::default().page_size(50),
        PagerOptions::default().page_size(50).concurrency(1),
    ] {
        // Jobs are created twice during the walk: when page 1 and when page 2 are first served.
        let served = [AtomicBool::new(false), AtomicBool::new(false)];
        let server = MockServer::builder()
            .job_count(420)
            .on_list_page(move |control, page| {
                let first_time = |i: usize| !served[i].swap(true, Ordering::SeqCst);
                if (page == 1 && first_time(0)) || (page == 2 && first_time(1)) {
                    control.insert_jobs(9);
                }
            })
            .start()
            .expect("the fake server starts");
        let client = connect_to(connect, server.base_url(), Some(server.token()));
        let ids = ids_of(client.all_jobs(&JobQuery::new(), options.clone()));
        let unique: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(
            unique.len(),
            ids.len(),
            "{}: no job twice ({options:?})",
            client.name()
        );
        for id in expected_ids(server.world(), |_| true) {
            assert!(
                unique.contains(&id),
                "{}: job {id} present at the start was lost ({options:?})",
                client.name()
            );
        }
    }
}

/// Waiting ends with the job's real outcome: done, failed with its message, or needs action.
pub fn waiting_for_jobs_that_finish_fail_or_need_action(connect: ConnectWith) {
    let server = server();
    let client = connect_to(connect, server.base_url(), Some(server.token()));
    let fast = WaitOptions::default()
        .interval(Duration::from_millis(50))
        .max_interval(Duration::from_millis(100));
    for status in [Status::Done, Status::Error, Status::Pending] {
        // Running for longer than the fair-use pace may hold a request (after 10 in a burst,
        // up to 1.02 s), so that the first poll finds it running.
        let id = server.add_job(JobSpec::new(status, Duration::from_millis(1500)));
        let id = JobId::parse(&id).unwrap();
        let (outcome, seen) =
            client.wait_for_job(&id, fast.clone().timeout(Duration::from_secs(20)));
        let statuses: Vec<&str> = seen.iter().map(|job| job.status.as_str()).collect();
        assert_eq!(
            statuses.first(),
            Some(&"running"),
            "{}: the first poll is reported",
            client.name()
        );
        match (status, outcome.unwrap()) {
            (Status::Done, WaitOutcome::Done(job)) => assert!(job.completion_date.is_some()),
            (Status::Error, WaitOutcome::Failed(job)) => {
                assert!(job.message.is_some_and(|m| !m.is_empty()))
            }
            (Status::Pending, WaitOutcome::NeedsAction(job)) => {
                assert!(job.step.is_some())
            }
            (status, outcome) => panic!("{}: {status:?} job gave {outcome:?}", client.name()),
        }
    }
    let forever =
        JobId::parse(&server.add_job(JobSpec::new(Status::Running, Duration::ZERO))).unwrap();
    let (outcome, _) = client.wait_for_job(&forever, fast.timeout(Duration::from_millis(400)));
    match outcome.unwrap() {
        WaitOutcome::TimedOut {
            polls,
            elapsed,
            last,
            throttled,
        } => {
            assert_eq!(throttled, None, "the server answered every poll");
            assert!(polls >= 3, "{polls} polls");
            assert!(elapsed >= Duration::from_millis(400));
            assert_eq!(last.map(|job| job.status), Some(JobStatus::Running));
        }
        other => panic!("{}: expected a timeout, got {other:?}", client.name()),
    }
}

/// A 100,000-row output streams completely: exact count and content.
pub fn a_large_output_streams_completely(connect: ConnectWith) {
    let server = server();
    let client = connect_to(connect, server.base_url(), Some(server.token()));
    let id = server.add_job(JobSpec::new(Status::Done, Duration::ZERO).rows(100_000));
    let (rows, error) = client.raw_rows(&JobId::parse(&id).unwrap(), OutputFormatId(1));
    assert!(error.is_none(), "{}: {error:?}", client.name());
    assert_eq!(rows.len(), 100_000);
    let expected = server.job_rows(&id, 1).expect("a done job has rows");
    for (index, (row, want)) in rows.iter().zip(expected).enumerate() {
        assert_eq!(
            row,
            &serde_json::to_string(&want).unwrap(),
            "{}: row {index}",
            client.name()
        );
    }
}

/// The transport timeouts of the timeout scenarios: a read timeout far shorter than the
/// server's [`STALL`], and a connect timeout of another value, so that a transport that names
/// the timeout that ran out can be checked to name the read timeout.
pub const STALL_TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_secs(3),
    read: Duration::from_millis(500),
    overall: None,
};

/// How long the server stands still in the timeout scenarios: ten read timeouts.
pub const STALL: Duration = Duration::from_secs(5);

/// How soon the timeout must be reported, from the request: a few read timeouts (room for a
/// busy machine), half the stall.
pub const TIMEOUT_BOUND: Duration = Duration::from_millis(2500);

/// The default configuration, with no retry and no pacing: for scenarios where a retry could
/// only meet the same failure again, and where the first error is the one judged.
fn single_attempt(server: &MockServer) -> ClientConfig {
    default_config(server.base_url(), Some(server.token()))
        .with_retry_policy(RetryPolicy::none())
        .with_rate_limit(None)
}

/// Makes a subject with [`STALL_TIMEOUTS`] and runs `call` on it, on a thread of its own:
/// the subject's name, what the call gave and how long it took. A transport that ignores its
/// timeouts waits out the stall (and then returns data), one that hangs is given up on.
fn timed<T: Send + 'static>(
    connect: ConnectWith,
    config: ClientConfig,
    call: impl FnOnce(&dyn Subject) -> T + Send + 'static,
) -> (&'static str, T, Duration) {
    let run = bounded(STALL * 3, move || {
        let client = connect(config, STALL_TIMEOUTS);
        let started = Instant::now();
        let result = call(&*client);
        (client.name(), result, started.elapsed())
    });
    run.unwrap_or_else(|why| {
        panic!(
            "a client with a read timeout of {:?}, against a server that stands still for \
             {STALL:?}: {why}",
            STALL_TIMEOUTS.read
        )
    })
}

/// The call ended in a `Timeout` transport error soon after the read timeout, naming the read
/// timeout if it names one.
fn assert_timed_out<T: Debug>(name: &str, result: &Result<T, Error>, elapsed: Duration) {
    let read = STALL_TIMEOUTS.read;
    match result {
        Err(Error::Transport(failure)) if failure.error.kind() == TransportErrorKind::Timeout => {}
        other => panic!(
            "{name}: with a read timeout of {read:?}, against a server that stands still for \
             {STALL:?}, expected a transport error of kind Timeout; got {other:?} after \
             {elapsed:?}"
        ),
    }
    assert!(
        elapsed < TIMEOUT_BOUND,
        "{name}: the timeout came after {elapsed:?}, not soon after the read timeout of {read:?}"
    );
    if let Some(named) = result.as_ref().err().and_then(Error::timed_out) {
        assert_eq!(
            named.limit, read,
            "{name}: the timeout named is not the read timeout: {named}"
        );
    }
}

/// A response that does not start within the read timeout (the server holds it back for
/// [`STALL`]) is a transport error of kind `Timeout`, reported within [`TIMEOUT_BOUND`].
pub fn a_response_that_does_not_start_times_out(connect: ConnectWith) {
    let server = server();
    server.set_faults(vec![
        FaultPlan::always(Fault::Latency(STALL)).on(Route::JobDetail),
    ]);
    let id = id_of(&server.world().jobs()[0]);
    let (name, result, elapsed) = timed(connect, single_attempt(&server), move |client| {
        client.get_job(&id).map(|job| job.id)
    });
    assert_timed_out(name, &result, elapsed);
}

/// A body that stops arriving (its first piece comes at once, the next after [`STALL`]) ends
/// the rows with a transport error of kind `Timeout` within [`TIMEOUT_BOUND`], however long
/// the whole output would take.
pub fn a_body_that_stops_arriving_times_out(connect: ConnectWith) {
    let server = server();
    let id = JobId::parse(&server.add_job(JobSpec::new(Status::Done, Duration::ZERO).rows(200)))
        .unwrap();
    server.set_faults(vec![
        FaultPlan::always(Fault::SlowDrip {
            chunk_bytes: 4096,
            pause: STALL,
        })
        .on(Route::JobData),
    ]);
    let (name, (rows, error), elapsed) = timed(connect, single_attempt(&server), move |client| {
        client.raw_rows(&id, OutputFormatId(1))
    });
    let result = error.map_or(Ok(rows.len()), Err);
    assert_timed_out(name, &result, elapsed);
    assert!(rows.len() < 200, "{name}: all 200 rows arrived");
}

/// The deadline the deadline scenario gives its call: far shorter than [`STALL`] and than
/// every timeout of [`Timeouts::DEFAULT`](crate::Timeouts::DEFAULT).
pub const DEADLINE: Duration = Duration::from_secs(1);

/// A call with a deadline ([`ClientConfig::with_deadline`], here [`DEADLINE`] away) against a
/// server that holds its response back for [`STALL`] ends soon after the deadline, in a timeout
/// error of kind `TimeoutKind::Deadline`, though the transport's own timeouts (the defaults)
/// are far off and retries are on: the transport bounds the request by its
/// `transport::Deadline` (only it can cut a response that does not start), and the client
/// makes no retry past the deadline.
pub fn a_deadline_bounds_a_request_that_does_not_start(connect: ConnectWith) {
    let server = server();
    server.set_faults(vec![
        FaultPlan::always(Fault::Latency(STALL)).on(Route::JobDetail),
    ]);
    let id = id_of(&server.world().jobs()[0]);
    let config = default_config(server.base_url(), Some(server.token())).with_rate_limit(None);
    let run = bounded(STALL * 3, move || {
        let deadline = Instant::now() + DEADLINE;
        let client = connect(config.with_deadline(Some(deadline)), Timeouts::DEFAULT);
        let result = client.get_job(&id).map(|job| job.id);
        (client.name(), result, deadline.elapsed())
    });
    let (name, result, late) = run.unwrap_or_else(|why| panic!("a call with a deadline: {why}"));
    let kind = result
        .as_ref()
        .err()
        .and_then(Error::timed_out)
        .map(|t| t.timeout);
    assert_eq!(
        kind,
        Some(sdm_core::TimeoutKind::Deadline),
        "{name}: a call with a deadline of {DEADLINE:?}, against a server that stands still for \
         {STALL:?}, expected a timeout of kind Deadline; got {result:?}"
    );
    assert!(
        late < TIMEOUT_BOUND - DEADLINE,
        "{name}: the call ended {late:?} after its deadline: the transport does not bound the \
         request by its `transport::Deadline`"
    );
}

/// A loopback listener that answers whatever a client sends first (a TLS `ClientHello`) with
/// a plain-HTTP `400` and closes the connection: no TLS library completes a handshake with
/// it, and no certificate is needed to show it. It counts the connections it accepts.
struct PlainHttpOnly {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl PlainHttpOnly {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port is free");
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::spawn({
            let (accepted, stop) = (Arc::clone(&accepted), Arc::clone(&stop));
            move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(mut stream) = stream else { continue };
                    accepted.fetch_add(1, Ordering::SeqCst);
                    // Whatever the client says first, however it says it.
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                    let _ = stream.read(&mut [0; 4096]);
                    let _ = stream.write_all(
                        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                }
            }
        });
        Self {
            addr,
            accepted,
            stop,
            thread: Some(thread),
        }
    }

    fn base_url(&self) -> String {
        format!("https://{}/api/v1/", self.addr)
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for PlainHttpOnly {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // The listener thread waits in `accept`: one more connection wakes it to see `stop`.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A TLS failure (here, an `https` server that answers the handshake in plain HTTP) is a
/// transport error of kind `Tls`, sent once: a retry meets the same server, as it would meet
/// the same certificate. The listener sees at most one connection (none, for a transport
/// that cannot make TLS connections and says so at once).
pub fn a_tls_failure_is_a_tls_error_never_retried(connect: ConnectWith) {
    let listener = PlainHttpOnly::start();
    let base_url = listener.base_url();
    let (name, result) = bounded(Duration::from_secs(60), move || {
        // The default configuration, whose retry policy retries what it may.
        let client = connect_to(connect, &base_url, Some("token"));
        let listed = client.list_jobs(&JobQuery::new()).map(|page| page.count);
        (client.name(), listed)
    })
    .unwrap_or_else(|why| panic!("listing jobs at {}: {why}", listener.base_url()));
    match &result {
        Err(Error::Transport(failure))
            if failure.error.kind() == TransportErrorKind::Tls && failure.attempts == 1 => {}
        Err(Error::Transport(failure)) => panic!(
            "{name}: expected a transport error of kind Tls, sent once; got kind {:?} after {} \
             attempt(s): {failure:?}",
            failure.error.kind(),
            failure.attempts
        ),
        other => panic!("{name}: expected a transport error of kind Tls, got {other:?}"),
    }
    assert!(
        listener.accepted() <= 1,
        "{name}: the server saw {} connections: a TLS failure was retried",
        listener.accepted()
    );
}

/// A connection lost in the middle of a body (the server sends the head with the body's real
/// framing, then half the body, then closes) is a transport error of kind `Io`: for a job
/// (a document with a `Content-Length`) and for a job's output (chunked, streamed), after
/// the rows that did arrive. Never a complete body, nor a decode error, nor fewer rows.
pub fn a_body_cut_short_is_an_io_error(connect: ConnectWith) {
    let server = server();
    let job = id_of(first_with_status(server.world(), "done"));
    let data_job = server.add_job(JobSpec::new(Status::Done, Duration::ZERO).rows(400));
    let all_rows: Vec<String> = server
        .job_rows(&data_job, 1)
        .expect("a done job has rows")
        .map(|row| serde_json::to_string(&row).unwrap())
        .collect();
    server.set_faults(vec![
        FaultPlan::always(Fault::DropMidBody).on(Route::JobDetail),
        FaultPlan::always(Fault::DropMidBody).on(Route::JobData),
    ]);
    let client = connect(single_attempt(&server), Timeouts::DEFAULT);
    let name = client.name();
    let is_io = |error: &Error| match error {
        Error::Transport(failure) => failure.error.kind() == TransportErrorKind::Io,
        _ => false,
    };

    match client.get_job(&job) {
        Err(error) if is_io(&error) => {}
        other => panic!(
            "{name}: a job whose body ends at half its Content-Length: expected a transport \
             error of kind Io, got {other:?}"
        ),
    }

    let (rows, error) = client.raw_rows(&JobId::parse(&data_job).unwrap(), OutputFormatId(1));
    match &error {
        Some(error) if is_io(error) => {}
        other => panic!(
            "{name}: a chunked output cut off before its last chunk: expected a transport \
             error of kind Io, got {other:?} after {} rows",
            rows.len()
        ),
    }
    assert!(
        rows.len() < all_rows.len() && rows == all_rows[..rows.len()],
        "{name}: the {} rows before the error are not the server's first ones",
        rows.len()
    );
}

// --- uploads, creates and downloads ------------------------------------------------------------

/// The length of the bodies of the two streaming scenarios: four times `paced::LEAD`.
const STREAMED_BODY: u64 = 4 * paced::LEAD;

/// The multipart boundary of the uploads, fixed so the expected body can be built again.
const BOUNDARY: &str = "sdm-conformance-boundary";

/// An upload of `len` generated bytes named `large.csv`, paced against `received` if given.
fn generated_upload(len: u64, received: Option<Arc<paced::Progress>>) -> UploadFile {
    let source = paced::PacedSource {
        len,
        paced: received,
    };
    UploadFile::new("large.csv", RequestBody::from_source(len, source)).boundary(BOUNDARY)
}

/// The length and hash of the request body a client sends for `upload`.
fn request_body_of(upload: &UploadFile, config: &ClientConfig) -> (u64, u64) {
    let request = upload.request(config).expect("the upload request builds");
    let mut reader = request.body().reader();
    let mut hash = Fnv1a64::new();
    let mut buf = vec![0; 64 * 1024];
    let mut len = 0;
    loop {
        match reader.read(&mut buf).expect("the generated body reads") {
            0 => return (len, hash.finish()),
            n => {
                hash.update(&buf[..n]);
                len += n as u64;
            }
        }
    }
}

/// A large upload goes out as it is read, with its `Content-Length` and byte for byte: the
/// client may read its source at most 16 MiB ahead of what the server received.
pub fn a_large_upload_streams_its_body(connect: ConnectWith) {
    let received = Arc::new(paced::Progress::default());
    let server = paced::PacedServer::upload(
        Arc::clone(&received),
        r#"{"id": 7, "name": "large.csv", "status": "parsing", "parsing_error": null}"#,
    )
    .expect("the kit's server starts");
    let base_url = server.base_url.clone();
    let client = connect_to(connect, &base_url, Some("conformance"));
    let result = client.upload_file(&generated_upload(STREAMED_BODY, Some(received)));
    let seen = server.finish();
    let name = client.name();
    if let Some(failure) = &seen.failure {
        panic!("{name}: {failure} (the client said {result:?})");
    }
    let file = result.unwrap_or_else(|e| panic!("{name}: the upload failed: {e}"));
    assert_eq!(file.id, FileId(7), "{name}");
    assert_eq!(seen.method_and_path(), "POST /api/v1/files/", "{name}");
    assert!(!seen.chunked, "{name}: the body must not be chunked");
    let config = default_config(&base_url, Some("conformance"));
    let (len, hash) = request_body_of(&generated_upload(STREAMED_BODY, None), &config);
    assert_eq!(seen.content_length, Some(len), "{name}: Content-Length");
    assert_eq!(
        (seen.body_len, seen.body_hash),
        (len, hash),
        "{name}: the body that arrived is not the one the client built"
    );
}

/// A large download reaches the caller as it arrives: the server sends at most
/// 16 MiB ahead of what the client handed on, and every byte arrives once, in order.
pub fn a_large_download_streams_its_body(connect: ConnectWith) {
    let delivered = Arc::new(paced::Progress::default());
    let server = paced::PacedServer::download(Arc::clone(&delivered), STREAMED_BODY, "large.csv")
        .expect("the kit's server starts");
    let client = connect_to(connect, &server.base_url, Some("conformance"));
    let job = JobId::parse("9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b").unwrap();
    let mut hash = Fnv1a64::new();
    let mut len = 0;
    let result = client.download(&job, OutputFormatId(1), &mut |chunk| {
        hash.update(chunk);
        len += chunk.len() as u64;
        delivered.advance(chunk.len() as u64);
    });
    let seen = server.finish();
    let name = client.name();
    if let Some(failure) = &seen.failure {
        panic!("{name}: {failure} (the client said {result:?})");
    }
    let info = result.unwrap_or_else(|e| panic!("{name}: the download failed: {e}"));
    assert_eq!(
        seen.method_and_path(),
        format!("GET /api/v1/jobs/{job}/download/1/"),
        "{name}"
    );
    assert_eq!(info.file_name.as_deref(), Some("large.csv"), "{name}");
    assert_eq!(info.length, Some(STREAMED_BODY), "{name}");
    assert_eq!(
        (len, hash.finish()),
        (STREAMED_BODY, paced::generated_hash(STREAMED_BODY)),
        "{name}: the file that reached the caller is not the one the server sent"
    );
}

/// An upload refused with a 429 (the server did not act on it) is sent again from the start
/// of its source, byte for byte, and then created once.
pub fn an_upload_throttled_is_sent_again_byte_for_byte(connect: ConnectWith) {
    let server = MockServer::builder()
        .fault(FaultPlan {
            fault: Fault::TooManyRequests {
                retry_after: Some(0),
            },
            route: Route::FileUpload,
            times: Some(1),
        })
        .start()
        .expect("the fake server starts");
    let client = connect_to(connect, server.base_url(), Some(server.token()));
    const LEN: u64 = 1024 * 1024;
    let file = client
        .upload_file(&generated_upload(LEN, None))
        .unwrap_or_else(|e| panic!("{}: the upload failed: {e}", client.name()));
    let name = client.name();
    assert_eq!(server.posts_received(Route::FileUpload), 2, "{name}");
    let received = server.uploads_received();
    let statuses: Vec<u16> = received.iter().map(|u| u.status).collect();
    assert_eq!(statuses, [429, 201], "{name}");
    assert_eq!(
        (received[0].body_len, received[0].body_hash),
        (received[1].body_len, received[1].body_hash),
        "{name}: the second attempt's body differs from the first"
    );
    assert_eq!(
        (received[1].file_len, received[1].file_hash),
        (LEN, paced::generated_hash(LEN)),
        "{name}: the file part is not the file"
    );
    let files = server.files_snapshot();
    assert_eq!(files.len(), 1, "{name}: one file is created");
    assert_eq!(files[0]["id"].as_u64(), Some(file.id.0), "{name}");
}

/// A create whose connection dropped after the server received (and acted on) it is reported
/// as unconfirmed, never sent again: the file or job exists once.
pub fn creates_are_not_sent_again_after_the_connection_dropped(connect: ConnectWith) {
    let server = MockServer::builder()
        .parse_for(Duration::ZERO)
        .start()
        .expect("the fake server starts");
    let client = connect_to(connect, server.base_url(), Some(server.token()));
    let name = client.name();
    let drop_on = |route| {
        vec![FaultPlan {
            fault: Fault::DropAfterActing,
            route,
            times: Some(1),
        }]
    };

    server.set_faults(drop_on(Route::FileUpload));
    let csv = "sku,name\n1,Chair\n2,Table\n";
    let upload = || {
        UploadFile::new(
            "chairs.csv",
            RequestBody::from_bytes(csv.as_bytes().to_vec()),
        )
    };
    let error = client.upload_file(&upload()).unwrap_err();
    let Error::Unconfirmed(unconfirmed) = &error else {
        panic!("{name}: expected an unconfirmed upload, got {error:?}")
    };
    assert_eq!(
        unconfirmed.created,
        Created::File {
            name: "chairs.csv".to_owned()
        },
        "{name}"
    );
    assert_eq!(
        server.posts_received(Route::FileUpload),
        1,
        "{name}: resent"
    );
    assert_eq!(server.files_snapshot().len(), 1, "{name}: the server acted");

    server.clear_faults();
    let file = client
        .upload_file(&upload())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    server.set_faults(drop_on(Route::JobCreate));
    let jobs_before = server.jobs_snapshot().len();
    let error = client
        .create_job(&CreateJob::new(file.id, ProjectId(1), "Chairs"))
        .unwrap_err();
    let Error::Unconfirmed(unconfirmed) = &error else {
        panic!("{name}: expected an unconfirmed create, got {error:?}")
    };
    assert_eq!(
        unconfirmed.created,
        Created::Job {
            name: "Chairs".to_owned(),
            project: ProjectId(1)
        },
        "{name}"
    );
    assert_eq!(server.posts_received(Route::JobCreate), 1, "{name}: resent");
    assert_eq!(
        server.jobs_snapshot().len(),
        jobs_before + 1,
        "{name}: the server acted"
    );
}
