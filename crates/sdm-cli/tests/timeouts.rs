//! A server slower than `--read-timeout` ends the command with exit 8, an error that names the
//! timeout and its value, and a hint naming the option that raises it.

mod common;

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
