//! CSV output as download files carry it: RFC 4180 quoting (a field with a `,`, a `"`, a CR or
//! an LF is quoted, quotes doubled), CRLF line ends, and JSON values written as text.

use serde_json::Value;

/// The separator of download files.
pub(crate) const SEPARATOR: u8 = b',';
/// The line end of download files (RFC 4180's, and Python's `csv` default).
pub(crate) const LINE_END: &[u8] = b"\r\n";

/// Appends `text` as one CSV field, quoted only when it must be.
pub(crate) fn write_field(out: &mut Vec<u8>, text: &[u8]) {
    let needs_quotes = text
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
    if !needs_quotes {
        out.extend_from_slice(text);
        return;
    }
    out.push(b'"');
    for piece in text.split_inclusive(|&b| b == b'"') {
        out.extend_from_slice(piece);
        if piece.last() == Some(&b'"') {
            out.push(b'"');
        }
    }
    out.push(b'"');
}

/// Appends a JSON value as one CSV field: a string as its text, `null` as nothing, anything
/// else as its compact JSON (`12.5`, `true`).
pub(crate) fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::String(s) => write_field(out, s.as_bytes()),
        Value::Null => {}
        other => {
            let text = serde_json::to_vec(other).unwrap_or_default();
            write_field(out, &text);
        }
    }
}

/// The CSV text of a single field (for ready-made pieces).
pub(crate) fn field(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len() + 2);
    write_field(&mut out, text.as_bytes());
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn quotes_only_what_must_be() {
        for (text, expected) in [
            ("plain", "plain"),
            ("", ""),
            ("  spaced  ", "  spaced  "),
            ("a;b|c", "a;b|c"),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("\"", "\"\"\"\""),
            ("two\nlines", "\"two\nlines\""),
            ("cr\r", "\"cr\r\""),
            ("Crème 中文", "Crème 中文"),
        ] {
            assert_eq!(field(text), expected, "{text:?}");
        }
        let mut out = Vec::new();
        for value in [
            json!("x,y"),
            json!(null),
            json!(12.5),
            json!(true),
            json!(7),
        ] {
            write_value(&mut out, &value);
            out.push(b'|');
        }
        assert_eq!(out, b"\"x,y\"||12.5|true|7|");
    }
}
