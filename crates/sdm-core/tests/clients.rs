//! The blocking and async clients over closure transports (no network): what they send, what
//! they return, and the size limits they read bodies under.

mod common;

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use common::{
    BASE, JOB_ID, PASSWORD, block_on, client_config, fixture, job_id, ok, render_request, response,
    unpaced,
};
use insta::assert_snapshot;
use sdm_core::http::header::AUTHORIZATION;
use sdm_core::http::{Request, Response};
use sdm_core::ops::{CreateToken, GetJob, GetJobData, ListJobs, Operation};
use sdm_core::transport::{
    AsyncBody, AsyncBodyRead, AsyncTransport, BlockingBody, RequestBody, Transport, transport_fn,
};
use sdm_core::{
    AsyncClient, BlockingClient, ClientConfig, Error, JobQuery, JobStatus, OutputFormatId,
    Password, Token, TransportError, TransportErrorKind,
};

/// A fake server: answers with canned responses, in order, and records every request.
#[derive(Default)]
struct Fake {
    sent: Mutex<Vec<Request<Vec<u8>>>>,
    replies: Mutex<VecDeque<Response<Vec<u8>>>>,
}

impl Fake {
    fn new(replies: impl IntoIterator<Item = Response<Vec<u8>>>) -> Arc<Self> {
        Arc::new(Self {
            sent: Mutex::default(),
            replies: Mutex::new(replies.into_iter().collect()),
        })
    }

    /// The fake as a closure transport, usable by both clients.
    fn transport(self: &Arc<Self>) -> impl Transport + AsyncTransport + Clone + 'static {
        let fake = Arc::clone(self);
        transport_fn(move |request| {
            fake.sent.lock().unwrap().push(request);
            Ok(fake
                .replies
                .lock()
                .unwrap()
                .pop_front()
                .expect("the test queued a reply for every request"))
        })
    }

    fn sent(&self) -> Vec<Request<Vec<u8>>> {
        std::mem::take(&mut *self.sent.lock().unwrap())
    }
}

const NEW_TOKEN: &str = "7c3b0e52-1d4a-4f6e-9b8c-2a1e3f5d7c90";

fn session_replies() -> Vec<Response<Vec<u8>>> {
    vec![
        ok(fixture("token.json")),
        ok(fixture("job_running.json")),
        ok(fixture("list_documented.json")),
        ok(fixture("data_rows.json")),
    ]
}

fn session_query() -> JobQuery {
    JobQuery::new()
        .status(JobStatus::Done)
        .page(2)
        .page_size(10)
}

/// Checks what a session sent: exactly what each operation builds, with the token from login.
fn check_session_requests(sent: &[Request<Vec<u8>>]) -> String {
    assert_eq!(sent.len(), 4);
    let with_new_token = ClientConfig::new(BASE).unwrap().with_token(NEW_TOKEN);
    let expected = [
        CreateToken::new("ana@example.com", Password::new(PASSWORD), "sdm-cli")
            .request(&with_new_token)
            .unwrap(),
        GetJob::new(job_id()).request(&with_new_token).unwrap(),
        ListJobs::new(session_query())
            .request(&with_new_token)
            .unwrap(),
        GetJobData::new(job_id(), OutputFormatId(42))
            .request(&with_new_token)
            .unwrap(),
    ];
    for (sent, expected) in sent.iter().zip(&expected) {
        assert_eq!(render_request(sent), render_request(expected));
        assert_eq!(sent.headers(), expected.headers());
        assert_eq!(sent.body(), &expected.body().to_vec().unwrap());
    }
    // Login sends the password and no token; what follows sends the token login returned.
    assert!(String::from_utf8_lossy(sent[0].body()).contains(PASSWORD));
    assert!(sent[0].headers().get(AUTHORIZATION).is_none());
    for request in &sent[1..] {
        assert_eq!(
            request.headers()[AUTHORIZATION],
            format!("Token {NEW_TOKEN}")
        );
    }
    sent.iter()
        .map(render_request)
        .collect::<Vec<_>>()
        .join("\n")
}

fn check_token(token: &Token) {
    assert_eq!(token.expose(), NEW_TOKEN);
}

fn check_job(job: &sdm_core::Job) {
    assert_eq!(job.id.as_str(), JOB_ID);
    assert_eq!(job.status, JobStatus::Running);
    assert_eq!(job.completion_date, None);
}

fn check_page(page: &sdm_core::Page<sdm_core::JobSummary>) {
    assert_eq!(page.count, 100);
    assert_eq!(page.results.len(), 1);
    assert_eq!(page.results[0].status, JobStatus::Done);
}

fn check_rows(rows: &[sdm_core::Row]) {
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[0].get("sku"), Some(&serde_json::json!("A-001")));
}

#[test]
fn blocking_client_session() {
    let fake = Fake::new(session_replies());
    let client =
        BlockingClient::with_transport(unpaced(ClientConfig::new(BASE).unwrap()), fake.transport());
    let password = Password::new(PASSWORD);

    let token = client
        .login("ana@example.com", &password, "sdm-cli")
        .unwrap();
    check_token(&token);
    let client = client.with_token(token);
    check_job(&client.get_job(&job_id()).unwrap());
    check_page(&client.list_jobs(&session_query()).unwrap());
    check_rows(&client.job_data(&job_id(), OutputFormatId(42)).unwrap());

    assert_snapshot!(check_session_requests(&fake.sent()));
}

#[test]
fn async_client_session_sends_the_same_requests() {
    let fake = Fake::new(session_replies());
    let client =
        AsyncClient::with_transport(unpaced(ClientConfig::new(BASE).unwrap()), fake.transport());
    let password = Password::new(PASSWORD);

    let token = block_on(client.login("ana@example.com", &password, "sdm-cli")).unwrap();
    check_token(&token);
    let client = client.with_token(token);
    check_job(&block_on(client.get_job(&job_id())).unwrap());
    check_page(&block_on(client.list_jobs(&session_query())).unwrap());
    check_rows(&block_on(client.job_data(&job_id(), OutputFormatId(42))).unwrap());

    // Same requests as the blocking client, byte for byte (its snapshot shows them).
    let blocking = Fake::new(session_replies());
    let blocking_client = BlockingClient::with_transport(
        unpaced(ClientConfig::new(BASE).unwrap()),
        blocking.transport(),
    );
    let token = blocking_client
        .login("ana@example.com", &password, "sdm-cli")
        .unwrap();
    let blocking_client = blocking_client.with_token(token);
    blocking_client.get_job(&job_id()).unwrap();
    blocking_client.list_jobs(&session_query()).unwrap();
    blocking_client
        .job_data(&job_id(), OutputFormatId(42))
        .unwrap();
    assert_eq!(
        check_session_requests(&fake.sent()),
        check_session_requests(&blocking.sent())
    );
}

#[test]
fn clients_return_the_typed_errors_of_the_operations() {
    let not_found = || {
        response(
            404,
            &[("content-type", "application/json")],
            fixture("error_404_not_found.json"),
        )
    };
    let fake = Fake::new([not_found(), not_found()]);
    let blocking = BlockingClient::with_transport(client_config(), fake.transport())
        .get_job(&job_id())
        .unwrap_err();
    let nonblocking =
        block_on(AsyncClient::with_transport(client_config(), fake.transport()).get_job(&job_id()))
            .unwrap_err();
    assert!(matches!(blocking, Error::NotFound(_)), "{blocking:?}");
    assert!(matches!(nonblocking, Error::NotFound(_)), "{nonblocking:?}");
    assert_eq!(blocking.to_string(), nonblocking.to_string());
}

#[test]
fn without_a_token_nothing_is_sent() {
    let fake = Fake::new([]);
    let error =
        BlockingClient::with_transport(unpaced(ClientConfig::new(BASE).unwrap()), fake.transport())
            .get_job(&job_id())
            .unwrap_err();
    assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
    assert!(fake.sent().is_empty());
}

// --- size limits --------------------------------------------------------------------------------

/// A job document of exactly `len` bytes (at least 61).
fn job_body(len: usize) -> Vec<u8> {
    let mut body = format!(r#"{{"id":"{JOB_ID}","status":"done""#);
    body.push_str(&" ".repeat(len - body.len() - 1));
    body.push('}');
    assert_eq!(body.len(), len);
    body.into_bytes()
}

#[test]
fn a_success_body_over_the_document_limit_is_too_large() {
    let small = client_config().with_max_document_bytes(64);
    let fake = Fake::new([
        ok(job_body(64)),
        ok(job_body(65)),
        ok(job_body(64)),
        ok(job_body(65)),
    ]);

    let blocking = BlockingClient::with_transport(small.clone(), fake.transport());
    assert!(blocking.get_job(&job_id()).is_ok(), "64 bytes fit");
    let error = blocking.get_job(&job_id()).unwrap_err();
    let Error::TooLarge(too_large) = &error else {
        panic!("expected TooLarge, got {error:?}");
    };
    assert_eq!(too_large.limit, 64);
    assert_eq!(error.status(), None);

    let nonblocking = AsyncClient::with_transport(small, fake.transport());
    assert!(
        block_on(nonblocking.get_job(&job_id())).is_ok(),
        "64 bytes fit"
    );
    let async_error = block_on(nonblocking.get_job(&job_id())).unwrap_err();
    assert!(matches!(async_error, Error::TooLarge(_)), "{async_error:?}");
    assert_eq!(async_error.to_string(), error.to_string());

    assert_snapshot!(error.to_string());
}

#[test]
fn an_error_body_over_64_kib_is_still_reported_by_status() {
    let mut page = String::from("<html><body><h1>503 Service Unavailable</h1>");
    page.push_str(&"<p>The service is busy.</p>\n".repeat(5000));
    page.push_str("</body></html>");
    assert!(page.len() > 64 * 1024);
    let mut detail = String::from(r#"{"detail": "Not found.", "trace": ""#);
    detail.push_str(&"x".repeat(100 * 1024));
    detail.push_str(r#""}"#);
    let replies = || {
        [
            response(503, &[("content-type", "text/html")], page.clone()),
            response(404, &[("content-type", "application/json")], detail.clone()),
        ]
    };
    // A small document limit does not apply to error bodies.
    let small = client_config().with_max_document_bytes(64);

    let fake = Fake::new(replies());
    let client = BlockingClient::with_transport(small.clone(), fake.transport());
    let unavailable = client.get_job(&job_id()).unwrap_err();
    let not_found = client.get_job(&job_id()).unwrap_err();

    let fake = Fake::new(replies());
    let client = AsyncClient::with_transport(small, fake.transport());
    assert_eq!(
        block_on(client.get_job(&job_id())).unwrap_err().to_string(),
        unavailable.to_string()
    );
    assert_eq!(
        block_on(client.get_job(&job_id())).unwrap_err().to_string(),
        not_found.to_string()
    );

    assert!(matches!(unavailable, Error::Api(_)), "{unavailable:?}");
    assert_eq!(unavailable.status().map(|s| s.as_u16()), Some(503));
    assert!(unavailable.to_string().contains("503 Service Unavailable"));
    // The JSON was cut at 64 KiB, so only its start is quoted; the status still says it all.
    assert!(matches!(not_found, Error::NotFound(_)), "{not_found:?}");
    assert!(not_found.to_string().len() < 500);
    assert_snapshot!(format!("{unavailable}\n{not_found}"));
}

// --- bodies in pieces ---------------------------------------------------------------------------

/// A transport whose bodies arrive one byte per `read`, and can break after some bytes.
struct Trickle {
    body: Vec<u8>,
    break_after: Option<usize>,
}

struct TrickleReader {
    body: Vec<u8>,
    position: usize,
    break_after: Option<usize>,
}

impl Read for TrickleReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if Some(self.position) == self.break_after {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "reset by peer",
            ));
        }
        if self.position == self.body.len() || buf.is_empty() {
            return Ok(0);
        }
        buf[0] = self.body[self.position];
        self.position += 1;
        Ok(1)
    }
}

impl Transport for Trickle {
    fn send(
        &self,
        _request: Request<RequestBody>,
    ) -> Result<Response<BlockingBody>, TransportError> {
        Ok(Response::new(BlockingBody::new(TrickleReader {
            body: self.body.clone(),
            position: 0,
            break_after: self.break_after,
        })))
    }

    fn sleep(&self, _duration: Duration) {}
}

#[test]
fn blocking_bodies_read_in_any_pieces() {
    let client = BlockingClient::with_transport(
        client_config(),
        Trickle {
            body: fixture("data_rows.json"),
            break_after: None,
        },
    );
    check_rows(&client.job_data(&job_id(), OutputFormatId(42)).unwrap());

    let exact = BlockingClient::with_transport(
        client_config().with_max_document_bytes(64),
        Trickle {
            body: job_body(64),
            break_after: None,
        },
    );
    assert!(exact.get_job(&job_id()).is_ok());
}

#[test]
fn a_body_that_breaks_midway_is_a_transport_error() {
    let client = BlockingClient::with_transport(
        client_config(),
        Trickle {
            body: fixture("data_rows.json"),
            break_after: Some(100),
        },
    );
    let error = client.job_data(&job_id(), OutputFormatId(42)).unwrap_err();
    let Error::Transport(failure) = &error else {
        panic!("expected a transport error, got {error:?}");
    };
    assert_eq!(failure.error.kind(), TransportErrorKind::Io);
    assert_snapshot!(common::render_error(&error));
}

/// An async transport whose bodies arrive in chunks of `chunk` bytes.
struct Chunked {
    body: Bytes,
    chunk: usize,
}

struct ChunkSource {
    rest: Bytes,
    chunk: usize,
}

#[async_trait]
impl AsyncBodyRead for ChunkSource {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let n = self.chunk.min(self.rest.len());
        Ok(Some(self.rest.split_to(n)))
    }
}

#[async_trait]
impl AsyncTransport for Chunked {
    async fn send(
        &self,
        _request: Request<RequestBody>,
    ) -> Result<Response<AsyncBody>, TransportError> {
        Ok(Response::new(AsyncBody::new(ChunkSource {
            rest: self.body.clone(),
            chunk: self.chunk,
        })))
    }

    async fn sleep(&self, _duration: Duration) {}
}

#[test]
fn async_bodies_read_in_any_chunks_under_the_limit() {
    for chunk in [1, 7, 64, 65, 4096] {
        let client = AsyncClient::with_transport(
            client_config(),
            Chunked {
                body: fixture("data_rows.json").into(),
                chunk,
            },
        );
        check_rows(&block_on(client.job_data(&job_id(), OutputFormatId(42))).unwrap());

        let limited = |len| {
            AsyncClient::with_transport(
                client_config().with_max_document_bytes(64),
                Chunked {
                    body: job_body(len).into(),
                    chunk,
                },
            )
        };
        assert!(
            block_on(limited(64).get_job(&job_id())).is_ok(),
            "chunk {chunk}"
        );
        let error = block_on(limited(65).get_job(&job_id())).unwrap_err();
        assert!(
            matches!(error, Error::TooLarge(_)),
            "chunk {chunk}: {error:?}"
        );
    }
}
