//! Waiting for something the server works on (a job, an uploaded file's parsing): when to poll,
//! when to stop, and what the outcome is.
//!
//! A state machine with time passed in. The clients poll (`GET jobs/{id}/`, `GET files/{id}/`),
//! tell the waiter what came back, and sleep for as long as it says; tests drive it with a fake
//! clock. What is waited for is [`Awaited`]: it says which phase it is in.

use std::fmt;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::model::{FileStatus, Job, JobStatus, UploadedFile};
use crate::retry::RetryPolicy;

/// Where something waited for stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitPhase {
    /// Still being worked on (and statuses this client does not know): poll again.
    Working,
    /// Finished successfully.
    Done,
    /// Finished in failure.
    Failed,
    /// Stopped until a person acts in SDM.
    NeedsAction,
}

/// Something a [`Waiter`] polls until it stops working.
pub trait Awaited: Clone + fmt::Debug {
    /// Where it stands.
    fn phase(&self) -> WaitPhase;
    /// True when `other` is at the same stage (what a progress display does not report again).
    fn same_stage(&self, other: &Self) -> bool;
}

impl Awaited for Job {
    fn phase(&self) -> WaitPhase {
        match self.status {
            JobStatus::Done => WaitPhase::Done,
            JobStatus::Error => WaitPhase::Failed,
            JobStatus::Pending => WaitPhase::NeedsAction,
            _ => WaitPhase::Working,
        }
    }

    fn same_stage(&self, other: &Self) -> bool {
        self.status == other.status
            && self.step.as_ref().map(|s| s.id) == other.step.as_ref().map(|s| s.id)
    }
}

impl Awaited for UploadedFile {
    fn phase(&self) -> WaitPhase {
        match self.status {
            FileStatus::Ready => WaitPhase::Done,
            FileStatus::Error => WaitPhase::Failed,
            _ => WaitPhase::Working,
        }
    }

    fn same_stage(&self, other: &Self) -> bool {
        self.status == other.status
    }
}

/// The time a poll made when the wait's timeout is (nearly) over may still take: the last poll
/// lands on the deadline, and is given this long to see whether the work finished.
pub const LAST_POLL: Duration = Duration::from_secs(1);

/// How to wait.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct WaitOptions {
    /// Pause after the first poll (default 2 s).
    pub initial_interval: Duration,
    /// Longest pause between polls (default 30 s).
    pub max_interval: Duration,
    /// Each pause is the previous one times this factor, up to `max_interval` (default 1.5).
    pub backoff: f64,
    /// Give up after this long (default: wait forever). It bounds the polls too: each is
    /// given only the time left (see [`Waiter::poll_deadline`]), so a server that never
    /// answers, drips its answer or asks for a `Retry-After` longer than that cannot hold the
    /// wait past it by more than [`LAST_POLL`].
    pub timeout: Option<Duration>,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            initial_interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(30),
            backoff: 1.5,
            timeout: None,
        }
    }
}

impl WaitOptions {
    /// Gives up after `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Polls every `interval` at first (and never less often than `max_interval`).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.initial_interval = interval;
        self.max_interval = self.max_interval.max(interval);
        self
    }

    /// The longest pause between polls.
    pub fn max_interval(mut self, max_interval: Duration) -> Self {
        self.max_interval = max_interval;
        self
    }

    /// The same options for a wait starting at `now` that must also end by `deadline`: the
    /// timeout cut to the time left.
    pub(crate) fn until(mut self, deadline: Option<Instant>, now: Instant) -> Self {
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(now);
            self.timeout = Some(self.timeout.map_or(left, |timeout| timeout.min(left)));
        }
        self
    }
}

/// How a wait ended (for a job by default; `WaitOutcome<UploadedFile>` for a file's parsing).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum WaitOutcome<S = Job> {
    /// The job is `done` (its output can be fetched), the file `ready`.
    Done(S),
    /// The job ended in `error` (`job.message` says why), the file in `error`
    /// (`file.parsing_error` says why).
    Failed(S),
    /// The job is `pending`: a person must act in SDM (see `job.step`).
    NeedsAction(S),
    /// The deadline passed while it was still being worked on.
    TimedOut {
        /// How long the wait lasted.
        elapsed: Duration,
        /// How many times it was polled.
        polls: u32,
        /// What the last successful poll saw, if any.
        last: Option<Box<S>>,
        /// `Some` when the last poll was refused as rate limited (HTTP 429), so the server,
        /// not the work, may be why the wait ran out: the delay its `Retry-After` asked for
        /// (zero when it named none). A retry that long past the deadline was not waited for.
        throttled: Option<Duration>,
    },
}

/// What to do next.
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)] // one value per poll; boxing would only add noise
pub enum WaitStep<S = Job> {
    /// Sleep this long, then poll again.
    Sleep(Duration),
    /// The wait is over.
    Finished(WaitOutcome<S>),
}

/// The state of one wait.
#[derive(Debug)]
pub struct Waiter<S = Job> {
    options: WaitOptions,
    started: Instant,
    next_interval: Duration,
    polls: u32,
    last: Option<S>,
    /// The `Retry-After` of the last poll, when it was refused as rate limited.
    throttled: Option<Duration>,
}

impl<S: Awaited> Waiter<S> {
    /// A wait starting at `now`; poll right away.
    pub fn new(options: WaitOptions, now: Instant) -> Self {
        let next_interval = options.initial_interval;
        Self {
            options,
            started: now,
            next_interval,
            polls: 0,
            last: None,
            throttled: None,
        }
    }

    /// True when `polled` differs from the last poll in stage (a job's status or step, a
    /// file's status), or is the first seen: what a progress display reports.
    pub fn is_change(&self, polled: &S) -> bool {
        self.last
            .as_ref()
            .is_none_or(|last| !last.same_stage(polled))
    }

    /// After a successful poll at `now`.
    pub fn on_poll(&mut self, polled: S, now: Instant) -> WaitStep<S> {
        self.polls += 1;
        self.throttled = None;
        match polled.phase() {
            WaitPhase::Done => return WaitStep::Finished(WaitOutcome::Done(polled)),
            WaitPhase::Failed => return WaitStep::Finished(WaitOutcome::Failed(polled)),
            WaitPhase::NeedsAction => return WaitStep::Finished(WaitOutcome::NeedsAction(polled)),
            // Still working, and statuses this client does not know: poll until the deadline.
            WaitPhase::Working => {}
        }
        self.last = Some(polled);
        self.pause(now)
    }

    /// After a failed poll at `now` (the client's own retries already spent).
    ///
    /// Errors a retry could cure (rate limiting, unavailability, connection trouble) do not end
    /// the wait; the others (authentication, not found, …) do.
    /// An error that says the server refused the poll as rate limited (a 429, also as the
    /// cause of a retry the deadline refused) is remembered, and told in
    /// [`WaitOutcome::TimedOut::throttled`] if the wait runs out next.
    pub fn on_error(&mut self, error: Error, now: Instant) -> Result<WaitStep<S>, Error> {
        self.polls += 1;
        self.throttled = retry_after_of_throttled(&error);
        if !RetryPolicy::is_transient(&error) {
            return Err(error);
        }
        tracing::warn!(error = %error, "polling failed; waiting continues");
        Ok(self.pause(now))
    }

    /// When a poll starting at `now` must be over, retries included (`None` without a
    /// timeout): the wait's deadline, or [`LAST_POLL`] from now when less than that is left,
    /// so that the poll made at the deadline has time to answer. Give it to the poll as its
    /// deadline ([`ClientConfig::with_deadline`](crate::ClientConfig::with_deadline)); the
    /// clients do.
    pub fn poll_deadline(&self, now: Instant) -> Option<Instant> {
        let end = self.started.checked_add(self.options.timeout?)?;
        let last = now.checked_add(LAST_POLL).unwrap_or(end);
        Some(end.max(last))
    }

    /// How many polls were made.
    pub fn polls(&self) -> u32 {
        self.polls
    }

    fn pause(&mut self, now: Instant) -> WaitStep<S> {
        let elapsed = now.saturating_duration_since(self.started);
        let mut pause = self.next_interval;
        if let Some(timeout) = self.options.timeout {
            if elapsed >= timeout {
                return WaitStep::Finished(WaitOutcome::TimedOut {
                    elapsed,
                    polls: self.polls,
                    last: self.last.take().map(Box::new),
                    throttled: self.throttled,
                });
            }
            // The last poll lands on the deadline rather than past it.
            pause = pause.min(timeout - elapsed);
        }
        let factor = if self.options.backoff.is_finite() {
            self.options.backoff.max(1.0)
        } else {
            1.0
        };
        let grown = Duration::try_from_secs_f64(self.next_interval.as_secs_f64() * factor);
        self.next_interval = grown
            .unwrap_or(Duration::MAX)
            .min(self.options.max_interval);
        WaitStep::Sleep(pause)
    }
}

/// When `error` is, or was caused by, a 429: the delay its `Retry-After` asked for (zero when
/// it named none).
fn retry_after_of_throttled(error: &Error) -> Option<Duration> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        let found = current.downcast_ref::<Error>().map(Error::underlying);
        if let Some(Error::RateLimited(api)) = found {
            let now = chrono::Utc::now();
            return Some(
                api.retry_after
                    .map_or(Duration::ZERO, |r| r.delay_from(now)),
            );
        }
        cause = current.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, StatusCode};

    use super::*;
    use crate::response::error_for_status;

    fn job(status: &str, step: u64) -> Job {
        serde_json::from_value(serde_json::json!({
            "id": "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b",
            "status": status,
            "step": {"id": step, "name": "Mapping", "number": 2},
            "message": if status == "error" { "Column EAN is missing" } else { "" },
        }))
        .unwrap()
    }

    fn http_error(status: u16) -> Error {
        let status = StatusCode::from_u16(status).unwrap();
        error_for_status(
            "get job".into(),
            status,
            &HeaderMap::new(),
            br#"{"detail": "x"}"#,
        )
    }

    fn throttled(retry_after: &str) -> Error {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", retry_after.parse().unwrap());
        error_for_status(
            "get job".into(),
            StatusCode::TOO_MANY_REQUESTS,
            &headers,
            br#"{"detail": "Request was throttled."}"#,
        )
    }

    /// Runs a 5 s wait whose polls end as `polls` say (`Ok`: the job is still running); the
    /// outcome's `throttled`.
    fn throttled_at_the_end(polls: Vec<Result<(), Error>>) -> Option<Duration> {
        let start = Instant::now();
        let options = WaitOptions::default().timeout(Duration::from_secs(5));
        let mut waiter = Waiter::new(options, start);
        let mut now = start;
        for poll in polls {
            let step = match poll {
                Ok(()) => waiter.on_poll(job("running", 2), now),
                Err(error) => waiter.on_error(error, now).unwrap(),
            };
            match step {
                WaitStep::Sleep(pause) => now += pause,
                WaitStep::Finished(WaitOutcome::TimedOut { throttled, .. }) => return throttled,
                WaitStep::Finished(other) => panic!("{other:?}"),
            }
        }
        panic!("the wait did not time out")
    }

    /// Two polls that find the job running, then one that finds it done.
    fn running_twice_then_done() -> [Result<Job, u16>; 3] {
        [
            Ok(job("running", 2)),
            Ok(job("running", 2)),
            Ok(job("done", 5)),
        ]
    }

    /// Feeds `statuses` as successive polls, sleeping on the fake clock; returns the sleeps and
    /// the outcome.
    fn run(
        options: WaitOptions,
        polls: &[Result<Job, u16>],
    ) -> (Vec<u64>, Result<WaitOutcome, Error>) {
        let start = Instant::now();
        let mut now = start;
        let mut waiter = Waiter::new(options, start);
        let mut sleeps = Vec::new();
        for poll in polls {
            let step = match poll {
                Ok(job) => waiter.on_poll(job.clone(), now),
                Err(status) => match waiter.on_error(http_error(*status), now) {
                    Ok(step) => step,
                    Err(error) => return (sleeps, Err(error)),
                },
            };
            match step {
                WaitStep::Sleep(pause) => {
                    sleeps.push(pause.as_millis() as u64);
                    now = now.checked_add(pause).unwrap_or(now);
                }
                WaitStep::Finished(outcome) => return (sleeps, Ok(outcome)),
            }
        }
        panic!("the wait did not finish after {} polls", polls.len());
    }

    #[test]
    fn each_outcome() {
        let running = Ok(job("running", 2));
        let (sleeps, outcome) = run(
            WaitOptions::default(),
            &[running.clone(), running.clone(), Ok(job("done", 5))],
        );
        assert_eq!(sleeps, [2000, 3000]);
        assert!(matches!(outcome, Ok(WaitOutcome::Done(j)) if j.status == JobStatus::Done));

        let (_, outcome) = run(
            WaitOptions::default(),
            &[running.clone(), Ok(job("error", 3))],
        );
        let Ok(WaitOutcome::Failed(failed)) = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(failed.message.as_deref(), Some("Column EAN is missing"));

        let (_, outcome) = run(WaitOptions::default(), &[Ok(job("pending", 3))]);
        let Ok(WaitOutcome::NeedsAction(pending)) = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(pending.step.map(|s| s.id), Some(3));

        // An unknown status is not an end: keep polling.
        let (sleeps, outcome) = run(
            WaitOptions::default(),
            &[Ok(job("queued", 1)), Ok(job("done", 5))],
        );
        assert_eq!(sleeps, [2000]);
        assert!(matches!(outcome, Ok(WaitOutcome::Done(_))));
    }

    #[test]
    fn pauses_grow_by_the_backoff_factor_up_to_the_cap() {
        let running = Ok(job("running", 2));
        let mut polls = vec![running; 12];
        polls.push(Ok(job("done", 5)));
        let (sleeps, _) = run(WaitOptions::default(), &polls);
        assert_eq!(
            sleeps,
            [
                2000, 3000, 4500, 6750, 10125, 15187, 22781, 30000, 30000, 30000, 30000, 30000
            ]
        );

        let fixed = WaitOptions {
            backoff: 1.0,
            ..WaitOptions::default().interval(Duration::from_secs(5))
        };
        let (sleeps, _) = run(fixed, &running_twice_then_done());
        assert_eq!(sleeps, [5000, 5000]);
    }

    #[test]
    fn the_deadline_ends_the_wait_with_elapsed_time_and_polls() {
        let options = WaitOptions::default().timeout(Duration::from_secs(10));
        let (sleeps, outcome) = run(options, &vec![Ok(job("running", 2)); 10]);
        // 2 + 3 + 4.5 = 9.5 s, then the last pause is cut to land on the deadline.
        assert_eq!(sleeps, [2000, 3000, 4500, 500]);
        let Ok(WaitOutcome::TimedOut {
            elapsed,
            polls,
            last,
            throttled,
        }) = outcome
        else {
            panic!("{outcome:?}")
        };
        assert_eq!(throttled, None, "the server answered every poll");
        assert_eq!(elapsed, Duration::from_secs(10));
        assert_eq!(polls, 5);
        assert_eq!(last.map(|j| j.status), Some(JobStatus::Running));
    }

    #[test]
    fn transient_errors_do_not_end_the_wait_but_others_do() {
        let (sleeps, outcome) = run(
            WaitOptions::default(),
            &[
                Err(503),
                Err(429),
                Ok(job("running", 2)),
                Err(502),
                Ok(job("done", 5)),
            ],
        );
        assert_eq!(sleeps, [2000, 3000, 4500, 6750]);
        assert!(matches!(outcome, Ok(WaitOutcome::Done(_))));

        let (_, outcome) = run(WaitOptions::default(), &[Ok(job("running", 2)), Err(404)]);
        assert!(matches!(outcome, Err(Error::NotFound(_))));
        let (_, outcome) = run(WaitOptions::default(), &[Err(401)]);
        assert!(matches!(outcome, Err(Error::Authentication(_))));

        // Failing polls still count towards the deadline.
        let options = WaitOptions::default().timeout(Duration::from_secs(4));
        let (_, outcome) = run(options, &[Err(503), Err(503), Err(503)]);
        assert!(
            matches!(
                outcome,
                Ok(WaitOutcome::TimedOut {
                    polls: 3,
                    last: None,
                    ..
                })
            ),
            "{outcome:?}"
        );
    }

    #[test]
    fn a_wait_that_runs_out_while_throttled_says_so_with_the_retry_after() {
        // 2 s, then 3 s (cut to the deadline): three polls, all refused with `Retry-After: 30`.
        let all_throttled = (0..3).map(|_| Err(throttled("30"))).collect();
        assert_eq!(
            throttled_at_the_end(all_throttled),
            Some(Duration::from_secs(30))
        );
        // A 429 naming no delay is still throttling.
        let polls = vec![Ok(()), Ok(()), Err(http_error(429))];
        assert_eq!(throttled_at_the_end(polls), Some(Duration::ZERO));
        // Only the last poll counts: throttled earlier, answered (or failing otherwise) last.
        let polls = vec![Err(throttled("30")), Err(throttled("30")), Ok(())];
        assert_eq!(throttled_at_the_end(polls), None);
        let polls = vec![
            Err(throttled("30")),
            Err(throttled("30")),
            Err(http_error(503)),
        ];
        assert_eq!(throttled_at_the_end(polls), None);
    }

    #[test]
    fn each_poll_gets_only_the_time_left_and_the_last_one_a_second() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let options = WaitOptions::default().timeout(Duration::from_secs(10));
        let waiter = Waiter::<Job>::new(options.clone(), start);
        assert_eq!(waiter.poll_deadline(start), Some(at(10_000)));
        assert_eq!(waiter.poll_deadline(at(8_000)), Some(at(10_000)));
        // The poll made at the deadline (or just before) still gets LAST_POLL.
        assert_eq!(waiter.poll_deadline(at(9_500)), Some(at(10_500)));
        assert_eq!(waiter.poll_deadline(at(10_000)), Some(at(11_000)));
        // Without a timeout a poll has no deadline of the wait's.
        let forever = Waiter::<Job>::new(WaitOptions::default(), start);
        assert_eq!(forever.poll_deadline(start), None);
        let huge = WaitOptions::default().timeout(Duration::MAX);
        assert_eq!(Waiter::<Job>::new(huge, start).poll_deadline(start), None);

        // A deadline of the client's cuts the wait's timeout, never lengthens it.
        let cut = options.clone().until(Some(at(4_000)), start);
        assert_eq!(cut.timeout, Some(Duration::from_secs(4)));
        let kept = options.clone().until(Some(at(60_000)), start);
        assert_eq!(kept.timeout, Some(Duration::from_secs(10)));
        let bounded = WaitOptions::default().until(Some(at(3_000)), start);
        assert_eq!(bounded.timeout, Some(Duration::from_secs(3)));
        assert_eq!(options.clone().until(None, start), options);
    }

    #[test]
    fn changes_are_status_or_step_changes() {
        let mut waiter = Waiter::new(WaitOptions::default(), Instant::now());
        assert!(waiter.is_change(&job("running", 2)));
        waiter.on_poll(job("running", 2), Instant::now());
        assert!(!waiter.is_change(&job("running", 2)));
        assert!(waiter.is_change(&job("running", 3)));
        assert!(waiter.is_change(&job("done", 2)));
    }

    #[test]
    fn absurd_options_do_not_panic() {
        let options = WaitOptions {
            backoff: f64::INFINITY,
            max_interval: Duration::MAX,
            ..WaitOptions::default()
        };
        let (sleeps, _) = run(options, &running_twice_then_done());
        assert_eq!(sleeps, [2000, 2000]);
        let options = WaitOptions {
            backoff: 1e300,
            max_interval: Duration::MAX,
            ..WaitOptions::default()
        };
        let (sleeps, _) = run(options, &running_twice_then_done());
        assert_eq!(sleeps[0], 2000);
    }
}
