//! Reading the body of a `POST files/` request as it streams: hashing it whole and its file
//! part, and parsing the file on the way (or stashing it until `skip_lines` is known), into an
//! upload to store or DRF's error body.

use std::sync::Arc;

use axum::body::Body;
use axum::http::StatusCode;
use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::{Map, Value, json};

use super::csv::CsvParser;
use super::multipart::{self, Multipart, PartHead, PartSink};
use super::stash::Stash;
use super::{Outcome, Table};
use crate::fnv::Fnv1a64;
use crate::ledger::ReceivedUpload;

/// The largest JSON upload read (a larger one is answered `413`).
const MAX_JSON: usize = 64 << 20;
/// The most bytes of a `skip_lines` part kept.
const MAX_FIELD: usize = 1024;
/// The file name of a JSON rows upload.
const JSON_NAME: &str = "data.json";

/// How much to do with the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Validate and parse: the upload is to be stored.
    Parse,
    /// Only hash it: the request is answered some other way, but recorded.
    HashOnly,
}

/// The hashes of a body read whole.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Hashes {
    body: Fnv1a64,
    file: Fnv1a64,
}

impl Hashes {
    /// The record of this body answered with `status`.
    pub(crate) fn record(&self, status: u16) -> ReceivedUpload {
        ReceivedUpload {
            body_len: self.body.len(),
            body_hash: self.body.finish(),
            file_len: self.file.len(),
            file_hash: self.file.finish(),
            status,
        }
    }
}

/// A valid upload.
#[derive(Debug)]
pub(crate) struct Upload {
    /// The file name.
    pub(crate) name: String,
    /// Lines skipped before the header.
    pub(crate) skip_lines: u64,
    /// What parsing gave.
    pub(crate) outcome: Outcome,
}

/// An error answer: status and DRF body.
#[derive(Debug)]
pub(crate) struct Rejection {
    /// The status.
    pub(crate) status: StatusCode,
    /// The body.
    pub(crate) body: Value,
}

impl Rejection {
    /// A 400 with one field error.
    fn field(field: &str, message: &str) -> Self {
        let mut body = Map::new();
        body.insert(field.to_owned(), json!([message]));
        Self::new(StatusCode::BAD_REQUEST, Value::Object(body))
    }

    /// A `{"detail": ...}` error.
    fn detail(status: StatusCode, message: &str) -> Self {
        Self::new(status, json!({ "detail": message }))
    }

    /// `status` with `body`.
    fn new(status: StatusCode, body: Value) -> Self {
        Self { status, body }
    }
}

/// What reading a body gave.
#[derive(Debug)]
pub(crate) struct Reading {
    /// The hashes, if the body was read whole.
    pub(crate) hashes: Option<Hashes>,
    /// The upload, or the error answer.
    pub(crate) result: Result<Upload, Rejection>,
}

/// Reads `body`, sent with `content_type`, to its end.
pub(crate) async fn read(content_type: Option<&str>, body: Body, mode: Mode) -> Reading {
    let media_type = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match media_type.as_str() {
        // No content type: DRF sees no data at all.
        "" => drain(body, Rejection::field("file", NO_FILE)).await,
        "multipart/form-data" => match content_type.and_then(multipart::boundary) {
            Some(boundary) => read_form(body, &boundary, mode).await,
            None => {
                let rejection = Rejection::detail(StatusCode::BAD_REQUEST, multipart::PARSE_ERROR);
                drain(body, rejection).await
            }
        },
        "application/json" => read_json(body, mode).await,
        _ => {
            let message = format!(
                "Unsupported media type \"{}\" in request.",
                content_type.unwrap_or_default()
            );
            let rejection = Rejection::detail(StatusCode::UNSUPPORTED_MEDIA_TYPE, &message);
            drain(body, rejection).await
        }
    }
}

/// DRF's error for a missing file.
const NO_FILE: &str = "No file was submitted.";

/// The next data frame of a body; `Err` if the body failed (the client went away).
async fn next_chunk(body: &mut Body) -> Option<Result<Bytes, axum::Error>> {
    loop {
        match body.frame().await? {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    return Some(Ok(data));
                }
            }
            Err(error) => return Some(Err(error)),
        }
    }
}

/// The reading of a body that broke off.
fn broken() -> Reading {
    Reading {
        hashes: None,
        result: Err(Rejection::detail(
            StatusCode::BAD_REQUEST,
            "The request body ended early.",
        )),
    }
}

/// Reads and hashes a body whose content does not matter, then answers `rejection`.
async fn drain(mut body: Body, rejection: Rejection) -> Reading {
    let mut hashes = Hashes::default();
    while let Some(chunk) = next_chunk(&mut body).await {
        let Ok(chunk) = chunk else {
            return broken();
        };
        hashes.body.update(&chunk);
    }
    Reading {
        hashes: Some(hashes),
        result: Err(rejection),
    }
}

/// Reads a JSON upload, `{"data": [{...}, ...]}`.
async fn read_json(mut body: Body, mode: Mode) -> Reading {
    let mut hashes = Hashes::default();
    let mut text = Vec::new();
    while let Some(chunk) = next_chunk(&mut body).await {
        let Ok(chunk) = chunk else {
            return broken();
        };
        hashes.body.update(&chunk);
        hashes.file.update(&chunk);
        if mode == Mode::Parse && text.len() + chunk.len() <= MAX_JSON {
            text.extend_from_slice(&chunk);
        }
    }
    let result = if mode == Mode::HashOnly {
        Err(Rejection::detail(StatusCode::BAD_REQUEST, "Not parsed."))
    } else if hashes.body.len() > MAX_JSON as u64 {
        Err(Rejection::detail(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request body is too large.",
        ))
    } else {
        json_upload(&text)
    };
    Reading {
        hashes: Some(hashes),
        result,
    }
}

/// Validates a JSON upload's body the way a DRF serializer with a `data` list field would.
fn json_upload(text: &[u8]) -> Result<Upload, Rejection> {
    let value = if text.is_empty() {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(text).map_err(|e| {
            Rejection::detail(StatusCode::BAD_REQUEST, &format!("JSON parse error - {e}"))
        })?
    };
    let Value::Object(mut object) = value else {
        let message = format!(
            "Invalid data. Expected a dictionary, but got {}.",
            python_type(&value)
        );
        return Err(Rejection::field("non_field_errors", &message));
    };
    let items = match object.remove("data") {
        None => return Err(Rejection::field("data", "This field is required.")),
        Some(Value::Null) => return Err(Rejection::field("data", "This field may not be null.")),
        Some(Value::Array(items)) => items,
        Some(other) => {
            let message = format!(
                "Expected a list of items but got type \"{}\".",
                python_type(&other)
            );
            return Err(Rejection::field("data", &message));
        }
    };
    let mut rows = Vec::with_capacity(items.len());
    let mut errors = Map::new();
    for (i, item) in items.into_iter().enumerate() {
        match item {
            Value::Object(row) => rows.push(row),
            other => {
                let message = format!(
                    "Expected a dictionary of items but got type \"{}\".",
                    python_type(&other)
                );
                errors.insert(i.to_string(), json!([message]));
            }
        }
    }
    if !errors.is_empty() {
        return Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            json!({ "data": errors }),
        ));
    }
    let outcome = match Table::from_json_rows(rows) {
        Ok(table) => Outcome::Ready(Arc::new(table)),
        Err(why) => Outcome::Failed(why),
    };
    Ok(Upload {
        name: JSON_NAME.to_owned(),
        skip_lines: 0,
        outcome,
    })
}

/// The Python type name of a JSON value, as DRF messages show it.
pub(crate) fn python_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// `skip_lines` as DRF's `IntegerField(min_value=0, required=False)` reads a form value:
/// `None` when absent, else the number or the error message.
fn parse_skip_lines(raw: Option<&[u8]>) -> Option<Result<u64, &'static str>> {
    let text = String::from_utf8_lossy(raw?);
    let text = text.trim();
    if text.is_empty() {
        return Some(Ok(0));
    }
    // DRF drops a decimal point followed by zeros (`3.0` is 3).
    let digits = match text.split_once('.') {
        Some((int, zeros)) if zeros.bytes().all(|b| b == b'0') => int,
        _ => text,
    };
    Some(match digits.parse::<i64>() {
        Ok(n) if n < 0 => Err("Ensure this value is greater than or equal to 0."),
        Ok(n) => Ok(n as u64),
        Err(_) => Err("A valid integer is required."),
    })
}

/// What is done with the file part's bytes.
#[derive(Debug)]
enum FileParse {
    /// Nothing (only hashed).
    Ignore,
    /// Nothing: a format the mock does not parse (`.xlsx`, `.xml`); ready with no rows.
    Unparsed,
    /// Parsed as they arrive.
    Direct(Box<CsvParser>),
    /// Kept until `skip_lines` is known.
    Stashed(Stash),
}

/// The `file` part.
#[derive(Debug)]
struct FilePart {
    filename: Option<String>,
    len: u64,
    parse: FileParse,
}

/// Which part is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Current {
    None,
    File,
    SkipLines,
    Other,
}

/// The form as its parts arrive.
#[derive(Debug)]
struct Form {
    mode: Mode,
    current: Current,
    file: Option<FilePart>,
    file_hash: Fnv1a64,
    skip_lines: Option<Vec<u8>>,
}

impl PartSink for Form {
    fn start(&mut self, head: PartHead) {
        self.current = match head.name.as_deref() {
            Some("file") if self.file.is_none() => {
                let parse = self.file_parse(head.filename.as_deref());
                self.file = Some(FilePart {
                    filename: head.filename,
                    len: 0,
                    parse,
                });
                Current::File
            }
            Some("skip_lines") if self.skip_lines.is_none() => {
                self.skip_lines = Some(Vec::new());
                Current::SkipLines
            }
            _ => Current::Other,
        };
    }

    fn data(&mut self, data: &[u8]) {
        match self.current {
            Current::File => {
                self.file_hash.update(data);
                if let Some(file) = &mut self.file {
                    file.len += data.len() as u64;
                    match &mut file.parse {
                        FileParse::Direct(parser) => parser.feed(data),
                        FileParse::Stashed(stash) => stash.push(data),
                        FileParse::Ignore | FileParse::Unparsed => {}
                    }
                }
            }
            Current::SkipLines => {
                if let Some(text) = &mut self.skip_lines {
                    let room = MAX_FIELD.saturating_sub(text.len());
                    text.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            Current::None | Current::Other => {}
        }
    }

    fn end(&mut self) {
        self.current = Current::None;
    }
}

impl Form {
    /// How to treat a file part named `filename`, given what is known of `skip_lines`.
    fn file_parse(&self, filename: Option<&str>) -> FileParse {
        if self.mode == Mode::HashOnly {
            return FileParse::Ignore;
        }
        let lower = filename.unwrap_or_default().to_ascii_lowercase();
        if lower.ends_with(".xlsx") || lower.ends_with(".xml") {
            return FileParse::Unparsed;
        }
        match parse_skip_lines(self.skip_lines.as_deref()) {
            Some(Ok(n)) => FileParse::Direct(Box::new(CsvParser::new(n))),
            Some(Err(_)) => FileParse::Ignore,
            None => FileParse::Stashed(Stash::default()),
        }
    }

    /// The upload, or the field errors, once every part has been read.
    fn finish(self) -> Result<Upload, Rejection> {
        let mut errors = Map::new();
        let file_error = match &self.file {
            None => Some(NO_FILE),
            Some(file) => match file.filename.as_deref() {
                None => {
                    Some("The submitted data was not a file. Check the encoding type on the form.")
                }
                Some("") => Some(NO_FILE),
                Some(_) if file.len == 0 => Some("The submitted file is empty."),
                Some(_) => None,
            },
        };
        if let Some(message) = file_error {
            errors.insert("file".into(), json!([message]));
        }
        let skip_lines = match parse_skip_lines(self.skip_lines.as_deref()) {
            None => 0,
            Some(Ok(n)) => n,
            Some(Err(message)) => {
                errors.insert("skip_lines".into(), json!([message]));
                0
            }
        };
        let (Some(file), true) = (self.file, errors.is_empty()) else {
            return Err(Rejection::new(
                StatusCode::BAD_REQUEST,
                Value::Object(errors),
            ));
        };
        let parsed = match file.parse {
            FileParse::Ignore | FileParse::Unparsed => Ok(Table::default()),
            FileParse::Direct(parser) => parser.finish(),
            FileParse::Stashed(stash) => {
                let mut parser = CsvParser::new(skip_lines);
                match stash.replay(|piece| parser.feed(piece)) {
                    Ok(()) => parser.finish(),
                    Err(error) => Err(format!("The file could not be read: {error}.")),
                }
            }
        };
        let outcome = match parsed {
            Ok(table) => Outcome::Ready(Arc::new(table)),
            Err(why) => Outcome::Failed(why),
        };
        Ok(Upload {
            name: file.filename.unwrap_or_default(),
            skip_lines,
            outcome,
        })
    }
}

/// Reads a multipart upload.
async fn read_form(mut body: Body, boundary: &str, mode: Mode) -> Reading {
    let mut parser = Multipart::new(boundary);
    let mut form = Form {
        mode,
        current: Current::None,
        file: None,
        file_hash: Fnv1a64::new(),
        skip_lines: None,
    };
    let mut body_hash = Fnv1a64::new();
    let mut failed = None;
    while let Some(chunk) = next_chunk(&mut body).await {
        let Ok(chunk) = chunk else {
            return broken();
        };
        body_hash.update(&chunk);
        if failed.is_none()
            && let Err(error) = parser.feed(&chunk, &mut form)
        {
            failed = Some(error);
        }
    }
    if failed.is_none()
        && let Err(error) = parser.finish()
    {
        failed = Some(error);
    }
    let hashes = Hashes {
        body: body_hash,
        file: form.file_hash,
    };
    let result = match failed {
        Some(error) => Err(Rejection::detail(StatusCode::BAD_REQUEST, &error)),
        None if mode == Mode::HashOnly => {
            Err(Rejection::detail(StatusCode::BAD_REQUEST, "Not parsed."))
        }
        // Replaying a stash and building the rows can take a while on a large file: off the
        // runtime's threads.
        None => match tokio::task::spawn_blocking(move || form.finish()).await {
            Ok(result) => result,
            Err(_) => Err(Rejection::detail(
                StatusCode::INTERNAL_SERVER_ERROR,
                "A server error occurred.",
            )),
        },
    };
    Reading {
        hashes: Some(hashes),
        result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fnv::fnv1a64;

    const CT: &str = "multipart/form-data; boundary=b0undary";

    /// A multipart body of `(name, filename, content)` parts.
    fn form(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (name, filename, content) in parts {
            body.extend_from_slice(b"--b0undary\r\nContent-Disposition: form-data; name=\"");
            body.extend_from_slice(name.as_bytes());
            body.push(b'"');
            if let Some(filename) = filename {
                body.extend_from_slice(format!("; filename=\"{filename}\"").as_bytes());
            }
            body.extend_from_slice(b"\r\n\r\n");
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"--b0undary--\r\n");
        body
    }

    fn read_now(content_type: Option<&str>, body: Vec<u8>) -> Reading {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(read(content_type, Body::from(body), Mode::Parse))
    }

    fn rows(upload: &Upload) -> Vec<Value> {
        let Outcome::Ready(table) = &upload.outcome else {
            panic!("not ready: {:?}", upload.outcome);
        };
        (0..table.len()).map(|i| table.row_value(i)).collect()
    }

    #[test]
    fn skip_lines_may_come_before_or_after_the_file() {
        let csv: &[u8] = b"junk line\nsku;ean\nA;1\n";
        for parts in [
            vec![
                ("skip_lines", None, &b"1"[..]),
                ("file", Some("a.csv"), csv),
            ],
            vec![
                ("file", Some("a.csv"), csv),
                ("skip_lines", None, &b" 1.0 "[..]),
            ],
        ] {
            let body = form(&parts);
            let reading = read_now(Some(CT), body.clone());
            let hashes = reading.hashes.unwrap().record(201);
            assert_eq!(hashes.body_len, body.len() as u64);
            assert_eq!(hashes.body_hash, fnv1a64(&body));
            assert_eq!(
                (hashes.file_len, hashes.file_hash),
                (csv.len() as u64, fnv1a64(csv))
            );
            let upload = reading.result.unwrap();
            assert_eq!((upload.name.as_str(), upload.skip_lines), ("a.csv", 1));
            assert_eq!(rows(&upload), [json!({"sku": "A", "ean": "1"})]);
        }
    }

    #[test]
    fn form_errors_are_drf_bodies() {
        let error = |ct: Option<&str>, body: Vec<u8>| {
            let rejection = read_now(ct, body).result.unwrap_err();
            (rejection.status.as_u16(), rejection.body)
        };
        assert_eq!(
            error(Some(CT), form(&[("other", None, b"x")])),
            (400, json!({"file": ["No file was submitted."]}))
        );
        assert_eq!(
            error(
                Some(CT),
                form(&[("file", Some("a.csv"), b""), ("skip_lines", None, b"two")])
            ),
            (
                400,
                json!({"file": ["The submitted file is empty."], "skip_lines": ["A valid integer is required."]})
            )
        );
        assert_eq!(
            error(Some(CT), form(&[("file", None, b"a,b")])).1["file"][0],
            "The submitted data was not a file. Check the encoding type on the form."
        );
        assert_eq!(
            error(
                Some(CT),
                form(&[("file", Some("a.csv"), b"a"), ("skip_lines", None, b"-1")])
            )
            .1,
            json!({"skip_lines": ["Ensure this value is greater than or equal to 0."]})
        );
        assert_eq!(
            error(
                Some("multipart/form-data"),
                form(&[("file", Some("a.csv"), b"a")])
            ),
            (400, json!({"detail": multipart::PARSE_ERROR}))
        );
        assert_eq!(
            error(Some("text/plain"), b"hello".to_vec()),
            (
                415,
                json!({"detail": "Unsupported media type \"text/plain\" in request."})
            )
        );
        assert_eq!(
            error(None, b"hello".to_vec()),
            (400, json!({"file": ["No file was submitted."]}))
        );
    }

    #[test]
    fn json_uploads_are_validated_like_drf() {
        let json_error = |body: &str| {
            let rejection = read_now(Some("application/json"), body.into())
                .result
                .unwrap_err();
            (rejection.status.as_u16(), rejection.body)
        };
        assert_eq!(
            json_error("{}").1,
            json!({"data": ["This field is required."]})
        );
        assert_eq!(
            json_error(r#"{"data": {"a": 1}}"#).1,
            json!({"data": ["Expected a list of items but got type \"dict\"."]})
        );
        assert_eq!(
            json_error(r#"{"data": [{}, "x"]}"#).1,
            json!({"data": {"1": ["Expected a dictionary of items but got type \"str\"."]}})
        );
        assert_eq!(
            json_error("[]").1,
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
        );
        let (status, body) = json_error("{\"data\": [");
        assert_eq!(status, 400);
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .starts_with("JSON parse error - ")
        );
        let body = br#"{"data": [{"sku": "A", "name": ""}]}"#.to_vec();
        let reading = read_now(Some("application/json; charset=utf-8"), body.clone());
        let record = reading.hashes.unwrap().record(201);
        assert_eq!(record.file_hash, fnv1a64(&body));
        assert_eq!(record.body_hash, fnv1a64(&body));
        let upload = reading.result.unwrap();
        assert_eq!(upload.name, "data.json");
        assert_eq!(rows(&upload), [json!({"sku": "A"})]);
    }

    #[test]
    fn spreadsheets_are_ready_without_rows() {
        let upload = read_now(
            Some(CT),
            form(&[("file", Some("Book.XLSX"), b"PK\x03\x04")]),
        )
        .result
        .unwrap();
        assert!(rows(&upload).is_empty());
    }
}
