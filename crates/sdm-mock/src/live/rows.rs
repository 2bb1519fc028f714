//! [`JobRows`]: what a done job serves, generated rows or the rows of an uploaded file, written
//! one row at a time as JSON (the data endpoint) or as CSV lines (the download).

use std::sync::Arc;

use serde_json::Value;

use crate::csv_text;
use crate::files::Table;
use crate::world::RowSource;

/// The rows of one job in one format, from the next one on.
#[derive(Debug, Clone)]
pub(crate) enum JobRows {
    /// Generated from the seed while written.
    Generated(RowSource),
    /// An uploaded file's rows (a created job's output).
    Table(TableRows),
}

/// The rows of a [`Table`], from row `next` on.
#[derive(Debug, Clone)]
pub(crate) struct TableRows {
    table: Arc<Table>,
    next: usize,
    /// For the row being written as CSV: each column's position in the row, if any.
    slots: Vec<Option<usize>>,
}

impl JobRows {
    /// The rows of `table`.
    pub(crate) fn table(table: Arc<Table>) -> Self {
        Self::Table(TableRows {
            table,
            next: 0,
            slots: Vec::new(),
        })
    }

    /// Appends the compact JSON of the next row and advances; `false` once every row is out.
    pub(crate) fn write_next(&mut self, out: &mut Vec<u8>) -> bool {
        match self {
            Self::Generated(source) => source.write_next(out),
            Self::Table(rows) => {
                if rows.next >= rows.table.len() {
                    return false;
                }
                rows.table.write_json(rows.next, out);
                rows.next += 1;
                true
            }
        }
    }

    /// How many rows are left.
    pub(crate) fn remaining(&self) -> u64 {
        match self {
            Self::Generated(source) => source.remaining(),
            Self::Table(rows) => (rows.table.len() - rows.next) as u64,
        }
    }

    /// Whether the rows are few enough to write a download whole (and send its length).
    pub(crate) fn is_small(&self) -> bool {
        matches!(self, Self::Table(_))
    }

    /// The download file's columns (every key in first-seen order) and its header line
    /// (nothing when there are no columns).
    pub(crate) fn csv_header(&self) -> (Vec<usize>, Vec<u8>) {
        let (columns, names): (Vec<usize>, Vec<&str>) = match self {
            Self::Generated(source) => source
                .csv_columns()
                .into_iter()
                .map(|i| (i, RowSource::column_name(i)))
                .unzip(),
            Self::Table(rows) => {
                let mut seen: Vec<usize> = Vec::new();
                let mut known = vec![false; rows.table.columns().len()];
                for i in rows.next..rows.table.len() {
                    for (column, _) in rows.table.row(i) {
                        let column = *column as usize;
                        if !known[column] {
                            known[column] = true;
                            seen.push(column);
                        }
                    }
                }
                let names = seen
                    .iter()
                    .map(|&i| rows.table.columns()[i].as_str())
                    .collect();
                (seen, names)
            }
        };
        let mut line = Vec::new();
        if !names.is_empty() {
            for (n, name) in names.iter().enumerate() {
                if n > 0 {
                    line.push(csv_text::SEPARATOR);
                }
                csv_text::write_field(&mut line, name.as_bytes());
            }
            line.extend_from_slice(csv_text::LINE_END);
        }
        (columns, line)
    }

    /// Appends the next row as a CSV line of `columns` (from [`JobRows::csv_header`]) and
    /// advances; `false` once every row is out.
    pub(crate) fn write_csv_next(&mut self, columns: &[usize], out: &mut Vec<u8>) -> bool {
        match self {
            Self::Generated(source) => source.write_csv_next(columns, out),
            Self::Table(rows) => {
                if rows.next >= rows.table.len() {
                    return false;
                }
                let cells = rows.table.row(rows.next);
                rows.slots.resize(rows.table.columns().len(), None);
                for (position, (column, _)) in cells.iter().enumerate() {
                    rows.slots[*column as usize] = Some(position);
                }
                for (n, &column) in columns.iter().enumerate() {
                    if n > 0 {
                        out.push(csv_text::SEPARATOR);
                    }
                    if let Some(position) = rows.slots[column] {
                        cells[position].1.write_csv(out);
                    }
                }
                for (column, _) in cells {
                    rows.slots[*column as usize] = None;
                }
                out.extend_from_slice(csv_text::LINE_END);
                rows.next += 1;
                true
            }
        }
    }
}

impl Iterator for JobRows {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        match self {
            Self::Generated(source) => source.next(),
            Self::Table(rows) => {
                let row = (rows.next < rows.table.len()).then(|| rows.table.row_value(rows.next));
                rows.next += usize::from(row.is_some());
                row
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.remaining()).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}

impl ExactSizeIterator for JobRows {}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn table() -> Arc<Table> {
        let columns = vec!["sku".into(), "name".into(), "price".into()];
        let rows = vec![
            vec![(0, json!("A")), (2, json!("1,5"))],
            vec![(1, json!("say \"hi\"")), (0, json!("B"))],
        ];
        Arc::new(Table::new(columns, rows))
    }

    #[test]
    fn table_rows_as_json_and_csv() {
        let rows = JobRows::table(table());
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows.clone().collect::<Vec<_>>(),
            [
                json!({"sku": "A", "price": "1,5"}),
                json!({"name": "say \"hi\"", "sku": "B"})
            ]
        );
        let mut json_text = Vec::new();
        let mut writer = rows.clone();
        while writer.write_next(&mut json_text) {
            json_text.push(b'\n');
        }
        assert_eq!(
            String::from_utf8(json_text).unwrap(),
            "{\"sku\":\"A\",\"price\":\"1,5\"}\n{\"name\":\"say \\\"hi\\\"\",\"sku\":\"B\"}\n"
        );
        let (columns, mut csv) = rows.csv_header();
        let mut writer = rows;
        while writer.write_csv_next(&columns, &mut csv) {}
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "sku,price,name\r\nA,\"1,5\",\r\nB,,\"say \"\"hi\"\"\"\r\n"
        );
        let empty = JobRows::table(Arc::default());
        assert_eq!(empty.csv_header(), (vec![], vec![]));
    }
}
