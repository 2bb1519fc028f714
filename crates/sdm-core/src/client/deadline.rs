//! How the clients keep a call within its deadline: the time each attempt may take, the errors
//! that say the deadline cut a call short, and bodies that stop being read once it has passed.
//!
//! A transport told the time left (the request's [`Deadline`]) cuts a server that never
//! answers; the body wrappers here catch, for any transport, a body that keeps dripping past
//! it (the clock is checked before each read of a chunk).

use std::fmt;
use std::io::{self, Read};
use std::time::{Duration, Instant};

#[cfg(feature = "async")]
use async_trait::async_trait;
#[cfg(feature = "async")]
use bytes::Bytes;
use http::Request;

#[cfg(feature = "async")]
use crate::error::TransportError;
use crate::error::{Error, TimedOut, TimeoutKind, TransportFailure};
#[cfg(feature = "async")]
use crate::transport::{AsyncBody, AsyncBodyRead};
use crate::transport::{BlockingBody, Deadline, RequestBody};

/// Request bodies up to this size are documents' requests (a read, a login, a job creation):
/// the document timeout bounds their attempts. Larger ones are uploads, which may rightly take
/// long.
const DOCUMENT_REQUEST_BYTES: u64 = 64 * 1024;

/// The time limits of one call: its deadline, and the bound on each attempt.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// When the whole call must be over.
    pub(crate) deadline: Option<Instant>,
    /// The bound on each attempt (the document timeout, for a document's request).
    pub(crate) per_attempt: Option<Duration>,
    /// When the call began, to say how long it was given.
    started: Instant,
}

impl Limits {
    /// The limits of a call that sends `request`, ending by `deadline`: the document timeout
    /// applies when the call reads a whole document (`document`) and does not upload.
    pub(crate) fn new(
        deadline: Option<Instant>,
        document_timeout: Option<Duration>,
        document: bool,
        request: &Request<RequestBody>,
    ) -> Self {
        let small = request.body().len() <= DOCUMENT_REQUEST_BYTES;
        Self {
            deadline,
            per_attempt: document_timeout.filter(|_| document && small),
            started: Instant::now(),
        }
    }

    /// When an attempt starting at `now` must be over, if ever, and which limit that is.
    pub(crate) fn attempt_end(&self, now: Instant) -> Option<End> {
        let bound = self.per_attempt.and_then(|d| now.checked_add(d));
        let by_deadline = self.deadline.map(|deadline| End {
            at: deadline,
            timeout: TimeoutKind::Deadline,
            limit: self.given(),
        });
        let by_bound = bound.map(|bound| End {
            at: bound,
            timeout: TimeoutKind::Overall,
            limit: self.per_attempt.unwrap_or_default(),
        });
        match (by_deadline, by_bound) {
            (Some(deadline), Some(bound)) if bound.at < deadline.at => Some(bound),
            (deadline, bound) => deadline.or(bound),
        }
    }

    /// True when the call's deadline has come at `now`.
    pub(crate) fn passed(&self, now: Instant) -> bool {
        self.deadline.is_some_and(|deadline| now >= deadline)
    }

    /// The time left before the call's deadline at `now`, if it has one.
    pub(crate) fn left(&self, now: Instant) -> Option<Duration> {
        self.deadline
            .map(|deadline| deadline.saturating_duration_since(now))
    }

    /// The error that ends the call because its deadline came: `error` is what the last attempt
    /// met (`None` when no attempt could be made).
    pub(crate) fn passed_error(&self, what: String, error: Option<Error>) -> Error {
        let given = self.given();
        let timed_out = match error {
            Some(error) => TimedOut::new(TimeoutKind::Deadline, given, Box::new(error)),
            None => TimedOut::new(TimeoutKind::Deadline, given, NoTimeLeft),
        };
        deadline_error(what, timed_out)
    }

    /// The error that ends the call because the retry of `error`, in `delay`, would start
    /// after the deadline, `left` away.
    pub(crate) fn retry_refused(
        &self,
        what: String,
        delay: Duration,
        left: Duration,
        error: Error,
    ) -> Error {
        let refused = RetryPastDeadline { delay, left, error };
        deadline_error(
            what,
            TimedOut::new(TimeoutKind::Deadline, self.given(), refused),
        )
    }

    /// The error that ends the call because the next request the rate limit allows, in
    /// `wait`, would start after the deadline, `left` away: nothing is sent, nothing slept.
    pub(crate) fn slot_refused(&self, what: String, wait: Duration, left: Duration) -> Error {
        let refused = SlotPastDeadline { wait, left };
        deadline_error(
            what,
            TimedOut::new(TimeoutKind::Deadline, self.given(), refused),
        )
    }

    /// How long the call was given, from its start to its deadline (in whole milliseconds,
    /// for messages).
    fn given(&self) -> Duration {
        millis(self.deadline.map_or(Duration::ZERO, |d| {
            d.saturating_duration_since(self.started)
        }))
    }
}

/// `duration` in whole milliseconds: what a message about a deadline needs.
fn millis(duration: Duration) -> Duration {
    Duration::from_millis(duration.as_millis().try_into().unwrap_or(u64::MAX))
}

/// A transport error of kind `Timeout` caused by `timed_out`.
fn deadline_error(what: String, timed_out: TimedOut) -> Error {
    Error::Transport(Box::new(TransportFailure::new(
        what,
        timed_out.into_transport_error(),
    )))
}

/// When an attempt must be over, and which limit says so: the call's deadline, or the
/// per-attempt bound (the document timeout).
#[derive(Clone, Copy, Debug)]
pub(crate) struct End {
    at: Instant,
    timeout: TimeoutKind,
    /// The limit's value, for the error: how long the call was given, or the per-attempt bound.
    limit: Duration,
}

/// Puts the attempt's end on `request`, for the transport.
pub(crate) fn mark(request: &mut Request<RequestBody>, end: Option<End>) {
    if let Some(end) = end {
        request.extensions_mut().insert(Deadline::at(end.at));
    }
}

/// The cause of a deadline error when the deadline came before an attempt could be made.
#[derive(Debug)]
struct NoTimeLeft;

impl fmt::Display for NoTimeLeft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no time was left for another attempt")
    }
}

impl std::error::Error for NoTimeLeft {}

/// The cause of a deadline error when the rate limit's next slot would have come after the
/// deadline.
#[derive(Debug)]
struct SlotPastDeadline {
    wait: Duration,
    left: Duration,
}

impl fmt::Display for SlotPastDeadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the rate limit's next slot, in {:?}, would start after the deadline, {:?} away",
            millis(self.wait),
            millis(self.left)
        )
    }
}

impl std::error::Error for SlotPastDeadline {}

/// The cause of a deadline error when a retry (often the server's `Retry-After`) would have
/// started after the deadline.
#[derive(Debug)]
struct RetryPastDeadline {
    delay: Duration,
    left: Duration,
    error: Error,
}

impl fmt::Display for RetryPastDeadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let asked = if self
            .error
            .api_error()
            .is_some_and(|e| e.retry_after.is_some())
        {
            " (as the server asked)"
        } else {
            ""
        };
        write!(
            f,
            "the retry, in {:?}{asked}, would start after the deadline, {:?} away",
            millis(self.delay),
            millis(self.left)
        )
    }
}

impl std::error::Error for RetryPastDeadline {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// The timeout error of a body read past the attempt's end (`cause`: the transport's own error,
/// when it failed the read at about that time).
fn late(end: &End, cause: Option<io::Error>) -> TimedOut {
    let cause = cause
        .unwrap_or_else(|| io::Error::new(io::ErrorKind::TimedOut, "the body was still arriving"));
    TimedOut::new(end.timeout, end.limit, cause)
}

/// A blocking body that fails once `end` has passed (checked before each read); a read the
/// transport failed once it had passed (its own timeout, set to the same end) fails as `end`'s
/// limit, so that the error names the call's deadline when that is what ran out.
struct BoundedRead {
    body: BlockingBody,
    end: End,
}

impl Read for BoundedRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if Instant::now() >= self.end.at {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                late(&self.end, None),
            ));
        }
        match self.body.read(buf) {
            Err(error) if Instant::now() >= self.end.at => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                late(&self.end, Some(error)),
            )),
            other => other,
        }
    }
}

/// `body`, read no later than `end` (unchanged without one).
pub(crate) fn bound_blocking(body: BlockingBody, end: Option<End>) -> BlockingBody {
    match end {
        Some(end) => BlockingBody::new(BoundedRead { body, end }),
        None => body,
    }
}

/// An async body that fails once `end` has passed (checked before each chunk), as
/// [`BoundedRead`] does.
#[cfg(feature = "async")]
struct BoundedChunks {
    body: AsyncBody,
    end: End,
}

#[cfg(feature = "async")]
#[async_trait]
impl AsyncBodyRead for BoundedChunks {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        if Instant::now() >= self.end.at {
            return Err(late(&self.end, None).into_transport_error());
        }
        match self.body.next_chunk().await {
            Err(error) if Instant::now() >= self.end.at => {
                let cause = io::Error::other(error);
                Err(late(&self.end, Some(cause)).into_transport_error())
            }
            other => other,
        }
    }
}

/// `body`, read no later than `end` (unchanged without one).
#[cfg(feature = "async")]
pub(crate) fn bound_async(body: AsyncBody, end: Option<End>) -> AsyncBody {
    match end {
        Some(end) => AsyncBody::new(BoundedChunks { body, end }),
        None => body,
    }
}
