//! [`MockControl`]: changing a running server's jobs, faults and downloads, and reading what it
//! received, from tests or from a list-page hook.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::auth::Tokens;
use crate::disposition::DispositionOverride;
use crate::fault::{FaultPlan, FaultSet, Route};
use crate::files::Files;
use crate::ledger::{Ledger, ReceivedUpload};
use crate::live::{JobSpec, Live};
use crate::world::Status;

/// A handle on a running server's jobs, files and faults; cheap to clone and usable from any
/// thread. Hooks set with [`crate::MockBuilder::on_list_page`] receive one.
#[derive(Clone)]
pub struct MockControl {
    live: Arc<Live>,
    faults: Arc<FaultSet>,
    files: Arc<Files>,
    ledger: Arc<Ledger>,
    disposition: Arc<DispositionOverride>,
    tokens: Arc<Tokens>,
}

impl fmt::Debug for MockControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockControl").finish_non_exhaustive()
    }
}

impl MockControl {
    /// A handle on a server's parts.
    pub(crate) fn new(
        live: Arc<Live>,
        faults: Arc<FaultSet>,
        files: Arc<Files>,
        ledger: Arc<Ledger>,
        disposition: Arc<DispositionOverride>,
        tokens: Arc<Tokens>,
    ) -> Self {
        Self {
            live,
            faults,
            files,
            ledger,
            disposition,
            tokens,
        }
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

    /// Sets the status jobs created on `project_id` by `POST jobs/` end in once they have run
    /// ([`crate::MockBuilder::created_jobs_run_for`]): [`Status::Done`] (the default for every
    /// project: they serve the file's rows), [`Status::Error`], [`Status::Pending`] or
    /// [`Status::Running`] (never ends). A job takes the outcome in force when it is created.
    pub fn set_project_outcome(&self, project_id: u64, status: Status) {
        self.live.set_project_outcome(project_id, status);
    }

    /// Every uploaded file object as `GET files/{id}/` serves it now, by id.
    pub fn files_snapshot(&self) -> Vec<Value> {
        self.files.snapshot()
    }

    /// How many POST requests reached the server on `route` ([`Route::Any`]: on any path),
    /// counted when their head arrived, before any fault, limit or authentication applied.
    pub fn posts_received(&self, route: Route) -> u64 {
        self.ledger.posts(route)
    }

    /// One record per `POST files/` request whose body the server read whole, in the order
    /// the bodies ended: created files, rejected ones, and ones answered `429` (by a fault or
    /// the fair-use limit) or dropped ([`crate::Fault::DropBeforeResponse`], status `0`).
    /// A [`crate::Fault::DropAfterActing`] upload shows the status that was not sent.
    pub fn uploads_received(&self) -> Vec<ReceivedUpload> {
        self.ledger.uploads()
    }

    /// `Some(value)`: every download sends this raw `Content-Disposition` value instead of
    /// Django's (to test how a client copes with hostile names); `None` restores the default.
    pub fn set_content_disposition(&self, value: Option<String>) {
        self.disposition.set(value);
    }

    /// Revokes the API token `key` (as deleting it in SDM does): from the next request on it is
    /// answered `401 Invalid token.`, and logging in again with its token name issues a new
    /// key. Returns false when `key` was not a valid token.
    pub fn revoke_token(&self, key: &str) -> bool {
        self.tokens.revoke(key)
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
