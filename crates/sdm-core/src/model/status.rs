//! Statuses as the server names them, with room for values added later.

/// A status enum over the API's names, with an `Unknown(String)` variant that keeps any other
/// text, so a new server status never breaks decoding.
macro_rules! status_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A status this client does not know, as the server sent it.
            Unknown(String),
        }

        impl $name {
            /// The status as the API spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Unknown(text) => text,
                }
            }

            /// Maps the API's text to a status; any unknown text becomes `Unknown`.
            pub fn from_api(text: &str) -> Self {
                match text {
                    $($text => $name::$variant,)+
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                // `pad` so widths and alignment work in tables (`{:<8}`).
                f.pad(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Ok(Self::from_api(text))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Ok(Self::from_api(&text))
            }
        }
    };
}
pub(super) use status_enum;

status_enum! {
    /// Where a job stands. Unknown values are kept as text so a new server status never
    /// breaks decoding.
    JobStatus {
        /// Still processing: poll again later.
        Running => "running",
        /// Finished successfully: the output can be fetched.
        Done => "done",
        /// Failed: the job's `message` says why.
        Error => "error",
        /// Waiting for a person to act in SDM (e.g. validate a step); automation cannot go on.
        Pending => "pending",
    }
}

impl JobStatus {
    /// True when the job will not change by itself any more: `done` or `error`.
    pub fn is_terminal(&self) -> bool {
        matches!(self, JobStatus::Done | JobStatus::Error)
    }

    /// True when the job waits for a human in SDM (`pending`): automation should stop and report it.
    pub fn needs_action(&self) -> bool {
        matches!(self, JobStatus::Pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_statuses() {
        let statuses: Vec<JobStatus> =
            serde_json::from_str(r#"["running","done","error","pending","archived"]"#).unwrap();
        assert_eq!(
            statuses,
            [
                JobStatus::Running,
                JobStatus::Done,
                JobStatus::Error,
                JobStatus::Pending,
                JobStatus::Unknown("archived".into())
            ]
        );
        let terminal: Vec<bool> = statuses.iter().map(JobStatus::is_terminal).collect();
        assert_eq!(terminal, [false, true, true, false, false]);
        assert!(JobStatus::Pending.needs_action());
        assert_eq!(
            serde_json::to_string(&statuses[4]).unwrap(),
            r#""archived""#
        );
        assert_eq!(format!("[{:<8}]", JobStatus::Done), "[done    ]");
        assert!(serde_json::from_str::<JobStatus>("3").is_err());
    }
}
