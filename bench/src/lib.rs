//! Shared pieces of the benchmarks: timing by median of repeated runs.

use std::time::{Duration, Instant};

/// Runs `work` `runs` times and returns the median duration and the last result.
pub fn median<R>(runs: usize, mut work: impl FnMut() -> R) -> (Duration, R) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let result = work();
        times.push(start.elapsed());
        last = Some(result);
    }
    times.sort();
    (times[times.len() / 2], last.expect("at least one run"))
}

/// Megabytes per second for `bytes` processed in `time`.
pub fn mb_per_s(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / 1e6 / time.as_secs_f64()
}
