//! Bytes written straight to the connection, for what hyper never sends on its own: a response
//! cut short, and a connection closed instead of answering.
//!
//! Each connection's socket is split: hyper reads and writes through a [`ConnIo`], and the
//! request carries a [`RawConn`] sharing the write half. A fault writes its bytes through the
//! [`RawConn`] while hyper waits for the response, then returns a response marked
//! [`AbortConnection`]; the connection's service turns that into an error, on which hyper
//! closes the connection without writing anything.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// The shared write half of a connection's socket.
type SharedWrite = Arc<Mutex<OwnedWriteHalf>>;

/// A connection's socket as hyper uses it.
#[derive(Debug)]
pub(crate) struct ConnIo {
    read: OwnedReadHalf,
    write: SharedWrite,
}

/// A handle to write raw bytes to a connection, found in the extensions of each request.
#[derive(Clone)]
pub(crate) struct RawConn(SharedWrite);

impl fmt::Debug for RawConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RawConn(..)")
    }
}

/// Marks a response that must not be sent: the connection is closed instead.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AbortConnection;

/// Splits an accepted socket into hyper's side and the raw writer.
pub(crate) fn split(stream: TcpStream) -> (ConnIo, RawConn) {
    let (read, write) = stream.into_split();
    let write = Arc::new(Mutex::new(write));
    (
        ConnIo {
            read,
            write: Arc::clone(&write),
        },
        RawConn(write),
    )
}

/// Locks a write half (a poisoned lock is still a usable socket).
fn lock(write: &SharedWrite) -> MutexGuard<'_, OwnedWriteHalf> {
    write.lock().unwrap_or_else(|e| e.into_inner())
}

impl RawConn {
    /// Writes all of `data` and flushes it.
    pub(crate) async fn write_all(&self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let n = poll_fn(|cx| Pin::new(&mut *lock(&self.0)).poll_write(cx, data)).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            data = &data[n..];
        }
        poll_fn(|cx| Pin::new(&mut *lock(&self.0)).poll_flush(cx)).await
    }
}

impl AsyncRead for ConnIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().read).poll_read(cx, buf)
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *lock(&self.write)).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *lock(&self.write)).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        lock(&self.write).is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *lock(&self.write)).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *lock(&self.write)).poll_shutdown(cx)
    }
}

/// A response that closes the connection instead of being sent.
pub(crate) fn abort() -> Response {
    let mut response = Response::new(Body::empty());
    response.extensions_mut().insert(AbortConnection);
    response
}

/// How a raw response delimits its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `Content-Length: n`.
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Neither, with `Connection: close`: the body ends when the connection does.
    Close,
}

/// The status line and headers of a response, with `framing` replacing whatever framing
/// headers `headers` has.
pub(crate) fn head(status: StatusCode, headers: &HeaderMap, framing: Framing) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Unknown")
    )
    .into_bytes();
    for (name, value) in headers {
        if [
            header::CONTENT_LENGTH,
            header::TRANSFER_ENCODING,
            header::CONNECTION,
        ]
        .contains(name)
        {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    match framing {
        Framing::Length(n) => out.extend_from_slice(format!("content-length: {n}\r\n").as_bytes()),
        Framing::Chunked => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        Framing::Close => out.extend_from_slice(b"connection: close\r\n"),
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// `data` as one chunk of a chunked body (size line, data, CRLF).
pub(crate) fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn heads_replace_the_framing() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("99"));
        let text = |framing| String::from_utf8(head(StatusCode::OK, &headers, framing)).unwrap();
        assert_eq!(
            text(Framing::Length(10)),
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 10\r\n\r\n"
        );
        assert!(text(Framing::Chunked).ends_with("\r\ntransfer-encoding: chunked\r\n\r\n"));
        assert!(text(Framing::Close).ends_with("\r\nconnection: close\r\n\r\n"));
        assert_eq!(chunk(b"0123456789abcdef!"), b"11\r\n0123456789abcdef!\r\n");
    }
}
