//! A person's annual result: the mean of their evaluated period totals within the year,
//! classified with the same bands, with any period's override carried over.

use super::{classify, round2, Class, EvaluationBands, EvaluationConfig, PersonScore};
use crate::domain::Period;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AnnualScore {
    pub person: String,
    pub name: String,
    pub unit: String,
    pub position: String,
    pub year: String,
    /// Labels of every period of the year that was given, in order.
    pub periods: Vec<String>,
    /// The periods whose totals make the mean.
    pub evaluated: Vec<PeriodResult>,
    /// Labels of the periods excluded as not evaluated.
    pub not_evaluated: Vec<String>,
    /// Mean of the evaluated totals, rounded to 2 decimals; None when no period was evaluated.
    pub total: Option<f64>,
    pub class: Class,
    pub class_by_points: Class,
    /// Overrides of any period of the year (not evaluated ones included).
    pub overrides: Vec<PeriodOverride>,
    /// Some evaluated period still awaits the leader's criteria scores.
    pub provisional: bool,
    pub notes: Vec<String>,
    pub bands: EvaluationBands,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PeriodResult {
    pub period: String,
    pub total: f64,
    pub class: Class,
    pub provisional: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PeriodOverride {
    pub period: String,
    pub reason: String,
}

/// The annual result from one person's period scores. Scores of another person (than the
/// first) or of a period outside `year` are left out, each with a note.
pub fn annual(cfg: &EvaluationConfig, year: &Period, period_scores: &[PersonScore]) -> AnnualScore {
    let first = period_scores.first();
    let text = |f: fn(&PersonScore) -> &String| first.map(f).cloned().unwrap_or_default();
    let mut notes = Vec::new();
    let mut in_year: Vec<(Period, &PersonScore)> = Vec::new();
    for s in period_scores {
        if Some(&s.person) != first.map(|f| &f.person) {
            notes.push(format!(
                "{} of {} is another person's: left out",
                s.period, s.person
            ));
            continue;
        }
        match Period::parse(&s.period) {
            Ok(p) if year.start <= p.start && p.end <= year.end => in_year.push((p, s)),
            _ => notes.push(format!(
                "{} is not within {}: left out",
                s.period,
                year.label()
            )),
        }
    }
    in_year.sort_by_key(|(p, _)| p.start);

    let mut evaluated = Vec::new();
    let mut not_evaluated = Vec::new();
    let mut overrides = Vec::new();
    for (_, s) in &in_year {
        match s.total {
            Some(total) => evaluated.push(PeriodResult {
                period: s.period.clone(),
                total,
                class: s.class,
                provisional: s.provisional,
            }),
            None => not_evaluated.push(s.period.clone()),
        }
        if let Some(reason) = &s.overridden {
            overrides.push(PeriodOverride {
                period: s.period.clone(),
                reason: reason.clone(),
            });
        }
    }
    let total = (!evaluated.is_empty())
        .then(|| round2(evaluated.iter().map(|r| r.total).sum::<f64>() / evaluated.len() as f64));
    let class_by_points = total.map_or(Class::NotEvaluated, |t| classify(cfg, t));
    let class = if total.is_some() && !overrides.is_empty() {
        notes.push(format!(
            "forced to not complete by the override of {}",
            overrides
                .iter()
                .map(|o| o.period.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        Class::NotComplete
    } else {
        class_by_points
    };
    if total.is_none() {
        notes.push(format!("no evaluated period in {}", year.label()));
    }
    AnnualScore {
        person: text(|s| &s.person),
        name: text(|s| &s.name),
        unit: text(|s| &s.unit),
        position: text(|s| &s.position),
        year: year.label().to_string(),
        periods: in_year.iter().map(|(_, s)| s.period.clone()).collect(),
        provisional: evaluated.iter().any(|r| r.provisional),
        evaluated,
        not_evaluated,
        total,
        class,
        class_by_points,
        overrides,
        notes,
        bands: EvaluationBands::of(cfg),
    }
}
