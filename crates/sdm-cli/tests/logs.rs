//! `RUST_LOG` output is server text too: the log lines on standard error carry no control
//! character, escape sequence, C1 or bidi control, whatever the fields quote (a `next` link,
//! an error's detail), one event per line, and never the token.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::{json_response, run, sdm, serve_raw_with, shows_part_of};
use serde_json::json;

const TOKEN: &str = "0b5e1c5e-6f4a-4c1e-9d2b-logs5e5e5e5e";
const JOB: &str = "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b";
const OTHER: &str = "00000000-0000-4000-8000-000000000001";

/// Escape sequences (ESC and C1), a bell, bidi controls and a line that would pass for a
/// log event of its own.
fn hostile() -> String {
    "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}31m\u{202E}gol\u{2066}x\u{2069}\u{85}\n\
     2026-01-01T00:00:00Z ERROR forged: all is lost"
        .to_owned()
}

fn job(id: &str, status: &str) -> serde_json::Value {
    json!({"id": id, "name": "n", "status": status, "project": 1,
           "creation_date": "2022-04-14T08:48:37Z", "completion_date": null})
}

/// Each line of `stderr` is harmless, and none shows the token.
fn assert_clean(stderr: &str) {
    for c in stderr.chars() {
        assert!(c == '\n' || !c.is_control(), "{c:?} in {stderr}");
        assert!(
            !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'),
            "{c:?} in {stderr}"
        );
    }
    assert!(!shows_part_of(TOKEN, stderr), "{stderr}");
    assert!(
        !stderr.lines().any(|l| l.starts_with("2026-01-01")),
        "a forged line: {stderr}"
    );
}

fn sdm_logging(base: &str, level: &str, args: &[&str]) -> std::process::Command {
    let mut command = sdm(args);
    command
        .args(["--base-url", base, "--token", TOKEN, "--retries", "1"])
        .env("RUST_LOG", level);
    command
}

#[test]
fn a_next_link_quoted_in_the_logs_is_harmless_and_masked() {
    // A foreign `next` holding the token (and what a URL can carry of an escape): the walk
    // asks by number instead, and says so in a debug event that quotes the link.
    let next = format!("http://evil.example/api/v1/jobs/?page=2&k={TOKEN}&x=%1b%5b2J");
    let base = serve_raw_with(move |path| {
        let body = if path.contains("page=2") {
            json!({"count": 2, "next": null, "previous": null, "results": [job(OTHER, "done")]})
        } else {
            json!({"count": 2, "next": next, "previous": null, "results": [job(JOB, "done")]})
        };
        json_response("200 OK", &body.to_string())
    });
    for level in ["debug", "trace"] {
        let done = run(&mut sdm_logging(
            &base,
            level,
            &[
                "jobs",
                "list",
                "--all",
                "--concurrency",
                "1",
                "--page-size",
                "1",
                "-o",
                "ndjson",
            ],
        ));
        assert_eq!(done.code, 0, "{done:#?}");
        assert_eq!(done.stdout.lines().count(), 2, "{done:#?}");
        assert!(
            done.stderr.contains("not following the next link"),
            "{level}: the event is there: {}",
            done.stderr
        );
        assert!(done.stderr.contains("[redacted]"), "{}", done.stderr);
        assert_clean(&done.stderr);
    }
}

#[test]
fn an_error_detail_quoted_in_the_logs_is_harmless_and_masked() {
    // The first poll meets a 503 whose detail holds escapes and the token (logged as a poll
    // that failed), the second finds the job done.
    let polls = AtomicUsize::new(0);
    let base = serve_raw_with(move |_| {
        if polls.fetch_add(1, Ordering::SeqCst) == 0 {
            let detail = format!("busy {} token {TOKEN}", hostile());
            json_response(
                "503 Service Unavailable",
                &json!({ "detail": detail }).to_string(),
            )
        } else {
            json_response("200 OK", &job(JOB, "done").to_string())
        }
    });
    let done = run(&mut sdm_logging(
        &base,
        "trace",
        &[
            "jobs",
            "wait",
            JOB,
            "--interval",
            "100ms",
            "--timeout",
            "30s",
        ],
    ));
    assert_eq!(done.code, 0, "{done:#?}");
    assert!(
        done.stderr.contains("polling failed") && done.stderr.contains("busy"),
        "the event is there: {}",
        done.stderr
    );
    assert_clean(&done.stderr);
}
