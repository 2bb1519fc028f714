//! Serving connections with hyper directly (rather than `axum::serve`), so that a fault can
//! write to a connection's socket itself and have the connection closed without a response.

use std::convert::Infallible;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::{Pin, pin};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::fault::{AbortConnection, RawConn};

/// The pause after a failed `accept` (too many open files, ...), so the loop does not spin.
const ACCEPT_RETRY: Duration = Duration::from_millis(20);

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
pub(crate) struct Aborted;

impl fmt::Display for Aborted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped on purpose (fault injection)")
    }
}

impl Error for Aborted {}

/// The API router as a hyper service for one connection: each request carries the
/// connection's [`RawConn`], and a response marked [`AbortConnection`] closes the connection.
#[derive(Clone)]
struct ApiService {
    router: Router,
    raw: RawConn,
}

impl hyper::service::Service<Request<Incoming>> for ApiService {
    type Response = Response;
    type Error = Aborted;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Aborted>> + Send>>;

    fn call(&self, mut req: Request<Incoming>) -> Self::Future {
        req.extensions_mut().insert(self.raw.clone());
        let router = self.router.clone();
        Box::pin(async move {
            let response = match router.oneshot(req.map(Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.extensions().get::<AbortConnection>().is_some() {
                Err(Aborted)
            } else {
                Ok(response)
            }
        })
    }
}

/// Serves `router` on `listener` (HTTP/1.1, keep-alive) until `stop` completes; then stops
/// accepting, lets each connection finish its current response, and returns when all are done.
pub(crate) async fn serve_api(
    listener: TcpListener,
    router: Router,
    stop: impl Future<Output = ()>,
) {
    serve(
        listener,
        move |raw| ApiService {
            router: router.clone(),
            raw,
        },
        stop,
    )
    .await;
}

/// Serves a plain handler on `listener` until `stop` completes.
pub(crate) async fn serve_fn<F, Fut>(
    listener: TcpListener,
    handler: F,
    stop: impl Future<Output = ()>,
) where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    serve(
        listener,
        move |_raw| {
            let handler = handler.clone();
            hyper::service::service_fn(move |req| {
                let response = handler(req);
                async move { Ok::<_, Infallible>(response.await) }
            })
        },
        stop,
    )
    .await;
}

/// The accept loop: one task per connection, each built by `make` from the connection's raw
/// writer.
async fn serve<M, S>(listener: TcpListener, make: M, stop: impl Future<Output = ()>)
where
    M: Fn(RawConn) -> S,
    S: hyper::service::Service<Request<Incoming>, Response = Response> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn Error + Send + Sync>>,
{
    let (stopping_tx, stopping_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut stop = pin!(stop);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => break,
        };
        while connections.try_join_next().is_some() {}
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(error) => {
                tracing::debug!(%error, "sdm-mock accept failed");
                tokio::time::sleep(ACCEPT_RETRY).await;
                continue;
            }
        };
        let (io, raw) = crate::fault::split(stream);
        let service = make(raw);
        let mut stopping = stopping_rx.clone();
        connections.spawn(async move {
            let conn = http1::Builder::new().serve_connection(TokioIo::new(io), service);
            let mut conn = pin!(conn);
            let stop = async move {
                let _ = stopping.wait_for(|&stop| stop).await;
            };
            let result = tokio::select! {
                result = conn.as_mut() => result,
                () = stop => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(error) = result {
                tracing::debug!(%error, "sdm-mock connection ended");
            }
        });
    }
    drop(listener);
    let _ = stopping_tx.send(true);
    while connections.join_next().await.is_some() {}
}
