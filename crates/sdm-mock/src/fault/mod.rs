//! Switchable fault injection: what can go wrong ([`Fault`]), on which requests ([`Route`]) and
//! how often ([`FaultPlan`]).
//!
//! Faults come in three kinds, which decides when they apply:
//!
//! - **proxy faults** ([`Fault::Latency`], [`Fault::TooManyRequests`], [`Fault::ServerError`],
//!   [`Fault::DropBeforeResponse`], [`Fault::RedirectElsewhere`], and [`Fault::PageNotFound`]
//!   on the page it names) happen in front of the API, as
//!   a proxy or load balancer would cause them: for every request of the matching route, before
//!   authentication, routing or the fair-use limit are looked at (a `429` or a dropped
//!   connection still reads the request body first, so an upload is recorded);
//! - **[`Fault::DropAfterActing`]** happens behind the API: the server handles the request,
//!   then its answer is lost;
//! - **transport faults** ([`Fault::SlowDrip`], [`Fault::DropMidBody`], [`Fault::TruncatedBody`])
//!   change how the response the server produced travels (its status and headers are kept, so a
//!   valid request sees a `200`); they need a body, so `HEAD` requests and empty bodies are left
//!   alone;
//! - **payload faults** (all the others) replace an otherwise successful (`200`, not `HEAD`)
//!   response of the matching route; an unauthenticated or invalid request is answered normally,
//!   and so is a route where the fault makes no sense (say [`Fault::CountAsString`] on a job
//!   detail); [`Fault::EndlessPages`] and [`Fault::GrowingCount`] also change the request (the
//!   page asked for), before the server sees it.
//!
//! A request that a fault leaves alone does not use up one of the plan's
//! [`times`](FaultPlan::times).

mod apply;
mod bodies;
mod parse;
mod plans;
mod wire;

use std::time::Duration;

pub(crate) use apply::{AskedPage, ProxyOutcome, RequestInfo, apply_proxy, apply_response};
pub(crate) use plans::{FaultSet, RouteKind};
pub(crate) use wire::{AbortConnection, RawConn, split};

/// One misbehaviour of the server (or of what stands between it and the client).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Proxy: waits this long, then answers normally (the response itself is untouched).
    Latency(Duration),
    /// Transport: the body is sent in pieces of `chunk_bytes` (at least 1) with `pause` before
    /// every piece but the first; status, headers and framing (`Content-Length` or chunked) are
    /// unchanged.
    SlowDrip {
        /// The size of each piece.
        chunk_bytes: usize,
        /// The pause between two pieces.
        pause: Duration,
    },
    /// Proxy: DRF's `429` `{"detail": "Request was throttled. Expected available in N
    /// seconds."}` (N is `retry_after`, or 1), with `Retry-After: N` only when `retry_after` is
    /// `Some`.
    TooManyRequests {
        /// The `Retry-After` header value in seconds, if one is sent.
        retry_after: Option<u64>,
    },
    /// Proxy: an error status (500, 502, 503, 504, ...; anything outside `100..=999` is sent as
    /// 500) with the given body, after reading the request body (an upload is recorded).
    ServerError {
        /// The HTTP status code.
        status: u16,
        /// What the body looks like.
        body: ErrorBody,
    },
    /// Proxy: the request is read (its body too), then the connection is closed without a
    /// single byte of response: the client reads EOF where it expects a status line. The
    /// server never acts on the request (an upload is recorded, status `0`, but not created).
    DropBeforeResponse,
    /// Response (every route): the request is read whole and handled (a file or job IS
    /// created), then the connection is closed without a single byte of response. Proves a
    /// client does not resend a create it cannot know failed.
    DropAfterActing,
    /// Transport: the status line, the headers (with the body's real framing: `Content-Length`
    /// of the whole body, or `Transfer-Encoding: chunked`) and the first half of the body (one
    /// chunk, when chunked) are sent, then the connection is closed: the client sees a body
    /// short of its `Content-Length`, or a chunked body without its terminating chunk. Bodies
    /// over 1 MiB (long job outputs) are cut after 512 KiB.
    DropMidBody,
    /// Transport: the status line and headers are sent without `Content-Length` or
    /// `Transfer-Encoding` and with `Connection: close`, then the first half of the body (at
    /// most 512 KiB, as for [`Fault::DropMidBody`]), then the connection is closed cleanly: by
    /// HTTP/1.1's rules the body ends at EOF, so the client sees a complete but cut-short body.
    TruncatedBody,
    /// Payload (every route): a success (its status kept: `200`, `201`) whose body is invalid
    /// JSON (or CSV, on a download): the first half of the real
    /// body (at most 512 KiB) followed by `<<garbage>>`, as in
    /// `{"count":40,"next":"http://127.0.0.1:PORT/api/v1/jobs/?page=2","previous":null,"results":[{"id":"9f1c<<garbage>>`.
    MalformedJson,
    /// Payload (job list, project list): `"count"` is a string (`"count": "100"`).
    CountAsString,
    /// Payload (job detail, job list, job creation): the job's (on a list, the first job's)
    /// `"status"` is the number `3`.
    StatusAsNumber,
    /// Payload (job list, project list): the envelope has no `results` key.
    ResultsMissing,
    /// Payload (every route): a success (its status kept) with an empty body
    /// (`Content-Length: 0`).
    EmptyOk,
    /// Payload (job data): the output starts with one extra row whose JSON text is about
    /// `bytes` long (one long string value), followed by the real rows; streamed, so it costs
    /// no memory.
    HugeRow {
        /// The approximate length of the row's JSON text.
        bytes: usize,
    },
    /// Proxy: a `302` whose `Location` is the same path and query on another origin, the
    /// server's redirect target ([`crate::MockServer::redirect_target`]), which records
    /// whether a client followed it and with which headers. A client must not send the token
    /// there.
    RedirectElsewhere,
    /// Payload (job list or project list, when there is a next page): `next` points at the
    /// same path and query
    /// on another origin, the redirect target, as for [`Fault::RedirectElsewhere`].
    ForeignNextLink,
    /// Payload (job list or project list, when there is a next page): `next` names the page just
    /// served (it does not advance). A client that follows it walks the same page forever.
    NextStuck,
    /// Payload (job list or project list, when there is a next page): `next` loops back to page
    /// 1 (the page's URL without `page`, as DRF links to the first page).
    NextToFirst,
    /// Proxy (job list, project list): a request for page `page` is answered with DRF's 404
    /// `{"detail": "Invalid page."}`, as for a page past the end, although `count` says more;
    /// requests for other pages are left alone (and do not use up the plan's count).
    PageNotFound {
        /// The page that answers 404 (from 1).
        page: u64,
    },
    /// Request and payload (job list or project list, when page 1 has a next page): every page
    /// asked for is served as page 1, `count` unchanged, with a `next` link to the page after
    /// the one asked for: pages without end that only repeat items already seen.
    EndlessPages,
    /// As [`Fault::EndlessPages`], and `count` grows by one page with each page number: page
    /// `n` announces `count + n × len(results)`, a listing that grows faster than it is read.
    GrowingCount,
}

/// The body of a [`Fault::ServerError`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorBody {
    /// An nginx-style page (`<h1>502 Bad Gateway</h1>`, `Content-Type: text/html`).
    Html,
    /// No body at all (`Content-Length: 0`, no `Content-Type`).
    Empty,
    /// DRF's `{"detail": "..."}` (`Content-Type: application/json`).
    Json,
}

/// Which requests a [`FaultPlan`] applies to, by the API route their path resolves to.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Route {
    /// Every request, whatever its path (unknown paths and missing trailing slashes included).
    #[default]
    Any,
    /// `auth/token/`.
    Token,
    /// `jobs/{job_id}/`.
    JobDetail,
    /// `jobs/` except `POST` (the list).
    JobList,
    /// `jobs/{job_id}/data/{output_format_id}/`.
    JobData,
    /// `files/`, every method (only `POST`, the upload, is served).
    FileUpload,
    /// `files/{id}/`.
    FileDetail,
    /// `POST jobs/` (job creation; every other method on `jobs/` is [`Route::JobList`]).
    JobCreate,
    /// `jobs/{job_id}/download/{output_format_id}/`.
    JobDownload,
    /// `projects/`.
    ProjectList,
    /// `projects/{id}/`.
    ProjectDetail,
}

/// A fault, the requests it applies to, and for how many of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultPlan {
    /// What goes wrong.
    pub fault: Fault,
    /// Where.
    pub route: Route,
    /// `None`: every matching request; `Some(n)`: the first `n` requests the fault is served
    /// to (counted across connections and threads), then the server is healthy again.
    pub times: Option<u32>,
}

impl FaultPlan {
    /// `fault` on every request of every route.
    pub fn always(fault: Fault) -> Self {
        Self {
            fault,
            route: Route::Any,
            times: None,
        }
    }

    /// `fault` on the first `n` requests of every route, then never again.
    pub fn times(fault: Fault, n: u32) -> Self {
        Self {
            times: Some(n),
            ..Self::always(fault)
        }
    }

    /// The same plan restricted to `route`.
    pub fn on(self, route: Route) -> Self {
        Self { route, ..self }
    }
}
