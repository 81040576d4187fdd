//! Durations as rule files write them ("10m", "1h30m", "2d"): parsing, formatting, serde.

use std::fmt::Write as _;

/// One second in milliseconds, the engine's unit of time.
pub const SECOND: i64 = 1_000;
/// One minute in milliseconds.
pub const MINUTE: i64 = 60 * SECOND;
/// One hour in milliseconds.
pub const HOUR: i64 = 60 * MINUTE;
/// One day in milliseconds.
pub const DAY: i64 = 24 * HOUR;

const UNITS: [(char, i64); 4] = [('d', DAY), ('h', HOUR), ('m', MINUTE), ('s', SECOND)];

/// Parses a duration such as `"90s"`, `"10m"`, `"1h30m"` or `"2d"` into milliseconds.
///
/// Units are `d`, `h`, `m`, `s`, each at most once and from the largest to the smallest, so that
/// one duration has one spelling and a typo such as `"30m1h"` is refused instead of guessed.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let bad = |why: &str| {
        format!(
            "'{text}' is not a duration ({why}): write a whole number followed by d, h, m or s, largest unit first, e.g. \"10m\", \"1h30m\", \"2d\""
        )
    };
    if text.is_empty() {
        return Err(bad("it is empty"));
    }
    let mut total: i64 = 0;
    let mut rest = text;
    let mut last_rank: Option<usize> = None;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad("a number must come before each unit"));
        }
        let (number, tail) = rest.split_at(digits);
        let Some(unit) = tail.chars().next() else {
            return Err(bad("the last number has no unit"));
        };
        let Some(rank) = UNITS.iter().position(|(c, _)| *c == unit) else {
            return Err(bad(&format!("unknown unit '{unit}'")));
        };
        if last_rank.is_some_and(|r| r >= rank) {
            return Err(bad("units must each appear once, largest first"));
        }
        last_rank = Some(rank);
        let n: i64 = number.parse().map_err(|_| bad("the number is too large"))?;
        total = n
            .checked_mul(UNITS[rank].1)
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(|| bad("it is too long"))?;
        rest = &tail[unit.len_utf8()..];
    }
    Ok(total)
}

/// Formats milliseconds in the rule-file spelling (`"1h30m"`; `"0s"` for zero). Sub-second
/// remainders are dropped because rule files cannot express them.
pub fn format_duration(ms: i64) -> String {
    if ms < SECOND {
        return "0s".to_string();
    }
    let mut out = String::new();
    let mut rest = ms;
    for (unit, size) in UNITS {
        if rest >= size {
            let _ = write!(out, "{}{unit}", rest / size);
            rest %= size;
        }
    }
    out
}

/// Serde helpers so configuration structs can hold durations written as `"3d"` (or plain
/// milliseconds) while the engine works in milliseconds.
pub mod serde_ms {
    use serde::de::{self, Deserializer, Visitor};
    use serde::Serializer;
    use std::fmt;

    /// Serializes milliseconds as a duration string such as `"3d"`.
    pub fn serialize<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_duration(*ms))
    }

    /// Accepts `"1h30m"` or a whole number of milliseconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = i64;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as \"10m\" or \"1h30m\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
                super::parse_duration(v).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
                if v < 0 {
                    return Err(E::custom("a duration cannot be negative"));
                }
                Ok(v)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
                i64::try_from(v).map_err(|_| E::custom("duration too long"))
            }
        }
        d.deserialize_any(V)
    }

    /// The same for an optional duration.
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};

        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super")] i64);

        /// Serializes `None` as nothing and `Some(ms)` as a duration string.
        pub fn serialize<S: Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
            match ms {
                Some(ms) => super::serialize(ms, s),
                None => s.serialize_none(),
            }
        }

        /// Accepts what [`super::deserialize`] accepts, or nothing.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
            Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(parse_duration("10m"), Ok(10 * MINUTE));
        assert_eq!(parse_duration("1h30m"), Ok(90 * MINUTE));
        assert_eq!(parse_duration("2d"), Ok(2 * DAY));
        assert_eq!(parse_duration("0s"), Ok(0));
        assert_eq!(
            parse_duration("1d2h3m4s"),
            Ok(DAY + 2 * HOUR + 3 * MINUTE + 4 * SECOND)
        );
        assert_eq!(
            format_duration(DAY + 2 * HOUR + 3 * MINUTE + 4 * SECOND),
            "1d2h3m4s"
        );
        assert_eq!(format_duration(90 * MINUTE), "1h30m");
        assert_eq!(format_duration(0), "0s");
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            "",
            "10",
            "m",
            "10x",
            "1.5h",
            "30m1h",
            "1h1h",
            "-5m",
            "10 m",
            "99999999999999999d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
