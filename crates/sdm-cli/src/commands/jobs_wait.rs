//! `sdm jobs wait`: poll a job until it stops running, showing its status live on a terminal,
//! then print it like `jobs get` and exit with a code that says how it ended.

use std::io::Write;

use sdm_ureq::{Job, JobId, WaitOptions, WaitOutcome};

use super::{client, jobs_get, stdout_error};
use crate::cli::{GlobalArgs, JobsWaitArgs};
use crate::duration;
use crate::error::{CliError, JobOutcome, throttled_note};
use crate::output::printable;
use crate::progress::{self, Progress};

pub fn run(
    global: &GlobalArgs,
    args: &JobsWaitArgs,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    let client = client(global)?;
    let mut options = WaitOptions::default();
    if let Some(timeout) = args.timeout {
        options = options.timeout(timeout);
    }
    if let Some(interval) = args.interval {
        options = options.interval(interval);
    }
    let id = &args.job_id;
    let progress = Progress::spinner(progress::WAIT);
    progress.set_message(|| format!("job {id}: polling"));
    let outcome = client.wait_for_job(id, options, |job| {
        progress.set_message(|| format!("job {id}: {}", live_status(job)));
    })?;
    drop(progress);
    let (job, error) = settle(id, outcome);
    if let Some(job) = job {
        jobs_get::write(stdout, &job, args.output).map_err(stdout_error)?;
    }
    error.map_or(Ok(()), Err)
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
