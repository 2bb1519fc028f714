//! What every request needs to know: where the API is, the token, the user agent, size limits,
//! and the extension points (default headers, an attempt hook, a retry classifier).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::base_url::BaseUrl;
use crate::decoder::DEFAULT_MAX_ROW_BYTES;
use crate::error::{InvalidInput, Setting};
use crate::hooks::{AttemptHook, RetryClassifier};
use crate::rate_limit::RateLimit;
use crate::retry::RetryPolicy;
use crate::secret::Token;

/// The `User-Agent` this crate sends: its name and version.
pub const USER_AGENT: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));

/// Default limit for JSON documents read whole (a job, a page, a token): 16 MiB.
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// Default bound on each attempt of a call that reads a whole document (a job, a page, a
/// token): 60 s, so that a server that drips its answer cannot hold a call forever.
pub const DEFAULT_DOCUMENT_TIMEOUT: Duration = Duration::from_secs(60);

/// Settings shared by every request of a client.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    base_url: BaseUrl,
    token: Option<Token>,
    user_agent: String,
    max_document_bytes: usize,
    max_row_bytes: usize,
    document_timeout: Option<Duration>,
    deadline: Option<Instant>,
    retry_policy: RetryPolicy,
    rate_limit: Option<RateLimit>,
    allow_http: bool,
    default_headers: HeaderMap,
    attempt_hook: Option<Extension<dyn AttemptHook>>,
    retry_classifier: Option<Extension<dyn RetryClassifier>>,
}

/// A user's extension, shared by the clones of a configuration; its `Debug` only says it is set.
struct Extension<T: ?Sized>(Arc<T>);

impl<T: ?Sized> Clone for Extension<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T: ?Sized> fmt::Debug for Extension<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("set")
    }
}

impl ClientConfig {
    /// A configuration for the API at `base_url`, without a token yet.
    pub fn new(base_url: &str) -> Result<Self, InvalidInput> {
        Ok(Self::from_base_url(BaseUrl::parse(base_url)?))
    }

    /// A configuration for an already parsed base URL.
    pub fn from_base_url(base_url: BaseUrl) -> Self {
        Self {
            base_url,
            token: None,
            user_agent: USER_AGENT.to_owned(),
            max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
            max_row_bytes: DEFAULT_MAX_ROW_BYTES,
            document_timeout: Some(DEFAULT_DOCUMENT_TIMEOUT),
            deadline: None,
            retry_policy: RetryPolicy::default(),
            rate_limit: Some(RateLimit::FAIR_USE),
            allow_http: false,
            default_headers: HeaderMap::new(),
            attempt_hook: None,
            retry_classifier: None,
        }
    }

    /// Sets the API token sent with every request but token creation.
    pub fn with_token(mut self, token: impl Into<Token>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Puts a product name before this crate's in the `User-Agent` (e.g. `my-sync/2.1`).
    pub fn with_user_agent_prefix(mut self, product: &str) -> Self {
        self.user_agent = format!("{product} {USER_AGENT}");
        self
    }

    /// Sets the largest JSON document read whole (jobs, pages, tokens).
    pub fn with_max_document_bytes(mut self, bytes: usize) -> Self {
        self.max_document_bytes = bytes;
        self
    }

    /// Sets the largest output row accepted when streaming job data (default 8 MiB).
    pub fn with_max_row_bytes(mut self, bytes: usize) -> Self {
        self.max_row_bytes = bytes;
        self
    }

    /// Sets the bound on each attempt of a call that reads a whole document (a job, a page, a
    /// token, a file's status, a created job), body included, or removes it with `None`
    /// (default: [`DEFAULT_DOCUMENT_TIMEOUT`]). An attempt cut by it is retried like any
    /// timeout. Uploads (request bodies over 64 KiB), job rows and downloads, which may rightly
    /// take long, are not bound by it; a [deadline](Self::with_deadline) bounds everything.
    pub fn with_document_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.document_timeout = timeout;
        self
    }

    /// Sets when every call must be over, retries, pauses and waits included, or removes the
    /// deadline with `None` (the default). Each attempt gets only the time left (the
    /// transport is told through the request's [`Deadline`](crate::transport::Deadline)); a
    /// retry that would start after it (a `Retry-After` longer than the time left) is not
    /// made: the call ends at once with a timeout error of kind [`TimeoutKind::Deadline`]
    /// that says why. Give it to one stage of work with
    /// [`BlockingClient::with_config`](crate::BlockingClient::with_config).
    ///
    /// [`TimeoutKind::Deadline`]: crate::TimeoutKind::Deadline
    pub fn with_deadline(mut self, deadline: Option<Instant>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Sets how GET requests are retried (default: [`RetryPolicy::default`]).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = policy;
        self
    }

    /// Sets the client-side request rate limit, or turns it off with `None`
    /// (default: [`RateLimit::FAIR_USE`], the API's documented 10 requests per second).
    pub fn with_rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.rate_limit = limit;
        self
    }

    /// Allows a plain `http://` base URL on a host other than loopback. Off by default: the
    /// token would cross the network in clear text.
    pub fn with_allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Adds a header to every request (a tenant or tracing header a proxy expects). The
    /// headers the client sets itself (`Authorization`, `Accept`, `Content-Type`,
    /// `Content-Length`, `User-Agent`) take precedence over default ones of the same name.
    pub fn with_default_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.default_headers.append(name, value);
        self
    }

    /// Sets the hook that sees each attempt of each operation (metrics, logs, request ids).
    pub fn with_attempt_hook(mut self, hook: impl AttemptHook + 'static) -> Self {
        self.attempt_hook = Some(Extension(Arc::new(hook)));
        self
    }

    /// Sets what decides whether a failed read is retried, in place of the built-in
    /// classification; the attempt bound and delays stay the [`RetryPolicy`]'s.
    pub fn with_retry_classifier(mut self, classifier: impl RetryClassifier + 'static) -> Self {
        self.retry_classifier = Some(Extension(Arc::new(classifier)));
        self
    }

    /// The headers added to every request.
    pub fn default_headers(&self) -> &HeaderMap {
        &self.default_headers
    }

    pub(crate) fn attempt_hook(&self) -> Option<&dyn AttemptHook> {
        self.attempt_hook.as_ref().map(|hook| &*hook.0)
    }

    pub(crate) fn retry_classifier(&self) -> Option<&dyn RetryClassifier> {
        self.retry_classifier
            .as_ref()
            .map(|classifier| &*classifier.0)
    }

    /// Refuses to send the token in clear text: `http://` is only for loopback hosts (the fake
    /// server, a local proxy) unless [`with_allow_http`](Self::with_allow_http) says otherwise.
    pub(crate) fn check_transport_security(&self) -> Result<(), InvalidInput> {
        let url = &self.base_url;
        if url.is_https() || self.allow_http || url.is_loopback() {
            return Ok(());
        }
        Err(InvalidInput::new(
            "base URL",
            format!(
                "{url} is plain http on a host that is not loopback: the token would travel in clear \
                 text; use https"
            ),
        )
        .allowed_by(Setting::AllowHttp))
    }

    /// The base URL.
    pub fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    /// The token, if one is set.
    pub fn token(&self) -> Option<&Token> {
        self.token.as_ref()
    }

    /// The `User-Agent` header value.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// The largest JSON document read whole.
    pub fn max_document_bytes(&self) -> usize {
        self.max_document_bytes
    }

    /// The largest output row accepted when streaming job data.
    pub fn max_row_bytes(&self) -> usize {
        self.max_row_bytes
    }

    /// The bound on each attempt of a call that reads a whole document, if any.
    pub fn document_timeout(&self) -> Option<Duration> {
        self.document_timeout
    }

    /// When every call must be over, if ever.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// How GET requests are retried.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry_policy
    }

    /// The client-side rate limit, if any.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.rate_limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback_unless_allowed() {
        for ok in [
            "https://sdm.akeneo.cloud/api/v1/",
            "http://127.0.0.1:8080/",
            "http://127.3.2.1/",
            "http://[::1]:9/",
            "http://localhost:1/",
        ] {
            assert!(
                ClientConfig::new(ok)
                    .unwrap()
                    .check_transport_security()
                    .is_ok(),
                "{ok}"
            );
        }
        for refused in [
            "http://sdm.akeneo.cloud/api/v1/",
            "http://10.0.0.5/",
            "http://localhost.evil.example/",
            "http://[::2]/",
        ] {
            let config = ClientConfig::new(refused).unwrap();
            let error = config.check_transport_security().unwrap_err();
            assert_eq!(error.allowed_by, Some(Setting::AllowHttp), "{error}");
            assert!(!error.reason.contains("--"), "no front end's flag: {error}");
            assert!(
                config
                    .with_allow_http(true)
                    .check_transport_security()
                    .is_ok()
            );
        }
    }
}
