//! The first-party transports as [`Subject`]s.

use std::time::Duration;

use futures_core::Stream;
use sdm_core::{
    ClientConfig, Error, Job, JobId, JobQuery, JobSummary, OutputFormatId, Page, PagerOptions,
    Password, Row, Token, WaitOptions, WaitOutcome,
};

use crate::Subject;

fn config(base_url: &str, token: Option<&str>) -> ClientConfig {
    let config = ClientConfig::new(base_url).expect("the fake server's base URL is valid");
    match token {
        Some(token) => config.with_token(token),
        None => config,
    }
}

/// Transport timeouts for subjects built from a whole [`ClientConfig`] (see [`ConnectWith`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Time allowed to connect.
    pub connect: Duration,
    /// Time allowed to wait for the response (and, on reqwest, for each read of the body).
    pub read: Duration,
    /// An overall bound on each request, body included (ureq only: its body reads have no
    /// per-read timeout, so this is what keeps a stalled body from hanging a test).
    pub overall: Duration,
}

/// Makes a subject from a whole client configuration (retry policy, rate limit, size limits,
/// token) and transport timeouts.
pub type ConnectWith = fn(config: ClientConfig, timeouts: Timeouts) -> Box<dyn Subject>;

/// The blocking client over ureq.
#[derive(Debug)]
pub struct Ureq(sdm_ureq::Client);

/// Connects a [`Ureq`] subject with this configuration and these timeouts.
pub fn ureq_with(config: ClientConfig, timeouts: Timeouts) -> Box<dyn Subject> {
    let transport = sdm_ureq::UreqTransport::builder()
        .connect_timeout(timeouts.connect)
        .read_timeout(timeouts.read)
        .timeout(timeouts.overall)
        .build();
    Box::new(Ureq(sdm_ureq::Client::with_transport(config, transport)))
}

/// Connects a [`Ureq`] subject.
pub fn ureq(base_url: &str, token: Option<&str>) -> Box<dyn Subject> {
    Box::new(Ureq(sdm_ureq::Client::with_transport(
        config(base_url, token),
        sdm_ureq::UreqTransport::new(),
    )))
}

impl Subject for Ureq {
    fn name(&self) -> &'static str {
        "ureq"
    }
    fn login(&self, email: &str, password: &Password, token_name: &str) -> Result<Token, Error> {
        self.0.login(email, password, token_name)
    }
    fn get_job(&self, id: &JobId) -> Result<Job, Error> {
        self.0.get_job(id)
    }
    fn list_jobs(&self, query: &JobQuery) -> Result<Page<JobSummary>, Error> {
        self.0.list_jobs(query)
    }
    fn job_data(&self, id: &JobId, format: OutputFormatId) -> Result<Vec<Row>, Error> {
        self.0.job_data(id, format)
    }
    fn all_jobs(&self, query: &JobQuery, options: PagerOptions) -> Vec<Result<JobSummary, Error>> {
        self.0.jobs(query, options).collect()
    }
    fn wait_for_job(
        &self,
        id: &JobId,
        options: WaitOptions,
    ) -> (Result<WaitOutcome, Error>, Vec<Job>) {
        let mut seen = Vec::new();
        let outcome = self
            .0
            .wait_for_job(id, options, |job| seen.push(job.clone()));
        (outcome, seen)
    }
    fn raw_rows(&self, id: &JobId, format: OutputFormatId) -> (Vec<String>, Option<Error>) {
        let mut rows = Vec::new();
        let mut reader = match self.0.job_rows(id, format) {
            Ok(reader) => reader,
            Err(error) => return (rows, Some(error)),
        };
        loop {
            match reader.next_raw() {
                Ok(Some(row)) => rows.push(row.to_owned()),
                Ok(None) => return (rows, None),
                Err(error) => return (rows, Some(error)),
            }
        }
    }
}

/// The async client over reqwest, driven on a tokio runtime of its own.
#[derive(Debug)]
pub struct Reqwest {
    client: sdm_reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

/// Connects a [`Reqwest`] subject.
pub fn reqwest(base_url: &str, token: Option<&str>) -> Box<dyn Subject> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    let client = sdm_reqwest::Client::with_transport(
        config(base_url, token),
        sdm_reqwest::ReqwestTransport::new(),
    );
    Box::new(Reqwest { client, runtime })
}

/// Connects a [`Reqwest`] subject with this configuration and these timeouts.
pub fn reqwest_with(config: ClientConfig, timeouts: Timeouts) -> Box<dyn Subject> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    let transport = sdm_reqwest::ReqwestTransport::builder()
        .connect_timeout(timeouts.connect)
        .read_timeout(timeouts.read)
        .build();
    let client = sdm_reqwest::Client::with_transport(config, transport);
    Box::new(Reqwest { client, runtime })
}

impl Subject for Reqwest {
    fn name(&self) -> &'static str {
        "reqwest"
    }
    fn login(&self, email: &str, password: &Password, token_name: &str) -> Result<Token, Error> {
        self.runtime
            .block_on(self.client.login(email, password, token_name))
    }
    fn get_job(&self, id: &JobId) -> Result<Job, Error> {
        self.runtime.block_on(self.client.get_job(id))
    }
    fn list_jobs(&self, query: &JobQuery) -> Result<Page<JobSummary>, Error> {
        self.runtime.block_on(self.client.list_jobs(query))
    }
    fn job_data(&self, id: &JobId, format: OutputFormatId) -> Result<Vec<Row>, Error> {
        self.runtime.block_on(self.client.job_data(id, format))
    }
    fn all_jobs(&self, query: &JobQuery, options: PagerOptions) -> Vec<Result<JobSummary, Error>> {
        self.runtime.block_on(async {
            let stream = self.client.jobs(query, options);
            let mut stream = std::pin::pin!(stream);
            let mut jobs = Vec::new();
            while let Some(job) = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
                jobs.push(job);
            }
            jobs
        })
    }
    fn wait_for_job(
        &self,
        id: &JobId,
        options: WaitOptions,
    ) -> (Result<WaitOutcome, Error>, Vec<Job>) {
        let mut seen = Vec::new();
        let outcome = self.runtime.block_on(
            self.client
                .wait_for_job(id, options, |job| seen.push(job.clone())),
        );
        (outcome, seen)
    }
    fn raw_rows(&self, id: &JobId, format: OutputFormatId) -> (Vec<String>, Option<Error>) {
        self.runtime.block_on(async {
            let mut rows = Vec::new();
            let mut reader = match self.client.job_rows(id, format).await {
                Ok(reader) => reader,
                Err(error) => return (rows, Some(error)),
            };
            loop {
                match reader.next_raw().await {
                    Ok(Some(row)) => rows.push(row.to_owned()),
                    Ok(None) => return (rows, None),
                    Err(error) => return (rows, Some(error)),
                }
            }
        })
    }
}
