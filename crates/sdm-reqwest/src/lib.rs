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
//! Each follows what reqwest 0.13 offers; the defaults are reqwest's, but for HTTP/2.
//!
//! | feature | TLS library | cryptography | trusted roots |
//! |---|---|---|---|
//! | `rustls` (default) | rustls | aws-lc-rs (needs a C compiler to build) | the operating system's, through its verifier (`rustls-platform-verifier`) |
//! | `rustls-ring` | rustls | ring | the operating system's |
//! | `rustls-no-provider` | rustls | the process-wide default provider, installed by the program before it builds a transport (`rustls::crypto::CryptoProvider::install_default`) | the operating system's |
//! | `webpki-roots` | (with any) | | Mozilla's, compiled in (`webpki-root-certs`), instead of the operating system's |
//! | `native-tls` | the platform's (OpenSSL on Linux: its development files are needed to build) | the library's | the operating system's |
//!
//! - `http2`: HTTP/2 with servers that offer it (ALPN), as reqwest does by default. Off here:
//!   the API is served as well over HTTP/1.1, and `h2` is a dozen crates more to build.
//!
//! Turn the default off to choose another (`default-features = false, features =
//! ["rustls-ring"]`). When several are on, rustls is used over native-tls, and ring over
//! aws-lc-rs. With none, the transport speaks plain `http://` only (the fake server, a local
//! proxy).

#![deny(missing_docs)]

use std::fmt;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

// What a program using this client names; the rest of sdm-core (operations, state machines,
// the transport seam) is under `sdm_core`, re-exported whole below.
/// The HTTP library, so that [`ReqwestTransport::from_client`] needs no version-matched
/// dependency.
pub use reqwest;
/// The sans-IO core this client is built on (operations, state machines, the transport seam).
pub use sdm_core;
pub use sdm_core::transport::Timeouts;
pub use sdm_core::{
    ApiError, Attempt, AttemptHook, AttemptOutcome, BaseUrl, ClientConfig, CreateJob, Created,
    DEFAULT_BASE_URL, DEFAULT_DOCUMENT_TIMEOUT, DEFAULT_MAX_DOCUMENT_BYTES, DEFAULT_MAX_ROW_BYTES,
    DecodeError, DownloadInfo, Error, FieldError, FileId, FileStatus, InvalidInput, Job, JobId,
    JobQuery, JobStatus, JobSummary, OutputError, OutputFormatId, Page, PagerOptions, Password,
    Project, ProjectId, ProjectQuery, ProjectRef, ProjectStep, RateLimit, RetryAfter,
    RetryClassifier, RetryPolicy, Row, RowError, Setting, Step, TimedOut, TimeoutKind, Token,
    TooLargeError, TransportError, TransportErrorKind, TransportFailure, Unconfirmed, UploadFile,
    UploadedFile, WaitOptions, WaitOutcome,
};
pub use sdm_core::{AsyncClient, AsyncDownload, AsyncRowReader, JobStream, ProjectStream};

use async_trait::async_trait;
use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::{HeaderValue, Request, Response};
use http_body::{Frame, SizeHint};
use sdm_core::transport::{
    AsyncBody, AsyncBodyRead, AsyncTransport, BodyReader, Deadline, RequestBody,
};

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

/// The TLS settings the crate features choose (see the crate docs): reqwest's rustls (with the
/// provider of feature `rustls`, or the process-wide one) or native-tls, trusting the
/// operating system's roots or, with `webpki-roots`, Mozilla's.
#[cfg(not(feature = "rustls-ring"))]
fn tls_backend(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    #[cfg(feature = "rustls-no-provider")]
    let builder = builder.tls_backend_rustls();
    #[cfg(all(feature = "native-tls", not(feature = "rustls-no-provider")))]
    let builder = builder.tls_backend_native();
    #[cfg(all(
        feature = "webpki-roots",
        any(feature = "rustls-no-provider", feature = "native-tls")
    ))]
    let builder = builder.tls_certs_only(
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .filter_map(|der| reqwest::Certificate::from_der(der).ok()),
    );
    builder
}

/// rustls with ring: reqwest takes the provider from the process-wide default only, so the
/// configuration is built here (as reqwest builds its own) and handed over whole, leaving the
/// process's default alone.
#[cfg(feature = "rustls-ring")]
fn tls_backend(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    use std::sync::Arc;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions");
    #[cfg(feature = "webpki-roots")]
    let tls = {
        let mut roots = rustls::RootCertStore::empty();
        roots.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
        tls.with_root_certificates(roots)
    };
    // "Dangerous" is rustls's name for any verifier of one's own; this one is the platform's.
    #[cfg(not(feature = "webpki-roots"))]
    let tls = tls.dangerous().with_custom_certificate_verifier(Arc::new(
        rustls_platform_verifier::Verifier::new(provider)
            .expect("the platform's certificate verifier initialises"),
    ));
    let mut tls = tls.with_no_client_auth();
    // reqwest sets the protocols of the configurations it builds, not of one handed over.
    tls.alpn_protocols = if cfg!(feature = "http2") {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    builder.tls_backend_preconfigured(tls)
}

#[async_trait]
impl AsyncTransport for ReqwestTransport {
    async fn send(
        &self,
        request: Request<RequestBody>,
    ) -> Result<Response<AsyncBody>, TransportError> {
        // The request's deadline, when sooner than the overall timeout, bounds this request
        // instead: the whole exchange, body included (reqwest's per-request timeout).
        let left = Deadline::of(&request).map(|deadline| deadline.remaining().max(MIN_TIMEOUT));
        let overall = self.timeouts.and_then(|t| t.overall);
        let started = Instant::now();
        let (mut head, body) = request.into_parts();
        // Always a length, never chunked: Django deployments commonly refuse chunked bodies.
        if !body.is_empty() {
            head.headers
                .entry(CONTENT_LENGTH)
                .or_insert_with(|| HeaderValue::from(body.len()));
        }
        let body = match body.as_bytes() {
            Some(bytes) => reqwest::Body::from(bytes.to_vec()),
            None => reqwest::Body::wrap(StreamedBody {
                len: body.len(),
                reader: Mutex::new(body.reader()),
            }),
        };
        let mut request = reqwest::Request::try_from(Request::from_parts(head, body))
            .map_err(|e| TransportError::new(TransportErrorKind::Other, e))?;
        let mut timeouts = self.timeouts;
        if let Some(left) = left {
            // Overrides the client's overall timeout for this request, body included.
            let bound = overall.map_or(left, |overall| overall.min(left));
            *request.timeout_mut() = Some(bound);
            // So that a timeout is not named as the read timeout: either may have run out.
            timeouts = timeouts.map(|t| t.overall(bound));
        }
        let response = self
            .client
            .execute(request)
            .await
            .map_err(|e| transport_error(e, timeouts, started))?;
        let mut head = Response::builder()
            .status(response.status())
            .version(response.version());
        if let Some(headers) = head.headers_mut() {
            *headers = response.headers().clone();
        }
        head.body(AsyncBody::new(ReqwestBody {
            response,
            timeouts,
            started,
        }))
        .map_err(|e| TransportError::new(TransportErrorKind::Other, e))
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// The shortest overall timeout given to a request: a zero timeout would fail it before it
/// starts (the clients send nothing once a deadline has passed).
const MIN_TIMEOUT: Duration = Duration::from_millis(1);

/// A request body read from its sources as hyper asks for more: 64 KiB at a time, from page
/// cache or disk, short enough not to hold up the runtime. (reqwest's own streamed bodies need
/// its `stream` feature, and with it tokio's file system and tokio-util.)
struct StreamedBody {
    len: u64,
    /// In a mutex only because reqwest wants a `Sync` body; never contended.
    reader: Mutex<BodyReader>,
}

impl http_body::Body for StreamedBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let reader = self
            .get_mut()
            .reader
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        Poll::Ready(reader.next().map(|chunk| chunk.map(Frame::data)))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}

/// A reqwest response read chunk by chunk.
struct ReqwestBody {
    response: reqwest::Response,
    timeouts: Option<Timeouts>,
    /// When the request was sent, to tell the overall timeout from the read timeout.
    started: Instant,
}

#[async_trait]
impl AsyncBodyRead for ReqwestBody {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        let timeouts = self.timeouts;
        self.response
            .chunk()
            .await
            .map_err(|e| transport_error(e, timeouts, self.started))
    }
}

/// The transport error of `error`, met by a request sent at `started`.
fn transport_error(
    error: reqwest::Error,
    timeouts: Option<Timeouts>,
    started: Instant,
) -> TransportError {
    if error.is_timeout() {
        // reqwest does not say which timeout ran out: a connect error is the connect timeout;
        // otherwise it is the overall one when the request has run that long, else the read
        // timeout.
        let named = timeouts.map(|t| match (error.is_connect(), t.overall) {
            (true, _) => (TimeoutKind::Connect, t.connect),
            (false, Some(overall)) if started.elapsed() >= overall => {
                (TimeoutKind::Overall, overall)
            }
            (false, _) => (TimeoutKind::Read, t.read),
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
    let kind = if cfg!(feature = "rustls-no-provider") && rustls_failed(&error) {
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
