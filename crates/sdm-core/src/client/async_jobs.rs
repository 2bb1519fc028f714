//! Every job of a listing as a `Stream`, for the async client.

use std::collections::VecDeque;

use futures_core::Stream;
use futures_util::future::join_all;

use crate::client::AsyncClient;
use crate::error::Error;
use crate::model::JobSummary;
use crate::pager::{JobPager, PageRequest};
use crate::transport::AsyncTransport;

/// What the stream carries between polls.
struct State<'c, T> {
    client: &'c AsyncClient<T>,
    pager: JobPager,
    ready: VecDeque<JobSummary>,
    error: Option<Error>,
}

/// The jobs of every page as a stream, in list order, each job once; pages after the first are
/// fetched concurrently up to the pager's concurrency. After an error the stream yields it, then ends.
pub(crate) fn job_stream<T: AsyncTransport>(
    client: &AsyncClient<T>,
    pager: JobPager,
) -> impl Stream<Item = Result<JobSummary, Error>> + Send + '_ {
    let state = State {
        client,
        pager,
        ready: VecDeque::new(),
        error: None,
    };
    futures_util::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(job) = state.ready.pop_front() {
                return Some((Ok(job), state));
            }
            if let Some(error) = state.error.take() {
                return Some((Err(error), state));
            }
            let requests: Vec<PageRequest> =
                std::iter::from_fn(|| state.pager.next_request()).collect();
            if requests.is_empty() {
                return None;
            }
            let client = state.client;
            let results =
                join_all(requests.iter().map(|request| client.execute(&request.op))).await;
            for (request, result) in requests.iter().zip(results) {
                let released = state.pager.on_response(request, result);
                state.ready.extend(released.jobs);
                state.error = state.error.take().or(released.error);
            }
        }
    })
}
