//! The API operations. Each is a value with two halves: build the request, parse the response.
//!
//! Nothing here performs IO: drive an operation by hand with any HTTP library, or let a client
//! ([`BlockingClient`](crate::BlockingClient), [`AsyncClient`](crate::AsyncClient)) do it.
//!
//! ```
//! use sdm_core::{ClientConfig, JobId, ops::{GetJob, Operation}};
//!
//! let config = ClientConfig::new("https://sdm.akeneo.cloud/api/v1/")?.with_token("my-token");
//! let op = GetJob::new(JobId::parse("9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b")?);
//! let request = op.request(&config)?;
//! assert_eq!(request.uri(), "https://sdm.akeneo.cloud/api/v1/jobs/9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b/");
//!
//! // ... send it with any HTTP library, then:
//! let response = http::Response::builder()
//!     .status(200)
//!     .body(br#"{"id": "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b", "status": "done"}"#.to_vec())?;
//! let job = op.parse(&response)?;
//! assert!(job.status.is_terminal());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod create_job;
mod create_token;
mod download;
mod get_file;
mod get_job;
mod job_data;
mod list_jobs;
mod multipart;
mod projects;
mod upload_file;

pub use create_job::CreateJob;
pub use create_token::CreateToken;
pub use download::DownloadJobFile;
pub use get_file::GetFile;
pub use get_job::GetJob;
pub use job_data::GetJobData;
pub use list_jobs::{JobQuery, ListJobs};
pub use projects::{GetProject, ListProjects, ProjectQuery};
pub use upload_file::{UploadFile, UploadRows};

use http::{Request, Response, StatusCode};

use crate::config::ClientConfig;
use crate::error::Error;
use crate::response::error_for_status;
use crate::transport::RequestBody;

/// One API operation: how to ask, and how to read the answer.
pub trait Operation {
    /// What a successful response yields.
    type Output;

    /// What this operation does, for error messages and logs (`get job 9f1c…`).
    fn describe(&self) -> String;

    /// A stable name for the kind of operation, for metrics and hooks (`get_job`); an
    /// operation of your own may keep the default.
    fn name(&self) -> &'static str {
        "custom"
    }

    /// The request to send.
    fn request(&self, config: &ClientConfig) -> Result<Request<RequestBody>, Error>;

    /// Reads a success (2xx) body.
    fn parse_success(&self, status: StatusCode, body: &[u8]) -> Result<Self::Output, Error>;

    /// Refines the typed error of a non-success response where this endpoint gives a status a
    /// meaning of its own (token creation answers wrong credentials with a 400). The default
    /// keeps the error as it is.
    fn refine_error(&self, error: Error) -> Error {
        error
    }

    /// For an operation that creates something (a `POST`): the error to report when the
    /// request failed in a way that leaves unknown whether the server acted on it (a timeout,
    /// a connection lost after the request went out, a 5xx, an unreadable success), sent at
    /// `sent_at`. Creating operations wrap it in [`Error::Unconfirmed`] saying how to check;
    /// the default keeps it as it is.
    fn unconfirmed(&self, error: Error, sent_at: chrono::DateTime<chrono::Utc>) -> Error {
        let _ = sent_at;
        error
    }

    /// Reads any response: a typed error for a non-success status, the output otherwise.
    fn parse<B: AsRef<[u8]>>(&self, response: &Response<B>) -> Result<Self::Output, Error> {
        let body = response.body().as_ref();
        if !response.status().is_success() {
            return Err(self.refine_error(error_for_status(
                self.describe(),
                response.status(),
                response.headers(),
                body,
            )));
        }
        self.parse_success(response.status(), body)
    }
}
