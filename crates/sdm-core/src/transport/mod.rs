//! The seam between the protocol and an HTTP library: two small traits, one blocking and one
//! async, plus the body types that cross it.
//!
//! A transport sends one request and returns the response head with a body to be read in chunks;
//! it does not retry, follow redirects, decode or interpret statuses (the clients do all that,
//! once, for every transport). The async trait also sleeps, since the core knows no runtime.
//!
//! Request bodies are [`RequestBody`] values: bytes, or re-openable sources streamed from disk,
//! always with a known length to send as `Content-Length`. Transports are used as users hold
//! them: `&T`, `Box<T>` and `Arc<T>` (`Box<dyn Transport>`, `Arc<dyn AsyncTransport>`) are
//! transports when `T` is, and [`transport_fn`] makes a closure one (for tests and fakes).

mod closure;
mod deadline;
mod request_body;
mod response_body;

pub use closure::{FnTransport, transport_fn};
pub use deadline::Deadline;
pub use request_body::{BodyReader, BodySource, FileSource, RequestBody};
pub use response_body::BlockingBody;
#[cfg(feature = "async")]
pub use response_body::{AsyncBody, AsyncBodyRead};

use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "async")]
use async_trait::async_trait;
use http::{Request, Response};

pub use crate::error::{TimedOut, TimeoutKind, TransportError, TransportErrorKind};

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
    /// streams for as long as data keeps coming). A request's [`Deadline`], when sooner,
    /// bounds it instead.
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

/// A blocking transport. `Send + Sync`, like the async one, so that a client and its job
/// iterator can spread requests over threads, and so that `Box<dyn Transport>` and
/// `Arc<dyn Transport>` are complete transports.
///
/// Send the request's [`RequestBody`] with its length as `Content-Length` (read it with
/// [`RequestBody::reader`], or take [`RequestBody::as_bytes`] when it is in memory); bound the
/// whole exchange by the request's [`Deadline`], when it has one; hand the response back with
/// its body unread.
///
/// For tests, [`transport_fn`] turns a closure into a transport:
///
/// ```
/// use sdm_core::{BlockingClient, ClientConfig, JobId};
/// use sdm_core::transport::{TransportError, transport_fn};
///
/// let fake = transport_fn(|_request: http::Request<Vec<u8>>| -> Result<http::Response<Vec<u8>>, TransportError> {
///     Ok(http::Response::new(br#"{"id":"9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b","status":"running"}"#.to_vec()))
/// });
/// let config = ClientConfig::new("https://sdm.akeneo.cloud/api/v1/")?.with_token("t");
/// let client = BlockingClient::with_transport(config, fake);
/// let job = client.get_job(&JobId::parse("9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b")?)?;
/// assert_eq!(job.status.as_str(), "running");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Transport: Send + Sync {
    /// Sends `request` as is (no redirects followed) and returns the response head and body.
    fn send(&self, request: Request<RequestBody>)
    -> Result<Response<BlockingBody>, TransportError>;

    /// Waits before a retry. Override it to make time virtual in tests.
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// Forwards both methods to the transport behind a pointer.
macro_rules! forward_transport {
    ($($pointer:ty),*) => {$(
        impl<T: Transport + ?Sized> Transport for $pointer {
            fn send(&self, request: Request<RequestBody>) -> Result<Response<BlockingBody>, TransportError> {
                (**self).send(request)
            }

            fn sleep(&self, duration: Duration) {
                (**self).sleep(duration)
            }
        }

        #[cfg(feature = "async")]
        #[async_trait]
        impl<T: AsyncTransport + ?Sized> AsyncTransport for $pointer {
            async fn send(&self, request: Request<RequestBody>) -> Result<Response<AsyncBody>, TransportError> {
                (**self).send(request).await
            }

            async fn sleep(&self, duration: Duration) {
                (**self).sleep(duration).await
            }
        }
    )*};
}

forward_transport!(&T, Box<T>, Arc<T>);

/// An async transport. `async-trait` keeps it object safe (`Box<dyn AsyncTransport>` and
/// `Arc<dyn AsyncTransport>` are transports too).
///
/// [`transport_fn`] makes a closure one; its `sleep` returns at once, so tests run without
/// waiting.
#[cfg(feature = "async")]
#[async_trait]
pub trait AsyncTransport: Send + Sync {
    /// Sends `request` as is (no redirects followed) and returns the response head and body.
    async fn send(
        &self,
        request: Request<RequestBody>,
    ) -> Result<Response<AsyncBody>, TransportError>;

    /// Waits before a retry, on the transport's runtime.
    async fn sleep(&self, duration: Duration);
}
