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

/// `sdm jobs wait ID... ARGS` against `server`.
fn wait_all(server: &MockServer, ids: &[&str], args: &[&str], code: i32) -> Run {
    run_expect(
        &mut sdm_at(server, &[&["jobs", "wait"], ids, args].concat()),
        code,
    )
}

/// The ids of the jobs printed (NDJSON), in the order they were printed.
fn printed(run: &Run) -> Vec<String> {
    ndjson(&run.stdout)
        .iter()
        .map(|job| id_of(job).to_owned())
        .collect()
}

#[test]
fn several_jobs_exit_with_the_worst_outcome_each_shown_as_it_ends() {
    let server = MockServer::start();
    // The failure comes well after the pending job stops (300 ms), so the order they are
    // seen in holds even when the process starts late on a loaded machine.
    let failed = server.add_job(JobSpec::new(Status::Error, Duration::from_millis(1500)));
    let pending = server.add_job(JobSpec::new(Status::Pending, RUNS_FOR));
    let never = server.add_job(JobSpec::new(Status::Running, Duration::ZERO));
    let done = id_of(job_with_status(&server, "done")).to_owned();
    let args = ["--timeout", "3s", "--interval", "100ms", "-o", "ndjson"];

    let run = wait_all(&server, &[&never, &failed, &pending, &done], &args, 5);
    // As they end: the done one at the first poll, then pending, failed, and the one that
    // never ends at the deadline.
    assert_eq!(
        printed(&run),
        [
            done.as_str(),
            pending.as_str(),
            failed.as_str(),
            never.as_str()
        ]
    );
    let jobs = ndjson(&run.stdout);
    let statuses: Vec<&str> = jobs.iter().map(|j| j["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["done", "pending", "error", "running"]);
    // Each reason as it came, then the summary.
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 4, "{}", run.stderr);
    assert!(lines[0].starts_with(&format!("error: job {pending} needs action in SDM")));
    assert!(lines[1].starts_with(&format!("error: job {failed} failed: ")));
    assert!(
        lines[2].starts_with("error: timed out after 3s")
            && lines[2].ends_with(&format!("job {never} is still running"))
    );
    assert_eq!(
        lines[3],
        "error: 3 of 4 jobs did not end done: 1 failed, 1 need action in SDM, 1 timed out"
    );

    // Without the failure, pending (6) is the worst; without it too, the time-out (7).
    // (Both have ended by now: each is shown at its first poll, in the order given.)
    let run = wait_all(&server, &[&never, &pending, &done], &args, 6);
    assert_eq!(
        printed(&run),
        [pending.as_str(), done.as_str(), never.as_str()]
    );
    wait_all(&server, &[&never, &done], &args, 7);
    // All done, one before the wait and one during it: 0, nothing on standard error.
    let later = server.add_job(JobSpec::new(Status::Done, RUNS_FOR));
    let run = wait_all(&server, &[&later, &done], &args, 0);
    assert_eq!(printed(&run), [done.as_str(), later.as_str()]);
    assert_eq!(run.stderr, "");
}

#[test]
fn a_job_that_ended_before_the_wait_counts_the_same() {
    let server = MockServer::start();
    let failed_before = id_of(job_with_status(&server, "error")).to_owned();
    let pending_before = id_of(job_with_status(&server, "pending")).to_owned();
    let done = server.add_job(JobSpec::new(Status::Done, RUNS_FOR));
    let args = ["--interval", "100ms", "-o", "ndjson"];
    let run = wait_all(&server, &[&done, &failed_before], &args, 5);
    assert_eq!(printed(&run), [failed_before.as_str(), done.as_str()]);
    wait_all(&server, &[&done, &pending_before], &args, 6);
    // The same id twice is waited for once.
    let run = wait_all(&server, &[&done, &done], &args, 0);
    assert_eq!(printed(&run), [done.as_str()]);
}

#[test]
fn one_deadline_bounds_the_whole_command() {
    let server = MockServer::start();
    let ids: Vec<String> = (0..4)
        .map(|_| server.add_job(JobSpec::new(Status::Running, Duration::ZERO)))
        .collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let started = Instant::now();
    let run = wait_all(
        &server,
        &ids,
        &["--timeout", "1s", "--interval", "200ms"],
        7,
    );
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    // One deadline for all, not one each (4s and more).
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
    assert_eq!(
        run.stderr
            .lines()
            .filter(|l| l.contains("is still running"))
            .count(),
        4,
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .ends_with("error: 4 of 4 jobs did not end done: 4 timed out\n")
    );
    // Tables like `jobs get`, one block per job.
    assert_eq!(
        run.stdout.matches("status     running").count(),
        4,
        "{}",
        run.stdout
    );
    // Polls are interleaved, each job about every 200ms (with backoff), not a busy loop.
    let requests = server.request_count();
    assert!((8..=60).contains(&requests), "{requests} requests");
}

#[test]
fn an_unknown_job_among_several_exits_4() {
    let server = MockServer::start();
    let done = id_of(job_with_status(&server, "done")).to_owned();
    let unknown = "00000000-0000-4000-8000-000000000000";
    let run = wait_all(&server, &[&done, unknown], &["--interval", "100ms"], 4);
    assert!(run.stderr.contains("not found"), "{}", run.stderr);
}
