//! `sdm files upload` and `sdm files get`: supplier files sent to SDM (streamed from disk, or
//! rows sent as JSON) and where their parsing stands. What `sdm import` shares lives here too:
//! preparing the upload, reading rows, and waiting for the parsing.

use std::io::{self, Read, Write};
use std::path::Path;

use sdm_ureq::{Client, FileId, Row, UploadFile, UploadedFile, WaitOptions, WaitOutcome};
use serde_json::Value;

use super::deadline::Deadline;
use super::stdout_error;
use crate::cli::{FilesGetArgs, FilesUploadArgs, GlobalArgs, ShortFormat};
use crate::duration;
use crate::error::{CliError, JobOutcome};
use crate::output::{self, printable, write_json_pretty};
use crate::progress::{self, Progress};

/// The most bytes of rows read for `--rows` (they are sent in one JSON body).
pub const MAX_ROWS_BYTES: u64 = 64 * 1024 * 1024;
/// SDM's documented limit on a file: rows × columns, empty cells included.
pub const MAX_CELLS: u64 = 800_000;

pub fn upload(
    global: &GlobalArgs,
    args: &FilesUploadArgs,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    // Read (or opened and measured) before the client exists: a bad path sends nothing.
    let upload = if args.rows {
        Upload::Rows(read_rows(&args.path)?)
    } else {
        Upload::file(&args.path, args.skip_lines)?
    };
    let deadline = Deadline::new(args.timeout.filter(|_| args.wait));
    let client = deadline.client(global, |config| config)?;
    let file = upload
        .send(&client)
        .map_err(|e| deadline.error("uploading", e))?;
    if args.output == ShortFormat::Table {
        // At once, so that a script has the id even if the wait that follows fails.
        writeln!(stdout, "{}", file.id)
            .and_then(|()| stdout.flush())
            .map_err(stdout_error)?;
    }
    if !args.wait {
        if args.output == ShortFormat::Json {
            write_json_pretty(stdout, file.raw()).map_err(stdout_error)?;
        }
        return Ok(());
    }
    let client = deadline.client(global, |config| config)?;
    let (last, result) = wait_parsed(&client, file, deadline.wait_options(args.interval));
    if args.output == ShortFormat::Json {
        write_json_pretty(stdout, last.raw()).map_err(stdout_error)?;
    }
    result
}

pub fn get(
    global: &GlobalArgs,
    args: &FilesGetArgs,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    let file = super::client(global)?.get_file(args.file_id)?;
    write(stdout, &file, args.output).map_err(stdout_error)
}

/// Writes a file in `format`: a key/value listing, or the server's object.
pub fn write(out: &mut dyn Write, file: &UploadedFile, format: ShortFormat) -> io::Result<()> {
    match format {
        ShortFormat::Table => output::write_key_values(out, &key_values(file)),
        ShortFormat::Json => write_json_pretty(out, file.raw()),
    }
}

/// The key/value listing of `sdm files get`.
pub fn key_values(file: &UploadedFile) -> Vec<(&'static str, String)> {
    let or_dash = |text: Option<&str>| text.unwrap_or("-").to_owned();
    let mut pairs = vec![
        ("id", file.id.to_string()),
        ("name", or_dash(file.name.as_deref())),
        ("status", file.status.to_string()),
    ];
    if let Some(error) = file
        .parsing_error
        .as_deref()
        .filter(|e| !e.trim().is_empty())
    {
        pairs.push(("error", error.to_owned()));
    }
    if let Some(lines) = file
        .field("skip_lines")
        .and_then(|lines| lines.get().parse::<u64>().ok())
    {
        pairs.push(("skip lines", lines.to_string()));
    }
    pairs.push(("created", output::time(file.creation_date.as_ref())));
    pairs
}

/// What to upload, checked before anything is sent.
#[derive(Debug)]
pub enum Upload {
    /// A file streamed from disk.
    File(UploadFile),
    /// Rows sent as JSON.
    Rows(Vec<Row>),
}

impl Upload {
    /// The file at `path`, which must exist and be readable: otherwise a usage error (exit 2).
    pub fn file(path: &Path, skip_lines: Option<u64>) -> Result<Self, CliError> {
        let upload = UploadFile::from_path(path).map_err(|error| CliError::Usage {
            message: format!(
                "cannot upload {}: {}",
                path.display(),
                unreadable(path, &error)
            ),
            source: None,
        })?;
        Ok(Upload::File(match skip_lines {
            Some(lines) => upload.skip_lines(lines),
            None => upload,
        }))
    }

    /// `POST files/`, with progress on a terminal.
    pub fn send(&self, client: &Client) -> Result<UploadedFile, sdm_ureq::Error> {
        let progress = Progress::spinner(progress::WAIT);
        match self {
            Upload::File(upload) => {
                progress.set_message(|| {
                    format!(
                        "uploading {} ({} bytes)",
                        printable(upload.file_name()),
                        upload.len()
                    )
                });
                client.upload_file(upload)
            }
            Upload::Rows(rows) => {
                progress.set_message(|| format!("uploading {} rows", rows.len()));
                client.upload_rows(rows)
            }
        }
    }
}

/// Why `path` cannot be uploaded: the library's reason, without its `invalid file:` prefix
/// or the path it repeats.
fn unreadable(path: &Path, error: &sdm_ureq::Error) -> String {
    match error {
        sdm_ureq::Error::InvalidInput(input) => {
            let repeated = format!("{}: ", path.display());
            let reason = input
                .reason
                .strip_prefix(&repeated)
                .unwrap_or(&input.reason);
            reason.to_owned()
        }
        other => other.to_string(),
    }
}

/// Waits until `file` is parsed; returns the last state seen, and how the wait ended: `Ok`
/// when the file is ready, a [`JobOutcome::Failed`] error with the `parsing_error`, or
/// [`JobOutcome::TimedOut`].
pub fn wait_parsed(
    client: &Client,
    file: UploadedFile,
    options: WaitOptions,
) -> (UploadedFile, Result<(), CliError>) {
    let id = file.id;
    let progress = Progress::spinner(progress::WAIT);
    progress.set_message(|| format!("file {id}: parsing"));
    let outcome = client.wait_for_file(id, options, |file| {
        progress.set_message(|| format!("file {id}: {}", printable(file.status.as_str())));
    });
    drop(progress);
    match outcome {
        Err(error) => (file, Err(error.into())),
        Ok(WaitOutcome::Done(file)) => (file, Ok(())),
        Ok(WaitOutcome::Failed(file)) => {
            let error = CliError::job(JobOutcome::Failed, parsing_failed(id, &file));
            (file, Err(error))
        }
        Ok(WaitOutcome::TimedOut {
            elapsed,
            last,
            throttled,
            ..
        }) => {
            let still = last.as_ref().map_or_else(
                || "not seen yet".to_owned(),
                |f| format!("still {}", printable(f.status.as_str())),
            );
            let message = format!(
                "timed out after {}: {}file {id} is {still}",
                duration::display(elapsed),
                crate::error::throttled_note(throttled)
            );
            let last = last.map_or(file, |f| *f);
            (last, Err(CliError::job(JobOutcome::TimedOut, message)))
        }
        Ok(_) => (
            file,
            Err(CliError::job(
                JobOutcome::Unexpected,
                format!("waiting for file {id} ended in a way this sdm does not know"),
            )),
        ),
    }
}

/// `file 12 could not be parsed: <parsing_error>`, made printable.
fn parsing_failed(id: FileId, file: &UploadedFile) -> String {
    let reason = file
        .parsing_error
        .as_deref()
        .filter(|m| !m.trim().is_empty())
        .map_or_else(|| "no reason given".into(), printable);
    format!("file {id} could not be parsed: {reason}")
}

/// The rows of `path` (`-`: standard input): NDJSON, or one JSON array, of objects; at most
/// [`MAX_ROWS_BYTES`] and [`MAX_CELLS`].
pub fn read_rows(path: &Path) -> Result<Vec<Row>, CliError> {
    let name = if path == Path::new("-") {
        "standard input".to_owned()
    } else {
        path.display().to_string()
    };
    let mut text = Vec::new();
    let read = if path == Path::new("-") {
        io::stdin()
            .lock()
            .take(MAX_ROWS_BYTES + 1)
            .read_to_end(&mut text)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_ROWS_BYTES + 1).read_to_end(&mut text))
    };
    read.map_err(|source| CliError::Usage {
        message: format!("cannot read the rows of {name}"),
        source: Some(source),
    })?;
    parse_rows(&text).map_err(|reason| CliError::usage(format!("the rows of {name}: {reason}")))
}

/// Rows from NDJSON or a JSON array of objects.
fn parse_rows(text: &[u8]) -> Result<Vec<Row>, String> {
    if text.len() as u64 > MAX_ROWS_BYTES {
        return Err(format!(
            "more than {} MiB: upload them as a file instead",
            MAX_ROWS_BYTES / 1024 / 1024
        ));
    }
    let start = text.iter().position(|b| !b.is_ascii_whitespace());
    let values: Vec<Value> = match start.map(|at| text[at]) {
        None => return Err("there are no rows".to_owned()),
        Some(b'[') => serde_json::from_slice(text).map_err(|e| format!("not a JSON array: {e}"))?,
        Some(_) => serde_json::Deserializer::from_slice(text)
            .into_iter::<Value>()
            .collect::<Result<_, _>>()
            .map_err(|e| format!("not NDJSON: {e}"))?,
    };
    if values.is_empty() {
        return Err("there are no rows".to_owned());
    }
    let mut columns = std::collections::HashSet::new();
    let mut rows = Vec::with_capacity(values.len());
    for (index, value) in values.into_iter().enumerate() {
        match value {
            Value::Object(map) => {
                for key in map.keys() {
                    if !columns.contains(key.as_str()) {
                        columns.insert(key.clone());
                    }
                }
                rows.push(Row::from(map));
            }
            other => {
                return Err(format!(
                    "row {} is {}, not an object of column names and values",
                    index + 1,
                    kind(&other)
                ));
            }
        }
    }
    let cells = rows.len() as u64 * columns.len() as u64;
    if cells > MAX_CELLS {
        return Err(format!(
            "{} rows × {} columns is {cells} cells, over SDM's limit of {MAX_CELLS}",
            rows.len(),
            columns.len()
        ));
    }
    Ok(rows)
}

/// What a JSON value is, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rows_come_as_ndjson_or_an_array_of_objects() {
        let ndjson =
            parse_rows(b"{\"sku\": \"1\"}\n{\"sku\": \"2\", \"name\": \"Shoe\"}\n").unwrap();
        assert_eq!(ndjson.len(), 2);
        assert_eq!(ndjson[1].get("name"), Some(&json!("Shoe")));
        let array = parse_rows(b" [{\"sku\": \"1\"}, {\"sku\": \"2\"}] ").unwrap();
        assert_eq!(array.len(), 2);

        let refused = |text: &[u8]| parse_rows(text).unwrap_err();
        assert_eq!(
            refused(b"{\"sku\": 1}\n\"two\"\n"),
            "row 2 is a string, not an object of column names and values"
        );
        assert!(refused(b"[1]").starts_with("row 1 is a number"));
        assert_eq!(refused(b"  \n"), "there are no rows");
        assert_eq!(refused(b"[]"), "there are no rows");
        assert!(refused(b"{\"sku\": ").starts_with("not NDJSON"));
        assert!(refused(b"[{}").starts_with("not a JSON array"));
    }

    #[test]
    fn rows_are_bounded() {
        let wide: String = (0..801)
            .map(|i| format!("\"c{i}\": \"x\""))
            .collect::<Vec<_>>()
            .join(",");
        let text = std::iter::repeat_n(format!("{{{wide}}}\n"), 1000).collect::<String>();
        let error = parse_rows(text.as_bytes()).unwrap_err();
        assert!(error.contains("over SDM's limit of 800000"), "{error}");
    }

    #[test]
    fn a_missing_path_is_a_usage_error_before_any_client() {
        let error = Upload::file(Path::new("/nonexistent/sdm/offers.csv"), None).unwrap_err();
        assert_eq!(crate::exit::exit_code(&error), crate::exit::USAGE);
        assert!(
            error.to_string().starts_with("cannot upload /nonexistent"),
            "{error}"
        );
        let dir = tempfile::tempdir().unwrap();
        let error = Upload::file(dir.path(), None).unwrap_err();
        assert!(error.to_string().contains("not a regular file"), "{error}");
        let error = read_rows(&dir.path().join("missing.ndjson")).unwrap_err();
        assert_eq!(crate::exit::exit_code(&error), crate::exit::USAGE);
    }

    #[test]
    fn files_show_their_parsing() {
        let file: UploadedFile = serde_json::from_value(json!({
            "id": 12, "name": "offers.csv", "status": "error",
            "parsing_error": "No header line\u{1b}[31m", "skip_lines": 0,
            "creation_date": "2022-04-14T08:48:37.109159Z"
        }))
        .unwrap();
        let mut out = Vec::new();
        write(&mut out, &file, ShortFormat::Table).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "id          12\n\
             name        offers.csv\n\
             status      error\n\
             error       No header line\u{fffd}[31m\n\
             skip lines  0\n\
             created     2022-04-14T08:48:37Z\n"
        );
        assert_eq!(
            parsing_failed(file.id, &file),
            "file 12 could not be parsed: No header line\u{fffd}[31m"
        );
    }
}
