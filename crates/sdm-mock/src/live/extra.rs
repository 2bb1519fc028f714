//! A job added while the server runs (by `insert_jobs` or `add_job`): generated from the seed
//! and its position among the added jobs, created after every generated job, with a status that
//! follows the clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use super::rows::JobRows;
use crate::datetime::format_utc;
use crate::files::Table;
use crate::rng::{Rng, mix};
use crate::world::{
    END_CREATION, JobMeta, JobParts, LAST_STEP, PROJECTS, RowSource, Status, VALIDATION_STEP,
    error_message, job_name,
};

/// Sub-stream label for the attributes of added jobs.
const EXTRA_STREAM: u64 = 0xe77;
/// Step number of a running added job ("Mapping"); failed ones stop there too.
const MAPPING_STEP: u64 = 2;
/// Fractional digits of the timestamps of added jobs (what DRF emits).
const PRECISION: u32 = 6;

/// What is asked of a new job.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Its name; `None` for a generated one.
    pub(crate) name: Option<String>,
    /// The status it reaches after `run_for`.
    pub(crate) final_status: Status,
    /// How long it reads as running.
    pub(crate) run_for: Duration,
    /// What it serves in each output format once done.
    pub(crate) output: Output,
    /// Its project; `None` for a generated one.
    pub(crate) project: Option<u64>,
    /// Its file's id; `None` for a generated one.
    pub(crate) file_id: Option<u64>,
}

/// What a done added job serves in each output format.
#[derive(Debug, Clone)]
pub(crate) enum Output {
    /// This many rows generated from (seed, job id, format).
    Generated(u64),
    /// The rows of an uploaded file (a created job).
    Table(Arc<Table>),
}

/// One added job: fixed attributes plus the clock that drives its status.
#[derive(Debug, Clone)]
pub(crate) struct ExtraJob {
    id: String,
    number: usize,
    name: String,
    project: u64,
    project_object: bool,
    file_id: u64,
    created: DateTime<Utc>,
    creation_date: String,
    completion_date: String,
    message: String,
    final_status: Status,
    run_for: Duration,
    added: Instant,
    output: Output,
}

impl ExtraJob {
    /// The `k`-th added job (0-based) of the world seeded `seed`, numbered `number` among all
    /// jobs, with its already chosen unique `id`, added at `added`. Every attribute but the
    /// plan's depends only on (seed, k).
    pub(crate) fn generate(
        seed: u64,
        k: usize,
        number: usize,
        id: String,
        plan: Plan,
        added: Instant,
    ) -> Self {
        let mut rng = Rng::new(mix(mix(seed, EXTRA_STREAM), k as u64));
        // Every draw happens whatever the plan says, so other attributes do not change.
        let project = rng.range(1, PROJECTS.len() as u64);
        let project_object = rng.chance(5) && plan.project.is_none();
        let project = plan.project.unwrap_or(project);
        let generated_name = job_name(&mut rng, number);
        let message = error_message(&mut rng);
        let file_id = 5_000 + number as u64 * 7 + rng.below(7);
        let file_id = plan.file_id.unwrap_or(file_id);
        // A minute apart (plus jitter), after every generated job: the newest come first.
        let secs = END_CREATION + 60 * (k as i64 + 1) + rng.below(60) as i64;
        let micros = rng.below(1_000_000) as u32;
        let created = DateTime::from_timestamp(secs, micros * 1_000).unwrap_or_default();
        let completed = TimeDelta::from_std(plan.run_for)
            .ok()
            .and_then(|d| created.checked_add_signed(d))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        Self {
            id,
            number,
            name: plan.name.unwrap_or(generated_name),
            project,
            project_object,
            file_id,
            created,
            creation_date: format_utc(created, PRECISION),
            completion_date: format_utc(completed, PRECISION),
            message,
            final_status: plan.final_status,
            run_for: plan.run_for,
            added,
            output: plan.output,
        }
    }

    /// The job's id.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// The status at `now`: running until `run_for` has passed since the job was added.
    pub(crate) fn status_at(&self, now: Instant) -> Status {
        if now.saturating_duration_since(self.added) >= self.run_for {
            self.final_status
        } else {
            Status::Running
        }
    }

    /// The filterable attributes at `now`.
    pub(crate) fn meta_at(&self, now: Instant) -> JobMeta {
        JobMeta {
            id: self.id.clone(),
            status: self.status_at(now),
            project: self.project,
            created: self.created,
        }
    }

    /// The job object at `now`.
    pub(crate) fn json_at(&self, now: Instant) -> Value {
        let status = self.status_at(now);
        let step_number = match status {
            Status::Done => LAST_STEP,
            Status::Pending => VALIDATION_STEP,
            Status::Running | Status::Error => MAPPING_STEP,
        };
        let finished = matches!(status, Status::Done | Status::Error);
        JobParts {
            id: &self.id,
            name: &self.name,
            status,
            step_number,
            message: (status == Status::Error).then_some(self.message.as_str()),
            project: self.project,
            project_object: self.project_object,
            file_id: self.file_id,
            creation_date: &self.creation_date,
            completion_date: finished.then_some(self.completion_date.as_str()),
        }
        .to_json()
    }

    /// Whether the job ends `done` (and so ever serves rows).
    pub(crate) fn ends_done(&self) -> bool {
        self.final_status == Status::Done
    }

    /// Its rows in `output_format_id` (a format the world offers): generated from (seed, id,
    /// format), or its file's.
    pub(crate) fn row_source(&self, seed: u64, output_format_id: u64) -> JobRows {
        match &self.output {
            Output::Generated(rows) => JobRows::Generated(RowSource::keyed(
                seed,
                &self.id,
                self.number,
                output_format_id,
                *rows,
            )),
            Output::Table(table) => JobRows::table(Arc::clone(table)),
        }
    }
}
