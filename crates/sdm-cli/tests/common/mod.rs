//! What the end-to-end tests share: running the real `sdm` binary with a clean environment,
//! and reading back its outputs (NDJSON, RFC 4180 CSV) and the fake server's ground truth.

#![allow(dead_code)] // each test binary uses its own subset

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};

use chrono::{DateTime, Utc};
use sdm_mock::MockServer;
use serde_json::Value;

/// What one run of the binary gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The binary with no `SDM_*` or `RUST_LOG` variable inherited from the test's environment,
/// and its config directory (saved logins) pointed at one that does not exist, so no test
/// reads or writes the real one. Tests of saved logins set their own.
pub fn sdm(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sdm"));
    command.args(args).stdin(Stdio::null());
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("SDM_") || name == "RUST_LOG" {
            command.env_remove(&*name);
        }
    }
    let nowhere = std::env::temp_dir().join(format!("sdm-tests-no-config-{}", std::process::id()));
    for name in ["XDG_CONFIG_HOME", "HOME", "APPDATA"] {
        command.env(name, &nowhere);
    }
    command
}

/// The binary pointed at `server` with its token on the command line.
pub fn sdm_at(server: &MockServer, args: &[&str]) -> Command {
    let mut command = sdm(args);
    command.args(["--base-url", server.base_url(), "--token", server.token()]);
    command
}

pub fn run(command: &mut Command) -> Run {
    run_with_stdin(command, None)
}

pub fn run_with_stdin(command: &mut Command, stdin: Option<&str>) -> Run {
    if stdin.is_some() {
        command.stdin(Stdio::piped());
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sdm binary starts");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(input.as_bytes()).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    let run = Run {
        code: output
            .status
            .code()
            .expect("sdm exited normally, not by a signal"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    };
    assert!(!run.stderr.contains("panicked"), "{run:#?}");
    run
}

/// Runs and checks the exit code, showing everything when it is not the expected one.
pub fn run_expect(command: &mut Command, code: i32) -> Run {
    let run = run(command);
    assert_eq!(run.code, code, "{command:?}\n{run:#?}");
    run
}

pub fn ndjson(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).expect("each line is a JSON value"))
        .collect()
}

/// A small RFC 4180 reader: quoted fields with doubled quotes, CRLF or LF record ends.
/// The columns of `-o csv` for jobs, in order.
pub const JOB_CSV_HEADER: [&str; 6] = [
    "id",
    "name",
    "status",
    "project",
    "creation_date",
    "completion_date",
];

pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(!quoted, "unterminated quoted field");
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

pub fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

pub fn project_id(job: &Value) -> u64 {
    match &job["project"] {
        Value::Object(project) => project["id"].as_u64().unwrap(),
        id => id.as_u64().unwrap(),
    }
}

/// The world's jobs as the list endpoint orders them: newest first, ties by id.
pub fn newest_first(server: &MockServer, keep: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut jobs: Vec<Value> = server
        .world()
        .jobs()
        .iter()
        .filter(|job| keep(job))
        .cloned()
        .collect();
    jobs.sort_by(|a, b| {
        time(&b["creation_date"])
            .cmp(&time(&a["creation_date"]))
            .then_with(|| a["id"].as_str().cmp(&b["id"].as_str()))
    });
    jobs
}

pub fn job_with_status<'a>(server: &'a MockServer, status: &str) -> &'a Value {
    server
        .world()
        .jobs()
        .iter()
        .find(|job| job["status"] == status)
        .unwrap_or_else(|| panic!("the world has a {status} job"))
}

pub fn id_of(job: &Value) -> &str {
    job["id"].as_str().unwrap()
}

/// A local port nothing listens on, and nothing else can take while the tests run.
///
/// The socket is bound but never listens, so connecting is refused; it is kept open (leaked)
/// for the life of the test process. Dropping a bound listener instead would free the port for
/// the next server a test starts in parallel, and the "dead" URL would then answer.
pub fn dead_base_url() -> String {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket
        .bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    let port = socket.local_addr().unwrap().as_socket().unwrap().port();
    std::mem::forget(socket);
    format!("http://127.0.0.1:{port}/api/v1/")
}

pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Whether `text` contains any 12 characters of `secret` in a row: enough to give part of it
/// away (a hex dump of the wire, for one, splits a secret across lines).
pub fn shows_part_of(secret: &str, text: &str) -> bool {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(12.min(chars.len()))
        .any(|window| text.contains(&window.iter().collect::<String>()))
}

/// `sdm jobs list ARGS` against `base_url` exits 2 before any request, with an `error:` naming
/// `needle` on stderr and nothing on stdout.
pub fn assert_list_usage_error(base_url: &str, args: &[&str], needle: &str) {
    let mut command = sdm(&[&["jobs", "list"], args].concat());
    command.args(["--base-url", base_url, "--token", "t"]);
    let run = run_expect(&mut command, 2);
    assert!(run.stderr.starts_with("error:"), "{}", run.stderr);
    assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    assert_eq!(run.stdout, "");
}

/// A loopback server for what the fake server cannot serve: each request's head is read, then
/// `answer(path)` is written back verbatim (status line, headers and body) and the connection
/// closed, until the test ends. Returns its base URL.
pub fn serve_raw_with(answer: impl Fn(&str) -> Vec<u8> + Send + 'static) -> String {
    serve_raw_requests(move |_, path| answer(path))
}

/// [`serve_raw_with`], with `answer(method, path)`; each request's body (by its
/// `Content-Length`) is read before answering, as an upload needs: closing on an unread body
/// would reset the connection under the client's feet.
pub fn serve_raw_requests(answer: impl Fn(&str, &str) -> Vec<u8> + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/api/v1/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut length = 0;
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if std::io::Read::read_exact(&mut reader, &mut body).is_err() {
                continue;
            }
            let mut parts = request_line.split(' ');
            let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let _ = stream.write_all(&answer(method, path));
            let _ = stream.flush();
        }
    });
    base
}

/// [`serve_raw_with`] giving every request the same `response`.
pub fn serve_raw(response: Vec<u8>) -> String {
    serve_raw_with(move |_| response.clone())
}

/// A JSON response with this status (`200 OK`) and body, its `Content-Length`, and
/// `Connection: close`.
pub fn json_response(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
