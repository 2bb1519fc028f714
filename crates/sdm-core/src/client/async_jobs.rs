//! Every job of a listing as a `Stream`, for the async client.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;

use crate::client::AsyncClient;
use crate::error::Error;
use crate::model::{JobSummary, Page};
use crate::pager::{JobPager, PageQueue, PageRequest};
use crate::transport::AsyncTransport;

type PageFuture = BoxFuture<'static, (PageRequest, Result<Page<JobSummary>, Error>)>;

/// The jobs of every page as a stream, in list order, each job once. Created by
/// [`AsyncClient::jobs`].
///
/// After the first page, the pager's concurrency of requests is kept in flight: as soon as one
/// page arrives the next request goes out, so a slow page holds up no other request. After an
/// error the stream yields it, then ends. It owns a clone of the client, so it is `'static`
/// when the transport is.
pub struct JobStream<T> {
    client: AsyncClient<T>,
    queue: PageQueue,
    in_flight: FuturesUnordered<PageFuture>,
}

impl<T> JobStream<T> {
    pub(crate) fn new(client: AsyncClient<T>, pager: JobPager) -> Self {
        Self {
            client,
            queue: PageQueue::new(pager),
            in_flight: FuturesUnordered::new(),
        }
    }

    /// The pager's view of the walk (count announced, jobs yielded so far).
    pub fn pager(&self) -> &JobPager {
        self.queue.pager()
    }
}

impl<T: AsyncTransport + 'static> Stream for JobStream<T> {
    type Item = Result<JobSummary, Error>;

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

impl<T> fmt::Debug for JobStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobStream")
            .field("pager", self.queue.pager())
            .field("in_flight", &self.in_flight.len())
            .finish_non_exhaustive()
    }
}
