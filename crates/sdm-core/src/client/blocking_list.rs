//! Every item of a listing (jobs, projects) as an `Iterator`, for the blocking client.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::mpsc;
use std::thread;

use crate::client::BlockingClient;
use crate::error::Error;
use crate::model::Page;
use crate::ops::{JobQuery, ProjectQuery};
use crate::pager::{Listing, PageQueue, PageRequest, Pager};
use crate::transport::Transport;

/// What a page thread sends back: the request, and its result or the panic it died of.
type Answer<L> = (
    PageRequest<L>,
    thread::Result<Result<Page<<L as Listing>::Item>, Error>>,
);

/// Where the page threads send their answers.
type Channel<L> = (mpsc::Sender<Answer<L>>, mpsc::Receiver<Answer<L>>);

/// Every job of a listing: see [`ListIter`]. Created by [`BlockingClient::jobs`].
pub type Jobs<T> = ListIter<T, JobQuery>;

/// Every project: see [`ListIter`]. Created by [`BlockingClient::projects`].
pub type Projects<T> = ListIter<T, ProjectQuery>;

/// The items of every page of a listing, in list order, each once.
///
/// With a concurrency above 1, the pages after the first are fetched on threads, that many at
/// a time: as soon as one page arrives the next request goes out, so a slow page holds up no
/// other request. After an error the iterator yields it once, then ends. Dropping the iterator
/// abandons the requests in flight (their threads finish on their own).
pub struct ListIter<T, L: Listing> {
    client: BlockingClient<T>,
    queue: PageQueue<L>,
    answers: Option<Channel<L>>,
    in_flight: usize,
}

impl<T, L: Listing> ListIter<T, L> {
    pub(crate) fn new(client: BlockingClient<T>, pager: Pager<L>) -> Self {
        Self {
            client,
            queue: PageQueue::new(pager),
            answers: None,
            in_flight: 0,
        }
    }

    /// The pager's view of the walk (count announced, items yielded so far).
    pub fn pager(&self) -> &Pager<L> {
        self.queue.pager()
    }
}

impl<T, L: Listing> std::fmt::Debug for ListIter<T, L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListIter")
            .field("pager", self.queue.pager())
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}

impl<T: Transport + 'static, L: Listing> ListIter<T, L> {
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

impl<T: Transport + 'static, L: Listing> Iterator for ListIter<T, L> {
    type Item = Result<L::Item, Error>;

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
