//! Jobs as the API returns them: typed fields for what the client knows, and the server's whole
//! object kept alongside so no field is ever lost (`-o json` prints it back unchanged).

use chrono::{DateTime, Utc};
use serde::de::{DeserializeOwned, Error as _};
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

/// The fields of a job detail the client understands.
#[derive(Deserialize)]
struct JobFields {
    id: JobId,
    #[serde(default)]
    name: Option<String>,
    status: JobStatus,
    #[serde(default)]
    step: Option<Step>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    project: Option<ProjectRef>,
    #[serde(default)]
    creation_date: Option<DateTime<Utc>>,
    #[serde(default)]
    completion_date: Option<DateTime<Utc>>,
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

impl Job {
    /// Every field the server sent, in its order, including those this client does not model.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// One field as the server sent it, e.g. `job.field("file")`.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.raw.get(name)
    }

    /// The server's object, consuming the job.
    pub fn into_raw(self) -> Map<String, Value> {
        self.raw
    }
}

impl<'de> Deserialize<'de> for Job {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (fields, raw) = typed_with_raw::<JobFields, D>(deserializer)?;
        Ok(Job {
            id: fields.id,
            name: fields.name,
            status: fields.status,
            step: fields.step,
            message: fields.message,
            project: fields.project,
            creation_date: fields.creation_date,
            completion_date: fields.completion_date,
            raw,
        })
    }
}

impl Serialize for Job {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

/// The fields of a job in a list the client understands.
#[derive(Deserialize)]
struct JobSummaryFields {
    id: JobId,
    #[serde(default)]
    name: Option<String>,
    status: JobStatus,
    #[serde(default)]
    project: Option<ProjectRef>,
    #[serde(default)]
    creation_date: Option<DateTime<Utc>>,
    #[serde(default)]
    completion_date: Option<DateTime<Utc>>,
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

impl JobSummary {
    /// Every field the server sent, in its order.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// One field as the server sent it.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.raw.get(name)
    }

    /// The server's object, consuming the summary.
    pub fn into_raw(self) -> Map<String, Value> {
        self.raw
    }
}

impl<'de> Deserialize<'de> for JobSummary {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (fields, raw) = typed_with_raw::<JobSummaryFields, D>(deserializer)?;
        Ok(JobSummary {
            id: fields.id,
            name: fields.name,
            status: fields.status,
            project: fields.project,
            creation_date: fields.creation_date,
            completion_date: fields.completion_date,
            raw,
        })
    }
}

impl Serialize for JobSummary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

/// Reads one JSON object, then its known fields from it, keeping the object itself.
/// A field error names the field's path inside the object (`step.id: invalid type …`).
fn typed_with_raw<'de, T: DeserializeOwned, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<(T, Map<String, Value>), D::Error> {
    let raw = Map::<String, Value>::deserialize(deserializer)?;
    let object = Value::Object(raw);
    let typed = serde_path_to_error::deserialize::<_, T>(&object).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if path == "." {
            D::Error::custom(inner)
        } else {
            D::Error::custom(format_args!("{path}: {inner}"))
        }
    })?;
    let Value::Object(raw) = object else {
        unreachable!("built as an object above")
    };
    Ok((typed, raw))
}
