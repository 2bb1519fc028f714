//! The rows of a parsed upload, kept compactly (column names once, non-empty cells by column
//! index) until a created job serves them.

use serde_json::{Map, Value};

use crate::csv_text;

/// The most cells (rows × columns, empty cells included) a file may have.
pub(crate) const MAX_CELLS: u64 = 800_000;
/// The parsing error of a file over [`MAX_CELLS`].
pub(crate) const TOO_MANY_CELLS: &str = "The file has more than 800000 cells (rows × columns).";

/// One non-empty cell: text (every CSV cell) or any other JSON value (JSON uploads), boxed so
/// a cell costs little more than its text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// A string.
    Text(Box<str>),
    /// A number, a boolean, an array or an object.
    Json(Box<Value>),
}

impl Cell {
    /// The cell of a JSON value (strings become [`Cell::Text`]).
    fn of(value: Value) -> Self {
        match value {
            Value::String(text) => Self::Text(text.into_boxed_str()),
            other => Self::Json(Box::new(other)),
        }
    }

    /// The cell as a JSON value.
    pub(crate) fn to_value(&self) -> Value {
        match self {
            Self::Text(text) => Value::String(text.to_string()),
            Self::Json(value) => (**value).clone(),
        }
    }

    /// Appends the cell as one CSV field (see [`csv_text::write_value`]).
    pub(crate) fn write_csv(&self, out: &mut Vec<u8>) {
        match self {
            Self::Text(text) => csv_text::write_field(out, text.as_bytes()),
            Self::Json(value) => csv_text::write_value(out, value),
        }
    }

    /// Appends the cell as compact JSON.
    fn write_json(&self, out: &mut Vec<u8>) {
        // Writing to a `Vec` cannot fail.
        let _ = match self {
            Self::Text(text) => serde_json::to_writer(&mut *out, text),
            Self::Json(value) => serde_json::to_writer(&mut *out, value),
        };
    }
}

/// Column names, and the non-empty cells of every row as `(column index, cell)` pairs, all
/// rows in one vector.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Table {
    columns: Vec<String>,
    cells: Vec<(u32, Cell)>,
    /// Where each row's cells end in `cells`.
    row_ends: Vec<usize>,
}

impl Table {
    /// A table of `columns` and `rows` of `(column index, value)` pairs (indexes below
    /// `columns.len()`; empty cells already left out).
    #[cfg(test)]
    pub(crate) fn new(columns: Vec<String>, rows: Vec<Vec<(u32, Value)>>) -> Self {
        let mut table = Self {
            columns,
            ..Self::default()
        };
        for row in rows {
            table
                .cells
                .extend(row.into_iter().map(|(i, value)| (i, Cell::of(value))));
            table.row_ends.push(table.cells.len());
        }
        table
    }

    /// A table from its parts: `row_ends[i]` is where row `i`'s cells end in `cells`.
    pub(crate) fn from_parts(
        columns: Vec<String>,
        cells: Vec<(u32, Cell)>,
        row_ends: Vec<usize>,
    ) -> Self {
        Self {
            columns,
            cells,
            row_ends,
        }
    }

    /// The rows of a JSON upload (`{"data": [...]}`): the columns are every key in first-seen
    /// order, and `""` and `null` count as empty cells. Over [`MAX_CELLS`], the error text.
    pub(crate) fn from_json_rows(objects: Vec<Map<String, Value>>) -> Result<Self, String> {
        let mut table = Self::default();
        let mut index = std::collections::HashMap::new();
        for object in objects {
            for (key, value) in object {
                let next = table.columns.len() as u32;
                let i = *index.entry(key.clone()).or_insert_with(|| {
                    table.columns.push(key);
                    next
                });
                let empty = value.is_null() || value.as_str() == Some("");
                if !empty {
                    table.cells.push((i, Cell::of(value)));
                }
            }
            table.row_ends.push(table.cells.len());
        }
        let cells = table.len() as u64 * table.columns.len() as u64;
        if cells > MAX_CELLS {
            return Err(TOO_MANY_CELLS.to_owned());
        }
        Ok(table)
    }

    /// How many rows.
    pub(crate) fn len(&self) -> usize {
        self.row_ends.len()
    }

    /// The column names.
    pub(crate) fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The non-empty cells of row `i`, in the row's order.
    pub(crate) fn row(&self, i: usize) -> &[(u32, Cell)] {
        let start = if i == 0 { 0 } else { self.row_ends[i - 1] };
        &self.cells[start..self.row_ends[i]]
    }

    /// Appends row `i` as compact JSON (column name → value).
    pub(crate) fn write_json(&self, i: usize, out: &mut Vec<u8>) {
        out.push(b'{');
        for (n, (column, cell)) in self.row(i).iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            // Writing to a `Vec` cannot fail.
            let _ = serde_json::to_writer(&mut *out, &self.columns[*column as usize]);
            out.push(b':');
            cell.write_json(out);
        }
        out.push(b'}');
    }

    /// Row `i` as a JSON object.
    pub(crate) fn row_value(&self, i: usize) -> Value {
        let object: Map<String, Value> = self
            .row(i)
            .iter()
            .map(|(column, cell)| (self.columns[*column as usize].clone(), cell.to_value()))
            .collect();
        Value::Object(object)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn objects(value: Value) -> Vec<Map<String, Value>> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_object().unwrap().clone())
            .collect()
    }

    #[test]
    fn json_rows_keep_their_order_and_lose_empty_cells() {
        let table = Table::from_json_rows(objects(json!([
            {"sku": "A", "name": "", "price": 3},
            {"ean": "1", "sku": "B", "note": null},
        ])))
        .unwrap();
        assert_eq!(table.columns(), ["sku", "name", "price", "ean", "note"]);
        assert_eq!(table.len(), 2);
        assert_eq!(table.row_value(0), json!({"sku": "A", "price": 3}));
        assert_eq!(table.row_value(1), json!({"ean": "1", "sku": "B"}));
        let mut out = Vec::new();
        table.write_json(1, &mut out);
        assert_eq!(out, br#"{"ean":"1","sku":"B"}"#);
        out.clear();
        table.write_json(0, &mut out);
        assert_eq!(out, br#"{"sku":"A","price":3}"#);
        assert!(std::mem::size_of::<(u32, Cell)>() <= 24);
    }

    #[test]
    fn json_rows_obey_the_cell_limit() {
        let row = |i: u64| json!({"a": i, "b": ""});
        let ok: Vec<Value> = (0..MAX_CELLS / 2).map(row).collect();
        assert!(Table::from_json_rows(objects(Value::Array(ok.clone()))).is_ok());
        let mut over = ok;
        over.push(row(0));
        assert_eq!(
            Table::from_json_rows(objects(Value::Array(over))),
            Err(TOO_MANY_CELLS.to_owned())
        );
    }
}
