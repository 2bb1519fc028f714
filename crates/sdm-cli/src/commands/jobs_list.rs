//! `sdm jobs list`: one page of jobs, newest first, with the API's filters; or, with `--all`,
//! every page, fetched concurrently and printed as the jobs arrive.

use std::io::{self, Write};

use sdm_core::proto::JobPager;
use sdm_ureq::{JobQuery, JobSummary, Page, PagerOptions};

use super::{client, note, stdout_error};
use crate::cli::{GlobalArgs, JobsListArgs, OutputFormat};
use crate::columns::Columns;
use crate::error::CliError;
use crate::job_writer::JobWriter;
use crate::progress::{self, Progress};

/// Jobs per page asked for with `--all` unless `--page-size` says otherwise.
const ALL_PAGE_SIZE: u64 = 100;
/// Pages fetched at once with `--all` unless `--concurrency` says otherwise: as many as the
/// fair-use rate lets start together (10 in any second). With fewer, a high-latency walk waits on
/// its slots while the rate limit would allow more, and a walk paced to 10 per second cannot
/// win that time back later.
const ALL_CONCURRENCY: u64 = 10;

pub fn run(
    global: &GlobalArgs,
    args: &JobsListArgs,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    crate::columns::check_format(args.columns.as_ref(), args.output).map_err(CliError::usage)?;
    if args.all {
        return run_all(global, args, stdout);
    }
    let query = query(args);
    let page = client(global)?.list_jobs(&query)?;
    write_with(stdout, &page.results, args.output, args.columns.clone()).map_err(stdout_error)?;
    if args.output == OutputFormat::Table {
        note(format_args!("{}", footer(&page, query.page.unwrap_or(1))));
    }
    Ok(())
}

/// `--all`: every page, jobs written as they arrive, progress on a terminal.
fn run_all(
    global: &GlobalArgs,
    args: &JobsListArgs,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    let client = client(global)?;
    let concurrency = args.concurrency.unwrap_or(ALL_CONCURRENCY);
    let mut options = PagerOptions::default()
        .page_size(args.page_size.unwrap_or(ALL_PAGE_SIZE))
        .concurrency(usize::try_from(concurrency).unwrap_or(usize::MAX));
    if let Some(limit) = args.limit {
        options = options.limit(limit);
    }
    let mut jobs = client.jobs(&query(args), options);
    let progress = Progress::spinner(progress::LIST);
    progress.set_message(|| "fetching the first page".to_owned());
    let mut writer =
        JobWriter::start_with(stdout, args.output, args.columns.clone()).map_err(stdout_error)?;
    while let Some(job) = jobs.next() {
        match job {
            Ok(job) => writer.write(job).map_err(stdout_error)?,
            Err(error) => {
                drop(progress);
                writer.abandon().map_err(stdout_error)?;
                return Err(error.into());
            }
        }
        progress.set_message(|| fetched(jobs.pager(), args.limit));
    }
    drop(progress);
    let written = writer.finish().map_err(stdout_error)?;
    if args.output == OutputFormat::Table {
        let noun = if written == 1 { "job" } else { "jobs" };
        note(format_args!("{written} {noun}"));
    }
    Ok(())
}

/// `fetched 400/2000 jobs`: jobs handed out so far, of those the server announced (or the
/// limit, when lower).
fn fetched(pager: &JobPager, limit: Option<u64>) -> String {
    let yielded = pager.yielded();
    match pager.count() {
        Some(count) => {
            let total = limit.map_or(count, |limit| limit.min(count));
            format!("fetched {yielded}/{total} jobs")
        }
        None => format!("fetched {yielded} jobs"),
    }
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

/// Writes one page of jobs in `format`: `json` an array of the server's objects, `ndjson` one
/// per line.
#[cfg(test)]
pub fn write(out: &mut dyn Write, jobs: &[JobSummary], format: OutputFormat) -> io::Result<()> {
    write_with(out, jobs, format, None)
}

/// [`write`] in these columns with `-o table` or `-o csv` (`--columns`), or the default ones.
pub fn write_with(
    out: &mut dyn Write,
    jobs: &[JobSummary],
    format: OutputFormat,
    columns: Option<Columns<JobSummary>>,
) -> io::Result<()> {
    let mut writer = JobWriter::start_with(out, format, columns)?;
    for job in jobs {
        writer.write(job.clone())?;
    }
    writer.finish().map(drop)
}

/// `page 2 of 12 (300 jobs)`.
///
/// Every page but the last is full, so a page with a `next` link tells the page size the server
/// really used (it may have capped the one asked for); the last page has no `next`.
pub fn footer<T>(page: &Page<T>, number: u64) -> String {
    footer_for(page, number, ("job", "jobs"))
}

/// [`footer`] for any listing: `page 1 of 1 (6 projects)`.
pub fn footer_for<T>(page: &Page<T>, number: u64, (one, many): (&str, &str)) -> String {
    let jobs = match page.count {
        1 => format!("1 {one}"),
        count => format!("{count} {many}"),
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
