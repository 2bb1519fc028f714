//! The conformance suite: one set of scenarios, run against every transport on the fake server.
//!
//! A [`Subject`] is a client under test, seen as plain blocking calls so the same scenario code
//! drives the blocking client directly and the async client through a runtime. Each scenario
//! starts from a [`sdm_mock::MockServer`] and checks results against the server's ground truth
//! ([`sdm_mock::World`]), not against values written into the test.

pub mod faults;
pub mod scenarios;
pub mod subjects;

use sdm_core::{
    Error, Job, JobId, JobQuery, JobSummary, OutputFormatId, Page, PagerOptions, Password, Row,
    Token, WaitOptions, WaitOutcome,
};

/// A client under test: the operations of the API, run to completion.
pub trait Subject {
    /// Which transport this is, for failure messages.
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
}

/// Makes a subject for a base URL and an optional token.
pub type Connect = fn(base_url: &str, token: Option<&str>) -> Box<dyn Subject>;

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
