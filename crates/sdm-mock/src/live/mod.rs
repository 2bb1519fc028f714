//! The live job store: the generated world plus the jobs added while the server runs (by
//! tests, or created by `POST jobs/` from an uploaded file), viewed consistently at one
//! instant (added jobs change status with time).

mod extra;
mod rows;
mod spec;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::files::Table;
use crate::rng::{Rng, mix};
use crate::world::{JobMeta, Status, World};
use extra::{ExtraJob, Output, Plan};
pub(crate) use rows::JobRows;
pub use spec::JobSpec;

/// Sub-stream label for the ids of added jobs.
const EXTRA_ID_STREAM: u64 = 0xe1d;

/// How long a created job runs unless [`crate::MockBuilder::created_jobs_run_for`] says
/// otherwise.
pub(crate) const DEFAULT_CREATED_RUN_FOR: Duration = Duration::from_secs(2);

/// Every job the server serves.
#[derive(Debug)]
pub(crate) struct Live {
    world: Arc<World>,
    extras: RwLock<Extras>,
    /// How long a created job runs.
    created_run_for: Duration,
    /// The status each project's created jobs end in (absent: done).
    outcomes: RwLock<HashMap<u64, Status>>,
}

/// The added jobs, oldest first, and their positions by id.
#[derive(Debug, Default)]
struct Extras {
    jobs: Vec<ExtraJob>,
    by_id: HashMap<String, usize>,
}

/// A job of a [`JobsView`]: generated (index in the world) or added (index among added jobs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobRef {
    /// A generated job.
    World(usize),
    /// An added job.
    Extra(usize),
}

/// Every job as it reads at one instant; holds a read lock, so keep it short-lived.
#[derive(Debug)]
pub(crate) struct JobsView<'a> {
    world: &'a World,
    extras: RwLockReadGuard<'a, Extras>,
    now: Instant,
}

impl JobsView<'_> {
    /// The job with this id.
    pub(crate) fn find(&self, id: &str) -> Option<JobRef> {
        self.world
            .index_of(id)
            .map(JobRef::World)
            .or_else(|| self.extras.by_id.get(id).map(|&i| JobRef::Extra(i)))
    }

    /// Every job ordered like the list endpoint: `-creation_date`, ties by id. Added jobs are
    /// created after all generated ones, each after the one before.
    pub(crate) fn newest_first(&self) -> impl Iterator<Item = JobRef> + '_ {
        (0..self.extras.jobs.len())
            .rev()
            .map(JobRef::Extra)
            .chain(self.world.newest_first().iter().map(|&i| JobRef::World(i)))
    }

    /// The filterable attributes of a job.
    pub(crate) fn meta(&self, job: JobRef) -> Cow<'_, JobMeta> {
        match job {
            JobRef::World(i) => Cow::Borrowed(self.world.meta(i)),
            JobRef::Extra(i) => Cow::Owned(self.extras.jobs[i].meta_at(self.now)),
        }
    }

    /// The job object, as the detail endpoint serves it.
    pub(crate) fn json(&self, job: JobRef) -> Cow<'_, Value> {
        match job {
            JobRef::World(i) => Cow::Borrowed(self.world.json(i)),
            JobRef::Extra(i) => Cow::Owned(self.extras.jobs[i].json_at(self.now)),
        }
    }

    /// The job's status.
    pub(crate) fn status(&self, job: JobRef) -> Status {
        match job {
            JobRef::World(i) => self.world.meta(i).status,
            JobRef::Extra(i) => self.extras.jobs[i].status_at(self.now),
        }
    }

    /// The job's name.
    pub(crate) fn name(&self, job: JobRef) -> String {
        self.json(job)["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The job's rows in a format, whatever its status; `None` for an unknown format.
    pub(crate) fn row_source(&self, job: JobRef, output_format_id: u64) -> Option<JobRows> {
        match job {
            JobRef::World(i) => self
                .world
                .row_source(i, output_format_id)
                .map(JobRows::Generated),
            JobRef::Extra(i) => self
                .world
                .output_format_ids()
                .contains(&output_format_id)
                .then(|| self.extras.jobs[i].row_source(self.world.seed(), output_format_id)),
        }
    }
}

impl Live {
    /// A store serving `world` and no added jobs yet, whose created jobs run for
    /// `created_run_for`.
    pub(crate) fn new(world: Arc<World>, created_run_for: Duration) -> Self {
        Self {
            world,
            extras: RwLock::default(),
            created_run_for,
            outcomes: RwLock::default(),
        }
    }

    /// Sets the status the jobs created on `project` from now on end in.
    pub(crate) fn set_project_outcome(&self, project: u64, status: Status) {
        self.outcomes
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(project, status);
    }

    /// Creates a job on `project` from file `file_id`, whose rows it serves once done; it
    /// runs for the created jobs' time, then ends in the project's outcome as set now.
    /// Returns its object.
    pub(crate) fn create_job(
        &self,
        name: String,
        project: u64,
        file_id: u64,
        table: Arc<Table>,
    ) -> Value {
        let final_status = self
            .outcomes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&project)
            .copied()
            .unwrap_or(Status::Done);
        let plan = Plan {
            name: Some(name),
            final_status,
            run_for: self.created_run_for,
            output: Output::Table(table),
            project: Some(project),
            file_id: Some(file_id),
        };
        self.add(std::iter::once(plan)).remove(0)
    }

    /// The generated world.
    pub(crate) fn world(&self) -> &Arc<World> {
        &self.world
    }

    /// Every job as it reads now.
    pub(crate) fn view(&self) -> JobsView<'_> {
        JobsView {
            world: &self.world,
            extras: self.extras.read().unwrap_or_else(|e| e.into_inner()),
            now: Instant::now(),
        }
    }

    /// Adds `n` running jobs that never finish; returns their objects.
    pub(crate) fn insert_jobs(&self, n: usize) -> Vec<Value> {
        let plan = Plan {
            name: None,
            final_status: Status::Running,
            run_for: Duration::ZERO,
            output: Output::Generated(0),
            project: None,
            file_id: None,
        };
        self.add(std::iter::repeat_n(plan, n))
    }

    /// Adds a job following `spec`; returns its id.
    pub(crate) fn add_job(&self, spec: JobSpec) -> String {
        let plan = Plan {
            name: Some(spec.name),
            final_status: spec.final_status,
            run_for: spec.run_for,
            output: Output::Generated(spec.rows),
            project: None,
            file_id: None,
        };
        let added = self.add(std::iter::once(plan));
        added[0]["id"].as_str().unwrap_or_default().to_owned()
    }

    /// Adds one job per plan, atomically; returns their objects as they read now.
    fn add(&self, plans: impl Iterator<Item = Plan>) -> Vec<Value> {
        let seed = self.world.seed();
        let now = Instant::now();
        let mut extras = self.extras.write().unwrap_or_else(|e| e.into_inner());
        let mut added = Vec::new();
        for plan in plans {
            let k = extras.jobs.len();
            let mut ids = Rng::new(mix(mix(seed, EXTRA_ID_STREAM), k as u64));
            let id = loop {
                let candidate = ids.uuid_v4();
                if self.world.index_of(&candidate).is_none()
                    && !extras.by_id.contains_key(&candidate)
                {
                    break candidate;
                }
            };
            let number = self.world.jobs().len() + k + 1;
            let job = ExtraJob::generate(seed, k, number, id, plan, now);
            added.push(job.json_at(now));
            extras.by_id.insert(job.id().to_owned(), k);
            extras.jobs.push(job);
        }
        added
    }

    /// Every job object as it reads now: the generated ones in generation order, then the
    /// added ones in the order they were added.
    pub(crate) fn snapshot(&self) -> Vec<Value> {
        let view = self.view();
        let world = (0..self.world.jobs().len()).map(JobRef::World);
        let extras = (0..view.extras.jobs.len()).map(JobRef::Extra);
        world
            .chain(extras)
            .map(|job| view.json(job).into_owned())
            .collect()
    }

    /// The rows the data endpoint serves for this job and format once the job is done; `None`
    /// for an unknown job or format, or a job that never gets done.
    pub(crate) fn final_rows(&self, job_id: &str, output_format_id: u64) -> Option<JobRows> {
        let view = self.view();
        let job = view.find(job_id)?;
        let ends_done = match job {
            JobRef::World(i) => self.world.meta(i).status == Status::Done,
            JobRef::Extra(i) => view.extras.jobs[i].ends_done(),
        };
        if !ends_done {
            return None;
        }
        view.row_source(job, output_format_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(jobs: usize) -> Live {
        Live::new(Arc::new(World::generate(3, jobs)), DEFAULT_CREATED_RUN_FOR)
    }

    #[test]
    fn inserted_jobs_come_first_newest_first() {
        let live = live(20);
        let first = live.insert_jobs(2);
        let second = live.insert_jobs(3);
        let view = live.view();
        let order: Vec<JobRef> = view.newest_first().collect();
        assert_eq!(order.len(), 25);
        let ids: Vec<Value> = order[..5]
            .iter()
            .map(|&j| view.json(j)["id"].clone())
            .collect();
        let mut expected: Vec<Value> = first
            .iter()
            .chain(&second)
            .map(|j| j["id"].clone())
            .collect();
        expected.reverse();
        assert_eq!(ids, expected);
        for pair in order.windows(2) {
            assert!(view.meta(pair[0]).created > view.meta(pair[1]).created);
        }
        for job in first.iter().chain(&second) {
            assert_eq!(job["status"], "running");
            assert_eq!(job["completion_date"], Value::Null);
        }
    }

    #[test]
    fn added_jobs_are_deterministic_and_unique() {
        let (a, b) = (live(10), live(10));
        assert_eq!(a.insert_jobs(50), b.insert_jobs(50));
        let snapshot = a.snapshot();
        assert_eq!(snapshot.len(), 60);
        let ids: std::collections::HashSet<&str> =
            snapshot.iter().map(|j| j["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 60);
    }

    #[test]
    fn created_jobs_end_in_their_projects_outcome_and_serve_the_file() {
        let live = live(5);
        live.set_project_outcome(3, Status::Error);
        let table = Arc::new(Table::new(
            vec!["sku".into()],
            vec![vec![(0, Value::from("A"))]],
        ));
        let done = live.create_job("ok".into(), 2, 7, Arc::clone(&table));
        let failed = live.create_job("ko".into(), 3, 8, table);
        assert_eq!(done["status"], "running");
        assert_eq!(
            (done["project"].clone(), done["file"].clone()),
            (2.into(), serde_json::json!({"id": 7}))
        );
        let view = live.view();
        let later = JobsView {
            now: view.now + DEFAULT_CREATED_RUN_FOR,
            ..view
        };
        let (done, failed) = (
            later.find(done["id"].as_str().unwrap()).unwrap(),
            later.find(failed["id"].as_str().unwrap()).unwrap(),
        );
        assert_eq!(later.status(done), Status::Done);
        assert_eq!(later.status(failed), Status::Error);
        let rows: Vec<Value> = later.row_source(done, 2).unwrap().collect();
        assert_eq!(rows, [serde_json::json!({"sku": "A"})]);
        assert!(later.row_source(done, 3).is_none());
    }

    #[test]
    fn specs_change_status_with_time() {
        let live = live(5);
        let id = live.add_job(JobSpec::new(Status::Error, Duration::from_secs(3600)));
        let view = live.view();
        let job = view.find(&id).unwrap();
        assert_eq!(view.status(job), Status::Running);
        let later = JobsView {
            now: view.now + Duration::from_secs(3600),
            ..view
        };
        assert_eq!(later.status(job), Status::Error);
        let json = later.json(job);
        assert_eq!(json["step"]["number"], 2);
        assert!(json["message"].as_str().unwrap().len() > 10);
        assert!(json["completion_date"].is_string());
    }
}
