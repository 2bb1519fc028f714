//! Starting and stopping the fake server: its own thread and tokio runtime, so it works from
//! plain tests, from inside an async runtime and from a CLI alike.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::app::{App, router};
use crate::auth::{DEFAULT_TOKEN_NAME, EMAIL, PASSWORD, Tokens};
use crate::world::World;

/// The seed used unless [`MockBuilder::seed`] says otherwise.
const DEFAULT_SEED: u64 = 0x5d3_2022;
/// Jobs generated unless [`MockBuilder::job_count`] says otherwise.
const DEFAULT_JOB_COUNT: usize = 300;
/// The largest page size unless [`MockBuilder::max_page_size`] says otherwise.
const DEFAULT_MAX_PAGE_SIZE: usize = 100;
/// How long in-flight requests may take to finish once shutdown starts.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Configuration of a [`MockServer`]; start it with [`MockBuilder::start`].
#[derive(Debug, Clone)]
pub struct MockBuilder {
    addr: SocketAddr,
    seed: u64,
    job_count: usize,
    max_page_size: usize,
    latency: Duration,
}

impl Default for MockBuilder {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            seed: DEFAULT_SEED,
            job_count: DEFAULT_JOB_COUNT,
            max_page_size: DEFAULT_MAX_PAGE_SIZE,
            latency: Duration::ZERO,
        }
    }
}

impl MockBuilder {
    /// The address to listen on (default `127.0.0.1:0`, a free port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// The seed of the generated world (default: a fixed constant).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How many jobs the world has (default 300).
    pub fn job_count(mut self, n: usize) -> Self {
        self.job_count = n;
        self
    }

    /// The largest page size served (default 100; at least 1); larger `page_size` values are
    /// capped silently, as DRF does.
    pub fn max_page_size(mut self, n: usize) -> Self {
        self.max_page_size = n.max(1);
        self
    }

    /// A delay added before every response (default zero).
    pub fn latency(mut self, d: Duration) -> Self {
        self.latency = d;
        self
    }

    /// Binds the listener and starts serving on a background thread; returns once the server
    /// accepts connections.
    pub fn start(self) -> io::Result<MockServer> {
        let world = Arc::new(World::generate(self.seed, self.job_count));
        let tokens = Tokens::new(self.seed);
        let token = tokens.issue(DEFAULT_TOKEN_NAME);
        let listener = TcpListener::bind(self.addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let app = Arc::new(App {
            world: Arc::clone(&world),
            tokens,
            max_page_size: self.max_page_size,
            latency: self.latency,
            fallback_host: addr.to_string(),
        });

        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let (ready_tx, ready_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("sdm-mock".to_owned())
            .spawn(move || run(listener, app, shutdown_rx, ready_tx))?;
        let ready = ready_rx
            .recv()
            .unwrap_or_else(|_| Err(io::Error::other("sdm-mock server thread exited")));
        if let Err(error) = ready {
            let _ = thread.join();
            return Err(error);
        }
        tracing::info!(%addr, "sdm-mock listening");
        Ok(MockServer {
            base_url: format!("http://{addr}/api/v1/"),
            addr,
            token,
            world,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        })
    }
}

/// The server thread: builds the runtime, serves until told to stop, then shuts down
/// gracefully (in-flight requests get [`SHUTDOWN_GRACE`] to finish).
fn run(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: oneshot::Receiver<()>,
    ready: mpsc::Sender<io::Result<()>>,
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("sdm-mock-worker")
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = ready.send(Err(error));
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(error) => {
                let _ = ready.send(Err(error));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        let (graceful_tx, graceful_rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, router(app))
                .with_graceful_shutdown(async {
                    let _ = graceful_rx.await;
                })
                .await
        });
        // Either an explicit signal or the handle being dropped means "stop".
        let _ = shutdown.await;
        let _ = graceful_tx.send(());
        match tokio::time::timeout(SHUTDOWN_GRACE, server).await {
            Ok(Ok(Ok(()))) => tracing::debug!("sdm-mock stopped"),
            Ok(Ok(Err(error))) => tracing::warn!(%error, "sdm-mock server failed"),
            Ok(Err(error)) => tracing::warn!(%error, "sdm-mock server task failed"),
            Err(_) => tracing::debug!("sdm-mock stopped with requests still in flight"),
        }
    });
    runtime.shutdown_timeout(Duration::from_millis(100));
}

/// A running fake SDM server. Dropping it shuts the server down and joins its thread.
pub struct MockServer {
    base_url: String,
    addr: SocketAddr,
    token: String,
    world: Arc<World>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for MockServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockServer")
            .field("base_url", &self.base_url)
            .field("token", &"[redacted]")
            .field("email", &EMAIL)
            .field("password", &"[redacted]")
            .field("world", &self.world)
            .finish()
    }
}

impl MockServer {
    /// Starts a server with the default configuration on `127.0.0.1:0`.
    ///
    /// # Panics
    /// If the listener cannot be bound or the runtime cannot be built; use
    /// [`MockServer::builder`] to handle the error instead.
    pub fn start() -> MockServer {
        match Self::builder().start() {
            Ok(server) => server,
            Err(error) => panic!("failed to start the sdm-mock server: {error}"),
        }
    }

    /// A builder to configure the address, seed, job count, page size limit and latency.
    pub fn builder() -> MockBuilder {
        MockBuilder::default()
    }

    /// The API base URL, `http://127.0.0.1:PORT/api/v1/` (with the trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A valid API token (the key of the token name `sdm-mock`).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The e-mail address `POST auth/token/` accepts.
    pub fn email(&self) -> &str {
        EMAIL
    }

    /// The password `POST auth/token/` accepts.
    pub fn password(&self) -> &str {
        PASSWORD
    }

    /// The generated world the server serves: the ground truth for tests.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// Blocks until the process is killed (for `sdm mock`).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
