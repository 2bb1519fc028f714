//! Streaming responses for large bodies: the head parsed, the chunked body decoded on the fly
//! through `Read`, never held whole.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use sdm_mock::MockServer;

/// An authenticated GET whose body is read as a stream: (status, decoded body reader).
pub fn get_stream(
    server: &MockServer,
    relative: &str,
) -> (u16, ChunkedReader<BufReader<TcpStream>>) {
    let mut stream = TcpStream::connect(server.addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let head = format!(
        "GET /api/v1/{relative} HTTP/1.1\r\nHost: {}\r\nAuthorization: Token {}\r\nConnection: close\r\n\r\n",
        server.addr(),
        server.token()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let status = line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut chunked = false;
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap();
        chunked |= name.eq_ignore_ascii_case("transfer-encoding")
            && value.trim().eq_ignore_ascii_case("chunked");
    }
    assert!(chunked, "expected a chunked body");
    (
        status,
        ChunkedReader {
            inner: reader,
            left: 0,
            done: false,
        },
    )
}

/// Decodes `Transfer-Encoding: chunked` from a buffered reader.
#[derive(Debug)]
pub struct ChunkedReader<R> {
    inner: R,
    left: usize,
    done: bool,
}

impl<R: BufRead> ChunkedReader<R> {
    /// Reads one CRLF-terminated line.
    fn line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        self.inner.read_line(&mut line)?;
        Ok(line.trim_end().to_owned())
    }
}

impl<R: BufRead> Read for ChunkedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let size = self.line()?;
            let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            if size == 0 {
                self.line()?;
                self.done = true;
                return Ok(0);
            }
            self.left = size;
        }
        let want = buf.len().min(self.left);
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.left -= n;
        if self.left == 0 {
            assert_eq!(self.line()?, "", "chunk not followed by CRLF");
        }
        Ok(n)
    }
}
