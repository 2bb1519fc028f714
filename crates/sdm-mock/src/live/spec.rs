//! [`JobSpec`]: a job added to a running server, with the status it reaches and when.

use std::time::Duration;

use crate::Status;

/// Rows a [`JobSpec`] has in each output format unless [`JobSpec::rows`] says otherwise.
const DEFAULT_ROWS: u64 = 100;

/// A job to add with [`crate::MockControl::add_job`]: it reads as `running` (step 2, "Mapping")
/// until `run_for` has passed since it was added, then as `final_status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    /// The job's `name`.
    pub name: String,
    /// The status the job ends in: [`Status::Done`] (rows can be fetched), [`Status::Error`]
    /// (with a `message`), [`Status::Pending`] (waiting at step 3, "Validation"), or
    /// [`Status::Running`] (never ends).
    pub final_status: Status,
    /// How long the job runs before reaching `final_status`.
    pub run_for: Duration,
    /// How many rows the job has in each output format once done (any number up to 10 million
    /// and more: they are generated while streamed).
    pub rows: u64,
}

impl JobSpec {
    /// A job that runs for `run_for`, then reads as `final_status`; 100 rows and a name saying
    /// what it does, unless changed with [`JobSpec::rows`] and [`JobSpec::name`].
    pub fn new(final_status: Status, run_for: Duration) -> Self {
        Self {
            name: format!("Mock job ({} after {run_for:?})", final_status.as_str()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_name_their_status_and_keep_their_settings() {
        let spec = JobSpec::new(Status::Pending, Duration::from_secs(1));
        assert_eq!(spec.name, "Mock job (pending after 1s)");
        assert_eq!(spec.rows, DEFAULT_ROWS);
        let spec = spec.rows(7).name("Nightly");
        assert_eq!((spec.name.as_str(), spec.rows), ("Nightly", 7));
        assert_eq!(spec.final_status, Status::Pending);
    }
}
