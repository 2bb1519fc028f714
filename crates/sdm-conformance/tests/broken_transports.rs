//! The kit catches what it is for: each check fails on a transport broken on purpose in just
//! that way, and passes on the same transport unbroken.
//!
//! The transport is the HTTP/1.0 one over `TcpStream` of sdm-core's `custom_transport` example
//! (that very file), which passes the whole kit (the workspace's `tests/` runs it, and
//! `sdm-ureq` and `sdm-reqwest`, on every scenario and the fault matrix). Broken, it:
//!
//! - ignores the timeouts the kit hands it (an hour each, as a transport whose defaults win);
//! - reports a TLS failure as a broken connection (`Io`), which the client retries;
//! - ends a body where a read fails, as if the body were complete;
//! - reads a whole request body into memory before sending it;
//! - reads a whole response body into memory before returning it.

#[allow(dead_code)] // The example's `main`.
#[path = "../../sdm-core/examples/custom_transport.rs"]
mod example;

use std::io::{self, Read};
use std::time::Duration;

use example::TcpTransport;
use sdm_conformance::{Subject, Timeouts, run_scenario};
use sdm_core::ClientConfig;
use sdm_core::http::{Request, Response};
use sdm_core::transport::{BlockingBody, RequestBody, Transport};
use sdm_core::{TransportError, TransportErrorKind};

/// The example as the kit expects it: built with the kit's timeouts.
fn unbroken(config: ClientConfig, timeouts: Timeouts) -> Box<dyn Subject> {
    let transport = TcpTransport::new(timeouts.connect, timeouts.read);
    sdm_conformance::blocking("tcp", config, transport)
}

/// Ignores the kit's timeouts: an hour to connect, an hour for each wait for the server.
fn no_timeouts(config: ClientConfig, _: Timeouts) -> Box<dyn Subject> {
    let hour = Duration::from_secs(3600);
    sdm_conformance::blocking("tcp-no-timeouts", config, TcpTransport::new(hour, hour))
}

/// Reports its TLS failures (the example's: it has no TLS) as `Io`.
struct TlsAsIo(TcpTransport);

impl Transport for TlsAsIo {
    fn send(
        &self,
        request: Request<RequestBody>,
    ) -> Result<Response<BlockingBody>, TransportError> {
        self.0.send(request).map_err(|error| match error.kind() {
            TransportErrorKind::Tls => TransportError::new(TransportErrorKind::Io, error),
            _ => error,
        })
    }
}

fn tls_as_io(config: ClientConfig, timeouts: Timeouts) -> Box<dyn Subject> {
    let transport = TlsAsIo(TcpTransport::new(timeouts.connect, timeouts.read));
    sdm_conformance::blocking("tcp-tls-as-io", config, transport)
}

/// Ends a body at its first failed read, as if the body were complete (the example reports a
/// connection lost before the body's framing says it is complete as an `UnexpectedEof`).
struct HidesShortBodies(TcpTransport);

struct EndsOnError(BlockingBody);

impl Read for EndsOnError {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.0.read(buf).unwrap_or(0))
    }
}

impl Transport for HidesShortBodies {
    fn send(
        &self,
        request: Request<RequestBody>,
    ) -> Result<Response<BlockingBody>, TransportError> {
        let response = self.0.send(request)?;
        Ok(response.map(|body| BlockingBody::new(EndsOnError(body))))
    }
}

fn hides_short_bodies(config: ClientConfig, timeouts: Timeouts) -> Box<dyn Subject> {
    let transport = HidesShortBodies(TcpTransport::new(timeouts.connect, timeouts.read));
    sdm_conformance::blocking("tcp-hides-short-bodies", config, transport)
}

/// Reads every request body into memory before sending (as a transport that wants the body as
/// one slice does).
struct BuffersRequests(TcpTransport);

impl Transport for BuffersRequests {
    fn send(
        &self,
        request: Request<RequestBody>,
    ) -> Result<Response<BlockingBody>, TransportError> {
        let (head, body) = request.into_parts();
        let bytes = body
            .to_vec()
            .map_err(|error| TransportError::new(TransportErrorKind::Io, error))?;
        self.0
            .send(Request::from_parts(head, RequestBody::from_bytes(bytes)))
    }
}

fn buffers_requests(config: ClientConfig, timeouts: Timeouts) -> Box<dyn Subject> {
    let transport = BuffersRequests(TcpTransport::new(timeouts.connect, timeouts.read));
    sdm_conformance::blocking("tcp-buffers-requests", config, transport)
}

/// Reads every response body into memory before returning the response.
struct BuffersResponses(TcpTransport);

impl Transport for BuffersResponses {
    fn send(
        &self,
        request: Request<RequestBody>,
    ) -> Result<Response<BlockingBody>, TransportError> {
        let (head, mut body) = self.0.send(request)?.into_parts();
        let mut bytes = Vec::new();
        body.read_to_end(&mut bytes)
            .map_err(|error| TransportError::new(TransportErrorKind::Io, error))?;
        Ok(Response::from_parts(
            head,
            BlockingBody::new(io::Cursor::new(bytes)),
        ))
    }
}

fn buffers_responses(config: ClientConfig, timeouts: Timeouts) -> Box<dyn Subject> {
    let transport = BuffersResponses(TcpTransport::new(timeouts.connect, timeouts.read));
    sdm_conformance::blocking("tcp-buffers-responses", config, transport)
}

/// `scenario` passes on the unbroken transport, and fails on `broken` saying `why`.
#[track_caller]
fn caught(scenario: &str, broken: sdm_conformance::ConnectWith, why: &str) {
    assert_eq!(
        run_scenario(scenario, unbroken),
        Ok(()),
        "the unbroken transport"
    );
    let failure = run_scenario(scenario, broken).expect_err("the broken transport fails");
    assert!(failure.starts_with(scenario), "{failure}");
    assert!(
        failure.contains(why),
        "{scenario} failed otherwise: {failure}"
    );
}

#[test]
fn a_transport_that_ignores_its_timeouts_misses_a_response_that_does_not_start() {
    caught(
        "a_response_that_does_not_start_times_out",
        no_timeouts,
        "read timeout of 500ms",
    );
}

#[test]
fn a_transport_that_ignores_its_timeouts_misses_a_body_that_stops_arriving() {
    caught(
        "a_body_that_stops_arriving_times_out",
        no_timeouts,
        "read timeout of 500ms",
    );
}

#[test]
fn a_transport_that_reports_tls_failures_as_io_is_retried_and_caught() {
    caught(
        "a_tls_failure_is_a_tls_error_never_retried",
        tls_as_io,
        "got kind Io after 4 attempt(s)",
    );
}

#[test]
fn a_transport_that_hides_a_body_cut_short_is_caught() {
    caught(
        "a_body_cut_short_is_an_io_error",
        hides_short_bodies,
        "expected a transport error of kind Io",
    );
}

#[test]
fn a_transport_that_holds_request_bodies_in_memory_is_caught() {
    caught(
        "a_large_upload_streams_its_body",
        buffers_requests,
        "it holds the body instead of streaming it",
    );
}

#[test]
fn a_transport_that_holds_response_bodies_in_memory_is_caught() {
    caught(
        "a_large_download_streams_its_body",
        buffers_responses,
        "the transport holds the body instead of streaming it",
    );
}
