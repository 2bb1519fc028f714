//! `sdm mock`: the embedded fake SDM API in the foreground, until the process is stopped.

use std::io::Write;
use std::time::Duration;

use sdm_mock::{FairUse, JobSpec, MockServer, Status};

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
    if let Some(rps) = args.fair_use {
        builder = builder.fair_use(Some(FairUse::per_second(rps)));
    }
    if let Some(ms) = args.parse_ms {
        builder = builder.parse_for(Duration::from_millis(ms));
    }
    if let Some(ms) = args.created_job_run_ms {
        builder = builder.created_jobs_run_for(Duration::from_millis(ms));
    }
    for plan in &args.faults {
        builder = builder.fault(plan.clone());
    }
    let server = builder.start().map_err(|e| {
        CliError::io(
            format!("could not start the fake server on {}", args.addr),
            e,
        )
    })?;
    let mut extra_jobs = Vec::new();
    if let Some(rows) = args.big_job_rows {
        let id = server.add_job(JobSpec::new(Status::Done, Duration::ZERO).rows(rows));
        extra_jobs.push(("big job", id));
    }
    if let Some(run_for) = args.slow_job {
        let id = server.add_job(JobSpec::new(Status::Done, run_for));
        extra_jobs.push(("slow job", id));
    }
    banner(stdout, &server, &extra_jobs).map_err(stdout_error)?;
    let fair_use = args
        .fair_use
        .map(|rps| format!(", {rps} requests per second at most"))
        .unwrap_or_default();
    let faults = if args.faults.is_empty() {
        String::new()
    } else {
        let specs: Vec<String> = args.faults.iter().map(ToString::to_string).collect();
        format!(", with faults {}", specs.join(" "))
    };
    note(format_args!(
        "serving {} fake jobs{fair_use}{faults}; stop with Ctrl-C",
        server.world().jobs().len() + extra_jobs.len()
    ));
    server.wait();
    Ok(())
}

fn banner(
    out: &mut dyn Write,
    server: &MockServer,
    extra_jobs: &[(&str, String)],
) -> std::io::Result<()> {
    writeln!(out, "base URL: {}", server.base_url())?;
    writeln!(out, "token: {}", server.token())?;
    writeln!(out, "email: {}", server.email())?;
    writeln!(out, "password: {}", server.password())?;
    for (label, id) in extra_jobs {
        writeln!(out, "{label}: {id}")?;
    }
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
