//! The rule language: a TOML file of `[[rule]]` tables, validated into [`Rule`]s with every
//! problem located (file, line, column, field); a file with any problem yields no rules.

use crate::builtin::Builtins;
use crate::condition::Cond;
use crate::duration::{parse_duration, DAY};
use crate::group::GroupBy;
use crate::inhibit::{parse_inhibit, Inhibit, RuleRefs};
use crate::metric::{Metric, Scale};
use crate::model::{Frequency, IndexGroup, Kpi, Severity, SubjectKind, Unit, UnitLevel};
use crate::source::{RuleError, Source, Val};
use crate::template::{Placeholder, Template};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use toml::Spanned;

/// Whom a transition notifies, resolved through the org tree into person ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The leader of the subject's unit.
    UnitLeader,
    /// The leader of the nearest ancestor unit that has one (escalation goes here).
    ParentLeader,
    /// A task's responsible person (task rules only).
    TaskResponsible,
    /// A task's accountable leader (task rules only).
    TaskAccountable,
    /// Whoever enters a KPI series' values (KPI rules only).
    KpiDataEntry,
}

impl Role {
    const ALL: [Role; 5] = [
        Role::UnitLeader,
        Role::ParentLeader,
        Role::TaskResponsible,
        Role::TaskAccountable,
        Role::KpiDataEntry,
    ];

    /// The spelling in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::UnitLeader => "unit_leader",
            Role::ParentLeader => "parent_leader",
            Role::TaskResponsible => "task_responsible",
            Role::TaskAccountable => "task_accountable",
            Role::KpiDataEntry => "kpi_data_entry",
        }
    }

    fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    fn fits(self, kind: SubjectKind) -> bool {
        match self {
            Role::UnitLeader | Role::ParentLeader => true,
            Role::TaskResponsible | Role::TaskAccountable => kind == SubjectKind::Task,
            Role::KpiDataEntry => kind == SubjectKind::Series,
        }
    }
}

/// Where a rule applies; every given part must match, an empty scope matches everywhere.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Scope {
    pub(crate) levels: Vec<UnitLevel>,
    pub(crate) units: Vec<String>,
    pub(crate) subtree: Option<String>,
}

impl Scope {
    /// Whether the subject's unit is in scope; a unit the engine was never told about only
    /// matches what can be decided from its id.
    pub(crate) fn matches(&self, unit_id: &str, unit: Option<&Unit>) -> bool {
        if !self.levels.is_empty() && !unit.is_some_and(|u| self.levels.contains(&u.level)) {
            return false;
        }
        if !self.units.is_empty() && !self.units.iter().any(|u| u == unit_id) {
            return false;
        }
        if let Some(root) = &self.subtree {
            let inside =
                root == unit_id || unit.is_some_and(|u| u.ancestors.iter().any(|a| a == root));
            if !inside {
                return false;
            }
        }
        true
    }
}

/// Per-frequency staleness thresholds (yellow, red) in milliseconds, indexed like
/// [`Frequency::ALL`].
pub(crate) type StaleTable = [(i64, i64); 5];

/// How a rule turns a value into a severity.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Levels {
    /// Conditions from the rule: red wins over yellow; `recover` ends a firing alert.
    Fixed {
        yellow: Option<Cond>,
        red: Option<Cond>,
        recover: Cond,
    },
    /// The KPI's own direction and thresholds; the green band is the recovery.
    Kpi,
    /// Staleness thresholds by the KPI's reporting frequency (built-in stale-data rule).
    Stale(StaleTable),
}

/// A validated rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub(crate) name: Arc<str>,
    /// `FILE:LINE` of the definition (or `builtin`); not part of equality, so moving a rule in
    /// its file keeps its alerts on reload.
    pub(crate) origin: String,
    pub(crate) description: Option<String>,
    pub(crate) scope: Scope,
    pub(crate) metric: Metric,
    pub(crate) kpi: Option<String>,
    pub(crate) group: Option<IndexGroup>,
    pub(crate) within: i64,
    pub(crate) levels: Levels,
    pub(crate) for_ms: i64,
    pub(crate) keep_firing_for: i64,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) summary_vi: Template,
    pub(crate) summary_en: Template,
    pub(crate) notify: Vec<Role>,
    pub(crate) escalate_after: Option<i64>,
    /// How its alerts are gathered for people (not part of equality: regrouping a rule on a
    /// reload keeps its alerts).
    pub(crate) group_by: Vec<GroupBy>,
}

impl PartialEq for Rule {
    fn eq(&self, o: &Rule) -> bool {
        self.name == o.name
            && self.description == o.description
            && self.scope == o.scope
            && self.metric == o.metric
            && self.kpi == o.kpi
            && self.group == o.group
            && self.within == o.within
            && self.levels == o.levels
            && self.for_ms == o.for_ms
            && self.keep_firing_for == o.keep_firing_for
            && self.labels == o.labels
            && self.summary_vi == o.summary_vi
            && self.summary_en == o.summary_en
            && self.notify == o.notify
            && self.escalate_after == o.escalate_after
    }
}

/// Default window of `task.due_soon`.
pub(crate) const DEFAULT_WITHIN: i64 = 3 * DAY;

const RESERVED_LABELS: [&str; 5] = ["unit", "level", "metric", "kpi", "group"];

impl Rule {
    /// The rule's unique name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The metric it watches.
    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// Where it was defined: `FILE:LINE`, or `builtin`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Its optional description.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The labels it adds to its alerts.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }

    /// What its alerts are grouped by besides the rule (`group_by`; default: the unit).
    pub fn group_by(&self) -> &[GroupBy] {
        &self.group_by
    }

    /// The threshold behind a firing severity, for screens ("80, threshold 85"): the red
    /// threshold of a red alert, the yellow one of a yellow alert; for a KPI the edge of its
    /// band the value crossed.
    pub fn threshold_of(
        &self,
        severity: Severity,
        value: Option<f64>,
        kpi: Option<&Kpi>,
    ) -> Option<f64> {
        self.threshold(Some(severity), value, kpi)
    }

    /// How far a value lies past the threshold of its severity, on the bad side, in the
    /// metric's own units (0 at the threshold; negative in the band where a firing alert keeps
    /// firing before it recovers): what ranks two alerts of one rule of equal severity and age.
    pub fn excess(&self, severity: Severity, value: f64, kpi: Option<&Kpi>) -> Option<f64> {
        let t = self.threshold(Some(severity), Some(value), kpi)?;
        let high_is_bad = match &self.levels {
            Levels::Fixed { yellow, red, .. } => yellow.or(*red)?.upward(),
            Levels::Kpi => match kpi?.thresholds {
                crate::model::Thresholds::HigherIsBetter { .. } => false,
                crate::model::Thresholds::LowerIsBetter { .. } => true,
                crate::model::Thresholds::InBand { .. } => value > t,
            },
            Levels::Stale(_) => true,
        };
        Some(if high_is_bad { value - t } else { t - value })
    }

    /// Whether the rule applies to a series of this KPI.
    pub(crate) fn accepts_kpi(&self, kpi: Option<&Kpi>, code: &str) -> bool {
        if self.kpi.as_deref().is_some_and(|k| k != code) {
            return false;
        }
        match self.group {
            Some(g) => kpi.is_some_and(|k| k.group == g),
            None => true,
        }
    }

    /// The severity a value calls for, `None` when no firing condition holds (or the rule
    /// needs a KPI definition the engine does not have).
    pub(crate) fn severity(&self, value: f64, kpi: Option<&Kpi>) -> Option<Severity> {
        match &self.levels {
            Levels::Fixed { yellow, red, .. } => {
                if red.is_some_and(|c| c.holds(value)) {
                    Some(Severity::Red)
                } else if yellow.is_some_and(|c| c.holds(value)) {
                    Some(Severity::Yellow)
                } else {
                    None
                }
            }
            Levels::Kpi => kpi.and_then(|k| k.thresholds.severity(value)),
            Levels::Stale(table) => {
                let (y, r) = table[freq_index(kpi?.frequency)];
                if value > r as f64 {
                    Some(Severity::Red)
                } else if value > y as f64 {
                    Some(Severity::Yellow)
                } else {
                    None
                }
            }
        }
    }

    /// Whether a firing alert may resolve at this value.
    pub(crate) fn recovered(&self, value: f64, kpi: Option<&Kpi>) -> bool {
        match &self.levels {
            Levels::Fixed { recover, .. } => recover.holds(value),
            Levels::Kpi | Levels::Stale(_) => self.severity(value, kpi).is_none(),
        }
    }

    /// The mildest severity the rule can raise: what a firing alert shows while its value sits
    /// between the firing and the recovery thresholds.
    pub(crate) fn mildest(&self) -> Severity {
        match &self.levels {
            Levels::Fixed { yellow: None, .. } => Severity::Red,
            _ => Severity::Yellow,
        }
    }

    /// The threshold behind a severity (the recovery threshold for `None`), for summaries.
    pub(crate) fn threshold(
        &self,
        severity: Option<Severity>,
        value: Option<f64>,
        kpi: Option<&Kpi>,
    ) -> Option<f64> {
        match &self.levels {
            Levels::Fixed {
                yellow,
                red,
                recover,
            } => match severity {
                Some(Severity::Red) => red.map(|c| c.threshold),
                Some(Severity::Yellow) => yellow.map(|c| c.threshold),
                None => Some(recover.threshold),
            },
            Levels::Kpi => kpi.map(|k| k.thresholds.edge(severity, value)),
            Levels::Stale(table) => {
                let (y, r) = table[freq_index(kpi?.frequency)];
                Some(if severity == Some(Severity::Red) {
                    r
                } else {
                    y
                } as f64)
            }
        }
    }

    /// Every threshold the rule compares against, for scheduling when a clock-driven value
    /// will cross one.
    pub(crate) fn cut_points(&self, kpi: Option<&Kpi>) -> Vec<f64> {
        match &self.levels {
            Levels::Fixed {
                yellow,
                red,
                recover,
            } => yellow
                .iter()
                .chain(red.iter())
                .chain(std::iter::once(recover))
                .map(|c| c.threshold)
                .collect(),
            Levels::Kpi => Vec::new(),
            Levels::Stale(table) => match kpi {
                Some(k) => {
                    let (y, r) = table[freq_index(k.frequency)];
                    vec![y as f64, r as f64]
                }
                None => Vec::new(),
            },
        }
    }
}

pub(crate) fn freq_index(f: Frequency) -> usize {
    Frequency::ALL.iter().position(|x| *x == f).unwrap_or(0)
}

/// A validated set of rules with unique names: the built-in rules the configuration enables and
/// the rules of every file.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub(crate) rules: Vec<Arc<Rule>>,
    pub(crate) inhibits: Vec<Arc<Inhibit>>,
}

impl RuleSet {
    /// Validates built-in configuration and rule files (`(name, contents)` pairs; the name is
    /// what errors print, usually the path). Returns every error of every file, or the set.
    /// Nothing is half-loaded: any error means no set.
    pub fn load(builtins: &Builtins, sources: &[(&str, &str)]) -> Result<RuleSet, Vec<RuleError>> {
        let mut errors = Vec::new();
        let mut rules: Vec<Arc<Rule>> = match builtins.rules() {
            Ok(r) => r.into_iter().map(Arc::new).collect(),
            Err(e) => {
                errors.extend(e);
                Vec::new()
            }
        };
        let mut seen: HashMap<Arc<str>, String> = rules
            .iter()
            .map(|r| (r.name.clone(), r.origin.clone()))
            .collect();
        let mut inhibits: Vec<Arc<Inhibit>> = Vec::new();
        let mut inhibit_seen: HashMap<String, String> = HashMap::new();
        let mut refs: Vec<(usize, RuleRefs)> = Vec::new();
        let mut disabled: Vec<String> = Vec::new();
        for (i, (file, text)) in sources.iter().enumerate() {
            let mut src = Source::new(file, text);
            let (parsed, parsed_inhibits, r, off) = parse_file(&mut src);
            disabled.extend(off);
            refs.push((i, r));
            for (inh, name_span) in parsed_inhibits {
                let (line, _) = src.position(name_span.start);
                let at = format!("{file}:{line}");
                if let Some(first) = inhibit_seen.get(&inh.name) {
                    let field = format!("inhibit[{}].name", inh.name);
                    src.report(
                        &name_span,
                        &field,
                        format!("duplicate inhibition name (first defined at {first})"),
                    );
                    continue;
                }
                inhibit_seen.insert(inh.name.clone(), at);
                inhibits.push(Arc::new(inh));
            }
            for (rule, name_span) in parsed {
                if let Some(first) = seen.get(&rule.name) {
                    let field = format!("rule[{}].name", rule.name);
                    src.report(
                        &name_span,
                        &field,
                        format!("duplicate rule name (first defined at {first})"),
                    );
                    continue;
                }
                seen.insert(rule.name.clone(), rule.origin.clone());
                rules.push(Arc::new(rule));
            }
            // Walk order groups checks by kind; readers want the file's order.
            src.errors.sort_by_key(|e| (e.line, e.column));
            errors.append(&mut src.errors);
        }
        // Inhibitions may name rules of any file, so they are checked once all are read.
        for (i, r) in refs {
            let (file, text) = sources[i];
            let mut src = Source::new(file, text);
            for (name, span, field) in r {
                if !seen.contains_key(name.as_str()) && !disabled.contains(&name) {
                    src.report(&span, &field, format!("no rule '{name}' is defined"));
                }
            }
            errors.append(&mut src.errors);
        }
        if errors.is_empty() {
            Ok(RuleSet { rules, inhibits })
        } else {
            Err(errors)
        }
    }

    /// The rules, built-in ones first, then in file order.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().map(|r| r.as_ref())
    }

    /// A rule by name.
    pub fn get(&self, name: &str) -> Option<&Rule> {
        self.rules().find(|r| r.name() == name)
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the set has no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The inhibitions (`[[inhibit]]`), in file order.
    pub fn inhibits(&self) -> impl Iterator<Item = &Inhibit> {
        self.inhibits.iter().map(|i| i.as_ref())
    }
}

type Parsed = (
    Vec<(Rule, std::ops::Range<usize>)>,
    Vec<(Inhibit, std::ops::Range<usize>)>,
    RuleRefs,
    Vec<String>,
);

/// Every rule and inhibition of one file (each with the span of its name, for duplicate
/// reports); errors go to `src`.
fn parse_file(src: &mut Source<'_>) -> Parsed {
    let Some(doc) = src.parse() else {
        return Default::default();
    };
    let Some(top) = src.table(&doc, "(document)") else {
        return Default::default();
    };
    let mut out = Vec::new();
    let mut inhibits = Vec::new();
    let mut disabled = Vec::new();
    let mut refs = RuleRefs::new();
    let mut names_here: HashMap<String, String> = HashMap::new();
    for (key, value) in top {
        if key.get_ref() == "inhibit" {
            let Some(items) = src.array(value, "inhibit") else {
                continue;
            };
            for (i, item) in items.iter().enumerate() {
                inhibits.extend(parse_inhibit(src, item, i, &mut refs));
            }
            continue;
        }
        if key.get_ref() != "rule" {
            src.unknown_key(key, "", &["rule", "inhibit"]);
            continue;
        }
        let Some(items) = src.array(value, "rule") else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            disabled.extend(disabled_name(item));
            if let Some((rule, span)) = parse_rule(src, item, i) {
                // Same-file duplicates are reported here too, so a check of one file finds them.
                if let Some(first) = names_here.get(rule.name()) {
                    let field = format!("rule[{}].name", rule.name);
                    src.report(
                        &span,
                        &field,
                        format!("duplicate rule name (first defined at {first})"),
                    );
                    continue;
                }
                names_here.insert(rule.name.to_string(), rule.origin.clone());
                out.push((rule, span));
            }
        }
    }
    (out, inhibits, refs, disabled)
}

/// The name of a rule written with `enabled = false`: an inhibition may still name it.
fn disabled_name(item: &Spanned<Val>) -> Option<String> {
    let Val::Table(entries) = item.get_ref() else {
        return None;
    };
    let get = |k: &str| {
        entries
            .iter()
            .find(|(key, _)| key.get_ref() == k)
            .map(|(_, v)| v.get_ref())
    };
    match (get("enabled"), get("name")) {
        (Some(Val::Bool(false)), Some(Val::Str(name))) => Some(name.clone()),
        _ => None,
    }
}

const RULE_KEYS: [&str; 20] = [
    "name",
    "description",
    "scope",
    "metric",
    "kpi",
    "group",
    "within",
    "yellow",
    "red",
    "thresholds",
    "recover",
    "for",
    "keep_firing_for",
    "labels",
    "summary_vi",
    "summary_en",
    "notify",
    "escalate_after",
    "enabled",
    "group_by",
];

/// One `[[rule]]` table. Returns `None` when it has any error (all reported).
fn parse_rule(
    src: &mut Source<'_>,
    item: &Spanned<Val>,
    index: usize,
) -> Option<(Rule, std::ops::Range<usize>)> {
    let before = src.errors.len();
    let position = format!("rule[#{}]", index + 1);
    let entries = src.table(item, &position)?;
    let get = |k: &str| {
        entries
            .iter()
            .find(|(key, _)| key.get_ref() == k)
            .map(|(_, v)| v)
    };

    // The name first, so every other error can say which rule it is about.
    let mut name: Option<String> = None;
    let mut name_span = item.span();
    match get("name") {
        None => src.report(
            &item.span(),
            &format!("{position}.name"),
            "missing: every rule needs a unique name",
        ),
        Some(v) => {
            name_span = v.span();
            if let Some(s) = src.string(v, &format!("{position}.name")) {
                match check_name(s) {
                    Ok(()) => name = Some(s.to_owned()),
                    Err(e) => src.report(&v.span(), &format!("{position}.name"), e),
                }
            }
        }
    }
    let prefix = match &name {
        Some(n) => format!("rule[{n}]"),
        None => position,
    };
    let f = |k: &str| format!("{prefix}.{k}");
    for (key, _) in entries {
        if !RULE_KEYS.contains(&key.get_ref().as_str()) {
            src.unknown_key(key, &prefix, &RULE_KEYS);
        }
    }

    let enabled = match get("enabled") {
        Some(v) => src.boolean(v, &f("enabled")).unwrap_or(true),
        None => true,
    };

    let description =
        get("description").and_then(|v| src.string(v, &f("description")).map(str::to_owned));

    // Metric.
    let metric = match get("metric") {
        None => {
            src.report(
                &item.span(),
                &f("metric"),
                format!("missing; one of: {}", metric_list()),
            );
            None
        }
        Some(v) => src
            .string(v, &f("metric"))
            .and_then(|s| match Metric::parse(s) {
                Some(m) => Some(m),
                None => {
                    src.report(
                        &v.span(),
                        &f("metric"),
                        format!("unknown metric '{s}'; known: {}", metric_list()),
                    );
                    None
                }
            }),
    };
    let kind = metric.map(Metric::subject);
    let scale = metric.map(Metric::scale);

    let scope = get("scope")
        .and_then(|v| parse_scope(src, v, &f("scope")))
        .unwrap_or_default();

    // KPI filters.
    let mut kpi = None;
    if let Some(v) = get("kpi") {
        if let Some(s) = src.string(v, &f("kpi")) {
            if kind.is_some_and(|k| k != SubjectKind::Series) {
                src.report(
                    &v.span(),
                    &f("kpi"),
                    "only kpi.value and kpi.staleness rules can name a KPI",
                );
            } else if s.is_empty() {
                src.report(&v.span(), &f("kpi"), "empty KPI code");
            } else {
                kpi = Some(s.to_owned());
            }
        }
    }
    let mut group = None;
    if let Some(v) = get("group") {
        if let Some(s) = src.string(v, &f("group")) {
            if kind.is_some_and(|k| k != SubjectKind::Series) {
                src.report(
                    &v.span(),
                    &f("group"),
                    "only kpi.value and kpi.staleness rules can filter by index group",
                );
            } else {
                match IndexGroup::parse(s) {
                    Some(g) => group = Some(g),
                    None => src.report(
                        &v.span(),
                        &f("group"),
                        format!("unknown index group '{s}'; one of: development, service, party, internal"),
                    ),
                }
            }
        }
    }

    let duration = |src: &mut Source<'_>, key: &str| -> Option<i64> {
        let v = get(key)?;
        let s = src.string(v, &f(key))?;
        match parse_duration(s) {
            Ok(ms) => Some(ms),
            Err(e) => {
                src.report(&v.span(), &f(key), e);
                None
            }
        }
    };
    let within = match get("within") {
        Some(v) if metric.is_some_and(|m| m != Metric::TaskDueSoon) => {
            src.report(
                &v.span(),
                &f("within"),
                "only task.due_soon rules have a window",
            );
            DEFAULT_WITHIN
        }
        _ => duration(src, "within").unwrap_or(DEFAULT_WITHIN),
    };
    let for_ms = duration(src, "for").unwrap_or(0);
    let keep_firing_for = duration(src, "keep_firing_for").unwrap_or(0);
    let escalate_after = duration(src, "escalate_after");

    let levels = parse_levels(src, &get, &f, metric, scale, item);

    if let (Some(v), Some(levels)) = (get("escalate_after"), &levels) {
        let can_be_red = match levels {
            Levels::Fixed { red, .. } => red.is_some(),
            _ => true,
        };
        if !can_be_red {
            src.report(
                &v.span(),
                &f("escalate_after"),
                "escalation is for red alerts, and this rule has no red condition",
            );
        }
    }

    // Labels.
    let mut labels = BTreeMap::new();
    if let Some(v) = get("labels") {
        if let Some(entries) = src.table(v, &f("labels")) {
            for (k, lv) in entries {
                let field = format!("{}.{}", f("labels"), k.get_ref());
                if RESERVED_LABELS.contains(&k.get_ref().as_str()) {
                    src.report(
                        &k.span(),
                        &field,
                        "this label is set by the engine for every alert",
                    );
                } else if let Some(s) = src.string(lv, &field) {
                    labels.insert(k.get_ref().clone(), s.to_owned());
                }
            }
        }
    }

    // Summaries.
    let template = |src: &mut Source<'_>, key: &str, default: &str| -> Option<Template> {
        let Some(v) = get(key) else {
            return Template::parse(default).ok();
        };
        let s = src.string(v, &f(key))?;
        match Template::parse(s) {
            Ok(t) => {
                if kind.is_some_and(|k| k != SubjectKind::Series)
                    && t.placeholders()
                        .any(|p| matches!(p, Placeholder::Kpi | Placeholder::KpiName))
                {
                    src.report(
                        &v.span(),
                        &f(key),
                        "{kpi} and {kpi_name} are only known in kpi.value and kpi.staleness rules",
                    );
                    return None;
                }
                Some(t)
            }
            Err(e) => {
                src.report(&v.span(), &f(key), e);
                None
            }
        }
    };
    let summary_vi = template(src, "summary_vi", DEFAULT_SUMMARY_VI);
    let summary_en = template(src, "summary_en", DEFAULT_SUMMARY_EN);

    // Notification roles.
    let mut notify = Vec::new();
    match get("notify") {
        None => notify = kind.map(default_notify).unwrap_or_default(),
        Some(v) => {
            if let Some(items) = src.strings(v, &f("notify")) {
                for item in items {
                    match Role::parse(item.get_ref()) {
                        None => src.report(
                            &item.span(),
                            &f("notify"),
                            format!(
                                "unknown role '{}'; one of: {}",
                                item.get_ref(),
                                Role::ALL.map(Role::as_str).join(", ")
                            ),
                        ),
                        Some(r) if kind.is_some_and(|k| !r.fits(k)) => src.report(
                            &item.span(),
                            &f("notify"),
                            format!(
                                "role '{}' does not exist for {} rules",
                                r.as_str(),
                                metric.map_or("", Metric::name)
                            ),
                        ),
                        Some(r) => {
                            if !notify.contains(&r) {
                                notify.push(r);
                            }
                        }
                    }
                }
            }
        }
    }

    let group_by = match get("group_by") {
        Some(v) => parse_group_by(src, v, &f("group_by"), kind, &labels),
        None => vec![GroupBy::Unit],
    };

    if src.errors.len() > before || !enabled {
        return None;
    }
    let (Some(name), Some(metric), Some(levels), Some(summary_vi), Some(summary_en)) =
        (name, metric, levels, summary_vi, summary_en)
    else {
        return None;
    };
    let (line, _) = src.position(item.span().start);
    Some((
        Rule {
            name: name.into(),
            origin: format!("{}:{line}", src.file()),
            description,
            scope,
            metric,
            kpi,
            group,
            within,
            levels,
            for_ms,
            keep_firing_for,
            labels,
            summary_vi,
            summary_en,
            notify,
            escalate_after,
            group_by,
        },
        name_span,
    ))
}

/// `group_by`: what a rule's alerts are split by besides the rule itself.
fn parse_group_by(
    src: &mut Source<'_>,
    v: &Spanned<Val>,
    field: &str,
    kind: Option<SubjectKind>,
    labels: &BTreeMap<String, String>,
) -> Vec<GroupBy> {
    let mut out = Vec::new();
    let mut known: Vec<String> = ["unit", "rule", "subject", "level", "metric"]
        .map(String::from)
        .to_vec();
    if kind.is_none_or(|k| k == SubjectKind::Series) {
        known.extend(["kpi".to_string(), "group".to_string()]);
    }
    known.extend(labels.keys().cloned());
    for item in src.strings(v, field).unwrap_or_default() {
        let name = item.get_ref().as_str();
        let key = match name {
            // The rule is always part of a group (a group is about one thing); allowed so a
            // list written the Alertmanager way reads.
            "rule" => continue,
            "unit" => GroupBy::Unit,
            "subject" => GroupBy::Subject,
            other if known.iter().any(|k| k == other) => GroupBy::Label(other.to_owned()),
            "kpi" | "group" => {
                src.report(
                    &item.span(),
                    field,
                    format!("'{name}' is only known for kpi.value and kpi.staleness rules"),
                );
                continue;
            }
            other => {
                src.report(
                    &item.span(),
                    field,
                    format!("unknown key '{other}'; one of: {}", known.join(", ")),
                );
                continue;
            }
        };
        if out.contains(&key) {
            src.report(&item.span(), field, format!("'{name}' is listed twice"));
            continue;
        }
        out.push(key);
    }
    out
}

pub(crate) const DEFAULT_SUMMARY_VI: &str =
    "Cảnh báo {severity}: {rule} tại {unit_name}, giá trị {value}";
pub(crate) const DEFAULT_SUMMARY_EN: &str =
    "Warning ({severity}): {rule} at {unit_name}, value {value}";

fn default_notify(kind: SubjectKind) -> Vec<Role> {
    match kind {
        SubjectKind::Unit | SubjectKind::KeyResult => vec![Role::UnitLeader],
        SubjectKind::Series => vec![Role::KpiDataEntry, Role::UnitLeader],
        SubjectKind::Task => vec![Role::TaskResponsible, Role::TaskAccountable],
    }
}

fn metric_list() -> String {
    Metric::ALL.map(Metric::name).join(", ")
}

pub(crate) fn check_name(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("empty name".into());
    }
    if s.starts_with("builtin.") {
        return Err("names starting with 'builtin.' are reserved for the built-in rules".into());
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(format!(
            "'{c}' is not allowed in a name: use letters, digits, '_', '-' and '.'"
        ));
    }
    Ok(())
}

fn parse_scope(src: &mut Source<'_>, v: &Spanned<Val>, field: &str) -> Option<Scope> {
    const KEYS: [&str; 3] = ["levels", "units", "subtree"];
    let entries = src.table(v, field)?;
    let mut scope = Scope::default();
    for (key, value) in entries {
        let sub = format!("{field}.{}", key.get_ref());
        match key.get_ref().as_str() {
            "levels" => {
                for item in src.strings(value, &sub).unwrap_or_default() {
                    match UnitLevel::parse(item.get_ref()) {
                        Some(l) => scope.levels.push(l),
                        None => src.report(
                            &item.span(),
                            &sub,
                            format!(
                                "unknown level '{}'; one of: {}",
                                item.get_ref(),
                                UnitLevel::ALL.map(UnitLevel::as_str).join(", ")
                            ),
                        ),
                    }
                }
            }
            "units" => {
                scope.units = src
                    .strings(value, &sub)
                    .unwrap_or_default()
                    .into_iter()
                    .map(Spanned::into_inner)
                    .collect();
            }
            "subtree" => scope.subtree = src.string(value, &sub).map(str::to_owned),
            _ => src.unknown_key(key, field, &KEYS),
        }
    }
    Some(scope)
}

/// `yellow`, `red`, `thresholds` and `recover`, with the checks that relate them.
fn parse_levels<'v>(
    src: &mut Source<'_>,
    get: &dyn Fn(&str) -> Option<&'v Spanned<Val>>,
    f: &dyn Fn(&str) -> String,
    metric: Option<Metric>,
    scale: Option<Scale>,
    item: &Spanned<Val>,
) -> Option<Levels> {
    let cond = |src: &mut Source<'_>, key: &str| -> Option<(Cond, std::ops::Range<usize>)> {
        let v = get(key)?;
        let s = src.string(v, &f(key))?;
        // With an unknown metric, still check the operator and number, but do not guess whether
        // a duration was meant.
        let parsed = match scale {
            Some(scale) => Cond::parse(s, scale),
            None => Cond::parse(s, Scale::Number)
                .or_else(|e| Cond::parse(s, Scale::Duration).map_err(|_| e)),
        };
        match parsed {
            Ok(c) => Some((c, v.span())),
            Err(e) => {
                src.report(&v.span(), &f(key), e);
                None
            }
        }
    };

    if let Some(v) = get("thresholds") {
        let s = src.string(v, &f("thresholds"))?;
        if s != "kpi" {
            src.report(&v.span(), &f("thresholds"), format!("unknown value '{s}'; the only value is \"kpi\" (use the KPI's own direction and thresholds)"));
            return None;
        }
        if metric.is_some_and(|m| m != Metric::KpiValue) {
            src.report(
                &v.span(),
                &f("thresholds"),
                "thresholds = \"kpi\" is only for kpi.value rules",
            );
            return None;
        }
        for key in ["yellow", "red", "recover"] {
            if let Some(other) = get(key) {
                src.report(
                    &other.span(),
                    &f(key),
                    "cannot be combined with thresholds = \"kpi\": the KPI's red, yellow and green bands decide",
                );
            }
        }
        return Some(Levels::Kpi);
    }

    let yellow = cond(src, "yellow");
    let red = cond(src, "red");
    let recover = cond(src, "recover");
    if get("yellow").is_none() && get("red").is_none() {
        src.report(
            &item.span(),
            &f("yellow"),
            "a rule needs a yellow or a red condition (or thresholds = \"kpi\" for kpi.value)",
        );
        return None;
    }
    // A condition that failed to parse was already reported; relations cannot be checked.
    if get("yellow").is_some() && yellow.is_none() || get("red").is_some() && red.is_none() {
        return None;
    }
    let yellow_c = yellow.as_ref().map(|(c, _)| *c);
    let red_c = red.as_ref().map(|(c, _)| *c);
    if let (Some((y, _)), Some((r, rspan))) = (&yellow, &red) {
        if y.upward() != r.upward() {
            src.report(rspan, &f("red"), format!(
                "red ({r}) and yellow ({y}) point in opposite directions: both must use > / >= (high is bad) or both < / <= (low is bad)"
            ));
            return None;
        }
        if !r.strictly_inside(y) {
            let side = if y.upward() { "above" } else { "below" };
            src.report(rspan, &f("red"), format!(
                "red ({r}) must be more severe than yellow ({y}): with {} conditions the red threshold must be {side} the yellow one",
                if y.upward() { "'>'" } else { "'<'" }
            ));
            return None;
        }
    }
    // The mildest firing condition: leaving it is what recovery means.
    let firing = yellow_c.or(red_c)?;
    let recover = match (get("recover"), recover) {
        (None, _) => firing.negation(),
        (Some(_), None) => return None,
        (Some(_), Some((rc, span))) => {
            if rc.upward() == firing.upward() {
                src.report(&span, &f("recover"), format!(
                    "recover ({rc}) points the same way as the firing condition ({firing}); it must use {} to describe the safe side",
                    if firing.upward() { "< or <=" } else { "> or >=" }
                ));
                return None;
            }
            if !rc.disjoint(&firing) {
                src.report(&span, &f("recover"), format!(
                    "recover ({rc}) overlaps the firing condition ({firing}): a value could fire and recover at once; recover must lie on the safe side of {}",
                    if yellow_c.is_some() { "yellow" } else { "red" }
                ));
                return None;
            }
            rc
        }
    };
    Some(Levels::Fixed {
        yellow: yellow_c,
        red: red_c,
        recover,
    })
}

/// Rule-file spelling of a rule's conditions, for documentation and debugging.
impl std::fmt::Display for Rule {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scale = self.metric.scale();
        write!(out, "{} ({})", self.name, self.metric.name())?;
        match &self.levels {
            Levels::Fixed {
                yellow,
                red,
                recover,
            } => {
                if let Some(y) = yellow {
                    write!(out, " yellow {}", y.spelled(scale))?;
                }
                if let Some(r) = red {
                    write!(out, " red {}", r.spelled(scale))?;
                }
                write!(out, " recover {}", recover.spelled(scale))
            }
            Levels::Kpi => write!(out, " thresholds kpi"),
            Levels::Stale(_) => write!(out, " thresholds by frequency"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<RuleSet, Vec<RuleError>> {
        RuleSet::load(&Builtins::none(), &[("r.toml", text)])
    }

    fn errors(text: &str) -> Vec<RuleError> {
        match load(text) {
            Ok(_) => panic!("expected errors"),
            Err(e) => e,
        }
    }

    fn one(text: &str) -> RuleError {
        let e = errors(text);
        assert_eq!(e.len(), 1, "{e:#?}");
        e.into_iter().next().expect("one error")
    }

    const GOOD: &str = r#"
[[rule]]
name = "overdue"
scope = { levels = ["ward", "commune"] }
metric = "tasks.overdue_ratio"
yellow = "> 0.15"
red = "> 0.25"
recover = "< 0.12"
for = "10m"
keep_firing_for = "1h"
escalate_after = "2h"
labels = { team = "ops" }
summary_vi = "Tỷ lệ nhiệm vụ quá hạn của {unit_name} là {value}"
summary_en = "Overdue ratio of {unit_name} is {value}"
notify = ["unit_leader"]
"#;

    #[test]
    fn loads_a_good_rule() {
        let set = load(GOOD).expect("valid");
        let r = set.get("overdue").expect("rule");
        assert_eq!(r.metric(), Metric::TasksOverdueRatio);
        assert_eq!(r.for_ms, 10 * crate::duration::MINUTE);
        assert_eq!(r.escalate_after, Some(2 * crate::duration::HOUR));
        assert_eq!(r.origin(), "r.toml:2");
        assert_eq!(
            r.to_string(),
            "overdue (tasks.overdue_ratio) yellow > 0.15 red > 0.25 recover < 0.12"
        );
    }

    #[test]
    fn unknown_metric() {
        let e = one("[[rule]]\nname = \"a\"\nmetric = \"tasks.late\"\nred = \"> 1\"\n");
        assert_eq!(
            (e.line, e.column, e.field.as_str()),
            (3, 10, "rule[a].metric")
        );
        assert!(e.reason.contains("unknown metric 'tasks.late'"), "{e}");
        assert_eq!(
            e.to_string(),
            format!("r.toml:3:10: rule[a].metric: {}", e.reason)
        );
    }

    #[test]
    fn malformed_duration() {
        let e = one("[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue\"\nred = \"> 1\"\nfor = \"10 minutes\"\n");
        assert_eq!((e.line, e.field.as_str()), (5, "rule[a].for"));
        assert!(e.reason.contains("not a duration"));
    }

    #[test]
    fn unknown_operator() {
        let e = one("[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue\"\n\nred = \"=> 1\"\n");
        assert_eq!((e.line, e.field.as_str()), (5, "rule[a].red"));
        assert!(e.reason.contains("unknown operator '=>'"));
    }

    #[test]
    fn yellow_on_the_wrong_side_of_red() {
        let e = one("[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue_ratio\"\nyellow = \"> 0.3\"\nred = \"> 0.2\"\n");
        assert_eq!((e.line, e.field.as_str()), (5, "rule[a].red"));
        assert!(e.reason.contains("more severe"), "{e}");
        let e = one("[[rule]]\nname = \"a\"\nmetric = \"satisfaction.average\"\nyellow = \"< 3\"\nred = \"< 3.5\"\n");
        assert_eq!(e.field, "rule[a].red");
        let e = one("[[rule]]\nname = \"a\"\nmetric = \"satisfaction.average\"\nyellow = \"< 3\"\nred = \"> 4\"\n");
        assert!(e.reason.contains("opposite directions"));
    }

    #[test]
    fn recover_overlapping_firing() {
        let e = one("[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue_ratio\"\nred = \"> 0.25\"\nrecover = \"< 0.3\"\n");
        assert_eq!((e.line, e.field.as_str()), (5, "rule[a].recover"));
        assert!(e.reason.contains("overlaps"));
        let e = one("[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue_ratio\"\nred = \"> 0.25\"\nrecover = \"> 0.3\"\n");
        assert!(e.reason.contains("same way"));
        // Recovery is judged against yellow, the mildest firing condition.
        let e = one("[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue_ratio\"\nyellow = \"> 0.15\"\nred = \"> 0.25\"\nrecover = \"< 0.2\"\n");
        assert!(e.reason.contains("safe side of yellow"));
    }

    #[test]
    fn duplicate_names_within_and_across_files() {
        let text = "[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue\"\nred = \"> 1\"\n[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue\"\nred = \"> 2\"\n";
        let e = one(text);
        assert_eq!((e.line, e.column, e.field.as_str()), (6, 8, "rule[a].name"));
        assert!(e.reason.contains("first defined at r.toml:1"), "{e}");

        let a = "[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue\"\nred = \"> 1\"\n";
        let e = RuleSet::load(&Builtins::none(), &[("one.toml", a), ("two.toml", a)])
            .expect_err("duplicate");
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].file.as_str(), e[0].line), ("two.toml", 2));
        assert!(e[0].reason.contains("one.toml:1"), "{}", e[0]);
    }

    #[test]
    fn unknown_placeholder() {
        let e = one("[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue\"\nred = \"> 1\"\nsummary_en = \"{unit} has {count}\"\n");
        assert_eq!((e.line, e.field.as_str()), (5, "rule[a].summary_en"));
        assert!(e.reason.contains("unknown placeholder {count}"));
        let e = one("[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue\"\nred = \"> 1\"\nsummary_vi = \"{kpi_name}\"\n");
        assert!(e.reason.contains("only known in kpi"));
    }

    #[test]
    fn unknown_key() {
        let e = one(
            "[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue\"\nred = \"> 1\"\nfour = \"10m\"\n",
        );
        assert_eq!((e.line, e.column, e.field.as_str()), (5, 1, "rule[a].four"));
        assert!(e.reason.contains("unknown key"));
        let e = one("[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue\"\nred = \"> 1\"\nscope = { level = [\"ward\"] }\n");
        assert_eq!(e.field, "rule[a].scope.level");
        let e = one("rules = []\n");
        assert_eq!((e.line, e.field.as_str()), (1, "rules"));
    }

    #[test]
    fn reports_every_error_and_loads_nothing() {
        let text = r#"
[[rule]]
name = "ok"
metric = "tasks.overdue"
red = "> 5"

[[rule]]
name = "bad one"
metric = "kpi.valeu"
yellow = "> x"
for = "5 min"
notify = ["mayor"]
summary_vi = "{unit_nam}"
"#;
        let e = errors(text);
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "rule[#2].name",
                "rule[#2].metric",
                "rule[#2].yellow",
                "rule[#2].for",
                "rule[#2].notify",
                "rule[#2].summary_vi",
            ],
            "{e:#?}"
        );
        let lines: Vec<usize> = e.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![8, 9, 10, 11, 12, 13]);
    }

    #[test]
    fn thresholds_kpi_and_filters() {
        let ok = "[[rule]]\nname = \"a\"\nmetric = \"kpi.value\"\ngroup = \"service\"\nthresholds = \"kpi\"\nescalate_after = \"1d\"\n";
        assert!(load(ok).is_ok());
        let e = one(
            "[[rule]]\nname = \"a\"\nmetric = \"kpi.value\"\nthresholds = \"kpi\"\nred = \"> 3\"\n",
        );
        assert_eq!(e.field, "rule[a].red");
        let e =
            one("[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue\"\nkpi = \"X\"\nred = \"> 3\"\n");
        assert_eq!(e.field, "rule[a].kpi");
        let e = one("[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue\"\nyellow = \"> 3\"\nescalate_after = \"1h\"\n");
        assert_eq!(e.field, "rule[a].escalate_after");
    }

    #[test]
    fn syntax_error_is_located() {
        let e = one("[[rule]]\nname = \"a\"\nmetric = \n");
        assert_eq!((e.line, e.field.as_str()), (3, "toml"));
        let e = one(
            "[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue\"\nred = \"> 1\"\nfor = 10:00:00\n",
        );
        assert!(e.reason.contains("durations in quotes"), "{e}");
    }

    #[test]
    fn inhibitions_name_rules_that_exist_and_say_which_alerts_each_side_takes() {
        let text = "[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue\"\nred = \"> 1\"\n\n[[inhibit]]\nname = \"i\"\nsource = { rules = [\"a\", \"b\"] }\ntarget = { metrics = [\"task.late\"], colour = \"red\" }\nequal = [\"kpi\"]\n";
        let e = errors(text);
        let got: Vec<(usize, &str)> = e.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (9, "inhibit[i].target.metrics"),
                (9, "inhibit[i].target.colour"),
                (8, "inhibit[i].source.rules"),
            ],
            "{e:#?}"
        );
        assert!(e[2].reason.contains("no rule 'b'"), "{}", e[2]);
        let e = one(
            "[[inhibit]]\nname = \"i\"\nsource = {}\ntarget = { metrics = [\"task.overdue\"] }\n",
        );
        assert_eq!((e.line, e.field.as_str()), (3, "inhibit[i].source"));
        assert!(e.reason.contains("empty matcher"), "{e}");
        let e = one("[[inhibit]]\nname = \"i\"\ntarget = { metrics = [\"task.overdue\"] }\n");
        assert_eq!(e.field, "inhibit[i].source");
        // A disabled rule may be named (it matches nothing while disabled).
        let set = load("[[rule]]\nname = \"a\"\nenabled = false\nmetric = \"tasks.overdue\"\nred = \"> 1\"\n[[inhibit]]\nname = \"i\"\nsource = { rules = [\"a\"] }\ntarget = { metrics = [\"task.overdue\"] }\n").expect("valid");
        assert_eq!(set.inhibits().count(), 1);
        // Names are unique across files.
        let i = "[[inhibit]]\nname = \"i\"\nsource = { severity = \"red\" }\ntarget = { metrics = [\"task.overdue\"] }\n";
        let e = RuleSet::load(&Builtins::none(), &[("one.toml", i), ("two.toml", i)])
            .expect_err("duplicate");
        assert_eq!(
            (e[0].file.as_str(), e[0].field.as_str()),
            ("two.toml", "inhibit[i].name")
        );
    }

    #[test]
    fn group_by_takes_the_unit_the_subject_and_labels_the_alerts_carry() {
        let rule = |g: &str| {
            format!("[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue\"\nred = \"> 1\"\nlabels = {{ area = \"tasks\" }}\ngroup_by = {g}\n")
        };
        let set = load(&rule("[\"rule\", \"unit\", \"area\"]")).expect("valid");
        assert_eq!(
            set.get("a").expect("rule").group_by(),
            [GroupBy::Unit, GroupBy::Label("area".into())]
        );
        assert_eq!(
            load(&rule("[]"))
                .expect("valid")
                .get("a")
                .expect("rule")
                .group_by(),
            []
        );
        let e = one(&rule("[\"kpi\"]"));
        assert_eq!((e.line, e.field.as_str()), (6, "rule[a].group_by"));
        assert!(e.reason.contains("only known for kpi"), "{e}");
        let e = one(&rule("[\"unit\", \"colour\"]"));
        assert!(e.reason.contains("unknown key 'colour'"), "{e}");
        assert!(e.reason.contains("area"), "{e}");
        let e = one(&rule("[\"unit\", \"unit\"]"));
        assert!(e.reason.contains("twice"), "{e}");
    }

    #[test]
    fn disabled_rules_are_checked_but_not_loaded() {
        let set = load(
            "[[rule]]\nname = \"a\"\nenabled = false\nmetric = \"tasks.overdue\"\nred = \"> 1\"\n",
        )
        .expect("valid");
        assert!(set.is_empty());
    }
}
