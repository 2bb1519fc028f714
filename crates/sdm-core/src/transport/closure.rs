//! Closures as transports, for tests and fakes that need no server.

use std::fmt;
#[cfg(feature = "async")]
use std::time::Duration;

#[cfg(feature = "async")]
use async_trait::async_trait;
use http::{Request, Response};

use crate::error::TransportError;
#[cfg(feature = "async")]
use crate::transport::{AsyncBody, AsyncTransport};
use crate::transport::{BlockingBody, RequestBody, Transport};

/// A closure used as a transport; made by [`transport_fn`].
#[derive(Clone)]
pub struct FnTransport<F>(F);

/// Makes `send` a transport, blocking and async: it sees each request with its body read into
/// memory and answers with a whole response. Its async `sleep` returns at once (the blocking
/// one sleeps), so async tests of retries and waiting take no time.
pub fn transport_fn<F>(send: F) -> FnTransport<F>
where
    F: Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> + Send + Sync,
{
    FnTransport(send)
}

impl<F> FnTransport<F>
where
    F: Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>,
{
    fn call(&self, request: Request<RequestBody>) -> Result<Response<Vec<u8>>, TransportError> {
        let (head, body) = request.into_parts();
        let body = body.to_vec()?;
        (self.0)(Request::from_parts(head, body))
    }
}

impl<F> Transport for FnTransport<F>
where
    F: Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> + Send + Sync,
{
    fn send(
        &self,
        request: Request<RequestBody>,
    ) -> Result<Response<BlockingBody>, TransportError> {
        self.call(request)
            .map(|response| response.map(BlockingBody::from_bytes))
    }
}

#[cfg(feature = "async")]
#[async_trait]
impl<F> AsyncTransport for FnTransport<F>
where
    F: Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> + Send + Sync,
{
    async fn send(
        &self,
        request: Request<RequestBody>,
    ) -> Result<Response<AsyncBody>, TransportError> {
        self.call(request)
            .map(|response| response.map(AsyncBody::from_bytes))
    }

    async fn sleep(&self, _duration: Duration) {}
}

impl<F> fmt::Debug for FnTransport<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnTransport")
    }
}
