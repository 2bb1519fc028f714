//! `GET jobs/{job_id}/data/{output_format_id}/`: a job's output rows as one JSON array.

use http::{Method, Request, StatusCode};

use crate::config::ClientConfig;
use crate::decoder::RowDecoder;
use crate::error::{Error, OutputError};
use crate::model::{JobId, OutputFormatId, Row};
use crate::ops::Operation;
use crate::request::{self, Auth};
use crate::transport::RequestBody;

/// Fetches every output row of a done job, in one of its output formats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetJobData {
    job_id: JobId,
    output_format_id: OutputFormatId,
}

impl GetJobData {
    /// The operation for the output of `job_id` in `output_format_id`.
    pub fn new(job_id: JobId, output_format_id: OutputFormatId) -> Self {
        Self {
            job_id,
            output_format_id,
        }
    }
}

impl Operation for GetJobData {
    type Output = Vec<Row>;

    fn name(&self) -> &'static str {
        "get_job_data"
    }

    fn describe(&self) -> String {
        format!(
            "get data of job {} (output format {})",
            self.job_id, self.output_format_id
        )
    }

    fn request(&self, config: &ClientConfig) -> Result<Request<RequestBody>, Error> {
        let format = self.output_format_id.to_string();
        let url = config
            .base_url()
            .endpoint(&["jobs", self.job_id.as_str(), "data", &format]);
        request::build(config, Method::GET, &url, Auth::Token, None)
    }

    /// Reads a whole body already in memory; the clients stream it instead (`job_rows`).
    fn parse_success(&self, _status: StatusCode, body: &[u8]) -> Result<Vec<Row>, Error> {
        let output_error =
            |error| Error::Output(Box::new(OutputError::new(self.describe(), error)));
        let mut decoder = RowDecoder::new(usize::MAX);
        decoder.push(body);
        let mut rows = Vec::new();
        while let Some(row) = decoder.next_typed::<Row>().map_err(output_error)? {
            rows.push(row);
        }
        decoder.finish().map_err(output_error)?;
        Ok(rows)
    }
}
