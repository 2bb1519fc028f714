//! The status of a job, as the server names it, with room for values added later.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where a job stands. Unknown values are kept as text so a new server status never breaks decoding.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JobStatus {
    /// Still processing: poll again later.
    Running,
    /// Finished successfully: the output can be fetched.
    Done,
    /// Failed: the job's `message` says why.
    Error,
    /// Waiting for a person to act in SDM (e.g. validate a step); automation cannot go on.
    Pending,
    /// A status this client does not know, as the server sent it.
    Unknown(String),
}

impl JobStatus {
    /// The status as the API spells it.
    pub fn as_str(&self) -> &str {
        match self {
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Error => "error",
            JobStatus::Pending => "pending",
            JobStatus::Unknown(text) => text,
        }
    }

    /// Maps the API's text to a status; any unknown text becomes [`JobStatus::Unknown`].
    pub fn from_api(text: &str) -> Self {
        match text {
            "running" => JobStatus::Running,
            "done" => JobStatus::Done,
            "error" => JobStatus::Error,
            "pending" => JobStatus::Pending,
            other => JobStatus::Unknown(other.to_owned()),
        }
    }

    /// True when the job will not change by itself any more: `done` or `error`.
    pub fn is_terminal(&self) -> bool {
        matches!(self, JobStatus::Done | JobStatus::Error)
    }

    /// True when the job waits for a human in SDM (`pending`): automation should stop and report it.
    pub fn needs_action(&self) -> bool {
        matches!(self, JobStatus::Pending)
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` so widths and alignment work in tables (`{:<8}`).
        f.pad(self.as_str())
    }
}

impl std::str::FromStr for JobStatus {
    type Err = std::convert::Infallible;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_api(text))
    }
}

impl Serialize for JobStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JobStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Self::from_api(&text))
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
        assert!(serde_json::from_str::<JobStatus>("3").is_err());
    }
}
