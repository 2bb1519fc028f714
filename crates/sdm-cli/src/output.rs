//! Rendering for people and for programs: aligned tables and key/value listings, times, and
//! JSON (pretty, or one value per line).
//!
//! Everything writes to a `Write` given by the caller and returns its `io::Error`s, so a closed
//! pipe or a full disk is an error the command reports, never a panic.

use std::borrow::Cow;
use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

mod json_text;

use crate::sanitise::escape_json;
pub use crate::sanitise::printable;
pub use json_text::Layout;

/// Space between table columns.
const GAP: &str = "  ";

/// Columns of text aligned by display width (a CJK character takes two columns).
#[derive(Debug)]
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers and no rows yet.
    pub fn new(headers: &[&'static str]) -> Self {
        Self {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; its cells are made [`printable`] (no control, bidi or invisible character
    /// reaches the terminal, and no cell is longer than a server message may be).
    pub fn push(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.headers.len());
        self.rows.push(
            cells
                .into_iter()
                .map(|c| printable(&c).into_owned())
                .collect(),
        );
    }

    /// Writes the header line and the rows; no line has trailing spaces.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.width()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.width());
            }
        }
        let header: Vec<String> = self.headers.iter().map(|h| (*h).to_owned()).collect();
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::new();
            for (index, (cell, width)) in row.iter().zip(&widths).enumerate() {
                if index > 0 {
                    line.push_str(GAP);
                }
                line.push_str(cell);
                if index + 1 < row.len() {
                    line.extend(std::iter::repeat_n(' ', width - cell.width()));
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
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
