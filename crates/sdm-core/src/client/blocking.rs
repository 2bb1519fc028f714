//! The blocking client: every operation over any [`Transport`].

use std::fmt;

use http::response::Parts;
use std::sync::Arc;
use std::time::Instant;

use crate::body::{ERROR_BODY_BYTES, read_blocking};
use crate::client::deadline::{self, End, Limits};
use crate::client::rows::RowsState;
use crate::client::{
    Attempts, Exchange, Shared, body_failure, copy_request, earliest, error_response,
    parse_document,
};
use crate::client::{Download, Jobs, Projects, RowReader};
use crate::config::ClientConfig;
use crate::error::Error;
use crate::model::{
    FileId, Job, JobId, JobSummary, OutputFormatId, Page, Project, ProjectId, Row, UploadedFile,
};
use crate::ops::{
    CreateJob, CreateToken, DownloadJobFile, GetFile, GetJob, GetJobData, GetProject, JobQuery,
    ListJobs, ListProjects, Operation, ProjectQuery, UploadFile, UploadRows,
};
use crate::pager::{Pager, PagerOptions};
use crate::secret::{Password, Token};
use crate::transport::{BlockingBody, RequestBody, Transport};
use crate::waiter::{Awaited, WaitOptions, WaitOutcome, WaitStep, Waiter};

/// A blocking SDM client over the transport `T`.
///
/// Cheap to clone (whatever `T` is): clones share the configuration, the transport and the
/// rate limiter, so requests from every clone are paced together.
pub struct BlockingClient<T> {
    shared: Shared,
    transport: Arc<T>,
}

impl<T> Clone for BlockingClient<T> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
            transport: Arc::clone(&self.transport),
        }
    }
}

impl<T: Transport + Default> BlockingClient<T> {
    /// A client for the API at `base_url` using `token`, with the transport's defaults.
    pub fn new(base_url: &str, token: impl Into<Token>) -> Result<Self, Error> {
        Ok(Self::with_transport(
            ClientConfig::new(base_url)?.with_token(token),
            T::default(),
        ))
    }
}

impl<T: Transport> BlockingClient<T> {
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
    /// # use sdm_core::{BlockingClient, ClientConfig, RetryPolicy};
    /// # fn demo<T: sdm_core::transport::Transport>(client: &BlockingClient<T>) {
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
    /// limits, parse; GET requests are retried as the configured [`RetryPolicy`] says, within
    /// the configured deadline, if any.
    ///
    /// [`RetryPolicy`]: crate::RetryPolicy
    pub fn execute<O: Operation>(&self, op: &O) -> Result<O::Output, Error> {
        self.execute_until(op, self.shared.config.deadline())
    }

    /// [`execute`](Self::execute), over by `deadline` (a wait's poll gets the time the wait has
    /// left); each attempt is also bound by the document timeout.
    fn execute_until<O: Operation>(
        &self,
        op: &O,
        deadline: Option<Instant>,
    ) -> Result<O::Output, Error> {
        let config = &self.shared.config;
        self.with_retries(op, deadline, true, |request, number, end| {
            let (head, mut body) = self.open_once(op, request, number, end)?;
            let body = read_blocking(&mut body, config.max_document_bytes())
                .map_err(|e| body_failure(op.describe(), e))?;
            parse_document(op, config, head, body)
        })
    }

    /// Sends the operation's request, retrying as allowed, until a success response head
    /// arrives; the body is left to the caller to stream (and ends in a timeout error once the
    /// configured deadline has passed).
    pub(crate) fn open<O: Operation>(&self, op: &O) -> Result<(Parts, BlockingBody), Error> {
        let deadline = self.shared.config.deadline();
        self.with_retries(op, deadline, false, |request, number, end| {
            self.open_once(op, request, number, end)
        })
    }

    /// Runs `attempt` on copies of the operation's request until it succeeds, the retry
    /// policy gives up or `deadline` comes, sleeping between attempts; each attempt is told
    /// when it must be over (`document`: the document timeout bounds it too).
    fn with_retries<O: Operation, R>(
        &self,
        op: &O,
        deadline: Option<Instant>,
        document: bool,
        mut attempt: impl FnMut(http::Request<RequestBody>, u32, Option<End>) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let config = &self.shared.config;
        let request = op.request(config)?;
        let limits = Limits::new(deadline, config.document_timeout(), document, &request);
        let mut attempts = Attempts::new(&self.shared, op.describe(), &request, limits);
        loop {
            let number = attempts.number();
            let start = attempts.begin()?;
            if !start.wait.is_zero() {
                self.transport.sleep(start.wait);
            }
            let result = attempts
                .span()
                .in_scope(|| attempt(copy_request(&request), number, start.end));
            match result {
                Ok(output) => return Ok(output),
                Err(error) => {
                    let delay = attempts.after_error(op, error)?;
                    self.transport.sleep(delay);
                }
            }
        }
    }

    /// One exchange up to the response head, once its slot under the rate limit has come:
    /// sends (telling the transport when the attempt must `end`), and turns an error status
    /// into its typed error. The body returned stops being read at `end`.
    fn open_once<O: Operation>(
        &self,
        op: &O,
        mut request: http::Request<RequestBody>,
        number: u32,
        end: Option<End>,
    ) -> Result<(Parts, BlockingBody), Error> {
        deadline::mark(&mut request, end);
        let exchange = Exchange::start(&self.shared.config, op, number, &mut request);
        let response = exchange.finished(self.transport.send(request))?;
        let (head, body) = response.into_parts();
        let mut body = deadline::bound_blocking(body, end);
        if head.status.is_success() {
            return Ok((head, body));
        }
        let error_body = read_blocking(&mut body, ERROR_BODY_BYTES)
            .map_err(|e| body_failure(op.describe(), e))?;
        Err(op.refine_error(error_response(
            &self.shared.config,
            op.describe(),
            &head,
            error_body,
        )))
    }

    /// Creates (or fetches) the token `token_name` for this user: `POST auth/token/`.
    pub fn login(
        &self,
        email: &str,
        password: &Password,
        token_name: &str,
    ) -> Result<Token, Error> {
        self.execute(&CreateToken::new(email, password.clone(), token_name))
    }

    /// One job: `GET jobs/{id}/`.
    pub fn get_job(&self, id: &JobId) -> Result<Job, Error> {
        self.execute(&GetJob::new(id.clone()))
    }

    /// One page of jobs: `GET jobs/?…`.
    pub fn list_jobs(&self, query: &JobQuery) -> Result<Page<JobSummary>, Error> {
        self.execute(&ListJobs::new(query.clone()))
    }

    /// Every job matching `query`, over all pages: in list order, each job once. After the
    /// first page, `options.concurrency` requests are kept in flight, each on a thread of its
    /// own (see [`PagerOptions`]).
    ///
    /// The iterator owns a clone of the client, so it can be returned from a function or sent
    /// to another thread.
    pub fn jobs(&self, query: &JobQuery, options: PagerOptions) -> Jobs<T> {
        let pager = Pager::new(
            self.shared.config.base_url().clone(),
            query.clone(),
            options,
        );
        Jobs::new(self.clone(), pager)
    }

    /// Polls the job until it is `done`, `error` or `pending`, or the options' deadline passes.
    ///
    /// `on_change` sees the job at the first poll and whenever its status or step changes.
    /// Errors a retry could cure do not end the wait; others (401, 404, …) are returned.
    pub fn wait_for_job(
        &self,
        id: &JobId,
        options: WaitOptions,
        on_change: impl FnMut(&Job),
    ) -> Result<WaitOutcome, Error> {
        self.wait_for(&GetJob::new(id.clone()), options, on_change)
    }

    /// Polls an uploaded file until its parsing is over (`ready` or `error`), or the options'
    /// deadline passes; `on_change` sees it at the first poll and whenever its status changes.
    pub fn wait_for_file(
        &self,
        id: FileId,
        options: WaitOptions,
        on_change: impl FnMut(&UploadedFile),
    ) -> Result<WaitOutcome<UploadedFile>, Error> {
        self.wait_for(&GetFile::new(id), options, on_change)
    }

    /// Polls with `op` as the [`Waiter`] says, reporting each change of stage. Each poll gets
    /// only the time the wait (and the configured deadline) leaves.
    fn wait_for<O: Operation>(
        &self,
        op: &O,
        options: WaitOptions,
        mut on_change: impl FnMut(&O::Output),
    ) -> Result<WaitOutcome<O::Output>, Error>
    where
        O::Output: Awaited,
    {
        let hard = self.shared.config.deadline();
        let started = Instant::now();
        let mut waiter = Waiter::new(options.until(hard, started), started);
        loop {
            let deadline = earliest(hard, waiter.poll_deadline(Instant::now()));
            let step = match self.execute_until(op, deadline) {
                Ok(polled) => {
                    if waiter.is_change(&polled) {
                        on_change(&polled);
                    }
                    waiter.on_poll(polled, Instant::now())
                }
                Err(error) => waiter.on_error(error, Instant::now())?,
            };
            match step {
                WaitStep::Sleep(pause) => self.transport.sleep(pause),
                WaitStep::Finished(outcome) => return Ok(outcome),
            }
        }
    }

    /// The output rows of a done job, streamed as the body arrives:
    /// `GET jobs/{id}/data/{output_format_id}/`. The request is retried as allowed until the
    /// response starts; a failure while streaming ends the rows with an error.
    pub fn job_rows(
        &self,
        id: &JobId,
        output_format_id: OutputFormatId,
    ) -> Result<RowReader, Error> {
        let op = GetJobData::new(id.clone(), output_format_id);
        let (_, body) = self.open(&op)?;
        let state = RowsState::new(op.describe(), self.shared.config.max_row_bytes());
        Ok(RowReader::new(body, state))
    }

    /// Every output row of a done job, collected (see [`job_rows`](Self::job_rows) to stream).
    pub fn job_data(
        &self,
        id: &JobId,
        output_format_id: OutputFormatId,
    ) -> Result<Vec<Row>, Error> {
        self.job_rows(id, output_format_id)?.collect()
    }

    /// A done job's output file, streamed as it arrives:
    /// `GET jobs/{id}/download/{output_format_id}/`. The request is retried as allowed until
    /// the response starts; read the [`Download`] to the end to get the whole file.
    pub fn download(
        &self,
        id: &JobId,
        output_format_id: OutputFormatId,
    ) -> Result<Download, Error> {
        let op = DownloadJobFile::new(id.clone(), output_format_id);
        let (head, body) = self.open(&op)?;
        Ok(Download::new(op.describe(), &head, body))
    }

    /// Uploads a supplier file (`POST files/`, multipart, streamed from disk). Parsing starts
    /// on the server afterwards: see [`wait_for_file`](Self::wait_for_file).
    ///
    /// Sent again only where the server cannot have acted on it (a 429, a connection that
    /// failed before the request was written); other failures are [`Error::Unconfirmed`].
    pub fn upload_file(&self, upload: &UploadFile) -> Result<UploadedFile, Error> {
        self.execute(upload)
    }

    /// Uploads rows held in memory as JSON (`POST files/` with `{"data": [...]}`).
    pub fn upload_rows(&self, rows: &[Row]) -> Result<UploadedFile, Error> {
        self.execute(&UploadRows::new(rows))
    }

    /// One uploaded file and where its parsing stands: `GET files/{id}/`.
    pub fn get_file(&self, id: FileId) -> Result<UploadedFile, Error> {
        self.execute(&GetFile::new(id))
    }

    /// Creates a job from a parsed file (`POST jobs/`); never sent twice by accident (see
    /// [`upload_file`](Self::upload_file)).
    pub fn create_job(&self, job: &CreateJob) -> Result<Job, Error> {
        self.execute(job)
    }

    /// One page of projects: `GET projects/?…`.
    pub fn list_projects(&self, query: &ProjectQuery) -> Result<Page<Project>, Error> {
        self.execute(&ListProjects::new(query.clone()))
    }

    /// Every project, over all pages, each once, the same way as [`jobs`](Self::jobs).
    pub fn projects(&self, query: &ProjectQuery, options: PagerOptions) -> Projects<T> {
        let pager = Pager::new(
            self.shared.config.base_url().clone(),
            query.clone(),
            options,
        );
        Projects::new(self.clone(), pager)
    }

    /// One project with its steps: `GET projects/{id}/`.
    pub fn get_project(&self, id: ProjectId) -> Result<Project, Error> {
        self.execute(&GetProject::new(id))
    }
}

impl<T> fmt::Debug for BlockingClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingClient")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}
