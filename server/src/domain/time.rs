//! Instants and reporting periods. Instants are milliseconds since the Unix epoch (UTC); the
//! calendar (periods, plain dates) is Vietnam's: Asia/Ho_Chi_Minh, UTC+7 all year, no DST.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Milliseconds since the Unix epoch.
pub type Ts = i64;

const VN_OFFSET_SECS: i32 = 7 * 3600;

/// A day in milliseconds (Vietnam has no daylight saving time, so every day is this long).
pub const DAY: Ts = 86_400_000;

pub fn vn() -> FixedOffset {
    FixedOffset::east_opt(VN_OFFSET_SECS).expect("UTC+7 is a valid offset")
}

pub fn now_ms() -> Ts {
    Utc::now().timestamp_millis()
}

/// RFC 3339 in Vietnam's offset, the way every timestamp leaves the server.
pub fn format_ts(ts: Ts) -> String {
    match Utc.timestamp_millis_opt(ts).single() {
        Some(t) => t
            .with_timezone(&vn())
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
        None => ts.to_string(),
    }
}

/// Accepts an RFC 3339 instant or a plain date. A plain date used as a deadline means the end
/// of that day in Vietnam (`end_of_day`), used as a start it means the beginning.
pub fn parse_ts(s: &str, end_of_day: bool) -> Result<Ts, String> {
    // RFC 3339 years are four digits with no sign; chrono's date parser alone would take
    // `-2026-01-01` (a deadline 4,000 years ago, overdue for ever) and `+2026-…`.
    if !starts_with_year(s) {
        return Err(format!(
            "'{s}' is not an RFC 3339 time (2026-11-22T08:00:00+07:00) or a date (2026-11-22): the year is four digits from 1900 to 2999, with no sign"
        ));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let start = day_start(d);
        return Ok(if end_of_day {
            start + 86_400_000 - 1
        } else {
            start
        });
    }
    Err(format!(
        "'{s}' is not an RFC 3339 time (2026-11-22T08:00:00+07:00) or a date (2026-11-22)"
    ))
}

/// A number written with ASCII digits only (`str::parse` also takes a leading `+`).
fn digits(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Four ASCII digits, in 1900..=2999 like every period, then a dash.
fn starts_with_year(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 4
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && s[..4]
            .parse()
            .is_ok_and(|y: u16| (1900..=2999).contains(&y))
}

pub fn day_start(d: NaiveDate) -> Ts {
    let naive = d.and_hms_opt(0, 0, 0).expect("midnight exists");
    vn().from_local_datetime(&naive)
        .single()
        .expect("a fixed offset has no gaps")
        .timestamp_millis()
}

/// A reporting period: a year (`2026`), a quarter (`2026-Q4`), a month (`2026-11`) or an ISO week
/// (`2026-W47`), in Vietnam's calendar. `start` is inclusive, `end` exclusive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub start: Ts,
    pub end: Ts,
    pub kind: PeriodKind,
    label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl PeriodKind {
    /// The kind of period an observation of a KPI with this frequency must name.
    pub fn of(frequency: super::Frequency) -> PeriodKind {
        use super::Frequency;
        match frequency {
            Frequency::Daily => PeriodKind::Day,
            Frequency::Weekly => PeriodKind::Week,
            Frequency::Monthly => PeriodKind::Month,
            Frequency::Quarterly => PeriodKind::Quarter,
            Frequency::Yearly => PeriodKind::Year,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Day => "day",
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Year => "year",
        }
    }
}

impl Period {
    pub fn parse(s: &str) -> Result<Period, String> {
        let bad = || {
            format!("'{s}' is not a period: use a year (2026), quarter (2026-Q4), month (2026-11), ISO week (2026-W47) or day (2026-11-22)")
        };
        // A period starts with its four-digit year: no sign, no spaces.
        if !(s.len() >= 4 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit)) {
            return Err(bad());
        }
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            if !(1900..=2999).contains(&d.year()) {
                return Err(bad());
            }
            let start = day_start(d);
            return Ok(Period {
                start,
                end: start + 86_400_000,
                kind: PeriodKind::Day,
                label: s.to_string(),
            });
        }
        let date = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).ok_or_else(bad);
        let (start, end, kind) = if let Some((y, rest)) = s.split_once('-') {
            let y: i32 = y.parse().map_err(|_| bad())?;
            if let Some(q) = rest.strip_prefix('Q') {
                let q = digits(q).ok_or_else(bad)?;
                if !(1..=4).contains(&q) {
                    return Err(bad());
                }
                let start = date(y, 3 * q - 2, 1)?;
                let end = if q == 4 {
                    date(y + 1, 1, 1)?
                } else {
                    date(y, 3 * q + 1, 1)?
                };
                (start, end, PeriodKind::Quarter)
            } else if let Some(w) = rest.strip_prefix('W') {
                let w = digits(w).ok_or_else(bad)?;
                let start =
                    NaiveDate::from_isoywd_opt(y, w, chrono::Weekday::Mon).ok_or_else(bad)?;
                (start, start + chrono::Duration::days(7), PeriodKind::Week)
            } else {
                let m = digits(rest).ok_or_else(bad)?;
                let start = date(y, m, 1)?;
                let end = if m == 12 {
                    date(y + 1, 1, 1)?
                } else {
                    date(y, m + 1, 1)?
                };
                (start, end, PeriodKind::Month)
            }
        } else {
            let y: i32 = s.parse().map_err(|_| bad())?;
            if !(1900..=2999).contains(&y) {
                return Err(bad());
            }
            (date(y, 1, 1)?, date(y + 1, 1, 1)?, PeriodKind::Year)
        };
        if !(1900..=2999).contains(&start.year()) {
            return Err(bad());
        }
        // One spelling per period (`2026-1` and `2026-01` are the same month): labels key
        // stored rows, so a variant spelling must not file data under a key nobody reads.
        let label = match kind {
            PeriodKind::Year => format!("{}", start.year()),
            PeriodKind::Quarter => format!("{}-Q{}", start.year(), (start.month() - 1) / 3 + 1),
            PeriodKind::Month => format!("{}-{:02}", start.year(), start.month()),
            PeriodKind::Week => {
                let w = start.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            PeriodKind::Day => start.format("%Y-%m-%d").to_string(),
        };
        Ok(Period {
            start: day_start(start),
            end: day_start(end),
            kind,
            label,
        })
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// Whether `other` lies wholly within this period (a month within its quarter, or itself).
    pub fn contains(&self, other: &Period) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// Share of the period elapsed at `now`, 0.0 to 1.0: the pace a key result is held to.
    pub fn elapsed(&self, now: Ts) -> f64 {
        if now <= self.start {
            0.0
        } else if now >= self.end {
            1.0
        } else {
            (now - self.start) as f64 / (self.end - self.start) as f64
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.label)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Period::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Days allowed after a period's end to enter its value (KPI entry and reminders): the same
/// grace the stale-data rule allows.
pub fn entry_grace_days(f: super::Frequency) -> i64 {
    match f {
        super::Frequency::Daily => 1,
        super::Frequency::Weekly => 2,
        super::Frequency::Monthly => 3,
        super::Frequency::Quarterly => 7,
        super::Frequency::Yearly => 15,
    }
}

/// When a period's value is due: the end of its grace, as the last millisecond of its day.
pub fn entry_due(p: &Period, f: super::Frequency) -> Ts {
    p.end + entry_grace_days(f) * DAY - 1
}

/// The label of the period of `frequency` that lies `back` periods before the one holding `ts`,
/// in Vietnam's calendar: `2026`, `2026-Q4`, `2026-11`, `2026-W47`, `2026-11-22`.
pub fn period_label(frequency: super::Frequency, ts: Ts, back: u32) -> String {
    let local = match Utc.timestamp_millis_opt(ts).single() {
        Some(t) => t.with_timezone(&vn()),
        None => Utc
            .timestamp_millis_opt(0)
            .single()
            .expect("the epoch exists")
            .with_timezone(&vn()),
    };
    let back_i = i64::from(back);
    match frequency {
        super::Frequency::Yearly => format!("{}", i64::from(local.year()) - back_i),
        super::Frequency::Quarterly => {
            let idx = i64::from(local.year()) * 4 + i64::from(local.month0() / 3) - back_i;
            format!("{}-Q{}", idx.div_euclid(4), idx.rem_euclid(4) + 1)
        }
        super::Frequency::Monthly => {
            let idx = i64::from(local.year()) * 12 + i64::from(local.month0()) - back_i;
            format!("{}-{:02}", idx.div_euclid(12), idx.rem_euclid(12) + 1)
        }
        super::Frequency::Weekly => {
            let day = local.date_naive() - chrono::Duration::days(7 * back_i);
            let w = day.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }
        super::Frequency::Daily => (local.date_naive() - chrono::Duration::days(back_i))
            .format("%Y-%m-%d")
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_periods_take_a_four_digit_year_without_a_sign() {
        for bad in [
            "-2026-01-01",
            "+2026-01-01",
            "-2026-01-01T08:00:00+07:00",
            "+002026-01-01T08:00:00Z",
            " 2026-01-01",
            "0999-01-01",
            "3000-01-01",
        ] {
            assert!(parse_ts(bad, false).is_err(), "{bad} refused");
        }
        assert!(parse_ts("2026-01-01", true).is_ok());
        assert!(parse_ts("2026-01-01T08:00:00+07:00", false).is_ok());
        for bad in ["-2026", "+2026", "+2026-Q4", "-2026-11", " 2026"] {
            assert!(Period::parse(bad).is_err(), "{bad} refused");
        }
        assert_eq!(Period::parse("2026").unwrap().label(), "2026");
    }

    #[test]
    fn periods_follow_the_vietnamese_calendar() {
        let q4 = Period::parse("2026-Q4").unwrap();
        assert_eq!(format_ts(q4.start), "2026-10-01T00:00:00.000+07:00");
        assert_eq!(format_ts(q4.end), "2027-01-01T00:00:00.000+07:00");
        let w = Period::parse("2026-W01").unwrap();
        assert_eq!(format_ts(w.start), "2025-12-29T00:00:00.000+07:00");
        let m = Period::parse("2026-02").unwrap();
        assert_eq!(m.end - m.start, 28 * 86_400_000);
        assert!(Period::parse("2026-Q5").is_err());
        for (variant, label) in [
            ("2026-1", "2026-01"),
            ("2026-Q04", "2026-Q4"),
            ("2026-W7", "2026-W07"),
        ] {
            assert_eq!(Period::parse(variant).unwrap().label(), label, "{variant}");
        }
        // Signs are not spellings of a period (issue 15: no signed years anywhere).
        for signed in ["2026-+11", "+2026-11", "+2026"] {
            assert!(Period::parse(signed).is_err(), "{signed}");
        }
        assert!(Period::parse("2026-13").is_err());
        assert!(Period::parse("soon").is_err());
    }

    #[test]
    fn a_plain_date_deadline_lasts_the_whole_day() {
        let end = parse_ts("2026-11-22", true).unwrap();
        assert_eq!(format_ts(end), "2026-11-22T23:59:59.999+07:00");
        let start = parse_ts("2026-11-22", false).unwrap();
        assert_eq!(end - start, 86_400_000 - 1);
        assert!(parse_ts("22/11/2026", true).is_err());
    }

    #[test]
    fn elapsed_is_clamped_to_the_period() {
        let y = Period::parse("2026").unwrap();
        assert_eq!(y.elapsed(y.start - 1), 0.0);
        assert_eq!(y.elapsed(y.end + 1), 1.0);
        let mid = y.elapsed((y.start + y.end) / 2);
        assert!((mid - 0.5).abs() < 1e-9);
    }
}
