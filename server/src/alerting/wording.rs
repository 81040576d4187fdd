//! What people need to read an alert, looked up in the rollup when it is read (so a renamed task,
//! a reassigned person or a moved deadline shows at once, not at the next transition): the
//! thing's title, its unit's name, who answers for it, since when its duration counts (so a
//! screen counts "overdue 55 days" live instead of showing the figure of the moment it fired)
//! and the threshold its value is measured against. Ids stay in the data for links and the
//! details line; these are what a screen shows instead.

use super::board::StoredAlert;
use crate::domain::{Id, Ts};
use crate::rollup::Rollup;
use alert_rules::{Metric, RuleSet, SubjectKind};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// A person named on a screen: the id for the link, the name to read.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct PersonRef {
    pub id: String,
    pub name: String,
}

/// What a screen shows of an alert's subject.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The task's or key result's title, the KPI's name, the unit's name.
    pub title: String,
    pub unit_name: String,
    /// The task's responsible person; whoever enters a series' values (the last one who did,
    /// else the leader of the KPI's leading unit); a key result's objective owner; else the
    /// unit's leader.
    pub responsible: Option<PersonRef>,
    /// For duration metrics, the instant the duration counts from: a task's deadline
    /// (`task.overdue`), a series' last update (`kpi.staleness`; none: never filled in).
    pub duration_from: Option<Ts>,
    pub metric: Option<Metric>,
    /// The threshold behind its severity.
    pub threshold: Option<f64>,
    /// How far past that threshold its value lies (the rule's units; ranks alerts of a rule).
    pub excess: Option<f64>,
    /// A KPI's unit of measure.
    pub unit_of_measure: Option<String>,
}

/// Looks facts up, remembering names and units already seen: a city's thousands of alerts name
/// a few hundred units and people.
pub struct Lookup<'r> {
    rollup: &'r Rollup,
    rules: &'r RuleSet,
    people: HashMap<Id, Option<String>>,
    units: HashMap<String, (String, Option<Id>)>,
}

impl<'r> Lookup<'r> {
    pub fn new(rollup: &'r Rollup, rules: &'r RuleSet) -> Lookup<'r> {
        Lookup {
            rollup,
            rules,
            people: HashMap::new(),
            units: HashMap::new(),
        }
    }

    /// A person by id with their name (the id when the person is unknown).
    pub fn person(&mut self, id: &Id) -> PersonRef {
        let rollup = self.rollup;
        let name = self
            .people
            .entry(id.clone())
            .or_insert_with(|| rollup.person(id).map(|p| p.name))
            .clone();
        PersonRef {
            id: id.to_string(),
            name: name.unwrap_or_else(|| id.to_string()),
        }
    }

    /// A unit's name and leader.
    fn unit(&mut self, id: &str) -> (String, Option<Id>) {
        let rollup = self.rollup;
        self.units
            .entry(id.to_string())
            .or_insert_with(|| match rollup.unit(id) {
                Some(u) => (u.name, u.leader),
                None => (id.to_string(), None),
            })
            .clone()
    }

    /// Everything a screen says of an alert. `titles`: also the title (lists want it; counting
    /// people in groups does not, and a task's title is its largest field).
    pub fn facts(&mut self, a: &StoredAlert, titles: bool) -> Facts {
        let e = &a.engine;
        let (unit_name, leader) = self.unit(&e.unit);
        let rule = self.rules.get(&e.rule);
        let metric = rule.map(|r| r.metric());
        let mut f = Facts {
            unit_name: unit_name.clone(),
            metric,
            ..Facts::default()
        };
        let mut responsible: Option<Id> = None;
        let mut kpi = None;
        match e.subject_kind {
            SubjectKind::Task => {
                let found = self.rollup.with_task(&e.subject, |t| {
                    let title = if titles {
                        t.title.clone()
                    } else {
                        String::new()
                    };
                    (t.responsible.clone(), t.deadline, title)
                });
                if let Some((person, deadline, title)) = found {
                    responsible = Some(person);
                    if metric == Some(Metric::TaskOverdue) {
                        f.duration_from = Some(deadline);
                    }
                    f.title = title;
                }
            }
            SubjectKind::Series => {
                let code = e.subject.split_once('@').map_or("", |(c, _)| c);
                let found = self.rollup.with_kpi(code, |k| {
                    (
                        super::engine_kpi(k),
                        k.unit_of_measure.clone(),
                        k.leading_unit.clone(),
                    )
                });
                let obs = self.rollup.latest_observation(code, &e.unit);
                responsible = obs.as_ref().and_then(|o| o.entered_by.clone());
                if metric == Some(Metric::KpiStaleness) {
                    f.duration_from = obs.as_ref().map(|o| o.at);
                }
                if let Some((k, uom, leading)) = found {
                    if responsible.is_none() {
                        responsible = self.unit(&leading).1;
                    }
                    f.title.clone_from(&k.name);
                    f.unit_of_measure = Some(uom).filter(|u| !u.is_empty());
                    kpi = Some(k);
                }
            }
            SubjectKind::KeyResult => {
                if let Some(kr) = self.rollup.key_result(&e.subject) {
                    responsible = self.rollup.objective(&kr.objective).and_then(|o| o.owner);
                    f.title = kr.title;
                }
            }
            SubjectKind::Unit => f.title = unit_name,
        }
        if f.title.is_empty() && titles {
            f.title.clone_from(&e.subject);
        }
        f.responsible = responsible.or(leader).map(|p| self.person(&p));
        if let (Some(rule), Some(value)) = (rule, e.value) {
            f.threshold = rule.threshold_of(e.severity, Some(value), kpi.as_ref());
            f.excess = rule
                .excess(e.severity, value, kpi.as_ref())
                .filter(|x| x.is_finite());
        }
        f
    }
}

/// When an alert's trouble began, for ranking and for "the oldest" of a group: the instant its
/// duration counts from (a task's deadline, a series' last update), else when its condition
/// started to hold.
pub fn since(a: &StoredAlert, f: &Facts) -> Ts {
    f.duration_from
        .map_or(a.engine.active_since, |d| d.min(a.engine.active_since))
}
