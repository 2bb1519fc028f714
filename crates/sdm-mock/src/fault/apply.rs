//! Serving a selected fault: proxy faults answer in place of the server, transport and payload
//! faults reshape the response it produced.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use http_body::Body as _;
use http_body_util::BodyExt;
use serde_json::{Value, json};

use super::bodies::{HugeRow, SlowDrip, first_half};
use super::plans::{RouteKind, Selected};
use super::wire::{self, Framing, RawConn};
use super::{ErrorBody, Fault};
use crate::api;
use crate::app::App;
use crate::fair_use::throttled_detail;
use crate::query::{Query, parse_int};
use crate::responses;
use crate::urls;

/// What follows the first half of the body in a [`Fault::MalformedJson`] answer.
const GARBAGE: &[u8] = b"<<garbage>>";

/// What the request pipeline does after the proxy faults.
#[derive(Debug)]
pub(crate) enum ProxyOutcome {
    /// Send this instead of asking the server.
    Respond(Response),
    /// Ask the server, then apply the fault, if any, to its response.
    Continue(Request, Option<Selected>),
}

/// What a response fault needs to know about the request.
#[derive(Debug)]
pub(crate) struct RequestInfo {
    /// The route the path resolves to.
    pub(crate) kind: RouteKind,
    /// Whether it is a `HEAD` request (no body is sent).
    pub(crate) head: bool,
    /// The connection's raw writer.
    pub(crate) raw: Option<RawConn>,
    /// The page the client asked for, when a fault served another one in its place.
    pub(crate) asked_page: Option<u64>,
}

/// The page a client asked for, kept in the request's extensions by a fault that serves
/// another page in its place ([`Fault::EndlessPages`], [`Fault::GrowingCount`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AskedPage(pub(crate) u64);

/// The `page` a list request asks for (1 when it names none; `None` when it is not a number).
fn asked_page(req: &Request) -> Option<u64> {
    match Query::parse(req.uri().query()).get("page") {
        None | Some("") => Some(1),
        Some(text) => parse_int(text).and_then(|n| u64::try_from(n).ok()),
    }
}

/// Whether `req` is for the job list or the project list.
fn is_list(req: &Request) -> bool {
    matches!(
        RouteKind::of(
            urls::Route::resolve(req.uri().path()).as_ref(),
            req.method()
        ),
        RouteKind::JobList | RouteKind::ProjectList
    )
}

/// Serves `selected` if it is a proxy fault; otherwise hands it on for the response.
pub(crate) async fn apply_proxy(
    app: &App,
    selected: Option<Selected>,
    req: Request,
) -> ProxyOutcome {
    let Some(selected) = selected else {
        return ProxyOutcome::Continue(req, None);
    };
    let fault = selected.fault();
    match fault {
        Fault::PageNotFound { page } if !(is_list(&req) && asked_page(&req) == Some(*page)) => {
            return ProxyOutcome::Continue(req, None);
        }
        Fault::EndlessPages | Fault::GrowingCount => {
            return ProxyOutcome::Continue(serve_first_page(req), Some(selected));
        }
        _ => {}
    }
    if !is_proxy(fault) {
        return ProxyOutcome::Continue(req, Some(selected));
    }
    if !selected.claim(&app.faults) {
        return ProxyOutcome::Continue(req, None);
    }
    tracing::debug!(%fault, path = req.uri().path(), "sdm-mock proxy fault");
    let response = match fault {
        Fault::Latency(delay) => {
            tokio::time::sleep(*delay).await;
            return ProxyOutcome::Continue(req, None);
        }
        Fault::TooManyRequests { retry_after } => {
            // Read the body first, as a proxy that buffers requests does: it gets recorded.
            let response = too_many_requests(*retry_after);
            api::uploads::drain(app, req, response.status().as_u16()).await;
            response
        }
        Fault::ServerError { status, body } => {
            let response = server_error(*status, *body);
            api::uploads::drain(app, req, response.status().as_u16()).await;
            response
        }
        Fault::DropBeforeResponse => {
            // Read the whole request first: closing a socket with unread data resets it.
            api::uploads::drain(app, req, 0).await;
            wire::abort()
        }
        Fault::PageNotFound { .. } => responses::detail(StatusCode::NOT_FOUND, "Invalid page."),
        _ => redirect(app, &req),
    };
    ProxyOutcome::Respond(response)
}

/// Whether a fault happens in front of the server (see the kinds in [`super`]).
fn is_proxy(fault: &Fault) -> bool {
    matches!(
        fault,
        Fault::Latency(_)
            | Fault::TooManyRequests { .. }
            | Fault::ServerError { .. }
            | Fault::DropBeforeResponse
            | Fault::RedirectElsewhere
            | Fault::PageNotFound { .. }
    )
}

/// A list request rewritten to ask for page 1, the page it asked for kept in its extensions;
/// other requests unchanged.
fn serve_first_page(mut req: Request) -> Request {
    if !is_list(&req) {
        return req;
    }
    let Some(page) = asked_page(&req) else {
        return req;
    };
    let query = Query::parse(req.uri().query()).encode_with("page", None);
    let path = req.uri().path();
    let target = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    if let Ok(uri) = target.parse() {
        *req.uri_mut() = uri;
        req.extensions_mut().insert(AskedPage(page));
    }
    req
}

/// Applies a transport or payload fault to the server's `response`, or returns it unchanged
/// where the fault does not apply.
pub(crate) async fn apply_response(
    app: &App,
    selected: Selected,
    info: RequestInfo,
    response: Response,
) -> Response {
    let fault = selected.fault();
    let has_body = !info.head && !response.body().is_end_stream();
    match fault {
        Fault::SlowDrip { chunk_bytes, pause } if has_body && selected.claim(&app.faults) => {
            let (parts, body) = response.into_parts();
            Response::from_parts(parts, Body::new(SlowDrip::new(body, *chunk_bytes, *pause)))
        }
        Fault::DropMidBody | Fault::TruncatedBody if has_body => match &info.raw {
            Some(raw) if selected.claim(&app.faults) => {
                cut_short(raw, fault == &Fault::DropMidBody, response).await
            }
            _ => response,
        },
        Fault::DropAfterActing if selected.claim(&app.faults) => wire::abort(),
        _ if !response.status().is_success() || info.head => response,
        Fault::MalformedJson if selected.claim(&app.faults) => {
            let (parts, body) = response.into_parts();
            let mut text = first_half(body).await.to_vec();
            text.extend_from_slice(GARBAGE);
            Response::from_parts(parts, Body::from(text))
        }
        Fault::EmptyOk if selected.claim(&app.faults) => {
            let (parts, _) = response.into_parts();
            Response::from_parts(parts, Body::empty())
        }
        Fault::HugeRow { bytes }
            if info.kind == RouteKind::JobData && selected.claim(&app.faults) =>
        {
            let (parts, body) = response.into_parts();
            Response::from_parts(parts, Body::new(HugeRow::new(body, *bytes)))
        }
        Fault::CountAsString
        | Fault::ResultsMissing
        | Fault::ForeignNextLink
        | Fault::NextStuck
        | Fault::NextToFirst
        | Fault::EndlessPages
        | Fault::GrowingCount
            if matches!(info.kind, RouteKind::JobList | RouteKind::ProjectList) =>
        {
            rewrite_json(app, &selected, response, |envelope| {
                edit_list(app, fault, info.asked_page, envelope)
            })
            .await
        }
        Fault::StatusAsNumber
            if matches!(
                info.kind,
                RouteKind::JobList | RouteKind::JobDetail | RouteKind::JobCreate
            ) =>
        {
            rewrite_json(app, &selected, response, |value| {
                let job = if value.get("results").is_some() {
                    value
                        .get_mut("results")
                        .and_then(|results| results.get_mut(0))
                } else {
                    Some(value)
                };
                match job.and_then(|job| job.get_mut("status")) {
                    Some(status) => {
                        *status = json!(3);
                        true
                    }
                    None => false,
                }
            })
            .await
        }
        _ => response,
    }
}

/// Writes the head and the first half of `response`'s body to the connection, framed as the
/// whole body would be (`drop_mid_body`) or delimited by the connection's end; then closes it.
async fn cut_short(raw: &RawConn, drop_mid_body: bool, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let length = body
        .size_hint()
        .exact()
        .and_then(|n| usize::try_from(n).ok());
    let half = first_half(body).await;
    let framing = match (drop_mid_body, length) {
        (false, _) => Framing::Close,
        (true, Some(n)) => Framing::Length(n),
        (true, None) => Framing::Chunked,
    };
    let mut bytes = wire::head(parts.status, &parts.headers, framing);
    if framing == Framing::Chunked {
        bytes.extend_from_slice(&wire::chunk(&half));
    } else {
        bytes.extend_from_slice(&half);
    }
    if let Err(error) = raw.write_all(&bytes).await {
        tracing::debug!(%error, "sdm-mock could not write a cut-short response");
    }
    wire::abort()
}

/// Parses the (small, JSON) body of `response`, lets `edit` change it and, if `edit` says it
/// did and the plan's budget allows, serves the result; otherwise the original body.
async fn rewrite_json(
    app: &App,
    selected: &Selected,
    response: Response,
    edit: impl FnOnce(&mut Value) -> bool,
) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(collected) = body.collect().await else {
        return Response::from_parts(parts, Body::empty());
    };
    let original: Bytes = collected.to_bytes();
    let edited = serde_json::from_slice::<Value>(&original)
        .ok()
        .and_then(|mut value| (edit(&mut value) && selected.claim(&app.faults)).then_some(value));
    let body = match edited {
        Some(value) => Body::from(serde_json::to_vec(&value).unwrap_or_default()),
        None => Body::from(original),
    };
    Response::from_parts(parts, body)
}

/// Applies a list-only payload fault to a page envelope; `false` if it does not apply.
/// `asked` is the page the client asked for, when the fault served another one.
fn edit_list(app: &App, fault: &Fault, asked: Option<u64>, envelope: &mut Value) -> bool {
    let Some(object) = envelope.as_object_mut() else {
        return false;
    };
    match fault {
        Fault::CountAsString => match object.get_mut("count") {
            Some(count) => {
                *count = Value::String(count.to_string());
                true
            }
            None => false,
        },
        Fault::ResultsMissing => object.remove("results").is_some(),
        Fault::ForeignNextLink => match object.get_mut("next") {
            Some(Value::String(next)) => {
                let path = next
                    .find("://")
                    .and_then(|i| next[i + 3..].find('/').map(|j| &next[i + 3 + j..]))
                    .unwrap_or("/");
                *next = format!("{}{path}", app.redirect_origin);
                true
            }
            _ => false,
        },
        Fault::NextStuck | Fault::NextToFirst => match object.get_mut("next") {
            Some(Value::String(next)) => {
                let page = match fault {
                    // The served page is the one before the page `next` names.
                    Fault::NextStuck => link_page(next).map(|n| n.saturating_sub(1).max(1)),
                    _ => None,
                };
                *next = with_page(next, page);
                true
            }
            _ => false,
        },
        Fault::EndlessPages | Fault::GrowingCount => {
            let Some(asked) = asked else {
                return false;
            };
            if fault == &Fault::GrowingCount {
                let served = object
                    .get("results")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len) as u64;
                let Some(count) = object.get("count").and_then(Value::as_u64) else {
                    return false;
                };
                object.insert("count".into(), json!(count + asked * served));
            }
            match object.get_mut("next") {
                Some(Value::String(next)) => {
                    *next = with_page(next, Some(asked + 1));
                    true
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// The `page` a link names (1 when it names none).
fn link_page(link: &str) -> Option<u64> {
    let query = link.split_once('?').map(|(_, q)| q);
    match Query::parse(query).get("page") {
        None => Some(1),
        Some(text) => parse_int(text).and_then(|n| u64::try_from(n).ok()),
    }
}

/// `link` with its `page` set to `page`, or removed (DRF's link to page 1), keys sorted as DRF
/// writes them.
fn with_page(link: &str, page: Option<u64>) -> String {
    let (base, query) = link.split_once('?').unwrap_or((link, ""));
    let page = page.map(|n| n.to_string());
    let query = Query::parse(Some(query)).encode_with("page", page.as_deref());
    if query.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{query}")
    }
}

/// The proxy's 429.
fn too_many_requests(retry_after: Option<u64>) -> Response {
    let seconds = retry_after.unwrap_or(1);
    let mut response = responses::detail(StatusCode::TOO_MANY_REQUESTS, &throttled_detail(seconds));
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// An error status with an HTML, empty or JSON body.
fn server_error(status: u16, body: ErrorBody) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = status.canonical_reason().unwrap_or("Error");
    let code = status.as_u16();
    match body {
        ErrorBody::Html => {
            let page = format!(
                "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
            );
            responses::with_type(status, Body::from(page), "text/html")
        }
        ErrorBody::Empty => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = status;
            response
        }
        ErrorBody::Json => {
            let detail = match code {
                500 => "A server error occurred.".to_owned(),
                503 => "Service temporarily unavailable, try again later.".to_owned(),
                _ => format!("{reason}."),
            };
            responses::detail(status, &detail)
        }
    }
}

/// A `302` to the same path and query on the redirect target's origin.
fn redirect(app: &App, req: &Request) -> Response {
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::FOUND;
    if let Ok(location) = HeaderValue::from_str(&format!("{}{path}", app.redirect_origin)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}
