//! `POST files/`: upload a supplier file (multipart, streamed from disk) or rows as JSON.

use std::path::Path;

use chrono::{DateTime, Utc};
use http::{Method, Request, StatusCode};
use serde::Serialize;

use crate::config::ClientConfig;
use crate::error::{Error, InvalidInput, Unconfirmed};
use crate::model::{Row, UploadedFile};
use crate::ops::Operation;
use crate::ops::multipart::{Multipart, random_boundary};
use crate::request::{self, Auth};
use crate::response::decode_json;
use crate::transport::RequestBody;

/// Uploads a file as `multipart/form-data`: the part `file` (with its name and a content type
/// from its extension) and, when set, the text part `skip_lines`.
///
/// The content is a [`RequestBody`]: a file from [`from_path`](Self::from_path) is streamed
/// from disk at each attempt, in constant memory, with a `Content-Length`.
///
/// ```
/// use sdm_core::{ClientConfig, ops::{Operation, UploadFile}, transport::RequestBody};
///
/// let config = ClientConfig::new("https://sdm.akeneo.cloud/api/v1/")?.with_token("my-token");
/// let op = UploadFile::new("offers.csv", RequestBody::from_bytes(&b"sku;name\n1;Shoe\n"[..]))
///     .skip_lines(0);
/// let request = op.request(&config)?;
/// assert_eq!(request.uri(), "https://sdm.akeneo.cloud/api/v1/files/");
/// assert!(request.headers()["content-type"].to_str()?.starts_with("multipart/form-data; boundary="));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct UploadFile {
    file_name: String,
    content_type: String,
    content: RequestBody,
    skip_lines: Option<u64>,
    boundary: String,
}

impl UploadFile {
    /// Uploads `content` under the name `file_name` (its extension chooses the content type).
    pub fn new(file_name: impl Into<String>, content: RequestBody) -> Self {
        let file_name = file_name.into();
        Self {
            content_type: content_type_for(&file_name).to_owned(),
            file_name,
            content,
            skip_lines: None,
            boundary: random_boundary(),
        }
    }

    /// Uploads the file at `path`, named after its last component. The file must exist and be
    /// a regular file; its length is taken now and checked again as it is sent.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let unreadable =
            |reason: String| InvalidInput::new("file", format!("{}: {reason}", path.display()));
        let metadata = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?;
        if !metadata.is_file() {
            return Err(unreadable("not a regular file".to_owned()).into());
        }
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .ok_or_else(|| unreadable("the path has no file name".to_owned()))?;
        // Opened here once so that an unreadable file is refused before anything is sent.
        std::fs::File::open(path).map_err(|e| unreadable(e.to_string()))?;
        let content = RequestBody::from_file(path).map_err(|e| unreadable(e.to_string()))?;
        Ok(Self::new(name, content))
    }

    /// Rows to skip before the header line (the `skip_lines` part).
    pub fn skip_lines(mut self, lines: u64) -> Self {
        self.skip_lines = Some(lines);
        self
    }

    /// Sends this content type for the file instead of the one its extension gives.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = content_type.into();
        self
    }

    /// Uses this multipart boundary instead of a random one (for reproducible requests in
    /// tests; it must not occur in the file).
    pub fn boundary(mut self, boundary: impl Into<String>) -> Self {
        self.boundary = boundary.into();
        self
    }

    /// The name the file is uploaded under.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// The content's length in bytes.
    pub fn len(&self) -> u64 {
        self.content.len()
    }

    /// True when the content is empty.
    pub fn is_empty(&self) -> bool {
        self.content.is_empty()
    }
}

/// The content type SDM expects for a supplier file, from its extension.
fn content_type_for(file_name: &str) -> &'static str {
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    match extension.as_deref() {
        Some("csv") => "text/csv",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("xml") => "application/xml",
        _ => "application/octet-stream",
    }
}

impl Operation for UploadFile {
    type Output = UploadedFile;

    fn name(&self) -> &'static str {
        "upload_file"
    }

    fn describe(&self) -> String {
        format!("upload file {:?}", self.file_name)
    }

    fn request(&self, config: &ClientConfig) -> Result<Request<RequestBody>, Error> {
        let mut form = Multipart::new(&self.boundary);
        if let Some(lines) = self.skip_lines {
            form = form.text("skip_lines", &lines.to_string());
        }
        let (content_type, body) = form
            .file(
                "file",
                &self.file_name,
                &self.content_type,
                self.content.clone(),
            )
            .finish();
        let url = config.base_url().endpoint(&["files"]);
        request::build_with_body(
            config,
            Method::POST,
            &url,
            Auth::Token,
            Some((&content_type, body)),
        )
    }

    fn parse_success(&self, status: StatusCode, body: &[u8]) -> Result<UploadedFile, Error> {
        decode_json(|| self.describe(), status, body)
    }

    fn unconfirmed(&self, error: Error, sent_at: DateTime<Utc>) -> Error {
        Unconfirmed::file(self.file_name.clone(), sent_at, error)
    }
}

/// Uploads rows held in memory as JSON, `{"data": [row, ...]}`: no file needed.
#[derive(Clone, Debug)]
pub struct UploadRows {
    body: RequestBody,
    rows: usize,
}

impl UploadRows {
    /// Uploads `rows` (column name → value each).
    pub fn new(rows: &[Row]) -> Self {
        #[derive(Serialize)]
        struct Data<'a> {
            data: &'a [Row],
        }
        let body =
            serde_json::to_vec(&Data { data: rows }).expect("rows of JSON values always serialize");
        Self {
            body: RequestBody::from_bytes(body),
            rows: rows.len(),
        }
    }
}

impl Operation for UploadRows {
    type Output = UploadedFile;

    fn name(&self) -> &'static str {
        "upload_rows"
    }

    fn describe(&self) -> String {
        format!("upload {} rows", self.rows)
    }

    fn request(&self, config: &ClientConfig) -> Result<Request<RequestBody>, Error> {
        let url = config.base_url().endpoint(&["files"]);
        request::build_with_body(
            config,
            Method::POST,
            &url,
            Auth::Token,
            Some(("application/json", self.body.clone())),
        )
    }

    fn parse_success(&self, status: StatusCode, body: &[u8]) -> Result<UploadedFile, Error> {
        decode_json(|| self.describe(), status, body)
    }

    fn unconfirmed(&self, error: Error, sent_at: DateTime<Utc>) -> Error {
        Unconfirmed::file(format!("{} rows", self.rows), sent_at, error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_come_from_the_extension() {
        assert_eq!(content_type_for("a.CSV"), "text/csv");
        assert_eq!(
            content_type_for("b.xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert_eq!(content_type_for("c.xml"), "application/xml");
        assert_eq!(content_type_for("d"), "application/octet-stream");
    }

    #[test]
    fn a_missing_or_odd_path_is_refused_before_anything_is_sent() {
        let missing = UploadFile::from_path("/nonexistent/sdm/file.csv").unwrap_err();
        assert!(matches!(missing, Error::InvalidInput(_)), "{missing}");
        let directory = UploadFile::from_path(std::env::temp_dir()).unwrap_err();
        assert!(
            directory.to_string().contains("not a regular file"),
            "{directory}"
        );
    }
}
