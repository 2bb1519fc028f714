//! Every job matching a filter, over all pages, as an async stream: 100 per page, four requests
//! in flight, each job once, in list order.
//!
//! `cargo run -p sdm-reqwest --example list_all_jobs_async [STATUS]`
//! With `SDM_BASE_URL` and `SDM_TOKEN` set it talks to that API; otherwise to the fake server.

use futures_util::StreamExt;
use sdm_reqwest::{Client, JobQuery, JobStatus, PagerOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fake;
    let client = match (std::env::var("SDM_BASE_URL"), std::env::var("SDM_TOKEN")) {
        (Ok(base_url), Ok(token)) => Client::new(&base_url, token)?,
        _ => {
            fake = sdm_mock::MockServer::start();
            Client::new(fake.base_url(), fake.token())?
        }
    };
    let mut query = JobQuery::new();
    if let Some(status) = std::env::args().nth(1) {
        query = query.status(JobStatus::from_api(&status));
    }
    let jobs = client.jobs(&query, PagerOptions::default());
    let mut jobs = std::pin::pin!(jobs);
    let mut shown = 0;
    while let Some(job) = jobs.next().await {
        let job = job?;
        println!(
            "{}  {:<8} {}",
            job.id,
            job.status,
            job.name.as_deref().unwrap_or("")
        );
        shown += 1;
    }
    eprintln!("{shown} jobs");
    Ok(())
}
