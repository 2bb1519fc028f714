//! The sans-IO core of the client for the Akeneo Supplier Data Manager (SDM) jobs API.
//!
//! # Concepts
//!
//! - **Operations** ([`ops`]): each API call is a value with two halves, *build the request*
//!   (an [`http::Request`]) and *parse the response* (an [`http::Response`] into a typed value or a
//!   typed [`Error`]). No IO happens here: drive them by hand with any HTTP library if you like.
//! - **Models** ([`Job`], [`JobSummary`], [`Page`], [`Row`], [`JobStatus`], [`JobId`]): what the
//!   API returns. They are forward compatible: unknown statuses are kept as text and every field
//!   the server sends stays reachable ([`Job::raw`]); serializing a job writes it back unchanged.
//! - **Transports** ([`transport::Transport`], [`transport::AsyncTransport`]): the one seam to an
//!   HTTP library. They send a request (its body bytes or a streamed file, of known length) and
//!   hand back the response head and a body read in chunks. `sdm-ureq` and `sdm-reqwest` are
//!   two; [`transport::transport_fn`] makes a closure one, which keeps tests free of servers.
//! - **Clients** ([`BlockingClient`], [`AsyncClient`]): written once over the transport traits,
//!   they build, send, read under size limits and parse, for every transport alike.
//! - **State machines** ([`proto`]): paging, waiting, retrying, pacing and row decoding, with
//!   time as an input; the clients are written over them, and so can your own driver be.
//! - **Secrets** ([`Token`], [`Password`]) print as `[redacted]` everywhere.
//!
//! The root holds the clients, their configuration, the models and the errors; [`transport`]
//! is the seam for HTTP libraries; [`ops`] and [`proto`] are the sans-IO layer beneath.
//!
//! Most programs depend on `sdm-ureq` (blocking) or `sdm-reqwest` (async), which re-export
//! this crate; depend on `sdm-core` directly to write a transport of your own.
//!
//! # Features
//!
//! - `async` (default): [`AsyncClient`], its job stream and row reader, and the async half of
//!   the transport seam ([`transport::AsyncTransport`], [`transport::AsyncBody`]), with the
//!   `async-trait` and `futures` crates they need. Blocking programs and transports turn it
//!   off (`default-features = false`, as `sdm-ureq` does) and build no async machinery.
//!
//! No feature pulls in an HTTP library or an async runtime.

#![deny(missing_docs)]

mod base_url;
mod body;
mod client;
mod compact;
mod config;
mod decoder;
mod error;
mod hooks;
mod model;
pub mod ops;
mod pager;
pub mod proto;
mod rate_limit;
mod raw_row;
mod request;
mod response;
mod retry;
mod row_scan;
mod secret;
pub mod transport;
mod waiter;

// Clients.
#[cfg(feature = "async")]
pub use client::{
    AsyncClient, AsyncDownload, AsyncRowReader, JobStream, ListStream, ProjectStream,
};
pub use client::{BlockingClient, Download, Jobs, ListIter, Projects, RowReader, TypedRows};
// Configuration.
pub use base_url::{BaseUrl, DEFAULT_BASE_URL};
pub use config::{ClientConfig, DEFAULT_DOCUMENT_TIMEOUT, DEFAULT_MAX_DOCUMENT_BYTES, USER_AGENT};
pub use decoder::DEFAULT_MAX_ROW_BYTES;
pub use hooks::{Attempt, AttemptHook, AttemptOutcome, RetryClassifier};
pub use pager::PagerOptions;
pub use rate_limit::RateLimit;
pub use retry::RetryPolicy;
pub use waiter::WaitOptions;
// Models.
pub use model::{
    DownloadInfo, FileId, FileStatus, Job, JobId, JobStatus, JobSummary, OutputFormatId, Page,
    Project, ProjectId, ProjectRef, ProjectStep, Row, Step, UploadedFile,
};
pub use ops::{CreateJob, JobQuery, ProjectQuery, UploadFile};
pub use secret::{Password, Token};
pub use waiter::WaitOutcome;
// Errors.
pub use decoder::RowError;
pub use error::{
    ApiError, Created, DecodeError, Error, FieldError, Incomplete, InvalidInput, OutputError,
    RetryAfter, Setting, Shortfall, TimedOut, TimeoutKind, TooLargeError, TransportError,
    TransportErrorKind, TransportFailure, Unconfirmed,
};

/// Re-exported so transports and users name the same `http` types as this crate.
pub use http;
