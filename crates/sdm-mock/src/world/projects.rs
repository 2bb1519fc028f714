//! The projects jobs belong to (`GET projects/`, `GET projects/{id}/`): fixed names and
//! creation dates, and the steps every job's `step` field points at, so the two agree.

use serde_json::{Value, json};

use super::jobs::{PROJECTS, STEPS};

/// Each step's `type`, by step number - 1 (the types seen in SDM).
const STEP_TYPES: [&str; 5] = [
    "extraction",
    "mappings",
    "mappings",
    "categorisation",
    "extraction",
];

/// The creation date of project `id` (a fixed instant in 2021, microseconds as DRF sends).
fn creation_date(id: u64) -> String {
    format!(
        "2021-{:02}-{:02}T09:{:02}:17.{:06}Z",
        id * 2 - 1,
        10 + id,
        id * 7,
        id * 104_729
    )
}

/// The list item of project `id` (1-based), or `None` for an unknown id.
pub(crate) fn project_summary(id: u64) -> Option<Value> {
    let name = PROJECTS.get(usize::try_from(id.checked_sub(1)?).ok()?)?;
    Some(json!({"id": id, "name": name, "creation_date": creation_date(id)}))
}

/// The detail of project `id`: the list item plus its steps ordered by number, with the ids
/// and names the jobs' `step` fields use.
pub(crate) fn project_detail(id: u64) -> Option<Value> {
    let mut project = project_summary(id)?;
    let steps: Vec<Value> = STEPS
        .iter()
        .zip(STEP_TYPES)
        .map(|(&(number, name), kind)| {
            json!({"id": id * 10 + number, "number": number, "type": kind, "name": name})
        })
        .collect();
    project["steps"] = Value::Array(steps);
    Some(project)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::World;

    #[test]
    fn projects_exist_for_every_job_and_agree_on_steps() {
        assert!(project_summary(0).is_none());
        assert!(project_summary(PROJECTS.len() as u64 + 1).is_none());
        for id in 1..=PROJECTS.len() as u64 {
            let date = project_summary(id).unwrap()["creation_date"].clone();
            assert!(chrono::DateTime::parse_from_rfc3339(date.as_str().unwrap()).is_ok());
        }
        let world = World::generate(4, 60);
        for job in world.jobs() {
            let project = job["project"]
                .as_u64()
                .or_else(|| job["project"]["id"].as_u64())
                .unwrap();
            let detail = project_detail(project).unwrap();
            let step = detail["steps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["id"] == job["step"]["id"])
                .unwrap();
            assert_eq!(step["name"], job["step"]["name"]);
            assert_eq!(step["number"], job["step"]["number"]);
        }
    }
}
