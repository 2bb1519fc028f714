//! `GET jobs/{job_id}/data/{output_format_id}/`: the rows of a done job as one JSON array,
//! generated and streamed a few rows per chunk.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;

use crate::app::App;
use crate::query::parse_int;
use crate::responses;
use crate::world::{RowSource, Status};

/// Rows serialized per body chunk.
const ROWS_PER_CHUNK: usize = 16;

/// The rows, or 404 (unknown job or format) / 400 (job not done).
pub(crate) fn rows(app: &App, job_id: &str, output_format: &str) -> Response {
    let world = &app.world;
    let Some(index) = world.index_of(job_id) else {
        return responses::not_found();
    };
    let source = parse_int(output_format)
        .and_then(|n| u64::try_from(n).ok())
        .and_then(|format| world.row_source(index, format));
    let Some(source) = source else {
        return responses::not_found();
    };
    if world.meta(index).status != Status::Done {
        return responses::detail(StatusCode::BAD_REQUEST, "Job is not finished.");
    }
    let body = Body::from_stream(JsonArrayStream::new(source));
    responses::with_type(StatusCode::OK, body, "application/json")
}

/// A stream of body chunks that together form the compact JSON array of the rows.
#[derive(Debug)]
struct JsonArrayStream {
    rows: RowSource,
    started: bool,
    finished: bool,
}

impl JsonArrayStream {
    /// Streams the rows of `rows`.
    fn new(rows: RowSource) -> Self {
        Self {
            rows,
            started: false,
            finished: false,
        }
    }

    /// The next chunk: `[` before the first row, `,` between rows, `]` after the last.
    fn next_chunk(&mut self) -> Option<Bytes> {
        if self.finished {
            return None;
        }
        let mut buf = Vec::with_capacity(ROWS_PER_CHUNK * 256);
        if !self.started {
            buf.push(b'[');
        }
        for _ in 0..ROWS_PER_CHUNK {
            let Some(row) = self.rows.next() else {
                buf.push(b']');
                self.finished = true;
                break;
            };
            if self.started {
                buf.push(b',');
            }
            self.started = true;
            // Serializing a `Value` into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut buf, &row);
        }
        self.started = true;
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

    fn concat(source: RowSource) -> String {
        let mut stream = JsonArrayStream::new(source);
        let mut out = Vec::new();
        while let Some(chunk) = stream.next_chunk() {
            out.extend_from_slice(&chunk);
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn chunks_form_the_compact_array_at_any_length() {
        for len in [0, 1, 2, 15, 16, 17, 31, 32, 33, 60] {
            let source = RowSource::with_len(77, 0, 1, len);
            let expected: Vec<serde_json::Value> = source.clone().collect();
            assert_eq!(expected.len(), len as usize);
            assert_eq!(
                concat(source),
                serde_json::to_string(&expected).unwrap(),
                "{len} rows"
            );
        }
    }
}
