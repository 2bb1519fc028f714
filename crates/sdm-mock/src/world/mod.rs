//! The generated world: every job the fake server knows, its metadata, and its output rows.

mod jobs;
mod projects;
mod rows;

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::rng::{Rng, mix};

pub(crate) use jobs::{
    END_CREATION, JobParts, LAST_STEP, PROJECTS, VALIDATION_STEP, error_message, job_name,
};
pub(crate) use projects::{project_detail, project_summary};
pub(crate) use rows::RowSource;

/// Sub-stream label for job ids.
const ID_STREAM: u64 = 0x1d;
/// The output formats every world offers (integers configured in the SDM UI).
const OUTPUT_FORMAT_IDS: [u64; 2] = [1, 2];

/// A job status the fake server serves: the four the API documents. A [`crate::JobSpec`] says
/// which one its job ends as.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Processing; poll again.
    Running,
    /// Finished; output rows can be fetched.
    Done,
    /// Failed; `message` says why.
    Error,
    /// Waiting for a human in SDM.
    Pending,
}

impl Status {
    /// All statuses, in the order the API documents them.
    pub(crate) const ALL: [Status; 4] = [Self::Running, Self::Done, Self::Error, Self::Pending];

    /// The status as the API spells it (`"done"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Done => "done",
            Self::Error => "error",
            Self::Pending => "pending",
        }
    }

    /// Parses the wire spelling (exact, lowercase).
    pub(crate) fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// What the server needs to know about a job besides its JSON (for filtering and rows).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JobMeta {
    /// The job's UUID.
    pub(crate) id: String,
    /// Its status.
    pub(crate) status: Status,
    /// Its project id (whether the JSON shows an integer or an object).
    pub(crate) project: u64,
    /// Its creation date, exactly as serialized.
    pub(crate) created: DateTime<Utc>,
}

/// The ground truth the fake server serves: generated once, deterministically, from a seed.
#[derive(Clone, PartialEq)]
pub struct World {
    seed: u64,
    jobs: Vec<Value>,
    meta: Vec<JobMeta>,
    by_id: HashMap<String, usize>,
    newest_first: Vec<usize>,
}

impl fmt::Debug for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("World")
            .field("seed", &self.seed)
            .field("jobs", &self.jobs.len())
            .field("output_format_ids", &OUTPUT_FORMAT_IDS)
            .finish_non_exhaustive()
    }
}

impl World {
    /// Generates `job_count` jobs from `seed`. Pure and deterministic: the same arguments always
    /// give an equal world, and a smaller `job_count` gives a prefix of a larger one.
    /// For `job_count >= 8` every status occurs, and so does the object form of `project`.
    pub fn generate(seed: u64, job_count: usize) -> World {
        let mut ids = Rng::new(mix(seed, ID_STREAM));
        let mut by_id = HashMap::with_capacity(job_count);
        let mut jobs = Vec::with_capacity(job_count);
        let mut meta = Vec::with_capacity(job_count);
        for index in 0..job_count {
            let id = loop {
                let candidate = ids.uuid_v4();
                if !by_id.contains_key(&candidate) {
                    break candidate;
                }
            };
            by_id.insert(id.clone(), index);
            let (json, m) = jobs::generate(seed, index, id);
            jobs.push(json);
            meta.push(m);
        }
        let mut newest_first: Vec<usize> = (0..job_count).collect();
        newest_first.sort_by(|&a, &b| {
            let (a, b) = (&meta[a], &meta[b]);
            b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id))
        });
        World {
            seed,
            jobs,
            meta,
            by_id,
            newest_first,
        }
    }

    /// Every job object, exactly as the detail endpoint serves it, in generation order (the
    /// list endpoint orders them newest first).
    pub fn jobs(&self) -> &[Value] {
        &self.jobs
    }

    /// The job with this id, as the detail endpoint serves it.
    pub fn job(&self, id: &str) -> Option<&Value> {
        self.by_id.get(id).map(|&i| &self.jobs[i])
    }

    /// The output format ids the data endpoint accepts.
    pub fn output_format_ids(&self) -> &[u64] {
        &OUTPUT_FORMAT_IDS
    }

    /// The rows the data endpoint serves for this job and format; `None` if the job or format is
    /// unknown or the job is not `done`.
    pub fn rows(&self, job_id: &str, output_format_id: u64) -> Option<Vec<Value>> {
        let index = *self.by_id.get(job_id)?;
        if self.meta[index].status != Status::Done {
            return None;
        }
        Some(self.row_source(index, output_format_id)?.collect())
    }

    /// The seed the world was generated from.
    pub(crate) fn seed(&self) -> u64 {
        self.seed
    }

    /// The position of a job in [`World::jobs`].
    pub(crate) fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The metadata of the job at `index`.
    pub(crate) fn meta(&self, index: usize) -> &JobMeta {
        &self.meta[index]
    }

    /// The JSON of the job at `index`.
    pub(crate) fn json(&self, index: usize) -> &Value {
        &self.jobs[index]
    }

    /// Job indexes ordered like the list endpoint: `-creation_date`, ties by id.
    pub(crate) fn newest_first(&self) -> &[usize] {
        &self.newest_first
    }

    /// A lazy generator of the rows of the job at `index` (whatever its status) in this format;
    /// `None` for an unknown format.
    pub(crate) fn row_source(&self, index: usize, output_format_id: u64) -> Option<RowSource> {
        OUTPUT_FORMAT_IDS
            .contains(&output_format_id)
            .then(|| RowSource::new(self.seed, index, output_format_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_prefix_stable() {
        let a = World::generate(5, 50);
        assert_eq!(a, World::generate(5, 50));
        assert_ne!(a, World::generate(6, 50));
        let small = World::generate(5, 10);
        assert_eq!(small.jobs(), &a.jobs()[..10]);
    }

    #[test]
    fn every_status_for_eight_jobs() {
        let w = World::generate(123, 8);
        for st in Status::ALL {
            assert!(w.meta.iter().any(|m| m.status == st), "{st:?}");
        }
        assert!(w.jobs().iter().any(|j| j["project"].is_object()));
    }

    #[test]
    fn newest_first_is_sorted() {
        let w = World::generate(1, 300);
        let order = w.newest_first();
        assert_eq!(order.len(), 300);
        for pair in order.windows(2) {
            assert!(w.meta(pair[0]).created >= w.meta(pair[1]).created);
        }
    }

    #[test]
    fn rows_only_for_done_jobs_and_known_formats() {
        let w = World::generate(9, 40);
        for (i, m) in w.meta.iter().enumerate() {
            let rows = w.rows(&m.id, 1);
            assert_eq!(rows.is_some(), m.status == Status::Done, "job {i}");
            assert!(w.rows(&m.id, 3).is_none());
        }
        assert!(w.rows("nope", 1).is_none());
    }
}
