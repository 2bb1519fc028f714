//! When a request must be over: the [`Deadline`] the clients put on each request they send.

use std::time::{Duration, Instant};

use http::Request;

/// When the request must be over, body included: an [`http::Request`] extension the clients
/// put on every request they send, so that a transport can bound the whole exchange.
///
/// It is the earlier of the call's deadline ([`ClientConfig::with_deadline`], a wait's
/// timeout) and, for a document read whole (a job, a page, a token), the per-attempt bound of
/// [`ClientConfig::with_document_timeout`]. A transport should turn [`remaining`]
/// into an overall timeout for this one request (ureq's `timeout_global`, reqwest's
/// `RequestBuilder::timeout`): the client can check the clock only between two chunks of a
/// body, so a server that never answers is cut short by the transport alone.
///
/// [`ClientConfig::with_deadline`]: crate::ClientConfig::with_deadline
/// [`ClientConfig::with_document_timeout`]: crate::ClientConfig::with_document_timeout
/// [`remaining`]: Deadline::remaining
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Deadline(Instant);

impl Deadline {
    /// A deadline at `instant`.
    pub fn at(instant: Instant) -> Self {
        Self(instant)
    }

    /// When it is.
    pub fn instant(self) -> Instant {
        self.0
    }

    /// The time left from now (zero once it has passed).
    pub fn remaining(self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    /// The deadline `request` carries, if any.
    pub fn of<B>(request: &Request<B>) -> Option<Self> {
        request.extensions().get::<Self>().copied()
    }
}
