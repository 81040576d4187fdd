//! Behaviour of the alert engine through its public API: hysteresis, `for`,
//! `keep_firing_for`, severity changes, KPI thresholds, stale data, escalation, notification,
//! reloads and restart safety.

use alert_rules::*;

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z, any origin would do

fn rules(text: &str) -> RuleSet {
    match RuleSet::load(&Builtins::none(), &[("t.toml", text)]) {
        Ok(r) => r,
        Err(e) => panic!("{e:#?}"),
    }
}

fn unit(id: &str, level: UnitLevel, ancestors: &[&str], leader: &str) -> Unit {
    Unit {
        id: id.into(),
        name: format!("Đơn vị {id}"),
        level,
        ancestors: ancestors.iter().map(|s| s.to_string()).collect(),
        leader: Some(leader.into()),
    }
}

/// A city, a district-level department and a ward under the city.
fn engine(text: &str) -> Engine {
    let mut e = Engine::new(rules(text));
    e.unit(unit("hn", UnitLevel::City, &[], "chu-tich"), T0);
    e.unit(unit("so-1", UnitLevel::Department, &["hn"], "giam-doc"), T0);
    e.unit(unit("p-1", UnitLevel::Ward, &["hn"], "ct-p1"), T0);
    e
}

fn ratio(e: &mut Engine, unit: &str, v: Option<f64>, at: i64) -> Vec<Transition> {
    let m = UnitMetrics {
        tasks_overdue_ratio: v,
        ..UnitMetrics::default()
    };
    e.unit_metrics(unit, m, T0 + at)
}

/// (kind, severity, time offset) of each transition.
fn brief(ts: &[Transition]) -> Vec<(TransitionKind, Severity, i64)> {
    ts.iter().map(|t| (t.kind, t.severity, t.at - T0)).collect()
}

use Severity::{Red, Yellow};
use TransitionKind::{Cancelled, Escalated, Fired, Pending, Resolved, SeverityChanged};

const HYSTERESIS: &str = r#"
[[rule]]
name = "overdue"
metric = "tasks.overdue_ratio"
red = "> 0.25"
recover = "< 0.20"
"#;

#[test]
fn hysteresis_fires_above_25_and_clears_only_below_20() {
    let mut e = engine(HYSTERESIS);
    assert!(
        ratio(&mut e, "p-1", Some(0.22), 0).is_empty(),
        "22 % does not fire"
    );
    assert_eq!(
        brief(&ratio(&mut e, "p-1", Some(0.30), MINUTE)),
        [(Fired, Red, MINUTE)]
    );
    assert!(
        ratio(&mut e, "p-1", Some(0.22), 2 * MINUTE).is_empty(),
        "22 % after firing keeps firing"
    );
    assert!(
        ratio(&mut e, "p-1", Some(0.20), 3 * MINUTE).is_empty(),
        "20 % is not below 20 %"
    );
    assert_eq!(
        e.alert("overdue", "p-1").map(|a| (a.state, a.severity)),
        Some((State::Firing, Red))
    );
    assert_eq!(
        brief(&ratio(&mut e, "p-1", Some(0.19), 4 * MINUTE)),
        [(Resolved, Red, 4 * MINUTE)]
    );
    assert!(e.alerts().next().is_none());
}

#[test]
fn for_delays_firing_and_a_dip_resets_it() {
    let text = "[[rule]]\nname = \"overdue\"\nmetric = \"tasks.overdue_ratio\"\nred = \"> 0.25\"\nfor = \"10m\"\n";
    let mut e = engine(text);
    assert_eq!(
        brief(&ratio(&mut e, "p-1", Some(0.3), 0)),
        [(Pending, Red, 0)]
    );
    assert!(e.tick(T0 + 9 * MINUTE).is_empty());
    assert_eq!(
        brief(&ratio(&mut e, "p-1", Some(0.1), 9 * MINUTE)),
        [(Cancelled, Red, 9 * MINUTE)]
    );
    assert_eq!(
        brief(&ratio(&mut e, "p-1", Some(0.3), 11 * MINUTE)),
        [(Pending, Red, 11 * MINUTE)]
    );
    assert!(
        e.tick(T0 + 20 * MINUTE).is_empty(),
        "only 9 minutes since the dip"
    );
    // A late tick fires at the instant `for` elapsed, not at the tick.
    assert_eq!(
        brief(&e.tick(T0 + 30 * MINUTE)),
        [(Fired, Red, 21 * MINUTE)]
    );
}

#[test]
fn an_update_after_for_elapsed_fires_first_then_applies() {
    let text = "[[rule]]\nname = \"overdue\"\nmetric = \"tasks.overdue_ratio\"\nred = \"> 0.25\"\nfor = \"10m\"\n";
    let mut e = engine(text);
    ratio(&mut e, "p-1", Some(0.3), 0);
    // No tick in between: the condition held for the whole `for`, so it fired at 10m.
    assert_eq!(
        brief(&ratio(&mut e, "p-1", Some(0.1), 15 * MINUTE)),
        [(Fired, Red, 10 * MINUTE), (Resolved, Red, 15 * MINUTE)]
    );
}

#[test]
fn keep_firing_for_holds_a_recovered_alert() {
    let text = "[[rule]]\nname = \"overdue\"\nmetric = \"tasks.overdue_ratio\"\nred = \"> 0.25\"\nkeep_firing_for = \"30m\"\n";
    let mut e = engine(text);
    assert_eq!(
        brief(&ratio(&mut e, "p-1", Some(0.3), 0)),
        [(Fired, Red, 0)]
    );
    assert!(ratio(&mut e, "p-1", Some(0.1), 10 * MINUTE).is_empty());
    assert!(
        ratio(&mut e, "p-1", Some(0.3), 20 * MINUTE).is_empty(),
        "back above: the clock restarts"
    );
    assert!(ratio(&mut e, "p-1", Some(0.1), 30 * MINUTE).is_empty());
    assert!(e.tick(T0 + 59 * MINUTE).is_empty());
    assert_eq!(
        brief(&e.tick(T0 + 2 * HOUR)),
        [(Resolved, Red, 60 * MINUTE)]
    );
}

#[test]
fn yellow_to_red_to_yellow_directly() {
    let text = "[[rule]]\nname = \"overdue\"\nmetric = \"tasks.overdue_ratio\"\nyellow = \"> 0.15\"\nred = \"> 0.25\"\n";
    let mut e = engine(text);
    let mut all = Vec::new();
    for (i, v) in [0.2, 0.3, 0.2, 0.1].into_iter().enumerate() {
        all.extend(ratio(&mut e, "p-1", Some(v), i as i64 * MINUTE));
    }
    assert_eq!(
        brief(&all),
        [
            (Fired, Yellow, 0),
            (SeverityChanged, Red, MINUTE),
            (SeverityChanged, Yellow, 2 * MINUTE),
            (Resolved, Yellow, 3 * MINUTE)
        ]
    );
    assert!(all
        .iter()
        .all(|t| t.rule == "overdue" && t.subject == "p-1" && t.unit == "p-1"));
    assert_eq!((all[1].from, all[1].to), (State::Firing, State::Firing));
    assert_eq!((all[3].from, all[3].to), (State::Firing, State::Resolved));
}

#[test]
fn absent_values_never_fire_and_end_a_firing_alert() {
    let mut e = engine(HYSTERESIS);
    assert!(ratio(&mut e, "p-1", None, 0).is_empty());
    ratio(&mut e, "p-1", Some(0.3), MINUTE);
    let ts = ratio(&mut e, "p-1", None, 2 * MINUTE);
    assert_eq!(brief(&ts), [(Resolved, Red, 2 * MINUTE)]);
    assert_eq!(ts[0].value, None);
    assert!(ts[0].summary_en.contains("no data"), "{}", ts[0].summary_en);
}

fn kpi(code: &str, thresholds: Thresholds, frequency: Frequency) -> Kpi {
    Kpi {
        code: code.into(),
        name: format!("Chỉ số {code}"),
        thresholds,
        frequency,
        group: IndexGroup::Internal,
        leading_unit: "so-1".into(),
    }
}

fn series(code: &str, unit: &str, value: Option<f64>, last_updated: Option<i64>) -> Series {
    Series {
        kpi: code.into(),
        unit: unit.into(),
        value,
        last_updated,
        expected_from: None,
        data_entry: Some("nhap-lieu".into()),
    }
}

#[test]
fn in_band_kpi_thresholds() {
    let text = "[[rule]]\nname = \"budget\"\nmetric = \"kpi.value\"\ngroup = \"internal\"\nthresholds = \"kpi\"\n\n[[rule]]\nname = \"other\"\nmetric = \"kpi.value\"\nkpi = \"OTHER\"\nthresholds = \"kpi\"\n";
    let mut e = engine(text);
    let band = Thresholds::InBand {
        green_low: 95.0,
        green_high: 105.0,
        red_low: 85.0,
        red_high: 115.0,
    };
    e.kpi(kpi("NS", band, Frequency::Quarterly), T0);
    let mut all = Vec::new();
    for (i, v) in [100.0, 95.0, 94.0, 85.0, 84.9, 105.0, 110.0, 115.1, 116.0]
        .into_iter()
        .enumerate()
    {
        let at = T0 + i as i64 * DAY;
        all.extend(e.series(series("NS", "so-1", Some(v), Some(at)), at));
    }
    assert_eq!(
        brief(&all),
        [
            (Fired, Yellow, 2 * DAY),
            (SeverityChanged, Red, 4 * DAY),
            (Resolved, Red, 5 * DAY),
            (Fired, Yellow, 6 * DAY),
            (SeverityChanged, Red, 7 * DAY),
        ]
    );
    assert!(all
        .iter()
        .all(|t| t.rule == "budget" && t.subject == "NS@so-1"));
    assert_eq!(all[1].labels.get("kpi").map(String::as_str), Some("NS"));
    assert_eq!(
        all[1].labels.get("group").map(String::as_str),
        Some("internal")
    );
    assert!(all[1].summary_vi.contains("84,9"), "{}", all[1].summary_vi);
}

#[test]
fn stale_data_fires_by_tick_alone() {
    let mut b = Builtins::none();
    b.kpi_stale.enabled = true;
    let mut e = Engine::new(RuleSet::load(&b, &[]).expect("valid"));
    e.unit(unit("p-1", UnitLevel::Ward, &["hn"], "ct-p1"), T0);
    e.kpi(
        kpi(
            "D",
            Thresholds::HigherIsBetter {
                green: 90.0,
                red: 80.0,
            },
            Frequency::Daily,
        ),
        T0,
    );
    assert!(e
        .series(series("D", "p-1", Some(95.0), Some(T0)), T0)
        .is_empty());
    // Daily: period 1d + grace 1d -> yellow after 2d, red after 3d.
    assert!(e.tick(T0 + 2 * DAY).is_empty());
    let ts = e.tick(T0 + 2 * DAY + 1);
    assert_eq!(brief(&ts), [(Fired, Yellow, 2 * DAY + 1)]);
    assert_eq!(ts[0].rule, "builtin.kpi_stale");
    let people: Vec<(&str, Role)> = ts[0]
        .notify
        .iter()
        .map(|r| (r.person.as_str(), r.role))
        .collect();
    assert_eq!(
        people,
        [
            ("nhap-lieu", Role::KpiDataEntry),
            ("ct-p1", Role::UnitLeader)
        ]
    );
    // One late tick still places the red at its own instant.
    assert_eq!(
        brief(&e.tick(T0 + 10 * DAY)),
        [(SeverityChanged, Red, 3 * DAY + 1)]
    );
    // A new value clears it at once.
    let at = T0 + 10 * DAY + HOUR;
    assert_eq!(
        brief(&e.series(series("D", "p-1", Some(95.0), Some(at)), at)),
        [(Resolved, Red, 10 * DAY + HOUR)]
    );
}

const ESCALATING: &str = r#"
[[rule]]
name = "overdue"
metric = "tasks.overdue_ratio"
yellow = "> 0.15"
red = "> 0.25"
escalate_after = "2h"
summary_vi = "Cảnh báo {severity}: tỷ lệ quá hạn của {unit_name} là {value}"
"#;

#[test]
fn escalation_goes_to_the_parent_leader_on_time() {
    let mut e = engine(ESCALATING);
    ratio(&mut e, "p-1", Some(0.3), 0);
    assert!(e.tick(T0 + 2 * HOUR - 1).is_empty());
    let ts = e.tick(T0 + 2 * HOUR);
    assert_eq!(brief(&ts), [(Escalated, Red, 2 * HOUR)]);
    assert_eq!(
        ts[0].notify,
        [Recipient {
            role: Role::ParentLeader,
            person: "chu-tich".into()
        }]
    );
    assert_eq!(
        ts[0].summary_vi,
        "Cảnh báo đỏ: tỷ lệ quá hạn của Đơn vị p-1 là 30%"
    );
    assert!(e.tick(T0 + 10 * HOUR).is_empty(), "escalated once");
    assert!(e
        .alert("overdue", "p-1")
        .is_some_and(|a| a.escalated_at == Some(T0 + 2 * HOUR)));
}

#[test]
fn acknowledgment_prevents_escalation_but_not_for_a_later_red() {
    let mut e = engine(ESCALATING);
    ratio(&mut e, "p-1", Some(0.3), 0);
    e.acknowledge("overdue", "p-1", "ct-p1", T0 + HOUR)
        .expect("firing");
    assert!(e.tick(T0 + 5 * HOUR).is_empty());

    // Acknowledged while yellow: turning red later needs a new acknowledgment.
    ratio(&mut e, "so-1", Some(0.2), 0);
    e.acknowledge("overdue", "so-1", "giam-doc", T0 + 5 * HOUR)
        .expect("firing");
    assert_eq!(
        brief(&ratio(&mut e, "so-1", Some(0.3), 6 * HOUR)),
        [(SeverityChanged, Red, 6 * HOUR)]
    );
    assert_eq!(brief(&e.tick(T0 + 9 * HOUR)), [(Escalated, Red, 8 * HOUR)]);

    assert!(matches!(
        e.acknowledge("overdue", "nowhere", "x", T0),
        Err(AckError::NotFound { .. })
    ));
    let pending = "[[rule]]\nname = \"slow\"\nmetric = \"tasks.overdue_ratio\"\nred = \"> 0.25\"\nfor = \"1h\"\n";
    let mut e = engine(pending);
    ratio(&mut e, "p-1", Some(0.3), 0);
    assert!(matches!(
        e.acknowledge("slow", "p-1", "x", T0),
        Err(AckError::NotFiring { .. })
    ));
}

#[test]
fn task_rules_notify_the_task_people_and_label_the_alert() {
    let text = r#"
[[rule]]
name = "late"
metric = "task.overdue"
yellow = "> 0s"
red = "> 2d"
labels = { team = "ops" }
notify = ["task_responsible", "task_accountable", "unit_leader"]
summary_en = "{subject} late by {value} ({severity})"
"#;
    let mut e = engine(text);
    let task = Task {
        id: "t-9".into(),
        title: "Báo cáo quý".into(),
        unit: "p-1".into(),
        responsible: "cb-an".into(),
        accountable: Some("ct-p1".into()),
        deadline: T0 + DAY,
        status: TaskStatus::InProgress,
        progress: 40.0,
    };
    assert!(e.task(task.clone(), T0).is_empty());
    let ts = e.tick(T0 + 4 * DAY);
    assert_eq!(
        brief(&ts),
        [
            (Fired, Yellow, DAY + 1),
            (SeverityChanged, Red, 3 * DAY + 1)
        ]
    );
    // The accountable person is also the unit leader: notified once.
    let people: Vec<&str> = ts[1].notify.iter().map(|r| r.person.as_str()).collect();
    assert_eq!(people, ["cb-an", "ct-p1"]);
    assert_eq!(ts[1].summary_en, "t-9 late by 2 days (red)");
    let labels: Vec<(&str, &str)> = ts[1]
        .labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        labels,
        [
            ("level", "ward"),
            ("metric", "task.overdue"),
            ("team", "ops"),
            ("unit", "p-1")
        ]
    );
    // Submitted: waits on the acceptor, no longer overdue.
    let done = Task {
        status: TaskStatus::Submitted,
        ..task
    };
    assert_eq!(
        brief(&e.task(done, T0 + 5 * DAY)),
        [(Resolved, Red, 5 * DAY)]
    );
    assert!(e.tick(T0 + 30 * DAY).is_empty());
}

#[test]
fn scopes_by_level_unit_and_subtree() {
    let text = r#"
[[rule]]
name = "wards"
scope = { levels = ["ward"] }
metric = "tasks.overdue_ratio"
red = "> 0.25"

[[rule]]
name = "under-so-1"
scope = { subtree = "so-1" }
metric = "tasks.overdue_ratio"
red = "> 0.25"

[[rule]]
name = "named"
scope = { units = ["hn"], levels = ["city"] }
metric = "tasks.overdue_ratio"
red = "> 0.25"
"#;
    let mut e = engine(text);
    e.unit(
        unit("so-1-div", UnitLevel::Division, &["hn", "so-1"], "tp"),
        T0,
    );
    for u in ["hn", "so-1", "so-1-div", "p-1"] {
        ratio(&mut e, u, Some(0.3), 0);
    }
    let active: Vec<(&str, &str)> = e
        .alerts()
        .map(|a| (a.rule.as_str(), a.subject.as_str()))
        .collect();
    assert_eq!(
        active,
        [
            ("named", "hn"),
            ("under-so-1", "so-1"),
            ("under-so-1", "so-1-div"),
            ("wards", "p-1")
        ]
    );
    // A unit that leaves the scope ends its alert.
    let ts = e.unit(
        unit("p-1", UnitLevel::Commune, &["hn"], "ct-p1"),
        T0 + MINUTE,
    );
    assert_eq!(brief(&ts), [(Resolved, Red, MINUTE)]);
}

#[test]
fn reload_keeps_unchanged_rules_and_restarts_changed_ones() {
    let two = "[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue_ratio\"\nred = \"> 0.25\"\nfor = \"10m\"\n\n[[rule]]\nname = \"b\"\nmetric = \"tasks.overdue_ratio\"\nred = \"> 0.25\"\n";
    let mut e = engine(two);
    ratio(&mut e, "p-1", Some(0.3), 0);
    assert_eq!(e.alert("a", "p-1").map(|a| a.state), Some(State::Pending));
    // `a` moves down the file (same definition); `b` changes its threshold; `c` is new.
    let next = "[[rule]]\nname = \"b\"\nmetric = \"tasks.overdue_ratio\"\nred = \"> 0.5\"\n\n[[rule]]\nname = \"c\"\nmetric = \"tasks.overdue_ratio\"\nyellow = \"> 0.1\"\n\n[[rule]]\nname = \"a\"\nmetric = \"tasks.overdue_ratio\"\nred = \"> 0.25\"\nfor = \"10m\"\n";
    let ts = e.set_rules(rules(next), T0 + 5 * MINUTE);
    let got: Vec<(&str, TransitionKind)> = ts.iter().map(|t| (t.rule.as_str(), t.kind)).collect();
    assert_eq!(got, [("b", Resolved), ("c", Fired)]);
    assert_eq!(
        e.alert("a", "p-1").map(|a| (a.state, a.active_since)),
        Some((State::Pending, T0)),
        "for progress kept"
    );
    assert_eq!(
        brief(&e.tick(T0 + 10 * MINUTE)),
        [(Fired, Red, 10 * MINUTE)]
    );
}

/// One step of a scenario; replayed with and without a save/restore in the middle.
#[derive(Clone)]
enum Op {
    Ratio(&'static str, f64),
    Value(&'static str, f64),
    Task(TaskStatus, f64),
    Ack(&'static str, &'static str),
    Tick,
}

const SCENARIO_RULES: &str = r#"
[[rule]]
name = "overdue"
metric = "tasks.overdue_ratio"
yellow = "> 0.15"
red = "> 0.25"
recover = "< 0.10"
for = "10m"
keep_firing_for = "20m"
escalate_after = "1h"
"#;

fn scenario() -> Vec<(i64, Op)> {
    vec![
        (0, Op::Ratio("p-1", 0.3)),
        (0, Op::Ratio("so-1", 0.2)),
        (0, Op::Value("p-1", 95.0)),
        (0, Op::Task(TaskStatus::InProgress, 10.0)),
        (5 * MINUTE, Op::Ratio("hn", 0.3)),
        (12 * MINUTE, Op::Tick),
        (20 * MINUTE, Op::Ack("overdue", "so-1")),
        (25 * MINUTE, Op::Ratio("p-1", 0.05)),
        (30 * MINUTE, Op::Tick),
        // Saved around here: `hn` is pending, `p-1` is recovering, `so-1` acknowledged.
        (40 * MINUTE, Op::Ratio("hn", 0.3)),
        (50 * MINUTE, Op::Tick),
        (2 * HOUR, Op::Tick),
        (3 * DAY, Op::Task(TaskStatus::InProgress, 30.0)),
        (40 * DAY, Op::Tick),
        (70 * DAY, Op::Value("p-1", 70.0)),
        (71 * DAY, Op::Tick),
    ]
}

struct World {
    metrics: std::collections::BTreeMap<&'static str, f64>,
    series: Option<Series>,
    task: Option<Task>,
}

fn apply(e: &mut Engine, w: &mut World, at: i64, op: &Op) -> Vec<Transition> {
    let now = T0 + at;
    match op {
        Op::Ratio(u, v) => {
            w.metrics.insert(u, *v);
            ratio(e, u, Some(*v), at)
        }
        Op::Value(u, v) => {
            let s = series("D", u, Some(*v), Some(now));
            w.series = Some(s.clone());
            e.series(s, now)
        }
        Op::Task(status, progress) => {
            let t = Task {
                id: "t-1".into(),
                title: String::new(),
                unit: "p-1".into(),
                responsible: "cb".into(),
                accountable: None,
                deadline: T0 + 5 * DAY,
                status: *status,
                progress: *progress,
            };
            w.task = Some(t.clone());
            e.task(t, now)
        }
        Op::Ack(rule, subject) => {
            e.acknowledge(rule, subject, "leader", now).expect("firing");
            Vec::new()
        }
        Op::Tick => e.tick(now),
    }
}

fn setup(e: &mut Engine, now: i64) -> Vec<Transition> {
    let mut out = Vec::new();
    out.extend(e.unit(unit("hn", UnitLevel::City, &[], "chu-tich"), now));
    out.extend(e.unit(
        unit("so-1", UnitLevel::Department, &["hn"], "giam-doc"),
        now,
    ));
    out.extend(e.unit(unit("p-1", UnitLevel::Ward, &["hn"], "ct-p1"), now));
    out.extend(e.kpi(
        kpi(
            "D",
            Thresholds::HigherIsBetter {
                green: 90.0,
                red: 80.0,
            },
            Frequency::Monthly,
        ),
        now,
    ));
    out
}

fn scenario_rules() -> RuleSet {
    RuleSet::load(&Builtins::default(), &[("t.toml", SCENARIO_RULES)]).expect("valid")
}

#[test]
fn restart_from_a_serialized_state_continues_identically() {
    let ops = scenario();
    for split in 1..ops.len() {
        // Straight through.
        let mut a = Engine::new(scenario_rules());
        setup(&mut a, T0);
        let mut wa = World {
            metrics: Default::default(),
            series: None,
            task: None,
        };
        let mut before = Vec::new();
        let mut after_a = Vec::new();
        for (i, (at, op)) in ops.iter().enumerate() {
            let ts = apply(&mut a, &mut wa, *at, op);
            if i < split {
                before.extend(ts)
            } else {
                after_a.extend(ts)
            }
        }

        // Saved after step `split - 1`, through JSON, restored, subjects given again.
        let mut b = Engine::new(scenario_rules());
        setup(&mut b, T0);
        let mut wb = World {
            metrics: Default::default(),
            series: None,
            task: None,
        };
        for (at, op) in &ops[..split] {
            apply(&mut b, &mut wb, *at, op);
        }
        let json = serde_json::to_string(&b.state()).expect("serializable");
        let state: EngineState = serde_json::from_str(&json).expect("deserializable");
        assert_eq!(state, b.state());
        let (mut c, dropped) = Engine::restore(scenario_rules(), state);
        assert!(dropped.is_empty());
        let now = c.now();
        let mut refed = setup(&mut c, now);
        for (u, v) in &wb.metrics {
            refed.extend(ratio(&mut c, u, Some(*v), now - T0));
        }
        if let Some(s) = wb.series.clone() {
            refed.extend(c.series(s, now));
        }
        if let Some(t) = wb.task.clone() {
            refed.extend(c.task(t, now));
        }
        assert!(
            refed.is_empty(),
            "split {split}: giving the subjects again changed something: {:#?}",
            brief(&refed)
        );
        let mut after_c = Vec::new();
        for (at, op) in &ops[split..] {
            after_c.extend(apply(&mut c, &mut wb, *at, op));
        }
        assert_eq!(after_a, after_c, "split {split}");
        // The remembered value of a clock-driven metric is the one at its last evaluation,
        // which giving the subjects again adds; everything else must be equal.
        let strip = |mut s: EngineState| {
            for a in &mut s.alerts {
                if a.rule == "builtin.task_overdue" || a.rule == "builtin.kpi_stale" {
                    a.value = None;
                }
            }
            s
        };
        assert_eq!(strip(a.state()), strip(c.state()), "split {split}");
    }
}

#[test]
fn scenario_covers_every_kind_of_transition() {
    let mut e = Engine::new(scenario_rules());
    setup(&mut e, T0);
    let mut w = World {
        metrics: Default::default(),
        series: None,
        task: None,
    };
    let mut all = Vec::new();
    for (at, op) in scenario() {
        all.extend(apply(&mut e, &mut w, at, &op));
    }
    for kind in [Pending, Fired, SeverityChanged, Resolved, Escalated] {
        assert!(
            all.iter().any(|t| t.kind == kind),
            "no {kind:?} in {:#?}",
            brief(&all)
        );
    }
    let rules: std::collections::BTreeSet<&str> = all.iter().map(|t| t.rule.as_str()).collect();
    assert!(
        rules.contains("builtin.kpi_stale")
            && rules.contains("builtin.task_overdue")
            && rules.contains("builtin.task_due_soon"),
        "{rules:?}"
    );
}

#[test]
fn tick_granularity_does_not_change_the_outcome() {
    let run = |step: i64| {
        let mut e = Engine::new(scenario_rules());
        setup(&mut e, T0);
        let mut w = World {
            metrics: Default::default(),
            series: None,
            task: None,
        };
        let mut all = Vec::new();
        let mut clock = 0;
        for (at, op) in scenario() {
            while step > 0 && clock + step < at {
                clock += step;
                all.extend(e.tick(T0 + clock));
            }
            clock = clock.max(at);
            all.extend(apply(&mut e, &mut w, at, &op));
        }
        all
    };
    let coarse = run(0);
    assert_eq!(coarse, run(MINUTE));
    assert_eq!(coarse, run(7 * HOUR));
}

#[test]
fn restore_ends_alerts_of_rules_that_are_gone() {
    let mut e = engine(HYSTERESIS);
    ratio(&mut e, "p-1", Some(0.3), 0);
    let (e2, dropped) = Engine::restore(
        rules("[[rule]]\nname = \"other\"\nmetric = \"tasks.overdue\"\nred = \"> 1\"\n"),
        e.state(),
    );
    assert_eq!(brief(&dropped), [(Resolved, Red, 0)]);
    assert!(e2.alerts().next().is_none());
}

#[test]
fn time_never_goes_back() {
    let text = "[[rule]]\nname = \"overdue\"\nmetric = \"tasks.overdue_ratio\"\nred = \"> 0.25\"\nfor = \"10m\"\n";
    let mut e = engine(text);
    ratio(&mut e, "p-1", Some(0.3), HOUR);
    // An older time is read as the latest one: `for` is not shortened.
    assert!(ratio(&mut e, "p-1", Some(0.3), 0).is_empty());
    assert_eq!(e.now(), T0 + HOUR);
    assert_eq!(
        brief(&e.tick(T0 + HOUR + 10 * MINUTE)),
        [(Fired, Red, HOUR + 10 * MINUTE)]
    );
}

#[test]
fn file_rules_on_clock_driven_metrics() {
    let text = r#"
[[rule]]
name = "service-data-late"
metric = "kpi.staleness"
group = "service"
yellow = "> 10d"
red = "> 20d"
notify = ["kpi_data_entry"]
summary_vi = "{kpi_name} của {unit_name}: {value} chưa cập nhật (ngưỡng {threshold})"

[[rule]]
name = "due-tomorrow"
metric = "task.due_soon"
within = "1d"
yellow = "< 80"
red = "< 20"
"#;
    let mut e = engine(text);
    let mut service = kpi(
        "S",
        Thresholds::LowerIsBetter {
            green: 1.0,
            red: 2.0,
        },
        Frequency::Daily,
    );
    service.group = IndexGroup::Service;
    e.kpi(service, T0);
    e.kpi(
        kpi(
            "I",
            Thresholds::LowerIsBetter {
                green: 1.0,
                red: 2.0,
            },
            Frequency::Daily,
        ),
        T0,
    );
    e.series(series("S", "p-1", Some(1.0), Some(T0)), T0);
    e.series(series("I", "p-1", Some(1.0), Some(T0)), T0);
    let ts = e.tick(T0 + 30 * DAY);
    assert_eq!(
        brief(&ts),
        [
            (Fired, Yellow, 10 * DAY + 1),
            (SeverityChanged, Red, 20 * DAY + 1)
        ]
    );
    assert!(
        ts.iter().all(|t| t.subject == "S@p-1"),
        "the internal-group series is not watched"
    );
    assert_eq!(
        ts[1].summary_vi,
        "Chỉ số S của Đơn vị p-1: 20 ngày chưa cập nhật (ngưỡng 20 ngày)"
    );

    let task = Task {
        id: "t-2".into(),
        title: String::new(),
        unit: "p-1".into(),
        responsible: "cb".into(),
        accountable: None,
        deadline: T0 + 40 * DAY,
        status: TaskStatus::Todo,
        progress: 10.0,
    };
    assert!(e.task(task.clone(), T0 + 30 * DAY).is_empty());
    assert_eq!(brief(&e.tick(T0 + 39 * DAY)), [(Fired, Red, 39 * DAY)]);
    let better = Task {
        progress: 50.0,
        ..task
    };
    assert_eq!(
        brief(&e.task(better, T0 + 39 * DAY + HOUR)),
        [(SeverityChanged, Yellow, 39 * DAY + HOUR)]
    );
    // Past the deadline it is no longer "due soon" (task.overdue rules take over).
    assert_eq!(
        brief(&e.tick(T0 + 41 * DAY)),
        [(Resolved, Yellow, 40 * DAY + 1)]
    );
}

#[test]
fn summaries_name_the_thing_by_its_title_and_the_responsible_person_by_name() {
    let text = r#"
[[rule]]
name = "late"
metric = "task.overdue"
yellow = "> 0s"
summary_vi = "{title} · {responsible} · {unit_name}"

[[rule]]
name = "ratio"
metric = "tasks.overdue_ratio"
red = "> 0.25"
summary_en = "{title}: {responsible}"
"#;
    let mut e = engine(text);
    e.person(Person {
        id: "cb-an".into(),
        name: "Nguyễn Văn An".into(),
    });
    let task = Task {
        id: "t-7".into(),
        title: "Rà soát hồ sơ".into(),
        unit: "p-1".into(),
        responsible: "cb-an".into(),
        accountable: None,
        deadline: T0 + DAY,
        status: TaskStatus::InProgress,
        progress: 0.0,
    };
    e.task(task.clone(), T0);
    let ts = e.tick(T0 + 2 * DAY);
    assert_eq!(
        ts[0].summary_vi,
        "Rà soát hồ sơ · Nguyễn Văn An · Đơn vị p-1"
    );
    // A unit's alert names the unit and its leader (by id when no name was given).
    let ts = ratio(&mut e, "p-1", Some(0.3), 2 * DAY);
    assert_eq!(ts[0].summary_en, "Đơn vị p-1: ct-p1");
    // A task without a title falls back to its id rather than a blank.
    let ts = e.task(
        Task {
            id: "t-8".into(),
            title: String::new(),
            ..task
        },
        T0 + 2 * DAY,
    );
    assert!(
        ts.iter().any(|t| t.summary_vi.starts_with("t-8 · ")),
        "{ts:?}"
    );
}
