//! `sdm jobs wait` end to end: jobs added to the fake server that finish done, error or pending
//! after a moment, one that never finishes, and one that does not exist; exit codes, the final
//! job on standard output, the one-line reason on standard error.

mod common;

use std::time::{Duration, Instant};

use common::*;
use sdm_mock::{JobSpec, MockServer, Status};
use serde_json::Value;

/// How long the added jobs run.
const RUNS_FOR: Duration = Duration::from_millis(300);

fn wait(server: &MockServer, id: &str, args: &[&str], code: i32) -> Run {
    run_expect(
        &mut sdm_at(server, &[&["jobs", "wait", id], args].concat()),
        code,
    )
}

#[test]
fn a_job_that_ends_done_exits_0_and_is_printed() {
    let server = MockServer::start();
    let id = server.add_job(JobSpec::new(Status::Done, RUNS_FOR));
    let started = Instant::now();
    let run = wait(&server, &id, &["--interval", "100ms", "-o", "json"], 0);
    assert!(started.elapsed() >= RUNS_FOR);
    assert_eq!(
        run.stderr, "",
        "nothing on stderr when it is not a terminal"
    );
    let job: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(job["id"], id.as_str());
    assert_eq!(job["status"], "done");
    // The server's object, every field.
    let snapshot = server.jobs_snapshot();
    let now = snapshot.iter().find(|j| j["id"] == id.as_str()).unwrap();
    assert_eq!(&job, now);

    // Table like `jobs get`, and a job done from the start.
    let done = id_of(job_with_status(&server, "done")).to_owned();
    let run = wait(&server, &done, &[], 0);
    let get = run_expect(&mut sdm_at(&server, &["jobs", "get", &done]), 0);
    assert_eq!(run.stdout, get.stdout);
    assert_eq!(run.stderr, "");
}

#[test]
fn a_job_that_ends_in_error_exits_5() {
    let server = MockServer::start();
    let id = server.add_job(JobSpec::new(Status::Error, RUNS_FOR));
    let run = wait(&server, &id, &["--interval", "100ms", "-o", "ndjson"], 5);
    let job: Value = serde_json::from_str(run.stdout.trim_end()).unwrap();
    assert_eq!(job["status"], "error");
    let message = job["message"].as_str().unwrap();
    assert!(!message.is_empty());
    assert_eq!(run.stderr, format!("error: job {id} failed: {message}\n"));
}

#[test]
fn a_pending_job_exits_6() {
    let server = MockServer::start();
    let id = server.add_job(JobSpec::new(Status::Pending, RUNS_FOR));
    let run = wait(&server, &id, &["--interval", "100ms", "-o", "json"], 6);
    let job: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(job["status"], "pending");
    let step = &job["step"];
    assert_eq!(
        run.stderr,
        format!(
            "error: job {id} needs action in SDM at step {} {}\n",
            step["number"],
            step["name"].as_str().unwrap()
        )
    );
}

#[test]
fn a_job_that_never_finishes_times_out_with_exit_7() {
    let server = MockServer::start();
    let id = server.add_job(JobSpec::new(Status::Running, Duration::ZERO));
    let started = Instant::now();
    let run = wait(
        &server,
        &id,
        &["--timeout", "1s", "--interval", "100ms", "-o", "json"],
        7,
    );
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    let stderr = run.stderr.trim_end();
    assert!(
        stderr.starts_with("error: timed out after 1s, ") && stderr.contains(" polls"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(&format!("job {id} is still running")),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1);
    // The last job seen is printed.
    let job: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(job["status"], "running");

    // Seconds as a bare number work too.
    let run = wait(
        &server,
        &id,
        &["--timeout", "0.3", "--interval", "100ms"],
        7,
    );
    assert!(run.stdout.contains("running"), "{}", run.stdout);
}

#[test]
fn an_unknown_job_exits_4() {
    let server = MockServer::start();
    let unknown = "00000000-0000-4000-8000-000000000000";
    let run = wait(&server, unknown, &["--interval", "100ms"], 4);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(run.stderr.contains("not found"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
}

#[test]
fn bad_durations_are_usage_errors() {
    let dead = dead_base_url();
    let id = "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b";
    for args in [
        &["--timeout", "soon"][..],
        &["--timeout", "5 minutes"],
        &["--timeout", "-1s"],
        &["--interval", "0"],
        &["--interval", "1x"],
        &["--timeout", "30m1h"],
    ] {
        let mut command = sdm(&[&["jobs", "wait", id], args].concat());
        command.args(["--base-url", &dead, "--token", "t"]);
        let run = run_expect(&mut command, 2);
        assert!(run.stderr.starts_with("error:"), "{}", run.stderr);
        assert_eq!(run.stdout, "");
    }
}

#[test]
fn an_unreachable_server_times_the_wait_out() {
    let mut command = sdm(&["jobs", "wait", "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b"]);
    command.args(["--base-url", &dead_base_url(), "--token", "t"]);
    command.args(["--timeout", "1s", "--interval", "200ms", "--retries", "1"]);
    // Connection failures do not end a wait (the server may come back); the deadline does.
    let run = run_expect(&mut command, 7);
    assert!(run.stderr.contains("timed out after"), "{}", run.stderr);
    assert!(run.stderr.contains("not seen yet"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
}
