//! A transport of your own: plain HTTP/1.0 over `std::net::TcpStream`, in under two hundred
//! lines (most of them finding where a body ends), and everything the generic client gives on
//! top of it (pacing, retries, paging, waiting, streamed rows, typed errors).
//!
//! Small as it is, it passes the conformance kit (`sdm-conformance`; the workspace's
//! `tests/tests/custom_transport.rs` runs this very file): it follows no redirect, honours its
//! timeouts, reports failures with the kind the client acts on (`Connect`, `Tls`, `Timeout`,
//! `Io`) and never passes a body cut short as a whole one.
//!
//! Plain HTTP is only for loopback (the fake server here, or a local proxy): sdm-core refuses to
//! send the token over `http://` to any other host. It makes no TLS connection, so an
//! `https://` URL is a `Tls` error, as a failed handshake is for a transport that has TLS.
//!
//! Run it: `cargo run -p sdm-core --example custom_transport`

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use sdm_core::http::{Request, Response};
use sdm_core::transport::{BlockingBody, Deadline, RequestBody, Transport};
use sdm_core::{
    BlockingClient, ClientConfig, JobQuery, JobStatus, OutputFormatId, PagerOptions,
    TransportError, TransportErrorKind,
};

/// HTTP/1.0 with one connection per request: the server closes the connection after the body.
/// No redirects are followed; error statuses are returned as responses.
#[derive(Clone, Debug)]
pub(crate) struct TcpTransport {
    connect_timeout: Duration,
    read_timeout: Duration,
}

impl TcpTransport {
    /// A transport that gives up connecting after `connect_timeout`, and waiting for the
    /// server (for the response, or for any piece of its body) after `read_timeout`.
    pub(crate) fn new(connect_timeout: Duration, read_timeout: Duration) -> Self {
        Self {
            connect_timeout,
            read_timeout,
        }
    }

    fn connect(&self, host: &str, port: u16) -> Result<TcpStream, TransportError> {
        // A timeout is a `Timeout`; anything else that prevents a connection is a `Connect`.
        let failed = |e: io::Error| match e.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TransportError::from(e),
            _ => TransportError::new(TransportErrorKind::Connect, e),
        };
        let mut last = io::Error::new(io::ErrorKind::NotFound, "the host has no address");
        for addr in (host, port).to_socket_addrs().map_err(failed)? {
            match TcpStream::connect_timeout(&addr, self.connect_timeout) {
                Ok(stream) => return Ok(stream),
                Err(e) => last = e,
            }
        }
        Err(failed(last))
    }
}

impl Transport for TcpTransport {
    fn send(
        &self,
        request: Request<RequestBody>,
    ) -> Result<Response<BlockingBody>, TransportError> {
        let uri = request.uri();
        // No TLS here: an `https` URL cannot be served, and a retry would not change that. It
        // is the failure to make a TLS connection, so `Tls`, which is never retried.
        if uri.scheme_str() != Some("http") {
            return Err(TransportError::new(
                TransportErrorKind::Tls,
                format!(
                    "this transport speaks plain HTTP only, not {}",
                    uri.scheme_str().unwrap_or("a URL without a scheme")
                ),
            ));
        }
        let (host, port) = (
            uri.host().unwrap_or("127.0.0.1"),
            uri.port_u16().unwrap_or(80),
        );
        let mut stream = self.connect(host, port)?;
        // Every later wait for the server is bounded (`WouldBlock`/`TimedOut` are timeouts),
        // and never past the request's deadline: the client cuts a body that keeps arriving,
        // but only the transport can cut a server that does not answer at all.
        let left = Deadline::of(&request).map(|d| d.remaining().max(Duration::from_millis(1)));
        let wait = left.map_or(self.read_timeout, |left| left.min(self.read_timeout));
        stream.set_read_timeout(Some(wait))?;
        stream.set_write_timeout(Some(self.read_timeout))?;
        let target = uri.path_and_query().map_or("/", |p| p.as_str());
        let mut head = format!(
            "{} {target} HTTP/1.0\r\nHost: {host}:{port}\r\n",
            request.method()
        );
        for (name, value) in request.headers() {
            let value = value
                .to_str()
                .map_err(|e| TransportError::new(TransportErrorKind::Other, e))?;
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        // The request's headers already carry its `Content-Length`; the body streams from
        // memory or disk, opened afresh for each attempt.
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        io::copy(&mut request.body().reader(), &mut stream)?;

        let mut reader = BufReader::new(stream);
        let line = read_line(&mut reader)?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| {
                TransportError::new(
                    TransportErrorKind::Io,
                    format!("not an HTTP status line: {line:?}"),
                )
            })?;
        let mut response = Response::builder().status(status);
        let mut framing = Framing::UntilClose;
        loop {
            let line = read_line(&mut reader)?;
            let Some((name, value)) = line.trim_end().split_once(':') else {
                break;
            };
            let (name, value) = (name.trim(), value.trim());
            if name.eq_ignore_ascii_case("transfer-encoding")
                && value.eq_ignore_ascii_case("chunked")
            {
                framing = Framing::Chunked(0);
            } else if name.eq_ignore_ascii_case("content-length")
                && !matches!(framing, Framing::Chunked(_))
            {
                let length = value
                    .parse()
                    .map_err(|e| TransportError::new(TransportErrorKind::Io, e))?;
                framing = Framing::Length(length);
            }
            response = response.header(name, value);
        }
        let body = BlockingBody::new(Body { reader, framing });
        response
            .body(body)
            .map_err(|e| TransportError::new(TransportErrorKind::Other, e))
    }
}

/// One line of the response head; the connection closing first is an `Io` error.
fn read_line(reader: &mut impl BufRead) -> io::Result<String> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(line)
}

/// How the end of the body is found.
enum Framing {
    /// `Content-Length`: this many bytes are left.
    Length(u64),
    /// `Transfer-Encoding: chunked`, which a server must not send to an HTTP/1.0 client but
    /// some do (the fake server's `drop-mid-body` fault does): bytes left in the current chunk
    /// (0: read the next size line).
    Chunked(u64),
    /// The last chunk has been read.
    Done,
    /// Neither: the body ends where the connection does.
    UntilClose,
}

/// The body, read as the client asks. A connection that closes before the body's framing says
/// it is complete is an `UnexpectedEof` error (a connection lost, `Io`), never a short body.
struct Body<R> {
    reader: R,
    framing: Framing,
}

impl<R: BufRead> Read for Body<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Framing::Chunked(0) = self.framing {
            // A chunk starts with its size in hex (extensions after `;`); size 0 is the last.
            let line = read_line(&mut self.reader)?;
            let size = line.trim_end().split(';').next().unwrap_or_default();
            let size = u64::from_str_radix(size.trim(), 16)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            self.framing = if size == 0 {
                Framing::Done
            } else {
                Framing::Chunked(size)
            };
        }
        let left = match self.framing {
            Framing::UntilClose => return self.reader.read(buf),
            Framing::Done | Framing::Length(0) => return Ok(0),
            Framing::Length(left) | Framing::Chunked(left) => left,
        };
        if buf.is_empty() {
            return Ok(0);
        }
        let most = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.reader.read(&mut buf[..most])?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        match &mut self.framing {
            Framing::Length(left) => *left -= n as u64,
            Framing::Chunked(left) => {
                *left -= n as u64;
                if *left == 0 {
                    self.reader.read_exact(&mut [0; 2])?; // The CRLF after each chunk.
                }
            }
            Framing::Done | Framing::UntilClose => {}
        }
        Ok(n)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = sdm_mock::MockServer::start();
    let config = ClientConfig::new(server.base_url())?.with_token(server.token());
    let transport = TcpTransport::new(Duration::from_secs(10), Duration::from_secs(30));
    let client = BlockingClient::with_transport(config, transport);

    let page = client.list_jobs(&JobQuery::new().page_size(3))?;
    println!("{} jobs on the fake server; the newest:", page.count);
    for job in &page.results {
        println!(
            "  {}  {:<8} {}",
            job.id,
            job.status,
            job.name.as_deref().unwrap_or("")
        );
    }
    let all: Vec<_> = client
        .jobs(&JobQuery::new(), PagerOptions::default())
        .collect::<Result<_, _>>()?;
    println!("walked every page: {} jobs", all.len());
    let done = all
        .iter()
        .find(|job| job.status == JobStatus::Done)
        .ok_or("no done job")?;
    let rows = client.job_data(&done.id, OutputFormatId(1))?;
    println!("job {} has {} output rows", done.id, rows.len());
    Ok(())
}
