//! `GET jobs/{job_id}/`: the status and details of one job.

use http::{Method, Request, StatusCode};

use crate::config::ClientConfig;
use crate::error::Error;
use crate::model::{Job, JobId};
use crate::ops::Operation;
use crate::request::{self, Auth};
use crate::response::decode_json;
use crate::transport::RequestBody;

/// Fetches one job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetJob {
    id: JobId,
}

impl GetJob {
    /// The operation for the job `id`.
    pub fn new(id: JobId) -> Self {
        Self { id }
    }
}

impl Operation for GetJob {
    type Output = Job;

    fn name(&self) -> &'static str {
        "get_job"
    }

    fn describe(&self) -> String {
        format!("get job {}", self.id)
    }

    fn request(&self, config: &ClientConfig) -> Result<Request<RequestBody>, Error> {
        let url = config.base_url().endpoint(&["jobs", self.id.as_str()]);
        request::build(config, Method::GET, &url, Auth::Token, None)
    }

    fn parse_success(&self, status: StatusCode, body: &[u8]) -> Result<Job, Error> {
        decode_json(|| self.describe(), status, body)
    }
}
