//! One output row of a job: column name → JSON value, in the server's column order.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One line of a job's output.
///
/// Empty columns are left out by the server, so rows of the same output can have different
/// columns. Values are usually strings but may be any JSON value.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Row(Map<String, Value>);

impl Row {
    /// The value of one column, if the row has it.
    pub fn get(&self, column: &str) -> Option<&Value> {
        self.0.get(column)
    }

    /// The columns present in this row, in the server's order.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Column/value pairs in the server's order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0
            .iter()
            .map(|(column, value)| (column.as_str(), value))
    }

    /// How many columns the row has.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the row has no column at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The row as a JSON object map.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The row as a JSON object map, consuming it.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }
}

impl From<Map<String, Value>> for Row {
    fn from(map: Map<String, Value>) -> Self {
        Self(map)
    }
}
