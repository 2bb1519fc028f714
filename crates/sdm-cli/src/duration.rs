//! Durations on the command line, in the one syntax of the whole tool (`90s`, `5m`, `1h30m`,
//! `500ms`, `250us`, or a bare number of seconds: [`sdm_mock::parse_duration`], which
//! `sdm mock --fault latency=...` reads too), and durations shown to people in that notation.

use std::time::Duration;

/// Parses `--timeout`-style values (see [`sdm_mock::parse_duration`]), refusing those of
/// [`sdm_mock::MAX_DURATION`] (about 136 years) or more: such a value is a mistake, and an
/// HTTP library adding it to the time of day could overflow and panic.
pub fn parse(text: &str) -> Result<Duration, String> {
    // `parse_duration` caps at `MAX_DURATION`, so reaching it means "that much or more".
    let duration = sdm_mock::parse_duration(text)?;
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
