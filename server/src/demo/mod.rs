//! Demo city: a Hanoi-like catalog and task load written through the writer like any other
//! data, and a simulator that keeps the numbers moving for the wall displays.
//!
//! Everything is generated from one seed, so two demo databases built with the same seed and
//! clock hold the same data; seeding a database that already has units does nothing, so a
//! restarted demo keeps what it had.

mod accounts;
mod city;
mod cycle;
pub use cycle::seed_evaluations;
mod kpis;
mod load;
mod names;
mod simulator;

pub use accounts::{create_accounts, DemoAccount, DEMO_PASSWORD};
pub use simulator::{spawn_simulator, Simulator};

pub(crate) use crate::domain::time::period_label;
use crate::domain::Ts;
use crate::ingest::catalog::{CatalogItem, UnitIn};
use crate::ingest::event::Event;
use crate::ingest::writer::Writer;
use crate::rollup::Rollup;
use rand::rngs::SmallRng;
use rand::SeedableRng;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// Catalog entries per `Writer::catalog` call: each call is one transaction.
const CATALOG_CHUNK: usize = 2_000;
/// Event batches handed to the writer before waiting for the oldest: enough for the writer to
/// commit several at once (group commit) while the next ones are generated.
const IN_FLIGHT: usize = 4;

/// How big a demo city to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSize {
    /// Departments and agencies under the city (at most the 30 the demo knows by name).
    pub departments: usize,
    /// Wards and communes together, split like Hanoi's 51 wards and 75 communes.
    pub wards: usize,
    /// Most divisions a department, ward or commune gets; departments get 2 up to this, wards
    /// and communes 3 up to this (at most 4).
    pub divisions_per_unit: usize,
    pub people: usize,
    pub tasks: usize,
    pub kpis: usize,
}

impl DemoSize {
    /// Hanoi's scale: 30 departments and agencies, 126 wards and communes, about 5,000 officials
    /// and 100,000 tasks, 200 KPIs.
    pub fn full() -> Self {
        DemoSize {
            departments: 30,
            wards: 126,
            divisions_per_unit: 4,
            people: 5_000,
            tasks: 100_000,
            kpis: 200,
        }
    }

    /// A few units, for tests.
    pub fn small() -> Self {
        DemoSize {
            departments: 3,
            wards: 4,
            divisions_per_unit: 2,
            people: 60,
            tasks: 400,
            kpis: 16,
        }
    }
}

/// What a seed wrote; all zero when the database was already seeded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub units: usize,
    pub people: usize,
    pub kpis: usize,
    pub objectives: usize,
    pub key_results: usize,
    pub tasks: usize,
    pub observations: usize,
}

/// Writes the demo city for `size` through `writer`: catalog first, then tasks, KPI
/// observations and ratings, all timed at or before `now`. Does nothing when the rollup already
/// holds units.
pub async fn seed(
    writer: &Writer,
    rollup: &Rollup,
    size: &DemoSize,
    now: Ts,
    seed: u64,
) -> anyhow::Result<SeedReport> {
    if !rollup.unit_ids().is_empty() {
        tracing::info!("demo data already present; not seeding");
        return Ok(SeedReport::default());
    }
    let started = std::time::Instant::now();
    let mut rng = SmallRng::seed_from_u64(seed);
    let city = city::build(size, now, &mut rng);
    let mut report = SeedReport {
        units: city.units.len(),
        people: city.people.len(),
        kpis: city.kpis.len(),
        objectives: city.objectives.len(),
        key_results: city.key_results.len(),
        tasks: 0,
        observations: 0,
    };
    write_catalog(writer, catalog_items(&city)?).await?;
    let system = crate::auth::Actor::system("demo-seed");
    // Every period runs (active) while its data is seeded; `seed_evaluations` closes the past
    // quarters afterwards, freezing their scores.
    let mut opening: Vec<_> = cycle::periods(now)
        .into_iter()
        .map(|(period, _)| crate::ingest::cycle::CycleItem::Period {
            period,
            state: crate::domain::PeriodState::Active,
            frozen: Vec::new(),
        })
        .collect();
    let kpis: Vec<_> = city.kpis.iter().map(|k| k.kpi.clone()).collect();
    opening.extend(cycle::targets(&kpis, now));
    for chunk in opening.chunks(CATALOG_CHUNK) {
        writer
            .cycle(chunk.to_vec(), &system)
            .await
            .map_err(|e| anyhow::anyhow!("writing the demo OKR cycle: {e}"))?;
    }

    // Events are generated on a blocking thread and committed as they come, so generation and
    // commits overlap; the channel's small capacity bounds what waits in memory.
    let tasks = size.tasks;
    let (tx, mut rx) = mpsc::channel::<Vec<Event>>(IN_FLIGHT);
    let generator = tokio::task::spawn_blocking(move || -> anyhow::Result<load::Load> {
        let mut out = load::Load::streaming(tx);
        load::tasks(&city, tasks, now, &mut rng, &mut out)?;
        load::observations(&city, now, &mut rng, &mut out)?;
        load::ratings(&city, now, &mut rng, &mut out)?;
        out.finish()?;
        Ok(out)
    });
    let mut inflight: JoinSet<anyhow::Result<()>> = JoinSet::new();
    while let Some(batch) = rx.recv().await {
        while inflight.len() >= IN_FLIGHT {
            joined(inflight.join_next().await)?;
        }
        let w = writer.clone();
        inflight.spawn(async move {
            let n = batch.len();
            w.seed(batch)
                .await
                .map_err(|e| anyhow::anyhow!("writing {n} demo events: {e}"))?;
            Ok(())
        });
    }
    while let Some(r) = inflight.join_next().await {
        joined(Some(r))?;
    }
    let generated = generator
        .await
        .map_err(|e| anyhow::anyhow!("demo generator stopped: {e}"))??;
    report.tasks = generated.tasks;
    report.observations = generated.observations;
    tracing::debug!(
        units = report.units,
        people = report.people,
        tasks = report.tasks,
        observations = report.observations,
        ratings = generated.ratings,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "demo city seeded"
    );
    Ok(report)
}

fn joined(r: Option<Result<anyhow::Result<()>, tokio::task::JoinError>>) -> anyhow::Result<()> {
    match r {
        Some(Ok(r)) => r,
        Some(Err(e)) => Err(anyhow::anyhow!("demo writer task failed: {e}")),
        None => Ok(()),
    }
}

/// The catalog in dependency order: units (parents first), people, KPIs, objectives (the
/// city's before those aligned to them), key results.
fn catalog_items(city: &city::City) -> anyhow::Result<Vec<CatalogItem>> {
    let bad = |what: &str, id: &str, e: crate::ingest::ItemError| {
        anyhow::anyhow!("demo {what} '{id}' is invalid: {e}")
    };
    let mut items = Vec::with_capacity(
        city.units.len()
            + city.people.len()
            + city.kpis.len()
            + city.objectives.len()
            + city.key_results.len(),
    );
    for u in &city.units {
        items.push(u.validate().map_err(|e| bad("unit", &u.id, e))?);
    }
    for p in &city.people {
        items.push(p.validate().map_err(|e| bad("person", &p.id, e))?);
    }
    // Leaders name people, so they are set once the people exist.
    for (u, node) in city.units.iter().zip(&city.nodes) {
        if let Some(head) = node.head {
            let led = UnitIn {
                leader: Some(city.people[head].id.clone()),
                ..u.clone()
            };
            items.push(led.validate().map_err(|e| bad("unit", &u.id, e))?);
        }
    }
    for k in &city.kpis {
        items.push(k.kpi.validate().map_err(|e| bad("KPI", &k.kpi.code, e))?);
    }
    for o in &city.objectives {
        items.push(o.validate().map_err(|e| bad("objective", &o.id, e))?);
    }
    for kr in &city.key_results {
        items.push(kr.validate().map_err(|e| bad("key result", &kr.id, e))?);
    }
    Ok(items)
}

async fn write_catalog(writer: &Writer, items: Vec<CatalogItem>) -> anyhow::Result<()> {
    let mut items = items.into_iter();
    loop {
        let chunk: Vec<CatalogItem> = items.by_ref().take(CATALOG_CHUNK).collect();
        if chunk.is_empty() {
            return Ok(());
        }
        writer
            .catalog(chunk, &crate::auth::Actor::system("demo-seed"))
            .await
            .map_err(|e| anyhow::anyhow!("writing the demo catalog: {e}"))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::parse_ts;
    use crate::domain::Frequency;
    use crate::domain::{Period, Thresholds, UnitLevel, MAX_KEY_RESULTS};
    use std::collections::{HashMap, HashSet};
    use std::sync::Arc;

    fn now() -> Ts {
        parse_ts("2026-11-22T09:30:00+07:00", false).unwrap()
    }

    #[test]
    fn full_size_is_hanoi_scale() {
        let s = DemoSize::full();
        assert_eq!(s.wards, 126);
        assert!((25..=35).contains(&s.departments));
        assert_eq!(s.people, 5_000);
        assert_eq!(s.tasks, 100_000);
        assert_eq!(s.kpis, 200);
        assert!(DemoSize::small().tasks < 1_000);
    }

    #[test]
    fn period_labels_count_back_in_the_vietnamese_calendar() {
        let n = now();
        assert_eq!(period_label(Frequency::Yearly, n, 0), "2026");
        assert_eq!(period_label(Frequency::Quarterly, n, 0), "2026-Q4");
        assert_eq!(period_label(Frequency::Quarterly, n, 4), "2025-Q4");
        assert_eq!(period_label(Frequency::Monthly, n, 0), "2026-11");
        assert_eq!(period_label(Frequency::Monthly, n, 11), "2025-12");
        assert_eq!(period_label(Frequency::Weekly, n, 0), "2026-W47");
        assert_eq!(period_label(Frequency::Daily, n, 1), "2026-11-21");
        // 23:30 UTC on Dec 31 is already January 1 in Hanoi.
        let new_year = parse_ts("2026-12-31T23:30:00Z", false).unwrap();
        assert_eq!(period_label(Frequency::Monthly, new_year, 0), "2027-01");
        for f in [
            Frequency::Yearly,
            Frequency::Quarterly,
            Frequency::Monthly,
            Frequency::Weekly,
            Frequency::Daily,
        ] {
            for back in 0..3 {
                let p = Period::parse(&period_label(f, n, back)).unwrap();
                assert_eq!(p.kind, crate::domain::PeriodKind::of(f));
                if back == 0 {
                    assert!(p.start <= n && n < p.end);
                }
            }
        }
    }

    #[test]
    fn full_catalog_is_valid_and_shaped_like_hanoi() {
        let mut rng = SmallRng::seed_from_u64(42);
        let c = city::build(&DemoSize::full(), now(), &mut rng);
        let items = catalog_items(&c).expect("every generated entry validates");
        // Units come twice when they have a head: once to exist, once with their leader.
        let led = c.nodes.iter().filter(|n| n.head.is_some()).count();
        assert!(led > 0);
        assert_eq!(
            items.len(),
            c.units.len()
                + led
                + c.people.len()
                + c.kpis.len()
                + c.objectives.len()
                + c.key_results.len()
        );
        let count = |l: UnitLevel| c.units.iter().filter(|u| u.level == l).count();
        assert_eq!(count(UnitLevel::City), 1);
        assert_eq!(count(UnitLevel::Ward) + count(UnitLevel::Commune), 126);
        assert_eq!(count(UnitLevel::Department) + count(UnitLevel::Agency), 30);
        assert!(count(UnitLevel::Agency) >= 3);
        assert_eq!(c.people.len(), 5_000);
        assert_eq!(c.kpis.len(), 200);
        let ids: HashSet<&str> = c.units.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids.len(), c.units.len(), "unit ids are unique");
        assert!(
            ids.contains("hn.so-tc")
                && ids.contains("hn.p-hoankiem")
                && ids.contains("hn.x-socson")
        );
        // Parents come before children.
        let mut seen = HashSet::new();
        for u in &c.units {
            if let Some(p) = &u.parent {
                assert!(
                    seen.contains(p.as_str()),
                    "{} listed before its parent {p}",
                    u.id
                );
            }
            seen.insert(u.id.as_str());
        }
        // Every department has 2-4 divisions; every unit a head.
        for u in c
            .units
            .iter()
            .filter(|u| matches!(u.level, UnitLevel::Department | UnitLevel::Agency))
        {
            let divs = c
                .units
                .iter()
                .filter(|d| d.parent.as_deref() == Some(u.id.as_str()))
                .count();
            assert!((2..=4).contains(&divs), "{} has {divs} divisions", u.id);
        }
        assert!(c.nodes.iter().all(|n| n.head.is_some()));
        assert!(c
            .people
            .iter()
            .all(|p| !p.name.is_ascii() || p.name.split(' ').count() == 3));
        assert!(c.people.iter().filter(|p| !p.name.is_ascii()).count() > 4_000);
        assert_eq!(c.people[0].position, "Chủ tịch UBND Thành phố");
    }

    #[test]
    fn kpis_cover_all_groups_with_valid_thresholds() {
        let mut rng = SmallRng::seed_from_u64(42);
        let c = city::build(&DemoSize::full(), now(), &mut rng);
        let mut groups = HashSet::new();
        let mut frequencies = HashSet::new();
        for k in &c.kpis {
            k.kpi
                .thresholds
                .validate()
                .unwrap_or_else(|e| panic!("{}: {e}", k.kpi.code));
            groups.insert(k.kpi.group);
            frequencies.insert(k.kpi.frequency.as_str());
        }
        assert_eq!(groups.len(), 4);
        assert!(frequencies.len() >= 4);
        assert!(c
            .kpis
            .iter()
            .any(|k| matches!(k.kpi.thresholds, Thresholds::InBand { .. })));
        assert!(c
            .kpis
            .iter()
            .any(|k| matches!(k.kpi.thresholds, Thresholds::LowerIsBetter { .. })));
        let ward_kpi = c
            .kpis
            .iter()
            .find(|k| k.kpi.code.starts_with("PX."))
            .expect("a ward KPI");
        assert_eq!(ward_kpi.kpi.measured_units.len(), 126);
        let city_kpi = c
            .kpis
            .iter()
            .find(|k| k.kpi.code.starts_with("TP."))
            .expect("a city KPI");
        assert_eq!(city_kpi.kpi.measured_units, vec!["hn".to_string()]);
        assert!(!city_kpi.kpi.coordinating_units.is_empty());
    }

    #[test]
    fn objectives_align_to_the_city_and_hold_at_most_five_key_results() {
        let mut rng = SmallRng::seed_from_u64(9);
        let c = city::build(&DemoSize::full(), now(), &mut rng);
        let mut per_objective: HashMap<&str, usize> = HashMap::new();
        for kr in &c.key_results {
            *per_objective.entry(kr.objective.as_str()).or_default() += 1;
            assert_ne!(kr.start, kr.target);
        }
        for o in &c.objectives {
            let n = per_objective.get(o.id.as_str()).copied().unwrap_or(0);
            assert!(
                (2..=MAX_KEY_RESULTS).contains(&n),
                "{} has {n} key results",
                o.id
            );
            assert!(o.period == "2026" || o.period == "2026-Q4", "{}", o.period);
            if o.unit != "hn" {
                assert!(
                    o.parent
                        .as_deref()
                        .is_some_and(|p| p.starts_with("okr.hn.") && p.len() <= 8),
                    "{:?}",
                    o.parent
                );
            }
        }
        assert_eq!(c.objectives.iter().filter(|o| o.unit == "hn").count(), 5);
    }

    #[test]
    fn generation_is_deterministic() {
        let build = || {
            let mut rng = SmallRng::seed_from_u64(11);
            let c = city::build(&DemoSize::small(), now(), &mut rng);
            let mut out = load::Load::collecting();
            load::tasks(&c, 200, now(), &mut rng, &mut out).unwrap();
            out.finish().unwrap();
            (
                c.people.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
                out.into_batches().concat(),
            )
        };
        assert_eq!(build(), build());
    }

    #[test]
    fn task_load_is_realistic() {
        let mut rng = SmallRng::seed_from_u64(5);
        let n = now();
        let c = city::build(&DemoSize::full(), n, &mut rng);
        let mut out = load::Load::collecting();
        load::tasks(&c, 20_000, n, &mut rng, &mut out).unwrap();
        out.finish().unwrap();
        let events = out.into_batches();
        assert!(events.iter().all(|b| b.len() <= load::BATCH));
        let mut tasks: HashMap<String, crate::domain::Task> = HashMap::new();
        let rollup = Rollup::new(n);
        let changes: Vec<crate::domain::Change> = c
            .units
            .iter()
            .map(|u| match u.validate().unwrap() {
                CatalogItem::Unit(u) => crate::domain::Change::Unit(u),
                _ => unreachable!(),
            })
            .chain(c.people.iter().map(|p| match p.validate().unwrap() {
                CatalogItem::Person(p) => crate::domain::Change::Person(p),
                _ => unreachable!(),
            }))
            .collect();
        rollup.apply(&changes);
        for e in events.iter().flatten() {
            assert!(e.at <= n, "event {} is in the future", e.id);
            let crate::ingest::event::EventBody::Task(patch) = &e.body else {
                panic!("not a task")
            };
            // Key results are not in this rollup; drop the link to merge without them.
            let mut patch = patch.clone();
            if let Some(plan) = patch.plan.as_mut() {
                plan.key_result = None;
            }
            let cur = tasks.get(&*patch.task_id).cloned();
            let merged = crate::ingest::merge::merge_task(cur.as_ref(), &patch, e.at, &rollup)
                .unwrap()
                .unwrap();
            tasks.insert(merged.id.to_string(), merged);
        }
        assert_eq!(tasks.len(), 20_000);
        let open: Vec<_> = tasks.values().filter(|t| t.status.is_open()).collect();
        let overdue = open.iter().filter(|t| t.is_overdue(n)).count();
        let share = overdue as f64 / open.len() as f64;
        assert!(
            (0.05..=0.15).contains(&share),
            "overdue share of open tasks {share}"
        );
        let accepted: Vec<_> = tasks
            .values()
            .filter(|t| t.status == crate::domain::TaskStatus::Accepted)
            .collect();
        let late = accepted
            .iter()
            .filter(|t| t.done_at.is_some_and(|d| d > t.deadline))
            .count();
        assert!(
            late > 0 && late < accepted.len() / 4,
            "{late} of {} accepted late",
            accepted.len()
        );
        for s in crate::domain::TaskStatus::ALL {
            assert!(tasks.values().any(|t| t.status == s), "no task is {s:?}");
        }
        assert!(tasks
            .values()
            .all(|t| t.accountable.as_ref() != Some(&t.responsible)));
        let with_leader = tasks.values().filter(|t| t.accountable.is_some()).count();
        assert!(
            with_leader >= 19_900,
            "only {with_leader} tasks name an accountable leader"
        );
    }

    async fn store_and_writer(dir: &tempfile::TempDir, n: Ts) -> (Writer, Arc<Rollup>) {
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = crate::store::connect(&url)
            .await
            .expect("a fresh SQLite store opens");
        let rollup = Arc::new(Rollup::new(n));
        let (bus, _) = tokio::sync::broadcast::channel(16);
        let (writer, _task) = Writer::spawn(store, rollup.clone(), bus, Default::default());
        (writer, rollup)
    }

    #[tokio::test]
    async fn seeding_fills_the_rollup_once() {
        let dir = tempfile::tempdir().unwrap();
        let n = now();
        let (writer, rollup) = store_and_writer(&dir, n).await;
        let report = seed(&writer, &rollup, &DemoSize::small(), n, 7)
            .await
            .unwrap();
        assert_eq!(report.tasks, 400);
        assert!(report.observations > 0);
        assert_eq!(rollup.task_count(), report.tasks);
        assert_eq!(rollup.unit_ids().len(), report.units);
        assert_eq!(rollup.person_ids().len(), report.people);
        assert_eq!(rollup.kpis().len(), report.kpis);
        assert_eq!(rollup.key_results().len(), report.key_results);
        let view = rollup.unit_view("hn").expect("the city view");
        assert_eq!(view.summary.tasks.total, report.tasks as i64);
        assert_eq!(view.summary.people, report.people as i64);
        let k = &view.summary.kpis.total;
        assert!(k.green > 0 && k.red > 0, "{k:?}");
        assert!(view.summary.satisfaction.ratings > 0);
        assert!(!view.summary.key_results.is_empty());

        let again = seed(&writer, &rollup, &DemoSize::small(), n, 7)
            .await
            .unwrap();
        assert_eq!(again, SeedReport::default());
        assert_eq!(rollup.task_count(), report.tasks);
        assert_eq!(rollup.unit_view("hn").unwrap().summary, view.summary);
    }

    #[tokio::test]
    async fn the_simulator_moves_numbers_and_stops_on_shutdown() {
        let dir = tempfile::tempdir().unwrap();
        let n = crate::domain::time::now_ms();
        let (writer, rollup) = store_and_writer(&dir, n).await;
        seed(&writer, &rollup, &DemoSize::small(), n, 3)
            .await
            .unwrap();
        let before = rollup.unit_view("hn").unwrap().summary;
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let sim = spawn_simulator(writer.clone(), rollup.clone(), 200, shutdown);
        tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
        stop.send(true).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), sim)
            .await
            .expect("the simulator stops")
            .unwrap();
        let after = rollup.unit_view("hn").unwrap().summary;
        assert_ne!(before, after, "the simulator changed nothing");
        assert!(after.satisfaction.ratings > before.satisfaction.ratings);
    }

    #[tokio::test]
    async fn every_simulated_batch_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let n = crate::domain::time::now_ms();
        let (writer, rollup) = store_and_writer(&dir, n).await;
        seed(&writer, &rollup, &DemoSize::small(), n, 5)
            .await
            .unwrap();
        let mut sim = simulator::Simulator::new(99);
        let mut kinds = HashSet::new();
        for round in 0..30 {
            let events = sim.batch(&rollup, 200, crate::domain::time::now_ms() + round);
            assert!(events.len() > 150, "only {} events", events.len());
            kinds.extend(events.iter().map(|e| e.body.kind()));
            let report = writer
                .ingest(events, &crate::auth::Actor::system("demo-simulator"))
                .await
                .unwrap_or_else(|e| panic!("round {round}: {e}"));
            assert_eq!(report.duplicates, 0);
        }
        assert_eq!(kinds.len(), 4, "{kinds:?}");
        let statuses: HashSet<_> = (1..=400)
            .filter_map(|i| rollup.task(&format!("t{i:06}")))
            .map(|t| t.status)
            .collect();
        assert!(statuses.len() >= 5);
    }
}
