//! Turning responses into values or typed errors: status classification, DRF error bodies,
//! JSON decoding with paths, and body excerpts.

use http::header::{LOCATION, RETRY_AFTER};
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, DecodeError, Error, FieldError, RetryAfter};
use crate::model::FIELD_MARK;

mod mask;

pub(crate) use mask::Secrets;

/// How much of a body an error message quotes.
const EXCERPT_CHARS: usize = 160;

/// The typed error for a non-success response.
///
/// A DRF JSON body gives `detail` and field errors; anything else (an HTML page from a proxy, an
/// empty body) is reported by status and a short excerpt, never as a JSON error.
pub(crate) fn error_for_status(
    what: String,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> Error {
    let retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(RetryAfter::parse);
    let (detail, field_errors, excerpt) = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => {
            let mut detail = None;
            let mut field_errors = Vec::new();
            for (key, value) in object {
                let messages = messages_of(&value);
                match key.as_str() {
                    "detail" => detail = Some(messages.join(" ")),
                    "non_field_errors" if detail.is_none() => detail = Some(messages.join(" ")),
                    _ => field_errors.push(FieldError::new(key, messages)),
                }
            }
            (detail, field_errors, None)
        }
        Ok(Value::Array(items)) => (
            Some(messages_of(&Value::Array(items)).join(" ")),
            Vec::new(),
            None,
        ),
        _ => (None, Vec::new(), non_empty_excerpt(body)),
    };
    let error = Box::new(ApiError {
        what,
        status,
        detail,
        field_errors,
        retry_after,
        excerpt,
        location: status
            .is_redirection()
            .then(|| {
                headers
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            })
            .flatten(),
        attempts: 1,
    });
    match status.as_u16() {
        401 => Error::Authentication(error),
        403 => Error::Permission(error),
        404 => Error::NotFound(error),
        429 => Error::RateLimited(error),
        _ => Error::Api(error),
    }
}

/// DRF messages are a string, a list of strings, or nested objects of those.
fn messages_of(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => vec![text.clone()],
        Value::Array(items) => items.iter().flat_map(messages_of).collect(),
        Value::Object(object) => object
            .iter()
            .flat_map(|(key, value)| {
                messages_of(value)
                    .into_iter()
                    .map(move |m| format!("{key}: {m}"))
            })
            .collect(),
        Value::Null => Vec::new(),
        other => vec![other.to_string()],
    }
}

/// Decodes a success body, naming the JSON path of the first problem.
pub(crate) fn decode_json<T: DeserializeOwned>(
    what: impl FnOnce() -> String,
    status: StatusCode,
    body: &[u8],
) -> Result<T, Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let (path, inner) = match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => match deserializer.end() {
            Ok(()) => return Ok(value),
            Err(trailing) => (".".to_owned(), trailing),
        },
        Err(error) => (error.path().to_string(), error.into_inner()),
    };
    let offset = byte_offset(body, inner.line(), inner.column());
    let excerpt = excerpt(body, offset);
    if body.iter().all(u8::is_ascii_whitespace) {
        let message = "the body is empty".to_owned();
        return Err(decode_error(what(), status, path, message, excerpt, inner));
    }
    let message = inner.to_string();
    // An error about one field of a kept object (see `model::raw`): the field joins the path.
    let field = message
        .strip_prefix(FIELD_MARK)
        .and_then(|rest| rest.split_once(FIELD_MARK));
    let Some((field, message)) = field else {
        return Err(decode_error(what(), status, path, message, excerpt, inner));
    };
    let path = if path == "." {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    };
    // The cause says the same without the mark (and without the position, which it cannot hold).
    let position = format!(" at line {} column {}", inner.line(), inner.column());
    let cause = <serde_json::Error as serde::de::Error>::custom(
        message.strip_suffix(&position).unwrap_or(message),
    );
    Err(decode_error(
        what(),
        status,
        path,
        message.to_owned(),
        excerpt,
        cause,
    ))
}

fn decode_error(
    what: String,
    status: StatusCode,
    path: String,
    message: String,
    excerpt: String,
    source: serde_json::Error,
) -> Error {
    Error::Decode(Box::new(DecodeError::new(
        what,
        status,
        path,
        message,
        excerpt,
        Some(source),
    )))
}

/// serde_json reports 1-based line and column; turn them into a byte offset into `body`.
fn byte_offset(body: &[u8], line: usize, column: usize) -> usize {
    if line == 0 {
        return 0;
    }
    let line_start = body
        .split_inclusive(|&b| b == b'\n')
        .take(line - 1)
        .map(<[u8]>::len)
        .sum::<usize>();
    (line_start + column.saturating_sub(1)).min(body.len())
}

fn non_empty_excerpt(body: &[u8]) -> Option<String> {
    let text = excerpt(body, 0);
    (!text.is_empty()).then_some(text)
}

/// A short, single-line, valid UTF-8 excerpt of `body` near byte `around`.
pub(crate) fn excerpt(body: &[u8], around: usize) -> String {
    let start = around.saturating_sub(EXCERPT_CHARS / 2).min(body.len());
    let text = String::from_utf8_lossy(&body[start..]);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut last_was_space = false;
    let mut chars = text
        .chars()
        .skip_while(|c| start > 0 && is_continuation(*c));
    for c in chars.by_ref().take(EXCERPT_CHARS) {
        // Collapse whitespace runs so an HTML page or pretty JSON stays on one line.
        if c.is_whitespace() {
            if !last_was_space && !out.is_empty() {
                out.push(' ');
            }
            last_was_space = true;
        } else {
            out.push(c);
            last_was_space = false;
        }
    }
    let out_trimmed = out.trim_end().len();
    out.truncate(out_trimmed);
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// A replacement character from cutting into a UTF-8 sequence at the excerpt's start.
fn is_continuation(c: char) -> bool {
    c == char::REPLACEMENT_CHARACTER
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_short_single_line_and_valid_utf8() {
        let body = "<html>\n  <body>\n    <h1>502   Bad Gateway</h1>\n  </body>\n</html>\n";
        assert_eq!(
            excerpt(body.as_bytes(), 0),
            "<html> <body> <h1>502 Bad Gateway</h1> </body> </html>"
        );
        let long = "é".repeat(1000);
        let cut = excerpt(long.as_bytes(), 1001);
        assert!(cut.starts_with('…') && cut.ends_with('…'), "{cut}");
        assert!(cut.chars().count() <= EXCERPT_CHARS + 2);
        assert_eq!(excerpt(b"", 0), "");
    }

    #[test]
    fn byte_offsets_follow_lines() {
        let body = b"{\n  \"a\": x\n}";
        assert_eq!(byte_offset(body, 2, 8), 9);
        assert_eq!(body[9], b'x');
    }
}
