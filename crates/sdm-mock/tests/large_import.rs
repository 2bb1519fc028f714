//! Large uploads and downloads over real HTTP, each in constant memory on the server: an upload
//! far over the cell limit is read and hashed as it streams, a stashed one (its `skip_lines`
//! after the file) is parsed from disk, and a download of millions of generated rows streams.
//! In their own test binary, so the memory measurements see no other test.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::stream::get_stream;
use common::upload::{BOUNDARY, multipart_type, post_json};
use sdm_mock::{Fnv1a64, JobSpec, MockServer, Status};
use serde_json::json;

/// Held by each test: they run one at a time, so each memory measurement sees only its own.
static SERIAL: Mutex<()> = Mutex::new(());

/// Waits for the other tests of this binary to finish.
fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The resident set size of this process (server included), where `/proc` exists.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Uploads a CSV of `rows` fixed-width lines made by `line` (after `header`), generated while
/// sent, as a multipart body whose `skip_lines` part (if any) comes after the file; returns
/// (status, response body, body hash, file hash, body length, peak RSS growth in KiB).
fn upload_generated(
    server: &MockServer,
    header: &str,
    rows: u64,
    line: impl Fn(u64, &mut String),
    skip_after: Option<&str>,
) -> (u16, String, u64, u64, u64, u64) {
    let head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n"
    );
    let tail = match skip_after {
        Some(skip) => format!(
            "\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"skip_lines\"\r\n\r\n{skip}\r\n--{BOUNDARY}--\r\n"
        ),
        None => format!("\r\n--{BOUNDARY}--\r\n"),
    };
    let mut first = String::new();
    line(0, &mut first);
    let line_len = first.len() as u64;
    let file_len = header.len() as u64 + rows * line_len;
    let body_len = head.len() as u64 + file_len + tail.len() as u64;
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    write!(
        stream,
        "POST /api/v1/files/ HTTP/1.1\r\nHost: {}\r\nAuthorization: Token {}\r\nContent-Type: {}\r\nContent-Length: {body_len}\r\nConnection: close\r\n\r\n",
        server.addr(),
        server.token(),
        multipart_type()
    )
    .unwrap();
    let (mut body_hash, mut file_hash) = (Fnv1a64::new(), Fnv1a64::new());
    let before = rss_kib();
    let mut peak = 0;
    let mut send = |bytes: &[u8], in_file: bool, stream: &mut TcpStream| {
        body_hash.update(bytes);
        if in_file {
            file_hash.update(bytes);
        }
        stream.write_all(bytes).unwrap();
    };
    send(head.as_bytes(), false, &mut stream);
    send(header.as_bytes(), true, &mut stream);
    let mut piece = String::with_capacity(1 << 20);
    for row in 0..rows {
        let before = piece.len();
        line(row, &mut piece);
        assert_eq!(
            (piece.len() - before) as u64,
            line_len,
            "lines have a fixed width"
        );
        if piece.len() >= (1 << 20) - 256 || row + 1 == rows {
            send(piece.as_bytes(), true, &mut stream);
            piece.clear();
            if row % 64 == 0 {
                peak = peak.max(rss_kib().unwrap_or(0));
            }
        }
    }
    send(tail.as_bytes(), false, &mut stream);
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    peak = peak.max(rss_kib().unwrap_or(0));
    let text = String::from_utf8(answer).unwrap();
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    assert_eq!(body_hash.len(), body_len);
    assert_eq!(file_hash.len(), file_len);
    let growth = before.map_or(0, |before| peak.saturating_sub(before));
    (
        status,
        body,
        body_hash.finish(),
        file_hash.finish(),
        body_len,
        growth,
    )
}

#[test]
fn a_large_upload_is_read_as_it_streams_and_recorded() {
    let _serial = serial();
    let server = MockServer::builder()
        .parse_for(Duration::ZERO)
        .job_count(5)
        .start()
        .unwrap();
    // 64 MiB of CSV: far over the cell limit, which its first 2 MB reach.
    let rows = (64 << 20) / 21;
    let start = Instant::now();
    let (status, body, body_hash, file_hash, body_len, growth) = upload_generated(
        &server,
        "a,b,c,d,e,f,g,h,i,j\n",
        rows,
        |_, out| out.push_str("1,2,3,4,5,6,7,8,9,10\n"),
        None,
    );
    eprintln!(
        "{body_len} bytes uploaded in {:?}, RSS growth {growth} KiB",
        start.elapsed()
    );
    assert_eq!(status, 201, "{body}");
    let records = server.uploads_received();
    assert_eq!(records.len(), 1);
    assert_eq!(
        (records[0].body_len, records[0].body_hash),
        (body_len, body_hash)
    );
    assert_eq!(records[0].file_hash, file_hash);
    let file = &server.files_snapshot()[0];
    assert_eq!(file["status"], "error");
    assert_eq!(
        file["parsing_error"],
        "The file has more than 800000 cells (rows × columns)."
    );
    // Holding the body or its rows would show: 64 MiB of text, many times that as rows.
    assert!(growth < 24 * 1024, "RSS grew by {growth} KiB");
}

#[test]
fn skip_lines_after_a_large_file_is_honoured_from_the_stash() {
    let _serial = serial();
    let server = MockServer::builder()
        .parse_for(Duration::ZERO)
        .created_jobs_run_for(Duration::ZERO)
        .job_count(5)
        .start()
        .unwrap();
    // 2 columns × 399,999 rows (just within the limit), about 24 MB: stashed on disk.
    let rows = 399_999;
    let (status, body, ..) = upload_generated(
        &server,
        "exported by the test\nsku;description\n",
        rows,
        |row, out| {
            use std::fmt::Write as _;
            let _ = writeln!(out, "SKU-{row:010};A description long enough {row:08}");
        },
        Some("1"),
    );
    assert_eq!(status, 201, "{body}");
    let file = &server.files_snapshot()[0];
    assert_eq!(
        (file["status"].as_str(), file["skip_lines"].as_u64()),
        (Some("ready"), Some(1))
    );
    let job = post_json(
        &server,
        "jobs/",
        &json!({"file_id": 1, "name": "Stashed", "project": 1, "model_version": 0}),
    )
    .json();
    let id = job["id"].as_str().unwrap();
    let mut rows_served = server.job_rows(id, 1).unwrap();
    assert_eq!(rows_served.len(), rows as usize);
    assert_eq!(
        rows_served.next().unwrap(),
        json!({"sku": "SKU-0000000000", "description": "A description long enough 00000000"})
    );
}

/// Counts CSV records (line ends outside quotes) as bytes arrive.
#[derive(Debug, Default)]
struct RecordCounter {
    quoted: bool,
    records: u64,
}

impl RecordCounter {
    fn feed(&mut self, data: &[u8]) {
        for &b in data {
            match b {
                b'"' => self.quoted = !self.quoted,
                b'\n' if !self.quoted => self.records += 1,
                _ => {}
            }
        }
    }
}

#[test]
fn a_two_million_row_download_streams_in_constant_memory() {
    let _serial = serial();
    const ROWS: u64 = 2_000_000;
    let server = MockServer::builder().job_count(5).start().unwrap();
    let id = server.add_job(
        JobSpec::new(Status::Done, Duration::ZERO)
            .rows(ROWS)
            .name("Two million"),
    );
    let before = rss_kib();
    let start = Instant::now();
    let (status, body) = get_stream(&server, &format!("jobs/{id}/download/1/"));
    assert_eq!(status, 200);
    let mut reader = BufReader::with_capacity(256 * 1024, body);
    let mut counter = RecordCounter::default();
    let mut bytes = 0u64;
    let mut peak = 0;
    let mut first_line = String::new();
    loop {
        let data = reader.fill_buf().unwrap();
        if data.is_empty() {
            break;
        }
        if first_line.is_empty() {
            let end = data.iter().position(|&b| b == b'\n').unwrap();
            first_line = String::from_utf8(data[..end].to_vec()).unwrap();
        }
        counter.feed(data);
        let n = data.len();
        bytes += n as u64;
        reader.consume(n);
        if bytes % (16 << 20) < n as u64 {
            peak = peak.max(rss_kib().unwrap_or(0));
        }
    }
    let elapsed = start.elapsed();
    eprintln!(
        "{bytes} bytes of CSV in {elapsed:?} ({:.0} MB/s, debug builds are slow)",
        bytes as f64 / elapsed.as_secs_f64() / 1e6
    );
    assert!(!counter.quoted);
    assert_eq!(counter.records, ROWS + 1, "header plus every row");
    assert_eq!(
        first_line,
        "sku,ean,name,description,brand,price,color,weight_kg,Désignation,in_stock\r"
    );
    assert!(bytes > 200_000_000, "{bytes}");
    if let Some(before) = before {
        let growth = peak.saturating_sub(before);
        eprintln!("RSS {before} KiB before, peak growth {growth} KiB");
        assert!(growth < 64 * 1024, "RSS grew by {growth} KiB");
    }
}
