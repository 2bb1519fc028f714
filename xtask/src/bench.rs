//! `cargo xtask bench [decode|list|data]`: the performance targets, each measured against its
//! baseline in the same run, on release builds and the embedded fake server.
//!
//! - decode: row decoding throughput vs serde_json on a 100 MB body (see `bench/src/bin/decode.rs`).
//! - list: `sdm jobs list --all -o ndjson` over 2,000 jobs at 300 ms per request, vs the same
//!   client walking sequentially at the API's default page size of 25 by following `next`.
//! - window: all pages of 2,000 jobs with every 4th page slow, the client's sliding window vs
//!   the wave-by-wave walk over the same pager (see `bench/src/bin/window.rs`).
//! - data: `sdm jobs data -o ndjson` of a 1,000,000-row job, vs `curl -s URL | jq -c '.[]'`;
//!   elapsed time and peak memory (GNU time's maximum resident set size).

use std::io::{BufRead, BufReader, Read};
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
    if all || which == Some("window") {
        window(&bin)?;
    }
    if all || which == Some("data") {
        data(&bin)?;
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
        "ours (page size 100, 4 in flight):       median {:>6.2} s  ({ours_lines} jobs)",
        ours.as_secs_f64()
    );
    println!(
        "baseline (page size 25, following next): median {:>6.2} s  ({baseline_lines} jobs)",
        baseline.as_secs_f64()
    );
    println!(
        "ratio {ratio:.3} (target <= 0.15) {}",
        verdict(ratio <= 0.15)
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
        let (time, kib) = timed_with_peak_memory(&mock, bin, &job)?;
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

/// Runs the data export under GNU time: elapsed time and peak resident memory in KiB.
fn timed_with_peak_memory(mock: &Mock, bin: &Path, job: &str) -> Result<(Duration, u64), String> {
    let report = std::env::temp_dir().join(format!("sdm-bench-time-{}", std::process::id()));
    let mut command = Command::new("/usr/bin/time");
    command
        .args(["-f", "%M", "-o"])
        .arg(&report)
        .arg(bin.join("sdm"))
        .args(["jobs", "data", job, "1", "-o", "ndjson"])
        .env("SDM_BASE_URL", &mock.base_url)
        .env("SDM_TOKEN", &mock.token)
        .stdout(Stdio::null());
    let start = Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("/usr/bin/time (Debian package `time`): {e}"))?;
    let elapsed = start.elapsed();
    if !status.success() {
        return Err(format!("sdm jobs data failed: {status}"));
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
    Ok((elapsed, kib))
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISSED" }
}
