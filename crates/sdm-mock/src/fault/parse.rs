//! The text form of fault plans (for `sdm mock --fault`): [`Fault::parse`], [`Fault::names`],
//! and `Display` impls that print the canonical spelling, which parses back to the same plan.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::{ErrorBody, Fault, FaultPlan, Route};
use crate::parse_duration;

/// Every fault name, each a complete spec on its own (parameters take their defaults).
const NAMES: &[&str] = &[
    "latency",
    "slow-drip",
    "429",
    "429-no-retry-after",
    "500",
    "502",
    "502-html",
    "503",
    "503-empty",
    "504",
    "504-html",
    "drop-before",
    "drop-after",
    "drop-mid-body",
    "truncated",
    "malformed",
    "count-string",
    "status-number",
    "results-missing",
    "empty-ok",
    "huge-row",
    "redirect",
    "foreign-next",
    "next-stuck",
    "next-first",
    "404-page",
    "endless",
    "growing-count",
];

/// `latency` without a value.
const DEFAULT_LATENCY: Duration = Duration::from_millis(200);
/// `slow-drip` without a value: piece size.
const DEFAULT_DRIP_BYTES: usize = 1024;
/// `slow-drip` without a value (or without a pause): the pause.
const DEFAULT_DRIP_PAUSE: Duration = Duration::from_millis(20);
/// `429` without a value: the `Retry-After` seconds.
const DEFAULT_RETRY_AFTER: u64 = 1;
/// `huge-row` without a value: above a client's usual 8 MiB row limit.
const DEFAULT_HUGE_ROW: usize = 20_000_000;
/// `404-page` without a value: the first page after page 1.
const DEFAULT_MISSING_PAGE: u64 = 2;

/// Route names after `@`, with their routes.
const ROUTES: [(&str, Route); 11] = [
    ("any", Route::Any),
    ("token", Route::Token),
    ("detail", Route::JobDetail),
    ("list", Route::JobList),
    ("data", Route::JobData),
    ("upload", Route::FileUpload),
    ("file", Route::FileDetail),
    ("create", Route::JobCreate),
    ("download", Route::JobDownload),
    ("projects", Route::ProjectList),
    ("project", Route::ProjectDetail),
];

impl Fault {
    /// Parses a fault plan from its text form, as `sdm mock --fault` takes it:
    ///
    /// ```text
    /// PLAN     = FAULT ["@" ROUTE] ["x" COUNT]     (the two suffixes in either order)
    /// ROUTE    = any | token | detail | list | data               (default: any)
    ///          | upload | file | create | download | projects | project
    /// COUNT    = the first COUNT requests the fault is served to  (default: all of them)
    /// FAULT    = latency[=DURATION]              wait, then answer   (default 200ms)
    ///          | slow-drip[=BYTES[/DURATION]]    body in pieces      (default 1024/20ms)
    ///          | 429[=SECONDS]                   429 + Retry-After   (default 1)
    ///          | 429-no-retry-after              429 without Retry-After
    ///          | STATUS[-json|-html|-empty]      a 5xx (500..=599)   (default body: json)
    ///          | drop-before | drop-after | drop-mid-body | truncated
    ///          | malformed | count-string | status-number | results-missing | empty-ok
    ///          | huge-row[=BYTES]                one row of BYTES    (default 20000000)
    ///          | redirect | foreign-next
    ///          | next-stuck | next-first         `next` names this page, or page 1
    ///          | 404-page[=PAGE]                 404 for that page   (default 2)
    ///          | endless | growing-count         pages without end (count growing)
    /// DURATION = 300ms | 2s | 5m | 1h30m | 250us | ... | SECONDS
    /// ```
    ///
    /// `DURATION` is the syntax of [`parse_duration`], the one every `sdm` option uses.
    ///
    /// For example `503`, `502-html@list`, `429-no-retry-after x3` (spaces are not allowed:
    /// `429-no-retry-afterx3`), `latency=300ms@detail`, `drop-mid-body@datax1`,
    /// `huge-row=20000000`. Names are case-insensitive and surrounding whitespace is ignored.
    /// [`FaultPlan`]'s `Display` prints this form back.
    pub fn parse(spec: &str) -> Result<FaultPlan, String> {
        let spec = spec.trim().to_ascii_lowercase();
        if spec.is_empty() {
            return Err("empty fault spec".to_owned());
        }
        let mut rest = spec.as_str();
        let mut route = None;
        let mut times = None;
        loop {
            if let Some((head, count)) = rest.rsplit_once('x')
                && !count.is_empty()
                && count.bytes().all(|b| b.is_ascii_digit())
                && times.is_none()
            {
                let n = count
                    .parse()
                    .map_err(|_| format!("count `x{count}` is too large"))?;
                times = Some(n);
                rest = head;
            } else if let Some((head, name)) = rest.rsplit_once('@')
                && route.is_none()
            {
                route = Some(parse_route(name)?);
                rest = head;
            } else {
                break;
            }
        }
        Ok(FaultPlan {
            fault: parse_fault(rest)?,
            route: route.unwrap_or_default(),
            times,
        })
    }

    /// Every fault name [`Fault::parse`] knows, each a complete spec with default parameters:
    /// the list a fault matrix runs through.
    pub fn names() -> &'static [&'static str] {
        NAMES
    }
}

impl FromStr for FaultPlan {
    type Err = String;

    /// The same as [`Fault::parse`].
    fn from_str(s: &str) -> Result<Self, String> {
        Fault::parse(s)
    }
}

/// A route name after `@`.
fn parse_route(name: &str) -> Result<Route, String> {
    ROUTES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, route)| route)
        .ok_or_else(|| {
            let names: Vec<&str> = ROUTES.iter().map(|(n, _)| *n).collect();
            format!(
                "unknown route `@{name}` (expected one of {})",
                names.join(", ")
            )
        })
}

/// The fault part of a spec.
fn parse_fault(text: &str) -> Result<Fault, String> {
    let (name, value) = match text.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (text, None),
    };
    let no_value = |fault: Fault| match value {
        None => Ok(fault),
        Some(_) => Err(format!("fault `{name}` takes no value")),
    };
    match name {
        "latency" => Ok(Fault::Latency(match value {
            Some(v) => parse_duration(v)?,
            None => DEFAULT_LATENCY,
        })),
        "slow-drip" => {
            let (bytes, pause) = match value.map(|v| v.split_once('/').unwrap_or((v, ""))) {
                None => (DEFAULT_DRIP_BYTES, DEFAULT_DRIP_PAUSE),
                Some((bytes, "")) => (parse_count(bytes)?, DEFAULT_DRIP_PAUSE),
                Some((bytes, pause)) => (parse_count(bytes)?, parse_duration(pause)?),
            };
            if bytes == 0 {
                return Err("slow-drip needs pieces of at least 1 byte".to_owned());
            }
            Ok(Fault::SlowDrip {
                chunk_bytes: bytes,
                pause,
            })
        }
        "429" => Ok(Fault::TooManyRequests {
            retry_after: Some(match value {
                Some(v) => v
                    .parse()
                    .map_err(|_| format!("`{v}` is not a number of seconds"))?,
                None => DEFAULT_RETRY_AFTER,
            }),
        }),
        "429-no-retry-after" => no_value(Fault::TooManyRequests { retry_after: None }),
        "drop-before" => no_value(Fault::DropBeforeResponse),
        "drop-after" => no_value(Fault::DropAfterActing),
        "drop-mid-body" => no_value(Fault::DropMidBody),
        "truncated" => no_value(Fault::TruncatedBody),
        "malformed" => no_value(Fault::MalformedJson),
        "count-string" => no_value(Fault::CountAsString),
        "status-number" => no_value(Fault::StatusAsNumber),
        "results-missing" => no_value(Fault::ResultsMissing),
        "empty-ok" => no_value(Fault::EmptyOk),
        "huge-row" => Ok(Fault::HugeRow {
            bytes: match value {
                Some(v) => parse_count(v)?,
                None => DEFAULT_HUGE_ROW,
            },
        }),
        "redirect" => no_value(Fault::RedirectElsewhere),
        "foreign-next" => no_value(Fault::ForeignNextLink),
        "next-stuck" => no_value(Fault::NextStuck),
        "next-first" => no_value(Fault::NextToFirst),
        "404-page" => Ok(Fault::PageNotFound {
            page: match value {
                Some(v) => match parse_count(v)? {
                    0 => return Err("pages are numbered from 1".to_owned()),
                    n => n as u64,
                },
                None => DEFAULT_MISSING_PAGE,
            },
        }),
        "endless" => no_value(Fault::EndlessPages),
        "growing-count" => no_value(Fault::GrowingCount),
        _ => match parse_server_error(name) {
            Some(fault) => no_value(fault),
            None => Err(format!(
                "unknown fault `{name}` (expected a 5xx status like 503 or 502-html, or one of {})",
                NAMES.join(", ")
            )),
        },
    }
}

/// `STATUS[-json|-html|-empty]` with a 5xx status.
fn parse_server_error(name: &str) -> Option<Fault> {
    let (status, body) = match name.split_once('-') {
        Some((status, "json")) => (status, ErrorBody::Json),
        Some((status, "html")) => (status, ErrorBody::Html),
        Some((status, "empty")) => (status, ErrorBody::Empty),
        Some(_) => return None,
        None => (name, ErrorBody::Json),
    };
    if status.len() != 3 || !status.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let status: u16 = status.parse().ok()?;
    (500..=599)
        .contains(&status)
        .then_some(Fault::ServerError { status, body })
}

/// A non-negative integer (`_` separators allowed).
fn parse_count(text: &str) -> Result<usize, String> {
    text.replace('_', "")
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))
}

/// A duration in the largest unit that writes it exactly.
struct DurationText(Duration);

impl fmt::Display for DurationText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = self.0.as_nanos();
        let units = [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "us")];
        for (size, unit) in units {
            if nanos.is_multiple_of(size) {
                return write!(f, "{}{unit}", nanos / size);
            }
        }
        write!(f, "{nanos}ns")
    }
}

impl fmt::Display for Fault {
    /// The canonical spec of the fault (see [`Fault::parse`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Latency(d) => write!(f, "latency={}", DurationText(*d)),
            Fault::SlowDrip { chunk_bytes, pause } => {
                write!(f, "slow-drip={chunk_bytes}/{}", DurationText(*pause))
            }
            Fault::TooManyRequests {
                retry_after: Some(DEFAULT_RETRY_AFTER),
            } => f.write_str("429"),
            Fault::TooManyRequests {
                retry_after: Some(n),
            } => write!(f, "429={n}"),
            Fault::TooManyRequests { retry_after: None } => f.write_str("429-no-retry-after"),
            Fault::ServerError { status, body } => match body {
                ErrorBody::Json => write!(f, "{status}"),
                ErrorBody::Html => write!(f, "{status}-html"),
                ErrorBody::Empty => write!(f, "{status}-empty"),
            },
            Fault::DropBeforeResponse => f.write_str("drop-before"),
            Fault::DropAfterActing => f.write_str("drop-after"),
            Fault::DropMidBody => f.write_str("drop-mid-body"),
            Fault::TruncatedBody => f.write_str("truncated"),
            Fault::MalformedJson => f.write_str("malformed"),
            Fault::CountAsString => f.write_str("count-string"),
            Fault::StatusAsNumber => f.write_str("status-number"),
            Fault::ResultsMissing => f.write_str("results-missing"),
            Fault::EmptyOk => f.write_str("empty-ok"),
            Fault::HugeRow { bytes } => write!(f, "huge-row={bytes}"),
            Fault::RedirectElsewhere => f.write_str("redirect"),
            Fault::ForeignNextLink => f.write_str("foreign-next"),
            Fault::NextStuck => f.write_str("next-stuck"),
            Fault::NextToFirst => f.write_str("next-first"),
            Fault::PageNotFound {
                page: DEFAULT_MISSING_PAGE,
            } => f.write_str("404-page"),
            Fault::PageNotFound { page } => write!(f, "404-page={page}"),
            Fault::EndlessPages => f.write_str("endless"),
            Fault::GrowingCount => f.write_str("growing-count"),
        }
    }
}

impl fmt::Display for Route {
    /// The route's name after `@` in a spec.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = ROUTES
            .iter()
            .find(|(_, r)| r == self)
            .map_or("any", |(n, _)| *n);
        f.write_str(name)
    }
}

impl fmt::Display for FaultPlan {
    /// The canonical spec of the plan: `FAULT[@ROUTE][xCOUNT]` (see [`Fault::parse`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.fault)?;
        if self.route != Route::Any {
            write!(f, "@{}", self.route)?;
        }
        if let Some(n) = self.times {
            write!(f, "x{n}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(spec: &str) -> FaultPlan {
        Fault::parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"))
    }

    #[test]
    fn every_name_parses_and_round_trips() {
        for name in Fault::names() {
            let parsed = plan(name);
            assert_eq!(parsed.route, Route::Any, "{name}");
            assert_eq!(parsed.times, None, "{name}");
            assert_eq!(plan(&parsed.to_string()), parsed, "{name}");
            for suffix in ["@list", "x3", "@datax1", "x2@token", "@detail", "@any"] {
                let spec = format!("{name}{suffix}");
                let with = plan(&spec);
                assert_eq!(with.fault, parsed.fault, "{spec}");
                assert_eq!(plan(&with.to_string()), with, "{spec}");
            }
        }
        let mut names = Fault::names().to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Fault::names().len());
    }

    #[test]
    fn parses_parameters_routes_and_counts() {
        assert_eq!(
            plan("latency=300ms@detailx3"),
            FaultPlan::times(Fault::Latency(Duration::from_millis(300)), 3).on(Route::JobDetail)
        );
        assert_eq!(
            plan(" Slow-Drip=16/5ms "),
            FaultPlan::always(Fault::SlowDrip {
                chunk_bytes: 16,
                pause: Duration::from_millis(5)
            })
        );
        assert_eq!(
            plan("slow-drip=16").fault,
            Fault::SlowDrip {
                chunk_bytes: 16,
                pause: DEFAULT_DRIP_PAUSE
            }
        );
        assert_eq!(
            plan("429=7").fault,
            Fault::TooManyRequests {
                retry_after: Some(7)
            }
        );
        assert_eq!(
            plan("502-html@list").fault,
            Fault::ServerError {
                status: 502,
                body: ErrorBody::Html
            }
        );
        assert_eq!(
            plan("503-json"),
            plan("503"),
            "json is the default error body"
        );
        assert_eq!(
            plan("huge-row=20_000_000@data").fault,
            Fault::HugeRow { bytes: 20_000_000 }
        );
        assert_eq!(plan("drop-before@tokenx1").route, Route::Token);
        assert_eq!(plan("drop-before@tokenx1").times, Some(1));
        for (name, route) in ROUTES {
            assert_eq!(plan(&format!("drop-after@{name}")).route, route);
            assert_eq!(route.to_string(), name);
        }
        assert_eq!(
            plan("drop-after@createx1").to_string(),
            "drop-after@createx1"
        );
        assert_eq!(plan("latency=1500us").to_string(), "latency=1500us");
        // The duration syntax of the whole tool: minutes, bare seconds, micro signs.
        assert_eq!(plan("latency=5m").to_string(), "latency=300s");
        assert_eq!(
            plan("latency=10").fault,
            Fault::Latency(Duration::from_secs(10))
        );
        assert_eq!(
            plan("slow-drip=16/2µs").fault,
            Fault::SlowDrip {
                chunk_bytes: 16,
                pause: Duration::from_micros(2)
            }
        );
        assert_eq!(plan("latency=2000ms").to_string(), "latency=2s");
        assert_eq!(
            plan("404-page=3@projectsx1"),
            FaultPlan::times(Fault::PageNotFound { page: 3 }, 1).on(Route::ProjectList)
        );
        assert_eq!(plan("404-page").fault, Fault::PageNotFound { page: 2 });
        assert_eq!(plan("404-page=3").to_string(), "404-page=3");
        assert_eq!(plan("next-firstx2").times, Some(2));
        assert_eq!(
            FaultPlan::times(Fault::EmptyOk, 2)
                .on(Route::JobList)
                .to_string(),
            "empty-ok@listx2"
        );
        assert_eq!(
            FaultPlan::always(Fault::Latency(Duration::from_nanos(1_500))).to_string(),
            "latency=1500ns"
        );
    }

    #[test]
    fn rejects_bad_specs_with_a_reason() {
        for (spec, needle) in [
            ("", "empty"),
            ("nope", "unknown fault"),
            ("404", "unknown fault"),
            ("5030", "unknown fault"),
            ("503-xml", "unknown fault"),
            ("latency=fast", "duration"),
            ("latency=10x", "duration"),
            ("latency=-1s", "duration"),
            ("slow-drip=16/soon", "duration"),
            ("slow-drip=0", "at least 1 byte"),
            ("429=soon", "seconds"),
            ("drop-before=1", "takes no value"),
            ("503@jobs", "unknown route"),
            ("503x99999999999", "too large"),
            ("huge-row=big", "not a number"),
            ("404-page=0", "from 1"),
            ("404-page=two", "not a number"),
            ("next-stuck=1", "takes no value"),
        ] {
            let error = Fault::parse(spec).unwrap_err();
            assert!(error.contains(needle), "{spec:?}: {error}");
        }
    }
}
