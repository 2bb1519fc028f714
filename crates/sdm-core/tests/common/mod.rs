//! Helpers shared by the snapshot suites: fixtures, a stable text form of requests and errors,
//! response builders and a tiny `block_on` for the async client.
//!
//! Every test binary includes this module and uses a different part of it.
#![allow(dead_code)]

use std::error::Error as StdError;
use std::fmt::Write as _;
use std::future::Future;
use std::task::{Context, Poll, Waker};

use sdm_core::http::{HeaderValue, Request, Response, StatusCode};
use sdm_core::{ClientConfig, Error, JobId, RetryPolicy};
use serde_json::Value;

/// The token every test configuration carries. It must never appear in a snapshot.
pub const TOKEN: &str = "0b5e1c5e-aaaa-4bbb-8ccc-123456789abc";
/// The password of the login tests. It must never appear in a snapshot either.
pub const PASSWORD: &str = "correct horse battery staple";
/// The job id of the documentation's examples.
pub const JOB_ID: &str = "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b";
/// The production base URL.
pub const BASE: &str = "https://sdm.akeneo.cloud/api/v1/";

/// A fixture file's bytes, from `tests/fixtures/`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read fixture {path}: {e}"))
}

/// A fixture file as text.
pub fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).expect("fixtures are UTF-8")
}

/// The production configuration with [`TOKEN`].
pub fn config() -> ClientConfig {
    ClientConfig::new(BASE).unwrap().with_token(TOKEN)
}

/// [`config`] for tests that drive a client: no retries and no rate limit, so every request
/// is answered once and nothing sleeps. (Retries and pacing have their own tests.)
pub fn client_config() -> ClientConfig {
    unpaced(config())
}

/// `config` without retries or rate limit.
pub fn unpaced(config: ClientConfig) -> ClientConfig {
    config
        .with_retry_policy(RetryPolicy::none())
        .with_rate_limit(None)
}

/// The documentation's job id.
pub fn job_id() -> JobId {
    JobId::parse(JOB_ID).unwrap()
}

/// A response with `status`, `headers` and `body`.
pub fn response(
    status: u16,
    headers: &[(&str, &str)],
    body: impl Into<Vec<u8>>,
) -> Response<Vec<u8>> {
    let mut builder = Response::builder().status(StatusCode::from_u16(status).unwrap());
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body.into()).unwrap()
}

/// A `200 OK` JSON response with `body`.
pub fn ok(body: impl Into<Vec<u8>>) -> Response<Vec<u8>> {
    response(200, &[("content-type", "application/json")], body)
}

/// A request as stable text: method and URI, the decoded query, the headers sorted by name with
/// the token and the crate version masked, and the body (pretty JSON, password masked).
pub fn render_request(request: &Request<impl BodyBytes>) -> String {
    let mut out = format!("{} {}\n", request.method(), request.uri());
    if let Some(query) = request.uri().query() {
        out.push_str("query (decoded):\n");
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            writeln!(out, "  {} = {}", form_decode(name), form_decode(value)).unwrap();
        }
    }
    out.push_str("headers:\n");
    let mut headers: Vec<(&str, String)> = request
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str(), shown_header(name.as_str(), value)))
        .collect();
    headers.sort_by(|a, b| a.0.cmp(b.0));
    for (name, value) in headers {
        writeln!(out, "  {name}: {value}").unwrap();
    }
    let body = request.body().bytes();
    let body = body.as_slice();
    if body.is_empty() {
        out.push_str("body: (empty)\n");
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(mut json) => {
                redact_passwords(&mut json);
                out.push_str("body (JSON):\n");
                out.push_str(&serde_json::to_string_pretty(&json).unwrap());
                out.push('\n');
            }
            Err(_) => {
                writeln!(out, "body (not JSON): {}", String::from_utf8_lossy(body)).unwrap();
            }
        }
    }
    out
}

/// A request body as bytes: what the client built, or what a closure transport received.
pub trait BodyBytes {
    /// The whole body.
    fn bytes(&self) -> Vec<u8>;
}

impl BodyBytes for Vec<u8> {
    fn bytes(&self) -> Vec<u8> {
        self.clone()
    }
}

impl BodyBytes for sdm_core::transport::RequestBody {
    fn bytes(&self) -> Vec<u8> {
        self.to_vec().unwrap()
    }
}

fn shown_header(name: &str, value: &HeaderValue) -> String {
    match name {
        "authorization" => match value.to_str() {
            Ok(text) if text.starts_with("Token ") => "Token [redacted]".to_owned(),
            _ => "[redacted: not a `Token …` value]".to_owned(),
        },
        "user-agent" => value
            .to_str()
            .unwrap()
            .replace(sdm_core::USER_AGENT, "sdm-core/[version]"),
        _ => value.to_str().unwrap_or("[not visible ASCII]").to_owned(),
    }
}

fn redact_passwords(json: &mut Value) {
    match json {
        Value::Object(object) => {
            for (key, value) in object.iter_mut() {
                if key == "password" {
                    *value = Value::String("[redacted]".to_owned());
                } else {
                    redact_passwords(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_passwords),
        _ => {}
    }
}

/// Decodes one `application/x-www-form-urlencoded` name or value (`+` is a space).
pub fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).expect("valid percent escape"));
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).expect("UTF-8 after decoding")
}

/// An error as stable text: its one-line `Display`, its status, its `source` chain and its
/// pretty `Debug`.
pub fn render_error(error: &Error) -> String {
    let mut out = format!("display: {error}\nstatus: ");
    match error.status() {
        Some(status) => writeln!(out, "{}", status.as_u16()).unwrap(),
        None => out.push_str("none\n"),
    }
    out.push_str("source chain:");
    let mut source = StdError::source(error);
    if source.is_none() {
        out.push_str(" (none)");
    }
    while let Some(cause) = source {
        write!(out, "\n  caused by: {cause}").unwrap();
        source = cause.source();
    }
    write!(out, "\ndebug:\n{error:#?}\n").unwrap();
    out
}

/// Runs a future to completion on this thread, polling with a waker that does nothing.
///
/// Enough for the async client over closure transports, whose futures never wait on anything.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::yield_now();
    }
}
