//! The engine of the fault matrix: every fault of the fake server × every operation × every
//! transport given, judged against [`faults::TABLE`].
//!
//! Each cell serves one fault (always, or once: a transient fault) on the route its operation
//! uses and checks the single outcome the table expects: exactly the healthy data, or one typed
//! error, within [`faults::CELL_BOUND`], without a panic, and without a request ever reaching
//! another origin.
//!
//! The rows of [`faults::DEADLINE_TABLE`] run under a client deadline of [`faults::DEADLINE`]
//! (a `429 Retry-After: 30`, a server that never answers, a 1 byte/s drip): each of their cells
//! must end with the deadline's error (a wait: timed out) within [`faults::DEADLINE_SLACK`] of
//! it, not after the 30 s.
//!
//! One server per table row and transport, reused by its cells with `set_faults`/
//! `clear_faults`; a few rows run side by side. Each cell runs on a thread of its own with a
//! new client, so a hang or a panic fails that cell only.

use std::fmt::{self, Write as _};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sdm_core::{ClientConfig, JobId};
use sdm_mock::{Fault, JobSpec, MockServer, Status};
use serde_json::Value;

use crate::bounded::bounded;
use crate::faults::{
    self, CELL_BOUND, DATA_ROWS, DEADLINE, DEADLINE_SLACK, DEADLINE_TABLE, Expect, JOB_COUNT,
    MAX_ROW_BYTES, Mode, Observed, Op, Outcome, PAGE_SIZE, TABLE, Targets, Truth, Verdict,
};
use crate::{ConnectWith, Timeouts};

/// Short transport timeouts: no fault may hold a cell for long.
const TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_secs(2),
    read: Duration::from_secs(2),
    overall: Some(Duration::from_secs(8)),
};

/// How many (row, transport) pairs run at the same time. The cells mostly wait (latency,
/// backoff, deadlines), so a few at once shorten the run without crowding the machine.
const WORKERS: usize = 4;

/// One row of the printed matrix: a fault (or none) and how often it is served.
struct MatrixRow {
    label: String,
    fault: Option<Fault>,
    mode: Mode,
    /// The expected outcomes, from [`TABLE`] or [`DEADLINE_TABLE`] (`None`: healthy).
    table: Option<Table>,
    /// The client deadline each cell runs under, from its start.
    deadline: Option<Duration>,
}

/// Where a row's expectations come from.
#[derive(Clone, Copy)]
enum Table {
    Faults(&'static faults::Row),
    Deadline(&'static faults::DeadlineRow),
}

impl MatrixRow {
    fn expect(&self, op: Op) -> Expect {
        match self.table {
            None => Expect::Ok,
            Some(Table::Faults(row)) => row.expect(self.mode, op),
            Some(Table::Deadline(row)) => row.always[op_index(op)],
        }
    }
}

fn rows() -> Vec<MatrixRow> {
    let mut rows = vec![MatrixRow {
        label: "healthy".to_owned(),
        fault: None,
        mode: Mode::Healthy,
        table: None,
        deadline: None,
    }];
    for row in TABLE {
        for mode in [Mode::Always, Mode::Once] {
            rows.push(MatrixRow {
                label: format!("{} {}", row.spec, mode.name()),
                fault: Some(row.fault()),
                mode,
                table: Some(Table::Faults(row)),
                deadline: None,
            });
        }
    }
    for row in DEADLINE_TABLE {
        rows.push(MatrixRow {
            label: format!("{} always, deadline {DEADLINE:?}", row.spec),
            fault: Some(row.fault()),
            mode: Mode::Always,
            table: Some(Table::Deadline(row)),
            deadline: Some(DEADLINE),
        });
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

/// The configuration of a cell of `row`, starting now: a deadline row's cells end by its
/// deadline and honour a long `Retry-After` (so that only the deadline refuses it).
fn cell_config(server: &MockServer, row: &MatrixRow) -> ClientConfig {
    match row.deadline {
        None => config(server),
        Some(deadline) => config(server)
            .with_retry_policy(faults::deadline_retry_policy())
            .with_deadline(Some(Instant::now() + deadline)),
    }
}

fn created(job: &Value) -> chrono::DateTime<chrono::Utc> {
    job["creation_date"].as_str().unwrap().parse().unwrap()
}

/// A server for one row, what its cells work on, and its healthy data.
///
/// The healthy first page is read with the transport under test (in a cell of its own, so it is
/// bounded too) and must be exactly the world's: its count, its first [`PAGE_SIZE`] jobs as the
/// server holds them, no `previous` link and a `next` link to page 2 on the server.
fn setup(connect: ConnectWith) -> Result<(MockServer, Targets, Truth), String> {
    let server = MockServer::builder()
        .job_count(JOB_COUNT)
        .start()
        .map_err(|e| format!("the fake server does not start: {e}"))?;
    let world = server.world();
    let job = world
        .jobs()
        .iter()
        .find(|job| job["status"] == "done")
        .expect("the world has a done job")
        .clone();
    let data_job = server.add_job(JobSpec::new(Status::Done, Duration::ZERO).rows(DATA_ROWS));
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

    let targets = Targets {
        job: JobId::parse(job["id"].as_str().unwrap()).unwrap(),
        data_job: JobId::parse(&data_job).unwrap(),
    };
    let page = match run_cell(connect, config(&server), Op::List, targets.clone()) {
        Ok((Outcome::List(Ok(page)), _)) => page,
        Ok((outcome, _)) => return Err(format!("the healthy server's first page: {outcome:?}")),
        Err(why) => return Err(format!("the healthy server's first page: {why}")),
    };
    let page = serde_json::to_value(&page).map_err(|e| e.to_string())?;
    let first: Vec<Value> = jobs[..PAGE_SIZE as usize]
        .iter()
        .map(|&job| job.clone())
        .collect();
    let next = page["next"].as_str().unwrap_or_default();
    let healthy = page["count"] == all.len()
        && page["results"] == Value::from(first)
        && page["previous"].is_null()
        && next.starts_with(server.base_url())
        && next.contains("page=2");
    if !healthy {
        return Err(format!(
            "the healthy server's first page is not the world's: {}",
            faults::brief(&page)
        ));
    }

    let truth = Truth {
        job,
        page,
        all,
        rows,
        foreign_origin: server.redirect_target().to_owned(),
    };
    Ok((server, targets, truth))
}

/// Runs `op` with a new client on a thread of its own; gives up waiting after the cell bound
/// (plus slack for a slow machine), and reports a panic as a failure.
fn run_cell(
    connect: ConnectWith,
    config: ClientConfig,
    op: Op,
    targets: Targets,
) -> Result<(Outcome, Duration), String> {
    bounded(CELL_BOUND + Duration::from_secs(5), move || {
        let started = Instant::now();
        let subject = connect(config, TIMEOUTS);
        let outcome = faults::run(&*subject, op, &targets);
        (outcome, started.elapsed())
    })
}

/// The position of `op` in [`Op::EVERY`].
fn op_index(op: Op) -> usize {
    Op::EVERY.iter().position(|&o| o == op).unwrap()
}

/// What each operation of a row expected, and the verdict on it, in [`Op::EVERY`]'s order.
type RowVerdicts = Vec<(Expect, Verdict)>;

/// Runs the cells of one row for one transport, on a server of its own: every operation in
/// turn, the row's fault set on that operation's route for the cell only.
fn run_row(row: &MatrixRow, connect: ConnectWith) -> RowVerdicts {
    let expect = |op| row.expect(op);
    let (server, targets, truth) = match setup(connect) {
        Ok(setup) => setup,
        Err(why) => {
            return Op::EVERY
                .iter()
                .map(|&op| (expect(op), Verdict(Err(why.clone()))))
                .collect();
        }
    };
    Op::EVERY
        .iter()
        .map(|&op| {
            let expect = expect(op);
            if let Some(fault) = &row.fault {
                server.set_faults(row.mode.plans(fault, op.route()));
            }
            let faulted_before = server.faults_served();
            let hits_before = server.redirect_target_hits();
            let result = run_cell(connect, cell_config(&server, row), op, targets.clone());
            server.clear_faults();
            let verdict = match result {
                Ok((_, elapsed))
                    if row
                        .deadline
                        .is_some_and(|deadline| elapsed > deadline + DEADLINE_SLACK) =>
                {
                    Verdict(Err(format!(
                        "took {elapsed:?}, over the deadline of {DEADLINE:?} by more than \
                         {DEADLINE_SLACK:?}"
                    )))
                }
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

/// The cells of one transport in the matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportTotals {
    /// The transport's name, as given to [`run_fault_matrix`].
    pub name: &'static str,
    /// Cells that passed.
    pub passed: usize,
    /// Cells run.
    pub total: usize,
}

/// What [`run_fault_matrix`] found. `Display` prints the table (one row per fault and mode,
/// one column per operation and transport, each cell the outcome observed or `FAIL`), then why
/// each failed cell failed, then the totals.
#[derive(Clone, Debug)]
pub struct MatrixReport {
    /// Cells that passed, over every transport.
    pub passed: usize,
    /// Cells run, over every transport.
    pub total: usize,
    /// The cells of each transport, in the order given.
    pub transports: Vec<TransportTotals>,
    /// One line per failed cell: its row, its column, what was expected and why it failed.
    pub failures: Vec<String>,
    /// Faults the fake server knows whose kind no row of the table covers (see
    /// [`faults::uncovered_faults`]); the matrix is incomplete unless this is empty.
    pub uncovered: Vec<&'static str>,
    /// How long the matrix took.
    pub elapsed: Duration,
    table: String,
    rows: usize,
    columns: usize,
}

impl MatrixReport {
    /// The printed table alone.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Whether every cell passed and the table covers every fault the server knows.
    pub fn all_passed(&self) -> bool {
        self.failures.is_empty() && self.uncovered.is_empty() && self.passed == self.total
    }

    /// Panics, listing what went wrong, unless [`all_passed`](Self::all_passed).
    #[track_caller]
    pub fn assert_all_passed(&self) {
        assert!(
            self.uncovered.is_empty(),
            "faults the server knows that the matrix does not cover: {:?}",
            self.uncovered
        );
        assert!(
            self.failures.is_empty() && self.passed == self.total,
            "{} of {} cells failed:\n{}",
            self.total - self.passed,
            self.total,
            self.failures.join("\n")
        );
    }
}

impl fmt::Display for MatrixReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.table)?;
        for failure in &self.failures {
            writeln!(f, "FAIL {failure}")?;
        }
        for transport in &self.transports {
            writeln!(
                f,
                "{}: {}/{} cells passed",
                transport.name, transport.passed, transport.total
            )?;
        }
        write!(
            f,
            "fault matrix: {}/{} cells passed ({} rows × {} columns) in {:.1?}",
            self.passed, self.total, self.rows, self.columns, self.elapsed
        )
    }
}

/// Runs the fault matrix on each transport: every row of [`faults::TABLE`] (always and once)
/// plus a healthy row and the rows of [`faults::DEADLINE_TABLE`] (under a client deadline), × every operation of [`Op::EVERY`], on fake servers of its own, with
/// short transport timeouts (2 s to connect and per read, 8 s per request) and the matrix's
/// client configuration ([`faults::retry_policy`], no pacing, rows up to [`MAX_ROW_BYTES`]).
///
/// It does not panic when cells fail: see [`MatrixReport::assert_all_passed`].
pub fn run_fault_matrix(transports: &[(&'static str, ConnectWith)]) -> MatrixReport {
    let started = Instant::now();
    let rows = rows();

    // Every (row, transport) pair, a few at a time, each on a server of its own (a fault
    // served once is once per server), its cells one after the other.
    let pairs: Vec<(usize, usize)> = (0..rows.len())
        .flat_map(|r| (0..transports.len()).map(move |t| (r, t)))
        .collect();
    let results: Vec<Mutex<Option<RowVerdicts>>> = pairs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..WORKERS.min(pairs.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(&(r, t)) = pairs.get(i) else { break };
                    let verdicts = run_row(&rows[r], transports[t].1);
                    *results[i].lock().unwrap() = Some(verdicts);
                }
            });
        }
    });
    let verdicts: Vec<RowVerdicts> = results
        .into_iter()
        .map(|cell| {
            cell.into_inner()
                .unwrap()
                .expect("every row of every transport ran")
        })
        .collect();
    let verdict = |r: usize, t: usize, op: Op| &verdicts[r * transports.len() + t][op_index(op)];

    let columns: Vec<(Op, usize)> = Op::EVERY
        .iter()
        .flat_map(|&op| (0..transports.len()).map(move |t| (op, t)))
        .collect();
    let column_name = |(op, t): (Op, usize)| format!("{}/{}", op.name(), transports[t].0);
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
    let mut totals: Vec<TransportTotals> = transports
        .iter()
        .map(|&(name, _)| TransportTotals {
            name,
            passed: 0,
            total: 0,
        })
        .collect();
    for (r, row) in rows.iter().enumerate() {
        write!(table, "{:label_width$}", row.label).unwrap();
        for &(op, t) in &columns {
            let (expect, verdict) = verdict(r, t, op);
            totals[t].total += 1;
            match &verdict.0 {
                Ok(_) => totals[t].passed += 1,
                Err(why) => failures.push(format!(
                    "{} × {}: expected {expect:?}: {why}",
                    row.label,
                    column_name((op, t))
                )),
            }
            write!(table, " | {:cell_width$}", verdict.to_string()).unwrap();
        }
        table.push('\n');
    }
    let table: String = table
        .lines()
        .map(|line| line.trim_end().to_owned() + "\n")
        .collect();

    MatrixReport {
        passed: totals.iter().map(|t| t.passed).sum(),
        total: totals.iter().map(|t| t.total).sum(),
        transports: totals,
        failures,
        uncovered: faults::uncovered_faults(),
        elapsed: started.elapsed(),
        table,
        rows: rows.len(),
        columns: columns.len(),
    }
}
