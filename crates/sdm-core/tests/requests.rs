//! The requests every operation builds, as text: method, URI, query, headers and body.
//!
//! Secrets never reach a snapshot: `render_request` shows `Token [redacted]` and a `[redacted]`
//! password, and separate assertions check that the real request carries the real values.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use common::{BASE, JOB_ID, PASSWORD, TOKEN, config, job_id, render_request};
use insta::assert_snapshot;
use sdm_core::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use sdm_core::http::{Method, Request};
use sdm_core::ops::{CreateToken, GetJob, GetJobData, JobQuery, ListJobs, Operation};
use sdm_core::transport::RequestBody;
use sdm_core::{BaseUrl, ClientConfig, Error, JobId, JobStatus, OutputFormatId, Password};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn login_op() -> CreateToken {
    CreateToken::new("ana@example.com", Password::new(PASSWORD), "sdm-cli")
}

fn list(query: JobQuery) -> Request<RequestBody> {
    ListJobs::new(query).request(&config()).unwrap()
}

/// One request of each operation under `config`.
fn one_of_each(config: &ClientConfig) -> Vec<Request<RequestBody>> {
    vec![
        GetJob::new(job_id()).request(config).unwrap(),
        ListJobs::new(JobQuery::new().page(2))
            .request(config)
            .unwrap(),
        GetJobData::new(job_id(), OutputFormatId(42))
            .request(config)
            .unwrap(),
        login_op().request(config).unwrap(),
    ]
}

#[test]
fn get_job() {
    let request = GetJob::new(job_id()).request(&config()).unwrap();
    assert_snapshot!(render_request(&request));
}

#[test]
fn get_job_with_an_upper_case_id_asks_for_the_same_path() {
    let upper = JobId::parse(&JOB_ID.to_ascii_uppercase()).unwrap();
    let from_upper = GetJob::new(upper).request(&config()).unwrap();
    let from_lower = GetJob::new(job_id()).request(&config()).unwrap();
    assert_eq!(from_upper.uri(), from_lower.uri());
    assert_eq!(render_request(&from_upper), render_request(&from_lower));
}

#[test]
fn the_token_is_sent_as_is_and_marked_sensitive() {
    let request = GetJob::new(job_id()).request(&config()).unwrap();
    let authorization = &request.headers()[AUTHORIZATION];
    assert_eq!(authorization.to_str().unwrap(), format!("Token {TOKEN}"));
    assert!(authorization.is_sensitive());
    assert_eq!(request.headers().get_all(AUTHORIZATION).iter().count(), 1);
}

#[test]
fn list_jobs_without_filter() {
    assert_snapshot!(render_request(&list(JobQuery::new())));
}

#[test]
fn list_jobs_with_every_filter() {
    let query = JobQuery::new()
        .status(JobStatus::Done)
        .project(3)
        .created_after(utc("2022-01-01T00:00:00Z"))
        .created_before(utc("2022-04-14T08:48:37.109159Z"))
        .page(2)
        .page_size(100);
    assert_snapshot!(render_request(&list(query)));
}

#[test]
fn list_jobs_created_before_keeps_fractional_seconds() {
    // Milliseconds, microseconds (the server's precision) and whole seconds.
    let requests = [
        utc("2022-04-17T09:53:32.12Z"),
        utc("2022-04-14T08:48:37.109159Z"),
        utc("2022-04-14T08:48:37Z"),
    ]
    .map(|t| list(JobQuery::new().created_before(t)).uri().to_string());
    assert_snapshot!(requests.join("\n"));
}

#[test]
fn list_jobs_timestamps_are_utc_and_percent_encoded() {
    // A time given with an offset is sent in UTC with `Z`: no `+` that a server could read as a
    // space, and every `:` percent-encoded.
    let paris = chrono::FixedOffset::east_opt(2 * 3600)
        .unwrap()
        .with_ymd_and_hms(2022, 1, 1, 2, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let request = list(
        JobQuery::new()
            .created_after(paris)
            .created_before(utc("2022-06-30T23:59:59.5+02:00")),
    );
    let query = request.uri().query().unwrap();
    assert_eq!(
        query,
        "created_after=2022-01-01T00%3A00%3A00Z&created_before=2022-06-30T21%3A59%3A59.500Z"
    );
    assert!(!query.contains(':') && !query.contains('+'), "{query}");
}

#[test]
fn list_jobs_with_an_unknown_status() {
    let request = list(JobQuery::new().status(JobStatus::from_api("archived")));
    assert_snapshot!(render_request(&request));
}

#[test]
fn list_jobs_status_text_cannot_add_query_parameters() {
    let request = list(JobQuery::new().status(JobStatus::from_api("done&page_size=1000 x+y")));
    assert_snapshot!(render_request(&request));
}

#[test]
fn job_data() {
    let request = GetJobData::new(job_id(), OutputFormatId(42))
        .request(&config())
        .unwrap();
    assert_snapshot!(render_request(&request));
}

#[test]
fn create_token() {
    let request = login_op().request(&config()).unwrap();
    assert_snapshot!(render_request(&request));
}

#[test]
fn create_token_sends_the_real_password_and_no_token() {
    let request = login_op().request(&config()).unwrap();
    let body: serde_json::Value =
        serde_json::from_slice(&request.body().to_vec().unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "email": "ana@example.com",
            "password": PASSWORD,
            "token_name": "sdm-cli",
        })
    );
    assert_eq!(request.headers()[CONTENT_TYPE], "application/json");
    // Credentials go in the body; a configured token is not sent along.
    assert!(request.headers().get(AUTHORIZATION).is_none());
    // And no token is needed to create one.
    let without_token = ClientConfig::new(BASE).unwrap();
    assert_eq!(
        render_request(&login_op().request(&without_token).unwrap()),
        render_request(&request)
    );
    assert!(!format!("{:?}", login_op()).contains(PASSWORD));
}

#[test]
fn the_same_requests_under_every_kind_of_base_url() {
    let mut out = String::new();
    for base in [
        "https://sdm.akeneo.cloud/api/v1/",
        "https://sdm.akeneo.cloud/api/v1",
        "https://proxy.example/sdm/api/v1",
        "https://proxy.example/sdm/api/v1/",
        "http://127.0.0.1:8080",
        "http://127.0.0.1:8080/",
    ] {
        let config = ClientConfig::new(base).unwrap().with_token(TOKEN);
        out.push_str(&format!("base {base}\n"));
        for request in one_of_each(&config) {
            out.push_str(&format!("  {} {}\n", request.method(), request.uri()));
        }
    }
    assert_snapshot!(out);
}

#[test]
fn every_path_ends_with_a_slash() {
    for base in [
        BASE,
        "https://proxy.example/sdm/api/v1",
        "http://127.0.0.1:8080",
    ] {
        let config = ClientConfig::new(base).unwrap().with_token(TOKEN);
        for request in one_of_each(&config) {
            assert!(request.uri().path().ends_with('/'), "{}", request.uri());
        }
    }
}

#[test]
fn common_headers() {
    for request in one_of_each(&config()) {
        assert_eq!(request.headers()[ACCEPT], "application/json");
        assert_eq!(request.headers()[USER_AGENT], sdm_core::USER_AGENT);
    }
    assert_eq!(
        sdm_core::USER_AGENT,
        format!("sdm-core/{}", env!("CARGO_PKG_VERSION"))
    );
    let prefixed = config().with_user_agent_prefix("my-sync/2.1");
    let request = GetJob::new(job_id()).request(&prefixed).unwrap();
    assert_eq!(
        request.headers()[USER_AGENT],
        format!("my-sync/2.1 sdm-core/{}", env!("CARGO_PKG_VERSION"))
    );
    assert_snapshot!(render_request(&request));
}

#[test]
fn gets_have_no_body_and_no_content_type() {
    for request in &one_of_each(&config())[..3] {
        assert_eq!(request.method(), Method::GET);
        assert!(request.body().is_empty());
        assert!(request.headers().get(CONTENT_TYPE).is_none());
    }
}

#[test]
fn requests_needing_a_token_fail_without_one() {
    let config = ClientConfig::new(BASE).unwrap();
    let errors = [
        GetJob::new(job_id()).request(&config).unwrap_err(),
        ListJobs::new(JobQuery::new()).request(&config).unwrap_err(),
        GetJobData::new(job_id(), OutputFormatId(1))
            .request(&config)
            .unwrap_err(),
    ];
    for error in &errors {
        assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
        assert_eq!(error.status(), None);
    }
    assert_snapshot!(errors[0].to_string());
    assert_eq!(errors[1].to_string(), errors[0].to_string());
    assert_eq!(errors[2].to_string(), errors[0].to_string());
}

#[test]
fn a_token_that_cannot_be_a_header_is_refused_without_printing_it() {
    let config = ClientConfig::new(BASE)
        .unwrap()
        .with_token("secret-part\r\nX-Injected: 1");
    let error = GetJob::new(job_id()).request(&config).unwrap_err();
    assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
    assert!(!format!("{error} {error:?}").contains("secret-part"));
    assert_snapshot!(error.to_string());
}

#[test]
fn page_zero_and_page_size_zero_are_refused() {
    let page = ListJobs::new(JobQuery::new().page(0))
        .request(&config())
        .unwrap_err();
    let page_size = ListJobs::new(JobQuery::new().page_size(0))
        .request(&config())
        .unwrap_err();
    assert!(matches!(page, Error::InvalidInput(_)), "{page:?}");
    assert!(matches!(page_size, Error::InvalidInput(_)), "{page_size:?}");
    assert_snapshot!(format!("{page}\n{page_size}"));
    // The first page and a page of one are fine.
    list(JobQuery::new().page(1).page_size(1));
}

/// A `next` link from the server, on the base URL's origin (path prefix and query kept as sent).
fn next_link(base: &str, query: &str) -> ListJobs {
    let jobs = BaseUrl::parse(base).unwrap().endpoint(&["jobs"]);
    ListJobs::next_link(format!("{jobs}?{query}").parse().unwrap(), 2)
}

#[test]
fn next_links_are_requested_as_the_server_wrote_them() {
    let op = next_link(
        BASE,
        "page=2&status=done&created_after=2022-01-01T00%3A00%3A00Z",
    );
    assert_eq!(op.describe(), "list jobs (page 2)");
    let request = op.request(&config()).unwrap();
    assert_eq!(request.headers()[AUTHORIZATION], format!("Token {TOKEN}"));
    assert_snapshot!(render_request(&request));
}

#[test]
fn next_links_to_another_origin_are_refused_before_sending_the_token() {
    let mut refused = Vec::new();
    for other in [
        "https://evil.example/api/v1/",
        "http://sdm.akeneo.cloud/api/v1/",
        "https://sdm.akeneo.cloud:8443/api/v1/",
        "https://sdm.akeneo.cloud.evil.example/api/v1/",
    ] {
        let error = next_link(other, "page=2").request(&config()).unwrap_err();
        assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
        assert!(!format!("{error}{error:?}").contains(TOKEN));
        refused.push(error.to_string());
    }
    assert_snapshot!(refused.join("\n"));
}
