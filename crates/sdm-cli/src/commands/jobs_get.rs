//! `sdm jobs get`: one job, as a key/value listing or in the server's own JSON.

use std::io::{self, Write};

use sdm_ureq::{Job, ProjectRef, Step};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{client, stdout_error};
use crate::cli::{GlobalArgs, JobsGetArgs, OutputFormat};
use crate::csv;
use crate::error::CliError;
use crate::output::{self, write_json_line, write_json_pretty};

/// The CSV columns of a job (the same as `jobs list`).
pub const CSV_HEADER: [&str; 6] = [
    "id",
    "name",
    "status",
    "project",
    "creation_date",
    "completion_date",
];

pub fn run(
    global: &GlobalArgs,
    args: &JobsGetArgs,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    let job = client(global)?.get_job(&args.job_id)?;
    write(stdout, &job, args.output).map_err(stdout_error)
}

/// Writes one job in `format`.
pub fn write(out: &mut dyn Write, job: &Job, format: OutputFormat) -> io::Result<()> {
    match format {
        OutputFormat::Table => output::write_key_values(out, &key_values(job)),
        // The object the server sent: every field, in its order, every value byte for byte.
        OutputFormat::Json => write_json_pretty(out, job.raw()),
        OutputFormat::Ndjson => write_json_line(out, job.raw()),
        OutputFormat::Csv => {
            csv::write_record(out, &CSV_HEADER)?;
            csv::write_record(out, &csv_record(|column| job.field(column)))
        }
    }
}

/// The key/value listing of `sdm jobs get`.
pub fn key_values(job: &Job) -> Vec<(&'static str, String)> {
    let or_dash = |text: Option<&str>| text.unwrap_or("-").to_owned();
    vec![
        ("id", job.id.to_string()),
        ("name", or_dash(job.name.as_deref())),
        ("status", job.status.to_string()),
        ("step", step(job.step.as_ref())),
        ("message", or_dash(job.message.as_deref())),
        ("project", project(job.project.as_ref(), true)),
        ("created", output::time(job.creation_date.as_ref())),
        ("completed", output::time(job.completion_date.as_ref())),
    ]
}

/// `Validation (step 3)`, or what is known of it.
pub fn step(step: Option<&Step>) -> String {
    match step {
        None => "-".to_owned(),
        Some(step) => match (&step.name, step.number) {
            (Some(name), Some(number)) => format!("{name} (step {number})"),
            (Some(name), None) => name.clone(),
            (None, Some(number)) => format!("step {number}"),
            (None, None) => format!("id {}", step.id),
        },
    }
}

/// The project id, with its name when the server sent one and `with_name` asks for it.
pub fn project(project: Option<&ProjectRef>, with_name: bool) -> String {
    match project {
        None => "-".to_owned(),
        Some(ProjectRef {
            id,
            name: Some(name),
            ..
        }) if with_name => format!("{id} ({name})"),
        Some(project) => project.id.to_string(),
    }
}

/// The CSV cells of a job object (detail or summary), given its fields' text: the server's own
/// text for every column (`1.50` stays `1.50`), and the project's id when it comes as an object.
pub fn csv_record<'a>(field: impl Fn(&str) -> Option<&'a RawValue>) -> Vec<String> {
    CSV_HEADER
        .iter()
        .map(|&column| csv_cell(column, field(column)))
        .collect()
}

/// The CSV cell of one field of a job object: the server's own text, and the `id` of an object
/// in `project` (or `file`, which comes as an object too).
pub fn csv_cell(column: &str, value: Option<&RawValue>) -> String {
    /// The `id` of an object, whatever else it holds.
    #[derive(Deserialize)]
    struct Object<'a> {
        #[serde(borrow)]
        id: Option<&'a RawValue>,
    }
    let object = value
        .filter(|_| column == "project" || column == "file")
        .and_then(|value| serde_json::from_str::<Object<'_>>(value.get()).ok());
    match object {
        Some(object) => csv::raw_cell(object.id).into_owned(),
        None => csv::raw_cell(value).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn job() -> Job {
        serde_json::from_value(json!({
            "id": "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b",
            "name": "Price list, \"spring\"",
            "status": "error",
            "step": {"id": 33, "name": "Validation", "number": 3},
            "message": "Column \"EAN\" is missing in row 12",
            "project": {"id": 3, "name": "Électroménager"},
            "creation_date": "2022-04-14T08:48:37.109159Z",
            "completion_date": null,
            "organization": "Acme"
        }))
        .unwrap()
    }

    fn render(format: OutputFormat) -> String {
        let mut out = Vec::new();
        write(&mut out, &job(), format).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn table_lists_the_summary() {
        assert_eq!(
            render(OutputFormat::Table),
            "id         9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b\n\
             name       Price list, \"spring\"\n\
             status     error\n\
             step       Validation (step 3)\n\
             message    Column \"EAN\" is missing in row 12\n\
             project    3 (Électroménager)\n\
             created    2022-04-14T08:48:37Z\n\
             completed  -\n"
        );
    }

    #[test]
    fn json_is_the_server_object() {
        let json = render(OutputFormat::Json);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["organization"], "Acme");
        assert_eq!(value["creation_date"], "2022-04-14T08:48:37.109159Z");
        let line = render(OutputFormat::Ndjson);
        assert_eq!(line.lines().count(), 1);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&line).unwrap(),
            value
        );
    }

    #[test]
    fn csv_has_a_header_and_one_record() {
        assert_eq!(
            render(OutputFormat::Csv),
            "id,name,status,project,creation_date,completion_date\r\n\
             9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b,\"Price list, \"\"spring\"\"\",error,3,\
             2022-04-14T08:48:37.109159Z,\r\n"
        );
    }
}
