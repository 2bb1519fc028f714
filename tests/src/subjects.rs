//! The first-party transports as [`Subject`]s.

use sdm_core::{
    ClientConfig, Error, Job, JobId, JobQuery, JobSummary, OutputFormatId, Page, Password, Row,
    Token,
};

use crate::Subject;

fn config(base_url: &str, token: Option<&str>) -> ClientConfig {
    let config = ClientConfig::new(base_url).expect("the fake server's base URL is valid");
    match token {
        Some(token) => config.with_token(token),
        None => config,
    }
}

/// The blocking client over ureq.
#[derive(Debug)]
pub struct Ureq(sdm_ureq::Client);

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
}
