//! Every way an operation can fail, as typed values with a one-line `Display` and a source chain.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::StatusCode;

use crate::decoder::RowError;

/// What went wrong with an operation.
///
/// `Display` is one line: what was being done, what happened, the server's `detail`.
/// Match on the variant to react (re-authenticate on [`Error::Authentication`], give up on
/// [`Error::NotFound`], back off on [`Error::RateLimited`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The server refused the token or the credentials (HTTP 401).
    Authentication(Box<ApiError>),
    /// The token is valid but may not do this (HTTP 403).
    Permission(Box<ApiError>),
    /// The job, output format or page does not exist (HTTP 404).
    NotFound(Box<ApiError>),
    /// Over the fair-use limit (HTTP 429); see [`ApiError::retry_after`].
    RateLimited(Box<ApiError>),
    /// Any other non-success response (400 with field errors, 5xx from the server or a proxy, …).
    Api(Box<ApiError>),
    /// A success response whose body is not what the API documents.
    Decode(Box<DecodeError>),
    /// A response larger than the configured limit.
    TooLarge(TooLargeError),
    /// A job's output rows could not be read: the body was cut short, is not a JSON array of
    /// objects, has a row over the size limit, or a row does not fit the requested type.
    Output(Box<OutputError>),
    /// The request could not be sent or the response not received.
    Transport(Box<TransportFailure>),
    /// An argument was refused before any request was made.
    InvalidInput(InvalidInput),
    /// A create (`POST`) failed in a way that leaves unknown whether the server acted on it: a
    /// timeout, a connection lost after the request went out, a 5xx. It was not sent again;
    /// the file or job may exist. [`Unconfirmed::error`] is what happened.
    Unconfirmed(Box<Unconfirmed>),
    /// A walk over every page of a listing (jobs, projects) could not see every item the server
    /// announced: a later page answered 404 or came back empty, or the pages did not end within
    /// the bound its `count` allows. The items before it were handed out; this says they are
    /// not the whole listing.
    Incomplete(Box<Incomplete>),
}

impl Error {
    /// The HTTP status of the response that caused the error, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Authentication(e)
            | Error::Permission(e)
            | Error::NotFound(e)
            | Error::RateLimited(e)
            | Error::Api(e) => Some(e.status),
            Error::Decode(e) => Some(e.status),
            Error::Unconfirmed(e) => e.error.status(),
            Error::TooLarge(_)
            | Error::Output(_)
            | Error::Transport(_)
            | Error::InvalidInput(_)
            | Error::Incomplete(_) => None,
        }
    }

    /// Records that the request was sent `attempts` times before this error was kept.
    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        match &mut self {
            Error::Authentication(e)
            | Error::Permission(e)
            | Error::NotFound(e)
            | Error::RateLimited(e)
            | Error::Api(e) => e.attempts = attempts,
            Error::Transport(e) => e.attempts = attempts,
            // Wrapped after the attempts were counted.
            Error::Unconfirmed(_)
            | Error::Decode(_)
            | Error::TooLarge(_)
            | Error::Output(_)
            | Error::InvalidInput(_)
            | Error::Incomplete(_) => {}
        }
        self
    }

    /// Which timeout ran out, when the error is a transport timeout whose transport said so.
    pub fn timed_out(&self) -> Option<&TimedOut> {
        let Error::Transport(failure) = self.underlying() else {
            return None;
        };
        let mut cause: Option<&(dyn StdError + 'static)> = Some(&failure.error);
        while let Some(error) = cause {
            if let Some(timed_out) = error.downcast_ref::<TimedOut>() {
                return Some(timed_out);
            }
            cause = error.source();
        }
        None
    }

    /// The client setting this error is about: the limit that was exceeded, or the setting
    /// that would allow a refused input. Front ends turn it into their own advice.
    pub fn setting(&self) -> Option<Setting> {
        match self.underlying() {
            Error::TooLarge(e) => Some(e.setting),
            Error::Output(e) if matches!(e.error, RowError::RowTooLarge { .. }) => {
                Some(Setting::MaxRowBytes)
            }
            Error::InvalidInput(e) => e.allowed_by,
            _ => None,
        }
    }

    /// What happened, looking through [`Error::Unconfirmed`] (which says what may exist
    /// besides): the error itself for every other variant.
    pub fn underlying(&self) -> &Error {
        match self {
            Error::Unconfirmed(e) => &e.error,
            other => other,
        }
    }

    /// The error response's details, for the variants that come from an HTTP error status.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self.underlying() {
            Error::Authentication(e)
            | Error::Permission(e)
            | Error::NotFound(e)
            | Error::RateLimited(e)
            | Error::Api(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Authentication(e)
            | Error::Permission(e)
            | Error::NotFound(e)
            | Error::RateLimited(e)
            | Error::Api(e) => e.fmt(f),
            Error::Decode(e) => e.fmt(f),
            Error::TooLarge(e) => e.fmt(f),
            Error::Output(e) => e.fmt(f),
            Error::Transport(e) => e.fmt(f),
            Error::InvalidInput(e) => e.fmt(f),
            Error::Unconfirmed(e) => e.fmt(f),
            Error::Incomplete(e) => e.fmt(f),
        }
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Error::Unconfirmed(e) => e.error.source(),
            Error::Transport(e) => e.source(),
            Error::Decode(e) => e.source(),
            Error::Output(e) => e.source(),
            Error::Incomplete(e) => e.source(),
            _ => None,
        }
    }
}

impl From<InvalidInput> for Error {
    fn from(error: InvalidInput) -> Self {
        Error::InvalidInput(error)
    }
}

/// A non-success HTTP response, with what the server said about it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// What the client was doing, e.g. `get job 9f1c3a52-…`.
    pub what: String,
    /// The response status.
    pub status: StatusCode,
    /// The server's `detail` (or `non_field_errors`) message.
    pub detail: Option<String>,
    /// Per-field messages of a 400 response, in the server's order.
    pub field_errors: Vec<FieldError>,
    /// The `Retry-After` header, when the server sent a valid one.
    pub retry_after: Option<RetryAfter>,
    /// The start of the body when it was not a JSON error object (an HTML page from a proxy).
    pub excerpt: Option<String>,
    /// Where a redirect (3xx) points: often the sign of a wrong base URL (`http` for `https`, a
    /// missing path prefix). Redirects are reported, never followed with the token.
    pub location: Option<String>,
    /// How many times the request was sent before giving up (1 when it was not retried).
    pub attempts: u32,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.status.as_u16() {
            300..=399 => "unexpected redirect",
            400 => "request rejected",
            401 => "authentication refused",
            403 => "permission denied",
            404 => "not found",
            429 => "rate limited",
            500..=599 => "server error",
            _ => "unexpected response",
        };
        write!(f, "{}: {label} (HTTP {})", self.what, self.status)?;
        if let Some(location) = &self.location {
            write!(f, " to {location}")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        for field in &self.field_errors {
            write!(f, "; {}: {}", field.field, field.messages.join(" "))?;
        }
        if let Some(retry_after) = &self.retry_after {
            write!(f, " (retry after {retry_after})")?;
        }
        if let Some(excerpt) = &self.excerpt {
            write!(f, "; body: {excerpt}")?;
        }
        write_attempts(f, self.attempts)
    }
}

/// Says how many attempts were made, when there was more than one.
fn write_attempts(f: &mut fmt::Formatter<'_>, attempts: u32) -> fmt::Result {
    if attempts > 1 {
        write!(f, " (gave up after {attempts} attempts)")?;
    }
    Ok(())
}

/// The messages the server gave for one request field (Django REST Framework validation errors).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldError {
    /// The field name (e.g. `email`, `created_after`).
    pub field: String,
    /// The server's messages for it.
    pub messages: Vec<String>,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: impl Into<String>, messages: Vec<String>) -> Self {
        Self {
            field: field.into(),
            messages,
        }
    }
}

/// The `Retry-After` header: a delay in seconds, or an HTTP date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    /// Wait this long.
    Delay(Duration),
    /// Wait until this time.
    At(DateTime<Utc>),
}

impl RetryAfter {
    /// Parses a header value. Garbage gives `None` (the caller then backs off on its own).
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            // Huge values saturate rather than fail: the caller caps the wait anyway.
            let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
            return Some(RetryAfter::Delay(Duration::from_secs(seconds)));
        }
        DateTime::parse_from_rfc2822(value)
            .ok()
            .map(|date| RetryAfter::At(date.with_timezone(&Utc)))
    }

    /// How long to wait counted from `now` (zero for a date in the past).
    pub fn delay_from(&self, now: DateTime<Utc>) -> Duration {
        match self {
            RetryAfter::Delay(delay) => *delay,
            RetryAfter::At(at) => (*at - now).to_std().unwrap_or(Duration::ZERO),
        }
    }
}

impl fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryAfter::Delay(delay) => write!(f, "{}s", delay.as_secs()),
            RetryAfter::At(at) => write!(f, "{}", at.format("%Y-%m-%dT%H:%M:%SZ")),
        }
    }
}

/// A success response whose body could not be decoded.
#[derive(Debug)]
#[non_exhaustive]
pub struct DecodeError {
    /// What the client was doing.
    pub what: String,
    /// The response status.
    pub status: StatusCode,
    /// Where in the JSON document decoding failed, e.g. `results[3].status` (`.` for the root).
    pub path: String,
    /// What was wrong there.
    pub message: String,
    /// A bounded excerpt of the body around the failure.
    pub excerpt: String,
    source: Option<serde_json::Error>,
}

impl DecodeError {
    pub(crate) fn new(
        what: String,
        status: StatusCode,
        path: String,
        message: String,
        excerpt: String,
        source: Option<serde_json::Error>,
    ) -> Self {
        Self {
            what,
            status,
            path,
            message,
            excerpt,
            source,
        }
    }
}

impl DecodeError {
    /// The same error without anything quoted from the body (a body that carries a secret):
    /// the excerpt goes, and the message keeps only serde_json's category and position.
    pub(crate) fn redacted(self) -> Self {
        let message = match &self.source {
            Some(source) => format!(
                "{} at line {} column {} (body not shown: it may hold a secret)",
                match source.classify() {
                    serde_json::error::Category::Io => "I/O error",
                    serde_json::error::Category::Syntax => "invalid JSON",
                    serde_json::error::Category::Data => "unexpected content",
                    serde_json::error::Category::Eof => "the body ended early",
                },
                source.line(),
                source.column()
            ),
            None => "unexpected content (body not shown: it may hold a secret)".to_owned(),
        };
        Self {
            message,
            excerpt: String::new(),
            source: None,
            ..self
        }
    }
}

impl DecodeError {
    /// The same error with `mask` applied to the texts taken from the body (the path, the
    /// message, the cause) and `mask_excerpt` to the excerpt. A cause whose text changes is
    /// replaced by one with the masked text.
    pub(crate) fn masked(
        self,
        mask: impl Fn(&str) -> String,
        mask_excerpt: impl Fn(&str) -> String,
    ) -> Self {
        let source = self.source.map(|source| {
            let text = source.to_string();
            let masked = mask(&text);
            if masked == text {
                source
            } else {
                <serde_json::Error as serde::de::Error>::custom(masked)
            }
        });
        Self {
            path: mask(&self.path),
            message: mask(&self.message),
            excerpt: mask_excerpt(&self.excerpt),
            source,
            ..self
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: could not decode the response (HTTP {}) ",
            self.what, self.status
        )?;
        if self.path == "." {
            write!(f, "at the top level")?;
        } else {
            write!(f, "at `{}`", self.path)?;
        }
        write!(f, ": {}", self.message)?;
        if !self.excerpt.is_empty() {
            write!(f, "; body: {}", self.excerpt)?;
        }
        Ok(())
    }
}

impl StdError for DecodeError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}

/// Job output that could not be read as rows.
#[derive(Debug)]
#[non_exhaustive]
pub struct OutputError {
    /// What the client was doing.
    pub what: String,
    /// What was wrong with the rows.
    pub error: RowError,
}

impl OutputError {
    pub(crate) fn new(what: String, error: RowError) -> Self {
        Self { what, error }
    }
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.error)
    }
}

impl StdError for OutputError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.error.source()
    }
}

/// A client setting an error names: the one whose value made the request fail, or that would
/// allow it. Front ends phrase the advice (a flag, a method) in their own terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Setting {
    /// The largest JSON document read whole ([`ClientConfig::with_max_document_bytes`]).
    ///
    /// [`ClientConfig::with_max_document_bytes`]: crate::ClientConfig::with_max_document_bytes
    MaxDocumentBytes,
    /// The largest output row ([`ClientConfig::with_max_row_bytes`]).
    ///
    /// [`ClientConfig::with_max_row_bytes`]: crate::ClientConfig::with_max_row_bytes
    MaxRowBytes,
    /// Plain `http://` to a host that is not loopback ([`ClientConfig::with_allow_http`]).
    ///
    /// [`ClientConfig::with_allow_http`]: crate::ClientConfig::with_allow_http
    AllowHttp,
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Setting::MaxDocumentBytes => "the document size limit",
            Setting::MaxRowBytes => "the row size limit",
            Setting::AllowHttp => "allowing plain http",
        })
    }
}

/// Which of a transport's [`Timeouts`](crate::transport::Timeouts) ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// Establishing the connection.
    Connect,
    /// Waiting for the response, or for the next piece of its body.
    Read,
    /// The whole request, body included.
    Overall,
    /// The call's deadline ([`ClientConfig::with_deadline`], a wait's timeout): no time was
    /// left for the call to go on. Not retried.
    ///
    /// [`ClientConfig::with_deadline`]: crate::ClientConfig::with_deadline
    Deadline,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::Connect => "connect",
            TimeoutKind::Read => "read",
            TimeoutKind::Overall => "overall",
            TimeoutKind::Deadline => "deadline",
        })
    }
}

/// A response body over a configured size limit.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TooLargeError {
    /// What the client was doing.
    pub what: String,
    /// The limit, in bytes.
    pub limit: usize,
    /// The setting that holds the limit.
    pub setting: Setting,
}

impl TooLargeError {
    pub(crate) fn new(what: String, limit: usize, setting: Setting) -> Self {
        Self {
            what,
            limit,
            setting,
        }
    }
}

impl fmt::Display for TooLargeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: the response is larger than {} of {} bytes",
            self.what, self.setting, self.limit
        )
    }
}

/// How a transport failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (refused, unreachable, DNS). Retried: nothing was sent.
    Connect,
    /// TLS failed: a certificate that does not verify, a handshake that failed, a server that
    /// does not speak TLS. Never retried: a second try meets the same certificate. Transports
    /// report every TLS failure with this kind, whatever their TLS library.
    Tls,
    /// The connect or request timeout passed.
    Timeout,
    /// The connection broke while sending the request or reading the response.
    Io,
    /// Anything else the HTTP library reported.
    Other,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Connect => "could not connect to the server",
            TransportErrorKind::Tls => "the TLS connection to the server failed",
            TransportErrorKind::Timeout => "the request timed out",
            TransportErrorKind::Io => "the connection failed",
            TransportErrorKind::Other => "the HTTP request failed",
        })
    }
}

/// The error a transport returns: a kind the client can act on and the library's own error.
#[derive(Debug)]
pub struct TransportError {
    kind: TransportErrorKind,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl TransportError {
    /// An error of the given kind, caused by `source`.
    pub fn new(
        kind: TransportErrorKind,
        source: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            kind,
            source: Some(source.into()),
        }
    }

    /// An error of the given kind with no underlying cause.
    pub fn from_kind(kind: TransportErrorKind) -> Self {
        Self { kind, source: None }
    }

    /// How the transport failed.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as _)
    }
}

impl From<std::io::Error> for TransportError {
    fn from(error: std::io::Error) -> Self {
        // A transport reading a body through `Read` can only return I/O errors: one carrying a
        // `TimedOut` is unwrapped so the chain still says which timeout ran out.
        if error.get_ref().is_some_and(|inner| inner.is::<TimedOut>()) {
            let kind = error.kind();
            if let Some(inner) = error.into_inner() {
                return match inner.downcast::<TimedOut>() {
                    Ok(timed_out) => TransportError::new(TransportErrorKind::Timeout, *timed_out),
                    Err(other) => TransportError::new(io_kind(kind), other),
                };
            }
            return TransportError::from_kind(TransportErrorKind::Timeout);
        }
        TransportError::new(io_kind(error.kind()), error)
    }
}

/// The transport error kind of an I/O error kind.
fn io_kind(kind: std::io::ErrorKind) -> TransportErrorKind {
    match kind {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
            TransportErrorKind::Timeout
        }
        std::io::ErrorKind::ConnectionRefused => TransportErrorKind::Connect,
        _ => TransportErrorKind::Io,
    }
}

/// Which timeout ran out, with its value: the cause a transport gives to an error of kind
/// [`TransportErrorKind::Timeout`]. [`Error::timed_out`] finds it.
#[derive(Debug)]
pub struct TimedOut {
    /// The timeout that ran out.
    pub timeout: TimeoutKind,
    /// Its value.
    pub limit: Duration,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl TimedOut {
    /// The `timeout` of `limit` ran out; `source` is the HTTP library's own error.
    pub fn new(
        timeout: TimeoutKind,
        limit: Duration,
        source: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            timeout,
            limit,
            source: Some(source.into()),
        }
    }

    /// The transport error (kind `Timeout`) this is the cause of.
    pub fn into_transport_error(self) -> TransportError {
        TransportError::new(TransportErrorKind::Timeout, self)
    }
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.timeout == TimeoutKind::Deadline {
            return write!(
                f,
                "the call's deadline, {:?} after it began, leaves no time to go on",
                self.limit
            );
        }
        write!(
            f,
            "nothing happened within the {} timeout of {:?}",
            self.timeout, self.limit
        )
    }
}

impl StdError for TimedOut {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as _)
    }
}

/// A transport error, with what the client was doing when it happened.
#[derive(Debug)]
#[non_exhaustive]
pub struct TransportFailure {
    /// What the client was doing.
    pub what: String,
    /// The transport's error.
    pub error: TransportError,
    /// How many times the request was sent before giving up (1 when it was not retried).
    pub attempts: u32,
}

impl TransportFailure {
    pub(crate) fn new(what: String, error: TransportError) -> Self {
        Self {
            what,
            error,
            attempts: 1,
        }
    }
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.error)?;
        write_attempts(f, self.attempts)
    }
}

impl StdError for TransportFailure {
    // The transport error's own text is already in `Display`; the chain goes on from its cause.
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.error.source()
    }
}

/// An argument refused before any request was made.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvalidInput {
    /// What was refused, e.g. `job id`.
    pub what: &'static str,
    /// Why.
    pub reason: String,
    /// The setting that would allow it, when one would (e.g. [`Setting::AllowHttp`]).
    pub allowed_by: Option<Setting>,
}

impl InvalidInput {
    /// Builds an invalid-input error.
    pub fn new(what: &'static str, reason: impl Into<String>) -> Self {
        Self {
            what,
            reason: reason.into(),
            allowed_by: None,
        }
    }

    /// The same error, naming the setting that would allow the input.
    pub(crate) fn allowed_by(self, setting: Setting) -> Self {
        Self {
            allowed_by: Some(setting),
            ..self
        }
    }
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.what, self.reason)
    }
}

impl StdError for InvalidInput {}

/// What a create that may or may not have happened was about, and how to find out.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Created {
    /// An uploaded file (there is no listing of files: an unused upload is harmless, nothing
    /// happens to it until a job is created from it).
    File {
        /// The file's name, or what was uploaded.
        name: String,
    },
    /// A job on a project: list the project's jobs created since the request was sent.
    Job {
        /// The job's name.
        name: String,
        /// The project it was created on.
        project: crate::model::ProjectId,
    },
}

/// A create that failed in a way that leaves unknown whether the server acted on it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Unconfirmed {
    /// What may have been created.
    pub created: Created,
    /// When the request was sent: anything it created is at least this recent.
    pub sent_at: DateTime<Utc>,
    /// What happened.
    pub error: Error,
}

impl Unconfirmed {
    pub(crate) fn file(name: String, sent_at: DateTime<Utc>, error: Error) -> Error {
        Self::wrap(Created::File { name }, sent_at, error)
    }

    pub(crate) fn job(
        name: String,
        project: crate::model::ProjectId,
        sent_at: DateTime<Utc>,
        error: Error,
    ) -> Error {
        Self::wrap(Created::Job { name, project }, sent_at, error)
    }

    fn wrap(created: Created, sent_at: DateTime<Utc>, error: Error) -> Error {
        Error::Unconfirmed(Box::new(Unconfirmed {
            created,
            sent_at,
            error,
        }))
    }
}

impl fmt::Display for Unconfirmed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let since = self
            .sent_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        write!(f, "{}; it was not sent again, ", self.error)?;
        match &self.created {
            Created::File { name } => write!(
                f,
                "so {name:?} may have been uploaded anyway (an unused upload is harmless: \
                 uploading again is safe)"
            ),
            Created::Job { name, project } => write!(
                f,
                "so job {name:?} may have been created anyway: list the jobs of project \
                 {project} created since {since} before creating it again"
            ),
        }
    }
}

/// A walk over every page of a listing that stopped short of the `count` the server announced,
/// rather than hand out part of the listing as if it were all of it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Incomplete {
    /// What the client was doing, e.g. `list jobs`.
    pub what: String,
    /// What the listing holds, for messages: `jobs`, `projects`.
    pub items: &'static str,
    /// How many distinct items were handed out before the walk stopped.
    pub seen: u64,
    /// The `count` the server announced on the latest page it served.
    pub count: u64,
    /// The page at which the walk stopped.
    pub page: u64,
    /// Why it stopped.
    pub reason: Shortfall,
    source: Option<Error>,
}

impl Incomplete {
    pub(crate) fn new(
        what: String,
        items: &'static str,
        (seen, count, page): (u64, u64, u64),
        reason: Shortfall,
        source: Option<Error>,
    ) -> Self {
        Self {
            what,
            items,
            seen,
            count,
            page,
            reason,
            source,
        }
    }
}

/// Why a walk over every page of a listing stopped short of its `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Shortfall {
    /// The page answered 404, again after the page before it was fetched anew and still
    /// announced more items.
    PageNotFound,
    /// The page came back empty, again after the page before it was fetched anew.
    EmptyPage,
    /// The walk read `max_pages` pages, the most its first page's `count` allows (with a
    /// margin for items created during the walk), and the server still announced more: pages
    /// that repeat items already seen, or a `count` that keeps growing.
    TooManyPages {
        /// The bound that was reached.
        max_pages: u64,
    },
}

impl fmt::Display for Incomplete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            what,
            items,
            seen,
            count,
            page,
            ..
        } = self;
        match self.reason {
            Shortfall::PageNotFound => write!(
                f,
                "{what}: the listing ended after {seen} of {count} {items} (page {page} answered 404)"
            ),
            Shortfall::EmptyPage => write!(
                f,
                "{what}: the listing ended after {seen} of {count} {items} (page {page} was empty)"
            ),
            Shortfall::TooManyPages { max_pages } => write!(
                f,
                "{what}: the listing did not end within {max_pages} pages, the most its count \
                 allows: {seen} of {count} {items} seen (its pages repeat {items} already seen, \
                 or its count keeps growing)"
            ),
        }
    }
}

impl StdError for Incomplete {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}
