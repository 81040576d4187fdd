//! `ioc bench --okr`: what the OKR cycle and the evaluation cost on the full demo city (5,000
//! officials, 100,000 tasks): a unit's and the whole city's scores for a month, freezing a
//! quarter, a KPI board with its roll-ups, the alignment tree, and the monthly and quarterly
//! review with its evaluation section.

use crate::clock::ClockMode;
use crate::demo::DemoSize;
use crate::domain::time::now_ms;
use crate::domain::Period;
use crate::evaluation::gather;
use hdrhistogram::Histogram;
use std::time::Instant;

/// Times `f` `n` times; prints p50 and max in ms, and records the p50 as `key`.
async fn timed<F, Fut, T>(key: &str, what: &str, n: usize, mut f: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut h = Histogram::<u64>::new(3)?;
    let mut last = None;
    for _ in 0..n {
        let t = Instant::now();
        last = Some(f().await?);
        h.record(t.elapsed().as_micros().max(1) as u64)?;
    }
    println!(
        "{what}: p50 {:.1} ms, max {:.1} ms over {n}",
        h.value_at_quantile(0.5) as f64 / 1000.0,
        h.max() as f64 / 1000.0
    );
    super::figures::record(
        format!("okr.{key}.p50_ms"),
        h.value_at_quantile(0.5) as f64 / 1000.0,
        "ms",
        super::figures::Better::Lower,
    );
    last.ok_or_else(|| anyhow::anyhow!("nothing timed"))
}

pub async fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/okr.db", dir.path().display());
    let (node, tasks) =
        crate::open_without_rules(&url, ClockMode::Manual, super::bench_limits()).await?;
    let now = now_ms();
    node.writer.tick(now).await?;
    let size = DemoSize::full();
    let t = Instant::now();
    crate::demo::seed(&node.writer, &node.rollup, &size, now, 1).await?;
    let seeded = t.elapsed().as_secs_f64();
    println!(
        "\n== okr: the full demo city seeded in {seeded:.1} s ({} tasks, {} people)",
        node.rollup.task_count(),
        node.rollup.person_ids().len()
    );
    super::figures::record(
        "okr.demo_seed_seconds",
        seeded,
        "s",
        super::figures::Better::Lower,
    );
    let cfg = node.evaluation.clone();
    let t = Instant::now();
    let criteria = crate::demo::seed_evaluations(
        &node.writer,
        &node.rollup,
        node.store.as_ref(),
        &cfg,
        now,
        1,
    )
    .await?;
    println!(
        "criteria for {criteria} person-months written and past quarters closed (scores frozen) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let month = gather::period_containing(&cfg, now);
    let root = node.rollup.root_unit().unwrap_or_default();
    let ward = node
        .rollup
        .units()
        .into_iter()
        .find(|u| u.level == crate::domain::UnitLevel::Ward)
        .map(|u| u.id.to_string())
        .unwrap_or_default();
    let store = node.store.clone();
    let rollup = node.rollup.clone();
    let scores = timed(
        "ward_scores",
        &format!("a ward's scores for {month} ({ward})"),
        20,
        || {
            let (store, rollup, cfg, ward, month) = (
                store.clone(),
                rollup.clone(),
                cfg.clone(),
                ward.clone(),
                month.clone(),
            );
            async move {
                Ok(
                    gather::unit_scores(store.as_ref(), &rollup, &cfg, &month, &ward)
                        .await?
                        .scores
                        .len(),
                )
            }
        },
    )
    .await?;
    println!("  ({scores} people)");
    let scores = timed(
        "city_scores",
        &format!("the whole city's scores for {month}"),
        5,
        || {
            let (store, rollup, cfg, root, month) = (
                store.clone(),
                rollup.clone(),
                cfg.clone(),
                root.clone(),
                month.clone(),
            );
            async move {
                Ok(
                    gather::unit_scores(store.as_ref(), &rollup, &cfg, &month, &root)
                        .await?
                        .scores
                        .len(),
                )
            }
        },
    )
    .await?;
    println!("  ({scores} people)");
    let quarter = Period::parse(&crate::demo::period_label(
        crate::domain::Frequency::Quarterly,
        now,
        0,
    ))
    .map_err(anyhow::Error::msg)?;
    let frozen = timed(
        "freeze_quarter",
        &format!("scores to freeze at closing {quarter}"),
        3,
        || {
            let (store, rollup, cfg, quarter) =
                (store.clone(), rollup.clone(), cfg.clone(), quarter.clone());
            async move {
                Ok(crate::evaluation::freeze::scores_to_freeze(
                    store.as_ref(),
                    &rollup,
                    &cfg,
                    &quarter,
                )
                .await?
                .len())
            }
        },
    )
    .await?;
    println!("  ({frozen} scores)");
    timed(
        "city_kpi_board",
        "the city's KPI board with its roll-ups",
        50,
        || {
            let (rollup, root) = (rollup.clone(), root.clone());
            async move { Ok(rollup.kpi_board(&root).map(|b| b.aggregates.len())) }
        },
    )
    .await?;
    let top = node
        .rollup
        .objectives()
        .into_iter()
        .find(|o| o.parent.is_none())
        .map(|o| o.id.to_string())
        .unwrap_or_default();
    timed(
        "alignment_tree",
        "a city objective's alignment tree (whole depth)",
        50,
        || {
            let (rollup, top) = (rollup.clone(), top.clone());
            async move { Ok(rollup.alignment_tree(&top, 12, &|_| true).is_some()) }
        },
    )
    .await?;
    for kind in [
        crate::report::period::ReviewKind::Month,
        crate::report::period::ReviewKind::Quarter,
    ] {
        let p = crate::report::period::ReviewPeriod::containing(kind, now);
        timed(
            &format!("city_review_{kind:?}").to_lowercase(),
            &format!("the city's review of {p} with its evaluation section"),
            3,
            || {
                let (store, rollup, cfg, root, past) = (
                    store.clone(),
                    rollup.clone(),
                    cfg.clone(),
                    root.clone(),
                    node.past.clone(),
                );
                async move {
                    crate::report::evaluation::review_with_evaluation(
                        &store,
                        &rollup,
                        &past,
                        &cfg,
                        &root,
                        Some(p),
                    )
                    .await
                    .map_err(anyhow::Error::new)
                }
            },
        )
        .await?;
    }
    drop((store, rollup));
    crate::close(node, tasks).await;
    Ok(())
}
