//! The DRF views behind each route.

pub(crate) mod data;
pub(crate) mod download;
mod filters;
pub(crate) mod job_create;
pub(crate) mod jobs;
pub(crate) mod login;
mod pagination;
pub(crate) mod projects;
pub(crate) mod uploads;
