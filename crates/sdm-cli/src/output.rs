//! Rendering for people and for programs: aligned tables and key/value listings, times, and
//! JSON (pretty, or one value per line).
//!
//! Everything writes to a `Write` given by the caller and returns its `io::Error`s, so a closed
//! pipe or a full disk is an error the command reports, never a panic.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

mod json_text;

use crate::sanitise::escape_json;
pub use crate::sanitise::printable;
pub use json_text::Layout;

/// Space between table columns.
const GAP: &str = "  ";

/// Rows a table keeps in memory; later ones are spooled to an unnamed temporary file, so a
/// table of any length takes bounded memory (`jobs list --all`).
const MEMORY_ROWS: usize = 1000;
/// Spooled rows go to the file in chunks of about this many bytes.
const SPOOL_CHUNK: usize = 64 * 1024;
/// Ends each cell of a spooled row but the last; `\n` ends the row. Cells are [`printable`],
/// which leaves no control character, so neither byte can be inside a cell.
const CELL_END: u8 = 0x1f;

/// Columns of text aligned by display width (a CJK character takes two columns).
///
/// Widths are known only once every row is in, so rows are kept until [`write`](Self::write):
/// the first ones in memory, the rest as their printable cells in an unnamed temporary file
/// (removed by the system when the table is dropped, even if the process is killed).
#[derive(Debug)]
pub struct Table {
    headers: Vec<&'static str>,
    /// The widest cell of each column so far, headers included.
    widths: Vec<usize>,
    rows: Vec<Vec<String>>,
    memory_rows: usize,
    spool: Spool,
}

/// The rows of a table past the first [`MEMORY_ROWS`], in order: those in the file, then those
/// pending in memory.
#[derive(Default)]
struct Spool {
    chunk: usize,
    file: Option<File>,
    pending: Vec<u8>,
    /// The first failure to write the file; reported by [`Table::write`].
    error: Option<io::Error>,
}

impl fmt::Debug for Spool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The pending cells are the server's text: their size is enough.
        f.debug_struct("Spool")
            .field("file", &self.file.is_some())
            .field("pending_bytes", &self.pending.len())
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl Spool {
    fn push(&mut self, cells: &[String]) {
        if self.error.is_some() {
            return;
        }
        for (index, cell) in cells.iter().enumerate() {
            debug_assert!(!cell.bytes().any(|b| b == CELL_END || b == b'\n'));
            if index > 0 {
                self.pending.push(CELL_END);
            }
            self.pending.extend_from_slice(cell.as_bytes());
        }
        self.pending.push(b'\n');
        if self.pending.len() >= self.chunk
            && let Err(error) = self.flush()
        {
            self.error = Some(error);
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(tempfile::tempfile()?),
        };
        // At the end, wherever a replay left off.
        file.seek(SeekFrom::End(0))?;
        file.write_all(&self.pending)?;
        self.pending.clear();
        Ok(())
    }

    /// Calls `row` with each spooled row's cells, in order.
    fn replay(
        &self,
        mut row: impl FnMut(&mut dyn Iterator<Item = &str>) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut line = |bytes: &[u8]| {
            let text = std::str::from_utf8(bytes)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            row(&mut text.split(CELL_END as char))
        };
        if let Some(mut file) = self.file.as_ref() {
            file.seek(SeekFrom::Start(0))?;
            let mut reader = BufReader::with_capacity(SPOOL_CHUNK, file);
            let mut bytes = Vec::new();
            while reader.read_until(b'\n', &mut bytes)? > 0 {
                line(bytes.strip_suffix(b"\n").unwrap_or(&bytes))?;
                bytes.clear();
            }
        }
        for bytes in self.pending.split_inclusive(|&b| b == b'\n') {
            line(bytes.strip_suffix(b"\n").unwrap_or(bytes))?;
        }
        Ok(())
    }
}

impl Table {
    /// A table with these column headers and no rows yet.
    pub fn new(headers: &[&'static str]) -> Self {
        Self::spooling_after(headers, MEMORY_ROWS, SPOOL_CHUNK)
    }

    /// A table that keeps `memory_rows` rows in memory and spools the rest in `chunk`s.
    fn spooling_after(headers: &[&'static str], memory_rows: usize, chunk: usize) -> Self {
        Self {
            headers: headers.to_vec(),
            widths: headers.iter().map(|h| h.width()).collect(),
            rows: Vec::new(),
            memory_rows,
            spool: Spool {
                chunk,
                ..Spool::default()
            },
        }
    }

    /// Adds a row; its cells are made [`printable`] (no control, bidi or invisible character
    /// reaches the terminal, and no cell is longer than a server message may be).
    pub fn push(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.headers.len());
        let cells: Vec<String> = cells
            .into_iter()
            .map(|c| match printable(&c) {
                Cow::Borrowed(_) => c,
                Cow::Owned(printable) => printable,
            })
            .collect();
        for (width, cell) in self.widths.iter_mut().zip(&cells) {
            *width = (*width).max(cell.width());
        }
        if self.rows.len() < self.memory_rows {
            self.rows.push(cells);
        } else {
            self.spool.push(&cells);
        }
    }

    /// Writes the header line and the rows; no line has trailing spaces. Fails if rows could
    /// not be spooled.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        if let Some(error) = &self.spool.error {
            return Err(io::Error::new(
                error.kind(),
                format!("could not keep the table's rows in a temporary file: {error}"),
            ));
        }
        let mut line = String::new();
        let mut write_row = |cells: &mut dyn Iterator<Item = &str>| {
            line.clear();
            let last = self.widths.len().saturating_sub(1);
            for (index, (cell, width)) in cells.zip(&self.widths).enumerate() {
                if index > 0 {
                    line.push_str(GAP);
                }
                line.push_str(cell);
                if index < last {
                    line.extend(std::iter::repeat_n(' ', width - cell.width()));
                }
            }
            out.write_all(line.trim_end().as_bytes())?;
            out.write_all(b"\n")
        };
        write_row(&mut self.headers.iter().copied())?;
        for row in &self.rows {
            write_row(&mut row.iter().map(String::as_str))?;
        }
        self.spool.replay(write_row)
    }
}

/// Writes `key  value` lines with the values aligned, for one record (`sdm jobs get`).
pub fn write_key_values(out: &mut dyn Write, pairs: &[(&str, String)]) -> io::Result<()> {
    let width = pairs.iter().map(|(key, _)| key.width()).max().unwrap_or(0);
    for (key, value) in pairs {
        let padding = width - key.width();
        // Values are the server's text (a job's name, its message): made printable.
        let value = printable(value);
        writeln!(out, "{key}{:padding$}{GAP}{value}", "")?;
    }
    Ok(())
}

/// `text` cut to at most `max` display columns, ending in `…` when something was cut.
pub fn truncate(text: &str, max: usize) -> Cow<'_, str> {
    if text.width() <= max {
        return Cow::Borrowed(text);
    }
    let mut cut = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        cut.push(c);
        used += w;
    }
    cut.push('…');
    Cow::Owned(cut)
}

/// A time for people: RFC 3339 to the second, in UTC; `-` when absent.
pub fn time(time: Option<&DateTime<Utc>>) -> String {
    time.map_or_else(
        || "-".to_owned(),
        |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// Writes `value` as indented JSON and a newline. The server's objects (`job.raw()`) keep
/// their numbers and strings byte for byte: only the whitespace is laid out again, and the
/// characters a terminal would act on are escaped ([`escape_json`]: the same value for any
/// parser).
pub fn write_json_pretty(out: &mut dyn Write, value: &(impl Serialize + ?Sized)) -> io::Result<()> {
    write_json_text(out, &serde_json::to_string(value)?, Layout::Pretty)?;
    out.write_all(b"\n")
}

/// Writes `value` as compact JSON on one line (NDJSON), as [`write_json_pretty`] does.
pub fn write_json_line(out: &mut dyn Write, value: &(impl Serialize + ?Sized)) -> io::Result<()> {
    write_json_text(out, &serde_json::to_string(value)?, Layout::Compact)?;
    out.write_all(b"\n")
}

/// Writes JSON text (valid JSON, such as a `RawValue`) in `layout`, without a newline; its
/// numbers and strings byte for byte, but for the characters [`escape_json`] escapes.
pub fn write_json_text(out: &mut dyn Write, text: &str, layout: Layout) -> io::Result<()> {
    let mut json = Vec::with_capacity(text.len() + text.len() / 4);
    json_text::write(&mut json, text, layout)?;
    escape_json(&mut json);
    out.write_all(&json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn tables_align_by_display_width() {
        let mut table = Table::new(&["ID", "NAME", "STATUS"]);
        table.push(vec!["1".into(), "東京 Trading".into(), "done".into()]);
        table.push(vec!["22".into(), "Café".into(), "error".into()]);
        table.push(vec!["3".into(), "bad\x1b[31m\nname".into(), "".into()]);
        let out = text(|out| table.write(out));
        assert_eq!(
            out,
            "ID  NAME           STATUS\n\
             1   東京 Trading   done\n\
             22  Café           error\n\
             3   bad�[31m name\n"
        );
    }

    /// Rows of every kind a table meets: wide, empty, hostile, long.
    fn varied_rows(n: usize) -> Vec<Vec<String>> {
        (0..n)
            .map(|i| {
                vec![
                    i.to_string(),
                    match i % 5 {
                        0 => "東京 Trading".to_owned(),
                        1 => format!("bad\x1b[31m\n\x1f{i}\u{202e}"),
                        2 => String::new(),
                        3 => "x".repeat(i % 70),
                        _ => format!("Café {i}\t\r"),
                    },
                    if i % 3 == 0 {
                        String::new()
                    } else {
                        "done".into()
                    },
                ]
            })
            .collect()
    }

    #[test]
    fn a_spooled_table_is_the_table_kept_in_memory() {
        for n in [0, 1, 2, 3, 7, 40, 333] {
            let headers = ["ID", "NAME", "STATUS"];
            let mut whole = Table::spooling_after(&headers, usize::MAX, SPOOL_CHUNK);
            // Two rows in memory, the rest spooled in chunks of a few rows: some in the file,
            // some still pending.
            let mut spooled = Table::spooling_after(&headers, 2, 100);
            for row in varied_rows(n) {
                whole.push(row.clone());
                spooled.push(row);
            }
            assert!(whole.spool.file.is_none() && whole.spool.pending.is_empty());
            assert_eq!(spooled.rows.len(), n.min(2));
            if n >= 40 {
                assert!(spooled.spool.file.is_some(), "{n} rows reach the file");
            }
            let expected = text(|out| whole.write(out));
            assert_eq!(expected.lines().count(), n + 1);
            assert_eq!(text(|out| spooled.write(out)), expected, "{n} rows");
            // Written again, the same (the file is read from its start); rows pushed after a
            // write come after the others.
            assert_eq!(text(|out| spooled.write(out)), expected, "{n} rows, twice");
            let more = varied_rows(n + 200).split_off(n);
            for row in more {
                whole.push(row.clone());
                spooled.push(row);
            }
            assert_eq!(
                text(|out| spooled.write(out)),
                text(|out| whole.write(out)),
                "{n} rows and more"
            );
        }
        // The default: the first rows in memory, the rest spooled, the same text.
        let mut table = Table::new(&["ID", "NAME", "STATUS"]);
        let mut whole = Table::spooling_after(&["ID", "NAME", "STATUS"], usize::MAX, SPOOL_CHUNK);
        for row in varied_rows(MEMORY_ROWS + 6000) {
            whole.push(row.clone());
            table.push(row);
        }
        assert_eq!(table.rows.len(), MEMORY_ROWS);
        assert!(table.spool.file.is_some());
        assert_eq!(text(|out| table.write(out)), text(|out| whole.write(out)));
    }

    #[test]
    fn printable_cells_cannot_hold_the_spools_separators() {
        // Every C0 and C1 control, DEL, and the line and paragraph separators.
        let all: String = (0u32..0x20)
            .chain(0x7f..0xa0)
            .chain([0x2028, 0x2029])
            .filter_map(char::from_u32)
            .collect();
        let cell = printable(&all);
        assert!(!cell.chars().any(char::is_control), "{cell:?}");
        assert!(!cell.bytes().any(|b| b == CELL_END || b == b'\n'));
    }

    #[test]
    fn truncation_counts_display_columns() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("exactly10!", 10), "exactly10!");
        assert_eq!(truncate("a longer name", 8), "a longe…");
        let cut = truncate("東京東京東京", 6);
        assert_eq!(cut, "東京…");
        assert!(cut.width() <= 6);
    }

    #[test]
    fn key_values_align() {
        let out =
            text(|out| write_key_values(out, &[("id", "x".into()), ("status", "done".into())]));
        assert_eq!(out, "id      x\nstatus  done\n");
    }
}
