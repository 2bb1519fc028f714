//! `GET jobs/{job_id}/download/{output_format_id}/`: a done job's rows as a CSV file, with
//! Django's `Content-Disposition`. A created job's file is written whole (with its
//! `Content-Length`); generated outputs, which may have millions of rows, are generated while
//! streamed in chunks of about 64 KiB, in constant memory.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;

use super::data::done_rows;
use crate::app::App;
use crate::live::JobRows;
use crate::responses;

/// Body chunks are flushed once they reach this size.
const CHUNK_SIZE: usize = 64 * 1024;
/// The content type of download files.
const CSV_TYPE: &str = "text/csv; charset=utf-8";

/// The file, or the data endpoint's answer for an unknown job or format (404) or a job not
/// done (400).
pub(crate) fn file(app: &App, job_id: &str, output_format: &str) -> Response {
    let (rows, name) = match done_rows(app, job_id, output_format) {
        Ok(found) => found,
        Err(why) => return why.response(),
    };
    let disposition = app.disposition.value_for(&format!("{name}.csv"));
    let mut stream = CsvStream::new(rows);
    let body = if stream.rows.is_small() {
        let mut whole = Vec::new();
        while let Some(chunk) = stream.next_chunk() {
            whole.extend_from_slice(&chunk);
        }
        Body::from(whole)
    } else {
        Body::from_stream(stream)
    };
    let mut response = responses::with_type(StatusCode::OK, body, CSV_TYPE);
    // A raw override that is no valid header value (a control character) is left out.
    if let Ok(value) = HeaderValue::from_bytes(disposition.as_bytes()) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// The CSV text of rows, header first, generated chunk by chunk.
#[derive(Debug)]
struct CsvStream {
    rows: JobRows,
    columns: Vec<usize>,
    header: Option<Vec<u8>>,
    finished: bool,
}

impl CsvStream {
    /// Streams `rows`.
    fn new(rows: JobRows) -> Self {
        let (columns, header) = rows.csv_header();
        Self {
            rows,
            columns,
            header: Some(header),
            finished: false,
        }
    }

    /// The next chunk, about [`CHUNK_SIZE`] bytes (the header line starts the first).
    fn next_chunk(&mut self) -> Option<Bytes> {
        if self.finished {
            return None;
        }
        let mut buf = self.header.take().unwrap_or_default();
        buf.reserve(CHUNK_SIZE + 1024);
        while buf.len() < CHUNK_SIZE {
            if !self.rows.write_csv_next(&self.columns, &mut buf) {
                self.finished = true;
                break;
            }
        }
        if buf.is_empty() {
            return None;
        }
        Some(Bytes::from(buf))
    }
}

impl futures_core::Stream for CsvStream {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.get_mut().next_chunk().map(Ok))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::RowSource;

    #[test]
    fn chunks_hold_the_header_then_every_line() {
        let rows = JobRows::Generated(RowSource::keyed(1, "job", 301, 1, 3_000));
        let (_, header) = rows.csv_header();
        let mut stream = CsvStream::new(rows.clone());
        let mut text = Vec::new();
        let mut sizes = Vec::new();
        while let Some(chunk) = stream.next_chunk() {
            sizes.push(chunk.len());
            text.extend_from_slice(&chunk);
        }
        assert!(sizes.len() > 3, "{sizes:?}");
        assert!(sizes[..sizes.len() - 1].iter().all(|&s| s >= CHUNK_SIZE));
        assert!(text.starts_with(&header));
        let lines = text.windows(2).filter(|w| w == b"\r\n").count();
        assert!(lines >= 3_001, "{lines}");
        let empty = CsvStream::new(JobRows::Generated(RowSource::keyed(1, "job", 301, 1, 0)));
        let mut empty = empty;
        assert_eq!(empty.next_chunk(), None);
    }
}
