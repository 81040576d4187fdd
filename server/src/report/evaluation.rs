//! The evaluation section of a review: the classes of the unit's people for the evaluation
//! period holding the review's last day (today, while it runs), the excellent quota, the lowest
//! totals. Scores come from `evaluation::gather`, frozen ones when the period closed.

use super::period::{ReviewKind, ReviewPeriod};
use super::review::{EvaluationLine, EvaluationSummary};
use crate::evaluation::{gather, quota, EvaluationConfig};
use crate::rollup::Rollup;
use crate::store::{Store, StoreError};

/// People listed in `lowest`.
const LOWEST: usize = 5;

/// The evaluation period a review period is summarized by.
fn evaluation_period_of(
    cfg: &EvaluationConfig,
    period: Option<ReviewPeriod>,
    now: crate::domain::Ts,
) -> crate::domain::Period {
    let p = period.unwrap_or_else(|| ReviewPeriod::containing(ReviewKind::Week, now));
    gather::period_containing(cfg, (p.end() - 1).min(now).max(p.start()))
}

/// The summary of `unit`'s subtree for the review period.
pub async fn summary(
    store: &dyn Store,
    rollup: &Rollup,
    cfg: &EvaluationConfig,
    unit: &str,
    period: Option<ReviewPeriod>,
) -> Result<EvaluationSummary, StoreError> {
    let p = evaluation_period_of(cfg, period, rollup.now());
    let scores = gather::unit_scores(store, rollup, cfg, &p, unit)
        .await?
        .scores;
    let q = quota(cfg, &scores);
    let evaluated: Vec<_> = scores.iter().filter(|s| s.total.is_some()).collect();
    let mean_total = (!evaluated.is_empty()).then(|| {
        crate::evaluation::round2(
            evaluated.iter().filter_map(|s| s.total).sum::<f64>() / evaluated.len() as f64,
        )
    });
    let mut lowest = evaluated.clone();
    lowest.sort_by(|a, b| {
        a.total
            .unwrap_or(0.0)
            .total_cmp(&b.total.unwrap_or(0.0))
            .then(a.person.cmp(&b.person))
    });
    let unit_name = |id: &str| rollup.unit(id).map_or(id.to_string(), |u| u.name);
    Ok(EvaluationSummary {
        period: p.label().to_string(),
        provisional: p.end > rollup.now(),
        people: scores.len(),
        evaluated: evaluated.len(),
        excellent: q.counts.excellent as usize,
        good: q.counts.good as usize,
        complete: q.counts.complete as usize,
        not_complete: q.counts.not_complete as usize,
        not_evaluated: q.counts.not_evaluated as usize,
        excellent_cap: q.cap as usize,
        above_cap: q.above_cap.len(),
        mean_total,
        lowest: lowest
            .into_iter()
            .take(LOWEST)
            .map(|s| EvaluationLine {
                person: s.person.clone(),
                name: s.name.clone(),
                unit: unit_name(&s.unit),
                position: s.position.clone(),
                total: s.total,
                class: s.class.as_str().into(),
            })
            .collect(),
    })
}

/// The review of `unit` with its evaluation section. The two are independent (the officials'
/// scores; the subtree's tasks, series and history), so they are read and computed at once:
/// the scores on the runtime and their reads, the review's reads and its walk over every task on
/// a blocking thread, side by side on two cores instead of one after the other.
pub async fn review_with_evaluation(
    store: &std::sync::Arc<dyn Store>,
    rollup: &std::sync::Arc<Rollup>,
    past: &crate::asof::Past,
    cfg: &EvaluationConfig,
    unit: &str,
    period: Option<ReviewPeriod>,
) -> Result<super::review::Review, super::ReportError> {
    let (evaluation, review) = tokio::join!(
        summary(store.as_ref(), rollup, cfg, unit, period),
        super::review::review(store, rollup, past, unit, period)
    );
    let mut review = review?;
    review.evaluation = Some(evaluation?);
    Ok(review)
}
