//! The transports' read timeout bounds every wait for the server: for the response to start,
//! and for each piece of a body while it streams. A server that stops sending must end in a
//! `Timeout` transport error soon after the read timeout, not hang the client.
//!
//! Run on the first-party transports and on sdm-core's `custom_transport` example (HTTP/1.0 over
//! `TcpStream`), whose socket read timeout is its only bound.
//!
//! The fake server stands still with a latency longer than the read timeout (before the head)
//! or a slow drip whose pause is longer than it (in the middle of a job's output).

use std::time::{Duration, Instant};

use sdm_conformance::{ConnectWith, Subject, Timeouts};
use sdm_core::{ClientConfig, Error, JobId, OutputFormatId, RetryPolicy, TransportErrorKind};
use sdm_mock::{Fault, FaultPlan, JobSpec, MockServer, Route};

mod first_party;

#[allow(dead_code)] // The example's `main`.
#[path = "../../crates/sdm-core/examples/custom_transport.rs"]
mod example;

/// The example's transport as the kit's `custom_transport` test makes it.
fn tcp(config: ClientConfig, timeouts: Timeouts) -> Box<dyn Subject> {
    let transport = example::TcpTransport::new(timeouts.connect, timeouts.read);
    sdm_conformance::blocking("tcp", config, transport)
}

const READ_TIMEOUT: Duration = Duration::from_secs(1);
/// How long the server stands still: three read timeouts.
const STALL: Duration = Duration::from_secs(3);

fn client(server: &MockServer, connect: ConnectWith) -> Box<dyn Subject> {
    let config = ClientConfig::new(server.base_url())
        .unwrap()
        .with_token(server.token())
        .with_rate_limit(None)
        .with_retry_policy(RetryPolicy::none());
    connect(
        config,
        Timeouts {
            connect: READ_TIMEOUT,
            read: READ_TIMEOUT,
            overall: None,
        },
    )
}

fn assert_timed_out(name: &str, error: Option<Error>, elapsed: Duration) {
    match &error {
        Some(Error::Transport(failure)) if failure.error.kind() == TransportErrorKind::Timeout => {
            // The first-party transports say which timeout ran out, and its value.
            if name == "ureq" || name == "reqwest" {
                let mut cause = std::error::Error::source(&failure.error);
                let mut named = None;
                while let Some(error) = cause {
                    named = named.or(error
                        .downcast_ref::<sdm_core::TimedOut>()
                        .map(|t| (t.setting, t.limit)));
                    cause = error.source();
                }
                assert_eq!(named, Some(("read", READ_TIMEOUT)), "{name}: {failure:?}");
            }
        }
        other => panic!("{name}: expected a timeout, got {other:?} after {elapsed:?}"),
    }
    assert!(
        elapsed < STALL,
        "{name}: the timeout came after {elapsed:?}, not soon after the read timeout of \
         {READ_TIMEOUT:?}"
    );
}

/// The response head comes later than the read timeout.
fn late_response(connect: ConnectWith) {
    let server = MockServer::start();
    server.set_faults(vec![
        FaultPlan::always(Fault::Latency(STALL)).on(Route::JobDetail),
    ]);
    let client = client(&server, connect);
    let id = JobId::parse(server.world().jobs()[0]["id"].as_str().unwrap()).unwrap();
    let started = Instant::now();
    let result = client.get_job(&id);
    assert_timed_out(client.name(), result.err(), started.elapsed());
}

/// The head and a first piece of the body come at once, then nothing for longer than the read
/// timeout.
fn stalled_body(connect: ConnectWith) {
    let server = MockServer::start();
    let id = server.add_job(JobSpec::new("done", Duration::ZERO).rows(200));
    server.set_faults(vec![
        FaultPlan::always(Fault::SlowDrip {
            chunk_bytes: 4096,
            pause: STALL,
        })
        .on(Route::JobData),
    ]);
    let client = client(&server, connect);
    let started = Instant::now();
    let (rows, error) = client.raw_rows(&JobId::parse(&id).unwrap(), OutputFormatId(1));
    assert!(
        rows.len() < 200,
        "{}: the whole output arrived",
        client.name()
    );
    assert_timed_out(client.name(), error, started.elapsed());
}

#[test]
fn reqwest_times_out_waiting_for_the_response() {
    late_response(first_party::reqwest);
}

#[test]
fn ureq_times_out_waiting_for_the_response() {
    late_response(first_party::ureq);
}

#[test]
fn reqwest_times_out_when_the_body_stalls() {
    stalled_body(first_party::reqwest);
}

#[test]
fn ureq_times_out_when_the_body_stalls() {
    stalled_body(first_party::ureq);
}

#[test]
fn tcp_times_out_waiting_for_the_response() {
    late_response(tcp);
}

#[test]
fn tcp_times_out_when_the_body_stalls() {
    stalled_body(tcp);
}
