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
//!
//! Transports that use proxies follow one rule, [`proxy_route`]: loopback hosts are reached
//! directly, https goes through the proxy (a `CONNECT` tunnel, TLS end to end), and plain http
//! goes through it only when the request says the user allowed clear text ([`PlainHttpAllowed`]).

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

use crate::base_url::BaseUrl;
use crate::error::{InvalidInput, Setting};
pub use crate::error::{TimedOut, TimeoutKind, TransportError, TransportErrorKind};

/// In a request's extensions: its URL is plain `http://` on a host that is not loopback, and
/// the configuration allows that ([`ClientConfig::with_allow_http`]). The clients mark such
/// requests so that a transport knows the user accepted clear text, and may send them through
/// a proxy; without it, [`proxy_route`] refuses.
///
/// [`ClientConfig::with_allow_http`]: crate::ClientConfig::with_allow_http
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PlainHttpAllowed;

/// How to send a request that a transport's proxy settings would send through a proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyRoute {
    /// Directly, not through the proxy: the host is loopback (`127.0.0.0/8`, `[::1]`,
    /// `localhost`), a server on this machine, which a proxy elsewhere must not see.
    Direct,
    /// Through the proxy: https (tunnelled with `CONNECT`, TLS from end to end, so the proxy
    /// sees only the host name), or plain http marked [`PlainHttpAllowed`].
    Proxy,
}

/// The proxy rule of the first-party transports, for any transport that uses proxies: call it
/// when the proxy settings (an explicit proxy, `HTTPS_PROXY`, ...) would send `request` through
/// a proxy. A loopback host goes direct, whatever those settings say; plain http without
/// [`PlainHttpAllowed`] is refused (kind [`TransportErrorKind::Other`], caused by an
/// [`InvalidInput`] naming [`Setting::AllowHttp`]): the proxy, and every network on the way,
/// would read the token.
pub fn proxy_route<B>(request: &Request<B>) -> Result<ProxyRoute, TransportError> {
    let uri = request.uri();
    let loopback = match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => BaseUrl::parse(&format!("{scheme}://{authority}/"))
            .is_ok_and(|origin| origin.is_loopback()),
        _ => false,
    };
    if loopback {
        return Ok(ProxyRoute::Direct);
    }
    let plain = !uri
        .scheme_str()
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https"));
    if plain && request.extensions().get::<PlainHttpAllowed>().is_none() {
        // The host and port only: a URL built by hand may carry credentials.
        let scheme = uri.scheme_str().unwrap_or("http");
        let host = uri.host().unwrap_or_default();
        let port = uri
            .port_u16()
            .map(|port| format!(":{port}"))
            .unwrap_or_default();
        let mut refused = InvalidInput::new(
            "request",
            format!(
                "{scheme}://{host}{port} is plain http and would go through a proxy, which would \
                 read the token in clear text; use https, or reach the server without the proxy"
            ),
        );
        refused.allowed_by = Some(Setting::AllowHttp);
        return Err(TransportError::new(TransportErrorKind::Other, refused));
    }
    Ok(ProxyRoute::Proxy)
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{GetJob, Operation};
    use crate::{ClientConfig, JobId};

    fn request(config: &ClientConfig) -> Request<RequestBody> {
        let id = JobId::parse("9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b").unwrap();
        GetJob::new(id).request(config).unwrap()
    }

    fn config(base_url: &str) -> ClientConfig {
        ClientConfig::new(base_url).unwrap().with_token("t")
    }

    #[test]
    fn loopback_goes_direct_and_https_through_the_proxy() {
        for loopback in [
            "http://127.0.0.1:8080/",
            "http://127.9.8.7/",
            "http://[::1]:9/",
            "http://LocalHost:1/",
            "https://localhost/",
        ] {
            let route = proxy_route(&request(&config(loopback))).unwrap();
            assert_eq!(route, ProxyRoute::Direct, "{loopback}");
        }
        let https = request(&config("https://sdm.akeneo.cloud/api/v1/"));
        assert!(https.extensions().get::<PlainHttpAllowed>().is_none());
        assert_eq!(proxy_route(&https).unwrap(), ProxyRoute::Proxy);
    }

    #[test]
    fn plain_http_goes_through_a_proxy_only_when_allowed() {
        let allowed = request(&config("http://10.0.0.5/api/").with_allow_http(true));
        assert_eq!(
            allowed.extensions().get::<PlainHttpAllowed>(),
            Some(&PlainHttpAllowed)
        );
        assert_eq!(proxy_route(&allowed).unwrap(), ProxyRoute::Proxy);

        // A request built by hand, without the mark.
        let unmarked = Request::get("http://user:secret@10.0.0.5:8000/api/jobs/")
            .body(())
            .unwrap();
        let error = proxy_route(&unmarked).unwrap_err();
        assert_eq!(error.kind(), TransportErrorKind::Other);
        let cause = std::error::Error::source(&error)
            .and_then(|cause| cause.downcast_ref::<InvalidInput>())
            .unwrap();
        assert_eq!(cause.allowed_by, Some(Setting::AllowHttp));
        assert!(
            cause
                .reason
                .starts_with("http://10.0.0.5:8000 is plain http"),
            "{cause}"
        );
        assert!(!cause.reason.contains("secret"), "{cause}");

        // Loopback requests are not marked: they never go through a proxy.
        let local = request(&config("http://127.0.0.1:1/").with_allow_http(true));
        assert!(local.extensions().get::<PlainHttpAllowed>().is_none());
    }
}
