//! The first-party transports say which timeout ran out, and its value (a `TimedOut` in the
//! error's chain), where the conformance kit only asks that a timeout is reported in time and
//! as `Timeout` (its `a_response_that_does_not_start_times_out` and
//! `a_body_that_stops_arriving_times_out` scenarios, which every transport here passes).
//!
//! The same stalls as the kit's scenarios, with the kit's timeouts: a read timeout of 500 ms
//! and a connect timeout of another value, so the limit named says which timeout it is.
//!
//! And each transport turns a request's `Deadline` into an overall bound on that request: a
//! server that never answers, and one that drips its body a byte a second, are cut at the
//! deadline though every read timeout is far off (the transports are driven directly, with no
//! client to check the clock between chunks).

use std::time::{Duration, Instant};

use sdm_conformance::scenarios::{STALL, STALL_TIMEOUTS};
use sdm_conformance::{ConnectWith, Subject};
use sdm_core::{ClientConfig, Error, JobId, OutputFormatId, RetryPolicy, TransportErrorKind};
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

/// How long the deadline tests give a request.
const DEADLINE: Duration = Duration::from_secs(1);
/// How soon after the deadline it must have ended (a busy machine included).
const DEADLINE_BOUND: Duration = Duration::from_millis(2500);

/// A server that never answers a job's request (within the test), or drips its body a byte a
/// second; and the request for that job, with a deadline of [`DEADLINE`] from now.
fn stalling(
    fault: Fault,
) -> (
    MockServer,
    sdm_core::http::Request<sdm_core::transport::RequestBody>,
) {
    let server = MockServer::start();
    server.set_faults(vec![FaultPlan::always(fault).on(Route::JobDetail)]);
    let config = ClientConfig::new(server.base_url())
        .unwrap()
        .with_token(server.token());
    let id = JobId::parse(server.world().jobs()[0]["id"].as_str().unwrap()).unwrap();
    let mut request =
        sdm_core::ops::Operation::request(&sdm_core::ops::GetJob::new(id), &config).unwrap();
    request
        .extensions_mut()
        .insert(sdm_core::transport::Deadline::at(Instant::now() + DEADLINE));
    (server, request)
}

fn never_answers() -> Fault {
    Fault::Latency(Duration::from_secs(30))
}

fn drips() -> Fault {
    Fault::SlowDrip {
        chunk_bytes: 1,
        pause: Duration::from_secs(1),
    }
}

/// The request, sent and read to the end by ureq: a `Timeout` soon after the deadline.
fn ureq_is_cut(fault: Fault) {
    use sdm_core::transport::Transport;
    use std::io::Read;
    let (_server, request) = stalling(fault);
    let transport = sdm_ureq::UreqTransport::new();
    let started = Instant::now();
    let result = transport
        .send(request)
        .map_err(|e| e.kind())
        .and_then(|response| {
            let mut body = response.into_body();
            let mut byte = [0; 1];
            // Read until the body ends, fails, or has clearly outlived the deadline.
            loop {
                match body.read(&mut byte) {
                    Ok(0) => return Ok(()),
                    Ok(_) if started.elapsed() > DEADLINE_BOUND * 2 => return Ok(()),
                    Ok(_) => {}
                    Err(e) => return Err(sdm_core::TransportError::from(e).kind()),
                }
            }
        });
    let elapsed = started.elapsed();
    assert_eq!(
        result,
        Err(TransportErrorKind::Timeout),
        "after {elapsed:?}"
    );
    assert!(elapsed < DEADLINE_BOUND, "cut after {elapsed:?}");
}

/// The same with reqwest.
fn reqwest_is_cut(fault: Fault) {
    use sdm_core::transport::AsyncTransport;
    let (_server, request) = stalling(fault);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let transport = sdm_reqwest::ReqwestTransport::new();
    let started = Instant::now();
    let result = runtime.block_on(async {
        let mut body = transport
            .send(request)
            .await
            .map_err(|e| e.kind())?
            .into_body();
        loop {
            match body.next_chunk().await {
                Ok(None) => return Ok(()),
                Ok(Some(_)) if started.elapsed() > DEADLINE_BOUND * 2 => return Ok(()),
                Ok(Some(_)) => {}
                Err(e) => return Err(e.kind()),
            }
        }
    });
    let elapsed = started.elapsed();
    assert_eq!(
        result,
        Err(TransportErrorKind::Timeout),
        "after {elapsed:?}"
    );
    assert!(elapsed < DEADLINE_BOUND, "cut after {elapsed:?}");
}

#[test]
fn ureq_cuts_a_server_that_never_answers_at_the_deadline() {
    ureq_is_cut(never_answers());
}

#[test]
fn ureq_cuts_a_drip_at_the_deadline() {
    ureq_is_cut(drips());
}

#[test]
fn reqwest_cuts_a_server_that_never_answers_at_the_deadline() {
    reqwest_is_cut(never_answers());
}

#[test]
fn reqwest_cuts_a_drip_at_the_deadline() {
    reqwest_is_cut(drips());
}
