//! Parsing an uploaded CSV file as it arrives, piece by piece: `skip_lines` lines skipped, the
//! header on the next non-blank line, the separator detected among `,` `;` `|` from that line,
//! RFC 4180 quotes (lenient about stray quotes), UTF-8 else Latin-1 for the whole file. Cells
//! are counted while reading; rows are kept only while the file is within [`MAX_CELLS`], so a
//! file of any size costs little memory.

use super::table::{Cell, MAX_CELLS, TOO_MANY_CELLS, Table};
use memchr::{memchr, memchr2};

/// The parsing error of a file without a header line.
pub(crate) const NO_HEADER: &str = "The file has no header line.";
/// The separators SDM accepts, in the order they win ties.
const SEPARATORS: [u8; 3] = [b',', b';', b'|'];
/// A header line longer than this is cut here to detect the separator (it is parsed whole).
const HEADER_SCAN: usize = 1 << 20;

/// An incremental CSV parser: [`CsvParser::feed`] the file's bytes in any pieces, then
/// [`CsvParser::finish`].
#[derive(Debug)]
pub(crate) struct CsvParser {
    skip_left: u64,
    utf8: Utf8Check,
    /// The start of the header line, until it is complete.
    header_line: Vec<u8>,
    records: Option<Tokenizer>,
    collector: Collector,
}

impl CsvParser {
    /// A parser that skips `skip_lines` lines before looking for the header.
    pub(crate) fn new(skip_lines: u64) -> Self {
        Self {
            skip_left: skip_lines,
            utf8: Utf8Check::default(),
            header_line: Vec::new(),
            records: None,
            collector: Collector::default(),
        }
    }

    /// Feeds the next bytes of the file. Once the file is over the cell limit its outcome is
    /// known, and the rest is not looked at.
    pub(crate) fn feed(&mut self, mut data: &[u8]) {
        if self.collector.over {
            return;
        }
        self.utf8.feed(data);
        while self.records.is_none() {
            if self.skip_left > 0 {
                let Some(i) = memchr(b'\n', data) else {
                    return;
                };
                data = &data[i + 1..];
                self.skip_left -= 1;
                continue;
            }
            match memchr(b'\n', data) {
                Some(i) => {
                    self.header_line.extend_from_slice(&data[..=i]);
                    data = &data[i + 1..];
                    if trim_line_end(&self.header_line).is_empty() {
                        self.header_line.clear();
                    } else {
                        self.start_records();
                    }
                }
                None => {
                    self.header_line.extend_from_slice(data);
                    if self.header_line.len() > HEADER_SCAN {
                        self.start_records();
                    }
                    return;
                }
            }
        }
        if let Some(records) = &mut self.records {
            records.feed(data, &mut self.collector);
        }
    }

    /// Ends the file: its rows, or the parsing error.
    pub(crate) fn finish(mut self) -> Result<Table, String> {
        if self.records.is_none() && !trim_line_end(&self.header_line).is_empty() {
            self.start_records();
        }
        let Some(mut records) = self.records.take() else {
            return Err(NO_HEADER.to_owned());
        };
        records.finish(&mut self.collector);
        self.collector.finish(self.utf8.finish())
    }

    /// Detects the separator from the header line read so far and parses records from there.
    fn start_records(&mut self) {
        let line = std::mem::take(&mut self.header_line);
        let mut records = Tokenizer::new(detect_separator(trim_line_end(&line)));
        records.feed(&line, &mut self.collector);
        self.records = Some(records);
    }
}

/// `line` without its `\n` or `\r\n`.
fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The separator that occurs most often outside quotes in the header line (`,` if none does).
fn detect_separator(line: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = SEPARATORS.iter().position(|&s| s == b) {
            counts[i] += 1;
        }
    }
    let mut best = 0;
    for i in 1..SEPARATORS.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    SEPARATORS[best]
}

/// Whether the file so far is valid UTF-8, checked piece by piece (a character may straddle
/// two pieces).
#[derive(Debug)]
struct Utf8Check {
    ok: bool,
    carry: Vec<u8>,
}

impl Default for Utf8Check {
    fn default() -> Self {
        Self {
            ok: true,
            carry: Vec::new(),
        }
    }
}

impl Utf8Check {
    /// Checks the next bytes.
    fn feed(&mut self, mut data: &[u8]) {
        if !self.ok {
            return;
        }
        while !self.carry.is_empty() {
            let Some((&b, rest)) = data.split_first() else {
                return;
            };
            self.carry.push(b);
            data = rest;
            match std::str::from_utf8(&self.carry) {
                Ok(_) => self.carry.clear(),
                Err(e) if e.error_len().is_some() || self.carry.len() >= 4 => {
                    self.ok = false;
                    return;
                }
                Err(_) => {}
            }
        }
        if let Err(e) = std::str::from_utf8(data) {
            if e.error_len().is_some() {
                self.ok = false;
            } else {
                self.carry = data[e.valid_up_to()..].to_vec();
            }
        }
    }

    /// Whether the whole file was valid UTF-8.
    fn finish(&self) -> bool {
        self.ok && self.carry.is_empty()
    }
}

/// Where the tokenizer is within a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing of the field read yet.
    FieldStart,
    /// In a field that did not start with a quote.
    Unquoted,
    /// Inside quotes.
    Quoted,
    /// Just after a quote inside quotes: `""` or the end of the quotes.
    QuoteInQuoted,
    /// After the closing quote (anything up to the separator is kept, leniently).
    AfterQuoted,
}

/// Splits bytes into records of raw fields. A record's fields are kept in one reused buffer,
/// so tokenizing allocates nothing per field.
#[derive(Debug)]
struct Tokenizer {
    separator: u8,
    state: State,
    /// The bytes of the current record's fields, one after the other.
    record: Vec<u8>,
    /// Where each complete field of the current record ends in `record`.
    ends: Vec<usize>,
    /// How much of the current field came from inside quotes (a trailing `\r` there is kept).
    protected: usize,
    record_quoted: bool,
}

impl Tokenizer {
    /// A tokenizer for fields separated by `separator`.
    fn new(separator: u8) -> Self {
        Self {
            separator,
            state: State::FieldStart,
            record: Vec::new(),
            ends: Vec::new(),
            protected: 0,
            record_quoted: false,
        }
    }

    /// Where the current field starts in `record`.
    fn field_start(&self) -> usize {
        self.ends.last().copied().unwrap_or(0)
    }

    /// Tokenizes the next bytes, handing each complete record to `out`.
    fn feed(&mut self, data: &[u8], out: &mut Collector) {
        let mut i = 0;
        while i < data.len() {
            match self.state {
                State::FieldStart => {
                    if data[i] == b'"' {
                        self.state = State::Quoted;
                        self.record_quoted = true;
                        i += 1;
                    } else {
                        self.state = State::Unquoted;
                    }
                }
                State::Unquoted | State::AfterQuoted => {
                    let rest = &data[i..];
                    match memchr2(self.separator, b'\n', rest) {
                        None => {
                            self.record.extend_from_slice(rest);
                            i = data.len();
                        }
                        Some(j) => {
                            self.record.extend_from_slice(&rest[..j]);
                            i += j + 1;
                            if rest[j] == self.separator {
                                self.end_field();
                            } else {
                                self.end_record(out);
                            }
                        }
                    }
                }
                State::Quoted => {
                    let rest = &data[i..];
                    match memchr(b'"', rest) {
                        None => {
                            self.record.extend_from_slice(rest);
                            i = data.len();
                        }
                        Some(j) => {
                            self.record.extend_from_slice(&rest[..j]);
                            i += j + 1;
                            self.state = State::QuoteInQuoted;
                        }
                    }
                }
                State::QuoteInQuoted => {
                    if data[i] == b'"' {
                        self.record.push(b'"');
                        self.state = State::Quoted;
                        i += 1;
                    } else {
                        self.protected = self.record.len() - self.field_start();
                        self.state = State::AfterQuoted;
                    }
                }
            }
        }
    }

    /// Ends the last record at the end of the file, if one is open.
    fn finish(&mut self, out: &mut Collector) {
        if self.state != State::FieldStart || !self.ends.is_empty() {
            self.end_record(out);
        }
    }

    /// Ends the current field (a line end's `\r` outside quotes removed).
    fn end_field(&mut self) {
        if self.record.len() - self.field_start() > self.protected
            && self.record.last() == Some(&b'\r')
        {
            self.record.pop();
        }
        self.ends.push(self.record.len());
        self.protected = 0;
        self.state = State::FieldStart;
    }

    /// Ends the current record; a blank line is no record.
    fn end_record(&mut self, out: &mut Collector) {
        self.end_field();
        let blank = self.ends.len() == 1 && self.record.is_empty() && !self.record_quoted;
        if !blank {
            out.record(&self.record, &self.ends);
        }
        self.record.clear();
        self.ends.clear();
        self.record_quoted = false;
    }
}

/// The header, the cell count and (while within the limit) the rows, compactly: the bytes of
/// every non-empty cell in one buffer, with each cell's column and end.
#[derive(Debug, Default)]
struct Collector {
    columns: Option<Vec<Vec<u8>>>,
    cells: u64,
    over: bool,
    bytes: Vec<u8>,
    cell_columns: Vec<u32>,
    cell_ends: Vec<u64>,
    /// Where each row's cells end.
    row_ends: Vec<usize>,
}

impl Collector {
    /// Takes the next record, its fields one after the other in `bytes`, ending at `ends`:
    /// the header, then rows (fields past the header's are ignored).
    fn record(&mut self, bytes: &[u8], ends: &[usize]) {
        let fields = ends.iter().scan(0, |start, &end| {
            let field = &bytes[*start..end];
            *start = end;
            Some(field)
        });
        let Some(columns) = &self.columns else {
            self.columns = Some(fields.map(<[u8]>::to_vec).collect());
            return;
        };
        let width = columns.len();
        self.cells += width as u64;
        if self.over {
            return;
        }
        if self.cells > MAX_CELLS {
            self.over = true;
            self.bytes = Vec::new();
            self.cell_columns = Vec::new();
            self.cell_ends = Vec::new();
            self.row_ends = Vec::new();
            return;
        }
        for (i, field) in fields.take(width).enumerate() {
            if !field.is_empty() {
                self.bytes.extend_from_slice(field);
                self.cell_columns.push(i as u32);
                self.cell_ends.push(self.bytes.len() as u64);
            }
        }
        self.row_ends.push(self.cell_columns.len());
    }

    /// The table, with every text decoded as UTF-8 (`utf8`) or Latin-1.
    fn finish(self, utf8: bool) -> Result<Table, String> {
        if self.over {
            return Err(TOO_MANY_CELLS.to_owned());
        }
        // Valid UTF-8 was checked over the whole file, so each piece of it is valid too.
        let decode = |bytes: &[u8]| -> String {
            if utf8 {
                String::from_utf8_lossy(bytes).into_owned()
            } else {
                bytes.iter().copied().map(char::from).collect()
            }
        };
        let mut columns: Vec<String> = self
            .columns
            .unwrap_or_default()
            .iter()
            .map(|name| decode(name))
            .collect();
        if let Some(first) = columns.first_mut()
            && let Some(rest) = first.strip_prefix('\u{feff}')
        {
            *first = rest.to_owned();
        }
        let mut start = 0;
        let cells = self
            .cell_columns
            .into_iter()
            .zip(self.cell_ends)
            .map(|(column, end)| {
                let end = end as usize;
                let text = decode(&self.bytes[start..end]);
                start = end;
                (column, Cell::Text(text.into_boxed_str()))
            })
            .collect();
        Ok(Table::from_parts(columns, cells, self.row_ends))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// Parses `bytes` fed in pieces of `piece` bytes.
    fn parse(bytes: &[u8], skip: u64, piece: usize) -> Result<Table, String> {
        let mut parser = CsvParser::new(skip);
        for chunk in bytes.chunks(piece.max(1)) {
            parser.feed(chunk);
        }
        parser.finish()
    }

    fn rows(table: &Table) -> Vec<Value> {
        (0..table.len()).map(|i| table.row_value(i)).collect()
    }

    #[test]
    fn parses_the_same_in_any_pieces() {
        let text = "sku;name;price\r\nA1;\"Chaise; \"\"pro\"\"\";12,5\r\n\r\nB2;;\nC3;\"two\nlines\";1;extra\n";
        let expected = vec![
            json!({"sku": "A1", "name": "Chaise; \"pro\"", "price": "12,5"}),
            json!({"sku": "B2"}),
            json!({"sku": "C3", "name": "two\nlines", "price": "1"}),
        ];
        for piece in [1, 2, 3, 7, 1000] {
            let table = parse(text.as_bytes(), 0, piece).unwrap();
            assert_eq!(table.columns(), ["sku", "name", "price"], "{piece}");
            assert_eq!(rows(&table), expected, "pieces of {piece}");
        }
    }

    #[test]
    fn detects_separators_from_the_header() {
        for (text, columns) in [
            ("a,b;c\n", vec!["a", "b;c"]),
            ("a;b;c,d\n", vec!["a", "b", "c,d"]),
            ("a|b|c\n", vec!["a", "b", "c"]),
            ("\"x,y\";z\n", vec!["x,y", "z"]),
            ("single\n", vec!["single"]),
            ("a;b,c|d\n", vec!["a;b", "c|d"]),
        ] {
            assert_eq!(parse(text.as_bytes(), 0, 4).unwrap().columns(), columns);
        }
    }

    #[test]
    fn skips_lines_then_blank_lines_before_the_header() {
        let text = "Exported by X\nOn Monday\n\nsku,ean\nA,1\n";
        let table = parse(text.as_bytes(), 2, 3).unwrap();
        assert_eq!(table.columns(), ["sku", "ean"]);
        assert_eq!(rows(&table), [json!({"sku": "A", "ean": "1"})]);
        let table = parse(text.as_bytes(), 0, 3).unwrap();
        assert_eq!(table.columns(), ["Exported by X"]);
        assert_eq!(parse(b"sku\n", 0, 1).unwrap().len(), 0);
        assert_eq!(parse(b"sku", 0, 1).unwrap().columns(), ["sku"]);
        for (text, skip) in [("", 0), ("\n\r\n\n", 0), ("a,b\nc,d\n", 2), ("a\nb", 5)] {
            assert_eq!(
                parse(text.as_bytes(), skip, 2),
                Err(NO_HEADER.to_owned()),
                "{text:?}"
            );
        }
    }

    #[test]
    fn utf8_else_latin1_for_the_whole_file() {
        let utf8 = "\u{feff}nom;prix\nCrème brûlée;3\n".as_bytes();
        for piece in [1, 2, 5] {
            let table = parse(utf8, 0, piece).unwrap();
            assert_eq!(table.columns(), ["nom", "prix"]);
            assert_eq!(rows(&table)[0]["nom"], "Crème brûlée");
        }
        let latin1: Vec<u8> = b"nom;prix\nCr\xe8me;3\n".to_vec();
        assert_eq!(rows(&parse(&latin1, 0, 3).unwrap())[0]["nom"], "Crème");
        // One bad byte anywhere makes every text Latin-1, as decoding the file whole would.
        let mut mixed = "Désignation\nCrème\n".as_bytes().to_vec();
        mixed.push(0xff);
        let table = parse(&mixed, 0, 4).unwrap();
        assert_eq!(table.columns(), ["DÃ©signation"]);
    }

    #[test]
    fn counts_every_cell_and_keeps_rows_within_the_limit() {
        let header = "a,b,c,d\n";
        let within = format!("{header}{}", "1,,,\n".repeat((MAX_CELLS / 4) as usize));
        let table = parse(within.as_bytes(), 0, 65_536).unwrap();
        assert_eq!(table.len() as u64, MAX_CELLS / 4);
        assert_eq!(rows(&table)[0], json!({"a": "1"}));
        let over = format!("{within}1\n");
        assert_eq!(
            parse(over.as_bytes(), 0, 65_536),
            Err(TOO_MANY_CELLS.to_owned())
        );
    }
}
