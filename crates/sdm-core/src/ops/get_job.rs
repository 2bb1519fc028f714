//! `GET jobs/{job_id}/`: the status and details of one job.

use http::{Method, Request, StatusCode};

use crate::config::ClientConfig;
use crate::error::{DecodeError, Error};
use crate::model::{Job, JobId};
use crate::ops::Operation;
use crate::request::{self, Auth};
use crate::response::{decode_json, excerpt};
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

    /// A job other than the one asked for (a caching proxy, a routing bug) is a decode error
    /// at `id`, never a result: a caller waiting for this job must not read another's status.
    fn parse_success(&self, status: StatusCode, body: &[u8]) -> Result<Job, Error> {
        let job: Job = decode_json(|| self.describe(), status, body)?;
        if job.id != self.id {
            return Err(Error::Decode(Box::new(DecodeError::new(
                self.describe(),
                status,
                "id".to_owned(),
                format!("the response is job {}, not the job asked for", job.id),
                excerpt(body, 0),
                None,
            ))));
        }
        Ok(job)
    }
}
