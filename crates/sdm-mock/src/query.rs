//! Query strings the way Django and DRF handle them: Python's `parse_qsl` for reading,
//! `urlencode(sorted(...), doseq=True)` for the `next`/`previous` links.

use std::collections::BTreeMap;

/// Decoded query parameters in request order (blank values kept).
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string (`a=1&b=%C3%A9+x`); pieces without `=` get an empty value.
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|piece| !piece.is_empty())
            .map(|piece| {
                let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
                (decode(k, true), decode(v, true))
            })
            .collect();
        Self { pairs }
    }

    /// The last value of `key`, like Django's `QueryDict.get`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The parameters re-encoded with `key` set to `value` (or removed when `None`), keys sorted,
    /// as DRF's `replace_query_param` / `remove_query_param` do.
    pub(crate) fn encode_with(&self, key: &str, value: Option<&str>) -> String {
        let mut grouped: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (k, v) in &self.pairs {
            grouped.entry(k).or_default().push(v);
        }
        match value {
            Some(v) => {
                grouped.insert(key, vec![v]);
            }
            None => {
                grouped.remove(key);
            }
        }
        let mut out = String::new();
        for (k, values) in grouped {
            for v in values {
                if !out.is_empty() {
                    out.push('&');
                }
                quote_plus(k, &mut out);
                out.push('=');
                quote_plus(v, &mut out);
            }
        }
        out
    }
}

/// Decodes `%XX` escapes (and `+` as space when `plus_is_space`); invalid escapes stay literal
/// and invalid UTF-8 becomes U+FFFD, as Python's `unquote_plus(errors="replace")` does.
pub(crate) fn decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' => {
                let digit = |at: usize| bytes.get(at).copied().and_then(hex);
                match (digit(i + 1), digit(i + 2)) {
                    (Some(h), Some(l)) => {
                        out.push((h << 4) | l);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses an integer the way the views read one: surrounding whitespace and a sign allowed;
/// `None` for anything else, out-of-range values included.
pub(crate) fn parse_int(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

/// The value of one hexadecimal digit.
fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Appends `s` encoded like Python's `quote_plus`: letters, digits and `_.-~` kept, space as
/// `+`, everything else as uppercase `%XX` of its UTF-8 bytes.
fn quote_plus(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(b as char);
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_parse_qsl() {
        let q = Query::parse(Some(
            "status=done&&flag&name=Caf%C3%A9+x&status=error&bad=%zz%4",
        ));
        assert_eq!(q.get("status"), Some("error"));
        assert_eq!(q.get("flag"), Some(""));
        assert_eq!(q.get("name"), Some("Café x"));
        assert_eq!(q.get("bad"), Some("%zz%4"));
        assert_eq!(q.get("missing"), None);
        assert_eq!(decode("%FF", true), "\u{fffd}");
        assert_eq!(decode("a+b%2F", false), "a+b/");
    }

    #[test]
    fn parses_ints() {
        assert_eq!(parse_int(" 12 "), Some(12));
        assert_eq!(parse_int("+3"), Some(3));
        assert_eq!(parse_int("-3"), Some(-3));
        assert_eq!(parse_int("007"), Some(7));
        for bad in [
            "",
            " ",
            "-",
            "1.0",
            "1e3",
            "1_000",
            "x",
            "99999999999999999999999",
        ] {
            assert_eq!(parse_int(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn encodes_like_drf() {
        let q = Query::parse(Some(
            "status=done&page=3&created_after=2022-01-01T00:00:00%2B02:00&a=1&a=2",
        ));
        assert_eq!(
            q.encode_with("page", Some("4")),
            "a=1&a=2&created_after=2022-01-01T00%3A00%3A00%2B02%3A00&page=4&status=done"
        );
        assert_eq!(
            q.encode_with("page", None),
            "a=1&a=2&created_after=2022-01-01T00%3A00%3A00%2B02%3A00&status=done"
        );
        assert_eq!(Query::parse(None).encode_with("page", Some("2")), "page=2");
        assert_eq!(
            Query::parse(Some("x=é ~")).encode_with("page", None),
            "x=%C3%A9+~"
        );
    }
}
