//! Removing insignificant whitespace from JSON text, leaving every string and number exactly as
//! it was written: how a row sent by the server becomes one NDJSON line.

/// Appends `json` (valid JSON text, e.g. a row from [`RowDecoder`](crate::RowDecoder)) to `out`
/// without whitespace between tokens. Strings (escapes included) and numbers are copied byte for
/// byte, so `1.50` stays `1.50` and `"\u00e9"` stays `"\u00e9"`.
pub fn write_compact(json: &str, out: &mut Vec<u8>) {
    let bytes = json.as_bytes();
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
