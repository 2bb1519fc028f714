//! `sdm jobs data`: a done job's output rows, as NDJSON or a JSON array, to standard output or
//! to a file that appears only once it is complete.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use sdm_ureq::Row;
use tempfile::NamedTempFile;

use super::{client_with, note, stdout_error};
use crate::cli::{DataFormat, GlobalArgs, JobsDataArgs};
use crate::error::CliError;
use crate::output::RowWriter;

/// The largest output body read. The client reads the rows whole for now (no streaming row
/// API yet), and real outputs run to tens of megabytes, well past the 16 MiB default for
/// ordinary documents.
const MAX_DATA_BYTES: usize = 1 << 30;

pub fn run(
    global: &GlobalArgs,
    args: &JobsDataArgs,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    let client = client_with(global, |config| {
        config.with_max_document_bytes(MAX_DATA_BYTES)
    })?;
    match &args.out {
        None => {
            let rows = client.job_data(&args.job_id, args.output_format_id)?;
            write_rows(stdout, &rows, args.output).map_err(stdout_error)?;
        }
        Some(path) => {
            // Created before the request, so an unwritable directory fails before a download.
            let out = OutFile::create(path)?;
            let rows = client.job_data(&args.job_id, args.output_format_id)?;
            let written = out.write(|file| write_rows(file, &rows, args.output))?;
            if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                note(format_args!("wrote {written} rows to {}", path.display()));
            }
        }
    }
    Ok(())
}

/// Writes `rows` in `format`; returns how many were written.
fn write_rows(out: &mut dyn Write, rows: &[Row], format: DataFormat) -> std::io::Result<u64> {
    let mut writer = RowWriter::new(out, format)?;
    for row in rows {
        writer.write_row(row)?;
    }
    let written = writer.rows();
    writer.finish()?;
    Ok(written)
}

/// A file written under a temporary name in the target's directory and renamed over the target
/// once complete: readers never see a partial file under the final name. Dropped without
/// [`OutFile::write`] succeeding, the temporary file is removed.
#[derive(Debug)]
struct OutFile {
    temp: NamedTempFile,
    target: PathBuf,
}

impl OutFile {
    fn create(target: &Path) -> Result<Self, CliError> {
        let Some(name) = target.file_name() else {
            return Err(CliError::usage(format!(
                "--out {} does not name a file",
                target.display()
            )));
        };
        if target.is_dir() {
            return Err(CliError::usage(format!(
                "--out {} is a directory",
                target.display()
            )));
        }
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{}.", name.to_string_lossy()))
            .suffix(".part")
            .tempfile_in(dir)
            .map_err(|e| {
                CliError::io(format!("could not create a file in {}", dir.display()), e)
            })?;
        Ok(Self {
            temp,
            target: target.to_owned(),
        })
    }

    /// Runs `write` on a buffered writer over the temporary file, then syncs it and renames it
    /// into place.
    fn write<T>(
        mut self,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<T>,
    ) -> Result<T, CliError> {
        let failed = |e| CliError::io(format!("could not write {}", self.target.display()), e);
        let result = {
            let mut buffered = BufWriter::new(self.temp.as_file_mut());
            let result = write(&mut buffered).map_err(failed)?;
            buffered
                .into_inner()
                .map_err(|e| failed(e.into_error()))?
                .sync_all()
                .map_err(failed)?;
            result
        };
        keep_permissions(&self.target, self.temp.as_file());
        self.temp.persist(&self.target).map_err(|e| {
            CliError::io(
                format!(
                    "could not move the output into place at {}",
                    self.target.display()
                ),
                e.error,
            )
        })?;
        Ok(result)
    }
}

/// A file replaced in place keeps its permissions; a new one keeps the private mode the
/// temporary file was created with.
fn keep_permissions(target: &Path, file: &File) {
    if let Ok(metadata) = std::fs::metadata(target) {
        let _ = file.set_permissions(metadata.permissions());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_file_appears_only_when_complete() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("rows.ndjson");
        let out = OutFile::create(&target).unwrap();
        assert!(!target.exists());
        out.write(|w| w.write_all(b"{}\n")).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "{}\n");
        assert_eq!(names_in(dir.path()), ["rows.ndjson"]);
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("rows.json");
        std::fs::write(&target, "old").unwrap();
        let out = OutFile::create(&target).unwrap();
        let error = out
            .write(|w| {
                w.write_all(b"[partial")?;
                Err::<(), _>(std::io::Error::other("connection reset"))
            })
            .unwrap_err();
        assert!(error.to_string().starts_with("could not write"), "{error}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(names_in(dir.path()), ["rows.json"]);

        drop(OutFile::create(&target).unwrap());
        assert_eq!(names_in(dir.path()), ["rows.json"]);
    }

    #[test]
    fn directories_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let error = OutFile::create(dir.path()).unwrap_err();
        assert!(matches!(error, CliError::Usage { .. }), "{error:?}");
        let missing = dir.path().join("no/such/dir/rows.json");
        let error = OutFile::create(&missing).unwrap_err();
        assert!(matches!(error, CliError::Io { .. }), "{error:?}");
    }
}
