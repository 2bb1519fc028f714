//! The import flow end to end against the fake server: `files upload` / `files get`,
//! `jobs create`, `jobs download`, `projects list` / `get`, and `sdm import`, with every exit
//! code they document, the id-alone stdout contract, hostile download names kept inside
//! `--out-dir`, and creates not sent twice after the connection dropped.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use sdm_mock::{Fault, FaultPlan, MockServer, Route, Status};
use serde_json::{Value, json};

/// The supplier file of most tests; the last row has an empty cell.
const CSV: &str = "sku;name;price\nSH-001;Trail shoe;89.90\nSH-002;City sneaker;\n";

/// The rows the fake server makes of [`CSV`]: empty cells left out.
fn csv_rows() -> Vec<Value> {
    vec![
        json!({"sku": "SH-001", "name": "Trail shoe", "price": "89.90"}),
        json!({"sku": "SH-002", "name": "City sneaker"}),
    ]
}

/// A server that parses in 100 ms and whose created jobs run for 300 ms.
fn fast() -> MockServer {
    MockServer::builder()
        .parse_for(Duration::from_millis(100))
        .created_jobs_run_for(Duration::from_millis(300))
        .start()
        .unwrap()
}

/// `text` written to `name` in a fresh directory (kept alive by the returned guard).
fn file_with(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn path_arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The one line of `stdout`, checked to be all of it.
fn alone(stdout: &str) -> &str {
    let line = stdout
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("{stdout:?}"));
    assert!(!line.contains('\n'), "one line only: {stdout:?}");
    line
}

/// Uploads [`CSV`], waits for its parsing, and returns the file id.
fn parsed_file(server: &MockServer) -> String {
    let (_dir, path) = file_with("offers.csv", CSV);
    let run = run_expect(
        &mut sdm_at(
            server,
            &[
                "files",
                "upload",
                path_arg(&path),
                "--wait",
                "--interval",
                "50ms",
            ],
        ),
        0,
    );
    alone(&run.stdout).to_owned()
}

#[test]
fn upload_prints_the_file_id_alone_and_files_get_shows_it() {
    let server = fast();
    let (_dir, path) = file_with("offers.csv", CSV);
    let run = run_expect(
        &mut sdm_at(&server, &["files", "upload", path_arg(&path)]),
        0,
    );
    let id = alone(&run.stdout);
    assert!(id.bytes().all(|b| b.is_ascii_digit()), "{id:?}");
    assert_eq!(run.stderr, "");
    assert_eq!(server.posts_received(Route::FileUpload), 1);

    let run = run_expect(&mut sdm_at(&server, &["files", "get", id, "-o", "json"]), 0);
    let file: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(file["id"].to_string(), id);
    assert_eq!(file["name"], "offers.csv");

    let run = run_expect(&mut sdm_at(&server, &["files", "get", id]), 0);
    let first: Vec<&str> = run
        .stdout
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(first, ["id", id], "{}", run.stdout);
    assert!(run.stdout.contains("offers.csv"), "{}", run.stdout);

    // -o json: the server's object, once parsed with --wait.
    let run = run_expect(
        &mut sdm_at(
            &server,
            &[
                "files",
                "upload",
                path_arg(&path),
                "--wait",
                "--interval",
                "50ms",
                "-o",
                "json",
            ],
        ),
        0,
    );
    let file: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(file["status"], "ready");

    run_expect(&mut sdm_at(&server, &["files", "get", "999999"]), 4);
}

#[test]
fn rows_are_uploaded_as_json_from_stdin_or_a_file() {
    let server = fast();
    let ndjson = "{\"sku\": \"A\", \"ean\": \"1\"}\n{\"sku\": \"B\"}\n";
    let run = run_with_stdin(
        &mut sdm_at(
            &server,
            &[
                "files",
                "upload",
                "-",
                "--rows",
                "--wait",
                "--interval",
                "50ms",
            ],
        ),
        Some(ndjson),
    );
    assert_eq!(run.code, 0, "{run:#?}");
    let id: u64 = alone(&run.stdout).parse().unwrap();
    let files = server.files_snapshot();
    let file = files
        .iter()
        .find(|f| f["id"] == id)
        .expect("the file exists");
    assert_eq!(file["status"], "ready");

    let (_dir, path) = file_with("rows.json", r#"[{"sku": "A"}, {"sku": "B"}]"#);
    let run = run_expect(
        &mut sdm_at(&server, &["files", "upload", path_arg(&path), "--rows"]),
        0,
    );
    alone(&run.stdout);

    // A row that is not an object is refused before anything is sent.
    let before = server.posts_received(Route::FileUpload);
    let run = run_with_stdin(
        &mut sdm_at(&server, &["files", "upload", "-", "--rows"]),
        Some("{\"sku\": \"A\"}\n[1, 2]\n"),
    );
    assert_eq!(run.code, 2, "{run:#?}");
    assert!(run.stderr.contains("row 2 is an array"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(server.posts_received(Route::FileUpload), before);
}

#[test]
fn a_missing_path_is_a_usage_error_and_sends_nothing() {
    let server = fast();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.csv");
    for args in [
        &["files", "upload", path_arg(&missing)][..],
        &["files", "upload", path_arg(dir.path())],
        &["files", "upload", path_arg(&missing), "--rows"],
        &["import", path_arg(&missing), "--project", "1"],
        &["import", "--rows", path_arg(&missing), "--project", "1"],
    ] {
        let run = run_expect(&mut sdm_at(&server, args), 2);
        assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
        assert_eq!(run.stdout, "");
    }
    assert_eq!(server.posts_received(Route::Any), 0);
    assert_eq!(server.request_count(), 0);
}

#[test]
fn a_parsing_error_exits_5_with_the_reason_and_creates_no_job() {
    let server = fast();
    let (_dir, empty) = file_with("empty.csv", "\n\n");
    let run = run_expect(
        &mut sdm_at(
            &server,
            &[
                "files",
                "upload",
                path_arg(&empty),
                "--wait",
                "--interval",
                "50ms",
            ],
        ),
        5,
    );
    alone(&run.stdout);
    assert!(
        run.stderr
            .contains("could not be parsed: The file has no header line."),
        "{}",
        run.stderr
    );

    let run = run_expect(
        &mut sdm_at(
            &server,
            &[
                "import",
                path_arg(&empty),
                "--project",
                "1",
                "--interval",
                "50ms",
            ],
        ),
        5,
    );
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("no header line"), "{}", run.stderr);
    assert_eq!(server.posts_received(Route::JobCreate), 0);
}

#[test]
fn a_parsing_wait_past_its_timeout_exits_7() {
    let server = MockServer::builder()
        .parse_for(Duration::from_secs(30))
        .start()
        .unwrap();
    let (_dir, path) = file_with("offers.csv", CSV);
    let started = Instant::now();
    let run = run_expect(
        &mut sdm_at(
            &server,
            &[
                "files",
                "upload",
                path_arg(&path),
                "--wait",
                "--timeout",
                "400ms",
                "--interval",
                "100ms",
            ],
        ),
        7,
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    alone(&run.stdout);
    assert!(run.stderr.contains("still parsing"), "{}", run.stderr);
}

#[test]
fn jobs_create_prints_the_job_id_alone_and_shows_field_errors() {
    let server = fast();
    let file = parsed_file(&server);
    let run = run_expect(
        &mut sdm_at(
            &server,
            &[
                "jobs",
                "create",
                "--file",
                &file,
                "--project",
                "1",
                "--name",
                "Offers",
            ],
        ),
        0,
    );
    assert!(is_uuid(alone(&run.stdout)), "{}", run.stdout);
    assert_eq!(run.stderr, "");

    let run = run_expect(
        &mut sdm_at(
            &server,
            &[
                "jobs",
                "create",
                "--file",
                &file,
                "--project",
                "2",
                "--name",
                "Offers",
                "-o",
                "json",
            ],
        ),
        0,
    );
    let job: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(is_uuid(job["id"].as_str().unwrap()));

    let run = run_expect(
        &mut sdm_at(
            &server,
            &[
                "jobs",
                "create",
                "--file",
                &file,
                "--project",
                "99",
                "--name",
                "Offers",
            ],
        ),
        1,
    );
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .contains("project: Invalid pk \"99\" - object does not exist."),
        "{}",
        run.stderr
    );
}

#[test]
fn import_prints_the_job_id_or_streams_its_rows() {
    let server = fast();
    let (_dir, path) = file_with("offers.csv", CSV);
    let import = |extra: &[&str]| {
        let args = [
            &[
                "import",
                path_arg(&path),
                "--project",
                "1",
                "--interval",
                "50ms",
                "--timeout",
                "30s",
            ][..],
            extra,
        ]
        .concat();
        run_expect(&mut sdm_at(&server, &args), 0)
    };

    let run = import(&[]);
    let id = alone(&run.stdout).to_owned();
    assert!(is_uuid(&id), "{}", run.stdout);
    assert_eq!(run.stderr, "", "no progress off a terminal");
    let run = run_expect(&mut sdm_at(&server, &["jobs", "get", &id, "-o", "json"]), 0);
    let job: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(job["status"], "done");
    assert_eq!(job["name"], "offers.csv", "named after the file");

    let run = import(&["--name", "Week 48", "-o", "json"]);
    let job: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        (job["status"].as_str(), job["name"].as_str()),
        (Some("done"), Some("Week 48"))
    );

    assert_eq!(ndjson(&import(&["--data", "1"]).stdout), csv_rows());
    let csv = import(&["--data", "2", "-o", "csv"]).stdout;
    assert_eq!(
        parse_csv(&csv),
        [
            vec!["sku", "name", "price"],
            vec!["SH-001", "Trail shoe", "89.90"],
            vec!["SH-002", "City sneaker", ""],
        ]
    );

    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("rows.json");
    let run = import(&["--data", "1", "-o", "json", "--out", path_arg(&out)]);
    assert_eq!(run.stdout, "");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(written, Value::Array(csv_rows()));

    let file = out_dir.path().join("export.csv");
    let run = import(&["--download", "1", "--out", path_arg(&file)]);
    assert_eq!(run.stdout, "");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(parse_csv(&text)[1], ["SH-001", "Trail shoe", "89.90"]);
    let run = import(&["--download", "1"]);
    assert_eq!(run.stdout, text, "to stdout when it is not a terminal");

    // Rows instead of a file, from stdin.
    let rows = "{\"sku\": \"X\", \"ean\": \"\"}\n{\"sku\": \"Y\", \"ean\": \"7\"}\n";
    let run = run_with_stdin(
        &mut sdm_at(
            &server,
            &[
                "import",
                "--rows",
                "-",
                "--project",
                "1",
                "--interval",
                "50ms",
                "--data",
                "1",
            ],
        ),
        Some(rows),
    );
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(
        ndjson(&run.stdout),
        [json!({"sku": "X"}), json!({"sku": "Y", "ean": "7"})]
    );
}

#[test]
fn import_exits_as_jobs_wait_does() {
    let server = fast();
    server.set_project_outcome(2, Status::Error);
    server.set_project_outcome(3, Status::Pending);
    server.set_project_outcome(4, Status::Running);
    let (_dir, path) = file_with("offers.csv", CSV);
    let import = |project: &str, extra: &[&str], code| {
        let args = [
            &[
                "import",
                path_arg(&path),
                "--project",
                project,
                "--interval",
                "50ms",
            ][..],
            extra,
        ]
        .concat();
        run_expect(&mut sdm_at(&server, &args), code)
    };

    let failed = import("2", &[], 5);
    assert!(is_uuid(alone(&failed.stdout)), "the job id, to look at it");
    assert!(failed.stderr.contains(" failed: "), "{}", failed.stderr);
    let failed = import("2", &["--data", "1"], 5);
    assert_eq!(failed.stdout, "", "no rows of a failed job");

    let pending = import("3", &["-o", "json"], 6);
    let job: Value = serde_json::from_str(&pending.stdout).unwrap();
    assert_eq!(job["status"], "pending");
    assert!(
        pending.stderr.contains("needs action in SDM"),
        "{}",
        pending.stderr
    );

    // One deadline for the whole import: parsing and the job's run both come out of it.
    let started = Instant::now();
    let timed_out = import("4", &["--timeout", "1s"], 7);
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    assert!(is_uuid(alone(&timed_out.stdout)));
    assert!(
        timed_out.stderr.contains("timed out after"),
        "{}",
        timed_out.stderr
    );
    assert!(
        timed_out.stderr.contains("still running"),
        "{}",
        timed_out.stderr
    );

    // A deadline shorter than the parsing: no job is created.
    let slow = MockServer::builder()
        .parse_for(Duration::from_secs(30))
        .start()
        .unwrap();
    let run = run_expect(
        &mut sdm_at(
            &slow,
            &[
                "import",
                path_arg(&path),
                "--project",
                "1",
                "--timeout",
                "300ms",
                "--interval",
                "100ms",
            ],
        ),
        7,
    );
    assert_eq!(run.stdout, "");
    assert_eq!(slow.posts_received(Route::JobCreate), 0);
}

/// A done job created from [`CSV`], named `name`.
fn done_job(server: &MockServer, name: &str) -> String {
    let (_dir, path) = file_with("offers.csv", CSV);
    let run = run_expect(
        &mut sdm_at(
            server,
            &[
                "import",
                path_arg(&path),
                "--project",
                "1",
                "--name",
                name,
                "--interval",
                "50ms",
            ],
        ),
        0,
    );
    alone(&run.stdout).to_owned()
}

#[test]
fn downloads_land_in_out_dir_under_a_safe_name_never_over_a_file() {
    let server = fast();
    let job = done_job(&server, "Offers week 48");
    let dir = tempfile::tempdir().unwrap();
    let download = |code| {
        run_expect(
            &mut sdm_at(
                &server,
                &[
                    "jobs",
                    "download",
                    &job,
                    "1",
                    "--out-dir",
                    path_arg(dir.path()),
                ],
            ),
            code,
        )
    };

    let run = download(0);
    let first = dir.path().join("Offers week 48.csv");
    assert_eq!(alone(&run.stdout), path_arg(&first));
    let text = std::fs::read_to_string(&first).unwrap();
    assert_eq!(parse_csv(&text)[2], ["SH-002", "City sneaker", ""]);
    let run = download(0);
    assert_eq!(
        alone(&run.stdout),
        path_arg(&dir.path().join("Offers week 48 (1).csv"))
    );
    assert_eq!(
        files_in(dir.path()),
        ["Offers week 48 (1).csv", "Offers week 48.csv"]
    );

    // --out: atomic, replaces.
    let out = dir.path().join("export.csv");
    std::fs::write(&out, "old").unwrap();
    let run = run_expect(
        &mut sdm_at(
            &server,
            &["jobs", "download", &job, "1", "--out", path_arg(&out)],
        ),
        0,
    );
    assert_eq!(run.stdout, "");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), text);
}

#[test]
fn hostile_download_names_stay_inside_out_dir() {
    let server = fast();
    let job = done_job(&server, "x");
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("downloads");
    std::fs::create_dir(&dir).unwrap();
    for hostile in [
        "attachment; filename=\"../../evil\u{1b}[31m.csv\"",
        "attachment; filename*=utf-8''..%2F..%2Fevil%1B%5B31m.csv",
        "attachment; filename=\"..\\\\..\\\\evil.csv\"; filename*=UTF-8''%2E%2E%2F%E2%80%AEvsc.csv",
        "attachment; filename=\"..\"",
    ] {
        server.set_content_disposition(Some(hostile.to_owned()));
        let run = run_expect(
            &mut sdm_at(
                &server,
                &["jobs", "download", &job, "1", "--out-dir", path_arg(&dir)],
            ),
            0,
        );
        let written = PathBuf::from(alone(&run.stdout));
        assert_eq!(
            written.parent(),
            Some(dir.as_path()),
            "{hostile:?}: {written:?}"
        );
        let name = written.file_name().unwrap().to_str().unwrap();
        assert!(
            !name.starts_with('.') && !name.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{hostile:?}: {name:?}"
        );
        assert!(written.is_file(), "{hostile:?}");
        assert!(!run.stdout.contains('\u{1b}'), "{hostile:?}");
    }
    assert_eq!(files_in(outer.path()), ["downloads"], "nothing outside DIR");
    let names = files_in(&dir);
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(names.contains(&format!("job-{job}-1.csv")), "{names:?}");
}

#[test]
fn a_download_that_is_not_found_exits_4_and_leaves_no_file() {
    let server = fast();
    let dir = tempfile::tempdir().unwrap();
    let unknown = "00000000-0000-4000-8000-000000000000";
    let out = dir.path().join("export.csv");
    for args in [
        &["jobs", "download", unknown, "1", "--out", path_arg(&out)][..],
        &[
            "jobs",
            "download",
            unknown,
            "1",
            "--out-dir",
            path_arg(dir.path()),
        ],
        &["jobs", "download", unknown, "1"],
    ] {
        let run = run_expect(&mut sdm_at(&server, args), 4);
        assert_eq!(run.stdout, "");
    }
    let job = done_job(&server, "Offers");
    let run = run_expect(
        &mut sdm_at(
            &server,
            &["jobs", "download", &job, "999", "--out", path_arg(&out)],
        ),
        4,
    );
    assert_eq!(run.stdout, "");
    assert_eq!(files_in(dir.path()), Vec::<String>::new());

    let missing = dir.path().join("missing");
    run_expect(
        &mut sdm_at(
            &server,
            &[
                "jobs",
                "download",
                &job,
                "1",
                "--out-dir",
                path_arg(&missing),
            ],
        ),
        2,
    );
}

#[test]
fn a_create_is_not_sent_again_after_the_connection_dropped() {
    let server = fast();
    let file = parsed_file(&server);
    server.set_faults(vec![
        FaultPlan::always(Fault::DropAfterActing).on(Route::JobCreate),
    ]);
    let created = run(&mut sdm_at(
        &server,
        &[
            "jobs",
            "create",
            "--file",
            &file,
            "--project",
            "3",
            "--name",
            "Offers",
        ],
    ));
    let run = created;
    assert_ne!(run.code, 0, "{run:#?}");
    assert_eq!(run.stdout, "");
    assert_eq!(server.posts_received(Route::JobCreate), 1, "sent once");
    assert!(
        run.stderr
            .contains("hint: check with `sdm jobs list --project 3 --created-after 20"),
        "{}",
        run.stderr
    );
    // The job was created all the same. (The hint's time is the client's clock; the fake
    // server dates its jobs on a clock of its own, so the listing is checked unfiltered.)
    let hint = run
        .stderr
        .lines()
        .find(|l| l.contains("sdm jobs list"))
        .unwrap();
    let after = hint.split("--created-after ").nth(1).unwrap();
    let after = after.split('`').next().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(after).is_ok(),
        "{after}"
    );
    server.clear_faults();
    let listed = run_expect(
        &mut sdm_at(
            &server,
            &[
                "jobs",
                "list",
                "--project",
                "3",
                "--page-size",
                "100",
                "-o",
                "ndjson",
            ],
        ),
        0,
    );
    let created: Vec<Value> = ndjson(&listed.stdout)
        .into_iter()
        .filter(|job| job["name"] == "Offers")
        .collect();
    assert_eq!(created.len(), 1, "created once: {created:?}");

    // The same for an upload, and inside an import.
    server.set_faults(vec![
        FaultPlan::always(Fault::DropAfterActing).on(Route::FileUpload),
    ]);
    let (_dir, path) = file_with("offers.csv", CSV);
    let run = common::run(&mut sdm_at(
        &server,
        &["import", path_arg(&path), "--project", "1"],
    ));
    assert_ne!(run.code, 0, "{run:#?}");
    assert_eq!(
        server.posts_received(Route::FileUpload),
        2,
        "one more, sent once"
    );
    assert!(
        run.stderr.contains("uploading again is safe"),
        "{}",
        run.stderr
    );
    assert_eq!(
        server.posts_received(Route::JobCreate),
        1,
        "no job without a file"
    );
}

#[test]
fn projects_are_listed_and_shown_with_their_steps_in_order() {
    let server = fast();
    let run = run_expect(
        &mut sdm_at(&server, &["projects", "list", "-o", "ndjson"]),
        0,
    );
    let ids: Vec<u64> = ndjson(&run.stdout)
        .iter()
        .map(|p| p["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
    let run = run_expect(
        &mut sdm_at(
            &server,
            &[
                "projects",
                "list",
                "--all",
                "--page-size",
                "4",
                "-o",
                "json",
            ],
        ),
        0,
    );
    let all: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 6);
    let run = run_expect(
        &mut sdm_at(
            &server,
            &[
                "projects",
                "list",
                "--page-size",
                "4",
                "--page",
                "2",
                "-o",
                "csv",
            ],
        ),
        0,
    );
    assert_eq!(parse_csv(&run.stdout).len(), 3, "a header and 2 projects");
    let run = run_expect(&mut sdm_at(&server, &["projects", "list"]), 0);
    assert!(run.stdout.starts_with("ID  NAME"), "{}", run.stdout);
    assert!(run.stderr.contains("(6 projects)"), "{}", run.stderr);

    let run = run_expect(&mut sdm_at(&server, &["projects", "get", "1"]), 0);
    let (_, steps) = run.stdout.split_once("\n\n").expect("a steps table");
    let numbers: Vec<u64> = steps
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    assert!(!numbers.is_empty());
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    let run = run_expect(
        &mut sdm_at(&server, &["projects", "get", "1", "-o", "json"]),
        0,
    );
    let project: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(project["steps"].as_array().unwrap().len(), numbers.len());

    run_expect(&mut sdm_at(&server, &["projects", "get", "99"]), 4);
}

/// Runs `sdm ARGS` against `server` with standard output on a terminal (util-linux `script`
/// gives it a pseudo-terminal); `None` where `script` is not installed.
fn on_a_terminal(server: &MockServer, args: &[&str]) -> Option<(i32, String)> {
    let quote = |word: &str| format!("'{}'", word.replace('\'', "'\\''"));
    let mut words = vec![quote(env!("CARGO_BIN_EXE_sdm"))];
    words.extend(args.iter().map(|word| quote(word)));
    words.extend(["--base-url", server.base_url(), "--token", server.token()].map(quote));
    let output = std::process::Command::new("script")
        .args(["-qec", &words.join(" "), "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    let code = output.status.code()?;
    Some((code, String::from_utf8_lossy(&output.stdout).into_owned()))
}

#[test]
fn a_file_is_not_written_to_a_terminal() {
    let server = fast();
    let job = done_job(&server, "Offers");
    let uploads = server.posts_received(Route::FileUpload);
    let (_dir, path) = file_with("offers.csv", CSV);
    for args in [
        &["jobs", "download", &job, "1"][..],
        &[
            "import",
            path_arg(&path),
            "--project",
            "1",
            "--download",
            "1",
        ],
    ] {
        let Some((code, text)) = on_a_terminal(&server, args) else {
            eprintln!("skipped: no `script` to run sdm on a terminal");
            return;
        };
        assert_eq!(code, 2, "{args:?}: {text}");
        assert!(text.contains("standard output is a terminal"), "{text}");
        assert!(!text.contains("SH-001"), "{text}");
    }
    assert_eq!(
        server.posts_received(Route::FileUpload),
        uploads,
        "nothing uploaded"
    );
}

#[test]
fn the_deadline_cuts_a_slow_request_short() {
    let server = fast();
    server.set_faults(vec![
        FaultPlan::always(Fault::Latency(Duration::from_secs(5))).on(Route::FileUpload),
    ]);
    let (_dir, path) = file_with("offers.csv", CSV);
    let started = Instant::now();
    let run = run_expect(
        &mut sdm_at(
            &server,
            &[
                "import",
                path_arg(&path),
                "--project",
                "1",
                "--timeout",
                "500ms",
            ],
        ),
        7,
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(
        run.stderr.starts_with("error: timed out after"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("uploading again is safe"),
        "{}",
        run.stderr
    );
    assert_eq!(server.posts_received(Route::FileUpload), 1, "not resent");
    assert_eq!(server.posts_received(Route::JobCreate), 0);
}

#[test]
fn creates_are_resent_after_a_429_only() {
    let server = fast();
    // Throttled before the view runs: sent again, and one file exists.
    server.set_faults(vec!["429=0@uploadx1".parse().unwrap()]);
    let (_dir, path) = file_with("offers.csv", CSV);
    let run = run_expect(
        &mut sdm_at(&server, &["files", "upload", path_arg(&path)]),
        0,
    );
    alone(&run.stdout);
    assert_eq!(server.posts_received(Route::FileUpload), 2);
    assert_eq!(server.files_snapshot().len(), 1);

    // A 503 may come after the job was made: reported with the hint, never resent.
    let file = parsed_file(&server);
    server.set_faults(vec!["503@create".parse().unwrap()]);
    let run = run_expect(
        &mut sdm_at(
            &server,
            &[
                "jobs",
                "create",
                "--file",
                &file,
                "--project",
                "2",
                "--name",
                "Offers",
            ],
        ),
        8,
    );
    assert_eq!(server.posts_received(Route::JobCreate), 1);
    assert!(
        run.stderr
            .contains("hint: check with `sdm jobs list --project 2 --created-after "),
        "{}",
        run.stderr
    );
}

#[test]
fn every_project_with_a_limit() {
    let server = fast();
    let run = run_expect(
        &mut sdm_at(
            &server,
            &[
                "projects",
                "list",
                "--all",
                "--page-size",
                "2",
                "--limit",
                "3",
                "-o",
                "ndjson",
            ],
        ),
        0,
    );
    let ids: Vec<u64> = ndjson(&run.stdout)
        .iter()
        .map(|p| p["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3]);
    run_expect(
        &mut sdm_at(&server, &["projects", "list", "--page", "9"]),
        4,
    );
}

#[test]
fn the_deadline_cuts_a_slow_download_short_and_leaves_no_file() {
    let server = fast();
    let (_dir, path) = file_with("offers.csv", CSV);
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("export.csv");
    // The file trickles in a byte every 100 ms: far longer than what is left of the deadline.
    server.set_faults(vec!["slow-drip=1/100ms@download".parse().unwrap()]);
    let started = Instant::now();
    let run = run_expect(
        &mut sdm_at(
            &server,
            &[
                "import",
                path_arg(&path),
                "--project",
                "1",
                "--interval",
                "50ms",
                "--timeout",
                "2s",
                "--download",
                "1",
                "--out",
                path_arg(&out),
            ],
        ),
        7,
    );
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    assert!(
        run.stderr.starts_with("error: timed out after"),
        "{}",
        run.stderr
    );
    assert_eq!(files_in(out_dir.path()), Vec::<String>::new());
}
