//! `sdm projects list` and `sdm projects get`: the projects jobs are created on, and one
//! project's workflow steps in order.

use std::io::{self, Write};

use sdm_ureq::{PagerOptions, Project, ProjectQuery};

use super::jobs_list::footer_for;
use super::{client, note, stdout_error};
use crate::cli::{GlobalArgs, OutputFormat, ProjectsGetArgs, ProjectsListArgs, ShortFormat};
use crate::columns::{self, Columns};
use crate::csv;
use crate::error::CliError;
use crate::output::{self, Table, write_json_line, write_json_pretty};
use crate::progress::{self, Progress};

/// Projects per page asked for with `--all` unless `--page-size` says otherwise.
const ALL_PAGE_SIZE: u64 = 100;
/// The nouns of the footer.
const NOUNS: (&str, &str) = ("project", "projects");

pub fn list(
    global: &GlobalArgs,
    args: &ProjectsListArgs,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    columns::check_format(args.columns.as_ref(), args.output).map_err(CliError::usage)?;
    let client = client(global)?;
    let mut query = ProjectQuery::new();
    query.page_size = args.page_size;
    if !args.all {
        query.page = args.page;
        let page = client.list_projects(&query)?;
        write_list_with(stdout, &page.results, args.output, args.columns.as_ref())
            .map_err(stdout_error)?;
        if args.output == OutputFormat::Table {
            note(format_args!(
                "{}",
                footer_for(&page, query.page.unwrap_or(1), NOUNS)
            ));
        }
        return Ok(());
    }
    let mut options = PagerOptions::default().page_size(args.page_size.unwrap_or(ALL_PAGE_SIZE));
    if let Some(limit) = args.limit {
        options = options.limit(limit);
    }
    let progress = Progress::spinner(progress::LIST);
    progress.set_message(|| "fetching the first page".to_owned());
    let mut projects = Vec::new();
    let mut pages = client.projects(&ProjectQuery::new(), options);
    for project in pages.by_ref() {
        projects.push(project?);
        progress.set_message(|| format!("fetched {} projects", projects.len()));
    }
    drop(progress);
    write_list_with(stdout, &projects, args.output, args.columns.as_ref()).map_err(stdout_error)?;
    if args.output == OutputFormat::Table {
        let noun = if projects.len() == 1 {
            NOUNS.0
        } else {
            NOUNS.1
        };
        note(format_args!("{} {noun}", projects.len()));
    }
    Ok(())
}

pub fn get(
    global: &GlobalArgs,
    args: &ProjectsGetArgs,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    let project = client(global)?.get_project(args.project_id)?;
    write_one(stdout, &project, args.output).map_err(stdout_error)
}

/// Projects in `format`: a table, a JSON array of the server's objects, one object per line,
/// or CSV.
#[cfg(test)]
pub fn write_list(
    out: &mut dyn Write,
    projects: &[Project],
    format: OutputFormat,
) -> io::Result<()> {
    write_list_with(out, projects, format, None)
}

/// Projects in `format` (a table, a JSON array of the server's objects, one object per line, or
/// CSV), with these columns in a table or CSV (`--columns`), or the default ones.
pub fn write_list_with(
    out: &mut dyn Write,
    projects: &[Project],
    format: OutputFormat,
    columns: Option<&Columns<Project>>,
) -> io::Result<()> {
    let default;
    let columns = match columns {
        Some(columns) => columns,
        None => {
            default = columns::default_project_columns(format);
            &default
        }
    };
    match format {
        OutputFormat::Table => {
            let mut table = columns.table();
            for project in projects {
                table.push(columns.table_row(project));
            }
            table.write(out)
        }
        OutputFormat::Json => {
            let objects: Vec<_> = projects.iter().map(Project::raw).collect();
            write_json_pretty(out, &objects)
        }
        OutputFormat::Ndjson => projects
            .iter()
            .try_for_each(|p| write_json_line(out, p.raw())),
        OutputFormat::Csv => {
            csv::write_record(out, &columns.csv_header())?;
            for project in projects {
                csv::write_record(out, &columns.csv_record(project))?;
            }
            Ok(())
        }
    }
}

/// One project: its id and name, then its steps in number order; or the server's object.
pub fn write_one(out: &mut dyn Write, project: &Project, format: ShortFormat) -> io::Result<()> {
    if format == ShortFormat::Json {
        return write_json_pretty(out, project.raw());
    }
    let name = project.name.clone().unwrap_or_else(|| "-".to_owned());
    output::write_key_values(
        out,
        &[
            ("id", project.id.to_string()),
            ("name", name),
            ("steps", project.steps.len().to_string()),
        ],
    )?;
    if project.steps.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let or_dash = |text: Option<&str>| text.unwrap_or("-").to_owned();
    let mut table = Table::new(&["NUMBER", "ID", "TYPE", "NAME"]);
    // The library orders the steps by number already.
    for step in &project.steps {
        table.push(vec![
            step.number
                .map_or_else(|| "-".to_owned(), |n| n.to_string()),
            step.id.to_string(),
            or_dash(step.kind.as_deref()),
            or_dash(step.name.as_deref()),
        ]);
    }
    table.write(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn project() -> Project {
        serde_json::from_value(json!({
            "id": 3, "name": "Shoes\u{1b}[2J", "owner": "ann",
            "steps": [
                {"id": 13, "number": 3, "type": "categorisation", "name": "Categorise"},
                {"id": 11, "number": 1, "type": "mappings", "name": "Map"},
                {"id": 12, "number": 2, "type": "extraction", "name": "Extract"}
            ]
        }))
        .unwrap()
    }

    fn render(write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_project_shows_its_steps_in_order() {
        let text = render(|out| write_one(out, &project(), ShortFormat::Table));
        assert_eq!(
            text,
            "id     3\n\
             name   Shoes\u{fffd}[2J\n\
             steps  3\n\
             \n\
             NUMBER  ID  TYPE            NAME\n\
             1       11  mappings        Map\n\
             2       12  extraction      Extract\n\
             3       13  categorisation  Categorise\n"
        );
        let json: serde_json::Value =
            serde_json::from_str(&render(|out| write_one(out, &project(), ShortFormat::Json)))
                .unwrap();
        assert_eq!(json["owner"], "ann");
    }

    #[test]
    fn lists_in_every_format() {
        let listed: Project =
            serde_json::from_value(json!({"id": 4, "name": "Bags, \"big\""})).unwrap();
        let projects = [project(), listed];
        assert_eq!(
            render(|out| write_list(out, &projects, OutputFormat::Table)),
            "ID  NAME         STEPS\n\
             3   Shoes\u{fffd}[2J    3\n\
             4   Bags, \"big\"  -\n"
        );
        assert_eq!(
            render(|out| write_list(out, &projects, OutputFormat::Csv)),
            "id,name\r\n3,Shoes\u{fffd}[2J\r\n4,\"Bags, \"\"big\"\"\"\r\n"
        );
        let lines = render(|out| write_list(out, &projects, OutputFormat::Ndjson));
        assert_eq!(lines.lines().count(), 2);
        let array: serde_json::Value = serde_json::from_str(&render(|out| {
            write_list(out, &projects, OutputFormat::Json)
        }))
        .unwrap();
        assert_eq!(array[1]["id"], 4);
    }
}
