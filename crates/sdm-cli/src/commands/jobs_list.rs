//! `sdm jobs list`: one page of jobs, newest first, with the API's filters.

use std::io::{self, Write};

use sdm_ureq::{JobQuery, JobSummary, Page};

use super::jobs_get::{CSV_HEADER, csv_record, project};
use super::{client, note, stdout_error};
use crate::cli::{GlobalArgs, JobsListArgs, OutputFormat};
use crate::error::CliError;
use crate::output::{self, Table, write_csv_record, write_json_line, write_json_pretty};

/// Widest a job name gets in the table before it is cut with `…`.
const NAME_WIDTH: usize = 40;

pub fn run(
    global: &GlobalArgs,
    args: &JobsListArgs,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    let query = query(args);
    let page = client(global)?.list_jobs(&query)?;
    write(stdout, &page.results, args.output).map_err(stdout_error)?;
    if args.output == OutputFormat::Table {
        note(format_args!("{}", footer(&page, query.page.unwrap_or(1))));
    }
    Ok(())
}

/// The API query for the command's filters.
fn query(args: &JobsListArgs) -> JobQuery {
    let mut query = JobQuery::new();
    query.status = args.status.clone();
    query.project = args.project;
    query.created_after = args.created_after;
    query.created_before = args.created_before;
    query.page = args.page;
    query.page_size = args.page_size;
    query
}

/// Writes jobs in `format`: `json` an array of the server's objects, `ndjson` one per line.
pub fn write(out: &mut dyn Write, jobs: &[JobSummary], format: OutputFormat) -> io::Result<()> {
    match format {
        OutputFormat::Table => table(jobs).write(out),
        OutputFormat::Json => write_json_pretty(out, &jobs),
        OutputFormat::Ndjson => jobs.iter().try_for_each(|job| write_json_line(out, job)),
        OutputFormat::Csv => {
            write_csv_record(out, &CSV_HEADER)?;
            jobs.iter()
                .try_for_each(|job| write_csv_record(out, &csv_record(job.raw())))
        }
    }
}

/// The table of jobs for people.
pub fn table(jobs: &[JobSummary]) -> Table {
    let mut table = Table::new(&["ID", "STATUS", "NAME", "PROJECT", "CREATED", "COMPLETED"]);
    for job in jobs {
        let name = job.name.as_deref().unwrap_or("-");
        table.push(vec![
            job.id.to_string(),
            job.status.to_string(),
            output::truncate(&output::printable(name), NAME_WIDTH).into_owned(),
            project(job.project.as_ref(), false),
            output::time(job.creation_date.as_ref()),
            output::time(job.completion_date.as_ref()),
        ]);
    }
    table
}

/// `page 2 of 12 (300 jobs)`.
///
/// Every page but the last is full, so a page with a `next` link tells the page size the server
/// really used (it may have capped the one asked for); the last page has no `next`.
pub fn footer<T>(page: &Page<T>, number: u64) -> String {
    let jobs = match page.count {
        1 => "1 job".to_owned(),
        count => format!("{count} jobs"),
    };
    let size = page.results.len() as u64;
    let pages = if page.next.is_none() {
        number.max(1)
    } else if size > 0 {
        page.count.div_ceil(size).max(number)
    } else {
        return format!("page {number} ({jobs})");
    };
    format!("page {number} of {pages} ({jobs})")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn summaries() -> Vec<JobSummary> {
        serde_json::from_value(json!([
            {"id": "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b", "name": "Weekly feed 0001 – 東京 Trading",
             "status": "done", "project": 2, "creation_date": "2022-04-14T08:48:37.109159Z",
             "completion_date": "2022-04-17T09:53:32.12Z", "extra": true},
            {"id": "00000000-0000-4000-8000-000000000000",
             "name": "A very long job name that goes on and on and on, past forty columns",
             "status": "archived", "project": {"id": 5, "name": "Garden"},
             "creation_date": "2022-04-13T00:00:00Z", "completion_date": null}
        ]))
        .unwrap()
    }

    fn render(format: OutputFormat) -> String {
        let mut out = Vec::new();
        write(&mut out, &summaries(), format).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn table_columns() {
        let expected = [
            "ID                                    STATUS    NAME                                      \
             PROJECT  CREATED               COMPLETED",
            "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b  done      Weekly feed 0001 \u{2013} \u{6771}\u{4eac} Trading           \
             2        2022-04-14T08:48:37Z  2022-04-17T09:53:32Z",
            "00000000-0000-4000-8000-000000000000  archived  A very long job name that goes on and o\u{2026}  \
             5        2022-04-13T00:00:00Z  -",
        ];
        assert_eq!(render(OutputFormat::Table), expected.join("\n") + "\n");
    }

    #[test]
    fn json_ndjson_and_csv() {
        let array: serde_json::Value = serde_json::from_str(&render(OutputFormat::Json)).unwrap();
        assert_eq!(array[0]["extra"], true);
        assert_eq!(array[1]["project"]["name"], "Garden");
        let lines: Vec<serde_json::Value> = render(OutputFormat::Ndjson)
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(serde_json::Value::Array(lines), array);
        assert_eq!(
            render(OutputFormat::Csv),
            "id,name,status,project,creation_date,completion_date\r\n\
             9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b,Weekly feed 0001 – 東京 Trading,done,2,\
             2022-04-14T08:48:37.109159Z,2022-04-17T09:53:32.12Z\r\n\
             00000000-0000-4000-8000-000000000000,\
             \"A very long job name that goes on and on and on, past forty columns\",archived,5,\
             2022-04-13T00:00:00Z,\r\n"
        );
    }

    #[test]
    fn footers() {
        let page = |count, next: bool, len| {
            Page::new(count, next.then(|| "n".to_owned()), None, vec![(); len])
        };
        assert_eq!(footer(&page(300, true, 25), 1), "page 1 of 12 (300 jobs)");
        assert_eq!(footer(&page(300, true, 100), 2), "page 2 of 3 (300 jobs)");
        assert_eq!(footer(&page(300, false, 0), 3), "page 3 of 3 (300 jobs)");
        assert_eq!(footer(&page(1, false, 1), 1), "page 1 of 1 (1 job)");
        assert_eq!(footer(&page(0, false, 0), 1), "page 1 of 1 (0 jobs)");
    }
}
