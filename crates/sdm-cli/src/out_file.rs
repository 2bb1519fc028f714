//! `--out FILE`: output written under a temporary name beside the target and renamed over it
//! only once complete, so readers never see a partial file and a failure leaves nothing behind.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::cleanup::{self, Registered};
use crate::error::CliError;

/// Buffer between the writer and the temporary file.
const BUFFER: usize = 256 * 1024;

/// A file being written. [`OutFile::commit`] moves it into place; dropped before that, the
/// temporary file is removed and the target is left as it was.
#[derive(Debug)]
pub struct OutFile {
    writer: BufWriter<NamedTempFile>,
    target: PathBuf,
    /// Removes the temporary file if a signal stops the process.
    _registered: Registered,
}

impl OutFile {
    /// Creates the temporary file in the target's directory (so the rename cannot cross file
    /// systems); fails early when the directory is missing or not writable.
    pub fn create(target: &Path) -> Result<Self, CliError> {
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
        let (temp, registered) = temp_file_in(dir, name).map_err(|e| {
            CliError::io(format!("could not create a file in {}", dir.display()), e)
        })?;
        Ok(Self {
            writer: BufWriter::with_capacity(BUFFER, temp),
            target: target.to_owned(),
            _registered: registered,
        })
    }

    /// The buffered writer over the temporary file.
    pub fn writer(&mut self) -> &mut dyn Write {
        &mut self.writer
    }

    /// The error for a failed write to this file.
    pub fn write_error(target: &Path, error: std::io::Error) -> CliError {
        CliError::io(format!("could not write {}", target.display()), error)
    }

    /// Flushes, syncs to disk and renames the file into place.
    pub fn commit(self) -> Result<(), CliError> {
        let target = self.target;
        let temp = self
            .writer
            .into_inner()
            .map_err(|e| Self::write_error(&target, e.into_error()))?;
        temp.as_file()
            .sync_all()
            .map_err(|e| Self::write_error(&target, e))?;
        keep_permissions(&target, temp.as_file());
        temp.persist(&target).map_err(|e| {
            CliError::io(
                format!(
                    "could not move the output into place at {}",
                    target.display()
                ),
                e.error,
            )
        })?;
        Ok(())
    }
}

/// The longest file name most file systems take, in bytes.
const MAX_NAME_BYTES: usize = 255;
/// What a temporary name adds to its prefix: six random characters and `.part`.
const TEMP_EXTRA: usize = 6 + ".part".len();

/// A temporary file `.NAME.XXXXXX.part` in `dir`, the name cut (at a character boundary) when
/// the whole would not fit in a file name: a target name of 250 bytes is valid, and its
/// temporary file must be too. It is removed on drop, and, while the [`Registered`] lives, if
/// a signal stops the process.
pub fn temp_file_in(dir: &Path, name: &OsStr) -> std::io::Result<(NamedTempFile, Registered)> {
    cleanup::create_registered(|| {
        tempfile::Builder::new()
            .prefix(&temp_prefix(name))
            .rand_bytes(6)
            .suffix(".part")
            .tempfile_in(dir)
    })
}

/// `.NAME.`, with NAME cut so that the temporary name stays within [`MAX_NAME_BYTES`].
fn temp_prefix(name: &OsStr) -> String {
    let name = name.to_string_lossy();
    let room = MAX_NAME_BYTES - TEMP_EXTRA - 2;
    let mut end = name.len().min(room);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!(".{}.", &name[..end])
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
        let mut out = OutFile::create(&target).unwrap();
        out.writer().write_all(b"{}\n").unwrap();
        assert!(!target.exists());
        out.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "{}\n");
        assert_eq!(names_in(dir.path()), ["rows.ndjson"]);
    }

    #[test]
    fn an_uncommitted_file_leaves_the_old_one_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("rows.json");
        std::fs::write(&target, "old").unwrap();
        let mut out = OutFile::create(&target).unwrap();
        out.writer().write_all(b"[partial").unwrap();
        assert_eq!(
            names_in(dir.path()).len(),
            2,
            "the temporary file exists meanwhile"
        );
        drop(out);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(names_in(dir.path()), ["rows.json"]);
    }

    #[test]
    fn a_name_as_long_as_file_systems_allow_still_gets_a_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["r".repeat(250) + ".csv", "é".repeat(127)] {
            let target = dir.path().join(&name);
            let mut out = OutFile::create(&target).unwrap();
            out.writer().write_all(b"x").unwrap();
            out.commit().unwrap();
            assert_eq!(std::fs::read_to_string(&target).unwrap(), "x");
            std::fs::remove_file(&target).unwrap();
        }
        assert!(names_in(dir.path()).is_empty());
    }

    #[test]
    fn temporary_names_fit_in_a_file_name() {
        assert_eq!(temp_prefix(OsStr::new("rows.csv")), ".rows.csv.");
        for name in ["a".repeat(255), "é".repeat(127), "東".repeat(85)] {
            let prefix = temp_prefix(OsStr::new(&name));
            assert!(
                prefix.len() + TEMP_EXTRA <= MAX_NAME_BYTES,
                "{}",
                prefix.len()
            );
            assert!(name.starts_with(&prefix[1..prefix.len() - 1]));
        }
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
