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
//! - **Transports** ([`Transport`], [`AsyncTransport`]): the one seam to an HTTP library. They
//!   send a request and hand back the response head and a body read in chunks. `sdm-ureq` and
//!   `sdm-reqwest` are two; a closure is one too, which keeps tests free of servers.
//! - **Clients** ([`BlockingClient`], [`AsyncClient`]): written once over the transport traits,
//!   they build, send, read under size limits and parse, for every transport alike.
//! - **Secrets** ([`Token`], [`Password`]) print as `[redacted]` everywhere.
//!
//! Most programs depend on `sdm-ureq` (blocking) or `sdm-reqwest` (async), which re-export
//! this crate; depend on `sdm-core` directly to write a transport of your own.

#![deny(missing_docs)]

mod base_url;
mod body;
mod client;
mod compact;
mod config;
mod decoder;
mod error;
mod model;
pub mod ops;
mod pager;
mod rate_limit;
mod request;
mod response;
mod retry;
mod secret;
mod transport;
mod waiter;

pub use base_url::{BaseUrl, DEFAULT_BASE_URL};
pub use client::{AsyncClient, AsyncRowReader, BlockingClient, Jobs, RowReader, TypedRows};
pub use compact::write_compact;
pub use config::{ClientConfig, DEFAULT_MAX_DOCUMENT_BYTES, USER_AGENT};
pub use decoder::{DEFAULT_MAX_ROW_BYTES, RowDecoder, RowError};
pub use error::{
    ApiError, DecodeError, Error, FieldError, InvalidInput, OutputError, RetryAfter, TimedOut,
    TooLargeError, TransportError, TransportErrorKind, TransportFailure,
};
pub use model::{
    Job, JobId, JobStatus, JobSummary, OutputFormatId, Page, ProjectId, ProjectRef, Row, Step,
};
pub use ops::JobQuery;
pub use pager::{JobPager, PageRequest, PagerOptions, Released};
pub use rate_limit::{RateLimit, RateLimiter};
pub use retry::{RetryDecision, RetryPolicy, RetryReason};
pub use secret::{Password, Token};
pub use transport::{AsyncBody, AsyncBodyRead, AsyncTransport, BlockingBody, Timeouts, Transport};
pub use waiter::{WaitOptions, WaitOutcome, WaitStep, Waiter};

/// Re-exported so transports and users name the same `http` types as this crate.
pub use http;
