//! The server's objects are kept exactly as they came: numbers and strings byte for byte, and
//! values serde_json cannot represent (`1e400`, a lone surrogate) in fields the client does not
//! model never make a job, a page, a file or a project undecodable. A job answer for another job
//! is an error; so is a login answer whose key could not be a token.

mod common;

use common::{JOB_ID, job_id, ok};
use insta::assert_snapshot;
use sdm_core::ops::{
    CreateToken, GetFile, GetJob, GetProject, JobQuery, ListJobs, ListProjects, Operation,
    ProjectQuery,
};
use sdm_core::{Error, FileId, JobStatus, Password, ProjectId};

/// A job whose unknown fields hold what a `serde_json::Value` would rewrite or refuse.
fn odd_job(id: &str) -> String {
    format!(
        r#"{{"id": "{id}", "status": "done", "name": "Prices",
  "total": 123456789012345678901234567890, "tiny": 1.0e-400, "price": 1.50,
  "huge": 1e400, "label": "\ud800 alone", "nested": {{"deep": [1e400, "\udfff"]}},
  "caf\u00e9": "\u00e9t\u00e9"}}"#
    )
}

fn get_job(body: &str) -> Result<sdm_core::Job, Error> {
    GetJob::new(job_id()).parse(&ok(body))
}

#[test]
fn a_job_keeps_every_number_and_string_byte_for_byte() {
    let body = odd_job(JOB_ID);
    let job = get_job(&body).unwrap();
    assert_eq!(job.status, JobStatus::Done);
    assert_eq!(job.name.as_deref(), Some("Prices"));
    let written = serde_json::to_string(&job).unwrap();
    for exact in [
        "123456789012345678901234567890",
        "1.0e-400",
        "1.50",
        "1e400",
        r#""\ud800 alone""#,
        r#"[1e400,"\udfff"]"#,
        r#""\u00e9t\u00e9""#,
    ] {
        assert!(written.contains(exact), "{exact} not in {written}");
    }
}

#[test]
fn the_raw_object_is_the_servers_text() {
    let body = odd_job(JOB_ID);
    let job = get_job(&body).unwrap();
    assert_eq!(job.raw().get(), body);
    assert_eq!(job.field("price").unwrap().get(), "1.50");
    assert_eq!(job.field("huge").unwrap().get(), "1e400");
    assert_eq!(job.field("label").unwrap().get(), r#""\ud800 alone""#);
    assert_eq!(job.field("café").unwrap().get(), r#""\u00e9t\u00e9""#);
    let keys: Vec<&str> = job.fields().map(|(key, _)| key).collect();
    assert_eq!(
        keys,
        [
            "id", "status", "name", "total", "tiny", "price", "huge", "label", "nested", "café"
        ]
    );
    assert_eq!(job.clone().into_raw().get(), body);
}

#[test]
fn a_lone_surrogate_in_a_key_does_not_fail_the_job() {
    let body = format!(r#"{{"id": "{JOB_ID}", "status": "running", "\ud800": 1}}"#);
    let job = get_job(&body).unwrap();
    assert_eq!(job.raw().get(), body);
    assert_eq!(job.fields().count(), 3);
}

#[test]
fn a_page_of_odd_jobs_still_decodes() {
    let body = format!(
        r#"{{"count": 2, "next": null, "previous": null, "extra": 1e400, "results": [{}, {{"id": "00000000-0000-4000-8000-000000000000", "status": "error", "x": "\udc00"}}]}}"#,
        odd_job(JOB_ID)
    );
    let page = ListJobs::new(JobQuery::new()).parse(&ok(body)).unwrap();
    assert_eq!(page.count, 2);
    assert_eq!(page.results.len(), 2);
    assert_eq!(page.results[0].raw().get(), odd_job(JOB_ID));
    assert_eq!(page.results[1].field("x").unwrap().get(), r#""\udc00""#);
    let written = serde_json::to_string(&page).unwrap();
    assert!(written.contains("\"price\":1.50"), "{written}");
}

#[test]
fn files_and_projects_keep_their_values_too() {
    let file = GetFile::new(FileId(12))
        .parse(&ok(
            r#"{"id": 12, "status": "ready", "rows": 1.50, "big": 1e400, "who": "\ud800"}"#,
        ))
        .unwrap();
    assert_eq!(file.field("rows").unwrap().get(), "1.50");
    assert!(
        serde_json::to_string(&file)
            .unwrap()
            .contains(r#""big":1e400"#)
    );
    let project = GetProject::new(ProjectId(3))
        .parse(&ok(r#"{"id": 3, "name": "Shoes", "steps": [{"id": 1, "number": 1, "weight": 1e400}], "budget": 10.10}"#))
        .unwrap();
    assert_eq!(
        project.steps.len(),
        1,
        "an odd value in a step's unknown field"
    );
    assert_eq!(project.field("budget").unwrap().get(), "10.10");
    let page = ListProjects::new(ProjectQuery::new())
        .parse(&ok(
            r#"{"count": 1, "results": [{"id": 3, "note": "\udfff", "score": 1e400}]}"#,
        ))
        .unwrap();
    assert_eq!(page.results[0].field("score").unwrap().get(), "1e400");
}

#[test]
fn known_fields_still_decode_strictly() {
    // An odd value in a documented field is still an error, named after the field.
    let body = format!(r#"{{"id": "{JOB_ID}", "status": "done", "creation_date": 1e400}}"#);
    let Err(Error::Decode(error)) = get_job(&body) else {
        panic!("a number for a date must not decode");
    };
    assert_eq!(error.path, "creation_date");
    let Err(Error::Decode(error)) = get_job(r#"{"id": "x", "status": "done"}"#) else {
        panic!("a bad id must not decode");
    };
    assert_eq!(error.path, "id");
}

#[test]
fn a_job_answer_for_another_job_is_a_decode_error() {
    let other = "00000000-0000-4000-8000-000000000000";
    let error = get_job(&odd_job(other)).unwrap_err();
    let Error::Decode(decode) = &error else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(decode.path, "id");
    assert_snapshot!(error.to_string());
    // The same job in upper case is the same job.
    let upper = odd_job(&JOB_ID.to_ascii_uppercase());
    assert!(get_job(&upper).is_ok());
}

/// A login answer whose `key` could not be a token: empty, blank, with controls, not ASCII.
#[test]
fn a_login_key_that_cannot_be_a_token_is_a_decode_error() {
    let login = CreateToken::new("ana@example.com", Password::new("pw"), "sdm-cli");
    let mut messages = Vec::new();
    for key in [
        r#""""#,
        r#"" ""#,
        r#""abc\u001b[2Jdef""#,
        r#""abc\ndef""#,
        r#""abc def""#,
        r#""t\u00e9st""#,
        r#""abc\u0000""#,
    ] {
        let body = format!(r#"{{"key": {key}}}"#);
        match login.parse(&ok(body)) {
            Err(Error::Decode(error)) => {
                assert_eq!(error.path, "key");
                messages.push(format!("{key}: {error}"));
            }
            other => panic!("{key}: expected a decode error, got {other:?}"),
        }
    }
    assert_snapshot!(messages.join("\n"));
    let token = login
        .parse(&ok(r#"{"key": "7c3b0e52-1d4a-4f6e-9b8c-2a1e3f5d7c90"}"#))
        .unwrap();
    assert_eq!(token.expose(), "7c3b0e52-1d4a-4f6e-9b8c-2a1e3f5d7c90");
    // Any visible ASCII is a possible token (the API documents a UUID, but does not promise it).
    let token = login.parse(&ok(r#"{"key": "Ab9_-.~!"}"#)).unwrap();
    assert_eq!(token.expose(), "Ab9_-.~!");
}
