//! [`MockControl`]: changing a running server's jobs and faults, from tests or from a list-page
//! hook.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::fault::{FaultPlan, FaultSet};
use crate::live::{JobSpec, Live};

/// A handle on a running server's jobs and faults; cheap to clone and usable from any thread.
/// Hooks set with [`crate::MockBuilder::on_list_page`] receive one.
#[derive(Clone)]
pub struct MockControl {
    live: Arc<Live>,
    faults: Arc<FaultSet>,
}

impl fmt::Debug for MockControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockControl").finish_non_exhaustive()
    }
}

impl MockControl {
    /// A handle on `live` and `faults`.
    pub(crate) fn new(live: Arc<Live>, faults: Arc<FaultSet>) -> Self {
        Self { live, faults }
    }

    /// Replaces the fault plans (see [`crate::MockBuilder::fault`]); each new plan's budget
    /// starts afresh. Requests already past the point where faults are chosen are not affected.
    pub fn set_faults(&self, plans: Vec<FaultPlan>) {
        self.faults.replace(plans);
    }

    /// Removes every fault plan: the server is healthy again.
    pub fn clear_faults(&self) {
        self.faults.replace(Vec::new());
    }

    /// How many responses were faulted so far (a request a fault left alone does not count).
    pub fn faults_served(&self) -> u64 {
        self.faults.served()
    }

    /// Adds `n` new `running` jobs (that never finish), created after every existing job so they
    /// come first in the newest-first list; returns their objects. Their content depends only on
    /// the seed and how many jobs were added before, and their ids are unique.
    pub fn insert_jobs(&self, n: usize) -> Vec<Value> {
        self.live.insert_jobs(n)
    }

    /// Adds a job that reads as `running` (step 2, "Mapping") until `spec.run_for` has passed,
    /// then as `spec.final_status`; returns its id. Like [`MockControl::insert_jobs`], it is
    /// created after every existing job. Done jobs serve `spec.rows` rows in each output format,
    /// generated from (seed, job id, format) and streamed.
    pub fn add_job(&self, spec: JobSpec) -> String {
        self.live.add_job(spec)
    }

    /// Every job object as the detail endpoint serves it now: the generated jobs in generation
    /// order, then the added ones in the order they were added.
    pub fn jobs_snapshot(&self) -> Vec<Value> {
        self.live.snapshot()
    }

    /// The rows the data endpoint serves for this job and format once the job is done, generated
    /// lazily (nothing is materialised); `None` for an unknown job or format, or a job that never
    /// ends `done`.
    pub fn job_rows(
        &self,
        job_id: &str,
        output_format_id: u64,
    ) -> Option<impl ExactSizeIterator<Item = Value> + Send + 'static> {
        self.live.final_rows(job_id, output_format_id)
    }
}

/// The function [`crate::MockBuilder::on_list_page`] installs.
pub(crate) type ListPageFn = dyn Fn(&MockControl, u64) + Send + Sync;

/// A shareable [`ListPageFn`] with a `Debug` impl.
#[derive(Clone)]
pub(crate) struct ListPageHook(pub(crate) Arc<ListPageFn>);

impl fmt::Debug for ListPageHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ListPageHook(..)")
    }
}
