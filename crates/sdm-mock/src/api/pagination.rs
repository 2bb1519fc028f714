//! DRF's `PageNumberPagination`: `page` (1-based, or `last`), `page_size` (capped silently),
//! and the absolute `next`/`previous` links.

use std::ops::Range;

use crate::query::{Query, parse_int};

/// The page size when the request gives none (or an invalid one).
const DEFAULT_PAGE_SIZE: usize = 25;

/// One page of a result set of `count` items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Page {
    number: usize,
    size: usize,
    num_pages: usize,
    count: usize,
}

impl Page {
    /// Picks the requested page, or `None` for DRF's "Invalid page." (not an integer, below 1,
    /// or past the last page, except that page 1 always exists).
    pub(super) fn select(count: usize, query: &Query, max_page_size: usize) -> Option<Page> {
        let size = page_size(query, max_page_size);
        // Django's Paginator: an empty first page is allowed, so there is always one page.
        let num_pages = count.div_ceil(size).max(1);
        let number = match query.get("page").filter(|p| !p.is_empty()) {
            None => 1,
            Some("last") => num_pages,
            Some(text) => {
                let n = parse_int(text)?;
                usize::try_from(n)
                    .ok()
                    .filter(|&n| (1..=num_pages).contains(&n))?
            }
        };
        Some(Page {
            number,
            size,
            num_pages,
            count,
        })
    }

    /// The 1-based page number.
    pub(super) fn number(&self) -> u64 {
        self.number as u64
    }

    /// The positions of this page's items in the full result set.
    pub(super) fn range(&self) -> Range<usize> {
        let start = (self.number - 1) * self.size;
        start.min(self.count)..(start + self.size).min(self.count)
    }

    /// The `next` link: `page_url` with `page` set to the next page, or `None` on the last page.
    pub(super) fn next_link(&self, page_url: &str, query: &Query) -> Option<String> {
        (self.number < self.num_pages).then(|| {
            let next = (self.number + 1).to_string();
            with_query(page_url, &query.encode_with("page", Some(&next)))
        })
    }

    /// The `previous` link, without `page` when it points at page 1 (as DRF does), or `None`
    /// on the first page.
    pub(super) fn previous_link(&self, page_url: &str, query: &Query) -> Option<String> {
        (self.number > 1).then(|| {
            let previous = self.number - 1;
            let page = (previous > 1).then(|| previous.to_string());
            with_query(page_url, &query.encode_with("page", page.as_deref()))
        })
    }
}

/// `page_size` from the query: a positive integer capped at `max`; anything else gives the
/// default (itself capped at `max`, which DRF does not do but a mock with a small maximum needs).
fn page_size(query: &Query, max: usize) -> usize {
    query
        .get("page_size")
        .and_then(parse_int)
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n >= 1)
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .min(max.max(1))
}

/// `url?query`, or just `url` when the query is empty.
fn with_query(url: &str, query: &str) -> String {
    if query.is_empty() {
        url.to_owned()
    } else {
        format!("{url}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn select(count: usize, query: &str, max: usize) -> Option<Page> {
        Page::select(count, &Query::parse(Some(query)), max)
    }

    #[test]
    fn picks_pages_like_drf() {
        let p = select(60, "", 100).unwrap();
        assert_eq!((p.number, p.size, p.num_pages), (1, 25, 3));
        assert_eq!(p.range(), 0..25);
        assert_eq!(select(60, "page=3", 100).unwrap().range(), 50..60);
        assert_eq!(select(60, "page=last", 100).unwrap().number, 3);
        assert_eq!(select(60, "page=", 100).unwrap().number, 1);
        assert_eq!(select(60, "page=4", 100), None);
        assert_eq!(select(60, "page=0", 100), None);
        assert_eq!(select(60, "page=-1", 100), None);
        assert_eq!(select(60, "page=two", 100), None);
        assert_eq!(select(0, "page=1", 100).unwrap().range(), 0..0);
        assert_eq!(select(0, "page=last", 100).unwrap().number, 1);
        assert_eq!(select(0, "page=2", 100), None);
        assert_eq!(select(60, "page_size=1000", 50).unwrap().size, 50);
        assert_eq!(select(60, "page_size=0", 50).unwrap().size, 25);
        assert_eq!(select(60, "page_size=-5", 50).unwrap().size, 25);
        assert_eq!(select(60, "page_size=abc", 50).unwrap().size, 25);
        assert_eq!(select(60, "page_size=7", 50).unwrap().num_pages, 9);
        assert_eq!(select(60, "", 10).unwrap().size, 10);
    }

    #[test]
    fn links_keep_other_parameters() {
        let url = "http://h/api/v1/jobs/";
        let q = Query::parse(Some("status=done&page=2&page_size=10"));
        let p = Page::select(35, &q, 100).unwrap();
        assert_eq!(
            p.next_link(url, &q).as_deref(),
            Some("http://h/api/v1/jobs/?page=3&page_size=10&status=done")
        );
        assert_eq!(
            p.previous_link(url, &q).as_deref(),
            Some("http://h/api/v1/jobs/?page_size=10&status=done")
        );
        let q = Query::parse(Some("page=4&page_size=10"));
        let p = Page::select(35, &q, 100).unwrap();
        assert_eq!(p.next_link(url, &q), None);
        assert_eq!(
            p.previous_link(url, &q).as_deref(),
            Some("http://h/api/v1/jobs/?page=3&page_size=10")
        );
        let q = Query::parse(Some("page=2"));
        let p = Page::select(30, &q, 100).unwrap();
        assert_eq!(
            p.previous_link(url, &q).as_deref(),
            Some("http://h/api/v1/jobs/")
        );
    }
}
