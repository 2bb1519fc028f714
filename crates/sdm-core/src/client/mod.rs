//! The generic clients, written once over the transport traits: they build each operation's
//! request, pace it under the rate limit, send it through the transport, read the body under
//! the configured limits, parse, and retry what is safe to retry.

#[cfg(feature = "async")]
mod async_list;
#[cfg(feature = "async")]
mod async_rows;
mod blocking;
mod blocking_list;
mod blocking_rows;
mod deadline;
mod download;
#[cfg(feature = "async")]
mod nonblocking;
mod rows;

#[cfg(feature = "async")]
pub use async_list::{JobStream, ListStream, ProjectStream};
#[cfg(feature = "async")]
pub use async_rows::AsyncRowReader;
pub use blocking::BlockingClient;
pub use blocking_list::{Jobs, ListIter, Projects};
pub use blocking_rows::{RowReader, TypedRows};
#[cfg(feature = "async")]
pub use download::AsyncDownload;
pub use download::Download;
#[cfg(feature = "async")]
pub use nonblocking::AsyncClient;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::response::Parts;
use http::{Method, Request, Response, Uri};

use crate::transport::RequestBody;

use crate::body::ReadBody;
use crate::client::deadline::{End, Limits};
use crate::config::ClientConfig;
use crate::error::{Error, Setting, TooLargeError, TransportError, TransportFailure};
use crate::hooks::{Attempt, AttemptHook, AttemptOutcome};
use crate::ops::Operation;
use crate::rate_limit::RateLimiter;
use crate::response::{Secrets, error_for_status};
use crate::retry::{RetryDecision, RetryPolicy};
use crate::secret::Token;

/// What a client and its clones share: the configuration, and the pacing state. The pacing
/// (rate limiter, jitter) is also kept by clients made with another token or configuration,
/// so that every client derived from one paces its requests together.
#[derive(Clone, Debug)]
struct Shared {
    config: Arc<ClientConfig>,
    pacing: Arc<Pacing>,
}

/// The rate limiter and the jitter source.
#[derive(Debug)]
struct Pacing {
    limiter: Option<Mutex<RateLimiter>>,
    jitter: Mutex<Jitter>,
}

impl Shared {
    fn new(config: ClientConfig) -> Self {
        let pacing = Pacing {
            limiter: config
                .rate_limit()
                .map(|limit| Mutex::new(RateLimiter::new(limit))),
            jitter: Mutex::new(Jitter::seeded()),
        };
        Self {
            config: Arc::new(config),
            pacing: Arc::new(pacing),
        }
    }

    /// The same pacing under another configuration; a changed rate limit gets a limiter of
    /// its own.
    fn with_config(&self, config: ClientConfig) -> Self {
        if config.rate_limit() != self.config.rate_limit() {
            return Self::new(config);
        }
        Self {
            config: Arc::new(config),
            pacing: Arc::clone(&self.pacing),
        }
    }

    /// Reserves the next slot under the rate limit for a request wanting to go at `now`:
    /// `Ok` with how long to wait for it, or `Err` with that wait, reserving nothing, when the
    /// slot would come at or after `deadline`.
    fn reserve_slot(&self, now: Instant, deadline: Option<Instant>) -> Result<Duration, Duration> {
        match &self.pacing.limiter {
            Some(limiter) => lock(limiter).reserve_before(now, deadline),
            None => Ok(Duration::ZERO),
        }
    }

    fn jitter(&self) -> f64 {
        lock(&self.pacing.jitter).next()
    }
}

/// Locks a mutex whose data stays consistent even if a holder panicked (plain numbers).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A small xorshift generator for backoff jitter; quality needs are low, determinism is not needed.
#[derive(Debug)]
struct Jitter(u64);

impl Jitter {
    fn seeded() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let address = &nanos as *const u64 as u64;
        Self((nanos ^ address.rotate_left(32)) | 1)
    }

    /// A value in `[0, 1)`.
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// How an attempt starts: after waiting `wait` for its slot under the rate limit; it must be
/// over by `end`, if ever.
#[derive(Clone, Copy, Debug)]
struct Start {
    wait: Duration,
    end: Option<End>,
}

/// The retry bookkeeping of one operation: counts attempts and asks the policy what to do.
struct Attempts<'a> {
    shared: &'a Shared,
    what: String,
    /// A `GET`: sending it again changes nothing on the server.
    idempotent: bool,
    attempt: u32,
    /// When the first attempt went out (what may have been created is at least this recent).
    started: chrono::DateTime<chrono::Utc>,
    /// The call's deadline and the bound on each attempt.
    limits: Limits,
}

impl<'a> Attempts<'a> {
    fn new(
        shared: &'a Shared,
        what: String,
        request: &Request<RequestBody>,
        limits: Limits,
    ) -> Self {
        Self {
            shared,
            what,
            idempotent: request.method() == Method::GET,
            attempt: 1,
            started: chrono::Utc::now(),
            limits,
        }
    }

    /// Before an attempt: reserves its slot under the rate limit, and says how long to wait
    /// for it and when the attempt must be over (the earlier of the call's deadline and the
    /// per-attempt bound, which starts once the slot comes); or the error that ends the call
    /// when its deadline has come, or would come before the slot (then nothing is reserved,
    /// and nothing must be slept or sent).
    fn begin(&self) -> Result<Start, Error> {
        let now = Instant::now();
        if self.limits.passed(now) {
            let error = self.limits.passed_error(self.what.clone(), None);
            return Err(error.with_attempts(self.attempt - 1));
        }
        match self.shared.reserve_slot(now, self.limits.deadline) {
            Ok(wait) => Ok(Start {
                wait,
                end: self.limits.attempt_end(now + wait),
            }),
            Err(wait) => {
                let left = self.limits.left(now).unwrap_or_default();
                let error = self.limits.slot_refused(self.what.clone(), wait, left);
                Err(error.with_attempts(self.attempt - 1))
            }
        }
    }

    /// The number of the current attempt, from 1.
    fn number(&self) -> u32 {
        self.attempt
    }

    /// The span the current attempt's events belong to: it names the attempt, so each
    /// request's events say which try they are.
    fn span(&self) -> tracing::Span {
        tracing::debug_span!("sdm_request", attempt = self.attempt)
    }

    /// After a failed attempt of `op`: the delay before the next one, or the error to report.
    ///
    /// A read is retried when a retry may help. A create (`POST`) is sent again only when the
    /// server cannot have acted on it ([`RetryPolicy::is_unsent`]); a classifier may make that
    /// stricter, never looser. A create that fails after the server may have acted is
    /// reported through [`Operation::unconfirmed`].
    fn after_error<O: Operation + ?Sized>(
        &mut self,
        op: &O,
        error: Error,
    ) -> Result<Duration, Error> {
        let config = &self.shared.config;
        let default = if self.idempotent {
            RetryPolicy::is_transient(&error)
        } else {
            RetryPolicy::is_unsent(&error)
        };
        let retryable = match config.retry_classifier() {
            Some(classifier) if self.idempotent => classifier.is_retryable(&error, default),
            Some(classifier) => default && classifier.is_retryable(&error, default),
            None => default,
        };
        let now = Instant::now();
        // What a retry could have cured (or, for a create, a read would retry), met once the
        // deadline has come: the deadline ended it.
        let curable = retryable || RetryPolicy::is_transient(&error);
        if curable && self.limits.passed(now) {
            return Err(self.give_up(op, error, |limits, what, error| {
                limits.passed_error(what, Some(error))
            }));
        }
        let decision = config.retry_policy().decide_classified(
            &error,
            retryable,
            self.attempt,
            chrono::Utc::now(),
            self.shared.jitter(),
        );
        match decision {
            RetryDecision::Retry { delay, .. }
                if self.limits.left(now).is_some_and(|left| delay >= left) =>
            {
                // Never sleep past the deadline: a retry that would start after it (a long
                // `Retry-After`) is not waited for.
                let left = self.limits.left(now).unwrap_or_default();
                Err(self.give_up(op, error, |limits, what, error| {
                    limits.retry_refused(what, delay, left, error)
                }))
            }
            RetryDecision::Retry { delay, reason } => {
                tracing::warn!(
                    what = %self.what, attempt = self.attempt, reason = %reason,
                    delay_ms = delay.as_millis() as u64, "retrying request"
                );
                self.attempt += 1;
                Ok(delay)
            }
            RetryDecision::GiveUp => Err(self.give_up(op, error, |_, _, error| error)),
        }
    }

    /// The error that ends the call: `error`, counted and turned into the reported one by
    /// `report` (the deadline's error, or itself); a create that may have been acted on is
    /// [`Operation::unconfirmed`], judged on what happened, not on the deadline.
    fn give_up<O: Operation + ?Sized>(
        &self,
        op: &O,
        error: Error,
        report: impl FnOnce(&Limits, String, Error) -> Error,
    ) -> Error {
        let acted = !self.idempotent && RetryPolicy::may_have_acted(&error);
        let error = report(&self.limits, self.what.clone(), error).with_attempts(self.attempt);
        if acted {
            return op.unconfirmed(error, self.started);
        }
        error
    }
}

/// The earlier of two optional instants (`None`: never).
fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A copy of a request for another attempt (`http::Request` is not `Clone`; the body is shared,
/// and a streamed one is opened afresh when sent).
fn copy_request(request: &Request<RequestBody>) -> Request<RequestBody> {
    let mut copy = Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    // The marks for the transport too (`PlainHttpAllowed`).
    *copy.extensions_mut() = request.extensions().clone();
    copy
}

/// Parses a success response whose body has been read under the document limit.
fn parse_document<O: Operation>(
    op: &O,
    config: &ClientConfig,
    head: Parts,
    body: ReadBody,
) -> Result<O::Output, Error> {
    match body {
        ReadBody::Complete(bytes) => op
            .parse(&Response::from_parts(head, bytes))
            .map_err(|error| error.mask_secrets(&secrets(config))),
        ReadBody::Truncated(_) => Err(Error::TooLarge(TooLargeError::new(
            op.describe(),
            config.max_document_bytes(),
            Setting::MaxDocumentBytes,
        ))),
    }
}

/// The typed error for a non-success response; an error body over the limit is quoted in part.
fn error_response(config: &ClientConfig, what: String, head: &Parts, body: ReadBody) -> Error {
    let (ReadBody::Complete(bytes) | ReadBody::Truncated(bytes)) = body;
    error_for_status(what, head.status, &head.headers, &bytes).mask_secrets(&secrets(config))
}

/// The client's own secrets, to mask in what the server echoes.
fn secrets(config: &ClientConfig) -> Secrets {
    Secrets::new(config.token().map(Token::expose))
}

/// Wraps a transport error met while reading a body.
fn body_failure(what: String, error: TransportError) -> Error {
    Error::Transport(Box::new(TransportFailure::new(what, error)))
}

/// One request on its way: remembers what to log, and what to tell the attempt hook, when the
/// response (or the failure) comes back.
struct Exchange<'a> {
    hook: Option<&'a dyn AttemptHook>,
    operation: &'static str,
    description: String,
    number: u32,
    method: Method,
    uri: Uri,
    started: Instant,
}

impl<'a> Exchange<'a> {
    /// Starts attempt `number` of `op`: the hook sees it (and may add headers) before it goes.
    fn start<O: Operation + ?Sized>(
        config: &'a ClientConfig,
        op: &O,
        number: u32,
        request: &mut Request<RequestBody>,
    ) -> Self {
        let exchange = Self {
            hook: config.attempt_hook(),
            operation: op.name(),
            description: op.describe(),
            number,
            method: request.method().clone(),
            uri: request.uri().clone(),
            started: Instant::now(),
        };
        if let Some(hook) = exchange.hook {
            hook.before(&exchange.attempt(), request.headers_mut());
        }
        tracing::debug!(method = %exchange.method, path = %exchange.uri.path(), "sending request");
        exchange
    }

    fn attempt(&self) -> Attempt<'_> {
        Attempt {
            operation: self.operation,
            description: &self.description,
            number: self.number,
            method: &self.method,
            uri: &self.uri,
        }
    }

    fn finished<B>(
        self,
        result: Result<Response<B>, TransportError>,
    ) -> Result<Response<B>, Error> {
        let elapsed = self.started.elapsed();
        let elapsed_ms = elapsed.as_millis() as u64;
        let path = self.uri.path();
        match result {
            Ok(response) => {
                tracing::debug!(
                    method = %self.method, path, status = response.status().as_u16(),
                    elapsed_ms, "response received"
                );
                if let Some(hook) = self.hook {
                    let status = response.status();
                    hook.after(
                        &self.attempt(),
                        &AttemptOutcome::Response { status, elapsed },
                    );
                }
                Ok(response)
            }
            Err(error) => {
                tracing::debug!(
                    method = %self.method, path, error = %error, elapsed_ms,
                    "request failed"
                );
                let error = Error::Transport(Box::new(TransportFailure::new(
                    self.description.clone(),
                    error,
                )));
                if let Some(hook) = self.hook {
                    hook.after(
                        &self.attempt(),
                        &AttemptOutcome::Failed {
                            error: &error,
                            elapsed,
                        },
                    );
                }
                Err(error)
            }
        }
    }
}
