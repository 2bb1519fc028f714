//! Every job of a listing as an `Iterator`, for the blocking client.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::mpsc;
use std::thread;

use crate::client::BlockingClient;
use crate::error::Error;
use crate::model::{JobSummary, Page};
use crate::pager::{JobPager, PageQueue, PageRequest};
use crate::transport::Transport;

/// What a page thread sends back: the request, and its result or the panic it died of.
type Answer = (PageRequest, thread::Result<Result<Page<JobSummary>, Error>>);

/// The jobs of every page, in list order, each job once. Created by [`BlockingClient::jobs`].
///
/// With a concurrency above 1, the pages after the first are fetched on threads, that many at
/// a time: as soon as one page arrives the next request goes out, so a slow page holds up no
/// other request. After an error the iterator yields it once, then ends. Dropping the iterator
/// abandons the requests in flight (their threads finish on their own).
pub struct Jobs<T> {
    client: BlockingClient<T>,
    queue: PageQueue,
    answers: Option<(mpsc::Sender<Answer>, mpsc::Receiver<Answer>)>,
    in_flight: usize,
}

impl<T> Jobs<T> {
    pub(crate) fn new(client: BlockingClient<T>, pager: JobPager) -> Self {
        Self {
            client,
            queue: PageQueue::new(pager),
            answers: None,
            in_flight: 0,
        }
    }

    /// The pager's view of the walk (count announced, jobs yielded so far).
    pub fn pager(&self) -> &JobPager {
        self.queue.pager()
    }
}

impl<T> std::fmt::Debug for Jobs<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs")
            .field("pager", self.queue.pager())
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}

impl<T: Transport + 'static> Jobs<T> {
    /// Sends every request the pager allows now: inline when one at a time is allowed, else
    /// each on a thread of its own.
    fn send_allowed(&mut self) {
        while let Some(request) = self.queue.next_request() {
            if self.queue.pager().concurrency() == 1 {
                let result = self.client.execute(&request.op);
                self.queue.on_response(&request, result);
                continue;
            }
            let (sender, _) = self.answers.get_or_insert_with(mpsc::channel);
            let sender = sender.clone();
            let client = self.client.clone();
            thread::spawn(move || {
                let result = catch_unwind(AssertUnwindSafe(|| client.execute(&request.op)));
                // The iterator may be gone: nobody wants the answer then.
                let _ = sender.send((request, result));
            });
            self.in_flight += 1;
        }
    }
}

impl<T: Transport + 'static> Iterator for Jobs<T> {
    type Item = Result<JobSummary, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.queue.next_item() {
                return Some(item);
            }
            if self.queue.pager().is_done() {
                return None;
            }
            self.send_allowed();
            if self.queue.has_items() {
                continue;
            }
            let (_, receiver) = self.answers.as_ref().filter(|_| self.in_flight > 0)?;
            // Our own sender is alive, so this only returns with an answer.
            let (request, result) = receiver.recv().ok()?;
            self.in_flight -= 1;
            let result = result.unwrap_or_else(|panic| resume_unwind(panic));
            self.queue.on_response(&request, result);
        }
    }
}
