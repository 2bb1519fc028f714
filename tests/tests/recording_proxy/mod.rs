//! A proxy on loopback that records what reaches it: the head of each request (a `CONNECT`, or
//! a plain request forwarded in absolute form) and every byte the client sends after it. It
//! relays all of it to one upstream address, whatever host the client named, as if every name
//! resolved to that server: so a client can use `https://sdm.example.test/` and the test can
//! tell what a proxy on the way would read.
//!
//! Shared by `tests/tests/proxy.rs` and `crates/sdm-cli/tests/proxy.rs`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

/// What one connection to the proxy carried.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    /// The request line and headers, as sent.
    pub head: String,
    /// The bytes the client sent after the head (a TLS handshake in a tunnel, a request body).
    pub after_head: Vec<u8>,
}

impl Seen {
    /// The head and the bytes after it, for searching.
    pub fn all_bytes(&self) -> Vec<u8> {
        let mut all = self.head.as_bytes().to_vec();
        all.extend_from_slice(&self.after_head);
        all
    }
}

/// The running proxy; connections are served on threads of their own until either side closes.
#[derive(Debug)]
pub struct RecordingProxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Arc<Mutex<Seen>>>>>,
}

impl RecordingProxy {
    /// Starts a proxy on `127.0.0.1:0` relaying every connection to `upstream`.
    pub fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let entry = Arc::new(Mutex::new(Seen::default()));
                record
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(Arc::clone(&entry));
                thread::spawn(move || {
                    let _ = serve(client, upstream, &entry);
                });
            }
        });
        Self { addr, seen }
    }

    /// The proxy's URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What every connection so far carried (a connection whose head is still arriving has an
    /// empty head).
    pub fn seen(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|entry| entry.lock().unwrap_or_else(PoisonError::into_inner).clone())
            .collect()
    }
}

/// Reads the head, answers a `CONNECT` with 200 or rewrites a forwarded request to origin
/// form, then relays both ways, recording what the client sends.
fn serve(client: TcpStream, upstream: SocketAddr, entry: &Mutex<Seen>) -> io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        head.push_str(&line);
        if line == "\r\n" || line == "\n" {
            break;
        }
    }
    entry.lock().unwrap_or_else(PoisonError::into_inner).head = head.clone();
    let mut server = TcpStream::connect(upstream)?;
    let (request_line, rest) = head.split_once("\r\n").unwrap_or((&head, ""));
    let mut parts = request_line.splitn(3, ' ');
    let (method, target, version) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    if method.eq_ignore_ascii_case("CONNECT") {
        (&client).write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    } else {
        // `GET http://host/path HTTP/1.1` reaches the server as `GET /path HTTP/1.1`.
        let path = target
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|slash| &rest[slash..]))
            .unwrap_or(target);
        write!(server, "{method} {path} {version}\r\n{rest}")?;
    }
    // Bytes already read past the head.
    let buffered = reader.buffer().to_vec();
    record(entry, &buffered);
    server.write_all(&buffered)?;

    let mut from_server = server.try_clone()?;
    let mut to_client = client.try_clone()?;
    thread::spawn(move || {
        let _ = io::copy(&mut from_server, &mut to_client);
        let _ = to_client.shutdown(Shutdown::Write);
    });
    let mut client = client;
    let mut buf = [0; 16 * 1024];
    loop {
        let n = client.read(&mut buf)?;
        if n == 0 {
            let _ = server.shutdown(Shutdown::Write);
            return Ok(());
        }
        // Recorded before it is passed on, so that what the server answers to has been seen.
        record(entry, &buf[..n]);
        server.write_all(&buf[..n])?;
    }
}

fn record(entry: &Mutex<Seen>, bytes: &[u8]) {
    let mut seen = entry.lock().unwrap_or_else(PoisonError::into_inner);
    // Bounded: a test looks at the start of a tunnel, not at a whole upload.
    let room = (1usize << 20).saturating_sub(seen.after_head.len());
    seen.after_head
        .extend_from_slice(&bytes[..bytes.len().min(room)]);
}

/// True when `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window == needle)
}
