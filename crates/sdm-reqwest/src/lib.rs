//! An async client for the Akeneo Supplier Data Manager (SDM) jobs API, over [`reqwest`] (tokio).
//!
//! This crate is a thin transport: the protocol, errors and client logic live in
//! [`sdm_core`], re-exported here so one dependency is enough.
//!
//! ```no_run
//! use sdm_reqwest::{Client, JobQuery, JobStatus};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new("https://sdm.akeneo.cloud/api/v1/", std::env::var("SDM_TOKEN")?)?;
//! let page = client.list_jobs(&JobQuery::new().status(JobStatus::Error)).await?;
//! for job in page.results {
//!     println!("{} {}", job.id, job.name.unwrap_or_default());
//! }
//! # Ok(()) }
//! ```
//!
//! # Features
//!
//! - `rustls` (default): TLS in pure Rust, with the webpki root certificates.
//! - `native-tls`: the platform's TLS library instead (`default-features = false,
//!   features = ["native-tls"]`). When both are enabled, rustls is used.

#![deny(missing_docs)]

use std::fmt;
use std::time::Duration;

// What a program using this client names; the rest of sdm-core (operations, state machines,
// the transport seam) is under `sdm_core`, re-exported whole below.
/// The HTTP library, so that [`ReqwestTransport::from_client`] needs no version-matched
/// dependency.
pub use reqwest;
/// The sans-IO core this client is built on (operations, state machines, the transport seam).
pub use sdm_core;
pub use sdm_core::transport::Timeouts;
pub use sdm_core::{
    ApiError, BaseUrl, ClientConfig, DEFAULT_BASE_URL, DEFAULT_MAX_DOCUMENT_BYTES,
    DEFAULT_MAX_ROW_BYTES, DecodeError, Error, FieldError, InvalidInput, Job, JobId, JobQuery,
    JobStatus, JobSummary, OutputError, OutputFormatId, Page, PagerOptions, Password, ProjectId,
    ProjectRef, RateLimit, RetryAfter, RetryPolicy, Row, RowError, Setting, Step, TimedOut, TimeoutKind, Token,
    TooLargeError, TransportError, TransportErrorKind, TransportFailure, WaitOptions, WaitOutcome,
};
pub use sdm_core::{AsyncClient, AsyncRowReader, JobStream};

use async_trait::async_trait;
use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::{HeaderValue, Request, Response};
use sdm_core::transport::{AsyncBody, AsyncBodyRead, AsyncTransport, RequestBody};

/// The async client over reqwest.
pub type Client = AsyncClient<ReqwestTransport>;

/// An [`AsyncTransport`] over a [`reqwest::Client`]: connection pooling, rustls, timeouts, no
/// redirects followed (so the token never travels to another origin), tokio for sleeping.
#[derive(Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    /// The timeouts the client was built with, to name the one that ran out (unknown for a
    /// client configured by the caller).
    timeouts: Option<Timeouts>,
}

impl ReqwestTransport {
    /// A transport with the default timeouts ([`Timeouts::DEFAULT`]).
    pub fn new() -> Self {
        Self::with_timeouts(Timeouts::DEFAULT)
    }

    /// A transport with these timeouts.
    ///
    /// # Panics
    /// If the TLS backend cannot be initialised (no usable crypto provider), as reqwest does.
    pub fn with_timeouts(timeouts: Timeouts) -> Self {
        let mut builder = tls_backend(reqwest::Client::builder())
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeouts.connect)
            .read_timeout(timeouts.read);
        if let Some(overall) = timeouts.overall {
            builder = builder.timeout(overall);
        }
        let client = builder.build().expect("the TLS backend initialises");
        Self {
            client,
            timeouts: Some(timeouts),
        }
    }

    /// A transport over a client configured by the caller. It should not follow redirects
    /// (`redirect(Policy::none())`): the clients report them as errors instead.
    pub fn from_client(client: reqwest::Client) -> Self {
        Self {
            client,
            timeouts: None,
        }
    }
}

impl Default for ReqwestTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ReqwestTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestTransport").finish_non_exhaustive()
    }
}

/// The TLS library chosen by the crate features: rustls unless only `native-tls` is enabled.
fn tls_backend(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    #[cfg(feature = "rustls")]
    let builder = builder.use_rustls_tls();
    #[cfg(all(feature = "native-tls", not(feature = "rustls")))]
    let builder = builder.use_native_tls();
    builder
}

#[async_trait]
impl AsyncTransport for ReqwestTransport {
    async fn send(
        &self,
        request: Request<RequestBody>,
    ) -> Result<Response<AsyncBody>, TransportError> {
        let (mut head, body) = request.into_parts();
        // Always a length, never chunked: Django deployments commonly refuse chunked bodies.
        if !body.is_empty() {
            head.headers
                .entry(CONTENT_LENGTH)
                .or_insert_with(|| HeaderValue::from(body.len()));
        }
        let body = match body.as_bytes() {
            Some(bytes) => reqwest::Body::from(bytes.to_vec()),
            // Read from disk as hyper asks for more: 64 KiB at a time, from page cache or disk,
            // short enough not to hold up the runtime.
            None => reqwest::Body::wrap_stream(futures_util::stream::iter(body.reader())),
        };
        let request = reqwest::Request::try_from(Request::from_parts(head, body))
            .map_err(|e| TransportError::new(TransportErrorKind::Other, e))?;
        let response = self
            .client
            .execute(request)
            .await
            .map_err(|e| transport_error(e, self.timeouts))?;
        let mut head = Response::builder()
            .status(response.status())
            .version(response.version());
        if let Some(headers) = head.headers_mut() {
            *headers = response.headers().clone();
        }
        head.body(AsyncBody::new(ReqwestBody {
            response,
            timeouts: self.timeouts,
        }))
        .map_err(|e| TransportError::new(TransportErrorKind::Other, e))
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// A reqwest response read chunk by chunk.
struct ReqwestBody {
    response: reqwest::Response,
    timeouts: Option<Timeouts>,
}

#[async_trait]
impl AsyncBodyRead for ReqwestBody {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        let timeouts = self.timeouts;
        self.response
            .chunk()
            .await
            .map_err(|e| transport_error(e, timeouts))
    }
}

fn transport_error(error: reqwest::Error, timeouts: Option<Timeouts>) -> TransportError {
    if error.is_timeout() {
        // reqwest does not say which timeout ran out: a connect error is the connect timeout;
        // otherwise it is the read timeout, unless an overall one is set too (then either).
        let named = timeouts.and_then(|t| match (error.is_connect(), t.overall) {
            (true, _) => Some((TimeoutKind::Connect, t.connect)),
            (false, None) => Some((TimeoutKind::Read, t.read)),
            (false, Some(_)) => None,
        });
        return match named {
            Some((setting, limit)) => TimedOut::new(setting, limit, error).into_transport_error(),
            None => TransportError::new(TransportErrorKind::Timeout, error),
        };
    }
    // Every TLS failure is `Tls`. rustls reports its failures (a certificate that does not
    // verify, a handshake with a server that does not speak TLS) as I/O errors of kind
    // `InvalidData`, which hyper-rustls hands up inside other I/O errors: look into each.
    fn rustls_failed(error: &reqwest::Error) -> bool {
        let mut cause = std::error::Error::source(error);
        while let Some(error) = cause {
            cause = match error.downcast_ref::<std::io::Error>() {
                Some(io) if io.kind() == std::io::ErrorKind::InvalidData => return true,
                Some(io) => io.get_ref().map(|inner| inner as _),
                None => error.source(),
            };
        }
        false
    }
    let kind = if cfg!(feature = "rustls") && rustls_failed(&error) {
        TransportErrorKind::Tls
    } else if error.is_connect() {
        TransportErrorKind::Connect
    } else if error.is_request() || error.is_body() || error.is_decode() {
        TransportErrorKind::Io
    } else {
        TransportErrorKind::Other
    };
    TransportError::new(kind, error)
}
