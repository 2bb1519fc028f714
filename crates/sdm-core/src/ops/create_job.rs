//! `POST jobs/`: create a job from a parsed file on a project.

use chrono::{DateTime, Utc};
use http::{Method, Request, StatusCode};
use serde::Serialize;

use crate::config::ClientConfig;
use crate::error::{Error, Unconfirmed};
use crate::model::{FileId, Job, ProjectId};
use crate::ops::Operation;
use crate::request::{self, Auth};
use crate::response::decode_json;
use crate::transport::RequestBody;

/// Creates a job: `{"file_id", "name", "project", "model_version"}`.
///
/// A create is not idempotent: the clients send it again only where the server cannot have
/// acted on it (a 429, a connection that failed before the request was written).
///
/// ```
/// use sdm_core::{ClientConfig, FileId, ProjectId, ops::{CreateJob, Operation}};
///
/// let config = ClientConfig::new("https://sdm.akeneo.cloud/api/v1/")?.with_token("my-token");
/// let op = CreateJob::new(FileId(12), ProjectId(3), "Offers of week 48");
/// let request = op.request(&config)?;
/// assert_eq!(
///     request.body().as_bytes(),
///     Some(&br#"{"file_id":12,"name":"Offers of week 48","project":3,"model_version":0}"#[..])
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreateJob {
    file_id: FileId,
    name: String,
    project: ProjectId,
    model_version: u64,
}

impl CreateJob {
    /// A job named `name` on `project`, from the parsed file `file_id` (model version 0, as the
    /// documentation's example sends).
    pub fn new(file_id: FileId, project: ProjectId, name: impl Into<String>) -> Self {
        Self {
            file_id,
            name: name.into(),
            project,
            model_version: 0,
        }
    }

    /// The `model_version` to send (its meaning is not documented).
    pub fn model_version(mut self, version: u64) -> Self {
        self.model_version = version;
        self
    }
}

impl Operation for CreateJob {
    type Output = Job;

    fn name(&self) -> &'static str {
        "create_job"
    }

    fn describe(&self) -> String {
        format!(
            "create job {:?} on project {} from file {}",
            self.name, self.project, self.file_id
        )
    }

    fn request(&self, config: &ClientConfig) -> Result<Request<RequestBody>, Error> {
        let body = serde_json::to_vec(self).expect("a job request always serializes");
        let url = config.base_url().endpoint(&["jobs"]);
        request::build(config, Method::POST, &url, Auth::Token, Some(body))
    }

    fn parse_success(&self, status: StatusCode, body: &[u8]) -> Result<Job, Error> {
        decode_json(|| self.describe(), status, body)
    }

    fn unconfirmed(&self, error: Error, sent_at: DateTime<Utc>) -> Error {
        Unconfirmed::job(self.name.clone(), self.project, sent_at, error)
    }
}
