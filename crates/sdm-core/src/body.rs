//! Reading whole response bodies under a size limit, for blocking and async bodies alike, and
//! checking that a body that ended is as long as its head said it would be.
//!
//! The length check is the clients', for every transport: a transport that ends a body cut
//! short of its `Content-Length` as if it were complete (some HTTP libraries do) is caught here,
//! once, rather than in each transport.

use std::io::{self, Read};

use http::header::{CONTENT_ENCODING, CONTENT_LENGTH, TRANSFER_ENCODING};
use http::response::Parts;

use crate::error::{TransportError, TransportErrorKind};
#[cfg(feature = "async")]
use crate::transport::AsyncBody;
use crate::transport::BlockingBody;

/// How much of an error response is read: enough for any `detail` or an excerpt.
pub(crate) const ERROR_BODY_BYTES: usize = 64 * 1024;

/// What reading a body under a limit gives.
#[derive(Debug)]
pub(crate) enum ReadBody {
    /// The whole body.
    Complete(Vec<u8>),
    /// The first `limit` bytes; more followed.
    Truncated(Vec<u8>),
}

/// Collects chunks until the end of the body or until more than `limit` bytes arrived.
#[derive(Debug)]
struct Collector {
    bytes: Vec<u8>,
    limit: usize,
}

impl Collector {
    fn new(limit: usize) -> Self {
        Self {
            bytes: Vec::new(),
            limit,
        }
    }

    /// Adds a chunk; false once the limit is passed (the caller stops reading).
    fn push(&mut self, chunk: &[u8]) -> bool {
        let room = self.limit - self.bytes.len();
        if chunk.len() > room {
            self.bytes.extend_from_slice(&chunk[..room]);
            return false;
        }
        self.bytes.extend_from_slice(chunk);
        true
    }
}

pub(crate) fn read_blocking(
    body: &mut BlockingBody,
    limit: usize,
) -> Result<ReadBody, TransportError> {
    let mut collector = Collector::new(limit);
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let n = match body.read(&mut buffer) {
            Ok(0) => return Ok(ReadBody::Complete(collector.bytes)),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if !collector.push(&buffer[..n]) {
            return Ok(ReadBody::Truncated(collector.bytes));
        }
    }
}

#[cfg(feature = "async")]
pub(crate) async fn read_async(
    body: &mut AsyncBody,
    limit: usize,
) -> Result<ReadBody, TransportError> {
    let mut collector = Collector::new(limit);
    while let Some(chunk) = body.next_chunk().await? {
        if !collector.push(&chunk) {
            return Ok(ReadBody::Truncated(collector.bytes));
        }
    }
    Ok(ReadBody::Complete(collector.bytes))
}

/// The length of the body the response head announces: its `Content-Length`, when there is
/// exactly one, valid, and nothing says the bytes handed over are not the ones it counts (a
/// `Transfer-Encoding`, which overrides it, or a `Content-Encoding`, which a transport may have
/// decoded).
pub(crate) fn announced_length(head: &Parts) -> Option<u64> {
    if head.headers.contains_key(TRANSFER_ENCODING) || head.headers.contains_key(CONTENT_ENCODING) {
        return None;
    }
    let mut lengths = head.headers.get_all(CONTENT_LENGTH).iter();
    match (lengths.next(), lengths.next()) {
        (Some(length), None) => length.to_str().ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// Checks a body that ended after `received` bytes against the length its head announced: a
/// shorter body is an `Io` transport error ("the body ended after N of M bytes"), as a
/// connection lost mid-body is.
pub(crate) fn check_length(announced: Option<u64>, received: u64) -> Result<(), TransportError> {
    match announced {
        Some(announced) if received < announced => Err(TransportError::new(
            TransportErrorKind::Io,
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the body ended after {received} of {announced} bytes"),
            ),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(headers: &[(&str, &str)]) -> Parts {
        let mut response = http::Response::builder();
        for (name, value) in headers {
            response = response.header(*name, *value);
        }
        response.body(()).unwrap().into_parts().0
    }

    #[test]
    fn the_announced_length_is_the_content_length_the_bytes_are_counted_by() {
        assert_eq!(
            announced_length(&head(&[("content-length", "120")])),
            Some(120)
        );
        assert_eq!(announced_length(&head(&[])), None);
        assert_eq!(announced_length(&head(&[("content-length", "x")])), None);
        let twice = [("content-length", "120"), ("content-length", "120")];
        assert_eq!(announced_length(&head(&twice)), None);
        let chunked = [("content-length", "120"), ("transfer-encoding", "chunked")];
        assert_eq!(announced_length(&head(&chunked)), None);
        let gzip = [("content-length", "120"), ("content-encoding", "gzip")];
        assert_eq!(announced_length(&head(&gzip)), None);
    }

    #[test]
    fn a_body_short_of_its_length_is_an_io_error() {
        let error = check_length(Some(120), 60).unwrap_err();
        assert_eq!(error.kind(), TransportErrorKind::Io);
        let cause = std::error::Error::source(&error).unwrap();
        assert_eq!(cause.to_string(), "the body ended after 60 of 120 bytes");
        assert!(check_length(Some(120), 120).is_ok());
        assert!(check_length(None, 60).is_ok());
    }

    #[test]
    fn limits_are_exact() {
        let mut body = BlockingBody::from_bytes(vec![7u8; 10]);
        assert!(
            matches!(read_blocking(&mut body, 10).unwrap(), ReadBody::Complete(b) if b.len() == 10)
        );
        let mut body = BlockingBody::from_bytes(vec![7u8; 11]);
        assert!(
            matches!(read_blocking(&mut body, 10).unwrap(), ReadBody::Truncated(b) if b.len() == 10)
        );
    }
}
