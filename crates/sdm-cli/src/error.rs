//! What can make a command fail, and how a failure is told on standard error.

use std::error::Error as StdError;
use std::io::{self, Write};

use crate::output::printable;

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
    /// The deadline of `--timeout` passed during a request (an upload, a create, a download):
    /// exit 7 like a wait that timed out, with what the request met.
    #[error("{message}")]
    Deadline {
        /// What was being done when time ran out, e.g. `timed out after 30s uploading …`.
        message: String,
        /// The request's own error (a create may have happened: see [`report`]).
        #[source]
        source: Box<sdm_ureq::Error>,
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

    /// True when the reader of standard output went away (`sdm jobs data … | head`): the
    /// command ends quietly then, as `head` asked for no more.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            CliError::Stdout(e) => e.kind() == io::ErrorKind::BrokenPipe,
            _ => false,
        }
    }
}

/// Prints `error: <what>`, one `  caused by: <why>` line per source in the chain, and the
/// `  hint: <advice>` when the library names a setting the command line has an option for, or
/// a create that may have happened (with the command that finds out).
///
/// Every line is made [`printable`]: errors quote the server (a `detail`, field errors, a job
/// name, an excerpt of a body), and that text must not reach the terminal raw, nor fill it:
/// each line is cut to [`MAX_TEXT_CHARS`](crate::sanitise::MAX_TEXT_CHARS) characters.
///
/// Writing to standard error is best effort: if even that fails there is nobody left to tell.
pub fn report(error: &CliError, stderr: &mut dyn Write) {
    let _ = writeln!(stderr, "error: {}", printable(&error.to_string()));
    let mut last = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        // Some errors repeat their cause's text in their own; saying it twice helps nobody.
        if !text.is_empty() && !last.contains(&text) {
            let _ = writeln!(stderr, "  caused by: {}", printable(&text));
        }
        last = text;
        source = cause.source();
    }
    let api = match error {
        CliError::Api(error) => Some(error),
        CliError::Deadline { source, .. } => Some(source.as_ref()),
        _ => None,
    };
    if let Some(error) = api {
        if let Some(hint) = option_hint(error.underlying()) {
            let _ = writeln!(stderr, "  hint: {hint}");
        }
        if let Some(hint) = unconfirmed_hint(error) {
            let _ = writeln!(stderr, "  hint: {}", printable(&hint));
        }
    }
}

/// What a wait that timed out tells first when its last poll was refused as rate limited
/// (`WaitOutcome::TimedOut::throttled`): `the server was rate limiting (Retry-After 30s); `,
/// so that the user knows the server, not the job, ran the time out. Empty otherwise.
pub fn throttled_note(throttled: Option<std::time::Duration>) -> String {
    match throttled {
        None => String::new(),
        Some(delay) if delay.is_zero() => "the server was rate limiting; ".to_owned(),
        Some(delay) => format!(
            "the server was rate limiting (Retry-After {}); ",
            crate::duration::display(delay)
        ),
    }
}

/// For a job create that may have happened: the command that tells whether it did.
pub fn unconfirmed_hint(error: &sdm_ureq::Error) -> Option<String> {
    let sdm_ureq::Error::Unconfirmed(unconfirmed) = error else {
        return None;
    };
    // Whole seconds, rounded down: the job, if it exists, is at least this recent.
    let since = unconfirmed
        .sent_at
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    match &unconfirmed.created {
        sdm_ureq::Created::Job { project, .. } => Some(format!(
            "check with `sdm jobs list --project {project} --created-after {since}` before \
             creating the job again"
        )),
        // An upload has no listing to check, and needs none: the error already says that
        // uploading again is safe.
        _ => None,
    }
}

/// The library says which setting or timeout an error is about; on the command line that is
/// an option, named here and only here.
fn option_hint(error: &sdm_ureq::Error) -> Option<&'static str> {
    use sdm_ureq::{Setting, TimeoutKind};
    if let Some(timed_out) = error.timed_out() {
        return match timed_out.timeout {
            TimeoutKind::Connect => Some("raise it with --connect-timeout"),
            TimeoutKind::Read => Some("raise it with --read-timeout"),
            _ => None,
        };
    }
    match error.setting()? {
        Setting::MaxRowBytes => Some("raise the limit with --max-row-bytes"),
        Setting::AllowHttp => Some(
            "use https; --allow-http sends the token in clear text anyway, for trusted networks only",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttled_timeout_names_the_retry_after() {
        use std::time::Duration;
        assert_eq!(throttled_note(None), "");
        assert_eq!(
            throttled_note(Some(Duration::from_secs(30))),
            "the server was rate limiting (Retry-After 30s); "
        );
        assert_eq!(
            throttled_note(Some(Duration::from_secs(90))),
            "the server was rate limiting (Retry-After 1m30s); "
        );
        assert_eq!(
            throttled_note(Some(Duration::ZERO)),
            "the server was rate limiting; "
        );
    }

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

    fn reported(error: sdm_ureq::Error) -> String {
        let mut out = Vec::new();
        report(&CliError::Api(error), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_library_names_the_setting_and_the_command_line_its_option() {
        use sdm_ureq::{TimedOut, TimeoutKind, TransportError, TransportErrorKind};
        let config = sdm_ureq::ClientConfig::new("https://sdm.example/api/v1/")
            .unwrap()
            .with_token("t")
            .with_retry_policy(sdm_ureq::RetryPolicy::none())
            .with_rate_limit(None);
        let timing_out = sdm_core::transport::transport_fn(|_| {
            Err(TimedOut::new(
                TimeoutKind::Read,
                std::time::Duration::from_millis(500),
                "stalled",
            )
            .into_transport_error())
        });
        let client = sdm_ureq::BlockingClient::with_transport(config, timing_out);
        let id = sdm_ureq::JobId::parse("9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b").unwrap();
        let text = reported(client.get_job(&id).unwrap_err());
        assert!(text.contains("read timeout of 500ms"), "{text}");
        assert!(
            text.ends_with("  hint: raise it with --read-timeout\n"),
            "{text}"
        );

        let insecure = sdm_ureq::ClientConfig::new("http://sdm.example/api/v1/")
            .unwrap()
            .with_token("t");
        let refusing = sdm_core::transport::transport_fn(|_| {
            Err(TransportError::from_kind(TransportErrorKind::Connect))
        });
        let client = sdm_ureq::BlockingClient::with_transport(insecure, refusing);
        let text = reported(client.get_job(&id).unwrap_err());
        assert_eq!(
            text.matches("--allow-http").count(),
            1,
            "one hint, from the CLI: {text}"
        );
        assert!(text.contains("  hint: use https;"), "{text}");
    }

    /// A client whose every request gets `respond`'s answer, never retried.
    fn client_answering(
        respond: impl Fn() -> Result<sdm_core::http::Response<Vec<u8>>, sdm_ureq::TransportError>
        + Send
        + Sync
        + 'static,
    ) -> sdm_ureq::BlockingClient<impl sdm_core::transport::Transport> {
        let config = sdm_ureq::ClientConfig::new("https://sdm.example/api/v1/")
            .unwrap()
            .with_token("t")
            .with_rate_limit(None);
        sdm_ureq::BlockingClient::with_transport(
            config,
            sdm_core::transport::transport_fn(move |_| respond()),
        )
    }

    #[test]
    fn a_create_that_may_have_happened_names_the_command_that_finds_out() {
        use sdm_ureq::{CreateJob, FileId, ProjectId, TransportError, TransportErrorKind};
        let client = client_answering(|| Err(TransportError::from_kind(TransportErrorKind::Io)));
        let error = client
            .create_job(&CreateJob::new(FileId(12), ProjectId(5), "Offers"))
            .unwrap_err();
        let sdm_ureq::Error::Unconfirmed(unconfirmed) = &error else {
            panic!("{error:?}")
        };
        let since = unconfirmed
            .sent_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        // What happened decides the exit code: a lost connection is "unavailable".
        let error = CliError::Api(error);
        assert_eq!(crate::exit::exit_code(&error), crate::exit::UNAVAILABLE);
        let mut out = Vec::new();
        report(&error, &mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(&format!(
                "  hint: check with `sdm jobs list --project 5 --created-after {since}` before \
                 creating the job again\n"
            )),
            "{text}"
        );
    }

    #[test]
    fn server_text_in_errors_is_made_printable() {
        let client = client_answering(|| {
            Ok(sdm_core::http::Response::builder()
                .status(400)
                .body(
                    br#"{"project": ["Invalid pk \"5\" - object does not exist.\u001b[2J"]}"#
                        .to_vec(),
                )
                .unwrap())
        });
        let create = sdm_ureq::CreateJob::new(sdm_ureq::FileId(1), sdm_ureq::ProjectId(5), "x");
        let error = CliError::Api(client.create_job(&create).unwrap_err());
        assert_eq!(crate::exit::exit_code(&error), crate::exit::FAILURE);
        let mut out = Vec::new();
        report(&error, &mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("project: Invalid pk \"5\" - object does not exist.\u{fffd}[2J"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'), "{text:?}");
    }

    #[test]
    fn long_and_disguised_server_text_in_errors_is_cut_and_shown() {
        let detail = format!("Invalid\u{202E}gpj.exe\u{200B} {}", "x".repeat(5000));
        let body = serde_json::json!({ "detail": detail }).to_string();
        let client = client_answering(move || {
            Ok(sdm_core::http::Response::builder()
                .status(400)
                .body(body.clone().into_bytes())
                .unwrap())
        });
        let id = sdm_ureq::JobId::parse("9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b").unwrap();
        let mut out = Vec::new();
        report(&CliError::Api(client.get_job(&id).unwrap_err()), &mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("Invalid\u{fffd}gpj.exe\u{fffd} xxx"),
            "{text}"
        );
        for line in text.lines() {
            assert!(
                line.chars().count() <= 520,
                "{} chars",
                line.chars().count()
            );
        }
        assert!(text.lines().next().unwrap().ends_with("x…"), "{text}");
    }

    #[test]
    fn only_stdout_broken_pipes_are_quiet() {
        let pipe = || io::Error::from(io::ErrorKind::BrokenPipe);
        assert!(CliError::Stdout(pipe()).is_broken_pipe());
        assert!(!CliError::io("writing rows.json", pipe()).is_broken_pipe());
        assert!(!CliError::Stdout(io::Error::other("disk full")).is_broken_pipe());
    }
}
