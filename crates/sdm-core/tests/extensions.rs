//! The extension points of `ClientConfig` (default headers, the attempt hook, the retry
//! classifier), per-call overrides with `with_config`, and what clients derived from one share.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{BASE, JOB_ID, PASSWORD, block_on, config, job_id, ok, response};
use sdm_core::http::{HeaderMap, HeaderName, HeaderValue, Request, Response};
use sdm_core::transport::{BlockingBody, RequestBody, Transport, TransportError, transport_fn};
use sdm_core::{
    AsyncClient, Attempt, AttemptHook, AttemptOutcome, BlockingClient, ClientConfig, Error,
    Password, RateLimit, RetryPolicy,
};

fn job() -> Response<Vec<u8>> {
    ok(format!(r#"{{"id": "{JOB_ID}", "status": "done"}}"#))
}

/// The requests a fake transport was sent.
type Sent = Arc<Mutex<Vec<Request<Vec<u8>>>>>;

/// A fake answering with `replies` in order and keeping every request it was sent.
fn replaying(
    replies: Vec<Response<Vec<u8>>>,
) -> (
    Sent,
    impl Transport + sdm_core::transport::AsyncTransport + 'static,
) {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let replies = Mutex::new(
        replies
            .into_iter()
            .collect::<std::collections::VecDeque<_>>(),
    );
    let log = Arc::clone(&sent);
    let transport = transport_fn(move |request: Request<Vec<u8>>| {
        log.lock().unwrap().push(request);
        Ok(replies
            .lock()
            .unwrap()
            .pop_front()
            .expect("a reply for every request"))
    });
    (sent, transport)
}

fn unthrottled(config: ClientConfig) -> ClientConfig {
    config.with_rate_limit(None)
}

#[test]
fn default_headers_go_with_every_request_and_the_clients_own_win() {
    let (sent, transport) = replaying(vec![job(), job()]);
    let config = unthrottled(config())
        .with_default_header(
            HeaderName::from_static("x-tenant"),
            HeaderValue::from_static("acme"),
        )
        .with_default_header(
            HeaderName::from_static("user-agent"),
            HeaderValue::from_static("spoofed"),
        )
        .with_default_header(
            HeaderName::from_static("authorization"),
            HeaderValue::from_static("Token stolen"),
        );
    let client = BlockingClient::with_transport(config, transport);
    client.get_job(&job_id()).unwrap();
    client
        .with_token("another".into())
        .get_job(&job_id())
        .unwrap();
    for request in sent.lock().unwrap().iter() {
        let headers = request.headers();
        assert_eq!(headers["x-tenant"], "acme");
        assert_eq!(headers.get_all("user-agent").iter().count(), 1);
        assert_ne!(headers["user-agent"], "spoofed");
        assert_eq!(headers.get_all("authorization").iter().count(), 1);
        assert_ne!(headers["authorization"], "Token stolen");
    }
}

/// Records what it is told, and stamps each attempt with a request id.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl AttemptHook for Recorder {
    fn before(&self, attempt: &Attempt<'_>, headers: &mut HeaderMap) {
        let mut log = self.0.lock().unwrap();
        headers.insert("x-request-id", HeaderValue::from(log.len()));
        log.push(format!(
            "before {} #{} {} {}",
            attempt.operation,
            attempt.number,
            attempt.method,
            attempt.uri.path()
        ));
    }

    fn after(&self, attempt: &Attempt<'_>, outcome: &AttemptOutcome<'_>) {
        let outcome = match outcome {
            AttemptOutcome::Response { status, .. } => status.as_u16().to_string(),
            AttemptOutcome::Failed { error, .. } => format!("failed: {error}"),
            other => format!("{other:?}"),
        };
        let line = format!("after {} #{} {outcome}", attempt.operation, attempt.number);
        self.0.lock().unwrap().push(line);
    }
}

#[test]
fn the_attempt_hook_sees_each_attempt_of_one_operation() {
    let (sent, transport) = replaying(vec![response(503, &[], "busy"), job()]);
    let recorder = Arc::new(Recorder::default());
    // A hook can be shared with the program that set it.
    struct Shared(Arc<Recorder>);
    impl AttemptHook for Shared {
        fn before(&self, attempt: &Attempt<'_>, headers: &mut HeaderMap) {
            self.0.before(attempt, headers)
        }
        fn after(&self, attempt: &Attempt<'_>, outcome: &AttemptOutcome<'_>) {
            self.0.after(attempt, outcome)
        }
    }
    let config = unthrottled(config()).with_attempt_hook(Shared(Arc::clone(&recorder)));
    // The async client over a closure sleeps no time between attempts.
    let client = AsyncClient::with_transport(config, transport);
    block_on(client.get_job(&job_id())).unwrap();
    let path = format!("/api/v1/jobs/{JOB_ID}/");
    assert_eq!(
        *recorder.0.lock().unwrap(),
        [
            format!("before get_job #1 GET {path}"),
            "after get_job #1 503".to_owned(),
            format!("before get_job #2 GET {path}"),
            "after get_job #2 200".to_owned(),
        ]
    );
    let ids: Vec<_> = sent
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.headers()["x-request-id"].clone())
        .collect();
    assert_eq!(ids, ["0", "2"], "the hook's header on each attempt");
}

#[test]
fn a_failed_attempt_reaches_the_hook_as_an_error() {
    let recorder = Arc::new(Recorder::default());
    struct Shared(Arc<Recorder>);
    impl AttemptHook for Shared {
        fn after(&self, attempt: &Attempt<'_>, outcome: &AttemptOutcome<'_>) {
            self.0.after(attempt, outcome)
        }
    }
    let refused = transport_fn(|_: Request<Vec<u8>>| -> Result<Response<Vec<u8>>, _> {
        Err(TransportError::from_kind(
            sdm_core::TransportErrorKind::Connect,
        ))
    });
    let config = unthrottled(config())
        .with_retry_policy(RetryPolicy::none())
        .with_attempt_hook(Shared(Arc::clone(&recorder)));
    let client = AsyncClient::with_transport(config, refused);
    block_on(client.get_job(&job_id())).unwrap_err();
    let log = recorder.0.lock().unwrap();
    assert_eq!(log.len(), 1);
    assert!(
        log[0].starts_with("after get_job #1 failed: get job"),
        "{log:?}"
    );
}

fn attempts_with(
    classifier: impl Fn(&Error, bool) -> bool + Send + Sync + 'static,
    policy: RetryPolicy,
    replies: Vec<Response<Vec<u8>>>,
) -> (Result<sdm_core::Job, Error>, usize) {
    let (sent, transport) = replaying(replies);
    let config = unthrottled(config())
        .with_retry_policy(policy)
        .with_retry_classifier(classifier);
    let client = AsyncClient::with_transport(config, transport);
    let result = block_on(client.get_job(&job_id()));
    let count = sent.lock().unwrap().len();
    (result, count)
}

#[test]
fn a_classifier_can_make_retries_looser_or_stricter_within_the_attempt_bound() {
    let is_500 = |e: &Error| e.status().is_some_and(|s| s.as_u16() == 500);
    // Looser: a 500 is retried.
    let (result, sent) = attempts_with(
        move |e, default| default || is_500(e),
        RetryPolicy::default(),
        vec![response(500, &[], "oops"), job()],
    );
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(sent, 2);
    // Stricter: a 503 is not.
    let (result, sent) = attempts_with(
        |_, _| false,
        RetryPolicy::default(),
        vec![response(503, &[], "busy")],
    );
    assert_eq!(result.unwrap_err().status().unwrap().as_u16(), 503);
    assert_eq!(sent, 1);
    // Always "retry": the policy's bound still holds.
    let mut three = RetryPolicy::default();
    three.max_attempts = 3;
    let (result, sent) = attempts_with(
        |_, _| true,
        three,
        (0..3).map(|_| response(500, &[], "oops")).collect(),
    );
    assert!(result.is_err());
    assert_eq!(sent, 3);
}

#[test]
fn a_classifier_never_resends_a_create() {
    let (sent, transport) = replaying(vec![response(503, &[], "busy")]);
    let config =
        unthrottled(ClientConfig::new(BASE).unwrap()).with_retry_classifier(|_: &Error, _| true);
    let client = AsyncClient::with_transport(config, transport);
    let error =
        block_on(client.login("ana@example.com", &Password::new(PASSWORD), "t")).unwrap_err();
    assert_eq!(error.status().unwrap().as_u16(), 503);
    assert_eq!(sent.lock().unwrap().len(), 1);
}

#[test]
fn refused_credentials_are_an_authentication_error() {
    let body = r#"{"non_field_errors": ["Unable to log in with provided credentials."]}"#;
    let (_, transport) = replaying(vec![response(400, &[], body)]);
    let client =
        BlockingClient::with_transport(unthrottled(ClientConfig::new(BASE).unwrap()), transport);
    let error = client
        .login("ana@example.com", &Password::new(PASSWORD), "t")
        .unwrap_err();
    assert!(matches!(error, Error::Authentication(_)), "{error:?}");
}

/// Answers every request with a job, and records the pauses the client asks for.
#[derive(Default)]
struct Pauses(Mutex<Vec<Duration>>);

impl Transport for Pauses {
    fn send(&self, _: Request<RequestBody>) -> Result<Response<BlockingBody>, TransportError> {
        Ok(job().map(BlockingBody::from_bytes))
    }

    fn sleep(&self, duration: Duration) {
        self.0.lock().unwrap().push(duration);
    }
}

#[test]
fn derived_clients_share_the_rate_limiter() {
    let pauses = Arc::new(Pauses::default());
    let config = config().with_rate_limit(Some(RateLimit::per_second(1).with_burst(1)));
    let client = BlockingClient::with_transport(config, Arc::clone(&pauses));
    client.get_job(&job_id()).unwrap();
    // Another token, another per-call setting: the same pace.
    client
        .with_token("other".into())
        .get_job(&job_id())
        .unwrap();
    client
        .with_config(|c| c.with_max_row_bytes(1024))
        .get_job(&job_id())
        .unwrap();
    let pauses = pauses.0.lock().unwrap();
    assert_eq!(
        pauses.len(),
        2,
        "the second and third requests waited: {pauses:?}"
    );
    assert!(
        pauses.iter().all(|p| *p > Duration::from_millis(500)),
        "{pauses:?}"
    );
}

#[test]
fn box_and_arc_of_dyn_transports_are_transports() {
    let (_, transport) = replaying(vec![job(), job()]);
    let boxed: Box<dyn Transport> = Box::new(transport);
    let client = BlockingClient::with_transport(unthrottled(config()), boxed);
    client.get_job(&job_id()).unwrap();
    let (_, transport) = replaying(vec![job()]);
    let shared: Arc<dyn sdm_core::transport::AsyncTransport> = Arc::new(transport);
    let client = AsyncClient::with_transport(unthrottled(config()), shared);
    block_on(client.get_job(&job_id())).unwrap();
}
