//! Removing insignificant whitespace from JSON text, leaving every string and number exactly as
//! it was written: how a row sent by the server becomes one NDJSON line.

/// Appends `json` (valid JSON text, e.g. a row from [`RowDecoder`](crate::proto::RowDecoder)) to `out`
/// without whitespace between tokens. Strings (escapes included) and numbers are copied byte for
/// byte, so `1.50` stays `1.50` and `"\u00e9"` stays `"\u00e9"`.
pub fn write_compact(json: &str, out: &mut Vec<u8>) {
    let bytes = json.as_bytes();
    if surely_compact(bytes) {
        out.extend_from_slice(bytes);
        return;
    }
    out.reserve(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i;
                i = string_end(bytes, i + 1);
                out.extend_from_slice(&bytes[start..i]);
            }
            b' ' | b'\n' | b'\r' | b'\t' => i += 1,
            _ => {
                let start = i;
                while i < bytes.len() && !matches!(bytes[i], b'"' | b' ' | b'\n' | b'\r' | b'\t') {
                    i += 1;
                }
                out.extend_from_slice(&bytes[start..i]);
            }
        }
    }
}

/// A quick check, with SIMD searches, that `bytes` (valid JSON) has no whitespace between
/// tokens; `false` means "maybe", and the exact pass decides.
///
/// JSON allows whitespace only next to the six structural characters `{ } [ ] : ,`, so a run of
/// it always touches one. Tabs and line breaks cannot appear raw inside strings; a space inside a
/// string usually sits between letters. Spaces beside a structural character or another space
/// (`"a, b"` in a value, or real whitespace) send the row to the exact pass.
fn surely_compact(bytes: &[u8]) -> bool {
    if memchr::memchr3(b'\n', b'\r', b'\t', bytes).is_some() {
        return false;
    }
    let structural_or_space = |b: u8| matches!(b, b'{' | b'}' | b'[' | b']' | b':' | b',' | b' ');
    memchr::memchr_iter(b' ', bytes).all(|at| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + 1).copied();
        !before.is_some_and(structural_or_space)
            && !after.is_some_and(structural_or_space)
            && before.is_some()
    })
}

/// The index just past the closing quote of the string whose content starts at `from`.
fn string_end(bytes: &[u8], mut from: usize) -> usize {
    while let Some(found) = memchr::memchr2(b'"', b'\\', &bytes[from..]) {
        let at = from + found;
        if bytes[at] == b'"' {
            return at + 1;
        }
        from = at + 2; // skip the escaped character
        if from >= bytes.len() {
            break;
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compact(json: &str) -> String {
        let mut out = Vec::new();
        write_compact(json, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn whitespace_goes_and_values_stay_byte_for_byte() {
        assert_eq!(
            compact(
                "{ \"a b\" : \"c \\\" d\\\\\" ,\n\t\"n\": 1.50e+3 , \"u\": \"\\u00e9 \", \"x\" : [ true , null ] }"
            ),
            r#"{"a b":"c \" d\\","n":1.50e+3,"u":"\u00e9 ","x":[true,null]}"#
        );
        assert_eq!(
            compact(r#"{"already":"compact"}"#),
            r#"{"already":"compact"}"#
        );
        assert_eq!(compact("{\"k\":\"é 中文 🙂\"}"), "{\"k\":\"é 中文 🙂\"}");
    }

    #[test]
    fn the_quick_check_never_calls_spaced_json_compact() {
        for spaced in [
            "{ \"a\":1}",
            "{\"a\" :1}",
            "{\"a\":  1}",
            "{\"a\":1 }",
            "[1,\t2]",
            "{\"a\":\n1}",
            "{\"a\":[1 ,2]}",
        ] {
            assert!(!surely_compact(spaced.as_bytes()), "{spaced}");
        }
        for compact in [
            r#"{"a":"b c","d":"e f g"}"#,
            r#"{"name":"Café Dupont"}"#,
            "{}",
        ] {
            assert!(surely_compact(compact.as_bytes()), "{compact}");
        }
        // Text that looks like JSON punctuation goes the exact way, and stays intact.
        assert!(!surely_compact(br#"{"a":"x, y: z"}"#));
        assert_eq!(compact(r#"{"a":"x, y: z"}"#), r#"{"a":"x, y: z"}"#);
    }

    #[test]
    fn the_result_parses_to_the_same_value() {
        let rows = [
            "{\n  \"sku\": \"A-1\",\n  \"desc\": \"line1\\nline2, \\\"quoted\\\"\",\n  \"n\": [1, 2, {\"x\": -0.0}]\n}",
            "{}",
            "{ }",
        ];
        for row in rows {
            let out = compact(row);
            let before: serde_json::Value = serde_json::from_str(row).unwrap();
            let after: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(before, after);
            assert!(!out.contains('\n'));
        }
    }
}
