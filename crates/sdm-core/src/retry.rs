//! When and how long to wait before trying a request again: a pure decision, with the clock and
//! the jitter passed in, so every case can be tested without sleeping or randomness.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::{Error, TransportErrorKind};

/// How a client retries safe (GET) requests.
///
/// Retried: 429 (honouring `Retry-After`, capped), 502, 503, 504, connection failures, timeouts
/// and connections lost mid-response. Never retried: other statuses (400, 401, 403, 404, …),
/// undecodable bodies, invalid input.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (default 4). `1` turns retries off.
    pub max_attempts: u32,
    /// Backoff before the first retry (default 500 ms); it doubles on each further retry.
    pub initial_backoff: Duration,
    /// Largest backoff computed by doubling (default 30 s).
    pub max_backoff: Duration,
    /// Largest wait a `Retry-After` header can impose (default 60 s).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// Why a request is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryReason {
    /// HTTP 429.
    RateLimited,
    /// HTTP 502, 503 or 504.
    Unavailable(u16),
    /// The connection could not be made.
    Connect,
    /// The request timed out.
    Timeout,
    /// The connection broke during the exchange.
    ConnectionLost,
    /// The client's [`RetryClassifier`](crate::RetryClassifier) called the error retryable.
    Classified,
}

impl fmt::Display for RetryReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryReason::RateLimited => f.write_str("rate limited (HTTP 429)"),
            RetryReason::Unavailable(status) => write!(f, "server unavailable (HTTP {status})"),
            RetryReason::Connect => f.write_str("connection failed"),
            RetryReason::Timeout => f.write_str("timed out"),
            RetryReason::ConnectionLost => f.write_str("connection lost"),
            RetryReason::Classified => f.write_str("retryable by the client's classifier"),
        }
    }
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Wait `delay`, then send the request again.
    Retry {
        /// How long to wait.
        delay: Duration,
        /// Why.
        reason: RetryReason,
    },
    /// Report the error.
    GiveUp,
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Decides what follows the failure `error` of attempt number `attempt` (the first is 1).
    ///
    /// `now` resolves a `Retry-After` date; `jitter`, in `[0, 1)`, spreads backoffs so that many
    /// clients do not retry in lockstep: the wait is between half and all of the backoff.
    pub fn decide(
        &self,
        error: &Error,
        attempt: u32,
        now: DateTime<Utc>,
        jitter: f64,
    ) -> RetryDecision {
        self.decide_classified(error, Self::is_transient(error), attempt, now, jitter)
    }

    /// [`decide`](Self::decide) with the classification made elsewhere (by a
    /// [`RetryClassifier`](crate::RetryClassifier)): `retryable` says whether `error` is worth
    /// another attempt; the attempt bound and the delays stay this policy's.
    pub fn decide_classified(
        &self,
        error: &Error,
        retryable: bool,
        attempt: u32,
        now: DateTime<Utc>,
        jitter: f64,
    ) -> RetryDecision {
        if !retryable {
            return RetryDecision::GiveUp;
        }
        let reason = retry_reason(error).unwrap_or(RetryReason::Classified);
        if attempt >= self.max_attempts {
            return RetryDecision::GiveUp;
        }
        let retry_after = error.api_error().and_then(|e| e.retry_after);
        let delay = match retry_after {
            Some(retry_after) => retry_after.delay_from(now).min(self.max_retry_after),
            None => self.backoff(attempt, jitter),
        };
        RetryDecision::Retry { delay, reason }
    }

    /// True when retrying could cure `error` (the same classification [`decide`](Self::decide) uses).
    pub fn is_transient(error: &Error) -> bool {
        retry_reason(error).is_some()
    }

    /// True when `error` proves the server did not act on the request, so that even a create
    /// (`POST`) may be sent again: a 429 (throttling refuses before the view runs) or a
    /// connection that failed before the request was written.
    pub fn is_unsent(error: &Error) -> bool {
        match error {
            Error::RateLimited(_) => true,
            Error::Transport(failure) => {
                failure.error.kind() == TransportErrorKind::Connect
                    || error
                        .timed_out()
                        .is_some_and(|t| t.timeout == crate::error::TimeoutKind::Connect)
            }
            _ => false,
        }
    }

    /// True when a request that failed with `error` may still have been acted on: a timeout or
    /// a connection lost after the request went out, a 5xx, a success response that could not
    /// be read. A create that fails so is reported as [`Error::Unconfirmed`].
    pub fn may_have_acted(error: &Error) -> bool {
        if Self::is_unsent(error) {
            return false;
        }
        match error {
            Error::Transport(failure) => failure.error.kind() != TransportErrorKind::Tls,
            Error::Api(e) => e.status.is_server_error(),
            Error::Decode(_) | Error::TooLarge(_) => true,
            _ => false,
        }
    }

    /// Exponential backoff with "equal jitter": half fixed, half random.
    fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        let full = self
            .initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff);
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        full / 2 + full.div_f64(2.0).mul_f64(jitter)
    }
}

/// The reason to retry `error`, or `None` when retrying cannot help (or is not safe).
fn retry_reason(error: &Error) -> Option<RetryReason> {
    match error {
        Error::RateLimited(_) => Some(RetryReason::RateLimited),
        Error::Api(e) if matches!(e.status.as_u16(), 502..=504) => {
            Some(RetryReason::Unavailable(e.status.as_u16()))
        }
        Error::Transport(failure) => match failure.error.kind() {
            TransportErrorKind::Connect => Some(RetryReason::Connect),
            TransportErrorKind::Timeout => Some(RetryReason::Timeout),
            TransportErrorKind::Io => Some(RetryReason::ConnectionLost),
            // A certificate that does not verify fails the same way next time.
            TransportErrorKind::Tls => None,
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use http::{HeaderMap, HeaderValue, StatusCode};

    use super::*;
    use crate::error::{TransportError, TransportFailure};
    use crate::response::error_for_status;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn http_error(status: u16, retry_after: Option<&str>) -> Error {
        let mut headers = HeaderMap::new();
        if let Some(value) = retry_after {
            headers.insert("retry-after", HeaderValue::from_str(value).unwrap());
        }
        let status = StatusCode::from_u16(status).unwrap();
        error_for_status("list jobs".into(), status, &headers, b"")
    }

    fn transport(kind: TransportErrorKind) -> Error {
        let error = TransportError::from_kind(kind);
        Error::Transport(Box::new(TransportFailure::new("list jobs".into(), error)))
    }

    fn show(decision: RetryDecision) -> String {
        match decision {
            RetryDecision::Retry { delay, reason } => format!("retry in {delay:?} ({reason})"),
            RetryDecision::GiveUp => "give up".to_owned(),
        }
    }

    /// The whole decision table, one line per case: error × attempt, jitter fixed at 0.5.
    #[test]
    fn decision_table() {
        let policy = RetryPolicy::default();
        let cases: Vec<(&str, Error)> = vec![
            ("429 without Retry-After", http_error(429, None)),
            ("429 Retry-After: 7", http_error(429, Some("7"))),
            ("429 Retry-After: 0", http_error(429, Some("0"))),
            (
                "429 Retry-After: huge",
                http_error(429, Some("99999999999999999999999")),
            ),
            ("429 Retry-After: garbage", http_error(429, Some("soon"))),
            ("429 Retry-After: -5", http_error(429, Some("-5"))),
            (
                "429 Retry-After: date +42s",
                http_error(429, Some("Sat, 28 Nov 2026 10:00:42 GMT")),
            ),
            (
                "429 Retry-After: date in the past",
                http_error(429, Some("Sat, 28 Nov 2026 09:00:00 GMT")),
            ),
            (
                "429 Retry-After: date +1 day",
                http_error(429, Some("Sun, 29 Nov 2026 10:00:00 GMT")),
            ),
            ("503 Retry-After: 3", http_error(503, Some("3"))),
            ("502", http_error(502, None)),
            ("504", http_error(504, None)),
            ("500", http_error(500, None)),
            ("400", http_error(400, None)),
            ("401", http_error(401, None)),
            ("403", http_error(403, None)),
            ("404", http_error(404, None)),
            ("connect", transport(TransportErrorKind::Connect)),
            ("timeout", transport(TransportErrorKind::Timeout)),
            ("connection lost", transport(TransportErrorKind::Io)),
            ("tls", transport(TransportErrorKind::Tls)),
            ("other transport", transport(TransportErrorKind::Other)),
        ];
        let mut table = String::new();
        for (name, error) in &cases {
            let decisions: Vec<String> = (1..=4)
                .map(|attempt| show(policy.decide(error, attempt, now(), 0.5)))
                .collect();
            writeln!(table, "{name:<34} | {}", decisions.join(" | ")).unwrap();
        }
        let expected = "\
429 without Retry-After            | retry in 375ms (rate limited (HTTP 429)) | retry in 750ms (rate limited (HTTP 429)) | retry in 1.5s (rate limited (HTTP 429)) | give up
429 Retry-After: 7                 | retry in 7s (rate limited (HTTP 429)) | retry in 7s (rate limited (HTTP 429)) | retry in 7s (rate limited (HTTP 429)) | give up
429 Retry-After: 0                 | retry in 0ns (rate limited (HTTP 429)) | retry in 0ns (rate limited (HTTP 429)) | retry in 0ns (rate limited (HTTP 429)) | give up
429 Retry-After: huge              | retry in 60s (rate limited (HTTP 429)) | retry in 60s (rate limited (HTTP 429)) | retry in 60s (rate limited (HTTP 429)) | give up
429 Retry-After: garbage           | retry in 375ms (rate limited (HTTP 429)) | retry in 750ms (rate limited (HTTP 429)) | retry in 1.5s (rate limited (HTTP 429)) | give up
429 Retry-After: -5                | retry in 375ms (rate limited (HTTP 429)) | retry in 750ms (rate limited (HTTP 429)) | retry in 1.5s (rate limited (HTTP 429)) | give up
429 Retry-After: date +42s         | retry in 42s (rate limited (HTTP 429)) | retry in 42s (rate limited (HTTP 429)) | retry in 42s (rate limited (HTTP 429)) | give up
429 Retry-After: date in the past  | retry in 0ns (rate limited (HTTP 429)) | retry in 0ns (rate limited (HTTP 429)) | retry in 0ns (rate limited (HTTP 429)) | give up
429 Retry-After: date +1 day       | retry in 60s (rate limited (HTTP 429)) | retry in 60s (rate limited (HTTP 429)) | retry in 60s (rate limited (HTTP 429)) | give up
503 Retry-After: 3                 | retry in 3s (server unavailable (HTTP 503)) | retry in 3s (server unavailable (HTTP 503)) | retry in 3s (server unavailable (HTTP 503)) | give up
502                                | retry in 375ms (server unavailable (HTTP 502)) | retry in 750ms (server unavailable (HTTP 502)) | retry in 1.5s (server unavailable (HTTP 502)) | give up
504                                | retry in 375ms (server unavailable (HTTP 504)) | retry in 750ms (server unavailable (HTTP 504)) | retry in 1.5s (server unavailable (HTTP 504)) | give up
500                                | give up | give up | give up | give up
400                                | give up | give up | give up | give up
401                                | give up | give up | give up | give up
403                                | give up | give up | give up | give up
404                                | give up | give up | give up | give up
connect                            | retry in 375ms (connection failed) | retry in 750ms (connection failed) | retry in 1.5s (connection failed) | give up
timeout                            | retry in 375ms (timed out) | retry in 750ms (timed out) | retry in 1.5s (timed out) | give up
connection lost                    | retry in 375ms (connection lost) | retry in 750ms (connection lost) | retry in 1.5s (connection lost) | give up
tls                                | give up | give up | give up | give up
other transport                    | give up | give up | give up | give up
";
        assert_eq!(table, expected, "\n{table}");
    }

    #[test]
    fn jitter_spans_half_to_all_of_the_backoff_and_the_cap_holds() {
        let policy = RetryPolicy::default();
        let error = http_error(502, None);
        let delay = |attempt, jitter| match policy.decide(&error, attempt, now(), jitter) {
            RetryDecision::Retry { delay, .. } => delay,
            RetryDecision::GiveUp => panic!("gave up"),
        };
        assert_eq!(delay(1, 0.0), Duration::from_millis(250));
        assert_eq!(
            delay(1, 0.999_999),
            Duration::from_micros(499_999) + Duration::from_nanos(750)
        );
        // Out-of-range jitter is clamped, never negative or beyond the backoff.
        assert_eq!(delay(1, -3.0), Duration::from_millis(250));
        assert_eq!(delay(1, f64::NAN), Duration::from_millis(250));
        assert_eq!(delay(1, 7.0), Duration::from_millis(500));
        // Doubling stops at max_backoff, even for absurd attempt numbers.
        let many = RetryPolicy {
            max_attempts: u32::MAX,
            ..RetryPolicy::default()
        };
        let late = match many.decide(&error, 1_000, now(), 1.0) {
            RetryDecision::Retry { delay, .. } => delay,
            RetryDecision::GiveUp => panic!("gave up"),
        };
        assert_eq!(late, Duration::from_secs(30));
    }

    #[test]
    fn no_retries_means_one_attempt() {
        let policy = RetryPolicy::none();
        assert_eq!(
            policy.decide(&http_error(503, None), 1, now(), 0.5),
            RetryDecision::GiveUp
        );
    }
}
