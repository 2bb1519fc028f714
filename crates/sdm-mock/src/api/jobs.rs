//! `GET jobs/` (filtered, paginated, newest first) and `GET jobs/{job_id}/`.

use std::borrow::Cow;

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

use super::filters::JobFilter;
use super::pagination::Page;
use crate::app::App;
use crate::live::JobRef;
use crate::query::Query;
use crate::responses;

/// DRF's paginated envelope.
#[derive(Debug, Serialize)]
pub(super) struct Envelope<'a> {
    /// Items in the whole result set.
    pub(super) count: usize,
    /// The next page's URL.
    pub(super) next: Option<String>,
    /// The previous page's URL.
    pub(super) previous: Option<String>,
    /// This page's items.
    pub(super) results: Vec<Cow<'a, Value>>,
}

/// The job list: filters, then ordering `-creation_date` (ties by id), then one page; then the
/// `on_list_page` hook, if any, with the page number.
pub(crate) fn list(app: &App, req: &Request) -> Response {
    let query = Query::parse(req.uri().query());
    let filter = match JobFilter::from_query(&query) {
        Ok(filter) => filter,
        Err(errors) => return responses::json(StatusCode::BAD_REQUEST, &errors),
    };
    let (response, page_number) = {
        let jobs = app.live.view();
        let matching: Vec<JobRef> = jobs
            .newest_first()
            .filter(|&job| filter.matches(&jobs.meta(job)))
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
                .map(|&job| jobs.json(job))
                .collect(),
        };
        (responses::json(StatusCode::OK, &envelope), page.number())
    };
    // The view (and its lock) is gone, so the hook may add jobs.
    if let Some(hook) = &app.on_list_page {
        (hook.0)(&app.control(), page_number);
    }
    response
}

/// One job, or DRF's 404.
pub(crate) fn detail(app: &App, job_id: &str) -> Response {
    let jobs = app.live.view();
    match jobs.find(job_id) {
        Some(job) => responses::json(StatusCode::OK, &jobs.json(job)),
        None => responses::not_found(),
    }
}

/// The host the client addressed (`Host` header, else the request target's authority, else the
/// listening address), as Django's `build_absolute_uri` uses it.
pub(super) fn host<'a>(app: &'a App, req: &'a Request) -> &'a str {
    req.headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or(&app.fallback_host)
}
