//! `sdm jobs create`: a job from a parsed file on a project; the new job's id alone on standard
//! output (for `J=$(sdm jobs create ...)`), or the server's object.

use std::io::Write;

use sdm_ureq::{CreateJob, Job};

use super::{client, stdout_error};
use crate::cli::{GlobalArgs, JobsCreateArgs, ShortFormat};
use crate::error::CliError;
use crate::output::write_json_pretty;

pub fn run(
    global: &GlobalArgs,
    args: &JobsCreateArgs,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    let create = CreateJob::new(args.file_id, args.project, args.name.clone())
        .model_version(args.model_version);
    let job = client(global)?.create_job(&create)?;
    write(stdout, &job, args.output).map_err(stdout_error)
}

/// A created job: its id alone on one line, or the server's object.
pub fn write(out: &mut dyn Write, job: &Job, format: ShortFormat) -> std::io::Result<()> {
    match format {
        ShortFormat::Table => writeln!(out, "{}", job.id),
        ShortFormat::Json => write_json_pretty(out, job),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_alone_or_the_object() {
        let job: Job = serde_json::from_value(serde_json::json!({
            "id": "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b", "name": "Offers", "status": "running",
            "file": {"id": 12}
        }))
        .unwrap();
        let mut out = Vec::new();
        write(&mut out, &job, ShortFormat::Table).unwrap();
        assert_eq!(out, b"9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b\n");
        let mut out = Vec::new();
        write(&mut out, &job, ShortFormat::Json).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["file"]["id"], 12);
    }
}
