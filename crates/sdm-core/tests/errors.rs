//! Non-success responses become typed errors: Django REST Framework bodies, proxy pages, empty
//! bodies, rate limiting and redirects. Each snapshot shows the one-line `Display`, the status,
//! the `source` chain and the pretty `Debug`.

mod common;

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use common::{client_config, fixture, job_id, render_error, response};
use insta::assert_snapshot;
use sdm_core::http::{Request, Response, StatusCode};
use sdm_core::ops::{CreateToken, GetJob, GetJobData, JobQuery, ListJobs, Operation};
use sdm_core::transport::transport_fn;
use sdm_core::{
    ApiError, BlockingClient, Error, FieldError, OutputFormatId, Password, RetryAfter,
    TransportError, TransportErrorKind,
};

fn get_job(response: Response<Vec<u8>>) -> Error {
    GetJob::new(job_id()).parse(&response).unwrap_err()
}

fn list_jobs(query: JobQuery, response: Response<Vec<u8>>) -> Error {
    ListJobs::new(query).parse(&response).unwrap_err()
}

fn login(response: Response<Vec<u8>>) -> Error {
    CreateToken::new("ana@example.com", Password::new("wrong"), "sdm-cli")
        .parse(&response)
        .unwrap_err()
}

fn json_error(status: u16, name: &str) -> Response<Vec<u8>> {
    response(
        status,
        &[("content-type", "application/json")],
        fixture(name),
    )
}

/// The `ApiError` of an HTTP error, checking the status and that there is no `source`: the
/// response itself is the whole story.
fn api_error(error: &Error, status: u16) -> &ApiError {
    assert_eq!(error.status(), Some(StatusCode::from_u16(status).unwrap()));
    assert!(error.source().is_none(), "{error:?}");
    error.api_error().expect("an HTTP error")
}

#[test]
fn unauthorized_401_is_an_authentication_error() {
    let error = get_job(response(
        401,
        &[
            ("content-type", "application/json"),
            ("www-authenticate", "Token"),
        ],
        fixture("error_401_invalid_token.json"),
    ));
    assert!(matches!(error, Error::Authentication(_)), "{error:?}");
    assert_eq!(
        api_error(&error, 401).detail.as_deref(),
        Some("Invalid token.")
    );
    assert_snapshot!(render_error(&error));
}

#[test]
fn forbidden_403_is_a_permission_error() {
    let error = get_job(json_error(403, "error_403_permission.json"));
    assert!(matches!(error, Error::Permission(_)), "{error:?}");
    api_error(&error, 403);
    assert_snapshot!(render_error(&error));
}

#[test]
fn not_found_404() {
    let error = get_job(json_error(404, "error_404_not_found.json"));
    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    assert_eq!(api_error(&error, 404).detail.as_deref(), Some("Not found."));
    assert_snapshot!(render_error(&error));
}

#[test]
fn a_page_past_the_end_is_not_found() {
    let error = list_jobs(
        JobQuery::new().page(9),
        json_error(404, "error_404_invalid_page.json"),
    );
    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    assert_eq!(
        api_error(&error, 404).detail.as_deref(),
        Some("Invalid page.")
    );
    assert_snapshot!(render_error(&error));
}

#[test]
fn bad_credentials_400_give_the_non_field_error() {
    let error = login(json_error(400, "error_400_bad_credentials.json"));
    // DRF says "wrong credentials" with a 400; the operation knows it is a refusal.
    assert!(matches!(error, Error::Authentication(_)), "{error:?}");
    let api = api_error(&error, 400);
    assert_eq!(
        api.detail.as_deref(),
        Some("Unable to log in with provided credentials.")
    );
    assert!(api.field_errors.is_empty());
    assert!(
        !format!("{error}{error:?}").contains("wrong"),
        "no password"
    );
    assert_snapshot!(render_error(&error));
}

#[test]
fn field_errors_400_keep_the_server_order() {
    let error = list_jobs(
        JobQuery::new(),
        json_error(400, "error_400_field_errors.json"),
    );
    assert!(matches!(error, Error::Api(_)), "{error:?}");
    let api = api_error(&error, 400);
    assert_eq!(api.detail, None);
    assert_eq!(
        api.field_errors,
        [
            FieldError::new("created_after", vec!["Enter a valid date/time.".into()]),
            FieldError::new(
                "status",
                vec!["Select a valid choice. x is not one of the available choices.".into()]
            ),
        ]
    );
    assert_snapshot!(render_error(&error));
}

fn throttled(retry_after: Option<&str>) -> Error {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(value) = retry_after {
        headers.push(("retry-after", value));
    }
    get_job(response(429, &headers, fixture("error_429_throttled.json")))
}

#[test]
fn rate_limited_429_with_retry_after_in_seconds() {
    let error = throttled(Some("30"));
    assert!(matches!(error, Error::RateLimited(_)), "{error:?}");
    assert_eq!(
        api_error(&error, 429).retry_after,
        Some(RetryAfter::Delay(Duration::from_secs(30)))
    );
    assert_snapshot!(render_error(&error));
}

#[test]
fn rate_limited_429_with_retry_after_as_an_http_date() {
    let error = throttled(Some("Wed, 21 Oct 2015 07:28:00 GMT"));
    assert!(matches!(error, Error::RateLimited(_)), "{error:?}");
    let at = Utc.with_ymd_and_hms(2015, 10, 21, 7, 28, 0).unwrap();
    let retry_after = api_error(&error, 429).retry_after.unwrap();
    assert_eq!(retry_after, RetryAfter::At(at));
    assert_eq!(
        retry_after.delay_from(at - chrono::Duration::seconds(12)),
        Duration::from_secs(12)
    );
    assert_eq!(
        retry_after.delay_from(at + chrono::Duration::seconds(1)),
        Duration::ZERO
    );
    assert_snapshot!(render_error(&error));
}

#[test]
fn rate_limited_429_with_a_garbage_retry_after() {
    let error = throttled(Some("soon, maybe"));
    assert!(matches!(error, Error::RateLimited(_)), "{error:?}");
    assert_eq!(api_error(&error, 429).retry_after, None);
    assert_snapshot!(render_error(&error));
}

#[test]
fn rate_limited_429_without_retry_after() {
    let error = throttled(None);
    assert!(matches!(error, Error::RateLimited(_)), "{error:?}");
    assert_eq!(api_error(&error, 429).retry_after, None);
    // Garbage and absence read the same.
    assert_eq!(
        error.to_string(),
        throttled(Some("soon, maybe")).to_string()
    );
    assert_snapshot!(render_error(&error));
}

#[test]
fn method_not_allowed_405() {
    let error = get_job(json_error(405, "error_405_method.json"));
    assert!(matches!(error, Error::Api(_)), "{error:?}");
    assert_eq!(
        api_error(&error, 405).detail.as_deref(),
        Some("Method \"GET\" not allowed.")
    );
    assert_snapshot!(render_error(&error));
}

#[test]
fn bad_gateway_502_html_page_from_a_proxy() {
    let error = get_job(response(
        502,
        &[("content-type", "text/html"), ("server", "nginx/1.25.3")],
        fixture("nginx_502.html"),
    ));
    assert!(matches!(error, Error::Api(_)), "{error:?}");
    let api = api_error(&error, 502);
    assert_eq!(api.detail, None);
    let excerpt = api.excerpt.as_deref().unwrap();
    assert!(excerpt.contains("<h1>502 Bad Gateway</h1>"), "{excerpt}");
    assert!(!excerpt.contains('\n'));
    // The page is reported, not parsed: no JSON complaint.
    let display = error.to_string();
    for word in ["JSON", "json", "expected value", "decode"] {
        assert!(!display.contains(word), "{display}");
    }
    assert_snapshot!(render_error(&error));
}

#[test]
fn service_unavailable_503_with_an_empty_body() {
    let error = list_jobs(JobQuery::new(), response(503, &[], Vec::new()));
    assert!(matches!(error, Error::Api(_)), "{error:?}");
    let api = api_error(&error, 503);
    assert_eq!((&api.detail, &api.excerpt), (&None, &None));
    assert_snapshot!(render_error(&error));
}

#[test]
fn server_error_500_with_a_json_array_body() {
    let error = GetJobData::new(job_id(), OutputFormatId(42))
        .parse(&json_error(500, "error_500_array.json"))
        .unwrap_err();
    assert!(matches!(error, Error::Api(_)), "{error:?}");
    assert_eq!(
        api_error(&error, 500).detail.as_deref(),
        Some("Internal server error: the database is unavailable.")
    );
    assert_snapshot!(render_error(&error));
}

#[test]
fn moved_permanently_301_is_not_followed() {
    let location = "https://sdm.akeneo.cloud/api/v1/jobs/9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b/";
    let error = get_job(response(
        301,
        &[("content-type", "text/html"), ("location", location)],
        fixture("nginx_301.html"),
    ));
    assert!(matches!(error, Error::Api(_)), "{error:?}");
    api_error(&error, 301);
    assert_snapshot!(render_error(&error));
}

#[test]
fn a_json_body_that_is_not_drf_shaped_is_quoted() {
    // A JSON scalar is neither `{"detail": …}` nor a list of messages.
    let error = get_job(response(500, &[], &b"\"oops\""[..]));
    assert_eq!(api_error(&error, 500).excerpt.as_deref(), Some("\"oops\""));
    // Nested DRF messages are flattened with their keys.
    let error = list_jobs(
        JobQuery::new(),
        response(
            400,
            &[],
            &br#"{"detail": {"code": "bad", "message": ["one", "two"]}, "page": null}"#[..],
        ),
    );
    let api = api_error(&error, 400);
    assert_eq!(
        api.detail.as_deref(),
        Some("code: bad message: one message: two")
    );
    assert_eq!(api.field_errors, [FieldError::new("page", vec![])]);
}

#[test]
fn transport_errors_name_the_operation_and_keep_the_cause() {
    let refused = |_: Request<Vec<u8>>| -> Result<Response<Vec<u8>>, TransportError> {
        Err(TransportError::new(
            TransportErrorKind::Connect,
            io::Error::new(io::ErrorKind::ConnectionRefused, "refused"),
        ))
    };
    let client = BlockingClient::with_transport(client_config(), transport_fn(refused));
    let error = client.get_job(&job_id()).unwrap_err();
    let Error::Transport(failure) = &error else {
        panic!("expected a transport error, got {error:?}");
    };
    assert_eq!(failure.error.kind(), TransportErrorKind::Connect);
    assert_eq!(error.status(), None);
    assert!(
        error
            .to_string()
            .starts_with("get job 9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b: ")
    );
    // The chain reaches the io error itself.
    let mut cause = error.source();
    let mut io_error = None;
    while let Some(current) = cause {
        if let Some(found) = current.downcast_ref::<io::Error>() {
            io_error = Some(found);
            break;
        }
        cause = current.source();
    }
    let io_error = io_error.expect("an io::Error in the source chain");
    assert_eq!(io_error.kind(), io::ErrorKind::ConnectionRefused);
    assert_snapshot!(render_error(&error));
}

#[test]
fn transport_errors_without_a_cause() {
    let timeout = |_: Request<Vec<u8>>| -> Result<Response<Vec<u8>>, TransportError> {
        Err(TransportError::from_kind(TransportErrorKind::Timeout))
    };
    let client = BlockingClient::with_transport(client_config(), transport_fn(timeout));
    let error = client.list_jobs(&JobQuery::new().page(3)).unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert!(error.source().is_none());
    assert_snapshot!(error.to_string());
}

/// A redirect is reported, not followed; where it points is what a user needs to fix their base
/// URL (`http://` for `https://`, a missing `/api/v1`), but `ApiError` drops the `Location`.
#[test]

fn a_redirect_says_where_it_points() {
    let location = "https://sdm.akeneo.cloud/api/v1/jobs/9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b/";
    let error = get_job(response(
        301,
        &[("content-type", "text/html"), ("location", location)],
        fixture("nginx_301.html"),
    ));
    assert!(error.to_string().contains(location), "{error}");
}
