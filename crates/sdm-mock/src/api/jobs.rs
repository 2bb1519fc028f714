//! `GET jobs/` (filtered, paginated, newest first) and `GET jobs/{job_id}/`.

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

use super::filters::JobFilter;
use super::pagination::Page;
use crate::app::App;
use crate::query::Query;
use crate::responses;

/// DRF's paginated envelope.
#[derive(Debug, Serialize)]
struct Envelope<'a> {
    count: usize,
    next: Option<String>,
    previous: Option<String>,
    results: Vec<&'a Value>,
}

/// The job list: filters, then ordering `-creation_date` (ties by id), then one page.
pub(crate) fn list(app: &App, req: &Request) -> Response {
    let query = Query::parse(req.uri().query());
    let filter = match JobFilter::from_query(&query) {
        Ok(filter) => filter,
        Err(errors) => return responses::json(StatusCode::BAD_REQUEST, &errors),
    };
    let world = &app.world;
    let matching: Vec<usize> = world
        .newest_first()
        .iter()
        .copied()
        .filter(|&i| filter.matches(world.meta(i)))
        .collect();
    let Some(page) = Page::select(matching.len(), &query, app.max_page_size) else {
        return responses::detail(StatusCode::NOT_FOUND, "Invalid page.");
    };
    let page_url = format!("http://{}{}", host(app, req), req.uri().path());
    let envelope = Envelope {
        count: matching.len(),
        next: page.next_link(&page_url, &query),
        previous: page.previous_link(&page_url, &query),
        results: matching[page.range()]
            .iter()
            .map(|&i| world.json(i))
            .collect(),
    };
    responses::json(StatusCode::OK, &envelope)
}

/// One job, or DRF's 404.
pub(crate) fn detail(app: &App, job_id: &str) -> Response {
    match app.world.job(job_id) {
        Some(job) => responses::json(StatusCode::OK, job),
        None => responses::not_found(),
    }
}

/// The host the client addressed (`Host` header, else the request target's authority, else the
/// listening address), as Django's `build_absolute_uri` uses it.
fn host<'a>(app: &'a App, req: &'a Request) -> &'a str {
    req.headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or(&app.fallback_host)
}
