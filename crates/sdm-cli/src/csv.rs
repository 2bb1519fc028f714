//! RFC 4180 CSV: quoting fields, writing records with CRLF line ends, and rendering JSON values
//! (as the server's compact text) as cells.

use std::borrow::Cow;
use std::io::{self, Write};

use serde_json::value::RawValue;

use crate::sanitise::csv_text;

/// One CSV field, quoted when it holds a `"`, `,`, CR or LF, or starts or ends with a space or
/// tab (which many readers would trim); quotes inside are doubled. Controls other than tab, CR
/// and LF (ESC and the C1 controls that start terminal escape sequences, among them) become
/// `�` ([`csv_text`]): a CSV shown with `cat` must not drive the terminal.
pub fn field(text: &str) -> Cow<'_, str> {
    match csv_text(text) {
        Cow::Borrowed(text) => quoted(text),
        Cow::Owned(text) => Cow::Owned(quoted(&text).into_owned()),
    }
}

/// `text` quoted as [`field`] says.
fn quoted(text: &str) -> Cow<'_, str> {
    let padded = text.starts_with([' ', '\t']) || text.ends_with([' ', '\t']);
    if padded || text.contains(['"', ',', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(text)
    }
}

/// Writes one CSV record ending in CRLF, as RFC 4180 specifies.
pub fn write_record<S: AsRef<str>>(out: &mut dyn Write, fields: &[S]) -> io::Result<()> {
    for (index, text) in fields.iter().enumerate() {
        if index > 0 {
            out.write_all(b",")?;
        }
        out.write_all(field(text.as_ref()).as_bytes())?;
    }
    out.write_all(b"\r\n")
}

/// A JSON value given as the server's (compact) text as a CSV cell: strings unescaped, `null`
/// (or absent) empty, numbers and booleans exactly as written (`1.50` stays `1.50`), objects and
/// arrays as their JSON text.
pub fn raw_cell(value: Option<&RawValue>) -> Cow<'_, str> {
    let Some(value) = value else {
        return Cow::Borrowed("");
    };
    let text = value.get();
    if text == "null" {
        return Cow::Borrowed("");
    }
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        if !inner.contains('\\') {
            return Cow::Borrowed(inner);
        }
        // Valid JSON by construction (`RawValue` checked it), so this cannot fail.
        if let Ok(unescaped) = serde_json::from_str::<String>(text) {
            return Cow::Owned(unescaped);
        }
    }
    Cow::Borrowed(text)
}

/// [`BYTE_CLASS`] bits: the byte makes the field quoted; is a control; may start a C1 control.
const QUOTE: u8 = 1;
const CONTROL: u8 = 2;
const C2: u8 = 4;

/// What each byte means to a CSV field.
static BYTE_CLASS: [u8; 256] = {
    let mut classes = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        classes[b] = CONTROL;
        b += 1;
    }
    classes[b'\t' as usize] = 0;
    classes[b'\r' as usize] = QUOTE;
    classes[b'\n' as usize] = QUOTE;
    classes[b'"' as usize] = QUOTE;
    classes[b',' as usize] = QUOTE;
    classes[0x7f] = CONTROL;
    classes[0xc2] = C2;
    classes
};

/// Appends `text` to `out` as one CSV field, exactly as [`field`] renders it; the common case
/// (nothing to replace) takes one pass over the bytes and builds no string.
pub fn write_field(text: &str, out: &mut Vec<u8>) {
    let bytes = text.as_bytes();
    let padded =
        matches!(bytes.first(), Some(b' ' | b'\t')) || matches!(bytes.last(), Some(b' ' | b'\t'));
    // One table look-up per byte, no branch: what the field holds.
    let classes = bytes
        .iter()
        .fold(0u8, |classes, &b| classes | BYTE_CLASS[usize::from(b)]);
    let quote = classes & QUOTE != 0;
    // The controls `char::is_control` names: C0 and DEL, and C1 (`C2 80`..`C2 9F`).
    let control = classes & CONTROL != 0
        || (classes & C2 != 0
            && memchr::memchr_iter(0xc2, bytes)
                .any(|at| matches!(bytes.get(at + 1), Some(0x80..=0x9f))));
    if control {
        out.extend_from_slice(field(text).as_bytes());
        return;
    }
    if !quote && !padded {
        out.extend_from_slice(bytes);
        return;
    }
    out.push(b'"');
    for (index, part) in bytes.split(|&b| b == b'"').enumerate() {
        if index > 0 {
            out.extend_from_slice(b"\"\"");
        }
        out.extend_from_slice(part);
    }
    out.push(b'"');
}

/// Appends the text of a JSON string that had no escapes (`text`, between its quotes) as one
/// CSV field, exactly as [`write_field`] would. Such text has no quote, line break or other
/// control character (JSON would have escaped them), so only a comma or an edge space calls for
/// quotes; and only text that is not `plain_ascii` can hold DEL or a C1 control.
pub fn write_unescaped_string_field(text: &str, plain_ascii: bool, out: &mut Vec<u8>) {
    let bytes = text.as_bytes();
    let padded = bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ');
    // A comma; DEL, or the lead byte of every C1 control. Cells are short: one pass with no
    // early exit, which the compiler turns into wide compares, beats a search per kind.
    let suspicious = bytes.iter().fold(false, |found, &b| {
        found | (b == b',') | (!plain_ascii & ((b == 0x7f) | (b == 0xc2)))
    });
    if padded || suspicious {
        return write_field(text, out);
    }
    out.extend_from_slice(bytes);
}

/// Appends the cell of a JSON value given as its compact text, as [`raw_cell`] renders it
/// and [`write_field`] quotes it.
pub fn write_raw_cell(text: &str, out: &mut Vec<u8>) {
    if text == "null" {
        return;
    }
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        if memchr::memchr(b'\\', inner.as_bytes()).is_none() {
            return write_field(inner, out);
        }
        // Valid JSON by construction (the decoder checked it), so this cannot fail.
        if let Ok(unescaped) = serde_json::from_str::<String>(text) {
            return write_field(&unescaped, out);
        }
    }
    write_field(text, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The shortcut for strings without escapes writes what the general path writes.
        #[test]
        fn unescaped_strings_are_written_as_write_field_writes_them(
            text in "[ ,a-z\u{7f}\u{85}\u{e9}\u{202e}]{0,12}"
        ) {
            let (mut general, mut shortcut) = (Vec::new(), Vec::new());
            write_field(&text, &mut general);
            write_unescaped_string_field(&text, text.bytes().all(|b| b < 0x7f), &mut shortcut);
            proptest::prop_assert_eq!(general, shortcut);
        }
    }

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(field("plain text"), "plain text");
        assert_eq!(field(""), "");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(
            field("O'Neil \"Quality\" Tools"),
            "\"O'Neil \"\"Quality\"\" Tools\""
        );
        assert_eq!(field("\""), "\"\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("cr\r"), "\"cr\r\"");
        assert_eq!(field(" leading"), "\" leading\"");
        assert_eq!(field("trailing "), "\"trailing \"");
        assert_eq!(field("\ttab"), "\"\ttab\"");
        assert_eq!(field("inner space"), "inner space");
        assert_eq!(field("Électroménager – 東京"), "Électroménager – 東京");
        assert_eq!(field("\u{1b}[31mred\u{9b}0m"), "\u{fffd}[31mred\u{fffd}0m");
        assert_eq!(field("a\u{7}\tb,c"), "\"a\u{fffd}\tb,c\"");
        let mut line = Vec::new();
        write_record(&mut line, &["id", "a \"b\", c", "", " x"]).unwrap();
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "id,\"a \"\"b\"\", c\",,\" x\"\r\n"
        );
    }

    fn written(text: &str) -> String {
        let mut out = Vec::new();
        write_field(text, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn written_fields_are_the_same_as_built_ones() {
        for text in [
            "plain text",
            "",
            "a,b",
            "O'Neil \"Quality\" Tools",
            "\"",
            "two\nlines",
            "cr\r",
            " leading",
            "trailing ",
            "\ttab",
            "Électroménager – 東京 « x »",
            "\u{1b}[31mred\u{9b}0m",
            "a\u{7}\tb,c",
            "\u{85}\u{7f}\u{a0}",
        ] {
            assert_eq!(written(text), field(text), "{text:?}");
        }
        let cell = |text: &str| {
            let mut out = Vec::new();
            write_raw_cell(text, &mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(cell("null"), "");
        assert_eq!(cell(r#""a, b""#), "\"a, b\"");
        assert_eq!(cell(r#""say \"hi\"\n\u00e9""#), "\"say \"\"hi\"\"\né\"");
        assert_eq!(cell(r#""\u001b[2J""#), "\u{fffd}[2J");
        assert_eq!(cell("1.50"), "1.50");
        assert_eq!(cell(r#"{"a":[1,"x"]}"#), "\"{\"\"a\"\":[1,\"\"x\"\"]}\"");
    }

    proptest::proptest! {
        #[test]
        fn writing_a_field_matches_building_it(
            chars in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(vec![
                        ' ', '\t', '\r', '\n', '"', ',', '\u{0}', '\u{1b}', '\u{7f}', '\u{80}',
                        '\u{9f}', '\u{a0}', '\u{c2}', 'é', '東', '🙂',
                    ]),
                    proptest::prelude::any::<char>(),
                ],
                0..40,
            )
        ) {
            let text: String = chars.into_iter().collect();
            proptest::prop_assert_eq!(written(&text), field(&text).into_owned());
        }
    }

    #[test]
    fn raw_cells() {
        let raw = |text: &str| RawValue::from_string(text.to_owned()).unwrap();
        assert_eq!(raw_cell(None), "");
        assert_eq!(raw_cell(Some(&raw("null"))), "");
        assert_eq!(raw_cell(Some(&raw(r#""a\tb""#))), "a\tb");
        assert_eq!(raw_cell(Some(&raw("1.50"))), "1.50");
    }

    #[test]
    fn raw_values() {
        let cell = |text: &str| {
            let mut out = Vec::new();
            write_raw_cell(text, &mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(cell("null"), "");
        assert_eq!(cell(r#""plain""#), "plain");
        assert_eq!(cell(r#""""#), "");
        assert_eq!(cell(r#""say \"hi\"\n\u00e9""#), "\"say \"\"hi\"\"\né\"");
        assert_eq!(cell("1.50"), "1.50");
        assert_eq!(cell("-0"), "-0");
        assert_eq!(cell("1e3"), "1e3");
        assert_eq!(cell("true"), "true");
        assert_eq!(cell(r#"{"a":[1,"x"]}"#), r#""{""a"":[1,""x""]}""#);
        assert_eq!(cell("[]"), "[]");
    }
}
