//! `sdm mock`: the embedded fake SDM API in the foreground, until the process is stopped.

use std::io::Write;
use std::time::Duration;

use sdm_mock::MockServer;

use super::{note, stdout_error};
use crate::cli::MockArgs;
use crate::error::CliError;

/// Prints where the server is and how to reach it, then serves until killed.
///
/// The token printed is the fake server's own, not a user's secret.
pub fn run(args: &MockArgs, stdout: &mut dyn Write) -> Result<(), CliError> {
    let mut builder = MockServer::builder().addr(args.addr);
    if let Some(seed) = args.seed {
        builder = builder.seed(seed);
    }
    if let Some(jobs) = args.jobs {
        builder = builder.job_count(jobs);
    }
    if let Some(size) = args.max_page_size {
        builder = builder.max_page_size(usize::try_from(size).unwrap_or(usize::MAX));
    }
    if let Some(ms) = args.latency_ms {
        builder = builder.latency(Duration::from_millis(ms));
    }
    let server = builder.start().map_err(|e| {
        CliError::io(
            format!("could not start the fake server on {}", args.addr),
            e,
        )
    })?;
    banner(stdout, &server).map_err(stdout_error)?;
    note(format_args!(
        "serving {} fake jobs; stop with Ctrl-C",
        server.world().jobs().len()
    ));
    server.wait();
    Ok(())
}

fn banner(out: &mut dyn Write, server: &MockServer) -> std::io::Result<()> {
    writeln!(out, "base URL: {}", server.base_url())?;
    writeln!(out, "token: {}", server.token())?;
    writeln!(out, "email: {}", server.email())?;
    writeln!(out, "password: {}", server.password())?;
    writeln!(out)?;
    writeln!(
        out,
        "export SDM_BASE_URL={} SDM_TOKEN={}",
        server.base_url(),
        server.token()
    )?;
    // Shown now, not when the server stops: the process will not return from `wait`.
    out.flush()
}
