//! `--columns id,status,name`: which columns the `table` and `csv` outputs of a listing show, in
//! which order. Each listing has a registry of the columns it knows ([`JOBS`], [`PROJECTS`]); a
//! [`Columns`] is a choice among them, parsed from the option (unknown and repeated names are
//! refused, naming the valid ones) or the listing's default for a format.
//!
//! Tables show cells for people (times to the second, long names cut, `-` when absent); CSV
//! keeps the server's own text under the API's field names, so `--columns` changes which
//! columns a CSV has, never what a cell says.

use std::fmt;

use sdm_ureq::{JobSummary, Project, Step};

use crate::cli::OutputFormat;
use crate::commands::jobs_get;
use crate::csv;
use crate::output::{self, Table};

/// Widest a job name gets in the table before it is cut with `…`.
const NAME_WIDTH: usize = 40;
/// Widest a job's message gets in the table.
const MESSAGE_WIDTH: usize = 60;

/// One column a listing can show.
pub struct Column<T: 'static> {
    /// What `--columns` calls it.
    pub name: &'static str,
    /// Its table header.
    pub header: &'static str,
    /// Its CSV header: the API's field name.
    pub csv_header: &'static str,
    /// The table cell.
    pub table: fn(&T) -> String,
    /// The CSV cell.
    pub csv: fn(&T) -> String,
}

/// A choice of columns of one listing, in order.
pub struct Columns<T: 'static> {
    all: &'static [Column<T>],
    chosen: Vec<&'static Column<T>>,
}

// By hand: a derive would ask `T: Clone` / `T: Debug`, which the rows need not be.
impl<T> Clone for Columns<T> {
    fn clone(&self) -> Self {
        Self {
            all: self.all,
            chosen: self.chosen.clone(),
        }
    }
}

impl<T> fmt::Debug for Columns<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.chosen.iter().map(|c| c.name))
            .finish()
    }
}

impl<T> Columns<T> {
    /// Parses `id,status,name` against the columns in `all`: names in the order given, each
    /// once (surrounding spaces ignored).
    pub fn parse(all: &'static [Column<T>], text: &str) -> Result<Self, String> {
        let valid = || {
            all.iter()
                .map(|column| column.name)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut chosen: Vec<&'static Column<T>> = Vec::new();
        for name in text.split(',').map(str::trim) {
            if name.is_empty() {
                return Err(format!(
                    "expected column names separated by commas (valid columns: {})",
                    valid()
                ));
            }
            let Some(column) = all.iter().find(|column| column.name == name) else {
                return Err(format!(
                    "unknown column {:?} (valid columns: {})",
                    crate::sanitise::printable(name),
                    valid()
                ));
            };
            if chosen.iter().any(|c| c.name == name) {
                return Err(format!("the column {name:?} is given twice"));
            }
            chosen.push(column);
        }
        Ok(Self { all, chosen })
    }

    /// These columns of `all`, by name (a listing's defaults, known to be valid).
    fn named(all: &'static [Column<T>], names: &[&str]) -> Self {
        let chosen = names
            .iter()
            .filter_map(|name| all.iter().find(|column| column.name == *name))
            .collect();
        Self { all, chosen }
    }

    /// The names, in order.
    #[cfg(test)]
    pub fn names(&self) -> Vec<&'static str> {
        self.chosen.iter().map(|c| c.name).collect()
    }

    /// An empty table with these columns' headers.
    pub fn table(&self) -> Table {
        let headers: Vec<&'static str> = self.chosen.iter().map(|c| c.header).collect();
        Table::new(&headers)
    }

    /// The table cells of one row.
    pub fn table_row(&self, row: &T) -> Vec<String> {
        self.chosen.iter().map(|c| (c.table)(row)).collect()
    }

    /// The CSV header line's cells.
    pub fn csv_header(&self) -> Vec<&'static str> {
        self.chosen.iter().map(|c| c.csv_header).collect()
    }

    /// The CSV cells of one row.
    pub fn csv_record(&self, row: &T) -> Vec<String> {
        self.chosen.iter().map(|c| (c.csv)(row)).collect()
    }
}

/// `--columns` given with an output it does not apply to: a usage error, as the JSON outputs
/// always carry the server's whole objects.
pub fn check_format(
    columns: Option<&Columns<impl Sized>>,
    format: OutputFormat,
) -> Result<(), String> {
    match (columns, format) {
        (Some(_), OutputFormat::Json | OutputFormat::Ndjson) => Err(
            "--columns applies to -o table and -o csv; -o json and -o ndjson print the server's \
             whole objects (pick fields with a JSON tool such as jq)"
                .to_owned(),
        ),
        _ => Ok(()),
    }
}

/// The columns of a job listing (`jobs list`, and `jobs watch`).
pub static JOBS: &[Column<JobSummary>] = &[
    Column {
        name: "id",
        header: "ID",
        csv_header: "id",
        table: |job| job.id.to_string(),
        csv: |job| job_csv(job, "id"),
    },
    Column {
        name: "status",
        header: "STATUS",
        csv_header: "status",
        table: |job| job.status.to_string(),
        csv: |job| job_csv(job, "status"),
    },
    Column {
        name: "name",
        header: "NAME",
        csv_header: "name",
        table: |job| {
            let name = job.name.as_deref().unwrap_or("-");
            output::truncate(&output::printable(name), NAME_WIDTH).into_owned()
        },
        csv: |job| job_csv(job, "name"),
    },
    Column {
        name: "project",
        header: "PROJECT",
        csv_header: "project",
        table: |job| jobs_get::project(job.project.as_ref(), false),
        csv: |job| job_csv(job, "project"),
    },
    Column {
        name: "created",
        header: "CREATED",
        csv_header: "creation_date",
        table: |job| output::time(job.creation_date.as_ref()),
        csv: |job| job_csv(job, "creation_date"),
    },
    Column {
        name: "completed",
        header: "COMPLETED",
        csv_header: "completion_date",
        table: |job| output::time(job.completion_date.as_ref()),
        csv: |job| job_csv(job, "completion_date"),
    },
    Column {
        name: "step",
        header: "STEP",
        csv_header: "step",
        table: |job| jobs_get::step(job_step(job).as_ref()),
        csv: |job| job_csv(job, "step"),
    },
    Column {
        name: "message",
        header: "MESSAGE",
        csv_header: "message",
        table: |job| {
            let message = job_text(job, "message").unwrap_or_else(|| "-".to_owned());
            output::truncate(&output::printable(&message), MESSAGE_WIDTH).into_owned()
        },
        csv: |job| job_csv(job, "message"),
    },
    Column {
        name: "file",
        header: "FILE",
        csv_header: "file",
        table: |job| match job_csv(job, "file") {
            id if id.is_empty() => "-".to_owned(),
            id => id,
        },
        csv: |job| job_csv(job, "file"),
    },
];

/// What `jobs list` shows in a table without `--columns`.
pub const JOBS_TABLE: &[&str] = &["id", "status", "name", "project", "created", "completed"];
/// What `jobs list` writes in a CSV without `--columns` (the API's field order).
pub const JOBS_CSV: &[&str] = &["id", "name", "status", "project", "created", "completed"];

/// `--columns` of a job listing.
pub fn job_columns(text: &str) -> Result<Columns<JobSummary>, String> {
    Columns::parse(JOBS, text)
}

/// The job columns `format` shows unless `--columns` chose.
pub fn default_job_columns(format: OutputFormat) -> Columns<JobSummary> {
    let names = if format == OutputFormat::Csv {
        JOBS_CSV
    } else {
        JOBS_TABLE
    };
    Columns::named(JOBS, names)
}

/// The CSV cell of a job's field (see [`jobs_get::csv_cell`]).
fn job_csv(job: &JobSummary, field: &str) -> String {
    jobs_get::csv_cell(field, job.field(field))
}

/// A string field of a job, if it is one.
fn job_text(job: &JobSummary, field: &str) -> Option<String> {
    serde_json::from_str::<Option<String>>(job.field(field)?.get())
        .ok()
        .flatten()
}

/// The job's step, when the listing has one of a shape known.
fn job_step(job: &JobSummary) -> Option<Step> {
    serde_json::from_str(job.field("step")?.get()).ok()
}

/// The columns of a project listing (`projects list`).
pub static PROJECTS: &[Column<Project>] = &[
    Column {
        name: "id",
        header: "ID",
        csv_header: "id",
        table: |project| project.id.to_string(),
        csv: |project| csv::raw_cell(project.field("id")).into_owned(),
    },
    Column {
        name: "name",
        header: "NAME",
        csv_header: "name",
        table: |project| project.name.clone().unwrap_or_else(|| "-".to_owned()),
        csv: |project| csv::raw_cell(project.field("name")).into_owned(),
    },
    Column {
        name: "steps",
        header: "STEPS",
        csv_header: "steps",
        table: |project| project_steps(project).unwrap_or_else(|| "-".to_owned()),
        csv: |project| project_steps(project).unwrap_or_default(),
    },
];

/// What `projects list` shows in a table without `--columns`.
pub const PROJECTS_TABLE: &[&str] = &["id", "name", "steps"];
/// What `projects list` writes in a CSV without `--columns`.
pub const PROJECTS_CSV: &[&str] = &["id", "name"];

/// `--columns` of a project listing.
pub fn project_columns(text: &str) -> Result<Columns<Project>, String> {
    Columns::parse(PROJECTS, text)
}

/// The project columns `format` shows unless `--columns` chose.
pub fn default_project_columns(format: OutputFormat) -> Columns<Project> {
    let names = if format == OutputFormat::Csv {
        PROJECTS_CSV
    } else {
        PROJECTS_TABLE
    };
    Columns::named(PROJECTS, names)
}

/// How many steps, when the listing says (a listing may leave them out).
fn project_steps(project: &Project) -> Option<String> {
    match project.field("steps") {
        Some(steps) if steps.get().starts_with('[') => Some(project.steps.len().to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn jobs() -> Vec<JobSummary> {
        serde_json::from_value(json!([
            {"id": "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b", "name": "Feed \u{1b}[31m",
             "status": "error", "project": {"id": 2, "name": "Garden"},
             "creation_date": "2022-04-14T08:48:37.109159Z", "completion_date": null,
             "step": {"id": 7, "name": "Mapping", "number": 2}, "message": "Column \"EAN\" missing",
             "file": {"id": 41}},
            {"id": "00000000-0000-4000-8000-000000000000", "status": "archived", "project": 5,
             "step": "odd", "message": 3}
        ]))
        .unwrap()
    }

    fn table(columns: &Columns<JobSummary>, jobs: &[JobSummary]) -> String {
        let mut table = columns.table();
        for job in jobs {
            table.push(columns.table_row(job));
        }
        let mut out = Vec::new();
        table.write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn columns_come_in_the_order_asked() {
        let columns = job_columns(" status, id ,step,file,message").unwrap();
        assert_eq!(columns.names(), ["status", "id", "step", "file", "message"]);
        assert_eq!(
            table(&columns, &jobs()),
            "STATUS    ID                                    STEP              FILE  MESSAGE\n\
             error     9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b  Mapping (step 2)  41    Column \"EAN\" missing\n\
             archived  00000000-0000-4000-8000-000000000000  -                 -     -\n"
        );
        assert_eq!(
            columns.csv_header(),
            ["status", "id", "step", "file", "message"]
        );
        assert_eq!(
            columns.csv_record(&jobs()[0]),
            [
                "error",
                "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b",
                r#"{"id":7,"name":"Mapping","number":2}"#,
                "41",
                "Column \"EAN\" missing"
            ]
        );
    }

    #[test]
    fn unknown_repeated_and_empty_names_are_refused_naming_the_valid_ones() {
        let message = job_columns("id,colour").unwrap_err();
        assert!(message.contains("unknown column \"colour\""), "{message}");
        assert!(
            message.contains("id, status, name, project, created, completed, step, message, file"),
            "{message}"
        );
        let message = job_columns("id,status,id").unwrap_err();
        assert!(message.contains("\"id\" is given twice"), "{message}");
        for bad in ["", "id,", ",id", "id,,name"] {
            let message = job_columns(bad).unwrap_err();
            assert!(
                message.contains("valid columns: id, status"),
                "{bad:?}: {message}"
            );
        }
        let message = project_columns("id,created").unwrap_err();
        assert!(
            message.contains("valid columns: id, name, steps"),
            "{message}"
        );
        // The name is shown printable, whatever was typed.
        let message = job_columns("\u{1b}]0;x\u{7}").unwrap_err();
        assert!(!message.contains('\u{1b}'), "{message:?}");
    }

    #[test]
    fn the_defaults_are_the_listings_columns() {
        assert_eq!(default_job_columns(OutputFormat::Table).names(), JOBS_TABLE);
        assert_eq!(default_job_columns(OutputFormat::Csv).names(), JOBS_CSV);
        assert_eq!(
            default_job_columns(OutputFormat::Csv).csv_header(),
            jobs_get::CSV_HEADER
        );
        for job in jobs() {
            assert_eq!(
                default_job_columns(OutputFormat::Csv).csv_record(&job),
                jobs_get::csv_record(|c| job.field(c))
            );
        }
        assert_eq!(
            default_project_columns(OutputFormat::Table).names(),
            PROJECTS_TABLE
        );
        assert_eq!(
            default_project_columns(OutputFormat::Csv).names(),
            PROJECTS_CSV
        );
    }

    #[test]
    fn json_outputs_refuse_columns() {
        let columns = job_columns("id").unwrap();
        for format in [OutputFormat::Json, OutputFormat::Ndjson] {
            assert!(check_format(Some(&columns), format).is_err());
        }
        for format in [OutputFormat::Table, OutputFormat::Csv] {
            assert!(check_format(Some(&columns), format).is_ok());
        }
        assert!(check_format(None::<&Columns<JobSummary>>, OutputFormat::Json).is_ok());
    }

    #[test]
    fn the_help_names_every_column() {
        use clap::CommandFactory;
        let mut cli = crate::cli::Cli::command();
        for (path, all) in [
            (
                ["jobs", "list"],
                JOBS.iter().map(|c| c.name).collect::<Vec<_>>(),
            ),
            (["jobs", "watch"], JOBS.iter().map(|c| c.name).collect()),
            (
                ["projects", "list"],
                PROJECTS.iter().map(|c| c.name).collect(),
            ),
        ] {
            let help = cli
                .find_subcommand_mut(path[0])
                .and_then(|sub| sub.find_subcommand_mut(path[1]))
                .unwrap()
                .render_help()
                .to_string();
            let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
            let listed = format!("(of {})", all.join(", "));
            assert!(help.contains(&listed), "{path:?} lists {listed}: {help}");
        }
    }

    #[test]
    fn every_column_has_a_unique_name_and_header() {
        fn unique<T>(all: &[Column<T>]) {
            for (index, column) in all.iter().enumerate() {
                assert!(
                    all[index + 1..]
                        .iter()
                        .all(|c| c.name != column.name && c.header != column.header)
                );
                assert!(!column.name.contains(',') && column.name == column.name.to_lowercase());
            }
        }
        unique(JOBS);
        unique(PROJECTS);
    }
}
