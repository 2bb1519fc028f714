//! Job output rows as CSV in memory bounded by the largest row, in one pass over each row.
//!
//! The header is every column met, in first-seen order, so it is only known once the last row
//! has arrived. Columns are only ever added at the end, though: each row is parsed once, its
//! cells written in header order as far as the header reaches at that row, and the record
//! spooled to an unnamed temporary file. At the end the header is written, and the spool copied
//! out, the records written before the last columns appeared padded with empty cells. The
//! spool holds the records only, so it is never larger than the output.

use std::io::{self, BufRead, BufReader, BufWriter, Seek, Write};

use sdm_core::proto::{RawRow, write_compact};
use sdm_ureq::RowReader;

use crate::csv;
use crate::error::CliError;
use crate::rows::RowProgress;

/// Buffer of the spool, both ways.
const SPOOL_BUFFER: usize = 256 * 1024;

/// `--max-columns` unless given. Every record has every column, so rows that each bring new
/// ones make rows × columns cells: 248 KB of such rows made a 381 MiB CSV before this bound.
pub const DEFAULT_MAX_COLUMNS: usize = 10_000;

/// Up to this many columns, a key is looked up by comparing it with each name; past it, in a
/// hash map.
const LINEAR_LOOKUP: usize = 16;

/// Writes every row of `reader` to `out` as CSV (CRLF line ends); returns how many rows there
/// were. Nothing is written when the rows have no column at all, nor when they have more than
/// `max_columns` (an error, raised as soon as the column after the last allowed one is met).
pub fn write(
    reader: &mut RowReader,
    out: &mut dyn Write,
    progress: &RowProgress,
    max_columns: usize,
    write_error: &dyn Fn(io::Error) -> CliError,
) -> Result<u64, CliError> {
    let file = tempfile::tempfile().map_err(|e| spool_error("create", e))?;
    let mut spool = BufWriter::with_capacity(SPOOL_BUFFER, file);
    let mut columns = Columns::new(max_columns);
    let mut widths = Widths::default();
    let mut record = Vec::with_capacity(4096);
    while let Some(row) = reader.next_row()? {
        record.clear();
        if let Err(error) = columns.record(row, &mut record) {
            if columns.over_limit {
                return Err(too_many_columns(max_columns, error));
            }
            return Err(spool_error("read", error));
        }
        record.extend_from_slice(b"\r\n");
        widths.push(columns.names.len(), record.len() as u64);
        spool
            .write_all(&record)
            .map_err(|e| spool_error("write", e))?;
        progress.row(reader);
    }
    progress.done(reader);
    let rows = reader.rows();
    let mut file = spool
        .into_inner()
        .map_err(|e| spool_error("write", e.into_error()))?;
    if columns.names.is_empty() {
        return Ok(rows);
    }
    file.rewind().map_err(|e| spool_error("read", e))?;
    progress.phase("writing the CSV");
    csv::write_record(out, &columns.names).map_err(write_error)?;
    let mut spool = BufReader::with_capacity(SPOOL_BUFFER, file);
    let total = columns.names.len();
    for &Segment { width, bytes } in &widths.segments {
        // A record of no cells is one empty cell: `width` cells need `width - 1` separators.
        let padding = total - width.max(1);
        copy_padded(&mut spool, out, bytes, padding, write_error)?;
    }
    Ok(rows)
}

/// A run of spooled records of the same number of cells.
#[derive(Debug, Clone, Copy)]
struct Segment {
    width: usize,
    bytes: u64,
}

/// The spool as runs of records of the same width (the header's length when each was written):
/// widths only grow, so there are at most as many runs as columns.
#[derive(Debug, Default)]
struct Widths {
    segments: Vec<Segment>,
}

impl Widths {
    fn push(&mut self, width: usize, bytes: u64) {
        match self.segments.last_mut() {
            Some(last) if last.width == width => last.bytes += bytes,
            _ => self.segments.push(Segment { width, bytes }),
        }
    }
}

/// Copies `bytes` bytes of CSV records from `spool` to `out`, with `padding` empty cells (a
/// comma each) added at the end of every record.
fn copy_padded(
    spool: &mut BufReader<std::fs::File>,
    out: &mut dyn Write,
    bytes: u64,
    padding: usize,
    write_error: &dyn Fn(io::Error) -> CliError,
) -> Result<(), CliError> {
    let commas = vec![b','; padding];
    let mut left = bytes;
    // Inside a quoted field, where CR and LF are text; a record ends at the CR outside one.
    let mut quoted = false;
    while left > 0 {
        let buffer = spool.fill_buf().map_err(|e| spool_error("read", e))?;
        if buffer.is_empty() {
            let error = io::Error::from(io::ErrorKind::UnexpectedEof);
            return Err(spool_error("read", error));
        }
        let take = buffer
            .len()
            .min(usize::try_from(left).unwrap_or(usize::MAX));
        let piece = &buffer[..take];
        if padding == 0 {
            out.write_all(piece).map_err(write_error)?;
        } else {
            let mut from = 0;
            for at in memchr::memchr2_iter(b'"', b'\r', piece) {
                if piece[at] == b'"' {
                    quoted = !quoted;
                } else if !quoted {
                    out.write_all(&piece[from..at]).map_err(write_error)?;
                    out.write_all(&commas).map_err(write_error)?;
                    from = at;
                }
            }
            out.write_all(&piece[from..]).map_err(write_error)?;
        }
        spool.consume(take);
        left -= take as u64;
    }
    Ok(())
}

/// What [`Columns::record`] says when a column would be one too many; [`too_many_columns`]
/// says it again, so the report shows it once.
const TOO_MANY_COLUMNS: &str = "too many columns for a CSV";

fn too_many_columns(max_columns: usize, error: io::Error) -> CliError {
    CliError::io(
        format!(
            "{TOO_MANY_COLUMNS}: the rows have more than {max_columns} columns, and every \
             record has every column; raise the limit with --max-columns, or use -o ndjson"
        ),
        error,
    )
}

fn spool_error(doing: &str, error: io::Error) -> CliError {
    CliError::io(
        format!("could not {doing} the temporary file the CSV is assembled in"),
        error,
    )
}

/// A row's value for a column: its text's byte range in the row, and whether it is a string
/// with escapes.
#[derive(Debug, Clone, Copy)]
struct Cell {
    start: usize,
    end: usize,
    escaped: bool,
}

/// The column names met so far, in first-seen order, at most `max` of them, and the cells of
/// the row being read.
#[derive(Debug)]
struct Columns {
    names: Vec<String>,
    /// Name → index, once there are more names than [`LINEAR_LOOKUP`].
    index: std::collections::HashMap<String, usize, FastHash>,
    max: usize,
    /// Set when [`record`](Self::record) failed because a column was one too many.
    over_limit: bool,
    /// The row's value for each column, as a byte range of its text (`None`: no value).
    cells: Vec<Option<Cell>>,
    /// The compact text of a nested value.
    nested: Vec<u8>,
    /// The column the next key most likely names: the one after the last key's (rows tend to
    /// list their keys in the same order).
    next: usize,
}

impl Columns {
    fn new(max: usize) -> Self {
        Self {
            names: Vec::new(),
            index: std::collections::HashMap::default(),
            max,
            over_limit: false,
            cells: Vec::new(),
            nested: Vec::new(),
            next: 0,
        }
    }

    /// Reads `row` (a JSON object) once: adds the keys not seen before, and appends to `out`
    /// its record (without the line end) with one cell for each column known so far, in header
    /// order, empty where the row has no value. A repeated key's last value counts. Nested
    /// objects and arrays are written as their compact JSON text (a value's text never has
    /// whitespace around it, nor, unless nested, in it).
    fn record(&mut self, row: RawRow<'_>, out: &mut Vec<u8>) -> io::Result<()> {
        self.cells.clear();
        self.next = 0;
        let text = row.as_str();
        let plain = row.is_plain_ascii();
        // The decoder found the fields while validating the row: nothing is parsed again.
        let base = text.as_ptr() as usize;
        for field in row.fields() {
            let name = field
                .key()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            let Some(index) = self.column(&name) else {
                return Err(io::Error::new(io::ErrorKind::InvalidData, TOO_MANY_COLUMNS));
            };
            let value = field.value_json();
            let start = value.as_ptr() as usize - base;
            self.set(
                index,
                Cell {
                    start,
                    end: start + value.len(),
                    escaped: field.value_has_escapes(),
                },
            );
        }
        let row = text;
        self.cells.resize(self.names.len(), None);
        for (index, cell) in self.cells.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            let Some(Cell {
                start,
                end,
                escaped,
            }) = *cell
            else {
                continue;
            };
            let text = &row[start..end];
            if !escaped && text.starts_with('"') {
                // A string without escapes: its text between the quotes.
                csv::write_unescaped_string_field(&text[1..text.len() - 1], plain, out);
                continue;
            }
            if !text.starts_with(['{', '[']) {
                csv::write_raw_cell(text, out);
                continue;
            }
            self.nested.clear();
            write_compact(text, &mut self.nested);
            // Only ASCII whitespace was taken out: still UTF-8.
            let compact = std::str::from_utf8(&self.nested).map_err(io::Error::other)?;
            csv::write_raw_cell(compact, out);
        }
        Ok(())
    }

    /// The index of column `name`, added if new; `None` when it would be one too many.
    fn column(&mut self, name: &str) -> Option<usize> {
        if self.names.get(self.next).is_some_and(|n| n == name) {
            return Some(self.next);
        }
        let found = if self.names.len() <= LINEAR_LOOKUP {
            // A row that leaves a column out names one a little further on: look there first.
            let after = self.next.min(self.names.len());
            let ahead = self.names[after..].iter().position(|n| n == name);
            ahead
                .map(|at| after + at)
                .or_else(|| self.names[..after].iter().position(|n| n == name))
        } else {
            self.index.get(name).copied()
        };
        if let Some(found) = found {
            return Some(found);
        }
        if self.names.len() == self.max {
            self.over_limit = true;
            return None;
        }
        self.names.push(name.to_owned());
        if self.names.len() > LINEAR_LOOKUP {
            if self.index.is_empty() {
                let names = self.names.iter().cloned().enumerate();
                self.index.extend(names.map(|(i, n)| (n, i)));
            } else {
                self.index.insert(name.to_owned(), self.names.len() - 1);
            }
        }
        Some(self.names.len() - 1)
    }

    /// Sets the value of column `index`.
    fn set(&mut self, index: usize, cell: Cell) {
        if self.cells.len() <= index {
            self.cells.resize(index + 1, None);
        }
        self.cells[index] = Some(cell);
        self.next = index + 1;
    }
}

/// FNV-1a: keys are short, the map is ours and its keys are column names, so a fast hasher
/// is enough (SipHash was a sixth of the CSV's time).
#[derive(Debug, Clone, Copy, Default)]
struct FastHash;

impl std::hash::BuildHasher for FastHash {
    type Hasher = Fnv;

    fn build_hasher(&self) -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

/// The state of an FNV-1a hash.
#[derive(Debug)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(columns: &mut Columns, row: &str) -> io::Result<String> {
        // The row as the decoder hands it over, which refuses what is not one row object.
        let mut decoder = sdm_core::proto::RowDecoder::default();
        decoder.push(format!("[{row}]").as_bytes());
        let invalid = |e: sdm_core::RowError| io::Error::new(io::ErrorKind::InvalidData, e);
        assert!(decoder.advance_raw().map_err(invalid)?, "{row} is a row");
        let mut out = Vec::new();
        columns.record(decoder.current_row().map_err(invalid)?, &mut out)?;
        assert!(!decoder.advance_raw().map_err(invalid)?);
        decoder.finish().map_err(invalid)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn columns_are_capped() {
        let mut columns = Columns::new(2);
        record(&mut columns, r#"{"a":1,"b":2}"#).unwrap();
        record(&mut columns, r#"{"b":1,"a":2}"#).unwrap();
        let error = record(&mut columns, r#"{"c":1}"#).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(columns.over_limit, "{error}");
        assert_eq!(columns.names, ["a", "b"]);
    }

    #[test]
    fn columns_are_learned_in_first_seen_order_and_cells_follow_them() {
        let mut columns = Columns::new(100);
        let records: Vec<String> = [
            r#"{"sku":"A","price":1.5}"#,
            r#"{"price":2,"sku":"B","colour":{"x":[1,{"nested":true}]}}"#,
            r#"{}"#,
            r#"{"caf\u00e9":null,"sku":"C","sku":"dup"}"#,
        ]
        .into_iter()
        .map(|row| record(&mut columns, row).unwrap())
        .collect();
        assert_eq!(columns.names, ["sku", "price", "colour", "café"]);
        assert_eq!(
            records,
            [
                "A,1.5",
                r#"B,2,"{""x"":[1,{""nested"":true}]}""#,
                ",,",
                "dup,,,",
            ]
        );
        assert!(record(&mut columns, "[1]").is_err());
        assert!(record(&mut columns, r#"{"a":1} x"#).is_err());
    }

    #[test]
    fn records_follow_the_header() {
        let mut columns = Columns::new(100);
        for name in ["sku", "price", "missing", "note", "tags", "café", "ok"] {
            columns.column(name);
        }
        assert_eq!(
            record(
                &mut columns,
                r#"{"note":"a, \"b\"\nc","price":1.50,"sku":" A-1","tags":["x",1],"caf\u00e9":null,"ok":false}"#
            )
            .unwrap(),
            "\" A-1\",1.50,,\"a, \"\"b\"\"\nc\",\"[\"\"x\"\",1]\",,false"
        );
    }

    #[test]
    fn rows_with_whitespace_give_the_same_cells() {
        let mut columns = Columns::new(100);
        let spaced = "{ \"a\" : [1, { \"x\" : \"y z\" }] ,\n \"b\": \"x, y\" , \"c\" :1.50 }";
        assert_eq!(
            record(&mut columns, spaced).unwrap(),
            r#""[1,{""x"":""y z""}]","x, y",1.50"#
        );
    }

    #[test]
    fn wide_rows_look_columns_up_by_hash() {
        let mut columns = Columns::new(1000);
        let wide: Vec<String> = (0..40).map(|i| format!(r#""k{i}":{i}"#)).collect();
        record(&mut columns, &format!("{{{}}}", wide.join(","))).unwrap();
        // The same keys in reverse order: every prediction misses, the map finds them.
        let reversed: Vec<String> = wide.iter().rev().cloned().collect();
        let again = record(
            &mut columns,
            &format!("{{{},\"new\":\"x\"}}", reversed.join(",")),
        )
        .unwrap();
        let expected: Vec<String> = (0..40).map(|i| i.to_string()).collect();
        assert_eq!(again, format!("{},x", expected.join(",")));
        assert_eq!(columns.names.len(), 41);
        assert_eq!(columns.index.len(), 41);
    }

    /// The spool of `records` (each with the width it was written at), copied out with padding.
    fn copied(records: &[(&str, usize)], total: usize) -> String {
        let mut file = tempfile::tempfile().unwrap();
        let mut widths = Widths::default();
        for (text, width) in records {
            file.write_all(text.as_bytes()).unwrap();
            widths.push(*width, text.len() as u64);
        }
        file.rewind().unwrap();
        let mut spool = BufReader::with_capacity(7, file);
        let mut out = Vec::new();
        let error = |e: io::Error| CliError::io("out", e);
        for segment in &widths.segments {
            let padding = total - segment.width.max(1);
            copy_padded(&mut spool, &mut out, segment.bytes, padding, &error).unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn early_records_are_padded_to_the_last_column_and_quoted_line_breaks_kept() {
        let records = [
            ("\r\n", 0),
            ("a\r\n", 1),
            ("\"x\r\ny, \"\"z\"\"\r\n\",b\r\n", 2),
            ("\"\"\"\",\"\r\"\r\n", 2),
            ("1,2,3\r\n", 3),
        ];
        assert_eq!(
            copied(&records, 3),
            ",,\r\na,,\r\n\"x\r\ny, \"\"z\"\"\r\n\",b,\r\n\"\"\"\",\"\r\",\r\n1,2,3\r\n"
        );
    }
}
