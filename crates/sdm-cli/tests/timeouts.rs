//! A server slower than `--read-timeout` ends the command with exit 8, an error that names the
//! timeout and its value, and a hint naming the option that raises it.
//!
//! `--timeout` bounds the whole command: against a server that throttles with a `Retry-After`
//! longer than the time left, one that never answers and one that drips its answer a byte a
//! second, `jobs wait --timeout 2s` and `files upload --wait --timeout 2s` end within about
//! three seconds with exit 7.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{job_with_status, run_expect, sdm_at};
use sdm_mock::{Fault, FaultPlan, MockServer, Route};

#[test]
fn a_slow_server_hits_the_read_timeout() {
    let server = MockServer::start();
    server.set_faults(vec![
        FaultPlan::always(Fault::Latency(Duration::from_secs(3))).on(Route::JobDetail),
    ]);
    let id = job_with_status(&server, "done")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let started = Instant::now();
    let run = run_expect(
        &mut sdm_at(
            &server,
            &[
                "jobs",
                "get",
                &id,
                "--read-timeout",
                "500ms",
                "--retries",
                "1",
            ],
        ),
        8,
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the timeout did not cut the wait"
    );
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(
        run.stderr.contains("read timeout of 500ms"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hint: raise it with --read-timeout"),
        "{}",
        run.stderr
    );

    // Raised above the server's delay, the same command succeeds.
    run_expect(
        &mut sdm_at(&server, &["jobs", "get", &id, "--read-timeout", "10s"]),
        0,
    );
}

/// How long a command under `--timeout 2s` may take, the process's start and a busy machine
/// included.
const BOUND: Duration = Duration::from_millis(3500);

/// Runs `command`, killing it if it outlives the bound by far (so that a regression fails
/// instead of hanging the suite); returns its exit code, stderr and how long it took.
fn bounded(command: &mut Command) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sdm binary starts");
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if started.elapsed() > BOUND * 4 {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (code, stderr, elapsed)
}

fn throttling() -> Fault {
    Fault::TooManyRequests {
        retry_after: Some(30),
    }
}

fn silent() -> Fault {
    Fault::Latency(Duration::from_secs(60))
}

fn dripping() -> Fault {
    Fault::SlowDrip {
        chunk_bytes: 1,
        pause: Duration::from_secs(1),
    }
}

/// `jobs wait --timeout 2s` on a running job whose every poll meets `fault`; its stderr.
fn wait_under(fault: Fault) -> String {
    let server = MockServer::start();
    let id = job_with_status(&server, "running")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server.set_faults(vec![FaultPlan::always(fault.clone()).on(Route::JobDetail)]);
    let (code, stderr, elapsed) = bounded(&mut sdm_at(
        &server,
        &["jobs", "wait", &id, "--timeout", "2s"],
    ));
    assert_eq!(code, Some(7), "{fault:?}: after {elapsed:?}\n{stderr}");
    assert!(elapsed < BOUND, "{fault:?}: took {elapsed:?}\n{stderr}");
    assert!(stderr.starts_with("error: timed out after "), "{stderr}");
    stderr
}

#[test]
fn jobs_wait_timeout_bounds_a_throttling_server() {
    let stderr = wait_under(throttling());
    // The error says that the server, not the job, ran the time out.
    assert!(
        stderr.contains(": the server was rate limiting (Retry-After 30s); job "),
        "{stderr}"
    );
}

#[test]
fn jobs_wait_timeout_bounds_a_server_that_never_answers() {
    let stderr = wait_under(silent());
    assert!(!stderr.contains("rate limiting"), "{stderr}");
}

#[test]
fn jobs_wait_timeout_bounds_a_drip() {
    let stderr = wait_under(dripping());
    assert!(!stderr.contains("rate limiting"), "{stderr}");
}

#[test]
fn files_upload_wait_timeout_bounds_a_throttling_server() {
    let server = MockServer::start();
    server.set_faults(vec![FaultPlan::always(throttling()).on(Route::FileDetail)]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("offers.csv");
    std::fs::write(&path, "sku,name\n1,Shoe\n").unwrap();
    let path = path.to_str().unwrap();
    let (code, stderr, elapsed) = bounded(&mut sdm_at(
        &server,
        &["files", "upload", path, "--wait", "--timeout", "2s"],
    ));
    assert_eq!(code, Some(7), "after {elapsed:?}\n{stderr}");
    assert!(elapsed < BOUND, "took {elapsed:?}\n{stderr}");
}

#[test]
fn a_throttled_upload_under_a_short_timeout_ends_at_once_saying_why() {
    let server = MockServer::start();
    server.set_faults(vec![FaultPlan::always(throttling()).on(Route::FileUpload)]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("offers.csv");
    std::fs::write(&path, "sku,name\n1,Shoe\n").unwrap();
    let path = path.to_str().unwrap();
    let (code, stderr, elapsed) = bounded(&mut sdm_at(
        &server,
        &["files", "upload", path, "--wait", "--timeout", "5s"],
    ));
    assert_eq!(code, Some(7), "after {elapsed:?}\n{stderr}");
    assert!(
        elapsed < Duration::from_secs(2),
        "took {elapsed:?}\n{stderr}"
    );
    assert!(
        stderr.contains("would start after the deadline"),
        "{stderr}"
    );
}
