//! What can make a command fail, and how a failure is told on standard error.

use std::error::Error as StdError;
use std::io::{self, Write};

/// A failed command. [`crate::exit::exit_code`] turns it into the process exit status.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The arguments cannot work (no token, unreadable token file, empty password, ...).
    #[error("{message}")]
    Usage {
        /// What is wrong, for the user.
        message: String,
        /// The underlying cause, when there is one (e.g. the token file could not be read).
        #[source]
        source: Option<io::Error>,
    },
    /// The API refused the request or could not be reached.
    #[error(transparent)]
    Api(#[from] sdm_ureq::Error),
    /// The server refused the e-mail and password at login.
    ///
    /// DRF answers bad credentials with `400 {"non_field_errors": [...]}`, not 401; this keeps
    /// that case apart from other 400s so it exits like any other refused authentication.
    #[error(transparent)]
    CredentialsRefused(sdm_ureq::Error),
    /// Standard output could not be written (closed pipe, full disk, ...).
    #[error("could not write to standard output")]
    Stdout(#[source] io::Error),
    /// Any other local input/output failure (reading standard input, writing `--out`).
    #[error("{what}")]
    Io {
        /// What was being done, e.g. `could not write "rows.json"`.
        what: String,
        /// The system's error.
        #[source]
        source: io::Error,
    },
    /// A failure, with advice on the option to change (told after the failure).
    #[error("{error}")]
    Hinted {
        /// The failure.
        error: Box<CliError>,
        /// What to try, e.g. `raise the limit with --max-row-bytes`.
        hint: String,
    },
    /// `jobs wait` ended without the job being done.
    #[error("{message}")]
    Job {
        /// How the wait ended; decides the exit code.
        outcome: JobOutcome,
        /// What to tell the user, e.g. `job … failed: Column "EAN" is missing`.
        message: String,
    },
}

/// How a wait ended when the job is not done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobOutcome {
    /// The job ended in `error`.
    Failed,
    /// The job is `pending`: a person must act in SDM.
    NeedsAction,
    /// The deadline passed while the job was still running.
    TimedOut,
    /// An ending this program does not know (a newer library).
    Unexpected,
}

impl CliError {
    /// A usage error with no underlying cause.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::Usage {
            message: message.into(),
            source: None,
        }
    }

    /// A local input/output failure while doing `what`.
    pub fn io(what: impl Into<String>, source: io::Error) -> Self {
        CliError::Io {
            what: what.into(),
            source,
        }
    }

    /// A wait that ended with `outcome`, told by `message`.
    pub fn job(outcome: JobOutcome, message: impl Into<String>) -> Self {
        CliError::Job {
            outcome,
            message: message.into(),
        }
    }

    /// The same failure, with advice on what to change.
    pub fn with_hint(self, hint: impl Into<String>) -> Self {
        CliError::Hinted {
            error: Box::new(self),
            hint: hint.into(),
        }
    }

    /// True when the reader of standard output went away (`sdm jobs data … | head`): the
    /// command ends quietly then, as `head` asked for no more.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            CliError::Stdout(e) => e.kind() == io::ErrorKind::BrokenPipe,
            CliError::Hinted { error, .. } => error.is_broken_pipe(),
            _ => false,
        }
    }
}

/// Prints `error: <what>`, one `  caused by: <why>` line per source in the chain, and the
/// `  hint: <advice>` if there is one.
///
/// Writing to standard error is best effort: if even that fails there is nobody left to tell.
pub fn report(error: &CliError, stderr: &mut dyn Write) {
    if let CliError::Hinted { error, hint } = error {
        report(error, stderr);
        let _ = writeln!(stderr, "  hint: {hint}");
        return;
    }
    let _ = writeln!(stderr, "error: {error}");
    let mut last = error.to_string();
    let mut source = error.source();
    let mut timeout = None;
    while let Some(cause) = source {
        let text = cause.to_string();
        // Some errors repeat their cause's text in their own; saying it twice helps nobody.
        if !text.is_empty() && !last.contains(&text) {
            let _ = writeln!(stderr, "  caused by: {text}");
        }
        if let Some(timed_out) = cause.downcast_ref::<sdm_ureq::TimedOut>() {
            timeout = Some(timed_out.setting);
        }
        last = text;
        source = cause.source();
    }
    // The library names its own setting; on the command line it is an option.
    if let Some(setting @ ("connect" | "read")) = timeout {
        let _ = writeln!(stderr, "  hint: raise it with --{setting}-timeout");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_prints_the_chain_once_each() {
        let error = CliError::io(
            "could not write \"out.json\"",
            io::Error::new(io::ErrorKind::PermissionDenied, "permission denied"),
        );
        let mut out = Vec::new();
        report(&error, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "error: could not write \"out.json\"\n  caused by: permission denied\n"
        );

        let error = CliError::usage("no API token");
        let mut out = Vec::new();
        report(&error, &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "error: no API token\n");
    }

    #[test]
    fn hints_come_after_the_chain() {
        let error = CliError::io(
            "could not write \"out.json\"",
            io::Error::new(io::ErrorKind::PermissionDenied, "permission denied"),
        )
        .with_hint("try another directory");
        let mut out = Vec::new();
        report(&error, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "error: could not write \"out.json\"\n  caused by: permission denied\n  \
             hint: try another directory\n"
        );
        let pipe = CliError::Stdout(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(pipe.with_hint("x").is_broken_pipe());
    }

    #[test]
    fn only_stdout_broken_pipes_are_quiet() {
        let pipe = || io::Error::from(io::ErrorKind::BrokenPipe);
        assert!(CliError::Stdout(pipe()).is_broken_pipe());
        assert!(!CliError::io("writing rows.json", pipe()).is_broken_pipe());
        assert!(!CliError::Stdout(io::Error::other("disk full")).is_broken_pipe());
    }
}
