//! The built-in rules that need no file (KPI thresholds, stale data, key-result pace, overdue and
//! due-soon tasks) and the configuration that turns each off or tunes it.

use crate::condition::{Cond, Op};
use crate::duration::{format_duration, serde_ms, DAY};
use crate::metric::Metric;
use crate::rule::{Levels, Role, Rule, Scope, StaleTable};
use crate::source::RuleError;
use crate::template::Template;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Configuration of the built-in rules. `Default` enables them all with the documented values;
/// every field can be given in a server's TOML config (durations as `"3d"`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Builtins {
    /// `builtin.kpi_thresholds`: every KPI series against its KPI's own thresholds.
    pub kpi_thresholds: KpiThresholds,
    /// `builtin.kpi_stale`: KPI series not updated within their frequency plus a grace period.
    pub kpi_stale: KpiStale,
    /// `builtin.key_result_pace`: key results behind the time elapsed in their period.
    pub key_result_pace: KeyResultPace,
    /// `builtin.task_overdue`: open tasks past their deadline.
    pub task_overdue: TaskOverdue,
    /// `builtin.task_due_soon`: open tasks close to their deadline with little progress.
    pub task_due_soon: TaskDueSoon,
}

/// `builtin.kpi_thresholds`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KpiThresholds {
    pub enabled: bool,
    /// A red KPI not acknowledged within this goes to the parent unit's leader.
    #[serde(with = "serde_ms::option", skip_serializing_if = "Option::is_none")]
    pub escalate_after: Option<i64>,
}

impl Default for KpiThresholds {
    fn default() -> Self {
        KpiThresholds {
            enabled: true,
            escalate_after: None,
        }
    }
}

/// `builtin.kpi_stale`. Yellow once a series has gone one reporting period plus the grace
/// without an update, red after a second period: a whole report was skipped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KpiStale {
    pub enabled: bool,
    pub grace: Grace,
    #[serde(with = "serde_ms::option", skip_serializing_if = "Option::is_none")]
    pub escalate_after: Option<i64>,
}

impl Default for KpiStale {
    fn default() -> Self {
        KpiStale {
            enabled: true,
            grace: Grace::default(),
            escalate_after: None,
        }
    }
}

/// Grace period per reporting frequency, added to the period's length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Grace {
    #[serde(with = "serde_ms")]
    pub daily: i64,
    #[serde(with = "serde_ms")]
    pub weekly: i64,
    #[serde(with = "serde_ms")]
    pub monthly: i64,
    #[serde(with = "serde_ms")]
    pub quarterly: i64,
    #[serde(with = "serde_ms")]
    pub yearly: i64,
}

impl Default for Grace {
    fn default() -> Self {
        Grace {
            daily: DAY,
            weekly: 2 * DAY,
            monthly: 3 * DAY,
            quarterly: 7 * DAY,
            yearly: 15 * DAY,
        }
    }
}

/// The longest period of each frequency, so that a value entered on time for a long month or
/// quarter never looks late.
pub(crate) const PERIOD: [i64; 5] = [DAY, 7 * DAY, 31 * DAY, 92 * DAY, 366 * DAY];

impl KpiStale {
    /// (yellow, red) thresholds in milliseconds for each frequency, indexed like
    /// [`crate::Frequency::ALL`].
    pub fn thresholds(&self) -> StaleTable {
        let g = &self.grace;
        let grace = [g.daily, g.weekly, g.monthly, g.quarterly, g.yearly];
        let mut table = [(0, 0); 5];
        for (i, slot) in table.iter_mut().enumerate() {
            *slot = (PERIOD[i] + grace[i], 2 * PERIOD[i] + grace[i]);
        }
        table
    }
}

/// `builtin.key_result_pace`: pace gap = progress - elapsed share of the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeyResultPace {
    pub enabled: bool,
    /// Yellow when the gap is below this (default -0.2: 20 points behind).
    pub yellow: f64,
    /// Red when the gap is below this (default -0.4).
    pub red: f64,
    /// Recover only when the gap is above this; default: as soon as it is no longer yellow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recover: Option<f64>,
    #[serde(with = "serde_ms::option", skip_serializing_if = "Option::is_none")]
    pub escalate_after: Option<i64>,
}

impl Default for KeyResultPace {
    fn default() -> Self {
        KeyResultPace {
            enabled: true,
            yellow: -0.2,
            red: -0.4,
            recover: None,
            escalate_after: None,
        }
    }
}

/// `builtin.task_overdue`: yellow as soon as an open task passes its deadline, red after
/// `red_after`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaskOverdue {
    pub enabled: bool,
    #[serde(with = "serde_ms")]
    pub red_after: i64,
    #[serde(with = "serde_ms::option", skip_serializing_if = "Option::is_none")]
    pub escalate_after: Option<i64>,
}

impl Default for TaskOverdue {
    fn default() -> Self {
        TaskOverdue {
            enabled: true,
            red_after: 7 * DAY,
            escalate_after: None,
        }
    }
}

/// `builtin.task_due_soon`: yellow while an open task's deadline is within `within` and its
/// progress is below `below_progress` percent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaskDueSoon {
    pub enabled: bool,
    #[serde(with = "serde_ms")]
    pub within: i64,
    pub below_progress: f64,
}

impl Default for TaskDueSoon {
    fn default() -> Self {
        TaskDueSoon {
            enabled: true,
            within: 3 * DAY,
            below_progress: 50.0,
        }
    }
}

impl Builtins {
    /// Every built-in rule turned off (only file rules run).
    pub fn none() -> Builtins {
        let mut b = Builtins::default();
        b.kpi_thresholds.enabled = false;
        b.kpi_stale.enabled = false;
        b.key_result_pace.enabled = false;
        b.task_overdue.enabled = false;
        b.task_due_soon.enabled = false;
        b
    }

    /// The enabled built-in rules, or what is wrong with the configuration.
    pub(crate) fn rules(&self) -> Result<Vec<Rule>, Vec<RuleError>> {
        let mut errors = Vec::new();
        let mut bad = |field: &str, reason: String| {
            errors.push(RuleError {
                file: "builtin".into(),
                line: 1,
                column: 1,
                field: field.into(),
                reason,
            })
        };
        let mut rules = Vec::new();

        if self.kpi_thresholds.enabled {
            rules.push(rule(
                "builtin.kpi_thresholds",
                Metric::KpiValue,
                Levels::Kpi,
                "{kpi_name} của {unit_name} ở mức {severity}: {value} (ngưỡng {threshold})",
                "{kpi_name} of {unit_name} is {severity}: {value} (threshold {threshold})",
                vec![Role::UnitLeader, Role::KpiDataEntry],
                self.kpi_thresholds.escalate_after,
            ));
        }

        if self.kpi_stale.enabled {
            let g = &self.kpi_stale.grace;
            for (name, ms) in [
                ("daily", g.daily),
                ("weekly", g.weekly),
                ("monthly", g.monthly),
                ("quarterly", g.quarterly),
                ("yearly", g.yearly),
            ] {
                if ms < 0 {
                    bad(
                        &format!("kpi_stale.grace.{name}"),
                        "a grace period cannot be negative".into(),
                    );
                }
            }
            rules.push(rule(
                "builtin.kpi_stale",
                Metric::KpiStaleness,
                Levels::Stale(self.kpi_stale.thresholds()),
                "{kpi_name} của {unit_name} quá hạn cập nhật, cho phép {threshold} (người nhập: {responsible})",
                "{kpi_name} of {unit_name} is overdue for an update, allowed {threshold} (entered by {responsible})",
                vec![Role::KpiDataEntry, Role::UnitLeader],
                self.kpi_stale.escalate_after,
            ));
        }

        if self.key_result_pace.enabled {
            let p = &self.key_result_pace;
            let in_range = |x: f64| x.is_finite() && (-1.0..=1.0).contains(&x);
            if !in_range(p.yellow) {
                bad(
                    "key_result_pace.yellow",
                    format!("{} is not a gap between -1 and 1", p.yellow),
                );
            } else if !in_range(p.red) {
                bad(
                    "key_result_pace.red",
                    format!("{} is not a gap between -1 and 1", p.red),
                );
            } else if p.red >= p.yellow {
                bad(
                    "key_result_pace.red",
                    format!(
                        "red ({}) must be further behind than yellow ({}): pick a lower number",
                        p.red, p.yellow
                    ),
                );
            } else if p.recover.is_some_and(|r| !in_range(r) || r < p.yellow) {
                bad(
                    "key_result_pace.recover",
                    format!("recover must be a gap between yellow ({}) and 1", p.yellow),
                );
            } else {
                let yellow = Cond::new(Op::Lt, p.yellow);
                let recover = p
                    .recover
                    .map_or(yellow.negation(), |r| Cond::new(Op::Ge, r));
                rules.push(rule(
                    "builtin.key_result_pace",
                    Metric::KeyResultPaceGap,
                    Levels::Fixed {
                        yellow: Some(yellow),
                        red: Some(Cond::new(Op::Lt, p.red)),
                        recover,
                    },
                    "Kết quả then chốt “{title}” của {unit_name} chậm tiến độ: {value} so với thời gian đã trôi qua (ngưỡng {threshold})",
                    "Key result “{title}” of {unit_name} is behind pace: {value} against the time elapsed (threshold {threshold})",
                    vec![Role::UnitLeader],
                    p.escalate_after,
                ));
            }
        }

        if self.task_overdue.enabled {
            let t = &self.task_overdue;
            if t.red_after <= 0 {
                bad(
                    "task_overdue.red_after",
                    format!(
                        "must be longer than 0s, got {}",
                        format_duration(t.red_after)
                    ),
                );
            } else {
                let yellow = Cond::new(Op::Gt, 0.0);
                rules.push(rule(
                    "builtin.task_overdue",
                    Metric::TaskOverdue,
                    Levels::Fixed {
                        yellow: Some(yellow),
                        red: Some(Cond::new(Op::Gt, t.red_after as f64)),
                        recover: yellow.negation(),
                    },
                    "Nhiệm vụ “{title}” của {responsible} ({unit_name}) quá hạn",
                    "Task “{title}” of {responsible} ({unit_name}) is overdue",
                    vec![Role::TaskResponsible, Role::TaskAccountable],
                    t.escalate_after,
                ));
            }
        }

        if self.task_due_soon.enabled {
            let t = &self.task_due_soon;
            if t.within <= 0 {
                bad("task_due_soon.within", "must be longer than 0s".into());
            } else if !(t.below_progress > 0.0 && t.below_progress <= 100.0) {
                bad(
                    "task_due_soon.below_progress",
                    format!(
                        "{} is not a percentage above 0 and up to 100",
                        t.below_progress
                    ),
                );
            } else {
                let yellow = Cond::new(Op::Lt, t.below_progress);
                let mut r = rule(
                    "builtin.task_due_soon",
                    Metric::TaskDueSoon,
                    Levels::Fixed {
                        yellow: Some(yellow),
                        red: None,
                        recover: yellow.negation(),
                    },
                    "Nhiệm vụ “{title}” của {responsible} ({unit_name}) sắp đến hạn, tiến độ mới đạt {value}",
                    "Task “{title}” of {responsible} ({unit_name}) is due soon with only {value} done",
                    vec![Role::TaskResponsible, Role::TaskAccountable],
                    None,
                );
                r.within = t.within;
                rules.push(r);
            }
        }

        if errors.is_empty() {
            Ok(rules)
        } else {
            Err(errors)
        }
    }
}

fn rule(
    name: &str,
    metric: Metric,
    levels: Levels,
    vi: &str,
    en: &str,
    notify: Vec<Role>,
    escalate_after: Option<i64>,
) -> Rule {
    Rule {
        name: name.into(),
        origin: "builtin".into(),
        description: None,
        scope: Scope::default(),
        metric,
        kpi: None,
        group: None,
        within: crate::rule::DEFAULT_WITHIN,
        levels,
        for_ms: 0,
        keep_firing_for: 0,
        labels: BTreeMap::new(),
        summary_vi: template(vi),
        summary_en: template(en),
        notify,
        escalate_after,
        group_by: vec![crate::group::GroupBy::Unit],
    }
}

/// Built-in templates are constants checked by the tests below, so a parse failure is a bug; an
/// empty summary is the least harmful fallback.
fn template(text: &str) -> Template {
    Template::parse(text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Frequency;
    use crate::rule::RuleSet;

    #[test]
    fn defaults_load_and_templates_parse() {
        let set = RuleSet::load(&Builtins::default(), &[]).expect("valid defaults");
        let names: Vec<&str> = set.rules().map(|r| r.name()).collect();
        assert_eq!(
            names,
            [
                "builtin.kpi_thresholds",
                "builtin.kpi_stale",
                "builtin.key_result_pace",
                "builtin.task_overdue",
                "builtin.task_due_soon"
            ]
        );
        for r in set.rules() {
            assert!(
                r.summary_vi.placeholders().count() > 0,
                "{} has an empty summary",
                r.name()
            );
            assert!(
                r.summary_en.placeholders().count() > 0,
                "{} has an empty summary",
                r.name()
            );
        }
        assert!(RuleSet::load(&Builtins::none(), &[])
            .expect("valid")
            .is_empty());
    }

    #[test]
    fn stale_thresholds_per_frequency() {
        let t = KpiStale::default().thresholds();
        let monthly = t[crate::rule::freq_index(Frequency::Monthly)];
        assert_eq!(monthly, (34 * DAY, 65 * DAY));
        assert_eq!(t[0], (2 * DAY, 3 * DAY));
    }

    #[test]
    fn bad_config_is_reported() {
        let mut b = Builtins::default();
        b.key_result_pace.red = -0.1;
        let e = RuleSet::load(&b, &[]).expect_err("invalid");
        assert_eq!(e[0].field, "key_result_pace.red");
        assert!(e[0]
            .to_string()
            .starts_with("builtin:1:1: key_result_pace.red:"));
    }

    #[test]
    fn config_reads_from_toml() {
        let b: Builtins = toml::from_str(
            "[kpi_stale.grace]\nmonthly = \"5d\"\n[task_due_soon]\nwithin = \"2d\"\n[key_result_pace]\nenabled = false\n",
        )
        .expect("valid config");
        assert_eq!(b.kpi_stale.grace.monthly, 5 * DAY);
        assert_eq!(b.task_due_soon.within, 2 * DAY);
        assert!(!b.key_result_pace.enabled);
        assert!(b.task_overdue.enabled);
    }
}
