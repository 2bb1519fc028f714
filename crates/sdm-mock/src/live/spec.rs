//! [`JobSpec`]: a job added to a running server, with the status it reaches and when.

use std::time::Duration;

/// Rows a [`JobSpec`] has in each output format unless [`JobSpec::rows`] says otherwise.
const DEFAULT_ROWS: u64 = 100;

/// A job to add with [`crate::MockControl::add_job`]: it reads as `running` (step 2, "Mapping")
/// until `run_for` has passed since it was added, then as `final_status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    /// The job's `name`.
    pub name: String,
    /// The status the job ends in: `"done"` (rows can be fetched), `"error"` (with a
    /// `message`), `"pending"` (waiting at step 3, "Validation"), or `"running"` (never ends).
    pub final_status: &'static str,
    /// How long the job runs before reaching `final_status`.
    pub run_for: Duration,
    /// How many rows the job has in each output format once done (any number up to 10 million
    /// and more: they are generated while streamed).
    pub rows: u64,
}

impl JobSpec {
    /// A job that runs for `run_for`, then reads as `final_status`; 100 rows and a name saying
    /// what it does, unless changed with [`JobSpec::rows`] and [`JobSpec::name`].
    pub fn new(final_status: &'static str, run_for: Duration) -> Self {
        Self {
            name: format!("Mock job ({final_status} after {run_for:?})"),
            final_status,
            run_for,
            rows: DEFAULT_ROWS,
        }
    }

    /// Sets how many rows the job has in each output format.
    pub fn rows(mut self, n: u64) -> Self {
        self.rows = n;
        self
    }

    /// Sets the job's name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
}
