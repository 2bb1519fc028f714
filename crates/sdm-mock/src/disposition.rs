//! `Content-Disposition` of download files: Django's `FileResponse` rule, and the raw value
//! tests may put in its place to see how a client copes with hostile names.

use std::sync::RwLock;

/// Characters Python's `urllib.parse.quote` leaves alone (its `safe='/'` default included).
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~' | b'/')
}

/// The header for a file called `filename`: `attachment; filename="…"` when the name is
/// printable ASCII without `"` or `\`, else RFC 5987's `attachment; filename*=utf-8''…` with
/// the UTF-8 bytes percent-encoded as `quote` does.
pub(crate) fn for_name(filename: &str) -> String {
    let plain = filename
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\');
    if plain {
        return format!("attachment; filename=\"{filename}\"");
    }
    let mut encoded = String::with_capacity(filename.len() * 3);
    for b in filename.bytes() {
        if unreserved(b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename*=utf-8''{encoded}")
}

/// The raw header value every download sends instead of [`for_name`]'s, when set.
#[derive(Debug, Default)]
pub(crate) struct DispositionOverride(RwLock<Option<String>>);

impl DispositionOverride {
    /// Sets (`Some`) or clears (`None`) the override.
    pub(crate) fn set(&self, value: Option<String>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = value;
    }

    /// The header value for a download of `filename`.
    pub(crate) fn value_for(&self, filename: &str) -> String {
        match &*self.0.read().unwrap_or_else(|e| e.into_inner()) {
            Some(raw) => raw.clone(),
            None => for_name(filename),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_names_are_quoted_others_percent_encoded() {
        assert_eq!(
            for_name("Weekly feed 0042.csv"),
            "attachment; filename=\"Weekly feed 0042.csv\""
        );
        assert_eq!(
            for_name("Price list – Müller.csv"),
            "attachment; filename*=utf-8''Price%20list%20%E2%80%93%20M%C3%BCller.csv"
        );
        assert_eq!(
            for_name("O'Neil \"Quality\".csv"),
            "attachment; filename*=utf-8''O%27Neil%20%22Quality%22.csv"
        );
        assert_eq!(
            for_name("a\\b/c~d.csv"),
            "attachment; filename*=utf-8''a%5Cb/c~d.csv"
        );
        assert_eq!(
            for_name("tab\there.csv"),
            "attachment; filename*=utf-8''tab%09here.csv"
        );
        let cell = DispositionOverride::default();
        assert_eq!(cell.value_for("x.csv"), for_name("x.csv"));
        cell.set(Some("attachment; filename=\"../../etc/passwd\"".into()));
        assert_eq!(
            cell.value_for("x.csv"),
            "attachment; filename=\"../../etc/passwd\""
        );
        cell.set(None);
        assert_eq!(cell.value_for("x.csv"), for_name("x.csv"));
    }
}
