//! Generation of one job object (its JSON, field order included) from the seed and its index.

use chrono::{DateTime, Duration};
use serde_json::{Value, json};

use super::{JobMeta, Status};
use crate::datetime::{format_utc, truncate};
use crate::rng::{Rng, mix};

/// Sub-stream label for per-job attributes.
const JOB_STREAM: u64 = 0x10b;
/// First creation instant: 2022-01-01T00:00:00Z.
const FIRST_CREATION: i64 = 1_640_995_200;
/// End (exclusive) of the creation range: 2026-01-01T00:00:00Z. Jobs added while the server
/// runs are created after it.
pub(crate) const END_CREATION: i64 = 1_767_225_600;
/// The organization every job belongs to (a field clients do not know).
const ORGANIZATION: &str = "Acme Retail Europe";

/// The steps every project goes through: (number, name).
pub(crate) const STEPS: [(u64, &str); 5] = [
    (1, "Upload"),
    (2, "Mapping"),
    (3, "Validation"),
    (4, "Enrichment"),
    (5, "Export"),
];
/// Step number of the last step (where done jobs end).
pub(crate) const LAST_STEP: u64 = 5;
/// Step number where jobs wait for a human.
pub(crate) const VALIDATION_STEP: u64 = 3;

/// Project names, indexed by project id - 1.
pub(crate) const PROJECTS: [&str; 6] = [
    "Spring catalogue",
    "Supplier onboarding",
    "Électroménager",
    "Textile FW25",
    "Garden & Outdoor",
    "Épicerie fine",
];

const KINDS: [&str; 5] = [
    "Supplier import",
    "Catalog update",
    "Price list",
    "Product enrichment",
    "Weekly feed",
];

const SUPPLIERS: [&str; 10] = [
    "Café Dupont",
    "Müller GmbH",
    "Nordisk Møbler",
    "Zoë & Co",
    "Łódź Textiles",
    "東京 Trading",
    "Acme Corp",
    "Ñandú Foods",
    "O'Neil \"Quality\" Tools",
    "Brasserie Ødegaard",
];

const COLUMNS: [&str; 6] = ["EAN", "sku", "price", "Désignation", "weight_kg", "brand"];

/// Fractional-digit counts used by timestamps; 6 (what DRF emits) is the most common.
const PRECISIONS: [u32; 9] = [6, 6, 6, 3, 2, 0, 1, 4, 5];
/// Precisions of the first eight jobs, so 0, 2, 3 and 6 always occur.
const FORCED_PRECISIONS: [u32; 8] = [6, 2, 0, 3, 3, 6, 2, 0];

/// The fields of one job object, in the order the API sends them.
#[derive(Debug, Clone)]
pub(crate) struct JobParts<'a> {
    /// `id`: the UUID.
    pub(crate) id: &'a str,
    /// `name`.
    pub(crate) name: &'a str,
    /// `status`.
    pub(crate) status: Status,
    /// `step.number` (1 to 5; `step.id` and `step.name` follow from it).
    pub(crate) step_number: u64,
    /// `message` (null unless the job failed).
    pub(crate) message: Option<&'a str>,
    /// `project` id.
    pub(crate) project: u64,
    /// Whether `project` is sent as an object with `id` and `name` rather than an integer.
    pub(crate) project_object: bool,
    /// `file.id`.
    pub(crate) file_id: u64,
    /// `creation_date`, already formatted.
    pub(crate) creation_date: &'a str,
    /// `completion_date`, already formatted (null while unfinished).
    pub(crate) completion_date: Option<&'a str>,
}

impl JobParts<'_> {
    /// The job object as the detail endpoint serves it.
    pub(crate) fn to_json(&self) -> Value {
        let project = self.project;
        let project_json = if self.project_object {
            json!({"id": project, "name": PROJECTS[project as usize - 1]})
        } else {
            json!(project)
        };
        let step = self.step_number;
        json!({
            "id": self.id,
            "name": self.name,
            "status": self.status.as_str(),
            "step": {"id": project * 10 + step, "name": STEPS[step as usize - 1].1, "number": step},
            "message": self.message,
            "project": project_json,
            "file": {"id": self.file_id},
            "creation_date": self.creation_date,
            "completion_date": self.completion_date,
            "model_version": 0,
            "organization": ORGANIZATION,
        })
    }
}

/// A job name such as `Price list 0042 – Müller GmbH` for the job numbered `number` (1-based).
pub(crate) fn job_name(rng: &mut Rng, number: usize) -> String {
    format!(
        "{} {number:04} – {}",
        rng.pick(&KINDS),
        rng.pick(&SUPPLIERS)
    )
}

/// Generates the job at `index` (with its already chosen unique `id`).
pub(super) fn generate(seed: u64, index: usize, id: String) -> (Value, JobMeta) {
    let mut rng = Rng::new(mix(mix(seed, JOB_STREAM), index as u64));
    let status = pick_status(&mut rng, index);
    let project = rng.range(1, PROJECTS.len() as u64);
    let project_object = index == 7 || (index >= 8 && rng.chance(5));
    let name = job_name(&mut rng, index + 1);
    let step_number = match status {
        Status::Done => LAST_STEP,
        Status::Pending => VALIDATION_STEP,
        Status::Running | Status::Error => rng.range(1, LAST_STEP - 1),
    };
    let message = match status {
        Status::Error => Some(error_message(&mut rng)),
        _ => None,
    };
    let file_id = 5_000 + index as u64 * 7 + rng.below(7);

    let precision = match FORCED_PRECISIONS.get(index) {
        Some(&p) => p,
        None => *rng.pick(&PRECISIONS),
    };
    let secs = FIRST_CREATION + rng.below((END_CREATION - FIRST_CREATION) as u64) as i64;
    let nanos = rng.below(1_000_000) as u32 * 1_000;
    let created = truncate(
        DateTime::from_timestamp(secs, nanos).unwrap_or_default(),
        precision,
    );
    let completion = match status {
        Status::Done | Status::Error => {
            let precision = *rng.pick(&PRECISIONS);
            let after = Duration::seconds(rng.range(5, 3 * 86_400) as i64)
                + Duration::microseconds(rng.below(1_000_000) as i64);
            Some(format_utc(truncate(created + after, precision), precision))
        }
        Status::Running | Status::Pending => None,
    };

    let json = JobParts {
        id: &id,
        name: &name,
        status,
        step_number,
        message: message.as_deref(),
        project,
        project_object,
        file_id,
        creation_date: &format_utc(created, precision),
        completion_date: completion.as_deref(),
    }
    .to_json();
    let meta = JobMeta {
        id,
        status,
        project,
        created,
    };
    (json, meta)
}

/// The first eight jobs cycle through every status; the rest are about 55% done, 15% running,
/// 15% error and 15% pending.
fn pick_status(rng: &mut Rng, index: usize) -> Status {
    const CYCLE: [Status; 4] = [
        Status::Done,
        Status::Running,
        Status::Error,
        Status::Pending,
    ];
    if index < 8 {
        return CYCLE[index % 4];
    }
    match rng.below(100) {
        0..55 => Status::Done,
        55..70 => Status::Running,
        70..85 => Status::Error,
        _ => Status::Pending,
    }
}

/// A human-readable reason for a failed job.
pub(crate) fn error_message(rng: &mut Rng) -> String {
    let row = rng.range(2, 500);
    let column = rng.pick(&COLUMNS);
    match rng.below(5) {
        0 => format!("Column \"{column}\" is missing in row {row}"),
        1 => format!("Invalid value \"n/a\" for column \"{column}\" in row {row}"),
        2 => "File could not be parsed: unexpected end of file".to_owned(),
        3 => format!(
            "Mapping failed: {} required attributes are missing",
            row % 7 + 1
        ),
        _ => format!(
            "Duplicate SKU \"SKU-{row:05}\" in rows {row} and {}",
            row + 3
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_order_and_shapes() {
        let (json, meta) = generate(1, 2, "00000000-0000-4000-8000-000000000000".into());
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "id",
                "name",
                "status",
                "step",
                "message",
                "project",
                "file",
                "creation_date",
                "completion_date",
                "model_version",
                "organization"
            ]
        );
        assert_eq!(meta.status, Status::Error);
        assert!(json["message"].as_str().unwrap().len() > 5);
        let created =
            DateTime::parse_from_rfc3339(json["creation_date"].as_str().unwrap()).unwrap();
        let completed =
            DateTime::parse_from_rfc3339(json["completion_date"].as_str().unwrap()).unwrap();
        assert!(completed > created);
        assert_eq!(created, meta.created);
    }
}
