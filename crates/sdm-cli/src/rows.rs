//! A job's output rows streamed from the server to NDJSON, a JSON array or CSV as they arrive,
//! in memory bounded by the largest row: rows stay the server's JSON text, only made compact,
//! and no value is ever built for NDJSON or JSON.

use std::io::{self, Write};

use sdm_core::proto::{RawRow, write_compact};
use sdm_ureq::RowReader;

use crate::cli::DataFormat;
use crate::csv_spool;
use crate::error::CliError;
use crate::progress::{self, Progress};
use crate::sanitise::{escape_json, needs_json_escape};

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
    while let Some(row) = reader.next_row()? {
        if array {
            out.write_all(if first { b"\n" } else { b",\n" })
                .map_err(write_error)?;
        }
        out.write_all(row_json(row, &mut line))
            .map_err(write_error)?;
        if !array {
            out.write_all(b"\n").map_err(write_error)?;
        }
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

/// The row as it is written: compact, with no raw C1, bidi or invisible character for a
/// terminal to act on (the same value). Most rows are that already and are written as they
/// came, which the decoder's scan of the row tells; the others are rewritten into `scratch`.
fn row_json<'a>(row: RawRow<'a>, scratch: &'a mut Vec<u8>) -> &'a [u8] {
    let text = row.as_str().as_bytes();
    if row.is_compact() && (row.is_plain_ascii() || !needs_json_escape(text)) {
        return text;
    }
    scratch.clear();
    write_compact(row.as_str(), scratch);
    escape_json(scratch);
    scratch
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use sdm_core::proto::RowDecoder;

    use super::*;

    /// Text with what the fast path must notice: spaces, escapes, accents, C1, bidi, DEL.
    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                Just(' '),
                Just(','),
                Just('"'),
                Just('\\'),
                Just('\n'),
                Just('\u{7f}'),
                Just('\u{85}'),
                Just('\u{a0}'),
                Just('\u{e9}'),
                Just('\u{202e}'),
                Just('\u{2066}'),
                Just('\u{61c}'),
                Just('\u{2013}'),
                Just('\u{1f680}'),
                any::<char>(),
                "[a-z0-9]".prop_map(|s| s.chars().next().unwrap()),
            ],
            0..12,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    fn json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<i32>().prop_map(|n| n.into()),
            (-1e6f64..1e6).prop_map(|f| f.into()),
            text().prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                prop::collection::btree_map(text(), inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// The fast path writes exactly what the careful one (compact every row, escape every
        /// row) writes, for rows compact or not, plain or not.
        #[test]
        fn rows_are_written_as_the_careful_path_writes_them(
            fields in prop::collection::btree_map(text(), json(), 0..5),
            pretty in any::<bool>(),
        ) {
            let row = serde_json::Value::Object(fields.into_iter().collect());
            let text = if pretty {
                serde_json::to_string_pretty(&row).unwrap()
            } else {
                serde_json::to_string(&row).unwrap()
            };
            let mut decoder = RowDecoder::default();
            decoder.push(format!("[{text}]").as_bytes());
            prop_assert!(decoder.advance_raw().unwrap());
            let mut careful = Vec::new();
            write_compact(&text, &mut careful);
            escape_json(&mut careful);
            let mut scratch = Vec::new();
            let fast = row_json(decoder.current_row().unwrap(), &mut scratch);
            prop_assert_eq!(String::from_utf8_lossy(fast), String::from_utf8_lossy(&careful));
        }
    }
}
