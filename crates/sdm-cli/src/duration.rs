//! Durations on the command line (`90s`, `5m`, `1h30m`, `500ms`, or a bare number of seconds),
//! and durations shown to people in the same notation.

use std::time::Duration;

/// The units, largest first, with their length in seconds. A value lists each at most once, in
/// this order (`1h30m`, not `30m1h`).
const UNITS: [(&str, f64); 4] = [("h", 3600.0), ("m", 60.0), ("s", 1.0), ("ms", 0.001)];

const EXPECTED: &str = "expected a duration like 90s, 5m, 1h, 1h30m, 500ms or a number of seconds";

/// Parses `--timeout`-style values: `90s`, `5m`, `1h`, `1h30m`, `2m30.5s`, `500ms`, or a bare
/// number of seconds (`30`, `0.5`).
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("{EXPECTED}, not an empty value"));
    }
    if is_number(text) {
        return seconds(text.parse::<f64>().ok(), text);
    }
    let mut rest = text;
    let mut total = 0.0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("{EXPECTED}: {text:?} ends without a unit"))?;
        let (number, after) = rest.split_at(digits);
        if !is_number(number) {
            return Err(format!("{EXPECTED}, not {text:?}"));
        }
        let unit_len = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let index = UNITS[next_unit..]
            .iter()
            .position(|(name, _)| *name == unit)
            .map(|i| i + next_unit)
            .ok_or_else(|| {
                if UNITS.iter().any(|(name, _)| *name == unit) {
                    format!("{EXPECTED}: units go largest first, each once, in {text:?}")
                } else {
                    format!("{EXPECTED}: unknown unit {unit:?} (use h, m, s or ms)")
                }
            })?;
        let value: f64 = number
            .parse()
            .map_err(|_| format!("{EXPECTED}, not {text:?}"))?;
        total += value * UNITS[index].1;
        next_unit = index + 1;
        rest = after;
    }
    seconds(Some(total), text)
}

/// Like [`parse`], refusing zero (a polling interval of nothing would hammer the server).
pub fn parse_positive(text: &str) -> Result<Duration, String> {
    let duration = parse(text)?;
    if duration.is_zero() {
        return Err("the duration must be more than zero".to_owned());
    }
    Ok(duration)
}

/// Digits with at most one `.` and at least one digit.
fn is_number(text: &str) -> bool {
    text.bytes().any(|b| b.is_ascii_digit())
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && text.bytes().filter(|&b| b == b'.').count() <= 1
}

fn seconds(value: Option<f64>, text: &str) -> Result<Duration, String> {
    value
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .ok_or_else(|| format!("{text:?} is too long a duration"))
}

/// A duration for people, in the notation [`parse`] reads: `500ms` under a second, otherwise
/// rounded to the second (`1s`, `1m30s`, `2h5m`).
pub fn display(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        return format!("{}ms", duration.as_millis());
    }
    let total = (duration.as_millis() + 500) / 1000;
    let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60);
    let mut text = String::new();
    for (value, unit) in [(hours, "h"), (minutes, "m"), (secs, "s")] {
        if value > 0 {
            text.push_str(&format!("{value}{unit}"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn accepted_forms() {
        for (text, expected) in [
            ("90s", ms(90_000)),
            ("5m", ms(300_000)),
            ("1h", ms(3_600_000)),
            ("1h30m", ms(5_400_000)),
            ("1h30m15s", ms(5_415_000)),
            ("2m30.5s", ms(150_500)),
            ("1m500ms", ms(60_500)),
            ("500ms", ms(500)),
            ("100ms", ms(100)),
            ("0.5s", ms(500)),
            ("30", ms(30_000)),
            ("0.25", ms(250)),
            ("0", Duration::ZERO),
            (" 5m ", ms(300_000)),
        ] {
            assert_eq!(parse(text), Ok(expected), "{text:?}");
        }
    }

    #[test]
    fn refused_forms_explain_the_accepted_ones() {
        for bad in [
            "", "  ", "s", "m5", "5x", "5 m", "1h 30m", "5M", "1.2.3s", "-5s", "-5", "5m1h",
            "1s1s", "5sms", ".", "1e3", "forever",
        ] {
            let message = parse(bad).unwrap_err();
            assert!(
                message.contains("expected a duration"),
                "{bad:?}: {message}"
            );
        }
        assert!(parse("99999999999999999999999h").is_err());
        assert!(parse("1e400").is_err());
    }

    #[test]
    fn intervals_must_be_positive() {
        assert_eq!(parse_positive("100ms"), Ok(ms(100)));
        assert!(parse_positive("0").is_err());
        assert!(parse_positive("0ms").is_err());
    }

    #[test]
    fn display_reads_back() {
        for (duration, text) in [
            (ms(0), "0ms"),
            (ms(250), "250ms"),
            (ms(1_000), "1s"),
            (ms(1_003), "1s"),
            (ms(1_600), "2s"),
            (ms(90_000), "1m30s"),
            (ms(3_600_000), "1h"),
            (ms(3_900_000), "1h5m"),
            (ms(3_601_000), "1h1s"),
        ] {
            assert_eq!(display(duration), text, "{duration:?}");
            let back = parse(text).unwrap();
            assert!(back.abs_diff(duration) <= ms(500), "{text}");
        }
    }
}
