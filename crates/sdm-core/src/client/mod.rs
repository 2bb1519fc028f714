//! The generic clients, written once over the transport traits: they build each operation's
//! request, send it through the transport, read the body under the configured limits and parse.

mod blocking;
mod nonblocking;

pub use blocking::BlockingClient;
pub use nonblocking::AsyncClient;

use std::time::Instant;

use http::response::Parts;
use http::{Request, Response};

use crate::body::{ERROR_BODY_BYTES, ReadBody};
use crate::config::ClientConfig;
use crate::error::{Error, TooLargeError, TransportError, TransportFailure};
use crate::ops::Operation;

/// How many body bytes to read for a response with this head.
fn body_limit(config: &ClientConfig, head: &Parts) -> usize {
    if head.status.is_success() {
        config.max_document_bytes()
    } else {
        ERROR_BODY_BYTES
    }
}

/// Parses a response whose body has been read; a success body over the limit is an error,
/// an error body over the limit is only quoted in part.
fn finish<O: Operation>(
    op: &O,
    config: &ClientConfig,
    head: Parts,
    body: ReadBody,
) -> Result<O::Output, Error> {
    let bytes = match body {
        ReadBody::Complete(bytes) => bytes,
        ReadBody::Truncated(_) if head.status.is_success() => {
            return Err(Error::TooLarge(TooLargeError::new(
                op.describe(),
                config.max_document_bytes(),
                "ClientConfig::with_max_document_bytes",
            )));
        }
        ReadBody::Truncated(bytes) => bytes,
    };
    op.parse(&Response::from_parts(head, bytes))
}

/// One request on its way: remembers what to log when the response (or the failure) comes back.
struct Exchange {
    method: http::Method,
    path: String,
    started: Instant,
}

impl Exchange {
    fn start(request: &Request<Vec<u8>>) -> Self {
        let exchange = Self {
            method: request.method().clone(),
            path: request.uri().path().to_owned(),
            started: Instant::now(),
        };
        tracing::debug!(method = %exchange.method, path = %exchange.path, "sending request");
        exchange
    }

    fn finished<B>(
        self,
        what: impl FnOnce() -> String,
        result: Result<Response<B>, TransportError>,
    ) -> Result<Response<B>, Error> {
        let elapsed_ms = self.started.elapsed().as_millis() as u64;
        match result {
            Ok(response) => {
                tracing::debug!(
                    method = %self.method, path = %self.path, status = response.status().as_u16(),
                    elapsed_ms, "response received"
                );
                Ok(response)
            }
            Err(error) => {
                tracing::debug!(
                    method = %self.method, path = %self.path, error = %error, elapsed_ms,
                    "request failed"
                );
                Err(Error::Transport(Box::new(TransportFailure::new(
                    what(),
                    error,
                ))))
            }
        }
    }
}
