//! `--out FILE` and `--out-dir DIR` leave no `.FILE.XXXXXX.part` behind when the command is
//! stopped by SIGINT (Ctrl-C), SIGTERM or SIGHUP mid-download, and the process still ends by
//! that signal, as the shell expects.
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{files_in, sdm};

const JOB: &str = "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b";

/// A loopback server that answers the head of a response and the start of its body, then
/// holds the connection open without sending more, as a stalled download would.
fn stalling_server(start_of_body: &'static str) -> (String, Arc<Mutex<Vec<TcpStream>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/api/v1/", listener.local_addr().unwrap());
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&held);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n\
                 Content-Disposition: attachment; filename=\"export.csv\"\r\n\
                 Content-Length: 100000000\r\n\r\n{start_of_body}"
            );
            let _ = stream.flush();
            keep.lock().unwrap().push(stream);
        }
    });
    (base, held)
}

/// Runs `sdm ARGS` against a stalling server, waits for its temporary file to appear in `dir`,
/// sends `signal`, and checks that the process ended by it and left `dir` empty.
fn stopped_by(signal: i32, args: &[&str], dir: &Path, start_of_body: &'static str) {
    let (base, _held) = stalling_server(start_of_body);
    let mut child = sdm(args)
        .args(["--base-url", &base, "--token", "t", "--retries", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Waiting on the other process (not timing logic): the file appears within milliseconds.
    let waited = Instant::now();
    while !files_in(dir).iter().any(|name| name.ends_with(".part")) {
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "no temporary file in {}: {:?}",
            dir.display(),
            child.try_wait()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let sent = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(signal), "{status:?}");
    assert!(files_in(dir).is_empty(), "{:?}", files_in(dir));
}

const SIGHUP: i32 = 1;
const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

#[test]
fn jobs_data_out_removes_its_temporary_file_on_sigint_and_sigterm() {
    for signal in [SIGINT, SIGTERM] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("rows.ndjson");
        let args = ["jobs", "data", JOB, "1", "--out", out.to_str().unwrap()];
        stopped_by(signal, &args, dir.path(), r#"[{"sku":"A"},"#);
    }
}

#[test]
fn jobs_download_removes_its_temporary_file_on_signals() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("export.csv");
    let args = ["jobs", "download", JOB, "1", "--out", out.to_str().unwrap()];
    stopped_by(SIGTERM, &args, dir.path(), "sku,name\r\n");

    let dir = tempfile::tempdir().unwrap();
    let args = [
        "jobs",
        "download",
        JOB,
        "1",
        "--out-dir",
        dir.path().to_str().unwrap(),
    ];
    stopped_by(SIGHUP, &args, dir.path(), "sku,name\r\n");
}
