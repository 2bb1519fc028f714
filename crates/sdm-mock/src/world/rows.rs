//! Output rows of a job, generated lazily row by row from (seed, job, format, row number), so
//! any row can be produced without the ones before it and bodies of any size can be streamed.

use std::sync::OnceLock;

use serde::Serialize;
use serde_json::Value;

use crate::csv_text;
use crate::rng::{Rng, mix, mix_str};

/// Sub-stream label for rows.
const ROW_STREAM: u64 = 0x2a5;
/// Sub-stream label for the rows of jobs added while the server runs.
const KEYED_ROW_STREAM: u64 = 0x2a6;
/// The most rows a job has in one format.
const MAX_ROWS: u64 = 60;

/// The columns of format 1 (the full export), in order; absent cells are left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Sku,
    Ean,
    Name,
    Description,
    Brand,
    Price,
    Color,
    WeightKg,
    Designation,
    InStock,
}

impl Column {
    /// Every column, in output order.
    const ALL: [Column; 10] = [
        Self::Sku,
        Self::Ean,
        Self::Name,
        Self::Description,
        Self::Brand,
        Self::Price,
        Self::Color,
        Self::WeightKg,
        Self::Designation,
        Self::InStock,
    ];

    /// The column's name (the row object's key), how often (in percent) its cell is filled,
    /// and whether format 2 (a short export) keeps it.
    fn spec(self) -> (&'static str, u64, bool) {
        match self {
            Self::Sku => ("sku", 97, true),
            Self::Ean => ("ean", 90, true),
            Self::Name => ("name", 95, true),
            Self::Description => ("description", 70, true),
            Self::Brand => ("brand", 85, false),
            Self::Price => ("price", 90, true),
            Self::Color => ("color", 60, false),
            Self::WeightKg => ("weight_kg", 70, false),
            Self::Designation => ("Désignation", 75, false),
            Self::InStock => ("in_stock", 50, false),
        }
    }

    /// The column's name.
    fn name(self) -> &'static str {
        self.spec().0
    }
}

/// Descriptions that exercise every escaping and encoding corner; the first rows of each job
/// cycle through all of them.
const TRICKY: [&str; 14] = [
    "Stainless steel \"pro\" blade",
    "Red, green, blue",
    "a;b;c",
    "First line\nsecond line",
    "Windows line\r\nbreak",
    "Tab\tseparated",
    "Crème brûlée für Müller – 中文说明 🚀",
    "  padded with spaces  ",
    "He said: \"Hi, there; bye\"\nthen left",
    "=SUM(A1:A3)",
    "Back\\slash and 'single' quotes",
    "Emoji only 👍🏽🎉",
    "Zero\u{200b}width and NBSP\u{a0}here",
    "plain description",
];

const NAMES: [&str; 10] = [
    "Chaise « Lounge »",
    "Müsli Crunchy 500 g",
    "陶瓷茶杯",
    "Tasse ☕ émaillée",
    "  Coussin déco  ",
    "Garden hose 25 m",
    "Øko sæbe",
    "Smörgåsbord plate",
    "Cable, USB-C; 2 m",
    "Lamp \"Aurora\"",
];

const BRANDS: [&str; 6] = ["Acme", "Dupont & Fils", "Müller", "Nordisk", "東芝", "Zoë"];
const COLORS: [&str; 7] = [
    "rouge",
    "blau",
    "绿色",
    "black",
    "crème",
    "gris anthracite",
    "ピンク",
];
const DESIGNATIONS: [&str; 5] = [
    "Chaise de jardin pliante",
    "Bol en grès émaillé",
    "Lampe à poser « Étoile »",
    "Tapis tissé main, 160×230",
    "Théière en fonte – 1,2 L",
];

/// A word a cell can hold, encoded once as compact JSON (by `serde_json`) and as a CSV field.
#[derive(Debug, PartialEq, Eq)]
struct Word {
    json: String,
    csv: String,
}

/// Every word a cell can hold and the compact JSON of every column key (with its `:`), so
/// rows are assembled from ready-made pieces.
#[derive(Debug)]
struct Texts {
    tricky: Vec<Word>,
    names: Vec<Word>,
    brands: Vec<Word>,
    colors: Vec<Word>,
    designations: Vec<Word>,
    yes_no: Vec<Word>,
    keys: Vec<String>,
}

/// The shared [`Texts`].
fn texts() -> &'static Texts {
    static TEXTS: OnceLock<Texts> = OnceLock::new();
    TEXTS.get_or_init(|| {
        let encode = |words: &[&str]| {
            words
                .iter()
                .map(|w| Word {
                    json: json(w),
                    csv: csv_text::field(w),
                })
                .collect()
        };
        Texts {
            tricky: encode(&TRICKY),
            names: encode(&NAMES),
            brands: encode(&BRANDS),
            colors: encode(&COLORS),
            designations: encode(&DESIGNATIONS),
            yes_no: encode(&["yes", "no"]),
            keys: Column::ALL.iter().map(|c| json(c.name()) + ":").collect(),
        }
    })
}

/// `value` as compact JSON.
fn json(value: &(impl Serialize + ?Sized)) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A cell value, written without allocating.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    /// A word from [`Texts`].
    Word(&'static Word),
    /// A product code `SKU-0042-007` (job and item numbers, zero-padded to 4 and 3 digits),
    /// with a space on each side if `padded`.
    Sku { job: u64, item: u64, padded: bool },
    /// A number written as a string of digits.
    Digits(u64),
    /// A decimal number as a string: `whole`, `separator`, `fraction` zero-padded to `digits`.
    Decimal {
        whole: u64,
        separator: u8,
        fraction: u64,
        digits: u32,
    },
    /// A non-negative integer.
    Int(u64),
    /// A floating-point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// An explicit `null`.
    Null,
}

impl Cell {
    /// Appends the compact JSON of the value. Escaping and number formatting are `serde_json`'s;
    /// only quotes around digits and ASCII separators are added here, which need no escaping.
    fn write(&self, out: &mut Vec<u8>) {
        match *self {
            Cell::Word(word) => out.extend_from_slice(word.json.as_bytes()),
            Cell::Sku { job, item, padded } => {
                out.push(b'"');
                write_sku(out, job, item, padded);
                out.push(b'"');
            }
            Cell::Digits(n) => {
                out.push(b'"');
                write_uint(out, n, 1);
                out.push(b'"');
            }
            Cell::Decimal {
                whole,
                separator,
                fraction,
                digits,
            } => {
                out.push(b'"');
                write_uint(out, whole, 1);
                out.push(separator);
                write_uint(out, fraction, digits);
                out.push(b'"');
            }
            Cell::Int(n) => write_uint(out, n, 1),
            // Writing to a `Vec` cannot fail.
            Cell::Float(x) => drop(serde_json::to_writer(&mut *out, &x)),
            Cell::Bool(b) => drop(serde_json::to_writer(&mut *out, &b)),
            Cell::Null => out.extend_from_slice(b"null"),
        }
    }
}

impl Cell {
    /// Appends the value as one CSV field, as [`csv_text::write_value`] writes its JSON value:
    /// strings as their text (quoted when they hold a `,`), `null` as nothing, other values
    /// as their JSON.
    fn write_csv(&self, out: &mut Vec<u8>) {
        match *self {
            Cell::Word(word) => out.extend_from_slice(word.csv.as_bytes()),
            Cell::Sku { job, item, padded } => write_sku(out, job, item, padded),
            Cell::Digits(n) | Cell::Int(n) => write_uint(out, n, 1),
            Cell::Decimal {
                whole,
                separator,
                fraction,
                digits,
            } => {
                let quoted = separator == csv_text::SEPARATOR;
                if quoted {
                    out.push(b'"');
                }
                write_uint(out, whole, 1);
                out.push(separator);
                write_uint(out, fraction, digits);
                if quoted {
                    out.push(b'"');
                }
            }
            // Writing to a `Vec` cannot fail.
            Cell::Float(x) => drop(serde_json::to_writer(&mut *out, &x)),
            Cell::Bool(b) => drop(serde_json::to_writer(&mut *out, &b)),
            Cell::Null => {}
        }
    }
}

/// Appends a product code `SKU-0042-007`, with a space on each side if `padded`.
fn write_sku(out: &mut Vec<u8>, job: u64, item: u64, padded: bool) {
    let space: &[u8] = if padded { b" " } else { b"" };
    out.extend_from_slice(space);
    out.extend_from_slice(b"SKU-");
    write_uint(out, job, 4);
    out.push(b'-');
    write_uint(out, item, 3);
    out.extend_from_slice(space);
}

/// Appends `n` in decimal, zero-padded to at least `width` digits.
fn write_uint(out: &mut Vec<u8>, n: u64, width: u32) {
    let len = n.checked_ilog10().map_or(1, |log| log + 1);
    out.resize(out.len() + width.saturating_sub(len) as usize, b'0');
    // Writing to a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, &n);
}

/// A lazy, resumable iterator over the rows of one job in one format.
#[derive(Debug, Clone)]
pub(crate) struct RowSource {
    base: u64,
    job_number: usize,
    output_format_id: u64,
    next: u64,
    len: u64,
}

impl RowSource {
    /// The rows of the job at `index` in format `output_format_id` of the world seeded `seed`.
    pub(crate) fn new(seed: u64, index: usize, output_format_id: u64) -> Self {
        let base = mix(mix(mix(seed, ROW_STREAM), index as u64), output_format_id);
        let mut rng = Rng::new(base);
        // Guarantees for small worlds: job 0 has the most rows, job 4 (done) has none in format 2.
        let len = match (index, output_format_id) {
            (0, 1) => MAX_ROWS,
            (4, 2) => 0,
            _ if rng.chance(10) => 0,
            _ => rng.range(1, MAX_ROWS),
        };
        Self {
            base,
            job_number: index + 1,
            output_format_id,
            next: 0,
            len,
        }
    }

    /// Exactly `len` rows of a job added while the server runs, derived from (seed, job id,
    /// format); `job_number` appears in the SKUs.
    pub(crate) fn keyed(
        seed: u64,
        job_id: &str,
        job_number: usize,
        output_format_id: u64,
        len: u64,
    ) -> Self {
        let base = mix(
            mix_str(mix(seed, KEYED_ROW_STREAM), job_id),
            output_format_id,
        );
        Self {
            base,
            job_number,
            output_format_id,
            next: 0,
            len,
        }
    }

    /// The same source with exactly `len` rows (to test chunk boundaries).
    #[cfg(test)]
    pub(crate) fn with_len(seed: u64, index: usize, output_format_id: u64, len: u64) -> Self {
        Self {
            len,
            ..Self::new(seed, index, output_format_id)
        }
    }

    /// The non-empty cells of row number `row` (0-based), in column order.
    fn cells(&self, row: u64) -> impl Iterator<Item = (Column, Cell)> + use<> {
        let mut rng = Rng::new(mix(self.base, row));
        let (job_number, short) = (self.job_number, self.output_format_id == 2);
        let texts = texts();
        Column::ALL.into_iter().filter_map(move |column| {
            // Every column draws from the generator whether or not the format keeps it, so a
            // value depends only on (seed, job, format, row, column).
            let value = cell(&mut rng, texts, column, job_number, row)?;
            (!short || column.spec().2).then_some((column, value))
        })
    }

    /// Appends the compact JSON of the next row to `out` (byte for byte what `serde_json`
    /// writes for it) and advances; `false` (and nothing written) once every row has been
    /// produced.
    pub(crate) fn write_next(&mut self, out: &mut Vec<u8>) -> bool {
        if self.next >= self.len {
            return false;
        }
        let keys = &texts().keys;
        out.push(b'{');
        for (i, (column, value)) in self.cells(self.next).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(keys[column as usize].as_bytes());
            value.write(out);
        }
        out.push(b'}');
        self.next += 1;
        true
    }

    /// How many rows are left.
    pub(crate) fn remaining(&self) -> u64 {
        self.len - self.next
    }

    /// The name of column `i` (an index [`RowSource::csv_columns`] returns).
    pub(crate) fn column_name(i: usize) -> &'static str {
        Column::ALL[i].name()
    }

    /// The columns of the rows left, as a download file's header has them: every key in
    /// first-seen order. Found by generating rows (not writing them) until every column the
    /// format has was seen, which takes a few rows.
    pub(crate) fn csv_columns(&self) -> Vec<usize> {
        let short = self.output_format_id == 2;
        let possible = Column::ALL.iter().filter(|c| !short || c.spec().2).count();
        let mut seen = Vec::with_capacity(possible);
        for row in self.next..self.len {
            for (column, _) in self.cells(row) {
                let i = column as usize;
                if !seen.contains(&i) {
                    seen.push(i);
                }
            }
            if seen.len() == possible {
                break;
            }
        }
        seen
    }

    /// Appends the next row as a CSV line of `columns` (from [`RowSource::csv_columns`]) and
    /// advances; `false` (and nothing written) once every row has been produced.
    pub(crate) fn write_csv_next(&mut self, columns: &[usize], out: &mut Vec<u8>) -> bool {
        if self.next >= self.len {
            return false;
        }
        let mut cells = [None; Column::ALL.len()];
        for (column, cell) in self.cells(self.next) {
            cells[column as usize] = Some(cell);
        }
        for (n, &i) in columns.iter().enumerate() {
            if n > 0 {
                out.push(csv_text::SEPARATOR);
            }
            if let Some(cell) = &cells[i] {
                cell.write_csv(out);
            }
        }
        out.extend_from_slice(csv_text::LINE_END);
        self.next += 1;
        true
    }
}

impl Iterator for RowSource {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        // Rows are a few hundred bytes: one allocation, no regrowth.
        let mut text = Vec::with_capacity(512);
        self.write_next(&mut text)
            .then(|| serde_json::from_slice(&text).unwrap_or_default())
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.remaining()).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}

impl ExactSizeIterator for RowSource {}

/// One of `words` (from [`Texts`]), as a cell.
fn word(rng: &mut Rng, words: &'static [Word]) -> Cell {
    Cell::Word(&words[rng.below(words.len() as u64) as usize])
}

/// The value of `column` in a row, or `None` when the cell is empty (and thus left out).
fn cell(
    rng: &mut Rng,
    texts: &'static Texts,
    column: Column,
    job_number: usize,
    row: u64,
) -> Option<Cell> {
    let present = rng.below(100);
    let style = rng.below(100);
    let value = match column {
        Column::Sku => Cell::Sku {
            job: job_number as u64,
            item: row + 1,
            padded: style < 5,
        },
        Column::Ean => {
            let ean = 4_000_000_000_000 + rng.below(999_999_999_999);
            if style < 20 {
                Cell::Int(ean)
            } else {
                Cell::Digits(ean)
            }
        }
        Column::Name => word(rng, &texts.names),
        Column::Description => {
            let i = row as usize;
            if let Some(text) = texts.tricky.get(i) {
                return Some(Cell::Word(text));
            }
            word(rng, &texts.tricky)
        }
        Column::Brand if style < 10 => Cell::Null,
        Column::Brand => word(rng, &texts.brands),
        Column::Price => {
            let cents = rng.range(49, 99_999);
            match style {
                60..85 => Cell::Float(cents as f64 / 100.0),
                _ => Cell::Decimal {
                    whole: cents / 100,
                    separator: if style < 60 { b'.' } else { b',' },
                    fraction: cents % 100,
                    digits: 2,
                },
            }
        }
        Column::Color => word(rng, &texts.colors),
        Column::WeightKg => {
            let grams = rng.range(5, 25_000);
            if style < 50 {
                Cell::Float(grams as f64 / 1000.0)
            } else {
                Cell::Decimal {
                    whole: grams / 1000,
                    separator: b'.',
                    fraction: grams % 1000,
                    digits: 3,
                }
            }
        }
        Column::Designation => word(rng, &texts.designations),
        Column::InStock => match style {
            0..60 => Cell::Bool(style.is_multiple_of(2)),
            _ => Cell::Word(&texts.yes_no[(style % 2) as usize]),
        },
    };
    (present < column.spec().1).then_some(value)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rows_are_deterministic_and_varied() {
        let a: Vec<Value> = RowSource::new(3, 0, 1).collect();
        let b: Vec<Value> = RowSource::new(3, 0, 1).collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), MAX_ROWS as usize);
        let key_sets: std::collections::HashSet<Vec<String>> = a
            .iter()
            .map(|r| r.as_object().unwrap().keys().cloned().collect())
            .collect();
        assert!(key_sets.len() > 1, "rows should have different key sets");
        let text = serde_json::to_string(&a).unwrap();
        for tricky in TRICKY {
            assert!(
                text.contains(&serde_json::to_string(tricky).unwrap()),
                "{tricky:?}"
            );
        }
        assert_eq!(RowSource::new(3, 4, 2).count(), 0);
    }

    #[test]
    fn written_rows_are_serde_json_bytes() {
        for format in [1, 2] {
            let mut writer = RowSource::keyed(5, "job", 301, format, 2_000);
            let mut buf = Vec::new();
            for (i, row) in RowSource::keyed(5, "job", 301, format, 2_000).enumerate() {
                buf.clear();
                assert!(writer.write_next(&mut buf));
                assert_eq!(
                    String::from_utf8(buf.clone()).unwrap(),
                    serde_json::to_string(&row).unwrap(),
                    "row {i} of format {format}"
                );
            }
            assert!(!writer.write_next(&mut buf));
            assert_eq!(writer.remaining(), 0);
        }
    }

    #[test]
    fn csv_lines_hold_the_json_rows_values() {
        for format in [1, 2] {
            let mut source = RowSource::keyed(5, "job", 301, format, 500);
            let columns = source.csv_columns();
            let names: Vec<&str> = columns.iter().map(|&i| RowSource::column_name(i)).collect();
            let rows: Vec<Value> = source.clone().collect();
            let mut seen: Vec<&str> = Vec::new();
            for row in &rows {
                for key in row.as_object().unwrap().keys() {
                    if !seen.contains(&key.as_str()) {
                        seen.push(key);
                    }
                }
            }
            assert_eq!(names, seen, "format {format}");
            for row in &rows {
                let mut line = Vec::new();
                assert!(source.write_csv_next(&columns, &mut line));
                let mut expected = Vec::new();
                for (n, name) in names.iter().enumerate() {
                    if n > 0 {
                        expected.push(b',');
                    }
                    if let Some(value) = row.get(*name) {
                        csv_text::write_value(&mut expected, value);
                    }
                }
                expected.extend_from_slice(b"\r\n");
                assert_eq!(
                    String::from_utf8(line).unwrap(),
                    String::from_utf8(expected).unwrap()
                );
            }
            assert!(!source.write_csv_next(&columns, &mut Vec::new()));
        }
    }

    #[test]
    fn keyed_rows_depend_on_the_job_id_and_have_the_asked_length() {
        let a = RowSource::keyed(5, "a", 301, 1, 50);
        assert_eq!(a.len(), 50);
        let b: Vec<Value> = RowSource::keyed(5, "b", 301, 1, 50).collect();
        assert_ne!(a.clone().collect::<Vec<_>>(), b);
        assert_eq!(
            a.collect::<Vec<_>>(),
            RowSource::keyed(5, "a", 301, 1, 50).collect::<Vec<_>>()
        );
        let ten_million = RowSource::keyed(5, "a", 301, 1, 10_000_000);
        assert_eq!(ten_million.len(), 10_000_000);
    }

    #[test]
    fn cells_are_written_as_serde_json_writes_their_values() {
        let texts = texts();
        for (cell, value) in [
            (
                Cell::Sku {
                    job: 42,
                    item: 7,
                    padded: true,
                },
                json!(" SKU-0042-007 "),
            ),
            (
                Cell::Sku {
                    job: 12_345,
                    item: 12_345_678,
                    padded: false,
                },
                json!("SKU-12345-12345678"),
            ),
            (Cell::Digits(0), json!("0")),
            (Cell::Digits(4_012_345_678_901), json!("4012345678901")),
            (
                Cell::Decimal {
                    whole: 0,
                    separator: b',',
                    fraction: 5,
                    digits: 2,
                },
                json!("0,05"),
            ),
            (
                Cell::Decimal {
                    whole: 25,
                    separator: b'.',
                    fraction: 0,
                    digits: 3,
                },
                json!("25.000"),
            ),
            (Cell::Int(0), json!(0)),
            (Cell::Int(u64::MAX), json!(u64::MAX)),
            (Cell::Float(25.0), json!(25.0)),
            (Cell::Float(0.005), json!(0.005)),
            (Cell::Bool(false), json!(false)),
            (Cell::Null, Value::Null),
            (Cell::Word(&texts.tricky[8]), json!(TRICKY[8])),
            (Cell::Word(&texts.yes_no[1]), json!("no")),
        ] {
            let mut out = Vec::new();
            cell.write(&mut out);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&value).unwrap(),
                "{cell:?}"
            );
            let (mut csv, mut expected) = (Vec::new(), Vec::new());
            cell.write_csv(&mut csv);
            csv_text::write_value(&mut expected, &value);
            assert_eq!(csv, expected, "{cell:?} as CSV");
        }
        for (column, key) in Column::ALL.iter().zip(&texts.keys) {
            assert_eq!(*key, format!("{}:", json!(column.name())));
        }
    }

    #[test]
    fn columns_keep_a_fixed_order() {
        for row in RowSource::new(11, 0, 1).chain(RowSource::new(11, 0, 2)) {
            let keys: Vec<&str> = row
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let positions: Vec<usize> = keys
                .iter()
                .map(|k| Column::ALL.iter().position(|c| c.name() == *k).unwrap())
                .collect();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        }
    }
}
