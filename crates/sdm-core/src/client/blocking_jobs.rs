//! Every job of a listing as an `Iterator`, for the blocking client.

use std::collections::VecDeque;

use crate::client::BlockingClient;
use crate::error::Error;
use crate::model::{JobSummary, Page};
use crate::pager::{JobPager, PageRequest};
use crate::transport::Transport;

/// The jobs of every page, in list order, each job once. Created by [`BlockingClient::jobs`].
///
/// With a concurrency above 1, the pages after the first are fetched on scoped threads, up to
/// that many at a time. After an error the iterator yields it once, then ends.
#[derive(Debug)]
pub struct Jobs<'c, T> {
    client: &'c BlockingClient<T>,
    pager: JobPager,
    ready: VecDeque<JobSummary>,
    error: Option<Error>,
}

impl<'c, T> Jobs<'c, T> {
    pub(crate) fn new(client: &'c BlockingClient<T>, pager: JobPager) -> Self {
        Self {
            client,
            pager,
            ready: VecDeque::new(),
            error: None,
        }
    }

    /// The pager's view of the walk (count announced, jobs yielded so far).
    pub fn pager(&self) -> &JobPager {
        &self.pager
    }
}

impl<T: Transport + Sync> Jobs<'_, T> {
    /// Executes the requests, on scoped threads when there are several; results in request order.
    fn fetch(&self, requests: &[PageRequest]) -> Vec<Result<Page<JobSummary>, Error>> {
        if let [request] = requests {
            return vec![self.client.execute(&request.op)];
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> = requests
                .iter()
                .map(|request| scope.spawn(|| self.client.execute(&request.op)))
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    }
}

impl<T: Transport + Sync> Iterator for Jobs<'_, T> {
    type Item = Result<JobSummary, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(job) = self.ready.pop_front() {
                return Some(Ok(job));
            }
            if let Some(error) = self.error.take() {
                return Some(Err(error));
            }
            let requests: Vec<PageRequest> =
                std::iter::from_fn(|| self.pager.next_request()).collect();
            if requests.is_empty() {
                return None;
            }
            for (request, result) in requests.iter().zip(self.fetch(&requests)) {
                let released = self.pager.on_response(request, result);
                self.ready.extend(released.jobs);
                self.error = self.error.take().or(released.error);
            }
        }
    }
}
