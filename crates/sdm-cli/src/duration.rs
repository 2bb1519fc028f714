//! Durations on the command line, in the one syntax of the whole tool (`90s`, `5m`, `1h30m`,
//! `500ms`, `250us`, or a bare number of seconds: [`sdm_mock::parse_duration`], which
//! `sdm mock --fault latency=...` reads too), plus weeks and days in front (`3d`, `1w`,
//! `1d12h`: `--created-after 3d` goes back days), and durations shown to people in that notation.

use std::time::Duration;

/// Weeks and days, which may lead a duration (largest first, each once), in seconds.
const DAY_UNITS: [(char, u32); 2] = [('w', 7 * 86_400), ('d', 86_400)];

/// Parses `--timeout`-style values (see [`sdm_mock::parse_duration`]; weeks `w` and days `d`
/// may come first, as in `1w2d` or `1d12h`), refusing those of [`sdm_mock::MAX_DURATION`]
/// (about 136 years) or more: such a value is a mistake, and an HTTP library adding it to the
/// time of day could overflow and panic.
pub fn parse(text: &str) -> Result<Duration, String> {
    let too_long = || {
        format!(
            "{:?} is too long: a duration must be under {}s (about 136 years)",
            text.trim(),
            sdm_mock::MAX_DURATION.as_secs()
        )
    };
    let mut rest = text.trim();
    let mut total = Duration::ZERO;
    let mut next_unit = 0;
    loop {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let unit = rest[digits..].chars().next();
        let Some(index) = DAY_UNITS.iter().position(|(name, _)| Some(*name) == unit) else {
            break;
        };
        if digits == 0 || index < next_unit {
            return Err(format!(
                "expected a duration like 3d, 1w2d or 1d12h (a number before each unit, \
                 largest unit first, each once), not {:?}",
                text.trim()
            ));
        }
        // The number read as seconds, times the unit's seconds: decimals work (`1.5d`).
        let part = sdm_mock::parse_duration(&rest[..digits])?
            .checked_mul(DAY_UNITS[index].1)
            .ok_or_else(too_long)?;
        total = total.checked_add(part).ok_or_else(too_long)?;
        next_unit = index + 1;
        rest = &rest[digits + 1..];
    }
    if next_unit == 0 || !rest.is_empty() {
        total = total
            .checked_add(sdm_mock::parse_duration(rest)?)
            .ok_or_else(too_long)?;
    }
    // `parse_duration` caps at `MAX_DURATION`, so reaching it means "that much or more".
    let duration = total;
    if duration >= sdm_mock::MAX_DURATION {
        return Err(format!(
            "{:?} is too long: a duration must be under {}s (about 136 years)",
            text.trim(),
            sdm_mock::MAX_DURATION.as_secs()
        ));
    }
    Ok(duration)
}

/// Like [`parse`], refusing zero (a polling interval of nothing would hammer the server).
pub fn parse_positive(text: &str) -> Result<Duration, String> {
    let duration = parse(text)?;
    if duration.is_zero() {
        return Err("the duration must be more than zero".to_owned());
    }
    Ok(duration)
}

/// A duration for people, in the notation [`parse`] reads: `250us` under a millisecond, `500ms`
/// under a second, otherwise rounded to the second (`1s`, `1m30s`, `2h5m`).
pub fn display(duration: Duration) -> String {
    if !duration.is_zero() && duration < Duration::from_millis(1) {
        return format!("{}us", duration.as_micros());
    }
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
    fn options_take_the_syntax_of_the_whole_tool() {
        for (text, expected) in [
            ("90s", ms(90_000)),
            ("1h30m", ms(5_400_000)),
            ("2m30.5s", ms(150_500)),
            ("500ms", ms(500)),
            ("2us", Duration::from_micros(2)),
            ("30", ms(30_000)),
            (" 5m ", ms(300_000)),
        ] {
            assert_eq!(parse(text), Ok(expected), "{text:?}");
        }
        for bad in ["", "soon", "5 minutes", "-1s", "1x", "30m1h", "5M"] {
            let message = parse(bad).unwrap_err();
            assert!(
                message.contains("expected a duration"),
                "{bad:?}: {message}"
            );
        }
        // Refused, not capped in silence: an HTTP library adding it to `Instant::now()`
        // would panic, and a value that large is a mistake.
        for huge in [
            "9223372036854775807",
            "99999999999999999999999h",
            "4294967295s",
        ] {
            let message = parse(huge).unwrap_err();
            assert!(message.contains("too long"), "{huge}: {message}");
        }
        assert_eq!(parse("4294967294s"), Ok(Duration::from_secs(4_294_967_294)));
        // The same text means the same duration in `--fault`.
        let fault = sdm_mock::Fault::parse("latency=1h30m").unwrap().fault;
        assert_eq!(fault, sdm_mock::Fault::Latency(parse("1h30m").unwrap()));
    }

    #[test]
    fn weeks_and_days_lead() {
        let day = 86_400_000;
        for (text, expected) in [
            ("3d", ms(3 * day)),
            ("1w", ms(7 * day)),
            ("1w2d", ms(9 * day)),
            ("1d12h", ms(day + 43_200_000)),
            ("2d30m15s", ms(2 * day + 1_815_000)),
            ("1.5d", ms(day + day / 2)),
            (" 0d ", ms(0)),
        ] {
            assert_eq!(parse(text), Ok(expected), "{text:?}");
        }
        for bad in ["d", "2d1w", "1d1d", "3 d", "1dd", "-1d", "1d-5m"] {
            let message = parse(bad).unwrap_err();
            assert!(
                message.contains("expected a duration"),
                "{bad:?}: {message}"
            );
        }
        // Still under the cap, or refused, never wrapped around.
        assert!(parse("7000w").is_ok());
        for huge in ["8000w", "99999999999999999999d", "49711d", "1w49710d"] {
            let message = parse(huge).unwrap_err();
            assert!(message.contains("too long"), "{huge}: {message}");
        }
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
            (Duration::from_micros(250), "250us"),
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
