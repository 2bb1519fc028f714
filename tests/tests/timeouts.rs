//! The first-party transports say which timeout ran out, and its value (a `TimedOut` in the
//! error's chain), where the conformance kit only asks that a timeout is reported in time and
//! as `Timeout` (its `a_response_that_does_not_start_times_out` and
//! `a_body_that_stops_arriving_times_out` scenarios, which every transport here passes).
//!
//! The same stalls as the kit's scenarios, with the kit's timeouts: a read timeout of 500 ms
//! and a connect timeout of another value, so the limit named says which timeout it is.

use std::time::Duration;

use sdm_conformance::scenarios::{STALL, STALL_TIMEOUTS};
use sdm_conformance::{ConnectWith, Subject};
use sdm_core::{ClientConfig, Error, JobId, OutputFormatId, RetryPolicy};
use sdm_mock::{Fault, FaultPlan, JobSpec, MockServer, Route, Status};

mod first_party;

fn client(server: &MockServer, connect: ConnectWith) -> Box<dyn Subject> {
    let config = ClientConfig::new(server.base_url())
        .unwrap()
        .with_token(server.token())
        .with_rate_limit(None)
        .with_retry_policy(RetryPolicy::none());
    connect(config, STALL_TIMEOUTS)
}

fn assert_names_the_read_timeout(name: &str, error: Option<Error>) {
    let named = error.as_ref().and_then(Error::timed_out).map(|t| t.limit);
    assert_eq!(
        named,
        Some(STALL_TIMEOUTS.read),
        "{name}: the read timeout is not named: {error:?}"
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
    assert_names_the_read_timeout(client.name(), client.get_job(&id).err());
}

/// The head and a first piece of the body come at once, then nothing for longer than the read
/// timeout.
fn stalled_body(connect: ConnectWith) {
    let server = MockServer::start();
    let id = server.add_job(JobSpec::new(Status::Done, Duration::ZERO).rows(200));
    server.set_faults(vec![
        FaultPlan::always(Fault::SlowDrip {
            chunk_bytes: 4096,
            pause: STALL,
        })
        .on(Route::JobData),
    ]);
    let client = client(&server, connect);
    let (_, error) = client.raw_rows(&JobId::parse(&id).unwrap(), OutputFormatId(1));
    assert_names_the_read_timeout(client.name(), error);
}

#[test]
fn reqwest_names_the_read_timeout_when_the_response_is_late() {
    late_response(first_party::reqwest);
}

#[test]
fn ureq_names_the_read_timeout_when_the_response_is_late() {
    late_response(first_party::ureq);
}

#[test]
fn reqwest_names_the_read_timeout_when_the_body_stalls() {
    stalled_body(first_party::reqwest);
}

#[test]
fn ureq_names_the_read_timeout_when_the_body_stalls() {
    stalled_body(first_party::ureq);
}
