//! An embedded fake Akeneo Supplier Data Manager (SDM) server that behaves like the Django REST
//! Framework deployment of the real API: trailing-slash routes, token authentication, DRF error
//! bodies, paginated and filtered job lists, and streamed job output rows, all generated
//! deterministically from a seed.
//!
//! ```no_run
//! let server = sdm_mock::MockServer::start();
//! println!("{} (token {})", server.base_url(), server.token());
//! let first = &server.world().jobs()[0];
//! assert!(first["id"].is_string());
//! ```

mod api;
mod app;
mod auth;
mod datetime;
mod query;
mod responses;
mod rng;
mod server;
mod urls;
mod world;

pub use server::{MockBuilder, MockServer};
pub use world::World;
