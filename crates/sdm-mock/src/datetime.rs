//! Timestamps: RFC 3339 formatting with a chosen number of fractional digits, and the lenient
//! ISO 8601 parsing Django's `DateTimeField` applies to the `created_*` filters.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};

/// Formats `t` as `YYYY-MM-DDTHH:MM:SS[.f]Z` with exactly `digits` (0..=6) fractional digits,
/// truncating (never rounding) the sub-second part.
pub(crate) fn format_utc(t: DateTime<Utc>, digits: u32) -> String {
    let base = t.format("%Y-%m-%dT%H:%M:%S");
    if digits == 0 {
        return format!("{base}Z");
    }
    let digits = digits.min(6);
    let micros = t.nanosecond() / 1_000 % 1_000_000;
    let frac = micros / 10_u32.pow(6 - digits);
    format!("{base}.{frac:0width$}Z", width = digits as usize)
}

/// Truncates `t` to `digits` fractional digits, so that `format_utc(t, digits)` is exact.
pub(crate) fn truncate(t: DateTime<Utc>, digits: u32) -> DateTime<Utc> {
    let step = 10_u32.pow(9 - digits.min(6));
    t.with_nanosecond(t.nanosecond() / step * step).unwrap_or(t)
}

/// Parses a filter value the way Django's `forms.DateTimeField` does (a subset of it):
/// `YYYY-MM-DD`, or `YYYY-MM-DD[T ]HH:MM[:SS[.fraction]]` followed by nothing (UTC, the
/// server's time zone), `Z`, `±HH`, `±HHMM` or `±HH:MM`. Surrounding whitespace is ignored.
pub(crate) fn parse_filter(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if !value.is_ascii() {
        return None;
    }
    let (date_part, rest) = value.split_at(value.len().min(10));
    let date = parse_date(date_part)?;
    if rest.is_empty() {
        return Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)));
    }
    let rest = rest.strip_prefix(['T', ' '])?;
    let (time_part, offset_part) = match rest.find(['Z', '+', '-']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let time = parse_time(time_part)?;
    let local = NaiveDateTime::new(date, time);
    let offset = parse_offset(offset_part)?;
    Some(
        offset
            .from_local_datetime(&local)
            .single()?
            .with_timezone(&Utc),
    )
}

/// `YYYY-MM-DD` with a valid calendar date.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(digits(&s[0..4])?, digits(&s[5..7])?, digits(&s[8..10])?)
}

/// `HH:MM[:SS[.fraction]]`; fractions longer than 6 digits are truncated to microseconds.
fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim_end();
    let (hms, frac) = match s.split_once(['.', ',']) {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (s, None),
    };
    let mut parts = hms.split(':');
    let hour = two_digits(parts.next()?)?;
    let minute = two_digits(parts.next()?)?;
    let second = match parts.next() {
        Some(p) => two_digits(p)?,
        None if frac.is_none() => 0,
        None => return None,
    };
    if parts.next().is_some() {
        return None;
    }
    let micros = match frac {
        None => 0,
        Some(f) if (1..=12).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()) => {
            let six: String = f.chars().chain(std::iter::repeat('0')).take(6).collect();
            digits(&six)?
        }
        Some(_) => return None,
    };
    NaiveTime::from_hms_micro_opt(hour, minute, second, micros)
}

/// Empty (UTC), `Z`, `±HH`, `±HHMM` or `±HH:MM`.
fn parse_offset(s: &str) -> Option<FixedOffset> {
    let east = |secs: i32| FixedOffset::east_opt(secs);
    match s {
        "" | "Z" => east(0),
        _ => {
            let sign = match s.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let body = &s[1..];
            let (h, m) = match body.len() {
                2 => (body, "00"),
                4 => body.split_at(2),
                5 if body.as_bytes()[2] == b':' => (&body[..2], &body[3..]),
                _ => return None,
            };
            let (h, m): (i32, i32) = (two_digits(h)? as i32, two_digits(m)? as i32);
            if h > 23 || m > 59 {
                return None;
            }
            east(sign * (h * 3600 + m * 60))
        }
    }
}

/// Exactly two ASCII digits.
fn two_digits(s: &str) -> Option<u32> {
    if s.len() == 2 { digits(s) } else { None }
}

/// A non-empty run of ASCII digits (no sign, no spaces) as a number.
fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn formats_with_chosen_precision() {
        let t = utc("2022-04-14T08:48:37.109159Z");
        assert_eq!(format_utc(t, 6), "2022-04-14T08:48:37.109159Z");
        assert_eq!(format_utc(t, 3), "2022-04-14T08:48:37.109Z");
        assert_eq!(format_utc(t, 2), "2022-04-14T08:48:37.10Z");
        assert_eq!(format_utc(t, 0), "2022-04-14T08:48:37Z");
        assert_eq!(format_utc(truncate(t, 2), 6), "2022-04-14T08:48:37.100000Z");
    }

    #[test]
    fn parses_django_like_inputs() {
        let midnight = utc("2022-01-01T00:00:00Z");
        for ok in [
            "2022-01-01",
            "2022-01-01T00:00:00Z",
            "2022-01-01T00:00Z",
            "2022-01-01 00:00:00",
            "2022-01-01T00:00:00.000Z",
            "2022-01-01T02:00:00+02:00",
            "2022-01-01T02:00:00+0200",
            "2021-12-31T22:00:00-02",
            " 2022-01-01T00:00:00Z ",
        ] {
            assert_eq!(parse_filter(ok), Some(midnight), "{ok}");
        }
        assert_eq!(
            parse_filter("2022-04-14T08:48:37.109159Z"),
            Some(utc("2022-04-14T08:48:37.109159Z"))
        );
        assert_eq!(
            parse_filter("2022-04-14T08:48:37.12Z"),
            Some(utc("2022-04-14T08:48:37.120Z"))
        );
        for bad in [
            "",
            "yesterday",
            "2022-13-01",
            "2022-02-30",
            "2022-01-01T",
            "2022-01-01T25:00:00Z",
            "2022-01-01T00:00:00 02:00",
            "2022-01-01T00:00:00+2",
            "2022-01-01T00:00:00.Z",
            "2022/01/01",
            "22-01-01",
        ] {
            assert_eq!(parse_filter(bad), None, "{bad:?}");
        }
    }
}
