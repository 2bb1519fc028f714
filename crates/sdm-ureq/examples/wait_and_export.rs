//! Wait for a job to finish, then export its output rows to an NDJSON file, streaming.
//!
//! `cargo run -p sdm-ureq --example wait_and_export [JOB_ID OUTPUT_FORMAT_ID FILE]`
//! With `SDM_BASE_URL` and `SDM_TOKEN` set it talks to that API; otherwise it starts the embedded
//! fake server and adds a job that finishes after two seconds.

use std::io::{BufWriter, Write};
use std::time::Duration;

use sdm_ureq::sdm_core::proto::write_compact;
use sdm_ureq::{Client, JobId, OutputFormatId, WaitOptions, WaitOutcome};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let fake;
    let (client, job, format, file) =
        match (std::env::var("SDM_BASE_URL"), std::env::var("SDM_TOKEN")) {
            (Ok(base_url), Ok(token)) if args.len() == 3 => (
                Client::new(&base_url, token)?,
                JobId::parse(&args[0])?,
                args[1].parse()?,
                args[2].clone(),
            ),
            _ => {
                fake = sdm_mock::MockServer::start();
                let job = fake.add_job(
                    sdm_mock::JobSpec::new(sdm_mock::Status::Done, Duration::from_secs(2))
                        .rows(1000),
                );
                let client = Client::new(fake.base_url(), fake.token())?;
                (
                    client,
                    JobId::parse(&job)?,
                    OutputFormatId(1),
                    "rows.ndjson".to_owned(),
                )
            }
        };

    let options = WaitOptions::default()
        .interval(Duration::from_millis(500))
        .timeout(Duration::from_secs(600));
    let outcome = client.wait_for_job(&job, options, |job| {
        let step = job
            .step
            .as_ref()
            .and_then(|s| s.name.as_deref())
            .unwrap_or("-");
        eprintln!("{}: {} (step {step})", job.id, job.status);
    })?;
    match outcome {
        WaitOutcome::Done(_) => {}
        WaitOutcome::Failed(job) => {
            return Err(format!("job failed: {}", job.message.unwrap_or_default()).into());
        }
        WaitOutcome::NeedsAction(job) => {
            return Err(format!("job {} waits for a person in SDM", job.id).into());
        }
        other => return Err(format!("gave up: {other:?}").into()),
    }

    // Rows are decoded as the body arrives and written as compact NDJSON: constant memory.
    let mut rows = client.job_rows(&job, format)?;
    let mut out = BufWriter::new(std::fs::File::create(&file)?);
    let mut line = Vec::new();
    while let Some(row) = rows.next_raw()? {
        line.clear();
        write_compact(row, &mut line);
        line.push(b'\n');
        out.write_all(&line)?;
    }
    out.flush()?;
    eprintln!(
        "wrote {} rows ({} bytes received) to {file}",
        rows.rows(),
        rows.bytes()
    );
    Ok(())
}
