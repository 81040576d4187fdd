//! `ioc bench --asof`: the board at a past moment on a year of demo history. The demo city is
//! seeded a year back, then the simulator writes every six hours of the clock for a year
//! (`--asof-days`); afterwards the city and a ward are read as of random moments of that year
//! (p50/p99, each moment new, so nothing is served from the kept moments). The cost of
//! checkpoints on ingest: the same 30 days simulated twice on fresh databases, with checkpoints
//! as configured and with none, events a second of each.

use super::figures::{record, Better};
use crate::clock::ClockMode;
use crate::demo::{DemoSize, Simulator};
use crate::domain::time::{now_ms, DAY};
use crate::domain::Ts;
use hdrhistogram::Histogram;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;

const STEP: Ts = 6 * 3_600_000;
const EVENTS_PER_STEP: usize = 300;

fn limits(checkpoints: bool) -> crate::http::Limits {
    let mut l = super::bench_limits();
    if !checkpoints {
        l.history.checkpoint_commits = u64::MAX;
        l.history.checkpoint_minutes = u64::MAX / 120_000;
    }
    l.history.check_seconds = 1;
    l
}

/// Seeds the demo city at `start` and simulates `days` from there; returns the node, its
/// tasks, the clock at the end and the events a second of the simulation.
async fn simulated(
    url: &str,
    start: Ts,
    days: i64,
    checkpoints: bool,
) -> anyhow::Result<(crate::Node, crate::NodeTasks, Ts, f64)> {
    let (node, tasks) =
        crate::open_without_rules(url, ClockMode::Manual, limits(checkpoints)).await?;
    node.writer.tick(start).await?;
    crate::demo::seed(&node.writer, &node.rollup, &DemoSize::full(), start, 1).await?;
    let mut sim = Simulator::new(11);
    let mut now = start;
    let end = start + days * DAY;
    let (mut events, began) = (0usize, Instant::now());
    let mut shown = began;
    while now < end {
        now += STEP;
        node.writer.tick(now).await?;
        let batch = sim.batch(&node.rollup, EVENTS_PER_STEP, now);
        events += batch.len();
        node.writer
            .ingest(batch, &crate::auth::Actor::system("demo-simulator"))
            .await?;
        if shown.elapsed().as_secs() >= 10 {
            eprintln!("  … day {} of {days}, {events} events", (now - start) / DAY);
            shown = Instant::now();
        }
    }
    let rate = events as f64 / began.elapsed().as_secs_f64();
    Ok((node, tasks, now, rate))
}

pub async fn run(days: i64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let start = now_ms() - days * DAY;
    println!("\n== as of a past moment: the full demo city, {days} days simulated ({EVENTS_PER_STEP} events every 6 h of the clock)");

    // The cost of checkpoints on ingest: the same 30 days on fresh databases, without and with.
    let mut rate = Vec::new();
    for (name, checkpoints) in [("none", false), ("with", true)] {
        let url = format!("sqlite://{}/{name}.db", dir.path().display());
        let (node, tasks, _, r) = simulated(&url, start, days.min(30), checkpoints).await?;
        crate::close(node, tasks).await;
        rate.push(r);
    }
    let (without, with) = (rate[0], rate[1]);
    println!(
        "ingest while simulating: {without:.0} events/s without checkpoints, {with:.0} with ({:+.1} %)",
        (with / without - 1.0) * 100.0
    );
    record(
        "asof.ingest_without_checkpoints.events_per_s",
        without,
        "events/s",
        Better::Higher,
    );
    record(
        "asof.ingest_with_checkpoints.events_per_s",
        with,
        "events/s",
        Better::Higher,
    );

    // The year itself.
    let url = format!("sqlite://{}/asof.db", dir.path().display());
    let t = Instant::now();
    let (node, tasks, end, _) = simulated(&url, start, days, true).await?;
    println!(
        "{days} days simulated in {:.0} s ({} tasks at the end)",
        t.elapsed().as_secs_f64(),
        node.rollup.task_count()
    );
    // Wait for the checkpointer to catch up with the last rows.
    crate::asof::checkpoints::take(node.store.as_ref()).await?;
    let history = node.store.history();
    let first = history.first_checkpoint().await?.map_or(0, |m| m.seq);
    let last = history.last_checkpoint().await?.map_or(0, |m| m.seq);
    println!(
        "history rows: {}, checkpoints from row {first} to row {last}",
        history.history_head().await?
    );
    let root = node.rollup.root_unit().unwrap_or_default();
    let ward = node
        .rollup
        .units()
        .into_iter()
        .find(|u| u.level == crate::domain::UnitLevel::Ward)
        .map(|u| u.id.to_string())
        .unwrap_or_else(|| root.clone());
    let mut rng = SmallRng::seed_from_u64(5);
    for (label, unit) in [("city", root.clone()), ("ward", ward)] {
        let mut h = Histogram::<u64>::new(3)?;
        for _ in 0..20 {
            // A new moment each time: a fresh replay, never one kept from before.
            let at = rng.gen_range(start + DAY..end);
            let t = Instant::now();
            let past = node.past.rollup_at(at, end).await?;
            let view = past.unit_view(&unit);
            h.record(t.elapsed().as_micros().max(1) as u64)?;
            anyhow::ensure!(view.is_some(), "no {label} view as of {at}");
        }
        println!(
            "{label} view as of a random moment: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms over 20",
            h.value_at_quantile(0.5) as f64 / 1000.0,
            h.value_at_quantile(0.99) as f64 / 1000.0,
            h.max() as f64 / 1000.0
        );
        record(
            format!("asof.{label}.p50_ms"),
            h.value_at_quantile(0.5) as f64 / 1000.0,
            "ms",
            Better::Lower,
        );
        record(
            format!("asof.{label}.p99_ms"),
            h.value_at_quantile(0.99) as f64 / 1000.0,
            "ms",
            Better::Lower,
        );
    }
    let size = std::fs::metadata(dir.path().join("asof.db"))?.len();
    println!(
        "database with a year of history: {:.0} MB",
        size as f64 / 1e6
    );
    record("asof.database_mb", size as f64 / 1e6, "MB", Better::Lower);
    crate::close(node, tasks).await;
    Ok(())
}
