//! A job's output rows streamed from the server to NDJSON, a JSON array or CSV as they arrive,
//! in memory bounded by the largest row: rows stay the server's JSON text, only made compact,
//! and no value is ever built for NDJSON or JSON.

use std::io::{self, Write};

use sdm_core::proto::write_compact;
use sdm_ureq::RowReader;

use crate::cli::DataFormat;
use crate::csv_spool;
use crate::error::CliError;
use crate::progress::{self, Progress};
use crate::sanitise::escape_json;

/// Progress is redrawn after this many rows (and at the end).
const PROGRESS_EVERY: u64 = 256;

/// Writes every row `reader` yields to `out` in `format`; returns how many rows there were.
///
/// Write failures become errors through `write_error`; a failure reading the rows (the body
/// cut short, a malformed row, a row over the limit) ends the output where it is and is
/// returned as [`CliError::Api`].
///
/// A CSV has at most `max_columns` columns (see [`csv_spool::write`]).
pub fn write(
    reader: &mut RowReader,
    out: &mut dyn Write,
    format: DataFormat,
    max_columns: usize,
    write_error: &dyn Fn(io::Error) -> CliError,
) -> Result<u64, CliError> {
    let progress = RowProgress::new();
    match format {
        DataFormat::Ndjson => write_json(reader, out, false, &progress, write_error),
        DataFormat::Json => write_json(reader, out, true, &progress, write_error),
        DataFormat::Csv => csv_spool::write(reader, out, &progress, max_columns, write_error),
    }
}

/// NDJSON lines, or (with `array`) a JSON array with one row per line: `[`, rows separated by
/// `,`, `]`.
fn write_json(
    reader: &mut RowReader,
    out: &mut dyn Write,
    array: bool,
    progress: &RowProgress,
    write_error: &dyn Fn(io::Error) -> CliError,
) -> Result<u64, CliError> {
    // One buffer for every row: it grows to the largest row and is reused.
    let mut line = Vec::with_capacity(4096);
    if array {
        out.write_all(b"[").map_err(write_error)?;
    }
    let mut first = true;
    while let Some(raw) = reader.next_raw()? {
        line.clear();
        if array {
            line.extend_from_slice(if first { b"\n" } else { b",\n" });
        }
        write_compact(raw, &mut line);
        // Same value, but no raw C1, bidi or invisible character for a terminal to act on.
        escape_json(&mut line);
        if !array {
            line.push(b'\n');
        }
        out.write_all(&line).map_err(write_error)?;
        first = false;
        progress.row(reader);
    }
    if array {
        out.write_all(if first { b"]\n" } else { b"\n]\n" })
            .map_err(write_error)?;
    }
    progress.done(reader);
    Ok(reader.rows())
}

/// The progress of a row stream: rows so far as the message, bytes so far as the position
/// (which the template shows with a rate).
#[derive(Debug)]
pub struct RowProgress {
    progress: Progress,
}

impl RowProgress {
    fn new() -> Self {
        let progress = Progress::spinner(progress::DATA);
        progress.set_message(|| "0 rows".to_owned());
        Self { progress }
    }

    /// After each row; redraws now and then.
    pub fn row(&self, reader: &RowReader) {
        if reader.rows().is_multiple_of(PROGRESS_EVERY) {
            self.done(reader);
        }
    }

    /// Shows the counts as they are now.
    pub fn done(&self, reader: &RowReader) {
        if self.progress.is_shown() {
            self.progress.set_position(reader.bytes());
            self.progress
                .set_message(|| format!("{} rows", reader.rows()));
        }
    }

    /// Says what happens after the download (writing out a CSV spool).
    pub fn phase(&self, what: &'static str) {
        self.progress.set_message(|| what.to_owned());
    }
}
