//! Removing insignificant whitespace from JSON text, leaving every string and number exactly as
//! it was written: how a row sent by the server becomes one NDJSON line.
//!
//! Most rows arrive compact already, so the work is telling exactly whether a row has any
//! whitespace outside its strings. [`has_insignificant_whitespace`] does so 64 bytes at a time
//! with bit masks (quotes, backslashes, whitespace) and a prefix XOR for "inside a string", the
//! way SIMD JSON parsers find string spans: no per-token search, and no false alarm on a string
//! such as `"Red, green, blue"`. Only rows that really hold whitespace take the exact pass.

/// Appends `json` (valid JSON text, e.g. a row from [`RowDecoder`](crate::proto::RowDecoder)) to `out`
/// without whitespace between tokens. Strings (escapes included) and numbers are copied byte for
/// byte, so `1.50` stays `1.50` and `"\u00e9"` stays `"\u00e9"`.
pub fn write_compact(json: &str, out: &mut Vec<u8>) {
    let bytes = json.as_bytes();
    if !has_insignificant_whitespace(bytes) {
        out.extend_from_slice(bytes);
        return;
    }
    write_compact_exact(bytes, out);
}

/// The exact pass: copies `bytes` token by token, dropping whitespace outside strings.
fn write_compact_exact(bytes: &[u8], out: &mut Vec<u8>) {
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

/// Bits at even positions, for telling odd runs of backslashes from even ones.
const EVEN_BITS: u64 = 0x5555_5555_5555_5555;

/// Where a scan is between two 64-byte blocks.
#[derive(Clone, Copy, Debug, Default)]
struct BlockScan {
    /// All ones when the previous block ended inside a string, else zero.
    in_string: u64,
    /// 1 when the first byte of the next block is escaped by a backslash before it.
    escaped: u64,
}

impl BlockScan {
    /// The whitespace outside strings in `block` (one bit per byte, bit `i` for `block[i]`).
    ///
    /// In valid JSON a byte up to `0x20` outside a string is whitespace (other controls are
    /// allowed nowhere, and inside a string only a space may appear raw); so is one inside, which
    /// is why only bytes outside strings count.
    #[inline]
    fn whitespace_outside_strings(&mut self, block: &[u8; 64]) -> u64 {
        let (quotes, backslashes, spaces) = masks(block);
        let escaped = self.escaped_bytes(backslashes);
        // Inside a string: after an odd number of unescaped quotes (the opening quote counts as
        // inside, the closing one as outside; neither is whitespace).
        let inside = prefix_xor(quotes & !escaped) ^ self.in_string;
        self.in_string = 0u64.wrapping_sub(inside >> 63);
        spaces & !inside
    }

    /// The bytes escaped by a backslash: those after an odd-length run of backslashes.
    #[inline]
    fn escaped_bytes(&mut self, backslashes: u64) -> u64 {
        let backslashes = backslashes & !self.escaped;
        let follows_escape = (backslashes << 1) | self.escaped;
        let odd_starts = backslashes & !EVEN_BITS & !follows_escape;
        let (even_starts, overflow) = odd_starts.overflowing_add(backslashes);
        self.escaped = u64::from(overflow);
        let invert = even_starts << 1;
        (EVEN_BITS ^ invert) & follows_escape
    }
}

/// Every byte of a word set to 1, and to 0x80, and to 0x7f.
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// The quotes, backslashes and bytes up to a space in `block`, one bit per byte (bit `i` for
/// `block[i]`), found eight bytes at a time in a `u64` (no `unsafe` SIMD is allowed here, and
/// this is several times faster than byte by byte).
#[inline]
fn masks(block: &[u8; 64]) -> (u64, u64, u64) {
    let (mut quotes, mut backslashes, mut spaces) = (0u64, 0u64, 0u64);
    for (lane, eight) in block.chunks_exact(8).enumerate() {
        let word = u64::from_le_bytes(eight.try_into().expect("8 bytes"));
        let shift = 8 * lane;
        quotes |= pack(zero_bytes(word ^ (ONES * u64::from(b'"')))) << shift;
        backslashes |= pack(zero_bytes(word ^ (ONES * u64::from(b'\\')))) << shift;
        // Below 0x80, and the low seven bits plus 0x5f carry into the high bit from 0x21 up.
        let above_space = (word & LOWS) + ONES * 0x5f;
        spaces |= pack(!(above_space | word) & HIGHS) << shift;
    }
    (quotes, backslashes, spaces)
}

/// The high bit of each byte of `word` that is zero (exactly: no carry crosses bytes).
#[inline]
fn zero_bytes(word: u64) -> u64 {
    !(((word & LOWS) + LOWS) | word) & HIGHS
}

/// The high bits of the eight bytes of `highs` (nothing else set) as eight bits, byte 0 first.
#[inline]
fn pack(highs: u64) -> u64 {
    (highs >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// Bit `i` of the result is the XOR of bits `0..=i` of `x`.
#[inline]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// Whether `bytes` (valid JSON text, starting outside a string) has any whitespace outside its
/// strings: exactly, not a guess, so `false` means the text is compact as it is.
pub(crate) fn has_insignificant_whitespace(bytes: &[u8]) -> bool {
    let mut scan = BlockScan::default();
    let mut blocks = bytes.chunks_exact(64);
    for block in &mut blocks {
        let block: &[u8; 64] = block.try_into().expect("64-byte chunks");
        if scan.whitespace_outside_strings(block) != 0 {
            return true;
        }
    }
    let rest = blocks.remainder();
    if rest.is_empty() {
        return false;
    }
    // Padded with a byte that is no quote, backslash or whitespace.
    let mut block = [b'0'; 64];
    block[..rest.len()].copy_from_slice(rest);
    scan.whitespace_outside_strings(&block) != 0
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
    use proptest::prelude::*;

    use super::*;

    fn compact(json: &str) -> String {
        let mut out = Vec::new();
        write_compact(json, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn exact(json: &str) -> String {
        let mut out = Vec::new();
        write_compact_exact(json.as_bytes(), &mut out);
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
    fn the_check_tells_whitespace_outside_strings_exactly() {
        for spaced in [
            "{ \"a\":1}",
            "{\"a\" :1}",
            "{\"a\":  1}",
            "{\"a\":1 }",
            "[1,\t2]",
            "{\"a\":\n1}",
            "{\"a\":[1 ,2]}",
            "{\"a\":\"\\\\\" }",
            "{\"a\":\"\\\\\\\"\" }",
        ] {
            assert!(has_insignificant_whitespace(spaced.as_bytes()), "{spaced}");
        }
        for compact in [
            r#"{"a":"b c","d":"e f g"}"#,
            r#"{"name":"Café Dupont"}"#,
            r#"{"a":"x, y: z","b":"Red, green, blue"}"#,
            r#"{"a":"say \" , \" then \\","b":" "}"#,
            "{}",
        ] {
            assert!(
                !has_insignificant_whitespace(compact.as_bytes()),
                "{compact}"
            );
        }
        // A string across the 64-byte block boundary, and an escape right on it.
        let long = format!(
            r#"{{"a":"{}, {}\" , ","b":1}}"#,
            "x".repeat(60),
            "\\".repeat(2)
        );
        assert!(!has_insignificant_whitespace(long.as_bytes()), "{long}");
        assert_eq!(compact(&long), long);
        for at in 50..80 {
            let row = format!(r#"{{"a":"{}\"","b": 1}}"#, "y".repeat(at));
            assert!(has_insignificant_whitespace(row.as_bytes()), "{row}");
            assert_eq!(compact(&row), row.replace(": ", ":"));
        }
    }

    #[test]
    fn masks_have_one_bit_per_byte() {
        let mut block = [b'a'; 64];
        for (at, byte) in [
            (0, b'"'),
            (7, b'\\'),
            (8, b' '),
            (9, 0x1f),
            (10, 0x20),
            (11, 0x21),
        ] {
            block[at] = byte;
        }
        block[62] = 0xa0;
        block[63] = b'"';
        assert_eq!(masks(&block), (1 | 1 << 63, 1 << 7, 0b111 << 8));
        for byte in 0..=255u8 {
            let (q, b, s) = masks(&[byte; 64]);
            let all = |yes: bool| if yes { u64::MAX } else { 0 };
            assert_eq!(
                (q, b, s),
                (all(byte == b'"'), all(byte == b'\\'), all(byte <= b' '))
            );
        }
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

    /// Whitespace JSON allows between tokens: none most of the time.
    fn ws() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => Just(String::new()),
            1 => proptest::collection::vec(prop_oneof![Just(' '), Just('\t'), Just('\n'), Just('\r')], 1..3)
                .prop_map(|chars| chars.into_iter().collect()),
        ]
    }

    /// A JSON string literal, with the text that fools simple checks: `", "`, `: `, brackets,
    /// escaped quotes and backslashes, `\u` escapes, and non-ASCII text.
    fn string_literal() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just(", ".to_owned()),
            Just(": ".to_owned()),
            Just(" { [ ] } ".to_owned()),
            Just("\\\"".to_owned()),
            Just("\\\\".to_owned()),
            Just("\\\\\\\"".to_owned()),
            Just("\\n\\t\\r\\/".to_owned()),
            Just("\\u00e9\\ud83d\\ude00".to_owned()),
            Just("é 中文 🙂 « »".to_owned()),
            "[a-z ,:]{0,70}",
        ];
        proptest::collection::vec(piece, 0..6).prop_map(|pieces| format!("\"{}\"", pieces.concat()))
    }

    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("false".to_owned()),
            "-?(0|[1-9][0-9]{0,5})(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?",
            string_literal(),
        ]
    }

    /// Arbitrary JSON text, with arbitrary whitespace around every token.
    fn json_text() -> impl Strategy<Value = String> {
        let leaf = (ws(), scalar(), ws()).prop_map(|(a, v, b)| format!("{a}{v}{b}"));
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                (proptest::collection::vec(inner.clone(), 0..6), ws()).prop_map(|(items, w)| {
                    if items.is_empty() {
                        format!("[{w}]")
                    } else {
                        format!("[{}]", items.join(","))
                    }
                }),
                (
                    proptest::collection::vec((ws(), string_literal(), ws(), inner), 0..6),
                    ws()
                )
                    .prop_map(|(members, w)| {
                        if members.is_empty() {
                            return format!("{{{w}}}");
                        }
                        let members: Vec<String> = members
                            .into_iter()
                            .map(|(a, key, b, value)| format!("{a}{key}{b}:{value}"))
                            .collect();
                        format!("{{{}}}", members.join(","))
                    }),
            ]
        })
    }

    /// The scan byte by byte: whether any byte up to a space lies outside strings, where a
    /// quote after an odd run of backslashes does not end or start one.
    fn whitespace_outside_strings_bytewise(bytes: &[u8]) -> bool {
        let (mut in_string, mut escaped) = (false, false);
        for &byte in bytes {
            let is_escaped = escaped;
            escaped = !is_escaped && byte == b'\\';
            if !is_escaped && byte == b'"' {
                in_string = !in_string;
            } else if !in_string && byte <= b' ' {
                return true;
            }
        }
        false
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn the_fast_path_matches_the_exact_one(text in json_text()) {
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            let fast = compact(&text);
            prop_assert_eq!(&fast, &exact(&text));
            // Exact: "no whitespace" is said only of text the exact pass leaves as it is.
            prop_assert_eq!(has_insignificant_whitespace(text.as_bytes()), exact(&text) != text);
            let again: serde_json::Value = serde_json::from_str(&fast).unwrap();
            prop_assert_eq!(again, value);
            prop_assert!(!has_insignificant_whitespace(fast.as_bytes()));
        }

        #[test]
        fn the_block_scan_matches_a_byte_by_byte_one(
            bytes in proptest::collection::vec(
                prop_oneof![Just(b'"'), Just(b'\\'), Just(b' '), Just(b'\n'), Just(b'a'), Just(b'{')],
                0..400,
            )
        ) {
            prop_assert_eq!(
                has_insignificant_whitespace(&bytes),
                whitespace_outside_strings_bytewise(&bytes)
            );
        }
    }
}
