//! The import commands (`files upload/get`, `jobs create`, `jobs download`, `projects
//! list/get`, `import`) against a server that misbehaves in the ways issue 11 found elsewhere:
//! an answer about another file or project, the token echoed in a download's name, numbers
//! that must come back byte for byte, a document without end.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{files_in, json_response, run, sdm, serve_raw_requests, serve_raw_with};
use serde_json::json;

const TOKEN: &str = "0b5e1c5e-6f4a-4c1e-9d2b-audit5e5e5e5e";
const JOB: &str = "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b";

fn at(base: &str, args: &[&str]) -> common::Run {
    let mut command = sdm(args);
    command.args(["--base-url", base, "--token", TOKEN, "--retries", "1"]);
    run(&mut command)
}

#[test]
fn an_answer_about_another_file_or_project_is_an_error() {
    let base = serve_raw_with(|path| {
        let body = if path.ends_with("files/12/") {
            json!({"id": 13, "name": "other.csv", "status": "ready"})
        } else {
            json!({"id": 5, "name": "Other", "steps": [{"id": 1, "number": 1, "name": "x"}]})
        };
        json_response("200 OK", &body.to_string())
    });
    for (args, other) in [
        (&["files", "get", "12"][..], "file 13"),
        (&["projects", "get", "4"], "project 5"),
    ] {
        let failed = at(&base, args);
        assert_eq!(failed.code, 1, "{args:?}: {failed:#?}");
        assert_eq!(failed.stdout, "", "{args:?}: nothing shown as the answer");
        assert!(
            failed.stderr.starts_with("error:") && failed.stderr.contains(other),
            "{args:?}: {}",
            failed.stderr
        );
    }
}

#[test]
fn an_upload_is_not_taken_as_parsed_on_another_files_status() {
    // The upload is file 12, still parsing; its poll answers for file 13, which is ready. No
    // job may be created from that.
    let created = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&created);
    let base = serve_raw_requests(move |method, path| {
        if method == "POST" && path.ends_with("/files/") {
            let body = json!({"id": 12, "name": "offers.csv", "status": "parsing"});
            json_response("201 Created", &body.to_string())
        } else if method == "GET" && path.contains("/files/") {
            let body = json!({"id": 13, "name": "offers.csv", "status": "ready"});
            json_response("200 OK", &body.to_string())
        } else {
            seen.store(true, Ordering::SeqCst);
            json_response("500 Internal Server Error", "{}")
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("offers.csv");
    std::fs::write(&path, "sku;name\nSH-1;Shoe\n").unwrap();
    let path = path.to_str().unwrap();
    for args in [
        &[
            "import",
            path,
            "--project",
            "4",
            "--interval",
            "50ms",
            "--timeout",
            "20s",
        ][..],
        &[
            "files",
            "upload",
            path,
            "--wait",
            "--interval",
            "50ms",
            "--timeout",
            "20s",
        ],
    ] {
        let failed = at(&base, args);
        assert_ne!(failed.code, 0, "{args:?}: {failed:#?}");
        assert!(
            failed.stderr.contains("file 13"),
            "{args:?}: {}",
            failed.stderr
        );
    }
    assert!(!created.load(Ordering::SeqCst), "a job was created");
}

#[test]
fn a_download_named_with_the_token_is_saved_under_the_fallback_name() {
    let base = serve_raw_with(|_| {
        let body = "sku,name\nSH-1,Shoe\n";
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n\
             Content-Disposition: attachment; filename=\"report-{TOKEN}.csv\"\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    });
    let dir = tempfile::tempdir().unwrap();
    let done = at(
        &base,
        &[
            "jobs",
            "download",
            JOB,
            "1",
            "--out-dir",
            dir.path().to_str().unwrap(),
        ],
    );
    assert_eq!(done.code, 0, "{done:#?}");
    let expected = format!("job-{JOB}-1.csv");
    assert_eq!(files_in(dir.path()), std::slice::from_ref(&expected));
    // The path printed is the file written, and shows no secret.
    let printed = std::path::PathBuf::from(done.stdout.trim_end());
    assert_eq!(printed, dir.path().join(&expected), "{done:#?}");
    assert!(!done.stdout.contains(TOKEN) && !done.stderr.contains(TOKEN));
}

#[test]
fn created_and_fetched_objects_keep_the_servers_numbers_in_json() {
    let exact = r#""price": 1.50, "big": 123456789012345678901234567890, "tiny": 1.0e-400"#;
    let base = serve_raw_requests(move |method, path| {
        let (status, body) = if method == "POST" && path.ends_with("/jobs/") {
            let body = format!(r#"{{"id": "{JOB}", "name": "n", "status": "running", {exact}}}"#);
            ("201 Created", body)
        } else if path.ends_with("/files/12/") {
            (
                "200 OK",
                format!(r#"{{"id": 12, "status": "ready", {exact}}}"#),
            )
        } else {
            let body = format!(r#"{{"id": 4, "name": "Garden", "steps": [], {exact}}}"#);
            ("200 OK", body)
        };
        json_response(status, &body)
    });
    for args in [
        &[
            "jobs",
            "create",
            "--file",
            "12",
            "--project",
            "4",
            "--name",
            "n",
            "-o",
            "json",
        ][..],
        &["files", "get", "12", "-o", "json"],
        &["projects", "get", "4", "-o", "json"],
    ] {
        let done = at(&base, args);
        assert_eq!(done.code, 0, "{args:?}: {done:#?}");
        for number in ["1.50", "123456789012345678901234567890", "1.0e-400"] {
            assert!(done.stdout.contains(number), "{args:?}: {}", done.stdout);
        }
    }
}

#[test]
fn a_document_without_end_is_refused_within_the_bound() {
    // 17 MiB of a project's name: over the whole-document bound (16 MiB by default).
    let huge = format!(
        r#"{{"id": 4, "name": "{}", "steps": []}}"#,
        "x".repeat(17 * 1024 * 1024)
    );
    let response = json_response("200 OK", &huge);
    let base = serve_raw_with(move |_| response.clone());
    for args in [&["projects", "get", "4"][..], &["files", "get", "4"]] {
        let failed = at(&base, args);
        assert_ne!(failed.code, 0, "{args:?}: {failed:#?}");
        assert_eq!(failed.stdout, "", "{args:?}");
        assert!(
            failed.stderr.starts_with("error:") && failed.stderr.contains("document size limit"),
            "{}",
            failed.stderr
        );
        assert!(
            failed.stderr.len() < 4000,
            "bounded: {}",
            failed.stderr.len()
        );
    }
}

#[test]
fn endless_project_pages_end_in_an_error_not_a_complete_looking_list() {
    // Every page repeats the same project, announces 1,000 and links to the next page.
    let base = serve_raw_with(|path| {
        let page: u64 = path
            .split("page=")
            .nth(1)
            .and_then(|rest| rest.split('&').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        let next = format!("{}?page={}", path.split('?').next().unwrap_or(""), page + 1);
        let body = json!({"count": 1000, "next": format!("http://127.0.0.1{next}"), "previous": null,
                          "results": [{"id": 4, "name": "Garden", "steps": []}]});
        json_response("200 OK", &body.to_string())
    });
    let started = std::time::Instant::now();
    let failed = at(
        &base,
        &[
            "projects",
            "list",
            "--all",
            "-o",
            "ndjson",
            "--rate-limit",
            "0",
        ],
    );
    assert_ne!(failed.code, 0, "{failed:#?}");
    assert!(
        failed.stderr.starts_with("error: list projects"),
        "{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("1000"),
        "says how many of count: {}",
        failed.stderr
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}
