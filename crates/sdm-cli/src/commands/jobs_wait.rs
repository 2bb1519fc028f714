//! `sdm jobs wait`: poll a job until it stops running, showing its status live on a terminal,
//! then print it like `jobs get` and exit with a code that says how it ended.
//!
//! With several jobs, each has a [`Waiter`] of its own and the polls are interleaved under one
//! deadline (the client's rate limit paces them together); each job is printed as it ends, and
//! the exit code is the worst outcome: failed (5) over pending (6) over timed out (7) over
//! done (0).

use std::io::Write;
use std::time::Instant;

use sdm_core::proto::{WaitStep, Waiter};
use sdm_ureq::{Job, JobId, WaitOptions, WaitOutcome};

use super::{client, jobs_get, stdout_error};
use crate::cli::{GlobalArgs, JobsWaitArgs, OutputFormat};
use crate::duration;
use crate::error::{CliError, JobOutcome, throttled_note};
use crate::output::printable;
use crate::progress::{self, Progress};

pub fn run(
    global: &GlobalArgs,
    args: &JobsWaitArgs,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    let mut ids: Vec<&JobId> = Vec::new();
    for id in &args.job_ids {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let client = client(global)?;
    let mut options = WaitOptions::default();
    if let Some(timeout) = args.timeout {
        options = options.timeout(timeout);
    }
    if let Some(interval) = args.interval {
        options = options.interval(interval);
    }
    match ids.as_slice() {
        [id] => wait_one(&client, id, options, args.output, stdout),
        _ => wait_many(&client, &ids, &options, args.output, stdout),
    }
}

/// One job: a spinner, then the job, then how it ended.
fn wait_one(
    client: &sdm_ureq::Client,
    id: &JobId,
    options: WaitOptions,
    format: OutputFormat,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    let progress = Progress::spinner(progress::WAIT);
    progress.set_message(|| format!("job {id}: polling"));
    let outcome = client.wait_for_job(id, options, |job| {
        progress.set_message(|| format!("job {id}: {}", live_status(job)));
    })?;
    drop(progress);
    let (job, error) = settle(id, outcome);
    if let Some(job) = job {
        jobs_get::write(stdout, &job, format).map_err(stdout_error)?;
    }
    error.map_or(Ok(()), Err)
}

/// One job's wait among several: its waiter and when to poll it next.
#[derive(Debug)]
struct Slot<'a> {
    id: &'a JobId,
    waiter: Waiter<Job>,
    due: Instant,
}

/// The waits of several jobs, interleaved: which job to poll next and when, and what each poll
/// means. Time is passed in; [`wait_many`] polls and sleeps.
#[derive(Debug)]
struct Polls<'a> {
    slots: Vec<Slot<'a>>,
}

impl<'a> Polls<'a> {
    /// Waits for `ids` starting at `now`, all under `options` (one timeout for all); each is
    /// due at once.
    fn new(ids: &[&'a JobId], options: &WaitOptions, now: Instant) -> Self {
        let slots = ids
            .iter()
            .map(|&id| Slot {
                id,
                waiter: Waiter::new(options.clone(), now),
                due: now,
            })
            .collect();
        Self { slots }
    }

    /// The job to poll next and when: the earliest due, ties in the order given; `None` once
    /// every wait is over.
    fn next(&self) -> Option<(usize, &'a JobId, Instant)> {
        let index = (0..self.slots.len()).min_by_key(|&i| self.slots[i].due)?;
        let slot = &self.slots[index];
        Some((index, slot.id, slot.due))
    }

    /// When a poll of `index` starting at `now` must be over (see [`Waiter::poll_deadline`]).
    fn poll_deadline(&self, index: usize, now: Instant) -> Option<Instant> {
        self.slots[index].waiter.poll_deadline(now)
    }

    /// What the poll of `index` gave at `now`: the job's outcome once its wait is over (it
    /// then leaves), or `None` when it is due again later. An error no retry cures is
    /// returned.
    fn on_poll(
        &mut self,
        index: usize,
        polled: Result<Job, sdm_ureq::Error>,
        now: Instant,
    ) -> Result<Option<(&'a JobId, WaitOutcome)>, sdm_ureq::Error> {
        let slot = &mut self.slots[index];
        let step = match polled {
            Ok(job) => slot.waiter.on_poll(job, now),
            Err(error) => slot.waiter.on_error(error, now)?,
        };
        match step {
            WaitStep::Sleep(pause) => {
                slot.due = now + pause;
                Ok(None)
            }
            WaitStep::Finished(outcome) => Ok(Some((self.slots.remove(index).id, outcome))),
        }
    }
}

/// Several jobs under one deadline: whichever is due is polled, each job is printed (and its
/// reason told on standard error) as it ends. A failure no retry cures (401, 404) ends the
/// whole command, as it does for one job.
fn wait_many(
    client: &sdm_ureq::Client,
    ids: &[&JobId],
    options: &WaitOptions,
    format: OutputFormat,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    let mut polls = Polls::new(ids, options, Instant::now());
    let mut tally = Tally::default();
    let progress = Progress::spinner(progress::WAIT);
    progress.set_message(|| format!("{} jobs: polling", ids.len()));
    while let Some((index, id, due)) = polls.next() {
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        let deadline = polls.poll_deadline(index, Instant::now());
        let polled = client
            .with_config(|config| config.with_deadline(deadline))
            .get_job(id);
        let ended = match polls.on_poll(index, polled, Instant::now()) {
            Ok(ended) => ended,
            Err(error) => {
                drop(progress);
                return Err(error.into());
            }
        };
        let Some((id, outcome)) = ended else {
            continue;
        };
        let (job, error) = settle(id, outcome);
        progress.suspend(|| -> Result<(), CliError> {
            if let Some(job) = &job {
                write_next(stdout, job, format, tally.ended == 0)
                    .and_then(|()| stdout.flush())
                    .map_err(stdout_error)?;
            }
            if let Some(error) = &error {
                crate::error::report(error, &mut std::io::stderr().lock());
            }
            Ok(())
        })?;
        tally.add(error.as_ref().map(outcome_of));
        progress.set_message(|| tally.progress(ids.len()));
    }
    drop(progress);
    tally.result(ids.len())
}

/// Writes one of several jobs as `jobs get` does, but for what joins them: a blank line
/// between tables, one CSV header for all.
fn write_next(
    out: &mut dyn Write,
    job: &Job,
    format: OutputFormat,
    first: bool,
) -> std::io::Result<()> {
    match format {
        OutputFormat::Table if !first => writeln!(out)?,
        OutputFormat::Csv if !first => {
            return crate::csv::write_record(out, &jobs_get::csv_record(|c| job.field(c)));
        }
        _ => {}
    }
    jobs_get::write(out, job, format)
}

/// The outcome of a wait that did not end done.
fn outcome_of(error: &CliError) -> JobOutcome {
    match error {
        CliError::Job { outcome, .. } => *outcome,
        _ => JobOutcome::Unexpected,
    }
}

/// How the jobs of a multi-wait ended so far.
#[derive(Debug, Default)]
struct Tally {
    ended: usize,
    failed: usize,
    needs_action: usize,
    timed_out: usize,
    unexpected: usize,
}

impl Tally {
    /// One more job ended: done (`None`) or not.
    fn add(&mut self, outcome: Option<JobOutcome>) {
        self.ended += 1;
        match outcome {
            None => {}
            Some(JobOutcome::Failed) => self.failed += 1,
            Some(JobOutcome::NeedsAction) => self.needs_action += 1,
            Some(JobOutcome::TimedOut) => self.timed_out += 1,
            Some(JobOutcome::Unexpected) => self.unexpected += 1,
        }
    }

    fn not_done(&self) -> usize {
        self.failed + self.needs_action + self.timed_out + self.unexpected
    }

    /// The worst outcome: failed over needs action over timed out over done. (An ending this
    /// program does not know is worse than a time-out, and exits 1.)
    fn worst(&self) -> Option<JobOutcome> {
        [
            (self.failed, JobOutcome::Failed),
            (self.needs_action, JobOutcome::NeedsAction),
            (self.unexpected, JobOutcome::Unexpected),
            (self.timed_out, JobOutcome::TimedOut),
        ]
        .into_iter()
        .find(|&(count, _)| count > 0)
        .map(|(_, outcome)| outcome)
    }

    /// `1 failed, 1 timed out` (what did not end done).
    fn summary(&self) -> String {
        let parts: Vec<String> = [
            (self.failed, "failed"),
            (self.needs_action, "need action in SDM"),
            (self.timed_out, "timed out"),
            (self.unexpected, "ended unexpectedly"),
        ]
        .into_iter()
        .filter(|&(count, _)| count > 0)
        .map(|(count, what)| format!("{count} {what}"))
        .collect();
        parts.join(", ")
    }

    /// `3 jobs: 1 ended, 2 running` for the spinner.
    fn progress(&self, total: usize) -> String {
        format!(
            "{total} jobs: {} ended, {} waiting",
            self.ended,
            total - self.ended
        )
    }

    /// The command's result once every job ended.
    fn result(&self, total: usize) -> Result<(), CliError> {
        match self.worst() {
            None => Ok(()),
            Some(outcome) => Err(CliError::job(
                outcome,
                format!(
                    "{} of {total} jobs did not end done: {}",
                    self.not_done(),
                    self.summary()
                ),
            )),
        }
    }
}

/// The job a wait ended with, if any, and the error that says how it ended when it is not
/// done (shared with `sdm import`).
pub(super) fn settle(id: &JobId, outcome: WaitOutcome) -> (Option<Job>, Option<CliError>) {
    match outcome {
        WaitOutcome::Done(job) => (Some(job), None),
        WaitOutcome::Failed(job) => {
            let error = CliError::job(JobOutcome::Failed, failed(id, &job));
            (Some(job), Some(error))
        }
        WaitOutcome::NeedsAction(job) => {
            let error = CliError::job(JobOutcome::NeedsAction, needs_action(id, &job));
            (Some(job), Some(error))
        }
        WaitOutcome::TimedOut {
            elapsed,
            polls,
            last,
            throttled,
        } => {
            let polls = match polls {
                1 => "1 poll".to_owned(),
                n => format!("{n} polls"),
            };
            let still = last.as_ref().map_or_else(
                || "not seen yet".to_owned(),
                |job| format!("still {}", printable(job.status.as_str())),
            );
            let message = format!(
                "timed out after {}, {polls}: {}job {id} is {still}",
                duration::display(elapsed),
                throttled_note(throttled)
            );
            (
                last.map(|job| *job),
                Some(CliError::job(JobOutcome::TimedOut, message)),
            )
        }
        _ => (
            None,
            Some(CliError::job(
                JobOutcome::Unexpected,
                format!("waiting for job {id} ended in a way this sdm does not know"),
            )),
        ),
    }
}

/// `running · step 2 Mapping`: what the spinner shows (elapsed time is added by the template).
pub(super) fn live_status(job: &Job) -> String {
    let mut text = printable(job.status.as_str()).into_owned();
    if let Some(step) = step(job) {
        text.push_str(" · ");
        text.push_str(&step);
    }
    text
}

/// `step 2 Mapping`, or what is known of the step.
fn step(job: &Job) -> Option<String> {
    let step = job.step.as_ref()?;
    let name = step.name.as_deref().map(printable);
    Some(match (step.number, name) {
        (Some(number), Some(name)) => format!("step {number} {name}"),
        (Some(number), None) => format!("step {number}"),
        (None, Some(name)) => format!("step {name}"),
        (None, None) => format!("step id {}", step.id),
    })
}

/// `job … failed: <message>`.
fn failed(id: &JobId, job: &Job) -> String {
    let message = job
        .message
        .as_deref()
        .filter(|m| !m.trim().is_empty())
        .map_or_else(|| "no message given".into(), printable);
    format!("job {id} failed: {message}")
}

/// `job … needs action in SDM at step 3 Validation`.
fn needs_action(id: &JobId, job: &Job) -> String {
    match step(job) {
        Some(step) => format!("job {id} needs action in SDM at {step}"),
        None => format!("job {id} needs action in SDM"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn job(value: serde_json::Value) -> Job {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn the_worst_outcome_decides() {
        let tally = |outcomes: &[Option<JobOutcome>]| {
            let mut tally = Tally::default();
            for outcome in outcomes {
                tally.add(*outcome);
            }
            tally
        };
        use JobOutcome::*;
        assert_eq!(tally(&[None, None]).worst(), None);
        assert!(tally(&[None, None]).result(2).is_ok());
        assert_eq!(tally(&[Some(TimedOut), None]).worst(), Some(TimedOut));
        assert_eq!(
            tally(&[Some(TimedOut), Some(NeedsAction), None]).worst(),
            Some(NeedsAction)
        );
        let mixed = tally(&[Some(NeedsAction), Some(Failed), Some(TimedOut), None]);
        assert_eq!(mixed.worst(), Some(Failed));
        let error = mixed.result(4).unwrap_err();
        assert_eq!(
            error.to_string(),
            "3 of 4 jobs did not end done: 1 failed, 1 need action in SDM, 1 timed out"
        );
        assert_eq!(crate::exit::exit_code(&error), crate::exit::JOB_FAILED);
        assert_eq!(
            tally(&[Some(Unexpected), Some(TimedOut)]).worst(),
            Some(Unexpected)
        );
        assert_eq!(
            tally(&[None, Some(TimedOut)]).progress(3),
            "3 jobs: 2 ended, 1 waiting"
        );
    }

    #[test]
    fn polls_interleave_under_one_deadline() {
        use std::time::Duration;
        let ids: Vec<JobId> = [
            "00000000-0000-4000-8000-00000000000a",
            "00000000-0000-4000-8000-00000000000b",
            "00000000-0000-4000-8000-00000000000c",
        ]
        .iter()
        .map(|id| JobId::parse(id).unwrap())
        .collect();
        let refs: Vec<&JobId> = ids.iter().collect();
        let polled = |index: usize, status: &str| -> Result<Job, sdm_ureq::Error> {
            Ok(job(json!({"id": ids[index].to_string(), "status": status})))
        };
        let second = Duration::from_secs(1);
        let options = WaitOptions::default()
            .interval(second)
            .max_interval(second)
            .timeout(Duration::from_secs(3));
        let t0 = Instant::now();
        let mut polls = Polls::new(&refs, &options, t0);

        // All due at once, polled in the order given.
        for (expected, expected_id) in ids.iter().enumerate() {
            let (index, id, due) = polls.next().unwrap();
            assert_eq!((id, due), (expected_id, t0));
            assert!(
                polls
                    .on_poll(index, polled(expected, "running"), t0)
                    .unwrap()
                    .is_none()
            );
        }
        // A second later: b is done and leaves; a and c are due again.
        let t1 = t0 + second;
        let (index, id, due) = polls.next().unwrap();
        assert_eq!((id, due), (&ids[0], t1));
        assert!(
            polls
                .on_poll(index, polled(0, "running"), t1)
                .unwrap()
                .is_none()
        );
        let (index, id, _) = polls.next().unwrap();
        assert_eq!(id, &ids[1]);
        let (ended, outcome) = polls
            .on_poll(index, polled(1, "done"), t1)
            .unwrap()
            .unwrap();
        assert_eq!(ended, &ids[1]);
        assert!(matches!(outcome, WaitOutcome::Done(_)));
        let (index, id, _) = polls.next().unwrap();
        assert_eq!(id, &ids[2]);
        assert!(
            polls
                .on_poll(index, polled(2, "running"), t1)
                .unwrap()
                .is_none()
        );

        // The one deadline ends both at 3s, whoever is polled last.
        let t2 = t0 + 2 * second;
        let t3 = t0 + 3 * second;
        for at in [t2, t3] {
            assert_eq!(
                polls.poll_deadline(0, at),
                Some(t3.max(at + sdm_core::proto::LAST_POLL))
            );
        }
        let mut ended = Vec::new();
        for at in [t2, t2, t3, t3] {
            let (index, id, due) = polls.next().unwrap();
            assert_eq!(due, at);
            let job = if id == &ids[0] { 0 } else { 2 };
            if let Some((id, outcome)) = polls.on_poll(index, polled(job, "running"), at).unwrap() {
                assert!(
                    matches!(outcome, WaitOutcome::TimedOut { .. }),
                    "{outcome:?}"
                );
                ended.push(id.clone());
            }
        }
        assert_eq!(ended, [ids[0].clone(), ids[2].clone()]);
        assert!(polls.next().is_none());

        // An error no retry cures is the command's.
        let mut polls = Polls::new(&refs[..1], &options, t0);
        let refused = sdm_ureq::Error::InvalidInput(sdm_ureq::InvalidInput::new("x", "y"));
        assert!(polls.on_poll(0, Err(refused), t0).is_err());
    }

    #[test]
    fn several_jobs_share_one_csv_header_and_tables_are_apart() {
        let jobs = [
            job(json!({"id": "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b", "status": "done"})),
            job(json!({"id": "00000000-0000-4000-8000-000000000000", "status": "error"})),
        ];
        let render = |format| {
            let mut out = Vec::new();
            for (index, job) in jobs.iter().enumerate() {
                write_next(&mut out, job, format, index == 0).unwrap();
            }
            String::from_utf8(out).unwrap()
        };
        let csv = render(OutputFormat::Csv);
        assert_eq!(csv.matches("id,name,status").count(), 1, "{csv}");
        assert_eq!(csv.lines().count(), 3, "{csv}");
        let table = render(OutputFormat::Table);
        assert_eq!(table.matches("\n\nid ").count(), 1, "{table}");
        let ndjson = render(OutputFormat::Ndjson);
        assert_eq!(ndjson.lines().count(), 2, "{ndjson}");
    }

    #[test]
    fn messages() {
        let id = JobId::parse("9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b").unwrap();
        let running = job(json!({"id": id.to_string(), "status": "running",
            "step": {"id": 22, "name": "Mapping", "number": 2}}));
        assert_eq!(live_status(&running), "running · step 2 Mapping");
        let bare = job(json!({"id": id.to_string(), "status": "queued"}));
        assert_eq!(live_status(&bare), "queued");

        let error = job(json!({"id": id.to_string(), "status": "error",
            "message": "Column \"EAN\" is missing\n\u{1b}[31m"}));
        assert_eq!(
            failed(&id, &error),
            format!("job {id} failed: Column \"EAN\" is missing \u{fffd}[31m")
        );
        let silent = job(json!({"id": id.to_string(), "status": "error", "message": ""}));
        assert_eq!(
            failed(&id, &silent),
            format!("job {id} failed: no message given")
        );

        let pending = job(json!({"id": id.to_string(), "status": "pending",
            "step": {"id": 33, "name": "Validation", "number": 3}}));
        assert_eq!(
            needs_action(&id, &pending),
            format!("job {id} needs action in SDM at step 3 Validation")
        );
        assert_eq!(
            needs_action(&id, &bare),
            format!("job {id} needs action in SDM")
        );
    }
}
