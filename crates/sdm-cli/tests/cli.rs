//! The `sdm` binary end to end: each test starts the embedded fake server, runs the real binary
//! against it with a clean environment, and checks standard output, standard error and the exit
//! code, reading outputs back with serde_json.

mod common;

use std::process::Stdio;
use std::time::Duration;

use chrono::TimeDelta;

use common::*;
use sdm_mock::{JobSpec, MockServer, Status};
use serde_json::Value;

#[test]
fn jobs_get_json_is_the_server_object_field_for_field() {
    let server = MockServer::start();
    // A job whose project is an object and which has extra fields the client does not model.
    let job = server
        .world()
        .jobs()
        .iter()
        .find(|job| job["project"].is_object())
        .unwrap();
    let id = id_of(job);

    let run = run_expect(&mut sdm_at(&server, &["jobs", "get", id, "-o", "json"]), 0);
    let printed: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(&printed, server.world().job(id).unwrap());
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&printed), keys(job), "field order is the server's");
    assert_eq!(
        run.stdout,
        serde_json::to_string_pretty(job).unwrap() + "\n"
    );
    assert_eq!(run.stderr, "");

    let run = run_expect(
        &mut sdm_at(&server, &["jobs", "get", id, "-o", "ndjson"]),
        0,
    );
    assert_eq!(run.stdout, serde_json::to_string(job).unwrap() + "\n");

    let run = run_expect(&mut sdm_at(&server, &["jobs", "get", id]), 0);
    let status = job["status"].as_str().unwrap();
    assert!(run.stdout.starts_with("id "), "{}", run.stdout);
    assert!(run.stdout.contains(id), "{}", run.stdout);
    let status_line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("status"))
        .unwrap();
    assert_eq!(
        status_line.split_whitespace().collect::<Vec<_>>(),
        ["status", status]
    );
    let project_line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("project"))
        .unwrap();
    assert!(
        project_line.contains(&project_id(job).to_string()),
        "{project_line}"
    );

    let run = run_expect(&mut sdm_at(&server, &["jobs", "get", id, "-o", "csv"]), 0);
    let records = parse_csv(&run.stdout);
    assert_eq!(records[0], JOB_CSV_HEADER);
    assert_eq!(records.len(), 2);
    assert_eq!(records[1][0], id);
    assert_eq!(records[1][1], job["name"].as_str().unwrap());
    assert_eq!(records[1][3], project_id(job).to_string());
    assert_eq!(records[1][4], job["creation_date"].as_str().unwrap());
}

#[test]
fn jobs_get_shows_every_status() {
    let server = MockServer::start();
    for status in ["running", "done", "error", "pending"] {
        let job = job_with_status(&server, status);
        let run = run_expect(&mut sdm_at(&server, &["jobs", "get", id_of(job)]), 0);
        assert!(run.stdout.contains(status), "{}", run.stdout);
        if status == "error" {
            let message = job["message"].as_str().unwrap();
            assert!(run.stdout.contains(message), "{}", run.stdout);
        }
    }
}

#[test]
fn jobs_list_pages_through_the_filtered_newest_first_set() {
    let server = MockServer::start();
    let done = newest_first(&server, |job| job["status"] == "done");
    assert!(done.len() > 14, "enough done jobs for two pages of 7");
    let expected: Vec<&Value> = done[7..14].iter().collect();

    let args = [
        "jobs",
        "list",
        "--status",
        "done",
        "--page-size",
        "7",
        "--page",
        "2",
    ];
    let run = run_expect(
        &mut sdm_at(&server, &[&args[..], &["-o", "ndjson"]].concat()),
        0,
    );
    let lines = ndjson(&run.stdout);
    assert_eq!(lines.iter().collect::<Vec<_>>(), expected);
    assert_eq!(run.stderr, "", "no footer outside tables");

    let run = run_expect(
        &mut sdm_at(&server, &[&args[..], &["-o", "json"]].concat()),
        0,
    );
    let array: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(array.iter().collect::<Vec<_>>(), expected);

    let run = run_expect(&mut sdm_at(&server, &args), 0);
    let mut lines = run.stdout.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["ID", "STATUS", "NAME", "PROJECT", "CREATED", "COMPLETED"]
    );
    let ids: Vec<&str> = lines
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(ids, expected.iter().map(|j| id_of(j)).collect::<Vec<_>>());
    let pages = done.len().div_ceil(7);
    assert_eq!(
        run.stderr,
        format!("page 2 of {pages} ({} jobs)\n", done.len())
    );

    let run = run_expect(
        &mut sdm_at(&server, &[&args[..], &["-o", "csv"]].concat()),
        0,
    );
    assert!(run.stdout.ends_with("\r\n"));
    let records = parse_csv(&run.stdout);
    assert_eq!(records[0], JOB_CSV_HEADER);
    assert_eq!(records.len(), 8);
    for (record, job) in records[1..].iter().zip(&expected) {
        let cells = [
            id_of(job).to_owned(),
            job["name"].as_str().unwrap().to_owned(),
            "done".to_owned(),
            project_id(job).to_string(),
            job["creation_date"].as_str().unwrap().to_owned(),
            job["completion_date"].as_str().unwrap().to_owned(),
        ];
        assert_eq!(record, &cells);
    }
}

#[test]
fn jobs_list_filters_by_project_and_creation_time() {
    let server = MockServer::start();
    let after = time(&Value::from("2023-01-01T00:00:00Z"));
    let before = time(&Value::from("2024-06-01T12:00:00Z"));
    let expected = newest_first(&server, |job| {
        let created = time(&job["creation_date"]);
        project_id(job) == 2 && created >= after && created < before
    });
    assert!(!expected.is_empty());
    let run = run_expect(
        &mut sdm_at(
            &server,
            &[
                "jobs",
                "list",
                "--project",
                "2",
                "--created-after",
                "2023-01-01",
                "--created-before",
                "2024-06-01T14:00:00+02:00",
                "--page-size",
                "100",
                "-o",
                "ndjson",
            ],
        ),
        0,
    );
    assert_eq!(ndjson(&run.stdout), expected);
}

#[test]
fn jobs_list_takes_creation_times_back_from_now() {
    let server = MockServer::start();
    let list = |args: &[&str]| {
        let args = [&["jobs", "list", "--all", "-o", "ndjson"][..], args].concat();
        ndjson(&run_expect(&mut sdm_at(&server, &args), 0).stdout)
    };
    // The server's ground truth filtered with "now" read around the run (no job of the fake
    // world is created within seconds of the bounds).
    let within = |created: &Value, after: Option<TimeDelta>, before: Option<TimeDelta>| {
        let created = time(created);
        let now = chrono::Utc::now();
        after.is_none_or(|back| created >= now - back)
            && before.is_none_or(|back| created < now - back)
    };
    for (args, after, before) in [
        (
            &["--created-after", "1h"][..],
            Some(TimeDelta::hours(1)),
            None,
        ),
        (&["--created-before", "3d"], None, Some(TimeDelta::days(3))),
        (
            &["--created-after", "1000w", "--created-before", "1d12h"],
            Some(TimeDelta::weeks(1000)),
            Some(TimeDelta::hours(36)),
        ),
    ] {
        let expected = newest_first(&server, |job| within(&job["creation_date"], after, before));
        assert_eq!(list(args), expected, "{args:?}");
    }
    assert!(
        !list(&["--created-before", "1d"]).is_empty(),
        "the world is in the past"
    );
}

#[test]
fn jobs_list_refuses_bad_arguments_before_any_request() {
    let dead = dead_base_url();
    for (args, needle) in [
        (&["--created-after", "yesterday"][..], "RFC 3339"),
        (&["--created-after", "99999999d"], "too long"),
        (&["--created-before", "2d1w"], "largest unit first"),
        (
            &["--created-before", "2024-02-30"],
            "not a valid calendar date",
        ),
        (&["--page", "0"], "--page"),
        (&["--page-size=-3"], "--page-size"),
        (&["--project", "two"], "--project"),
        (&["-o", "xml"], "possible values"),
    ] {
        assert_list_usage_error(&dead, args, needle);
    }
}

#[test]
fn jobs_data_rows_round_trip_in_ndjson_and_json() {
    let server = MockServer::start();
    let job = job_with_status(&server, "done");
    let id = id_of(job);
    let rows = server.world().rows(id, 1).unwrap();
    assert!(!rows.is_empty());

    let run = run_expect(&mut sdm_at(&server, &["jobs", "data", id, "1"]), 0);
    assert_eq!(ndjson(&run.stdout), rows, "ndjson is the default");
    assert_eq!(run.stderr, "");

    let run = run_expect(
        &mut sdm_at(&server, &["jobs", "data", id, "1", "-o", "json"]),
        0,
    );
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(&run.stdout).unwrap(),
        rows
    );

    let run = run_expect(
        &mut sdm_at(&server, &["jobs", "data", id, "2", "-o", "ndjson"]),
        0,
    );
    assert_eq!(ndjson(&run.stdout), server.world().rows(id, 2).unwrap());

    let run = run_expect(
        &mut sdm_at(&server, &["jobs", "data", id, "1", "-o", "xml"]),
        2,
    );
    assert!(
        run.stderr.contains("possible values: ndjson, json, csv"),
        "{}",
        run.stderr
    );
}

#[test]
fn jobs_data_out_writes_the_file_or_nothing() {
    let server = MockServer::start();
    let job = job_with_status(&server, "done");
    let id = id_of(job);
    let rows = server.world().rows(id, 1).unwrap();
    let dir = tempfile::tempdir().unwrap();

    let target = dir.path().join("rows.json");
    let out = target.to_str().unwrap();
    let run = run_expect(
        &mut sdm_at(
            &server,
            &["jobs", "data", id, "1", "-o", "json", "--out", out],
        ),
        0,
    );
    assert_eq!(run.stdout, "", "the rows went to the file");
    let written = std::fs::read_to_string(&target).unwrap();
    assert_eq!(serde_json::from_str::<Vec<Value>>(&written).unwrap(), rows);
    assert_eq!(files_in(dir.path()), ["rows.json"]);

    // Unknown job: a 404 after the temporary file was created leaves nothing behind.
    let unknown = "00000000-0000-4000-8000-000000000000";
    assert!(server.world().job(unknown).is_none());
    let failed = dir.path().join("failed.ndjson");
    let run = run_expect(
        &mut sdm_at(
            &server,
            &[
                "jobs",
                "data",
                unknown,
                "1",
                "--out",
                failed.to_str().unwrap(),
            ],
        ),
        4,
    );
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert_eq!(files_in(dir.path()), ["rows.json"]);

    // A failure does not touch an existing file either.
    let run = run_expect(
        &mut sdm_at(&server, &["jobs", "data", unknown, "1", "--out", out]),
        4,
    );
    assert!(run.stderr.contains("not found"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), written);
    assert_eq!(files_in(dir.path()), ["rows.json"]);
}

#[test]
fn login_prints_a_token_that_works() {
    let server = MockServer::start();
    let mut command = sdm(&["--base-url", server.base_url(), "login", "--print"]);
    command.args(["--email", server.email(), "--password-stdin"]);
    let run = run_with_stdin(&mut command, Some(&format!("{}\n", server.password())));
    assert_eq!(run.code, 0, "{run:#?}");
    let token = run.stdout.strip_suffix('\n').expect("one line");
    assert!(!token.is_empty() && !token.contains(char::is_whitespace));
    assert_eq!(run.stderr, "");

    let mut command = sdm(&["--base-url", server.base_url(), "jobs", "list"]);
    command.env("SDM_TOKEN", token);
    run_expect(&mut command, 0);

    // The password from SDM_PASSWORD, the same token name: the same token.
    let mut command = sdm(&["--base-url", server.base_url(), "login", "--print"]);
    command.args(["--email", server.email()]);
    command.env("SDM_PASSWORD", server.password());
    let again = run_expect(&mut command, 0);
    assert_eq!(again.stdout, run.stdout);
}

#[test]
fn login_failures() {
    let server = MockServer::start();
    let login = || {
        let mut command = sdm(&["--base-url", server.base_url(), "login"]);
        command.args(["--email", server.email()]);
        command
    };

    let mut command = login();
    command.arg("--password-stdin");
    let run = run_with_stdin(&mut command, Some("not the password\n"));
    assert_eq!(
        run.code, 3,
        "bad credentials are refused authentication: {run:#?}"
    );
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(run.stderr.contains("Unable to log in"), "{}", run.stderr);
    assert!(!run.stderr.contains("not the password"));
    assert_eq!(run.stdout, "");

    let run = run_expect(&mut login(), 2);
    assert!(run.stderr.contains("SDM_PASSWORD"), "{}", run.stderr);

    let mut command = login();
    command.arg("--password-stdin");
    let run = run_with_stdin(&mut command, Some(""));
    assert_eq!(run.code, 2, "{run:#?}");

    let mut command = login();
    command.env("SDM_PASSWORD", server.password());
    command.args(["--base-url", &dead_base_url()]);
    run_expect(&mut command, 8);
}

#[test]
fn missing_token_is_a_usage_error() {
    let server = MockServer::start();
    let run = run_expect(
        &mut sdm(&["--base-url", server.base_url(), "jobs", "list"]),
        2,
    );
    assert_eq!(
        run.stderr,
        "error: no API token: pass --token or --token-file, set SDM_TOKEN, or log in with \
         `sdm login`\n"
    );
    assert_eq!(run.stdout, "");

    let mut command = sdm(&["--base-url", server.base_url(), "jobs", "list"]);
    command.env("SDM_TOKEN", "");
    run_expect(&mut command, 2);
}

#[test]
fn token_sources() {
    let server = MockServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{}\n", server.token())).unwrap();
    let file = file.to_str().unwrap();
    let list = [
        "--base-url",
        server.base_url(),
        "jobs",
        "list",
        "-o",
        "ndjson",
    ];

    let mut command = sdm(&list);
    command.args(["--token-file", file]);
    let from_file = run_expect(&mut command, 0);
    assert_eq!(ndjson(&from_file.stdout).len(), 25);

    let mut command = sdm(&list);
    command.env("SDM_TOKEN", server.token());
    let from_env = run_expect(&mut command, 0);
    assert_eq!(from_env.stdout, from_file.stdout);

    // An explicit --token-file beats SDM_TOKEN from the environment.
    let mut command = sdm(&list);
    command
        .args(["--token-file", file])
        .env("SDM_TOKEN", "stale");
    let run = run_expect(&mut command, 0);
    assert_eq!(run.stdout, from_file.stdout);

    // Both on the command line is ambiguous; clap says so without quoting the token.
    let mut command = sdm(&list);
    command.args(["--token", server.token(), "--token-file", file]);
    let run = run_expect(&mut command, 2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
    assert!(!run.stderr.contains(server.token()));

    let mut command = sdm(&list);
    command.args(["--token-file", dir.path().join("missing").to_str().unwrap()]);
    let run = run_expect(&mut command, 2);
    assert!(
        run.stderr
            .starts_with("error: could not read the token file"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("\n  caused by: "), "{}", run.stderr);
}

#[test]
fn http_failures_map_to_exit_codes() {
    let server = MockServer::start();
    let known = id_of(&server.world().jobs()[0]).to_owned();

    let mut command = sdm(&["--base-url", server.base_url(), "jobs", "get", &known]);
    command.args(["--token", "00000000-0000-4000-8000-00000000dead"]);
    let run = run_expect(&mut command, 3);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(run.stderr.contains("Invalid token"), "{}", run.stderr);
    assert_eq!(run.stdout, "");

    let unknown = "00000000-0000-4000-8000-000000000000";
    let run = run_expect(&mut sdm_at(&server, &["jobs", "get", unknown]), 4);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(run.stderr.contains(unknown), "{}", run.stderr);

    let run = run_expect(&mut sdm_at(&server, &["jobs", "list", "--page", "999"]), 4);
    assert!(run.stderr.contains("Invalid page"), "{}", run.stderr);

    // No server needed to refuse a job id that is not a UUID.
    let mut command = sdm(&["--base-url", &dead_base_url(), "--token", "t"]);
    command.args(["jobs", "get", "../etc"]);
    let run = run_expect(&mut command, 2);
    assert!(run.stderr.contains("invalid job id"), "{}", run.stderr);

    let mut command = sdm(&["--base-url", &dead_base_url(), "--token", "t"]);
    command.args(["jobs", "data", &known, "1/../2"]);
    let run = run_expect(&mut command, 2);
    assert!(
        run.stderr.contains("invalid output format id"),
        "{}",
        run.stderr
    );

    let mut command = sdm(&["--base-url", &dead_base_url(), "--token", "t"]);
    command.args(["jobs", "get", &known]);
    let run = run_expect(&mut command, 8);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(run.stderr.contains("could not connect"), "{}", run.stderr);

    let run = run_expect(&mut sdm(&["--base-url", "ftp://example.com/", "demo"]), 2);
    assert!(run.stderr.contains("--base-url"), "{}", run.stderr);
}

#[test]
fn the_token_never_shows_in_output() {
    let server = MockServer::start();
    let token = server.token();
    let done = id_of(job_with_status(&server, "done")).to_owned();
    let failed = id_of(job_with_status(&server, "error")).to_owned();
    let running = id_of(job_with_status(&server, "running")).to_owned();
    let not_done = server.add_job(JobSpec::new(Status::Running, Duration::ZERO));
    let unknown = "00000000-0000-4000-8000-000000000000";
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rows.json");
    let out = out.to_str().unwrap();
    let base = ["--base-url", server.base_url(), "--rate-limit", "0"];
    let commands: Vec<Vec<&str>> = vec![
        vec!["jobs", "list", "--page-size", "3"],
        vec!["jobs", "get", &done, "-o", "json"],
        vec!["jobs", "data", &done, "1"],
        vec!["jobs", "get", unknown],
        vec!["jobs", "data", unknown, "1"],
        vec!["jobs", "list", "--page", "9999"],
        vec!["jobs", "get", "not-a-uuid"],
        vec!["jobs", "list", "--bogus-flag"],
        vec!["jobs", "list", "--token-file", "/nonexistent/token"],
        vec!["--help"],
        vec!["jobs", "list", "--help"],
        // The commands added with --all, wait and streamed data.
        vec!["jobs", "list", "--all", "--limit", "120", "-o", "json"],
        vec![
            "jobs",
            "list",
            "--all",
            "--page-size",
            "40",
            "--concurrency",
            "3",
        ],
        vec!["jobs", "list", "--all", "--page-size", "50", "-o", "csv"],
        vec!["jobs", "list", "--limit", "3"],
        vec!["jobs", "wait", &done, "-o", "json"],
        vec!["jobs", "wait", &failed],
        vec![
            "jobs",
            "wait",
            &running,
            "--timeout",
            "300ms",
            "--interval",
            "100ms",
        ],
        vec!["jobs", "wait", unknown],
        vec!["jobs", "wait", &done, "--timeout", "soon"],
        vec!["jobs", "data", &done, "1", "-o", "csv"],
        vec!["jobs", "data", &done, "1", "-o", "json", "--out", out],
        vec!["jobs", "data", &not_done, "1", "-o", "csv", "--out", out],
        vec!["jobs", "data", unknown, "1", "-o", "csv"],
        vec!["jobs", "wait", "--help"],
        vec!["jobs", "data", "--help"],
    ];
    let check = |what: &str, run: &Run| {
        assert!(
            !shows_part_of(token, &run.stdout) && !shows_part_of(token, &run.stderr),
            "{what}: the token shows: {run:#?}"
        );
    };
    let mut traced = 0;
    for args in &commands {
        let mut on_command_line = sdm(&[&base[..], args].concat());
        on_command_line.args(["--token", token]);
        check(&format!("--token {args:?}"), &run(&mut on_command_line));

        let mut in_env = sdm(&[&base[..], args].concat());
        in_env.env("SDM_TOKEN", token);
        check(&format!("SDM_TOKEN {args:?}"), &run(&mut in_env));

        let mut logged = sdm(&[&base[..], args].concat());
        logged.env("SDM_TOKEN", token).env("RUST_LOG", "trace");
        let run = run(&mut logged);
        traced += run.stderr.lines().count();
        check(&format!("RUST_LOG=trace {args:?}"), &run);
    }
    assert!(traced > 50, "trace logging produced output to check");

    let mut login = sdm(&["--base-url", server.base_url(), "login", "--print"]);
    login.args(["--email", server.email(), "--password-stdin"]);
    login.env("RUST_LOG", "trace");
    let run = run_with_stdin(&mut login, Some(&format!("{}\n", server.password())));
    assert_eq!(run.code, 0, "{run:#?}");
    assert!(run.stderr.lines().count() > 5, "{}", run.stderr);
    assert!(
        !shows_part_of(server.password(), &run.stderr),
        "the password shows in the logs: {}",
        run.stderr
    );
    let new_token = run.stdout.trim();
    assert!(
        !shows_part_of(new_token, &run.stderr),
        "the token shows in the logs: {}",
        run.stderr
    );
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let server = MockServer::start();
    let done = id_of(job_with_status(&server, "done")).to_owned();
    let mut child = sdm_at(&server, &["jobs", "data", &done, "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before anything is written, like `| head -0`.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn demo_walks_through_the_fake_api() {
    let run = run_expect(&mut sdm(&["demo"]), 0);
    for heading in [
        "== 1. Log in ==",
        "== 2. List the newest jobs ==",
        "== 3. Get one job of each status ==",
        "== 4. Wait for a job ==",
        "== 5. Fetch the output of a done job ==",
        "== 6. Import a supplier file ==",
    ] {
        assert!(
            run.stdout.contains(heading),
            "{heading} missing:\n{}",
            run.stdout
        );
    }
    assert!(
        run.stdout.contains("obtained an API token"),
        "{}",
        run.stdout
    );
    let is_uuid = |word: &str| {
        word.len() == 36
            && word.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            })
    };
    let uuids = run.stdout.split_whitespace().filter(|w| is_uuid(w)).count();
    assert!(uuids >= 5, "job ids printed:\n{}", run.stdout);
    for status in ["running", "done", "error", "pending"] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with("status") && l.ends_with(status)),
            "a {status} job shown:\n{}",
            run.stdout
        );
    }
    let count_line = run
        .stdout
        .lines()
        .find(|line| line.contains(" rows in output format "))
        .unwrap_or_else(|| panic!("row count line:\n{}", run.stdout));
    let count: usize = count_line
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(count > 0, "{count_line}");
    let shown = run
        .stdout
        .lines()
        .skip_while(|line| !line.contains(" rows in output format "))
        .skip(1)
        .take_while(|line| line.starts_with('{'))
        .inspect(|line| {
            serde_json::from_str::<Value>(line).expect("rows are shown as NDJSON");
        })
        .count();
    assert_eq!(shown, count.min(3));
    assert_eq!(count, 100, "the waited job's rows: {count_line}");

    // Step 6: the import flow, each stage shown, then the uploaded rows back as output.
    let import_step: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|line| !line.starts_with("== 6. Import"))
        .collect();
    for stage in [
        "uploaded offers.csv",
        ": ready",
        "created job ",
        "job: done",
    ] {
        assert!(
            import_step.iter().any(|l| l.contains(stage)),
            "{stage}: {import_step:#?}"
        );
    }
    assert!(
        import_step
            .iter()
            .any(|l| l.starts_with("{\"sku\":\"SH-002\"")),
        "{import_step:#?}"
    );

    let wait_step: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|line| !line.starts_with("== 4. Wait for a job"))
        .take_while(|line| !line.starts_with("== 5."))
        .collect();
    assert!(
        wait_step
            .iter()
            .any(|l| l.ends_with("running · step 2 Mapping")),
        "{wait_step:#?}"
    );
    assert!(
        wait_step.iter().any(|l| l.contains("] done")),
        "{wait_step:#?}"
    );
    assert!(
        wait_step
            .iter()
            .any(|l| l.starts_with("status") && l.ends_with("done")),
        "{wait_step:#?}"
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["jobs"][..],
        &["jobs", "frobnicate"],
        &["jobs", "get"],
        &["login"],
        &["mock", "--addr", "not-an-address"],
    ] {
        let run = run_expect(&mut sdm(args), 2);
        assert!(
            run.stderr.contains("error") || run.stderr.contains("Usage"),
            "{}",
            run.stderr
        );
    }
    run_expect(&mut sdm(&["--version"]), 0);
}

/// A `sdm mock` process, stopped however the test ends.
struct MockProcess(std::process::Child);

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `sdm mock` with `args` and reads its banner, up to the `export` line.
fn spawn_mock(args: &[&str]) -> (MockProcess, Vec<String>) {
    use std::io::BufRead;

    let mut child = MockProcess(
        sdm(&[&["mock", "--addr", "127.0.0.1:0"], args].concat())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut banner = Vec::new();
    for line in std::io::BufReader::new(child.0.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let last = line.starts_with("export ");
        banner.push(line);
        if last {
            break;
        }
    }
    (child, banner)
}

/// The value of `name: value` in a banner.
fn banner_field(banner: &[String], name: &str) -> String {
    banner
        .iter()
        .find_map(|line| line.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("{name} in the banner: {banner:#?}"))
        .to_owned()
}

#[test]
fn mock_serves_in_the_foreground_and_prints_how_to_reach_it() {
    let (child, banner) = spawn_mock(&["--jobs", "12", "--seed", "7"]);
    let field = |name: &str| banner_field(&banner, name);
    let (base_url, token) = (field("base URL"), field("token"));
    assert_eq!(field("email"), "demo@example.com");
    assert!(!field("password").is_empty());
    assert_eq!(
        banner.last().unwrap(),
        &format!("export SDM_BASE_URL={base_url} SDM_TOKEN={token}")
    );
    assert!(!banner.iter().any(|l| l.contains(" job: ")), "{banner:#?}");

    // The base URL works with or without its trailing slash.
    let mut command = sdm(&["jobs", "list", "-o", "ndjson"]);
    command
        .env("SDM_BASE_URL", base_url.trim_end_matches('/'))
        .env("SDM_TOKEN", &token);
    let run = run(&mut command);
    drop(child);
    assert_eq!(run.code, 0, "{run:#?}");
    assert_eq!(ndjson(&run.stdout).len(), 12);
}

#[test]
fn mock_adds_a_big_job_a_slow_job_and_a_fair_use_limit() {
    let (child, banner) = spawn_mock(&[
        "--jobs",
        "5",
        "--big-job-rows",
        "1234",
        "--slow-job",
        "1",
        "--fair-use",
        "2",
    ]);
    let field = |name: &str| banner_field(&banner, name);
    let (big, slow) = (field("big job"), field("slow job"));
    let at = |args: &[&str]| {
        let mut command = sdm(args);
        command
            .env("SDM_BASE_URL", field("base URL"))
            .env("SDM_TOKEN", field("token"));
        command
    };

    // The slow job runs for a second, then is done; a client kept under the server's limit
    // is never refused.
    let waited = run_expect(
        &mut at(&[
            "jobs",
            "wait",
            &slow,
            "--interval",
            "200ms",
            "--rate-limit",
            "2",
        ]),
        0,
    );
    assert!(
        waited.stdout.lines().any(|l| l == "status     done"),
        "{}",
        waited.stdout
    );

    let rows = run_expect(
        &mut at(&["jobs", "data", &big, "1", "--rate-limit", "2"]),
        0,
    );
    assert_eq!(rows.stdout.lines().count(), 1234);

    // Over the limit without retries: refused with 429, exit 8.
    let refused = run_expect(
        &mut at(&[
            "jobs",
            "list",
            "--all",
            "--page-size",
            "1",
            "--rate-limit",
            "0",
            "--retries",
            "1",
            "-o",
            "ndjson",
        ]),
        8,
    );
    assert!(refused.stderr.contains("HTTP 429"), "{}", refused.stderr);
    drop(child);
}

#[test]
fn mock_serves_faults_from_the_command_line() {
    let (child, banner) = spawn_mock(&["--jobs", "5", "--fault", "503@detail"]);
    let at = |args: &[&str]| {
        let mut command = sdm(args);
        command
            .env("SDM_BASE_URL", banner_field(&banner, "base URL"))
            .env("SDM_TOKEN", banner_field(&banner, "token"));
        command
    };

    // The fault is on job details only: the list is healthy.
    let listed = run_expect(&mut at(&["jobs", "list", "-o", "ndjson"]), 0);
    let jobs = ndjson(&listed.stdout);
    assert_eq!(jobs.len(), 5);
    let id = jobs[0]["id"].as_str().unwrap();

    let run = run_expect(
        &mut at(&["jobs", "get", id, "--retries", "2", "--rate-limit", "0"]),
        8,
    );
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(run.stderr.contains("HTTP 503"), "{}", run.stderr);
    assert!(run.stderr.contains("after 2 attempts"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
    drop(child);

    // A spec that does not parse is a usage error, told before anything is served.
    let run = run_expect(
        &mut sdm(&["mock", "--addr", "127.0.0.1:0", "--fault", "nope"]),
        2,
    );
    assert!(
        run.stderr.contains("unknown fault `nope`"),
        "{}",
        run.stderr
    );
    let help = run_expect(&mut sdm(&["mock", "--help"]), 0);
    for name in sdm_mock::Fault::names() {
        assert!(help.stdout.contains(name), "{name}: {}", help.stdout);
    }
}

#[test]
fn plain_http_off_loopback_needs_allow_http() {
    // `.invalid` never resolves (RFC 2606): a request that goes out fails to connect.
    let base = "http://example.invalid/api/v1/";
    let id = "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b";
    let global = ["--base-url", base, "--token", "t", "--retries", "1"];
    let commands: [&[&str]; 5] = [
        &["jobs", "get", id],
        &["jobs", "list"],
        &["jobs", "list", "--all"],
        &["jobs", "wait", id, "--timeout", "5s"],
        &["jobs", "data", id, "1"],
    ];
    let refused = |run: &Run| {
        assert!(
            run.stderr.starts_with("error: invalid base URL: "),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("--allow-http"), "{}", run.stderr);
        assert_eq!(run.stdout, "");
    };
    for args in commands {
        let mut command = sdm(&global);
        command.args(args);
        refused(&run_expect(&mut command, 2));
    }
    let mut command = sdm(&["--base-url", base, "login", "--email", "a@example.com"]);
    command.env("SDM_PASSWORD", "not used");
    refused(&run_expect(&mut command, 2));
    let mut command = sdm(&global);
    command.args(["jobs", "list"]).env("SDM_ALLOW_HTTP", "0");
    refused(&run_expect(&mut command, 2));

    // Allowed, by the option or the variable: the request goes out, and fails to connect.
    let allowed = |run: &Run| {
        assert!(
            run.stderr.starts_with("error: list jobs: "),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("--allow-http"), "{}", run.stderr);
    };
    let mut command = sdm(&global);
    command.args(["jobs", "list", "--allow-http"]);
    allowed(&run_expect(&mut command, 8));
    let mut command = sdm(&global);
    command.args(["jobs", "list"]).env("SDM_ALLOW_HTTP", "1");
    allowed(&run_expect(&mut command, 8));
}
