//! `sdm demo`: a guided tour against the embedded fake API, showing real requests and answers.

use std::io::Write;

use sdm_mock::MockServer;
use sdm_ureq::{BaseUrl, JobId, JobQuery, JobStatus, OutputFormatId};

use super::jobs_get::key_values;
use super::jobs_list::{footer, table};
use super::{anonymous_client, stdout_error};
use crate::cli::DataFormat;
use crate::error::CliError;
use crate::output::{RowWriter, write_key_values};

/// Jobs listed in step 2.
const LIST_PAGE_SIZE: u64 = 5;
/// Rows shown in step 4.
const ROWS_SHOWN: usize = 3;
/// The token name the demo logs in with.
const TOKEN_NAME: &str = "sdm-demo";

pub fn run(stdout: &mut dyn Write) -> Result<(), CliError> {
    let server = MockServer::builder()
        .start()
        .map_err(|e| CliError::io("could not start the fake server", e))?;
    let out = &mut Tour { out: stdout };
    out.line(format_args!(
        "sdm demo: a fake SDM API is running at {}",
        server.base_url()
    ))?;

    out.heading(
        "1. Log in",
        format_args!("sdm login --email {} --password-stdin", server.email()),
    )?;
    let base_url = BaseUrl::parse(server.base_url()).map_err(sdm_ureq::Error::from)?;
    let client = anonymous_client(&base_url);
    let token = client.login(server.email(), &server.password().into(), TOKEN_NAME)?;
    out.line(format_args!(
        "obtained an API token named {TOKEN_NAME:?} for {} (not shown: it is a secret)",
        server.email()
    ))?;
    let client = client.with_token(token);

    out.heading(
        "2. List the newest jobs",
        format_args!("sdm jobs list --page-size {LIST_PAGE_SIZE}"),
    )?;
    let page = client.list_jobs(&JobQuery::new().page_size(LIST_PAGE_SIZE))?;
    out.write(|w| table(&page.results).write(w))?;
    out.line(format_args!("{}", footer(&page, 1)))?;

    out.heading(
        "3. Get one job of each status",
        format_args!("sdm jobs list --status STATUS --page-size 1 -o ndjson"),
    )?;
    let mut done_job: Option<JobId> = None;
    for status in [
        JobStatus::Running,
        JobStatus::Done,
        JobStatus::Error,
        JobStatus::Pending,
    ] {
        let query = JobQuery::new().status(status.clone()).page_size(1);
        let Some(summary) = client.list_jobs(&query)?.results.into_iter().next() else {
            out.line(format_args!("\n(no job is {status})"))?;
            continue;
        };
        let job = client.get_job(&summary.id)?;
        out.line(format_args!("\n$ sdm jobs get {}", job.id))?;
        out.write(|w| write_key_values(w, &key_values(&job)))?;
        if status == JobStatus::Done {
            done_job = Some(job.id);
        }
    }

    let Some(job_id) = done_job else {
        return out.line(format_args!("\nno done job to fetch data from"));
    };
    let format = OutputFormatId(server.world().output_format_ids()[0]);
    out.heading(
        "4. Fetch the output of a done job",
        format_args!("sdm jobs data {job_id} {format} -o ndjson"),
    )?;
    let rows = client.job_data(&job_id, format)?;
    out.line(format_args!(
        "{} rows in output format {format}; the first {}:",
        rows.len(),
        rows.len().min(ROWS_SHOWN)
    ))?;
    out.write(|w| {
        let mut writer = RowWriter::new(w, DataFormat::Ndjson)?;
        rows.iter()
            .take(ROWS_SHOWN)
            .try_for_each(|row| writer.write_row(row))?;
        writer.finish().map(drop)
    })?;
    out.line(format_args!(
        "\nDone. Try it yourself: run `sdm mock` in one terminal and the commands above in another."
    ))
}

/// The demo's output: headings, lines and rendered blocks, all on standard output.
struct Tour<'a> {
    out: &'a mut dyn Write,
}

impl Tour<'_> {
    fn heading(&mut self, title: &str, command: std::fmt::Arguments<'_>) -> Result<(), CliError> {
        self.write(|w| writeln!(w, "\n== {title} ==\n$ {command}"))
    }

    fn line(&mut self, text: std::fmt::Arguments<'_>) -> Result<(), CliError> {
        self.write(|w| writeln!(w, "{text}"))
    }

    fn write(
        &mut self,
        render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<(), CliError> {
        render(self.out).map_err(stdout_error)
    }
}
