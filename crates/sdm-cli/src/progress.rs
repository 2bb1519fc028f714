//! Progress on standard error for long work (`--all`, `jobs wait`, `jobs data`, uploads,
//! downloads, `import`), in the form `--progress` / `SDM_PROGRESS` chooses:
//!
//! - `auto` (the default): a spinner when standard error is a terminal, nothing otherwise, so
//!   pipes and logs stay clean;
//! - `bar`: the spinner whatever standard error is (a terminal that is not detected as one);
//! - `plain`: a line at most every `--progress-interval` (5 s by default), then one summary line
//!   at the end, for CI logs: `sdm: jobs data: 12000 rows, 210.3 MB, 45.1 MB/s, 00:04:12 elapsed`;
//! - `off`: nothing.
//!
//! The choice is made once, by [`init`] before the command runs, so every command that shows
//! progress honours it without passing it down. When a plain line is due is a pure function of
//! the time elapsed and the time of the last line ([`due`]), tested without sleeping.

use std::cell::Cell;
use std::io::{self, IsTerminal, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often the spinner redraws on its own, so it moves (and elapsed time counts) while the
/// program waits on the network.
const TICK: Duration = Duration::from_millis(120);

/// `--progress-interval` unless given.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// What `--progress` asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ProgressMode {
    /// A spinner when standard error is a terminal, nothing otherwise.
    #[default]
    Auto,
    /// A spinner on standard error, terminal or not.
    Bar,
    /// A line now and then, and a summary at the end (for CI logs).
    Plain,
    /// No progress at all.
    Off,
}

/// What one kind of work shows: its spinner template, and what its plain lines say.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    template: &'static str,
    /// Whether the position counts bytes (shown with a rate), or is not shown.
    bytes: bool,
}

/// `jobs list --all`: `⠙ fetched 400/2000 jobs · 3s`.
pub const LIST: Style = Style {
    template: "{spinner} {msg} · {elapsed}",
    bytes: false,
};
/// `jobs wait` (the message names the job): `⠙ job 9f1c…: running · step 2 Mapping · 12s`.
pub const WAIT: Style = Style {
    template: "{spinner} {msg} · {elapsed}",
    bytes: false,
};
/// `jobs data` (position = bytes): `⠙ 12000 rows · 4.10 MB · 1.20 MB/s · 3s`.
pub const DATA: Style = Style {
    template: "{spinner} {msg} · {decimal_bytes} · {decimal_bytes_per_sec} · {elapsed}",
    bytes: true,
};

/// The process's choice, made by [`init`].
#[derive(Debug)]
struct Settings {
    mode: ProgressMode,
    interval: Duration,
    /// What plain lines start with after `sdm: ` (the command, like `jobs data`).
    label: String,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Chooses how progress is shown for the rest of the process (the first call wins). `label`
/// names the command in plain lines. Without a call, progress is `auto`.
pub fn init(mode: ProgressMode, interval: Duration, label: impl Into<String>) {
    let _ = SETTINGS.set(Settings {
        mode,
        interval,
        label: label.into(),
    });
}

/// What a [`Progress`] draws, decided from the mode and whether standard error is a terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shown {
    Nothing,
    /// A spinner; `forced` draws it even when standard error is not a terminal.
    Bar {
        forced: bool,
    },
    Plain,
}

/// What `mode` shows when standard error is (or is not) a terminal.
fn shown(mode: ProgressMode, stderr_is_terminal: bool) -> Shown {
    match mode {
        ProgressMode::Auto if stderr_is_terminal => Shown::Bar { forced: false },
        ProgressMode::Auto | ProgressMode::Off => Shown::Nothing,
        ProgressMode::Bar => Shown::Bar { forced: true },
        ProgressMode::Plain => Shown::Plain,
    }
}

/// Progress on standard error: a spinner, plain lines, or nothing at all (see the module doc).
/// A spinner is cleared when finished or dropped, so what remains on screen is the command's
/// own output; plain progress prints its summary line when dropped.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    /// Whether the bar redraws on its own yet: from the first message on, so that no frame is
    /// drawn without one.
    ticking: Cell<bool>,
    plain: Option<Ticker>,
}

impl Progress {
    /// Progress of work drawn in this style, as `--progress` says (see [`init`]).
    pub fn spinner(style: Style) -> Self {
        let fallback = Settings {
            mode: ProgressMode::Auto,
            interval: DEFAULT_INTERVAL,
            label: String::new(),
        };
        let settings = SETTINGS.get().unwrap_or(&fallback);
        match shown(settings.mode, io::stderr().is_terminal()) {
            Shown::Nothing => Self::hidden(),
            Shown::Bar { forced } => Self::bar(style, forced),
            Shown::Plain => Self::plain(style, &settings.label, settings.interval),
        }
    }

    fn hidden() -> Self {
        Self {
            bar: None,
            ticking: Cell::new(false),
            plain: None,
        }
    }

    /// A spinner on standard error; `forced` draws it there even when it is not a terminal
    /// (indicatif's own standard error target hides itself then).
    fn bar(style: Style, forced: bool) -> Self {
        let template = ProgressStyle::with_template(style.template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let target = if forced {
            ProgressDrawTarget::term_like(Box::new(console::Term::stderr()))
        } else {
            ProgressDrawTarget::stderr()
        };
        let bar = ProgressBar::with_draw_target(None, target).with_style(template);
        Self {
            bar: Some(bar),
            ticking: Cell::new(false),
            plain: None,
        }
    }

    fn plain(style: Style, label: &str, every: Duration) -> Self {
        Self {
            bar: None,
            ticking: Cell::new(false),
            plain: Some(Ticker::start(Plain::new(
                style,
                label,
                every,
                Instant::now(),
            ))),
        }
    }

    /// Whether anything is drawn (callers skip building messages otherwise).
    pub fn is_shown(&self) -> bool {
        self.bar.is_some() || self.plain.is_some()
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
        } else if let Some(plain) = &self.plain {
            let message = crate::sanitise::printable(&message()).into_owned();
            plain.with(|plain| plain.message = Some(message));
        }
    }

    /// Sets the position (`{pos}`, `{bytes}`, `{bytes_per_sec}` and the like).
    pub fn set_position(&self, position: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(position);
        } else if let Some(plain) = &self.plain {
            plain.with(|plain| plain.position = position);
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
        if let Some(plain) = self.plain.take() {
            plain.finish();
        }
    }
}

/// Plain progress and the thread that prints its lines when due, so that a log shows the work
/// is alive even while nothing changes (a long poll, a stalled download).
#[derive(Debug)]
struct Ticker {
    plain: Arc<Mutex<Plain>>,
    /// Dropped to stop the thread.
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    fn start(plain: Plain) -> Self {
        let plain = Arc::new(Mutex::new(plain));
        let (stop, stopped) = mpsc::channel::<()>();
        let shared = Arc::clone(&plain);
        let thread = std::thread::Builder::new()
            .name("sdm-progress".to_owned())
            .spawn(move || {
                loop {
                    let wait = lock(&shared).until_due(Instant::now());
                    match stopped.recv_timeout(wait) {
                        Err(RecvTimeoutError::Timeout) => {
                            print(lock(&shared).update(Instant::now()))
                        }
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            })
            .ok();
        Self {
            plain,
            stop: Some(stop),
            thread,
        }
    }

    /// Changes the state, and prints a line if one is due.
    fn with(&self, change: impl FnOnce(&mut Plain)) {
        let mut plain = lock(&self.plain);
        change(&mut plain);
        print(plain.update(Instant::now()));
    }

    /// Stops the thread and prints the summary line.
    fn finish(mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        print(lock(&self.plain).finish(Instant::now()));
    }
}

/// The state, even if a thread panicked holding it (it is only counters and text).
fn lock(plain: &Mutex<Plain>) -> std::sync::MutexGuard<'_, Plain> {
    plain.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Writes a plain progress line to standard error (a failure to do so is not the command's).
fn print(line: Option<String>) {
    if let Some(line) = line {
        let _ = writeln!(io::stderr().lock(), "{line}");
    }
}

/// Whether a plain line is due `elapsed` into the work, the last one having been printed
/// `last` into it (`None`: none yet): once `every` has passed since the last line, or since
/// the start for the first one.
pub fn due(elapsed: Duration, last: Option<Duration>, every: Duration) -> bool {
    elapsed.saturating_sub(last.unwrap_or(Duration::ZERO)) >= every
}

/// Plain progress: the state of the work, and when its last line was printed.
#[derive(Debug)]
struct Plain {
    prefix: String,
    bytes: bool,
    every: Duration,
    started: Instant,
    /// When the last line was printed, after `started`.
    last: Option<Duration>,
    message: Option<String>,
    position: u64,
    /// The last line printed, so that the summary does not repeat it.
    last_line: Option<String>,
}

impl Plain {
    fn new(style: Style, label: &str, every: Duration, started: Instant) -> Self {
        let prefix = if label.is_empty() {
            "sdm: ".to_owned()
        } else {
            format!("sdm: {label}: ")
        };
        Self {
            prefix,
            bytes: style.bytes,
            every,
            started,
            last: None,
            message: None,
            position: 0,
            last_line: None,
        }
    }

    /// How long from `now` until the next line is due (at least a little, so that a thread
    /// waiting for it never spins).
    fn until_due(&self, now: Instant) -> Duration {
        let elapsed = now.saturating_duration_since(self.started);
        let next = self.last.unwrap_or(Duration::ZERO) + self.every;
        next.saturating_sub(elapsed).max(Duration::from_millis(10))
    }

    /// The line to print at `now`, if one is due (and something was reported).
    fn update(&mut self, now: Instant) -> Option<String> {
        let elapsed = now.saturating_duration_since(self.started);
        if self.message.is_none() || !due(elapsed, self.last, self.every) {
            return None;
        }
        self.last = Some(elapsed);
        let line = self.line(elapsed);
        self.last_line = Some(line.clone());
        Some(line)
    }

    /// The summary line at the end: printed once something was reported, so a log shows how
    /// the work ended and how long it took; not when the last line already said just that.
    fn finish(&self, now: Instant) -> Option<String> {
        self.message.as_ref()?;
        let line = self.line(now.saturating_duration_since(self.started));
        (self.last_line.as_ref() != Some(&line)).then_some(line)
    }

    /// `sdm: jobs data: 12000 rows, 4.1 MB, 1.4 MB/s, 00:00:03 elapsed`.
    fn line(&self, elapsed: Duration) -> String {
        let mut line = self.prefix.clone();
        if let Some(message) = &self.message {
            line.push_str(message);
            line.push_str(", ");
        }
        if self.bytes {
            let secs = elapsed.as_secs_f64();
            let rate = if secs > 0.0 {
                self.position as f64 / secs
            } else {
                0.0
            };
            line.push_str(&format!(
                "{}, {}/s, ",
                decimal_bytes(self.position as f64),
                decimal_bytes(rate)
            ));
        }
        line.push_str(&clock(elapsed));
        line.push_str(" elapsed");
        line
    }
}

/// `0 B`, `999 B`, `1.2 kB`, `210.3 MB`, `4.0 GB`: decimal units, one decimal.
fn decimal_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if bytes < 1000.0 {
        return format!("{} B", bytes.round() as u64);
    }
    let mut value = bytes / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `00:04:12`: hours, minutes and seconds (hours grow past 99 if they must).
fn clock(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn hidden_progress_does_nothing() {
        let progress = Progress::hidden();
        assert!(!progress.is_shown());
        progress.set_message(|| unreachable!("no message is built when nothing is shown"));
        progress.set_position(3);
        assert_eq!(progress.suspend(|| 7), 7);
    }

    #[test]
    fn messages_are_made_printable_whoever_builds_them() {
        let progress = Progress::bar(WAIT, false);
        progress.set_message(|| "job 1: run\u{1b}]0;x\u{7}ning · step \u{202E}2".to_owned());
        let bar = progress.bar.as_ref().unwrap();
        assert_eq!(
            bar.message(),
            "job 1: run\u{fffd}]0;x\u{fffd}ning · step \u{fffd}2"
        );
    }

    #[test]
    fn templates_parse() {
        for style in [LIST, WAIT, DATA] {
            assert!(
                ProgressStyle::with_template(style.template).is_ok(),
                "{}",
                style.template
            );
        }
    }

    #[test]
    fn each_mode_shows_what_it_says() {
        for terminal in [true, false] {
            assert_eq!(shown(ProgressMode::Off, terminal), Shown::Nothing);
            assert_eq!(shown(ProgressMode::Plain, terminal), Shown::Plain);
            assert_eq!(
                shown(ProgressMode::Bar, terminal),
                Shown::Bar { forced: true }
            );
        }
        assert_eq!(
            shown(ProgressMode::Auto, true),
            Shown::Bar { forced: false }
        );
        assert_eq!(shown(ProgressMode::Auto, false), Shown::Nothing);
    }

    #[test]
    fn a_plain_line_is_due_once_per_interval() {
        let every = secs(5);
        // The first line after the first interval, not at the start.
        assert!(!due(Duration::ZERO, None, every));
        assert!(!due(Duration::from_millis(4_999), None, every));
        assert!(due(secs(5), None, every));
        // Then one interval after the last line, however many updates come in between.
        assert!(!due(secs(9), Some(secs(5)), every));
        assert!(due(secs(10), Some(secs(5)), every));
        assert!(due(secs(60), Some(secs(5)), every));
        // A clock that seems to go back never prints.
        assert!(!due(secs(1), Some(secs(5)), every));
    }

    #[test]
    fn plain_progress_throttles_and_sums_up() {
        let start = Instant::now();
        let mut plain = Plain::new(DATA, "jobs data", secs(5), start);
        let mut printed = Vec::new();
        // An update every 100 ms for 12 s: lines at 5 s and 10 s only.
        for tenth in 0..=120_u64 {
            plain.message = Some(format!("{} rows", tenth * 1000));
            plain.position = tenth * 1_000_000;
            if let Some(line) = plain.update(start + Duration::from_millis(tenth * 100)) {
                printed.push(line);
            }
        }
        assert_eq!(
            printed,
            [
                "sdm: jobs data: 50000 rows, 50.0 MB, 10.0 MB/s, 00:00:05 elapsed",
                "sdm: jobs data: 100000 rows, 100.0 MB, 10.0 MB/s, 00:00:10 elapsed",
            ]
        );
        assert_eq!(
            plain.finish(start + secs(252)).unwrap(),
            "sdm: jobs data: 120000 rows, 120.0 MB, 476.2 kB/s, 00:04:12 elapsed"
        );
    }

    #[test]
    fn plain_lines_without_bytes_or_message() {
        let start = Instant::now();
        let mut plain = Plain::new(WAIT, "jobs wait", secs(5), start);
        plain.message = Some("job 1: running · step 2".to_owned());
        assert_eq!(plain.update(start + secs(1)), None);
        assert_eq!(
            plain.update(start + secs(3_725)).unwrap(),
            "sdm: jobs wait: job 1: running · step 2, 01:02:05 elapsed"
        );
        // Nothing reported: nothing to sum up.
        let silent = Plain::new(LIST, "", secs(5), start);
        assert_eq!(silent.finish(start + secs(9)), None);
        let unlabelled = Plain::new(LIST, "", secs(5), start);
        assert_eq!(unlabelled.line(secs(0)), "sdm: 00:00:00 elapsed");
    }

    #[test]
    fn nothing_is_printed_before_a_message_nor_repeated_at_the_end() {
        let start = Instant::now();
        let mut plain = Plain::new(WAIT, "jobs wait", secs(5), start);
        assert_eq!(plain.update(start + secs(6)), None, "nothing reported yet");
        plain.message = Some("job 1: done".to_owned());
        let line = plain.update(start + secs(7)).unwrap();
        assert_eq!(
            plain.finish(start + secs(7)),
            None,
            "{line} is the summary already"
        );
        assert!(
            plain
                .finish(start + secs(8))
                .unwrap()
                .ends_with("00:00:08 elapsed")
        );
    }

    #[test]
    fn the_ticker_sleeps_until_the_next_line_is_due() {
        let start = Instant::now();
        let mut plain = Plain::new(LIST, "jobs list", secs(5), start);
        plain.message = Some("fetched 1 jobs".to_owned());
        assert_eq!(plain.until_due(start), secs(5));
        assert_eq!(plain.until_due(start + secs(2)), secs(3));
        assert!(plain.update(start + secs(6)).is_some());
        assert_eq!(plain.until_due(start + secs(6)), secs(5));
        // Late (the thread was not scheduled): a short pause, never a busy loop.
        assert_eq!(plain.until_due(start + secs(30)), Duration::from_millis(10));
    }

    #[test]
    fn byte_counts_read_like_a_person_writes_them() {
        for (bytes, text) in [
            (0.0, "0 B"),
            (999.0, "999 B"),
            (1_000.0, "1.0 kB"),
            (1_240.0, "1.2 kB"),
            (210_300_000.0, "210.3 MB"),
            (999_999.0, "1.0 MB"),
            (4e9, "4.0 GB"),
            (3e18, "3000.0 PB"),
        ] {
            assert_eq!(decimal_bytes(bytes), text, "{bytes}");
        }
    }
}
