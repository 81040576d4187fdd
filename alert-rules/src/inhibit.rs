//! `[[inhibit]]` tables: which firing alerts (the source) keep which others (the target) off the
//! screens above the source's unit, read and checked like rules, every problem located.

use crate::group::AlertFacts;
use crate::metric::Metric;
use crate::model::Severity;
use crate::source::{Source, Val};
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

/// Which alerts one side of an inhibition takes; every given part must match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Matcher {
    pub rules: Vec<String>,
    pub metrics: Vec<Metric>,
    pub severity: Option<Severity>,
    pub labels: BTreeMap<String, String>,
}

impl Matcher {
    pub(crate) fn matches<C: AsRef<str>>(&self, a: &AlertFacts<C>) -> bool {
        (self.rules.is_empty() || self.rules.iter().any(|r| r == a.rule))
            && (self.metrics.is_empty()
                || a.labels
                    .get("metric")
                    .is_some_and(|m| self.metrics.iter().any(|x| x.name() == m)))
            && self.severity.is_none_or(|s| s == a.severity)
            && self.labels.iter().all(|(k, v)| a.labels.get(k) == Some(v))
    }
}

/// A validated inhibition.
#[derive(Debug, Clone, PartialEq)]
pub struct Inhibit {
    pub name: String,
    pub description: Option<String>,
    /// The firing alerts that inhibit.
    pub source: Matcher,
    /// The alerts they hide, in the subtree of the source's unit.
    pub target: Matcher,
    /// Labels that must have the same value on both (absent on both counts as the same).
    pub equal: Vec<String>,
}

/// Rule names an inhibition refers to, with where they are written, checked once every file
/// is loaded (a rule may be defined in another file).
pub(crate) type RuleRefs = Vec<(String, Range<usize>, String)>;

const KEYS: [&str; 6] = [
    "name",
    "description",
    "source",
    "target",
    "equal",
    "enabled",
];
const MATCHER_KEYS: [&str; 4] = ["rules", "metrics", "severity", "labels"];

/// One `[[inhibit]]` table, with the span of its name; `None` when it has any error (all
/// reported) or is disabled. The rule names it refers to come back either way, so that they are
/// checked too.
pub(crate) fn parse_inhibit(
    src: &mut Source<'_>,
    item: &Spanned<Val>,
    index: usize,
    refs: &mut RuleRefs,
) -> Option<(Inhibit, Range<usize>)> {
    let before = src.errors.len();
    let position = format!("inhibit[#{}]", index + 1);
    let entries = src.table(item, &position)?;
    let get = |k: &str| {
        entries
            .iter()
            .find(|(key, _)| key.get_ref() == k)
            .map(|(_, v)| v)
    };
    let mut name = None;
    let mut name_span = item.span();
    match get("name") {
        None => src.report(
            &item.span(),
            &format!("{position}.name"),
            "missing: every inhibition needs a unique name",
        ),
        Some(v) => {
            name_span = v.span();
            if let Some(s) = src.string(v, &format!("{position}.name")) {
                match crate::rule::check_name(s) {
                    Ok(()) => name = Some(s.to_owned()),
                    Err(e) => src.report(&v.span(), &format!("{position}.name"), e),
                }
            }
        }
    }
    let prefix = match &name {
        Some(n) => format!("inhibit[{n}]"),
        None => position,
    };
    let f = |k: &str| format!("{prefix}.{k}");
    for (key, _) in entries {
        if !KEYS.contains(&key.get_ref().as_str()) {
            src.unknown_key(key, &prefix, &KEYS);
        }
    }
    let enabled = get("enabled")
        .and_then(|v| src.boolean(v, &f("enabled")))
        .unwrap_or(true);
    let description =
        get("description").and_then(|v| src.string(v, &f("description")).map(str::to_owned));
    let mut side = |src: &mut Source<'_>, key: &str| -> Option<Matcher> {
        let Some(v) = get(key) else {
            src.report(
                &item.span(),
                &f(key),
                "missing: say which alerts, e.g. { rules = [\"overdue_ratio_ward\"] } or { metrics = [\"task.overdue\"] }",
            );
            return None;
        };
        parse_matcher(src, v, &f(key), refs)
    };
    let source = side(src, "source");
    let target = side(src, "target");
    let equal: Vec<String> = match get("equal") {
        Some(v) => src
            .strings(v, &f("equal"))
            .unwrap_or_default()
            .into_iter()
            .map(Spanned::into_inner)
            .collect(),
        None => Vec::new(),
    };
    if src.errors.len() > before || !enabled {
        return None;
    }
    Some((
        Inhibit {
            name: name?,
            description,
            source: source?,
            target: target?,
            equal,
        },
        name_span,
    ))
}

fn parse_matcher(
    src: &mut Source<'_>,
    v: &Spanned<Val>,
    field: &str,
    refs: &mut RuleRefs,
) -> Option<Matcher> {
    let entries = src.table(v, field)?;
    let mut m = Matcher::default();
    for (key, value) in entries {
        let sub = format!("{field}.{}", key.get_ref());
        match key.get_ref().as_str() {
            "rules" => {
                for r in src.strings(value, &sub).unwrap_or_default() {
                    refs.push((r.get_ref().clone(), r.span(), sub.clone()));
                    m.rules.push(r.into_inner());
                }
            }
            "metrics" => {
                for item in src.strings(value, &sub).unwrap_or_default() {
                    match Metric::parse(item.get_ref()) {
                        Some(metric) => m.metrics.push(metric),
                        None => src.report(
                            &item.span(),
                            &sub,
                            format!(
                                "unknown metric '{}'; known: {}",
                                item.get_ref(),
                                Metric::ALL.map(Metric::name).join(", ")
                            ),
                        ),
                    }
                }
            }
            "severity" => {
                if let Some(s) = src.string(value, &sub) {
                    match Severity::parse(s) {
                        Some(sev) => m.severity = Some(sev),
                        None => src.report(
                            &value.span(),
                            &sub,
                            format!("unknown severity '{s}'; \"yellow\" or \"red\""),
                        ),
                    }
                }
            }
            "labels" => {
                if let Some(labels) = src.table(value, &sub) {
                    for (k, lv) in labels {
                        let lf = format!("{sub}.{}", k.get_ref());
                        if let Some(s) = src.string(lv, &lf) {
                            m.labels.insert(k.get_ref().clone(), s.to_owned());
                        }
                    }
                }
            }
            _ => src.unknown_key(key, field, &MATCHER_KEYS),
        }
    }
    if m == Matcher::default() && entries.is_empty() {
        src.report(
            &v.span(),
            field,
            "an empty matcher would take every alert: name rules, metrics, a severity or labels",
        );
        return None;
    }
    Some(m)
}
