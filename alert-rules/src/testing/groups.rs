//! What a unit's screen shows, in rule tests: `view = "..."` on `[[test.expect]]` (the alerts
//! shown from that unit) and `[[test.expect_groups]]` (its groups, with their counts and what
//! their alerts inhibit), computed with the same grouping and inhibition the server uses.

use super::{required_duration, Fields};
use crate::duration::format_duration;
use crate::engine::{Alert, Engine, State};
use crate::group::{AlertFacts, GroupKey, Placement};
use crate::model::Severity;
use crate::rule::RuleSet;
use crate::source::{Source, Val};
use std::collections::{BTreeMap, HashSet};
use toml::Spanned;

pub(super) struct ExpectGroups {
    pub(super) at: i64,
    view: String,
    rule: Option<String>,
    groups: Vec<ExpectedGroup>,
}

struct ExpectedGroup {
    key: GroupKey,
    severity: Option<Severity>,
    count: Option<u64>,
    red: Option<u64>,
    yellow: Option<u64>,
    pending: Option<u64>,
    inhibits: Option<u64>,
}

/// A group as the test sees it.
#[derive(Default, Debug)]
struct Got {
    severity: Option<Severity>,
    count: u64,
    red: u64,
    yellow: u64,
    pending: u64,
    inhibits: u64,
    pending_worst: Option<Severity>,
}

pub(super) fn parse_expect_groups(
    src: &mut Source<'_>,
    v: &Spanned<Val>,
    field: String,
) -> Option<ExpectGroups> {
    let f = Fields::new(src, v, &field, &["at", "view", "rule", "groups"])?;
    let at = required_duration(src, &f, "at");
    let view = f.required(src, "view");
    let rule = f.string(src, "rule");
    if f.get("groups").is_none() {
        src.report(
            &f.span,
            &f.field("groups"),
            "missing (write groups = [] to expect none)",
        );
        return None;
    }
    let groups = f.tables(src, "groups", parse_group);
    let written = f.get("groups").and_then(|v| match v.get_ref() {
        Val::Array(items) => Some(items.len()),
        _ => None,
    });
    if written != Some(groups.len()) {
        return None;
    }
    Some(ExpectGroups {
        at: at?,
        view: view?,
        rule,
        groups,
    })
}

fn parse_group(src: &mut Source<'_>, v: &Spanned<Val>, field: String) -> Option<ExpectedGroup> {
    let f = Fields::new(
        src,
        v,
        &field,
        &[
            "unit", "rule", "by", "severity", "count", "red", "yellow", "pending", "inhibits",
        ],
    )?;
    let unit = f.required(src, "unit");
    let rule = f.required(src, "rule");
    let mut by = Vec::new();
    if let Some(t) = f.get("by") {
        for (k, val) in src.table(t, &f.field("by")).unwrap_or_default() {
            if let Some(s) = src.string(val, &format!("{}.{}", f.field("by"), k.get_ref())) {
                by.push((k.get_ref().clone(), s.to_owned()));
            }
        }
    }
    let severity = match f.string(src, "severity") {
        None => None,
        Some(s) => match Severity::parse(&s) {
            Some(sev) => Some(sev),
            None => {
                if let Some(v) = f.get("severity") {
                    src.report(
                        &v.span(),
                        &f.field("severity"),
                        format!("unknown severity '{s}'; \"yellow\" or \"red\""),
                    );
                }
                return None;
            }
        },
    };
    let mut count = |key: &str| -> Option<u64> {
        let v = f.get(key)?;
        let n = src.number(v, &f.field(key))?;
        if n < 0.0 || n.fract() != 0.0 {
            src.report(
                &v.span(),
                &f.field(key),
                "a count: a whole number, 0 or more",
            );
            return None;
        }
        Some(n as u64)
    };
    let (c, red, yellow, pending, inhibits) = (
        count("count"),
        count("red"),
        count("yellow"),
        count("pending"),
        count("inhibits"),
    );
    Some(ExpectedGroup {
        key: GroupKey {
            unit: unit?,
            rule: rule?,
            by,
        },
        severity,
        count: c,
        red,
        yellow,
        pending,
        inhibits,
    })
}

/// Each live alert with its chain of units and labels, as grouping reads them.
fn facts_of(engine: &Engine) -> Vec<(&Alert, Vec<String>, BTreeMap<String, String>)> {
    engine
        .alerts()
        .map(|a| {
            let mut chain = vec![a.unit.clone()];
            chain.extend(engine.ancestors_of(&a.unit).iter().rev().cloned());
            (a, chain, engine.labels(a))
        })
        .collect()
}

fn facts<'a>(
    a: &'a Alert,
    chain: &'a [String],
    labels: &'a BTreeMap<String, String>,
) -> AlertFacts<'a, String> {
    AlertFacts {
        rule: &a.rule,
        subject: &a.subject,
        chain,
        firing: a.state == State::Firing,
        severity: a.severity,
        labels,
    }
}

/// The (rule, subject) of every alert the screen of `view` shows.
pub(super) fn shown_from(
    engine: &Engine,
    rules: &RuleSet,
    view: &str,
) -> HashSet<(String, String)> {
    let all = facts_of(engine);
    let inhibition = rules.inhibition(all.iter().map(|(a, c, l)| facts(a, c, l)));
    all.iter()
        .filter(|(a, c, l)| {
            matches!(
                inhibition.place(rules, view, &facts(a, c, l)),
                Placement::Shown(_)
            )
        })
        .map(|(a, _, _)| (a.rule.clone(), a.subject.clone()))
        .collect()
}

/// `None` when the groups seen from the view are those expected; otherwise a diff.
pub(super) fn compare(engine: &Engine, rules: &RuleSet, e: &ExpectGroups) -> Option<String> {
    let all = facts_of(engine);
    let inhibition = rules.inhibition(all.iter().map(|(a, c, l)| facts(a, c, l)));
    let mut got: BTreeMap<GroupKey, Got> = BTreeMap::new();
    let mut held: Vec<(String, String)> = Vec::new();
    for (a, c, l) in &all {
        match inhibition.place(rules, &e.view, &facts(a, c, l)) {
            Placement::Shown(key) => {
                let g = got.entry(key).or_default();
                g.count += 1;
                match (a.state, a.severity) {
                    (State::Firing, Severity::Red) => g.red += 1,
                    (State::Firing, Severity::Yellow) => g.yellow += 1,
                    _ => g.pending += 1,
                }
                if a.state != State::Firing {
                    g.pending_worst = g.pending_worst.max(Some(a.severity));
                }
            }
            Placement::Inhibited(by) => held.push((by.rule, by.subject)),
            Placement::Outside => {}
        }
    }
    // What an inhibited alert adds to: the group its inhibiting alert is shown in.
    for (rule, subject) in held {
        let source = all
            .iter()
            .find(|(a, _, _)| a.rule == rule && a.subject == subject);
        if let Some((a, c, l)) = source {
            if let Placement::Shown(key) = inhibition.place(rules, &e.view, &facts(a, c, l)) {
                got.entry(key).or_default().inhibits += 1;
            }
        }
    }
    got.retain(|k, _| e.rule.as_ref().is_none_or(|r| *r == k.rule));
    // A group is as bad as its worst warning; one of pending alerts only as its worst of those.
    for g in got.values_mut() {
        g.severity = if g.red > 0 {
            Some(Severity::Red)
        } else if g.yellow > 0 {
            Some(Severity::Yellow)
        } else {
            g.pending_worst
        };
    }

    let mut lines = Vec::new();
    let mut seen = HashSet::new();
    for x in &e.groups {
        let name = x.key.to_string();
        let Some(g) = got.get(&x.key) else {
            lines.push(format!("- {name}    (expected, not shown)"));
            continue;
        };
        seen.insert(x.key.clone());
        let mut diffs = Vec::new();
        if let Some(s) = x.severity {
            if g.severity != Some(s) {
                diffs.push(format!(
                    "severity: expected {}, got {}",
                    s.as_str(),
                    g.severity.map_or("none", Severity::as_str)
                ));
            }
        }
        for (what, want, have) in [
            ("count", x.count, g.count),
            ("red", x.red, g.red),
            ("yellow", x.yellow, g.yellow),
            ("pending", x.pending, g.pending),
            ("inhibits", x.inhibits, g.inhibits),
        ] {
            if let Some(want) = want {
                if want != have {
                    diffs.push(format!("{what}: expected {want}, got {have}"));
                }
            }
        }
        if !diffs.is_empty() {
            lines.push(format!("~ {name}: {}", diffs.join("; ")));
        }
    }
    for (k, g) in &got {
        if !seen.contains(k) {
            lines.push(format!(
                "+ {k}    (shown, not expected; {} alerts, {} inhibited)",
                g.count, g.inhibits
            ));
        }
    }
    if lines.is_empty() {
        return None;
    }
    Some(format!(
        "at {} (groups seen from {}): groups differ\n{}",
        format_duration(e.at),
        e.view,
        lines.join("\n")
    ))
}
