//! Walking every page of a listing (jobs, projects): which pages to ask for, and which items
//! to hand out.
//!
//! A state machine with no IO: a client asks [`Pager::next_request`] for requests (up to the
//! concurrency allowed), sends them however it likes, and feeds each result to
//! [`Pager::on_response`], which hands back the items that are ready, in list order. What is
//! listed is a [`Listing`]: the query, how to ask for a page of it, and what identifies an item.
//!
//! Page-number pagination is not a snapshot: items created or removed during the walk shift others
//! between pages, so an item may be seen twice, and with pages fetched concurrently one may slip
//! between two pages computed before and after the change. The pager yields each item id once;
//! when the `count` of consecutive pages differs it fetches the previous page again and goes on
//! from there, so the pages it releases come from one consistent state; and it keeps going past
//! the planned last page as long as the server says there is more.
//!
//! A walk never looks complete when it is not. `count` decides when it ends, not `next`:
//!
//! - a `next` link is followed (with a concurrency of 1) only when it is on the base URL's
//!   origin and names the page after the current one; any other link (one that names the same
//!   page, loops back to page 1, skips pages or has no page number), and a missing one while
//!   `count` promises more, make the walk ask for the next page by number;
//! - a later page that answers 404 or comes back empty before `count` items were seen is asked
//!   for once more, after the page before it (the listing may have shrunk: that page's `count`
//!   says so); if it fails again the walk ends with [`Error::Incomplete`], after the items seen,
//!   unless it saw as many items as the listing held when it started (items created during the
//!   walk are newer than it: they may be missed);
//! - a walk reads at most `ceil(count / page size)` pages plus a margin (10 pages and a tenth),
//!   `count` being the largest announced, and never more than twice what page 1's `count`
//!   gives (items created during the walk); pages that only repeat items, or a `count` that
//!   keeps growing, end there with [`Error::Incomplete`] rather than when memory runs out.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fmt;
use std::hash::Hash;

use http::Uri;

use crate::base_url::{self, BaseUrl};
use crate::error::{Error, Incomplete, Shortfall};
use crate::model::{JobId, JobSummary, Page, Project, ProjectId};
use crate::ops::{JobQuery, ListJobs, ListProjects, Operation, ProjectQuery};

/// Something listed page by page, `count/next/previous/results` style: the query, how to ask
/// for one of its pages, and the id that makes an item unique.
pub trait Listing: Clone + fmt::Debug + Send + Sync + 'static {
    /// What the pages hold.
    type Item: fmt::Debug + Send + 'static;
    /// What the listing holds, plural, for messages (`jobs`, `projects`).
    const ITEMS: &'static str = "items";
    /// What identifies an item (an item seen twice is handed out once).
    type Key: Clone + Eq + Hash + fmt::Debug + Send + Sync;
    /// The operation that fetches a page.
    type Op: Operation<Output = Page<Self::Item>> + Clone + fmt::Debug + Send + Sync + 'static;

    /// The operation for page `page` of `page_size` items.
    fn page(&self, page: u64, page_size: u64) -> Self::Op;
    /// The operation that follows a `next` link of the server's (page number `page`).
    fn next_link(&self, link: Uri, page: u64) -> Self::Op;
    /// The item's id.
    fn key(item: &Self::Item) -> Self::Key;
}

impl Listing for JobQuery {
    const ITEMS: &'static str = "jobs";
    type Item = JobSummary;
    type Key = JobId;
    type Op = ListJobs;

    fn page(&self, page: u64, page_size: u64) -> ListJobs {
        ListJobs::new(self.clone().page(page).page_size(page_size))
    }

    fn next_link(&self, link: Uri, page: u64) -> ListJobs {
        ListJobs::next_link(link, page)
    }

    fn key(item: &JobSummary) -> JobId {
        item.id.clone()
    }
}

impl Listing for ProjectQuery {
    const ITEMS: &'static str = "projects";
    type Item = Project;
    type Key = ProjectId;
    type Op = ListProjects;

    fn page(&self, page: u64, page_size: u64) -> ListProjects {
        ListProjects::new(self.clone().page(page).page_size(page_size))
    }

    fn next_link(&self, link: Uri, page: u64) -> ListProjects {
        ListProjects::next_link(link, page)
    }

    fn key(item: &Project) -> ProjectId {
        item.id
    }
}

/// How to walk the pages.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PagerOptions {
    /// Items per page to ask for (default 100; the server may cap it, which the pager handles).
    pub page_size: u64,
    /// Page requests in flight at once after the first page (default 4). With 1, the pager
    /// follows the server's `next` links, when they are on the base URL's origin and name the
    /// next page.
    pub concurrency: usize,
    /// Stop after this many items (default: all).
    pub limit: Option<u64>,
}

impl Default for PagerOptions {
    fn default() -> Self {
        Self {
            page_size: 100,
            concurrency: 4,
            limit: None,
        }
    }
}

impl PagerOptions {
    /// Items per page to ask for (at least 1).
    pub fn page_size(mut self, page_size: u64) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    /// Page requests in flight at once (at least 1).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Stop after `limit` items.
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }
}

/// One page to fetch: its number and the operation that fetches it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PageRequest<L: Listing = JobQuery> {
    /// The page number (from 1).
    pub page: u64,
    /// The operation to execute.
    pub op: L::Op,
    /// Which pass over the pages this request belongs to (answers to earlier passes are dropped).
    epoch: u64,
}

/// What a response released: items ready to hand out, in order, and possibly the error that
/// ends the walk (after those items).
#[derive(Debug)]
#[non_exhaustive]
pub struct Released<I = JobSummary> {
    /// Items not seen before, in list order.
    pub items: Vec<I>,
    /// The error that ended the walk, to report after `items`.
    pub error: Option<Error>,
}

impl<I> Default for Released<I> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            error: None,
        }
    }
}

/// The walk over every page of the organization's jobs.
pub type JobPager = Pager<JobQuery>;

/// The walk over every page of the organization's projects.
pub type ProjectPager = Pager<ProjectQuery>;

/// The state of a walk over every page of a listing.
#[derive(Debug)]
pub struct Pager<L: Listing> {
    base_url: BaseUrl,
    query: L,
    options: PagerOptions,
    /// The next page number to hand out.
    next_page: u64,
    /// The highest page number that may be requested given what is known now.
    last_page: u64,
    /// Requests sent and not answered yet, as (epoch, page).
    in_flight: HashSet<(u64, u64)>,
    /// Bumped when the listing changed under the walk and pages are fetched again.
    epoch: u64,
    /// How many times the walk went back because the listing changed.
    rewinds: u32,
    /// The page of the latest rewind.
    last_rewind: Option<u64>,
    arrived: BTreeMap<u64, Result<Page<L::Item>, Error>>,
    /// The next page number to release.
    next_release: u64,
    /// The same-origin `next` link of the last released page (followed in sequential mode).
    follow: Option<Uri>,
    /// Jobs per page as the server actually serves them (learned from the first full page).
    served_page_size: Option<u64>,
    /// The `count` of the latest released page.
    count_seen: Option<u64>,
    /// The most pages the walk reads, from the largest `count` announced (see `max_pages`),
    /// once page 1 has arrived.
    max_pages: Option<u64>,
    /// What `max_pages` may grow to: twice what page 1's `count` gives.
    max_pages_cap: u64,
    /// The `count` of page 1 the first time it arrived: the listing when the walk started.
    first_count: Option<u64>,
    /// The page that ended the listing early and was asked for again (a second failure there
    /// ends the walk).
    rechecked: Option<u64>,
    seen: HashSet<L::Key>,
    yielded: u64,
    done: bool,
}

impl<L: Listing> Pager<L> {
    /// A walk over what `query` lists (its own page and page size are replaced by the walk's).
    pub fn new(base_url: BaseUrl, query: L, options: PagerOptions) -> Self {
        let options = PagerOptions {
            page_size: options.page_size.max(1),
            concurrency: options.concurrency.max(1),
            ..options
        };
        let done = options.limit == Some(0);
        Self {
            base_url,
            query,
            options,
            next_page: 1,
            last_page: 1,
            in_flight: HashSet::new(),
            epoch: 0,
            rewinds: 0,
            last_rewind: None,
            arrived: BTreeMap::new(),
            next_release: 1,
            follow: None,
            served_page_size: None,
            count_seen: None,
            max_pages: None,
            max_pages_cap: u64::MAX,
            first_count: None,
            rechecked: None,
            seen: HashSet::new(),
            yielded: 0,
            done,
        }
    }

    /// The next request to send now, or `None` when the walk is over or must wait for responses.
    ///
    /// Ask again after each response: a walk keeps `concurrency` requests in flight, and how
    /// far ahead of the next page to release it may run is bounded (pages that arrive early
    /// wait in memory until the pages before them are released).
    pub fn next_request(&mut self) -> Option<PageRequest<L>> {
        let ahead = self.next_page.saturating_sub(self.next_release);
        if self.done
            || self.next_page > self.last_page
            || self.in_flight.len() >= self.options.concurrency
            || ahead >= self.options.concurrency as u64 * LOOKAHEAD_PER_REQUEST
        {
            return None;
        }
        let page = self.next_page;
        self.next_page += 1;
        self.in_flight.insert((self.epoch, page));
        let op = match self.follow.take() {
            Some(link) => self.query.next_link(link, page),
            None => self.query.page(page, self.options.page_size),
        };
        Some(PageRequest {
            page,
            op,
            epoch: self.epoch,
        })
    }

    /// Takes the result of `request`; returns what can be handed out now.
    pub fn on_response(
        &mut self,
        request: &PageRequest<L>,
        result: Result<Page<L::Item>, Error>,
    ) -> Released<L::Item> {
        self.in_flight.remove(&(request.epoch, request.page));
        let mut released = Released::default();
        let page = request.page;
        if self.done || request.epoch != self.epoch || page < self.next_release {
            return released;
        }
        self.arrived.insert(page, result);
        while !self.done {
            let Some(result) = self.arrived.remove(&self.next_release) else {
                break;
            };
            let page = self.next_release;
            self.next_release += 1;
            match result {
                Ok(page_data) => {
                    released.error = self.release(page, page_data, &mut released.items);
                }
                // A page that vanished: jobs deleted during the walk, or a server that stops
                // early.
                Err(error @ Error::NotFound(_)) if page > 1 => {
                    released.error = self.ended_early(page, Shortfall::PageNotFound, Some(error));
                }
                Err(error) => {
                    self.finish("a request failed");
                    released.error = Some(error);
                }
            }
        }
        released
    }

    /// How many requests may be in flight at once.
    pub fn concurrency(&self) -> usize {
        self.options.concurrency
    }

    /// True when no job will come any more.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// How many distinct items have been handed out.
    pub fn yielded(&self) -> u64 {
        self.yielded
    }

    /// The total the server announced on the latest released page, once one has arrived.
    pub fn count(&self) -> Option<u64> {
        self.count_seen
    }

    /// Hands out the new items of `page`, decides what comes next, and returns the error that
    /// ends the walk, if any.
    fn release(&mut self, page: u64, data: Page<L::Item>, out: &mut Vec<L::Item>) -> Option<Error> {
        if self.count_seen.is_some_and(|count| count != data.count) && page > 1 {
            if self.last_rewind == Some(page) {
                // Fetched again, the same boundary changed again: the listing changes faster
                // than it is read (or its count moves with every page), and going back once
                // more would only cost requests.
                self.rewinds = MAX_REWINDS;
            }
            if self.rewinds < MAX_REWINDS {
                self.rewind(page, data.count);
                return None;
            }
            tracing::warn!(
                page,
                "the listing keeps changing during the walk; jobs may be missed"
            );
        }
        self.count_seen = Some(data.count);
        let arrived = data.results.len() as u64;
        if page == 1 && arrived > 0 && arrived < data.count {
            // A first page short of the count is full: it tells how many items the server
            // really puts on a page (it may cap the size asked for).
            self.served_page_size = Some(arrived);
        }
        let bound = max_pages(data.count, self.per_page());
        if self.max_pages.is_none() {
            // Page 1, the first time: the listing may grow to twice its size during the walk.
            self.max_pages_cap = bound.saturating_mul(2);
            self.first_count = Some(data.count);
        }
        self.max_pages = Some(
            self.max_pages
                .unwrap_or(0)
                .max(bound)
                .min(self.max_pages_cap),
        );
        for item in data.results {
            if self.limit_reached() {
                break;
            }
            if self.seen.insert(L::key(&item)) {
                self.yielded += 1;
                out.push(item);
            }
        }
        if self.limit_reached() {
            self.finish("limit reached");
            return None;
        }
        if self.yielded >= data.count {
            self.finish("count reached");
            return None;
        }
        if arrived == 0 {
            return self.ended_early(page, Shortfall::EmptyPage, None);
        }
        let max_pages = self.max_pages.unwrap_or(u64::MAX);
        if page >= max_pages {
            if !self.short() {
                self.finish("page bound reached with every item of the start seen");
                return None;
            }
            return Some(self.incomplete(page, Shortfall::TooManyPages { max_pages }, None));
        }
        let next = data
            .next
            .as_deref()
            .and_then(|link| link.parse::<Uri>().ok());
        self.plan_after(page, data.count, next);
        None
    }

    /// Page `page` answered 404 or came back empty before `count` items were seen. The first
    /// time, the page before it and this one are fetched again (when the listing shrank, the
    /// page before says so with its `count`); the second time the walk ends with an error.
    fn ended_early(
        &mut self,
        page: u64,
        reason: Shortfall,
        source: Option<Error>,
    ) -> Option<Error> {
        if self.limit_reached() || !self.short() {
            self.finish("the server has no page this far");
            return None;
        }
        if self.rechecked != Some(page) {
            tracing::debug!(page, ?reason, "the listing ended early; asking again");
            self.rechecked = Some(page);
            self.refetch(page.saturating_sub(1).max(1), page);
            return None;
        }
        Some(self.incomplete(page, reason, source))
    }

    /// Ends the walk with [`Error::Incomplete`].
    fn incomplete(&mut self, page: u64, reason: Shortfall, source: Option<Error>) -> Error {
        self.finish("the listing is incomplete");
        let count = self.count_seen.unwrap_or(0);
        Error::Incomplete(Box::new(Incomplete::new(
            format!("list {}", L::ITEMS),
            L::ITEMS,
            (self.yielded, count, page),
            reason,
            source,
        )))
    }

    /// Whether fewer items were handed out than the listing held, as far as the walk can know:
    /// fewer than both the `count` at the start and the latest one. (Items created during the
    /// walk are newer than it: they may come or not; items deleted lower the latest count.)
    fn short(&self) -> bool {
        let start = self.first_count.unwrap_or(u64::MAX);
        let now = self.count_seen.unwrap_or(u64::MAX);
        self.yielded < start.min(now)
    }

    fn limit_reached(&self) -> bool {
        self.options
            .limit
            .is_some_and(|limit| self.yielded >= limit)
    }

    /// Items per page as the server serves them, as far as the walk knows.
    fn per_page(&self) -> u64 {
        self.served_page_size
            .unwrap_or(self.options.page_size)
            .max(1)
    }

    /// Decides how far requests may go once `page` is released and more pages exist.
    fn plan_after(&mut self, page: u64, count: u64, next: Option<Uri>) {
        let max_pages = self.max_pages.unwrap_or(u64::MAX);
        if self.options.concurrency == 1 {
            // Sequential: follow the server's link when it is ours and names the next page,
            // else ask by number.
            self.follow = next.filter(|link| {
                let usable = self.base_url.same_origin(link) && names_page(link, page + 1);
                if !usable {
                    tracing::debug!(page, %link, "not following the next link; asking by number");
                }
                usable
            });
            self.last_page = (page + 1).min(max_pages);
            return;
        }
        let per_page = self.per_page();
        let mut last = count.div_ceil(per_page).max(page + 1);
        if let Some(limit) = self.options.limit {
            last = last.min(limit.div_ceil(per_page).max(page + 1));
        }
        self.last_page = self.last_page.max(last).min(max_pages);
    }

    /// The listing changed between page `page - 1` and `page` (their counts differ): jobs may
    /// have moved across that boundary. Fetch both again, from the new state, and go on.
    fn rewind(&mut self, page: u64, count: u64) {
        tracing::debug!(
            page,
            count,
            "the listing changed during the walk; fetching again from the previous page"
        );
        self.rewinds += 1;
        self.last_rewind = Some(page);
        self.count_seen = Some(count);
        self.refetch(page - 1, page);
    }

    /// Drops every page from `from` on (answered or in flight) and asks for them again, `upto`
    /// at least.
    fn refetch(&mut self, from: u64, upto: u64) {
        self.epoch += 1;
        self.arrived.clear();
        self.follow = None;
        self.next_page = from;
        self.next_release = from;
        self.last_page = self.last_page.max(upto);
    }

    fn finish(&mut self, why: &'static str) {
        tracing::debug!(why, yielded = self.yielded, "listing walk finished");
        self.done = true;
        self.arrived.clear();
        self.follow = None;
    }
}

/// How many pages per request in flight a walk may fetch ahead of the next page it releases:
/// enough that a page several times slower than the others stalls nothing, few enough that the
/// pages waiting behind it stay a small amount of memory.
const LOOKAHEAD_PER_REQUEST: u64 = 4;

/// The items a walk has released and not handed out yet, with the error that ended it: what the
/// clients' iterator and stream pull from, so both hand out items the same way.
#[derive(Debug)]
pub(crate) struct PageQueue<L: Listing> {
    pager: Pager<L>,
    ready: VecDeque<L::Item>,
    error: Option<Error>,
}

impl<L: Listing> PageQueue<L> {
    pub(crate) fn new(pager: Pager<L>) -> Self {
        Self {
            pager,
            ready: VecDeque::new(),
            error: None,
        }
    }

    pub(crate) fn pager(&self) -> &Pager<L> {
        &self.pager
    }

    pub(crate) fn next_request(&mut self) -> Option<PageRequest<L>> {
        self.pager.next_request()
    }

    pub(crate) fn on_response(
        &mut self,
        request: &PageRequest<L>,
        result: Result<Page<L::Item>, Error>,
    ) {
        let released = self.pager.on_response(request, result);
        self.ready.extend(released.items);
        self.error = self.error.take().or(released.error);
    }

    /// True when an item or the final error is waiting to be handed out.
    pub(crate) fn has_items(&self) -> bool {
        !self.ready.is_empty() || self.error.is_some()
    }

    /// The next item, then the error that ended the walk, if any.
    pub(crate) fn next_item(&mut self) -> Option<Result<L::Item, Error>> {
        match self.ready.pop_front() {
            Some(item) => Some(Ok(item)),
            None => self.error.take().map(Err),
        }
    }
}

/// How many times a walk may go back to fetch pages again before it stops trying to reconcile a
/// listing that keeps changing (and warns that jobs may be missed).
const MAX_REWINDS: u32 = 32;

/// Whether a `next` link's `page` parameter is `page`.
fn names_page(link: &Uri, page: u64) -> bool {
    base_url::query_param(link, "page")
        .and_then(|value| value.parse::<u64>().ok())
        .is_some_and(|named| named == page)
}

/// Pages a walk reads at most, for a listing of `count` items at `per_page` a page: the pages
/// `count` needs, and a margin for items created during the walk (10 pages and a tenth more).
fn max_pages(count: u64, per_page: u64) -> u64 {
    let pages = count.div_ceil(per_page.max(1)).max(1);
    pages.saturating_add(PAGE_MARGIN + pages / 10)
}

/// Pages a walk may read past what page 1's `count` needs (plus a tenth of those).
const PAGE_MARGIN: u64 = 10;

#[cfg(test)]
mod tests {
    use http::{HeaderMap, Request, StatusCode};

    use super::*;
    use crate::config::ClientConfig;
    use crate::error::Shortfall;
    use crate::ops::Operation;
    use crate::response::error_for_status;

    const BASE: &str = "https://sdm.example/api/v1/";

    fn uuid(n: u64) -> String {
        format!("00000000-0000-4000-8000-{n:012}")
    }

    fn summary(n: u64) -> JobSummary {
        serde_json::from_value(serde_json::json!({"id": uuid(n), "status": "done"})).unwrap()
    }

    /// A DRF-like job list, newest first, answering requests built by the real operations.
    struct FakeList {
        jobs: Vec<u64>,
        max_page_size: u64,
        next_origin: String,
        next_page_override: Option<u64>,
        /// `next` names the page just served.
        next_stuck: bool,
        /// No `next` link at all, as older servers answer.
        no_next: bool,
        /// This page answers 404, this many times (`u32::MAX`: always).
        not_found: Option<(u64, u32)>,
        /// Every page is served as page 1, with a `next` link to the page after the one asked
        /// for, forever.
        endless: bool,
        /// `count` grows by this much per page number.
        count_growth: u64,
    }

    impl FakeList {
        fn new(count: u64) -> Self {
            Self {
                jobs: (1..=count).rev().collect(),
                max_page_size: 100,
                next_origin: "https://sdm.example".into(),
                next_page_override: None,
                next_stuck: false,
                no_next: false,
                not_found: None,
                endless: false,
                count_growth: 0,
            }
        }

        fn insert_newest(&mut self, n: u64) {
            let newest = self.jobs.iter().max().copied().unwrap_or(0);
            for k in 1..=n {
                self.jobs.insert(0, newest + k);
            }
        }

        fn answer(
            &mut self,
            request: &Request<crate::transport::RequestBody>,
        ) -> Result<Page<JobSummary>, Error> {
            let url = request.uri();
            assert!(
                BaseUrl::parse(BASE).unwrap().same_origin(url),
                "only the base origin is asked"
            );
            let param =
                |name: &str| base_url::query_param(url, name).map(|v| v.parse::<u64>().unwrap());
            let asked = param("page").unwrap_or(1);
            let page = if self.endless { 1 } else { asked };
            let size = param("page_size").unwrap_or(25).min(self.max_page_size);
            let total = self.jobs.len() as u64;
            let pages = total.div_ceil(size).max(1);
            let not_found = match &mut self.not_found {
                Some((page, times)) if *page == asked && *times > 0 => {
                    *times = times.saturating_sub(u32::from(*times != u32::MAX));
                    true
                }
                _ => false,
            };
            if page > pages || not_found {
                let body = br#"{"detail": "Invalid page."}"#;
                return Err(error_for_status(
                    "list".into(),
                    StatusCode::NOT_FOUND,
                    &HeaderMap::new(),
                    body,
                ));
            }
            let start = ((page - 1) * size).min(total) as usize;
            let end = (page * size).min(total) as usize;
            let next_page = match self.next_page_override {
                Some(page) => page,
                None if self.next_stuck => asked,
                None => asked + 1,
            };
            let next = (!self.no_next && (page < pages || self.endless)).then(|| {
                format!(
                    "{}/api/v1/jobs/?page={next_page}&page_size={size}&via=next",
                    self.next_origin
                )
            });
            let results = self.jobs[start..end].iter().map(|&n| summary(n)).collect();
            let count = total + self.count_growth * asked;
            Ok(Page::new(count, next, None, results))
        }
    }

    struct Walk {
        yielded: Vec<u64>,
        urls: Vec<String>,
        error: Option<Error>,
    }

    /// Drives a pager against `server`; `between(page, server)` runs after each page is served.
    fn walk(
        options: PagerOptions,
        server: &mut FakeList,
        mut between: impl FnMut(u64, &mut FakeList),
    ) -> Walk {
        let config = ClientConfig::new(BASE).unwrap().with_token("secret");
        let mut pager = JobPager::new(config.base_url().clone(), JobQuery::new(), options);
        let mut walk = Walk {
            yielded: Vec::new(),
            urls: Vec::new(),
            error: None,
        };
        for _round in 0..1000 {
            let requests: Vec<PageRequest> = std::iter::from_fn(|| pager.next_request()).collect();
            if requests.is_empty() {
                assert!(pager.is_done(), "no request to send, yet not done");
                return walk;
            }
            // Answer in reverse order: responses may arrive in any order.
            let answers: Vec<_> = requests
                .iter()
                .map(|r| {
                    let request = r.op.request(&config).unwrap();
                    walk.urls.push(request.uri().to_string());
                    let answer = server.answer(&request);
                    between(r.page, server);
                    (r.clone(), answer)
                })
                .collect();
            for (request, answer) in answers.into_iter().rev() {
                let released = pager.on_response(&request, answer);
                walk.yielded.extend(
                    released
                        .items
                        .iter()
                        .map(|j| j.id.as_str()[24..].parse::<u64>().unwrap()),
                );
                if let Some(error) = released.error {
                    walk.error = Some(error);
                }
            }
        }
        panic!("the walk did not end");
    }

    /// The error a walk ended with, as a person reads it.
    fn shortfall(walk: &Walk) -> (Shortfall, String) {
        match &walk.error {
            Some(Error::Incomplete(incomplete)) => {
                (incomplete.reason, walk.error.as_ref().unwrap().to_string())
            }
            other => panic!("expected an incomplete walk, got {other:?}"),
        }
    }

    fn all(count: u64) -> Vec<u64> {
        (1..=count).rev().collect()
    }

    #[test]
    fn sequential_walk_follows_next_links() {
        let mut server = FakeList::new(250);
        let w = walk(
            PagerOptions::default().concurrency(1),
            &mut server,
            |_, _| {},
        );
        assert_eq!(w.yielded, all(250));
        assert_eq!(
            w.urls,
            [
                "https://sdm.example/api/v1/jobs/?page=1&page_size=100",
                "https://sdm.example/api/v1/jobs/?page=2&page_size=100&via=next",
                "https://sdm.example/api/v1/jobs/?page=3&page_size=100&via=next",
            ]
        );
        assert!(w.error.is_none());
    }

    #[test]
    fn cross_origin_next_falls_back_to_page_numbers() {
        let mut server = FakeList::new(120);
        server.next_origin = "https://evil.example".into();
        let w = walk(
            PagerOptions::default().concurrency(1).page_size(50),
            &mut server,
            |_, _| {},
        );
        assert_eq!(w.yielded, all(120));
        assert!(
            w.urls
                .iter()
                .all(|u| u.starts_with("https://sdm.example/api/v1/jobs/?")),
            "{:?}",
            w.urls
        );
        assert!(
            w.urls.iter().all(|u| !u.contains("via=next")),
            "the foreign link was not used"
        );
        assert_eq!(w.urls.len(), 3);
    }

    #[test]
    fn a_next_link_that_does_not_advance_falls_back_to_page_numbers() {
        // Back to page 1, or the page just served: either way every job, by page numbers.
        for (override_, stuck) in [(Some(1), false), (None, true)] {
            for concurrency in [1, 4] {
                let mut server = FakeList::new(300);
                server.next_page_override = override_;
                server.next_stuck = stuck;
                let w = walk(
                    PagerOptions::default().concurrency(concurrency),
                    &mut server,
                    |_, _| {},
                );
                assert_eq!(w.yielded, all(300), "concurrency {concurrency}");
                assert!(w.error.is_none(), "{:?}", w.error);
                assert_eq!(w.urls.len(), 3, "{:?}", w.urls);
                assert!(
                    w.urls.iter().all(|u| !u.contains("via=next")),
                    "{:?}",
                    w.urls
                );
            }
        }
    }

    #[test]
    fn a_server_without_next_links_is_walked_by_page_numbers() {
        let mut server = FakeList::new(250);
        server.no_next = true;
        for concurrency in [1, 4] {
            let w = walk(
                PagerOptions::default().concurrency(concurrency),
                &mut server,
                |_, _| {},
            );
            assert_eq!(w.yielded, all(250));
            assert!(w.error.is_none(), "{:?}", w.error);
        }
    }

    #[test]
    fn a_later_page_that_answers_404_fails_the_walk_with_what_was_seen() {
        for concurrency in [1, 4] {
            let mut server = FakeList::new(1000);
            server.not_found = Some((2, u32::MAX));
            let w = walk(
                PagerOptions::default().concurrency(concurrency),
                &mut server,
                |_, _| {},
            );
            assert_eq!(w.yielded, all(1000)[..100], "concurrency {concurrency}");
            let (reason, text) = shortfall(&w);
            assert_eq!(reason, Shortfall::PageNotFound);
            assert_eq!(
                text,
                "list jobs: the listing ended after 100 of 1000 jobs (page 2 answered 404)"
            );
            // Page 2 was asked for again, after page 1, before giving up.
            let page2 = w.urls.iter().filter(|u| u.contains("page=2")).count();
            assert_eq!(page2, 2, "{:?}", w.urls);
        }
    }

    #[test]
    fn a_404_that_does_not_happen_again_is_recovered() {
        let mut server = FakeList::new(300);
        server.not_found = Some((3, 1));
        let w = walk(
            PagerOptions::default().concurrency(1),
            &mut server,
            |_, _| {},
        );
        assert_eq!(w.yielded, all(300));
        assert!(w.error.is_none(), "{:?}", w.error);
    }

    #[test]
    fn an_empty_later_page_fails_the_walk() {
        let config = ClientConfig::new(BASE).unwrap();
        let mut pager = JobPager::new(
            config.base_url().clone(),
            JobQuery::new(),
            PagerOptions::default().concurrency(1).page_size(2),
        );
        let page = |results| Page::new(6, Some(format!("{BASE}jobs/?page=9")), None, results);
        let mut released = Vec::new();
        let mut error = None;
        for answer in [
            page(vec![summary(6), summary(5)]),
            page(vec![]),
            page(vec![summary(6), summary(5)]),
            page(vec![]),
        ] {
            let request = pager.next_request().expect("a request");
            let r = pager.on_response(&request, Ok(answer));
            released.extend(r.items);
            error = r.error;
        }
        assert_eq!(released.len(), 2);
        let text = error.expect("an error").to_string();
        assert_eq!(
            text,
            "list jobs: the listing ended after 2 of 6 jobs (page 2 was empty)"
        );
        assert!(pager.is_done() && pager.next_request().is_none());
    }

    /// Jobs created each time page 2 is served: going back to page 1 does not help (page 2
    /// changes again), so the walk goes on after one try, and ends with every job present at
    /// its start and no error.
    #[test]
    fn a_listing_that_grows_at_every_rewind_is_still_walked_to_the_end() {
        let mut server = FakeList::new(300);
        let w = walk(
            PagerOptions::default().concurrency(1).page_size(50),
            &mut server,
            |page, server| {
                if page == 2 {
                    server.insert_newest(15);
                }
            },
        );
        assert!(w.error.is_none(), "{:?}", w.error);
        for job in 1..=300 {
            assert!(w.yielded.contains(&job), "job {job} lost");
        }
        let mut unique = w.yielded.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), w.yielded.len(), "no job twice");
        // Page 2 changed again once fetched anew: the walk went on rather than go back again.
        assert_eq!(server.jobs.len(), 300 + 2 * 15);
    }

    #[test]
    fn pages_that_only_repeat_jobs_end_with_an_error_after_a_bound() {
        for concurrency in [1, 4] {
            let mut server = FakeList::new(1000);
            server.endless = true;
            let w = walk(
                PagerOptions::default().concurrency(concurrency),
                &mut server,
                |_, _| {},
            );
            assert_eq!(w.yielded, all(1000)[..100]);
            let (reason, text) = shortfall(&w);
            let max_pages = 10 + 10 + 1;
            assert_eq!(reason, Shortfall::TooManyPages { max_pages });
            assert!(text.contains("100 of 1000 jobs"), "{text}");
            // No page past the bound was asked for.
            assert_eq!(w.urls.len() as u64, max_pages, "{:?}", w.urls);
        }
    }

    #[test]
    fn a_count_that_keeps_growing_ends_with_an_error_after_a_bound() {
        for concurrency in [1, 4] {
            let mut server = FakeList::new(300);
            server.endless = true;
            server.count_growth = 100;
            let w = walk(
                PagerOptions::default().concurrency(concurrency),
                &mut server,
                |_, _| {},
            );
            assert_eq!(w.yielded, all(300)[..100]);
            let (reason, _) = shortfall(&w);
            // Page 1 said 400: 4 pages and the margin, 14; the listing may double: 28.
            assert_eq!(reason, Shortfall::TooManyPages { max_pages: 28 });
            // Going back to reconcile a count that moves with every page is given up at once:
            // the pages, and a few more requests.
            assert!(w.urls.len() < 28 + 20, "{}", w.urls.len());
        }
    }

    #[test]
    fn a_silently_capped_page_size_is_learned_from_the_first_page() {
        let mut server = FakeList::new(95);
        server.max_page_size = 30;
        let w = walk(PagerOptions::default(), &mut server, |_, _| {});
        assert_eq!(w.yielded, all(95));
        // Page 1 alone, then pages 2-4 together: 95 jobs at 30 per page.
        assert_eq!(w.urls.len(), 4);
        assert!(w.urls[3].contains("page=4"));
    }

    #[test]
    fn a_float_count_drives_the_plan() {
        let page: Page<JobSummary> = serde_json::from_str(&format!(
            r#"{{"count": 3.0, "next": "{BASE}jobs/?page=2", "results": [{{"id": "{}", "status": "done"}}]}}"#,
            uuid(3)
        ))
        .unwrap();
        let config = ClientConfig::new(BASE).unwrap();
        let mut pager = JobPager::new(
            config.base_url().clone(),
            JobQuery::new(),
            PagerOptions::default(),
        );
        let first = pager.next_request().unwrap();
        let released = pager.on_response(&first, Ok(page));
        assert_eq!(released.items.len(), 1);
        assert_eq!(pager.count(), Some(3));
        // One job per page served and 3 in all: pages 2 and 3 may go at once.
        let pages: Vec<u64> = std::iter::from_fn(|| pager.next_request())
            .map(|r| r.page)
            .collect();
        assert_eq!(pages, [2, 3]);
    }

    #[test]
    fn jobs_created_during_a_sequential_walk_are_not_yielded_twice() {
        let mut server = FakeList::new(250);
        let mut inserted = false;
        let w = walk(
            PagerOptions::default().concurrency(1),
            &mut server,
            |page, server| {
                if page == 1 && !inserted {
                    inserted = true;
                    server.insert_newest(7);
                }
            },
        );
        let mut sorted = w.yielded.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), w.yielded.len(), "no job twice");
        let original: Vec<u64> = w
            .yielded
            .iter()
            .copied()
            .filter(|&job| job <= 250)
            .collect();
        assert_eq!(
            original,
            all(250),
            "every job present at the start, in order"
        );
    }

    #[test]
    fn jobs_created_during_a_concurrent_walk_are_not_yielded_twice_nor_lost() {
        let mut server = FakeList::new(400);
        let mut served = Vec::new();
        let w = walk(
            PagerOptions::default().concurrency(4),
            &mut server,
            |page, server| {
                served.push(page);
                // Jobs are created twice during the walk: after the first page, and after the
                // first answer for page 3.
                if served.len() == 1
                    || (page == 3 && served.iter().filter(|&&p| p == 3).count() == 1)
                {
                    server.insert_newest(13);
                }
            },
        );
        let mut sorted = w.yielded.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), w.yielded.len(), "no job twice");
        for job in 1..=400 {
            assert!(w.yielded.contains(&job), "job {job} lost");
        }
        // The shift pushed the oldest jobs past the planned fourth page: a fifth was fetched.
        assert!(w.urls.iter().any(|u| u.contains("page=5")), "{:?}", w.urls);
    }

    /// Pages fetched concurrently can be computed on either side of a change: here page 3 sees
    /// the listing after jobs were created and page 4 before, so without care the jobs pushed
    /// from page 3 into page 4 would be missed. Deleted jobs shift the other way.
    #[test]
    fn a_listing_that_changes_between_concurrent_pages_loses_no_job() {
        for change in [13_i64, -7] {
            let config = ClientConfig::new(BASE).unwrap();
            let mut pager = JobPager::new(
                config.base_url().clone(),
                JobQuery::new(),
                PagerOptions::default().page_size(100),
            );
            let mut server = FakeList::new(600);
            let initial: Vec<u64> = server.jobs.clone();
            let mut yielded = Vec::new();
            let mut changed = false;
            for _round in 0..100 {
                let requests: Vec<PageRequest> =
                    std::iter::from_fn(|| pager.next_request()).collect();
                if requests.is_empty() {
                    break;
                }
                // Answer the later pages first; change the listing once, in the middle of a batch.
                let mut answers = Vec::new();
                for (i, request) in requests.iter().enumerate().rev() {
                    if requests.len() > 2 && i == 1 && !changed {
                        changed = true;
                        if change > 0 {
                            server.insert_newest(change as u64);
                        } else {
                            // Jobs near the front finish and leave a filtered listing.
                            server.jobs.drain(..(-change) as usize);
                        }
                    }
                    let http_request = request.op.request(&config.clone().with_token("t")).unwrap();
                    answers.push((request.clone(), server.answer(&http_request)));
                }
                for (request, answer) in answers {
                    let released = pager.on_response(&request, answer);
                    yielded.extend(
                        released
                            .items
                            .iter()
                            .map(|j| j.id.as_str()[24..].parse::<u64>().unwrap()),
                    );
                    assert!(released.error.is_none());
                }
            }
            assert!(changed && pager.is_done());
            let still_listed: Vec<u64> = initial
                .iter()
                .copied()
                .filter(|job| server.jobs.contains(job))
                .collect();
            for job in &still_listed {
                assert!(yielded.contains(job), "change {change}: job {job} was lost");
            }
            let mut unique = yielded.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(
                unique.len(),
                yielded.len(),
                "change {change}: a job came twice"
            );
        }
    }

    #[test]
    fn walks_stop_on_an_empty_list_a_missing_next_and_the_count() {
        let mut empty = FakeList::new(0);
        let w = walk(PagerOptions::default(), &mut empty, |_, _| {});
        assert!(w.yielded.is_empty() && w.error.is_none());
        assert_eq!(w.urls.len(), 1);

        let mut one_page = FakeList::new(40);
        let w = walk(PagerOptions::default(), &mut one_page, |_, _| {});
        assert_eq!((w.yielded.len(), w.urls.len()), (40, 1));

        // A server announcing `next` forever still stops once `count` jobs arrived.
        let config = ClientConfig::new(BASE).unwrap();
        let mut pager = JobPager::new(
            config.base_url().clone(),
            JobQuery::new(),
            PagerOptions::default().concurrency(1),
        );
        let request = pager.next_request().unwrap();
        let page = Page::new(
            2,
            Some(format!("{BASE}jobs/?page=2")),
            None,
            vec![summary(1), summary(2)],
        );
        assert_eq!(pager.on_response(&request, Ok(page)).items.len(), 2);
        assert!(pager.is_done());
        assert!(pager.next_request().is_none());
    }

    #[test]
    fn a_limit_stops_early_without_fetching_further_pages() {
        let mut server = FakeList::new(1000);
        let w = walk(PagerOptions::default().limit(150), &mut server, |_, _| {});
        assert_eq!(w.yielded, all(1000)[..150]);
        assert_eq!(w.urls.len(), 2);
    }

    #[test]
    fn an_error_comes_after_the_jobs_of_earlier_pages() {
        let config = ClientConfig::new(BASE).unwrap();
        let mut pager = JobPager::new(
            config.base_url().clone(),
            JobQuery::new(),
            PagerOptions::default().page_size(2),
        );
        let first = pager.next_request().unwrap();
        let page1 = Page::new(
            6,
            Some(format!("{BASE}jobs/?page=2")),
            None,
            vec![summary(6), summary(5)],
        );
        pager.on_response(&first, Ok(page1));
        let requests: Vec<PageRequest> = std::iter::from_fn(|| pager.next_request()).collect();
        let pages: Vec<u64> = requests.iter().map(|r| r.page).collect();
        assert_eq!(pages, [2, 3]);
        let unavailable = error_for_status(
            "list".into(),
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            b"",
        );
        let early = pager.on_response(&requests[1], Err(unavailable));
        assert!(
            early.items.is_empty() && early.error.is_none(),
            "page 3 waits for page 2"
        );
        let page2 = Page::new(
            6,
            Some(format!("{BASE}jobs/?page=3")),
            None,
            vec![summary(4), summary(3)],
        );
        let released = pager.on_response(&requests[0], Ok(page2));
        assert_eq!(released.items.len(), 2);
        assert!(matches!(released.error, Some(Error::Api(_))));
        assert!(pager.is_done());
    }

    #[test]
    fn a_page_that_vanished_ends_the_walk() {
        let mut server = FakeList::new(150);
        let w = walk(
            PagerOptions::default().concurrency(1),
            &mut server,
            |page, server| {
                if page == 1 {
                    server.jobs.truncate(90);
                }
            },
        );
        assert_eq!(w.yielded, all(150)[..100]);
        assert!(w.error.is_none());
    }
}
