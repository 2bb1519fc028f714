//! `jobs get` and `jobs list` print the server's values as it sent them (`-o json`, `-o ndjson`,
//! `-o csv`), and the client's own token never reaches stderr when the server echoes it. The
//! fake server cannot serve odd numbers, so a hand-written responder on loopback does.

mod common;

use common::*;

const ID: &str = "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b";
const TOKEN: &str = "0b5e1c5e-aaaa-4bbb-8ccc-123456789abc";

/// A job whose values a `serde_json::Value` would rewrite (`1.50`) or refuse (`1e400`).
const JOB: &str = r#"{"id": "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b", "status": "done",
 "total": 123456789012345678901234567890, "tiny": 1.0e-400, "price": 1.50,
 "huge": 1e400, "label": "\ud800 alone", "project": {"id": 7, "name": "Shoes"}}"#;

/// Serves `status` with `body` as JSON to every connection on a local port; the base URL.
fn serve(status: &str, body: String) -> String {
    serve_raw(json_response(status, &body))
}

fn sdm_on(base_url: &str, args: &[&str], code: i32) -> Run {
    let mut command = sdm(args);
    command.args(["--base-url", base_url, "--token", TOKEN, "--retries", "1"]);
    run_expect(&mut command, code)
}

#[test]
fn jobs_get_prints_the_servers_numbers_and_strings_byte_for_byte() {
    let base_url = serve("200 OK", JOB.to_owned());
    let json = sdm_on(&base_url, &["jobs", "get", ID, "-o", "json"], 0).stdout;
    assert_eq!(
        json,
        "{\n  \"id\": \"9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b\",\n  \"status\": \"done\",\n  \
         \"total\": 123456789012345678901234567890,\n  \"tiny\": 1.0e-400,\n  \"price\": 1.50,\n  \
         \"huge\": 1e400,\n  \"label\": \"\\ud800 alone\",\n  \"project\": {\n    \"id\": 7,\n    \
         \"name\": \"Shoes\"\n  }\n}\n"
    );
    let line = sdm_on(&base_url, &["jobs", "get", ID, "-o", "ndjson"], 0).stdout;
    assert_eq!(
        line,
        "{\"id\":\"9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b\",\"status\":\"done\",\
         \"total\":123456789012345678901234567890,\"tiny\":1.0e-400,\"price\":1.50,\
         \"huge\":1e400,\"label\":\"\\ud800 alone\",\"project\":{\"id\":7,\"name\":\"Shoes\"}}\n"
    );
    let csv = sdm_on(&base_url, &["jobs", "get", ID, "-o", "csv"], 0).stdout;
    assert!(csv.ends_with(&format!("\r\n{ID},,done,7,,\r\n")), "{csv}");
}

#[test]
fn jobs_list_prints_each_object_as_the_server_sent_it() {
    let page = format!(r#"{{"count": 1, "next": null, "previous": null, "results": [{JOB}]}}"#);
    let base_url = serve("200 OK", page);
    let json = sdm_on(&base_url, &["jobs", "list", "-o", "json"], 0).stdout;
    assert!(json.starts_with("[\n  {\n    \"id\": "), "{json}");
    for exact in [
        "\n    \"total\": 123456789012345678901234567890,\n",
        "\n    \"tiny\": 1.0e-400,\n",
        "\n    \"price\": 1.50,\n",
        "\n    \"huge\": 1e400,\n",
        "\n    \"label\": \"\\ud800 alone\",\n",
    ] {
        assert!(json.contains(exact), "{exact:?} not in {json}");
    }
    assert!(json.ends_with("  }\n]\n"), "{json}");
    let lines = sdm_on(&base_url, &["jobs", "list", "-o", "ndjson"], 0).stdout;
    assert_eq!(lines.lines().count(), 1);
    assert!(lines.contains("\"price\":1.50,\"huge\":1e400,"), "{lines}");
    let all = sdm_on(&base_url, &["jobs", "list", "--all", "-o", "ndjson"], 0).stdout;
    assert_eq!(all, lines);
}

#[test]
fn a_job_answer_for_another_job_is_an_error() {
    let other = JOB.replace(ID, "00000000-0000-4000-8000-000000000000");
    let base_url = serve("200 OK", other);
    let run = sdm_on(&base_url, &["jobs", "get", ID, "-o", "json"], 1);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("not the job asked for"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_401_that_repeats_the_token_does_not_print_it() {
    let body = format!(r#"{{"detail": "Invalid token {TOKEN}."}}"#);
    let base_url = serve("401 Unauthorized", body);
    let run = sdm_on(&base_url, &["jobs", "get", ID], 3);
    assert!(!shows_part_of(TOKEN, &run.stderr), "{}", run.stderr);
    assert!(
        run.stderr.contains("Invalid token [redacted]."),
        "{}",
        run.stderr
    );
}
