//! Extension points a program sets on [`ClientConfig`](crate::ClientConfig): a hook that sees
//! every attempt of every operation, and a classifier that decides what is worth retrying.
//!
//! Both are called by the generic clients, for every transport alike. A hook sees the logical
//! operation (its name and description) and each attempt of it, so a retried request shows up
//! as attempts 1, 2, … of one operation: what metrics, logs and request ids need.

use std::time::Duration;

use http::{HeaderMap, Method, StatusCode, Uri};

use crate::error::Error;

/// One attempt of an operation, as a hook sees it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Attempt<'a> {
    /// The operation's name, stable for metrics: `get_job`, `list_jobs`, `get_job_data`,
    /// `create_token` (see [`Operation::name`](crate::ops::Operation::name)).
    pub operation: &'static str,
    /// What the operation does, for people: `get job 9f1c…`.
    pub description: &'a str,
    /// Which attempt this is, from 1.
    pub number: u32,
    /// The request's method.
    pub method: &'a Method,
    /// The request's URI.
    pub uri: &'a Uri,
}

/// How an attempt ended, as far as the client knows when the response head arrives.
#[derive(Debug)]
#[non_exhaustive]
pub enum AttemptOutcome<'a> {
    /// The server answered with this status (its body is read afterwards).
    Response {
        /// The status.
        status: StatusCode,
        /// From sending to the response head.
        elapsed: Duration,
    },
    /// The request failed before a response arrived.
    Failed {
        /// The error.
        error: &'a Error,
        /// From sending to the failure.
        elapsed: Duration,
    },
}

/// Sees each attempt of each operation: before it is sent (and may add headers, such as a
/// request id) and when its response head or its failure comes back.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use sdm_core::{Attempt, AttemptHook, AttemptOutcome, ClientConfig};
/// use sdm_core::http::{HeaderMap, HeaderValue};
///
/// #[derive(Default)]
/// struct RequestIds(AtomicU64);
///
/// impl AttemptHook for RequestIds {
///     fn before(&self, attempt: &Attempt<'_>, headers: &mut HeaderMap) {
///         let id = self.0.fetch_add(1, Ordering::Relaxed);
///         headers.insert("x-request-id", HeaderValue::from(id));
///         eprintln!("{} attempt {}", attempt.operation, attempt.number);
///     }
///
///     fn after(&self, attempt: &Attempt<'_>, outcome: &AttemptOutcome<'_>) {
///         if let AttemptOutcome::Response { status, elapsed, .. } = outcome {
///             eprintln!("{} {} in {elapsed:?}", attempt.operation, status);
///         }
///     }
/// }
///
/// let config = ClientConfig::new("https://sdm.akeneo.cloud/api/v1/")?
///     .with_attempt_hook(RequestIds::default());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait AttemptHook: Send + Sync {
    /// Called before the attempt is sent, with its headers (the client's own are set already:
    /// changing `Authorization` here is not supported).
    fn before(&self, attempt: &Attempt<'_>, headers: &mut HeaderMap) {
        let _ = (attempt, headers);
    }

    /// Called when the attempt's response head arrives, or when it fails without one.
    fn after(&self, attempt: &Attempt<'_>, outcome: &AttemptOutcome<'_>) {
        let _ = (attempt, outcome);
    }
}

/// Decides whether a failed request is worth another attempt, in place of the client's own
/// classification (429, 502-504, connection failures and timeouts).
///
/// It only decides *whether*: how many attempts in all and how long to wait between them stay
/// the [`RetryPolicy`](crate::RetryPolicy)'s. And it is only asked about requests that are safe
/// to repeat (GET): a create is never sent again on its say-so.
///
/// Closures `Fn(&Error, bool) -> bool` are classifiers; the `bool` is the client's own answer.
///
/// ```
/// use sdm_core::{ClientConfig, Error};
///
/// // Also retry a 500, which this deployment's proxy returns during restarts.
/// let config = ClientConfig::new("https://sdm.akeneo.cloud/api/v1/")?.with_retry_classifier(
///     |error: &Error, default: bool| {
///         default || error.status().is_some_and(|status| status.as_u16() == 500)
///     },
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait RetryClassifier: Send + Sync {
    /// True to try again; `default` is what the client would decide on its own.
    fn is_retryable(&self, error: &Error, default: bool) -> bool;
}

impl<F> RetryClassifier for F
where
    F: Fn(&Error, bool) -> bool + Send + Sync,
{
    fn is_retryable(&self, error: &Error, default: bool) -> bool {
        self(error, default)
    }
}
