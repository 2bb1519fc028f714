//! Job output rows as CSV in memory bounded by the largest row. The header is every column met,
//! in first-seen order, so it is only known once the last row has arrived: rows are spooled as
//! compact JSON lines to an unnamed temporary file while their keys are collected, then the
//! header is written and the spool read back, one row at a time, into records.

use std::borrow::{Borrow, Cow};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{self, BufRead, BufReader, BufWriter, Seek, Write};

use sdm_core::proto::write_compact;
use sdm_ureq::RowReader;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::csv;
use crate::error::CliError;
use crate::rows::RowProgress;

/// Buffer of the spool, both ways.
const SPOOL_BUFFER: usize = 256 * 1024;

/// `--max-columns` unless given. Every record has every column, so rows that each bring new
/// ones make rows × columns cells: 248 KB of such rows made a 381 MiB CSV before this bound.
pub const DEFAULT_MAX_COLUMNS: usize = 10_000;

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
    let mut line = Vec::with_capacity(4096);
    while let Some(raw) = reader.next_raw()? {
        line.clear();
        write_compact(raw, &mut line);
        if let Err(error) = columns.learn(&line) {
            if columns.over_limit {
                return Err(too_many_columns(max_columns, error));
            }
            return Err(spool_error("read", error));
        }
        // Compact JSON has no line break outside strings, and none inside (they are escaped).
        line.push(b'\n');
        spool
            .write_all(&line)
            .map_err(|e| spool_error("write", e))?;
        progress.row(reader);
    }
    progress.done(reader);
    let rows = reader.rows();
    let mut file = spool
        .into_inner()
        .map_err(|e| spool_error("write", e.into_error()))?;
    file.rewind().map_err(|e| spool_error("read", e))?;
    if columns.names.is_empty() {
        return Ok(rows);
    }
    progress.phase("writing the CSV");
    csv::write_record(out, &columns.names).map_err(write_error)?;
    let mut spool = BufReader::with_capacity(SPOOL_BUFFER, file);
    let mut text = String::new();
    loop {
        text.clear();
        if spool
            .read_line(&mut text)
            .map_err(|e| spool_error("read", e))?
            == 0
        {
            break;
        }
        write_record(out, &columns.names, text.trim_end_matches('\n')).map_err(|e| match e {
            RecordError::Spool(e) => spool_error("read", e),
            RecordError::Write(e) => write_error(e),
        })?;
    }
    Ok(rows)
}

/// What [`Columns::learn`] says when a column would be one too many; [`too_many_columns`]
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

/// Why a record could not be written.
enum RecordError {
    /// The spooled row did not read back (a bug, or the disk changed under us).
    Spool(io::Error),
    /// The output refused the record.
    Write(io::Error),
}

/// Writes the record of one spooled row: its values in header order, empty where it has none.
fn write_record(out: &mut dyn Write, header: &[String], row: &str) -> Result<(), RecordError> {
    let values: HashMap<Key<'_>, &RawValue> =
        serde_json::from_str(row).map_err(|e| RecordError::Spool(e.into()))?;
    for (index, column) in header.iter().enumerate() {
        if index > 0 {
            out.write_all(b",").map_err(RecordError::Write)?;
        }
        let cell = csv::raw_cell(values.get(column.as_str()).copied());
        out.write_all(csv::field(&cell).as_bytes())
            .map_err(RecordError::Write)?;
    }
    out.write_all(b"\r\n").map_err(RecordError::Write)
}

/// An object key, borrowed from the row's text unless it has escapes.
#[derive(Debug, PartialEq, Eq, Hash, Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

impl Borrow<str> for Key<'_> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// The column names met so far, in first-seen order, at most `max` of them.
#[derive(Debug)]
struct Columns {
    names: Vec<String>,
    seen: HashSet<String>,
    max: usize,
    /// Set when [`learn`](Self::learn) failed because a column was one too many.
    over_limit: bool,
}

impl Columns {
    fn new(max: usize) -> Self {
        Self {
            names: Vec::new(),
            seen: HashSet::new(),
            max,
            over_limit: false,
        }
    }

    /// Adds the keys of `row` (a JSON object) not seen before. Only keys are decoded: values
    /// are skipped without being built.
    fn learn(&mut self, row: &[u8]) -> io::Result<()> {
        let mut deserializer = serde_json::Deserializer::from_slice(row);
        (&mut *self).deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(())
    }

    /// Adds `name` unless seen; false when it would be one column too many.
    fn add(&mut self, name: &str) -> bool {
        if !self.seen.contains(name) {
            if self.names.len() == self.max {
                self.over_limit = true;
                return false;
            }
            self.seen.insert(name.to_owned());
            self.names.push(name.to_owned());
        }
        true
    }
}

impl<'de> DeserializeSeed<'de> for &mut Columns {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for &mut Columns {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a row object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(ColumnName(&mut *self))?.is_some() {
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

/// Reads one key into [`Columns`] without allocating unless it is new.
struct ColumnName<'c>(&'c mut Columns);

impl<'de> DeserializeSeed<'de> for ColumnName<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for ColumnName<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a column name")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<(), E> {
        if self.0.add(name) {
            Ok(())
        } else {
            Err(E::custom(TOO_MANY_COLUMNS))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_capped() {
        let mut columns = Columns::new(2);
        columns.learn(br#"{"a":1,"b":2}"#).unwrap();
        columns.learn(br#"{"b":1,"a":2}"#).unwrap();
        let error = columns.learn(br#"{"c":1}"#).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(columns.over_limit, "{error}");
        assert_eq!(columns.names, ["a", "b"]);
    }

    #[test]
    fn columns_are_learned_in_first_seen_order() {
        let mut columns = Columns::new(100);
        for row in [
            r#"{"sku":"A","price":1.5}"#,
            r#"{"price":2,"sku":"B","colour":{"x":[1,{"nested":true}]}}"#,
            r#"{}"#,
            r#"{"caf\u00e9":null,"sku":"C","sku":"dup"}"#,
        ] {
            columns.learn(row.as_bytes()).unwrap();
        }
        assert_eq!(columns.names, ["sku", "price", "colour", "café"]);
        assert!(columns.learn(b"[1]").is_err());
        assert!(columns.learn(br#"{"a":1} x"#).is_err());
    }

    fn record(header: &[&str], row: &str) -> String {
        let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
        let mut out = Vec::new();
        assert!(write_record(&mut out, &header, row).is_ok());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn records_follow_the_header() {
        assert_eq!(
            record(
                &["sku", "price", "missing", "note", "tags", "café", "ok"],
                r#"{"note":"a, \"b\"\nc","price":1.50,"sku":" A-1","tags":["x",1],"caf\u00e9":null,"ok":false}"#
            ),
            "\" A-1\",1.50,,\"a, \"\"b\"\"\nc\",\"[\"\"x\"\",1]\",,false\r\n"
        );
        assert_eq!(record(&["a"], "{}"), "\r\n");
    }
}
