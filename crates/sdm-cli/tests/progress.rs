//! `--progress auto|bar|plain|off` end to end: a spinner on a real pseudo-terminal (util-linux
//! `script` gives the binary one), none when standard error is a pipe, the spinner forced onto a
//! pipe with `bar`, and throttled `plain` lines with a summary for CI logs.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use sdm_mock::{JobSpec, MockServer, Status};

/// A job that runs for a while, then is done; waited on with quick polls.
fn slow_job(server: &MockServer) -> String {
    server.add_job(JobSpec::new(Status::Done, Duration::from_millis(1_200)))
}

fn wait_args(id: &str) -> Vec<&str> {
    vec!["jobs", "wait", id, "--interval", "100ms"]
}

/// Runs `sdm ARGS` against `server` with standard output and standard error on a terminal;
/// `None` where `script` is not installed. Returns the exit code and all the terminal showed.
fn on_a_terminal(
    server: &MockServer,
    args: &[&str],
    env: &[(&str, &str)],
) -> Option<(i32, String)> {
    let quote = |word: &str| format!("'{}'", word.replace('\'', "'\\''"));
    let mut words = vec![quote(env!("CARGO_BIN_EXE_sdm"))];
    words.extend(args.iter().map(|word| quote(word)));
    words.extend(["--base-url", server.base_url(), "--token", server.token()].map(quote));
    let mut command = std::process::Command::new("script");
    command
        .args(["-qec", &words.join(" "), "/dev/null"])
        .stdin(Stdio::null());
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SDM_") {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().copied());
    let output = command.output().ok()?;
    let code = output.status.code()?;
    Some((code, String::from_utf8_lossy(&output.stdout).into_owned()))
}

/// What the spinner of `jobs wait` says (the job table printed at the end never says it).
fn spinner_text(id: &str) -> String {
    format!("job {id}: ")
}

#[test]
fn a_terminal_gets_a_spinner_unless_progress_is_off() {
    let server = MockServer::start();
    let id = slow_job(&server);
    let Some((code, shown)) = on_a_terminal(&server, &wait_args(&id), &[]) else {
        eprintln!("skipped: no `script` to run sdm on a terminal");
        return;
    };
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains(&spinner_text(&id)), "{shown:?}");
    // Drawn in place, and cleared at the end: the job table follows.
    assert!(shown.contains("\u{1b}["), "{shown:?}");
    assert!(shown.contains("done"), "{shown:?}");

    let id = slow_job(&server);
    let args = [&wait_args(&id)[..], &["--progress", "off"]].concat();
    let (code, shown) = on_a_terminal(&server, &args, &[]).unwrap();
    assert_eq!(code, 0, "{shown}");
    assert!(!shown.contains(&spinner_text(&id)), "{shown:?}");
    assert!(shown.contains(&id), "the job is still shown: {shown:?}");

    // The variable says the same as the option.
    let id = slow_job(&server);
    let (code, shown) =
        on_a_terminal(&server, &wait_args(&id), &[("SDM_PROGRESS", "off")]).unwrap();
    assert_eq!(code, 0, "{shown}");
    assert!(!shown.contains(&spinner_text(&id)), "{shown:?}");
}

#[test]
fn a_pipe_gets_nothing_by_default_and_a_spinner_with_bar() {
    let server = MockServer::start();
    let id = slow_job(&server);
    let quiet = run_expect(&mut sdm_at(&server, &wait_args(&id)), 0);
    assert_eq!(quiet.stderr, "", "auto shows nothing on a pipe");

    let id = slow_job(&server);
    let args = [&wait_args(&id)[..], &["--progress", "bar"]].concat();
    let forced = run_expect(&mut sdm_at(&server, &args), 0);
    assert!(forced.stderr.contains(&spinner_text(&id)), "{forced:#?}");
    assert!(
        forced.stderr.contains("\u{1b}["),
        "drawn in place: {forced:#?}"
    );
    // Standard output carries the data alone, whatever progress does.
    assert!(forced.stdout.contains(&id), "{forced:#?}");
    assert!(!forced.stdout.contains('\u{1b}'), "{forced:#?}");
    assert_eq!(forced.stdout.lines().count(), quiet.stdout.lines().count());
}

#[test]
fn plain_prints_a_line_per_interval_and_a_summary() {
    let server = MockServer::start();
    // Long enough that a slow start of the process still sees it running for a few intervals.
    let id = server.add_job(JobSpec::new(Status::Done, Duration::from_millis(2_500)));
    let args = [
        &wait_args(&id)[..],
        &["--progress", "plain", "--progress-interval", "300ms"],
    ]
    .concat();
    let started = Instant::now();
    let run = run_expect(&mut sdm_at(&server, &args), 0);
    let took = started.elapsed();
    let lines: Vec<&str> = run.stderr.lines().collect();
    let prefix = format!("sdm: jobs wait: job {id}: ");
    for line in &lines {
        assert!(line.starts_with(&prefix), "{line:?}");
        assert!(line.ends_with(" elapsed"), "{line:?}");
        assert!(!line.contains('\u{1b}'), "no escape sequence: {line:?}");
    }
    // At least one line while running (the job runs eight intervals), then the summary.
    assert!(lines.len() >= 2, "{lines:?}");
    assert!(lines[0].contains("running"), "{lines:?}");
    assert!(lines.last().unwrap().contains("done"), "{lines:?}");
    // Throttled: one line per interval at most, whatever the polls, plus the summary.
    let intervals = (took.as_millis() / 300) as usize;
    assert!(
        lines.len() <= intervals + 1,
        "{} lines in {took:?}: {lines:?}",
        lines.len()
    );
}

#[test]
fn plain_sums_up_an_export_and_wins_over_a_terminal() {
    let server = MockServer::start();
    let id = server.add_job(JobSpec::new(Status::Done, Duration::ZERO).rows(20_000));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rows.ndjson");
    let out = out.to_str().unwrap();
    let args = [
        "jobs",
        "data",
        &id,
        "1",
        "--out",
        out,
        "--progress",
        "plain",
    ];
    let run = run_expect(&mut sdm_at(&server, &args), 0);
    let summary = run.stderr.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with("sdm: jobs data: 20000 rows, "),
        "{:#?}",
        run
    );
    let bytes = std::fs::metadata(out).unwrap().len();
    assert!(bytes > 1_000_000, "{bytes}");
    assert!(
        summary.contains(" MB, ") && summary.contains("B/s, "),
        "{summary}"
    );
    assert!(summary.ends_with(" elapsed"), "{summary}");

    // On a terminal too, `plain` prints lines rather than drawing.
    let Some((code, shown)) = on_a_terminal(&server, &args, &[]) else {
        eprintln!("skipped: no `script` to run sdm on a terminal");
        return;
    };
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("sdm: jobs data: 20000 rows, "), "{shown:?}");
    assert!(!shown.contains('\u{1b}'), "{shown:?}");
}

#[test]
fn bad_progress_values_are_usage_errors() {
    let server = MockServer::start();
    for args in [
        &["jobs", "list", "--progress", "fancy"][..],
        &[
            "jobs",
            "list",
            "--progress",
            "plain",
            "--progress-interval",
            "0",
        ],
    ] {
        let run = run_expect(&mut sdm_at(&server, args), 2);
        assert!(run.stderr.contains("--progress"), "{run:#?}");
    }
    let run = run_expect(
        sdm_at(&server, &["jobs", "list"]).env("SDM_PROGRESS", "loud"),
        2,
    );
    assert!(run.stderr.contains("loud"), "{run:#?}");
}
