//! Incremental decoding of a job's output: a JSON array of row objects arriving in chunks of
//! any size, turned into rows as soon as each is complete.
//!
//! Memory is bounded by the largest row plus one chunk, never the body. Rows are handed over as
//! their JSON text ([`RowDecoder::next_raw`], [`RowDecoder::current_row`]), validated in one
//! pass by the row scanner (`row_scan`, which accepts exactly what serde_json accepts and also
//! learns the row's shape; serde_json only explains a bad row), or deserialized by serde_json
//! straight into any `T` ([`RowDecoder::next_typed`], one parse).
//! A truncated body, trailing bytes after the array, or a body that is not an array of objects
//! is an error: never silently fewer rows.

use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeOwned, IgnoredAny};

use crate::raw_row::RawRow;
use crate::row_scan::{RowShape, Scan, scan_row};

/// Default largest row: 8 MiB of JSON text.
pub const DEFAULT_MAX_ROW_BYTES: usize = 8 * 1024 * 1024;

/// Why the body could not be decoded into rows.
#[derive(Debug)]
#[non_exhaustive]
pub enum RowError {
    /// The body is not a JSON array of objects, or has bytes after the array.
    Syntax {
        /// The index of the row being read (the count of rows before it).
        row: u64,
        /// Offset of the problem from the start of the body.
        offset: u64,
        /// What was wrong.
        message: String,
    },
    /// A row was valid JSON but not the requested type.
    Data {
        /// The index of the row.
        row: u64,
        /// The deserializer's message (it names the field).
        source: serde_json::Error,
    },
    /// A row is longer than the limit.
    RowTooLarge {
        /// The index of the row.
        row: u64,
        /// The limit in bytes.
        limit: usize,
    },
    /// The body ended before the array did.
    Truncated {
        /// Rows decoded before the end.
        rows: u64,
        /// Bytes received.
        offset: u64,
    },
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowError::Syntax {
                row,
                offset,
                message,
            } => {
                write!(
                    f,
                    "invalid output data at byte {offset} (row {row}): {message}"
                )
            }
            RowError::Data { row, source } => {
                write!(f, "row {row} does not match the expected type: {source}")
            }
            RowError::RowTooLarge { row, limit } => write!(
                f,
                "row {row} is larger than the row size limit of {limit} bytes"
            ),
            RowError::Truncated { rows, offset } => write!(
                f,
                "the output ended after {offset} bytes, inside the JSON array ({rows} complete rows): the body was cut short"
            ),
        }
    }
}

impl std::error::Error for RowError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RowError::Data { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Where the decoder is in the array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before `[`.
    BeforeArray,
    /// After `[`: a row or `]`.
    FirstRow,
    /// After `,`: a row.
    NextRow,
    /// After a row: `,` or `]`.
    AfterRow,
    /// After `]`: only whitespace may follow.
    Done,
}

/// Finds where a row object ends when it arrives in pieces, resuming where it stopped.
#[derive(Clone, Copy, Debug, Default)]
struct RowScanner {
    /// Bytes of the row scanned so far.
    scanned: usize,
    depth: u32,
    in_string: bool,
    escaped: bool,
}

impl RowScanner {
    /// Scans `row` from where it stopped; returns the row's length once its closing brace is seen.
    fn scan(&mut self, row: &[u8]) -> Option<usize> {
        while self.scanned < row.len() {
            let byte = row[self.scanned];
            self.scanned += 1;
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if byte == b'\\' {
                    self.escaped = true;
                } else if byte == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Some(self.scanned);
                    }
                }
                _ => {}
            }
        }
        None
    }
}

/// The incremental row decoder. Feed it with [`push`](Self::push), take rows with
/// [`next_raw`](Self::next_raw) or [`next_typed`](Self::next_typed) until they return `None`,
/// push the next chunk, and call [`finish`](Self::finish) at the end of the body.
#[derive(Debug)]
pub struct RowDecoder {
    buffer: Vec<u8>,
    /// Start of the unread bytes in `buffer`.
    pos: usize,
    /// Bytes dropped from the front of `buffer` so far (for offsets in errors).
    dropped: u64,
    state: State,
    rows: u64,
    max_row_bytes: usize,
    /// Set while a row spans chunks.
    partial: Option<RowScanner>,
    /// The last raw row handed out, as a range of `buffer`.
    current: (usize, usize),
    failed: bool,
    /// Set by `current_raw` on a row that is not UTF-8: the decoder stops there.
    bad_utf8: Cell<bool>,
    /// What scanning the last raw row learned about it.
    shape: RowShape,
}

impl Default for RowDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_ROW_BYTES)
    }
}

impl RowDecoder {
    /// A decoder refusing rows longer than `max_row_bytes`.
    pub fn new(max_row_bytes: usize) -> Self {
        Self {
            buffer: Vec::new(),
            pos: 0,
            dropped: 0,
            state: State::BeforeArray,
            rows: 0,
            max_row_bytes,
            partial: None,
            current: (0, 0),
            failed: false,
            bad_utf8: Cell::new(false),
            shape: RowShape::default(),
        }
    }

    /// Adds the next chunk of the body.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.pos > 0 {
            // Keep only what is unread: the start of a partial row, at most.
            self.buffer.drain(..self.pos);
            self.dropped += self.pos as u64;
            self.pos = 0;
            self.current = (0, 0);
        }
        self.buffer.extend_from_slice(chunk);
    }

    /// Rows decoded so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.dropped + self.pos as u64
    }

    /// True once the closing `]` has been read.
    pub fn is_complete(&self) -> bool {
        self.state == State::Done
    }

    /// The next row as validated JSON text, or `None` when the pushed bytes hold no complete row
    /// (push more) or the array has ended.
    pub fn next_raw(&mut self) -> Result<Option<&str>, RowError> {
        if self.advance_raw()? {
            self.current_raw().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Moves to the next row, like [`next_raw`](Self::next_raw), without borrowing the decoder:
    /// `true` when a row is ready, to read with [`current_raw`](Self::current_raw).
    pub fn advance_raw(&mut self) -> Result<bool, RowError> {
        if !self.seek_row()? {
            return Ok(false);
        }
        let Some((start, end)) = self.row_raw()? else {
            return Ok(false);
        };
        self.current = (start, end);
        Ok(true)
    }

    /// The row the last successful [`advance_raw`](Self::advance_raw) reached (empty before any).
    ///
    /// The row scanner checks a row's syntax but not the UTF-8 of its strings (as serde_json
    /// skipping them does not); this is where that check happens, once per row.
    pub fn current_raw(&self) -> Result<&str, RowError> {
        let (start, end) = self.current;
        let bytes = &self.buffer[start..end];

        // simdutf8 validates several times faster than std on non-ASCII text; on failure std
        // says where.
        simdutf8::basic::from_utf8(bytes).map_err(|_| {
            self.bad_utf8.set(true);
            let valid_up_to = std::str::from_utf8(bytes)
                .err()
                .map_or(0, |e| e.valid_up_to());
            RowError::Syntax {
                row: self.rows.saturating_sub(1),
                offset: self.dropped + (start + valid_up_to) as u64,
                message: "invalid UTF-8 in a row".into(),
            }
        })
    }

    /// The row the last successful [`advance_raw`](Self::advance_raw) reached, with what
    /// validating it showed (whether it is compact, plain ASCII, and its top-level fields).
    pub fn current_row(&self) -> Result<RawRow<'_>, RowError> {
        let text = self.current_raw()?;
        Ok(RawRow::new(text, &self.shape))
    }

    /// The next row deserialized as `T` (a map, `serde_json::Value`, or a struct of your own),
    /// or `None` as for [`next_raw`](Self::next_raw).
    pub fn next_typed<T: DeserializeOwned>(&mut self) -> Result<Option<T>, RowError> {
        Ok(self.advance::<T>()?.map(|(value, _, _)| value))
    }

    /// Checks, at the end of the body, that the array was complete.
    pub fn finish(&mut self) -> Result<(), RowError> {
        if self.failed || self.bad_utf8.get() {
            return Ok(());
        }
        // Consume what is left: trailing whitespace, or the error it hides.
        while self.advance_raw()? {}
        if self.state == State::Done {
            Ok(())
        } else if self.state == State::BeforeArray {
            let message = "the body is empty, expected a JSON array".to_owned();
            self.fail(RowError::Syntax {
                row: 0,
                offset: self.offset(),
                message,
            })
        } else if let Some(error) = self.unfinished_row_error() {
            self.reject(error)
        } else {
            self.fail(RowError::Truncated {
                rows: self.rows,
                offset: self.dropped + self.buffer.len() as u64,
            })
        }
    }

    /// At the end of the body, the syntax error in a row that never completed, if it is more
    /// than the row being cut short.
    fn unfinished_row_error(&self) -> Option<serde_json::Error> {
        self.partial?;
        let rest = &self.buffer[self.pos..];
        serde_json::from_slice::<IgnoredAny>(rest)
            .err()
            .filter(|error| !error.is_eof())
    }

    fn fail<T>(&mut self, error: RowError) -> Result<T, RowError> {
        self.failed = true;
        Err(error)
    }

    fn syntax(&self, message: String) -> RowError {
        RowError::Syntax {
            row: self.rows,
            offset: self.offset(),
            message,
        }
    }

    /// Moves to the next row: returns it with its byte range, or `None` if more input is needed.
    fn advance<T: DeserializeOwned>(&mut self) -> Result<Option<(T, usize, usize)>, RowError> {
        if self.seek_row()? {
            self.row::<T>()
        } else {
            Ok(None)
        }
    }

    /// Moves past what separates rows: `true` when `pos` is at the next row's `{`, `false` if
    /// more input is needed or the array has ended.
    fn seek_row(&mut self) -> Result<bool, RowError> {
        if self.failed || self.bad_utf8.get() {
            return Ok(false);
        }
        loop {
            let Some(skip) = self.buffer[self.pos..]
                .iter()
                .position(|&b| !is_json_whitespace(b))
            else {
                self.pos = self.buffer.len();
                return Ok(false);
            };
            self.pos += skip;
            let byte = self.buffer[self.pos];
            match (self.state, byte) {
                (State::BeforeArray, b'[') => {
                    self.pos += 1;
                    self.state = State::FirstRow;
                }
                (State::FirstRow, b']') | (State::AfterRow, b']') => {
                    self.pos += 1;
                    self.state = State::Done;
                }
                (State::AfterRow, b',') => {
                    self.pos += 1;
                    self.state = State::NextRow;
                }
                (State::FirstRow | State::NextRow, b'{') => return Ok(true),
                (State::BeforeArray, _) => {
                    let error = self.syntax(format!(
                        "expected a JSON array of rows, found {}",
                        describe(byte)
                    ));
                    return self.fail(error);
                }
                (State::FirstRow | State::NextRow, _) => {
                    let error =
                        self.syntax(format!("expected a row object, found {}", describe(byte)));
                    return self.fail(error);
                }
                (State::AfterRow, _) => {
                    let error = self.syntax(format!(
                        "expected `,` or `]` after a row, found {}",
                        describe(byte)
                    ));
                    return self.fail(error);
                }
                (State::Done, _) => {
                    let error = self.syntax(format!(
                        "unexpected {} after the end of the array",
                        describe(byte)
                    ));
                    return self.fail(error);
                }
            }
        }
    }

    /// Reads the row starting at `pos` (a `{`) as text: validated by the row scanner, which
    /// also learns the row's shape; serde_json only says what is wrong with a bad one.
    fn row_raw(&mut self) -> Result<Option<(usize, usize)>, RowError> {
        let start = self.pos;
        let available = &self.buffer[start..];
        if self.partial.is_none() {
            // Fast path: the whole row is usually here already.
            match scan_row(available, &mut self.shape) {
                Scan::Row(length) => return self.accept((), start, start + length).map(ended),
                Scan::Invalid => return self.reject_row(available.len()),
                Scan::Incomplete => self.partial = Some(RowScanner::default()),
            }
        }
        // The row spans chunks: find where it ends as they come, scan it once complete.
        let scanner = self.partial.as_mut().expect("set above");
        let Some(length) = scanner.scan(available) else {
            return self.check_partial_size(available.len()).map(|()| None);
        };
        self.partial = None;
        match scan_row(&available[..length], &mut self.shape) {
            Scan::Row(found) if found == length => {
                self.accept((), start, start + length).map(ended)
            }
            _ => self.reject_row(length),
        }
    }

    /// A row over the limit before its end has arrived fails now, not once it is complete.
    fn check_partial_size(&mut self, available: usize) -> Result<(), RowError> {
        if available > self.max_row_bytes {
            let error = RowError::RowTooLarge {
                row: self.rows,
                limit: self.max_row_bytes,
            };
            return self.fail(error);
        }
        Ok(())
    }

    /// Fails on the row at `pos`, which the scanner found invalid within its first `length`
    /// bytes, with serde_json's account of what is wrong.
    fn reject_row<T>(&mut self, length: usize) -> Result<T, RowError> {
        let row = &self.buffer[self.pos..self.pos + length];
        let mut stream = serde_json::Deserializer::from_slice(row).into_iter::<IgnoredAny>();
        match stream.next() {
            Some(Err(error)) => self.reject(error),
            // The two disagree (they never should): the row is refused all the same.
            _ => {
                let error = self.syntax("invalid JSON in a row".to_owned());
                self.fail(error)
            }
        }
    }

    /// Reads the row starting at `pos` (a `{`).
    fn row<T: DeserializeOwned>(&mut self) -> Result<Option<(T, usize, usize)>, RowError> {
        let start = self.pos;
        let available = &self.buffer[start..];
        if self.partial.is_none() {
            // Fast path: the whole row is usually here already; one parse finds its end.
            let mut stream = serde_json::Deserializer::from_slice(available).into_iter::<T>();
            match stream.next() {
                Some(Ok(value)) => return self.accept(value, start, start + stream.byte_offset()),
                Some(Err(error)) if error.is_data() => return self.reject(error),
                // A syntax error may only mean the row is cut by the chunk boundary (`1.`, `tr`,
                // a lone `\`): read on until the row is known to be complete, then judge.
                Some(Err(_)) => self.partial = Some(RowScanner::default()),
                None => return Ok(None),
            }
        }
        // The row spans chunks: scan on from where the last chunk stopped, parse once complete.
        let scanner = self.partial.as_mut().expect("set above");
        let Some(length) = scanner.scan(available) else {
            return self.check_partial_size(available.len()).map(|()| None);
        };
        self.partial = None;
        match serde_json::from_slice::<T>(&available[..length]) {
            Ok(value) => self.accept(value, start, start + length),
            Err(error) => self.reject(error),
        }
    }

    fn accept<T>(
        &mut self,
        value: T,
        start: usize,
        end: usize,
    ) -> Result<Option<(T, usize, usize)>, RowError> {
        if end - start > self.max_row_bytes {
            return self.fail(RowError::RowTooLarge {
                row: self.rows,
                limit: self.max_row_bytes,
            });
        }
        self.pos = end;
        self.rows += 1;
        self.state = State::AfterRow;
        Ok(Some((value, start, end)))
    }

    fn reject<T>(&mut self, error: serde_json::Error) -> Result<T, RowError> {
        let row = self.rows;
        if error.is_data() {
            return self.fail(RowError::Data { row, source: error });
        }
        let offset =
            self.offset() + byte_in_row(&self.buffer[self.pos..], error.line(), error.column());
        self.fail(RowError::Syntax {
            row,
            offset,
            message: error.to_string(),
        })
    }
}

/// The byte range of a row accepted as text.
fn ended(accepted: Option<((), usize, usize)>) -> Option<(usize, usize)> {
    accepted.map(|((), start, end)| (start, end))
}

/// Turns serde_json's 1-based line and column within a row into a byte offset.
fn byte_in_row(row: &[u8], line: usize, column: usize) -> u64 {
    let line_start: usize = row
        .split_inclusive(|&b| b == b'\n')
        .take(line.saturating_sub(1))
        .map(<[u8]>::len)
        .sum();
    (line_start + column.saturating_sub(1)) as u64
}

/// The four whitespace bytes JSON allows between tokens.
fn is_json_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

fn describe(byte: u8) -> String {
    if byte.is_ascii_graphic() {
        format!("`{}`", byte as char)
    } else {
        format!("byte 0x{byte:02x}")
    }
}
