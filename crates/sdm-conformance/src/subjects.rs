//! Clients under test: the generic [`Subject`]s over any blocking or async transport, and how
//! the kit makes them ([`ConnectWith`], [`Timeouts`]).

use std::fmt;

use futures_core::Stream;
use sdm_core::transport::{AsyncTransport, Transport};
use sdm_core::{
    AsyncClient, BlockingClient, ClientConfig, CreateJob, DownloadInfo, Error, Job, JobId,
    JobQuery, JobSummary, OutputFormatId, Page, PagerOptions, Password, Row, Token, UploadFile,
    UploadedFile, WaitOptions, WaitOutcome,
};

/// The buffer a blocking download is read into.
const DOWNLOAD_BUFFER: usize = 64 * 1024;

use crate::Subject;

/// The timeouts a transport under test is built with: sdm-core's [`Timeouts`], which the
/// first-party transports take as they are.
///
/// The kit chooses them: the defaults ([`Timeouts::DEFAULT`]) for the scenarios, short ones for
/// the fault matrix, so that no fault holds a cell for long. A transport maps them onto its own
/// settings as closely as it can.
pub use sdm_core::transport::Timeouts;

/// Makes a subject from a whole client configuration (base URL, token, retry policy, rate limit,
/// size limits) and transport timeouts: the one way the kit makes clients.
///
/// A transport's implementation builds its transport from `timeouts` and hands it, with `config`
/// unchanged, to [`blocking`] or [`asynchronous`]:
///
/// ```
/// use sdm_conformance::{Subject, Timeouts};
/// use sdm_core::ClientConfig;
///
/// fn connect(config: ClientConfig, timeouts: Timeouts) -> Box<dyn Subject> {
///     # let my_transport = sdm_core::transport::transport_fn(|_: sdm_core::http::Request<Vec<u8>>|
///     #     -> Result<sdm_core::http::Response<Vec<u8>>, sdm_core::TransportError> {
///     #     unimplemented!()
///     # });
///     // e.g. `MyTransport::new(timeouts.connect, timeouts.read)`
///     sdm_conformance::blocking("my-transport", config, my_transport)
/// }
/// let _: sdm_conformance::ConnectWith = connect;
/// ```
pub type ConnectWith = fn(config: ClientConfig, timeouts: Timeouts) -> Box<dyn Subject>;

/// The client configuration the scenarios use: the defaults of [`ClientConfig::new`] (retry
/// policy, fair-use pacing, size limits) for `base_url`, with `token` if there is one.
pub fn default_config(base_url: &str, token: Option<&str>) -> ClientConfig {
    let config = ClientConfig::new(base_url).expect("the fake server's base URL is valid");
    match token {
        Some(token) => config.with_token(token),
        None => config,
    }
}

/// Connects a subject the way the scenarios do: [`default_config`] for `base_url` and `token`,
/// and [`Timeouts::DEFAULT`].
pub fn connect_to(connect: ConnectWith, base_url: &str, token: Option<&str>) -> Box<dyn Subject> {
    connect(default_config(base_url, token), Timeouts::DEFAULT)
}

/// A subject over a blocking transport: `sdm_core::BlockingClient` with this configuration and
/// transport, reporting itself as `name`.
pub fn blocking<T: Transport + 'static>(
    name: &'static str,
    config: ClientConfig,
    transport: T,
) -> Box<dyn Subject> {
    Box::new(Blocking {
        name,
        client: BlockingClient::with_transport(config, transport),
    })
}

/// A subject over an async transport: `sdm_core::AsyncClient` with this configuration and
/// transport, reporting itself as `name`. It owns a tokio current-thread runtime (I/O and time
/// enabled) and runs each call to completion on it.
pub fn asynchronous<T: AsyncTransport + 'static>(
    name: &'static str,
    config: ClientConfig,
    transport: T,
) -> Box<dyn Subject> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    Box::new(Asynchronous {
        name,
        client: AsyncClient::with_transport(config, transport),
        runtime,
    })
}

/// The blocking client over a transport `T`.
struct Blocking<T> {
    name: &'static str,
    client: BlockingClient<T>,
}

impl<T> fmt::Debug for Blocking<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Blocking")
            .field("name", &self.name)
            .field("client", &self.client)
            .finish()
    }
}

impl<T: Transport + 'static> Subject for Blocking<T> {
    fn name(&self) -> &'static str {
        self.name
    }
    fn login(&self, email: &str, password: &Password, token_name: &str) -> Result<Token, Error> {
        self.client.login(email, password, token_name)
    }
    fn get_job(&self, id: &JobId) -> Result<Job, Error> {
        self.client.get_job(id)
    }
    fn list_jobs(&self, query: &JobQuery) -> Result<Page<JobSummary>, Error> {
        self.client.list_jobs(query)
    }
    fn job_data(&self, id: &JobId, format: OutputFormatId) -> Result<Vec<Row>, Error> {
        self.client.job_data(id, format)
    }
    fn all_jobs(&self, query: &JobQuery, options: PagerOptions) -> Vec<Result<JobSummary, Error>> {
        self.client.jobs(query, options).collect()
    }
    fn wait_for_job(
        &self,
        id: &JobId,
        options: WaitOptions,
    ) -> (Result<WaitOutcome, Error>, Vec<Job>) {
        let mut seen = Vec::new();
        let outcome = self
            .client
            .wait_for_job(id, options, |job| seen.push(job.clone()));
        (outcome, seen)
    }
    fn raw_rows(&self, id: &JobId, format: OutputFormatId) -> (Vec<String>, Option<Error>) {
        let mut rows = Vec::new();
        let mut reader = match self.client.job_rows(id, format) {
            Ok(reader) => reader,
            Err(error) => return (rows, Some(error)),
        };
        loop {
            match reader.next_raw() {
                Ok(Some(row)) => rows.push(row.to_owned()),
                Ok(None) => return (rows, None),
                Err(error) => return (rows, Some(error)),
            }
        }
    }
    fn upload_file(&self, upload: &UploadFile) -> Result<UploadedFile, Error> {
        self.client.upload_file(upload)
    }
    fn create_job(&self, job: &CreateJob) -> Result<Job, Error> {
        self.client.create_job(job)
    }
    fn download(
        &self,
        id: &JobId,
        format: OutputFormatId,
        on_chunk: &mut dyn FnMut(&[u8]),
    ) -> Result<DownloadInfo, Error> {
        let mut download = self.client.download(id, format)?;
        let mut buffer = vec![0; DOWNLOAD_BUFFER];
        loop {
            match download.read_chunk(&mut buffer)? {
                0 => return Ok(download.info().clone()),
                n => on_chunk(&buffer[..n]),
            }
        }
    }
}

/// The async client over a transport `T`, driven on a runtime of its own.
struct Asynchronous<T> {
    name: &'static str,
    client: AsyncClient<T>,
    runtime: tokio::runtime::Runtime,
}

impl<T> fmt::Debug for Asynchronous<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Asynchronous")
            .field("name", &self.name)
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl<T: AsyncTransport + 'static> Subject for Asynchronous<T> {
    fn name(&self) -> &'static str {
        self.name
    }
    fn login(&self, email: &str, password: &Password, token_name: &str) -> Result<Token, Error> {
        self.runtime
            .block_on(self.client.login(email, password, token_name))
    }
    fn get_job(&self, id: &JobId) -> Result<Job, Error> {
        self.runtime.block_on(self.client.get_job(id))
    }
    fn list_jobs(&self, query: &JobQuery) -> Result<Page<JobSummary>, Error> {
        self.runtime.block_on(self.client.list_jobs(query))
    }
    fn job_data(&self, id: &JobId, format: OutputFormatId) -> Result<Vec<Row>, Error> {
        self.runtime.block_on(self.client.job_data(id, format))
    }
    fn all_jobs(&self, query: &JobQuery, options: PagerOptions) -> Vec<Result<JobSummary, Error>> {
        self.runtime.block_on(async {
            let stream = self.client.jobs(query, options);
            let mut stream = std::pin::pin!(stream);
            let mut jobs = Vec::new();
            while let Some(job) = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
                jobs.push(job);
            }
            jobs
        })
    }
    fn wait_for_job(
        &self,
        id: &JobId,
        options: WaitOptions,
    ) -> (Result<WaitOutcome, Error>, Vec<Job>) {
        let mut seen = Vec::new();
        let outcome = self.runtime.block_on(
            self.client
                .wait_for_job(id, options, |job| seen.push(job.clone())),
        );
        (outcome, seen)
    }
    fn raw_rows(&self, id: &JobId, format: OutputFormatId) -> (Vec<String>, Option<Error>) {
        self.runtime.block_on(async {
            let mut rows = Vec::new();
            let mut reader = match self.client.job_rows(id, format).await {
                Ok(reader) => reader,
                Err(error) => return (rows, Some(error)),
            };
            loop {
                match reader.next_raw().await {
                    Ok(Some(row)) => rows.push(row.to_owned()),
                    Ok(None) => return (rows, None),
                    Err(error) => return (rows, Some(error)),
                }
            }
        })
    }
    fn upload_file(&self, upload: &UploadFile) -> Result<UploadedFile, Error> {
        self.runtime.block_on(self.client.upload_file(upload))
    }
    fn create_job(&self, job: &CreateJob) -> Result<Job, Error> {
        self.runtime.block_on(self.client.create_job(job))
    }
    fn download(
        &self,
        id: &JobId,
        format: OutputFormatId,
        on_chunk: &mut dyn FnMut(&[u8]),
    ) -> Result<DownloadInfo, Error> {
        self.runtime.block_on(async {
            let mut download = self.client.download(id, format).await?;
            while let Some(chunk) = download.next_chunk().await? {
                on_chunk(&chunk);
            }
            Ok(download.info().clone())
        })
    }
}
