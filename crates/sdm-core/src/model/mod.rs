//! The values the API talks about: ids, statuses, jobs, files, projects, pages and output rows.

mod download;
mod file;
mod id;
mod job;
mod page;
mod project;
mod raw;
mod row;
mod status;

use status::status_enum;

pub use download::DownloadInfo;
pub use file::{FileStatus, UploadedFile};
pub use id::{FileId, JobId, OutputFormatId, ProjectId};
pub use job::{Job, JobSummary, ProjectRef, Step};
pub use page::Page;
pub use project::{Project, ProjectStep};
pub use row::Row;
pub use status::JobStatus;

pub(crate) use raw::FIELD_MARK;
