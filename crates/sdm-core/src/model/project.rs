//! Projects, as `GET projects/` and `GET projects/{id}/` return them.

use serde::{Deserialize, Deserializer, Serialize};

use super::ProjectId;
use super::raw::RawObject;

/// One step of a project's workflow. A `pending` job waits at one of these for a person.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct ProjectStep {
    /// The step id (what a job's `step.id` refers to).
    pub id: u64,
    /// The step's position in the workflow.
    #[serde(default)]
    pub number: Option<u64>,
    /// The kind of step (`mappings`, `extraction`, `categorisation`, …).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The step's name.
    #[serde(default)]
    pub name: Option<String>,
}

/// A project: where jobs are created. The listing may leave out `steps`, which the detail
/// (`GET projects/{id}/`) has.
///
/// Serializing it writes the object exactly as the server sent it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Project {
    /// The project id, to create jobs on.
    pub id: ProjectId,
    /// The project's name.
    pub name: Option<String>,
    /// The workflow's steps, ordered by `number` (empty when the server sent none).
    pub steps: Vec<ProjectStep>,
    raw: RawObject,
}

impl<'de> Deserialize<'de> for Project {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let object = RawObject::read(deserializer)?;
        let mut steps: Vec<ProjectStep> = object.lenient("steps").unwrap_or_default();
        // Stable: steps without a number keep their place after the numbered ones.
        steps.sort_by_key(|step| step.number.unwrap_or(u64::MAX));
        Ok(Project {
            id: object.required("id")?,
            name: object.lenient("name"),
            steps,
            raw: object,
        })
    }
}

super::raw::keeps_raw_object!(Project);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_orders_its_steps_and_keeps_every_field() {
        let text = r#"{"id": 3, "name": "Shoes", "steps": [
            {"id": 12, "number": 2, "type": "extraction", "name": "Extract"},
            {"id": 11, "number": 1, "type": "mappings", "name": "Map", "extra": true}
        ], "owner": "ann"}"#;
        let project: Project = serde_json::from_str(text).unwrap();
        assert_eq!(project.id, ProjectId(3));
        let ids: Vec<u64> = project.steps.iter().map(|s| s.id).collect();
        assert_eq!(ids, [11, 12]);
        assert_eq!(project.steps[0].kind.as_deref(), Some("mappings"));
        assert_eq!(project.field("owner").map(|v| v.get()), Some(r#""ann""#));
        let listed: Project = serde_json::from_str(r#"{"id": 4, "name": "Bags"}"#).unwrap();
        assert!(listed.steps.is_empty());
        // A surprising `steps` shape leaves the typed field empty; the raw value stays.
        let odd: Project = serde_json::from_str(r#"{"id": 5, "steps": "n/a"}"#).unwrap();
        assert!(odd.steps.is_empty());
        assert_eq!(odd.field("steps").map(|v| v.get()), Some(r#""n/a""#));
        assert!(serde_json::from_str::<Project>(r#"{"name": "x"}"#).is_err());
    }
}
