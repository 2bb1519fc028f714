//! Uploaded supplier files, as `POST files/` and `GET files/{id}/` return them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

use super::raw::RawObject;
use super::{FileId, status_enum};

status_enum! {
    /// Where an uploaded file's parsing stands. SDM parses a file after the upload returns;
    /// unknown values are kept as text.
    FileStatus {
        /// Still being parsed: poll again later.
        Parsing => "parsing",
        /// Parsed: a job can be created from it.
        Ready => "ready",
        /// Parsing failed: the file's `parsing_error` says why.
        Error => "error",
    }
}

/// An uploaded file.
///
/// Serializing it writes the object exactly as the server sent it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct UploadedFile {
    /// The file id, to create a job from.
    pub id: FileId,
    /// Where parsing stands.
    pub status: FileStatus,
    /// The file's name, when the server says.
    pub name: Option<String>,
    /// Why parsing failed (for `error` files).
    pub parsing_error: Option<String>,
    /// When the file was uploaded, when the server says.
    pub creation_date: Option<DateTime<Utc>>,
    raw: RawObject,
}

impl<'de> Deserialize<'de> for UploadedFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let object = RawObject::read(deserializer)?;
        Ok(UploadedFile {
            id: object.required("id")?,
            status: object.required("status")?,
            name: object.lenient("name"),
            parsing_error: object.lenient("parsing_error"),
            creation_date: object.optional("creation_date")?,
            raw: object,
        })
    }
}

super::raw::keeps_raw_object!(UploadedFile);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_keeps_every_field_and_unknown_statuses() {
        let text = r#"{"id": 12, "status": "queued", "name": "offer.csv", "parsing_error": null, "rows": 3}"#;
        let file: UploadedFile = serde_json::from_str(text).unwrap();
        assert_eq!(file.id, FileId(12));
        assert_eq!(file.status, FileStatus::Unknown("queued".into()));
        assert_eq!(file.name.as_deref(), Some("offer.csv"));
        assert_eq!(file.field("rows").map(|v| v.get()), Some("3"));
        assert_eq!(
            serde_json::to_string(&file).unwrap(),
            r#"{"id":12,"status":"queued","name":"offer.csv","parsing_error":null,"rows":3}"#
        );
        let error: UploadedFile =
            serde_json::from_str(r#"{"id": 1, "status": "error", "parsing_error": "No header"}"#)
                .unwrap();
        assert_eq!(error.status, FileStatus::Error);
        assert_eq!(error.parsing_error.as_deref(), Some("No header"));
        for bad in [
            r#"{"status": "ready"}"#,
            r#"{"id": "x", "status": "ready"}"#,
            r#"{"id": 1}"#,
        ] {
            assert!(serde_json::from_str::<UploadedFile>(bad).is_err(), "{bad}");
        }
    }
}
