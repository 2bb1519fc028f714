//! `GET jobs/{job_id}/data/{output_format_id}/`: the rows of a done job as one JSON array,
//! generated row by row and streamed in chunks of about 64 KiB, in constant memory.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;

use crate::app::App;
use crate::live::JobRows;
use crate::query::parse_int;
use crate::responses;
use crate::world::Status;

/// Body chunks are flushed once they reach this size (a chunk ends after the row that crosses
/// it, so it holds at most one row more).
const CHUNK_SIZE: usize = 64 * 1024;

/// The rows, or 404 (unknown job or format) / 400 (job not done).
pub(crate) fn rows(app: &App, job_id: &str, output_format: &str) -> Response {
    match done_rows(app, job_id, output_format) {
        Ok((source, _name)) => {
            let body = Body::from_stream(JsonArrayStream::new(source));
            responses::with_type(StatusCode::OK, body, "application/json")
        }
        Err(why) => why.response(),
    }
}

/// Why a job's rows are not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotServed {
    /// Unknown job or format: 404.
    NotFound,
    /// The job is not done: 400.
    NotDone,
}

impl NotServed {
    /// The answer.
    pub(crate) fn response(self) -> Response {
        match self {
            Self::NotFound => responses::not_found(),
            Self::NotDone => responses::detail(StatusCode::BAD_REQUEST, "Job is not finished."),
        }
    }
}

/// The rows of a done job in a format, with the job's name. The download checks the same way.
pub(crate) fn done_rows(
    app: &App,
    job_id: &str,
    output_format: &str,
) -> Result<(JobRows, String), NotServed> {
    let jobs = app.live.view();
    let job = jobs.find(job_id).ok_or(NotServed::NotFound)?;
    let source = parse_int(output_format)
        .and_then(|n| u64::try_from(n).ok())
        .and_then(|format| jobs.row_source(job, format))
        .ok_or(NotServed::NotFound)?;
    if jobs.status(job) != Status::Done {
        return Err(NotServed::NotDone);
    }
    Ok((source, jobs.name(job)))
}

/// A stream of body chunks that together form the compact JSON array of the rows, generated on
/// demand: only the chunk being filled is ever in memory.
#[derive(Debug)]
struct JsonArrayStream {
    rows: JobRows,
    chunk_size: usize,
    opened: bool,
    wrote_row: bool,
    finished: bool,
}

impl JsonArrayStream {
    /// Streams the rows of `rows` in chunks of about [`CHUNK_SIZE`] bytes.
    fn new(rows: JobRows) -> Self {
        Self::with_chunk_size(rows, CHUNK_SIZE)
    }

    /// Streams the rows of `rows` in chunks of about `chunk_size` bytes.
    fn with_chunk_size(rows: JobRows, chunk_size: usize) -> Self {
        Self {
            rows,
            chunk_size,
            opened: false,
            wrote_row: false,
            finished: false,
        }
    }

    /// The next chunk: `[` before the first row, `,` between rows, `]` after the last.
    fn next_chunk(&mut self) -> Option<Bytes> {
        if self.finished {
            return None;
        }
        let mut buf = Vec::with_capacity(self.chunk_size.min(CHUNK_SIZE) + 1024);
        if !self.opened {
            buf.push(b'[');
            self.opened = true;
        }
        while buf.len() < self.chunk_size {
            if self.rows.remaining() == 0 {
                buf.push(b']');
                self.finished = true;
                break;
            }
            if self.wrote_row {
                buf.push(b',');
            }
            self.rows.write_next(&mut buf);
            self.wrote_row = true;
        }
        Some(Bytes::from(buf))
    }
}

impl futures_core::Stream for JsonArrayStream {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.get_mut().next_chunk().map(Ok))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::RowSource;

    fn concat(source: RowSource, chunk_size: usize) -> (String, Vec<usize>) {
        let mut stream = JsonArrayStream::with_chunk_size(JobRows::Generated(source), chunk_size);
        let mut out = Vec::new();
        let mut sizes = Vec::new();
        while let Some(chunk) = stream.next_chunk() {
            out.extend_from_slice(&chunk);
            sizes.push(chunk.len());
        }
        (String::from_utf8(out).unwrap(), sizes)
    }

    #[test]
    fn chunks_form_the_compact_array_at_any_length() {
        for chunk_size in [1, 200, 1000, CHUNK_SIZE] {
            for len in [0, 1, 2, 3, 5, 8, 15, 16, 17, 60] {
                let source = RowSource::with_len(77, 0, 1, len);
                let expected: Vec<serde_json::Value> = source.clone().collect();
                assert_eq!(expected.len(), len as usize);
                let (text, _) = concat(source, chunk_size);
                assert_eq!(
                    text,
                    serde_json::to_string(&expected).unwrap(),
                    "{len} rows in chunks of {chunk_size}"
                );
            }
        }
    }

    #[test]
    fn chunks_are_about_the_chunk_size() {
        let (text, sizes) = concat(RowSource::keyed(1, "job", 301, 1, 5_000), CHUNK_SIZE);
        assert!(sizes.len() > 5, "{sizes:?}");
        for &size in &sizes[..sizes.len() - 1] {
            assert!((CHUNK_SIZE..CHUNK_SIZE + 1024).contains(&size), "{sizes:?}");
        }
        assert_eq!(sizes.iter().sum::<usize>(), text.len());
    }
}
