//! Output rows of a job, generated lazily row by row from (seed, job, format, row number), so
//! any row can be produced without the ones before it and bodies of any size can be streamed.

use serde_json::{Map, Value};

use crate::rng::{Rng, mix};

/// Sub-stream label for rows.
const ROW_STREAM: u64 = 0x2a5;
/// The most rows a job has in one format.
const MAX_ROWS: u64 = 60;

/// Column order of format 1 (the full export); absent columns are skipped.
const FULL_COLUMNS: [&str; 10] = [
    "sku",
    "ean",
    "name",
    "description",
    "brand",
    "price",
    "color",
    "weight_kg",
    "Désignation",
    "in_stock",
];
/// Column order of format 2 (a short export).
const SHORT_COLUMNS: [&str; 5] = ["sku", "ean", "name", "description", "price"];

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

    /// The same source with exactly `len` rows (to test chunk boundaries).
    #[cfg(test)]
    pub(crate) fn with_len(seed: u64, index: usize, output_format_id: u64, len: u64) -> Self {
        Self {
            len,
            ..Self::new(seed, index, output_format_id)
        }
    }

    /// Generates row number `row` (0-based).
    fn row(&self, row: u64) -> Value {
        let mut rng = Rng::new(mix(self.base, row));
        let mut cells = Map::new();
        for column in FULL_COLUMNS {
            // Every column draws from the generator whether or not the format keeps it, so a
            // value depends only on (seed, job, format, row, column).
            let value = cell(&mut rng, column, self.job_number, row);
            let kept = self.output_format_id != 2 || SHORT_COLUMNS.contains(&column);
            if let (Some(value), true) = (value, kept) {
                cells.insert(column.to_owned(), value);
            }
        }
        Value::Object(cells)
    }
}

impl Iterator for RowSource {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        if self.next >= self.len {
            return None;
        }
        let row = self.row(self.next);
        self.next += 1;
        Some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.len - self.next) as usize;
        (left, Some(left))
    }
}

/// The value of `column` in a row, or `None` when the cell is empty (and thus left out).
fn cell(rng: &mut Rng, column: &str, job_number: usize, row: u64) -> Option<Value> {
    let present = rng.below(100);
    let style = rng.below(100);
    let value = match column {
        "sku" => {
            let sku = format!("SKU-{job_number:04}-{:03}", row + 1);
            Value::String(if style < 5 { format!(" {sku} ") } else { sku })
        }
        "ean" => {
            let ean = 4_000_000_000_000 + rng.below(999_999_999_999);
            if style < 20 {
                ean.into()
            } else {
                ean.to_string().into()
            }
        }
        "name" => (*rng.pick(&NAMES)).into(),
        "description" => {
            let i = row as usize;
            if i < TRICKY.len() {
                return Some(TRICKY[i].into());
            }
            (*rng.pick(&TRICKY)).into()
        }
        "brand" if style < 10 => Value::Null,
        "brand" => (*rng.pick(&BRANDS)).into(),
        "price" => {
            let cents = rng.range(49, 99_999);
            match style {
                0..60 => format!("{}.{:02}", cents / 100, cents % 100).into(),
                60..85 => (cents as f64 / 100.0).into(),
                _ => format!("{},{:02}", cents / 100, cents % 100).into(),
            }
        }
        "color" => (*rng.pick(&COLORS)).into(),
        "weight_kg" => {
            let grams = rng.range(5, 25_000);
            if style < 50 {
                (grams as f64 / 1000.0).into()
            } else {
                format!("{}.{:03}", grams / 1000, grams % 1000).into()
            }
        }
        "Désignation" => (*rng.pick(&DESIGNATIONS)).into(),
        "in_stock" => match style {
            0..60 => (style.is_multiple_of(2)).into(),
            _ => Value::from(if style.is_multiple_of(2) { "yes" } else { "no" }),
        },
        _ => return None,
    };
    let presence = match column {
        "sku" => 97,
        "ean" => 90,
        "name" => 95,
        "description" => 70,
        "brand" => 85,
        "price" => 90,
        "color" => 60,
        "weight_kg" => 70,
        "Désignation" => 75,
        _ => 50,
    };
    (present < presence).then_some(value)
}

#[cfg(test)]
mod tests {
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
                .map(|k| FULL_COLUMNS.iter().position(|c| c == k).unwrap())
                .collect();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        }
    }
}
