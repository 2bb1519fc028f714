//! `--columns` end to end: `jobs list` and `projects list` tables and CSVs in the columns and
//! order asked for, read back equal to the fake server's ground truth; unknown or repeated names
//! and JSON outputs refused as usage errors before any request.

mod common;

use common::*;
use sdm_mock::MockServer;
use serde_json::Value;

/// A table's lines split into cells (cells hold no double space here: ids, statuses, dates).
fn cells(table: &str) -> Vec<Vec<String>> {
    table
        .lines()
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|cell| !cell.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// A field of a job object as CSV shows it: the server's text, the id of a project object.
fn csv_field(job: &Value, field: &str) -> String {
    match (field, &job[field]) {
        ("project", _) => project_id(job).to_string(),
        (_, Value::Null) => String::new(),
        (_, Value::String(text)) => text.clone(),
        (_, other) => other.to_string(),
    }
}

#[test]
fn jobs_list_shows_the_columns_asked_for_in_order() {
    let server = MockServer::start();
    let expected: Vec<Value> = newest_first(&server, |_| true)
        .into_iter()
        .take(10)
        .collect();
    let run = run_expect(
        &mut sdm_at(
            &server,
            &[
                "jobs",
                "list",
                "--page-size",
                "10",
                "--columns",
                "status,id,created",
            ],
        ),
        0,
    );
    let rows = cells(&run.stdout);
    assert_eq!(rows[0], ["STATUS", "ID", "CREATED"]);
    assert_eq!(rows.len(), expected.len() + 1);
    for (row, job) in rows[1..].iter().zip(&expected) {
        let created =
            time(&job["creation_date"]).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        assert_eq!(
            row,
            &[
                job["status"].as_str().unwrap().to_owned(),
                id_of(job).to_owned(),
                created
            ]
        );
    }
    // The footer still goes to standard error.
    assert!(run.stderr.contains("page 1 of"), "{run:#?}");
}

#[test]
fn jobs_list_csv_keeps_the_api_names_and_the_servers_text() {
    let server = MockServer::start();
    let expected = newest_first(&server, |_| true);
    for all in [false, true] {
        let mut args = vec![
            "jobs",
            "list",
            "-o",
            "csv",
            "--columns",
            "created,project,id,completed",
        ];
        args.extend_from_slice(if all {
            &["--all", "--page-size", "7"][..]
        } else {
            &["--page-size", "25", "--page", "1"][..]
        });
        let run = run_expect(&mut sdm_at(&server, &args), 0);
        let records = parse_csv(&run.stdout);
        assert_eq!(
            records[0],
            ["creation_date", "project", "id", "completion_date"]
        );
        let jobs = if all { &expected[..] } else { &expected[..25] };
        assert_eq!(records.len(), jobs.len() + 1, "--all: {all}");
        for (record, job) in records[1..].iter().zip(jobs) {
            let fields = ["creation_date", "project", "id", "completion_date"];
            let want: Vec<String> = fields.iter().map(|f| csv_field(job, f)).collect();
            assert_eq!(record, &want);
        }
    }
}

#[test]
fn the_default_columns_are_the_same_as_naming_them() {
    let server = MockServer::start();
    for (format, names) in [
        ("table", "id,status,name,project,created,completed"),
        ("csv", "id,name,status,project,created,completed"),
    ] {
        let plain = run_expect(&mut sdm_at(&server, &["jobs", "list", "-o", format]), 0);
        let named = run_expect(
            &mut sdm_at(&server, &["jobs", "list", "-o", format, "--columns", names]),
            0,
        );
        assert_eq!(plain.stdout, named.stdout, "{format}");
    }
}

#[test]
fn projects_list_shows_the_columns_asked_for() {
    let server = MockServer::start();
    let projects = ndjson(
        &run_expect(
            &mut sdm_at(&server, &["projects", "list", "--all", "-o", "ndjson"]),
            0,
        )
        .stdout,
    );
    assert!(!projects.is_empty());
    let run = run_expect(
        &mut sdm_at(
            &server,
            &[
                "projects",
                "list",
                "--all",
                "-o",
                "csv",
                "--columns",
                "name,id",
            ],
        ),
        0,
    );
    let records = parse_csv(&run.stdout);
    assert_eq!(records[0], ["name", "id"]);
    let want: Vec<Vec<String>> = projects
        .iter()
        .map(|p| vec![p["name"].as_str().unwrap().to_owned(), p["id"].to_string()])
        .collect();
    assert_eq!(records[1..], want[..]);

    let run = run_expect(
        &mut sdm_at(&server, &["projects", "list", "--columns", "id"]),
        0,
    );
    let rows = cells(&run.stdout);
    assert_eq!(rows[0], ["ID"]);
    let ids: Vec<String> = rows[1..].iter().map(|row| row.join(" ")).collect();
    let want: Vec<String> = projects
        .iter()
        .take(ids.len())
        .map(|p| p["id"].to_string())
        .collect();
    assert_eq!(ids, want);
}

#[test]
fn bad_columns_are_usage_errors_before_any_request() {
    let dead = dead_base_url();
    for (args, needle) in [
        (
            &["--columns", "id,colour"][..],
            "valid columns: id, status, name, project, created",
        ),
        (&["--columns", "id,id"], "given twice"),
        (&["--columns", ""], "valid columns"),
        (
            &["--columns", "id", "-o", "json"],
            "--columns applies to -o table and -o csv",
        ),
        (
            &["--columns", "id", "-o", "ndjson"],
            "--columns applies to -o table and -o csv",
        ),
    ] {
        assert_list_usage_error(&dead, args, needle);
    }
    for (args, needle) in [
        (
            &["--columns", "id,created"][..],
            "valid columns: id, name, steps",
        ),
        (&["--columns", "name", "-o", "json"], "--columns applies"),
    ] {
        let mut command = sdm(&[&["projects", "list"], args].concat());
        command.args(["--base-url", &dead, "--token", "t"]);
        let run = run_expect(&mut command, 2);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "");
    }
}
