//! `jobs data -o csv` writes every column in every record, so rows that each bring a new
//! column make an output of rows × columns cells: the column count is capped (10,000 unless
//! `--max-columns` says otherwise), with a clear error before anything is written.

mod common;

use common::{json_response, run, sdm, serve_raw};

const JOB: &str = "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b";

/// A loopback server whose every answer is `body` (a JSON array of rows).
fn serve(body: String) -> String {
    serve_raw(json_response("200 OK", &body))
}

/// `n` rows, each with a column of its own.
fn rows_each_adding_a_column(n: usize) -> String {
    let rows: Vec<String> = (0..n).map(|i| format!(r#"{{"c{i}":"v"}}"#)).collect();
    format!("[{}]", rows.join(","))
}

fn csv(base: &str, extra: &[&str]) -> common::Run {
    let mut command = sdm(&["jobs", "data", JOB, "1", "-o", "csv"]);
    command.args(extra);
    command.args(["--base-url", base, "--token", "t", "--retries", "1"]);
    run(&mut command)
}

#[test]
fn rows_that_each_add_a_column_hit_the_cap_with_a_clear_error() {
    let base = serve(rows_each_adding_a_column(10_001));
    let failed = csv(&base, &[]);
    assert_eq!(failed.code, 1, "{failed:#?}");
    assert_eq!(failed.stdout, "", "nothing is written");
    assert!(
        failed.stderr.contains("more than 10000 columns"),
        "{failed:#?}"
    );
    assert!(failed.stderr.contains("--max-columns"), "{failed:#?}");

    let small = serve(rows_each_adding_a_column(30));
    let failed = csv(&small, &["--max-columns", "29"]);
    assert_eq!(failed.code, 1, "{failed:#?}");
    assert!(
        failed.stderr.contains("more than 29 columns"),
        "{failed:#?}"
    );
    let done = csv(&small, &["--max-columns", "30"]);
    assert_eq!(done.code, 0, "{done:#?}");
    assert_eq!(done.stdout.lines().count(), 31);
}

#[test]
fn the_cap_must_be_a_positive_number() {
    let failed = csv("http://127.0.0.1:9/api/v1/", &["--max-columns", "0"]);
    assert_eq!(failed.code, 2, "{failed:#?}");
}
