//! `GET jobs/{job_id}/download/{output_format_id}/`: a done job's output file.

use http::{Method, Request, StatusCode};

use crate::config::ClientConfig;
use crate::error::Error;
use crate::model::{JobId, OutputFormatId};
use crate::ops::Operation;
use crate::request::{self, Auth};
use crate::transport::RequestBody;

/// Downloads a job's output file (CSV or Excel, as the output format says).
///
/// The clients stream the body to the caller ([`BlockingClient::download`]); executed as a
/// whole-document operation it yields the bytes, under the document size limit.
///
/// [`BlockingClient::download`]: crate::BlockingClient::download
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadJobFile {
    id: JobId,
    output_format_id: OutputFormatId,
}

impl DownloadJobFile {
    /// The operation for job `id`'s file in the format `output_format_id`.
    pub fn new(id: JobId, output_format_id: OutputFormatId) -> Self {
        Self {
            id,
            output_format_id,
        }
    }
}

impl Operation for DownloadJobFile {
    type Output = Vec<u8>;

    fn name(&self) -> &'static str {
        "download_job_file"
    }

    fn describe(&self) -> String {
        format!(
            "download job {} file (format {})",
            self.id, self.output_format_id
        )
    }

    fn request(&self, config: &ClientConfig) -> Result<Request<RequestBody>, Error> {
        let format = self.output_format_id.to_string();
        let url = config
            .base_url()
            .endpoint(&["jobs", self.id.as_str(), "download", &format]);
        let mut request = request::build(config, Method::GET, &url, Auth::Token, None)?;
        // A file, not JSON: any type the output format has.
        request
            .headers_mut()
            .insert(http::header::ACCEPT, http::HeaderValue::from_static("*/*"));
        Ok(request)
    }

    fn parse_success(&self, _status: StatusCode, body: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(body.to_vec())
    }
}
