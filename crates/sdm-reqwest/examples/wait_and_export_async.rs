//! Wait for a job to finish, then stream its output rows into your own type.
//!
//! `cargo run -p sdm-reqwest --example wait_and_export_async [JOB_ID OUTPUT_FORMAT_ID]`
//! With `SDM_BASE_URL` and `SDM_TOKEN` set it talks to that API; otherwise it starts the embedded
//! fake server and adds a job that finishes after two seconds.

use std::time::Duration;

use futures_util::StreamExt;
use sdm_reqwest::{Client, JobId, OutputFormatId, WaitOptions, WaitOutcome};

/// The columns this program cares about; the others are ignored, missing ones are `None`.
#[derive(Debug, serde::Deserialize)]
struct Product {
    sku: Option<String>,
    name: Option<String>,
    price: Option<serde_json::Value>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let fake;
    let (client, job, format) = match (std::env::var("SDM_BASE_URL"), std::env::var("SDM_TOKEN")) {
        (Ok(base_url), Ok(token)) if args.len() == 2 => (
            Client::new(&base_url, token)?,
            JobId::parse(&args[0])?,
            args[1].parse()?,
        ),
        _ => {
            fake = sdm_mock::MockServer::start();
            let job = fake.add_job(
                sdm_mock::JobSpec::new(sdm_mock::Status::Done, Duration::from_secs(2)).rows(50),
            );
            (
                Client::new(fake.base_url(), fake.token())?,
                JobId::parse(&job)?,
                OutputFormatId(1),
            )
        }
    };

    let options = WaitOptions::default()
        .interval(Duration::from_millis(500))
        .timeout(Duration::from_secs(600));
    match client
        .wait_for_job(&job, options, |job| eprintln!("{}: {}", job.id, job.status))
        .await?
    {
        WaitOutcome::Done(_) => {}
        other => return Err(format!("the job did not finish well: {other:?}").into()),
    }
    let rows = client
        .job_rows(&job, format)
        .await?
        .into_stream::<Product>();
    let mut rows = std::pin::pin!(rows);
    let mut count = 0;
    while let Some(product) = rows.next().await {
        let product = product?;
        if count < 5 {
            println!("{:?} {:?} {:?}", product.sku, product.name, product.price);
        }
        count += 1;
    }
    eprintln!("{count} rows");
    Ok(())
}
