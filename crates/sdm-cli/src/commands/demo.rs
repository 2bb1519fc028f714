//! `sdm demo`: a guided tour against the embedded fake API, showing real requests and answers.

use std::io::Write;
use std::time::{Duration, Instant};

use sdm_core::proto::write_compact;
use sdm_mock::{JobSpec, MockServer, Status};
use sdm_ureq::{
    BaseUrl, Client, CreateJob, JobId, JobQuery, JobStatus, OutputFormatId, ProjectId, UploadFile,
    WaitOptions, WaitOutcome,
};

use super::jobs_get::key_values;
use super::jobs_list::footer;
use super::jobs_wait::live_status;
use super::{anonymous_client, stdout_error};
use crate::cli::GlobalArgs;
use crate::duration;
use crate::error::CliError;
use crate::job_writer::table;
use crate::output::{printable, write_key_values};
use crate::progress::{self, Progress};

/// Jobs listed in step 2.
const LIST_PAGE_SIZE: u64 = 5;
/// Rows shown in step 5.
const ROWS_SHOWN: usize = 3;
/// How long the job of step 4 runs.
const WAIT_RUNS_FOR: Duration = Duration::from_secs(3);
/// The first pause between polls in step 4.
const WAIT_INTERVAL: Duration = Duration::from_millis(500);
/// Step 4 gives up after this long (the job takes a few seconds).
const WAIT_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the fake server takes to parse the file of step 6.
const IMPORT_PARSES_FOR: Duration = Duration::from_millis(300);
/// How long the job created in step 6 runs.
const IMPORT_RUNS_FOR: Duration = Duration::from_millis(1000);
/// The pause between polls in step 6, kept the same each time, as `sdm import --interval` does.
const IMPORT_INTERVAL: Duration = Duration::from_millis(250);
/// The project the job of step 6 is created on, and the output format its rows are read in.
const IMPORT_PROJECT: ProjectId = ProjectId(1);
const IMPORT_FORMAT: OutputFormatId = OutputFormatId(1);
/// The supplier file of step 6.
const IMPORT_FILE: &str = "offers.csv";
const IMPORT_CSV: &str = "sku;name;price\n\
    SH-001;Trail running shoe;89.90\n\
    SH-002;City sneaker;\n\
    SH-003;Hiking boot;129.00\n";
/// The token name the demo logs in with.
const TOKEN_NAME: &str = "sdm-demo";

pub fn run(global: &GlobalArgs, stdout: &mut dyn Write) -> Result<(), CliError> {
    let server = MockServer::builder()
        .parse_for(IMPORT_PARSES_FOR)
        .created_jobs_run_for(IMPORT_RUNS_FOR)
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
    let client = anonymous_client(global, &base_url);
    let token = client.login(server.email(), &server.password().into(), TOKEN_NAME)?;
    out.line(format_args!(
        "obtained an API token named {TOKEN_NAME:?} for {} (not shown: it is a secret; \
         `sdm login` saves it as a profile in your config directory, the demo keeps it in \
         memory and writes nothing)",
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

    let new_job = server.add_job(
        JobSpec::new(Status::Done, WAIT_RUNS_FOR).name("Demo import (done in a few seconds)"),
    );
    let new_job = JobId::parse(&new_job).map_err(sdm_ureq::Error::from)?;
    out.heading(
        "4. Wait for a job",
        format_args!(
            "sdm jobs wait {new_job} --interval {}",
            duration::display(WAIT_INTERVAL)
        ),
    )?;
    out.line(format_args!(
        "(a job just submitted: polled until it stops running, each change shown)"
    ))?;
    let waited = wait(out, &client, &new_job)?;
    let job_id = match (waited, done_job) {
        (Some(job), _) => job,
        (None, Some(job)) => job,
        (None, None) => return out.line(format_args!("\nno done job to fetch data from")),
    };

    let format = OutputFormatId(server.world().output_format_ids()[0]);
    out.heading(
        "5. Fetch the output of a done job",
        format_args!("sdm jobs data {job_id} {format} -o ndjson"),
    )?;
    let mut reader = client.job_rows(&job_id, format)?;
    let mut shown: Vec<Vec<u8>> = Vec::new();
    while let Some(raw) = reader.next_raw()? {
        if shown.len() < ROWS_SHOWN {
            let mut line = Vec::new();
            write_compact(raw, &mut line);
            shown.push(line);
        }
    }
    out.line(format_args!(
        "{} rows in output format {format} ({} bytes, streamed); the first {}:",
        reader.rows(),
        reader.bytes(),
        shown.len()
    ))?;
    out.write(|w| {
        shown.iter().try_for_each(|line| {
            w.write_all(line)?;
            w.write_all(b"\n")
        })
    })?;
    import(out, &client)?;
    out.line(format_args!(
        "\nDone. Try it yourself: run `sdm mock` in one terminal and the commands above in another."
    ))
}

/// Step 6: the import flow, stage by stage, as `sdm import` runs it: upload a small CSV, wait
/// for its parsing, create a job from it, wait for the job, show its rows.
fn import(out: &mut Tour<'_>, client: &Client) -> Result<(), CliError> {
    out.heading(
        "6. Import a supplier file",
        format_args!(
            "sdm import {IMPORT_FILE} --project {IMPORT_PROJECT} --data {IMPORT_FORMAT} \
             --interval {}",
            duration::display(IMPORT_INTERVAL)
        ),
    )?;
    let dir = tempfile::tempdir()
        .map_err(|e| CliError::io("could not create a temporary directory", e))?;
    let path = dir.path().join(IMPORT_FILE);
    std::fs::write(&path, IMPORT_CSV)
        .map_err(|e| CliError::io(format!("could not write {}", path.display()), e))?;
    let started = Instant::now();
    let stamp = || format!("[{:4.1}s]", started.elapsed().as_secs_f64());
    let options = || {
        WaitOptions::default()
            .interval(IMPORT_INTERVAL)
            .max_interval(IMPORT_INTERVAL)
            .timeout(WAIT_TIMEOUT)
    };

    let file = client.upload_file(&UploadFile::from_path(&path)?)?;
    out.line(format_args!(
        "{} uploaded {IMPORT_FILE} ({} bytes): file {}, {}",
        stamp(),
        IMPORT_CSV.len(),
        file.id,
        printable(file.status.as_str())
    ))?;
    // Each change is printed as it is seen; a failed write is reported once the wait is over.
    let mut failure = None;
    let parsed = client.wait_for_file(file.id, options(), |file| {
        let line = format!(
            "{} file {}: {}",
            stamp(),
            file.id,
            printable(file.status.as_str())
        );
        if let Err(error) = out.line(format_args!("{line}")) {
            failure.get_or_insert(error);
        }
    })?;
    if let Some(error) = failure.take() {
        return Err(error);
    }
    let WaitOutcome::Done(file) = parsed else {
        return out.line(format_args!("the file was not parsed: no job is created"));
    };

    let create = CreateJob::new(file.id, IMPORT_PROJECT, IMPORT_FILE);
    let job = client.create_job(&create)?;
    out.line(format_args!(
        "{} created job {} on project {IMPORT_PROJECT}",
        stamp(),
        job.id
    ))?;
    let waited = client.wait_for_job(&job.id, options(), |job| {
        let line = format!("{} job: {}", stamp(), live_status(job));
        if let Err(error) = out.line(format_args!("{line}")) {
            failure.get_or_insert(error);
        }
    })?;
    if let Some(error) = failure {
        return Err(error);
    }
    let WaitOutcome::Done(job) = waited else {
        return out.line(format_args!("the job did not end done"));
    };

    let mut reader = client.job_rows(&job.id, IMPORT_FORMAT)?;
    let mut rows = Vec::new();
    while let Some(raw) = reader.next_raw()? {
        let mut line = Vec::new();
        write_compact(raw, &mut line);
        rows.push(line);
    }
    out.line(format_args!(
        "{} the job's {} rows in output format {IMPORT_FORMAT} (empty cells left out):",
        stamp(),
        rows.len()
    ))?;
    out.write(|w| {
        rows.iter().try_for_each(|line| {
            w.write_all(line)?;
            w.write_all(b"\n")
        })
    })
}

/// Step 4: waits for `id`, printing each change of status or step as it is seen (and a live
/// spinner on a terminal); returns the job if it ended done.
fn wait(out: &mut Tour<'_>, client: &Client, id: &JobId) -> Result<Option<JobId>, CliError> {
    let started = Instant::now();
    let progress = Progress::spinner(progress::WAIT);
    let mut failure = None;
    let options = WaitOptions::default()
        .interval(WAIT_INTERVAL)
        .max_interval(WAIT_INTERVAL * 2)
        .timeout(WAIT_TIMEOUT);
    let outcome = client.wait_for_job(id, options, |job| {
        progress.set_message(|| format!("job {id}: {}", live_status(job)));
        let seconds = started.elapsed().as_secs_f64();
        let line = format!("[{seconds:4.1}s] {}", live_status(job));
        if let Err(error) = progress.suspend(|| out.line(format_args!("{line}"))) {
            failure.get_or_insert(error);
        }
    })?;
    drop(progress);
    if let Some(error) = failure {
        return Err(error);
    }
    match outcome {
        WaitOutcome::Done(job) => {
            out.line(format_args!("\nthe job, as `sdm jobs wait` prints it:"))?;
            out.write(|w| write_key_values(w, &key_values(&job)))?;
            Ok(Some(job.id))
        }
        _ => {
            out.line(format_args!("the job did not end done"))?;
            Ok(None)
        }
    }
}

/// The demo's output: headings, lines and rendered blocks, all on standard output, each
/// flushed at once so that the tour shows as it happens.
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
        render(self.out)
            .and_then(|()| self.out.flush())
            .map_err(stdout_error)
    }
}
