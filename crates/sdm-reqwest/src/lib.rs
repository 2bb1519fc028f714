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

pub use sdm_core::*;

use async_trait::async_trait;
use bytes::Bytes;
use http::{Request, Response};

/// The async client over reqwest.
pub type Client = AsyncClient<ReqwestTransport>;

/// An [`AsyncTransport`] over a [`reqwest::Client`]: connection pooling, rustls, timeouts, no
/// redirects followed (so the token never travels to another origin), tokio for sleeping.
#[derive(Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
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
        Self { client }
    }

    /// A transport over a client configured by the caller. It should not follow redirects
    /// (`redirect(Policy::none())`): the clients report them as errors instead.
    pub fn from_client(client: reqwest::Client) -> Self {
        Self { client }
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
    async fn send(&self, request: Request<Vec<u8>>) -> Result<Response<AsyncBody>, TransportError> {
        let request = reqwest::Request::try_from(request)
            .map_err(|e| TransportError::new(TransportErrorKind::Other, e))?;
        let response = self
            .client
            .execute(request)
            .await
            .map_err(transport_error)?;
        let mut head = Response::builder()
            .status(response.status())
            .version(response.version());
        if let Some(headers) = head.headers_mut() {
            *headers = response.headers().clone();
        }
        head.body(AsyncBody::new(ReqwestBody(response)))
            .map_err(|e| TransportError::new(TransportErrorKind::Other, e))
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// A reqwest response read chunk by chunk.
struct ReqwestBody(reqwest::Response);

#[async_trait]
impl AsyncBodyRead for ReqwestBody {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        self.0.chunk().await.map_err(transport_error)
    }
}

fn transport_error(error: reqwest::Error) -> TransportError {
    let kind = if error.is_timeout() {
        TransportErrorKind::Timeout
    } else if error.is_connect() {
        TransportErrorKind::Connect
    } else if error.is_request() || error.is_body() || error.is_decode() {
        TransportErrorKind::Io
    } else {
        TransportErrorKind::Other
    };
    TransportError::new(kind, error)
}
