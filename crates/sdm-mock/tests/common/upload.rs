//! Requests of the import flow: multipart bodies with a fixed boundary, authenticated POSTs,
//! and waiting-free helpers around uploads and created jobs.

use sdm_mock::MockServer;
use serde_json::Value;

use super::{Resp, request};

/// The boundary of every multipart body the tests build.
pub const BOUNDARY: &str = "sdm-test-boundary-7f3a";

/// The `Content-Type` of those bodies.
pub fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// A part of a multipart body.
pub enum Part<'a> {
    /// A file part `file` with a file name.
    File(&'a str, &'a [u8]),
    /// A text part.
    Text(&'a str, &'a str),
}

/// A multipart body of `parts`.
pub fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::File(filename, content) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(content);
            }
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}")
                        .as_bytes(),
                );
            }
        }
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// An authenticated POST of `body` with `content_type` (none if `None`).
pub fn post(server: &MockServer, relative: &str, content_type: Option<&str>, body: &[u8]) -> Resp {
    let auth = format!("Token {}", server.token());
    let mut headers = vec![("Authorization", auth.as_str())];
    if let Some(content_type) = content_type {
        headers.push(("Content-Type", content_type));
    }
    request(
        server.addr(),
        "POST",
        &format!("/api/v1/{relative}"),
        &headers,
        Some(body),
    )
}

/// Uploads a CSV file (with `skip_lines` first if given); returns the response.
pub fn upload_csv(server: &MockServer, name: &str, csv: &[u8], skip_lines: Option<&str>) -> Resp {
    let mut parts = Vec::new();
    if let Some(skip) = skip_lines {
        parts.push(Part::Text("skip_lines", skip));
    }
    parts.push(Part::File(name, csv));
    post(
        server,
        "files/",
        Some(&multipart_type()),
        &multipart(&parts),
    )
}

/// A JSON POST.
pub fn post_json(server: &MockServer, relative: &str, body: &Value) -> Resp {
    post(
        server,
        relative,
        Some("application/json"),
        &serde_json::to_vec(body).unwrap(),
    )
}
