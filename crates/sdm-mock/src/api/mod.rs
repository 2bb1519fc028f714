//! The DRF views behind each route.

pub(crate) mod data;
mod filters;
pub(crate) mod jobs;
pub(crate) mod login;
mod pagination;
