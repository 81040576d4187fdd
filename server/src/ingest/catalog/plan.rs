//! Catalog changes inside the writer: the references of each entry checked against the catalog
//! as the rollup and the entries before it in the same request leave it (parents, leaders,
//! units of a KPI, formulas and their inputs, alignment of objectives, at most five key results
//! per objective), who may change each entry (`auth::access::catalog`), and the audit draft of
//! each with the fields that changed.

use super::{CatalogItem, KeyResultIn, KpiIn, ObjectiveIn, PersonIn, UnitIn};
use crate::audit::{changed_fields, Draft};
use crate::auth::{access, Actor};
use crate::domain::{Change, Id, MAX_KEY_RESULTS};
use crate::ingest::writer::WriteError;
use crate::ingest::{denied, ItemError};
use crate::rollup::Rollup;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Checks a catalog request and turns it into changes and their audit drafts, all or nothing.
/// `create_only` refuses entries that exist already (POST): checked here, where no other write
/// can race.
pub(crate) fn plan(
    items: &[CatalogItem],
    create_only: bool,
    rollup: &Rollup,
    actor: &Actor,
) -> Result<(Vec<Change>, Vec<Draft>), WriteError> {
    if create_only {
        if let Some(id) = items.iter().find_map(|i| existing_id(i, rollup)) {
            return Err(WriteError::Conflict(format!(
                "'{id}' exists already; PUT replaces it"
            )));
        }
    }
    // Units this request creates, by their parents: an entry in one of them is judged at the
    // nearest unit that exists (creating the unit itself was judged at its parent), so an
    // import may add a ward with its people in one go.
    let new_units: HashMap<&str, Option<&str>> = items
        .iter()
        .filter_map(|i| match i {
            CatalogItem::Unit(u) if rollup.unit(&u.id).is_none() => {
                Some((&*u.id, u.parent.as_deref()))
            }
            _ => None,
        })
        .collect();
    let existing = |unit: &str| -> Option<String> {
        let mut cur = unit;
        for _ in 0..64 {
            match new_units.get(cur) {
                Some(Some(parent)) if rollup.unit(cur).is_none() => cur = parent,
                Some(None) if rollup.unit(cur).is_none() => return None,
                _ => return Some(cur.to_string()),
            }
        }
        Some(cur.to_string())
    };
    let mut drafts = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let (what, units, before, after, unit) = catalog_audit(item, rollup);
        let units: Vec<Option<String>> = units
            .iter()
            .map(|u| u.as_deref().and_then(existing))
            .collect();
        let units: Vec<Option<&str>> = units.iter().map(|u| u.as_deref()).collect();
        access::catalog(&actor.principal, rollup, &what, &units)
            .map_err(|d| WriteError::Forbidden(denied(d, "").at(i)))?;
        let (old, new) = changed_fields(before.as_ref(), Some(&after));
        let action = if before.is_some() {
            "catalog.replace"
        } else {
            "catalog.create"
        };
        drafts.push(Draft::new(actor.who(), action, what, unit, old, new));
    }
    let changes = plan_catalog(items, rollup).map_err(WriteError::Invalid)?;
    Ok((changes, drafts))
}

/// The id of a catalog entry that exists already, if it does.
fn existing_id(item: &CatalogItem, rollup: &Rollup) -> Option<Id> {
    match item {
        CatalogItem::Unit(u) => rollup.unit(&u.id).map(|_| u.id.clone()),
        CatalogItem::Person(p) => rollup.person(&p.id).map(|_| p.id.clone()),
        CatalogItem::Kpi(k) => rollup.with_kpi(&k.code, |_| k.code.clone()),
        CatalogItem::Objective(o) => rollup.objective(&o.id).map(|_| o.id.clone()),
        CatalogItem::KeyResult(k, _) => rollup.key_result(&k.id).map(|_| k.id.clone()),
    }
}

/// For a catalog entry: its audit name, the units whose admin may change it (`None`: the top
/// of the tree), its JSON before and after, and the unit its entry belongs to.
type CatalogAudit = (
    String,
    Vec<Option<String>>,
    Option<serde_json::Value>,
    serde_json::Value,
    Option<String>,
);

fn catalog_audit(item: &CatalogItem, rollup: &Rollup) -> CatalogAudit {
    fn json<T: Serialize>(t: T) -> serde_json::Value {
        serde_json::to_value(t).unwrap_or_default()
    }
    let s = |id: &Id| Some(id.to_string());
    match item {
        CatalogItem::Unit(u) => {
            let old = rollup.unit(&u.id);
            let mut units = Vec::new();
            if let Some(o) = &old {
                units.push(s(&o.id));
            }
            if old.as_ref().map(|o| &o.parent) != Some(&u.parent) {
                units.push(u.parent.as_ref().and_then(s));
            }
            let before = old.as_ref().map(|o| json(UnitIn::from(o)));
            (
                format!("unit:{}", u.id),
                units,
                before,
                json(UnitIn::from(u)),
                s(&u.id),
            )
        }
        CatalogItem::Person(p) => {
            let old = rollup.person(&p.id);
            let mut units: Vec<_> = old.iter().map(|o| s(&o.unit)).collect();
            units.push(s(&p.unit));
            let before = old.as_ref().map(|o| json(PersonIn::from(o)));
            (
                format!("person:{}", p.id),
                units,
                before,
                json(PersonIn::from(p)),
                s(&p.unit),
            )
        }
        CatalogItem::Kpi(k) => {
            let old = rollup.kpi(&k.code);
            let mut units: Vec<_> = old.iter().map(|o| s(&o.leading_unit)).collect();
            units.push(s(&k.leading_unit));
            let before = old.as_ref().map(|o| json(KpiIn::from(o)));
            (
                format!("kpi:{}", k.code),
                units,
                before,
                json(KpiIn::from(k)),
                s(&k.leading_unit),
            )
        }
        CatalogItem::Objective(o) => {
            let old = rollup.objective(&o.id);
            let mut units: Vec<_> = old.iter().map(|x| s(&x.unit)).collect();
            units.push(s(&o.unit));
            let before = old.as_ref().map(|x| json(ObjectiveIn::from(x)));
            (
                format!("objective:{}", o.id),
                units,
                before,
                json(ObjectiveIn::from(o)),
                s(&o.unit),
            )
        }
        CatalogItem::KeyResult(kr, _) => {
            let unit = rollup.objective(&kr.objective).map(|o| o.unit.to_string());
            let old = rollup.key_result(&kr.id);
            // Where it is as well as where it goes: an admin elsewhere must not take it over.
            let mut units = vec![unit.clone()];
            if let Some(o) = &old {
                if o.objective != kr.objective {
                    units.push(rollup.objective(&o.objective).map(|x| x.unit.to_string()));
                }
            }
            let before = old.as_ref().map(|x| json(KeyResultIn::from(x)));
            // An objective not yet in the catalog: only an admin of the whole tree vouches.
            (
                format!("key_result:{}", kr.id),
                units,
                before,
                json(KeyResultIn::from(kr)),
                unit,
            )
        }
    }
}

/// A computed KPI's formula uses KPIs that exist and are reported as often (a value is
/// computed per unit and period), never itself, directly or through others; a weighted roll-up
/// names a KPI that exists.
fn check_formula(
    k: &crate::domain::Kpi,
    batch: &HashMap<Id, crate::domain::Kpi>,
    rollup: &Rollup,
) -> Result<(), ItemError> {
    let frequency_of = |code: &str| {
        batch
            .get(code)
            .map(|x| x.frequency)
            .or_else(|| rollup.with_kpi(code, |x| x.frequency))
    };
    if let crate::domain::aggregate::RollupRule::WeightedMean { weight } = &k.rollup {
        if *weight != *k.code && frequency_of(weight).is_none() {
            return Err(ItemError::new(
                "rollup.weight",
                format!("unknown KPI '{weight}'"),
            ));
        }
    }
    // The KPIs computed from this one keep combining values of one period.
    for d in rollup.computed_from(&k.code) {
        let d_frequency = batch.get(&d.code).map_or(d.frequency, |x| x.frequency);
        if d_frequency != k.frequency {
            return Err(ItemError::new(
                "frequency",
                format!(
                    "'{}' is computed from '{}' and reported {}: change both together",
                    d.code,
                    k.code,
                    d_frequency.as_str()
                ),
            ));
        }
    }
    let Some(f) = &k.expression else {
        return Ok(());
    };
    // Cycles first: a formula naming its own KPI is about itself, not about an unknown input.
    let formulas_of = |code: &str| -> Option<Vec<Id>> {
        if code == &*k.code {
            return Some(f.inputs().to_vec());
        }
        match batch.get(code) {
            Some(x) => x.expression.as_ref().map(|g| g.inputs().to_vec()),
            None => rollup.formula_inputs(code),
        }
    };
    crate::domain::formula::check_cycles(&k.code, f.inputs(), formulas_of)
        .map_err(|e| ItemError::new("expression", e))?;
    for input in f.inputs() {
        match frequency_of(input) {
            None => {
                return Err(ItemError::new(
                    "expression",
                    format!("unknown KPI '{input}' in the formula"),
                ))
            }
            Some(freq) if freq != k.frequency => {
                return Err(ItemError::new(
                    "expression",
                    format!(
                        "'{input}' is reported {} but '{}' {}: a formula combines values of the same period",
                        freq.as_str(),
                        k.code,
                        k.frequency.as_str()
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Alignment follows the org tree and the calendar: an objective aligns to one of its own unit or
/// of a unit above, for a period containing its own, and never to one aligned below it.
fn check_alignment(
    o: &crate::domain::Objective,
    parent: &crate::domain::Objective,
    units: &HashMap<Id, Option<Id>>,
    objectives: &HashMap<Id, crate::domain::Objective>,
    rollup: &Rollup,
) -> Result<(), String> {
    if !chain_reaches(&o.unit, &parent.unit, |u| {
        batch_unit_parent(units, rollup, u)
    }) {
        return Err(format!(
            "objective '{}' belongs to unit '{}', which is neither '{}' nor above it: an objective aligns to one of its own unit or a unit above",
            parent.id, parent.unit, o.unit
        ));
    }
    if !parent.period.contains(&o.period) {
        return Err(format!(
            "objective '{}' is for {}, which does not contain {}",
            parent.id, parent.period, o.period
        ));
    }
    let objective_parent = |id: &Id| match objectives.get(id) {
        Some(x) => x.parent.clone(),
        None => rollup.objective(id).and_then(|x| x.parent),
    };
    if chain_reaches(&parent.id, &o.id, objective_parent) {
        return Err(format!(
            "objective '{}' is aligned below '{}': that would make a cycle",
            parent.id, o.id
        ));
    }
    Ok(())
}

/// A unit's parent as this batch leaves it (the batch first, then the catalog).
fn batch_unit_parent(units: &HashMap<Id, Option<Id>>, rollup: &Rollup, u: &Id) -> Option<Id> {
    match units.get(u) {
        Some(p) => p.clone(),
        None => rollup.unit(u).and_then(|x| x.parent),
    }
}

/// The root of the tree other than `id`, as this batch leaves it: a unit of the batch without a
/// parent, or the catalog's root unless the batch gave it a parent.
fn other_root(units: &HashMap<Id, Option<Id>>, rollup: &Rollup, id: &Id) -> Option<Id> {
    if let Some((root, _)) = units.iter().find(|(u, p)| p.is_none() && *u != id) {
        return Some(root.clone());
    }
    let root = Id::from(rollup.root_unit()?.as_str());
    (root != *id && !matches!(units.get(&root), Some(Some(_)))).then_some(root)
}

/// Whether walking up from `start` by `parent_of` reaches `target` (`start` itself included).
/// Bounded: a catalog deeper than 64 levels, or a cycle that slipped in, ends the walk.
fn chain_reaches(start: &Id, target: &Id, parent_of: impl Fn(&Id) -> Option<Id>) -> bool {
    let mut cur = Some(start.clone());
    for _ in 0..64 {
        let Some(c) = cur else { return false };
        if c == *target {
            return true;
        }
        cur = parent_of(&c);
    }
    false
}

/// Checks catalog entries against the catalog (and each other) and turns them into changes.
pub fn plan_catalog(items: &[CatalogItem], rollup: &Rollup) -> Result<Vec<Change>, ItemError> {
    let mut units: HashMap<Id, Option<Id>> = HashMap::new();
    let mut people: HashSet<Id> = HashSet::new();
    // Objectives of this batch, so later entries can align to them and key results find them.
    let mut objectives: HashMap<Id, crate::domain::Objective> = HashMap::new();
    let mut new_krs: HashMap<Id, usize> = HashMap::new();
    // KPIs of this batch, so formulas may refer to KPIs defined alongside them.
    let mut kpis: HashMap<Id, crate::domain::Kpi> = HashMap::new();
    let mut kr_ids: HashSet<Id> = HashSet::new();
    let unit_known = |units: &HashMap<Id, Option<Id>>, id: &Id| {
        units.contains_key(id) || rollup.unit(id).is_some()
    };
    let mut changes = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let change = match item {
            CatalogItem::Unit(u) => {
                if let Some(p) = &u.parent {
                    if !unit_known(&units, p) {
                        return Err(ItemError::new(
                            "parent",
                            crate::msg!("unknown_unit", id = p.to_string()),
                        )
                        .at(i));
                    }
                    // Refuse a parent that lies below the unit itself.
                    if chain_reaches(p, &u.id, |c| batch_unit_parent(&units, rollup, c)) {
                        return Err(ItemError::new(
                            "parent",
                            format!("'{p}' lies inside unit '{}': that would make a cycle", u.id),
                        )
                        .at(i));
                    }
                }
                if u.parent.is_none() {
                    // One tree per server (until tenants exist): a second root would sit
                    // outside every board, its people and tasks counted nowhere.
                    if let Some(root) = other_root(&units, rollup, &u.id) {
                        let name = rollup
                            .unit_ref(&root)
                            .map(|r| r.name)
                            .unwrap_or(root.to_string());
                        return Err(ItemError::new(
                            "parent",
                            crate::msg!("second_root", id = u.id.clone(), root = name),
                        )
                        .at(i));
                    }
                }
                if let Some(l) = &u.leader {
                    if !people.contains(l) && rollup.person(l).is_none() {
                        return Err(ItemError::new(
                            "leader",
                            crate::msg!("unknown_person", id = l.to_string()),
                        )
                        .at(i));
                    }
                }
                units.insert(u.id.clone(), u.parent.clone());
                Change::Unit(u.clone())
            }
            CatalogItem::Person(p) => {
                if !unit_known(&units, &p.unit) {
                    return Err(ItemError::new(
                        "unit",
                        crate::msg!("unknown_unit", id = p.unit.to_string()),
                    )
                    .at(i));
                }
                people.insert(p.id.clone());
                Change::Person(p.clone())
            }
            CatalogItem::Kpi(k) => {
                let fields = std::iter::once(("leading_unit".to_string(), &k.leading_unit))
                    .chain(
                        k.coordinating_units
                            .iter()
                            .enumerate()
                            .map(|(j, u)| (format!("coordinating_units[{j}]"), u)),
                    )
                    .chain(
                        k.measured_units
                            .iter()
                            .enumerate()
                            .map(|(j, u)| (format!("measured_units[{j}]"), u)),
                    );
                for (field, u) in fields {
                    if !unit_known(&units, u) {
                        return Err(ItemError::new(
                            field,
                            crate::msg!("unknown_unit", id = u.to_string()),
                        )
                        .at(i));
                    }
                }
                check_formula(k, &kpis, rollup).map_err(|e| e.at(i))?;
                kpis.insert(k.code.clone(), k.clone());
                Change::Kpi(k.clone())
            }
            CatalogItem::Objective(o) => {
                if !unit_known(&units, &o.unit) {
                    return Err(ItemError::new(
                        "unit",
                        crate::msg!("unknown_unit", id = o.unit.to_string()),
                    )
                    .at(i));
                }
                if let Some(p) = &o.parent {
                    let Some(parent) = objectives.get(p).cloned().or_else(|| rollup.objective(p))
                    else {
                        return Err(ItemError::new(
                            "parent",
                            crate::msg!("unknown_objective", id = p.to_string()),
                        )
                        .at(i));
                    };
                    check_alignment(o, &parent, &units, &objectives, rollup)
                        .map_err(|reason| ItemError::new("parent", reason).at(i))?;
                }
                if let Some(p) = &o.owner {
                    if !people.contains(p) && rollup.person(p).is_none() {
                        return Err(ItemError::new(
                            "owner",
                            crate::msg!("unknown_person", id = p.to_string()),
                        )
                        .at(i));
                    }
                }
                objectives.insert(o.id.clone(), o.clone());
                Change::Objective(o.clone())
            }
            CatalogItem::KeyResult(kr, current) => {
                let existing = rollup.key_result(&kr.id);
                if !objectives.contains_key(&kr.objective)
                    && rollup.objective(&kr.objective).is_none()
                {
                    return Err(ItemError::new(
                        "objective",
                        crate::msg!("unknown_objective", id = kr.objective.to_string()),
                    )
                    .at(i));
                }
                let moving = existing
                    .as_ref()
                    .is_none_or(|e| e.objective != kr.objective);
                if moving && kr_ids.insert(kr.id.clone()) {
                    let n = new_krs
                        .entry(kr.objective.clone())
                        .or_insert_with(|| rollup.key_results_of(&kr.objective).len());
                    *n += 1;
                    if *n > MAX_KEY_RESULTS {
                        return Err(ItemError::new(
                            "objective",
                            format!("objective '{}' already has {MAX_KEY_RESULTS} key results; the method allows at most {MAX_KEY_RESULTS}", kr.objective),
                        )
                        .at(i));
                    }
                }
                let mut kr = kr.clone();
                // Without `current`, or with the one it has (a read sent back), it keeps its
                // last check-in: value, time and confidence.
                if let Some(e) = existing
                    .as_ref()
                    .filter(|e| current.is_none_or(|c| c == e.current))
                {
                    kr.current = e.current;
                    kr.current_at = e.current_at;
                    kr.confidence = e.confidence;
                }
                Change::KeyResult(kr)
            }
        };
        changes.push(change);
    }
    Ok(changes)
}
