//! The words the server and the alert engine share, defined once: unit levels, the four KPI
//! index groups, reporting frequencies, a KPI's thresholds with the colour (status) and
//! severity of a value, and task statuses. The server's domain re-exports them and the engine
//! (`alert-rules`) takes them as they are, so a KPI handed to the engine needs no conversion
//! that could fail, and the compiler checks that both read a threshold alike.
//!
//! Pure: serde only (and, with the `openapi` feature, utoipa's schema derive for the server).

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, as the server and the engine count time.
type Ms = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UnitLevel {
    City,
    Department,
    Agency,
    Ward,
    Commune,
    Division,
}

impl UnitLevel {
    /// Every level, in the order rule files document them.
    pub const ALL: [UnitLevel; 6] = [
        UnitLevel::City,
        UnitLevel::Department,
        UnitLevel::Agency,
        UnitLevel::Ward,
        UnitLevel::Commune,
        UnitLevel::Division,
    ];

    /// The spelling on the wire and in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitLevel::City => "city",
            UnitLevel::Department => "department",
            UnitLevel::Agency => "agency",
            UnitLevel::Ward => "ward",
            UnitLevel::Commune => "commune",
            UnitLevel::Division => "division",
        }
    }

    /// The inverse of [`UnitLevel::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IndexGroup {
    /// Kết quả phát triển: development results.
    Development,
    /// Phục vụ chính quyền: government service.
    Service,
    /// Công tác Đảng: Party work.
    Party,
    /// Nội chính, phòng chống tham nhũng, dư luận: internal affairs, anti-corruption, opinion.
    Internal,
}

impl IndexGroup {
    pub const ALL: [IndexGroup; 4] = [
        IndexGroup::Development,
        IndexGroup::Service,
        IndexGroup::Party,
        IndexGroup::Internal,
    ];
    pub fn index(self) -> usize {
        self as usize
    }
    /// The spelling on the wire and in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            IndexGroup::Development => "development",
            IndexGroup::Service => "service",
            IndexGroup::Party => "party",
            IndexGroup::Internal => "internal",
        }
    }
    /// The inverse of [`IndexGroup::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Yearly,
}

impl Frequency {
    pub const ALL: [Frequency; 5] = [
        Frequency::Daily,
        Frequency::Weekly,
        Frequency::Monthly,
        Frequency::Quarterly,
        Frequency::Yearly,
    ];

    /// The spelling on the wire and in rule and test files.
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::Yearly => "yearly",
        }
    }

    /// The inverse of [`Frequency::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// How long a value stays current: the longest period of this frequency plus a grace for
    /// entering it (the same defaults as the built-in stale-data alert). Older, the series counts
    /// as "no data" on every board, whatever its last value said.
    pub fn stale_after(self) -> Ms {
        const DAY: Ms = 86_400_000;
        match self {
            Frequency::Daily => 2 * DAY,
            Frequency::Weekly => 9 * DAY,
            Frequency::Monthly => 34 * DAY,
            Frequency::Quarterly => 99 * DAY,
            Frequency::Yearly => 381 * DAY,
        }
    }
}

/// A KPI's direction together with its thresholds, so that a threshold can never be read with
/// the wrong direction. Green and red are the edges of their bands; yellow lies between.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "direction", rename_all = "snake_case")]
pub enum Thresholds {
    /// Green when value >= green, red when value < red.
    HigherIsBetter { green: f64, red: f64 },
    /// Green when value <= green, red when value > red.
    LowerIsBetter { green: f64, red: f64 },
    /// Green inside [green_low, green_high], red outside [red_low, red_high].
    InBand {
        green_low: f64,
        green_high: f64,
        red_low: f64,
        red_high: f64,
    },
}

impl Thresholds {
    /// Checks the ordering of the edges, so a KPI cannot be defined that never turns red.
    pub fn validate(&self) -> Result<(), String> {
        let finite = |xs: &[f64]| xs.iter().all(|x| x.is_finite());
        match *self {
            Thresholds::HigherIsBetter { green, red } => {
                if !finite(&[green, red]) {
                    return Err("thresholds must be finite numbers".into());
                }
                if green < red {
                    return Err(format!(
                        "higher_is_better needs green ({green}) >= red ({red})"
                    ));
                }
            }
            Thresholds::LowerIsBetter { green, red } => {
                if !finite(&[green, red]) {
                    return Err("thresholds must be finite numbers".into());
                }
                if green > red {
                    return Err(format!(
                        "lower_is_better needs green ({green}) <= red ({red})"
                    ));
                }
            }
            Thresholds::InBand {
                green_low,
                green_high,
                red_low,
                red_high,
            } => {
                if !finite(&[green_low, green_high, red_low, red_high]) {
                    return Err("thresholds must be finite numbers".into());
                }
                if !(red_low <= green_low && green_low <= green_high && green_high <= red_high) {
                    return Err(format!(
                        "in_band needs red_low <= green_low <= green_high <= red_high, got {red_low}, {green_low}, {green_high}, {red_high}"
                    ));
                }
            }
        }
        Ok(())
    }

    /// The colour of a value: green, yellow or red (never "no data": there is a value).
    pub fn status(&self, value: f64) -> KpiStatus {
        match *self {
            Thresholds::HigherIsBetter { green, red } => {
                if value >= green {
                    KpiStatus::Green
                } else if value < red {
                    KpiStatus::Red
                } else {
                    KpiStatus::Yellow
                }
            }
            Thresholds::LowerIsBetter { green, red } => {
                if value <= green {
                    KpiStatus::Green
                } else if value > red {
                    KpiStatus::Red
                } else {
                    KpiStatus::Yellow
                }
            }
            Thresholds::InBand {
                green_low,
                green_high,
                red_low,
                red_high,
            } => {
                if (green_low..=green_high).contains(&value) {
                    KpiStatus::Green
                } else if value < red_low || value > red_high {
                    KpiStatus::Red
                } else {
                    KpiStatus::Yellow
                }
            }
        }
    }

    /// The severity of a value, `None` when it is green: the status's colour, so a board and
    /// an alert never disagree about it.
    pub fn severity(&self, value: f64) -> Option<Severity> {
        match self.status(value) {
            KpiStatus::Red => Some(Severity::Red),
            KpiStatus::Yellow => Some(Severity::Yellow),
            KpiStatus::Green | KpiStatus::NoData => None,
        }
    }

    /// The threshold a value crossed to reach `severity` (for `{threshold}` in alert
    /// summaries); for an in-band KPI the side is the one the value is on.
    pub fn edge(&self, severity: Option<Severity>, value: Option<f64>) -> f64 {
        match (*self, severity) {
            (Thresholds::HigherIsBetter { red, .. }, Some(Severity::Red))
            | (Thresholds::LowerIsBetter { red, .. }, Some(Severity::Red)) => red,
            (Thresholds::HigherIsBetter { green, .. }, _)
            | (Thresholds::LowerIsBetter { green, .. }, _) => green,
            (
                Thresholds::InBand {
                    green_low,
                    green_high,
                    red_low,
                    red_high,
                },
                sev,
            ) => {
                let low_side = value.is_some_and(|v| v < green_low);
                match (sev, low_side) {
                    (Some(Severity::Red), true) => red_low,
                    (Some(Severity::Red), false) => red_high,
                    (_, true) => green_low,
                    (_, false) => green_high,
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KpiStatus {
    Green,
    Yellow,
    Red,
    NoData,
}

impl KpiStatus {
    pub const ALL: [KpiStatus; 4] = [
        KpiStatus::Green,
        KpiStatus::Yellow,
        KpiStatus::Red,
        KpiStatus::NoData,
    ];
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Alert severity; `Red` is the more severe, so `Ord` puts it last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Yellow,
    Red,
}

impl Severity {
    /// `"yellow"` or `"red"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Yellow => "yellow",
            Severity::Red => "red",
        }
    }

    /// The inverse of [`Severity::as_str`].
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "yellow" => Some(Severity::Yellow),
            "red" => Some(Severity::Red),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Todo,
    InProgress,
    Submitted,
    Accepted,
    Returned,
    Cancelled,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 6] = [
        TaskStatus::Todo,
        TaskStatus::InProgress,
        TaskStatus::Submitted,
        TaskStatus::Accepted,
        TaskStatus::Returned,
        TaskStatus::Cancelled,
    ];
    pub fn index(self) -> usize {
        self as usize
    }
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Todo => "todo",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Submitted => "submitted",
            TaskStatus::Accepted => "accepted",
            TaskStatus::Returned => "returned",
            TaskStatus::Cancelled => "cancelled",
        }
    }
    /// The inverse of [`TaskStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// Still the official's to do: counts as workload and can become overdue. A submitted task
    /// waits on its acceptor, not its assignee, so it is open but never overdue.
    pub fn is_open(self) -> bool {
        !matches!(self, TaskStatus::Accepted | TaskStatus::Cancelled)
    }
    /// Work still lies with the responsible person: overdue once its deadline passes, "due
    /// soon" before. A submitted task waits on its acceptor, so it is neither.
    pub fn can_be_overdue(self) -> bool {
        matches!(
            self,
            TaskStatus::Todo | TaskStatus::InProgress | TaskStatus::Returned
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kpi_status_respects_direction_and_band() {
        let hi = Thresholds::HigherIsBetter {
            green: 90.0,
            red: 70.0,
        };
        assert_eq!(hi.status(90.0), KpiStatus::Green);
        assert_eq!(hi.status(80.0), KpiStatus::Yellow);
        assert_eq!(hi.status(70.0), KpiStatus::Yellow);
        assert_eq!(hi.status(69.9), KpiStatus::Red);
        let lo = Thresholds::LowerIsBetter {
            green: 2.0,
            red: 5.0,
        };
        assert_eq!(lo.status(1.0), KpiStatus::Green);
        assert_eq!(lo.status(5.0), KpiStatus::Yellow);
        assert_eq!(lo.status(5.1), KpiStatus::Red);
        let band = Thresholds::InBand {
            green_low: 4.0,
            green_high: 6.0,
            red_low: 2.0,
            red_high: 8.0,
        };
        assert_eq!(band.status(5.0), KpiStatus::Green);
        assert_eq!(band.status(3.0), KpiStatus::Yellow);
        assert_eq!(band.status(8.5), KpiStatus::Red);
        assert!(Thresholds::HigherIsBetter {
            green: 1.0,
            red: 2.0
        }
        .validate()
        .is_err());
        assert!(Thresholds::LowerIsBetter {
            green: 3.0,
            red: 2.0
        }
        .validate()
        .is_err());
        assert!(Thresholds::HigherIsBetter {
            green: f64::NAN,
            red: 2.0
        }
        .validate()
        .is_err());
    }

    #[test]
    fn severity_is_the_status_colour() {
        let band = Thresholds::InBand {
            green_low: 4.0,
            green_high: 6.0,
            red_low: 2.0,
            red_high: 8.0,
        };
        for v in [0.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0] {
            let expected = match band.status(v) {
                KpiStatus::Red => Some(Severity::Red),
                KpiStatus::Yellow => Some(Severity::Yellow),
                _ => None,
            };
            assert_eq!(band.severity(v), expected, "{v}");
        }
    }

    #[test]
    fn spellings_round_trip() {
        for l in UnitLevel::ALL {
            assert_eq!(UnitLevel::parse(l.as_str()), Some(l));
        }
        for g in IndexGroup::ALL {
            assert_eq!(IndexGroup::parse(g.as_str()), Some(g));
        }
        for f in Frequency::ALL {
            assert_eq!(Frequency::parse(f.as_str()), Some(f));
        }
        for s in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(s.as_str()), Some(s));
        }
    }
}
