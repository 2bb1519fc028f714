//! Starting and stopping the fake server: its own thread and tokio runtime, so it works from
//! plain tests, from inside an async runtime and from a CLI alike.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::{oneshot, watch};

use crate::app::{App, router};
use crate::auth::{DEFAULT_TOKEN_NAME, EMAIL, PASSWORD, Tokens};
use crate::control::{ListPageHook, MockControl};
use crate::elsewhere::{self, Witness};
use crate::fair_use::{Algorithm, FairUse, Throttle};
use crate::fault::{FaultPlan, FaultSet};
use crate::files::{DEFAULT_PARSE_FOR, Files};
use crate::live::{DEFAULT_CREATED_RUN_FOR, Live};
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
#[derive(Clone, Debug)]
pub struct MockBuilder {
    addr: SocketAddr,
    seed: u64,
    job_count: usize,
    max_page_size: usize,
    latency: Duration,
    fair_use: Option<(FairUse, Algorithm)>,
    on_list_page: Option<ListPageHook>,
    faults: Vec<FaultPlan>,
    parse_for: Duration,
    created_jobs_run_for: Duration,
}

impl Default for MockBuilder {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            seed: DEFAULT_SEED,
            job_count: DEFAULT_JOB_COUNT,
            max_page_size: DEFAULT_MAX_PAGE_SIZE,
            latency: Duration::ZERO,
            fair_use: None,
            on_list_page: None,
            faults: Vec::new(),
            parse_for: DEFAULT_PARSE_FOR,
            created_jobs_run_for: DEFAULT_CREATED_RUN_FOR,
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

    /// A delay added before every response (default zero). Requests wait concurrently: each
    /// one takes about this long, however many are in flight.
    pub fn latency(mut self, d: Duration) -> Self {
        self.latency = d;
        self
    }

    /// The fair-use limit (default `None`: no limit): a token bucket over every request to the
    /// server, whatever the path, method or credentials. A request that finds it empty gets
    /// DRF's `429` `{"detail": "Request was throttled. Expected available in N second(s)."}`,
    /// plus `Retry-After: N` (whole seconds, at least 1) if [`FairUse::send_retry_after`].
    pub fn fair_use(mut self, limit: Option<FairUse>) -> Self {
        self.fair_use = limit.map(|limit| (limit, Algorithm::TokenBucket));
        self
    }

    /// The fair-use limit as Django REST Framework's `SimpleRateThrottle` enforces it (default
    /// `None`: no limit), instead of [`MockBuilder::fair_use`]'s token bucket: a log of the
    /// arrival times of the requests it let through; a request is refused when
    /// [`FairUse::burst`] of them arrived in the last `burst / requests_per_second` seconds
    /// ([`FairUse::per_second`]`(10)`: 10 in the last second, exactly, however they are
    /// spaced). Refused requests are not logged. The 429 is the same as the token bucket's,
    /// `N` being the seconds until the oldest arrival leaves the window, rounded up.
    pub fn fair_use_window(mut self, limit: Option<FairUse>) -> Self {
        self.fair_use = limit.map(|limit| (limit, Algorithm::SlidingWindow));
        self
    }

    /// Calls `f` after each successful job list page is computed (before it is sent), with a
    /// control handle and the page number served; `f` may add jobs, which later requests see
    /// (the page just computed does not). `f` runs on the server's runtime: keep it quick.
    pub fn on_list_page(mut self, f: impl Fn(&MockControl, u64) + Send + Sync + 'static) -> Self {
        self.on_list_page = Some(ListPageHook(Arc::new(f)));
        self
    }

    /// Adds a fault plan (default: none). May be called several times: for each request the
    /// plans are checked in order and the first whose route matches and whose budget is not
    /// spent is the one served. Change them while the server runs with
    /// [`MockControl::set_faults`].
    pub fn fault(mut self, plan: FaultPlan) -> Self {
        self.faults.push(plan);
        self
    }

    /// How long an uploaded file reads as `parsing` before it is `ready` or `error` (default
    /// 500 ms; the file is parsed as it arrives, so only the status waits).
    pub fn parse_for(mut self, d: Duration) -> Self {
        self.parse_for = d;
        self
    }

    /// How long a job created by `POST jobs/` reads as `running` before it ends in its
    /// project's outcome ([`MockControl::set_project_outcome`]; default 2 s).
    pub fn created_jobs_run_for(mut self, d: Duration) -> Self {
        self.created_jobs_run_for = d;
        self
    }

    /// Binds the listeners and starts serving on a background thread; returns once the server
    /// accepts connections.
    pub fn start(self) -> io::Result<MockServer> {
        let world = Arc::new(World::generate(self.seed, self.job_count));
        let tokens = Tokens::new(self.seed);
        let token = tokens.issue(DEFAULT_TOKEN_NAME);
        let listener = TcpListener::bind(self.addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let redirect_listener = TcpListener::bind(SocketAddr::new(addr.ip(), 0))?;
        redirect_listener.set_nonblocking(true)?;
        let redirect_origin = origin(redirect_listener.local_addr()?);
        let app = Arc::new(App {
            live: Arc::new(Live::new(world, self.created_jobs_run_for)),
            tokens: Arc::new(tokens),
            max_page_size: self.max_page_size,
            latency: self.latency,
            fallback_host: addr.to_string(),
            throttle: self
                .fair_use
                .map(|(limit, algorithm)| Throttle::new(limit, algorithm)),
            on_list_page: self.on_list_page,
            requests: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            faults: Arc::new(FaultSet::new(self.faults)),
            redirect_origin,
            redirect_witness: Witness::default(),
            files: Arc::new(Files::new(self.parse_for)),
            ledger: Arc::default(),
            disposition: Arc::default(),
        });

        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let (ready_tx, ready_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("sdm-mock".to_owned())
            .spawn({
                let app = Arc::clone(&app);
                move || run([listener, redirect_listener], app, shutdown_rx, ready_tx)
            })?;
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
            control: app.control(),
            app,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        })
    }
}

/// `http://ip:port` for a listening address, with an unspecified IP replaced by loopback.
fn origin(addr: SocketAddr) -> String {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("http://{addr}")
}

/// The server thread: builds the runtime, serves the API and the redirect target until told
/// to stop, then shuts down gracefully (in-flight requests get [`SHUTDOWN_GRACE`] to finish).
fn run(
    [listener, redirect_listener]: [TcpListener; 2],
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
        let listeners = tokio::net::TcpListener::from_std(listener).and_then(|api| {
            tokio::net::TcpListener::from_std(redirect_listener).map(|other| (api, other))
        });
        let (listener, redirect_listener) = match listeners {
            Ok(listeners) => listeners,
            Err(error) => {
                let _ = ready.send(Err(error));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        let (stop_tx, stop_rx) = watch::channel(false);
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|&stop| stop).await;
        };
        let api = tokio::spawn(crate::conn::serve_api(
            listener,
            router(Arc::clone(&app)),
            stopped(stop_rx.clone()),
        ));
        let redirect_target = tokio::spawn(crate::conn::serve_fn(
            redirect_listener,
            move |req| elsewhere::handle(Arc::clone(&app), req),
            stopped(stop_rx),
        ));
        // Either an explicit signal or the handle being dropped means "stop".
        let _ = shutdown.await;
        let _ = stop_tx.send(true);
        let both = async { (api.await, redirect_target.await) };
        match tokio::time::timeout(SHUTDOWN_GRACE, both).await {
            Ok((Ok(()), Ok(()))) => tracing::debug!("sdm-mock stopped"),
            Ok(_) => tracing::warn!("sdm-mock server task failed"),
            Err(_) => tracing::debug!("sdm-mock stopped with requests still in flight"),
        }
    });
    runtime.shutdown_timeout(Duration::from_millis(100));
}

/// A running fake SDM server. Dropping it shuts the server down and joins its thread.
///
/// It derefs to its [`MockControl`]: add jobs, read the ground truth and switch faults with
/// `server.add_job(..)`, `server.job_rows(..)`, `server.set_faults(..)` and so on.
pub struct MockServer {
    base_url: String,
    addr: SocketAddr,
    token: String,
    app: Arc<App>,
    control: MockControl,
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
            .field("world", self.world())
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

    /// A builder to configure the address, seed, job count, page size limit, latency, fair-use
    /// limit, list-page hook, faults, and the timing of uploads and created jobs.
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

    /// The generated world the server started with: the ground truth for tests. Jobs added
    /// later ([`MockControl::insert_jobs`], [`MockControl::add_job`]) are not in it; see
    /// [`MockControl::jobs_snapshot`].
    pub fn world(&self) -> &World {
        self.app.live.world()
    }

    /// An owned handle on the jobs and faults, to move to another thread. The server itself
    /// derefs to the same [`MockControl`], so `server.add_job(..)` needs no handle.
    pub fn control(&self) -> MockControl {
        self.control.clone()
    }

    /// How many requests the server has received (throttled ones included).
    pub fn request_count(&self) -> u64 {
        self.app.requests.load(Ordering::Relaxed)
    }

    /// How many requests the server has answered with `429` because of the fair-use limit
    /// ([`Fault::TooManyRequests`](crate::Fault::TooManyRequests) answers count in
    /// [`MockControl::faults_served`] instead).
    pub fn throttled_count(&self) -> u64 {
        self.app.throttled.load(Ordering::Relaxed)
    }

    /// The origin (`http://127.0.0.1:PORT`, no trailing slash) of the redirect target: a second
    /// listener, on another port than the API, that
    /// [`Fault::RedirectElsewhere`](crate::Fault::RedirectElsewhere) and
    /// [`Fault::ForeignNextLink`](crate::Fault::ForeignNextLink) point at. It answers every
    /// request with a 404.
    pub fn redirect_target(&self) -> &str {
        &self.app.redirect_origin
    }

    /// How many requests reached the redirect target: a client that follows a link off the
    /// API's origin shows up here.
    pub fn redirect_target_hits(&self) -> u64 {
        self.app.redirect_witness.hits()
    }

    /// Whether any request to the redirect target carried an `Authorization` header, or one of
    /// the server's tokens anywhere in its target or headers.
    pub fn redirect_target_saw_token(&self) -> bool {
        self.app.redirect_witness.saw_token()
    }

    /// Blocks until the process is killed (for `sdm mock`).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Deref for MockServer {
    type Target = MockControl;

    fn deref(&self) -> &MockControl {
        &self.control
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
