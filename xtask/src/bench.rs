//! `cargo xtask bench [decode|list|get|table|window|pacing|data|data-ndjson|data-json|data-csv|transfer|import]`: the performance targets, each
//! measured against its baseline in the same run, on release builds and the embedded fake server.
//!
//! - decode: row decoding throughput vs serde_json on a 100 MB body (see `bench/src/bin/decode.rs`).
//! - list: `sdm jobs list --all -o ndjson` over 2,000 jobs at 300 ms per request, vs the same
//!   client walking sequentially at the API's default page size of 25 by following `next` (at
//!   most 0.08x its time).
//! - get: the cold start of one `sdm jobs get ID` vs one `curl -sf URL` of the same job (each a
//!   new process and connection; medians of 30 alternating runs; at most 0.5x curl's time).
//! - table: peak memory (GNU time's maximum resident set size) of `sdm jobs list --all -o table`
//!   over 10,000 jobs, vs `-o ndjson` of the same jobs, whose memory is flat: the table keeps
//!   rows' cells, spooled to a temporary file past the first ones, so it must stay within 4 MiB
//!   of NDJSON's.
//! - window: all pages of 2,000 jobs with every 4th page slow, the client's sliding window vs
//!   the wave-by-wave walk over the same pager (see `bench/src/bin/window.rs`).
//! - pacing: all pages of 10,000 jobs (page size 50, 10 in flight) against a server enforcing
//!   exactly 10 requests per second as Django REST Framework does (refused when 10 arrived in the
//!   last second), `sdm jobs list --all -o ndjson` vs the client paced by the former token
//!   bucket of 10 a second with bursts of 10: no 429 for `sdm`, and at least 0.95x the token
//!   bucket's throughput (see `bench/src/bin/pacing.rs`).
//! - data: `sdm jobs data -o ndjson` of a 1,000,000-row job, vs `curl -s URL | jq -c '.[]'`;
//!   elapsed time and peak memory (GNU time's maximum resident set size).
//! - data-ndjson, data-json, data-csv: `sdm jobs data -o FORMAT` of a 1,000,000-row body (193 MB)
//!   served from memory by a minimal loopback server (well over 1 GB/s, so the client is what is
//!   measured), vs serde_json validating the same body with `IgnoredAny` in memory: NDJSON and
//!   JSON at least 0.7x that floor, CSV at least 0.5x the NDJSON throughput (see
//!   `bench/src/bin/data_formats.rs`).
//! - transfer: `sdm files upload` of a 200 MB CSV vs `curl -F file=@FILE`, and `sdm jobs download`
//!   of a 200 MB CSV output vs `curl -o FILE`, against the same server; throughput (at least 0.8×
//!   curl's) and peak memory (under 32 MiB). Both uploads must be answered 201, both downloads
//!   must give the same bytes.
//! - import: `sdm import FILE --project 1 --interval 1s` vs a bash script doing the same steps
//!   with curl and jq, sleeping 1 s between polls, against a server whose files parse for 1.5 s
//!   and whose jobs run for 2.5 s (so both sides poll as often); wall time (under 1.1× the
//!   script's). Both must end with a done job.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cargo;

/// Runs of each measured command; the median is reported.
const RUNS: usize = 3;

pub fn run(which: Option<&str>) -> Result<(), String> {
    cargo(&[
        "build",
        "--release",
        "--locked",
        "-p",
        "sdm-cli",
        "-p",
        "sdm-bench",
    ])?;
    let bin = target_dir().join("release");
    let all = which.is_none();
    if all || which == Some("decode") {
        decode(&bin)?;
    }
    if all || which == Some("list") {
        list(&bin)?;
    }
    if all || which == Some("get") {
        get(&bin)?;
    }
    if all || which == Some("table") {
        table(&bin)?;
    }
    if all || which == Some("window") {
        window(&bin)?;
    }
    if all || which == Some("pacing") {
        pacing(&bin)?;
    }
    if all || which == Some("data") {
        data(&bin)?;
    }
    // CSV is measured against NDJSON, so `data-csv` runs both.
    let formats: Vec<&str> = ["ndjson", "json", "csv"]
        .into_iter()
        .filter(|format| {
            let named = |f: &str| which == Some(format!("data-{f}").as_str());
            all || named(format) || (*format == "ndjson" && named("csv"))
        })
        .collect();
    if !formats.is_empty() {
        data_formats(&bin, &formats)?;
    }
    if all || which == Some("transfer") {
        transfer(&bin)?;
    }
    if all || which == Some("import") {
        import(&bin)?;
    }
    Ok(())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from)
}

fn decode(bin: &Path) -> Result<(), String> {
    println!("\n## decode: rows from a 100 MB body, ours vs serde_json (same body, same run)");
    let status = Command::new(bin.join("decode"))
        .arg("5")
        .status()
        .map_err(|e| e.to_string())?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| "the decode benchmark failed".into())
}

fn window(bin: &Path) -> Result<(), String> {
    println!(
        "\n## window: all pages of 2,000 jobs, 300 ms per page and 1.2 s for every 4th, sliding window vs waves"
    );
    let status = Command::new(bin.join("window"))
        .status()
        .map_err(|e| e.to_string())?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| "the window benchmark failed".into())
}

fn pacing(bin: &Path) -> Result<(), String> {
    println!(
        "\n## pacing: all pages of 10,000 jobs against a server enforcing exactly 10 requests per second, `sdm jobs list --all` vs the former token bucket"
    );
    let status = Command::new(bin.join("pacing"))
        .arg(bin.join("sdm"))
        .status()
        .map_err(|e| e.to_string())?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| "the pacing benchmark failed".into())
}

/// `sdm jobs data -o FORMAT` for each of `formats` (`data-ndjson`, `data-json`, `data-csv`) on a
/// 1,000,000-row body served from memory, against serde_json validating the same body (see
/// `bench/src/bin/data_formats.rs`).
fn data_formats(bin: &Path, formats: &[&str]) -> Result<(), String> {
    println!(
        "\n## data-{}: `sdm jobs data`, 1,000,000 rows served from memory, vs serde_json validating the body (IgnoredAny)",
        formats.join("/data-")
    );
    let status = Command::new(bin.join("data_formats"))
        .arg(bin.join("sdm"))
        .arg(RUNS.to_string())
        .args(formats)
        .status()
        .map_err(|e| e.to_string())?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| "the data format benchmark failed".into())
}

/// A fake server process (`sdm mock`), killed when dropped.
struct Mock {
    child: Child,
    base_url: String,
    token: String,
    big_job: Option<String>,
}

impl Mock {
    fn start(bin: &Path, args: &[&str]) -> Result<Self, String> {
        let mut child = Command::new(bin.join("sdm"))
            .args(["mock", "--addr", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start sdm mock: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (mut base_url, mut token, mut big_job) = (None, None, None);
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| e.to_string())?;
            if let Some(value) = line.strip_prefix("base URL: ") {
                base_url = Some(value.to_owned());
            } else if let Some(value) = line.strip_prefix("token: ") {
                token = Some(value.to_owned());
            } else if let Some(value) = line.strip_prefix("big job: ") {
                big_job = Some(value.to_owned());
            } else if line.starts_with("export ") {
                break;
            }
        }
        let base_url = base_url.ok_or("sdm mock printed no base URL")?;
        let token = token.ok_or("sdm mock printed no token")?;
        Ok(Self {
            child,
            base_url,
            token,
            big_job,
        })
    }

    fn sdm(&self, bin: &Path) -> Command {
        let mut command = Command::new(bin.join("sdm"));
        command
            .env("SDM_BASE_URL", &self.base_url)
            .env("SDM_TOKEN", &self.token);
        command
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `command` with stdout counted (lines) and discarded; returns elapsed time and lines.
fn run_counting(mut command: Command) -> Result<(Duration, u64), String> {
    let start = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = 0u64;
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = stdout.read(&mut buffer).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        lines += buffer[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let elapsed = start.elapsed();
    status
        .success()
        .then_some((elapsed, lines))
        .ok_or_else(|| format!("{command:?} failed: {status}"))
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn list(bin: &Path) -> Result<(), String> {
    println!("\n## list: `sdm jobs list --all -o ndjson`, 2,000 jobs, 300 ms per request");
    let mock = Mock::start(bin, &["--jobs", "2000", "--latency-ms", "300"])?;
    let measure = |extra: &[&str]| -> Result<(Duration, u64), String> {
        let mut times = Vec::new();
        let mut lines = 0;
        for _ in 0..RUNS {
            let mut command = mock.sdm(bin);
            command
                .args(["jobs", "list", "--all", "-o", "ndjson"])
                .args(extra);
            let (time, count) = run_counting(command)?;
            times.push(time);
            lines = count;
        }
        Ok((median(times), lines))
    };
    let (ours, ours_lines) = measure(&[])?;
    let (baseline, baseline_lines) = measure(&["--page-size", "25", "--concurrency", "1"])?;
    if ours_lines != 2000 || baseline_lines != 2000 {
        return Err(format!(
            "expected 2000 jobs, got {ours_lines} and {baseline_lines}"
        ));
    }
    let ratio = ours.as_secs_f64() / baseline.as_secs_f64();
    println!(
        "ours (page size 100, 10 in flight):      median {:>6.2} s  ({ours_lines} jobs)",
        ours.as_secs_f64()
    );
    println!(
        "baseline (page size 25, following next): median {:>6.2} s  ({baseline_lines} jobs)",
        baseline.as_secs_f64()
    );
    println!(
        "ratio {ratio:.3} (target <= 0.08) {}",
        verdict(ratio <= 0.08)
    );
    Ok(())
}

/// Runs of each command in the cold-start bench: one run is a few milliseconds.
const GET_RUNS: usize = 30;

/// Cold start: one `sdm jobs get ID` (a new process, a new connection, one request) vs one
/// `curl -sf URL` of the same job, alternating, against a server with no added latency.
fn get(bin: &Path) -> Result<(), String> {
    println!("\n## get: one `sdm jobs get ID -o json` vs one `curl -sf URL`, cold processes");
    let mock = Mock::start(bin, &["--jobs", "10"])?;
    let mut first = mock.sdm(bin);
    first.args(["jobs", "list", "--page-size", "1", "-o", "ndjson"]);
    let (_, listed) = timed_output(&mut first)?;
    let id = listed
        .split("\"id\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or("the listing had no job id")?
        .to_owned();
    let url = format!("{}/jobs/{id}/", mock.base_url.trim_end_matches('/'));
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    // Alternating, each side first in every other pair, so drift falls on both.
    let turns = (0..GET_RUNS).flat_map(|run| [run % 2 == 0, run % 2 == 1]);
    for turn in turns {
        if turn {
            let mut command = mock.sdm(bin);
            command.args(["jobs", "get", &id, "-o", "json"]);
            let (time, text) = timed_output(&mut command)?;
            if !text.contains(&id) {
                return Err(format!("sdm jobs get printed no job: {text}"));
            }
            ours.push(time);
        } else {
            let mut command = curl(&mock.token, &[OsStr::new(&url)]);
            let (time, text) = timed_output(&mut command)?;
            if !text.contains(&id) {
                return Err(format!("curl printed no job: {text}"));
            }
            theirs.push(time);
        }
    }
    let (ours, theirs) = (median(ours), median(theirs));
    let ratio = ours.as_secs_f64() / theirs.as_secs_f64();
    println!(
        "sdm jobs get: median {:>7.2} ms ({GET_RUNS} runs)",
        ours.as_secs_f64() * 1e3
    );
    println!(
        "curl:         median {:>7.2} ms ({GET_RUNS} runs)",
        theirs.as_secs_f64() * 1e3
    );
    println!("ratio {ratio:.3} (target <= 0.5) {}", verdict(ratio <= 0.5));
    Ok(())
}

/// Jobs the table benchmark lists.
const TABLE_JOBS: usize = 10_000;
/// How much more memory than NDJSON the table may take.
const TABLE_EXTRA_MIB: f64 = 4.0;

fn table(bin: &Path) -> Result<(), String> {
    println!(
        "\n## table: peak memory of `sdm jobs list --all -o table` vs `-o ndjson`, {TABLE_JOBS} jobs"
    );
    let jobs = TABLE_JOBS.to_string();
    let mock = Mock::start(bin, &["--jobs", &jobs])?;
    let mut peaks = Vec::new();
    for format in ["ndjson", "table"] {
        let (mut times, mut peak_kib) = (Vec::new(), 0u64);
        for _ in 0..RUNS {
            let mut command = mock.sdm(bin);
            command.args(["jobs", "list", "--all", "-o", format]);
            let (time, kib, stdout) = timed_with_peak_memory(&command, true)?;
            // The table has a header line.
            let expected = TABLE_JOBS + usize::from(format == "table");
            let lines = stdout.lines().count();
            if lines != expected {
                return Err(format!(
                    "-o {format}: expected {expected} lines, got {lines}"
                ));
            }
            times.push(time);
            peak_kib = peak_kib.max(kib);
        }
        let peak_mib = peak_kib as f64 / 1024.0;
        println!(
            "  -o {format:<6}  median {:>6.2} s, peak RSS {peak_mib:>6.1} MiB (highest of {RUNS} runs)",
            median(times).as_secs_f64()
        );
        peaks.push(peak_mib);
    }
    let extra = peaks[1] - peaks[0];
    println!(
        "  the table takes {extra:+.1} MiB over NDJSON (target <= {TABLE_EXTRA_MIB} MiB) {}",
        verdict(extra <= TABLE_EXTRA_MIB)
    );
    Ok(())
}

fn data(bin: &Path) -> Result<(), String> {
    println!(
        "\n## data: `sdm jobs data -o ndjson`, 1,000,000 rows, vs `curl -s URL | jq -c '.[]'`"
    );
    let mock = Mock::start(bin, &["--jobs", "10", "--big-job-rows", "1000000"])?;
    let job = mock.big_job.clone().ok_or("sdm mock printed no big job")?;
    let url = format!("{}jobs/{job}/data/1/", mock.base_url);

    // Correctness first: both produce one line per row.
    let mut ours = mock.sdm(bin);
    ours.args(["jobs", "data", &job, "1", "-o", "ndjson"]);
    let (_, lines) = run_counting(ours)?;
    let mut baseline = Command::new("bash");
    baseline.args([
        "-c",
        "curl -sf -H \"Authorization: Token $SDM_TOKEN\" \"$URL\" | jq -c '.[]'",
    ]);
    baseline.env("SDM_TOKEN", &mock.token).env("URL", &url);
    let (_, baseline_lines) = run_counting(baseline)?;
    if lines != 1_000_000 || baseline_lines != 1_000_000 {
        return Err(format!(
            "expected 1000000 rows, got {lines} (sdm) and {baseline_lines} (jq)"
        ));
    }
    let bytes = body_size(&url, &mock.token)?;

    let mut ours_times = Vec::new();
    let mut peak_kib = 0u64;
    for _ in 0..RUNS {
        let mut command = mock.sdm(bin);
        command.args(["jobs", "data", &job, "1", "-o", "ndjson"]);
        let (time, kib, _) = timed_with_peak_memory(&command, false)?;
        ours_times.push(time);
        peak_kib = peak_kib.max(kib);
    }
    let mut jq_times = Vec::new();
    for _ in 0..RUNS {
        let mut baseline = Command::new("bash");
        baseline.args([
            "-c",
            "curl -sf -H \"Authorization: Token $SDM_TOKEN\" \"$URL\" | jq -c '.[]' > /dev/null",
        ]);
        baseline.env("SDM_TOKEN", &mock.token).env("URL", &url);
        let start = Instant::now();
        let status = baseline.status().map_err(|e| e.to_string())?;
        if !status.success() {
            return Err("curl | jq failed".into());
        }
        jq_times.push(start.elapsed());
    }
    let (ours, jq) = (median(ours_times), median(jq_times));
    let ratio = ours.as_secs_f64() / jq.as_secs_f64();
    let peak_mib = peak_kib as f64 / 1024.0;
    println!("body: {:.1} MB, {lines} rows", bytes as f64 / 1e6);
    println!(
        "sdm jobs data -o ndjson: median {:>6.2} s ({:>6.1} MB/s), peak RSS {peak_mib:.1} MiB",
        ours.as_secs_f64(),
        bytes as f64 / 1e6 / ours.as_secs_f64()
    );
    println!(
        "curl | jq -c '.[]':      median {:>6.2} s ({:>6.1} MB/s)",
        jq.as_secs_f64(),
        bytes as f64 / 1e6 / jq.as_secs_f64()
    );
    println!(
        "time ratio {ratio:.3} (target <= 0.1) {}",
        verdict(ratio <= 0.1)
    );
    println!(
        "peak memory {peak_mib:.1} MiB (target < 32 MiB) {}",
        verdict(peak_mib < 32.0)
    );
    Ok(())
}

/// Size of the body in bytes (one download, discarded).
fn body_size(url: &str, token: &str) -> Result<u64, String> {
    let output = Command::new("curl")
        .args(["-sf", "-o", "/dev/null", "-w", "%{size_download}", "-H"])
        .arg(format!("Authorization: Token {token}"))
        .arg(url)
        .output()
        .map_err(|e| e.to_string())?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("curl size: {e}"))
}

/// Runs `command` (an `sdm` command, arguments and environment set) under GNU time: elapsed
/// time, peak resident memory in KiB, and its standard output if `capture` (else discarded).
fn timed_with_peak_memory(
    command: &Command,
    capture: bool,
) -> Result<(Duration, u64, String), String> {
    let report = std::env::temp_dir().join(format!("sdm-bench-time-{}", std::process::id()));
    let mut timed = Command::new("/usr/bin/time");
    timed
        .args(["-f", "%M", "-o"])
        .arg(&report)
        .arg(command.get_program())
        .args(command.get_args())
        .stdout(if capture {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stderr(Stdio::inherit());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    let start = Instant::now();
    let output = timed
        .output()
        .map_err(|e| format!("/usr/bin/time (Debian package `time`): {e}"))?;
    let elapsed = start.elapsed();
    if !output.status.success() {
        return Err(format!("{command:?} failed: {}", output.status));
    }
    let text = std::fs::read_to_string(&report).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&report);
    let kib = text
        .lines()
        .last()
        .unwrap_or("")
        .trim()
        .parse()
        .map_err(|e| format!("GNU time output {text:?}: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    Ok((elapsed, kib, stdout))
}

/// Runs `command` to completion with its standard output captured; elapsed time and output.
fn timed_output(command: &mut Command) -> Result<(Duration, String), String> {
    let start = Instant::now();
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("{command:?}: {e}"))?;
    let elapsed = start.elapsed();
    if !output.status.success() {
        return Err(format!("{command:?} failed: {}", output.status));
    }
    Ok((
        elapsed,
        String::from_utf8_lossy(&output.stdout).into_owned(),
    ))
}

/// A directory under the system's temporary directory, removed (with its files) when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Result<Self, String> {
        let path = std::env::temp_dir().join(format!("sdm-bench-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Self(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The size of the CSV file the upload benchmark sends.
const UPLOAD_BYTES: u64 = 200_000_000;
/// Output rows of the big job the download benchmark fetches: about 200 MB of CSV.
const DOWNLOAD_ROWS: &str = "1800000";

/// Writes a CSV file of supplier rows of about `target` bytes (a few more); returns its size.
fn write_csv(path: &Path, target: u64) -> Result<u64, String> {
    let error = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).map_err(error)?);
    let header = "sku,name,description,price,stock\n";
    out.write_all(header.as_bytes()).map_err(error)?;
    let mut written = header.len() as u64;
    let mut line = Vec::new();
    let mut i = 0u64;
    while written < target {
        line.clear();
        // Writing to a `Vec` cannot fail.
        let _ = writeln!(
            line,
            "SKU-{i:09},Product number {i},\"Supplier description of item {i}, in quotes\",{}.{:02},{}",
            i % 1000,
            i % 100,
            i % 37
        );
        out.write_all(&line).map_err(error)?;
        written += line.len() as u64;
        i += 1;
    }
    // On disk before the first run, so that its writeback does not fall on that run.
    let file = out.into_inner().map_err(|e| error(e.into_error()))?;
    file.sync_all().map_err(error)?;
    Ok(written)
}

/// `curl -sf -H "Authorization: Token …"` plus `args`.
fn curl(token: &str, args: &[&OsStr]) -> Command {
    let mut command = Command::new("curl");
    command
        .args(["-sf", "-H"])
        .arg(format!("Authorization: Token {token}"))
        .args(args);
    command
}

fn mb_per_s(bytes: u64, time: Duration) -> f64 {
    bytes as f64 / 1e6 / time.as_secs_f64()
}

fn transfer(bin: &Path) -> Result<(), String> {
    println!(
        "\n## transfer: `sdm files upload` of a 200 MB CSV vs `curl -F`, `sdm jobs download` of a 200 MB CSV vs `curl -o` (same server)"
    );
    println!("load average at the start: {}", load_average());
    let dir = TempDir::new("transfer")?;
    let mock = Mock::start(bin, &["--jobs", "10", "--big-job-rows", DOWNLOAD_ROWS])?;
    upload(bin, &mock, &dir.0)?;
    download(bin, &mock, &dir.0)
}

fn upload(bin: &Path, mock: &Mock, dir: &Path) -> Result<(), String> {
    const NAME: &str = "bench-upload.csv";
    let csv = dir.join(NAME);
    let bytes = write_csv(&csv, UPLOAD_BYTES)?;
    let url = format!("{}files/", mock.base_url);
    let form = format!("file=@{}", csv.display());
    let (mut ours_times, mut curl_times, mut peak_kib) = (Vec::new(), Vec::new(), 0u64);
    let mut ids = Vec::new();
    // One upload first, not measured: the first run after the file is written, and the
    // server's first large upload, are slower whoever sends them.
    let warm_up = curl(
        &mock.token,
        &[
            OsStr::new("-o"),
            OsStr::new("/dev/null"),
            OsStr::new("-F"),
            OsStr::new(&form),
            OsStr::new(&url),
        ],
    )
    .status()
    .map_err(|e| format!("curl: {e}"))?;
    if !warm_up.success() {
        return Err(format!("the warm-up upload failed: curl {warm_up}"));
    }
    for sdm_turn in turns() {
        if !sdm_turn {
            let mut command = curl(
                &mock.token,
                &[
                    OsStr::new("-w"),
                    OsStr::new("\n%{http_code} %{size_upload}"),
                    OsStr::new("-F"),
                    OsStr::new(&form),
                    OsStr::new(&url),
                ],
            );
            let (time, stdout) = timed_output(&mut command)?;
            let (body, status) = stdout.rsplit_once('\n').unwrap_or(("", &stdout));
            let (code, sent) = status.split_once(' ').unwrap_or((status, "0"));
            let sent: u64 = sent.parse().unwrap_or(0);
            if code != "201" || sent <= bytes {
                return Err(format!(
                    "curl -F: status {code}, {sent} bytes sent of a {bytes}-byte file"
                ));
            }
            let object: serde_json::Value = serde_json::from_str(body)
                .map_err(|e| format!("curl -F answered {body:?}: {e}"))?;
            ids.push(object["id"].as_u64().ok_or("curl -F: no file id")?);
            curl_times.push(time);
            continue;
        }
        let mut command = mock.sdm(bin);
        command.args(["files", "upload"]).arg(&csv);
        let (time, kib, stdout) = timed_with_peak_memory(&command, true)?;
        let id: u64 = stdout
            .trim()
            .parse()
            .map_err(|e| format!("sdm files upload printed {stdout:?}: {e}"))?;
        ids.push(id);
        ours_times.push(time);
        peak_kib = peak_kib.max(kib);
    }
    // Each upload is stored under its name, and was parsed on to the end (the server's cell
    // limit is passed: the error says so once parsing is over).
    std::thread::sleep(Duration::from_millis(600));
    for id in &ids {
        let mut command = mock.sdm(bin);
        command.args(["files", "get", &id.to_string(), "-o", "json"]);
        let (_, stdout) = timed_output(&mut command)?;
        let file: serde_json::Value = serde_json::from_str(&stdout)
            .map_err(|e| format!("sdm files get {id} printed {stdout:?}: {e}"))?;
        let error = file["parsing_error"].as_str().unwrap_or("");
        if file["name"] != NAME || file["status"] != "error" || !error.contains("800000 cells") {
            return Err(format!("upload {id} did not arrive as sent: {file}"));
        }
    }
    report_transfer(
        "upload",
        "sdm files upload",
        "curl -F file=@FILE",
        bytes,
        &ours_times,
        &curl_times,
        peak_kib,
    );
    Ok(())
}

fn download(bin: &Path, mock: &Mock, dir: &Path) -> Result<(), String> {
    let job = mock.big_job.clone().ok_or("sdm mock printed no big job")?;
    let url = format!("{}jobs/{job}/download/1/", mock.base_url);
    let bytes = body_size(&url, &mock.token)?;
    let (ours_file, curl_file) = (dir.join("sdm.csv"), dir.join("curl.csv"));
    let size_of = |path: &Path| std::fs::metadata(path).map_or(0, |m| m.len());
    let (mut ours_times, mut curl_times, mut peak_kib) = (Vec::new(), Vec::new(), 0u64);
    for sdm_turn in turns() {
        let (file, who) = if sdm_turn {
            (&ours_file, "sdm")
        } else {
            (&curl_file, "curl")
        };
        let _ = std::fs::remove_file(file);
        if sdm_turn {
            let mut command = mock.sdm(bin);
            command
                .args(["jobs", "download", &job, "1", "--out"])
                .arg(file);
            let (time, kib, _) = timed_with_peak_memory(&command, false)?;
            ours_times.push(time);
            peak_kib = peak_kib.max(kib);
        } else {
            let mut command = curl(
                &mock.token,
                &[OsStr::new("-o"), file.as_os_str(), OsStr::new(&url)],
            );
            let (time, _) = timed_output(&mut command)?;
            curl_times.push(time);
        }
        if size_of(file) != bytes {
            return Err(format!(
                "a download of {bytes} bytes by {who} wrote {}",
                size_of(file)
            ));
        }
    }
    let same = Command::new("cmp")
        .args([&ours_file, &curl_file])
        .status()
        .map_err(|e| format!("cmp: {e}"))?;
    if !same.success() {
        return Err("sdm jobs download and curl -o wrote different bytes".into());
    }
    report_transfer(
        "download",
        "sdm jobs download --out",
        "curl -o FILE",
        bytes,
        &ours_times,
        &curl_times,
        peak_kib,
    );
    Ok(())
}

/// Prints one direction of the transfer benchmark (medians, and every run) and its verdicts.
fn report_transfer(
    what: &str,
    ours_name: &str,
    curl_name: &str,
    bytes: u64,
    ours_times: &[Duration],
    curl_times: &[Duration],
    peak_kib: u64,
) {
    let (ours, baseline) = (median(ours_times.to_vec()), median(curl_times.to_vec()));
    let ratio = baseline.as_secs_f64() / ours.as_secs_f64();
    let peak_mib = peak_kib as f64 / 1024.0;
    println!("{what}: {:.1} MB", bytes as f64 / 1e6);
    println!(
        "  {ours_name:<24} median {:>6.2} s ({:>6.1} MB/s), peak RSS {peak_mib:.1} MiB; runs {}",
        ours.as_secs_f64(),
        mb_per_s(bytes, ours),
        runs(ours_times)
    );
    println!(
        "  {curl_name:<24} median {:>6.2} s ({:>6.1} MB/s); runs {}",
        baseline.as_secs_f64(),
        mb_per_s(bytes, baseline),
        runs(curl_times)
    );
    println!(
        "  throughput ratio {ratio:.3} (target >= 0.8) {}",
        verdict(ratio >= 0.8)
    );
    println!(
        "  peak memory {peak_mib:.1} MiB (target < 32 MiB) {}",
        verdict(peak_mib < 32.0)
    );
}

/// Whose turn each run is (`true`: sdm's), `RUNS` each: pairs alternating which side goes
/// first, so that a drift of the machine's load, or the writeback of the previous run's
/// files, falls on both sides alike.
fn turns() -> impl Iterator<Item = bool> {
    (0..RUNS).flat_map(|run| {
        let sdm_first = run % 2 == 0;
        [sdm_first, !sdm_first]
    })
}

/// Every run's time, in the order run: `1.23 1.31 1.19 s`.
fn runs(times: &[Duration]) -> String {
    let times: Vec<String> = times
        .iter()
        .map(|t| format!("{:.2}", t.as_secs_f64()))
        .collect();
    format!("{} s", times.join(" "))
}

/// The machine's load average over the last minute, as `/proc/loadavg` gives it: timings of
/// one run are comparable only under the same load.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The import as a script would do it: curl and jq, `sleep 1` between polls. Prints the job id
/// and its final status.
const IMPORT_SCRIPT: &str = r#"set -euo pipefail
auth="Authorization: Token $SDM_TOKEN"
file=$(curl -sf -H "$auth" -F "file=@$FILE" "${URL}files/" | jq -r .id)
while status=$(curl -sf -H "$auth" "${URL}files/$file/" | jq -r .status); [ "$status" = parsing ]; do
  sleep 1
done
[ "$status" = ready ] || { echo "file $file: $status" >&2; exit 1; }
job=$(jq -cn --argjson file "$file" --arg name "$NAME"     '{file_id: $file, name: $name, project: 1, model_version: 0}' |
  curl -sf -H "$auth" -H "Content-Type: application/json" --data-binary @- "${URL}jobs/" |
  jq -r .id)
while status=$(curl -sf -H "$auth" "${URL}jobs/$job/" | jq -r .status); [ "$status" = running ]; do
  sleep 1
done
echo "$job $status"
"#;

fn import(bin: &Path) -> Result<(), String> {
    println!(
        "\n## import: `sdm import FILE --project 1 --interval 1s` vs curl + jq polling every 1 s (parsing 1.5 s, job 2.5 s)"
    );
    println!("load average at the start: {}", load_average());
    const NAME: &str = "bench-import.csv";
    let dir = TempDir::new("import")?;
    let csv = dir.0.join(NAME);
    write_csv(&csv, 30_000)?;
    let mock = Mock::start(
        bin,
        &[
            "--jobs",
            "10",
            "--parse-ms",
            "1500",
            "--created-job-run-ms",
            "2500",
        ],
    )?;
    let (mut ours_times, mut script_times) = (Vec::new(), Vec::new());
    for sdm_turn in turns() {
        if sdm_turn {
            let mut command = mock.sdm(bin);
            command.args(["import"]).arg(&csv).args([
                "--project",
                "1",
                "--interval",
                "1s",
                "-o",
                "json",
            ]);
            let (time, stdout) = timed_output(&mut command)?;
            let job: serde_json::Value = serde_json::from_str(&stdout)
                .map_err(|e| format!("sdm import printed {stdout:?}: {e}"))?;
            if job["status"] != "done" {
                return Err(format!("sdm import ended with {job}"));
            }
            ours_times.push(time);
            continue;
        }
        let mut command = Command::new("bash");
        command
            .args(["-c", IMPORT_SCRIPT])
            .env("SDM_TOKEN", &mock.token)
            .env("URL", &mock.base_url)
            .env("FILE", &csv)
            .env("NAME", NAME);
        let (time, stdout) = timed_output(&mut command)?;
        if !stdout.trim_end().ends_with(" done") {
            return Err(format!("the curl script ended with {stdout:?}"));
        }
        script_times.push(time);
    }
    let (ours, script) = (median(ours_times.clone()), median(script_times.clone()));
    let ratio = ours.as_secs_f64() / script.as_secs_f64();
    println!(
        "sdm import --interval 1s: median {:>6.2} s; runs {}",
        ours.as_secs_f64(),
        runs(&ours_times)
    );
    println!(
        "curl + jq, sleep 1:       median {:>6.2} s; runs {}",
        script.as_secs_f64(),
        runs(&script_times)
    );
    println!(
        "time ratio {ratio:.3} (target < 1.10) {}",
        verdict(ratio < 1.10)
    );
    Ok(())
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISSED" }
}
