//! Validated identifiers. A value of these types can always be put in a URL path safely.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::InvalidInput;

/// A job id: a UUID in its canonical hyphenated form (`9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b`).
///
/// Parsing accepts upper or lower case and stores lower case, the form the server's routes match.
/// Anything else (whitespace, braces, `../`, missing hyphens) is refused before a request is built.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(String);

impl JobId {
    /// Parses a job id, explaining what is wrong when it is not a UUID.
    pub fn parse(text: &str) -> Result<Self, InvalidInput> {
        let invalid = |reason: String| InvalidInput::new("job id", reason);
        if text.len() != 36 {
            return Err(invalid(format!(
                "{:?} is not a UUID: expected 36 characters like 9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b, got {}",
                truncate(text),
                text.chars().count()
            )));
        }
        for (index, byte) in text.bytes().enumerate() {
            let hyphen_here = matches!(index, 8 | 13 | 18 | 23);
            let ok = if hyphen_here {
                byte == b'-'
            } else {
                byte.is_ascii_hexdigit()
            };
            if !ok {
                let expected = if hyphen_here { "'-'" } else { "a hex digit" };
                return Err(invalid(format!(
                    "{:?} is not a UUID: expected {expected} at position {}",
                    truncate(text),
                    index + 1
                )));
            }
        }
        Ok(Self(text.to_ascii_lowercase()))
    }

    /// The id as text, lower case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn truncate(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(MAX).collect();
        short.push('…');
        short
    }
}

impl FromStr for JobId {
    type Err = InvalidInput;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JobId({})", self.0)
    }
}

impl Serialize for JobId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for JobId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        JobId::parse(&text).map_err(serde::de::Error::custom)
    }
}

macro_rules! integer_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            /// The numeric value.
            pub fn get(self) -> u64 {
                self.0
            }
        }

        impl From<u64> for $name {
            fn from(value: u64) -> Self {
                Self(value)
            }
        }

        impl FromStr for $name {
            type Err = InvalidInput;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                // Only plain decimal digits: no sign, no spaces, nothing that could reach a URL path.
                if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(InvalidInput::new(
                        $what,
                        format!("{:?} is not a non-negative integer", truncate(text)),
                    ));
                }
                text.parse::<u64>().map(Self).map_err(|_| {
                    InvalidInput::new($what, format!("{:?} is too large", truncate(text)))
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

integer_id!(
    /// An output format id: an integer configured in the SDM interface, used to fetch job output.
    OutputFormatId,
    "output format id"
);
integer_id!(
    /// A project id (an integer).
    ProjectId,
    "project id"
);
integer_id!(
    /// An uploaded file's id (an integer), as `POST files/` returns it.
    FileId,
    "file id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_are_canonical_uuids() {
        let id = JobId::parse("9F1C3A52-6D0B-4B8E-8F1E-1C2D3E4F5A6B").unwrap();
        assert_eq!(id.as_str(), "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b");
        for bad in [
            "",
            "9f1c3a52",
            "9f1c3a526d0b4b8e8f1e1c2d3e4f5a6b",
            " 9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6",
            "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6/",
            "../../../../../../../../../../../../",
            "9f1c3a52_6d0b-4b8e-8f1e-1c2d3e4f5a6b",
            "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5aé",
            "{f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6}",
        ] {
            assert!(JobId::parse(bad).is_err(), "{bad:?} accepted");
        }
        let message = JobId::parse("abc").unwrap_err().to_string();
        assert_eq!(
            message,
            "invalid job id: \"abc\" is not a UUID: expected 36 characters like 9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b, got 3"
        );
    }

    #[test]
    fn integer_ids_are_plain_digits() {
        assert_eq!("42".parse::<OutputFormatId>().unwrap(), OutputFormatId(42));
        for bad in [
            "",
            "-1",
            "+1",
            " 1",
            "1/",
            "1.0",
            "%31",
            "99999999999999999999999",
        ] {
            assert!(bad.parse::<OutputFormatId>().is_err(), "{bad:?} accepted");
        }
    }
}
