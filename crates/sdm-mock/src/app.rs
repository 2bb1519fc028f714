//! The request pipeline: shared server state, request counting (POSTs per route too), proxy
//! faults, the fair-use limit, latency, URL resolution, the refusal of chunked request bodies,
//! authentication and method checks, the view, then response faults.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::Response;

use crate::api;
use crate::auth::Tokens;
use crate::control::{ListPageHook, MockControl};
use crate::disposition::DispositionOverride;
use crate::elsewhere::Witness;
use crate::fair_use::Throttle;
use crate::fault::{self, FaultSet, ProxyOutcome, RawConn, RequestInfo, RouteKind};
use crate::files::Files;
use crate::ledger::Ledger;
use crate::live::Live;
use crate::responses;
use crate::urls::Route;

/// Everything the views share.
#[derive(Debug)]
pub(crate) struct App {
    /// The jobs: generated and added.
    pub(crate) live: Arc<Live>,
    /// Issued API tokens.
    pub(crate) tokens: Arc<Tokens>,
    /// The largest `page_size` honoured.
    pub(crate) max_page_size: usize,
    /// Sleep before answering each request.
    pub(crate) latency: Duration,
    /// `host:port` used in absolute links when a request has no `Host` header.
    pub(crate) fallback_host: String,
    /// The fair-use limit, if any.
    pub(crate) throttle: Option<Throttle>,
    /// Called after each list page is computed.
    pub(crate) on_list_page: Option<ListPageHook>,
    /// Requests received.
    pub(crate) requests: AtomicU64,
    /// Requests answered 429 by the fair-use limit.
    pub(crate) throttled: AtomicU64,
    /// The fault plans.
    pub(crate) faults: Arc<FaultSet>,
    /// `http://host:port` of the redirect target (another origin).
    pub(crate) redirect_origin: String,
    /// What the redirect target has seen.
    pub(crate) redirect_witness: Witness,
    /// The uploaded files.
    pub(crate) files: Arc<Files>,
    /// What was received: POSTs per route, upload bodies.
    pub(crate) ledger: Arc<Ledger>,
    /// The `Content-Disposition` every download sends instead of Django's, if set.
    pub(crate) disposition: Arc<DispositionOverride>,
}

impl App {
    /// A control handle on this server's state.
    pub(crate) fn control(&self) -> MockControl {
        MockControl::new(
            Arc::clone(&self.live),
            Arc::clone(&self.faults),
            Arc::clone(&self.files),
            Arc::clone(&self.ledger),
            Arc::clone(&self.disposition),
            Arc::clone(&self.tokens),
        )
    }
}

/// The axum router: a single catch-all handler, since routing is Django's, not axum's.
pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new().fallback(dispatch).with_state(app)
}

/// Handles one request: counts it, serves a proxy fault if one applies, applies the fair-use
/// limit (on arrival, before anything else, for every path), waits the latency, answers, then
/// applies a response fault if one applies.
async fn dispatch(State(app): State<Arc<App>>, req: Request) -> Response {
    app.requests.fetch_add(1, Ordering::Relaxed);
    let kind = RouteKind::of(Route::resolve(req.uri().path()).as_ref(), req.method());
    if req.method() == Method::POST {
        app.ledger.count_post(kind);
    }
    let selected = app.faults.select(kind);
    let (req, selected) = match fault::apply_proxy(&app, selected, req).await {
        ProxyOutcome::Respond(response) => return response,
        ProxyOutcome::Continue(req, selected) => (req, selected),
    };
    let throttled = app
        .throttle
        .as_ref()
        .and_then(|t| t.acquire(Instant::now()).err().map(|wait| (wait, t)));
    if !app.latency.is_zero() {
        tokio::time::sleep(app.latency).await;
    }
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let info = RequestInfo {
        kind,
        head: method == Method::HEAD,
        raw: req.extensions().get::<RawConn>().cloned(),
        asked_page: req.extensions().get::<fault::AskedPage>().map(|p| p.0),
    };
    let response = match throttled {
        Some((wait, throttle)) => {
            app.throttled.fetch_add(1, Ordering::Relaxed);
            let response = responses::throttled(wait, throttle.send_retry_after());
            api::uploads::drain(&app, req, response.status().as_u16()).await;
            response
        }
        None => resolve(&app, req).await,
    };
    tracing::debug!(%method, %path, status = response.status().as_u16(), "sdm-mock request");
    match selected {
        Some(selected) => fault::apply_response(&app, selected, info, response).await,
        None => response,
    }
}

/// URL resolution: a view for a route, else Django's HTML 404 (a path without its trailing
/// slash included: the real API does not reliably redirect it, so neither does the fake).
async fn resolve(app: &App, req: Request) -> Response {
    match Route::resolve(req.uri().path()) {
        Some(route) => view(app, &route, req).await,
        None => responses::not_found_html(),
    }
}

/// A DRF view: a chunked request body refused first (as the servers in front of Django do),
/// then authentication (except for login), then the method's handler. A request answered
/// without its body being used has it read anyway (and an upload recorded).
async fn view(app: &App, route: &Route, req: Request) -> Response {
    let method = req.method().clone();
    let headers = req.headers();
    if headers.contains_key(header::TRANSFER_ENCODING)
        && !headers.contains_key(header::CONTENT_LENGTH)
    {
        let response = responses::detail(StatusCode::LENGTH_REQUIRED, "Length required.");
        api::uploads::drain(app, req, response.status().as_u16()).await;
        return response;
    }
    if *route == Route::Token {
        return match method {
            Method::POST => api::login::obtain_token(app, req).await,
            _ => responses::method_not_allowed(&method),
        };
    }
    if let Err(error) = app.tokens.check(req.headers().get(header::AUTHORIZATION)) {
        let response = responses::unauthorized(error);
        api::uploads::drain(app, req, response.status().as_u16()).await;
        return response;
    }
    match (method, route) {
        (Method::GET | Method::HEAD, Route::Jobs) => api::jobs::list(app, &req),
        (Method::POST, Route::Jobs) => api::job_create::create(app, req).await,
        (Method::GET | Method::HEAD, Route::Job(id)) => api::jobs::detail(app, id),
        (Method::GET | Method::HEAD, Route::JobData(id, format)) => {
            api::data::rows(app, id, format)
        }
        (Method::GET | Method::HEAD, Route::JobDownload(id, format)) => {
            api::download::file(app, id, format)
        }
        (Method::POST, Route::Files) => api::uploads::create(app, req).await,
        (Method::GET | Method::HEAD, Route::File(pk)) => api::uploads::detail(app, pk),
        (Method::GET | Method::HEAD, Route::Projects) => api::projects::list(app, &req),
        (Method::GET | Method::HEAD, Route::Project(pk)) => api::projects::detail(pk),
        (method, _) => {
            let response = responses::method_not_allowed(&method);
            api::uploads::drain(app, req, response.status().as_u16()).await;
            response
        }
    }
}
