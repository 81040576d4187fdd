//! Rolling figures up from units to their parent: what one task adds to its unit and person
//! (`TaskAgg`, integers so sums kept by adding and subtracting stay exact; the rollup keeps them
//! and the store recomputes them in SQL to check it), and the rule a KPI names (sum, mean,
//! weighted mean, min, max, worst status) with the value and status it gives from the units' own.

use super::{KpiStatus, Task, TaskStatus, Thresholds, Ts};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What tasks add up to: counts by status, overdue, done on time or late, and progress.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TaskAgg {
    pub by_status: [i64; 6],
    pub overdue: i64,
    pub done_on_time: i64,
    pub done_late: i64,
    /// Sum of progress (hundredths of a percent) over tasks that are not cancelled.
    pub progress_sum: i64,
    pub progress_n: i64,
}

impl TaskAgg {
    pub fn of(t: &Task, now: Ts) -> TaskAgg {
        TaskAgg::of_parts(
            t.status,
            t.progress,
            t.deadline,
            t.done_at,
            t.is_overdue(now),
        )
    }

    /// What one task with these fields adds, `overdue` or not (the rollup's cache keeps the
    /// flag rather than the task's whole aggregate).
    pub fn of_parts(
        status: TaskStatus,
        progress: i64,
        deadline: Ts,
        done_at: Option<Ts>,
        overdue: bool,
    ) -> TaskAgg {
        let mut a = TaskAgg::default();
        a.by_status[status.index()] = 1;
        if status != TaskStatus::Cancelled {
            a.progress_sum = progress;
            a.progress_n = 1;
        }
        a.overdue = i64::from(overdue);
        if status == TaskStatus::Accepted {
            match done_at {
                Some(d) if d <= deadline => a.done_on_time = 1,
                _ => a.done_late = 1,
            }
        }
        a
    }

    pub fn add(&mut self, o: &TaskAgg, sign: i64) {
        for i in 0..6 {
            self.by_status[i] += sign * o.by_status[i];
        }
        self.overdue += sign * o.overdue;
        self.done_on_time += sign * o.done_on_time;
        self.done_late += sign * o.done_late;
        self.progress_sum += sign * o.progress_sum;
        self.progress_n += sign * o.progress_n;
    }

    pub fn total(&self) -> i64 {
        self.by_status.iter().sum()
    }

    /// Open work: everything not accepted or cancelled.
    pub fn open(&self) -> i64 {
        TaskStatus::ALL
            .iter()
            .filter(|s| s.is_open())
            .map(|s| self.by_status[s.index()])
            .sum()
    }

    pub fn on_time_rate(&self) -> Option<f64> {
        let done = self.done_on_time + self.done_late;
        (done > 0).then(|| self.done_on_time as f64 / done as f64)
    }

    /// Mean progress in percent.
    pub fn avg_progress(&self) -> Option<f64> {
        (self.progress_n > 0).then(|| self.progress_sum as f64 / self.progress_n as f64 / 100.0)
    }
}

/// How a parent unit's value of a KPI follows from its units' values.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum RollupRule {
    Sum,
    Mean,
    /// Weighted by another KPI's value in each unit (its population, its number of cases).
    WeightedMean {
        /// The code of the KPI whose value in each unit is that unit's weight.
        weight: String,
    },
    Min,
    Max,
    /// No value, only a status: the worst of the units' statuses. The default, because it needs
    /// nothing of the KPI and never adds up what does not add up.
    #[default]
    WorstStatus,
}

impl RollupRule {
    pub fn as_str(&self) -> &'static str {
        match self {
            RollupRule::Sum => "sum",
            RollupRule::Mean => "mean",
            RollupRule::WeightedMean { .. } => "weighted_mean",
            RollupRule::Min => "min",
            RollupRule::Max => "max",
            RollupRule::WorstStatus => "worst_status",
        }
    }

    /// The rule as one CSV cell: `sum`, `mean`, `min`, `max`, `worst_status`, or
    /// `weighted_mean:WEIGHT-KPI`.
    pub fn parse_text(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(weight) = s.strip_prefix("weighted_mean") {
            let weight = weight
                .strip_prefix(':')
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .ok_or("weighted_mean needs the weight's KPI code: weighted_mean:CODE")?;
            return Ok(RollupRule::WeightedMean {
                weight: weight.to_string(),
            });
        }
        Ok(match s {
            "sum" => RollupRule::Sum,
            "mean" => RollupRule::Mean,
            "min" => RollupRule::Min,
            "max" => RollupRule::Max,
            "worst_status" => RollupRule::WorstStatus,
            _ => {
                return Err(format!(
                    "unknown roll-up rule '{s}': use sum, mean, weighted_mean:CODE, min, max or worst_status"
                ))
            }
        })
    }
}

/// One unit's contribution.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub unit: String,
    pub value: Option<f64>,
    /// The unit's value of the weight KPI; only `WeightedMean` reads it.
    pub weight: Option<f64>,
    pub status: KpiStatus,
}

/// The parent's value and status, and how many units made it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Aggregate {
    pub value: Option<f64>,
    pub status: KpiStatus,
    /// The units that went into the result.
    pub counted: usize,
    /// The units left out for want of data: no value (or no weight, for a weighted mean; no
    /// status, for the worst status).
    pub missing: Vec<String>,
}

pub fn aggregate(rule: &RollupRule, thresholds: &Thresholds, parts: &[Part]) -> Aggregate {
    let usable = |x: Option<f64>| x.filter(|x| x.is_finite());
    let mut missing = Vec::new();
    let (value, counted) = match rule {
        RollupRule::WorstStatus => return worst_status(parts),
        RollupRule::WeightedMean { .. } => {
            let (mut sum, mut weights, mut counted) = (0.0, 0.0, 0);
            for p in parts {
                match (usable(p.value), usable(p.weight).filter(|w| *w >= 0.0)) {
                    // A zero weight is a weight: the unit is not missing, it counts for nothing.
                    (Some(v), Some(w)) => {
                        if w > 0.0 {
                            sum += v * w;
                            weights += w;
                            counted += 1;
                        }
                    }
                    _ => missing.push(p.unit.clone()),
                }
            }
            ((weights > 0.0).then(|| sum / weights), counted)
        }
        RollupRule::Sum | RollupRule::Mean | RollupRule::Min | RollupRule::Max => {
            let mut values = Vec::with_capacity(parts.len());
            for p in parts {
                match usable(p.value) {
                    Some(v) => values.push(v),
                    None => missing.push(p.unit.clone()),
                }
            }
            let n = values.len();
            let value = (n > 0).then(|| match rule {
                RollupRule::Sum => values.iter().sum(),
                RollupRule::Mean => values.iter().sum::<f64>() / n as f64,
                RollupRule::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
                _ => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            });
            (value, n)
        }
    };
    // A sum of large values can overflow; that is no data, not an infinite green.
    let value = value.filter(|v| v.is_finite());
    Aggregate {
        value,
        status: value.map_or(KpiStatus::NoData, |v| thresholds.status(v)),
        counted,
        missing,
    }
}

fn worst_status(parts: &[Part]) -> Aggregate {
    let rank = |s: KpiStatus| match s {
        KpiStatus::NoData => 0,
        KpiStatus::Green => 1,
        KpiStatus::Yellow => 2,
        KpiStatus::Red => 3,
    };
    let (with, without): (Vec<&Part>, Vec<&Part>) =
        parts.iter().partition(|p| p.status != KpiStatus::NoData);
    Aggregate {
        value: None,
        status: with
            .iter()
            .map(|p| p.status)
            .max_by_key(|&s| rank(s))
            .unwrap_or(KpiStatus::NoData),
        counted: with.len(),
        missing: without.into_iter().map(|p| p.unit.clone()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HIGHER: Thresholds = Thresholds::HigherIsBetter {
        green: 90.0,
        red: 70.0,
    };

    fn part(unit: &str, value: Option<f64>, weight: Option<f64>) -> Part {
        Part {
            unit: unit.into(),
            value,
            weight,
            status: value.map_or(KpiStatus::NoData, |v| HIGHER.status(v)),
        }
    }

    fn three() -> Vec<Part> {
        vec![
            part("P1", Some(100.0), Some(1.0)),
            part("P2", Some(80.0), Some(3.0)),
            part("P3", None, Some(5.0)),
        ]
    }

    #[test]
    fn sum_mean_min_and_max_use_the_units_with_a_value() {
        let parts = three();
        let sum = aggregate(&RollupRule::Sum, &HIGHER, &parts);
        assert_eq!(sum.value, Some(180.0));
        assert_eq!(sum.status, KpiStatus::Green);
        assert_eq!(sum.counted, 2);
        assert_eq!(sum.missing, ["P3"]);
        let mean = aggregate(&RollupRule::Mean, &HIGHER, &parts);
        assert_eq!(mean.value, Some(90.0));
        assert_eq!(mean.status, KpiStatus::Green);
        let min = aggregate(&RollupRule::Min, &HIGHER, &parts);
        assert_eq!(min.value, Some(80.0));
        assert_eq!(min.status, KpiStatus::Yellow);
        let max = aggregate(&RollupRule::Max, &HIGHER, &parts);
        assert_eq!(max.value, Some(100.0));
        assert_eq!((max.counted, max.missing.len()), (2, 1));
    }

    #[test]
    fn weighted_mean_weighs_each_unit() {
        let rule = RollupRule::WeightedMean {
            weight: "DS-01".into(),
        };
        let agg = aggregate(&rule, &HIGHER, &three());
        assert_eq!(agg.value, Some(85.0));
        assert_eq!(agg.status, KpiStatus::Yellow);
        assert_eq!(agg.counted, 2);
        assert_eq!(agg.missing, ["P3"]);
    }

    #[test]
    fn weighted_mean_leaves_out_a_unit_without_weight() {
        let rule = RollupRule::WeightedMean { weight: "W".into() };
        let parts = vec![
            part("P1", Some(100.0), Some(1.0)),
            part("P2", Some(50.0), None),
            part("P3", Some(60.0), Some(0.0)),
        ];
        let agg = aggregate(&rule, &HIGHER, &parts);
        assert_eq!(agg.value, Some(100.0));
        assert_eq!(agg.counted, 1);
        assert_eq!(agg.missing, ["P2"]);
        let zero = vec![part("P3", Some(60.0), Some(0.0))];
        let agg = aggregate(&rule, &HIGHER, &zero);
        assert_eq!((agg.value, agg.status), (None, KpiStatus::NoData));
    }

    #[test]
    fn all_missing_is_no_data_for_every_rule() {
        let parts = vec![part("P1", None, None), part("P2", None, None)];
        for rule in [
            RollupRule::Sum,
            RollupRule::Mean,
            RollupRule::WeightedMean { weight: "W".into() },
            RollupRule::Min,
            RollupRule::Max,
            RollupRule::WorstStatus,
        ] {
            let agg = aggregate(&rule, &HIGHER, &parts);
            assert_eq!(agg.value, None, "{rule:?}");
            assert_eq!(agg.status, KpiStatus::NoData, "{rule:?}");
            assert_eq!(agg.counted, 0);
            assert_eq!(agg.missing, ["P1", "P2"]);
        }
        let none = aggregate(&RollupRule::Sum, &HIGHER, &[]);
        assert_eq!((none.value, none.status), (None, KpiStatus::NoData));
    }

    #[test]
    fn worst_status_ignores_units_without_data() {
        let parts = vec![
            part("P1", Some(100.0), None),
            part("P2", None, None),
            part("P3", Some(80.0), None),
        ];
        let agg = aggregate(&RollupRule::WorstStatus, &HIGHER, &parts);
        assert_eq!(agg.status, KpiStatus::Yellow);
        assert_eq!(agg.value, None);
        assert_eq!(agg.counted, 2);
        assert_eq!(agg.missing, ["P2"]);
        let red = [part("P4", Some(10.0), None)];
        let all: Vec<Part> = parts.iter().chain(&red).cloned().collect();
        let agg = aggregate(&RollupRule::WorstStatus, &HIGHER, &all);
        assert_eq!(agg.status, KpiStatus::Red);
    }

    #[test]
    fn rules_read_and_write_as_json_and_text() {
        let rule = RollupRule::WeightedMean {
            weight: "DS-01".into(),
        };
        let json = serde_json::to_value(&rule).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"rule": "weighted_mean", "weight": "DS-01"})
        );
        let back: RollupRule = serde_json::from_value(json).unwrap();
        assert_eq!(back, rule);
        let sum: RollupRule = serde_json::from_str(r#"{"rule":"sum"}"#).unwrap();
        assert_eq!(sum, RollupRule::Sum);
        assert_eq!(RollupRule::default(), RollupRule::WorstStatus);
        assert_eq!(RollupRule::default().as_str(), "worst_status");
        assert_eq!(RollupRule::parse_text("weighted_mean:DS-01"), Ok(rule));
        assert_eq!(RollupRule::parse_text(" sum "), Ok(RollupRule::Sum));
        for r in ["sum", "mean", "min", "max", "worst_status"] {
            assert_eq!(RollupRule::parse_text(r).unwrap().as_str(), r);
        }
        assert!(RollupRule::parse_text("weighted_mean").is_err());
        assert!(RollupRule::parse_text("weighted_mean:").is_err());
        assert!(RollupRule::parse_text("weighted_meanX").is_err());
        assert!(RollupRule::parse_text("median").is_err());
    }
}
