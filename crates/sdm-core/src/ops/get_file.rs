//! `GET files/{id}/`: an uploaded file and where its parsing stands.

use http::{Method, Request, StatusCode};

use crate::config::ClientConfig;
use crate::error::Error;
use crate::model::{FileId, UploadedFile};
use crate::ops::Operation;
use crate::request::{self, Auth};
use crate::response::decode_json;
use crate::transport::RequestBody;

/// Fetches one uploaded file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetFile {
    id: FileId,
}

impl GetFile {
    /// The operation for the file `id`.
    pub fn new(id: FileId) -> Self {
        Self { id }
    }
}

impl Operation for GetFile {
    type Output = UploadedFile;

    fn name(&self) -> &'static str {
        "get_file"
    }

    fn describe(&self) -> String {
        format!("get file {}", self.id)
    }

    fn request(&self, config: &ClientConfig) -> Result<Request<RequestBody>, Error> {
        let id = self.id.to_string();
        let url = config.base_url().endpoint(&["files", &id]);
        request::build(config, Method::GET, &url, Auth::Token, None)
    }

    fn parse_success(&self, status: StatusCode, body: &[u8]) -> Result<UploadedFile, Error> {
        decode_json(|| self.describe(), status, body)
    }
}
