//! A conformance kit for transports of the Akeneo Supplier Data Manager (SDM) client: the
//! scenarios and the fault matrix that `sdm-ureq` and `sdm-reqwest` pass, for any other
//! [`Transport`](sdm_core::transport::Transport) or [`AsyncTransport`](sdm_core::transport::AsyncTransport) to run
//! with a few lines.
//!
//! # Using the kit
//!
//! 1. Add the kit as a dev-dependency of the crate that holds your transport:
//!
//!    ```toml
//!    [dev-dependencies]
//!    sdm-conformance = "0.1"
//!    ```
//!
//! 2. In an integration test (`tests/conformance.rs`), write a `connect` function, a
//!    [`ConnectWith`]: it builds your transport with the [`Timeouts`] the kit asks for and
//!    wraps it, with the configuration the kit gives, in a [`Subject`] with [`blocking`] (for a
//!    `Transport`) or [`asynchronous`] (for an `AsyncTransport`, run on a tokio runtime of the
//!    subject's own).
//!
//! 3. Call [`conformance_tests!`] with it. That is the whole file:
//!
//!    ```
//!    use sdm_conformance::{Subject, Timeouts};
//!    use sdm_core::ClientConfig;
//!    # use std::time::Duration;
//!    # struct MyTransport;
//!    # impl MyTransport {
//!    #     fn new(_connect: Duration, _read: Duration) -> Self { MyTransport }
//!    # }
//!    # impl sdm_core::transport::Transport for MyTransport {
//!    #     fn send(
//!    #         &self,
//!    #         _: sdm_core::http::Request<sdm_core::transport::RequestBody>,
//!    #     ) -> Result<sdm_core::http::Response<sdm_core::transport::BlockingBody>, sdm_core::TransportError> {
//!    #         unimplemented!()
//!    #     }
//!    # }
//!
//!    fn connect(config: ClientConfig, timeouts: Timeouts) -> Box<dyn Subject> {
//!        let transport = MyTransport::new(timeouts.connect, timeouts.read);
//!        sdm_conformance::blocking("my-transport", config, transport)
//!    }
//!
//!    sdm_conformance::conformance_tests!(connect);
//!    # fn main() {}
//!    ```
//!
//! `cargo test --test conformance` then runs one test per scenario, named after it, and one
//! `fault_matrix` test (`-- --nocapture` prints the matrix's table). A failure names the
//! transport, the scenario or cell, what was expected and what happened.
//!
//! # What it checks
//!
//! Everything runs against [`sdm_mock::MockServer`], the embedded fake server, on loopback over
//! plain HTTP/1.x; results are compared with the server's ground truth (the jobs and rows it
//! generated), never with values written into the tests.
//!
//! - **The scenarios** ([`scenarios()`], one `#[test]` each, each under a wall-time bound of
//!   [`SCENARIO_BOUND`], so that a transport that hangs fails instead of hanging the run):
//!   logging in, getting a job (every field, kept exactly as sent), listing pages and their
//!   filters, job output rows (collected and streamed, 100,000 of them), walking every page
//!   sequentially and concurrently (also under the server's fair-use limit, and while jobs are
//!   being created), waiting for jobs that finish, fail or need action, and the typed errors of
//!   refused logins, wrong tokens, unknown jobs and a server that is not there
//!   (`TransportErrorKind::Connect`). And what a transport is most tempted to get wrong: its
//!   timeouts honoured (a response that does not start and a body that stops arriving end in
//!   `TransportErrorKind::Timeout` soon after the read timeout the kit asks for), a request's
//!   `transport::Deadline` honoured (a call with a deadline ends soon after it, though the
//!   transport's own timeouts are far off), every TLS
//!   failure reported as `TransportErrorKind::Tls` and never retried (against a loopback
//!   server that answers a TLS handshake in plain HTTP), and a body cut short, whatever its
//!   framing, reported as `TransportErrorKind::Io`, never as a complete body. Bodies stream
//!   both ways: a 64 MiB upload and a 64 MiB download pass through a server of the kit's own
//!   that lets neither side run more than 16 MiB ahead of the other, so a transport that holds
//!   a whole body in memory cannot finish (an event, not a timer, holds each side back); an
//!   upload refused with a 429 is sent again byte for byte, and a create whose connection
//!   dropped after the server acted on it is reported as unconfirmed, never sent twice.
//! - **The fault matrix** ([`run_fault_matrix`]): every fault the server can serve (latency, a
//!   slow body, 429, 5xx pages, connections dropped before the response or in the middle of
//!   the body, truncated, malformed and oddly typed bodies, a huge row, a redirect and a `next`
//!   link to another origin), served on every request or only the first, under each of five
//!   operations (`get`, `list`, every page, `wait`, streamed rows). Each cell must give the
//!   one outcome written down in [`faults::TABLE`]: exactly the healthy data, or one typed
//!   error after the expected number of attempts (retried when a retry can help, never
//!   otherwise), within [`faults::CELL_BOUND`], without a panic, without partial data passing
//!   as complete, and without any request reaching another origin. Three more rows run under
//!   a client deadline of [`faults::DEADLINE`] ([`faults::DEADLINE_TABLE`]): a `429` with
//!   `Retry-After: 30`, a server that accepts and never answers, and a body dripping 1 byte/s.
//!   Each call must end with the deadline's error (`TimeoutKind::Deadline`; a wait: timed out,
//!   and throttled with the 30 s asked for) within [`faults::DEADLINE_SLACK`] of it.
//!
//! What the transport must do to pass (the contract of
//! [`Transport::send`](sdm_core::transport::Transport::send)): send the request as given, follow no
//! redirect, return error statuses as responses, report a connection that could not be made as
//! `TransportErrorKind::Connect`, a TLS failure of any kind (a certificate that does not
//! verify, a failed handshake, a server that does not speak TLS; and an `https` URL, for a
//! transport without TLS) as `Tls`, one that broke as `Io` (a body that ends before its
//! `Content-Length` or its last chunk is an error, not a short body), and a wait longer than
//! its timeouts as `Timeout`. The generic clients do the rest.
//!
//! # Running one scenario
//!
//! [`run_scenario`] runs one scenario by name and returns what went wrong instead of
//! panicking: the way to check that a scenario catches a transport that is broken on purpose
//! (the kit's own tests do that for each of the checks above).

#![deny(missing_docs)]

mod bounded;
pub mod faults;
mod matrix;
mod paced;
pub mod scenarios;
mod subjects;

use std::time::Duration;

use sdm_core::{
    CreateJob, DownloadInfo, Error, Job, JobId, JobQuery, JobSummary, OutputFormatId, Page,
    PagerOptions, Password, Row, Token, UploadFile, UploadedFile, WaitOptions, WaitOutcome,
};

pub use matrix::{MatrixReport, TransportTotals, run_fault_matrix};
pub use subjects::{ConnectWith, Timeouts, asynchronous, blocking, connect_to, default_config};

/// A client under test: the operations of the API, run to completion.
///
/// The kit makes subjects with [`blocking`] and [`asynchronous`], which drive
/// `sdm_core::BlockingClient` and `sdm_core::AsyncClient` over the transport under test; an
/// implementation of its own is rarely needed.
pub trait Subject {
    /// Which transport this is, for failure messages and the matrix's columns.
    fn name(&self) -> &'static str;
    /// `POST auth/token/`.
    fn login(&self, email: &str, password: &Password, token_name: &str) -> Result<Token, Error>;
    /// `GET jobs/{id}/`.
    fn get_job(&self, id: &JobId) -> Result<Job, Error>;
    /// `GET jobs/?…`, one page.
    fn list_jobs(&self, query: &JobQuery) -> Result<Page<JobSummary>, Error>;
    /// `GET jobs/{id}/data/{format}/`, every row.
    fn job_data(&self, id: &JobId, format: OutputFormatId) -> Result<Vec<Row>, Error>;
    /// Every job over all pages, as the client's iterator or stream yields them.
    fn all_jobs(&self, query: &JobQuery, options: PagerOptions) -> Vec<Result<JobSummary, Error>>;
    /// Waits for a job; also returns the jobs the change callback saw.
    fn wait_for_job(
        &self,
        id: &JobId,
        options: WaitOptions,
    ) -> (Result<WaitOutcome, Error>, Vec<Job>);
    /// Streams a job's output: each row's JSON text, then the error that ended it, if any.
    fn raw_rows(&self, id: &JobId, format: OutputFormatId) -> (Vec<String>, Option<Error>);
    /// `POST files/`: the upload, its body streamed from its source.
    fn upload_file(&self, upload: &UploadFile) -> Result<UploadedFile, Error>;
    /// `POST jobs/`.
    fn create_job(&self, job: &CreateJob) -> Result<Job, Error>;
    /// `GET jobs/{id}/download/{format}/`: each piece of the file is handed to `on_chunk` as
    /// it arrives, then what the headers said is returned.
    fn download(
        &self,
        id: &JobId,
        format: OutputFormatId,
        on_chunk: &mut dyn FnMut(&[u8]),
    ) -> Result<DownloadInfo, Error>;
}

/// A scenario: it starts its own fake server, connects with the function it is given and
/// panics when the transport does not conform.
pub type Scenario = fn(ConnectWith);

/// Every scenario of [`scenarios`](mod@scenarios), by name, in the order
/// [`conformance_tests!`] runs them (the macro's list, the one place their names are written).
pub fn scenarios() -> &'static [(&'static str, Scenario)] {
    conformance_tests!(@scenarios table ())
}

/// The longest a scenario may take, on a slow machine too; a scenario that has not ended by
/// then fails (see [`run_scenario`]).
pub const SCENARIO_BOUND: Duration = Duration::from_secs(120);

/// Runs the scenario called `name` on the transport `connect` makes, on a thread of its own:
/// `Ok(())` when the transport conforms, else what went wrong (the scenario's failure message,
/// or that it did not end within [`SCENARIO_BOUND`]). An unknown name is an error too.
pub fn run_scenario(name: &str, connect: ConnectWith) -> Result<(), String> {
    let &(_, scenario) = scenarios()
        .iter()
        .find(|&&(known, _)| known == name)
        .ok_or_else(|| format!("no scenario is called {name:?}"))?;
    bounded::bounded(SCENARIO_BOUND, move || scenario(connect))
        .map_err(|why| format!("{name}: {why}"))
}

/// Expands to the whole conformance suite for one transport: one `#[test]` per scenario of
/// [`scenarios()`], named after it, and `#[test] fn fault_matrix()`, which runs
/// [`run_fault_matrix`] on the transport, prints the table and asserts that every cell passed.
///
/// The argument is a [`ConnectWith`]: a function (or a closure capturing nothing) that makes a
/// [`Subject`] from a `ClientConfig` and [`Timeouts`]. Call it once per module (for several
/// transports in one file, one module each):
///
/// ```
/// # use sdm_conformance::{Subject, Timeouts};
/// # use sdm_core::ClientConfig;
/// # fn fake(_: sdm_core::http::Request<Vec<u8>>)
/// #     -> Result<sdm_core::http::Response<Vec<u8>>, sdm_core::TransportError> { unimplemented!() }
/// mod blocking_fake {
///     use super::*;
///     fn connect(config: ClientConfig, _: Timeouts) -> Box<dyn Subject> {
///         sdm_conformance::blocking("fake", config, sdm_core::transport::transport_fn(fake))
///     }
///     sdm_conformance::conformance_tests!(connect);
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! conformance_tests {
    // The scenarios' names, written once: each is a function of `scenarios`. They are handed
    // to the arm `@$then` with `$args`: `tests` (the test functions) or `table` (the list of
    // `scenarios()`).
    (@scenarios $then:ident $args:tt) => {
        $crate::conformance_tests! {@$then $args [
            login_returns_a_working_token,
            login_with_a_wrong_password_is_refused,
            get_job_returns_every_field_the_server_sent,
            get_unknown_job_is_not_found,
            wrong_token_is_an_authentication_error,
            list_first_page,
            list_every_page_by_number,
            list_page_size_is_capped_by_the_server,
            list_filters,
            job_data_matches_the_server,
            job_data_errors,
            connection_refused_is_a_connect_error,
            all_pages_yield_every_job_once,
            all_pages_with_filters_and_a_limit,
            streamed_rows_are_the_servers_rows,
            all_pages_under_the_fair_use_limit,
            jobs_created_during_a_walk,
            waiting_for_jobs_that_finish_fail_or_need_action,
            a_large_output_streams_completely,
            a_response_that_does_not_start_times_out,
            a_body_that_stops_arriving_times_out,
            a_deadline_bounds_a_request_that_does_not_start,
            a_tls_failure_is_a_tls_error_never_retried,
            a_body_cut_short_is_an_io_error,
            a_large_upload_streams_its_body,
            a_large_download_streams_its_body,
            an_upload_throttled_is_sent_again_byte_for_byte,
            creates_are_not_sent_again_after_the_connection_dropped,
        ]}
    };
    (@tests ($connect:expr) [$($scenario:ident,)*]) => {
        $(
            #[test]
            fn $scenario() {
                $crate::__private::scenario_test(stringify!($scenario), $connect);
            }
        )*

        #[test]
        fn fault_matrix() {
            $crate::__private::fault_matrix_test($connect);
        }
    };
    (@table () [$($scenario:ident,)*]) => {
        &[$((stringify!($scenario), $crate::scenarios::$scenario as $crate::Scenario),)*]
    };
    ($connect:expr $(,)?) => {
        $crate::conformance_tests! {@scenarios tests ($connect)}
    };
}

/// What [`conformance_tests!`] expands to calls; not a public API.
#[doc(hidden)]
pub mod __private {
    use crate::{ConnectWith, connect_to, run_fault_matrix, run_scenario};

    /// A scenario's test: the scenario under its bound, its failure as the test's panic.
    #[track_caller]
    pub fn scenario_test(name: &str, connect: ConnectWith) {
        if let Err(why) = run_scenario(name, connect) {
            panic!("{why}");
        }
    }

    /// The `fault_matrix` test: the matrix on one transport, named as its subjects name
    /// themselves, printed, and asserted.
    pub fn fault_matrix_test(connect: ConnectWith) {
        // A subject is only made to learn the transport's name: nothing listens there.
        let name = connect_to(connect, "http://127.0.0.1:9/api/v1/", None).name();
        let report = run_fault_matrix(&[(name, connect)]);
        println!("\n{report}");
        report.assert_all_passed();
    }
}

#[cfg(test)]
mod tests {
    use super::{run_scenario, scenarios};

    /// A scenario written in `scenarios.rs` but missing from the macro's list would never run.
    #[test]
    fn every_scenario_is_listed() {
        let source = include_str!("scenarios.rs");
        let defined: Vec<&str> = source
            .lines()
            .filter_map(|line| line.strip_prefix("pub fn "))
            .filter_map(|rest| rest.strip_suffix("(connect: ConnectWith) {"))
            .collect();
        let listed: Vec<&str> = scenarios().iter().map(|&(name, _)| name).collect();
        assert_eq!(defined, listed);
    }

    #[test]
    fn an_unknown_scenario_is_an_error() {
        fn unused(_: sdm_core::ClientConfig, _: crate::Timeouts) -> Box<dyn crate::Subject> {
            unreachable!("no scenario runs")
        }
        assert_eq!(
            run_scenario("no_such_scenario", unused),
            Err("no scenario is called \"no_such_scenario\"".to_owned())
        );
    }
}
