//! Walking every page of a job listing: which pages to ask for, and which jobs to hand out.
//!
//! A state machine with no IO: a client asks [`JobPager::next_request`] for requests (up to the
//! concurrency allowed), sends them however it likes, and feeds each result to
//! [`JobPager::on_response`], which hands back the jobs that are ready, in list order.
//!
//! Page-number pagination is not a snapshot: jobs created during the walk push others onto later
//! pages, so a job may be seen twice. The pager yields each job id once, and keeps going past the
//! planned last page as long as the server says there is more.

use std::collections::{BTreeMap, HashSet};

use url::Url;

use crate::base_url::BaseUrl;
use crate::error::Error;
use crate::model::{JobId, JobSummary, Page};
use crate::ops::{JobQuery, ListJobs};

/// How to walk the pages.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PagerOptions {
    /// Jobs per page to ask for (default 100; the server may cap it, which the pager handles).
    pub page_size: u64,
    /// Page requests in flight at once after the first page (default 4). With 1, the pager
    /// follows the server's `next` links, when they are on the base URL's origin.
    pub concurrency: usize,
    /// Stop after this many jobs (default: all).
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
    /// Jobs per page to ask for (at least 1).
    pub fn page_size(mut self, page_size: u64) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    /// Page requests in flight at once (at least 1).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Stop after `limit` jobs.
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }
}

/// One page to fetch: its number and the operation that fetches it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PageRequest {
    /// The page number (from 1).
    pub page: u64,
    /// The operation to execute.
    pub op: ListJobs,
}

/// What a response released: jobs ready to hand out, in order, and possibly the error that ends
/// the walk (after those jobs).
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Released {
    /// Jobs not seen before, in list order.
    pub jobs: Vec<JobSummary>,
    /// The error that ended the walk, to report after `jobs`.
    pub error: Option<Error>,
}

/// The state of a walk over every page of a job listing.
#[derive(Debug)]
pub struct JobPager {
    base_url: BaseUrl,
    query: JobQuery,
    options: PagerOptions,
    /// The next page number to hand out.
    next_page: u64,
    /// The highest page number that may be requested given what is known now.
    last_page: u64,
    in_flight: HashSet<u64>,
    arrived: BTreeMap<u64, Result<Page<JobSummary>, Error>>,
    /// The next page number to release.
    next_release: u64,
    /// The same-origin `next` link of the last released page (followed in sequential mode).
    follow: Option<Url>,
    /// Jobs per page as the server actually serves them (learned from the first full page).
    served_page_size: Option<u64>,
    /// The `count` of the latest released page.
    count_seen: Option<u64>,
    seen: HashSet<JobId>,
    yielded: u64,
    done: bool,
}

impl JobPager {
    /// A walk over the jobs matching `query` (its `page` and `page_size` are replaced).
    pub fn new(base_url: BaseUrl, query: JobQuery, options: PagerOptions) -> Self {
        let options = PagerOptions {
            page_size: options.page_size.max(1),
            concurrency: options.concurrency.max(1),
            ..options
        };
        let query = JobQuery {
            page: None,
            page_size: Some(options.page_size),
            ..query
        };
        let done = options.limit == Some(0);
        Self {
            base_url,
            query,
            options,
            next_page: 1,
            last_page: 1,
            in_flight: HashSet::new(),
            arrived: BTreeMap::new(),
            next_release: 1,
            follow: None,
            served_page_size: None,
            count_seen: None,
            seen: HashSet::new(),
            yielded: 0,
            done,
        }
    }

    /// The next request to send now, or `None` when the walk is over or must wait for responses.
    pub fn next_request(&mut self) -> Option<PageRequest> {
        if self.done
            || self.next_page > self.last_page
            || self.in_flight.len() >= self.options.concurrency
        {
            return None;
        }
        let page = self.next_page;
        self.next_page += 1;
        self.in_flight.insert(page);
        let op = match self.follow.take() {
            Some(link) => ListJobs::next_link(link, page),
            None => ListJobs::new(self.query.clone().page(page)),
        };
        Some(PageRequest { page, op })
    }

    /// Takes the result of the request for `page`; returns what can be handed out now.
    pub fn on_response(&mut self, page: u64, result: Result<Page<JobSummary>, Error>) -> Released {
        self.in_flight.remove(&page);
        let mut released = Released::default();
        if self.done || page < self.next_release {
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
                Ok(page_data) => self.release(page, page_data, &mut released.jobs),
                // A page that vanished (jobs deleted during the walk) ends the list.
                Err(Error::NotFound(_)) if page > 1 => {
                    self.finish("the server has no page this far")
                }
                Err(error) => {
                    self.finish("a request failed");
                    released.error = Some(error);
                }
            }
        }
        released
    }

    /// True when no job will come any more.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// How many distinct jobs have been handed out.
    pub fn yielded(&self) -> u64 {
        self.yielded
    }

    /// The total the server announced on the latest released page, once one has arrived.
    pub fn count(&self) -> Option<u64> {
        self.count_seen
    }

    fn release(&mut self, page: u64, data: Page<JobSummary>, out: &mut Vec<JobSummary>) {
        self.count_seen = Some(data.count);
        if page == 1 && data.next.is_some() && !data.results.is_empty() {
            // A full first page tells how many jobs the server really puts on a page.
            self.served_page_size = Some(data.results.len() as u64);
        }
        let arrived = data.results.len();
        for job in data.results {
            if self
                .options
                .limit
                .is_some_and(|limit| self.yielded >= limit)
            {
                break;
            }
            if self.seen.insert(job.id.clone()) {
                self.yielded += 1;
                out.push(job);
            }
        }
        let limit_reached = self
            .options
            .limit
            .is_some_and(|limit| self.yielded >= limit);
        let next = data.next.as_deref().and_then(|link| Url::parse(link).ok());
        if arrived == 0 {
            self.finish("empty page");
        } else if data.next.is_none() {
            self.finish("no next page");
        } else if limit_reached {
            self.finish("limit reached");
        } else if self.yielded >= data.count {
            self.finish("count reached");
        } else if next.as_ref().is_some_and(|link| !advances(link, page)) {
            tracing::warn!(
                page,
                next = data.next.as_deref(),
                "next link does not advance; stopping"
            );
            self.finish("next does not advance");
        } else {
            self.plan_after(page, data.count, next);
        }
    }

    /// Decides how far requests may go once `page` is released and more pages exist.
    fn plan_after(&mut self, page: u64, count: u64, next: Option<Url>) {
        if self.options.concurrency == 1 {
            // Sequential: follow the server's link when it is ours, else ask by number.
            self.follow = next.filter(|link| self.base_url.same_origin(link));
            self.last_page = page + 1;
            return;
        }
        let per_page = self
            .served_page_size
            .unwrap_or(self.options.page_size)
            .max(1);
        let mut last = count.div_ceil(per_page).max(page + 1);
        if let Some(limit) = self.options.limit {
            last = last.min(limit.div_ceil(per_page).max(page + 1));
        }
        self.last_page = self.last_page.max(last);
    }

    fn finish(&mut self, why: &'static str) {
        tracing::debug!(why, yielded = self.yielded, "job listing walk finished");
        self.done = true;
        self.arrived.clear();
        self.follow = None;
    }
}

/// A `next` link advances when its `page` parameter is a number past the current page.
fn advances(link: &Url, current: u64) -> bool {
    link.query_pairs()
        .find(|(key, _)| key == "page")
        .and_then(|(_, value)| value.parse::<u64>().ok())
        .is_some_and(|next| next > current)
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, Request, StatusCode};

    use super::*;
    use crate::config::ClientConfig;
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
    }

    impl FakeList {
        fn new(count: u64) -> Self {
            Self {
                jobs: (1..=count).rev().collect(),
                max_page_size: 100,
                next_origin: "https://sdm.example".into(),
                next_page_override: None,
            }
        }

        fn insert_newest(&mut self, n: u64) {
            let newest = self.jobs.iter().max().copied().unwrap_or(0);
            for k in 1..=n {
                self.jobs.insert(0, newest + k);
            }
        }

        fn answer(&self, request: &Request<Vec<u8>>) -> Result<Page<JobSummary>, Error> {
            let url = Url::parse(&request.uri().to_string()).unwrap();
            assert_eq!(
                url.origin(),
                Url::parse(BASE).unwrap().origin(),
                "only the base origin is asked"
            );
            let param = |name: &str| {
                url.query_pairs()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.parse::<u64>().unwrap())
            };
            let page = param("page").unwrap_or(1);
            let size = param("page_size").unwrap_or(25).min(self.max_page_size);
            let total = self.jobs.len() as u64;
            let pages = total.div_ceil(size).max(1);
            if page > pages {
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
            let next_page = self.next_page_override.unwrap_or(page + 1);
            let next = (page < pages).then(|| {
                format!(
                    "{}/api/v1/jobs/?page={next_page}&page_size={size}&via=next",
                    self.next_origin
                )
            });
            let results = self.jobs[start..end].iter().map(|&n| summary(n)).collect();
            Ok(Page::new(total, next, None, results))
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
                    (r.page, answer)
                })
                .collect();
            for (page, answer) in answers.into_iter().rev() {
                let released = pager.on_response(page, answer);
                walk.yielded.extend(
                    released
                        .jobs
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
    fn a_next_link_that_does_not_advance_stops_the_walk() {
        let mut server = FakeList::new(300);
        server.next_page_override = Some(1);
        let w = walk(
            PagerOptions::default().concurrency(1),
            &mut server,
            |_, _| {},
        );
        assert_eq!(w.yielded, all(300)[..100]);
        assert_eq!(w.urls.len(), 1);
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
        let released = pager.on_response(first.page, Ok(page));
        assert_eq!(released.jobs.len(), 1);
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
        let w = walk(
            PagerOptions::default().concurrency(1),
            &mut server,
            |page, server| {
                if page == 1 {
                    server.insert_newest(7);
                }
            },
        );
        let mut sorted = w.yielded.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), w.yielded.len(), "no job twice");
        assert_eq!(
            w.yielded,
            all(250),
            "every job present at the start, in order"
        );
    }

    #[test]
    fn jobs_created_during_a_concurrent_walk_are_not_yielded_twice_nor_lost() {
        let mut server = FakeList::new(400);
        let w = walk(
            PagerOptions::default().concurrency(4),
            &mut server,
            |page, server| {
                if page == 1 || page == 3 {
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
        assert_eq!(pager.on_response(request.page, Ok(page)).jobs.len(), 2);
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
        pager.on_response(first.page, Ok(page1));
        let pages: Vec<u64> = std::iter::from_fn(|| pager.next_request())
            .map(|r| r.page)
            .collect();
        assert_eq!(pages, [2, 3]);
        let unavailable = error_for_status(
            "list".into(),
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            b"",
        );
        let early = pager.on_response(3, Err(unavailable));
        assert!(
            early.jobs.is_empty() && early.error.is_none(),
            "page 3 waits for page 2"
        );
        let page2 = Page::new(
            6,
            Some(format!("{BASE}jobs/?page=3")),
            None,
            vec![summary(4), summary(3)],
        );
        let released = pager.on_response(2, Ok(page2));
        assert_eq!(released.jobs.len(), 2);
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
