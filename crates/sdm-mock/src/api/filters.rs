//! The job list filters (django-filter style): `status`, `project`, `created_after`,
//! `created_before`, combined with AND; empty values are ignored.
//!
//! Date convention: `created_after` is inclusive (`creation_date >= value`) and
//! `created_before` is exclusive (`creation_date < value`), so consecutive ranges never
//! overlap. Dates are RFC 3339 timestamps (what clients send) or plain dates (midnight UTC).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::datetime::parse_filter;
use crate::query::{Query, parse_int};
use crate::world::{JobMeta, Status};

/// The validated filters of one list request.
#[derive(Debug, Default)]
pub(super) struct JobFilter {
    status: Option<Status>,
    project: Option<i64>,
    created_after: Option<DateTime<Utc>>,
    created_before: Option<DateTime<Utc>>,
}

impl JobFilter {
    /// Validates the filter parameters; on failure, the DRF error body
    /// (`{"field": ["message"]}`, one entry per invalid field).
    pub(super) fn from_query(query: &Query) -> Result<Self, Map<String, Value>> {
        let mut filter = JobFilter::default();
        let mut errors = Map::new();
        let param = |name| query.get(name).filter(|v| !v.is_empty());

        if let Some(value) = param("status") {
            match Status::parse(value) {
                Some(status) => filter.status = Some(status),
                None => {
                    let message = format!(
                        "Select a valid choice. {value} is not one of the available choices."
                    );
                    errors.insert("status".into(), json!([message]));
                }
            }
        }
        if let Some(value) = param("project") {
            match parse_int(value) {
                Some(project) => filter.project = Some(project),
                None => {
                    errors.insert("project".into(), json!(["Enter a number."]));
                }
            }
        }
        for (name, slot) in [
            ("created_after", &mut filter.created_after),
            ("created_before", &mut filter.created_before),
        ] {
            if let Some(value) = param(name) {
                match parse_filter(value) {
                    Some(t) => *slot = Some(t),
                    None => {
                        errors.insert(name.into(), json!(["Enter a valid date/time."]));
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(filter)
        } else {
            Err(errors)
        }
    }

    /// Whether a job passes every given filter.
    pub(super) fn matches(&self, job: &JobMeta) -> bool {
        self.status.is_none_or(|s| s == job.status)
            && self
                .project
                .is_none_or(|p| i64::try_from(job.project) == Ok(p))
            && self.created_after.is_none_or(|t| job.created >= t)
            && self.created_before.is_none_or(|t| job.created < t)
    }
}
