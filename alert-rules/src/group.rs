//! How alerts are gathered for the people who read them: the group an alert belongs to as seen
//! from one unit (the unit on screen, or the unit of the person told), and the inhibitions that
//! keep per-task alerts off the screens above a unit whose own warning already says it.
//!
//! Alertmanager groups by labels along a route and inhibits with source and target matchers and
//! `equal` labels. Here the route is the org tree: a group is always one rule's alerts, split by
//! `unit` (the unit one level below the one viewed, on the way to the alert's unit) and by the
//! rule's other `group_by` keys; an inhibition holds between a source alert at a unit and target
//! alerts in that unit's subtree, and hides the targets only from the units above the source's.
//! Pure: the caller says where each alert's unit sits in the tree (its chain of units).

use crate::inhibit::Inhibit;
use crate::model::Severity;
use crate::rule::RuleSet;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

/// One key a rule's alerts are split by, beyond the rule itself (`group_by` in a rule file).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GroupBy {
    /// The unit on the path from the unit viewed to the alert's unit: the viewed unit's child,
    /// or the viewed unit itself for its own alerts.
    Unit,
    /// The alert's subject: every alert its own group.
    Subject,
    /// A label: `kpi`, `group`, `level`, `metric`, or one of the rule's own labels.
    Label(String),
}

impl GroupBy {
    /// The spelling in rule files.
    pub fn name(&self) -> &str {
        match self {
            GroupBy::Unit => "unit",
            GroupBy::Subject => "subject",
            GroupBy::Label(l) => l,
        }
    }
}

/// The group an alert belongs to, seen from one unit. Equal keys, one group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GroupKey {
    /// The unit the group stands for: the viewed unit's child on the way to the alerts' units,
    /// the viewed unit itself for its own alerts (or when the rule does not group by unit).
    pub unit: String,
    pub rule: String,
    /// The values of the rule's other `group_by` keys, in its order: `("kpi", "DVC-01")`.
    pub by: Vec<(String, String)>,
}

/// `unit|rule`, then `|name=value` for each further key: how screens and links name a group.
impl fmt::Display for GroupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}|{}", self.unit, self.rule)?;
        for (k, v) in &self.by {
            write!(f, "|{k}={v}")?;
        }
        Ok(())
    }
}

/// What grouping and inhibition read of a live alert.
#[derive(Debug, Clone, Copy)]
pub struct AlertFacts<'a, C: AsRef<str>> {
    pub rule: &'a str,
    pub subject: &'a str,
    /// The alert's unit and every unit above it, its own first: `[division, ward, city]`.
    pub chain: &'a [C],
    /// Firing (a pending alert is no warning yet, so it inhibits nothing).
    pub firing: bool,
    pub severity: Severity,
    /// The alert's labels (`Engine::labels`): the rule's, plus `unit`, `metric`, `level`, and for
    /// a KPI series `kpi` and `group`.
    pub labels: &'a BTreeMap<String, String>,
}

impl<C: AsRef<str>> AlertFacts<'_, C> {
    fn unit(&self) -> &str {
        self.chain.first().map_or("", AsRef::as_ref)
    }

    /// Where `unit` sits on the chain (0: the alert's own unit), if it does.
    pub fn depth_of(&self, unit: &str) -> Option<usize> {
        self.chain.iter().position(|u| u.as_ref() == unit)
    }
}

/// Where an alert stands, seen from one unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// Not in the viewed unit's subtree.
    Outside,
    /// Shown, in this group.
    Shown(GroupKey),
    /// Held back: a firing alert below the viewed unit already says it.
    Inhibited(Inhibitor),
}

/// The alert that inhibits another, and the inhibition that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inhibitor {
    /// The `[[inhibit]]`'s name.
    pub inhibit: String,
    pub rule: String,
    pub subject: String,
    /// The inhibiting alert's unit.
    pub unit: String,
    /// Where that unit sits on the inhibited alert's chain (0: the alert's own unit); the alert
    /// is hidden from every unit further up.
    pub depth: usize,
}

impl RuleSet {
    /// The group of an alert seen from `view`, `None` when the alert is outside its subtree.
    /// Ignores inhibitions (see [`Inhibition::place`]). An alert of a rule no longer loaded
    /// groups by unit.
    pub fn group_of<C: AsRef<str>>(&self, view: &str, alert: &AlertFacts<C>) -> Option<GroupKey> {
        let depth = alert.depth_of(view)?;
        let by_unit = [GroupBy::Unit];
        let keys = self.get(alert.rule).map_or(&by_unit[..], |r| r.group_by());
        let mut key = GroupKey {
            unit: view.to_owned(),
            rule: alert.rule.to_owned(),
            by: Vec::new(),
        };
        for k in keys {
            match k {
                GroupBy::Unit => {
                    if depth > 0 {
                        key.unit = alert.chain[depth - 1].as_ref().to_owned();
                    }
                }
                GroupBy::Subject => key.by.push(("subject".into(), alert.subject.to_owned())),
                GroupBy::Label(l) => key
                    .by
                    .push((l.clone(), alert.labels.get(l).cloned().unwrap_or_default())),
            }
        }
        Some(key)
    }

    /// The firing alerts that inhibit others, found among `alerts` (every live alert): read
    /// once, then [`Inhibition::place`] each alert.
    pub fn inhibition<'a, C: AsRef<str> + 'a>(
        &self,
        alerts: impl IntoIterator<Item = AlertFacts<'a, C>>,
    ) -> Inhibition {
        let mut by_unit: HashMap<String, Vec<Source>> = HashMap::new();
        if !self.inhibits.is_empty() {
            for a in alerts {
                if !a.firing {
                    continue;
                }
                for (i, inh) in self.inhibits.iter().enumerate() {
                    if inh.source.matches(&a) {
                        by_unit
                            .entry(a.unit().to_owned())
                            .or_default()
                            .push(Source {
                                inhibit: i,
                                rule: a.rule.to_owned(),
                                subject: a.subject.to_owned(),
                                equal: inh.equal.iter().map(|l| a.labels.get(l).cloned()).collect(),
                            });
                    }
                }
            }
        }
        for sources in by_unit.values_mut() {
            // Whatever order the alerts came in, the same alert inhibits.
            sources.sort_by(|a, b| {
                (a.inhibit, &a.rule, &a.subject).cmp(&(b.inhibit, &b.rule, &b.subject))
            });
        }
        Inhibition {
            inhibits: self.inhibits.clone(),
            by_unit,
        }
    }
}

struct Source {
    inhibit: usize,
    rule: String,
    subject: String,
    /// The values of the inhibit's `equal` labels on this alert (`None`: label absent).
    equal: Vec<Option<String>>,
}

/// The inhibiting alerts of a moment, by their unit (see [`RuleSet::inhibition`]).
pub struct Inhibition {
    inhibits: Vec<Arc<Inhibit>>,
    by_unit: HashMap<String, Vec<Source>>,
}

impl Inhibition {
    /// The lowest unit on the alert's chain (its own unit first) with a firing alert that
    /// inhibits it: the alert is hidden from every unit above that one.
    pub fn inhibited_by<C: AsRef<str>>(&self, alert: &AlertFacts<C>) -> Option<Inhibitor> {
        if self.by_unit.is_empty() {
            return None;
        }
        for (depth, unit) in alert.chain.iter().enumerate() {
            let Some(sources) = self.by_unit.get(unit.as_ref()) else {
                continue;
            };
            for s in sources {
                let inh = &self.inhibits[s.inhibit];
                // An alert never inhibits itself, even when it matches both sides.
                if (s.rule.as_str(), s.subject.as_str()) == (alert.rule, alert.subject) {
                    continue;
                }
                let equal = inh
                    .equal
                    .iter()
                    .zip(&s.equal)
                    .all(|(l, v)| alert.labels.get(l) == v.as_ref());
                if equal && inh.target.matches(alert) {
                    return Some(Inhibitor {
                        inhibit: inh.name.clone(),
                        rule: s.rule.clone(),
                        subject: s.subject.clone(),
                        unit: unit.as_ref().to_owned(),
                        depth,
                    });
                }
            }
        }
        None
    }

    /// Where an alert stands seen from `view`: outside its subtree, inhibited (a firing alert at
    /// a unit below `view` inhibits it), or shown in its group.
    pub fn place<C: AsRef<str>>(
        &self,
        rules: &RuleSet,
        view: &str,
        alert: &AlertFacts<C>,
    ) -> Placement {
        let Some(depth) = alert.depth_of(view) else {
            return Placement::Outside;
        };
        if let Some(by) = self.inhibited_by(alert).filter(|i| i.depth < depth) {
            return Placement::Inhibited(by);
        }
        match rules.group_of(view, alert) {
            Some(key) => Placement::Shown(key),
            None => Placement::Outside,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::Builtins;

    const RULES: &str = r#"
[[rule]]
name = "ward_overdue"
metric = "tasks.overdue_ratio"
red = "> 0.25"

[[rule]]
name = "late"
metric = "task.overdue"
yellow = "> 0s"

[[rule]]
name = "kpi_red"
metric = "kpi.value"
thresholds = "kpi"
group_by = ["unit", "kpi"]

[[inhibit]]
name = "tasks_roll_up"
source = { rules = ["ward_overdue"] }
target = { metrics = ["task.overdue"] }
"#;

    fn facts<'a>(
        rule: &'a str,
        subject: &'a str,
        chain: &'a [&'a str],
        labels: &'a BTreeMap<String, String>,
    ) -> AlertFacts<'a, &'a str> {
        AlertFacts {
            rule,
            subject,
            chain,
            firing: true,
            severity: Severity::Red,
            labels,
        }
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn an_alert_groups_under_the_viewed_units_child_on_its_way() {
        let rules = RuleSet::load(&Builtins::none(), &[("r.toml", RULES)]).expect("valid");
        let l = labels(&[("metric", "task.overdue")]);
        let chain = ["div-1", "ward-1", "city"];
        let a = facts("late", "t1", &chain, &l);
        let key = |view| rules.group_of(view, &a).map(|k| k.to_string());
        assert_eq!(key("city").as_deref(), Some("ward-1|late"));
        assert_eq!(key("ward-1").as_deref(), Some("div-1|late"));
        assert_eq!(key("div-1").as_deref(), Some("div-1|late"));
        assert_eq!(key("ward-2"), None);
        // A further key splits a rule's alerts: one group per KPI.
        let l = labels(&[("kpi", "DVC-01")]);
        let k = facts("kpi_red", "DVC-01@div-1", &chain, &l);
        assert_eq!(
            rules.group_of("city", &k).map(|k| k.to_string()).as_deref(),
            Some("ward-1|kpi_red|kpi=DVC-01")
        );
    }

    #[test]
    fn a_units_warning_hides_its_task_alerts_only_from_the_units_above_it() {
        let rules = RuleSet::load(&Builtins::none(), &[("r.toml", RULES)]).expect("valid");
        let task_labels = labels(&[("metric", "task.overdue")]);
        let unit_labels = labels(&[("metric", "tasks.overdue_ratio")]);
        let task_chain = ["div-1", "ward-1", "city"];
        let ward_chain = ["ward-1", "city"];
        let task = facts("late", "t1", &task_chain, &task_labels);
        let ward = facts("ward_overdue", "ward-1", &ward_chain, &unit_labels);
        let inh = rules.inhibition([task, ward]);
        assert!(matches!(
            inh.place(&rules, "city", &task),
            Placement::Inhibited(Inhibitor { ref rule, depth: 1, .. }) if rule == "ward_overdue"
        ));
        // Seen from the ward itself (and below) the tasks are listed.
        assert!(matches!(
            inh.place(&rules, "ward-1", &task),
            Placement::Shown(_)
        ));
        assert!(matches!(
            inh.place(&rules, "div-1", &task),
            Placement::Shown(_)
        ));
        // The source is shown where it is.
        assert!(matches!(
            inh.place(&rules, "city", &ward),
            Placement::Shown(_)
        ));
        // A pending source inhibits nothing.
        let pending = AlertFacts {
            firing: false,
            ..ward
        };
        let inh = rules.inhibition([task, pending]);
        assert!(matches!(
            inh.place(&rules, "city", &task),
            Placement::Shown(_)
        ));
        // A task in another ward is not held back by this ward's warning.
        let other_chain = ["ward-2", "city"];
        let other = facts("late", "t2", &other_chain, &task_labels);
        let inh = rules.inhibition([task, ward, other]);
        assert!(matches!(
            inh.place(&rules, "city", &other),
            Placement::Shown(_)
        ));
    }

    #[test]
    fn equal_labels_must_match_and_an_alert_never_inhibits_itself() {
        let text = r#"
[[rule]]
name = "kpi_red"
metric = "kpi.value"
thresholds = "kpi"

[[rule]]
name = "kpi_stale"
metric = "kpi.staleness"
yellow = "> 40d"

[[inhibit]]
name = "red_over_stale"
source = { rules = ["kpi_red"], severity = "red" }
target = { metrics = ["kpi.staleness", "kpi.value"] }
equal = ["kpi"]
"#;
        let rules = RuleSet::load(&Builtins::none(), &[("r.toml", text)]).expect("valid");
        let a_labels = labels(&[("kpi", "A"), ("metric", "kpi.value")]);
        let a_stale = labels(&[("kpi", "A"), ("metric", "kpi.staleness")]);
        let b_stale = labels(&[("kpi", "B"), ("metric", "kpi.staleness")]);
        let chain = ["ward-1", "city"];
        let red = facts("kpi_red", "A@ward-1", &chain, &a_labels);
        let stale_a = facts("kpi_stale", "A@ward-1", &chain, &a_stale);
        let stale_b = facts("kpi_stale", "B@ward-1", &chain, &b_stale);
        let inh = rules.inhibition([red, stale_a, stale_b]);
        assert!(matches!(
            inh.place(&rules, "city", &stale_a),
            Placement::Inhibited(_)
        ));
        assert!(matches!(
            inh.place(&rules, "city", &stale_b),
            Placement::Shown(_)
        ));
        assert!(matches!(
            inh.place(&rules, "city", &red),
            Placement::Shown(_)
        ));
    }
}
