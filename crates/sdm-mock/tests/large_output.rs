//! Large job outputs over real HTTP: generated while streamed, byte-identical to the ground
//! truth, in constant memory on both sides.

mod common;

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use common::stream::get_stream;
use sdm_mock::{JobSpec, MockServer, Status};
use serde::de::IgnoredAny;
use serde::{Serialize, Serializer};
use serde_json::Value;

/// Serializes an iterator as a JSON array without collecting it.
struct SerializeIter<I>(RefCell<Option<I>>);

impl<I: Iterator<Item = Value>> Serialize for SerializeIter<I> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.borrow_mut().take().expect("serialized once"))
    }
}

/// A writer that checks that what is written is what `reader` yields next.
struct CompareWith<R> {
    reader: R,
    offset: usize,
    buf: Vec<u8>,
}

impl<R: Read> Write for CompareWith<R> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.resize(data.len(), 0);
        self.reader.read_exact(&mut self.buf)?;
        if self.buf != data {
            let at = data
                .iter()
                .zip(&self.buf)
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "body differs at byte {}: expected {:?}, got {:?}",
                self.offset + at,
                String::from_utf8_lossy(&data[at..(at + 80).min(data.len())]),
                String::from_utf8_lossy(&self.buf[at..(at + 80).min(data.len())]),
            );
        }
        self.offset += data.len();
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Splits a compact JSON array of objects into its elements as bytes arrive (whatever the read
/// boundaries), validating each element with `serde_json` and the array's punctuation itself.
#[derive(Debug, Default)]
struct RowSplitter {
    opened: bool,
    closed: bool,
    depth: u32,
    in_string: bool,
    escaped: bool,
    row: Vec<u8>,
    rows: u64,
}

impl RowSplitter {
    /// Feeds the next bytes of the body.
    fn feed(&mut self, data: &[u8]) {
        let mut start = 0;
        for (i, &b) in data.iter().enumerate() {
            assert!(!self.closed, "bytes after the closing bracket");
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' if self.depth > 0 || self.opened => {
                    if self.depth == 0 {
                        start = i;
                        self.row.clear();
                    }
                    self.depth += 1;
                }
                b'[' => {
                    self.opened = true;
                }
                b'}' | b']' if self.depth > 0 => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.row.extend_from_slice(&data[start..=i]);
                        self.finish_row();
                    }
                }
                b']' => {
                    assert!(self.opened && self.row.is_empty());
                    self.closed = true;
                }
                b',' if self.depth == 0 => assert!(self.rows > 0, "comma before any row"),
                _ => assert!(self.depth > 0, "unexpected byte {b:#x} outside the rows"),
            }
        }
        if self.depth > 0 {
            self.row.extend_from_slice(&data[start..]);
        }
    }

    /// Validates and counts one complete row.
    fn finish_row(&mut self) {
        let text = || String::from_utf8_lossy(&self.row);
        assert!(
            self.row.starts_with(b"{\""),
            "row {} is not a non-empty object: {}",
            self.rows,
            text()
        );
        if let Err(e) = serde_json::from_slice::<IgnoredAny>(&self.row) {
            panic!("row {} is not valid JSON ({e}): {}", self.rows, text());
        }
        self.rows += 1;
        self.row.clear();
    }
}

/// A reader that counts bytes and samples this process's resident memory as it goes.
struct Metered<R> {
    inner: R,
    bytes: u64,
    next_sample: u64,
    peak_rss_kib: u64,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        if self.bytes >= self.next_sample {
            self.next_sample += 8 << 20;
            self.peak_rss_kib = self.peak_rss_kib.max(rss_kib().unwrap_or(0));
        }
        Ok(n)
    }
}

/// The resident set size of this process (server included), where `/proc` exists.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A done job with `rows` rows.
fn done_job(server: &MockServer, rows: u64) -> String {
    let id = server.add_job(JobSpec::new(Status::Done, Duration::ZERO).rows(rows));
    assert_eq!(server.jobs_snapshot().last().unwrap()["status"], "done");
    id
}

#[test]
fn large_bodies_match_the_ground_truth_byte_for_byte() {
    const ROWS: u64 = 20_000;
    let server = MockServer::builder().job_count(5).start().unwrap();
    let id = done_job(&server, ROWS);
    for format in [1, 2] {
        let start = Instant::now();
        let rows = server.job_rows(&id, format).unwrap();
        assert_eq!(rows.len() as u64, ROWS);
        let (status, body) = get_stream(&server, &format!("jobs/{id}/data/{format}/"));
        assert_eq!(status, 200);
        let mut compare = CompareWith {
            reader: body,
            offset: 0,
            buf: Vec::new(),
        };
        serde_json::to_writer(&mut compare, &SerializeIter(RefCell::new(Some(rows)))).unwrap();
        let mut rest = Vec::new();
        compare.reader.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "{} extra bytes", rest.len());
        eprintln!(
            "format {format}: {} bytes in {:?}",
            compare.offset,
            start.elapsed()
        );
    }
}

#[test]
fn a_million_rows_stream_in_constant_memory() {
    let server = MockServer::builder().job_count(5).start().unwrap();
    let id = done_job(&server, 1_000_000);
    let before = rss_kib();
    let start = Instant::now();
    let (status, body) = get_stream(&server, &format!("jobs/{id}/data/1/"));
    assert_eq!(status, 200);
    let mut metered = Metered {
        inner: body,
        bytes: 0,
        next_sample: 0,
        peak_rss_kib: 0,
    };
    let mut splitter = RowSplitter::default();
    let mut buf = vec![0; 256 * 1024];
    loop {
        let n = metered.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        splitter.feed(&buf[..n]);
    }
    assert!(splitter.closed, "the array is not closed");
    let count = splitter.rows;
    assert_eq!(count, 1_000_000);
    let bytes = metered.bytes;
    eprintln!(
        "{count} rows, {bytes} bytes ({} per row) in {:?}",
        bytes / count,
        start.elapsed()
    );
    assert!(
        (150..=200).contains(&(bytes / count)),
        "{} bytes per row",
        bytes / count
    );
    if let Some(before) = before {
        let growth = metered.peak_rss_kib.saturating_sub(before);
        eprintln!("RSS {before} KiB before, peak growth {growth} KiB");
        // The body is ~190 MB; holding it (or its rows) anywhere would show.
        assert!(growth < 64 * 1024, "RSS grew by {growth} KiB");
    }
}
