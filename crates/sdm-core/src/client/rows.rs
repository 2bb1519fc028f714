//! Job output rows read from a response body as it arrives: the part both clients share.
//! The clients only differ in how they pull the next chunk (a blocking read or an await).

use serde::de::DeserializeOwned;

use crate::decoder::{RowDecoder, RowError};
use crate::error::{Error, OutputError};

/// What the decoder can do next.
pub(crate) enum Pull<T> {
    /// A row is ready (for raw rows, read it with `current_raw`).
    Ready(T),
    /// The bytes so far hold no complete row: feed the next chunk.
    NeedInput,
    /// The array is complete and the body ended.
    Finished,
}

/// The decoder plus what the readers report: rows and bytes so far, and whether the body ended.
#[derive(Debug)]
pub(crate) struct RowsState {
    what: String,
    decoder: RowDecoder,
    bytes: u64,
    ended: bool,
}

impl RowsState {
    pub(crate) fn new(what: String, max_row_bytes: usize) -> Self {
        Self {
            what,
            decoder: RowDecoder::new(max_row_bytes),
            bytes: 0,
            ended: false,
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
        match self.decoder.finish() {
            Ok(()) => Ok(Pull::Finished),
            Err(error) => Err(self.output_error(error)),
        }
    }

    fn output_error(&self, error: RowError) -> Error {
        Error::Output(Box::new(OutputError::new(self.what.clone(), error)))
    }
}
