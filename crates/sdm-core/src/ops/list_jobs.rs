//! `GET jobs/`: one page of the organization's jobs, with filters.

use chrono::{DateTime, SecondsFormat, Utc};
use http::{Method, Request, StatusCode, Uri};

use crate::base_url;
use crate::config::ClientConfig;
use crate::error::{Error, InvalidInput};
use crate::model::{JobStatus, JobSummary, Page, ProjectId};
use crate::ops::Operation;
use crate::ops::projects::page_pairs;
use crate::request::{self, Auth};
use crate::response::decode_json;
use crate::transport::RequestBody;

/// Which jobs to list, and which page of them.
///
/// ```
/// use sdm_core::{JobQuery, JobStatus};
/// let query = JobQuery::new().status(JobStatus::Done).project(3).page_size(100);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobQuery {
    /// Only jobs with this status.
    pub status: Option<JobStatus>,
    /// Only jobs of this project.
    pub project: Option<ProjectId>,
    /// Only jobs created at or after this time.
    pub created_after: Option<DateTime<Utc>>,
    /// Only jobs created before this time.
    pub created_before: Option<DateTime<Utc>>,
    /// The page to fetch, from 1 (server default: 1).
    pub page: Option<u64>,
    /// Jobs per page (server default: 25; servers cap large values silently).
    pub page_size: Option<u64>,
}

impl JobQuery {
    /// All jobs, first page, server's page size.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only jobs with this status.
    pub fn status(mut self, status: JobStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only jobs of this project.
    pub fn project(mut self, project: impl Into<ProjectId>) -> Self {
        self.project = Some(project.into());
        self
    }

    /// Only jobs created at or after `time`.
    pub fn created_after(mut self, time: DateTime<Utc>) -> Self {
        self.created_after = Some(time);
        self
    }

    /// Only jobs created before `time`.
    pub fn created_before(mut self, time: DateTime<Utc>) -> Self {
        self.created_before = Some(time);
        self
    }

    /// The page to fetch, from 1.
    pub fn page(mut self, page: u64) -> Self {
        self.page = Some(page);
        self
    }

    /// Jobs per page.
    pub fn page_size(mut self, page_size: u64) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// The query string pairs, in a fixed order.
    fn pairs(&self) -> Result<Vec<(&'static str, String)>, InvalidInput> {
        let time = |t: &DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        let mut pairs = Vec::new();
        if let Some(status) = &self.status {
            pairs.push(("status", status.as_str().to_owned()));
        }
        if let Some(project) = self.project {
            pairs.push(("project", project.to_string()));
        }
        if let Some(t) = &self.created_after {
            pairs.push(("created_after", time(t)));
        }
        if let Some(t) = &self.created_before {
            pairs.push(("created_before", time(t)));
        }
        pairs.extend(page_pairs(self.page, self.page_size)?);
        Ok(pairs)
    }
}

/// Fetches one page of jobs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListJobs {
    query: JobQuery,
    /// A `next` link from the server to fetch instead of building the URL from the query.
    next: Option<Uri>,
}

impl ListJobs {
    /// The operation for `query`.
    pub fn new(query: JobQuery) -> Self {
        Self { query, next: None }
    }

    /// The page a previous response's `next` link points at. `page` is its number, for messages.
    ///
    /// The request is refused (before anything is sent) unless the link is on the base URL's
    /// origin: the token must never go to another host.
    pub fn next_link(next: Uri, page: u64) -> Self {
        Self {
            query: JobQuery::new().page(page),
            next: Some(next),
        }
    }
}

impl Operation for ListJobs {
    type Output = Page<JobSummary>;

    fn name(&self) -> &'static str {
        "list_jobs"
    }

    fn describe(&self) -> String {
        match self.query.page {
            Some(page) => format!("list jobs (page {page})"),
            None => "list jobs".to_owned(),
        }
    }

    fn request(&self, config: &ClientConfig) -> Result<Request<RequestBody>, Error> {
        if let Some(next) = &self.next {
            return request::build_next_link(config, next);
        }
        let pairs = self.query.pairs()?;
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let url = base_url::endpoint_with_query(config.base_url(), &["jobs"], &pairs);
        request::build(config, Method::GET, &url, Auth::Token, None)
    }

    fn parse_success(&self, status: StatusCode, body: &[u8]) -> Result<Page<JobSummary>, Error> {
        decode_json(|| self.describe(), status, body)
    }
}
