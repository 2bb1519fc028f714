//! The async client: every operation over any [`AsyncTransport`].

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use crate::body::read_async;
use crate::client::async_jobs::job_stream;
use crate::client::{Attempts, Exchange, Shared, body_limit, copy_request, finish};
use crate::config::ClientConfig;
use crate::error::{Error, TransportFailure};
use crate::model::{Job, JobId, JobSummary, OutputFormatId, Page, Row};
use crate::ops::{CreateToken, GetJob, GetJobData, JobQuery, ListJobs, Operation};
use crate::pager::{JobPager, PagerOptions};
use crate::secret::{Password, Token};
use crate::transport::AsyncTransport;
use crate::waiter::{WaitOptions, WaitOutcome, WaitStep, Waiter};

/// An async SDM client over the transport `T`.
///
/// Cheap to clone when `T` is; the configuration is shared.
#[derive(Clone)]
pub struct AsyncClient<T> {
    shared: Arc<Shared>,
    transport: T,
}

impl<T: AsyncTransport + Default> AsyncClient<T> {
    /// A client for the API at `base_url` using `token`, with the transport's defaults.
    pub fn new(base_url: &str, token: impl Into<Token>) -> Result<Self, Error> {
        Ok(Self::with_transport(
            ClientConfig::new(base_url)?.with_token(token),
            T::default(),
        ))
    }
}

impl<T: AsyncTransport> AsyncClient<T> {
    /// A client with this configuration and transport.
    pub fn with_transport(config: ClientConfig, transport: T) -> Self {
        Self {
            shared: Arc::new(Shared::new(config)),
            transport,
        }
    }

    /// The same client using `token` from now on (e.g. the one [`login`](Self::login) returned).
    pub fn with_token(self, token: Token) -> Self {
        let config = self.shared.config.clone().with_token(token);
        Self {
            shared: Arc::new(Shared::new(config)),
            transport: self.transport,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.shared.config
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Runs any operation: build, pace under the rate limit, send, read the body under the
    /// limits, parse; GET requests are retried as the configured [`RetryPolicy`] says.
    ///
    /// [`RetryPolicy`]: crate::RetryPolicy
    pub async fn execute<O: Operation + Sync>(&self, op: &O) -> Result<O::Output, Error> {
        let request = op.request(&self.shared.config)?;
        let mut attempts = Attempts::new(&self.shared, op.describe(), &request);
        loop {
            match self.attempt(op, copy_request(&request)).await {
                Ok(output) => return Ok(output),
                Err(error) => {
                    let delay = attempts.after_error(error)?;
                    self.transport.sleep(delay).await;
                }
            }
        }
    }

    /// One attempt: wait for a slot under the rate limit, send, read, parse.
    async fn attempt<O: Operation + Sync>(
        &self,
        op: &O,
        request: http::Request<Vec<u8>>,
    ) -> Result<O::Output, Error> {
        let wait = self.shared.reserve_slot();
        if !wait.is_zero() {
            self.transport.sleep(wait).await;
        }
        let config = &self.shared.config;
        let exchange = Exchange::start(&request);
        let response = exchange.finished(|| op.describe(), self.transport.send(request).await)?;
        let (head, mut body) = response.into_parts();
        let body = read_async(&mut body, body_limit(config, &head))
            .await
            .map_err(|e| Error::Transport(Box::new(TransportFailure::new(op.describe(), e))))?;
        finish(op, config, head, body)
    }

    /// Creates (or fetches) the token `token_name` for this user: `POST auth/token/`.
    pub async fn login(
        &self,
        email: &str,
        password: &Password,
        token_name: &str,
    ) -> Result<Token, Error> {
        self.execute(&CreateToken::new(email, password.clone(), token_name))
            .await
    }

    /// One job: `GET jobs/{id}/`.
    pub async fn get_job(&self, id: &JobId) -> Result<Job, Error> {
        self.execute(&GetJob::new(id.clone())).await
    }

    /// One page of jobs: `GET jobs/?…`.
    pub async fn list_jobs(&self, query: &JobQuery) -> Result<Page<JobSummary>, Error> {
        self.execute(&ListJobs::new(query.clone())).await
    }

    /// Every job matching `query`, over all pages, as a stream: in list order, each job once,
    /// pages after the first fetched concurrently (see [`PagerOptions`]).
    pub fn jobs(
        &self,
        query: &JobQuery,
        options: PagerOptions,
    ) -> impl futures_core::Stream<Item = Result<JobSummary, Error>> + Send + '_ {
        let pager = JobPager::new(
            self.shared.config.base_url().clone(),
            query.clone(),
            options,
        );
        job_stream(self, pager)
    }

    /// Polls the job until it is `done`, `error` or `pending`, or the options' deadline passes.
    ///
    /// `on_change` sees the job at the first poll and whenever its status or step changes.
    /// Errors a retry could cure do not end the wait; others (401, 404, …) are returned.
    pub async fn wait_for_job(
        &self,
        id: &JobId,
        options: WaitOptions,
        mut on_change: impl FnMut(&Job) + Send,
    ) -> Result<WaitOutcome, Error> {
        let mut waiter = Waiter::new(options, Instant::now());
        loop {
            let step = match self.get_job(id).await {
                Ok(job) => {
                    if waiter.is_change(&job) {
                        on_change(&job);
                    }
                    waiter.on_job(job, Instant::now())
                }
                Err(error) => waiter.on_error(error, Instant::now())?,
            };
            match step {
                WaitStep::Sleep(pause) => self.transport.sleep(pause).await,
                WaitStep::Finished(outcome) => return Ok(outcome),
            }
        }
    }

    /// Every output row of a done job: `GET jobs/{id}/data/{output_format_id}/`.
    pub async fn job_data(
        &self,
        id: &JobId,
        output_format_id: OutputFormatId,
    ) -> Result<Vec<Row>, Error> {
        self.execute(&GetJobData::new(id.clone(), output_format_id))
            .await
    }
}

impl<T> fmt::Debug for AsyncClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncClient")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}
