//! A deadline bounds a whole call: retries never sleep past it (a `Retry-After` longer than the
//! time left ends the call at once, saying so), each attempt tells the transport the time left
//! (the request's `Deadline`), and a body still arriving when it comes is cut. Documents read
//! whole are bound per attempt by the document timeout even without a deadline.
//!
//! Scripted transports, no server, no sleeping: sleeps are recorded, not slept.

mod common;

use std::collections::VecDeque;
use std::error::Error as StdError;
use std::io::{self, Read};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use common::{block_on, job_id, ok, response};
use sdm_core::http::{Request, Response};
use sdm_core::transport::{
    AsyncBody, AsyncTransport, BlockingBody, Deadline, RequestBody, Transport,
};
use sdm_core::{
    AsyncClient, BlockingClient, ClientConfig, Error, OutputFormatId, RateLimit, RetryPolicy,
    TimeoutKind, TransportErrorKind,
};

const JOB: &str = r#"{"id": "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b", "status": "running"}"#;

/// What a scripted transport answers.
enum Reply {
    /// A whole response.
    Whole(Response<Vec<u8>>),
    /// A `200` whose body never ends: one space per read, as fast as it is read.
    EndlessDrip,
}

/// Answers each request with the next reply; records the deadline each request carried and
/// each sleep asked for (without sleeping).
#[derive(Default)]
struct Scripted {
    replies: Mutex<VecDeque<Reply>>,
    deadlines: Mutex<Vec<Option<Deadline>>>,
    sleeps: Mutex<Vec<Duration>>,
}

impl Scripted {
    fn new(replies: impl IntoIterator<Item = Reply>) -> Arc<Self> {
        Arc::new(Self {
            replies: Mutex::new(replies.into_iter().collect()),
            ..Self::default()
        })
    }

    fn next(&self, request: &Request<RequestBody>) -> Reply {
        self.deadlines.lock().unwrap().push(Deadline::of(request));
        self.replies
            .lock()
            .unwrap()
            .pop_front()
            .expect("the test scripted a reply for every request")
    }

    fn deadlines(&self) -> Vec<Option<Deadline>> {
        self.deadlines.lock().unwrap().clone()
    }

    fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().unwrap().clone()
    }
}

struct Drip;

impl Read for Drip {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match buf.first_mut() {
            Some(byte) => {
                *byte = b' ';
                Ok(1)
            }
            None => Ok(0),
        }
    }
}

#[async_trait]
impl sdm_core::transport::AsyncBodyRead for Drip {
    async fn next_chunk(&mut self) -> Result<Option<bytes::Bytes>, sdm_core::TransportError> {
        Ok(Some(bytes::Bytes::from_static(b" ")))
    }
}

impl Transport for Scripted {
    fn send(
        &self,
        request: Request<RequestBody>,
    ) -> Result<Response<BlockingBody>, sdm_core::TransportError> {
        Ok(match self.next(&request) {
            Reply::Whole(response) => response.map(BlockingBody::from_bytes),
            Reply::EndlessDrip => Response::new(BlockingBody::new(Drip)),
        })
    }

    fn sleep(&self, duration: Duration) {
        self.sleeps.lock().unwrap().push(duration);
    }
}

#[async_trait]
impl AsyncTransport for Scripted {
    async fn send(
        &self,
        request: Request<RequestBody>,
    ) -> Result<Response<AsyncBody>, sdm_core::TransportError> {
        Ok(match self.next(&request) {
            Reply::Whole(response) => response.map(AsyncBody::from_bytes),
            Reply::EndlessDrip => Response::new(AsyncBody::new(Drip)),
        })
    }

    async fn sleep(&self, duration: Duration) {
        self.sleeps.lock().unwrap().push(duration);
    }
}

/// The production configuration with retries (4 attempts) but no pacing.
fn config() -> ClientConfig {
    common::config().with_rate_limit(None)
}

fn throttled(retry_after: &str) -> Reply {
    Reply::Whole(response(
        429,
        &[("retry-after", retry_after)],
        r#"{"detail": "Request was throttled."}"#,
    ))
}

fn unavailable() -> Reply {
    Reply::Whole(response(503, &[], ""))
}

fn job() -> Reply {
    Reply::Whole(ok(JOB))
}

/// The error, its causes, one per line.
fn chain(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = StdError::source(error);
    while let Some(cause) = source {
        text.push_str("\n  caused by: ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn assert_deadline_error(error: &Error) {
    let timed_out = error.timed_out().unwrap_or_else(|| panic!("{error:?}"));
    assert_eq!(timed_out.timeout, TimeoutKind::Deadline, "{}", chain(error));
    assert!(
        !RetryPolicy::is_unsent(error),
        "a deadline error is not a connect failure"
    );
}

#[test]
fn a_retry_after_longer_than_the_time_left_ends_the_call_at_once() {
    let deadline = Instant::now() + Duration::from_secs(5);
    let fake = Scripted::new([throttled("30")]);
    let client =
        BlockingClient::with_transport(config().with_deadline(Some(deadline)), Arc::clone(&fake));
    let started = Instant::now();
    let error = client.get_job(&job_id()).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(fake.sleeps(), [], "never sleeps past the deadline");
    assert_eq!(fake.deadlines().len(), 1, "sent once");
    assert_deadline_error(&error);
    let text = chain(&error);
    assert!(
        text.contains("the retry, in 30s (as the server asked), would start after the deadline"),
        "{text}"
    );
    assert!(text.contains("rate limited (HTTP 429"), "{text}");

    // The async client, the same.
    let fake = Scripted::new([throttled("30")]);
    let client =
        AsyncClient::with_transport(config().with_deadline(Some(deadline)), Arc::clone(&fake));
    let error = block_on(client.get_job(&job_id())).unwrap_err();
    assert_eq!(fake.sleeps(), []);
    assert_deadline_error(&error);
    assert!(chain(&error).contains("would start after the deadline"));
}

#[test]
fn retries_that_fit_before_the_deadline_are_made() {
    let deadline = Instant::now() + Duration::from_secs(5);
    let fake = Scripted::new([throttled("2"), unavailable(), job()]);
    let client =
        BlockingClient::with_transport(config().with_deadline(Some(deadline)), Arc::clone(&fake));
    client.get_job(&job_id()).unwrap();
    let sleeps = fake.sleeps();
    assert_eq!(sleeps.len(), 2);
    assert_eq!(sleeps[0], Duration::from_secs(2));
    assert!(sleeps[1] < Duration::from_secs(1), "{sleeps:?}");
}

#[test]
fn each_attempt_carries_the_time_left() {
    // With a deadline sooner than the document timeout, each attempt carries the deadline.
    let deadline = Instant::now() + Duration::from_secs(5);
    let fake = Scripted::new([unavailable(), unavailable(), job()]);
    let client =
        BlockingClient::with_transport(config().with_deadline(Some(deadline)), Arc::clone(&fake));
    client.get_job(&job_id()).unwrap();
    assert_eq!(fake.deadlines(), [Some(Deadline::at(deadline)); 3]);

    let fake = Scripted::new([unavailable(), job()]);
    let client =
        AsyncClient::with_transport(config().with_deadline(Some(deadline)), Arc::clone(&fake));
    block_on(client.get_job(&job_id())).unwrap();
    assert_eq!(fake.deadlines(), [Some(Deadline::at(deadline)); 2]);

    // Without one, a document read is bound by the document timeout (60 s), per attempt.
    let fake = Scripted::new([unavailable(), job()]);
    let client = BlockingClient::with_transport(config(), Arc::clone(&fake));
    let before = Instant::now();
    client.get_job(&job_id()).unwrap();
    let after = Instant::now();
    for carried in fake.deadlines() {
        let at = carried.expect("a document read is bound").instant();
        assert!(at >= before + Duration::from_secs(60) && at <= after + Duration::from_secs(60));
    }

    // A shorter document timeout wins over a later deadline.
    let fake = Scripted::new([job()]);
    let client = BlockingClient::with_transport(
        config()
            .with_deadline(Some(deadline))
            .with_document_timeout(Some(Duration::from_secs(1))),
        Arc::clone(&fake),
    );
    client.get_job(&job_id()).unwrap();
    let at = fake.deadlines()[0].unwrap().instant();
    assert!(at < deadline - Duration::from_secs(3));

    // Streams (rows, downloads) are not documents: only a deadline bounds them.
    let fake = Scripted::new([Reply::Whole(ok("[]")), Reply::Whole(ok("[]"))]);
    let client = BlockingClient::with_transport(config(), Arc::clone(&fake));
    client.job_data(&job_id(), OutputFormatId(1)).unwrap();
    let client = client.with_config(|config| config.with_deadline(Some(deadline)));
    client.job_data(&job_id(), OutputFormatId(1)).unwrap();
    assert_eq!(fake.deadlines(), [None, Some(Deadline::at(deadline))]);
}

#[test]
fn a_call_whose_deadline_has_passed_sends_nothing() {
    let fake = Scripted::new([]);
    let client = BlockingClient::with_transport(
        config().with_deadline(Some(Instant::now())),
        Arc::clone(&fake),
    );
    let error = client.get_job(&job_id()).unwrap_err();
    assert_deadline_error(&error);
    assert!(
        chain(&error).contains("no time was left"),
        "{}",
        chain(&error)
    );
    assert_eq!(fake.deadlines(), []);
}

#[test]
fn a_rate_limit_slot_after_the_deadline_ends_the_call_at_once() {
    // One request a second: the first call takes the only slot; the second call's slot is a
    // second away, past its deadline half a second away.
    let paced = || {
        config()
            .with_rate_limit(Some(RateLimit::per_second(1).with_burst(1)))
            .with_deadline(Some(Instant::now() + Duration::from_millis(500)))
    };
    let fake = Scripted::new([job()]);
    let client = BlockingClient::with_transport(paced(), Arc::clone(&fake));
    client.get_job(&job_id()).unwrap();
    let started = Instant::now();
    let error = client.get_job(&job_id()).unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(200));
    assert_eq!(fake.sleeps(), [], "the slot is not waited for");
    assert_eq!(fake.deadlines().len(), 1, "the second call sent nothing");
    assert_deadline_error(&error);
    let text = chain(&error);
    assert!(
        text.contains("the rate limit's next slot, in ") && text.contains("after the deadline"),
        "{text}"
    );
    let Error::Transport(failure) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(failure.attempts, 0, "{text}");

    // The async client, the same.
    let fake = Scripted::new([job()]);
    let client = AsyncClient::with_transport(paced(), Arc::clone(&fake));
    block_on(client.get_job(&job_id())).unwrap();
    let error = block_on(client.get_job(&job_id())).unwrap_err();
    assert_eq!(fake.sleeps(), []);
    assert_eq!(fake.deadlines().len(), 1);
    assert_deadline_error(&error);

    // A slot that comes before the deadline is waited for, then the request goes, bound by
    // the deadline.
    let deadline = Instant::now() + Duration::from_secs(5);
    let fake = Scripted::new([job(), job()]);
    let client = BlockingClient::with_transport(
        config()
            .with_rate_limit(Some(RateLimit::per_second(1).with_burst(1)))
            .with_deadline(Some(deadline)),
        Arc::clone(&fake),
    );
    client.get_job(&job_id()).unwrap();
    client.get_job(&job_id()).unwrap();
    let sleeps = fake.sleeps();
    assert_eq!(sleeps.len(), 1, "{sleeps:?}");
    assert!(sleeps[0] > Duration::from_millis(800), "{sleeps:?}");
    assert_eq!(fake.deadlines(), [Some(Deadline::at(deadline)); 2]);
}

#[test]
fn a_body_still_arriving_at_the_deadline_is_cut() {
    // The body never ends: only the deadline can end the read (the 16 MiB limit is far off).
    let deadline = Instant::now() + Duration::from_millis(20);
    let fake = Scripted::new([Reply::EndlessDrip]);
    let client =
        BlockingClient::with_transport(config().with_deadline(Some(deadline)), Arc::clone(&fake));
    let error = client.get_job(&job_id()).unwrap_err();
    assert_deadline_error(&error);
    assert_eq!(fake.sleeps(), [], "not retried past the deadline");

    let deadline = Instant::now() + Duration::from_millis(20);
    let fake = Scripted::new([Reply::EndlessDrip]);
    let client =
        AsyncClient::with_transport(config().with_deadline(Some(deadline)), Arc::clone(&fake));
    let error = block_on(client.get_job(&job_id())).unwrap_err();
    assert_deadline_error(&error);
}

#[test]
fn rows_still_arriving_at_the_deadline_say_the_deadline_cut_them() {
    // A stream is bound by the call's deadline alone: its error names the deadline, as a
    // document's does (what tells `--timeout` apart from a slow server).
    let deadline = Instant::now() + Duration::from_millis(20);
    let fake = Scripted::new([Reply::EndlessDrip]);
    let client =
        BlockingClient::with_transport(config().with_deadline(Some(deadline)), Arc::clone(&fake));
    let error = client.job_data(&job_id(), OutputFormatId(1)).unwrap_err();
    assert_deadline_error(&error);
    assert!(
        chain(&error).contains("still arriving"),
        "{}",
        chain(&error)
    );

    let deadline = Instant::now() + Duration::from_millis(20);
    let fake = Scripted::new([Reply::EndlessDrip]);
    let client =
        AsyncClient::with_transport(config().with_deadline(Some(deadline)), Arc::clone(&fake));
    let error = block_on(client.job_data(&job_id(), OutputFormatId(1))).unwrap_err();
    assert_deadline_error(&error);
}

#[test]
fn the_document_timeout_bounds_each_attempt_and_is_retried() {
    let fake = Scripted::new([Reply::EndlessDrip, Reply::EndlessDrip]);
    let mut retries = RetryPolicy::default();
    retries.max_attempts = 2;
    let client = BlockingClient::with_transport(
        config()
            .with_retry_policy(retries)
            .with_document_timeout(Some(Duration::from_millis(20))),
        Arc::clone(&fake),
    );
    let error = client.get_job(&job_id()).unwrap_err();
    let Error::Transport(failure) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(failure.error.kind(), TransportErrorKind::Timeout);
    assert_eq!(failure.attempts, 2);
    assert_eq!(
        error.timed_out().map(|t| t.timeout),
        Some(TimeoutKind::Overall)
    );
    assert_eq!(fake.sleeps().len(), 1);
}

#[test]
fn a_create_cut_by_the_deadline_is_unconfirmed_and_says_the_deadline_ended_it() {
    let deadline = Instant::now() + Duration::from_millis(20);
    let fake = Scripted::new([Reply::EndlessDrip]);
    let client =
        BlockingClient::with_transport(config().with_deadline(Some(deadline)), Arc::clone(&fake));
    let create = sdm_core::CreateJob::new(sdm_core::FileId(12), sdm_core::ProjectId(5), "Offers");
    let error = client.create_job(&create).unwrap_err();
    assert!(matches!(error, Error::Unconfirmed(_)), "{error:?}");
    assert_deadline_error(&error);

    // A throttled create, refused a retry past the deadline, was not acted on: not unconfirmed.
    let fake = Scripted::new([throttled("30")]);
    let client = BlockingClient::with_transport(
        config().with_deadline(Some(Instant::now() + Duration::from_secs(5))),
        Arc::clone(&fake),
    );
    let error = client.create_job(&create).unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert_deadline_error(&error);
}
