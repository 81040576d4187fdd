//! The demo city's OKR cycle: the year and its quarters declared (the past ones closed, the
//! current one active), and yearly targets handed to every measured unit of each KPI.

use super::period_label;
use crate::domain::{Frequency, Period, PeriodState, Thresholds, Ts};
use crate::ingest::catalog::KpiIn;
use crate::ingest::cycle::CycleItem;

/// The year and each of its quarters up to the current one: past quarters closed (without
/// frozen scores here; the seed closes them through the same path as an admin), the current
/// quarter and the year active.
pub fn periods(now: Ts) -> Vec<(Period, PeriodState)> {
    let year = period_label(Frequency::Yearly, now, 0);
    let current = period_label(Frequency::Quarterly, now, 0);
    let mut out = vec![(
        Period::parse(&year).expect("a year label parses"),
        PeriodState::Active,
    )];
    for q in 1..=4 {
        let label = format!("{year}-Q{q}");
        let p = Period::parse(&label).expect("a quarter label parses");
        if label == current {
            out.push((p, PeriodState::Active));
            break;
        }
        out.push((p, PeriodState::Closed));
    }
    out
}

/// A yearly target per measured unit: the KPI's green threshold nudged by the unit's position
/// in the list, so targets differ between units as they do when a city hands them down.
pub fn targets(kpis: &[KpiIn], now: Ts) -> Vec<CycleItem> {
    let year = Period::parse(&period_label(Frequency::Yearly, now, 0)).expect("a year parses");
    let mut out = Vec::new();
    for k in kpis {
        let green = match k.thresholds {
            Thresholds::HigherIsBetter { green, .. } | Thresholds::LowerIsBetter { green, .. } => {
                green
            }
            Thresholds::InBand { .. } => continue,
        };
        let units = if k.measured_units.is_empty() {
            vec![k.leading_unit.clone()]
        } else {
            k.measured_units.clone()
        };
        for (i, u) in units.iter().enumerate() {
            let step = (i % 3) as f64 * 0.01 * green.abs().max(1.0);
            let target = match k.thresholds {
                Thresholds::LowerIsBetter { .. } => (green - step).max(0.0),
                _ => green + step,
            };
            out.push(CycleItem::Target {
                kpi: k.code.as_str().into(),
                unit: u.as_str().into(),
                period: year.clone(),
                target: (target * 100.0).round() / 100.0,
            });
        }
    }
    out
}

/// The leaders' general-criteria scores of every official for each finished evaluation period
/// of the year, then the past quarters closed, freezing their scores. Skipped when a period is
/// closed already (a restart of a seeded demo).
pub async fn seed_evaluations(
    writer: &crate::ingest::writer::Writer,
    rollup: &crate::rollup::Rollup,
    store: &dyn crate::store::Store,
    cfg: &crate::evaluation::EvaluationConfig,
    now: Ts,
    seed: u64,
) -> anyhow::Result<usize> {
    use crate::evaluation::freeze::scores_to_freeze;
    use crate::evaluation::gather::periods_within;
    use rand::{rngs::SmallRng, Rng, SeedableRng};
    if rollup
        .periods()
        .iter()
        .any(|p| p.state == PeriodState::Closed)
    {
        return Ok(0);
    }
    let system = crate::auth::Actor::system("demo-seed");
    let mut rng = SmallRng::seed_from_u64(seed);
    let year = Period::parse(&period_label(Frequency::Yearly, now, 0)).expect("a year parses");
    let finished: Vec<Period> = periods_within(cfg, &year, now)
        .into_iter()
        .filter(|p| p.end <= now)
        .collect();
    let people = rollup.people();
    let mut items = Vec::with_capacity(people.len() * finished.len());
    for p in &finished {
        for person in &people {
            // Most officials score high on the general criteria; a few do not, and one in two
            // hundred has a discipline measure that forces "not complete".
            let base: f64 = if rng.gen_bool(0.1) {
                rng.gen_range(0.5..0.8)
            } else {
                rng.gen_range(0.8..1.0)
            };
            let scores = cfg
                .criteria
                .iter()
                .map(|c| (c.id.clone(), (c.max_points * base * 2.0).round() / 2.0))
                .collect();
            let input = crate::evaluation::CriteriaInput {
                scores,
                force_not_complete: rng
                    .gen_bool(0.005)
                    .then(|| "Bị kỷ luật khiển trách trong kỳ".to_string()),
                comment: None,
                by: Some("demo-seed".into()),
                at: Some(crate::domain::time::format_ts(p.end)),
            };
            items.push(CycleItem::Criteria {
                person: person.id.clone(),
                period: p.clone(),
                body: serde_json::to_string(&input).expect("criteria serialize"),
                refreeze: None,
            });
        }
    }
    let n = items.len();
    for chunk in items.chunks(2_000) {
        writer
            .cycle(chunk.to_vec(), &system)
            .await
            .map_err(|e| anyhow::anyhow!("writing the demo criteria: {e}"))?;
    }
    for (quarter, state) in periods(now) {
        if state != PeriodState::Closed {
            continue;
        }
        let frozen = scores_to_freeze(store, rollup, cfg, &quarter).await?;
        writer
            .cycle(
                vec![CycleItem::Period {
                    period: quarter,
                    state: PeriodState::Closed,
                    frozen,
                }],
                &system,
            )
            .await
            .map_err(|e| anyhow::anyhow!("closing a demo quarter: {e}"))?;
    }
    Ok(n)
}
