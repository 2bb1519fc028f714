//! The client's own secrets masked in what the server echoes: a `detail` that repeats the token,
//! an HTML page that quotes the `Authorization` header, a login refusal that repeats the
//! password. Every text an error keeps from a response goes through here before it is shown.
//!
//! A secret is looked for as written and in the forms a server or this client's excerpts give it:
//! JSON-escaped (`\"`, `\u00e9`), HTML-escaped (`&amp;`), and with its whitespace collapsed (as an
//! excerpt collapses it). An excerpt cut inside a secret (`…Token 0b5e1c5e-aa…`) loses the part it
//! shows too.

use crate::error::{ApiError, Error, FieldError, Unconfirmed};

/// What replaces a secret.
const REDACTED: &str = "[redacted]";

/// The shortest part of a secret, cut at an excerpt's edge, that is masked: one or two
/// characters give nothing away and would make excerpts ending in a common letter hard to read.
const MIN_CUT: usize = 3;

/// The shortest secret looked for. A shorter one (a test token like `t`) would turn every word
/// that contains it into `[redacted]`, and no real token is that short.
const MIN_SECRET: usize = 4;

/// The secrets to mask, each in every form it may take in a response.
#[derive(Debug, Default)]
pub(crate) struct Secrets {
    /// Longest first, so a form containing another is masked whole.
    forms: Vec<Vec<char>>,
}

impl Secrets {
    /// The forms of `secrets` (those under [`MIN_SECRET`] characters are ignored).
    pub(crate) fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut forms: Vec<String> = Vec::new();
        let long_enough = |secret: &&str| secret.chars().count() >= MIN_SECRET;
        for secret in secrets.into_iter().filter(long_enough) {
            let json = serde_json::to_string(secret).expect("a string always serializes");
            let json = json[1..json.len() - 1].to_owned();
            for form in [
                secret.to_owned(),
                ascii_json(&json),
                html(secret),
                collapsed(secret),
                json,
            ] {
                if !form.trim().is_empty() && !forms.contains(&form) {
                    forms.push(form);
                }
            }
        }
        let mut forms: Vec<Vec<char>> = forms.iter().map(|f| f.chars().collect()).collect();
        forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
        Self { forms }
    }

    fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// `text` with every whole secret replaced by `[redacted]`.
    pub(crate) fn mask(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for form in &self.forms {
            let form: String = form.iter().collect();
            if text.contains(&form) {
                text = text.replace(&form, REDACTED);
            }
        }
        text
    }

    /// [`mask`](Self::mask), and also the part of a secret an excerpt shows where it was cut
    /// (at an `…` that starts or ends it).
    pub(crate) fn mask_excerpt(&self, excerpt: &str) -> String {
        let mut text = self.mask(excerpt);
        if let Some(body) = text.strip_suffix('…') {
            let chars: Vec<char> = body.chars().collect();
            let cut = self.forms.iter().find_map(|form| {
                (MIN_CUT..form.len())
                    .rev()
                    .find(|&n| chars.ends_with(&form[..n]))
            });
            if let Some(n) = cut {
                let kept: String = chars[..chars.len() - n].iter().collect();
                text = format!("{kept}{REDACTED}…");
            }
        }
        if let Some(body) = text.strip_prefix('…') {
            let chars: Vec<char> = body.chars().collect();
            let cut = self.forms.iter().find_map(|form| {
                (MIN_CUT..form.len())
                    .rev()
                    .find(|&n| chars.starts_with(&form[form.len() - n..]))
            });
            if let Some(n) = cut {
                let kept: String = chars[n..].iter().collect();
                text = format!("…{REDACTED}{kept}");
            }
        }
        text
    }
}

/// A JSON string's inside with every non-ASCII character as `\uXXXX` (Python's default).
fn ascii_json(json: &str) -> String {
    let mut out = String::new();
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// The secret as an HTML page escapes it (Django's `escape`).
fn html(secret: &str) -> String {
    secret
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

/// The secret with whitespace runs as one space, as excerpts show text.
fn collapsed(secret: &str) -> String {
    secret.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Error {
    /// The same error with `secrets` masked in every text it keeps from the response.
    pub(crate) fn mask_secrets(self, secrets: &Secrets) -> Self {
        if secrets.is_empty() {
            return self;
        }
        match self {
            Error::Authentication(e) => Error::Authentication(Box::new(mask_api(*e, secrets))),
            Error::Permission(e) => Error::Permission(Box::new(mask_api(*e, secrets))),
            Error::NotFound(e) => Error::NotFound(Box::new(mask_api(*e, secrets))),
            Error::RateLimited(e) => Error::RateLimited(Box::new(mask_api(*e, secrets))),
            Error::Api(e) => Error::Api(Box::new(mask_api(*e, secrets))),
            Error::Decode(e) => Error::Decode(Box::new(
                e.masked(|text| secrets.mask(text), |text| secrets.mask_excerpt(text)),
            )),
            Error::Unconfirmed(e) => {
                let Unconfirmed {
                    created,
                    sent_at,
                    error,
                } = *e;
                Error::Unconfirmed(Box::new(Unconfirmed {
                    created,
                    sent_at,
                    error: error.mask_secrets(secrets),
                }))
            }
            other => other,
        }
    }
}

fn mask_api(error: ApiError, secrets: &Secrets) -> ApiError {
    ApiError {
        detail: error.detail.map(|detail| secrets.mask(&detail)),
        field_errors: error
            .field_errors
            .into_iter()
            .map(|field| {
                let messages = field.messages.iter().map(|m| secrets.mask(m)).collect();
                FieldError::new(secrets.mask(&field.field), messages)
            })
            .collect(),
        excerpt: error.excerpt.map(|excerpt| secrets.mask_excerpt(&excerpt)),
        location: error.location.map(|location| secrets.mask(&location)),
        ..error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_a_secret_is_masked() {
        let secrets = Secrets::new(["pa\"ss  wörd<1>", ""]);
        for text in [
            "x pa\"ss  wörd<1> y",
            r#"x pa\"ss  w\u00f6rd<1> y"#,
            r#"x pa\"ss  wörd<1> y"#,
            "x pa&quot;ss  wörd&lt;1&gt; y",
            "x pa\"ss wörd<1> y",
        ] {
            assert_eq!(secrets.mask(text), "x [redacted] y", "{text}");
        }
        assert_eq!(Secrets::new(["", "t"]).mask("get data"), "get data");
    }

    #[test]
    fn a_secret_cut_at_an_excerpts_edge_is_masked() {
        let secrets = Secrets::new(["0b5e1c5e-aaaa"]);
        assert_eq!(secrets.mask_excerpt("Token 0b5e1c…"), "Token [redacted]…");
        assert_eq!(secrets.mask_excerpt("…aaaa done"), "…[redacted] done");
        // Two characters give nothing away: left as they are.
        assert_eq!(secrets.mask_excerpt("count 0b…"), "count 0b…");
        assert_eq!(secrets.mask_excerpt("no cut 0b5e1c"), "no cut 0b5e1c");
    }
}
