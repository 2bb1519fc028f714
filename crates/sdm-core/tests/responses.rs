//! Success responses, parsed with `Operation::parse`: fixture in, parsed value out.
//!
//! Decode failures are pinned too: each names the JSON path of the problem and quotes the body.

mod common;

use common::{fixture, fixture_text, job_id, ok, response};
use insta::{assert_debug_snapshot, assert_json_snapshot, assert_snapshot};
use sdm_core::ops::{CreateToken, GetJob, GetJobData, JobQuery, ListJobs, Operation};
use sdm_core::{
    DecodeError, Error, Job, JobId, JobStatus, JobSummary, OutputFormatId, Page, Password,
    ProjectId, Row,
};
use serde_json::{Value, json};

fn get_job(body: impl Into<Vec<u8>>) -> Result<Job, Error> {
    let body = body.into();
    // Asks for the job the fixture describes (an answer for another job is an error).
    let id = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|job| JobId::parse(job.get("id")?.as_str()?).ok())
        .unwrap_or_else(job_id);
    GetJob::new(id).parse(&ok(body))
}

fn list_jobs(body: impl Into<Vec<u8>>) -> Result<Page<JobSummary>, Error> {
    ListJobs::new(JobQuery::new()).parse(&ok(body))
}

fn job_data(body: impl Into<Vec<u8>>) -> Result<Vec<Row>, Error> {
    GetJobData::new(job_id(), OutputFormatId(42)).parse(&ok(body))
}

fn decode_error(result: Result<impl std::fmt::Debug, Error>) -> Box<DecodeError> {
    match result {
        Err(Error::Decode(error)) => error,
        other => panic!("expected a decode error, got {other:?}"),
    }
}

/// A decode error as text: the one-line `Display`, then the fields a program reads.
fn render_decode_error(error: &DecodeError) -> String {
    let source = std::error::Error::source(error).map(|s| s.to_string());
    format!(
        "display: {error}\npath: {}\nstatus: {}\nmessage: {}\nexcerpt: {}\nsource: {}\n",
        error.path,
        error.status.as_u16(),
        error.message,
        error.excerpt,
        source.as_deref().unwrap_or("(none)"),
    )
}

/// A field's text decoded.
fn value(field: Option<&serde_json::value::RawValue>) -> Option<Value> {
    field.map(|field| serde_json::from_str(field.get()).unwrap())
}

/// The fixture's JSON written compactly, in its own field order.
fn compact(name: &str) -> String {
    let value: Value = serde_json::from_slice(&fixture(name)).unwrap();
    serde_json::to_string(&value).unwrap()
}

// --- the documentation's own examples -----------------------------------------------------------

#[test]
fn list_with_a_float_count_and_no_links() {
    let page = list_jobs(fixture("list_legacy_float_count.json")).unwrap();
    assert_eq!(page.count, 100);
    assert_eq!(
        (page.next.as_deref(), page.previous.as_deref()),
        (None, None)
    );
    assert_debug_snapshot!(page);
}

#[test]
fn list_from_the_documentation() {
    let page = list_jobs(fixture("list_documented.json")).unwrap();
    assert_eq!(page.count, 100);
    assert_eq!(
        page.next.as_deref(),
        Some("https://sdm.akeneo.cloud/api/v1/jobs/?page=2&status=done")
    );
    assert_eq!(page.previous, None);
    // Six and two fractional digits, side by side.
    let job = &page.results[0];
    assert_eq!(
        job.creation_date.unwrap().to_rfc3339(),
        "2022-04-14T08:48:37.109159+00:00"
    );
    assert_eq!(
        job.completion_date.unwrap().to_rfc3339(),
        "2022-04-17T09:53:32.120+00:00"
    );
    assert_debug_snapshot!(page);
    // Serialized, the jobs are the server's objects and the envelope is canonical.
    assert_json_snapshot!(page);
}

#[test]
fn error_job_with_its_message() {
    let job = get_job(fixture("job_error.json")).unwrap();
    assert_eq!(job.status, JobStatus::Error);
    assert!(job.status.is_terminal());
    assert_eq!(job.message.as_deref(), Some("The file has no header line."));
    assert_debug_snapshot!(job);
}

#[test]
fn pending_job_at_a_step() {
    let job = get_job(fixture("job_pending.json")).unwrap();
    assert_eq!(job.status, JobStatus::Pending);
    assert!(job.status.needs_action() && !job.status.is_terminal());
    let step = job.step.as_ref().unwrap();
    assert_eq!(
        (step.id, step.name.as_deref(), step.number),
        (31, Some("Validation"), Some(3))
    );
    assert_debug_snapshot!(job);
}

#[test]
fn running_job_without_completion_date() {
    let job = get_job(fixture("job_running.json")).unwrap();
    assert_eq!(job.status, JobStatus::Running);
    assert_eq!(job.completion_date, None);
    assert_eq!(value(job.field("completion_date")), Some(Value::Null));
    // Only the step id is documented; name and number may be missing.
    let step = job.step.as_ref().unwrap();
    assert_eq!(
        (step.id, step.name.as_deref(), step.number),
        (30, None, None)
    );
    assert_debug_snapshot!(job);
}

// --- forward compatibility ----------------------------------------------------------------------

#[test]
fn unknown_status_is_kept_as_text() {
    let job = get_job(fixture("job_unknown_status.json")).unwrap();
    assert_eq!(job.status, JobStatus::Unknown("archived".to_owned()));
    assert_eq!(job.status.as_str(), "archived");
    assert!(!job.status.is_terminal() && !job.status.needs_action());
    assert_debug_snapshot!(job.status);
    assert_json_snapshot!(job);
}

#[test]
fn unknown_fields_stay_reachable_and_serialize_back_unchanged() {
    let job = get_job(fixture("job_extra_fields.json")).unwrap();
    assert_eq!(
        value(job.field("file")),
        Some(json!({"id": 881, "name": "catalogue-2022.csv", "rows": 1200}))
    );
    assert_eq!(value(job.field("model_version")), Some(json!(0)));
    assert_eq!(
        value(job.field("statistics")).unwrap()["rows"]["rejected"],
        json!(10)
    );
    assert_eq!(value(job.field("owner")), Some(Value::Null));
    assert!(job.field("absent").is_none());
    // The typed view reads the known fields wherever they are in the object.
    assert_eq!(job.status, JobStatus::Done);
    assert_eq!(job.project.as_ref().unwrap().id, ProjectId(7));
    // Serialized: the input object, byte for byte once compacted, field order included.
    assert_eq!(
        serde_json::to_string(&job).unwrap(),
        compact("job_extra_fields.json")
    );
    let keys: Vec<&str> = job.fields().map(|(key, _)| key).collect();
    assert_eq!(
        keys,
        [
            "status",
            "id",
            "file",
            "model_version",
            "name",
            "statistics",
            "project",
            "owner",
            "creation_date",
            "completion_date",
            "message"
        ]
    );
    assert_json_snapshot!(job);
}

#[test]
fn list_items_serialize_back_unchanged() {
    let page = list_jobs(fixture("list_documented.json")).unwrap();
    let input: Value = serde_json::from_slice(&fixture("list_documented.json")).unwrap();
    assert_eq!(
        serde_json::to_value(&page.results[0]).unwrap(),
        input["results"][0]
    );
}

#[test]
fn project_as_an_id_or_as_an_object() {
    let from_int = get_job(fixture("job_project_int.json")).unwrap();
    let from_object = get_job(fixture("job_project_object.json")).unwrap();
    assert_eq!(from_int.project.as_ref().unwrap().id, ProjectId(7));
    assert_eq!(from_object.project.as_ref().unwrap().id, ProjectId(7));
    assert_debug_snapshot!((&from_int.project, &from_object.project));
    // Each serializes back in the shape it came in.
    assert_eq!(
        serde_json::to_string(&from_object).unwrap(),
        compact("job_project_object.json")
    );
    assert_eq!(
        serde_json::to_string(&from_int).unwrap(),
        compact("job_project_int.json")
    );
}

// --- count ----------------------------------------------------------------------------------------

fn with_count(count: &str) -> String {
    format!(r#"{{"count": {count}, "next": null, "previous": null, "results": []}}"#)
}

#[test]
fn whole_counts_are_accepted_as_integer_or_float() {
    for count in ["100", "100.0", "1e2"] {
        let page = list_jobs(with_count(count)).unwrap();
        assert_eq!(page.count, 100, "count {count}");
    }
    assert_eq!(list_jobs(with_count("0")).unwrap().count, 0);
}

#[test]
fn negative_fractional_or_textual_counts_are_decode_errors() {
    let mut out = String::new();
    for count in ["-1", "1.5", r#""100""#] {
        let error = decode_error(list_jobs(with_count(count)));
        assert_eq!(error.path, "count", "count {count}");
        out.push_str(&format!("count {count}\n{}\n", render_decode_error(&error)));
    }
    assert_snapshot!(out);
}

// --- decode errors --------------------------------------------------------------------------------

/// Malformed success bodies, each with the path its error names: `.` is the document itself (a
/// missing field is reported at the object that lacks it). Failures inside a job's fields are
/// pinned separately below.
const DECODE_CASES: &[(&str, &str, &str)] = &[
    ("results_missing", "list_without_results.json", "."),
    ("job_without_id", "job_without_id.json", "."),
    ("truncated", "job_truncated.json", "."),
    ("trailing_garbage", "job_trailing_garbage.json", "."),
    ("html_200", "login_page_200.html", "."),
];

#[test]
fn decode_errors_name_the_path_and_quote_the_body() {
    for (case, name, path) in DECODE_CASES {
        let body = fixture(name);
        let error = if name.starts_with("list_") {
            decode_error(list_jobs(body))
        } else {
            decode_error(get_job(body))
        };
        assert_eq!(error.path, *path, "{case}");
        assert_eq!(error.status.as_u16(), 200, "{case}");
        assert!(
            std::error::Error::source(&error).is_some(),
            "{case}: the serde_json error is kept as the source"
        );
        assert_snapshot!(format!("decode_{case}"), render_decode_error(&error));
    }
}

#[test]
fn an_empty_body_is_a_decode_error_that_says_so() {
    for body in [&b""[..], b"  \n"] {
        let error = decode_error(get_job(body));
        assert_eq!(error.path, ".");
        assert_eq!(error.message, "the body is empty");
    }
    let error = decode_error(get_job(Vec::new()));
    assert_snapshot!(render_decode_error(&error));
}

/// Errors inside a job object: the current text, whatever path it names (see the ignored test).
#[test]
fn decode_errors_inside_a_job() {
    let cases = [
        (
            "status_is_a_number",
            list_jobs(fixture("list_status_number.json")).map(drop),
        ),
        (
            "invalid_uuid",
            get_job(fixture("job_invalid_uuid.json")).map(drop),
        ),
        (
            "malformed_date",
            get_job(fixture("job_malformed_date.json")).map(drop),
        ),
    ];
    for (case, result) in cases {
        let error = decode_error(result);
        assert_snapshot!(format!("decode_{case}"), render_decode_error(&error));
    }
}

/// `DecodeError::path` names the failing field, inside jobs too (`results[1].status`).
#[test]

fn decode_error_paths_reach_into_a_job() {
    let error = decode_error(list_jobs(fixture("list_status_number.json")));
    assert_eq!(error.path, "results[1].status");
    let error = decode_error(get_job(fixture("job_invalid_uuid.json")));
    assert_eq!(error.path, "id");
    let error = decode_error(get_job(fixture("job_malformed_date.json")));
    assert_eq!(error.path, "creation_date");
    // `step` is read leniently (see `observed_fields_of_a_surprising_shape_do_not_fail_the_job`):
    // a surprising step leaves `job.step` empty and the raw value in place.
    let job = get_job(
        r#"{"id": "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b", "status": "done", "step": {"id": "x"}}"#,
    )
    .unwrap();
    assert!(job.step.is_none());
    assert_eq!(value(job.field("step")).unwrap()["id"], "x");
}

#[test]
fn decode_errors_outside_a_job_already_have_full_paths() {
    let error = decode_error(list_jobs(with_count(r#""100""#)));
    assert_eq!(error.path, "count");
    let error = decode_error(list_jobs(r#"{"count": 1, "results": [{"id": 3}]}"#));
    assert!(error.path.starts_with("results[0]"), "{}", error.path);
    let error = decode_error(list_jobs(r#"{"count": 1, "results": {}}"#));
    assert_eq!(error.path, "results");
}

#[test]
fn excerpts_are_bounded() {
    let mut body = String::from(r#"{"id": "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b", "name": ""#);
    body.push_str(&"x".repeat(100_000));
    body.push_str(r#"", "status": tru }"#);
    let error = decode_error(get_job(body));
    assert!(error.excerpt.chars().count() <= 162, "{}", error.excerpt);
    assert!(error.to_string().len() < 600);
    assert!(!error.excerpt.contains('\n'));
}

// --- job data ---------------------------------------------------------------------------------

#[test]
fn job_data_rows() {
    let rows = job_data(fixture("data_rows.json")).unwrap();
    assert_eq!(rows.len(), 7);
    // Omitted columns are simply absent; the column order is the server's.
    let columns: Vec<Vec<&str>> = rows.iter().map(|row| row.columns().collect()).collect();
    assert_eq!(
        columns,
        [
            vec!["sku", "name", "color", "price"],
            vec!["sku", "name", "price"],
            vec!["sku", "désignation", "名前"],
            vec!["sku", "description"],
            vec![
                "sku",
                "weight",
                "stock",
                "active",
                "discontinued",
                "ean",
                "dimensions",
                "tags"
            ],
            vec!["zeta", "alpha", "sku", "middle"],
            vec![],
        ]
    );
    assert_eq!(rows[1].get("color"), None);
    assert_eq!(rows[1].get("name"), Some(&json!("Crème brûlée — 100 g")));
    assert_eq!(rows[2].get("名前"), Some(&json!("椅子")));
    assert_eq!(
        rows[3].get("description"),
        Some(&json!("He said \"hi\", then left,\nand came back; 50% off"))
    );
    assert_eq!(rows[4].get("weight"), Some(&json!(1.5)));
    assert_eq!(rows[4].get("ean"), Some(&Value::Null));
    assert_eq!(rows[4].get("dimensions"), Some(&json!({"w": 10, "h": 20})));
    assert!(rows[6].is_empty());
    assert_debug_snapshot!(rows);
    // Serialized back: the same array, same column order.
    assert_eq!(
        serde_json::to_string(&rows).unwrap(),
        compact("data_rows.json")
    );
    assert_json_snapshot!(rows);
}

#[test]
fn job_data_that_is_not_an_array_of_objects() {
    let output_error = |result: Result<Vec<Row>, Error>| match result {
        Err(Error::Output(error)) => error,
        other => panic!("expected an output error, got {other:?}"),
    };
    let not_array = output_error(job_data(fixture("data_not_array.json")));
    assert!(matches!(
        not_array.error,
        sdm_core::RowError::Syntax {
            row: 0,
            offset: 0,
            ..
        }
    ));
    let non_object = output_error(job_data(fixture("data_non_object_row.json")));
    assert!(matches!(
        non_object.error,
        sdm_core::RowError::Syntax { row: 1, .. }
    ));
    assert_snapshot!("data_not_array", not_array.to_string());
    assert_snapshot!("data_non_object_row", non_object.to_string());
}

#[test]
fn job_data_may_be_empty() {
    assert_eq!(job_data("[]").unwrap(), Vec::<Row>::new());
}

// --- token ------------------------------------------------------------------------------------

#[test]
fn created_token_is_redacted() {
    let op = CreateToken::new("ana@example.com", Password::new("pw"), "sdm-cli");
    let token = op.parse(&ok(fixture("token.json"))).unwrap();
    assert_eq!(token.expose(), "7c3b0e52-1d4a-4f6e-9b8c-2a1e3f5d7c90");
    assert_eq!(token.to_string(), "[redacted]");
    assert!(!format!("{token:?}{token:#?}").contains("7c3b0e52"));
    assert_debug_snapshot!(token);
}

#[test]
fn a_token_response_without_key_is_a_decode_error() {
    let op = CreateToken::new("ana@example.com", Password::new("pw"), "sdm-cli");
    let error = decode_error(op.parse(&ok(r#"{"token": "x"}"#)));
    assert_eq!(error.path, ".");
    assert_snapshot!(render_decode_error(&error));
}

#[test]
fn any_success_status_is_parsed() {
    let created = response(201, &[], fixture_text("token.json"));
    let op = CreateToken::new("ana@example.com", Password::new("pw"), "sdm-cli");
    assert_eq!(
        op.parse(&created).unwrap().expose(),
        "7c3b0e52-1d4a-4f6e-9b8c-2a1e3f5d7c90"
    );
}

/// A token body that fails to decode must not have the key quoted back in the error: errors are
/// printed and logged, and the key is a secret.
#[test]

fn a_token_body_that_fails_to_decode_does_not_leak_the_key() {
    let op = CreateToken::new("ana@example.com", Password::new("pw"), "sdm-cli");
    let body = r#"{"key": "7c3b0e52-1d4a-4f6e-9b8c-2a1e3f5d7c90"} <!-- cached -->"#;
    let error = op.parse(&ok(body)).unwrap_err();
    let shown = format!("{error}\n{error:?}");
    assert!(!shown.contains("7c3b0e52"), "{shown}");
    // A bare string where the object belongs: serde_json quotes it in the message.
    let error = op
        .parse(&ok(r#""7c3b0e52-1d4a-4f6e-9b8c-2a1e3f5d7c90""#))
        .unwrap_err();
    let shown = format!("{error}\n{error:?}");
    assert!(!shown.contains("7c3b0e52"), "{shown}");
}

/// `project` as an object and `step.name`/`number` are only observed [O], and the API notes say
/// to tolerate such fields: an unexpected shape leaves the typed field empty, the raw one intact.
#[test]

fn observed_fields_of_a_surprising_shape_do_not_fail_the_job() {
    let mut failures = Vec::new();
    for (field, value) in [
        ("project", r#""7""#),
        ("project", r#"{"name": "Catalogue"}"#),
        ("step", r#"{"id": 3, "name": {"en": "Validation"}}"#),
        ("step", r#"{"id": 3, "number": "3"}"#),
    ] {
        let body = format!(
            r#"{{"id": "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b", "status": "done", "{field}": {value}}}"#
        );
        match get_job(body) {
            Ok(job) => assert!(job.field(field).is_some()),
            Err(error) => failures.push(format!("{field}: {value}: {error}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
