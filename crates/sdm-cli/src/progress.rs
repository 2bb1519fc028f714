//! Progress on standard error for long work (`--all`, `jobs wait`, `jobs data`), shown only when
//! standard error is a terminal, so that pipes and logs stay clean.

use std::cell::Cell;
use std::io::{self, IsTerminal};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often the spinner redraws on its own, so it moves (and elapsed time counts) while the
/// program waits on the network.
const TICK: Duration = Duration::from_millis(120);

/// `jobs list --all`: `⠙ fetched 400/2000 jobs · 3s`.
pub const LIST: &str = "{spinner} {msg} · {elapsed}";
/// `jobs wait` (the message names the job): `⠙ job 9f1c…: running · step 2 Mapping · 12s`.
pub const WAIT: &str = "{spinner} {msg} · {elapsed}";
/// `jobs data` (position = bytes): `⠙ 12000 rows · 4.10 MB · 1.20 MB/s · 3s`.
pub const DATA: &str = "{spinner} {msg} · {decimal_bytes} · {decimal_bytes_per_sec} · {elapsed}";

/// A spinner line on standard error, or nothing at all when standard error is not a terminal.
/// Cleared when finished or dropped, so what remains on screen is the command's own output.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    /// Whether the bar redraws on its own yet: from the first message on, so that no frame is
    /// drawn without one.
    ticking: Cell<bool>,
}

impl Progress {
    /// A spinner drawn with this [`indicatif` template](indicatif::ProgressStyle) when standard
    /// error is a terminal; a no-op otherwise.
    pub fn spinner(template: &str) -> Self {
        Self::shown_if(io::stderr().is_terminal(), template)
    }

    /// A spinner drawn only if `shown`.
    fn shown_if(shown: bool, template: &str) -> Self {
        if !shown {
            return Self {
                bar: None,
                ticking: Cell::new(false),
            };
        }
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bar =
            ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(style);
        Self {
            bar: Some(bar),
            ticking: Cell::new(false),
        }
    }

    /// Whether anything is drawn (callers skip building messages otherwise).
    pub fn is_shown(&self) -> bool {
        self.bar.is_some()
    }

    /// Sets the `{msg}` of the template; `message` is only called when something is drawn.
    /// Messages quote the server (a job's status, its step), so they are made
    /// [`printable`](crate::sanitise::printable) here, whoever built them.
    pub fn set_message(&self, message: impl FnOnce() -> String) {
        if let Some(bar) = &self.bar {
            bar.set_message(crate::sanitise::printable(&message()).into_owned());
            if !self.ticking.replace(true) {
                bar.enable_steady_tick(TICK);
            }
        }
    }

    /// Sets the position (`{pos}`, `{bytes}`, `{bytes_per_sec}` and the like).
    pub fn set_position(&self, position: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(position);
        }
    }

    /// Runs `f` with the spinner hidden, for output that shares the terminal.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_progress_does_nothing() {
        let progress = Progress::shown_if(false, "{spinner} {msg}");
        assert!(!progress.is_shown());
        progress.set_message(|| unreachable!("no message is built when nothing is shown"));
        progress.set_position(3);
        assert_eq!(progress.suspend(|| 7), 7);
    }

    #[test]
    fn messages_are_made_printable_whoever_builds_them() {
        let progress = Progress::shown_if(true, "{spinner} {msg}");
        progress.set_message(|| "job 1: run\u{1b}]0;x\u{7}ning · step \u{202E}2".to_owned());
        let bar = progress.bar.as_ref().unwrap();
        assert_eq!(
            bar.message(),
            "job 1: run\u{fffd}]0;x\u{fffd}ning · step \u{fffd}2"
        );
    }

    #[test]
    fn templates_parse() {
        for template in [LIST, WAIT, DATA] {
            assert!(ProgressStyle::with_template(template).is_ok(), "{template}");
        }
    }
}
