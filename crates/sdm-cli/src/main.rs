//! `sdm`: the command line for the Akeneo Supplier Data Manager (SDM) jobs API.
//!
//! Parse, run, and turn a failure into one `error:` report on standard error and an exit code
//! (see [`exit`]). Standard output carries only the data asked for.

mod cleanup;
mod cli;
mod columns;
mod commands;
mod csv;
mod csv_spool;
mod date;
mod duration;
mod error;
mod exit;
mod job_writer;
mod out_file;
mod output;
mod profile;
mod progress;
mod rows;
mod sanitise;

use std::io::{self, Write};
use std::process::ExitCode;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

fn main() -> ExitCode {
    let cli = cli::Cli::parse_args();
    progress::init(
        cli.progress.progress,
        cli.progress.progress_interval,
        cli.progress.label.clone(),
    );
    init_tracing();
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    let result = commands::run(cli, &mut stdout)
        .and_then(|()| stdout.flush().map_err(error::CliError::Stdout));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if !error.is_broken_pipe() {
                // Whatever data came before the failure goes out first, then the error.
                let _ = stdout.flush();
                error::report(&error, &mut io::stderr().lock());
            }
            ExitCode::from(exit::exit_code(&error))
        }
    }
}

/// Logs and traces go to standard error, filtered by `RUST_LOG` (default: none, so standard
/// error carries only the `error:` report unless asked for more).
///
/// ureq logs through the `log` crate and is bridged in, except `ureq_proto`: at trace level it
/// hex-dumps every byte on the wire, the `Authorization` header and the login password
/// included, and secrets must never reach the logs.
///
/// Every event passes [`sanitise::log_line`] on its way out ([`LogWriter`]): fields quote the
/// server (a `next` link, an error's detail, header values), and that text must neither drive
/// the terminal nor forge log lines, nor show the token or password. Colours are off for the
/// same reason: the sanitiser cannot tell our escape sequences from the server's.
///
/// Without `RUST_LOG` nothing is installed at all: a bridged `log` record costs a call even when
/// filtered out, and ureq logs on every read of a large body.
fn init_tracing() {
    let Ok(filter) = EnvFilter::try_from_default_env() else {
        return;
    };
    let max_level = filter.max_level_hint().and_then(|level| level.into_level());
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(LogWriter)
        .with_ansi(false)
        .finish();
    let _ = tracing::subscriber::set_global_default(subscriber);
    let log_level = match max_level {
        Some(level) => tracing_log::AsLog::as_log(&level).to_level_filter(),
        None => return,
    };
    let _ = tracing_log::LogTracer::builder()
        .with_max_level(log_level)
        .ignore_crate("ureq_proto")
        .init();
}

/// Standard error for log events, each written whole once made safe by
/// [`sanitise::log_line`]. The fmt subscriber formats an event, then writes it through one
/// writer from [`MakeWriter::make_writer`], so each [`LogEvent`] holds exactly one event.
struct LogWriter;

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = LogEvent;

    fn make_writer(&'a self) -> LogEvent {
        LogEvent(Vec::new())
    }
}

/// One event's text, written to standard error when dropped.
struct LogEvent(Vec<u8>);

impl Write for LogEvent {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for LogEvent {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let line = sanitise::log_line(&String::from_utf8_lossy(&self.0));
        // Best effort, as for every note: nobody is left to tell if standard error is gone.
        let _ = io::stderr().lock().write_all(line.as_bytes());
    }
}
