//! The fault matrix: what every operation must do under every fault of the fake server.
//!
//! A cell is one fault, applied in one [`Mode`] on the route an [`Op`] uses, for one transport.
//! Its expected result is written down beforehand in [`TABLE`], never derived from what
//! happened: either exactly the healthy server's data ([`Expect::Ok`]) or one typed error
//! (with the attempts it took, and for streamed rows what came before it). [`judge`] compares
//! what a cell observed with that expectation.
//!
//! [`run_fault_matrix`](crate::run_fault_matrix) runs the matrix.

use std::fmt;
use std::mem::discriminant;
use std::time::Duration;

use sdm_core::{
    Error, Job, JobId, JobQuery, JobSummary, OutputFormatId, Page, PagerOptions, RetryPolicy,
    RowError, Shortfall, TimeoutKind, TransportErrorKind, WaitOptions, WaitOutcome,
};
use sdm_mock::{Fault, FaultPlan, Route};
use serde_json::Value;

use crate::Subject;
use Before::{Nothing, Part};
use Expect::{Decode, Ok as OK, Redirect, TimedOut as TIMEOUT};

/// Attempts a matrix client makes in all (see [`retry_policy`]).
pub const ATTEMPTS: u32 = 3;

/// The largest row a matrix client accepts.
pub const MAX_ROW_BYTES: usize = 1024 * 1024;

/// Jobs in the matrix's world: three pages of [`PAGE_SIZE`].
pub const JOB_COUNT: usize = 250;

/// The page size `list` and `all` ask for.
pub const PAGE_SIZE: u64 = 100;

/// Rows of the job whose output `data` streams (enough that a body cut in half leaves some).
pub const DATA_ROWS: u64 = 400;

/// The retry policy of a matrix client: three attempts, short and bounded waits.
pub fn retry_policy() -> RetryPolicy {
    let mut policy = RetryPolicy::default();
    policy.max_attempts = ATTEMPTS;
    policy.initial_backoff = Duration::from_millis(20);
    policy.max_backoff = Duration::from_millis(100);
    policy.max_retry_after = Duration::from_millis(100);
    policy
}

/// How `wait` waits: short pauses, and a deadline that a server failing every poll reaches.
pub fn wait_options() -> WaitOptions {
    WaitOptions::default()
        .interval(Duration::from_millis(50))
        .max_interval(Duration::from_millis(100))
        .timeout(Duration::from_millis(600))
}

/// An operation of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `get_job` of a done job.
    Get,
    /// `list_jobs`, the first page of [`PAGE_SIZE`].
    List,
    /// Every job over all pages, following the server's `next` links (concurrency 1).
    All,
    /// `wait_for_job` on a done job.
    Wait,
    /// The raw rows of a done job's output format 1, streamed.
    Data,
}

impl Op {
    /// Every operation, in the table's column order.
    pub const EVERY: [Op; 5] = [Op::Get, Op::List, Op::All, Op::Wait, Op::Data];

    /// The column name.
    pub fn name(self) -> &'static str {
        match self {
            Op::Get => "get",
            Op::List => "list",
            Op::All => "all",
            Op::Wait => "wait",
            Op::Data => "data",
        }
    }

    /// The route the operation's requests take, where its faults are applied.
    pub fn route(self) -> Route {
        match self {
            Op::Get | Op::Wait => Route::JobDetail,
            Op::List | Op::All => Route::JobList,
            Op::Data => Route::JobData,
        }
    }

    fn index(self) -> usize {
        match self {
            Op::Get => 0,
            Op::List => 1,
            Op::All => 2,
            Op::Wait => 3,
            Op::Data => 4,
        }
    }
}

/// How often a fault is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// No fault at all: the baseline row.
    Healthy,
    /// Every matching request ([`FaultPlan::always`]).
    Always,
    /// The first matching request only ([`FaultPlan::times`] 1): a transient fault.
    Once,
}

impl Mode {
    /// The label in the table.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Healthy => "-",
            Mode::Always => "always",
            Mode::Once => "x1",
        }
    }

    /// The plans that serve `fault` in this mode on `route`.
    pub fn plans(self, fault: &Fault, route: Route) -> Vec<FaultPlan> {
        match self {
            Mode::Healthy => Vec::new(),
            Mode::Always => vec![FaultPlan::always(fault.clone()).on(route)],
            Mode::Once => vec![FaultPlan::times(fault.clone(), 1).on(route)],
        }
    }
}

/// Which rows (for `data`) or jobs (for `all`) may come before an expected error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Before {
    /// None: the operation failed before any data.
    Nothing,
    /// Some, each exactly the server's, but not all of them: the failure came mid-stream.
    Part,
}

/// What was wrong with streamed rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowFault {
    /// [`RowError::Truncated`].
    Truncated,
    /// [`RowError::RowTooLarge`].
    TooLarge,
    /// [`RowError::Syntax`].
    Syntax,
    /// Any [`RowError`]: a body cut at an arbitrary point and followed by garbage may end
    /// inside a string (truncated) or not (syntax).
    Any,
}

/// Why a walk over every page is incomplete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// A later page answered 404 (again, after the page before it was fetched anew).
    NotFound,
    /// The pages did not end within the bound the first page's `count` allows.
    Endless,
}

/// The one outcome a cell must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Exactly what the healthy server gives.
    Ok,
    /// `wait` only: `WaitOutcome::TimedOut` (the failures were retryable, so the wait went on).
    TimedOut,
    /// [`Error::RateLimited`] after this many attempts.
    RateLimited(u32),
    /// [`Error::Api`] with this status, after this many attempts.
    Status(u16, u32),
    /// [`Error::Api`] with a 3xx status and its `location` on the redirect target, sent once.
    Redirect,
    /// [`Error::Transport`] of kind `Io` or `Connect`, after this many attempts.
    Transport(u32, Before),
    /// [`Error::Decode`].
    Decode,
    /// [`Error::Output`] with this row error.
    Output(RowFault, Before),
    /// `all` only: [`Error::Incomplete`] for this reason, after some but not all of the jobs,
    /// each exactly the server's, in order.
    Incomplete(Cut),
    /// The call's deadline ended it: an error whose [`Error::timed_out`] is of kind
    /// [`TimeoutKind::Deadline`], after a single faulted request, with nothing before it.
    Deadline,
    /// `wait` only: `WaitOutcome::TimedOut` whose `throttled` is this `Retry-After`, in
    /// seconds (the last poll was refused as rate limited).
    Throttled(u64),
}

impl Expect {
    /// How many requests the server faults for this outcome of a one-shot operation (not
    /// `wait`, which polls), when it is an error.
    fn faulted_requests(self) -> Option<u32> {
        match self {
            // A walk asks for pages again before it gives up: not one request per attempt.
            Expect::Ok | Expect::TimedOut | Expect::Throttled(_) | Expect::Incomplete(_) => None,
            Expect::RateLimited(n) | Expect::Status(_, n) | Expect::Transport(n, _) => Some(n),
            Expect::Redirect | Expect::Decode | Expect::Output(..) | Expect::Deadline => Some(1),
        }
    }

    fn before(self) -> Before {
        match self {
            Expect::Transport(_, before) | Expect::Output(_, before) => before,
            Expect::Incomplete(_) => Part,
            _ => Before::Nothing,
        }
    }
}

/// One row of the table: a fault spec (as `sdm mock --fault` takes it) and the outcome of each
/// operation (`get`, `list`, `all`, `wait`, `data`) when the fault is served always, then once.
#[derive(Debug)]
pub struct Row {
    /// The fault, in [`Fault::parse`]'s grammar (no route or count: the matrix adds them).
    pub spec: &'static str,
    /// Outcomes when every request of the route is faulted.
    pub always: [Expect; 5],
    /// Outcomes when only the first request of the route is faulted.
    pub once: [Expect; 5],
}

/// Parses a fault spec of a table.
fn parse_spec(spec: &str) -> Fault {
    let plan =
        Fault::parse(spec).unwrap_or_else(|e| panic!("the matrix's fault spec {spec:?}: {e}"));
    assert_eq!(plan.route, Route::Any, "{spec}: no route in the table");
    assert_eq!(plan.times, None, "{spec}: no count in the table");
    plan.fault
}

impl Row {
    /// The expected outcome of `op` in `mode`.
    pub fn expect(&self, mode: Mode, op: Op) -> Expect {
        match mode {
            Mode::Healthy => Expect::Ok,
            Mode::Always => self.always[op.index()],
            Mode::Once => self.once[op.index()],
        }
    }

    /// The fault of this row.
    pub fn fault(&self) -> Fault {
        parse_spec(self.spec)
    }
}

/// The deadline each cell of [`DEADLINE_TABLE`] runs under
/// ([`ClientConfig::with_deadline`](sdm_core::ClientConfig::with_deadline), from the cell's
/// start).
pub const DEADLINE: Duration = Duration::from_secs(2);

/// How long past [`DEADLINE`] a cell of [`DEADLINE_TABLE`] may end: the last poll of a wait
/// gets [`LAST_POLL`](sdm_core::proto::LAST_POLL), and a busy machine some slack.
pub const DEADLINE_SLACK: Duration = Duration::from_millis(1500);

/// A row run under a client deadline of [`DEADLINE`]: a fault served always, and the outcome of
/// each operation (`get`, `list`, `all`, `wait`, `data`).
#[derive(Debug)]
pub struct DeadlineRow {
    /// The fault, in [`Fault::parse`]'s grammar.
    pub spec: &'static str,
    /// Outcomes when every request of the route is faulted.
    pub always: [Expect; 5],
}

impl DeadlineRow {
    /// The fault of this row.
    pub fn fault(&self) -> Fault {
        parse_spec(self.spec)
    }
}

/// The retry policy of a [`DEADLINE_TABLE`] cell: [`retry_policy`]'s, honouring a
/// `Retry-After` of up to a minute (as the default policy does), so that only the deadline can
/// refuse a long one.
pub fn deadline_retry_policy() -> RetryPolicy {
    let mut policy = retry_policy();
    policy.max_retry_after = RetryPolicy::default().max_retry_after;
    policy
}

/// Faults that would hold a call far longer than its deadline, each cell under a deadline of
/// [`DEADLINE`]: every call ends with the deadline's error within [`DEADLINE_SLACK`] of it, no
/// cell waits out the 30 s `Retry-After` or the silent server, and a wait says it timed out
/// (throttled, when the server asked for 30 s). Columns: get, list, all, wait, data.
#[rustfmt::skip]
pub const DEADLINE_TABLE: &[DeadlineRow] = &[
    // Throttled with a `Retry-After` longer than the time left: not waited for.
    DeadlineRow { spec: "429=30", always: [Expect::Deadline, Expect::Deadline, Expect::Deadline, Expect::Throttled(30), Expect::Deadline] },
    // A server that accepts the connection and never answers.
    DeadlineRow { spec: "latency=60s", always: [Expect::Deadline, Expect::Deadline, Expect::Deadline, TIMEOUT, Expect::Deadline] },
    // A body dripping one byte a second.
    DeadlineRow { spec: "slow-drip=1/1s", always: [Expect::Deadline, Expect::Deadline, Expect::Deadline, TIMEOUT, Expect::Deadline] },
];

const RL: Expect = Expect::RateLimited(ATTEMPTS);
const T3: Expect = Expect::Transport(ATTEMPTS, Nothing);
const fn retried(status: u16) -> Expect {
    Expect::Status(status, ATTEMPTS)
}
const ALL_OK: [Expect; 5] = [OK; 5];
const DECODE_ALL: [Expect; 4] = [Decode; 4];
const fn docs_then_data(docs: [Expect; 4], data: Expect) -> [Expect; 5] {
    [docs[0], docs[1], docs[2], docs[3], data]
}
/// A retryable failure served always: retried to the end on one-shot operations; a wait goes
/// on through it until its deadline.
const fn unavailable(error: Expect) -> [Expect; 5] {
    [error, error, error, TIMEOUT, error]
}
/// A failure that is not retried: the same on every operation, always or once.
const fn everywhere(error: Expect) -> [Expect; 5] {
    [error; 5]
}

/// `all` fails after the jobs it saw, the other operations are untouched.
const fn all_fails(cut: Cut) -> [Expect; 5] {
    [OK, OK, Expect::Incomplete(cut), OK, OK]
}

/// A row of about twice [`MAX_ROW_BYTES`].
const HUGE_ROW: &str = "huge-row=2000000";

/// The expected outcomes. Columns: get, list, all, wait, data.
#[rustfmt::skip]
pub const TABLE: &[Row] = &[
    // Slow but healthy: the exact data.
    Row { spec: "latency=200ms", always: ALL_OK, once: ALL_OK },
    Row { spec: "slow-drip=256/2ms", always: ALL_OK, once: ALL_OK },
    // Retryable statuses: retried to the attempt limit; one of them is cured by the retry.
    // A wait goes on through them, and its timeout says it was throttled, with the
    // `Retry-After` asked for (the server's default of 1 s; none: 0).
    Row { spec: "429", always: [RL, RL, RL, Expect::Throttled(1), RL], once: ALL_OK },
    Row { spec: "429-no-retry-after", always: [RL, RL, RL, Expect::Throttled(0), RL], once: ALL_OK },
    Row { spec: "502-html", always: unavailable(retried(502)), once: ALL_OK },
    Row { spec: "503-empty", always: unavailable(retried(503)), once: ALL_OK },
    Row { spec: "504-json", always: unavailable(retried(504)), once: ALL_OK },
    // A 500 is not retried, so the transient one fails too (a wait ends with it).
    Row { spec: "500-html", always: everywhere(Expect::Status(500, 1)), once: everywhere(Expect::Status(500, 1)) },
    // Connections lost: retried until the response starts; a body cut while rows stream is
    // not retried, and the rows before the cut are not reported as the whole output.
    // The server keeps the cut body's framing (`Content-Length`, or chunked without the last
    // chunk), even towards an HTTP/1.0 client, so a transport that honours the framing it is
    // sent always sees a lost connection (`Io`), whatever HTTP library or version it uses: no
    // other outcome is accepted. (A cut with no framing to betray it is the `truncated` row.)
    Row { spec: "drop-before", always: unavailable(T3), once: ALL_OK },
    // Behind the API: the request was handled, then the answer lost. To a GET it is the same
    // lost connection, retried (reads are idempotent).
    Row { spec: "drop-after", always: unavailable(T3), once: ALL_OK },
    Row {
        spec: "drop-mid-body",
        always: docs_then_data([T3, T3, T3, TIMEOUT], Expect::Transport(1, Part)),
        once: docs_then_data([OK; 4], Expect::Transport(1, Part)),
    },
    // Bodies that are not what the API documents: never retried, never half-decoded.
    Row {
        spec: "truncated",
        always: docs_then_data(DECODE_ALL, Expect::Output(RowFault::Truncated, Part)),
        once: docs_then_data(DECODE_ALL, Expect::Output(RowFault::Truncated, Part)),
    },
    Row {
        spec: "malformed",
        always: docs_then_data(DECODE_ALL, Expect::Output(RowFault::Any, Part)),
        once: docs_then_data(DECODE_ALL, Expect::Output(RowFault::Any, Part)),
    },
    Row { spec: "count-string", always: [OK, Decode, Decode, OK, OK], once: [OK, Decode, Decode, OK, OK] },
    Row { spec: "status-number", always: [Decode, Decode, Decode, Decode, OK], once: [Decode, Decode, Decode, Decode, OK] },
    Row { spec: "results-missing", always: [OK, Decode, Decode, OK, OK], once: [OK, Decode, Decode, OK, OK] },
    Row {
        spec: "empty-ok",
        always: docs_then_data(DECODE_ALL, Expect::Output(RowFault::Syntax, Nothing)),
        once: docs_then_data(DECODE_ALL, Expect::Output(RowFault::Syntax, Nothing)),
    },
    Row {
        spec: HUGE_ROW,
        always: docs_then_data([OK; 4], Expect::Output(RowFault::TooLarge, Nothing)),
        once: docs_then_data([OK; 4], Expect::Output(RowFault::TooLarge, Nothing)),
    },
    // Another origin: a redirect is reported (never followed), a foreign `next` link is not
    // followed (the pager asks for the next page by number on the base URL instead).
    Row { spec: "redirect", always: everywhere(Redirect), once: everywhere(Redirect) },
    Row { spec: "foreign-next", always: ALL_OK, once: ALL_OK },
    // Listings that misbehave page by page: `all` never ends as if it had every job. A `next`
    // that names the same page or page 1 is not followed (the pages are asked for by number);
    // a later page that answers 404 is asked for again after page 1 (a transient one is cured
    // so), then fails the walk; pages without end, or a count that keeps growing, fail it
    // after at most ceil(count / 100) + 10 pages (twice that, at most, for a growing count).
    Row { spec: "next-stuck", always: ALL_OK, once: ALL_OK },
    Row { spec: "next-first", always: ALL_OK, once: ALL_OK },
    Row { spec: "404-page", always: all_fails(Cut::NotFound), once: ALL_OK },
    Row { spec: "endless", always: all_fails(Cut::Endless), once: ALL_OK },
    Row { spec: "growing-count", always: all_fails(Cut::Endless), once: ALL_OK },
];

/// The fault's kind, for checking that the table covers every fault the server knows: 5xx
/// statuses by their code, other faults by their variant.
fn family(fault: &Fault) -> String {
    match fault {
        Fault::ServerError { status, .. } => format!("server error {status}"),
        other => format!("{:?}", discriminant(other)),
    }
}

/// The fault names [`Fault::names`] lists whose kind no row of [`TABLE`] covers.
pub fn uncovered_faults() -> Vec<&'static str> {
    let covered: Vec<String> = TABLE.iter().map(|row| family(&row.fault())).collect();
    Fault::names()
        .iter()
        .copied()
        .filter(|name| {
            let fault = Fault::parse(name)
                .expect("the server's own names parse")
                .fault;
            !covered.contains(&family(&fault))
        })
        .collect()
}

/// Whether serving `fault` on `op`'s route changes anything (payload faults leave routes they
/// make no sense on alone, and the server does not count them there).
pub fn applies(fault: &Fault, op: Op) -> bool {
    match fault {
        Fault::CountAsString
        | Fault::ResultsMissing
        | Fault::ForeignNextLink
        | Fault::NextStuck
        | Fault::NextToFirst
        | Fault::EndlessPages
        | Fault::GrowingCount => matches!(op, Op::List | Op::All),
        // `list` asks for page 1 only.
        Fault::PageNotFound { .. } => op == Op::All,
        Fault::StatusAsNumber => op != Op::Data,
        Fault::HugeRow { .. } => op == Op::Data,
        _ => true,
    }
}

/// What one operation gave.
#[derive(Debug)]
pub enum Outcome {
    /// `get_job`.
    Get(Result<Job, Error>),
    /// `list_jobs`.
    List(Result<Page<JobSummary>, Error>),
    /// Every job over all pages.
    All(Vec<Result<JobSummary, Error>>),
    /// `wait_for_job`.
    Wait(Result<WaitOutcome, Error>),
    /// The raw rows, and the error that ended them.
    Data(Vec<String>, Option<Error>),
}

/// What the operations of a cell work on.
#[derive(Clone, Debug)]
pub struct Targets {
    /// The done job `get` and `wait` read.
    pub job: JobId,
    /// The done job whose output `data` streams (format 1).
    pub data_job: JobId,
}

/// Runs `op` on `subject`.
pub fn run(subject: &dyn Subject, op: Op, targets: &Targets) -> Outcome {
    match op {
        Op::Get => Outcome::Get(subject.get_job(&targets.job)),
        Op::List => Outcome::List(subject.list_jobs(&JobQuery::new().page_size(PAGE_SIZE))),
        Op::All => Outcome::All(subject.all_jobs(
            &JobQuery::new(),
            PagerOptions::default().page_size(PAGE_SIZE).concurrency(1),
        )),
        Op::Wait => Outcome::Wait(subject.wait_for_job(&targets.job, wait_options()).0),
        Op::Data => {
            let (rows, error) = subject.raw_rows(&targets.data_job, OutputFormatId(1));
            Outcome::Data(rows, error)
        }
    }
}

/// The healthy server's data for each operation, from its ground truth.
#[derive(Clone, Debug)]
pub struct Truth {
    /// The job object `get` and `wait` must return.
    pub job: Value,
    /// The first page `list` must return (a healthy run's, checked against the world).
    pub page: Value,
    /// Every job id in list order.
    pub all: Vec<String>,
    /// The rows of the data job, as compact JSON text.
    pub rows: Vec<String>,
    /// The redirect target's origin (where a foreign `next` link points).
    pub foreign_origin: String,
}

/// What a cell observed, reduced to what is judged.
enum Got {
    /// Data, in the comparable form of [`Truth`].
    Data(Value),
    /// The wait's deadline passed (`throttled` as the outcome said).
    TimedOut(Option<Duration>),
    /// An error, and the rows or jobs that came before it.
    Error(Error, Vec<String>),
    /// Something no correct client does (an error in the middle of a job walk, a wait that
    /// ended otherwise than done, ...).
    Nonsense(String),
}

fn reduce(outcome: Outcome) -> Got {
    let value = |v: Result<Value, serde_json::Error>| match v {
        Ok(v) => Got::Data(v),
        Err(e) => Got::Nonsense(format!("the result does not serialize: {e}")),
    };
    match outcome {
        Outcome::Get(Ok(job)) => value(serde_json::to_value(&job)),
        Outcome::List(Ok(page)) => value(serde_json::to_value(&page)),
        Outcome::Wait(Ok(WaitOutcome::Done(job))) => value(serde_json::to_value(&job)),
        Outcome::Wait(Ok(WaitOutcome::TimedOut { throttled, .. })) => Got::TimedOut(throttled),
        Outcome::Wait(Ok(other)) => Got::Nonsense(format!("the wait ended {other:?}")),
        Outcome::Get(Err(e)) | Outcome::List(Err(e)) | Outcome::Wait(Err(e)) => {
            Got::Error(e, Vec::new())
        }
        Outcome::All(results) => {
            let mut ids = Vec::new();
            let mut results = results.into_iter();
            for result in results.by_ref() {
                match result {
                    Ok(job) => ids.push(job.id.to_string()),
                    Err(error) => {
                        let after = results.count();
                        if after > 0 {
                            return Got::Nonsense(format!(
                                "{after} more results after the error {error}"
                            ));
                        }
                        return Got::Error(error, ids);
                    }
                }
            }
            Got::Data(Value::from(ids))
        }
        Outcome::Data(rows, None) => Got::Data(Value::from(rows)),
        Outcome::Data(rows, Some(error)) => Got::Error(error, rows),
    }
}

/// The label of a cell that passed, for the printed table.
fn label(got: &Got) -> String {
    match got {
        Got::Data(_) => "ok".to_owned(),
        Got::TimedOut(None) => "timed out".to_owned(),
        Got::TimedOut(Some(_)) => "throttled".to_owned(),
        Got::Nonsense(_) => "?".to_owned(),
        Got::Error(error, _) => format!("ERR {}", kind(error)),
    }
}

/// A short name for an error, for the table.
fn kind(error: &Error) -> String {
    match error {
        Error::RateLimited(_) => "429".to_owned(),
        Error::Api(api) => api.status.as_u16().to_string(),
        Error::Authentication(_) => "auth".to_owned(),
        Error::Permission(_) => "permission".to_owned(),
        Error::NotFound(_) => "not found".to_owned(),
        Error::Decode(_) => "decode".to_owned(),
        Error::TooLarge(_) => "too large".to_owned(),
        Error::Output(output) => match output.error {
            RowError::Truncated { .. } => "truncated".to_owned(),
            RowError::RowTooLarge { .. } => "row size".to_owned(),
            RowError::Syntax { .. } => "syntax".to_owned(),
            _ => "output".to_owned(),
        },
        Error::Transport(_)
            if error
                .timed_out()
                .is_some_and(|t| t.timeout == TimeoutKind::Deadline) =>
        {
            "deadline".to_owned()
        }
        Error::Transport(_) => "transport".to_owned(),
        Error::InvalidInput(_) => "input".to_owned(),
        Error::Incomplete(_) => "incomplete".to_owned(),
        _ => "other".to_owned(),
    }
}

/// Everything a cell is judged on.
#[derive(Debug)]
pub struct Observed {
    /// What the operation gave.
    pub outcome: Outcome,
    /// How long it took.
    pub elapsed: Duration,
    /// Responses the server faulted during the cell.
    pub faulted: u64,
    /// Requests that reached the redirect target during the cell.
    pub redirect_hits: u64,
    /// Whether the redirect target has ever seen the token.
    pub token_leaked: bool,
}

/// The verdict on one cell: `Ok(label)` when it passed, `Err(why)` when it did not.
#[derive(Debug, PartialEq, Eq)]
pub struct Verdict(pub Result<String, String>);

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Ok(label) => f.write_str(label),
            Err(_) => f.write_str("FAIL"),
        }
    }
}

/// The longest a cell may take.
pub const CELL_BOUND: Duration = Duration::from_secs(10);

/// Judges what `op` observed under `fault` (`None`: healthy) against `expect`.
pub fn judge(
    fault: Option<&Fault>,
    mode: Mode,
    op: Op,
    expect: Expect,
    observed: Observed,
    truth: &Truth,
) -> Verdict {
    let mut problems = Vec::new();
    if observed.elapsed > CELL_BOUND {
        problems.push(format!(
            "took {:?}, over the bound of {CELL_BOUND:?}",
            observed.elapsed
        ));
    }
    if observed.redirect_hits > 0 || observed.token_leaked {
        problems.push(format!(
            "{} request(s) went to another origin (token seen there: {})",
            observed.redirect_hits, observed.token_leaked
        ));
    }
    // The fault must have been served where it applies (else the cell proves nothing), and
    // nowhere else; a failing one-shot operation was faulted exactly once per attempt.
    let applies = fault.is_some_and(|fault| applies(fault, op));
    match (applies, expect.faulted_requests()) {
        (false, _) if observed.faulted > 0 => problems.push(format!(
            "the server faulted {} response(s) where the fault does not apply",
            observed.faulted
        )),
        (true, _) if observed.faulted == 0 => {
            problems.push("the fault was never served".to_owned())
        }
        (true, Some(n)) if op != Op::Wait && observed.faulted != u64::from(n) => {
            problems.push(format!(
                "the server faulted {} response(s), expected {n} (one per attempt)",
                observed.faulted
            ))
        }
        (true, None) if mode == Mode::Once && observed.faulted != 1 => problems.push(format!(
            "a fault served once was counted {} times",
            observed.faulted
        )),
        _ => {}
    }
    let got = reduce(observed.outcome);
    if let Err(why) = matches(fault, op, expect, &got, truth) {
        problems.push(why);
    }
    if problems.is_empty() {
        Verdict(Ok(label(&got)))
    } else {
        Verdict(Err(problems.join("; ")))
    }
}

/// The healthy data of `op`, as [`reduce`] shows it, given the fault served.
fn expected_data(fault: Option<&Fault>, op: Op, truth: &Truth) -> Value {
    match op {
        Op::Get | Op::Wait => truth.job.clone(),
        Op::List => {
            let mut page = truth.page.clone();
            if fault == Some(&Fault::ForeignNextLink) {
                // The same page, its `next` link moved to the other origin.
                if let Some(Value::String(next)) = page.get_mut("next") {
                    let path = next
                        .find("://")
                        .and_then(|i| next[i + 3..].find('/').map(|j| i + 3 + j))
                        .map_or("/", |start| &next[start..]);
                    *next = format!("{}{path}", truth.foreign_origin);
                }
            }
            // Page 1's `next` (to page 2) made to name page 1, or page 1 the DRF way; its count
            // one page larger.
            match fault {
                Some(Fault::NextStuck) => edit_next(&mut page, |n| n.replace("page=2", "page=1")),
                Some(Fault::NextToFirst) => edit_next(&mut page, |n| n.replace("page=2&", "")),
                Some(Fault::GrowingCount) => {
                    let count = page["count"].as_u64().unwrap_or(0);
                    page["count"] = Value::from(count + PAGE_SIZE);
                }
                _ => {}
            }
            page
        }
        Op::All => Value::from(truth.all.clone()),
        Op::Data => Value::from(truth.rows.clone()),
    }
}

/// Changes the `next` link of a page, when it has one.
fn edit_next(page: &mut Value, edit: impl FnOnce(&str) -> String) {
    if let Some(Value::String(next)) = page.get_mut("next") {
        *next = edit(next);
    }
}

/// Short text of a long value, for failure messages.
pub(crate) fn brief(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 300 {
        let cut = (0..=300)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}… ({} bytes)", &text[..cut], text.len())
    } else {
        text
    }
}

fn matches(
    fault: Option<&Fault>,
    op: Op,
    expect: Expect,
    got: &Got,
    truth: &Truth,
) -> Result<(), String> {
    let error = match (expect, got) {
        (_, Got::Nonsense(why)) => return Err(why.clone()),
        (Expect::Ok, Got::Data(value)) => {
            let want = expected_data(fault, op, truth);
            return if *value == want {
                Ok(())
            } else {
                Err(format!(
                    "expected the healthy data {}, got {}",
                    brief(&want),
                    brief(value)
                ))
            };
        }
        (Expect::TimedOut, Got::TimedOut(None)) => return Ok(()),
        (Expect::Throttled(secs), Got::TimedOut(Some(asked)))
            if *asked == Duration::from_secs(secs) =>
        {
            return Ok(());
        }
        (Expect::Ok | Expect::TimedOut | Expect::Throttled(_), Got::TimedOut(throttled)) => {
            return Err(format!(
                "expected {expect:?}, the wait timed out (throttled: {throttled:?})"
            ));
        }
        (_, Got::Error(error, before))
            if !matches!(expect, Expect::Ok | Expect::TimedOut | Expect::Throttled(_)) =>
        {
            check_before(op, expect.before(), before, truth)?;
            error
        }
        (_, Got::Data(value)) => {
            return Err(format!("expected {expect:?}, got data {}", brief(value)));
        }
        (_, Got::TimedOut(_)) => return Err(format!("expected {expect:?}, the wait timed out")),
        (_, Got::Error(error, _)) => {
            return Err(format!("expected {expect:?}, got the error {error:?}"));
        }
    };
    let wrong = || Err(format!("expected {expect:?}, got {error:?}"));
    match (expect, error) {
        (Expect::RateLimited(n), Error::RateLimited(api)) if api.attempts == n => Ok(()),
        (Expect::Status(status, n), Error::Api(api))
            if api.status.as_u16() == status && api.attempts == n =>
        {
            Ok(())
        }
        (Expect::Redirect, Error::Api(api))
            if api.status.is_redirection()
                && api.attempts == 1
                && api
                    .location
                    .as_deref()
                    .is_some_and(|l| l.starts_with(&truth.foreign_origin)) =>
        {
            Ok(())
        }
        (Expect::Transport(n, _), Error::Transport(failure))
            if failure.attempts == n
                && matches!(
                    failure.error.kind(),
                    TransportErrorKind::Io | TransportErrorKind::Connect
                ) =>
        {
            Ok(())
        }
        (Expect::Decode, Error::Decode(_)) => Ok(()),
        (Expect::Deadline, error)
            if error
                .timed_out()
                .is_some_and(|t| t.timeout == TimeoutKind::Deadline) =>
        {
            Ok(())
        }
        (Expect::Incomplete(cut), Error::Incomplete(incomplete)) => {
            let fits = matches!(
                (cut, incomplete.reason),
                (Cut::NotFound, Shortfall::PageNotFound)
                    | (Cut::Endless, Shortfall::TooManyPages { .. })
            );
            // A 404 leaves the count as announced, which the message gives (a growing count
            // does not).
            let says_count = cut != Cut::NotFound
                || error
                    .to_string()
                    .contains(&format!("of {} jobs", truth.all.len()));
            if fits && says_count { Ok(()) } else { wrong() }
        }
        (Expect::Output(fault, _), Error::Output(output)) => {
            let fits = match (fault, &output.error) {
                (RowFault::Any, _) => true,
                (RowFault::Truncated, RowError::Truncated { .. }) => true,
                (RowFault::TooLarge, RowError::RowTooLarge { limit, .. }) => {
                    *limit == MAX_ROW_BYTES
                }
                (RowFault::Syntax, RowError::Syntax { .. }) => true,
                _ => false,
            };
            if fits { Ok(()) } else { wrong() }
        }
        _ => wrong(),
    }
}

/// The rows (`data`) or jobs (`all`) before an error must each be the server's, in order, and
/// never all of them: partial data is not complete data.
fn check_before(op: Op, before: Before, got: &[String], truth: &Truth) -> Result<(), String> {
    let all: &[String] = match op {
        Op::Data => &truth.rows,
        Op::All => &truth.all,
        _ => return Ok(()),
    };
    let what = if op == Op::Data { "rows" } else { "jobs" };
    if got.len() > all.len() || got != &all[..got.len()] {
        return Err(format!(
            "the {} {what} before the error are not the server's first ones",
            got.len()
        ));
    }
    match before {
        Before::Nothing if !got.is_empty() => Err(format!(
            "expected no {what} before the error, got {}",
            got.len()
        )),
        Before::Part if got.is_empty() || got.len() >= all.len() => Err(format!(
            "expected some but not all {what} before the error, got {} of {}",
            got.len(),
            all.len()
        )),
        _ => Ok(()),
    }
}
