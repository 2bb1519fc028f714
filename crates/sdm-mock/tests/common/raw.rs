//! Raw exchanges for fault tests: send request bytes, read whatever comes back until the server
//! closes the connection, and look at the bytes without assuming they form a valid response.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use sdm_mock::MockServer;

/// A response head's headers: lowercase names and trimmed values.
pub type Headers = Vec<(String, String)>;

/// Everything read from one connection.
#[derive(Debug)]
pub struct Raw {
    /// The bytes, in order.
    pub bytes: Vec<u8>,
    /// How the reading ended: `None` for a clean EOF, else the error (reset, timeout).
    pub error: Option<io::ErrorKind>,
    /// When each non-empty read returned, since the request was sent.
    pub arrivals: Vec<Duration>,
}

impl Raw {
    /// The status line, headers and body bytes, if a whole head arrived.
    pub fn parts(&self) -> Option<(u16, Headers, &[u8])> {
        let split = self.bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = std::str::from_utf8(&self.bytes[..split]).ok()?;
        let mut lines = head.split("\r\n");
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers = lines
            .map(|l| {
                let (k, v) = l.split_once(':').unwrap();
                (k.trim().to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect();
        Some((status, headers, &self.bytes[split + 4..]))
    }
}

/// The value of a header in a list from [`Raw::parts`].
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Sends `request` on a new connection and reads until the server closes it (or 10 s pass).
pub fn exchange(addr: SocketAddr, request: &[u8]) -> Raw {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request).unwrap();
    let sent = Instant::now();
    let mut bytes = Vec::new();
    let mut arrivals = Vec::new();
    let mut buf = [0; 64 * 1024];
    let error = loop {
        match stream.read(&mut buf) {
            Ok(0) => break None,
            Ok(n) => {
                bytes.extend_from_slice(&buf[..n]);
                arrivals.push(sent.elapsed());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Some(e.kind()),
        }
    };
    Raw {
        bytes,
        error,
        arrivals,
    }
}

/// A keep-alive GET of a path relative to the API root, with the server's token or none. A
/// healthy server keeps such a connection open, so only use it where the server closes it.
pub fn keep_alive_get(server: &MockServer, relative: &str, with_token: bool) -> Vec<u8> {
    let auth = if with_token {
        format!("Authorization: Token {}\r\n", server.token())
    } else {
        String::new()
    };
    format!(
        "GET /api/v1/{relative} HTTP/1.1\r\nHost: {}\r\n{auth}\r\n",
        server.addr()
    )
    .into_bytes()
}

/// An authenticated GET with `Connection: close`, read whole, however it ends.
pub fn closing_get(server: &MockServer, relative: &str) -> Raw {
    let request = format!(
        "GET /api/v1/{relative} HTTP/1.1\r\nHost: {}\r\nAuthorization: Token {}\r\nConnection: close\r\n\r\n",
        server.addr(),
        server.token()
    );
    exchange(server.addr(), request.as_bytes())
}

/// Decodes as much of a chunked body as is there: (data, whether the terminating chunk came).
pub fn dechunk_partial(mut data: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") else {
            return (out, false);
        };
        let size_text = std::str::from_utf8(&data[..line_end]).unwrap();
        let size = usize::from_str_radix(size_text.trim(), 16).unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return (out, data.starts_with(b"\r\n"));
        }
        if data.len() < size + 2 {
            out.extend_from_slice(&data[..size.min(data.len())]);
            return (out, false);
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}
