//! The duration syntax of the whole `sdm` tool: [`parse_duration`], shared by `sdm mock --fault`
//! ([`crate::Fault::parse`]) and the CLI's `--timeout`-style options.

use std::time::Duration;

/// The units, largest first, with their length in nanoseconds. A value lists each at most once,
/// in this order (`1h30m`, not `30m1h`); `µs` and `μs` (micro sign, Greek mu) are `us`.
const UNITS: [(&[&str], u128); 6] = [
    (&["h"], 3_600_000_000_000),
    (&["m"], 60_000_000_000),
    (&["s"], 1_000_000_000),
    (&["ms"], 1_000_000),
    (&["us", "µs", "μs"], 1_000),
    (&["ns"], 1),
];

/// Durations longer than this (about 136 years) are capped to it: far longer than anything
/// waits for, and well within what `Instant` arithmetic and timers accept.
pub const MAX_DURATION: Duration = Duration::from_secs(u32::MAX as u64);

const EXPECTED: &str =
    "expected a duration like 90s, 5m, 1h30m, 500ms, 250us or a number of seconds";

/// Parses a duration: numbers with units, largest unit first and each unit once (`90s`, `5m`,
/// `1h30m`, `2m30.5s`, `500ms`, `250us`, `1500ns`), or a bare number of seconds (`30`, `0.5`).
/// The units are `h`, `m`, `s`, `ms`, `us` (or `µs`), and `ns`; numbers are decimal, with an
/// optional fraction. Surrounding whitespace is ignored; anything else (signs, spaces, exponents,
/// other units) is refused with a message saying what is expected. Values above
/// [`MAX_DURATION`] are capped to it rather than overflowing.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("{EXPECTED}, not an empty value"));
    }
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let seconds = Decimal::parse(text).ok_or_else(|| format!("{EXPECTED}, not {text:?}"))?;
        return Ok(capped(seconds.times(UNITS[2].1)));
    }
    let mut rest = text;
    let mut total: u128 = 0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("{EXPECTED}: {text:?} ends without a unit"))?;
        let (digits, after) = rest.split_at(number_len);
        let value = Decimal::parse(digits).ok_or_else(|| format!("{EXPECTED}, not {text:?}"))?;
        let unit_len = after
            .find(|c: char| !c.is_alphabetic())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let index = UNITS
            .iter()
            .position(|(names, _)| names.contains(&unit))
            .ok_or_else(|| {
                format!("{EXPECTED}: unknown unit {unit:?} in {text:?} (use h, m, s, ms, us or ns)")
            })?;
        if index < next_unit {
            return Err(format!(
                "{EXPECTED}: units go largest first, each once, in {text:?}"
            ));
        }
        total = total.saturating_add(value.times(UNITS[index].1));
        next_unit = index + 1;
        rest = after;
    }
    Ok(capped(total))
}

/// A decimal number (`12`, `1.5`, `.5`, `5.`): its whole part and its fraction
/// `numerator / scale`. Fraction digits past the ninth (finer than a nanosecond of a second)
/// are dropped; a huge whole part saturates.
struct Decimal {
    whole: u128,
    numerator: u128,
    scale: u128,
}

impl Decimal {
    /// `None` without a digit, or with anything but ASCII digits and one `.`.
    fn parse(text: &str) -> Option<Self> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.len() + fraction.len() == 0 || !all_digits(whole) || !all_digits(fraction) {
            return None;
        }
        let value = |digits: &str| {
            digits.bytes().fold(0_u128, |n, b| {
                n.saturating_mul(10).saturating_add(u128::from(b - b'0'))
            })
        };
        let fraction = &fraction[..fraction.len().min(9)];
        Some(Self {
            whole: value(whole),
            numerator: value(fraction),
            scale: 10_u128.pow(fraction.len() as u32),
        })
    }

    /// This many units of `unit` nanoseconds, in nanoseconds (saturating).
    fn times(&self, unit: u128) -> u128 {
        let fraction = self.numerator * unit / self.scale;
        self.whole.saturating_mul(unit).saturating_add(fraction)
    }
}

/// `nanos` as a duration, capped at [`MAX_DURATION`].
fn capped(nanos: u128) -> Duration {
    let max = MAX_DURATION.as_nanos();
    // At most `MAX_DURATION`'s nanoseconds, which fit in a `u64`.
    Duration::from_nanos(u64::try_from(nanos.min(max)).unwrap_or(u64::MAX))
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
            ("0.5s", ms(500)),
            (".5s", ms(500)),
            ("1.5h", ms(5_400_000)),
            ("2us", Duration::from_micros(2)),
            ("2µs", Duration::from_micros(2)),
            ("2μs", Duration::from_micros(2)),
            ("1ms500us", Duration::from_micros(1_500)),
            ("1500ns", Duration::from_nanos(1_500)),
            ("1.5us", Duration::from_nanos(1_500)),
            ("0.0000000015s", Duration::from_nanos(1)),
            ("30", ms(30_000)),
            ("0.25", ms(250)),
            ("5.", ms(5_000)),
            ("0", Duration::ZERO),
            ("0ms", Duration::ZERO),
            (" 5m ", ms(300_000)),
        ] {
            assert_eq!(parse_duration(text), Ok(expected), "{text:?}");
        }
    }

    #[test]
    fn refused_forms_say_what_is_expected() {
        for bad in [
            "", "  ", "s", "m5", "5x", "5 m", "1h 30m", "5M", "5S", "1.2.3s", "-5s", "-5", "+5s",
            "5m1h", "1s1s", "5ms5s", "5sms", ".", "..", ".s", "1e3", "1e3s", "forever", "5s ago",
            "5m-", "0x10s", "١s",
        ] {
            let message = parse_duration(bad).unwrap_err();
            assert!(message.starts_with(EXPECTED), "{bad:?}: {message}");
        }
        assert!(
            parse_duration("5x")
                .unwrap_err()
                .contains("unknown unit \"x\"")
        );
        assert!(
            parse_duration("5m1h")
                .unwrap_err()
                .contains("largest first")
        );
    }

    #[test]
    fn huge_values_are_capped() {
        for huge in [
            "99999999999999999999999999999999999999999999999999h",
            "4294967296s",
            "200000000000000000000000000000000000000ns",
            "1000000h99999999m",
            "999999999999999999999999999999",
        ] {
            assert_eq!(parse_duration(huge), Ok(MAX_DURATION), "{huge}");
        }
        assert_eq!(
            parse_duration("4294967295s"),
            Ok(Duration::from_secs(4_294_967_295))
        );
    }
}
