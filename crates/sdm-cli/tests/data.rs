//! `sdm jobs data` end to end: rows streamed as NDJSON, a JSON array or CSV and read back equal
//! to the fake server's ground truth; a large output; `--out` all or nothing; and a body cut
//! short half-way, served by a hand-written HTTP responder.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use sdm_mock::{JobSpec, MockServer, Status};
use serde_json::{Map, Value};

fn data(server: &MockServer, id: &str, args: &[&str], code: i32) -> Run {
    run_expect(
        &mut sdm_at(server, &[&["jobs", "data", id, "1"], args].concat()),
        code,
    )
}

/// The rows the server serves for `id` in output format 1.
fn rows_of(server: &MockServer, id: &str) -> Vec<Value> {
    server.job_rows(id, 1).expect("a done job").collect()
}

/// The union of the rows' columns, in first-seen order.
fn columns(rows: &[Value]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for row in rows {
        for key in row.as_object().unwrap().keys() {
            if !columns.contains(key) {
                columns.push(key.clone());
            }
        }
    }
    columns
}

/// What a CSV cell holds for a JSON value.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// Checks CSV text against `rows`: the header is the union of their columns in first-seen
/// order, and every cell is the row's value.
fn assert_csv_is(text: &str, rows: &[Value]) {
    assert!(text.ends_with("\r\n"), "CRLF line ends");
    let records = parse_csv(text);
    let header = columns(rows);
    assert_eq!(records[0], header);
    assert_eq!(records.len(), rows.len() + 1);
    for (index, (record, row)) in records[1..].iter().zip(rows).enumerate() {
        let row: &Map<String, Value> = row.as_object().unwrap();
        let expected: Vec<String> = header.iter().map(|c| cell(row.get(c))).collect();
        assert_eq!(record, &expected, "row {index}");
    }
}

#[test]
fn rows_round_trip_in_every_format() {
    let server = MockServer::start();
    let id = id_of(job_with_status(&server, "done")).to_owned();
    let rows = rows_of(&server, &id);
    assert!(rows.len() > 5);

    // NDJSON (the default): each line is the row's compact JSON, byte for byte.
    let run = data(&server, &id, &[], 0);
    let expected: String = rows
        .iter()
        .map(|row| serde_json::to_string(row).unwrap() + "\n")
        .collect();
    assert_eq!(run.stdout, expected);
    assert_eq!(run.stderr, "");

    // JSON: one array.
    let run = data(&server, &id, &["-o", "json"], 0);
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(&run.stdout).unwrap(),
        rows
    );
    assert!(run.stdout.starts_with("[\n") && run.stdout.ends_with("\n]\n"));

    // CSV: the header is every column met, in first-seen order.
    let run = data(&server, &id, &["-o", "csv"], 0);
    assert_csv_is(&run.stdout, &rows);
    // Rows do not all have the same columns: the union is longer than the first row's.
    assert!(columns(&rows).len() > rows[0].as_object().unwrap().len());
}

#[test]
fn rows_of_every_done_job_of_the_world_as_csv() {
    let server = MockServer::start();
    let done: Vec<String> = server
        .world()
        .jobs()
        .iter()
        .filter(|job| job["status"] == "done")
        .take(5)
        .map(|job| id_of(job).to_owned())
        .collect();
    for id in &done {
        for format in [1, 2] {
            let format = format.to_string();
            let run = run_expect(
                &mut sdm_at(&server, &["jobs", "data", id, &format, "-o", "csv"]),
                0,
            );
            let rows: Vec<Value> = server
                .job_rows(id, format.parse().unwrap())
                .unwrap()
                .collect();
            if rows.is_empty() {
                assert_eq!(run.stdout, "");
            } else {
                assert_csv_is(&run.stdout, &rows);
            }
        }
    }
}

#[test]
fn a_large_output_streams_in_every_format() {
    let server = MockServer::start();
    let id = server.add_job(JobSpec::new(Status::Done, Duration::ZERO).rows(50_000));

    let run = data(&server, &id, &[], 0);
    let mut lines = run.stdout.lines();
    for (index, row) in server.job_rows(&id, 1).unwrap().enumerate() {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("row {index} missing"));
        assert_eq!(line, serde_json::to_string(&row).unwrap(), "row {index}");
    }
    assert_eq!(lines.next(), None);

    let run = data(&server, &id, &["-o", "json"], 0);
    let array: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(array.len(), 50_000);

    let run = data(&server, &id, &["-o", "csv"], 0);
    assert_eq!(parse_csv(&run.stdout).len(), 50_001);
}

#[test]
fn empty_outputs() {
    let server = MockServer::start();
    let id = server.add_job(JobSpec::new(Status::Done, Duration::ZERO).rows(0));
    assert_eq!(data(&server, &id, &[], 0).stdout, "");
    assert_eq!(data(&server, &id, &["-o", "json"], 0).stdout, "[]\n");
    assert_eq!(data(&server, &id, &["-o", "csv"], 0).stdout, "");
}

fn out_path(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_owned()
}

#[test]
fn out_writes_the_file_in_every_format() {
    let server = MockServer::start();
    let id = id_of(job_with_status(&server, "done")).to_owned();
    let rows = rows_of(&server, &id);
    let dir = tempfile::tempdir().unwrap();

    for (format, name) in [
        ("ndjson", "rows.ndjson"),
        ("json", "rows.json"),
        ("csv", "rows.csv"),
    ] {
        let target = out_path(dir.path(), name);
        let run = data(&server, &id, &["-o", format, "--out", &target], 0);
        assert_eq!(run.stdout, "", "the rows went to the file");
        assert_eq!(run.stderr, "");
        let stdout = data(&server, &id, &["-o", format], 0).stdout;
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            stdout,
            "{format}"
        );
    }
    assert_eq!(
        files_in(dir.path()),
        ["rows.csv", "rows.json", "rows.ndjson"]
    );
    assert_csv_is(
        &std::fs::read_to_string(dir.path().join("rows.csv")).unwrap(),
        &rows,
    );
}

#[test]
fn a_failing_out_leaves_no_file_and_no_temporary() {
    let server = MockServer::start();
    let unknown = "00000000-0000-4000-8000-000000000000";
    let not_done = server.add_job(JobSpec::new(Status::Running, Duration::ZERO));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kept.csv"), "old").unwrap();

    for format in ["ndjson", "json", "csv"] {
        for name in ["new.out", "kept.csv"] {
            let target = out_path(dir.path(), name);
            let args = ["-o", format, "--out", &target];

            let run = data(&server, unknown, &args, 4);
            assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
            assert!(run.stderr.contains("not found"), "{}", run.stderr);

            // A job that is not done yet: 400 from the server.
            let run = data(&server, &not_done, &args, 1);
            assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
            assert!(run.stderr.contains("HTTP 400"), "{}", run.stderr);
            assert!(run.stderr.contains("not finished"), "{}", run.stderr);
            assert_eq!(run.stdout, "");

            assert_eq!(files_in(dir.path()), ["kept.csv"], "{format} {name}");
            assert_eq!(
                std::fs::read_to_string(dir.path().join("kept.csv")).unwrap(),
                "old"
            );
        }
    }

    // An unwritable place fails before any request.
    let run = run_expect(
        &mut sdm(&[
            "jobs",
            "data",
            unknown,
            "1",
            "--out",
            &out_path(dir.path(), "no/such/dir/rows.csv"),
            "--base-url",
            &dead_base_url(),
            "--token",
            "t",
        ]),
        1,
    );
    assert!(
        run.stderr.starts_with("error: could not create a file in"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_row_over_the_limit_is_an_error() {
    let server = MockServer::start();
    let id = id_of(job_with_status(&server, "done")).to_owned();
    let run = data(&server, &id, &["--max-row-bytes", "20"], 1);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(run.stderr.contains("20"), "{}", run.stderr);
    assert!(
        run.stderr
            .ends_with("\n  hint: raise the limit with --max-row-bytes\n"),
        "{}",
        run.stderr
    );
    let run = data(&server, &id, &["--max-row-bytes", "none"], 2);
    assert!(run.stderr.contains("--max-row-bytes"), "{}", run.stderr);
}

/// Two rows and the start of a third, then the connection closes.
const CUT_SHORT: &str = r#"[{"a":1},{"a":"x, \"y\""},{"a":"#;

#[test]
fn a_body_cut_short_fails_after_the_rows_that_came() {
    let with_length: &'static [u8] = Box::leak(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{CUT_SHORT}"
        )
        .into_bytes()
        .into_boxed_slice(),
    );
    let until_close: &'static [u8] = Box::leak(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{CUT_SHORT}"
        )
        .into_bytes()
        .into_boxed_slice(),
    );
    let id = "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b";
    // A connection lost before the announced length is a transport failure (exit 8, as a
    // retry could cure it); a body that ends inside the array is malformed output (exit 1).
    for (response, code) in [(with_length, 8), (until_close, 1)] {
        let base_url = serve_raw(response.to_vec());
        let command = |args: &[&str]| {
            let mut command = sdm(&[&["jobs", "data", id, "1"], args].concat());
            command.args(["--base-url", &base_url, "--token", "t", "--retries", "1"]);
            command
        };

        let got = run(&mut command(&[]));
        assert_eq!(got.code, code, "{got:#?}");
        assert_eq!(got.stdout, "{\"a\":1}\n{\"a\":\"x, \\\"y\\\"\"}\n");
        assert!(got.stderr.starts_with("error: "), "{}", got.stderr);

        let got = run(&mut command(&["-o", "json"]));
        assert_eq!(got.code, code, "{got:#?}");
        assert!(got.stdout.starts_with("[\n{\"a\":1},\n"), "{}", got.stdout);
        assert!(
            serde_json::from_str::<Value>(&got.stdout).is_err(),
            "an incomplete array stays invalid"
        );
        assert!(got.stderr.starts_with("error: "), "{}", got.stderr);

        // CSV needs every row before the header: nothing is printed.
        let got = run(&mut command(&["-o", "csv"]));
        assert_eq!(got.code, code, "{got:#?}");
        assert_eq!(got.stdout, "");
        assert!(got.stderr.starts_with("error: "), "{}", got.stderr);

        let dir = tempfile::tempdir().unwrap();
        for format in ["ndjson", "json", "csv"] {
            let target = out_path(dir.path(), "rows.out");
            let got = run(&mut command(&["-o", format, "--out", &target]));
            assert_eq!(got.code, code, "{got:#?}");
            assert!(got.stderr.starts_with("error: "), "{}", got.stderr);
            assert_eq!(files_in(dir.path()), Vec::<String>::new(), "{format}");
        }
    }
}
