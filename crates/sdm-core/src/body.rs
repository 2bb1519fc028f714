//! Reading whole response bodies under a size limit, for blocking and async bodies alike.

use std::io::Read;

use crate::error::TransportError;
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

#[cfg(test)]
mod tests {
    use super::*;

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
