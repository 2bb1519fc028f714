//! Reading times given on the command line: RFC 3339, or a plain date meaning midnight UTC.

use chrono::{DateTime, NaiveDate, Utc};

/// Parses `--created-after` / `--created-before` values.
///
/// `2024-05-01T12:00:00Z`, `2024-05-01T14:00:00+02:00` and `2024-05-01T12:00:00.5Z` are RFC 3339
/// times (converted to UTC); `2024-05-01` is midnight UTC that day. Anything else is refused with
/// a message that shows both accepted forms.
pub fn parse_time_arg(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if is_plain_date(text) {
        return NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(|date| date.and_time(chrono::NaiveTime::MIN).and_utc())
            .map_err(|_| format!("{text:?} is not a valid calendar date"));
    }
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|e| {
            format!(
                "expected an RFC 3339 time like 2024-05-01T12:00:00Z or a date like 2024-05-01 \
                 ({e})"
            )
        })
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
    fn bad_values_explain_the_accepted_forms() {
        for bad in [
            "",
            "yesterday",
            "2024-5-1",
            "2024-05-01T12:00:00",
            "2024-05-01 12:00",
            "01/05/2024",
            "1714560000",
        ] {
            let message = parse_time_arg(bad).unwrap_err();
            assert!(message.contains("RFC 3339"), "{bad:?}: {message}");
        }
        let message = parse_time_arg("2023-02-29").unwrap_err();
        assert!(message.contains("not a valid calendar date"), "{message}");
        assert!(parse_time_arg("2024-13-01").is_err());
    }
}
