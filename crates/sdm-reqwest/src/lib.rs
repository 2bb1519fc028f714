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
//! Each follows what reqwest 0.13 offers. The defaults are reqwest's but for two: ring instead of
//! aws-lc-rs (the same cryptography as `sdm-ureq`, and no C library to build), and no HTTP/2.
//!
//! | feature | TLS library | cryptography | trusted roots |
//! |---|---|---|---|
//! | `rustls-ring` (default) | rustls | ring | the operating system's, through its verifier (`rustls-platform-verifier`) |
//! | `rustls` | rustls | aws-lc-rs (reqwest's default; needs a C compiler to build) | the operating system's |
//! | `rustls-no-provider` | rustls | the process-wide default provider, installed by the program before it builds a transport (`rustls::crypto::CryptoProvider::install_default`) | the operating system's |
//! | `webpki-roots` | (with any) | | Mozilla's, compiled in (`webpki-root-certs`), instead of the operating system's |
//! | `native-tls` | the platform's (OpenSSL on Linux: its development files are needed to build) | the library's | the operating system's |
//!
//! - `http2`: HTTP/2 with servers that offer it (ALPN), as reqwest does by default. Off here:
//!   the API is served as well over HTTP/1.1, and `h2` is a dozen crates more to build.
//!
//! Turn the default off to choose another (`default-features = false, features =
//! ["rustls"]` for aws-lc-rs). When several are on, rustls is used over native-tls, and ring over
//! aws-lc-rs. With none, the transport speaks plain `http://` only (the fake server, a local
//! proxy).
//!
//! # Proxies
//!
//! By default the proxies come from the environment, as reqwest reads them: `HTTPS_PROXY` for
//! https requests and `HTTP_PROXY` for plain http ones, `ALL_PROXY` for either when the other is
//! not set (lower-case forms too; `http://` or `https://` proxies, credentials as
//! `user:password@`; none at all when `REQUEST_METHOD` says the program runs as a CGI script),
//! except for the hosts of `NO_PROXY`: comma-separated names, each matching itself and its
//! subdomains (`example.com` and `.example.com` alike), IP addresses and networks
//! (`10.0.0.0/8`), and `*` for every host. (With reqwest's `system-proxy` feature, the system's
//! settings on macOS and Windows too.) [`ReqwestTransportBuilder::proxy`] names a proxy instead
//! (for every host: `NO_PROXY` is not read), and [`ReqwestTransportBuilder::no_proxy`] sends
//! everything directly:
//!
//! ```no_run
//! use sdm_reqwest::ReqwestTransport;
//!
//! let transport = ReqwestTransport::builder()
//!     .proxy("http://proxy.example.com:3128".parse()?)
//!     .build()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Whatever the proxy settings, the token never crosses a proxy in clear text
//! ([`sdm_core::transport::proxy_route`]):
//! - loopback hosts (`127.0.0.0/8`, `[::1]`, `localhost`) are always reached directly;
//! - https goes through the proxy in a `CONNECT` tunnel: TLS runs from end to end, and the proxy
//!   sees only the host name and port;
//! - plain `http://` to another host goes through the proxy (forwarded, the proxy reads it all)
//!   only when the configuration allows plain http ([`ClientConfig::with_allow_http`]);
//!   otherwise the request fails before anything is sent ([`TransportErrorKind::Other`], caused
//!   by an [`InvalidInput`] naming [`Setting::AllowHttp`]).
//!
//! A client of your own ([`ReqwestTransport::from_client`]) keeps its own proxy settings, which
//! the transport cannot see, so these rules are then yours to keep: build it with
//! `.no_proxy()`, or with proxies that leave loopback hosts and plain http alone.

#![deny(missing_docs)]

use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
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
    DecodeError, DownloadInfo, Error, FieldError, FileId, FileStatus, Incomplete, InvalidInput,
    Job, JobId, JobQuery, JobStatus, JobSummary, OutputError, OutputFormatId, Page, PagerOptions,
    Password, Project, ProjectId, ProjectQuery, ProjectRef, ProjectStep, RateLimit, RetryAfter,
    RetryClassifier, RetryPolicy, Row, RowError, Setting, Shortfall, Step, TimedOut, TimeoutKind,
    Token, TooLargeError, TransportError, TransportErrorKind, TransportFailure, Unconfirmed,
    UploadFile, UploadedFile, WaitOptions, WaitOutcome,
};
pub use sdm_core::{AsyncClient, AsyncDownload, AsyncRowReader, JobStream, ProjectStream};

use async_trait::async_trait;
use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::{HeaderValue, Request, Response};
use http_body::{Frame, SizeHint};
use hyper_util::client::proxy::matcher::Matcher;
use sdm_core::transport::{
    AsyncBody, AsyncBodyRead, AsyncTransport, BodyReader, Deadline, ProxyRoute, RequestBody,
    proxy_route,
};

/// The async client over reqwest.
pub type Client = AsyncClient<ReqwestTransport>;

/// An [`AsyncTransport`] over a [`reqwest::Client`]: connection pooling, rustls, timeouts, no
/// redirects followed (so the token never travels to another origin), tokio for sleeping.
#[derive(Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    /// The proxy rules `client` follows, when this crate built it (unknown for a client
    /// configured by the caller).
    routing: Option<Arc<Routing>>,
    /// The timeouts the client was built with, to name the one that ran out (unknown for a
    /// client configured by the caller).
    timeouts: Option<Timeouts>,
}

/// What the transport needs to keep loopback hosts away from a proxy.
struct Routing {
    /// The rules reqwest applies for `client`, built the way reqwest builds them, to tell which
    /// requests it would send through a proxy.
    proxies: Matcher,
    /// The same client without proxies, for loopback hosts: made the first time one is met.
    direct: OnceLock<reqwest::Client>,
    timeouts: Timeouts,
}

impl ReqwestTransport {
    /// A transport with the default timeouts ([`Timeouts::DEFAULT`]) and the proxies of the
    /// environment (see [Proxies](crate#proxies)).
    ///
    /// # Panics
    /// If the TLS backend cannot be initialised (no usable crypto provider), as reqwest does.
    pub fn new() -> Self {
        Self::with_timeouts(Timeouts::DEFAULT)
    }

    /// A transport with these timeouts, and the proxies of the environment.
    ///
    /// # Panics
    /// If the TLS backend cannot be initialised (no usable crypto provider), as reqwest does.
    pub fn with_timeouts(timeouts: Timeouts) -> Self {
        Self::builder()
            .timeouts(timeouts)
            .build()
            .expect("the TLS backend initialises")
    }

    /// A builder, for settings beyond the timeouts (a proxy of your choice, or none).
    pub fn builder() -> ReqwestTransportBuilder {
        ReqwestTransportBuilder {
            timeouts: Timeouts::DEFAULT,
            proxy: ProxyChoice::Environment,
        }
    }

    /// A transport over a client configured by the caller. It should not follow redirects
    /// (`redirect(Policy::none())`): the clients report them as errors instead. Its proxies are
    /// its own: see [Proxies](crate#proxies).
    pub fn from_client(client: reqwest::Client) -> Self {
        Self {
            client,
            routing: None,
            timeouts: None,
        }
    }

    /// The client to send `request` with: without proxies when they would carry it to a
    /// loopback host; an error when they would carry plain http the user did not allow.
    fn client_for<B>(&self, request: &Request<B>) -> Result<&reqwest::Client, TransportError> {
        let Some(routing) = &self.routing else {
            return Ok(&self.client);
        };
        if routing.proxies.intercept(request.uri()).is_none()
            || proxy_route(request)? != ProxyRoute::Direct
        {
            return Ok(&self.client);
        }
        Ok(routing.direct.get_or_init(|| {
            client_builder(routing.timeouts)
                .no_proxy()
                .build()
                .expect("the TLS backend initialises (it did for the first client)")
        }))
    }
}

/// The settings of a [`ReqwestTransport`], from [`ReqwestTransport::builder`]: the default
/// timeouts and the proxies of the environment unless told otherwise.
#[must_use]
pub struct ReqwestTransportBuilder {
    timeouts: Timeouts,
    proxy: ProxyChoice,
}

/// Where the proxies come from.
enum ProxyChoice {
    Environment,
    Explicit(reqwest::Url),
    None,
}

impl ReqwestTransportBuilder {
    /// Sets the timeouts (default [`Timeouts::DEFAULT`]).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Sends requests through the proxy at `url` (`http://` or `https://`, credentials as
    /// `user:password@`) instead of the environment's, for every host but loopback ones, under
    /// the rules of [Proxies](crate#proxies).
    pub fn proxy(mut self, url: reqwest::Url) -> Self {
        self.proxy = ProxyChoice::Explicit(url);
        self
    }

    /// Sends every request directly, whatever the proxy variables of the environment say.
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxyChoice::None;
        self
    }

    /// The transport.
    ///
    /// # Errors
    /// When the TLS backend cannot be initialised (no usable crypto provider), or reqwest
    /// refuses the proxy URL (one without a host).
    pub fn build(self) -> Result<ReqwestTransport, reqwest::Error> {
        let timeouts = self.timeouts;
        let builder = client_builder(timeouts);
        // The rules as reqwest makes them: from the environment (and the system, with its
        // `system-proxy` feature) unless a proxy is added, then that proxy for every host.
        let (builder, proxies) = match self.proxy {
            ProxyChoice::Environment => (builder, Some(Matcher::from_system())),
            ProxyChoice::Explicit(url) => {
                let proxies = Matcher::builder().all(String::from(url.clone())).build();
                (builder.proxy(reqwest::Proxy::all(url)?), Some(proxies))
            }
            ProxyChoice::None => (builder.no_proxy(), None),
        };
        Ok(ReqwestTransport {
            client: builder.build()?,
            routing: proxies.map(|proxies| {
                Arc::new(Routing {
                    proxies,
                    direct: OnceLock::new(),
                    timeouts,
                })
            }),
            timeouts: Some(timeouts),
        })
    }
}

impl fmt::Debug for ReqwestTransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the proxy's URL: it may hold a password.
        let proxy = match self.proxy {
            ProxyChoice::Environment => "environment",
            ProxyChoice::Explicit(_) => "explicit",
            ProxyChoice::None => "none",
        };
        f.debug_struct("ReqwestTransportBuilder")
            .field("timeouts", &self.timeouts)
            .field("proxy", &proxy)
            .finish()
    }
}

/// A reqwest client builder with this crate's settings: TLS, no redirects, the timeouts.
fn client_builder(timeouts: Timeouts) -> reqwest::ClientBuilder {
    let mut builder = tls_backend(reqwest::Client::builder())
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeouts.connect)
        .read_timeout(timeouts.read);
    if let Some(overall) = timeouts.overall {
        builder = builder.timeout(overall);
    }
    builder
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
        let client = self.client_for(&request)?;
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
        let response = client
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
