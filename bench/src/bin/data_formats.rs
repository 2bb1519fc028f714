//! `sdm jobs data -o ndjson|json|csv` on a 1,000,000-row body (about 193 MB of the fake
//! server's rows) against serde_json validating the same body with `IgnoredAny`, in memory,
//! in the same run.
//!
//! The body is served from memory by a minimal loopback HTTP server (a std `TcpListener`
//! thread writing a prepared response in 4 MiB writes), so that the client is what is
//! measured: the fake server renders rows at about 200 MB/s on a whole core. Its own speed is
//! measured and printed first.
//!
//! Usage: `data_formats SDM_BINARY [RUNS] [FORMAT...]` (formats: ndjson, json, csv; all three
//! unless named). Each `sdm` run writes to /dev/null under GNU time (peak memory); one more run
//! per format, not timed, checks the output (NDJSON against the body's rows, byte for byte).

use std::hash::Hasher;
use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sdm_bench::{mb_per_s, median};
use sdm_mock::{JobSpec, MockServer, Status};
use serde::de::IgnoredAny;

const ROWS: u64 = 1_000_000;
const JOB: &str = "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b";
/// The size of each write of the response.
const WRITE: usize = 4 << 20;

/// The body (a JSON array, rows separated by `,`) and the expected NDJSON output.
fn body() -> (Vec<u8>, Vec<u8>) {
    let server = MockServer::start();
    let id = server.add_job(JobSpec::new(Status::Done, Duration::ZERO).rows(ROWS));
    let mut body = Vec::with_capacity(200_000_000);
    let mut ndjson = Vec::with_capacity(200_000_000);
    body.push(b'[');
    for (i, row) in server
        .job_rows(&id, 1)
        .expect("a done job has rows")
        .enumerate()
    {
        if i > 0 {
            body.push(b',');
        }
        let start = body.len();
        serde_json::to_writer(&mut body, &row).expect("rows serialize");
        ndjson.extend_from_slice(&body[start..]);
        ndjson.push(b'\n');
    }
    body.push(b']');
    (body, ndjson)
}

/// Serves `response` (head and body) to every connection, until the process ends.
fn serve(response: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let address = listener.local_addr().expect("bound");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream, response));
        }
    });
    format!("http://{address}/api/v1/")
}

/// Reads the request head, then writes the whole response.
fn answer(mut stream: TcpStream, response: &[u8]) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    for piece in response.chunks(WRITE) {
        if stream.write_all(piece).is_err() {
            return;
        }
    }
}

/// Downloads the response once over loopback and discards it: the server's throughput.
fn server_speed(base: &str, size: usize) -> f64 {
    let address = base
        .trim_start_matches("http://")
        .trim_end_matches("/api/v1/");
    let start = Instant::now();
    let mut stream = TcpStream::connect(address).expect("the bench server answers");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
        .expect("request sent");
    let mut buffer = vec![0u8; 1 << 20];
    let mut received = 0;
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => received += n,
            Err(e) => panic!("reading from the bench server: {e}"),
        }
    }
    assert!(received > size, "the whole response arrived");
    mb_per_s(size, start.elapsed())
}

fn sdm(binary: &Path, base: &str, format: &str) -> Command {
    let mut command = Command::new(binary);
    command
        .args(["jobs", "data", JOB, "1", "-o", format])
        .args(["--base-url", base, "--token", "bench", "--retries", "1"])
        .env_remove("SDM_BASE_URL")
        .env_remove("SDM_TOKEN");
    command
}

/// One run with the output read through a pipe: its size, newline count and FNV-1a hash.
fn checked_run(mut command: Command) -> (u64, u64, u64) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("sdm starts");
    let mut stdout = child.stdout.take().expect("piped");
    let mut buffer = vec![0u8; 1 << 20];
    let (mut size, mut lines) = (0u64, 0u64);
    let mut hash = Fnv::default();
    loop {
        let n = stdout.read(&mut buffer).expect("sdm's output reads");
        if n == 0 {
            break;
        }
        size += n as u64;
        lines += count_newlines(&buffer[..n]);
        hash.write(&buffer[..n]);
    }
    assert!(child.wait().expect("sdm ends").success(), "{command:?}");
    (size, lines, hash.finish())
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// FNV-1a over everything written.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// `command` under GNU time, output to /dev/null: elapsed time, peak memory in KiB, and CPU
/// time (user, system).
fn timed(command: &Command) -> (Duration, u64, (f64, f64)) {
    let report = std::env::temp_dir().join(format!("sdm-bench-data-{}", std::process::id()));
    let mut timed = Command::new("/usr/bin/time");
    timed
        .args(["-f", "%M %U %S", "-o"])
        .arg(&report)
        .arg(command.get_program())
        .args(command.get_args())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    let start = Instant::now();
    let status = timed
        .status()
        .expect("/usr/bin/time (Debian package `time`)");
    let elapsed = start.elapsed();
    assert!(status.success(), "{command:?}: {status}");
    let text = std::fs::read_to_string(&report).expect("GNU time's report");
    let _ = std::fs::remove_file(&report);
    let mut fields = text.lines().last().unwrap_or("").split_whitespace();
    let mut next = || fields.next().unwrap_or("0");
    let kib = next().parse().unwrap_or(0);
    let user = next().parse().unwrap_or(0.0);
    let system = next().parse().unwrap_or(0.0);
    (elapsed, kib, (user, system))
}

fn median_of(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let binary = PathBuf::from(
        args.next()
            .expect("usage: data_formats SDM_BINARY [RUNS] [FORMAT...]"),
    );
    let runs: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(3);
    let mut formats: Vec<String> = args.collect();
    if formats.is_empty() {
        formats = ["ndjson", "json", "csv"].map(str::to_owned).to_vec();
    }

    let (body, ndjson) = body();
    let size = body.len();
    let with_comma = ndjson
        .split(|&b| b == b'\n')
        .filter(|row| row.windows(2).any(|w| w == b", "))
        .count();
    println!(
        "body: {:.1} MB, {ROWS} rows, {:.0}% of them with \", \" inside a string",
        size as f64 / 1e6,
        with_comma as f64 * 100.0 / ROWS as f64
    );

    let (validate, _) = median(runs, || {
        serde_json::from_slice::<IgnoredAny>(black_box(&body)).expect("valid body")
    });
    let floor = mb_per_s(size, validate);
    println!(
        "baseline: serde_json::from_slice::<IgnoredAny>, in memory: median {:>6.0} ms ({floor:>6.1} MB/s)",
        validate.as_secs_f64() * 1e3
    );

    let mut response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    response.extend_from_slice(&body);
    drop(body);
    let base = serve(Vec::leak(response));
    println!(
        "bench server: {:.0} MB/s to a reader over loopback",
        server_speed(&base, size)
    );

    let mut throughput = std::collections::HashMap::new();
    for format in &formats {
        let (bytes, lines, hash) = checked_run(sdm(&binary, &base, format));
        match format.as_str() {
            "ndjson" => {
                let mut expected = Fnv::default();
                expected.write(&ndjson);
                assert_eq!(lines, ROWS, "one NDJSON line per row");
                assert_eq!(
                    (bytes, hash),
                    (ndjson.len() as u64, expected.finish()),
                    "the NDJSON output is the rows byte for byte"
                );
            }
            "json" => assert_eq!(lines, ROWS + 2, "`[`, one line per row, `]`"),
            _ => assert!(lines > ROWS, "a header and a record per row"),
        }
        let mut times = Vec::new();
        let mut cpus = Vec::new();
        let mut peak = 0;
        for _ in 0..runs {
            let (time, kib, cpu) = timed(&sdm(&binary, &base, format));
            times.push(time);
            cpus.push(cpu);
            peak = peak.max(kib);
        }
        times.sort();
        let time = times[times.len() / 2];
        let speed = mb_per_s(size, time);
        throughput.insert(format.clone(), speed);
        println!(
            "sdm jobs data -o {format:<6}: median {:>6.0} ms ({speed:>6.1} MB/s of body), output {:.1} MB, peak RSS {:.1} MiB; runs {}",
            time.as_secs_f64() * 1e3,
            bytes as f64 / 1e6,
            peak as f64 / 1024.0,
            times
                .iter()
                .map(|t| format!("{:.0}", t.as_secs_f64() * 1e3))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let (user, system): (Vec<f64>, Vec<f64>) = cpus.into_iter().unzip();
        println!(
            "  CPU time of sdm, median: user {:.2} s, system {:.2} s (GNU time)",
            median_of(user),
            median_of(system)
        );
    }
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    for format in ["ndjson", "json"] {
        if let Some(speed) = throughput.get(format) {
            let ratio = speed / floor;
            println!(
                "{format}: {ratio:.2}x the serde_json validation floor (target >= 0.7) {}",
                verdict(ratio >= 0.7)
            );
        }
    }
    if let (Some(csv), Some(ndjson)) = (throughput.get("csv"), throughput.get("ndjson")) {
        let ratio = csv / ndjson;
        println!(
            "csv: {ratio:.2}x the NDJSON throughput (target >= 0.5) {}",
            verdict(ratio >= 0.5)
        );
    }
}
