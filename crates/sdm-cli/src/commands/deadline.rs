//! One `--timeout` for work of several stages (`sdm import`, `files upload --wait`): each stage
//! gets only the time left, its requests, retries and waits included. The library keeps each
//! call within it (`ClientConfig::with_deadline`); this module says when the work started and
//! tells the errors of a deadline that passed as such (exit 7).

use std::time::{Duration, Instant};

use sdm_ureq::{Client, ClientConfig, RetryPolicy, TimeoutKind, WaitOptions};

use crate::cli::GlobalArgs;
use crate::duration;
use crate::error::CliError;

/// When the work must be over, if ever.
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    started: Instant,
    end: Option<Instant>,
}

impl Deadline {
    /// Starts now, ending after `timeout` (never without one).
    pub fn new(timeout: Option<Duration>) -> Self {
        let started = Instant::now();
        Self {
            started,
            end: timeout.and_then(|timeout| started.checked_add(timeout)),
        }
    }

    /// The time left (`None` without a deadline; zero once it has passed).
    pub fn remaining(&self) -> Option<Duration> {
        self.end
            .map(|end| end.saturating_duration_since(Instant::now()))
    }

    /// Whether the deadline has passed.
    pub fn passed(&self) -> bool {
        self.remaining().is_some_and(|left| left.is_zero())
    }

    /// How long the work has taken so far, for messages.
    pub fn elapsed(&self) -> String {
        duration::display(self.started.elapsed())
    }

    /// Options for a wait that starts now and ends at the deadline.
    pub fn wait_options(&self, interval: Option<Duration>) -> WaitOptions {
        let mut options = WaitOptions::default();
        if let Some(interval) = interval {
            options = options.interval(interval);
        }
        if let Some(left) = self.remaining() {
            options = options.timeout(left);
        }
        options
    }

    /// A client for the next stage, whose every call (retries and pauses included) ends by the
    /// deadline. `adjust` changes the configuration further.
    pub fn client(
        &self,
        global: &GlobalArgs,
        adjust: impl FnOnce(ClientConfig) -> ClientConfig,
    ) -> Result<Client, CliError> {
        let end = self.end;
        super::client_with(global, |config| adjust(config.with_deadline(end)))
    }

    /// A request's error, told as the deadline passing (exit 7) when the library says the
    /// deadline ended the call (a `Retry-After` longer than the time left, a request cut
    /// short), or when it has passed and the error is one a retry could have cured. Otherwise
    /// the error as it is (a 404 stays a 404).
    pub fn error(&self, doing: &str, error: sdm_ureq::Error) -> CliError {
        if is_deadline(&error) || (self.passed() && RetryPolicy::is_transient(error.underlying())) {
            return CliError::Deadline {
                message: format!("timed out after {} {doing}", self.elapsed()),
                source: Box::new(error),
            };
        }
        CliError::Api(error)
    }

    /// Fails when no time is left before `doing` something.
    pub fn check(&self, doing: &str) -> Result<(), CliError> {
        if self.passed() {
            return Err(CliError::job(
                crate::error::JobOutcome::TimedOut,
                format!("timed out after {} before {doing}", self.elapsed()),
            ));
        }
        Ok(())
    }
}

/// Whether the library ended the call because its deadline left no time to go on.
pub fn is_deadline(error: &sdm_ureq::Error) -> bool {
    error
        .timed_out()
        .is_some_and(|timed_out| timed_out.timeout == TimeoutKind::Deadline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_timeout_there_is_no_end() {
        let deadline = Deadline::new(None);
        assert_eq!(deadline.remaining(), None);
        assert!(!deadline.passed());
        assert_eq!(deadline.wait_options(None).timeout, None);
        assert!(deadline.check("uploading").is_ok());
    }

    #[test]
    fn each_stage_gets_the_time_left() {
        let deadline = Deadline::new(Some(Duration::from_secs(60)));
        let left = deadline.remaining().unwrap();
        assert!(left <= Duration::from_secs(60) && left > Duration::from_secs(59));
        let options = deadline.wait_options(Some(Duration::from_millis(200)));
        assert!(options.timeout.unwrap() <= left);
        assert_eq!(options.initial_interval, Duration::from_millis(200));

        let over = Deadline::new(Some(Duration::ZERO));
        assert!(over.passed());
        let error = over.check("creating the job").unwrap_err();
        assert_eq!(crate::exit::exit_code(&error), crate::exit::TIMED_OUT);
        // An error no retry cures keeps its own exit code, deadline or not.
        let refused = sdm_ureq::Error::InvalidInput(sdm_ureq::InvalidInput::new("x", "y"));
        let error = over.error("uploading", refused);
        assert_eq!(crate::exit::exit_code(&error), crate::exit::USAGE);
    }
}
