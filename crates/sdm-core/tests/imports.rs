//! The supplier-import operations: uploads, files, job creation, projects and downloads — the
//! requests they build (snapshots, multipart framing included), the responses they parse, and
//! how the clients send creates: again only where the server cannot have acted on them.

mod common;

use std::sync::{Arc, Mutex};

use common::{block_on, client_config, config, job_id, ok, render_request, response, unpaced};
use insta::assert_snapshot;
use sdm_core::http::{Request, Response};
use sdm_core::ops::{
    CreateJob, DownloadJobFile, GetFile, GetProject, ListProjects, Operation, ProjectQuery,
    UploadFile, UploadRows,
};
use sdm_core::transport::{RequestBody, transport_fn};
use sdm_core::{
    AsyncClient, BlockingClient, Created, Error, FileId, FileStatus, OutputFormatId, PagerOptions,
    ProjectId, RetryPolicy, Row, TransportError, TransportErrorKind, WaitOptions, WaitOutcome,
};

fn render_raw(request: &Request<RequestBody>) -> String {
    let mut out = format!("{} {}\n", request.method(), request.uri());
    let mut headers: Vec<String> = request
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "user-agent" | "authorization"))
        .map(|(name, value)| format!("  {name}: {}", value.to_str().unwrap()))
        .collect();
    headers.sort();
    out.push_str("headers:\n");
    out.push_str(&headers.join("\n"));
    out.push_str("\nbody:\n");
    // Line ends shown, so the snapshot pins the multipart framing's CRLFs exactly.
    let body = String::from_utf8(request.body().to_vec().unwrap()).unwrap();
    out.push_str(&body.replace("\r\n", "␍␊\n"));
    out
}

fn csv_upload() -> UploadFile {
    UploadFile::new(
        "offers week 48.csv",
        RequestBody::from_bytes(&b"sku;name\n1;Shoe\n"[..]),
    )
    .boundary("sdm-rs-test-boundary")
}

// --- requests -----------------------------------------------------------------------------------

#[test]
fn upload_file_multipart_framing() {
    let request = csv_upload().skip_lines(2).request(&config()).unwrap();
    assert_snapshot!(render_raw(&request));
}

#[test]
fn upload_file_without_skip_lines_has_only_the_file_part() {
    let request = csv_upload().request(&config()).unwrap();
    let body = String::from_utf8(request.body().to_vec().unwrap()).unwrap();
    assert!(!body.contains("skip_lines"), "{body}");
    assert_eq!(
        request.headers()["content-length"],
        body.len().to_string().as_str()
    );
}

#[test]
fn upload_file_from_disk_is_streamed_with_its_length() {
    let dir = std::env::temp_dir().join(format!("sdm-core-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("catalog.XLSX");
    std::fs::write(&path, vec![7u8; 300_000]).unwrap();
    let op = UploadFile::from_path(&path).unwrap().boundary("b");
    assert_eq!(op.file_name(), "catalog.XLSX");
    let request = op.request(&config()).unwrap();
    let body = request.body();
    assert!(body.is_streamed(), "the file is not read into memory");
    let bytes = body.to_vec().unwrap();
    assert_eq!(body.len(), bytes.len() as u64);
    assert_eq!(
        request.headers()["content-length"],
        body.len().to_string().as_str()
    );
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains(
        "filename=\"catalog.XLSX\"\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn upload_rows_as_json() {
    let rows: Vec<Row> =
        serde_json::from_str(r#"[{"sku": "1", "name": "Shoe"}, {"sku": "2"}]"#).unwrap();
    let request = UploadRows::new(&rows).request(&config()).unwrap();
    assert_snapshot!(render_request(&request));
}

#[test]
fn get_file_create_job_projects_and_download() {
    let requests = [
        GetFile::new(FileId(12)).request(&config()).unwrap(),
        CreateJob::new(FileId(12), ProjectId(3), "Offers \"48\"")
            .model_version(2)
            .request(&config())
            .unwrap(),
        ListProjects::new(ProjectQuery::new().page(2).page_size(50))
            .request(&config())
            .unwrap(),
        GetProject::new(ProjectId(3)).request(&config()).unwrap(),
        DownloadJobFile::new(job_id(), OutputFormatId(7))
            .request(&config())
            .unwrap(),
    ];
    let text: Vec<String> = requests.iter().map(render_request).collect();
    assert_snapshot!(text.join("\n"));
}

#[test]
fn integer_ids_refuse_anything_but_digits() {
    for bad in ["", "-1", "1/../2", "12 ", "0x10"] {
        assert!(bad.parse::<FileId>().is_err(), "{bad:?}");
        assert!(bad.parse::<ProjectId>().is_err(), "{bad:?}");
    }
    assert_eq!("12".parse::<FileId>().unwrap(), FileId(12));
}

// --- responses ----------------------------------------------------------------------------------

#[test]
fn an_uploaded_file_and_its_parsing() {
    let created = csv_upload()
        .parse(&response(
            201,
            &[],
            r#"{"id": 12, "status": "parsing", "name": "offers.csv"}"#,
        ))
        .unwrap();
    assert_eq!(
        (created.id, created.status),
        (FileId(12), FileStatus::Parsing)
    );
    let failed = GetFile::new(FileId(12))
        .parse(&ok(
            r#"{"id": 12, "status": "error", "parsing_error": "No header line"}"#,
        ))
        .unwrap();
    assert_eq!(failed.status, FileStatus::Error);
    assert_eq!(failed.parsing_error.as_deref(), Some("No header line"));
    let error = GetFile::new(FileId(12))
        .parse(&ok(r#"{"id": "twelve", "status": "ready"}"#))
        .unwrap_err();
    assert_snapshot!(error.to_string());
}

#[test]
fn a_created_job_is_a_job() {
    let job = CreateJob::new(FileId(12), ProjectId(3), "x")
        .parse(&response(
            201,
            &[],
            r#"{"id": "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b", "status": "running", "project": 3}"#,
        ))
        .unwrap();
    assert_eq!(job.id, job_id());
    assert_eq!(job.project.unwrap().id, ProjectId(3));
}

#[test]
fn validation_errors_read_as_text() {
    let error = CreateJob::new(FileId(12), ProjectId(5), "x")
        .parse(&response(
            400,
            &[("content-type", "application/json")],
            r#"{"project": ["Invalid pk \"5\" - object does not exist."], "name": ["This field may not be blank.", "Too short."]}"#,
        ))
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains(r#"project: Invalid pk "5" - object does not exist."#),
        "{text}"
    );
    assert!(!text.contains(r#"\""#), "no escaped JSON: {text}");
    assert_snapshot!(text);
}

#[test]
fn projects_pages_and_details() {
    let page = ListProjects::new(ProjectQuery::new())
        .parse(&ok(
            r#"{"count": 2, "next": null, "previous": null, "results": [{"id": 1, "name": "Shoes"}, {"id": 2, "name": "Bags", "archived": false}]}"#,
        ))
        .unwrap();
    assert_eq!(page.count, 2);
    assert_eq!(
        page.results[1].field("archived").map(|v| v.get()),
        Some("false")
    );
    let project = GetProject::new(ProjectId(1))
        .parse(&ok(
            r#"{"id": 1, "name": "Shoes", "steps": [{"id": 9, "number": 2, "type": "extraction", "name": "Extract"}, {"id": 8, "number": 1, "type": "mappings", "name": "Map"}]}"#,
        ))
        .unwrap();
    let steps: Vec<(u64, Option<&str>)> = project
        .steps
        .iter()
        .map(|s| (s.id, s.kind.as_deref()))
        .collect();
    assert_eq!(steps, [(8, Some("mappings")), (9, Some("extraction"))]);
}

// --- clients: creates are never sent twice by accident -------------------------------------------

/// What the scripted server answers to one request.
type Answer = Result<Response<Vec<u8>>, TransportErrorKind>;

/// A scripted server: each request gets the next answer; every request body is recorded.
#[derive(Default)]
struct Script {
    answers: Mutex<Vec<Answer>>,
    bodies: Mutex<Vec<Vec<u8>>>,
}

impl Script {
    fn new(answers: Vec<Answer>) -> Arc<Self> {
        let mut answers = answers;
        answers.reverse();
        Arc::new(Self {
            answers: Mutex::new(answers),
            bodies: Mutex::default(),
        })
    }

    fn client(self: &Arc<Self>) -> BlockingClient<impl sdm_core::transport::Transport + use<>> {
        self.client_with(retrying())
    }

    fn client_with(
        self: &Arc<Self>,
        config: sdm_core::ClientConfig,
    ) -> BlockingClient<impl sdm_core::transport::Transport + use<>> {
        let script = Arc::clone(self);
        let transport = transport_fn(move |request: Request<Vec<u8>>| {
            script.bodies.lock().unwrap().push(request.into_body());
            let answer = script
                .answers
                .lock()
                .unwrap()
                .pop()
                .expect("an answer per request");
            answer.map_err(TransportError::from_kind)
        });
        BlockingClient::with_transport(config, transport)
    }

    fn sent(&self) -> Vec<Vec<u8>> {
        self.bodies.lock().unwrap().clone()
    }
}

/// Retries as in production, without the waits and without pacing.
fn retrying() -> sdm_core::ClientConfig {
    let mut policy = RetryPolicy::default();
    policy.initial_backoff = std::time::Duration::ZERO;
    config().with_retry_policy(policy).with_rate_limit(None)
}

fn created_file() -> Response<Vec<u8>> {
    response(201, &[], r#"{"id": 12, "status": "parsing"}"#)
}

fn throttled() -> Response<Vec<u8>> {
    response(
        429,
        &[("retry-after", "0")],
        r#"{"detail": "Request was throttled."}"#,
    )
}

#[test]
fn an_unconfirmed_create_still_names_the_setting_that_refused_its_answer() {
    let long_name = "x".repeat(4096);
    let job = format!(r#"{{"id": "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b", "name": "{long_name}"}}"#);
    let script = Script::new(vec![Ok(response(201, &[], job.as_str()))]);
    let error = script
        .client_with(retrying().with_max_document_bytes(1024))
        .create_job(&CreateJob::new(FileId(12), ProjectId(3), "x"))
        .unwrap_err();
    assert!(matches!(error, Error::Unconfirmed(_)), "{error:?}");
    assert_eq!(error.setting(), Some(sdm_core::Setting::MaxDocumentBytes));
}

#[test]
fn an_upload_is_sent_again_after_a_429_byte_for_byte() {
    let script = Script::new(vec![Ok(throttled()), Ok(created_file())]);
    let file = script.client().upload_file(&csv_upload()).unwrap();
    assert_eq!(file.id, FileId(12));
    let sent = script.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0], sent[1]);
    assert_eq!(
        sent[0],
        csv_upload()
            .request(&config())
            .unwrap()
            .body()
            .to_vec()
            .unwrap()
    );
}

#[test]
fn a_create_is_sent_again_when_the_connection_failed_before_it_was_written() {
    let job = r#"{"id": "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b", "status": "running"}"#;
    let script = Script::new(vec![
        Err(TransportErrorKind::Connect),
        Ok(response(201, &[], job)),
    ]);
    let created = script
        .client()
        .create_job(&CreateJob::new(FileId(12), ProjectId(3), "x"))
        .unwrap();
    assert_eq!(created.id, job_id());
    assert_eq!(script.sent().len(), 2);
}

#[test]
fn a_create_that_may_have_happened_is_reported_not_resent() {
    let cases: Vec<(&str, Answer)> = vec![
        ("timeout", Err(TransportErrorKind::Timeout)),
        ("connection lost", Err(TransportErrorKind::Io)),
        (
            "server error",
            Ok(response(502, &[], "<html>Bad gateway</html>")),
        ),
        ("unreadable success", Ok(response(201, &[], "{\"id\": "))),
    ];
    for (case, answer) in cases {
        let script = Script::new(vec![answer]);
        let error = script
            .client()
            .create_job(&CreateJob::new(FileId(12), ProjectId(3), "Offers"))
            .unwrap_err();
        assert_eq!(script.sent().len(), 1, "{case}: sent once");
        let Error::Unconfirmed(unconfirmed) = &error else {
            panic!("{case}: {error:?}");
        };
        assert_eq!(
            unconfirmed.created,
            Created::Job {
                name: "Offers".into(),
                project: ProjectId(3)
            },
            "{case}"
        );
        let text = error.to_string();
        assert!(text.contains("may have been created"), "{case}: {text}");
        assert!(
            text.contains("list the jobs of project 3 created since"),
            "{case}: {text}"
        );
    }
    let script = Script::new(vec![Err(TransportErrorKind::Timeout)]);
    let error = script.client().upload_file(&csv_upload()).unwrap_err();
    assert_eq!(script.sent().len(), 1);
    assert!(
        matches!(error.underlying(), Error::Transport(_)),
        "{error:?}"
    );
    assert_snapshot!(
        "upload_unconfirmed",
        error.to_string().split(" since ").next().unwrap()
    );
}

#[test]
fn a_refused_create_is_neither_resent_nor_unconfirmed() {
    for status in [400, 401, 403, 404] {
        let script = Script::new(vec![Ok(response(status, &[], r#"{"detail": "no"}"#))]);
        let error = script.client().upload_file(&csv_upload()).unwrap_err();
        assert_eq!(script.sent().len(), 1);
        assert!(
            !matches!(error, Error::Unconfirmed(_)),
            "{status}: {error:?}"
        );
    }
}

#[test]
fn a_read_is_still_retried_after_a_lost_connection() {
    let script = Script::new(vec![
        Err(TransportErrorKind::Io),
        Ok(ok(r#"{"id": 12, "status": "ready"}"#)),
    ]);
    let file = script.client().get_file(FileId(12)).unwrap();
    assert_eq!(file.status, FileStatus::Ready);
    assert_eq!(script.sent().len(), 2);
}

#[test]
fn waiting_for_a_file_ends_ready_or_in_error() {
    let script = Script::new(vec![
        Ok(ok(r#"{"id": 12, "status": "parsing"}"#)),
        Ok(ok(r#"{"id": 12, "status": "parsing"}"#)),
        Ok(ok(
            r#"{"id": 12, "status": "error", "parsing_error": "More than 800000 cells"}"#,
        )),
    ]);
    let mut seen = Vec::new();
    let options = WaitOptions::default().interval(std::time::Duration::ZERO);
    let outcome = script
        .client()
        .wait_for_file(FileId(12), options, |file| seen.push(file.status.clone()))
        .unwrap();
    let WaitOutcome::Failed(file) = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(
        file.parsing_error.as_deref(),
        Some("More than 800000 cells")
    );
    assert_eq!(
        seen,
        [FileStatus::Parsing, FileStatus::Error],
        "changes only"
    );
}

#[test]
fn every_project_over_all_pages_on_both_clients() {
    let page = |n: u64, next: bool| {
        let next = if next {
            format!("\"{}projects/?page={}\"", common::BASE, n + 1)
        } else {
            "null".into()
        };
        ok(format!(
            r#"{{"count": 3, "next": {next}, "previous": null, "results": [{{"id": {n}, "name": "P{n}"}}]}}"#
        ))
    };
    let answers = || vec![Ok(page(1, true)), Ok(page(2, true)), Ok(page(3, false))];
    let script = Script::new(answers());
    let ids: Vec<u64> = script
        .client()
        .projects(
            &ProjectQuery::new(),
            PagerOptions::default().page_size(1).concurrency(1),
        )
        .map(|p| p.unwrap().id.get())
        .collect();
    assert_eq!(ids, [1, 2, 3]);

    let pages = Arc::new(Mutex::new(answers().into_iter().rev().collect::<Vec<_>>()));
    let transport = transport_fn(move |_request: Request<Vec<u8>>| {
        pages
            .lock()
            .unwrap()
            .pop()
            .unwrap()
            .map_err(TransportError::from_kind)
    });
    let client = AsyncClient::with_transport(unpaced(client_config()), transport);
    let ids: Vec<u64> = block_on(async {
        use futures_util::StreamExt;
        client
            .projects(
                &ProjectQuery::new(),
                PagerOptions::default().page_size(1).concurrency(1),
            )
            .map(|p| p.unwrap().id.get())
            .collect()
            .await
    });
    assert_eq!(ids, [1, 2, 3]);
}

#[test]
fn a_download_streams_with_its_name_and_fails_when_cut_short() {
    use std::io::Read;
    let head = [
        ("content-type", "text/csv"),
        (
            "content-disposition",
            "attachment; filename*=utf-8''r%C3%A9sultat.csv",
        ),
        ("content-length", "8"),
    ];
    let script = Script::new(vec![Ok(response(200, &head, "sku\n1\n2\n"))]);
    let mut download = script
        .client()
        .download(&job_id(), OutputFormatId(7))
        .unwrap();
    assert_eq!(download.info().file_name.as_deref(), Some("résultat.csv"));
    assert_eq!(download.info().content_type.as_deref(), Some("text/csv"));
    let mut bytes = Vec::new();
    download.read_to_end(&mut bytes).unwrap();
    assert_eq!(bytes, b"sku\n1\n2\n");

    let short = [("content-length", "100")];
    let script = Script::new(vec![Ok(response(200, &short, "sku\n1\n"))]);
    let mut download = script
        .client()
        .download(&job_id(), OutputFormatId(7))
        .unwrap();
    let mut buf = [0u8; 64];
    let mut error = None;
    for _ in 0..4 {
        match download.read_chunk(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let error = error.expect("a body short of its length is an error");
    let Error::Transport(failure) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(failure.error.kind(), TransportErrorKind::Io);
    let cause = std::error::Error::source(&error).map(|e| e.to_string());
    assert!(
        cause
            .unwrap_or_default()
            .contains("ended after 6 of 100 bytes"),
        "{error:?}"
    );
}
