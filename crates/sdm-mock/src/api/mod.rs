//! The DRF views behind each route, plus the `OPTIONS` metadata every view answers.

pub(crate) mod data;
mod filters;
pub(crate) mod jobs;
pub(crate) mod login;
mod pagination;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::responses;
use crate::urls::Route;

/// DRF's `SimpleMetadata` answer to `OPTIONS`.
pub(crate) fn options(route: &Route) -> Response {
    responses::json(
        StatusCode::OK,
        &json!({
            "name": route.view_name(),
            "description": "",
            "renders": ["application/json"],
            "parses": ["application/json", "application/x-www-form-urlencoded"],
        }),
    )
}
