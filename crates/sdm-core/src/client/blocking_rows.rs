//! A job's output rows for the blocking client, decoded as the body arrives.

use std::io::Read;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use crate::client::body_failure;
use crate::client::rows::{Pull, RowsState};
use crate::error::Error;
use crate::model::Row;
use crate::raw_row::RawRow;
use crate::transport::BlockingBody;

/// How much is read from the body at a time.
const READ_CHUNK: usize = 64 * 1024;

/// The rows of a job's output, streamed. Created by [`BlockingClient::job_rows`].
///
/// Take rows as JSON text with [`next_raw`](Self::next_raw) (fastest: nothing is built), as any
/// type with [`next_typed`](Self::next_typed) or [`typed`](Self::typed), or iterate it for
/// [`Row`]s. A body cut short or malformed ends with an error, never with fewer rows.
///
/// [`BlockingClient::job_rows`]: crate::BlockingClient::job_rows
#[derive(Debug)]
pub struct RowReader {
    body: BlockingBody,
    state: RowsState,
    chunk: Vec<u8>,
}

impl RowReader {
    pub(crate) fn new(body: BlockingBody, state: RowsState) -> Self {
        Self {
            body,
            state,
            chunk: vec![0; READ_CHUNK],
        }
    }

    /// The next row as compact-or-not JSON text exactly as the server sent it (validated), or
    /// `None` after the last row.
    pub fn next_raw(&mut self) -> Result<Option<&str>, Error> {
        loop {
            match self.state.pull_raw()? {
                Pull::Ready(()) => return self.state.current_raw().map(Some),
                Pull::NeedInput => self.read_chunk()?,
                Pull::Finished => return Ok(None),
            }
        }
    }

    /// The next row as its JSON text with what validating it showed: whether it is compact
    /// and plain ASCII (what a writer may skip), and its top-level fields (cells without a
    /// second parse). `None` after the last row.
    pub fn next_row(&mut self) -> Result<Option<RawRow<'_>>, Error> {
        loop {
            match self.state.pull_raw()? {
                Pull::Ready(()) => return self.state.current_row().map(Some),
                Pull::NeedInput => self.read_chunk()?,
                Pull::Finished => return Ok(None),
            }
        }
    }

    /// The next row deserialized as `T`, or `None` after the last row.
    pub fn next_typed<T: DeserializeOwned>(&mut self) -> Result<Option<T>, Error> {
        loop {
            match self.state.pull_typed::<T>()? {
                Pull::Ready(row) => return Ok(Some(row)),
                Pull::NeedInput => self.read_chunk()?,
                Pull::Finished => return Ok(None),
            }
        }
    }

    /// The rows as an iterator of `T` (your own struct, `serde_json::Value`, …).
    pub fn typed<T: DeserializeOwned>(self) -> TypedRows<T> {
        TypedRows {
            reader: self,
            done: false,
            row: PhantomData,
        }
    }

    /// Rows decoded so far.
    pub fn rows(&self) -> u64 {
        self.state.rows()
    }

    /// Body bytes received so far.
    pub fn bytes(&self) -> u64 {
        self.state.bytes()
    }

    fn read_chunk(&mut self) -> Result<(), Error> {
        loop {
            match self.body.read(&mut self.chunk) {
                Ok(0) => {
                    self.state.feed(None);
                    return Ok(());
                }
                Ok(n) => {
                    self.state.feed(Some(&self.chunk[..n]));
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(body_failure(self.state.what().to_owned(), e.into())),
            }
        }
    }
}

impl Iterator for RowReader {
    type Item = Result<Row, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_typed::<Row>().transpose()
    }
}

/// The rows of a job's output as values of `T`. Ends after the first error.
#[derive(Debug)]
pub struct TypedRows<T> {
    reader: RowReader,
    done: bool,
    row: PhantomData<fn() -> T>,
}

impl<T> TypedRows<T> {
    /// The underlying reader (for progress: rows and bytes so far).
    pub fn reader(&self) -> &RowReader {
        &self.reader
    }
}

impl<T: DeserializeOwned> Iterator for TypedRows<T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.reader.next_typed::<T>().transpose();
        self.done = !matches!(next, Some(Ok(_)));
        next
    }
}
