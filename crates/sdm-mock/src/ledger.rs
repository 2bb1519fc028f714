//! What the server received, for tests that must prove what a client sent: POST requests per
//! route (counted when their head arrives, before any fault or authentication) and every upload
//! body read whole, by length and hash.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::fault::{Route, RouteKind};

/// One `POST files/` request whose body the server read whole: sizes and FNV-1a 64 hashes
/// ([`crate::fnv1a64`]) of the whole body and of the uploaded file, and the status the server
/// answered (or decided on: see [`crate::MockControl::uploads_received`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceivedUpload {
    /// The length of the whole request body.
    pub body_len: u64,
    /// The hash of the whole request body.
    pub body_hash: u64,
    /// The length of the `file` part's content (for a JSON upload, the whole body).
    pub file_len: u64,
    /// The hash of the `file` part's content (for a JSON upload, the whole body); the hash of
    /// no bytes when there is no `file` part.
    pub file_hash: u64,
    /// The status of the answer: `201` for a created file, `400`, `415`, `429` (a fault or the
    /// fair-use limit), ...; `0` when the connection was dropped without deciding one.
    pub status: u16,
}

/// The records of one server.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    posts: Mutex<HashMap<RouteKind, u64>>,
    uploads: Mutex<Vec<ReceivedUpload>>,
}

impl Ledger {
    /// Counts a POST whose head arrived for a route of this kind.
    pub(crate) fn count_post(&self, kind: RouteKind) {
        *lock(&self.posts).entry(kind).or_default() += 1;
    }

    /// POSTs received on `route` so far ([`Route::Any`]: on every path).
    pub(crate) fn posts(&self, route: Route) -> u64 {
        lock(&self.posts)
            .iter()
            .filter(|(kind, _)| kind.matches(route))
            .map(|(_, n)| n)
            .sum()
    }

    /// Records an upload body read whole.
    pub(crate) fn record_upload(&self, upload: ReceivedUpload) {
        lock(&self.uploads).push(upload);
    }

    /// Every recorded upload, in the order their bodies were read.
    pub(crate) fn uploads(&self) -> Vec<ReceivedUpload> {
        lock(&self.uploads).clone()
    }
}

/// Locks a mutex (a poisoned one still holds valid counts).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_are_counted_per_route() {
        let ledger = Ledger::default();
        ledger.count_post(RouteKind::FileUpload);
        ledger.count_post(RouteKind::FileUpload);
        ledger.count_post(RouteKind::JobCreate);
        ledger.count_post(RouteKind::Other);
        assert_eq!(ledger.posts(Route::FileUpload), 2);
        assert_eq!(ledger.posts(Route::JobCreate), 1);
        assert_eq!(ledger.posts(Route::JobList), 0);
        assert_eq!(ledger.posts(Route::Any), 4);
        let upload = ReceivedUpload {
            body_len: 1,
            body_hash: 2,
            file_len: 3,
            file_hash: 4,
            status: 201,
        };
        ledger.record_upload(upload);
        assert_eq!(ledger.uploads(), [upload]);
    }
}
