//! JSON text laid out again without being decoded: the server's numbers and strings go out byte
//! for byte (`1.50`, `123456789012345678901234567890`, `1e400`, `"\ud800"`), only the whitespace
//! between tokens changes. Decoding into `serde_json::Value` and printing that would rewrite
//! numbers (`1.5`, `1.2345678901234568e+29`) or refuse the document.

use std::io::{self, Write};

/// How the text is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// On one line, no space between tokens (what `serde_json::to_writer` writes).
    Compact,
    /// Indented by two spaces, `"key": value` (what `serde_json::to_writer_pretty` writes).
    Pretty,
}

/// Writes `text`, which must be valid JSON (a `RawValue`, or what `serde_json` serialized), in
/// `layout`.
pub fn write(out: &mut dyn Write, text: &str, layout: Layout) -> io::Result<()> {
    let mut buffer = Vec::with_capacity(text.len() + text.len() / 4);
    lay_out(text.as_bytes(), layout, &mut buffer);
    out.write_all(&buffer)
}

fn lay_out(text: &[u8], layout: Layout, out: &mut Vec<u8>) {
    let pretty = layout == Layout::Pretty;
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', depth * 2));
    };
    let mut depth = 0usize;
    let mut index = 0;
    while index < text.len() {
        let byte = text[index];
        match byte {
            b'"' => {
                let end = string_end(text, index);
                out.extend_from_slice(&text[index..end]);
                index = end;
                continue;
            }
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b'{' | b'[' => {
                let close = if byte == b'{' { b'}' } else { b']' };
                let next = next_token(text, index + 1);
                if text.get(next) == Some(&close) {
                    out.extend_from_slice(&[byte, close]);
                    index = next + 1;
                    continue;
                }
                out.push(byte);
                depth += 1;
                if pretty {
                    newline(out, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if pretty {
                    newline(out, depth);
                }
                out.push(byte);
            }
            b',' => {
                out.push(b',');
                if pretty {
                    newline(out, depth);
                }
            }
            b':' => out.extend_from_slice(if pretty { b": " } else { b":" }),
            _ => out.push(byte),
        }
        index += 1;
    }
}

/// The index just past the string that starts (with its quote) at `start`.
fn string_end(text: &[u8], start: usize) -> usize {
    let mut index = start + 1;
    while index < text.len() {
        match text[index] {
            b'\\' => index += 2,
            b'"' => return index + 1,
            _ => index += 1,
        }
    }
    text.len()
}

/// The index of the first byte at or after `from` that is not whitespace.
fn next_token(text: &[u8], from: usize) -> usize {
    let mut index = from;
    while index < text.len() && matches!(text[index], b' ' | b'\t' | b'\n' | b'\r') {
        index += 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn laid_out(text: &str, layout: Layout) -> String {
        let mut out = Vec::new();
        write(&mut out, text, layout).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_layout_is_serde_jsons_own() {
        let value = json!({"a": [1, {"b": null, "c": []}, {}], "d": "x, y: {z}", "e": {"f": true},
                           "g": "quote \" and \\ back\\slash"});
        let text = serde_json::to_string(&value).unwrap();
        assert_eq!(
            laid_out(&text, Layout::Pretty),
            serde_json::to_string_pretty(&value).unwrap()
        );
        let spaced = serde_json::to_string_pretty(&value).unwrap();
        assert_eq!(laid_out(&spaced, Layout::Compact), text);
        assert_eq!(laid_out("[ ]", Layout::Pretty), "[]");
        assert_eq!(laid_out("{\n}", Layout::Compact), "{}");
    }

    #[test]
    fn numbers_and_strings_go_out_as_they_came() {
        let text = "{\"big\": 123456789012345678901234567890, \"tiny\": 1.0e-400,\n \"price\": 1.50, \
                    \"huge\": 1e400, \"lone\": \"\\ud800\", \"esc\": \"caf\\u00e9 \\\" \\n\"}";
        assert_eq!(
            laid_out(text, Layout::Compact),
            "{\"big\":123456789012345678901234567890,\"tiny\":1.0e-400,\"price\":1.50,\
             \"huge\":1e400,\"lone\":\"\\ud800\",\"esc\":\"caf\\u00e9 \\\" \\n\"}"
        );
        let pretty = laid_out(text, Layout::Pretty);
        assert!(pretty.contains("\n  \"price\": 1.50,\n"), "{pretty}");
        assert!(pretty.contains("\"lone\": \"\\ud800\""), "{pretty}");
    }
}
