//! Property: after any sequence of events (out of order, replayed, refused, across clock moves,
//! people moving units and restarts) the incrementally kept rollup equals a recomputation from
//! the store (task figures by SQL), and a rollup rebuilt at start equals the one kept live.

use ioc::clock::ClockMode;
use ioc::domain::time::format_ts;
use ioc::ingest::catalog::{CatalogItem, KeyResultIn, KpiIn, ObjectiveIn, PersonIn, UnitIn};
use ioc::ingest::{decode, event::parse_event};
use ioc::{Node, NodeTasks};
use proptest::prelude::*;
use serde_json::{json, Value};

const T0: i64 = 1_793_500_000_000; // 2026-11-02, near the fixture's periods

#[derive(Debug, Clone)]
enum Op {
    Task {
        task: u8,
        person: u8,
        at: i64,
        progress: Option<u8>,
        status: Option<u8>,
        deadline_days: Option<i64>,
        reassign: bool,
    },
    Clock {
        hours: i64,
    },
    Observe {
        kpi: u8,
        unit: u8,
        month: u8,
        value: u8,
        at: i64,
    },
    Checkin {
        kr: u8,
        value: u8,
        at: i64,
    },
    Rate {
        unit: u8,
        score: u8,
    },
    Replay {
        back: u8,
    },
    MovePerson {
        person: u8,
        unit: u8,
    },
    Restart,
}

const PEOPLE: [&str; 6] = ["a1", "a2", "w1", "w2", "w3", "w4"];
const UNITS: [&str; 6] = ["hn", "so-a", "so-a.p1", "p-1", "p-1.vh", "p-2"];
const STATUSES: [&str; 6] = [
    "todo",
    "in_progress",
    "submitted",
    "accepted",
    "returned",
    "cancelled",
];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..10, 0u8..6, 0i64..2000, proptest::option::of(0u8..=100), proptest::option::of(0u8..6), proptest::option::of(-5i64..30), any::<bool>())
            .prop_map(|(task, person, at, progress, status, deadline_days, reassign)| Op::Task { task, person, at, progress, status, deadline_days, reassign }),
        2 => prop_oneof![1i64..200, 700i64..1000].prop_map(|hours| Op::Clock { hours }),
        2 => (0u8..3, 0u8..3, 0u8..3, 0u8..=120, 0i64..2000).prop_map(|(kpi, unit, month, value, at)| Op::Observe { kpi, unit, month, value, at }),
        1 => (0u8..3, 0u8..=120, 0i64..2000).prop_map(|(kr, value, at)| Op::Checkin { kr, value, at }),
        1 => (0u8..6, 1u8..=5).prop_map(|(unit, score)| Op::Rate { unit, score }),
        1 => (0u8..20).prop_map(|back| Op::Replay { back }),
        1 => (0u8..6, 0u8..6).prop_map(|(person, unit)| Op::MovePerson { person, unit }),
        1 => Just(Op::Restart),
    ]
}

fn at(minutes: i64) -> String {
    format_ts(T0 + minutes * 60_000)
}

fn catalog_items() -> Vec<CatalogItem> {
    let c = ioc_tests::fixture_catalog();
    let mut items = Vec::new();
    let each = |key: &str| c[key].as_array().unwrap().clone();
    for v in each("units") {
        items.push(decode::<UnitIn>(v).unwrap().validate().unwrap());
    }
    for v in each("people") {
        items.push(decode::<PersonIn>(v).unwrap().validate().unwrap());
    }
    for v in each("kpis") {
        items.push(decode::<KpiIn>(v).unwrap().validate().unwrap());
    }
    for v in each("objectives") {
        items.push(decode::<ObjectiveIn>(v).unwrap().validate().unwrap());
    }
    for v in each("key_results") {
        items.push(decode::<KeyResultIn>(v).unwrap().validate().unwrap());
    }
    items
}

async fn open(url: &str) -> (Node, NodeTasks) {
    ioc::open(url, ClockMode::Manual, ioc::http::Limits::default())
        .await
        .unwrap()
}

async fn assert_consistent(node: &Node) {
    let live = node.rollup.dump();
    let recomputed = ioc::rollup::check::recompute(&*node.store, node.rollup.now())
        .await
        .unwrap();
    assert_eq!(live, recomputed, "the rollup drifted from the store");
}

async fn run(ops: Vec<Op>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/p.db", dir.path().display());
    let (mut node, mut tasks) = open(&url).await;
    node.writer.tick(T0).await.unwrap();
    node.writer
        .catalog(catalog_items(), &ioc::auth::Actor::system("test"))
        .await
        .unwrap();
    let mut now = T0;
    let mut sent: Vec<Value> = Vec::new();
    for (n, op) in ops.into_iter().enumerate() {
        let event = match op {
            Op::Task {
                task,
                person,
                at: m,
                progress,
                status,
                deadline_days,
                reassign,
            } => {
                let mut e = json!({"type": "task", "id": format!("ev{n}"), "at": at(m), "task_id": format!("t{task}")});
                // Every other event also carries what a creation needs, so tasks come to exist.
                if reassign || n % 2 == 0 {
                    e["title"] = json!(format!("Nhiệm vụ {task}"));
                    e["responsible"] = json!(PEOPLE[person as usize]);
                    e["deadline"] = json!(format_ts(T0 + deadline_days.unwrap_or(10) * 86_400_000));
                } else if let Some(d) = deadline_days {
                    e["deadline"] = json!(format_ts(T0 + d * 86_400_000));
                }
                if let Some(p) = progress {
                    e["progress"] = json!(p);
                }
                if let Some(s) = status {
                    e["status"] = json!(STATUSES[s as usize]);
                }
                Some(e)
            }
            Op::Clock { hours } => {
                now += hours * 3_600_000;
                node.writer.tick(now).await.unwrap();
                None
            }
            Op::Observe {
                kpi,
                unit,
                month,
                value,
                at: m,
            } => {
                let (code, units): (&str, &[&str]) = match kpi {
                    0 => ("TTHC", &["p-1", "p-2"]),
                    1 => ("KN", &["p-1"]),
                    _ => ("DT", &["so-a"]),
                };
                let period = if code == "DT" {
                    format!("2026-Q{}", 2 + month)
                } else {
                    format!("2026-{:02}", 8 + month)
                };
                Some(
                    json!({"type": "kpi_observation", "id": format!("ev{n}"), "at": at(m), "kpi": code,
                    "unit": units[unit as usize % units.len()], "period": period, "value": value}),
                )
            }
            Op::Checkin { kr, value, at: m } => Some(
                json!({"type": "kr_checkin", "id": format!("ev{n}"), "at": at(m), "key_result": format!("kr-{}", kr + 1), "value": value}),
            ),
            Op::Rate { unit, score } => Some(
                json!({"type": "satisfaction_rating", "id": format!("ev{n}"), "at": at(0), "unit": UNITS[unit as usize], "service": "Khai sinh", "score": score}),
            ),
            Op::Replay { back } => sent
                .len()
                .checked_sub(1 + back as usize)
                .map(|i| sent[i].clone()),
            Op::MovePerson { person, unit } => {
                let p = PEOPLE[person as usize];
                let item = PersonIn {
                    id: p.into(),
                    name: format!("Người {p}"),
                    unit: UNITS[unit as usize].into(),
                    position: "Cán bộ".into(),
                };
                node.writer
                    .catalog(
                        vec![item.validate().unwrap()],
                        &ioc::auth::Actor::system("test"),
                    )
                    .await
                    .unwrap();
                None
            }
            Op::Restart => {
                let before = node.rollup.dump();
                ioc::close(node, tasks).await;
                (node, tasks) = open(&url).await;
                assert_eq!(
                    node.rollup.dump(),
                    before,
                    "a rebuilt rollup differs from the live one"
                );
                None
            }
        };
        if let Some(e) = event {
            // Refused events (a change to a task that does not exist yet) keep nothing: also checked.
            // An event that changes nothing is refused before the writer; skip it.
            let Ok(parsed) = parse_event(e.clone()) else {
                continue;
            };
            if node
                .writer
                .ingest(vec![parsed], &ioc::auth::Actor::system("test"))
                .await
                .is_ok()
            {
                sent.push(e);
            }
        }
    }
    assert_consistent(&node).await;
    let live = node.rollup.dump();
    ioc::close(node, tasks).await;
    let (node, tasks) = open(&url).await;
    assert_eq!(
        node.rollup.dump(),
        live,
        "a rebuilt rollup differs from the live one"
    );
    ioc::close(node, tasks).await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]
    #[test]
    fn the_rollup_always_equals_a_recomputation_from_the_store(ops in proptest::collection::vec(op(), 1..60)) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(run(ops));
    }
}
