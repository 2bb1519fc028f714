//! A job's output file as it arrives: the head's [`DownloadInfo`], then the bytes, in constant
//! memory, checked against the announced length (a body cut short is an error, never a file
//! that looks complete).

use std::io::{self, Read};

use http::response::Parts;

use crate::body::{announced_length, check_length};
use crate::client::body_failure;
use crate::error::{Error, TransportError};
use crate::model::DownloadInfo;
#[cfg(feature = "async")]
use crate::transport::AsyncBody;
use crate::transport::BlockingBody;

/// What the readers of both clients share: what is being done, and the bytes counted so far.
#[derive(Debug)]
struct Progress {
    what: String,
    info: DownloadInfo,
    announced: Option<u64>,
    received: u64,
}

impl Progress {
    fn new(what: String, head: &Parts) -> Self {
        Self {
            what,
            info: DownloadInfo::from_headers(&head.headers),
            announced: announced_length(head),
            received: 0,
        }
    }

    /// Counts `n` more bytes; at the end (`n == 0`), checks the announced length.
    fn on_read(&mut self, result: Result<usize, TransportError>) -> Result<usize, Error> {
        let n = result.map_err(|e| body_failure(self.what.clone(), e))?;
        if n == 0 {
            check_length(self.announced, self.received)
                .map_err(|e| body_failure(self.what.clone(), e))?;
        }
        self.received += n as u64;
        Ok(n)
    }
}

/// A file being downloaded by the blocking client ([`BlockingClient::download`]): read it
/// with [`read_chunk`](Self::read_chunk) (typed errors) or as any [`Read`] (e.g.
/// `std::io::copy` into a file).
///
/// [`BlockingClient::download`]: crate::BlockingClient::download
#[derive(Debug)]
pub struct Download {
    progress: Progress,
    body: BlockingBody,
}

impl Download {
    pub(crate) fn new(what: String, head: &Parts, body: BlockingBody) -> Self {
        Self {
            progress: Progress::new(what, head),
            body,
        }
    }

    /// The file's type, length and name, as the response head gave them.
    pub fn info(&self) -> &DownloadInfo {
        &self.progress.info
    }

    /// Bytes received so far.
    pub fn received(&self) -> u64 {
        self.progress.received
    }

    /// Reads the next bytes into `buf`; `Ok(0)` is the end of a complete file.
    pub fn read_chunk(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        let result = loop {
            match self.body.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other.map_err(TransportError::from),
            }
        };
        self.progress.on_read(result)
    }
}

impl Read for Download {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_chunk(buf).map_err(io::Error::other)
    }
}

/// A file being downloaded by the async client ([`AsyncClient::download`]): read it chunk by
/// chunk with [`next_chunk`](Self::next_chunk).
///
/// [`AsyncClient::download`]: crate::AsyncClient::download
#[cfg(feature = "async")]
#[derive(Debug)]
pub struct AsyncDownload {
    progress: Progress,
    body: AsyncBody,
}

#[cfg(feature = "async")]
impl AsyncDownload {
    pub(crate) fn new(what: String, head: &Parts, body: AsyncBody) -> Self {
        Self {
            progress: Progress::new(what, head),
            body,
        }
    }

    /// The file's type, length and name, as the response head gave them.
    pub fn info(&self) -> &DownloadInfo {
        &self.progress.info
    }

    /// Bytes received so far.
    pub fn received(&self) -> u64 {
        self.progress.received
    }

    /// The next bytes, or `None` at the end of a complete file.
    pub async fn next_chunk(&mut self) -> Result<Option<bytes::Bytes>, Error> {
        loop {
            match self.body.next_chunk().await {
                Ok(Some(chunk)) if chunk.is_empty() => continue,
                Ok(Some(chunk)) => {
                    self.progress.on_read(Ok(chunk.len()))?;
                    return Ok(Some(chunk));
                }
                Ok(None) => {
                    self.progress.on_read(Ok(0))?;
                    return Ok(None);
                }
                Err(e) => return Err(body_failure(self.progress.what.clone(), e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(length: &str) -> Parts {
        let (head, ()) = http::Response::builder()
            .header("content-length", length)
            .header("content-disposition", "attachment; filename=\"out.csv\"")
            .body(())
            .unwrap()
            .into_parts();
        head
    }

    #[test]
    fn a_complete_file_reads_to_the_end_and_a_short_one_fails() {
        let mut whole = Download::new(
            "download".into(),
            &head("5"),
            BlockingBody::from_bytes(&b"a;b\n1"[..]),
        );
        assert_eq!(whole.info().file_name.as_deref(), Some("out.csv"));
        let mut out = Vec::new();
        whole.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"a;b\n1");
        let mut short = Download::new(
            "download".into(),
            &head("9"),
            BlockingBody::from_bytes(&b"a;b\n1"[..]),
        );
        let mut buf = [0; 64];
        assert_eq!(short.read_chunk(&mut buf).unwrap(), 5);
        let error = short.read_chunk(&mut buf).unwrap_err();
        let cause = std::error::Error::source(&error).map(|e| e.to_string());
        assert!(
            cause.unwrap_or_default().contains("after 5 of 9 bytes"),
            "{error:?}"
        );
    }
}
