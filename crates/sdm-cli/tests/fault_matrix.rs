//! The fault matrix through the binary: `jobs get`, `jobs list`, `jobs list --all` and
//! `jobs data --out` against a fake server that always misbehaves one way, checking the exit
//! code the contract gives (8 for what stayed unavailable after the retries, 1 for a response
//! that cannot be used), a one-line `error:` report, and that a failed download leaves no file.
//!
//! Faults that do not apply to a command (a list-only payload fault on `jobs get`, say) leave
//! it healthy: those cells expect success and the server's data.

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use sdm_mock::{Fault, FaultPlan, JobSpec, MockServer, Status};
use serde_json::Value;

/// The commands, in column order.
const COMMANDS: [&str; 4] = ["get", "list", "list --all", "data --out"];

/// Rows of the output `jobs data` fetches (enough that half a body holds some).
const DATA_ROWS: u64 = 400;

/// Fault specs and the exit code of each command (get, list, list --all, data --out).
#[rustfmt::skip]
const TABLE: &[(&str, [i32; 4])] = &[
    // Unavailable or rate limited after the retries.
    ("429",                [8, 8, 8, 8]),
    ("429-no-retry-after", [8, 8, 8, 8]),
    ("502-html",           [8, 8, 8, 8]),
    ("503-empty",          [8, 8, 8, 8]),
    ("504",                [8, 8, 8, 8]),
    ("drop-before",        [8, 8, 8, 8]),
    // A lost connection: retried until the response starts; mid-stream, the download fails.
    ("drop-mid-body",      [8, 8, 8, 8]),
    // Not retried: a server error, or a response that cannot be used.
    ("500-html",           [1, 1, 1, 1]),
    ("truncated",          [1, 1, 1, 1]),
    ("malformed",          [1, 1, 1, 1]),
    ("empty-ok",           [1, 1, 1, 1]),
    ("status-number",      [1, 1, 1, 0]),
    ("results-missing",    [0, 1, 1, 0]),
    ("count-string",       [0, 1, 1, 0]),
    ("huge-row=2000000",   [0, 0, 0, 1]),
    ("redirect",           [1, 1, 1, 1]),
    // Not followed: the pages are asked for by number on the base URL.
    ("foreign-next",       [0, 0, 0, 0]),
];

/// What the commands work on, and the server's data for them.
struct Setup {
    server: MockServer,
    job: Value,
    data_job: String,
    rows: Vec<Value>,
    /// Every job id, newest first.
    all: Vec<String>,
}

fn setup() -> Setup {
    let server = MockServer::builder()
        .job_count(250)
        .start()
        .expect("the fake server starts");
    let job = job_with_status(&server, "done").clone();
    let data_job = server.add_job(JobSpec::new(Status::Done, Duration::ZERO).rows(DATA_ROWS));
    let rows: Vec<Value> = server.job_rows(&data_job, 1).unwrap().collect();
    let mut snapshot = server.jobs_snapshot();
    snapshot.sort_by(|a, b| {
        time(&b["creation_date"])
            .cmp(&time(&a["creation_date"]))
            .then_with(|| a["id"].as_str().cmp(&b["id"].as_str()))
    });
    let all = snapshot.iter().map(|job| id_of(job).to_owned()).collect();
    Setup {
        server,
        job,
        data_job,
        rows,
        all,
    }
}

/// Runs one command; `Err` says why the cell failed.
fn cell(
    setup: &Setup,
    fault: &Fault,
    command: usize,
    expected: i32,
    dir: &Path,
) -> Result<(), String> {
    let server = &setup.server;
    let out = dir.join("rows.ndjson");
    let out = out.to_str().unwrap();
    let args: Vec<&str> = match command {
        0 => vec!["jobs", "get", id_of(&setup.job), "-o", "json"],
        1 => vec!["jobs", "list", "-o", "ndjson"],
        2 => vec!["jobs", "list", "--all", "-o", "ndjson"],
        _ => vec![
            "jobs",
            "data",
            &setup.data_job,
            "1",
            "--out",
            out,
            "--max-row-bytes",
            "1000000",
        ],
    };
    let mut process = sdm_at(server, &args);
    process.args(["--retries", "2", "--rate-limit", "0"]);
    let started = Instant::now();
    let run = run(&mut process);
    let elapsed = started.elapsed();
    let mut problems = Vec::new();
    if run.code != expected {
        problems.push(format!("exit {} (expected {expected})", run.code));
    }
    if elapsed > Duration::from_secs(20) {
        problems.push(format!("took {elapsed:?}"));
    }
    if server.redirect_target_hits() > 0 || server.redirect_target_saw_token() {
        problems.push("a request went to another origin".to_owned());
    }
    if expected == 0 {
        if !run.stderr.is_empty() {
            problems.push(format!("stderr is not empty: {}", run.stderr));
        }
        let data_ok = match command {
            0 => serde_json::from_str::<Value>(&run.stdout).ok().as_ref() == Some(&setup.job),
            1 => {
                let ids: Vec<String> = ndjson(&run.stdout)
                    .iter()
                    .map(|job| id_of(job).to_owned())
                    .collect();
                ids == setup.all[..25]
            }
            2 => {
                let ids: Vec<String> = ndjson(&run.stdout)
                    .iter()
                    .map(|job| id_of(job).to_owned())
                    .collect();
                ids == setup.all
            }
            _ => {
                let written = std::fs::read_to_string(dir.join("rows.ndjson")).unwrap_or_default();
                run.stdout.is_empty() && ndjson(&written) == setup.rows
            }
        };
        if !data_ok {
            problems.push("the output is not the server's data".to_owned());
        }
    } else {
        if !run.stderr.starts_with("error: ") {
            problems.push(format!(
                "stderr does not start with `error: `: {}",
                run.stderr
            ));
        }
        if expected == 8 && !run.stderr.contains("after 2 attempts") {
            // A download cut mid-stream is not retried: nothing to count there.
            let mid_stream = command == 3 && run.stderr.contains("connection failed");
            if !mid_stream {
                problems.push(format!("the retries are not told: {}", run.stderr));
            }
        }
        if *fault == Fault::RedirectElsewhere && !run.stderr.contains(server.redirect_target()) {
            problems.push(format!(
                "the redirect's target {} is not named: {}",
                server.redirect_target(),
                run.stderr
            ));
        }
        if matches!(fault, Fault::HugeRow { .. }) && !run.stderr.contains("--max-row-bytes") {
            problems.push(format!("the limit's option is not named: {}", run.stderr));
        }
        if command == 3 {
            let left = files_in(dir);
            if !left.is_empty() {
                problems.push(format!("--out left files behind: {left:?}"));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n    stderr: {}",
            problems.join("; "),
            run.stderr.trim_end()
        ))
    }
}

#[test]
fn cli_fault_matrix() {
    let started = Instant::now();
    let mut table = format!("{:18}", "fault (always)");
    for name in COMMANDS {
        write!(table, " | {name:12}").unwrap();
    }
    table.push('\n');
    let mut failures = Vec::new();
    let mut passed = 0;
    let mut total = 0;
    for (spec, codes) in TABLE {
        let plan = Fault::parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
        let setup = setup();
        setup
            .server
            .set_faults(vec![FaultPlan::always(plan.fault.clone())]);
        write!(table, "{spec:18}").unwrap();
        // The four commands of a row run at once: the fault is served always, on every route.
        let dirs: Vec<tempfile::TempDir> = (0..COMMANDS.len())
            .map(|_| tempfile::tempdir().unwrap())
            .collect();
        let results: Vec<Result<(), String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..COMMANDS.len())
                .map(|command| {
                    let (setup, fault, dir) = (&setup, &plan.fault, dirs[command].path());
                    scope.spawn(move || cell(setup, fault, command, codes[command], dir))
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle
                        .join()
                        .unwrap_or_else(|_| Err("the cell panicked".to_owned()))
                })
                .collect()
        });
        for (command, result) in results.into_iter().enumerate() {
            total += 1;
            let shown = match result {
                Ok(()) => {
                    passed += 1;
                    format!("exit {}", codes[command])
                }
                Err(why) => {
                    failures.push(format!("{spec} × {}: {why}", COMMANDS[command]));
                    "FAIL".to_owned()
                }
            };
            write!(table, " | {shown:12}").unwrap();
        }
        table.push('\n');
    }
    let table: String = table
        .lines()
        .map(|line| line.trim_end().to_owned() + "\n")
        .collect();
    println!("\n{table}");
    for failure in &failures {
        println!("FAIL {failure}");
    }
    println!(
        "cli fault matrix: {passed}/{total} cells passed in {:.1?}",
        started.elapsed()
    );
    assert!(failures.is_empty(), "{} cells failed", failures.len());
}

/// A redirect is reported with where it points, and never followed.
#[test]
fn a_redirect_names_its_target() {
    let setup = setup();
    let server = &setup.server;
    server.set_faults(vec![FaultPlan::always(Fault::RedirectElsewhere)]);
    let run = run_expect(
        &mut sdm_at(
            server,
            &["jobs", "get", id_of(&setup.job), "--rate-limit", "0"],
        ),
        1,
    );
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(
        run.stderr.contains("redirect") && run.stderr.contains(server.redirect_target()),
        "{}",
        run.stderr
    );
    assert_eq!(server.redirect_target_hits(), 0);
    assert!(!server.redirect_target_saw_token());
}
