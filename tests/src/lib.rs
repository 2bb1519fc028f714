//! The conformance suite: one set of scenarios, run against every transport on the fake server.
//!
//! A [`Subject`] is a client under test, seen as plain blocking calls so the same scenario code
//! drives the blocking client directly and the async client through a runtime. Each scenario
//! starts from a [`sdm_mock::MockServer`] and checks results against the server's ground truth
//! ([`sdm_mock::World`]), not against values written into the test.

pub mod scenarios;
pub mod subjects;

use sdm_core::{
    Error, Job, JobId, JobQuery, JobSummary, OutputFormatId, Page, Password, Row, Token,
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
}

/// Makes a subject for a base URL and an optional token.
pub type Connect = fn(base_url: &str, token: Option<&str>) -> Box<dyn Subject>;

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
