//! `sdm import`: the whole supplier import in one command. Upload the file (or rows), wait for
//! its parsing, create the job, wait for it, then optionally stream its rows (`--data`, as
//! `jobs data`) or its file (`--download`, as `jobs download`).
//!
//! One `--timeout` bounds it all: each stage gets only the time left, its requests, retries
//! and polls included (see [`Deadline`]). Everything that can be checked locally (the source,
//! the options, where the output goes) is checked before the upload, so a usage error sends
//! nothing. Exit codes are those of `jobs wait`; when parsing fails no job is created.

use std::io::Write;
use std::path::Path;

use sdm_ureq::{CreateJob, Job, OutputFormatId, WaitOptions};

use super::deadline::Deadline;
use super::files::{self, Upload};
use super::jobs_download::{self, Target};
use super::jobs_wait::{live_status, settle};
use super::{jobs_data, jobs_get, stdout_error};
use crate::cli::{DataFormat, GlobalArgs, ImportArgs, OutputFormat};
use crate::error::CliError;
use crate::output::printable;
use crate::progress::{self, Progress};

/// What happens once the job is done.
#[derive(Debug)]
enum Then<'a> {
    /// Print the job: its id alone (`table`), or the object.
    Show(OutputFormat),
    /// Stream its rows.
    Data(OutputFormatId, DataFormat, Option<&'a Path>),
    /// Download its file.
    Download(OutputFormatId, Target<'a>),
}

impl<'a> Then<'a> {
    /// The last stage as the options ask, refused before anything is sent when they do not fit.
    fn of(args: &'a ImportArgs) -> Result<Self, CliError> {
        let out = args.out.as_deref();
        if let Some(out) = out {
            check_out(out)?;
        }
        if let Some(format) = args.data {
            let rows = match args.output {
                None | Some(OutputFormat::Ndjson) => DataFormat::Ndjson,
                Some(OutputFormat::Json) => DataFormat::Json,
                Some(OutputFormat::Csv) => DataFormat::Csv,
                Some(OutputFormat::Table) => {
                    return Err(CliError::usage(
                        "--data writes rows as ndjson, json or csv, not as a table",
                    ));
                }
            };
            return Ok(Then::Data(format, rows, out));
        }
        if let Some(format) = args.download {
            if args.output.is_some() {
                return Err(CliError::usage(
                    "--download writes the file as the server sends it: -o does not apply",
                ));
            }
            return Ok(Then::Download(format, Target::checked(out, None)?));
        }
        if out.is_some() {
            return Err(CliError::usage("--out needs --data or --download"));
        }
        Ok(Then::Show(args.output.unwrap_or(OutputFormat::Table)))
    }
}

pub fn run(global: &GlobalArgs, args: &ImportArgs, stdout: &mut dyn Write) -> Result<(), CliError> {
    let then = Then::of(args)?;
    let (upload, default_name) = match (&args.path, &args.rows) {
        (Some(path), _) => (Upload::file(path, args.skip_lines)?, name_of(path)),
        (None, Some(rows)) if rows == Path::new("-") => (
            Upload::Rows(files::read_rows(rows)?),
            "rows from standard input".to_owned(),
        ),
        (None, Some(rows)) => (Upload::Rows(files::read_rows(rows)?), name_of(rows)),
        (None, None) => return Err(CliError::usage("give a PATH to upload, or --rows FILE")),
    };
    let name = args.name.clone().unwrap_or(default_name);
    let deadline = Deadline::new(args.timeout);

    // 1. Upload.
    let client = deadline.client(global, |config| config)?;
    let file = upload
        .send(&client)
        .map_err(|e| deadline.error("uploading the file", e))?;

    // 2. Parsing: no job is created from a file that failed it.
    let client = deadline.client(global, |config| config)?;
    let (file, parsed) = files::wait_parsed(&client, file, polling(&deadline, args.interval));
    parsed?;

    // 3. The job.
    deadline.check("creating the job")?;
    let create = CreateJob::new(file.id, args.project, name).model_version(args.model_version);
    let client = deadline.client(global, |config| config)?;
    let job = {
        let progress = Progress::spinner(progress::WAIT);
        progress.set_message(|| format!("file {}: ready; creating the job", file.id));
        client
            .create_job(&create)
            .map_err(|e| deadline.error("creating the job", e))?
    };

    // 4. Waiting for it.
    let client = deadline.client(global, |config| config)?;
    let (done, failure) = wait_job(&client, &job, &deadline, args.interval)?;
    let done = done.unwrap_or(job);
    if let Some(failure) = failure {
        if let Then::Show(format) = then {
            show(stdout, &done, format)?;
        }
        return Err(failure);
    }

    // 5. Its output.
    match then {
        Then::Show(format) => show(stdout, &done, format),
        Then::Data(format, rows, out) => {
            let client = deadline.client(global, |config| {
                config.with_max_row_bytes(args.max_row_bytes)
            })?;
            jobs_data::write_rows(&client, &done.id, format, rows, out, stdout)
                .map_err(|e| deadline_error(&deadline, "fetching the rows", e))
        }
        Then::Download(format, target) => {
            let client = deadline.client(global, |config| config)?;
            jobs_download::download(&client, &done.id, format, target, stdout)
                .map_err(|e| deadline_error(&deadline, "downloading the file", e))
        }
    }
}

/// `--out FILE` must name a file in a directory that exists: checked before the upload, so
/// that a typo does not surface only once the job is done. (The file itself is created at the
/// last stage, beside its target, as `jobs data --out` does.)
fn check_out(out: &Path) -> Result<(), CliError> {
    if out.is_dir() || out.file_name().is_none() {
        return Err(CliError::usage(format!(
            "--out {} does not name a file",
            out.display()
        )));
    }
    let dir = match out.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(CliError::usage(format!(
            "--out {}: the directory {} does not exist",
            out.display(),
            dir.display()
        )));
    }
    Ok(())
}

/// How both waits poll: every `interval` when one is given, so that an import paces its polls
/// as a script with `sleep INTERVAL` would; otherwise from 2 s, growing by half up to 30 s, as
/// `jobs wait` does. Either way until the deadline.
fn polling(deadline: &Deadline, interval: Option<std::time::Duration>) -> WaitOptions {
    let options = deadline.wait_options(interval);
    match interval {
        Some(interval) => options.max_interval(interval),
        None => options,
    }
}

/// A failure of the last stage, told as the deadline passing when it cut the request short.
fn deadline_error(deadline: &Deadline, doing: &str, error: CliError) -> CliError {
    match error {
        CliError::Api(error) => deadline.error(doing, error),
        other => other,
    }
}

/// Polls the new job until it stops running or the deadline passes; returns the last job seen
/// and, unless it is done, the error that says how the wait ended.
fn wait_job(
    client: &sdm_ureq::Client,
    job: &Job,
    deadline: &Deadline,
    interval: Option<std::time::Duration>,
) -> Result<(Option<Job>, Option<CliError>), CliError> {
    let id = &job.id;
    let progress = Progress::spinner(progress::WAIT);
    progress.set_message(|| format!("job {id}: {}", live_status(job)));
    let outcome = client
        .wait_for_job(id, polling(deadline, interval), |job| {
            progress.set_message(|| format!("job {id}: {}", live_status(job)));
        })
        .map_err(|e| deadline.error("waiting for the job", e))?;
    Ok(settle(id, outcome))
}

/// The job as the import prints it without `--data`/`--download`: its id alone for a table,
/// else as `jobs get` would.
fn show(stdout: &mut dyn Write, job: &Job, format: OutputFormat) -> Result<(), CliError> {
    let written = match format {
        OutputFormat::Table => writeln!(stdout, "{}", job.id),
        format => jobs_get::write(stdout, job, format),
    };
    written.map_err(stdout_error)
}

/// A job name from a path: its last component.
fn name_of(path: &Path) -> String {
    path.file_name().map_or_else(
        || printable(&path.display().to_string()).into_owned(),
        |name| name.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn import(args: &[&str]) -> Result<ImportArgs, clap::Error> {
        let cli = Cli::try_parse_from(["sdm", "import"].iter().chain(args))?;
        match cli.command {
            Command::Import(args) => Ok(args),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn the_last_stage_follows_the_options() {
        let args = import(&["x.csv", "--project", "1"]).unwrap();
        assert!(matches!(
            Then::of(&args).unwrap(),
            Then::Show(OutputFormat::Table)
        ));
        let args = import(&["x.csv", "--project", "1", "--data", "2", "-o", "csv"]).unwrap();
        assert!(matches!(
            Then::of(&args).unwrap(),
            Then::Data(OutputFormatId(2), DataFormat::Csv, None)
        ));
        let args = import(&["x.csv", "--project", "1", "--data", "2"]).unwrap();
        assert!(matches!(
            Then::of(&args).unwrap(),
            Then::Data(_, DataFormat::Ndjson, None)
        ));
        let args = import(&[
            "x.csv",
            "--project",
            "1",
            "--download",
            "2",
            "--out",
            "o.csv",
        ])
        .unwrap();
        assert!(matches!(
            Then::of(&args).unwrap(),
            Then::Download(_, Target::File(_))
        ));

        for refused in [
            &["x.csv", "--project", "1", "--data", "2", "-o", "table"][..],
            &[
                "x.csv",
                "--project",
                "1",
                "--download",
                "2",
                "-o",
                "json",
                "--out",
                "o",
            ],
            &["x.csv", "--project", "1", "--out", "o.csv"],
            &[
                "x.csv",
                "--project",
                "1",
                "--data",
                "1",
                "--out",
                "/nonexistent/sdm/o.csv",
            ],
            &["x.csv", "--project", "1", "--download", "1", "--out", "/"],
        ] {
            let error = Then::of(&import(refused).unwrap()).unwrap_err();
            assert_eq!(
                crate::exit::exit_code(&error),
                crate::exit::USAGE,
                "{refused:?}"
            );
        }
        for refused in [
            &["--project", "1"][..],
            &["x.csv", "--rows", "r.ndjson", "--project", "1"],
            &["x.csv"],
            &["x.csv", "--project", "1", "--data", "1", "--download", "1"],
            &["--rows", "r.ndjson", "--skip-lines", "2", "--project", "1"],
        ] {
            assert_eq!(import(refused).unwrap_err().exit_code(), 2, "{refused:?}");
        }
    }

    #[test]
    fn an_interval_given_is_kept() {
        let deadline = Deadline::new(Some(std::time::Duration::from_secs(60)));
        let every = std::time::Duration::from_millis(300);
        let fixed = polling(&deadline, Some(every));
        assert_eq!((fixed.initial_interval, fixed.max_interval), (every, every));
        let default = polling(&Deadline::new(None), None);
        assert_eq!(default, WaitOptions::default());
    }

    #[test]
    fn jobs_are_named_after_the_file() {
        assert_eq!(
            name_of(Path::new("/data/offers week 48.csv")),
            "offers week 48.csv"
        );
        assert_eq!(name_of(Path::new("rows.ndjson")), "rows.ndjson");
    }
}
