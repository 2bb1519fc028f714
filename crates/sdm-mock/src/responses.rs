//! Response builders: DRF JSON bodies (`{"detail": ...}`, field errors) and Django's HTML 404.

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use serde_json::json;

use crate::auth::AuthError;
use crate::fair_use::throttled_detail;

/// Django's production 404 page.
const NOT_FOUND_HTML: &str = "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n";

/// A compact JSON response (DRF's `JSONRenderer`: no spaces, UTF-8 kept as is).
pub(crate) fn json(status: StatusCode, body: &impl Serialize) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    with_type(status, Body::from(bytes), "application/json")
}

/// `{"detail": message}` with the given status.
pub(crate) fn detail(status: StatusCode, message: &str) -> Response {
    json(status, &json!({ "detail": message }))
}

/// DRF's 404 for an object that does not exist.
pub(crate) fn not_found() -> Response {
    detail(StatusCode::NOT_FOUND, "Not found.")
}

/// DRF's 405.
pub(crate) fn method_not_allowed(method: &Method) -> Response {
    detail(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("Method \"{method}\" not allowed."),
    )
}

/// DRF's 401 for a failed authentication, with `WWW-Authenticate: Token`.
pub(crate) fn unauthorized(error: AuthError) -> Response {
    let mut response = detail(StatusCode::UNAUTHORIZED, error.detail());
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
    response
}

/// DRF's 429 for a throttled request, with `Retry-After` (whole seconds) when asked.
pub(crate) fn throttled(wait_seconds: u64, send_retry_after: bool) -> Response {
    let mut response = detail(
        StatusCode::TOO_MANY_REQUESTS,
        &throttled_detail(wait_seconds),
    );
    if send_retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait_seconds));
    }
    response
}

/// Django's HTML 404 for a path no route matches.
pub(crate) fn not_found_html() -> Response {
    with_type(
        StatusCode::NOT_FOUND,
        Body::from(NOT_FOUND_HTML),
        "text/html; charset=utf-8",
    )
}

/// A response with a body and a `Content-Type`.
pub(crate) fn with_type(status: StatusCode, body: Body, content_type: &'static str) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
