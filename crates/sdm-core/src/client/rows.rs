//! Job output rows read from a response body as it arrives: the part both clients share.
//! The clients only differ in how they pull the next chunk (a blocking read or an await).

use http::response::Parts;
use serde::de::DeserializeOwned;

use crate::body::{announced_length, check_length};
use crate::client::body_failure;
use crate::decoder::{RowDecoder, RowError};
use crate::error::{Error, OutputError};
use crate::raw_row::RawRow;

/// What the decoder can do next.
pub(crate) enum Pull<T> {
    /// A row is ready (for raw rows, read it with `current_raw`).
    Ready(T),
    /// The bytes so far hold no complete row: feed the next chunk.
    NeedInput,
    /// The array is complete and the body ended.
    Finished,
}

/// The decoder plus what the readers report: rows and bytes so far, and whether the body ended
/// (and, when its head announced a length, whether it ended short of it).
#[derive(Debug)]
pub(crate) struct RowsState {
    what: String,
    decoder: RowDecoder,
    bytes: u64,
    ended: bool,
    announced: Option<u64>,
}

impl RowsState {
    pub(crate) fn new(what: String, max_row_bytes: usize) -> Self {
        Self {
            what,
            decoder: RowDecoder::new(max_row_bytes),
            bytes: 0,
            ended: false,
            announced: None,
        }
    }

    /// The same state for the body of the response whose head this is: a body that ends short
    /// of the `Content-Length` announced there is an `Io` transport error, not fewer rows.
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "the clients' `job_rows` pass their response heads here"
        )
    )]
    pub(crate) fn framed_by(self, head: &Parts) -> Self {
        Self {
            announced: announced_length(head),
            ..self
        }
    }

    /// Gives the next chunk, or `None` at the end of the body.
    pub(crate) fn feed(&mut self, chunk: Option<&[u8]>) {
        match chunk {
            Some(chunk) => {
                self.bytes += chunk.len() as u64;
                self.decoder.push(chunk);
            }
            None => self.ended = true,
        }
    }

    pub(crate) fn pull_raw(&mut self) -> Result<Pull<()>, Error> {
        match self.decoder.advance_raw() {
            Ok(true) => Ok(Pull::Ready(())),
            Ok(false) => self.end_or_more(),
            Err(error) => Err(self.output_error(error)),
        }
    }

    pub(crate) fn pull_typed<T: DeserializeOwned>(&mut self) -> Result<Pull<T>, Error> {
        match self.decoder.next_typed::<T>() {
            Ok(Some(row)) => Ok(Pull::Ready(row)),
            Ok(None) => self.end_or_more(),
            Err(error) => Err(self.output_error(error)),
        }
    }

    pub(crate) fn current_raw(&self) -> Result<&str, Error> {
        self.decoder
            .current_raw()
            .map_err(|error| self.output_error(error))
    }

    pub(crate) fn current_row(&self) -> Result<RawRow<'_>, Error> {
        self.decoder
            .current_row()
            .map_err(|error| self.output_error(error))
    }

    pub(crate) fn rows(&self) -> u64 {
        self.decoder.rows()
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    pub(crate) fn what(&self) -> &str {
        &self.what
    }

    fn end_or_more<T>(&mut self) -> Result<Pull<T>, Error> {
        if !self.ended {
            return Ok(Pull::NeedInput);
        }
        // Before the decoder judges what it was given: a body cut short is the connection's
        // failure, whatever the rows it left look like.
        check_length(self.announced, self.bytes)
            .map_err(|error| body_failure(self.what.clone(), error))?;
        match self.decoder.finish() {
            Ok(()) => Ok(Pull::Finished),
            Err(error) => Err(self.output_error(error)),
        }
    }

    fn output_error(&self, error: RowError) -> Error {
        Error::Output(Box::new(OutputError::new(self.what.clone(), error)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::TransportErrorKind;

    fn head(content_length: &str) -> Parts {
        let response = http::Response::builder().header("content-length", content_length);
        response.body(()).unwrap().into_parts().0
    }

    /// Feeds `body` and then its end; every row, then how the rows ended.
    fn rows(state: &mut RowsState, body: &[u8]) -> (Vec<String>, Result<(), Error>) {
        state.feed(Some(body));
        state.feed(None);
        let mut rows = Vec::new();
        loop {
            match state.pull_raw() {
                Ok(Pull::Ready(())) => rows.push(state.current_raw().unwrap().to_owned()),
                Ok(Pull::Finished) => return (rows, Ok(())),
                Ok(Pull::NeedInput) => unreachable!("the body ended"),
                Err(error) => return (rows, Err(error)),
            }
        }
    }

    #[test]
    fn a_body_short_of_its_content_length_ends_with_an_io_error() {
        let whole = br#"[{"a":1},{"a":2}]"#;
        let mut state = RowsState::new("rows".to_owned(), 1024).framed_by(&head("40"));
        let (got, end) = rows(&mut state, whole);
        assert_eq!(got, [r#"{"a":1}"#, r#"{"a":2}"#]);
        match end {
            Err(Error::Transport(failure)) => {
                assert_eq!(failure.error.kind(), TransportErrorKind::Io);
                let cause = std::error::Error::source(&failure.error).unwrap();
                assert_eq!(cause.to_string(), "the body ended after 17 of 40 bytes");
            }
            other => panic!("expected an Io transport error, got {other:?}"),
        }
    }

    #[test]
    fn a_body_of_its_content_length_or_without_one_ends_as_the_rows_do() {
        let whole = br#"[{"a":1},{"a":2}]"#;
        let mut state = RowsState::new("rows".to_owned(), 1024).framed_by(&head("17"));
        assert!(rows(&mut state, whole).1.is_ok());
        let mut state = RowsState::new("rows".to_owned(), 1024);
        assert!(rows(&mut state, whole).1.is_ok());
        let mut state = RowsState::new("rows".to_owned(), 1024);
        assert!(matches!(
            rows(&mut state, &whole[..12]).1,
            Err(Error::Output(_))
        ));
    }
}
