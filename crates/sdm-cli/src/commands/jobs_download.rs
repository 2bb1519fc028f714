//! `sdm jobs download`: a done job's output file, streamed in constant memory to `--out FILE`
//! (which appears only once complete), into `--out-dir DIR` under the server's name made safe,
//! or to standard output when it is not a terminal.
//!
//! In `--out-dir`, an existing file is never replaced: the file is written under a temporary
//! name and moved to the first free name of `report.csv`, `report (1).csv`, `report (2).csv`...
//! without overwriting (a rename that refuses an existing target), so two downloads at once
//! cannot clobber each other either.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use sdm_ureq::{Client, Download, DownloadInfo, JobId, OutputFormatId};

use super::{client, note, stdout_error};
use crate::cli::{GlobalArgs, JobsDownloadArgs};
use crate::error::CliError;
use crate::out_file::OutFile;
use crate::progress::{self, Progress};
use crate::sanitise::{contains_secret, printable_whole};

/// Bytes read from the network at a time.
const CHUNK: usize = 64 * 1024;
/// How many `name (n).ext` are tried in `--out-dir` before giving up.
const MAX_SUFFIX: u32 = 999;

/// Where the file goes.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    /// This file, replaced atomically.
    File(&'a Path),
    /// This directory, under the server's name made safe.
    Dir(&'a Path),
    /// Standard output.
    Stdout,
}

impl<'a> Target<'a> {
    /// The target of `--out` / `--out-dir`, checked before any request: standard output must
    /// not be a terminal (the file may be binary), and the directory must exist.
    pub fn checked(out: Option<&'a Path>, out_dir: Option<&'a Path>) -> Result<Self, CliError> {
        match (out, out_dir) {
            (Some(file), _) => Ok(Target::File(file)),
            (None, Some(dir)) if dir.is_dir() => Ok(Target::Dir(dir)),
            (None, Some(dir)) => Err(CliError::usage(format!(
                "--out-dir {} is not a directory",
                dir.display()
            ))),
            (None, None) if io::stdout().is_terminal() => Err(CliError::usage(
                "the output file may be binary and standard output is a terminal: \
                 pass --out FILE or --out-dir DIR, or redirect the output",
            )),
            (None, None) => Ok(Target::Stdout),
        }
    }
}

pub fn run(
    global: &GlobalArgs,
    args: &JobsDownloadArgs,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    let target = Target::checked(args.out.as_deref(), args.out_dir.as_deref())?;
    let client = client(global)?;
    download(&client, &args.job_id, args.output_format_id, target, stdout)
}

/// Downloads job `id`'s file in `format` to `target`; with [`Target::Dir`] prints the path
/// written on `stdout`. A failure (a 404, a body cut short) leaves no file behind.
pub fn download(
    client: &Client,
    id: &JobId,
    format: OutputFormatId,
    target: Target<'_>,
    stdout: &mut dyn Write,
) -> Result<(), CliError> {
    match target {
        Target::File(path) => {
            // Created before the request, so an unwritable directory fails before a download.
            let mut file = OutFile::create(path)?;
            let mut download = client.download(id, format)?;
            copy(&mut download, file.writer(), &|e| {
                OutFile::write_error(path, e)
            })?;
            file.commit()?;
            if io::stderr().is_terminal() {
                note(format_args!(
                    "wrote {} bytes to {}",
                    download.received(),
                    path.display()
                ));
            }
        }
        Target::Dir(dir) => {
            let mut download = client.download(id, format)?;
            let name = file_name(download.info(), id, format);
            let written = write_into(dir, &name, &mut download)?;
            // Whole: a script reads the path back (the name is already made safe).
            writeln!(
                stdout,
                "{}",
                printable_whole(&written.display().to_string())
            )
            .map_err(stdout_error)?;
        }
        Target::Stdout => {
            let mut download = client.download(id, format)?;
            copy(&mut download, stdout, &stdout_error)?;
            stdout.flush().map_err(stdout_error)?;
        }
    }
    Ok(())
}

/// The server's name made safe, else `job-<id>-<format>.<ext>` with the extension of the
/// content type. A name that holds the token (a server echoing it) is not used either: the
/// path printed would have to mask it, and then name no file.
pub fn file_name(info: &DownloadInfo, id: &JobId, format: OutputFormatId) -> String {
    let name = info.safe_file_name().filter(|name| !contains_secret(name));
    name.unwrap_or_else(|| {
        format!(
            "job-{id}-{format}.{}",
            extension(info.content_type.as_deref())
        )
    })
}

/// `csv` or `xlsx` from a content type; `bin` for anything else.
fn extension(content_type: Option<&str>) -> &'static str {
    let media = content_type
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase());
    match media.as_deref() {
        Some("text/csv") => "csv",
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") => "xlsx",
        _ => "bin",
    }
}

/// `name`, then `stem (1).ext`, `stem (2).ext`...
fn candidate(name: &str, n: u32) -> String {
    if n == 0 {
        return name.to_owned();
    }
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem} ({n}).{ext}"),
        _ => format!("{name} ({n})"),
    }
}

/// Writes the download into `dir` under a temporary name, then moves it to the first free
/// candidate of `name`; returns the path.
fn write_into(dir: &Path, name: &str, download: &mut Download) -> Result<PathBuf, CliError> {
    // `_registered` lives until the function returns, after the rename.
    let (temp, _registered) = crate::out_file::temp_file_in(dir, name.as_ref())
        .map_err(|e| CliError::io(format!("could not create a file in {}", dir.display()), e))?;
    let first = dir.join(name);
    let write_error = |e| OutFile::write_error(&first, e);
    let mut writer = BufWriter::with_capacity(CHUNK * 4, temp);
    copy(download, &mut writer, &write_error)?;
    let mut temp = writer
        .into_inner()
        .map_err(|e| write_error(e.into_error()))?;
    temp.as_file().sync_all().map_err(write_error)?;
    for n in 0..=MAX_SUFFIX {
        let path = dir.join(candidate(name, n));
        match temp.persist_noclobber(&path) {
            Ok(_) => return Ok(path),
            Err(error) if error.error.kind() == io::ErrorKind::AlreadyExists => temp = error.file,
            Err(error) => {
                return Err(CliError::io(
                    format!(
                        "could not move the download into place at {}",
                        path.display()
                    ),
                    error.error,
                ));
            }
        }
    }
    Err(CliError::io(
        format!("no free name for {name} in {}", dir.display()),
        io::Error::from(io::ErrorKind::AlreadyExists),
    ))
}

/// Copies the download to `out` chunk by chunk, with progress on a terminal.
fn copy(
    download: &mut Download,
    out: &mut dyn Write,
    write_error: &dyn Fn(io::Error) -> CliError,
) -> Result<(), CliError> {
    let progress = Progress::spinner(progress::DATA);
    progress.set_message(|| "downloading".to_owned());
    let mut buf = vec![0; CHUNK];
    loop {
        let n = download.read_chunk(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        out.write_all(&buf[..n]).map_err(write_error)?;
        progress.set_position(download.received());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(content_type: Option<&str>, file_name: Option<&str>) -> DownloadInfo {
        let mut headers = sdm_core::http::HeaderMap::new();
        if let Some(t) = content_type {
            headers.insert("content-type", t.parse().unwrap());
        }
        if let Some(name) = file_name {
            headers.insert("content-disposition", name.parse().unwrap());
        }
        DownloadInfo::from_headers(&headers)
    }

    #[test]
    fn names_are_safe_or_fall_back() {
        let id = JobId::parse("9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b").unwrap();
        let format = OutputFormatId(2);
        let named = info(
            Some("text/csv"),
            Some("attachment; filename=\"../../evil.csv\""),
        );
        assert_eq!(file_name(&named, &id, format), "evil.csv");
        let hostile = info(Some("text/csv"), Some("attachment; filename=\"..\""));
        assert_eq!(file_name(&hostile, &id, format), format!("job-{id}-2.csv"));
        let excel = info(
            Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            None,
        );
        assert_eq!(file_name(&excel, &id, format), format!("job-{id}-2.xlsx"));
        let odd = info(Some("text/CSV; charset=utf-8"), None);
        assert_eq!(file_name(&odd, &id, format), format!("job-{id}-2.csv"));
        assert_eq!(
            file_name(&info(None, None), &id, format),
            format!("job-{id}-2.bin")
        );
    }

    #[test]
    fn candidates_number_before_the_extension() {
        assert_eq!(candidate("report.csv", 0), "report.csv");
        assert_eq!(candidate("report.csv", 1), "report (1).csv");
        assert_eq!(candidate("archive.tar.gz", 2), "archive.tar (2).gz");
        assert_eq!(candidate("README", 3), "README (3)");
    }
}
