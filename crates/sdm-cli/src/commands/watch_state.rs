//! What `sdm jobs watch` reports: the jobs of the last complete walk of the listing, and the
//! changes between one walk and the next (a job appeared, its status or step changed, it left
//! the listing). Pure: the command walks the listing and reads the clock, and hands both in.
//!
//! ```text
//!   on_walk(listing, at) ──► events (appeared, status, step) + jobs that vanished
//!        │                                 │
//!        │        the command looks each one up (GET jobs/{id}/), once
//!        ▼                                 ▼
//!   is_idle(), failed()  ◄──  on_lookup(id, Some(job) | None, at) ──► events (status, gone)
//! ```
//!
//! A job missing from a walk is not reported gone at once: page-number pagination is not a
//! snapshot, and a job that left a `--status` filter has a status worth telling. Looking it up
//! costs one request per job that leaves, not one per job watched.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sdm_ureq::{JobId, JobStatus, JobSummary, ProjectId, Step};

/// The filters of the watch, applied by the server on each walk and here to jobs looked up.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Any of these statuses (none: every status).
    pub statuses: Vec<JobStatus>,
    /// Only this project.
    pub project: Option<ProjectId>,
    /// Only jobs created at or after this time.
    pub created_after: Option<DateTime<Utc>>,
}

impl Filter {
    /// Whether `job` belongs in the watch. A field the server left out (the documented list
    /// items have no `project`) cannot rule a job out: the server filtered on it already.
    pub fn matches(&self, job: &JobSummary) -> bool {
        (self.statuses.is_empty() || self.statuses.contains(&job.status))
            && self
                .project
                .is_none_or(|project| job.project.as_ref().is_none_or(|p| p.id == project))
            && self
                .created_after
                .is_none_or(|after| job.creation_date.is_none_or(|created| created >= after))
    }
}

/// What changed.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// The job is in the watch for the first time (every job of the first walk, then new
    /// ones).
    Appeared,
    /// Its status changed (its step may have changed too: the job shows it).
    Status {
        /// The status before.
        from: JobStatus,
        /// The status now.
        to: JobStatus,
    },
    /// Its step changed, its status did not.
    Step {
        /// The step before, if the server sent one.
        from: Option<Step>,
        /// The step now.
        to: Option<Step>,
    },
    /// It left the watch: no longer listed, and looked up it no longer matches the filters
    /// (or no longer exists). The job is the last one seen.
    Gone,
}

/// One change of one job, at the time of the walk (or look-up) that saw it.
#[derive(Clone, Debug)]
pub struct Event {
    /// When the change was seen.
    pub at: DateTime<Utc>,
    /// What changed.
    pub change: Change,
    /// The job as seen then (the server's object).
    pub job: JobSummary,
}

/// The step the server sent with a listed job, if any (the documented list has none).
pub fn step_of(job: &JobSummary) -> Option<Step> {
    let raw = job.field("step")?;
    serde_json::from_str::<Option<Step>>(raw.get())
        .ok()
        .flatten()
}

/// The event for `now` against what was seen `before`, if anything changed.
fn compare(before: Option<&JobSummary>, now: &JobSummary, at: DateTime<Utc>) -> Option<Event> {
    let change = match before {
        None => Change::Appeared,
        Some(before) if before.status != now.status => Change::Status {
            from: before.status.clone(),
            to: now.status.clone(),
        },
        Some(before) => {
            let (from, to) = (step_of(before), step_of(now));
            if same_step(from.as_ref(), to.as_ref()) {
                return None;
            }
            Change::Step { from, to }
        }
    };
    Some(Event {
        at,
        change,
        job: now.clone(),
    })
}

/// Whether two steps are the same step (by id and number; names are labels).
fn same_step(a: Option<&Step>, b: Option<&Step>) -> bool {
    a.map(|s| (s.id, s.number)) == b.map(|s| (s.id, s.number))
}

/// The watch's state between walks.
#[derive(Debug, Default)]
pub struct WatchState {
    filter: Filter,
    /// The jobs in the watch, newest first (the last walk's order).
    jobs: Vec<JobSummary>,
    /// Index of each job in `jobs`.
    index: HashMap<JobId, usize>,
    /// Jobs that changed (or appeared) at the last walk, for the table's marks.
    changed: Vec<JobId>,
    walks: u64,
    /// The first job seen ending in `error` during the watch.
    failed: Option<JobId>,
}

impl WatchState {
    /// A watch with these filters, before the first walk.
    pub fn new(filter: Filter) -> Self {
        Self {
            filter,
            ..Self::default()
        }
    }

    /// A complete walk of the listing (newest first, each job once) seen at `at`. Returns the
    /// changes, and the jobs watched before that the walk did not list: look each up and hand
    /// the answer to [`on_lookup`](Self::on_lookup). Until then they stay in the watch.
    pub fn on_walk(
        &mut self,
        listing: Vec<JobSummary>,
        at: DateTime<Utc>,
    ) -> (Vec<Event>, Vec<JobId>) {
        let first = self.walks == 0;
        self.walks += 1;
        self.changed.clear();
        let mut events = Vec::new();
        let mut jobs = Vec::with_capacity(listing.len());
        let mut listed = HashMap::with_capacity(listing.len());
        for job in listing {
            if listed.contains_key(&job.id) || !self.filter.matches(&job) {
                // The server filtered already; a job that changed meanwhile waits for the
                // next walk rather than flicker.
                continue;
            }
            let before = self.index.get(&job.id).map(|&i| &self.jobs[i]);
            if let Some(event) = compare(before, &job, at) {
                self.note(&event, first);
                self.changed.push(job.id.clone());
                events.push(event);
            }
            listed.insert(job.id.clone(), jobs.len());
            jobs.push(job);
        }
        // Jobs not listed stay, after the listed ones, until looked up.
        let vanished: Vec<JobId> = self
            .jobs
            .iter()
            .filter(|job| !listed.contains_key(&job.id))
            .map(|job| job.id.clone())
            .collect();
        for id in &vanished {
            if let Some(&i) = self.index.get(id) {
                listed.insert(id.clone(), jobs.len());
                jobs.push(self.jobs[i].clone());
            }
        }
        self.jobs = jobs;
        self.index = listed;
        (events, vanished)
    }

    /// What a look-up of a vanished job found at `at`: the job, or `None` when it no longer
    /// exists. A job that still matches the filters stays (the walk missed it); one that does
    /// not leaves, after a status event if its status changed.
    pub fn on_lookup(
        &mut self,
        id: &JobId,
        found: Option<JobSummary>,
        at: DateTime<Utc>,
    ) -> Vec<Event> {
        let Some(&i) = self.index.get(id) else {
            return Vec::new();
        };
        let mut events = Vec::new();
        let last = match found {
            Some(job) => {
                if let Some(event) = compare(Some(&self.jobs[i]), &job, at) {
                    self.note(&event, false);
                    self.changed.push(job.id.clone());
                    events.push(event);
                }
                if self.filter.matches(&job) {
                    self.jobs[i] = job;
                    return events;
                }
                job
            }
            None => self.jobs[i].clone(),
        };
        self.jobs.remove(i);
        self.index = self
            .jobs
            .iter()
            .enumerate()
            .map(|(i, job)| (job.id.clone(), i))
            .collect();
        self.changed.retain(|changed| changed != id);
        events.push(Event {
            at,
            change: Change::Gone,
            job: last,
        });
        events
    }

    /// Notes a job that ended in `error` during the watch: a status change to `error`, or a
    /// job that appears already failed after the first walk.
    fn note(&mut self, event: &Event, first: bool) {
        let ended_in_error = match &event.change {
            Change::Status { to, .. } => *to == JobStatus::Error,
            Change::Appeared => !first && event.job.status == JobStatus::Error,
            Change::Step { .. } | Change::Gone => false,
        };
        if ended_in_error && self.failed.is_none() {
            self.failed = Some(event.job.id.clone());
        }
    }

    /// The jobs in the watch, newest first.
    pub fn jobs(&self) -> &[JobSummary] {
        &self.jobs
    }

    /// Whether `id` changed (or appeared) at the last walk or look-up.
    pub fn is_changed(&self, id: &JobId) -> bool {
        self.changed.contains(id)
    }

    /// Whether no job in the watch is `running` (after at least one walk).
    pub fn is_idle(&self) -> bool {
        self.walks > 0 && !self.jobs.iter().any(|job| job.status == JobStatus::Running)
    }

    /// The first job that ended in `error` during the watch, if any (one already in error at
    /// the first walk does not count).
    pub fn failed(&self) -> Option<&JobId> {
        self.failed.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    const A: &str = "00000000-0000-4000-8000-00000000000a";
    const B: &str = "00000000-0000-4000-8000-00000000000b";
    const C: &str = "00000000-0000-4000-8000-00000000000c";

    fn job(id: &str, status: &str, step: Option<u64>) -> JobSummary {
        let mut value = json!({"id": id, "name": format!("job {id}"), "status": status,
            "project": 2, "creation_date": "2026-01-01T00:00:00Z"});
        if let Some(number) = step {
            value["step"] = json!({"id": 20 + number, "name": format!("step {number}"),
                "number": number});
        }
        serde_json::from_value(value).unwrap()
    }

    fn at(second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, second).unwrap()
    }

    fn id(text: &str) -> JobId {
        JobId::parse(text).unwrap()
    }

    /// `(kind, job id)` of each event, for comparing runs.
    fn kinds(events: &[Event]) -> Vec<(String, String)> {
        events
            .iter()
            .map(|event| {
                let kind = match &event.change {
                    Change::Appeared => "appeared".to_owned(),
                    Change::Status { from, to } => format!("status {from}->{to}"),
                    Change::Step { from, to } => format!(
                        "step {:?}->{:?}",
                        from.as_ref().and_then(|s| s.number),
                        to.as_ref().and_then(|s| s.number)
                    ),
                    Change::Gone => "gone".to_owned(),
                };
                (kind, event.job.id.to_string())
            })
            .collect()
    }

    fn pair(kind: &str, id: &str) -> (String, String) {
        (kind.to_owned(), id.to_owned())
    }

    #[test]
    fn the_first_walk_reports_every_job_then_only_changes() {
        let mut state = WatchState::new(Filter::default());
        assert!(!state.is_idle(), "nothing is known before the first walk");
        let (events, vanished) = state.on_walk(
            vec![job(A, "running", Some(1)), job(B, "error", None)],
            at(0),
        );
        assert_eq!(kinds(&events), [pair("appeared", A), pair("appeared", B)]);
        assert!(vanished.is_empty());
        assert!(events.iter().all(|e| e.at == at(0)));
        assert!(!state.is_idle());
        assert_eq!(
            state.failed(),
            None,
            "an error from before the watch does not count"
        );

        // Nothing changed: nothing to say, nothing marked.
        let (events, _) = state.on_walk(
            vec![job(A, "running", Some(1)), job(B, "error", None)],
            at(5),
        );
        assert!(events.is_empty());
        assert!(!state.is_changed(&id(A)));

        // The step moves, then the status (and the step with it: one event).
        let (events, _) = state.on_walk(
            vec![job(A, "running", Some(2)), job(B, "error", None)],
            at(10),
        );
        assert_eq!(kinds(&events), [pair("step Some(1)->Some(2)", A)]);
        assert!(state.is_changed(&id(A)) && !state.is_changed(&id(B)));
        let (events, _) = state.on_walk(
            vec![job(A, "pending", Some(3)), job(B, "error", None)],
            at(15),
        );
        assert_eq!(kinds(&events), [pair("status running->pending", A)]);
        assert_eq!(events[0].at, at(15));
        assert!(state.is_idle());
        assert_eq!(state.failed(), None);
    }

    #[test]
    fn new_jobs_come_first_and_errors_during_the_watch_count() {
        let mut state = WatchState::new(Filter::default());
        state.on_walk(vec![job(A, "running", None)], at(0));
        let (events, _) = state.on_walk(
            vec![
                job(C, "error", None),
                job(B, "running", None),
                job(A, "done", None),
            ],
            at(5),
        );
        assert_eq!(
            kinds(&events),
            [
                pair("appeared", C),
                pair("appeared", B),
                pair("status running->done", A)
            ]
        );
        assert_eq!(
            state.failed(),
            Some(&id(C)),
            "C appeared failed after the watch began"
        );
        let order: Vec<String> = state.jobs().iter().map(|j| j.id.to_string()).collect();
        assert_eq!(order, [C, B, A]);
        assert!(!state.is_idle());

        let mut state = WatchState::new(Filter::default());
        state.on_walk(vec![job(A, "running", None)], at(0));
        state.on_walk(vec![job(A, "error", None)], at(5));
        assert_eq!(state.failed(), Some(&id(A)));
        assert!(state.is_idle());
    }

    #[test]
    fn a_job_missing_from_a_walk_is_looked_up_before_it_is_gone() {
        let filter = Filter {
            statuses: vec![JobStatus::Running],
            ..Filter::default()
        };
        let mut state = WatchState::new(filter);
        state.on_walk(
            vec![job(A, "running", None), job(B, "running", None)],
            at(0),
        );
        // A left the `running` filter, B was missed by the walk (pages shifted).
        let (events, vanished) = state.on_walk(vec![job(C, "running", None)], at(5));
        assert_eq!(kinds(&events), [pair("appeared", C)]);
        assert_eq!(vanished, [id(A), id(B)]);
        assert_eq!(state.jobs().len(), 3, "kept until looked up");

        let events = state.on_lookup(&id(A), Some(job(A, "error", None)), at(6));
        assert_eq!(
            kinds(&events),
            [pair("status running->error", A), pair("gone", A)]
        );
        assert_eq!(state.failed(), Some(&id(A)));
        let events = state.on_lookup(&id(B), Some(job(B, "running", None)), at(6));
        assert!(events.is_empty(), "still matching: the walk missed it");
        let order: Vec<String> = state.jobs().iter().map(|j| j.id.to_string()).collect();
        assert_eq!(order, [C, B]);

        // Deleted: gone, with the last job seen.
        state.on_walk(vec![job(C, "running", None)], at(10));
        let events = state.on_lookup(&id(B), None, at(11));
        assert_eq!(kinds(&events), [pair("gone", B)]);
        assert_eq!(events[0].job.status, JobStatus::Running);
        assert_eq!(state.jobs().len(), 1);
        // A job looked up twice, or never watched, changes nothing.
        assert!(state.on_lookup(&id(B), None, at(12)).is_empty());
    }

    #[test]
    fn filters_apply_to_what_is_looked_up() {
        let filter = Filter {
            statuses: vec![JobStatus::Running, JobStatus::Pending],
            project: Some(ProjectId(2)),
            created_after: Some(Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap()),
        };
        assert!(filter.matches(&job(A, "running", None)));
        assert!(filter.matches(&job(A, "pending", None)));
        assert!(!filter.matches(&job(A, "done", None)));
        let other: JobSummary =
            serde_json::from_value(json!({"id": A, "status": "running", "project": {"id": 3}}))
                .unwrap();
        assert!(!filter.matches(&other));
        let old: JobSummary = serde_json::from_value(json!({"id": A, "status": "running",
            "project": 2, "creation_date": "2025-01-01T00:00:00Z"}))
        .unwrap();
        assert!(!filter.matches(&old));
        assert!(Filter::default().matches(&old));
        // As documented, list items need not carry a project or a creation date.
        let bare: JobSummary =
            serde_json::from_value(json!({"id": A, "status": "pending"})).unwrap();
        assert!(filter.matches(&bare));
    }

    #[test]
    fn odd_steps_are_no_steps() {
        let odd: JobSummary =
            serde_json::from_value(json!({"id": A, "status": "running", "step": "two"})).unwrap();
        assert_eq!(step_of(&odd), None);
        let null: JobSummary =
            serde_json::from_value(json!({"id": A, "status": "running", "step": null})).unwrap();
        assert_eq!(step_of(&null), None);
        assert_eq!(
            step_of(&job(A, "running", Some(2))).unwrap().number,
            Some(2)
        );
    }
}
