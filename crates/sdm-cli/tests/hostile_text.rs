//! Nothing the server sends can drive the terminal: job names, messages, step names, error
//! details, column names and cells reach standard output and standard error with controls,
//! escape sequences, bidi and invisible characters neutralised (tables, key/value listings,
//! errors), escaped (JSON, NDJSON: the same values), or replaced (CSV: controls only), and long
//! messages cut. The token, echoed in a model's text, is `[redacted]` in what people see, and
//! kept in data outputs.

mod common;

use common::{json_response, run, sdm, serve_raw_with};
use serde_json::{Value, json};

const JOB: &str = "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b";
const REFUSED: &str = "00000000-0000-4000-8000-000000000000";

/// What a hostile server puts in every string: CSI and OSC sequences (ESC and C1), a bell,
/// bidi overrides and isolates, zero-width and line-separator characters.
fn hostile(tag: &str) -> String {
    format!(
        "{tag}\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}31m\u{202E}exe.csv\u{2066}x\u{2069}\u{200B}\u{2028}\u{85}end"
    )
}

fn job() -> Value {
    json!({
        "id": JOB, "name": hostile("name"), "status": hostile("status"),
        "step": {"id": 1, "name": hostile("step"), "number": 2},
        "message": format!("{} {}", hostile("message"), "m".repeat(3000)),
        "project": 4, "creation_date": "2022-04-14T08:48:37.109159Z", "completion_date": null
    })
}

fn rows() -> Value {
    json!([{ hostile("col"): hostile("cell"), "plain": "ok" }, { "other": hostile("x") }])
}

/// A loopback server answering each request from `answer(path)`, until the test ends.
fn serve() -> String {
    serve_raw_with(|path| {
        let (status, body) = if path.ends_with(&format!("jobs/{JOB}/")) {
            ("200 OK", job().to_string())
        } else if path.ends_with(&format!("jobs/{JOB}/data/1/")) {
            ("200 OK", rows().to_string())
        } else {
            let detail = format!("{} {}", hostile("detail"), "d".repeat(5000));
            ("400 X", json!({ "detail": detail }).to_string())
        };
        json_response(status, &body)
    })
}

/// How strict [`assert_harmless`] is.
#[derive(Clone, Copy, PartialEq)]
enum Shown {
    /// For people: no control (but `\n` between lines), no bidi or invisible character.
    ToPeople,
    /// JSON: no control (but `\n` between tokens), no bidi control; invisible ones are data.
    Json,
    /// CSV: no control but tab, CR and LF; bidi and invisible characters are data.
    Csv,
}

fn assert_harmless(what: &str, text: &str, shown: Shown) {
    for c in text.chars() {
        let allowed = c == '\n' || (shown == Shown::Csv && matches!(c, '\r' | '\t'));
        assert!(allowed || !c.is_control(), "{what}: {c:?} in {text:?}");
        let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        let invisible = matches!(c, '\u{200B}' | '\u{2028}');
        match shown {
            Shown::ToPeople => assert!(!bidi && !invisible, "{what}: {c:?} in {text:?}"),
            Shown::Json => assert!(!bidi, "{what}: {c:?} in {text:?}"),
            Shown::Csv => {}
        }
    }
}

#[test]
fn server_text_reaches_the_terminal_harmless_in_every_format() {
    let base = serve();
    let at = |args: &[&str]| {
        let mut command = sdm(args);
        command.args(["--base-url", &base, "--token", "t", "--retries", "1"]);
        let done = run(&mut command);
        assert_eq!(done.code, 0, "{args:?}: {done:#?}");
        done
    };
    let table = at(&["jobs", "get", JOB]);
    assert_harmless("jobs get", &table.stdout, Shown::ToPeople);
    assert!(table.stdout.contains("name\u{fffd}[2J"), "{}", table.stdout);
    let message = table
        .stdout
        .lines()
        .find(|l| l.starts_with("message"))
        .unwrap();
    assert!(
        message.chars().count() < 520 && message.ends_with('…'),
        "{message}"
    );

    for format in ["json", "ndjson"] {
        let out = at(&["jobs", "get", JOB, "-o", format]).stdout;
        assert_harmless(format, &out, Shown::Json);
        let back: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back, job(), "{format}: the same values, escaped");
    }
    let csv = at(&["jobs", "get", JOB, "-o", "csv"]).stdout;
    assert_harmless("jobs get -o csv", &csv, Shown::Csv);

    for format in ["ndjson", "json"] {
        let out = at(&["jobs", "data", JOB, "1", "-o", format]).stdout;
        assert_harmless(format, &out, Shown::Json);
        let back: Vec<Value> = if format == "json" {
            serde_json::from_str(&out).unwrap()
        } else {
            out.lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        };
        assert_eq!(Value::Array(back), rows(), "{format}");
    }
    let csv = at(&["jobs", "data", JOB, "1", "-o", "csv"]).stdout;
    assert_harmless("jobs data -o csv", &csv, Shown::Csv);
    assert!(csv.starts_with("col\u{fffd}[2J"), "{csv}");
}

#[test]
fn error_details_are_harmless_and_cut() {
    let base = serve();
    let mut command = sdm(&["jobs", "get", REFUSED]);
    command.args(["--base-url", &base, "--token", "t", "--retries", "1"]);
    let failed = run(&mut command);
    assert_eq!(failed.code, 1, "{failed:#?}");
    assert_harmless("error", &failed.stderr, Shown::ToPeople);
    assert!(
        failed.stderr.contains("detail\u{fffd}[2J"),
        "{}",
        failed.stderr
    );
    for line in failed.stderr.lines() {
        assert!(line.chars().count() < 520, "{line}");
    }
}

/// The token of [`secrets_echoed_in_models_are_masked_for_people`], long enough to be masked.
const TOKEN: &str = "0b5e1c5e-6f4a-4c1e-9d2b-echo5e5e5e5e";

/// A server that repeats the client's token in every text of its models: a job's name,
/// message and step, a file's name and parsing error, a project's name and steps.
fn serve_echoing_the_token() -> String {
    let echo = |what: &str| format!("{what} {TOKEN} \u{1b}[31mend");
    let job = json!({
        "id": JOB, "name": echo("name"), "status": "error",
        "step": {"id": 1, "name": echo("step"), "number": 2}, "message": echo("message"),
        "project": {"id": 4, "name": echo("project")},
        "creation_date": "2022-04-14T08:48:37Z", "completion_date": null
    });
    let file = json!({"id": 12, "name": echo("file"), "status": "error",
                      "parsing_error": echo("parsing"), "creation_date": null});
    let project = json!({"id": 4, "name": echo("project"),
                         "steps": [{"id": 7, "number": 1, "type": "mappings", "name": echo("step")}]});
    serve_raw_with(move |path| {
        let body = if path.ends_with(&format!("jobs/{JOB}/")) {
            job.clone()
        } else if path.contains("/jobs/") {
            json!({"count": 1, "next": null, "previous": null, "results": [job]})
        } else if path.ends_with("files/12/") {
            file.clone()
        } else if path.ends_with("projects/4/") {
            project.clone()
        } else if path.contains("/projects/") {
            json!({"count": 1, "next": null, "previous": null, "results": [project]})
        } else {
            return json_response("404 Not Found", r#"{"detail": "Not found."}"#);
        };
        json_response("200 OK", &body.to_string())
    })
}

#[test]
fn secrets_echoed_in_models_are_masked_for_people() {
    let base = serve_echoing_the_token();
    let at = |args: &[&str], code: i32| {
        let mut command = sdm(args);
        command.args(["--base-url", &base, "--token", TOKEN, "--retries", "1"]);
        let done = run(&mut command);
        assert_eq!(done.code, code, "{args:?}: {done:#?}");
        done
    };
    for args in [
        &["jobs", "get", JOB][..],
        &["jobs", "list"],
        &["files", "get", "12"],
        &["projects", "get", "4"],
        &["projects", "list"],
    ] {
        let done = at(args, 0);
        let shown = format!("{}{}", done.stdout, done.stderr);
        assert!(!shown.contains(TOKEN), "{args:?}: {shown}");
        assert!(shown.contains("[redacted]"), "{args:?}: {shown}");
        assert_harmless("masked", &done.stdout, Shown::ToPeople);
    }
    // The `error:` line of a failed job quotes its message.
    let failed = at(&["jobs", "wait", JOB], 5);
    assert!(!failed.stderr.contains(TOKEN), "{}", failed.stderr);
    assert!(
        failed.stderr.contains("failed: message [redacted]"),
        "{}",
        failed.stderr
    );
    // Data for programs is the server's, byte for byte (docs/cli.md, "Text from the server").
    for args in [
        &["jobs", "get", JOB, "-o", "json"][..],
        &["files", "get", "12", "-o", "json"],
    ] {
        let data = at(args, 0).stdout;
        assert!(data.contains(TOKEN), "{args:?}: {data}");
    }
}
