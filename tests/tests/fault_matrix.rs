//! The fault matrix: every fault of the fake server × every operation × both transports.
//!
//! Each cell serves one fault (always, or once: a transient fault) on the route its operation
//! uses and checks the single outcome [`faults::TABLE`] expects: exactly the healthy data, or
//! one typed error, within [`faults::CELL_BOUND`], without a panic, and without a request ever
//! reaching another origin. The matrix is printed (run with `--nocapture` to see it) and the
//! test fails if any cell does.
//!
//! One server per table row and transport, reused by its cells with `set_faults`/
//! `clear_faults`; the two transports run side by side. Each cell runs on a thread of its own
//! with a new client, so a hang or a panic fails that cell only.

use std::fmt::Write as _;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use sdm_core::{ClientConfig, JobId, JobQuery};
use sdm_mock::{Fault, JobSpec, MockServer};
use sdm_tests::faults::{
    self, CELL_BOUND, DATA_ROWS, Expect, JOB_COUNT, MAX_ROW_BYTES, Mode, Observed, Op, Outcome,
    PAGE_SIZE, TABLE, Targets, Truth, Verdict,
};
use sdm_tests::subjects::{self, ConnectWith, Timeouts};
use serde_json::Value;

const TRANSPORTS: [(&str, ConnectWith); 2] = [
    ("ureq", subjects::ureq_with),
    ("reqwest", subjects::reqwest_with),
];

/// Short transport timeouts: no fault may hold a cell for long.
const TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_secs(2),
    read: Duration::from_secs(2),
    overall: Duration::from_secs(8),
};

/// One row of the printed matrix: a fault (or none) and how often it is served.
struct MatrixRow {
    label: String,
    fault: Option<Fault>,
    mode: Mode,
    table: Option<&'static faults::Row>,
}

fn rows() -> Vec<MatrixRow> {
    let mut rows = vec![MatrixRow {
        label: "healthy".to_owned(),
        fault: None,
        mode: Mode::Healthy,
        table: None,
    }];
    for row in TABLE {
        for mode in [Mode::Always, Mode::Once] {
            rows.push(MatrixRow {
                label: format!("{} {}", row.spec, mode.name()),
                fault: Some(row.fault()),
                mode,
                table: Some(row),
            });
        }
    }
    rows
}

/// The configuration of every matrix client.
fn config(server: &MockServer) -> ClientConfig {
    ClientConfig::new(server.base_url())
        .expect("the fake server's base URL is valid")
        .with_token(server.token())
        .with_retry_policy(faults::retry_policy())
        .with_rate_limit(None)
        .with_max_row_bytes(MAX_ROW_BYTES)
}

fn created(job: &Value) -> chrono::DateTime<chrono::Utc> {
    job["creation_date"].as_str().unwrap().parse().unwrap()
}

/// A server for one row, what its cells work on, and its healthy data.
fn setup() -> (MockServer, Targets, Truth) {
    let server = MockServer::builder()
        .job_count(JOB_COUNT)
        .start()
        .expect("the fake server starts");
    let world = server.world();
    let job = world
        .jobs()
        .iter()
        .find(|job| job["status"] == "done")
        .expect("the world has a done job")
        .clone();
    let data_job = server.add_job(JobSpec::new("done", Duration::ZERO).rows(DATA_ROWS));
    let rows: Vec<String> = server
        .job_rows(&data_job, 1)
        .expect("a done job has rows")
        .map(|row| serde_json::to_string(&row).unwrap())
        .collect();

    // Every job the server holds now (the data job included), newest first, ties by id: the
    // list endpoint's order.
    let snapshot = server.jobs_snapshot();
    let mut jobs: Vec<&Value> = snapshot.iter().collect();
    jobs.sort_by(|a, b| {
        created(b)
            .cmp(&created(a))
            .then_with(|| a["id"].as_str().cmp(&b["id"].as_str()))
    });
    let all: Vec<String> = jobs
        .iter()
        .map(|job| job["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(all.len(), JOB_COUNT + 1);

    // The first page as a healthy client reads it, checked against the world.
    let healthy = subjects::ureq_with(config(&server), TIMEOUTS);
    let page = healthy
        .list_jobs(&JobQuery::new().page_size(PAGE_SIZE))
        .expect("the healthy server lists jobs");
    assert_eq!(page.count as usize, all.len());
    let ids: Vec<String> = page.results.iter().map(|job| job.id.to_string()).collect();
    assert_eq!(ids, all[..PAGE_SIZE as usize]);
    assert!(page.next.is_some(), "the first page has a next page");

    let targets = Targets {
        job: JobId::parse(job["id"].as_str().unwrap()).unwrap(),
        data_job: JobId::parse(&data_job).unwrap(),
    };
    let truth = Truth {
        job,
        page: serde_json::to_value(&page).unwrap(),
        all,
        rows,
        foreign_origin: server.redirect_target().to_owned(),
    };
    (server, targets, truth)
}

/// Runs `op` with a new client on a thread of its own; gives up waiting after the cell bound
/// (plus slack for a slow machine), and reports a panic as a failure.
fn run_cell(
    connect: ConnectWith,
    config: ClientConfig,
    op: Op,
    targets: Targets,
) -> Result<(Outcome, Duration), String> {
    let (sender, receiver) = mpsc::channel();
    let cell = std::thread::spawn(move || {
        let started = Instant::now();
        let subject = connect(config, TIMEOUTS);
        let outcome = faults::run(&*subject, op, &targets);
        let _ = sender.send((outcome, started.elapsed()));
    });
    match receiver.recv_timeout(CELL_BOUND + Duration::from_secs(5)) {
        Ok(result) => {
            let _ = cell.join();
            Ok(result)
        }
        // The thread is left behind: it fails this cell, not the whole run.
        Err(RecvTimeoutError::Timeout) => Err(format!("no result after {CELL_BOUND:?}")),
        Err(RecvTimeoutError::Disconnected) => match cell.join() {
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                Err(format!("panicked: {message}"))
            }
            Ok(()) => Err("ended without a result".to_owned()),
        },
    }
}

/// The position of `op` in [`Op::EVERY`].
fn op_index(op: Op) -> usize {
    Op::EVERY.iter().position(|&o| o == op).unwrap()
}

/// Runs the cells of one row for one transport, on a server of its own: every operation in
/// turn, the row's fault set on that operation's route for the cell only.
fn run_row(row: &MatrixRow, connect: ConnectWith) -> Vec<(Expect, Verdict)> {
    let (server, targets, truth) = setup();
    Op::EVERY
        .iter()
        .map(|&op| {
            let expect = row.table.map_or(Expect::Ok, |r| r.expect(row.mode, op));
            if let Some(fault) = &row.fault {
                server.set_faults(row.mode.plans(fault, op.route()));
            }
            let faulted_before = server.faults_served();
            let hits_before = server.redirect_target_hits();
            let result = run_cell(connect, config(&server), op, targets.clone());
            server.clear_faults();
            let verdict = match result {
                Ok((outcome, elapsed)) => faults::judge(
                    row.fault.as_ref(),
                    row.mode,
                    op,
                    expect,
                    Observed {
                        outcome,
                        elapsed,
                        faulted: server.faults_served() - faulted_before,
                        redirect_hits: server.redirect_target_hits() - hits_before,
                        token_leaked: server.redirect_target_saw_token(),
                    },
                    &truth,
                ),
                Err(why) => Verdict(Err(why)),
            };
            (expect, verdict)
        })
        .collect()
}

struct Failure {
    row: String,
    column: String,
    why: String,
}

#[test]
fn fault_matrix() {
    let started = Instant::now();
    let uncovered = faults::uncovered_faults();

    let columns: Vec<(Op, usize)> = Op::EVERY
        .iter()
        .flat_map(|&op| (0..TRANSPORTS.len()).map(move |t| (op, t)))
        .collect();
    let column_name = |(op, t): (Op, usize)| format!("{}/{}", op.name(), TRANSPORTS[t].0);
    let rows = rows();
    let label_width = rows.iter().map(|r| r.label.len()).max().unwrap_or(0);
    let cell_width = 13;

    let mut table = String::new();
    write!(table, "{:label_width$}", "fault mode").unwrap();
    for &column in &columns {
        write!(table, " | {:cell_width$}", column_name(column)).unwrap();
    }
    table.push('\n');
    let rule = "-".repeat(label_width + columns.len() * (cell_width + 3));
    writeln!(table, "{rule}").unwrap();

    let mut failures = Vec::new();
    let mut passed = [0usize; TRANSPORTS.len()];
    let mut total = [0usize; TRANSPORTS.len()];
    for row in &rows {
        // The transports run side by side, each on a server of its own (a fault served once
        // is once per server), each running its cells one after the other.
        let verdicts: Vec<Vec<(Expect, Verdict)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = TRANSPORTS
                .iter()
                .map(|&(_, connect)| scope.spawn(move || run_row(row, connect)))
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().expect("a row's setup does not panic"))
                .collect()
        });
        write!(table, "{:label_width$}", row.label).unwrap();
        for &(op, t) in &columns {
            let (expect, verdict) = &verdicts[t][op_index(op)];
            total[t] += 1;
            match &verdict.0 {
                Ok(_) => passed[t] += 1,
                Err(why) => failures.push(Failure {
                    row: row.label.clone(),
                    column: column_name((op, t)),
                    why: format!("expected {expect:?}: {why}"),
                }),
            }
            write!(table, " | {:cell_width$}", verdict.to_string()).unwrap();
        }
        table.push('\n');
    }

    let table: String = table
        .lines()
        .map(|line| line.trim_end().to_owned() + "\n")
        .collect();
    println!("\n{table}");
    for failure in &failures {
        println!("FAIL {} × {}: {}", failure.row, failure.column, failure.why);
    }
    for (t, (name, _)) in TRANSPORTS.iter().enumerate() {
        println!("{name}: {}/{} cells passed", passed[t], total[t]);
    }
    let (passed, total): (usize, usize) = (passed.iter().sum(), total.iter().sum());
    println!(
        "fault matrix: {passed}/{total} cells passed ({} rows × {} columns) in {:.1?}",
        rows.len(),
        columns.len(),
        started.elapsed()
    );
    assert!(
        uncovered.is_empty(),
        "faults the server knows that the matrix does not cover: {uncovered:?}"
    );
    assert!(
        failures.is_empty(),
        "{} of {total} cells failed (see above)",
        failures.len()
    );
}
