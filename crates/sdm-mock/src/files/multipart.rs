//! A streaming `multipart/form-data` parser: parts are handed on piece by piece as the body
//! arrives, so an upload of any size is never held whole.
//!
//! Only what Django's `MultiPartParser` needs is understood: the boundary delimiters, each
//! part's `Content-Disposition` (`name`, `filename`), and the closing delimiter. Every
//! malformed body gets DRF's one message for an unusable multipart body.

use memchr::memmem;

/// DRF's `detail` for a multipart body it cannot use.
pub(crate) const PARSE_ERROR: &str =
    "Multipart form parse error - Invalid boundary in multipart: None";
/// The most bytes a part's headers may take.
const MAX_HEADERS: usize = 16 * 1024;

/// The headers of one part that matter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PartHead {
    /// The form field's `name`.
    pub(crate) name: Option<String>,
    /// The `filename` (without any directory), if the part is a file.
    pub(crate) filename: Option<String>,
}

/// What receives the parts.
pub(crate) trait PartSink {
    /// A part begins.
    fn start(&mut self, head: PartHead);
    /// The next bytes of the current part's content.
    fn data(&mut self, data: &[u8]);
    /// The current part ended.
    fn end(&mut self);
}

/// Where the parser is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first delimiter.
    Preamble,
    /// Right after a delimiter: `--` (the end) or a line end (a part) follows.
    AfterDelimiter,
    /// In a part's headers.
    Headers,
    /// In a part's content.
    Body,
    /// After the closing delimiter.
    Done,
}

/// The parser of one body.
#[derive(Debug)]
pub(crate) struct Multipart {
    /// `\r\n--boundary`.
    delimiter: Vec<u8>,
    buf: Vec<u8>,
    state: State,
}

/// The boundary parameter of a `multipart/form-data` content type, if valid (RFC 2046: 1 to
/// 70 characters, as Django checks it).
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let value = content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim())
    })?;
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    let valid = (1..=70).contains(&value.len())
        && value.bytes().all(|b| (b' '..=b'~').contains(&b))
        && !value.ends_with(' ');
    valid.then(|| value.to_owned())
}

impl Multipart {
    /// A parser for parts separated by `boundary`.
    pub(crate) fn new(boundary: &str) -> Self {
        let mut delimiter = b"\r\n--".to_vec();
        delimiter.extend_from_slice(boundary.as_bytes());
        Self {
            delimiter,
            // The first delimiter may open the body without a line end before it.
            buf: b"\r\n".to_vec(),
            state: State::Preamble,
        }
    }

    /// Parses the next bytes of the body.
    pub(crate) fn feed(&mut self, data: &[u8], sink: &mut impl PartSink) -> Result<(), String> {
        self.buf.extend_from_slice(data);
        let consumed = self.process(sink)?;
        self.buf.drain(..consumed);
        Ok(())
    }

    /// Ends the body: an error if it stopped inside a part. A body without any delimiter
    /// has no parts, as Django reads it.
    pub(crate) fn finish(self) -> Result<(), String> {
        match self.state {
            State::Preamble | State::Done => Ok(()),
            _ => Err(PARSE_ERROR.to_owned()),
        }
    }

    /// Parses as much of `buf` as possible; returns how many bytes are consumed.
    fn process(&mut self, sink: &mut impl PartSink) -> Result<usize, String> {
        let finder = memmem::Finder::new(&self.delimiter);
        let keep = self.delimiter.len() - 1;
        let buf = &self.buf;
        let mut pos = 0;
        loop {
            let rest = &buf[pos..];
            match self.state {
                State::Preamble => match finder.find(rest) {
                    Some(j) => {
                        pos += j + self.delimiter.len();
                        self.state = State::AfterDelimiter;
                    }
                    None => return Ok(pos + rest.len().saturating_sub(keep)),
                },
                State::AfterDelimiter => {
                    if rest.starts_with(b"--") {
                        self.state = State::Done;
                        continue;
                    }
                    let Some(j) = memmem::find(rest, b"\r\n") else {
                        if rest.len() > 256 {
                            return Err(PARSE_ERROR.to_owned());
                        }
                        return Ok(pos);
                    };
                    if !rest[..j].iter().all(|&b| b == b' ' || b == b'\t') {
                        return Err(PARSE_ERROR.to_owned());
                    }
                    pos += j + 2;
                    self.state = State::Headers;
                }
                State::Headers => {
                    let end = if rest.starts_with(b"\r\n") {
                        Some((0, 2))
                    } else {
                        memmem::find(rest, b"\r\n\r\n").map(|j| (j, j + 4))
                    };
                    let Some((head_len, skip)) = end else {
                        if rest.len() > MAX_HEADERS {
                            return Err(PARSE_ERROR.to_owned());
                        }
                        return Ok(pos);
                    };
                    sink.start(parse_head(&rest[..head_len]));
                    pos += skip;
                    self.state = State::Body;
                }
                State::Body => match finder.find(rest) {
                    Some(j) => {
                        if j > 0 {
                            sink.data(&rest[..j]);
                        }
                        sink.end();
                        pos += j + self.delimiter.len();
                        self.state = State::AfterDelimiter;
                    }
                    None => {
                        let safe = rest.len().saturating_sub(keep);
                        if safe > 0 {
                            sink.data(&rest[..safe]);
                        }
                        return Ok(pos + safe);
                    }
                },
                State::Done => return Ok(buf.len()),
            }
        }
    }
}

/// The `name` and `filename` of a part's `Content-Disposition` header.
fn parse_head(head: &[u8]) -> PartHead {
    let text = String::from_utf8_lossy(head);
    let mut part = PartHead::default();
    for line in text.split("\r\n") {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("content-disposition") {
            continue;
        }
        for (key, value) in params(value) {
            match key.as_str() {
                "name" => part.name = Some(value),
                "filename" => {
                    let base = value.rsplit(['/', '\\']).next().unwrap_or("").to_owned();
                    part.filename = Some(base);
                }
                _ => {}
            }
        }
    }
    part
}

/// The `key=value` parameters after the first `;` of a header value (quoted values
/// unescaped), keys lowercase.
fn params(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    // Skip the disposition type.
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        let mut key = String::new();
        for c in chars.by_ref() {
            if c == '=' || c == ';' {
                break;
            }
            key.push(c);
        }
        let key = key.trim().to_ascii_lowercase();
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let mut val = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => val.extend(chars.next()),
                    '"' => break,
                    c => val.push(c),
                }
            }
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
            }
        } else {
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
                val.push(c);
            }
            val = val.trim().to_owned();
        }
        if key.is_empty() && chars.peek().is_none() {
            return out;
        }
        if !key.is_empty() {
            out.push((key, val));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects events as text.
    #[derive(Default)]
    struct Events(Vec<String>);

    impl PartSink for Events {
        fn start(&mut self, head: PartHead) {
            self.0
                .push(format!("start {:?} {:?}", head.name, head.filename));
        }
        fn data(&mut self, data: &[u8]) {
            match self.0.last_mut() {
                Some(last) if last.starts_with("data ") => {
                    last.push_str(&String::from_utf8_lossy(data));
                }
                _ => self
                    .0
                    .push(format!("data {}", String::from_utf8_lossy(data))),
            }
        }
        fn end(&mut self) {
            self.0.push("end".into());
        }
    }

    fn run(body: &[u8], boundary: &str, piece: usize) -> Result<Vec<String>, String> {
        let mut parser = Multipart::new(boundary);
        let mut events = Events::default();
        for chunk in body.chunks(piece.max(1)) {
            parser.feed(chunk, &mut events)?;
        }
        parser.finish()?;
        Ok(events.0)
    }

    const BODY: &[u8] = b"--XyZ\r\nContent-Disposition: form-data; name=\"skip_lines\"\r\n\r\n2\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"C:\\\\dir\\\\a;b \\\"q\\\".csv\"\r\nContent-Type: text/csv\r\n\r\nsku,name\r\n-XyZ\r\n\r\n--XyZ--\r\nepilogue";

    #[test]
    fn parses_parts_in_any_pieces() {
        for piece in [1, 2, 3, 5, 8, 13, 1000] {
            assert_eq!(
                run(BODY, "XyZ", piece).unwrap(),
                [
                    "start Some(\"skip_lines\") None",
                    "data 2",
                    "end",
                    "start Some(\"file\") Some(\"a;b \\\"q\\\".csv\")",
                    "data sku,name\r\n-XyZ\r\n",
                    "end"
                ],
                "pieces of {piece}"
            );
        }
    }

    #[test]
    fn malformed_bodies_are_errors_and_a_body_without_delimiters_has_no_parts() {
        assert_eq!(run(b"no delimiter at all", "XyZ", 4), Ok(vec![]));
        for body in [
            &b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ncut"[..],
            b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"",
            b"--XyZ garbage\r\n\r\n--XyZ--",
        ] {
            assert_eq!(run(body, "XyZ", 3), Err(PARSE_ERROR.to_owned()));
        }
        assert_eq!(
            run(b"--b\r\n\r\nno headers\r\n--b--", "b", 2).unwrap(),
            ["start None None", "data no headers", "end"]
        );
    }

    #[test]
    fn boundaries_are_read_from_the_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=abc").as_deref(),
            Some("abc")
        );
        assert_eq!(
            boundary("multipart/form-data; charset=utf-8; BOUNDARY=\"a b\"").as_deref(),
            Some("a b")
        );
        assert_eq!(boundary("multipart/form-data"), None);
        assert_eq!(boundary("multipart/form-data; boundary="), None);
        assert_eq!(
            boundary(&format!("multipart/form-data; boundary={}", "x".repeat(71))),
            None
        );
    }
}
