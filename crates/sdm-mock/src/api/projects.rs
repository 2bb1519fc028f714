//! `GET projects/` (paginated like `jobs/`, by id) and `GET projects/{id}/` (with its steps).

use std::borrow::Cow;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::jobs::{Envelope, host};
use super::pagination::Page;
use crate::app::App;
use crate::query::{Query, parse_int};
use crate::responses;
use crate::world::{PROJECTS, project_detail, project_summary};

/// One page of projects, by id.
pub(crate) fn list(app: &App, req: &Request) -> Response {
    let query = Query::parse(req.uri().query());
    let projects: Vec<Value> = (1..=PROJECTS.len() as u64)
        .filter_map(project_summary)
        .collect();
    let Some(page) = Page::select(projects.len(), &query, app.max_page_size) else {
        return responses::detail(StatusCode::NOT_FOUND, "Invalid page.");
    };
    let page_url = format!("http://{}{}", host(app, req), req.uri().path());
    let envelope = Envelope {
        count: projects.len(),
        next: page.next_link(&page_url, &query),
        previous: page.previous_link(&page_url, &query),
        results: projects[page.range()].iter().map(Cow::Borrowed).collect(),
    };
    responses::json(StatusCode::OK, &envelope)
}

/// One project with its steps, or DRF's 404 (a non-integer id included).
pub(crate) fn detail(pk: &str) -> Response {
    let project = parse_int(pk)
        .and_then(|id| u64::try_from(id).ok())
        .and_then(project_detail);
    match project {
        Some(project) => responses::json(StatusCode::OK, &project),
        None => responses::not_found(),
    }
}
