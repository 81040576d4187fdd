//! The excellent quota of one unit for one period: how many may be excellent against how many
//! are, shown to the leader and never applied (classifications stay as scored).

use super::{Class, EvaluationConfig, PersonScore};
use serde::Serialize;
use std::cmp::Ordering;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClassCounts {
    pub excellent: u32,
    pub good: u32,
    pub complete: u32,
    pub not_complete: u32,
    pub not_evaluated: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Quota {
    pub counts: ClassCounts,
    pub excellent_quota: f64,
    /// floor(excellent_quota × (good + excellent)): the excellent are chosen among those who
    /// reach good.
    pub cap: u32,
    /// The excellent people, by total desc, then task points desc, then id.
    pub excellent: Vec<QuotaLine>,
    /// Ids of the first `cap` excellent people.
    pub within_cap: Vec<String>,
    /// Ids of the excellent people beyond the cap.
    pub above_cap: Vec<String>,
    /// How many excellent beyond the cap (0 when within).
    pub over_by: u32,
    /// The last person within the cap and the first above it have the same total.
    pub tie_at_cap: bool,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct QuotaLine {
    pub person: String,
    pub name: String,
    pub total: f64,
    pub tasks: f64,
    pub within_cap: bool,
}

/// The quota over `scores`, the scores of one unit's people for one period.
pub fn quota(cfg: &EvaluationConfig, scores: &[PersonScore]) -> Quota {
    let mut counts = ClassCounts::default();
    for s in scores {
        match s.class {
            Class::Excellent => counts.excellent += 1,
            Class::Good => counts.good += 1,
            Class::Complete => counts.complete += 1,
            Class::NotComplete => counts.not_complete += 1,
            Class::NotEvaluated => counts.not_evaluated += 1,
        }
    }
    // The excellent are chosen among those who reach "good": the share is of everyone at good
    // or above, so a unit of excellent officials is not capped at nothing. The slack keeps
    // 0.2 × 10 from flooring to 1 should the product land a hair under 2.
    let reached_good = counts.good + counts.excellent;
    let cap = (cfg.excellent_quota * reached_good as f64 + 1e-9).floor() as u32;
    let mut excellent: Vec<&PersonScore> = scores
        .iter()
        .filter(|s| s.class == Class::Excellent)
        .collect();
    let tasks = |s: &PersonScore| s.tasks.as_ref().map_or(0.0, |t| t.points);
    let total = |s: &PersonScore| s.total.unwrap_or(0.0);
    excellent.sort_by(|a, b| {
        total(b)
            .partial_cmp(&total(a))
            .unwrap_or(Ordering::Equal)
            .then(tasks(b).partial_cmp(&tasks(a)).unwrap_or(Ordering::Equal))
            .then_with(|| a.person.cmp(&b.person))
    });
    let lines: Vec<QuotaLine> = excellent
        .iter()
        .enumerate()
        .map(|(i, s)| QuotaLine {
            person: s.person.clone(),
            name: s.name.clone(),
            total: total(s),
            tasks: tasks(s),
            within_cap: (i as u32) < cap,
        })
        .collect();
    let split = (cap as usize).min(lines.len());
    let tie_at_cap =
        split > 0 && split < lines.len() && lines[split - 1].total == lines[split].total;
    let over_by = counts.excellent.saturating_sub(cap);
    let note = if over_by == 0 {
        format!(
            "{} excellent within the cap of {cap} ({} × {reached_good} at good or above)",
            counts.excellent, cfg.excellent_quota
        )
    } else {
        format!(
            "{} excellent, {over_by} over the cap of {cap} ({} × {reached_good} at good or above); shown, not applied: the classes stay as scored",
            counts.excellent, cfg.excellent_quota
        )
    };
    Quota {
        counts,
        excellent_quota: cfg.excellent_quota,
        cap,
        within_cap: lines[..split].iter().map(|l| l.person.clone()).collect(),
        above_cap: lines[split..].iter().map(|l| l.person.clone()).collect(),
        excellent: lines,
        over_by,
        tie_at_cap,
        note,
    }
}
