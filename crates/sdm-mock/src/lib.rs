//! An embedded fake Akeneo Supplier Data Manager (SDM) server that behaves like the Django REST
//! Framework deployment of the real API: trailing-slash routes, token authentication, DRF error
//! bodies, paginated and filtered job lists, and streamed job output rows, all generated
//! deterministically from a seed.
//!
//! It serves, under `/api/v1/`:
//!
//! - `POST auth/token/`: a token for the e-mail and password of [`MockServer`];
//! - `GET jobs/` (filters, pagination) and `GET jobs/{id}/`;
//! - `GET jobs/{id}/data/{output_format_id}/`: a done job's rows as one streamed JSON array;
//! - `GET jobs/{id}/download/{output_format_id}/`: the same rows as a CSV file, with Django's
//!   `Content-Disposition` (or a raw one, [`MockControl::set_content_disposition`]), streamed
//!   for generated outputs of any size;
//! - `POST files/`: a `multipart/form-data` upload (part `file`, optional `skip_lines`) read and
//!   parsed as it streams, or JSON rows `{"data": [...]}`; a chunked body without
//!   `Content-Length` is refused with `411`, as the servers in front of Django do. CSV files are
//!   parsed (`,` `;` `|`, UTF-8 else Latin-1, at most 800,000 cells); `.xlsx` and `.xml` files
//!   are not (the mock has no spreadsheet reader): they become `ready` with no rows;
//! - `GET files/{id}/`: `parsing` for [`MockBuilder::parse_for`], then `ready` or `error`;
//! - `POST jobs/`: a job created from a ready file on a project; it runs for
//!   [`MockBuilder::created_jobs_run_for`], then ends in its project's outcome
//!   ([`MockControl::set_project_outcome`], done by default) and serves the file's rows;
//! - `GET projects/` (paginated like `jobs/`) and `GET projects/{id}/` (with its steps).
//!
//! What arrived is on record for tests: [`MockControl::posts_received`] per [`Route`], and
//! [`MockControl::uploads_received`] with each upload body's length and [`fnv1a64`] hash.
//!
//! Tests can also change the server while it runs: add jobs that appear at the top of the list
//! ([`MockControl::insert_jobs`], also from a [`MockBuilder::on_list_page`] hook between two
//! pages), add jobs whose status advances with time and whose output may have millions of rows
//! ([`MockControl::add_job`] with a [`JobSpec`]), and enforce a fair-use limit answered with `429`
//! ([`MockBuilder::fair_use`], a token bucket, or [`MockBuilder::fair_use_window`], the sliding
//! window of Django REST Framework's throttles). A [`MockServer`] derefs to its [`MockControl`], so these are
//! plain calls on the server (`server.add_job(..)`).
//!
//! Faults can be switched on and off for a fault matrix: latency, slow bodies, 429s, 5xx pages,
//! dropped connections (before the server acts, or after: [`Fault::DropAfterActing`]),
//! truncated, malformed or oddly typed bodies, a huge row, redirects and `next` links to
//! another origin ([`Fault`], [`FaultPlan`], [`MockBuilder::fault`],
//! [`MockControl::set_faults`]). Their text form ([`Fault::parse`]) reads durations with
//! [`parse_duration`], the duration syntax of every `sdm` option.
//!
//! ```no_run
//! let server = sdm_mock::MockServer::start();
//! println!("{} (token {})", server.base_url(), server.token());
//! let first = &server.world().jobs()[0];
//! assert!(first["id"].is_string());
//! ```

#![deny(missing_docs)]

mod api;
mod app;
mod auth;
mod conn;
mod control;
mod csv_text;
mod datetime;
mod disposition;
mod duration;
mod elsewhere;
mod fair_use;
mod fault;
mod files;
mod fnv;
mod ledger;
mod live;
mod query;
mod responses;
mod rng;
mod server;
mod urls;
mod world;

pub use control::MockControl;
pub use duration::{MAX_DURATION, parse_duration};
pub use fair_use::FairUse;
pub use fault::{ErrorBody, Fault, FaultPlan, Route};
pub use fnv::{Fnv1a64, fnv1a64};
pub use ledger::ReceivedUpload;
pub use live::JobSpec;
pub use server::{MockBuilder, MockServer};
pub use world::{Status, World};
