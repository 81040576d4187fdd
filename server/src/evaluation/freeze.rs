//! Freezing scores: when an OKR period closes, every person's score of each evaluation period
//! inside it is kept as it stands, so later changes to tasks do not rewrite a closed result; an
//! admin's correction of the criteria in a closed period freezes that person's score again.

use super::gather::{compute, people_scores, periods_within};
use super::{with_criteria, CriteriaInput, EvaluationConfig, PersonScore};
use crate::domain::{FrozenScore, Period, PeriodState, Person};
use crate::rollup::Rollup;
use crate::store::{Store, StoreError};

/// What a frozen score's row holds.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct FrozenBody {
    pub(super) frozen_at: crate::domain::Ts,
    pub(super) score: PersonScore,
}

/// Every person's scores for each evaluation period inside `closing`, to be frozen with it.
pub async fn scores_to_freeze(
    store: &dyn Store,
    rollup: &Rollup,
    cfg: &EvaluationConfig,
    closing: &Period,
) -> Result<Vec<FrozenScore>, StoreError> {
    let now = rollup.now();
    let people = rollup.people();
    let mut out = Vec::new();
    for p in periods_within(cfg, closing, now) {
        for s in compute(store, rollup, cfg, &p, &people).await? {
            out.push(frozen(&s, &p, now));
        }
    }
    Ok(out)
}

/// A score as it is frozen.
pub fn frozen(s: &PersonScore, period: &Period, at: crate::domain::Ts) -> FrozenScore {
    let body = serde_json::to_string(&FrozenBody {
        frozen_at: at,
        score: s.clone(),
    })
    .expect("a score serializes");
    FrozenScore {
        person: s.person.as_str().into(),
        unit: s.unit.as_str().into(),
        period: period.clone(),
        body,
        frozen_at: at,
    }
}

/// The score to freeze again with a criteria correction of `person` for `period`, if the period
/// is closed (only an admin's correction gets through there; the writer decides): a frozen
/// score keeps its task part and takes the new criteria, one never frozen (a person added since)
/// is computed whole with them. Without it the frozen score would hide the correction.
pub async fn refreeze(
    store: &dyn Store,
    rollup: &Rollup,
    cfg: &EvaluationConfig,
    period: &Period,
    person: Person,
    input: &CriteriaInput,
) -> Result<Option<FrozenScore>, StoreError> {
    let closed = matches!(rollup.cycle_state(period), Some((PeriodState::Closed, _)));
    if !closed {
        return Ok(None);
    }
    let current = people_scores(store, rollup, cfg, period, vec![person]).await?;
    Ok(current.scores.first().map(|s| {
        let corrected = with_criteria(cfg, s, input);
        frozen(
            &corrected,
            period,
            current.frozen_at.unwrap_or(rollup.now()),
        )
    }))
}
