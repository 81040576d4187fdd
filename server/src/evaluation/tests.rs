//! Hand-worked evaluations: the arithmetic is in the comments.

use super::*;
use crate::domain::time::DAY;
use crate::domain::{Period, Person, Task, TaskStatus, TaskVersions, Ts, Unit, UnitLevel};

fn month(label: &str) -> Period {
    Period::parse(label).unwrap()
}

fn person(id: &str) -> Person {
    Person {
        id: id.into(),
        name: format!("Cán bộ {id}"),
        unit: "P-VHXH".into(),
        position: "Chuyên viên".into(),
    }
}

fn unit() -> Unit {
    Unit {
        id: "P-VHXH".into(),
        name: "Phòng Văn hóa - Xã hội".into(),
        level: UnitLevel::Division,
        parent: None,
        leader: Some("lead".into()),
        short_name: None,
    }
}

/// A task of `who` due `day` days into `period`.
fn task(id: &str, who: &str, period: &Period, day: i64, status: TaskStatus) -> Task {
    Task {
        id: id.into(),
        title: format!("Nhiệm vụ {id}"),
        unit: "P-VHXH".into(),
        responsible: who.into(),
        accountable: None,
        consulted: vec![],
        informed: vec![],
        key_result: None,
        start: None,
        deadline: period.start + day * DAY,
        expected_output: String::new(),
        progress: 0,
        status,
        quality: None,
        submitted_at: None,
        returned_at: None,
        done_at: None,
        versions: TaskVersions::default(),
    }
}

/// Accepted `late_by` ms after its deadline (negative: early), with this quality.
fn done(mut t: Task, late_by: Ts, quality: f64) -> Task {
    t.status = TaskStatus::Accepted;
    t.done_at = Some(t.deadline + late_by);
    t.quality = Some(quality);
    t
}

/// Criteria scores in the default order politics, ethics, work_style, discipline, learning.
fn criteria(points: [f64; 5]) -> CriteriaInput {
    let ids = ["politics", "ethics", "work_style", "discipline", "learning"];
    CriteriaInput {
        scores: ids.iter().map(|s| s.to_string()).zip(points).collect(),
        by: Some("lead".into()),
        at: Some("2026-12-02T08:00:00.000+07:00".into()),
        ..Default::default()
    }
}

fn after(period: &Period) -> Ts {
    period.end + DAY
}

fn input<'a>(
    p: &'a Person,
    tasks: &'a [Task],
    criteria: Option<&'a CriteriaInput>,
) -> PersonInput<'a> {
    PersonInput {
        person: p,
        leads: None,
        tasks: tasks.iter().collect(),
        unit_tasks: vec![],
        criteria,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn four_items_on_time_late_poor_and_not_completed() {
    let cfg = EvaluationConfig::default();
    let nov = month("2026-11");
    let p = person("a");
    let tasks = [
        done(task("T1", "a", &nov, 5, TaskStatus::Todo), -DAY, 80.0),
        done(task("T2", "a", &nov, 10, TaskStatus::Todo), 2 * DAY, 80.0),
        done(task("T3", "a", &nov, 15, TaskStatus::Todo), 0, 40.0),
        task("T4", "a", &nov, 20, TaskStatus::InProgress),
    ];
    let c = criteria([6.0, 6.0, 6.0, 6.0, 4.0]);
    let s = score(&cfg, &nov, after(&nov), &input(&p, &tasks, Some(&c)));
    // Each item is worth 70 / 4 = 17.5.
    // T1 on time, quality 80 >= 50: 17.5.
    // T2 late: 17.5 - 0.25 × 17.5 = 13.125 (shown 13.13).
    // T3 quality 40 < 50: 17.5 - 0.25 × 17.5 = 13.125.
    // T4 in progress past its deadline: 0.
    // Tasks = 70 × (1 + 0.75 + 0.75 + 0) / 4 = 70 × 0.625 = 43.75.
    // General = 6 + 6 + 6 + 6 + 4 = 28; total 71.75: good.
    let t = s.tasks.as_ref().unwrap();
    assert_eq!(t.points, 43.75);
    let own = t.own.as_ref().unwrap();
    assert_eq!(own.ratio, 0.625);
    assert_eq!(own.share, 1.0);
    assert_eq!(
        own.counts,
        ItemCounts {
            assigned: 4,
            done: 3,
            late: 1,
            quality_failed: 1,
            not_completed: 1
        }
    );
    let earned: Vec<f64> = own.items.iter().map(|i| i.earned).collect();
    assert_eq!(earned, [17.5, 13.13, 13.13, 0.0]);
    assert!(own.items.iter().all(|i| i.possible == 17.5));
    assert_eq!(
        own.items[1].deductions,
        [Deduction {
            reason: DeductionReason::Late,
            points: 4.38
        }]
    );
    assert_eq!(own.items[2].deductions[0].reason, DeductionReason::Quality);
    assert_eq!(
        own.items[3].deductions,
        [Deduction {
            reason: DeductionReason::NotCompleted,
            points: 17.5
        }]
    );
    assert_eq!(s.general.points, 28.0);
    assert_eq!(s.general.by.as_deref(), Some("lead"));
    assert_eq!(s.general.criteria[0].name_vi, "Chính trị, tư tưởng");
    assert_eq!(s.general.criteria[4].points, Some(4.0));
    assert_eq!(s.total, Some(71.75));
    assert_eq!(s.class, Class::Good);
    assert!(!s.provisional);
    assert_eq!(s.bands.good_from, 70.0);
    assert!(s.notes.is_empty(), "{:?}", s.notes);

    // Scored over a quarter while the model evaluates by month: the same items, and a note.
    let q4 = month("2026-Q4");
    let s = score(&cfg, &q4, after(&q4), &input(&p, &tasks, Some(&c)));
    assert_eq!(s.total, Some(71.75));
    assert!(s.notes.iter().any(|n| n.contains("not a month")));
}

#[test]
fn only_due_or_accepted_uncancelled_tasks_of_the_period_count() {
    let cfg = EvaluationConfig::default();
    let nov = month("2026-11");
    let now = nov.start + 10 * DAY;
    let p = person("a");
    let tasks = [
        // Counts: due by now, not done (0 of 70 / 2 = 35).
        task("due", "a", &nov, 5, TaskStatus::Returned),
        // Counts: not yet due but already accepted, early and good (35).
        done(
            task("early", "a", &nov, 20, TaskStatus::Todo),
            -15 * DAY,
            90.0,
        ),
        // Not yet due and open: not counted yet.
        task("later", "a", &nov, 20, TaskStatus::InProgress),
        // Cancelled, another month's, and another person's: never counted.
        task("cancelled", "a", &nov, 5, TaskStatus::Cancelled),
        task("october", "a", &nov, -3, TaskStatus::Todo),
        task("theirs", "b", &nov, 5, TaskStatus::Todo),
    ];
    let s = score(&cfg, &nov, now, &input(&p, &tasks, None));
    let own = s.tasks.as_ref().unwrap().own.as_ref().unwrap();
    let ids: Vec<&str> = own.items.iter().map(|i| i.task.as_str()).collect();
    assert_eq!(ids, ["due", "early"]);
    // 70 × (0 + 1) / 2 = 35.
    assert_eq!(s.tasks.as_ref().unwrap().points, 35.0);
}

#[test]
fn late_and_poor_on_one_item_loses_half() {
    let cfg = EvaluationConfig::default();
    let nov = month("2026-11");
    let p = person("a");
    let tasks = [done(task("T1", "a", &nov, 5, TaskStatus::Todo), DAY, 30.0)];
    let s = score(&cfg, &nov, after(&nov), &input(&p, &tasks, None));
    // One item worth 70: late 0.25 × 70 = 17.5, quality 0.25 × 70 = 17.5; 70 - 35 = 35.
    let own = s.tasks.as_ref().unwrap().own.clone().unwrap();
    let cuts: Vec<(DeductionReason, f64)> = own.items[0]
        .deductions
        .iter()
        .map(|d| (d.reason, d.points))
        .collect();
    assert_eq!(
        cuts,
        [
            (DeductionReason::Late, 17.5),
            (DeductionReason::Quality, 17.5)
        ]
    );
    assert_eq!(own.items[0].earned, 35.0);
    assert_eq!(s.total, Some(35.0));

    // Deductions that add up past the item stop at 0: late 0.75 × 70 = 52.5, then quality
    // only the 17.5 left.
    let harsh = EvaluationConfig {
        late_deduction: 0.75,
        quality_deduction: 0.5,
        ..EvaluationConfig::default()
    };
    let s = score(&harsh, &nov, after(&nov), &input(&p, &tasks, None));
    let item = &s.tasks.as_ref().unwrap().own.as_ref().unwrap().items[0];
    assert_eq!(item.deductions[0].points, 52.5);
    assert_eq!(item.deductions[1].points, 17.5);
    assert_eq!(item.earned, 0.0);
    assert_eq!(s.total, Some(0.0));
}

#[test]
fn missing_quality_and_done_time_count_as_passed_and_on_time() {
    let cfg = EvaluationConfig::default();
    let nov = month("2026-11");
    let p = person("a");
    let mut t = task("T1", "a", &nov, 5, TaskStatus::Accepted);
    t.done_at = None;
    t.quality = None;
    let tasks = [t];
    let s = score(&cfg, &nov, after(&nov), &input(&p, &tasks, None));
    let item = &s.tasks.as_ref().unwrap().own.as_ref().unwrap().items[0];
    assert_eq!(item.earned, 70.0);
    assert!(item.notes.iter().any(|n| n.contains("counted as passed")));
    assert!(item.notes.iter().any(|n| n.contains("counted as on time")));
}

#[test]
fn classify_at_the_band_edges() {
    let cfg = EvaluationConfig::default();
    let cases = [
        (0.0, Class::NotComplete),
        (49.99, Class::NotComplete),
        (50.0, Class::Complete),
        (69.99, Class::Complete),
        (70.0, Class::Good),
        (89.99, Class::Good),
        (90.0, Class::Excellent),
        (100.0, Class::Excellent),
    ];
    for (total, class) in cases {
        assert_eq!(classify(&cfg, total), class, "{total}");
    }
}

#[test]
fn whole_scores_landing_on_the_band_edges() {
    let cfg = EvaluationConfig::default();
    let nov = month("2026-11");
    let p = person("a");
    let ok = |id: &str, day| done(task(id, "a", &nov, day, TaskStatus::Todo), 0, 80.0);
    let open = |id: &str, day| task(id, "a", &nov, day, TaskStatus::InProgress);
    // Tasks 35: two items, one done (70 × 1/2). Tasks 52.5: four items, three done
    // (70 × 3/4). Tasks 70: one item done.
    let half = [ok("A", 1), open("B", 2)];
    let three_quarters = [ok("A", 1), ok("B", 2), ok("C", 3), open("D", 4)];
    let full = [ok("A", 1)];
    let cases: [(&[Task], [f64; 5], f64, Class); 6] = [
        // 35 + 6 + 6 + 2.99 = 49.99
        (&half, [6.0, 6.0, 2.99, 0.0, 0.0], 49.99, Class::NotComplete),
        // 35 + 15 = 50
        (&half, [6.0, 6.0, 3.0, 0.0, 0.0], 50.0, Class::Complete),
        // 52.5 + 17.49 = 69.99
        (
            &three_quarters,
            [6.0, 6.0, 5.49, 0.0, 0.0],
            69.99,
            Class::Complete,
        ),
        // 52.5 + 17.5 = 70
        (
            &three_quarters,
            [6.0, 6.0, 5.5, 0.0, 0.0],
            70.0,
            Class::Good,
        ),
        // 70 + 19.99 = 89.99
        (&full, [6.0, 6.0, 6.0, 1.99, 0.0], 89.99, Class::Good),
        // 70 + 20 = 90
        (&full, [6.0, 6.0, 6.0, 2.0, 0.0], 90.0, Class::Excellent),
    ];
    for (tasks, points, total, class) in cases {
        let c = criteria(points);
        let s = score(&cfg, &nov, after(&nov), &input(&p, tasks, Some(&c)));
        assert_eq!(s.total, Some(total), "{points:?}");
        assert_eq!(s.class, class, "{points:?}");
    }
}

#[test]
fn the_total_is_rounded_once_from_unrounded_parts_and_then_classified() {
    let cfg = EvaluationConfig::default();
    let nov = month("2026-11");
    let p = person("a");
    // Three items, one late: 70 × 2.75 / 3 = 64.1666… (shown 64.17).
    let tasks = [
        done(task("A", "a", &nov, 1, TaskStatus::Todo), 0, 80.0),
        done(task("B", "a", &nov, 2, TaskStatus::Todo), 0, 80.0),
        done(task("C", "a", &nov, 3, TaskStatus::Todo), DAY, 80.0),
    ];
    // 64.1666… + 25.83 = 89.9966… -> 90.00: excellent, on the rounded total.
    let c = criteria([6.0, 6.0, 6.0, 6.0, 1.83]);
    let s = score(&cfg, &nov, after(&nov), &input(&p, &tasks, Some(&c)));
    assert_eq!(s.tasks.as_ref().unwrap().points, 64.17);
    assert_eq!(s.total, Some(90.0));
    assert_eq!(s.class, Class::Excellent);
    // 64.1666… + 20.0067 = 84.1733… -> 84.17, where the shown parts would add to
    // 64.17 + 20.01 = 84.18.
    let c = criteria([6.0, 6.0, 6.0, 2.0067, 0.0]);
    let s = score(&cfg, &nov, after(&nov), &input(&p, &tasks, Some(&c)));
    assert_eq!(s.general.points, 20.01);
    assert_eq!(s.total, Some(84.17));
}

#[test]
fn the_leaders_override_forces_not_complete() {
    let cfg = EvaluationConfig::default();
    let nov = month("2026-11");
    let p = person("a");
    let tasks = [done(task("T1", "a", &nov, 5, TaskStatus::Todo), 0, 95.0)];
    let mut c = criteria([6.0; 5]);
    c.force_not_complete = Some("bị kỷ luật khiển trách".into());
    let s = score(&cfg, &nov, after(&nov), &input(&p, &tasks, Some(&c)));
    // 70 + 30 = 100 would be excellent.
    assert_eq!(s.total, Some(100.0));
    assert_eq!(s.class_by_points, Class::Excellent);
    assert_eq!(s.class, Class::NotComplete);
    assert_eq!(s.overridden.as_deref(), Some("bị kỷ luật khiển trách"));
}

/// A score of person `id` with the given total, class and task points, for the quota and the
/// ranking (only those fields matter there).
fn scored(id: &str, total: Option<f64>, class: Class, tasks: f64) -> PersonScore {
    let cfg = EvaluationConfig::default();
    let nov = month("2026-11");
    let p = person(id);
    let t = [done(task("T1", id, &nov, 5, TaskStatus::Todo), 0, 95.0)];
    let mut s = score(&cfg, &nov, after(&nov), &input(&p, &t, None));
    s.total = total;
    s.class = class;
    s.tasks.as_mut().unwrap().points = tasks;
    s
}

fn goods(n: usize) -> Vec<PersonScore> {
    (0..n)
        .map(|i| scored(&format!("g{i}"), Some(75.0), Class::Good, 50.0))
        .collect()
}

#[test]
fn quota_shows_the_excellent_over_the_cap_without_applying_it() {
    let cfg = EvaluationConfig::default();
    // 10 good and 3 excellent reach good: cap = floor(0.2 × 13) = 2; one above.
    let mut scores = goods(10);
    scores.push(scored("e3", Some(91.0), Class::Excellent, 65.0));
    scores.push(scored("e1", Some(95.0), Class::Excellent, 65.0));
    scores.push(scored("e2", Some(93.0), Class::Excellent, 65.0));
    scores.push(scored("c", Some(60.0), Class::Complete, 40.0));
    let q = quota(&cfg, &scores);
    assert_eq!(q.counts.good, 10);
    assert_eq!(q.counts.excellent, 3);
    assert_eq!(q.counts.complete, 1);
    assert_eq!(q.cap, 2);
    assert_eq!(q.within_cap, ["e1", "e2"]);
    assert_eq!(q.above_cap, ["e3"]);
    assert_eq!(q.over_by, 1);
    assert!(!q.tie_at_cap);
    assert!(q.note.contains("not applied"));
    // Shown, not applied: the one above the cap is still excellent.
    assert_eq!(q.excellent.len(), 3);
    assert!(!q.excellent[2].within_cap);
    assert!(scores
        .iter()
        .filter(|s| s.person.starts_with('e'))
        .all(|s| s.class == Class::Excellent));

    // 3 good + 1 excellent: cap = floor(0.2 × 4) = floor(0.8) = 0; the excellent is above it.
    let mut scores = goods(3);
    scores.push(scored("e1", Some(92.0), Class::Excellent, 65.0));
    let q = quota(&cfg, &scores);
    assert_eq!(q.cap, 0);
    assert!(q.within_cap.is_empty());
    assert_eq!(q.above_cap, ["e1"]);
    assert_eq!(q.over_by, 1);
    assert!(!q.tie_at_cap);

    // A unit where all five reach excellent: cap = floor(0.2 × 5) = 1, four above.
    let scores: Vec<PersonScore> = (1..=5)
        .map(|i| {
            scored(
                &format!("e{i}"),
                Some(90.0 + i as f64),
                Class::Excellent,
                65.0,
            )
        })
        .collect();
    let q = quota(&cfg, &scores);
    assert_eq!(q.cap, 1);
    assert_eq!(q.within_cap, ["e5"]);
    assert_eq!(q.over_by, 4);
}

#[test]
fn quota_flags_a_tie_straddling_the_cap() {
    let cfg = EvaluationConfig::default();
    // Cap 2; e2 and e3 both total 92: the higher task points put e2 within, but it is a tie.
    let mut scores = goods(10);
    scores.push(scored("e1", Some(95.0), Class::Excellent, 66.0));
    scores.push(scored("e3", Some(92.0), Class::Excellent, 68.0));
    scores.push(scored("e2", Some(92.0), Class::Excellent, 62.0));
    let q = quota(&cfg, &scores);
    assert_eq!(q.within_cap, ["e1", "e3"]);
    assert_eq!(q.above_cap, ["e2"]);
    assert!(q.tie_at_cap);
}

#[test]
fn a_leader_blends_own_and_unit_results() {
    let cfg = EvaluationConfig::default();
    let nov = month("2026-11");
    let leader = person("lead");
    let u = unit();
    let own = [
        done(task("L1", "lead", &nov, 3, TaskStatus::Todo), 0, 90.0),
        done(task("L2", "lead", &nov, 4, TaskStatus::Todo), DAY, 90.0),
    ];
    let staff = [
        done(task("S1", "a", &nov, 3, TaskStatus::Todo), 0, 90.0),
        done(task("S2", "b", &nov, 3, TaskStatus::Todo), 0, 90.0),
        done(task("S3", "c", &nov, 3, TaskStatus::Todo), 0, 90.0),
        task("S4", "d", &nov, 3, TaskStatus::Todo),
    ];
    let c = criteria([6.0; 5]);
    let inp = PersonInput {
        person: &leader,
        leads: Some(&u),
        tasks: own.iter().collect(),
        unit_tasks: staff.iter().collect(),
        criteria: Some(&c),
    };
    let s = score(&cfg, &nov, after(&nov), &inp);
    // Own ratio (1 + 0.75) / 2 = 0.875; unit ratio (1 + 1 + 1 + 0) / 4 = 0.75.
    // Tasks = 70 × (0.5 × 0.875 + 0.5 × 0.75) = 30.625 + 26.25 = 56.875 (shown 56.88).
    // Total 56.875 + 30 = 86.875 -> 86.88: good.
    let t = s.tasks.as_ref().unwrap();
    let (o, un) = (t.own.as_ref().unwrap(), t.unit.as_ref().unwrap());
    assert_eq!((o.ratio, o.share, o.points), (0.875, 0.5, 30.63));
    assert_eq!((un.ratio, un.share, un.points), (0.75, 0.5, 26.25));
    assert_eq!(un.counts.not_completed, 1);
    assert!(un.items.is_empty());
    // Each own item is worth 35 / 2 = 17.5.
    assert_eq!(o.items[0].possible, 17.5);
    assert_eq!(t.points, 56.88);
    assert_eq!(s.total, Some(86.88));
    assert_eq!(s.leads.as_deref(), Some("P-VHXH"));

    // No own items: the unit ratio carries it all, 70 × 0.75 = 52.5.
    let inp = PersonInput {
        tasks: vec![],
        ..inp
    };
    let s = score(&cfg, &nov, after(&nov), &inp);
    let t = s.tasks.as_ref().unwrap();
    assert!(t.own.is_none());
    assert_eq!(t.unit.as_ref().unwrap().share, 1.0);
    assert_eq!(t.points, 52.5);
    assert_eq!(s.total, Some(82.5));
}

#[test]
fn no_items_is_not_evaluated() {
    let cfg = EvaluationConfig::default();
    let nov = month("2026-11");
    let p = person("a");
    let tasks = [
        task("dec", "a", &month("2026-12"), 3, TaskStatus::Todo),
        task("gone", "a", &nov, 3, TaskStatus::Cancelled),
    ];
    let c = criteria([6.0; 5]);
    let s = score(&cfg, &nov, after(&nov), &input(&p, &tasks, Some(&c)));
    assert_eq!(s.class, Class::NotEvaluated);
    assert_eq!(s.total, None);
    assert!(s.tasks.is_none());
    assert!(s.not_evaluated.as_deref().unwrap().contains("2026-11"));
}

#[test]
fn without_criteria_the_score_is_provisional() {
    let cfg = EvaluationConfig::default();
    let nov = month("2026-11");
    let p = person("a");
    let tasks = [done(task("T1", "a", &nov, 5, TaskStatus::Todo), 0, 80.0)];
    let s = score(&cfg, &nov, after(&nov), &input(&p, &tasks, None));
    // 0 + 70 = 70: good for now.
    assert!(s.provisional);
    assert_eq!(s.general.points, 0.0);
    assert!(s.general.criteria.iter().all(|c| c.points.is_none()));
    assert_eq!(s.total, Some(70.0));
    assert_eq!(s.class, Class::Good);
    assert!(s
        .notes
        .iter()
        .any(|n| n.contains("awaiting the leader's criteria scores")));

    // Invalid criteria (over the max) are treated as missing, and said so.
    let c = criteria([7.0, 6.0, 6.0, 6.0, 6.0]);
    let s = score(&cfg, &nov, after(&nov), &input(&p, &tasks, Some(&c)));
    assert!(s.provisional);
    assert!(s.notes.iter().any(|n| n.contains("politics")));
}

#[test]
fn below_the_workload_norm_task_points_scale_down() {
    let cfg = EvaluationConfig {
        min_items: 5,
        ..EvaluationConfig::default()
    };
    let nov = month("2026-11");
    let p = person("a");
    let tasks = [
        done(task("T1", "a", &nov, 5, TaskStatus::Todo), 0, 80.0),
        done(task("T2", "a", &nov, 6, TaskStatus::Todo), 0, 80.0),
    ];
    let c = criteria([6.0; 5]);
    let s = score(&cfg, &nov, after(&nov), &input(&p, &tasks, Some(&c)));
    // Both on time: ratio 1; 2 items against a norm of 5: 70 × 1 × 2/5 = 28; total 58.
    let t = s.tasks.as_ref().unwrap();
    assert_eq!(
        t.workload,
        Some(Workload {
            items: 2,
            min_items: 5,
            factor: 0.4
        })
    );
    assert_eq!(t.points, 28.0);
    assert_eq!(t.own.as_ref().unwrap().points, 28.0);
    assert_eq!(s.total, Some(58.0));
    assert_eq!(s.class, Class::Complete);
    assert!(s.notes.iter().any(|n| n.contains("workload norm")));

    // At or above the norm nothing is scaled.
    let cfg = EvaluationConfig {
        min_items: 2,
        ..cfg
    };
    let s = score(&cfg, &nov, after(&nov), &input(&p, &tasks, Some(&c)));
    assert!(s.tasks.as_ref().unwrap().workload.is_none());
    assert_eq!(s.total, Some(100.0));
}

#[test]
fn annual_is_the_mean_of_the_evaluated_months() {
    let cfg = EvaluationConfig::default();
    let year = Period::parse("2026").unwrap();
    let (jan, feb, mar) = (month("2026-01"), month("2026-02"), month("2026-03"));
    let p = person("a");
    let tasks = [
        // January: on time, 70.
        done(task("J", "a", &jan, 10, TaskStatus::Todo), 0, 80.0),
        // March: late, 70 - 17.5 = 52.5. February has nothing.
        done(task("M", "a", &mar, 10, TaskStatus::Todo), DAY, 80.0),
    ];
    let c = criteria([6.0, 6.0, 6.0, 2.0, 0.0]);
    let now = mar.end + DAY;
    let mut feb_criteria = c.clone();
    let months: Vec<PersonScore> = [&mar, &jan, &feb]
        .into_iter()
        .map(|m| score(&cfg, m, now, &input(&p, &tasks, Some(&c))))
        .collect();
    // January 70 + 20 = 90, February not evaluated, March 52.5 + 20 = 72.5.
    // Mean (90 + 72.5) / 2 = 81.25: good.
    let a = annual(&cfg, &year, &months);
    assert_eq!(a.periods, ["2026-01", "2026-02", "2026-03"]);
    assert_eq!(a.not_evaluated, ["2026-02"]);
    let totals: Vec<f64> = a.evaluated.iter().map(|r| r.total).collect();
    assert_eq!(totals, [90.0, 72.5]);
    assert_eq!(a.total, Some(81.25));
    assert_eq!(a.class, Class::Good);
    assert!(a.overrides.is_empty());

    // An override in any month, even one not evaluated, makes the year not complete.
    feb_criteria.force_not_complete = Some("vi phạm kỷ luật".into());
    let mut months = months;
    months[2] = score(&cfg, &feb, now, &input(&p, &tasks, Some(&feb_criteria)));
    assert_eq!(months[2].class, Class::NotEvaluated);
    let a = annual(&cfg, &year, &months);
    assert_eq!(a.total, Some(81.25));
    assert_eq!(a.class_by_points, Class::Good);
    assert_eq!(a.class, Class::NotComplete);
    assert_eq!(
        a.overrides,
        [PeriodOverride {
            period: "2026-02".into(),
            reason: "vi phạm kỷ luật".into()
        }]
    );

    // A month of another year is left out, with a note.
    let dec = month("2025-12");
    months.push(score(&cfg, &dec, now, &input(&p, &tasks, Some(&c))));
    let a = annual(&cfg, &year, &months);
    assert_eq!(a.periods.len(), 3);
    assert!(a.notes.iter().any(|n| n.contains("2025-12")));
}

#[test]
fn ranking_shares_ranks_on_ties_and_puts_the_not_evaluated_last() {
    let a = scored("a", Some(80.0), Class::Good, 50.0);
    let b = scored("b", Some(90.0), Class::Excellent, 60.0);
    let c = scored("c", Some(80.0), Class::Good, 55.0);
    let d = scored("d", None, Class::NotEvaluated, 0.0);
    let e = scored("e", Some(70.0), Class::Good, 45.0);
    let lines = rank(&[&d, &a, &e, &b, &c]);
    let got: Vec<(Option<u32>, &str)> = lines.iter().map(|l| (l.rank, l.person.as_str())).collect();
    assert_eq!(
        got,
        [
            (Some(1), "b"),
            (Some(2), "a"),
            (Some(2), "c"),
            (Some(4), "e"),
            (None, "d")
        ]
    );
    assert_eq!(lines[0].position, "Chuyên viên");
    assert_eq!(lines[4].class, Class::NotEvaluated);
}

#[test]
fn config_defaults_to_the_decree_and_names_the_bad_field() {
    let cfg = EvaluationConfig::default();
    assert_eq!(cfg.validate(), Ok(()));
    assert_eq!(cfg.criteria.len(), 5);
    assert!(close(cfg.criteria.iter().map(|c| c.max_points).sum(), 30.0));

    let mut bad = cfg.clone();
    bad.criteria[1].max_points = 5.0;
    let e = bad.validate().unwrap_err();
    assert!(e.contains("criteria") && e.contains("general_max"), "{e}");

    let bad = EvaluationConfig {
        late_deduction: -0.25,
        ..cfg.clone()
    };
    assert!(bad.validate().unwrap_err().contains("late_deduction"));

    let bad = EvaluationConfig {
        good_from: 95.0,
        ..cfg.clone()
    };
    let e = bad.validate().unwrap_err();
    assert!(
        e.contains("excellent_from") && e.contains("out of order"),
        "{e}"
    );

    let bad = EvaluationConfig {
        complete_from: 70.0,
        ..cfg.clone()
    };
    assert!(bad.validate().unwrap_err().contains("good_from"));

    let bad = EvaluationConfig {
        tasks_max: 60.0,
        ..cfg.clone()
    };
    assert!(bad.validate().unwrap_err().contains("tasks_max"));
}

#[test]
fn config_reads_from_toml_with_defaults_and_refuses_unknown_fields() {
    let cfg: EvaluationConfig =
        toml::from_str("late_deduction = 0.5\nperiod = \"quarter\"\nmin_items = 3").unwrap();
    assert_eq!(cfg.late_deduction, 0.5);
    assert_eq!(cfg.period, EvaluationPeriod::Quarter);
    assert_eq!(cfg.min_items, 3);
    assert_eq!(cfg.criteria, EvaluationConfig::default().criteria);
    assert!(toml::from_str::<EvaluationConfig>("late_deducton = 0.5").is_err());
    assert!(toml::from_str::<EvaluationConfig>("period = \"week\"").is_err());
}

#[test]
fn criteria_input_names_the_bad_criterion() {
    let cfg = EvaluationConfig::default();
    assert_eq!(criteria([6.0; 5]).validate(&cfg), Ok(()));
    let e = criteria([6.0, 6.5, 6.0, 6.0, 6.0])
        .validate(&cfg)
        .unwrap_err();
    assert!(e.contains("'ethics'"), "{e}");
    let e = criteria([6.0, 6.0, -1.0, 6.0, 6.0])
        .validate(&cfg)
        .unwrap_err();
    assert!(e.contains("'work_style'"), "{e}");
    let mut c = criteria([6.0; 5]);
    c.scores.remove("learning");
    assert!(c.validate(&cfg).unwrap_err().contains("'learning'"));
    let mut c = criteria([6.0; 5]);
    c.scores.insert("loyalty".into(), 1.0);
    assert!(c.validate(&cfg).unwrap_err().contains("'loyalty'"));
    let parsed: Result<CriteriaInput, _> =
        serde_json::from_str(r#"{"scores": {}, "force_not_compete": "x"}"#);
    assert!(parsed.is_err());
}

#[test]
fn classes_serialize_in_snake_case() {
    assert_eq!(
        serde_json::to_value(Class::NotComplete).unwrap(),
        serde_json::json!("not_complete")
    );
    assert_eq!(Class::parse("not_evaluated"), Some(Class::NotEvaluated));
    let s = scored("a", Some(80.0), Class::Good, 50.0);
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(v["class"], "good");
    assert_eq!(
        v["tasks"]["own"]["items"][0]["status"],
        serde_json::json!("accepted")
    );
}
