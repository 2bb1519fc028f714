//! Timestamps: RFC 3339 formatting with a chosen number of fractional digits, and the parsing
//! of the `created_*` filters (RFC 3339, what clients send, or a plain date).

use chrono::{DateTime, NaiveDate, NaiveTime, Timelike, Utc};

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

/// Parses a filter value: an RFC 3339 timestamp (`2022-01-01T00:00:00Z`, any offset, 0 to 9
/// fractional digits) or a plain date `YYYY-MM-DD` (midnight UTC).
pub(crate) fn parse_filter(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
    (value.len() == 10).then(|| date.and_time(NaiveTime::MIN).and_utc())
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
    fn parses_rfc3339_and_plain_dates() {
        let midnight = utc("2022-01-01T00:00:00Z");
        for ok in [
            "2022-01-01",
            "2022-01-01T00:00:00Z",
            "2022-01-01T00:00:00.000Z",
            "2022-01-01T02:00:00+02:00",
            "2021-12-31T22:00:00-02:00",
        ] {
            assert_eq!(parse_filter(ok), Some(midnight), "{ok}");
        }
        assert_eq!(
            parse_filter("2022-04-14T08:48:37.12Z"),
            Some(utc("2022-04-14T08:48:37.120Z"))
        );
        for bad in [
            "",
            "yesterday",
            "2022-13-01",
            "2022-02-30",
            "2022-1-1",
            "2022-01-01T",
            "2022-01-01T00:00Z",
            "2022-01-01T25:00:00Z",
            "2022-01-01T00:00:00",
            "2022/01/01",
            " 2022-01-01",
        ] {
            assert_eq!(parse_filter(bad), None, "{bad:?}");
        }
    }
}
