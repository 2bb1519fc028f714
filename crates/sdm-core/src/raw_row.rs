//! A row as the server's JSON text, with what the decoder learned about it while validating:
//! enough for a writer to copy it out, compact it, or cut it into cells without reading it again.

use std::borrow::Cow;

use crate::row_scan::{FieldSpan, RowShape};

/// One validated output row: its JSON text exactly as the server sent it, and facts about it.
/// From [`RowDecoder::current_row`](crate::proto::RowDecoder::current_row) and the clients'
/// row readers (`next_row`).
#[derive(Debug, Clone, Copy)]
pub struct RawRow<'a> {
    text: &'a str,
    shape: &'a RowShape,
}

impl<'a> RawRow<'a> {
    pub(crate) fn new(text: &'a str, shape: &'a RowShape) -> Self {
        Self { text, shape }
    }

    /// The row's JSON text (an object), as the server sent it.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// Whether the text has no whitespace between tokens: it is already what
    /// [`write_compact`](crate::proto::write_compact) would write.
    pub fn is_compact(&self) -> bool {
        !self.shape.whitespace
    }

    /// Whether every byte is ASCII below DEL (0x7f): then the text holds no character a
    /// terminal could act on, other than the whitespace JSON allows between tokens.
    pub fn is_plain_ascii(&self) -> bool {
        !self.shape.above_del
    }

    /// The row's top-level fields, in the order the server wrote them (a repeated key is
    /// repeated here).
    pub fn fields(&self) -> impl ExactSizeIterator<Item = RawField<'a>> + 'a {
        let text = self.text;
        self.shape
            .fields
            .iter()
            .map(move |span: &FieldSpan| RawField {
                key: &text[span.key.0..span.key.1],
                value: &text[span.value.0..span.value.1],
                key_escaped: span.key_escaped,
                value_escaped: span.value_escaped,
            })
    }
}

/// A top-level field of a [`RawRow`]: its key and value as JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawField<'a> {
    key: &'a str,
    value: &'a str,
    key_escaped: bool,
    value_escaped: bool,
}

impl<'a> RawField<'a> {
    /// The key as JSON string text, quotes and escapes included.
    pub fn key_json(&self) -> &'a str {
        self.key
    }

    /// The key's text, unescaped (borrowed unless it has escapes). An error only for a key
    /// that escapes a lone UTF-16 surrogate (`"\ud800"`), which no string can hold.
    pub fn key(&self) -> Result<Cow<'a, str>, serde_json::Error> {
        if self.key_escaped {
            serde_json::from_str::<String>(self.key).map(Cow::Owned)
        } else {
            Ok(Cow::Borrowed(&self.key[1..self.key.len() - 1]))
        }
    }

    /// The value as JSON text, as the server wrote it (a nested value may hold whitespace).
    pub fn value_json(&self) -> &'a str {
        self.value
    }

    /// Whether the value is a string holding a backslash escape: a string without one is its
    /// text between the quotes.
    pub fn value_has_escapes(&self) -> bool {
        self.value_escaped
    }
}
