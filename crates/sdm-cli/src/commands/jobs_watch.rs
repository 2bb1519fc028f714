//! `sdm jobs watch`: follow the organization's jobs. Each interval, one walk of the filtered
//! listing (every page, through the client's pager and rate limit); the changes since the
//! last walk ([`watch_state`](super::watch_state)) are printed as text lines or NDJSON events,
//! or, on a terminal, as a table redrawn in place with the changed rows marked. `--columns`
//! chooses the table's columns and what each text line shows of its job.
//!
//! Ctrl-C ends the watch as the signal does (the shell sees 130): every event is flushed once
//! its walk is over, so nothing written is lost, and a redrawn table stays as last drawn.

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use sdm_ureq::{Client, Error, JobQuery, JobSummary, PagerOptions, RetryPolicy, Step};

use super::watch_state::{Change, Event, Filter, WatchState, step_of};
use super::{client, note, stdout_error};
use crate::cli::{GlobalArgs, JobsWatchArgs, WatchFormat};
use crate::columns::{self, Columns};
use crate::error::{CliError, JobOutcome};
use crate::job_writer;
use crate::output::{self, Layout, printable, write_json_text};

/// Jobs per page of each walk (the server may cap it lower).
const PAGE_SIZE: u64 = 100;
/// Widest a job name gets in a text event line.
const NAME_WIDTH: usize = 40;

pub fn run(
    global: &GlobalArgs,
    args: &JobsWatchArgs,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    if args.columns.is_some() && args.output == WatchFormat::Ndjson {
        return Err(CliError::usage(
            "--columns applies to -o table; -o ndjson events carry the server's whole objects \
             (pick fields with a JSON tool such as jq)",
        ));
    }
    let client = client(global)?;
    let mut statuses = Vec::new();
    for status in &args.status {
        if !statuses.contains(status) {
            statuses.push(status.clone());
        }
    }
    let filter = Filter {
        statuses,
        project: args.project,
        created_after: args.created_after,
    };
    let mut state = WatchState::new(filter.clone());
    let mut screen = (args.output == WatchFormat::Table && io::stdout().is_terminal())
        .then(|| Screen::new(args.interval, args.columns.clone()));
    loop {
        let started = Instant::now();
        match walk(&client, &filter) {
            Ok(listing) => {
                let (mut events, vanished) = state.on_walk(listing, Utc::now());
                for id in vanished {
                    let found = match client.get_job(&id) {
                        Ok(job) => summary(job.raw().get()),
                        Err(error) if matches!(error.underlying(), Error::NotFound(_)) => None,
                        // Still in the watch: the next walk looks it up again.
                        Err(error) if is_transient(&error) => continue,
                        Err(error) => return Err(error.into()),
                    };
                    events.extend(state.on_lookup(&id, found, Utc::now()));
                }
                match &mut screen {
                    Some(screen) => screen.draw(stdout, &state, Utc::now(), None),
                    None => write_events(stdout, &events, args.output, args.columns.as_ref()),
                }
                .and_then(|()| stdout.flush())
                .map_err(stdout_error)?;
                if args.until_idle && state.is_idle() {
                    return match state.failed() {
                        Some(id) => Err(CliError::job(
                            JobOutcome::Failed,
                            format!("job {id} ended in error while watching"),
                        )),
                        None => Ok(()),
                    };
                }
            }
            // A long watch outlives a bad minute of the server's, and a walk the listing shifted
            // under (a later page gone): that walk is skipped, the next interval tries again.
            Err(error) if is_transient(&error) || is_incomplete(&error) => {
                let problem = format!(
                    "listing the jobs failed ({error}); trying again in {}",
                    crate::duration::display(args.interval)
                );
                match &mut screen {
                    // On the terminal's table, where a line of its own would break the redraw.
                    Some(screen) => screen
                        .draw(stdout, &state, Utc::now(), Some(&problem))
                        .and_then(|()| stdout.flush())
                        .map_err(stdout_error)?,
                    None => note(format_args!("sdm jobs watch: {problem}")),
                }
            }
            Err(error) => return Err(error.into()),
        }
        std::thread::sleep(args.interval.saturating_sub(started.elapsed()));
    }
}

/// Whether a retry could cure `error` (after the client's own retries).
fn is_transient(error: &Error) -> bool {
    RetryPolicy::is_transient(error.underlying())
}

/// Whether a walk could not see every job because the listing changed under it.
fn is_incomplete(error: &Error) -> bool {
    matches!(error.underlying(), Error::Incomplete(_))
}

/// One walk of the listing: every page, newest first; with several statuses one filtered walk
/// each, merged newest first.
fn walk(client: &Client, filter: &Filter) -> Result<Vec<JobSummary>, Error> {
    let options = PagerOptions::default().page_size(PAGE_SIZE).concurrency(1);
    let mut query = JobQuery::new();
    query.project = filter.project;
    query.created_after = filter.created_after;
    let statuses: Vec<Option<_>> = if filter.statuses.is_empty() {
        vec![None]
    } else {
        filter.statuses.iter().cloned().map(Some).collect()
    };
    let mut listing = Vec::new();
    for status in &statuses {
        query.status = status.clone();
        for job in client.jobs(&query, options.clone()) {
            listing.push(job?);
        }
    }
    if statuses.len() > 1 {
        // Stable: each walk's own order stays for jobs created at the same time.
        listing.sort_by_key(|job| std::cmp::Reverse(job.creation_date));
    }
    Ok(listing)
}

/// A job looked up by id, read as a list item (`None` if the object cannot be).
fn summary(raw: &str) -> Option<JobSummary> {
    serde_json::from_str(raw).ok()
}

/// Writes events as text lines (with the job's cells in `columns` if chosen) or NDJSON
/// objects.
fn write_events(
    out: &mut dyn Write,
    events: &[Event],
    format: WatchFormat,
    columns: Option<&Columns<JobSummary>>,
) -> io::Result<()> {
    for event in events {
        match format {
            WatchFormat::Ndjson => write_event_json(out, event)?,
            WatchFormat::Table => writeln!(out, "{}", event_line(event, columns))?,
        }
    }
    Ok(())
}

/// `{"event":"status","at":"…","from":"running","to":"done","job":{…}}`: the job is the
/// server's object, every field, values byte for byte.
fn write_event_json(out: &mut dyn Write, event: &Event) -> io::Result<()> {
    let string = |text: &str| serde_json::to_string(text).unwrap_or_else(|_| "null".into());
    let step = |step: &Option<Step>| serde_json::to_string(step).unwrap_or_else(|_| "null".into());
    let (kind, from_to) = match &event.change {
        Change::Appeared => ("appeared", None),
        Change::Status { from, to } => {
            ("status", Some((string(from.as_str()), string(to.as_str()))))
        }
        Change::Step { from, to } => ("step", Some((step(from), step(to)))),
        Change::Gone => ("gone", None),
    };
    let mut text = format!(r#"{{"event":"{kind}","at":{}"#, string(&rfc3339(event.at)));
    if let Some((from, to)) = from_to {
        text.push_str(&format!(r#","from":{from},"to":{to}"#));
    }
    text.push_str(r#","job":"#);
    text.push_str(event.job.raw().get());
    text.push('}');
    write_json_text(out, &text, Layout::Compact)?;
    out.write_all(b"\n")
}

/// An event's time: RFC 3339 in UTC, to the millisecond.
fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `2026-12-03T12:00:05Z  9f1c…  status running -> done  Weekly feed`: one line, the server's
/// text made printable. With `--columns`, the time, the change, then the job's table cells in
/// those columns: `2026-12-03T12:00:05Z  status running -> done  done  Weekly feed`.
fn event_line(event: &Event, columns: Option<&Columns<JobSummary>>) -> String {
    let job = &event.job;
    let what = match &event.change {
        Change::Appeared => match step_of(job) {
            Some(step) => format!("appeared {} at {}", job.status, step_text(&step)),
            None => format!("appeared {}", job.status),
        },
        Change::Status { from, to } => format!("status {from} -> {to}"),
        Change::Step { from, to } => {
            let text = |step: &Option<Step>| step.as_ref().map_or("no step".into(), step_text);
            format!("step {} -> {}", text(from), text(to))
        }
        Change::Gone => format!("gone (last seen {})", job.status),
    };
    if let Some(columns) = columns {
        let mut line = format!("{}  {what}", output::time(Some(&event.at)));
        for cell in columns.table_row(job) {
            line.push_str("  ");
            line.push_str(&cell);
        }
        return printable(&line).into_owned();
    }
    let name = printable(job.name.as_deref().unwrap_or("-")).into_owned();
    let line = format!(
        "{}  {}  {what}  {}",
        output::time(Some(&event.at)),
        job.id,
        output::truncate(&name, NAME_WIDTH)
    );
    printable(&line).into_owned()
}

/// `step 2 Mapping`, or what is known of the step.
fn step_text(step: &Step) -> String {
    match (step.number, step.name.as_deref()) {
        (Some(number), Some(name)) => format!("step {number} {name}"),
        (Some(number), None) => format!("step {number}"),
        (None, Some(name)) => format!("step {name}"),
        (None, None) => format!("step id {}", step.id),
    }
}

/// The table on a terminal, redrawn in place: the cursor goes back up over the last frame,
/// which is cleared, so what stays on screen at the end is the last state.
#[derive(Debug)]
struct Screen {
    interval: Duration,
    /// The table's columns (`--columns`), or the `jobs list` table's.
    columns: Columns<JobSummary>,
    /// Lines the last frame took.
    drawn: usize,
}

impl Screen {
    fn new(interval: Duration, columns: Option<Columns<JobSummary>>) -> Self {
        let columns = columns
            .unwrap_or_else(|| columns::default_job_columns(crate::cli::OutputFormat::Table));
        Self {
            interval,
            columns,
            drawn: 0,
        }
    }

    /// Draws the jobs, cut to the terminal's size (a line that wrapped, or a frame taller than
    /// the screen, would leave the cursor elsewhere than counted).
    fn draw(
        &mut self,
        out: &mut dyn Write,
        state: &WatchState,
        at: DateTime<Utc>,
        problem: Option<&str>,
    ) -> io::Result<()> {
        // A pseudo-terminal nobody sized says 0 × 0: unknown, not tiny.
        let size = console::Term::stdout()
            .size_checked()
            .filter(|&(rows, columns)| rows > 0 && columns > 0)
            .map(|(rows, columns)| (rows.into(), columns.into()));
        let frame = frame(state, &self.columns, at, self.interval, size, problem);
        let mut text = String::new();
        if self.drawn > 0 {
            text.push_str(&format!("\x1b[{}A\r\x1b[J", self.drawn));
        }
        for line in &frame {
            text.push_str(line);
            text.push('\n');
        }
        self.drawn = frame.len();
        out.write_all(text.as_bytes())
    }
}

/// The lines of one frame: the `jobs list` table (in `columns`) with a mark column (`*` for a
/// job that changed at the last walk), then a status line (saying what went wrong, if the last
/// walk failed); within `size` (rows, columns) if known.
fn frame(
    state: &WatchState,
    columns: &Columns<JobSummary>,
    at: DateTime<Utc>,
    interval: Duration,
    size: Option<(usize, usize)>,
    problem: Option<&str>,
) -> Vec<String> {
    let jobs = state.jobs();
    // Room for the header, the status line and the cursor's own line.
    let fits = size.map_or(jobs.len(), |(rows, _)| rows.saturating_sub(3).max(1));
    let shown = &jobs[..jobs.len().min(fits)];
    let mut table = Vec::new();
    // Writing to memory cannot fail.
    let _ = job_writer::table_of(columns, shown).write(&mut table);
    let table = String::from_utf8_lossy(&table).into_owned();
    let mut lines: Vec<String> = table
        .lines()
        .enumerate()
        .map(|(index, line)| {
            // Line 0 is the header; cells are one line each (made printable by the table).
            let changed = index
                .checked_sub(1)
                .and_then(|row| shown.get(row))
                .is_some_and(|job| state.is_changed(&job.id));
            format!("{}{line}", if changed { "* " } else { "  " })
        })
        .collect();
    let running = jobs
        .iter()
        .filter(|job| job.status == sdm_ureq::JobStatus::Running)
        .count();
    let noun = if jobs.len() == 1 { "job" } else { "jobs" };
    let mut status = format!(
        "{} {noun}, {running} running · {} · every {} · Ctrl-C to stop",
        jobs.len(),
        output::time(Some(&at)),
        crate::duration::display(interval)
    );
    if shown.len() < jobs.len() {
        status.push_str(&format!(" · {} more not shown", jobs.len() - shown.len()));
    }
    if let Some(problem) = problem {
        status.push_str(" · ");
        status.push_str(&printable(problem));
    }
    lines.push(status);
    if let Some((_, columns)) = size {
        let width = columns.saturating_sub(1).max(1);
        for line in &mut lines {
            *line = output::truncate(line, width).into_owned();
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    const A: &str = "00000000-0000-4000-8000-00000000000a";
    const B: &str = "00000000-0000-4000-8000-00000000000b";

    /// A job as the server's text (so that `1.50` stays as sent).
    fn job(id: &str, status: &str, step: u64) -> JobSummary {
        let text = format!(
            r#"{{"id": "{id}", "name": "Feed \u001b[31m\"A\"", "status": "{status}",
            "step": {{"id": {}, "name": "Mapping", "number": {step}}},
            "project": 2, "creation_date": "2026-01-01T00:00:00.5Z", "extra": 1.50}}"#,
            20 + step
        );
        serde_json::from_str(&text).unwrap()
    }

    fn defaults() -> Columns<JobSummary> {
        columns::default_job_columns(crate::cli::OutputFormat::Table)
    }

    fn at(second: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, second).unwrap()
    }

    fn events() -> Vec<Event> {
        let mut state = WatchState::new(Filter::default());
        let (mut all, _) = state.on_walk(vec![job(A, "running", 1)], at(0));
        all.extend(state.on_walk(vec![job(A, "running", 2)], at(5)).0);
        all.extend(state.on_walk(vec![job(A, "done", 2)], at(10)).0);
        all
    }

    #[test]
    fn ndjson_events_carry_the_servers_object() {
        let mut out = Vec::new();
        write_events(&mut out, &events(), WatchFormat::Ndjson, None).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(
            lines[0].starts_with(r#"{"event":"appeared","at":"2026-12-03T12:00:00.000Z","job":{"#),
            "{}",
            lines[0]
        );
        // Values exactly as sent (1.50 stays 1.50); the escape character escaped.
        assert!(lines[0].contains(r#""extra":1.50"#), "{}", lines[0]);
        assert!(lines[0].contains(r#"Feed \u001b[31m"#), "{}", lines[0]);
        let step: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(step["event"], "step");
        assert_eq!(step["from"]["number"], 1);
        assert_eq!(step["to"]["number"], 2);
        let status: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
        assert_eq!(
            (&status["event"], &status["from"], &status["to"]),
            (&json!("status"), &json!("running"), &json!("done"))
        );
        assert_eq!(status["job"]["status"], "done");
        assert_eq!(status["at"], "2026-12-03T12:00:10.000Z");
    }

    #[test]
    fn text_events_are_one_printable_line_each() {
        let mut out = Vec::new();
        write_events(&mut out, &events(), WatchFormat::Table, None).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            format!(
                "2026-12-03T12:00:00Z  {A}  appeared running at step 1 Mapping  Feed \u{fffd}[31m\"A\"\n\
                 2026-12-03T12:00:05Z  {A}  step step 1 Mapping -> step 2 Mapping  Feed \u{fffd}[31m\"A\"\n\
                 2026-12-03T12:00:10Z  {A}  status running -> done  Feed \u{fffd}[31m\"A\"\n"
            )
        );
    }

    #[test]
    fn frames_mark_changes_and_fit_the_terminal() {
        let mut state = WatchState::new(Filter::default());
        state.on_walk(vec![job(B, "running", 1), job(A, "running", 1)], at(0));
        state.on_walk(vec![job(B, "running", 1), job(A, "error", 1)], at(5));
        let lines = frame(
            &state,
            &defaults(),
            at(5),
            Duration::from_secs(5),
            None,
            None,
        );
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("  ID "), "{}", lines[0]);
        assert!(
            lines[1].starts_with(&format!("  {B}  running")),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].starts_with(&format!("* {A}  error")),
            "{}",
            lines[2]
        );
        assert!(!lines.iter().any(|l| l.contains('\u{1b}')), "{lines:?}");
        assert_eq!(
            lines[3],
            "2 jobs, 1 running · 2026-12-03T12:00:05Z · every 5s · Ctrl-C to stop"
        );

        // Four rows and 30 columns: one job, lines cut.
        let lines = frame(
            &state,
            &defaults(),
            at(5),
            Duration::from_secs(5),
            Some((4, 30)),
            None,
        );
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines
                .iter()
                .all(|l| unicode_width::UnicodeWidthStr::width(l.as_str()) <= 29)
        );
        assert!(lines[2].starts_with("2 jobs"), "{lines:?}");

        // A redraw goes back up over the last frame.
        let mut screen = Screen::new(Duration::from_secs(5), None);
        let mut out = Vec::new();
        screen.draw(&mut out, &state, at(5), None).unwrap();
        let first = String::from_utf8(std::mem::take(&mut out)).unwrap();
        assert!(!first.contains("\x1b["), "the first frame just draws");
        screen
            .draw(&mut out, &state, at(10), Some("listing failed \u{1b}[2J"))
            .unwrap();
        let second = String::from_utf8(out).unwrap();
        let up = format!("\x1b[{}A\r\x1b[J", first.lines().count());
        assert!(second.starts_with(&up), "{second:?}");
        // A failed walk is told in the status line, neutralised, not on a line of its own.
        assert_eq!(second.lines().count(), first.lines().count());
        assert!(
            second.contains("Ctrl-C to stop · listing failed \u{fffd}[2J"),
            "{second:?}"
        );
    }

    #[test]
    fn chosen_columns_shape_the_table_and_the_text_lines() {
        let columns = columns::job_columns("status,name").unwrap();
        let mut out = Vec::new();
        write_events(&mut out, &events(), WatchFormat::Table, Some(&columns)).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2026-12-03T12:00:00Z  appeared running at step 1 Mapping  running  Feed \u{fffd}[31m\"A\"\n\
             2026-12-03T12:00:05Z  step step 1 Mapping -> step 2 Mapping  running  Feed \u{fffd}[31m\"A\"\n\
             2026-12-03T12:00:10Z  status running -> done  done  Feed \u{fffd}[31m\"A\"\n"
        );

        let mut state = WatchState::new(Filter::default());
        state.on_walk(vec![job(B, "running", 1), job(A, "running", 1)], at(0));
        state.on_walk(vec![job(B, "running", 1), job(A, "error", 1)], at(5));
        let columns = columns::job_columns("name,status,step").unwrap();
        let lines = frame(&state, &columns, at(5), Duration::from_secs(5), None, None);
        assert_eq!(
            lines[..3],
            [
                "  NAME           STATUS   STEP",
                "  Feed \u{fffd}[31m\"A\"  running  Mapping (step 1)",
                "* Feed \u{fffd}[31m\"A\"  error    Mapping (step 1)",
            ]
        );
        let mut screen = Screen::new(Duration::from_secs(5), Some(columns));
        let mut out = Vec::new();
        screen.draw(&mut out, &state, at(5), None).unwrap();
        let drawn = String::from_utf8(out).unwrap();
        assert!(drawn.starts_with("  NAME "), "{drawn:?}");
        assert!(!drawn.contains(A), "no id column: {drawn:?}");
    }
}
