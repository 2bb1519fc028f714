//! Work run on a thread of its own under a wall-time bound: a transport that hangs or panics
//! fails the scenario or the cell it is in, instead of hanging or aborting the whole run.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// Runs `work` on a new thread and waits for it at most `bound`: its result, or why there is
/// none (it did not end in time, or it panicked, with the panic's message).
///
/// A thread that has not ended in time is left behind: it fails this piece of work, not the
/// run.
pub(crate) fn bounded<T: Send + 'static>(
    bound: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let (sender, receiver) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let _ = sender.send(work());
    });
    match receiver.recv_timeout(bound) {
        Ok(result) => {
            let _ = thread.join();
            Ok(result)
        }
        Err(RecvTimeoutError::Timeout) => Err(format!("no result after {bound:?}")),
        Err(RecvTimeoutError::Disconnected) => match thread.join() {
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                Err(format!("panicked: {message}"))
            }
            Ok(()) => Err("ended without a result".to_owned()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_panics_and_hangs() {
        assert_eq!(bounded(Duration::from_secs(5), || 7), Ok(7));
        assert_eq!(
            bounded(Duration::from_secs(5), || -> () {
                panic!("broken: {}", 42)
            }),
            Err("panicked: broken: 42".to_owned())
        );
        let (_keep, parked) = mpsc::channel::<()>();
        assert_eq!(
            bounded(Duration::from_millis(50), move || parked.recv()),
            Err("no result after 50ms".to_owned())
        );
    }
}
