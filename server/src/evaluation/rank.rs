//! Ranking of scored people by total: competition ranking (1, 2, 2, 4), the not evaluated last
//! and unranked.

use super::{Class, PersonScore};
use serde::Serialize;
use std::cmp::Ordering;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RankLine {
    /// None for a person not evaluated.
    pub rank: Option<u32>,
    pub person: String,
    pub name: String,
    pub unit: String,
    pub position: String,
    pub total: Option<f64>,
    pub class: Class,
}

/// Ranks by total desc; equal totals share a rank and are listed by name, then id. An
/// overridden person keeps the rank of their total (their class shows the override).
pub fn rank(scores: &[&PersonScore]) -> Vec<RankLine> {
    let mut sorted: Vec<&PersonScore> = scores.to_vec();
    sorted.sort_by(|a, b| {
        let by_total = match (a.total, b.total) {
            (Some(x), Some(y)) => y.partial_cmp(&x).unwrap_or(Ordering::Equal),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        by_total
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.person.cmp(&b.person))
    });
    let mut lines = Vec::with_capacity(sorted.len());
    let mut last: Option<(f64, u32)> = None;
    for (i, s) in sorted.iter().enumerate() {
        let rank = s.total.map(|t| match last {
            Some((prev, r)) if prev == t => r,
            _ => {
                let r = i as u32 + 1;
                last = Some((t, r));
                r
            }
        });
        lines.push(RankLine {
            rank,
            person: s.person.clone(),
            name: s.name.clone(),
            unit: s.unit.clone(),
            position: s.position.clone(),
            total: s.total,
            class: s.class,
        });
    }
    lines
}
