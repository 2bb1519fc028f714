//! `sdm jobs watch` end to end, on jobs added to the fake server that change state over time:
//! the NDJSON events of a run, the text lines, `--until-idle` exit codes, one list walk per
//! interval however many jobs there are, the table redrawn on a terminal, and `--columns`.
//!
//! The added jobs are created after every generated one (from 2026 on), so
//! `--created-after 2026-01-01` watches them alone.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::*;
use sdm_mock::{JobSpec, MockServer, Status};
use serde_json::Value;

/// Only the jobs a test adds.
const ADDED: [&str; 2] = ["--created-after", "2026-01-01"];

fn watch(server: &MockServer, args: &[&str], code: i32) -> Run {
    let args = [&["jobs", "watch", "--interval", "1s"][..], &ADDED, args].concat();
    run_expect(&mut sdm_at(server, &args), code)
}

/// The events of each job, in order.
fn by_job(events: &[Value]) -> HashMap<String, Vec<Value>> {
    let mut jobs: HashMap<String, Vec<Value>> = HashMap::new();
    for event in events {
        let id = event["job"]["id"].as_str().unwrap().to_owned();
        jobs.entry(id).or_default().push(event.clone());
    }
    jobs
}

#[test]
fn the_ndjson_stream_follows_each_job_and_a_failure_exits_5() {
    let server = MockServer::start();
    let done = server.add_job(JobSpec::new(Status::Done, Duration::from_millis(1200)));
    let pending = server.add_job(JobSpec::new(Status::Pending, Duration::from_millis(1200)));
    let failed = server.add_job(JobSpec::new(Status::Error, Duration::from_millis(2200)));
    let run = watch(&server, &["--until-idle", "-o", "ndjson"], 5);
    assert_eq!(
        run.stderr,
        format!("error: job {failed} ended in error while watching\n")
    );
    let events = ndjson(&run.stdout);

    // The first walk: every job appears, running at step 2, newest first.
    let appeared: Vec<&str> = events
        .iter()
        .take_while(|e| e["event"] == "appeared")
        .map(|e| e["job"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(appeared, [&failed, &pending, &done]);
    assert!(
        events[..3]
            .iter()
            .all(|e| e["job"]["status"] == "running" && e["job"]["step"]["number"] == 2)
    );

    // Then one status event per job, from running to how it ended, and nothing else.
    let snapshot = server.jobs_snapshot();
    let jobs = by_job(&events);
    for (id, end) in [(&done, "done"), (&pending, "pending"), (&failed, "error")] {
        let kinds: Vec<&Value> = jobs[id].iter().map(|e| &e["event"]).collect();
        assert_eq!(kinds, ["appeared", "status"], "{id}: {:?}", jobs[id]);
        let last = &jobs[id][1];
        assert_eq!(
            (&last["from"], last["to"].as_str()),
            (&Value::from("running"), Some(end))
        );
        // The job is the server's object, every field as the detail endpoint serves it.
        let now = snapshot.iter().find(|j| j["id"] == id.as_str()).unwrap();
        assert_eq!(&last["job"], now);
    }
    assert_eq!(jobs[&pending][1]["job"]["step"]["number"], 3);

    // Times are RFC 3339 and never go back; the failure came a walk after the others.
    let times: Vec<DateTime<Utc>> = events
        .iter()
        .map(|e| e["at"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(times[events.len() - 1] > times[0]);
}

#[test]
fn until_idle_exits_0_when_nothing_failed_and_text_lines_tell_the_changes() {
    let server = MockServer::start();
    let done = server
        .add_job(JobSpec::new(Status::Done, Duration::from_millis(1200)).name("Feed \u{1b}[2J"));
    let run = watch(&server, &["--until-idle"], 0);
    assert_eq!(run.stderr, "");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert!(
        lines[0].contains(&format!(
            "  {done}  appeared running at step 2 Mapping  Feed \u{fffd}[2J"
        )),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains(&format!("  {done}  status running -> done  Feed")),
        "{}",
        lines[1]
    );
    assert!(!run.stdout.contains('\u{1b}'), "server text is neutralised");

    // Idle from the first walk (nothing matches): one request, no output, exit 0.
    let quiet = MockServer::start();
    let run = watch(&quiet, &["--until-idle", "-o", "ndjson"], 0);
    assert_eq!((run.stdout.as_str(), quiet.request_count()), ("", 1));
    // A job that failed before the watch began is no failure of the watch.
    let before = MockServer::start();
    before.add_job(JobSpec::new(Status::Error, Duration::ZERO));
    let run = watch(&before, &["--until-idle", "-o", "ndjson"], 0);
    assert_eq!(ndjson(&run.stdout)[0]["job"]["status"], "error");
}

#[test]
fn columns_choose_what_the_text_lines_show() {
    let server = MockServer::start();
    let done = server
        .add_job(JobSpec::new(Status::Done, Duration::from_millis(1200)).name("Feed \u{1b}[2J"));
    let run = watch(&server, &["--until-idle", "--columns", "status,name"], 0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    // The time, the change, then the chosen cells in order: no id, as it was not chosen.
    assert!(
        lines[0].ends_with("Z  appeared running at step 2 Mapping  running  Feed \u{fffd}[2J"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].ends_with("Z  status running -> done  done  Feed \u{fffd}[2J"),
        "{}",
        lines[1]
    );
    assert!(!run.stdout.contains(&done), "{}", run.stdout);
}

#[test]
fn unknown_columns_and_columns_with_ndjson_are_usage_errors() {
    let dead = dead_base_url();
    let run = |args: &[&str]| {
        let mut command = sdm(&[&["jobs", "watch"], args].concat());
        command.args(["--base-url", &dead, "--token", "t"]);
        run_expect(&mut command, 2)
    };
    let unknown = run(&["--columns", "id,colour"]);
    assert!(
        unknown.stderr.contains("unknown column \"colour\"")
            && unknown
                .stderr
                .contains("id, status, name, project, created, completed, step, message, file"),
        "{}",
        unknown.stderr
    );
    let ndjson = run(&["--columns", "id", "-o", "ndjson"]);
    assert!(
        ndjson
            .stderr
            .starts_with("error: --columns applies to -o table"),
        "{}",
        ndjson.stderr
    );
}

/// A server whose list endpoint counts its walks (page 1) and pages, with `jobs` added that
/// end after a moment.
fn counted(jobs: usize) -> (MockServer, Arc<AtomicU64>, Arc<AtomicU64>) {
    let walks = Arc::new(AtomicU64::new(0));
    let pages = Arc::new(AtomicU64::new(0));
    let (w, p) = (Arc::clone(&walks), Arc::clone(&pages));
    let server = MockServer::builder()
        .on_list_page(move |_, page| {
            p.fetch_add(1, Ordering::Relaxed);
            if page == 1 {
                w.fetch_add(1, Ordering::Relaxed);
            }
        })
        .start()
        .unwrap();
    for _ in 0..jobs {
        server.add_job(JobSpec::new(Status::Done, Duration::from_millis(2500)));
    }
    (server, walks, pages)
}

#[test]
fn each_interval_is_one_walk_of_the_listing_however_many_jobs() {
    for (jobs, pages_per_walk) in [(3, 1), (250, 3)] {
        let (server, walks, pages) = counted(jobs);
        let started = Instant::now();
        let run = watch(&server, &["--until-idle", "-o", "ndjson"], 0);
        let elapsed = started.elapsed();
        let events = ndjson(&run.stdout);
        assert_eq!(events.len(), 2 * jobs, "each job appeared, then ended");

        let walks = walks.load(Ordering::Relaxed);
        let pages = pages.load(Ordering::Relaxed);
        // Every request was a page of a walk: none per job.
        assert_eq!(server.request_count(), pages, "{jobs} jobs");
        assert_eq!(pages, walks * pages_per_walk, "{jobs} jobs: {walks} walks");
        // One walk per interval (1s), the first at once.
        assert!(walks >= 2, "{walks}");
        assert!(
            walks <= elapsed.as_secs() + 1,
            "{walks} walks in {elapsed:?}"
        );
    }
}

#[test]
fn several_statuses_are_watched_together_and_jobs_leaving_them_are_told() {
    let server = MockServer::start();
    let done = server.add_job(JobSpec::new(Status::Done, Duration::from_millis(1200)));
    let pending = server.add_job(JobSpec::new(Status::Pending, Duration::ZERO));
    let run = watch(
        &server,
        &[
            "--status",
            "running",
            "--status",
            "pending",
            "--until-idle",
            "-o",
            "ndjson",
        ],
        0,
    );
    let jobs = by_job(&ndjson(&run.stdout));
    let kinds = |id: &str| -> Vec<String> {
        jobs[id]
            .iter()
            .map(|e| e["event"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(kinds(&pending), ["appeared"]);
    // Done is outside the filter: looked up once, it is told ended, then gone.
    assert_eq!(kinds(&done), ["appeared", "status", "gone"]);
    assert_eq!(jobs[&done][1]["to"], "done");
    assert_eq!(jobs[&done][2]["job"]["status"], "done");
}

#[test]
fn bad_options_are_usage_errors() {
    let dead = dead_base_url();
    for args in [
        &["--interval", "500ms"][..],
        &["--interval", "0"],
        &["-o", "json"],
        &["--status", ""],
        &["--created-after", "soon"],
    ] {
        let mut command = sdm(&[&["jobs", "watch"], args].concat());
        command.args(["--base-url", &dead, "--token", "t"]);
        let run = run_expect(&mut command, 2);
        assert!(run.stderr.starts_with("error:"), "{}", run.stderr);
    }
}

#[test]
fn an_unknown_token_ends_the_watch_with_exit_3() {
    let server = MockServer::start();
    let mut command = sdm(&["jobs", "watch", "--until-idle"]);
    command.args(["--base-url", server.base_url(), "--token", "not-the-token"]);
    let run = run_expect(&mut command, 3);
    assert!(!run.stderr.contains("not-the-token"), "{}", run.stderr);
}

/// Runs `sdm ARGS` against `server` with standard output on a terminal (util-linux `script`
/// gives it a pseudo-terminal); `None` where `script` is not installed.
fn on_a_terminal(server: &MockServer, args: &[&str]) -> Option<(i32, String)> {
    let quote = |word: &str| format!("'{}'", word.replace('\'', "'\\''"));
    let mut words = vec![quote(env!("CARGO_BIN_EXE_sdm"))];
    words.extend(args.iter().map(|word| quote(word)));
    words.extend(["--base-url", server.base_url(), "--token", server.token()].map(quote));
    let output = std::process::Command::new("script")
        .args(["-qec", &words.join(" "), "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    let code = output.status.code()?;
    Some((code, String::from_utf8_lossy(&output.stdout).into_owned()))
}

#[test]
fn on_a_terminal_the_table_is_redrawn_in_place_with_changes_marked() {
    let server = MockServer::start();
    let done = server.add_job(
        JobSpec::new(Status::Done, Duration::from_millis(1200)).name("Feed \u{1b}]0;x\u{7}"),
    );
    let args = [
        &["jobs", "watch", "--interval", "1s", "--until-idle"][..],
        &ADDED,
    ]
    .concat();
    let Some((code, text)) = on_a_terminal(&server, &args) else {
        eprintln!("skipped: no `script` to run sdm on a terminal");
        return;
    };
    assert_eq!(code, 0, "{text}");
    // A table, not event lines; the second frame goes back up over the first.
    assert!(text.contains("ID "), "{text}");
    assert!(!text.contains("appeared"), "{text}");
    let up = text.find("\u{1b}[").expect("the cursor moves up to redraw");
    let (first, second) = text.split_at(up);
    assert!(first.contains(&format!("* {done}  running")), "{first:?}");
    assert!(second.contains(&format!("* {done}  done")), "{second:?}");
    assert!(second.contains("1 job, 0 running"), "{second:?}");
    // The server's escape sequences never reach the terminal.
    assert!(!text.contains("\u{1b}]0;"), "{text:?}");
}

#[test]
fn on_a_terminal_the_table_has_the_chosen_columns() {
    let server = MockServer::start();
    let done = server.add_job(JobSpec::new(Status::Done, Duration::from_millis(1200)));
    let args = [
        &["jobs", "watch", "--interval", "1s", "--until-idle"][..],
        &ADDED,
        &["--columns", "status,id"],
    ]
    .concat();
    let Some((code, text)) = on_a_terminal(&server, &args) else {
        eprintln!("skipped: no `script` to run sdm on a terminal");
        return;
    };
    assert_eq!(code, 0, "{text}");
    let up = text.find("\u{1b}[").expect("the cursor moves up to redraw");
    let (first, second) = text.split_at(up);
    // STATUS, then ID, and nothing else: the name and dates were not chosen.
    assert!(first.contains("  STATUS   ID\r\n"), "{first:?}");
    assert!(
        first.contains(&format!("* running  {done}\r\n")),
        "{first:?}"
    );
    assert!(
        second.contains(&format!("* done    {done}\r\n")),
        "{second:?}"
    );
    assert!(!text.contains("NAME"), "{text:?}");
}

#[test]
fn a_walk_that_fails_is_skipped_and_the_watch_goes_on() {
    let server = MockServer::builder()
        .fault("503@listx1".parse().unwrap())
        .start()
        .unwrap();
    let done = server.add_job(JobSpec::new(Status::Done, Duration::from_millis(1500)));
    let run = watch(
        &server,
        &["--until-idle", "--retries", "1", "-o", "ndjson"],
        0,
    );
    assert!(
        run.stderr
            .starts_with("sdm jobs watch: listing the jobs failed ("),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.trim_end().ends_with("trying again in 1s"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let kinds: Vec<(Value, Value)> = ndjson(&run.stdout)
        .into_iter()
        .map(|e| (e["event"].clone(), e["job"]["id"].clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            (Value::from("appeared"), Value::from(done.as_str())),
            (Value::from("status"), Value::from(done.as_str()))
        ]
    );
}

/// Ctrl-C ends the watch as SIGINT does (the shell's 130), after what was seen was written.
#[cfg(unix)]
#[test]
fn ctrl_c_ends_the_watch_by_the_signal_with_the_events_written() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;

    let server = MockServer::start();
    let running = server.add_job(JobSpec::new(Status::Running, Duration::ZERO));
    let args = [
        &["jobs", "watch", "--interval", "1s", "-o", "ndjson"][..],
        &ADDED,
    ]
    .concat();
    let mut child = sdm_at(&server, &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let event: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        (&event["event"], &event["job"]["id"]),
        (&Value::from("appeared"), &Value::from(running.as_str()))
    );
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(2), "{status:?}");
}
