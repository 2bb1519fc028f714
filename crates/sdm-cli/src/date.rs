//! Reading times given on the command line: RFC 3339, a plain date meaning midnight UTC, or a
//! duration back from now (`2h`, `3d`).

use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, Utc};

/// "Now" for durations back from now: read once, on the first use, so that
/// `--created-after 2h --created-before 1h` is one hour wide, to the nanosecond.
static NOW: OnceLock<DateTime<Utc>> = OnceLock::new();

/// Parses `--created-after` / `--created-before` values (see [`parse_time_at`]), durations
/// counting back from the time the command line was read.
pub fn parse_time_arg(text: &str) -> Result<DateTime<Utc>, String> {
    parse_time_at(text, *NOW.get_or_init(Utc::now))
}

/// Parses a time given on the command line, `now` being the time durations count back from.
///
/// `2024-05-01T12:00:00Z`, `2024-05-01T14:00:00+02:00` and `2024-05-01T12:00:00.5Z` are RFC 3339
/// times (converted to UTC); `2024-05-01` is midnight UTC that day; `90m`, `2h`, `3d`, `1w` and
/// `1d12h` are that long before `now` (the syntax of [`crate::duration::parse`], a unit
/// required: a bare number is refused rather than read as seconds or a year). Anything else is
/// refused with a message that shows the accepted forms.
pub fn parse_time_at(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if is_plain_date(text) {
        return NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(|date| date.and_time(chrono::NaiveTime::MIN).and_utc())
            .map_err(|_| format!("{text:?} is not a valid calendar date"));
    }
    if looks_like_a_duration(text) {
        let back = crate::duration::parse(text)?;
        return chrono::TimeDelta::from_std(back)
            .ok()
            .and_then(|back| now.checked_sub_signed(back))
            .ok_or_else(|| format!("{text:?} goes back further than a date can"));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|e| {
            format!(
                "expected an RFC 3339 time like 2024-05-01T12:00:00Z, a date like 2024-05-01, or \
                 a duration back from now like 2h or 3d ({e})"
            )
        })
}

/// Digits first and a unit last (`2h`, `1d12h`, `1.5d`), and nothing an RFC 3339 time has.
fn looks_like_a_duration(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_digit())
        && text.ends_with(|c: char| c.is_ascii_alphabetic())
        && !text.contains(['-', ':', '+', 'T'])
}

/// `YYYY-MM-DD` exactly (chrono alone would also take `2024-5-1`).
fn is_plain_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn plain_dates_are_midnight_utc() {
        assert_eq!(
            parse_time_arg("2024-05-01").unwrap(),
            utc("2024-05-01T00:00:00Z")
        );
        assert_eq!(
            parse_time_arg(" 2024-02-29 ").unwrap(),
            utc("2024-02-29T00:00:00Z")
        );
    }

    #[test]
    fn rfc3339_times_are_converted_to_utc() {
        assert_eq!(
            parse_time_arg("2024-05-01T14:30:00+02:00").unwrap(),
            utc("2024-05-01T12:30:00Z")
        );
        assert_eq!(
            parse_time_arg("2022-04-14T08:48:37.109159Z").unwrap(),
            utc("2022-04-14T08:48:37.109159Z")
        );
    }

    #[test]
    fn durations_count_back_from_now() {
        let now = utc("2024-05-10T12:30:00.25Z");
        for (text, expected) in [
            ("2h", "2024-05-10T10:30:00.25Z"),
            ("3d", "2024-05-07T12:30:00.25Z"),
            ("1w", "2024-05-03T12:30:00.25Z"),
            ("1d12h", "2024-05-09T00:30:00.25Z"),
            ("90m", "2024-05-10T11:00:00.25Z"),
            ("500ms", "2024-05-10T12:29:59.75Z"),
            (" 0s ", "2024-05-10T12:30:00.25Z"),
        ] {
            assert_eq!(parse_time_at(text, now).unwrap(), utc(expected), "{text:?}");
        }
        // The longest duration there is still makes a date (about 136 years back).
        let far = parse_time_at("7000w", now).unwrap();
        assert_eq!(far.format("%Y").to_string(), "1890");
        // Over the cap: refused as too long, never wrapped.
        let message = parse_time_at("99999999d", now).unwrap_err();
        assert!(message.contains("too long"), "{message}");
        // Durations are read once per process: both bounds share the same now.
        let after = parse_time_arg("2h").unwrap();
        let before = parse_time_arg("1h").unwrap();
        assert_eq!(before - after, chrono::TimeDelta::hours(1));
    }

    #[test]
    fn a_date_too_far_back_is_refused() {
        let now = DateTime::<Utc>::MIN_UTC + chrono::TimeDelta::days(1);
        let message = parse_time_at("2d", now).unwrap_err();
        assert!(message.contains("further than a date can"), "{message}");
    }

    #[test]
    fn bad_values_explain_the_accepted_forms() {
        for bad in [
            "",
            "yesterday",
            "2024-5-1",
            "2024-05-01T12:00:00",
            "2024-05-01 12:00",
            "01/05/2024",
            "1714560000",
            "-2h",
            "2024-05-01T",
        ] {
            let message = parse_time_arg(bad).unwrap_err();
            assert!(message.contains("RFC 3339"), "{bad:?}: {message}");
        }
        let message = parse_time_arg("2023-02-29").unwrap_err();
        assert!(message.contains("not a valid calendar date"), "{message}");
        assert!(parse_time_arg("2024-13-01").is_err());
    }
}
