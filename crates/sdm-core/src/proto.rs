//! The state machines the clients are written over, for driving the protocol by hand.
//!
//! None of them performs IO or reads the clock: each says what to send or how long to wait,
//! and takes what came back with the time it came back. The clients use exactly these, so a
//! program with its own scheduling (an event loop, a queue of its own) gets the same walks,
//! waits and retries.
//!
//! - [`Pager`] ([`JobPager`], [`ProjectPager`]): every page of a [`Listing`], each item once,
//!   in order, with requests in flight up to a concurrency.
//! - [`Waiter`]: polling a job (or an uploaded file's parsing) until it stops working,
//!   backing off, under a deadline.
//! - [`RetryPolicy::decide`](crate::RetryPolicy::decide): whether and when to retry.
//! - [`RateLimiter`]: the client-side pacing under the fair-use rate.
//! - [`RowDecoder`]: output rows out of body chunks of any size, in constant memory.
//!
//! # Driving `JobPager` by hand
//!
//! Ask for requests until the pager says to wait, send them however you like, and feed each
//! answer back; jobs come out in list order, whatever order the answers arrive in.
//!
//! ```
//! use sdm_core::proto::{JobPager, PageRequest};
//! use sdm_core::ops::Operation;
//! use sdm_core::{ClientConfig, JobQuery, JobSummary, Page, PagerOptions};
//!
//! let config = ClientConfig::new("https://sdm.akeneo.cloud/api/v1/")?.with_token("t");
//! let mut pager = JobPager::new(config.base_url().clone(), JobQuery::new(), PagerOptions::default());
//! // A fake listing of 150 jobs, 100 a page: answer each request from it.
//! let answer = |request: &PageRequest| -> Page<JobSummary> {
//!     let ids: Vec<u64> = if request.page == 1 { (1..=100).collect() } else { (101..=150).collect() };
//!     let next = (request.page == 1).then(|| "https://sdm.akeneo.cloud/api/v1/jobs/?page=2".to_owned());
//!     let body = serde_json::json!({
//!         "count": 150, "next": next, "previous": null,
//!         "results": ids.iter().map(|n| serde_json::json!({
//!             "id": format!("00000000-0000-4000-8000-{n:012}"), "status": "done"
//!         })).collect::<Vec<_>>(),
//!     });
//!     serde_json::from_value(body).unwrap()
//! };
//! let mut jobs = Vec::new();
//! while !pager.is_done() {
//!     let requests: Vec<PageRequest> = std::iter::from_fn(|| pager.next_request()).collect();
//!     if requests.is_empty() {
//!         break;
//!     }
//!     for request in &requests {
//!         let http_request = request.op.request(&config)?; // send this with any HTTP library
//!         assert!(http_request.uri().to_string().contains(&format!("page={}", request.page)));
//!         let released = pager.on_response(request, Ok(answer(request)));
//!         jobs.extend(released.items);
//!         if let Some(error) = released.error {
//!             return Err(error.into());
//!         }
//!     }
//! }
//! assert_eq!(jobs.len(), 150);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use crate::compact::write_compact;
pub use crate::decoder::RowDecoder;
pub use crate::pager::{JobPager, Listing, PageRequest, Pager, ProjectPager, Released};
pub use crate::rate_limit::RateLimiter;
pub use crate::raw_row::{RawField, RawRow};
pub use crate::retry::{RetryDecision, RetryReason};
pub use crate::waiter::{Awaited, LAST_POLL, WaitPhase, WaitStep, Waiter};
