//! `sdm jobs data`: a done job's output rows, streamed as NDJSON, a JSON array or CSV, to
//! standard output or to a file that appears only once it is complete.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;

use sdm_ureq::{Client, JobId, OutputFormatId};

use super::{client_with, note, stdout_error};
use crate::cli::{DataFormat, GlobalArgs, JobsDataArgs};
use crate::error::CliError;
use crate::out_file::OutFile;
use crate::rows;

/// Buffer in front of standard output: rows are small and many.
const STDOUT_BUFFER: usize = 256 * 1024;

pub fn run(
    global: &GlobalArgs,
    args: &JobsDataArgs,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    fetch(global, args, stdout)
}

fn fetch(global: &GlobalArgs, args: &JobsDataArgs, stdout: &mut dyn Write) -> Result<(), CliError> {
    // Streaming has no limit on the whole output; only a single row is bounded.
    let client = client_with(global, |config| {
        config.with_max_row_bytes(args.max_row_bytes)
    })?;
    write_rows_capped(
        &client,
        &args.job_id,
        args.output_format_id,
        (args.output, args.max_columns),
        args.out.as_deref(),
        stdout,
    )
}

/// Streams job `id`'s rows in `output_format_id` as `format`, to `stdout` or to the file
/// `out` (which appears only once complete), a CSV of at most
/// [`DEFAULT_MAX_COLUMNS`](crate::csv_spool::DEFAULT_MAX_COLUMNS). Shared with
/// `sdm import --data`.
pub(super) fn write_rows(
    client: &Client,
    id: &JobId,
    output_format_id: OutputFormatId,
    format: DataFormat,
    out: Option<&Path>,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    let format = (format, crate::csv_spool::DEFAULT_MAX_COLUMNS);
    write_rows_capped(client, id, output_format_id, format, out, stdout)
}

/// [`write_rows`], with the format and the most columns a CSV may have.
fn write_rows_capped(
    client: &Client,
    id: &JobId,
    output_format_id: OutputFormatId,
    (format, max_columns): (DataFormat, usize),
    out: Option<&Path>,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    match out {
        None => {
            let mut reader = client.job_rows(id, output_format_id)?;
            // Dropped on a failure, the buffer still hands what it holds to `stdout`, so the
            // rows before a stream error are printed before the error is.
            let mut out = BufWriter::with_capacity(STDOUT_BUFFER, stdout);
            rows::write(&mut reader, &mut out, format, max_columns, &stdout_error)?;
            out.flush().map_err(stdout_error)?;
        }
        Some(path) => {
            // Created before the request, so an unwritable directory fails before a download.
            let mut file = OutFile::create(path)?;
            let mut reader = client.job_rows(id, output_format_id)?;
            let write_error = |e| OutFile::write_error(path, e);
            let written = rows::write(
                &mut reader,
                file.writer(),
                format,
                max_columns,
                &write_error,
            )?;
            file.commit()?;
            if std::io::stderr().is_terminal() {
                let rows = if written == 1 { "row" } else { "rows" };
                note(format_args!("wrote {written} {rows} to {}", path.display()));
            }
        }
    }
    Ok(())
}
