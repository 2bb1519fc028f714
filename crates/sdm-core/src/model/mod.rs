//! The values the API talks about: ids, job status, jobs, pages and output rows.

mod id;
mod job;
mod page;
mod row;
mod status;

pub use id::{JobId, OutputFormatId, ProjectId};
pub use job::{Job, JobSummary, ProjectRef, Step};
pub use page::Page;
pub use row::Row;
pub use status::JobStatus;
