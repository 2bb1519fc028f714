//! The rows of a parsed upload, kept compactly (column names once, non-empty cells by column
//! index) until a created job serves them.

use serde_json::{Map, Value};

/// The most cells (rows × columns, empty cells included) a file may have.
pub(crate) const MAX_CELLS: u64 = 800_000;
/// The parsing error of a file over [`MAX_CELLS`].
pub(crate) const TOO_MANY_CELLS: &str = "The file has more than 800000 cells (rows × columns).";

/// Column names and rows of `(column index, value)` pairs, empty cells left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<(u32, Value)>>,
}

impl Table {
    /// A table of these columns and rows (indexes below `columns.len()`, no empty cells).
    pub(crate) fn new(columns: Vec<String>, rows: Vec<Vec<(u32, Value)>>) -> Self {
        Self { columns, rows }
    }

    /// The rows of a JSON upload (`{"data": [...]}`): the columns are every key in first-seen
    /// order, and `""` and `null` count as empty cells. Over [`MAX_CELLS`], the error text.
    pub(crate) fn from_json_rows(objects: Vec<Map<String, Value>>) -> Result<Self, String> {
        let mut columns: Vec<String> = Vec::new();
        let mut index = std::collections::HashMap::new();
        let mut rows = Vec::with_capacity(objects.len());
        for object in objects {
            let mut row = Vec::with_capacity(object.len());
            for (key, value) in object {
                let next = columns.len() as u32;
                let i = *index.entry(key.clone()).or_insert_with(|| {
                    columns.push(key);
                    next
                });
                let empty = value.is_null() || value.as_str() == Some("");
                if !empty {
                    row.push((i, value));
                }
            }
            rows.push(row);
        }
        let cells = rows.len() as u64 * columns.len() as u64;
        if cells > MAX_CELLS {
            return Err(TOO_MANY_CELLS.to_owned());
        }
        Ok(Self { columns, rows })
    }

    /// How many rows.
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// The column names.
    pub(crate) fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The non-empty cells of row `i`, in the row's order.
    pub(crate) fn row(&self, i: usize) -> &[(u32, Value)] {
        &self.rows[i]
    }

    /// Appends row `i` as compact JSON (column name → value).
    pub(crate) fn write_json(&self, i: usize, out: &mut Vec<u8>) {
        out.push(b'{');
        for (n, (column, value)) in self.rows[i].iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            // Writing to a `Vec` cannot fail.
            let _ = serde_json::to_writer(&mut *out, &self.columns[*column as usize]);
            out.push(b':');
            let _ = serde_json::to_writer(&mut *out, value);
        }
        out.push(b'}');
    }

    /// Row `i` as a JSON object.
    pub(crate) fn row_value(&self, i: usize) -> Value {
        let object: Map<String, Value> = self.rows[i]
            .iter()
            .map(|(column, value)| (self.columns[*column as usize].clone(), value.clone()))
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
