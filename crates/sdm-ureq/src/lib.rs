//! A blocking client for the Akeneo Supplier Data Manager (SDM) jobs API, over [`ureq`].
//!
//! This crate is a thin transport: the protocol, errors and client logic live in
//! [`sdm_core`], re-exported here so one dependency is enough.
//!
//! ```no_run
//! use sdm_ureq::{Client, JobId};
//!
//! let client = Client::new("https://sdm.akeneo.cloud/api/v1/", std::env::var("SDM_TOKEN")?)?;
//! let job = client.get_job(&JobId::parse("9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b")?)?;
//! println!("{} is {}", job.id, job.status);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! Each follows what ureq itself offers; the defaults are ureq's.
//!
//! | feature | TLS library | cryptography | trusted roots |
//! |---|---|---|---|
//! | `rustls` (default) | rustls | ring | Mozilla's, compiled in (`webpki-roots`) |
//! | `rustls-aws-lc-rs` | rustls | aws-lc-rs (needs a C compiler to build) | Mozilla's |
//! | `rustls-no-provider` | rustls | the process-wide default provider, installed by the program before its first request (`rustls::crypto::CryptoProvider::install_default`) | Mozilla's |
//! | `platform-verifier` | (with a rustls feature) | | the operating system's, through its verifier (`rustls-platform-verifier`) |
//! | `native-tls` | the platform's (OpenSSL on Linux: its development files are needed to build) | the library's | the operating system's |
//!
//! Turn the default off to choose another (`default-features = false, features =
//! ["rustls-aws-lc-rs"]`). When several are on, rustls is used over native-tls, and aws-lc-rs
//! over ring. With none, the transport speaks plain `http://` only (the fake server, a local
//! proxy) and an `https://` request fails with a [`TransportErrorKind::Tls`] error.
//!
//! # Logging and secrets
//!
//! sdm-rs never logs the token. ureq, however, logs through the `log` crate, and at *trace*
//! level its `ureq_proto` module dumps every byte on the wire, the `Authorization` header
//! included. Do not enable trace logging for `ureq_proto` where logs are kept, or drop it when
//! bridging (`tracing_log::LogTracer::builder().ignore_crate("ureq_proto")`, as `sdm` does).
//!
//! # Configuration
//!
//! Timeouts, TLS and proxies are set on the transport:
//!
//! ```no_run
//! use std::time::Duration;
//! use sdm_ureq::{Client, ClientConfig, Timeouts, UreqTransport};
//!
//! let transport = UreqTransport::with_timeouts(Timeouts::DEFAULT.overall(Duration::from_secs(120)));
//! let config = ClientConfig::new("https://sdm.akeneo.cloud/api/v1/")?.with_token("…");
//! let client = Client::with_transport(config, transport);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Proxies
//!
//! By default the proxy comes from the environment, as ureq reads it: the first of
//! `ALL_PROXY`, `HTTPS_PROXY` and `HTTP_PROXY` (or their lower-case forms) that holds a valid
//! proxy URL carries every request, https and http alike (`http://`, `https://`, or with ureq's
//! `socks-proxy` feature `socks4://`, `socks5://`...; credentials as `user:password@`), except
//! those to the hosts of `NO_PROXY`: comma-separated names, where `example.com` is that name
//! only, `.example.com` and `*.example.com` its subdomains only, and `*` every host.
//! [`UreqTransportBuilder::proxy`] names a proxy instead (for every host: `NO_PROXY` is not
//! read), and [`UreqTransportBuilder::no_proxy`] sends everything directly:
//!
//! ```no_run
//! use sdm_ureq::{ureq, UreqTransport};
//!
//! let transport = UreqTransport::builder()
//!     .proxy(ureq::Proxy::new("http://proxy.example.com:3128")?)
//!     .build();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Whatever the proxy settings, the token never crosses a proxy in clear text
//! ([`sdm_core::transport::proxy_route`]):
//! - loopback hosts (`127.0.0.0/8`, `[::1]`, `localhost`) are always reached directly;
//! - https goes through the proxy in a `CONNECT` tunnel: TLS runs from end to end, and the proxy
//!   sees only the host name and port;
//! - plain `http://` to another host goes through the proxy only when the configuration allows
//!   plain http ([`ClientConfig::with_allow_http`]); otherwise the request fails before anything
//!   is sent ([`TransportErrorKind::Other`], caused by an [`InvalidInput`] naming
//!   [`Setting::AllowHttp`]).
//!
//! The same holds for an agent of your own ([`UreqTransport::from_agent`]) and its proxy.

#![deny(missing_docs)]

use std::fmt;
use std::time::Duration;

// What a program using this client names; the rest of sdm-core (operations, state machines,
// the transport seam) is under `sdm_core`, re-exported whole below.
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
pub use sdm_core::{BlockingClient, Download, Jobs, Projects, RowReader, TypedRows};
/// The HTTP library, so that [`UreqTransport::from_agent`] needs no version-matched dependency.
pub use ureq;

use http::header::CONTENT_LENGTH;
use http::{HeaderValue, Request, Response};
use sdm_core::transport::{
    BlockingBody, Deadline, ProxyRoute, RequestBody, Transport, proxy_route,
};

/// The blocking client over ureq.
pub type Client = BlockingClient<UreqTransport>;

/// A [`Transport`] over a ureq [`Agent`](ureq::Agent): connection pooling, rustls, timeouts,
/// no redirects followed (so the token never travels to another origin), and error statuses
/// returned as responses (their bodies carry the server's explanation).
#[derive(Clone)]
pub struct UreqTransport {
    agent: ureq::Agent,
    /// The timeouts the agent was built with, to name the one that ran out (unknown for an
    /// agent configured by the caller).
    timeouts: Option<Timeouts>,
}

impl UreqTransport {
    /// A transport with the default timeouts ([`Timeouts::DEFAULT`]) and the proxy of the
    /// environment (see [Proxies](crate#proxies)).
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A transport with these timeouts, and the proxy of the environment.
    pub fn with_timeouts(timeouts: Timeouts) -> Self {
        Self::builder().timeouts(timeouts).build()
    }

    /// A builder, for settings beyond the timeouts (a proxy of your choice, or none).
    pub fn builder() -> UreqTransportBuilder {
        UreqTransportBuilder {
            timeouts: Timeouts::DEFAULT,
            proxy: ProxyChoice::Environment,
        }
    }

    /// A transport over an agent configured by the caller. The agent must not follow redirects
    /// and must not turn error statuses into errors (`http_status_as_error(false)`). Its proxy
    /// is used under the same rules (see [Proxies](crate#proxies)).
    pub fn from_agent(agent: ureq::Agent) -> Self {
        Self {
            agent,
            timeouts: None,
        }
    }

    /// Runs `request`, bypassing the agent's proxy when `direct`, and bounded as a whole by
    /// `global` when given.
    fn run(
        &self,
        request: Request<impl ureq::AsSendBody>,
        direct: bool,
        global: Option<Duration>,
    ) -> Result<Response<ureq::Body>, ureq::Error> {
        if !direct && global.is_none() {
            return self.agent.run(request);
        }
        let mut configured = self.agent.configure_request(request);
        if direct {
            configured = configured.proxy(None);
        }
        if let Some(global) = global {
            configured = configured.timeout_global(Some(global));
        }
        self.agent.run(configured.build())
    }
}

/// The settings of a [`UreqTransport`], from [`UreqTransport::builder`]: the default timeouts
/// and the proxy of the environment unless told otherwise.
#[must_use]
pub struct UreqTransportBuilder {
    timeouts: Timeouts,
    proxy: ProxyChoice,
}

/// Where the proxy comes from.
enum ProxyChoice {
    Environment,
    Explicit(ureq::Proxy),
    None,
}

impl UreqTransportBuilder {
    /// Sets the timeouts (default [`Timeouts::DEFAULT`]).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Sends requests through `proxy` instead of the environment's, for every host but
    /// loopback ones, under the rules of [Proxies](crate#proxies).
    pub fn proxy(mut self, proxy: ureq::Proxy) -> Self {
        self.proxy = ProxyChoice::Explicit(proxy);
        self
    }

    /// Sends every request directly, whatever the proxy variables of the environment say.
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxyChoice::None;
        self
    }

    /// The transport.
    pub fn build(self) -> UreqTransport {
        let timeouts = self.timeouts;
        // The default configuration reads the proxy of the environment.
        let config = ureq::Agent::config_builder();
        let config = match self.proxy {
            ProxyChoice::Environment => config,
            ProxyChoice::Explicit(proxy) => config.proxy(Some(proxy)),
            ProxyChoice::None => config.proxy(None),
        };
        let config = config
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(timeouts.connect))
            .timeout_recv_response(Some(timeouts.read))
            // Every socket read, the body's included: a body that stops arriving must not
            // hang an export forever.
            .timeout_per_read(Some(timeouts.read))
            // And every socket write: an upload to a server that stops reading must end too.
            .timeout_per_write(Some(timeouts.read))
            .timeout_recv_body(timeouts.overall)
            .timeout_global(timeouts.overall)
            .user_agent(ureq::config::AutoHeaderValue::None);
        // Without a TLS feature, ureq has no TLS settings: plain http only.
        #[cfg(any(feature = "rustls-no-provider", feature = "native-tls"))]
        let config = config.tls_config(tls_config());
        UreqTransport {
            agent: config.build().into(),
            timeouts: Some(timeouts),
        }
    }
}

impl fmt::Debug for UreqTransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the proxy's URL: it may hold a password.
        let proxy = match self.proxy {
            ProxyChoice::Environment => "environment",
            ProxyChoice::Explicit(_) => "explicit",
            ProxyChoice::None => "none",
        };
        f.debug_struct("UreqTransportBuilder")
            .field("timeouts", &self.timeouts)
            .field("proxy", &proxy)
            .finish()
    }
}

impl Default for UreqTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for UreqTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UreqTransport").finish_non_exhaustive()
    }
}

/// The TLS settings the crate features choose (see the crate docs): rustls when a rustls
/// feature is on, with aws-lc-rs when `rustls-aws-lc-rs` is; native-tls otherwise.
#[cfg(any(feature = "rustls-no-provider", feature = "native-tls"))]
fn tls_config() -> ureq::tls::TlsConfig {
    use ureq::tls::{RootCerts, TlsConfig, TlsProvider};
    let builder = TlsConfig::builder();
    // Without it, ureq uses the process-wide default provider, else ring (feature `rustls`).
    #[cfg(feature = "rustls-aws-lc-rs")]
    let builder = builder.unversioned_rustls_crypto_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ));
    if cfg!(feature = "rustls-no-provider") {
        let roots = if cfg!(feature = "platform-verifier") {
            RootCerts::PlatformVerifier
        } else {
            RootCerts::WebPki
        };
        builder
            .provider(TlsProvider::Rustls)
            .root_certs(roots)
            .build()
    } else {
        // native-tls trusts the platform's certificate store ("platform verifier" in ureq's
        // words), as programs that choose the platform's TLS library expect.
        builder
            .provider(TlsProvider::NativeTls)
            .root_certs(RootCerts::PlatformVerifier)
            .build()
    }
}

impl Transport for UreqTransport {
    fn send(
        &self,
        request: Request<RequestBody>,
    ) -> Result<Response<BlockingBody>, TransportError> {
        // ureq's own rule says whether the agent's proxy would carry the request (`NO_PROXY`
        // included); sdm-core's, whether it may (loopback never, plain http only if allowed).
        let proxied = self
            .agent
            .config()
            .proxy()
            .is_some_and(|proxy| !proxy.is_no_proxy(request.uri()));
        let direct = proxied && proxy_route(&request)? == ProxyRoute::Direct;
        // The request's deadline, when sooner than the overall timeout, bounds this request
        // instead: the whole exchange, body included (ureq's `timeout_global`, per request).
        let left = Deadline::of(&request).map(|deadline| deadline.remaining().max(MIN_TIMEOUT));
        let overall = match (self.timeouts.and_then(|t| t.overall), left) {
            (Some(overall), Some(left)) => Some(overall.min(left)),
            (overall, left) => overall.or(left),
        };
        // What names the timeout that ran out (unknown for an agent configured by the caller).
        let timeouts = self.timeouts.map(|timeouts| Timeouts {
            overall,
            ..timeouts
        });
        let (mut head, body) = request.into_parts();
        // Always a length, never chunked: Django deployments commonly refuse chunked bodies.
        if !body.is_empty() {
            head.headers
                .entry(CONTENT_LENGTH)
                .or_insert_with(|| HeaderValue::from(body.len()));
        }
        let sent = match body.as_bytes() {
            Some(bytes) => self.run(Request::from_parts(head, bytes), direct, left.and(overall)),
            None => self.run(
                Request::from_parts(head, ureq::SendBody::from_owned_reader(body.reader())),
                direct,
                left.and(overall),
            ),
        };
        let response = sent.map_err(|e| transport_error(e, timeouts))?;
        Ok(response.map(|body| {
            BlockingBody::new(BodyReader {
                body: body.into_reader(),
                timeouts,
            })
        }))
    }
}

/// The shortest overall timeout given to a request: a zero timeout means none to some
/// libraries (the clients send nothing once a deadline has passed).
const MIN_TIMEOUT: Duration = Duration::from_millis(1);

/// ureq's body reader, with its timeouts reported as `TimedOut` I/O errors (ureq wraps them in
/// an error of another kind), so the client classifies them as timeouts.
struct BodyReader {
    body: ureq::BodyReader<'static>,
    timeouts: Option<Timeouts>,
}

impl std::io::Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.body
            .read(buf)
            .map_err(|error| match ureq::Error::from(error) {
                ureq::Error::Timeout(which) => {
                    let cause = timed_out(which, self.timeouts, ureq::Error::Timeout(which));
                    std::io::Error::new(std::io::ErrorKind::TimedOut, cause)
                }
                other => other.into_io(),
            })
    }
}

/// Names the timeout that ran out, when the transport knows its value.
fn timed_out(
    which: ureq::Timeout,
    timeouts: Option<Timeouts>,
    error: ureq::Error,
) -> Box<dyn std::error::Error + Send + Sync> {
    let Some(timeouts) = timeouts else {
        return Box::new(error);
    };
    let (setting, limit) = match which {
        ureq::Timeout::Connect | ureq::Timeout::Resolve => {
            (TimeoutKind::Connect, Some(timeouts.connect))
        }
        ureq::Timeout::Global | ureq::Timeout::PerCall => (TimeoutKind::Overall, timeouts.overall),
        _ => (TimeoutKind::Read, Some(timeouts.read)),
    };
    match limit {
        Some(limit) => Box::new(TimedOut::new(setting, limit, error)),
        None => Box::new(error),
    }
}

fn transport_error(error: ureq::Error, timeouts: Option<Timeouts>) -> TransportError {
    if let ureq::Error::Timeout(which) = error {
        return TransportError::new(
            TransportErrorKind::Timeout,
            timed_out(which, timeouts, error),
        );
    }
    let kind = match &error {
        // Every TLS failure is `Tls`, whatever the TLS library: ureq's own TLS errors, those of
        // native-tls, and those of rustls, which come as I/O errors of kind `InvalidData` (how
        // rustls reports its errors through `std::io`: a certificate that does not verify, a
        // handshake with a server that does not speak TLS; no other part of ureq's connections
        // uses that kind).
        ureq::Error::Tls(_) | ureq::Error::TlsRequired => TransportErrorKind::Tls,
        #[cfg(any(feature = "rustls-no-provider", feature = "native-tls"))]
        ureq::Error::Pem(_) => TransportErrorKind::Tls,
        #[cfg(feature = "rustls-no-provider")]
        ureq::Error::Rustls(_) => TransportErrorKind::Tls,
        #[cfg(feature = "rustls-no-provider")]
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
            TransportErrorKind::Tls
        }
        #[cfg(feature = "native-tls")]
        ureq::Error::NativeTls(_) | ureq::Error::Der(_) => TransportErrorKind::Tls,
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => TransportErrorKind::Connect,
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            TransportErrorKind::Connect
        }
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            TransportErrorKind::Timeout
        }
        ureq::Error::Io(_) | ureq::Error::Protocol(_) => TransportErrorKind::Io,
        _ => TransportErrorKind::Other,
    };
    TransportError::new(kind, error)
}
