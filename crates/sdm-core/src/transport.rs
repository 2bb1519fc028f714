//! The seam between the protocol and an HTTP library: two small traits, one blocking and one
//! async, plus the body types they hand back.
//!
//! A transport sends one request and returns the response head with a body to be read in chunks;
//! it does not retry, follow redirects, decode or interpret statuses (the clients do all that,
//! once, for every transport). The async trait also sleeps, since the core knows no runtime.

use std::fmt;
use std::io::{self, Read};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http::{Request, Response};

use crate::error::TransportError;

/// The timeouts a transport applies. The first-party transports take these; a transport of
/// your own should honour them too (the conformance kit hands them over).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Time allowed to establish a connection (DNS, TCP and TLS).
    pub connect: Duration,
    /// Time allowed for the response to start, and for each read of its body: a body that stops
    /// arriving fails after this long, however long the whole download takes.
    pub read: Duration,
    /// An overall bound on each request, body included (none by default: a large output
    /// streams for as long as data keeps coming).
    pub overall: Option<Duration>,
}

impl Timeouts {
    /// 10 s to connect, 60 s per read, no overall bound.
    pub const DEFAULT: Timeouts = Timeouts {
        connect: Duration::from_secs(10),
        read: Duration::from_secs(60),
        overall: None,
    };

    /// The same timeouts with another connect timeout.
    pub fn connect(self, connect: Duration) -> Self {
        Self { connect, ..self }
    }

    /// The same timeouts with another read timeout.
    pub fn read(self, read: Duration) -> Self {
        Self { read, ..self }
    }

    /// The same timeouts with an overall bound on each request.
    pub fn overall(self, overall: Duration) -> Self {
        Self {
            overall: Some(overall),
            ..self
        }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A blocking transport.
///
/// Any `Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>` is one, which makes
/// fakes in tests a closure:
///
/// ```
/// use sdm_core::{BlockingClient, ClientConfig, JobId, TransportError};
///
/// let fake = |_request: http::Request<Vec<u8>>| -> Result<http::Response<Vec<u8>>, TransportError> {
///     Ok(http::Response::new(br#"{"id":"9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b","status":"running"}"#.to_vec()))
/// };
/// let config = ClientConfig::new("https://sdm.akeneo.cloud/api/v1/")?.with_token("t");
/// let client = BlockingClient::with_transport(config, fake);
/// let job = client.get_job(&JobId::parse("9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b")?)?;
/// assert_eq!(job.status.as_str(), "running");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Transport {
    /// Sends `request` as is (no redirects followed) and returns the response head and body.
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<BlockingBody>, TransportError>;

    /// Waits before a retry. Override it to make time virtual in tests.
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

impl<F> Transport for F
where
    F: Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>,
{
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<BlockingBody>, TransportError> {
        self(request).map(|response| response.map(BlockingBody::from_bytes))
    }
}

/// An async transport. `async-trait` keeps it object safe (`Box<dyn AsyncTransport>` works).
///
/// Closures `Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>` are async
/// transports too; their `sleep` returns at once, so tests run without waiting.
#[async_trait]
pub trait AsyncTransport: Send + Sync {
    /// Sends `request` as is (no redirects followed) and returns the response head and body.
    async fn send(&self, request: Request<Vec<u8>>) -> Result<Response<AsyncBody>, TransportError>;

    /// Waits before a retry, on the transport's runtime.
    async fn sleep(&self, duration: Duration);
}

#[async_trait]
impl<F> AsyncTransport for F
where
    F: Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> + Send + Sync,
{
    async fn send(&self, request: Request<Vec<u8>>) -> Result<Response<AsyncBody>, TransportError> {
        self(request).map(|response| response.map(AsyncBody::from_bytes))
    }

    async fn sleep(&self, _duration: Duration) {}
}

/// A response body for blocking transports: any reader, read in chunks by the client.
pub struct BlockingBody(Box<dyn Read + Send>);

impl BlockingBody {
    /// A body read from `reader` (a socket, a decompressor, …).
    pub fn new(reader: impl Read + Send + 'static) -> Self {
        Self(Box::new(reader))
    }

    /// A body already in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        Self::new(io::Cursor::new(bytes.into()))
    }
}

impl Read for BlockingBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl fmt::Debug for BlockingBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlockingBody")
    }
}

/// The source of an [`AsyncBody`]: yields the body chunk by chunk.
#[async_trait]
pub trait AsyncBodyRead: Send {
    /// The next chunk, or `None` at the end of the body.
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError>;
}

/// A response body for async transports.
pub struct AsyncBody(Box<dyn AsyncBodyRead>);

impl AsyncBody {
    /// A body pulled from `source`.
    pub fn new(source: impl AsyncBodyRead + 'static) -> Self {
        Self(Box::new(source))
    }

    /// A body already in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        Self::new(InMemory(Some(bytes.into())))
    }

    /// The next chunk, or `None` at the end of the body.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        self.0.next_chunk().await
    }
}

impl fmt::Debug for AsyncBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AsyncBody")
    }
}

struct InMemory(Option<Bytes>);

#[async_trait]
impl AsyncBodyRead for InMemory {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        Ok(self.0.take().filter(|bytes| !bytes.is_empty()))
    }
}
