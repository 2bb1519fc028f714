//! What a file download's response head says about the file: its type, length and name.
//!
//! The name comes from the server's `Content-Disposition` (`filename*=` as RFC 6266 and RFC
//! 5987 say, else `filename=`). It is the server's text: [`DownloadInfo::safe_file_name`]
//! reduces it to one path component that cannot leave a directory.

use http::HeaderMap;
use http::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};

/// The head of a file download.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadInfo {
    /// The `Content-Type`, when the server sent a readable one.
    pub content_type: Option<String>,
    /// The `Content-Length`, when the server sent one.
    pub length: Option<u64>,
    /// The file name from `Content-Disposition`, exactly as the server gave it (it may hold
    /// `/`, `..` or control characters: see [`safe_file_name`](Self::safe_file_name)).
    pub file_name: Option<String>,
}

impl DownloadInfo {
    /// Reads a response's headers.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let text = |name| {
            headers
                .get(name)
                .and_then(|value: &http::HeaderValue| value.to_str().ok())
        };
        Self {
            content_type: text(CONTENT_TYPE).map(str::to_owned),
            length: text(CONTENT_LENGTH).and_then(|value| value.trim().parse().ok()),
            file_name: headers
                .get(CONTENT_DISPOSITION)
                .and_then(|value| disposition_file_name(value.as_bytes())),
        }
    }

    /// The server's file name reduced to one safe path component, or `None` when nothing
    /// usable is left: only the part after the last `/` or `\`, without control characters,
    /// bidirectional overrides or invisible characters, without leading dots (no hidden files,
    /// no `..`) or trailing dots and spaces, at most 200 bytes (the extension kept).
    pub fn safe_file_name(&self) -> Option<String> {
        self.file_name.as_deref().and_then(safe_file_name)
    }
}

/// The file name of a `Content-Disposition` value: `filename*` when it decodes, else `filename`.
fn disposition_file_name(value: &[u8]) -> Option<String> {
    // Header values are bytes; a name outside ASCII is only meaningful through `filename*`,
    // but a server sending raw UTF-8 in `filename` is common enough to accept.
    let value = String::from_utf8_lossy(value);
    let mut plain = None;
    let mut extended = None;
    for (name, raw) in parameters(&value) {
        match name.to_ascii_lowercase().as_str() {
            "filename*" if extended.is_none() => extended = decode_ext_value(&raw),
            "filename" if plain.is_none() => plain = Some(raw),
            _ => {}
        }
    }
    extended.or(plain).filter(|name| !name.is_empty())
}

/// The `name=value` parameters after the disposition type, quoted strings unescaped.
fn parameters(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = match value.find(';') {
        Some(at) => &value[at + 1..],
        None => return out,
    };
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        let Some(eq) = rest.find('=') else { break };
        let name = rest[..eq].trim().to_owned();
        rest = rest[eq + 1..].trim_start();
        let parsed = if let Some(quoted) = rest.strip_prefix('"') {
            let mut text = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((at, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            text.push(escaped);
                        }
                    }
                    '"' => {
                        end = at + 1;
                        break;
                    }
                    c => text.push(c),
                }
            }
            rest = &quoted[end.min(quoted.len())..];
            text
        } else {
            let end = rest.find(';').unwrap_or(rest.len());
            let token = rest[..end].trim().to_owned();
            rest = &rest[end..];
            token
        };
        out.push((name, parsed));
        if rest.is_empty() {
            break;
        }
    }
    out
}

/// Decodes an RFC 5987 `ext-value`: `charset'language'percent-encoded`, UTF-8 or ISO-8859-1.
fn decode_ext_value(raw: &str) -> Option<String> {
    let mut parts = raw.splitn(3, '\'');
    let charset = parts.next()?.to_ascii_lowercase();
    let _language = parts.next()?;
    let encoded = parts.next()?;
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut input = encoded.bytes();
    while let Some(byte) = input.next() {
        if byte == b'%' {
            let high = (input.next()? as char).to_digit(16)?;
            let low = (input.next()? as char).to_digit(16)?;
            bytes.push((high * 16 + low) as u8);
        } else {
            bytes.push(byte);
        }
    }
    match charset.as_str() {
        "utf-8" => String::from_utf8(bytes).ok(),
        "iso-8859-1" => Some(bytes.iter().map(|&b| b as char).collect()),
        _ => None,
    }
}

/// See [`DownloadInfo::safe_file_name`].
fn safe_file_name(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = last.chars().filter(|&c| !is_unsafe_char(c)).collect();
    let trimmed = cleaned
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' ']);
    if trimmed.is_empty() {
        return None;
    }
    Some(shorten(trimmed, 200))
}

/// Characters that must not reach a file name: controls (C0, DEL, C1), bidirectional
/// controls that disguise an extension, invisible separators and joiners, and the characters
/// Windows refuses in names.
fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}' | '\u{061C}' | '\u{00AD}'
            | '<' | '>' | ':' | '"' | '|' | '?' | '*')
}

/// At most `max` bytes, cut on a character boundary, keeping a short extension.
fn shorten(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let extension = name
        .rfind('.')
        .map(|at| &name[at..])
        .filter(|ext| ext.len() <= 16)
        .unwrap_or("");
    let mut stem_end = max - extension.len();
    while !name.is_char_boundary(stem_end) {
        stem_end -= 1;
    }
    format!("{}{extension}", &name[..stem_end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(value: &str) -> Option<String> {
        disposition_file_name(value.as_bytes())
    }

    #[test]
    fn names_come_from_filename_star_then_filename() {
        assert_eq!(
            name(r#"attachment; filename="out.csv""#).as_deref(),
            Some("out.csv")
        );
        assert_eq!(
            name("attachment; filename=out.csv").as_deref(),
            Some("out.csv")
        );
        assert_eq!(
            name("attachment; filename*=utf-8''caf%C3%A9%20n%C2%B01.csv").as_deref(),
            Some("café n°1.csv")
        );
        assert_eq!(
            name(r#"attachment; filename="fallback.csv"; filename*=UTF-8''r%C3%A9el.csv"#)
                .as_deref(),
            Some("réel.csv")
        );
        assert_eq!(
            name("attachment; filename*=iso-8859-1'en'caf%E9.csv").as_deref(),
            Some("café.csv")
        );
        assert_eq!(
            name(r#"attachment; filename="a \"b\".csv""#).as_deref(),
            Some(r#"a "b".csv"#)
        );
        // A broken extended value falls back to the plain one.
        assert_eq!(
            name(r#"attachment; filename*=utf-8''%ZZ; filename="plain.csv""#).as_deref(),
            Some("plain.csv")
        );
        assert_eq!(name("attachment"), None);
        assert_eq!(name(r#"attachment; filename="""#), None);
        assert_eq!(
            name("attachment; filename=\"unterminated"),
            Some("unterminated".into())
        );
    }

    #[test]
    fn safe_names_never_leave_the_directory() {
        let safe = |n: &str| safe_file_name(n);
        assert_eq!(safe("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(safe("..\\..\\boot.ini").as_deref(), Some("boot.ini"));
        assert_eq!(safe(".."), None);
        assert_eq!(safe("/"), None);
        assert_eq!(safe(" . "), None);
        assert_eq!(safe(".bashrc").as_deref(), Some("bashrc"));
        assert_eq!(
            safe("a\u{1b}[31mred\r\n.csv").as_deref(),
            Some("a[31mred.csv")
        );
        assert_eq!(
            safe("invoice\u{202E}vsc.exe").as_deref(),
            Some("invoicevsc.exe")
        );
        assert_eq!(safe("x\u{85}y.csv").as_deref(), Some("xy.csv"));
        assert_eq!(safe("what?.csv").as_deref(), Some("what.csv"));
        let long = format!("{}.csv", "é".repeat(300));
        let short = safe(&long).unwrap();
        assert!(short.len() <= 200 && short.ends_with(".csv"), "{short}");
    }

    #[test]
    fn the_head_gives_type_length_and_name() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, "text/csv".parse().unwrap());
        headers.insert(CONTENT_LENGTH, "12".parse().unwrap());
        headers.insert(
            CONTENT_DISPOSITION,
            "attachment; filename=\"../x.csv\"".parse().unwrap(),
        );
        let info = DownloadInfo::from_headers(&headers);
        assert_eq!(info.content_type.as_deref(), Some("text/csv"));
        assert_eq!(info.length, Some(12));
        assert_eq!(info.file_name.as_deref(), Some("../x.csv"));
        assert_eq!(info.safe_file_name().as_deref(), Some("x.csv"));
    }
}
