//! ISO weeks (`2026-W47`: Monday 00:00 to the next Monday 00:00 in Vietnam's time, UTC+7 all
//! year, no DST) and calendar dates, as the weekly review names them.

use super::time::{vn, DAY};
use super::Ts;
use chrono::{Datelike, NaiveDate, TimeZone, Utc, Weekday};
use std::fmt;

/// An ISO 8601 week: the year that owns its Thursday and its number, 1 to 52 or 53.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IsoWeek {
    year: i32,
    week: u32,
}

impl IsoWeek {
    /// Parses `YYYY-Www` (two-digit week). Week 53 only in the years that have one.
    pub fn parse(s: &str) -> Result<IsoWeek, String> {
        let bad = || format!("'{s}' is not an ISO week: use YYYY-Www, e.g. 2026-W47");
        let (y, w) = s.split_once("-W").ok_or_else(bad)?;
        if y.len() != 4 || w.len() != 2 || !(y.bytes().chain(w.bytes())).all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let week: u32 = w.parse().map_err(|_| bad())?;
        // The review compares with the week before, which must be a period too (from 1900).
        if !(1901..=2999).contains(&year) {
            return Err(bad());
        }
        // chrono refuses week 0, week 54 and week 53 of a 52-week year.
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
            .ok_or_else(|| format!("{year} has no ISO week {week}"))?;
        Ok(IsoWeek { year, week })
    }

    /// The week that holds the instant `ts`, in Vietnam's calendar.
    pub fn containing(ts: Ts) -> IsoWeek {
        let local = Utc
            .timestamp_millis_opt(ts)
            .single()
            .unwrap_or_default()
            .with_timezone(&vn())
            .date_naive();
        let iso = local.iso_week();
        IsoWeek {
            year: iso.year(),
            week: iso.week(),
        }
    }

    fn monday(self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon)
            .expect("an IsoWeek is valid by construction")
    }

    /// Monday 00:00 in Vietnam.
    pub fn start(self) -> Ts {
        day_start(self.monday())
    }

    /// The next Monday 00:00 in Vietnam (exclusive).
    pub fn end(self) -> Ts {
        self.start() + 7 * DAY
    }

    pub fn previous(self) -> IsoWeek {
        IsoWeek::containing(self.start() - DAY)
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

/// Midnight starting `d` in Vietnam.
fn day_start(d: NaiveDate) -> Ts {
    vn().from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .single()
        .expect("a fixed offset has no gaps")
        .timestamp_millis()
}

/// The calendar date (Vietnam) of an instant, as `YYYY-MM-DD`.
pub fn date_label(ts: Ts) -> String {
    Utc.timestamp_millis_opt(ts)
        .single()
        .unwrap_or_default()
        .with_timezone(&vn())
        .format("%Y-%m-%d")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::{format_ts, parse_ts};

    fn ts(s: &str) -> Ts {
        parse_ts(s, false).unwrap()
    }

    #[test]
    fn a_week_starts_on_monday_midnight_in_vietnam() {
        let w = IsoWeek::parse("2026-W47").unwrap();
        assert_eq!(format_ts(w.start()), "2026-11-16T00:00:00.000+07:00");
        assert_eq!(format_ts(w.end()), "2026-11-23T00:00:00.000+07:00");
        assert_eq!(w.previous().to_string(), "2026-W46");
        assert_eq!(w.to_string(), "2026-W47");
    }

    #[test]
    fn week_one_may_begin_in_the_year_before() {
        // 1 January 2026 is a Thursday: week 1 begins on Monday 29 December 2025.
        let w = IsoWeek::parse("2026-W01").unwrap();
        assert_eq!(format_ts(w.start()), "2025-12-29T00:00:00.000+07:00");
        assert_eq!(IsoWeek::containing(ts("2025-12-29")), w);
        assert_eq!(
            IsoWeek::containing(ts("2025-12-28")).to_string(),
            "2025-W52"
        );
        assert_eq!(w.previous().to_string(), "2025-W52");
        // 1 January 2027 is a Friday: it still belongs to 2026's last week.
        assert_eq!(
            IsoWeek::containing(ts("2027-01-01")).to_string(),
            "2026-W53"
        );
        assert_eq!(
            IsoWeek::containing(ts("2027-01-04")).to_string(),
            "2027-W01"
        );
        assert_eq!(
            IsoWeek::parse("2027-W01").unwrap().previous().to_string(),
            "2026-W53"
        );
    }

    #[test]
    fn week_53_exists_only_in_long_years() {
        assert!(IsoWeek::parse("2026-W53").is_ok());
        assert!(IsoWeek::parse("2020-W53").is_ok());
        let err = IsoWeek::parse("2025-W53").unwrap_err();
        assert!(err.contains("no ISO week 53"), "{err}");
        assert!(IsoWeek::parse("2026-W00").is_err());
        assert!(IsoWeek::parse("2026-W54").is_err());
    }

    #[test]
    fn malformed_weeks_are_refused() {
        for s in [
            "",
            "2026",
            "2026-47",
            "2026-W7",
            "2026-w47",
            "26-W47",
            "2026-W047",
            "2026-W4a",
            "+026-W47",
            "2026-W47 ",
        ] {
            assert!(IsoWeek::parse(s).is_err(), "{s:?} was accepted");
        }
    }

    #[test]
    fn the_week_turns_at_midnight_vietnam_time_not_utc() {
        // Sunday 23:59 in Hanoi is Sunday 16:59 UTC; Monday 00:00 in Hanoi is still Sunday in UTC.
        let sunday_late = ts("2026-11-22T23:59:59.999+07:00");
        let monday = ts("2026-11-23T00:00:00+07:00");
        assert_eq!(IsoWeek::containing(sunday_late).to_string(), "2026-W47");
        assert_eq!(IsoWeek::containing(monday).to_string(), "2026-W48");
        assert_eq!(
            IsoWeek::containing(ts("2026-11-22T17:00:00Z")).to_string(),
            "2026-W48"
        );
        assert_eq!(IsoWeek::parse("2026-W48").unwrap().start(), monday);
    }
}
