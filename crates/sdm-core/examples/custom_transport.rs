//! A transport of your own: plain HTTP/1.0 over `std::net::TcpStream`, in about fifty lines,
//! and everything the generic client gives on top of it (pacing, retries, paging, waiting,
//! streamed rows, typed errors).
//!
//! Plain HTTP is only for loopback (the fake server here, or a local proxy): sdm-core refuses to
//! send the token over `http://` to any other host.
//!
//! Run it: `cargo run -p sdm-core --example custom_transport`

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use sdm_core::http::{Request, Response};
use sdm_core::{
    BlockingBody, BlockingClient, ClientConfig, JobQuery, JobStatus, OutputFormatId, PagerOptions,
    Transport, TransportError, TransportErrorKind,
};

/// HTTP/1.0 with one connection per request: the server closes the connection after the body, so
/// the body is simply "the rest of the stream". No redirects are followed; error statuses are
/// returned as responses.
#[derive(Debug, Default)]
struct TcpTransport;

impl Transport for TcpTransport {
    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<BlockingBody>, TransportError> {
        let uri = request.uri();
        let (host, port) = (
            uri.host().unwrap_or("127.0.0.1"),
            uri.port_u16().unwrap_or(80),
        );
        let mut stream = TcpStream::connect((host, port))
            .map_err(|e| TransportError::new(TransportErrorKind::Connect, e))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
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
        head.push_str(&format!("Content-Length: {}\r\n\r\n", request.body().len()));
        stream.write_all(head.as_bytes())?;
        stream.write_all(request.body())?;

        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line)?;
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
        let mut length = None;
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let Some((name, value)) = line.trim_end().split_once(':') else {
                break;
            };
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<u64>().ok();
            }
            response = response.header(name.trim(), value.trim());
        }
        // With a length, read exactly that much (a shorter body is an error further up);
        // without one, the body ends where the connection does.
        let body = match length {
            Some(length) => BlockingBody::new(reader.take(length)),
            None => BlockingBody::new(reader),
        };
        response
            .body(body)
            .map_err(|e| TransportError::new(TransportErrorKind::Other, e))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = sdm_mock::MockServer::start();
    let config = ClientConfig::new(server.base_url())?.with_token(server.token());
    let client = BlockingClient::with_transport(config, TcpTransport);

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
