//! A job's output rows for the async client, decoded as the body arrives.

use futures_core::Stream;
use serde::de::DeserializeOwned;

use crate::client::body_failure;
use crate::client::rows::{Pull, RowsState};
use crate::error::Error;
use crate::raw_row::RawRow;
use crate::transport::AsyncBody;

/// The rows of a job's output, streamed. Created by [`AsyncClient::job_rows`].
///
/// Take rows as JSON text with [`next_raw`](Self::next_raw) (fastest: nothing is built), as any
/// type with [`next_typed`](Self::next_typed), or as a `Stream` with
/// [`into_stream`](Self::into_stream). A body cut short or malformed ends with an error, never
/// with fewer rows.
///
/// [`AsyncClient::job_rows`]: crate::AsyncClient::job_rows
#[derive(Debug)]
pub struct AsyncRowReader {
    body: AsyncBody,
    state: RowsState,
}

impl AsyncRowReader {
    pub(crate) fn new(body: AsyncBody, state: RowsState) -> Self {
        Self { body, state }
    }

    /// The next row as JSON text exactly as the server sent it (validated), or `None` after the
    /// last row.
    pub async fn next_raw(&mut self) -> Result<Option<&str>, Error> {
        loop {
            match self.state.pull_raw()? {
                Pull::Ready(()) => return self.state.current_raw().map(Some),
                Pull::NeedInput => self.read_chunk().await?,
                Pull::Finished => return Ok(None),
            }
        }
    }

    /// The next row as its JSON text with what validating it showed: whether it is compact
    /// and plain ASCII (what a writer may skip), and its top-level fields (cells without a
    /// second parse). `None` after the last row.
    pub async fn next_row(&mut self) -> Result<Option<RawRow<'_>>, Error> {
        loop {
            match self.state.pull_raw()? {
                Pull::Ready(()) => return self.state.current_row().map(Some),
                Pull::NeedInput => self.read_chunk().await?,
                Pull::Finished => return Ok(None),
            }
        }
    }

    /// The next row deserialized as `T`, or `None` after the last row.
    pub async fn next_typed<T: DeserializeOwned>(&mut self) -> Result<Option<T>, Error> {
        loop {
            match self.state.pull_typed::<T>()? {
                Pull::Ready(row) => return Ok(Some(row)),
                Pull::NeedInput => self.read_chunk().await?,
                Pull::Finished => return Ok(None),
            }
        }
    }

    /// The rows as a stream of `T` (`sdm_core::Row`, `serde_json::Value`, your own struct…);
    /// it ends after the first error.
    pub fn into_stream<T: DeserializeOwned + Send>(
        self,
    ) -> impl Stream<Item = Result<T, Error>> + Send {
        futures_util::stream::unfold(Some(self), |reader| async move {
            let mut reader = reader?;
            match reader.next_typed::<T>().await {
                Ok(Some(row)) => Some((Ok(row), Some(reader))),
                Ok(None) => None,
                Err(error) => Some((Err(error), None)),
            }
        })
    }

    /// Rows decoded so far.
    pub fn rows(&self) -> u64 {
        self.state.rows()
    }

    /// Body bytes received so far.
    pub fn bytes(&self) -> u64 {
        self.state.bytes()
    }

    async fn read_chunk(&mut self) -> Result<(), Error> {
        match self.body.next_chunk().await {
            Ok(chunk) => {
                self.state.feed(chunk.as_deref());
                Ok(())
            }
            Err(e) => Err(body_failure(self.state.what().to_owned(), e)),
        }
    }
}
