//! Response bodies as transports hand them over: a blocking reader, or async chunks.

use std::fmt;
use std::io::{self, Read};

#[cfg(feature = "async")]
use async_trait::async_trait;
use bytes::Bytes;

#[cfg(feature = "async")]
use crate::error::TransportError;

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
#[cfg(feature = "async")]
#[async_trait]
pub trait AsyncBodyRead: Send {
    /// The next chunk, or `None` at the end of the body.
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError>;
}

/// A response body for async transports.
#[cfg(feature = "async")]
pub struct AsyncBody(Box<dyn AsyncBodyRead>);

#[cfg(feature = "async")]
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

#[cfg(feature = "async")]
impl fmt::Debug for AsyncBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AsyncBody")
    }
}

#[cfg(feature = "async")]
struct InMemory(Option<Bytes>);

#[cfg(feature = "async")]
#[async_trait]
impl AsyncBodyRead for InMemory {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        Ok(self.0.take().filter(|bytes| !bytes.is_empty()))
    }
}
