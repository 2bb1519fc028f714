//! `GET files/{id}/`: an uploaded file and where its parsing stands.

use http::{Method, Request, StatusCode};

use crate::config::ClientConfig;
use crate::error::{DecodeError, Error};
use crate::model::{FileId, UploadedFile};
use crate::ops::Operation;
use crate::request::{self, Auth};
use crate::response::{decode_json, excerpt};
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

    /// A file other than the one asked for is a decode error at `id`, never a result: an
    /// upload waited for must not be declared parsed on another file's status.
    fn parse_success(&self, status: StatusCode, body: &[u8]) -> Result<UploadedFile, Error> {
        let file: UploadedFile = decode_json(|| self.describe(), status, body)?;
        if file.id != self.id {
            return Err(Error::Decode(Box::new(DecodeError::new(
                self.describe(),
                status,
                "id".to_owned(),
                format!("the response is file {}, not the file asked for", file.id),
                excerpt(body, 0),
                None,
            ))));
        }
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_files_answer_is_an_error_not_a_result() {
        let op = GetFile::new(FileId(12));
        let file = op
            .parse_success(StatusCode::OK, br#"{"id": 12, "status": "ready"}"#)
            .unwrap();
        assert_eq!(file.id, FileId(12));
        let error = op
            .parse_success(StatusCode::OK, br#"{"id": 13, "status": "ready"}"#)
            .unwrap_err();
        let Error::Decode(decode) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(decode.path, "id");
        assert!(error.to_string().contains("file 13"), "{error}");
    }
}
