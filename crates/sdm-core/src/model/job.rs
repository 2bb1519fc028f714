//! Jobs as the API returns them: typed fields for what the client knows, and the server's whole
//! object kept alongside so no field is ever lost (`-o json` prints it back unchanged).

use chrono::{DateTime, Utc};
use serde::de::{DeserializeOwned, DeserializeSeed, Error as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::{JobId, JobStatus, ProjectId};

/// The step a job is at. Only `id` is documented; `name` and `number` are seen in practice.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Step {
    /// The step id.
    pub id: u64,
    /// The step's name, e.g. "Validation".
    #[serde(default)]
    pub name: Option<String>,
    /// The step's position in the project's workflow.
    #[serde(default)]
    pub number: Option<u64>,
}

/// The project a job belongs to. The server sends either a bare id or an object with an `id`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProjectRef {
    /// The project id.
    pub id: ProjectId,
    /// The project's name, when the server sends an object that has one.
    pub name: Option<String>,
}

impl<'de> Deserialize<'de> for ProjectRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged, expecting = "a project id or an object with an integer `id`")]
        enum Wire {
            Id(u64),
            Object {
                id: u64,
                #[serde(default)]
                name: Option<String>,
            },
        }
        Ok(match Wire::deserialize(deserializer)? {
            Wire::Id(id) => ProjectRef {
                id: ProjectId(id),
                name: None,
            },
            Wire::Object { id, name } => ProjectRef {
                id: ProjectId(id),
                name,
            },
        })
    }
}

/// One job, as returned by `GET jobs/{job_id}/`.
///
/// Serializing a `Job` writes the object exactly as the server sent it (every field, same names,
/// same order), so tools downstream see what the API said, not this client's reading of it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Job {
    /// The job id.
    pub id: JobId,
    /// The job's name.
    pub name: Option<String>,
    /// Where the job stands.
    pub status: JobStatus,
    /// The step the job is at.
    pub step: Option<Step>,
    /// Why the job failed (for `error` jobs), or other information from SDM.
    pub message: Option<String>,
    /// The project the job belongs to.
    pub project: Option<ProjectRef>,
    /// When the job was created.
    pub creation_date: Option<DateTime<Utc>>,
    /// When the job finished (`null` until then).
    pub completion_date: Option<DateTime<Utc>>,
    raw: Map<String, Value>,
}

impl<'de> Deserialize<'de> for Job {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut job = ParsedJob::read(deserializer)?;
        Ok(Job {
            id: job.id()?,
            status: job.status()?,
            name: job.name,
            step: job.step,
            message: job.message,
            project: job.project,
            creation_date: job.creation_date,
            completion_date: job.completion_date,
            raw: job.raw,
        })
    }
}

/// A job as it appears in `GET jobs/` results.
///
/// The documented list shows fewer fields than the detail (no step, no message); whatever the
/// server does send is kept in [`raw`](Self::raw) and written back by `Serialize`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct JobSummary {
    /// The job id.
    pub id: JobId,
    /// The job's name.
    pub name: Option<String>,
    /// Where the job stands.
    pub status: JobStatus,
    /// The project the job belongs to, when listed.
    pub project: Option<ProjectRef>,
    /// When the job was created.
    pub creation_date: Option<DateTime<Utc>>,
    /// When the job finished.
    pub completion_date: Option<DateTime<Utc>>,
    raw: Map<String, Value>,
}

impl<'de> Deserialize<'de> for JobSummary {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut job = ParsedJob::read(deserializer)?;
        Ok(JobSummary {
            id: job.id()?,
            status: job.status()?,
            name: job.name,
            project: job.project,
            creation_date: job.creation_date,
            completion_date: job.completion_date,
            raw: job.raw,
        })
    }
}

super::raw::keeps_raw_object!(Job);
super::raw::keeps_raw_object!(JobSummary);

/// A job object read entry by entry: every entry is kept as sent, and the known ones are read
/// as they go by, so a decode error's path names the field (`results[3].status`).
///
/// `id`, `status` and the dates are documented and must be right; `name`, `message`, `step` and
/// `project` are read leniently (a surprising shape leaves the typed field empty, the raw value
/// stays available), as the API's observed-only fields may change.
#[derive(Default)]
struct ParsedJob {
    id: Option<JobId>,
    status: Option<JobStatus>,
    name: Option<String>,
    step: Option<Step>,
    message: Option<String>,
    project: Option<ProjectRef>,
    creation_date: Option<DateTime<Utc>>,
    completion_date: Option<DateTime<Utc>>,
    raw: Map<String, Value>,
}

impl ParsedJob {
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(JobVisitor)
    }

    fn id<E: serde::de::Error>(&mut self) -> Result<JobId, E> {
        self.id.take().ok_or_else(|| E::missing_field("id"))
    }

    fn status<E: serde::de::Error>(&mut self) -> Result<JobStatus, E> {
        self.status.take().ok_or_else(|| E::missing_field("status"))
    }

    /// Reads the known field `key` from `value`.
    fn known(&mut self, key: &str, value: &Value) -> Result<(), serde_json::Error> {
        fn strict<T: DeserializeOwned>(value: &Value) -> Result<T, serde_json::Error> {
            T::deserialize(value)
        }
        fn lenient<T: DeserializeOwned>(value: &Value) -> Option<T> {
            Option::<T>::deserialize(value).ok().flatten()
        }
        match key {
            "id" => self.id = Some(strict(value)?),
            "status" => self.status = Some(strict(value)?),
            "creation_date" => self.creation_date = strict(value)?,
            "completion_date" => self.completion_date = strict(value)?,
            "name" => self.name = lenient(value),
            "message" => self.message = lenient(value),
            "step" => self.step = lenient(value),
            "project" => self.project = lenient(value),
            _ => {}
        }
        Ok(())
    }
}

struct JobVisitor;

impl<'de> Visitor<'de> for JobVisitor {
    type Value = ParsedJob;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a job object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ParsedJob, A::Error> {
        let mut job = ParsedJob::default();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(KnownField {
                key: &key,
                job: &mut job,
            })?;
            job.raw.insert(key, value);
        }
        Ok(job)
    }
}

/// Reads one entry's value, and its typed field when the key is known; an error here is
/// reported at the entry's key.
struct KnownField<'a> {
    key: &'a str,
    job: &'a mut ParsedJob,
}

impl<'de> DeserializeSeed<'de> for KnownField<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        let value = Value::deserialize(deserializer)?;
        self.job.known(self.key, &value).map_err(D::Error::custom)?;
        Ok(value)
    }
}
