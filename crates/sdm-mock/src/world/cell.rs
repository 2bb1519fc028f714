//! One cell of an output row, written straight to compact JSON (byte for byte what
//! `serde_json` writes) or turned into a `serde_json::Value`.

use serde_json::Value;

/// A cell value, built without allocating where the text is a constant.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// A constant string.
    Str(&'static str),
    /// A product code `SKU-0042-007` (job and item numbers, zero-padded to 4 and 3 digits),
    /// with a space on each side if `padded`.
    Sku {
        /// The job number.
        job: u64,
        /// The item number.
        item: u64,
        /// Whether the code is surrounded by spaces.
        padded: bool,
    },
    /// A number written as a string of digits.
    Digits(u64),
    /// A decimal number as a string: `whole`, `separator`, `fraction` zero-padded to `digits`.
    Decimal {
        /// The whole part.
        whole: u64,
        /// `b'.'` or `b','`.
        separator: u8,
        /// The fractional part.
        fraction: u64,
        /// How many fractional digits.
        digits: usize,
    },
    /// A non-negative integer.
    Int(u64),
    /// A floating-point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// An explicit `null`.
    Null,
}

impl Cell {
    /// Appends the compact JSON of this value to `out`.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Cell::Str(s) => write_str(s, out),
            // Digits, spaces and ASCII letters and separators need no escaping.
            Cell::Sku { job, item, padded } => {
                let space: &[u8] = if *padded { b" " } else { b"" };
                out.push(b'"');
                out.extend_from_slice(space);
                out.extend_from_slice(b"SKU-");
                write_uint(*job, 4, out);
                out.push(b'-');
                write_uint(*item, 3, out);
                out.extend_from_slice(space);
                out.push(b'"');
            }
            Cell::Digits(n) => {
                out.push(b'"');
                write_uint(*n, 1, out);
                out.push(b'"');
            }
            Cell::Decimal {
                whole,
                separator,
                fraction,
                digits,
            } => {
                out.push(b'"');
                write_uint(*whole, 1, out);
                out.push(*separator);
                write_uint(*fraction, *digits, out);
                out.push(b'"');
            }
            Cell::Int(n) => write_uint(*n, 1, out),
            // serde_json formats numbers itself (ryu), so floats go through it; writing to a Vec
            // cannot fail.
            Cell::Float(x) => {
                let _ = serde_json::to_writer(&mut *out, x);
            }
            Cell::Bool(true) => out.extend_from_slice(b"true"),
            Cell::Bool(false) => out.extend_from_slice(b"false"),
            Cell::Null => out.extend_from_slice(b"null"),
        }
    }

    /// The same value as a JSON value.
    pub(crate) fn into_value(self) -> Value {
        match self {
            Cell::Str(s) => Value::String(s.to_owned()),
            Cell::Sku { job, item, padded } => {
                let space = if padded { " " } else { "" };
                Value::String(format!("{space}SKU-{job:04}-{item:03}{space}"))
            }
            Cell::Digits(n) => Value::String(n.to_string()),
            Cell::Decimal {
                whole,
                separator,
                fraction,
                digits,
            } => {
                let separator = char::from(separator);
                Value::String(format!("{whole}{separator}{fraction:0digits$}"))
            }
            Cell::Int(n) => n.into(),
            Cell::Float(x) => x.into(),
            Cell::Bool(b) => b.into(),
            Cell::Null => Value::Null,
        }
    }
}

/// Appends the decimal digits of `n`, zero-padded to at least `width` digits.
fn write_uint(mut n: u64, width: usize, out: &mut Vec<u8>) {
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    while n > 0 || start == digits.len() {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    for _ in digits.len() - start..width {
        out.push(b'0');
    }
    out.extend_from_slice(&digits[start..]);
}

/// Appends `s` as a JSON string escaped exactly like `serde_json`: `"` and `\` escaped, the
/// control characters below U+0020 as `\b \t \n \f \r` or `\u00xx`, everything else verbatim.
fn write_str(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0c => b"\\f",
            b'\r' => b"\\r",
            0x00..=0x1f => &[],
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(cell: &Cell) -> String {
        let mut out = Vec::new();
        cell.write_json(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_are_escaped_like_serde_json() {
        let mut every_char: String = (0_u8..0x80).map(char::from).collect();
        every_char.push_str("é中文🚀\u{200b}\u{a0}\u{2028}");
        for s in [
            "",
            "plain",
            "\"quoted\"",
            "back\\slash",
            "a\r\nb\tc",
            &every_char,
        ] {
            let mut out = Vec::new();
            write_str(s, &mut out);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn values_match_serde_json() {
        for cell in [
            Cell::Str("x\ny"),
            Cell::Sku {
                job: 42,
                item: 7,
                padded: true,
            },
            Cell::Sku {
                job: 12_345,
                item: 12_345_678,
                padded: false,
            },
            Cell::Digits(0),
            Cell::Digits(4_012_345_678_901),
            Cell::Decimal {
                whole: 0,
                separator: b',',
                fraction: 5,
                digits: 2,
            },
            Cell::Decimal {
                whole: 25,
                separator: b'.',
                fraction: 0,
                digits: 3,
            },
            Cell::Int(7),
            Cell::Int(u64::MAX),
            Cell::Int(0),
            Cell::Int(4_012_345_678_901),
            Cell::Float(25.0),
            Cell::Float(0.005),
            Cell::Float(123.45),
            Cell::Bool(true),
            Cell::Bool(false),
            Cell::Null,
        ] {
            let value = cell.clone().into_value();
            assert_eq!(
                json(&cell),
                serde_json::to_string(&value).unwrap(),
                "{cell:?}"
            );
        }
    }
}
