//! One pass over a row object that validates it exactly as serde_json does for `IgnoredAny`
//! and, in the same pass, learns what the writers need to know, so that none of them reads the
//! row again: whether it has whitespace between tokens (only then is it compacted), whether any
//! byte is DEL or above (only then are UTF-8 and terminal-safe characters checked), and where
//! each top-level field's key and value are (a CSV record without a second parse).
//!
//! Strings, most of a row's bytes, are skimmed eight bytes at a time for the few bytes that
//! matter in them. Nesting is tracked on a heap stack, as serde_json's `IgnoredAny` does: any
//! depth is accepted, and a deep row cannot overflow the call stack.
//!
//! A scan that reaches the end of the bytes before the row's closing brace says so
//! ([`Scan::Incomplete`]) rather than failing: the rest may be in the next chunk. The property
//! test at the end checks the verdicts against serde_json on arbitrary JSON, cut anywhere.

/// What scanning the bytes from a row's `{` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    /// A valid row object, this many bytes long.
    Row(usize),
    /// The bytes end inside the row, and nothing before that point is wrong.
    Incomplete,
    /// The row is not valid JSON (serde_json tells where and why).
    Invalid,
}

/// A top-level field of a row: byte ranges of the row's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FieldSpan {
    /// The key, as JSON string text (quotes included).
    pub(crate) key: (usize, usize),
    /// The value, as JSON text.
    pub(crate) value: (usize, usize),
    /// Whether the key has a backslash escape.
    pub(crate) key_escaped: bool,
    /// Whether the value is a string with a backslash escape.
    pub(crate) value_escaped: bool,
}

/// What a scan learned about the last row; reused from row to row.
#[derive(Debug, Default, Clone)]
pub(crate) struct RowShape {
    /// Whitespace between tokens.
    pub(crate) whitespace: bool,
    /// A byte at or above DEL (0x7f), which only strings may hold.
    pub(crate) above_del: bool,
    /// The top-level fields, in the row's order.
    pub(crate) fields: Vec<FieldSpan>,
    /// The open containers around the current one while scanning (`true`: an array); popping
    /// the last gives the container a closing bracket returns to, none when it closed the row.
    stack: Vec<bool>,
}

/// Why a scan stopped early.
enum Stop {
    Incomplete,
    Invalid,
}

type Step<T> = Result<T, Stop>;

/// Scans the row object at the start of `bytes`, recording what it learns in `shape`.
pub(crate) fn scan_row(bytes: &[u8], shape: &mut RowShape) -> Scan {
    match bytes.first() {
        None => return Scan::Incomplete,
        Some(b'{') => {}
        Some(_) => return Scan::Invalid,
    }
    shape.whitespace = false;
    shape.above_del = false;
    shape.fields.clear();
    shape.stack.clear();
    let mut scanner = Scanner { bytes, i: 0, shape };
    match scanner.row() {
        Ok(length) => Scan::Row(length),
        Err(Stop::Incomplete) => Scan::Incomplete,
        Err(Stop::Invalid) => Scan::Invalid,
    }
}

/// Where the scan is inside a container.
#[derive(Clone, Copy)]
enum At {
    /// Before a member (`first`: right after the opening bracket, where it may close).
    Member { first: bool },
    /// After a member: `,` or the closing bracket.
    AfterMember,
}

struct Scanner<'a> {
    bytes: &'a [u8],
    i: usize,
    shape: &'a mut RowShape,
}

impl Scanner<'_> {
    /// The row, from its `{`; returns its length.
    fn row(&mut self) -> Step<usize> {
        self.i = 1;
        // The container being read: `true` for an array.
        let mut array = false;
        let mut at = At::Member { first: true };
        // The top-level field being read; its value's end is known once the value is read.
        let mut field = FieldSpan {
            key: (0, 0),
            value: (0, 0),
            key_escaped: false,
            value_escaped: false,
        };
        loop {
            match at {
                At::Member { first } => {
                    let mut byte = self.skip_whitespace()?;
                    if first && byte == closing(array) {
                        self.i += 1;
                        match self.shape.stack.pop() {
                            Some(outer) => array = outer,
                            None => return Ok(self.i),
                        }
                        at = At::AfterMember;
                        continue;
                    }
                    if !array {
                        if byte != b'"' {
                            return Err(Stop::Invalid);
                        }
                        let key_start = self.i;
                        let key_escaped = self.string()?;
                        let key = (key_start, self.i);
                        if self.skip_whitespace()? != b':' {
                            return Err(Stop::Invalid);
                        }
                        self.i += 1;
                        byte = self.skip_whitespace()?;
                        if self.shape.stack.is_empty() {
                            field = FieldSpan {
                                key,
                                value: (self.i, self.i),
                                key_escaped,
                                value_escaped: false,
                            };
                        }
                    }
                    match byte {
                        b'{' | b'[' => {
                            self.shape.stack.push(array);
                            array = byte == b'[';
                            self.i += 1;
                            at = At::Member { first: true };
                        }
                        _ => {
                            let escaped = self.scalar(byte)?;
                            if self.shape.stack.is_empty() {
                                field.value_escaped = escaped;
                            }
                            at = At::AfterMember;
                        }
                    }
                }
                At::AfterMember => {
                    let end = self.i;
                    let byte = self.skip_whitespace()?;
                    let top = self.shape.stack.is_empty();
                    if top && (byte == b',' || byte == b'}') {
                        field.value.1 = end;
                        self.shape.fields.push(field);
                    }
                    self.i += 1;
                    if byte == b',' {
                        at = At::Member { first: false };
                    } else if byte == closing(array) {
                        match self.shape.stack.pop() {
                            Some(outer) => array = outer,
                            None => return Ok(self.i),
                        }
                    } else {
                        return Err(Stop::Invalid);
                    }
                }
            }
        }
    }

    /// The next byte that is not whitespace, left unread.
    #[inline(always)]
    fn skip_whitespace(&mut self) -> Step<u8> {
        loop {
            let byte = *self.bytes.get(self.i).ok_or(Stop::Incomplete)?;
            if !matches!(byte, b' ' | b'\n' | b'\r' | b'\t') {
                return Ok(byte);
            }
            self.shape.whitespace = true;
            self.i += 1;
        }
    }

    /// A string, number or literal starting with `byte`; `true` for a string with escapes.
    #[inline]
    fn scalar(&mut self, byte: u8) -> Step<bool> {
        match byte {
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => self.number().map(|()| false),
            b't' => self.literal(b"true").map(|()| false),
            b'f' => self.literal(b"false").map(|()| false),
            b'n' => self.literal(b"null").map(|()| false),
            _ => Err(Stop::Invalid),
        }
    }

    /// A string, from its opening quote; `true` when it has escapes.
    #[inline(always)]
    fn string(&mut self) -> Step<bool> {
        let bytes = self.bytes;
        let mut i = self.i + 1;
        let mut escaped = false;
        // Until the row's first byte at or above DEL, such bytes stop the skim too.
        let mut look_for_high = !self.shape.above_del;
        loop {
            // Eight bytes at a time up to the first that needs a look.
            while let Some(word) = bytes.get(i..i + 8) {
                let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
                let special = special_bytes(word, look_for_high);
                if special != 0 {
                    i += (special.trailing_zeros() / 8) as usize;
                    break;
                }
                i += 8;
            }
            let byte = *bytes.get(i).ok_or(Stop::Incomplete)?;
            match byte {
                b'"' => {
                    self.i = i + 1;
                    return Ok(escaped);
                }
                b'\\' => {
                    escaped = true;
                    i = escape_end(bytes, i)?;
                }
                0..=0x1f => return Err(Stop::Invalid),
                0x7f.. => {
                    self.shape.above_del = true;
                    look_for_high = false;
                    i += 1;
                }
                _ => i += 1,
            }
        }
    }

    /// A number, as JSON's grammar (and serde_json) has it: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Step<()> {
        let bytes = self.bytes;
        let mut i = self.i;
        if bytes[i] == b'-' {
            i += 1;
        }
        match *bytes.get(i).ok_or(Stop::Incomplete)? {
            b'0' => {
                i += 1;
                if bytes.get(i).is_some_and(u8::is_ascii_digit) {
                    return Err(Stop::Invalid);
                }
            }
            b'1'..=b'9' => i = digits(bytes, i + 1),
            _ => return Err(Stop::Invalid),
        }
        if bytes.get(i) == Some(&b'.') {
            i = at_least_one_digit(bytes, i + 1)?;
        }
        if matches!(bytes.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(bytes.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            i = at_least_one_digit(bytes, i)?;
        }
        if i == bytes.len() {
            // The number may go on in the next chunk.
            return Err(Stop::Incomplete);
        }
        self.i = i;
        Ok(())
    }

    /// `true`, `false` or `null`.
    fn literal(&mut self, word: &[u8]) -> Step<()> {
        let rest = &self.bytes[self.i..];
        if rest.starts_with(word) {
            self.i += word.len();
            Ok(())
        } else if word.starts_with(rest) {
            Err(Stop::Incomplete)
        } else {
            Err(Stop::Invalid)
        }
    }
}

/// The bracket that closes the current container.
#[inline]
fn closing(array: bool) -> u8 {
    if array { b']' } else { b'}' }
}

/// Where the digits from `i` end.
#[inline]
fn digits(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

/// Where the digits from `i` end, when there must be one at least.
#[inline]
fn at_least_one_digit(bytes: &[u8], i: usize) -> Step<usize> {
    match bytes.get(i) {
        None => Err(Stop::Incomplete),
        Some(byte) if byte.is_ascii_digit() => Ok(digits(bytes, i + 1)),
        Some(_) => Err(Stop::Invalid),
    }
}

/// Where the escape at `i` (a backslash) ends.
fn escape_end(bytes: &[u8], i: usize) -> Step<usize> {
    match *bytes.get(i + 1).ok_or(Stop::Incomplete)? {
        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Ok(i + 2),
        b'u' => {
            let hex = bytes.get(i + 2..i + 6).ok_or(Stop::Incomplete)?;
            if hex.iter().all(u8::is_ascii_hexdigit) {
                Ok(i + 6)
            } else {
                Err(Stop::Invalid)
            }
        }
        _ => Err(Stop::Invalid),
    }
}

/// Each byte's lowest bit of eight.
const ONES: u64 = 0x0101_0101_0101_0101;
/// Each byte's highest bit.
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `word` (eight string bytes, the first lowest) that ends the
/// fast skim: a quote, a backslash, a control character and, with `above_del`, a byte at or
/// above DEL. Bits above the lowest set one may be spurious (a borrow crosses bytes), so only
/// the lowest is used.
#[inline]
fn special_bytes(word: u64, above_del: bool) -> u64 {
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x;
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    let mut special = zero_byte(quote) | zero_byte(backslash) | control;
    if above_del {
        // Exact per byte: the low seven bits plus one carry into the high bit only from 0x7f.
        special |= ((word & !HIGHS) + ONES) | word;
    }
    special & HIGHS
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde::de::IgnoredAny;

    use super::*;

    fn scan(text: &[u8]) -> (Scan, RowShape) {
        let mut shape = RowShape::default();
        (scan_row(text, &mut shape), shape)
    }

    /// What serde_json says of `text` as one value followed by anything: the value's length, or
    /// whether it failed because the text ended.
    fn serde_verdict(text: &[u8]) -> Scan {
        let mut stream = serde_json::Deserializer::from_slice(text).into_iter::<IgnoredAny>();
        match stream.next() {
            Some(Ok(_)) => Scan::Row(stream.byte_offset()),
            Some(Err(error)) if error.is_eof() => Scan::Incomplete,
            _ => Scan::Invalid,
        }
    }

    /// Whether a scan's verdict is serde_json's: the same row length, invalid where it is
    /// invalid, and incomplete where it ran out of bytes. serde_json also calls a number cut
    /// at the end (`-`, `1.`, `1e`) invalid, which the scan, reading chunks, calls incomplete.
    fn agrees(scan: Scan, serde: Scan) -> bool {
        match scan {
            Scan::Incomplete => !matches!(serde, Scan::Row(_)),
            _ => scan == serde,
        }
    }

    #[test]
    fn a_compact_row_is_read_with_its_fields() {
        let row = br#"{"a":1,"b":"x, y","c":{"d":[1,2]},"e":null}"#;
        let (verdict, shape) = scan(row);
        assert_eq!(verdict, Scan::Row(row.len()));
        assert!(!shape.whitespace && !shape.above_del);
        let text = std::str::from_utf8(row).unwrap();
        let fields: Vec<(&str, &str)> = shape
            .fields
            .iter()
            .map(|f| (&text[f.key.0..f.key.1], &text[f.value.0..f.value.1]))
            .collect();
        assert_eq!(
            fields,
            [
                (r#""a""#, "1"),
                (r#""b""#, r#""x, y""#),
                (r#""c""#, r#"{"d":[1,2]}"#),
                (r#""e""#, "null")
            ]
        );
    }

    #[test]
    fn whitespace_and_high_bytes_are_noticed() {
        let (verdict, shape) = scan(b"{ \"a\" : [ 1 ] }");
        assert_eq!(verdict, Scan::Row(15));
        assert!(shape.whitespace && !shape.above_del);
        assert_eq!(
            shape.fields,
            [FieldSpan {
                key: (2, 5),
                value: (8, 13),
                key_escaped: false,
                value_escaped: false
            }]
        );
        let (_, shape) = scan(br#"{"a\"":"x","b":"\u0041","c":["\n"]}"#);
        let flags: Vec<_> = (shape.fields.iter())
            .map(|f| (f.key_escaped, f.value_escaped))
            .collect();
        assert_eq!(flags, [(true, false), (false, true), (false, false)]);
        let row = "{\"a\":\"caf\u{e9}\"}";
        let (_, shape) = scan(row.as_bytes());
        assert!(shape.above_del && !shape.whitespace);
        let (_, shape) = scan(b"{\"a\":\"\x7f\"}");
        assert!(shape.above_del, "DEL counts");
        // Past the first, high bytes are skimmed over, and the string still ends right.
        let row = "{\"a\":\"\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\\\"\u{e9}\",\"b\":2}";
        assert_eq!(scan(row.as_bytes()).0, Scan::Row(row.len()));
    }

    #[test]
    fn cut_rows_are_incomplete_and_bad_ones_invalid() {
        for cut in [
            "{",
            "{\"a",
            "{\"a\\",
            "{\"a\\u00",
            "{\"a\":",
            "{\"a\":1",
            "{\"a\":-",
            "{\"a\":1.",
            "{\"a\":1e",
            "{\"a\":1e+",
            "{\"a\":tr",
            "{\"a\":[1,",
            "{\"a\":{}",
        ] {
            assert_eq!(scan(cut.as_bytes()).0, Scan::Incomplete, "{cut}");
        }
        for bad in [
            "{a",
            "{\"a\"1",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":1e}",
            "{\"a\":-x}",
            "{\"a\":tx}",
            "{\"a\":1,}",
            "{\"a\":[1,]}",
            "{\"a\":[1}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\u12g4\"}",
            "{\"a\":\"\x01\"}",
            "{\"a\":.5}",
            "{\"a\":+1}",
            "{,}",
            "{\"a\":1 \"b\":2}",
            "{\"a\":\u{e9}}",
        ] {
            assert_eq!(scan(bad.as_bytes()).0, Scan::Invalid, "{bad}");
            assert_eq!(serde_verdict(bad.as_bytes()), Scan::Invalid, "{bad}");
        }
    }

    #[test]
    fn any_depth_is_accepted_as_serde_json_does() {
        let depth = 100_000;
        let row = format!("{{\"a\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
        assert_eq!(scan(row.as_bytes()).0, Scan::Row(row.len()));
        assert_eq!(serde_verdict(row.as_bytes()), Scan::Row(row.len()));
    }

    #[test]
    fn special_bytes_finds_the_first_of_each_kind() {
        for (i, special) in [b'"', b'\\', 0x00, 0x1f, 0x7f, 0x80, 0xff]
            .into_iter()
            .enumerate()
        {
            for at in 0..8 {
                let mut word = *b"abcdefgh";
                word[at] = special;
                let found = special_bytes(u64::from_le_bytes(word), true);
                assert_eq!(found.trailing_zeros() / 8, at as u32, "case {i} at {at}");
                let without_del = special_bytes(u64::from_le_bytes(word), false);
                assert_eq!(without_del != 0, special < 0x7f || special == b'"');
            }
        }
        assert_eq!(special_bytes(u64::from_le_bytes(*b" ~!#[]{}"), true), 0);
    }

    /// Arbitrary JSON values, printed compact or with whitespace between tokens.
    fn value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| n.into()),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| f.into()),
            ".*".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                prop::collection::btree_map(".*", inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn row_text() -> impl Strategy<Value = Vec<u8>> {
        (
            prop::collection::btree_map(".{0,8}", value(), 0..6),
            any::<bool>(),
        )
            .prop_map(|(fields, pretty)| {
                let row = serde_json::Value::Object(fields.into_iter().collect());
                if pretty {
                    serde_json::to_vec_pretty(&row).unwrap()
                } else {
                    serde_json::to_vec(&row).unwrap()
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Valid rows: the same length as serde_json, the same fields, cut anywhere incomplete.
        #[test]
        fn valid_rows_agree_with_serde_json(row in row_text(), cut in any::<prop::sample::Index>()) {
            let (verdict, shape) = scan(&row);
            prop_assert_eq!(verdict, Scan::Row(row.len()));
            let mut compact = Vec::new();
            crate::compact::write_compact(std::str::from_utf8(&row).unwrap(), &mut compact);
            prop_assert_eq!(shape.whitespace, compact != row);
            prop_assert_eq!(shape.above_del, row.iter().any(|&b| b >= 0x7f));
            let parsed: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&row).unwrap();
            let text = std::str::from_utf8(&row).unwrap();
            prop_assert_eq!(shape.fields.len(), parsed.len());
            for (field, (key, value)) in shape.fields.iter().zip(&parsed) {
                let (key_text, value_text) = (&text[field.key.0..field.key.1], &text[field.value.0..field.value.1]);
                prop_assert_eq!(field.key_escaped, key_text.contains('\\'));
                prop_assert_eq!(field.value_escaped, value_text.starts_with('"') && value_text.contains('\\'));
                let found: String = serde_json::from_str(&text[field.key.0..field.key.1]).unwrap();
                prop_assert_eq!(&found, key);
                let found: serde_json::Value = serde_json::from_str(&text[field.value.0..field.value.1]).unwrap();
                prop_assert_eq!(&found, value);
            }
            let cut = 1 + cut.index(row.len() - 1);
            prop_assert_eq!(scan(&row[..cut]).0, Scan::Incomplete);
            // Bytes after the row are not looked at.
            let mut longer = row.clone();
            longer.extend_from_slice(b",{\"x\"");
            prop_assert_eq!(scan(&longer).0, Scan::Row(row.len()));
        }

        /// Any bytes after a `{`: the same verdict as serde_json (which does not check UTF-8 in
        /// strings either; the decoder does that).
        #[test]
        fn arbitrary_bytes_agree_with_serde_json(row in row_text(), at in any::<prop::sample::Index>(), byte in prop_oneof![
            Just(b'"'), Just(b'\\'), Just(b'{'), Just(b'}'), Just(b'['), Just(b']'), Just(b','),
            Just(b':'), Just(b'0'), Just(b'-'), Just(b'.'), Just(b'e'), Just(b'u'), Just(b' '),
            Just(b't'), Just(0x01u8), Just(0x7f), Just(0xc3), any::<u8>()
        ], delete in any::<bool>()) {
            let mut row = row;
            let at = 1 + at.index(row.len() - 1);
            if delete {
                row.remove(at);
            } else {
                row.insert(at, byte);
            }
            prop_assert!(agrees(scan(&row).0, serde_verdict(&row)), "{:?}", String::from_utf8_lossy(&row));
        }

        #[test]
        fn random_text_agrees_with_serde_json(tail in "[{}\\[\\],:\"\\\\ 0-9.eE+\\-tfrulnsa]{0,40}") {
            let row = format!("{{{tail}");
            prop_assert!(agrees(scan(row.as_bytes()).0, serde_verdict(row.as_bytes())), "{}", row);
        }
    }
}
