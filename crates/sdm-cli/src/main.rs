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

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

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
/// Without `RUST_LOG` nothing is installed at all: a bridged `log` record costs a call even when
/// filtered out, and ureq logs on every read of a large body.
fn init_tracing() {
    let Ok(filter) = EnvFilter::try_from_default_env() else {
        return;
    };
    let max_level = filter.max_level_hint().and_then(|level| level.into_level());
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
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
