//! An embedded fake Akeneo Supplier Data Manager (SDM) server that behaves like the Django REST
//! Framework deployment of the real API: trailing-slash routes, token authentication, DRF error
//! bodies, paginated and filtered job lists, and streamed job output rows, all generated
//! deterministically from a seed.
//!
//! Tests can also change the server while it runs: add jobs that appear at the top of the list
//! ([`MockControl::insert_jobs`], also from a [`MockBuilder::on_list_page`] hook between two
//! pages), add jobs whose status advances with time and whose output may have millions of rows
//! ([`MockControl::add_job`] with a [`JobSpec`]), and enforce a fair-use limit answered with `429`
//! ([`MockBuilder::fair_use`]). A [`MockServer`] derefs to its [`MockControl`], so these are
//! plain calls on the server (`server.add_job(..)`).
//!
//! Faults can be switched on and off for a fault matrix: latency, slow bodies, 429s, 5xx pages,
//! dropped connections, truncated, malformed or oddly typed bodies, a huge row, redirects and
//! `next` links to another origin ([`Fault`], [`FaultPlan`], [`MockBuilder::fault`],
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
mod datetime;
mod duration;
mod elsewhere;
mod fair_use;
mod fault;
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
pub use live::JobSpec;
pub use server::{MockBuilder, MockServer};
pub use world::{Status, World};
