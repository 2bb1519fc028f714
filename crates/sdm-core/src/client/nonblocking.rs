//! The async client: every operation over any [`AsyncTransport`].

use std::fmt;

use http::response::Parts;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

use crate::body::{ERROR_BODY_BYTES, read_async};
use crate::client::AsyncRowReader;
use crate::client::JobStream;
use crate::client::rows::RowsState;
use crate::client::{
    Attempts, Exchange, Shared, body_failure, copy_request, error_response, parse_document,
};
use crate::config::ClientConfig;
use crate::error::Error;
use crate::model::{Job, JobId, JobSummary, OutputFormatId, Page, Row};
use crate::ops::{CreateToken, GetJob, GetJobData, JobQuery, ListJobs, Operation};
use crate::pager::{JobPager, PagerOptions};
use crate::secret::{Password, Token};
use crate::transport::{AsyncBody, AsyncTransport, RequestBody};
use crate::waiter::{WaitOptions, WaitOutcome, WaitStep, Waiter};

/// An async SDM client over the transport `T`.
///
/// Cheap to clone (whatever `T` is): clones share the configuration, the transport and the
/// rate limiter, so requests from every clone are paced together.
pub struct AsyncClient<T> {
    shared: Shared,
    transport: Arc<T>,
}

impl<T> Clone for AsyncClient<T> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
            transport: Arc::clone(&self.transport),
        }
    }
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
            shared: Shared::new(config),
            transport: Arc::new(transport),
        }
    }

    /// The same client using `token` from now on (e.g. the one [`login`](Self::login) returned).
    /// It shares this client's transport and rate limiter.
    pub fn with_token(&self, token: Token) -> Self {
        self.with_config(|config| config.with_token(token))
    }

    /// A client with its configuration changed by `change`, sharing this client's transport
    /// and rate limiter (unless the change sets another rate limit): the way to override a
    /// setting for some calls.
    ///
    /// ```
    /// # use sdm_core::{AsyncClient, ClientConfig, RetryPolicy};
    /// # fn demo<T: sdm_core::transport::AsyncTransport>(client: &AsyncClient<T>) {
    /// // One call that fails at once rather than retry.
    /// let impatient = client.with_config(|config| config.with_retry_policy(RetryPolicy::none()));
    /// # }
    /// ```
    pub fn with_config(&self, change: impl FnOnce(ClientConfig) -> ClientConfig) -> Self {
        Self {
            shared: self
                .shared
                .with_config(change(ClientConfig::clone(&self.shared.config))),
            transport: Arc::clone(&self.transport),
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
        let config = &self.shared.config;
        let request = op.request(config)?;
        let mut attempts = Attempts::new(&self.shared, op.describe(), &request);
        loop {
            // (A loop per method rather than a helper taking an async closure: the futures of
            // such closures cannot yet be proven `Send` for every lifetime.)
            let attempt = async {
                let (head, mut body) = self
                    .open_once(op, copy_request(&request), attempts.number())
                    .await?;
                match read_async(&mut body, config.max_document_bytes()).await {
                    Ok(body) => parse_document(op, config, head, body),
                    Err(e) => Err(body_failure(op.describe(), e)),
                }
            };
            let result = attempt.instrument(attempts.span()).await;
            match result {
                Ok(output) => return Ok(output),
                Err(error) => self.transport.sleep(attempts.after_error(error)?).await,
            }
        }
    }

    /// Sends the operation's request, retrying as allowed, until a success response head
    /// arrives; the body is left to the caller to stream.
    pub(crate) async fn open<O: Operation + Sync>(
        &self,
        op: &O,
    ) -> Result<(Parts, AsyncBody), Error> {
        let request = op.request(&self.shared.config)?;
        let mut attempts = Attempts::new(&self.shared, op.describe(), &request);
        loop {
            let attempt = self.open_once(op, copy_request(&request), attempts.number());
            match attempt.instrument(attempts.span()).await {
                Ok(opened) => return Ok(opened),
                Err(error) => self.transport.sleep(attempts.after_error(error)?).await,
            }
        }
    }

    /// One exchange up to the response head: waits for a slot under the rate limit, sends, and
    /// turns an error status into its typed error.
    async fn open_once<O: Operation + Sync>(
        &self,
        op: &O,
        mut request: http::Request<RequestBody>,
        number: u32,
    ) -> Result<(Parts, AsyncBody), Error> {
        let wait = self.shared.reserve_slot();
        if !wait.is_zero() {
            self.transport.sleep(wait).await;
        }
        let exchange = Exchange::start(&self.shared.config, op, number, &mut request);
        let response = exchange.finished(self.transport.send(request).await)?;
        let (head, mut body) = response.into_parts();
        if head.status.is_success() {
            return Ok((head, body));
        }
        let error_body = read_async(&mut body, ERROR_BODY_BYTES)
            .await
            .map_err(|e| body_failure(op.describe(), e))?;
        Err(op.refine_error(error_response(op.describe(), &head, error_body)))
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

    /// Every job matching `query`, over all pages, as a stream: in list order, each job once.
    /// After the first page, `options.concurrency` requests are kept in flight (see
    /// [`PagerOptions`]).
    ///
    /// The stream owns a clone of the client: it is `'static` when the transport is, so it can
    /// be returned from a function or handed to a web framework.
    pub fn jobs(&self, query: &JobQuery, options: PagerOptions) -> JobStream<T> {
        let pager = JobPager::new(
            self.shared.config.base_url().clone(),
            query.clone(),
            options,
        );
        JobStream::new(self.clone(), pager)
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

    /// The output rows of a done job, streamed as the body arrives:
    /// `GET jobs/{id}/data/{output_format_id}/`. The request is retried as allowed until the
    /// response starts; a failure while streaming ends the rows with an error.
    pub async fn job_rows(
        &self,
        id: &JobId,
        output_format_id: OutputFormatId,
    ) -> Result<AsyncRowReader, Error> {
        let op = GetJobData::new(id.clone(), output_format_id);
        let (_, body) = self.open(&op).await?;
        let state = RowsState::new(op.describe(), self.shared.config.max_row_bytes());
        Ok(AsyncRowReader::new(body, state))
    }

    /// Every output row of a done job, collected (see [`job_rows`](Self::job_rows) to stream).
    pub async fn job_data(
        &self,
        id: &JobId,
        output_format_id: OutputFormatId,
    ) -> Result<Vec<Row>, Error> {
        let mut reader = self.job_rows(id, output_format_id).await?;
        let mut rows = Vec::new();
        while let Some(row) = reader.next_typed::<Row>().await? {
            rows.push(row);
        }
        Ok(rows)
    }
}

impl<T> fmt::Debug for AsyncClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncClient")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}
