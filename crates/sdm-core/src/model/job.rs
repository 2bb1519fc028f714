//! Jobs as the API returns them: typed fields for what the client knows, and the server's whole
//! object kept alongside so no field is ever lost (`-o json` prints it back unchanged).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use super::raw::RawObject;
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
    raw: RawObject,
}

impl<'de> Deserialize<'de> for Job {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let job = ParsedJob::read(deserializer)?;
        Ok(Job {
            id: job.id,
            status: job.status,
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
    raw: RawObject,
}

impl<'de> Deserialize<'de> for JobSummary {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let job = ParsedJob::read(deserializer)?;
        Ok(JobSummary {
            id: job.id,
            status: job.status,
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

/// A job object: the server's text kept whole, and the known fields read from it.
///
/// `id`, `status` and the dates are documented and must be right; `name`, `message`, `step` and
/// `project` are read leniently (a surprising shape leaves the typed field empty, the raw value
/// stays available), as the API's observed-only fields may change.
struct ParsedJob {
    id: JobId,
    status: JobStatus,
    name: Option<String>,
    step: Option<Step>,
    message: Option<String>,
    project: Option<ProjectRef>,
    creation_date: Option<DateTime<Utc>>,
    completion_date: Option<DateTime<Utc>>,
    raw: RawObject,
}

impl ParsedJob {
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawObject::read(deserializer)?;
        Ok(ParsedJob {
            id: raw.required("id")?,
            status: raw.required("status")?,
            creation_date: raw.optional("creation_date")?,
            completion_date: raw.optional("completion_date")?,
            name: raw.lenient("name"),
            step: raw.lenient("step"),
            message: raw.lenient("message"),
            project: raw.lenient("project"),
            raw,
        })
    }
}
