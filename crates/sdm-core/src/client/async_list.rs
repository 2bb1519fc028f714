//! Every item of a listing (jobs, projects) as a `Stream`, for the async client.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;

use crate::client::AsyncClient;
use crate::error::Error;
use crate::model::Page;
use crate::ops::{JobQuery, ProjectQuery};
use crate::pager::{Listing, PageQueue, PageRequest, Pager};
use crate::transport::AsyncTransport;

type PageFuture<L> =
    BoxFuture<'static, (PageRequest<L>, Result<Page<<L as Listing>::Item>, Error>)>;

/// Every job of a listing as a stream: see [`ListStream`]. Created by [`AsyncClient::jobs`].
pub type JobStream<T> = ListStream<T, JobQuery>;

/// Every project as a stream: see [`ListStream`]. Created by [`AsyncClient::projects`].
pub type ProjectStream<T> = ListStream<T, ProjectQuery>;

/// The items of every page of a listing as a stream, in list order, each once.
///
/// After the first page, the pager's concurrency of requests is kept in flight: as soon as one
/// page arrives the next request goes out, so a slow page holds up no other request. After an
/// error the stream yields it, then ends. It owns a clone of the client, so it is `'static`
/// when the transport is.
pub struct ListStream<T, L: Listing> {
    client: AsyncClient<T>,
    queue: PageQueue<L>,
    in_flight: FuturesUnordered<PageFuture<L>>,
}

impl<T, L: Listing> ListStream<T, L> {
    pub(crate) fn new(client: AsyncClient<T>, pager: Pager<L>) -> Self {
        Self {
            client,
            queue: PageQueue::new(pager),
            in_flight: FuturesUnordered::new(),
        }
    }

    /// The pager's view of the walk (count announced, items yielded so far).
    pub fn pager(&self) -> &Pager<L> {
        self.queue.pager()
    }
}

// No field is ever pinned (the futures in flight are boxed), so moving the stream is fine
// whatever the listing's types are.
impl<T, L: Listing> Unpin for ListStream<T, L> {}

impl<T: AsyncTransport + 'static, L: Listing> Stream for ListStream<T, L> {
    type Item = Result<L::Item, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.queue.next_item() {
                return Poll::Ready(Some(item));
            }
            if this.queue.pager().is_done() {
                return Poll::Ready(None);
            }
            while let Some(request) = this.queue.next_request() {
                let client = this.client.clone();
                this.in_flight.push(Box::pin(async move {
                    let result = client.execute(&request.op).await;
                    (request, result)
                }));
            }
            match this.in_flight.poll_next_unpin(cx) {
                Poll::Ready(Some((request, result))) => this.queue.on_response(&request, result),
                // Nothing in flight and nothing to send: the walk is over.
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<T, L: Listing> fmt::Debug for ListStream<T, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListStream")
            .field("pager", self.queue.pager())
            .field("in_flight", &self.in_flight.len())
            .finish_non_exhaustive()
    }
}
