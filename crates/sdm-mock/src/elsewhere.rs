//! The redirect target: a second listener, on another origin than the API, that
//! [`crate::Fault::RedirectElsewhere`] and [`crate::Fault::ForeignNextLink`] point at. It
//! answers every request with a 404 and records whether any request arrived and whether one
//! carried credentials, so tests can prove a client never sent its token to another origin.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use hyper::body::Incoming;

use crate::app::App;
use crate::responses;

/// What the redirect target has seen.
#[derive(Debug, Default)]
pub(crate) struct Witness {
    /// Requests received.
    hits: AtomicU64,
    /// Whether a request carried an `Authorization` header or an issued token anywhere in
    /// its target or headers.
    saw_token: AtomicBool,
}

impl Witness {
    /// Requests received.
    pub(crate) fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Whether any request carried credentials.
    pub(crate) fn saw_token(&self) -> bool {
        self.saw_token.load(Ordering::Relaxed)
    }
}

/// Records one request to the redirect target and answers it.
pub(crate) async fn handle(app: Arc<App>, req: Request<Incoming>) -> Response {
    let witness = &app.redirect_witness;
    witness.hits.fetch_add(1, Ordering::Relaxed);
    let leaked = req.headers().contains_key(header::AUTHORIZATION)
        || app.tokens.appear_in(req.uri().to_string().as_bytes())
        || req
            .headers()
            .values()
            .any(|value| app.tokens.appear_in(value.as_bytes()));
    if leaked {
        witness.saw_token.store(true, Ordering::Relaxed);
    }
    tracing::warn!(
        uri = %req.uri(),
        leaked,
        "sdm-mock redirect target received a request: a client followed a link off the API origin"
    );
    responses::detail(StatusCode::NOT_FOUND, "Not found.")
}
