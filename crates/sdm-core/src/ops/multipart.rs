//! `multipart/form-data` framing (RFC 7578) around parts that may be streamed from disk: the
//! envelope is a few hundred bytes in memory, the file part stays a re-openable source, and the
//! whole body has a known length.

use std::hash::{BuildHasher, Hasher};

use crate::transport::RequestBody;

/// A multipart body being put together.
pub(crate) struct Multipart {
    boundary: String,
    body: RequestBody,
}

impl Multipart {
    pub(crate) fn new(boundary: &str) -> Self {
        Self {
            boundary: boundary.to_owned(),
            body: RequestBody::empty(),
        }
    }

    /// A text field.
    pub(crate) fn text(mut self, name: &str, value: &str) -> Self {
        let head = format!(
            "--{}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
            self.boundary,
            escape(name)
        );
        self.body = self.body.then(RequestBody::from_bytes(head.into_bytes()));
        self
    }

    /// A file field: its name, type and content.
    pub(crate) fn file(
        mut self,
        name: &str,
        file_name: &str,
        content_type: &str,
        content: RequestBody,
    ) -> Self {
        let head = format!(
            "--{}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {content_type}\r\n\r\n",
            self.boundary,
            escape(name),
            escape(file_name)
        );
        self.body = self
            .body
            .then(RequestBody::from_bytes(head.into_bytes()))
            .then(content)
            .then(RequestBody::from_bytes(&b"\r\n"[..]));
        self
    }

    /// The `Content-Type` header value and the finished body.
    pub(crate) fn finish(self) -> (String, RequestBody) {
        let close = format!("--{}--\r\n", self.boundary);
        let body = self.body.then(RequestBody::from_bytes(close.into_bytes()));
        (
            format!("multipart/form-data; boundary={}", self.boundary),
            body,
        )
    }
}

/// Escapes a name for a quoted `Content-Disposition` parameter the way browsers do (the HTML
/// standard's form encoding): `"` and line breaks become percent escapes, so a file name can
/// neither end the parameter nor add a header line.
fn escape(name: &str) -> String {
    name.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A boundary unlikely to occur in any file: 128 bits from the standard library's randomly
/// keyed hasher (seeded per process from the OS), which is all the randomness needed here.
pub(crate) fn random_boundary() -> String {
    let random = || {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        hasher.finish()
    };
    format!("sdm-rs-{:016x}{:016x}", random(), random())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_frames_each_part_and_the_length_is_exact() {
        let (content_type, body) = Multipart::new("XyZ")
            .text("skip_lines", "2")
            .file(
                "file",
                "a\"b\r\nc.csv",
                "text/csv",
                RequestBody::from_bytes(&b"sku;name\n1;x\n"[..]),
            )
            .finish();
        assert_eq!(content_type, "multipart/form-data; boundary=XyZ");
        let bytes = body.to_vec().unwrap();
        assert_eq!(bytes.len() as u64, body.len());
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "--XyZ\r\nContent-Disposition: form-data; name=\"skip_lines\"\r\n\r\n2\r\n\
             --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a%22b%0D%0Ac.csv\"\r\n\
             Content-Type: text/csv\r\n\r\nsku;name\n1;x\n\r\n--XyZ--\r\n"
        );
    }

    #[test]
    fn boundaries_differ() {
        let a = random_boundary();
        assert_ne!(a, random_boundary());
        assert!(a.len() <= 70, "RFC 2046 allows 70 characters");
    }
}
