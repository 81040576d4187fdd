//! One conformance suite, run against SQLite always and against PostgreSQL when the test
//! server is configured (`.ci/run` starts one; elsewhere the PostgreSQL half says it skipped).

use ioc::domain::time::parse_ts;
use ioc::domain::*;
use ioc::rollup::Rollup;
use ioc::store::{EventRecord, Store};
use ioc_tests::{fresh_postgres_db, postgres_admin_url};
use std::sync::Arc;

fn ts(s: &str) -> Ts {
    parse_ts(s, false).unwrap()
}

fn catalog() -> Vec<Change> {
    let unit = |id: &str, level, parent: Option<&str>| {
        Change::Unit(Unit {
            id: id.into(),
            name: format!("Đơn vị {id}"),
            level,
            parent: parent.map(Id::from),
            // The leader round-trips too (people need not exist for the store).
            leader: (id == "hn").then(|| Id::from("b")),
            // So does the short name a tile shows.
            short_name: (id == "so").then(|| "Sở".to_string()),
        })
    };
    vec![
        unit("hn", UnitLevel::City, None),
        unit("so", UnitLevel::Department, Some("hn")),
        unit("p1", UnitLevel::Ward, Some("hn")),
        unit("p1.d", UnitLevel::Division, Some("p1")),
        Change::Person(Person {
            id: "a".into(),
            name: "Nguyễn Văn A".into(),
            unit: "p1.d".into(),
            position: "Chuyên viên".into(),
        }),
        Change::Person(Person {
            id: "b".into(),
            name: "Trần Thị B".into(),
            unit: "so".into(),
            position: "Giám đốc".into(),
        }),
        Change::Kpi(Kpi {
            code: "K1".into(),
            name: "Tỷ lệ đúng hạn".into(),
            formula: "a / b".into(),
            data_source: "Một cửa".into(),
            unit_of_measure: "%".into(),
            thresholds: Thresholds::InBand {
                green_low: 95.0,
                green_high: 105.0,
                red_low: 90.0,
                red_high: 110.0,
            },
            frequency: Frequency::Monthly,
            group: IndexGroup::Service,
            leading_unit: "so".into(),
            coordinating_units: vec!["p1".into()],
            measured_units: vec!["p1".into(), "so".into()],
            expression: None,
            rollup: Default::default(),
            public: true,
        }),
        Change::Objective(Objective {
            id: "o".into(),
            unit: "p1".into(),
            title: "Mục tiêu".into(),
            period: Period::parse("2026-Q4").unwrap(),
            parent: None,
            owner: Some("a".into()),
            weight: 1.5,
        }),
        Change::KeyResult(KeyResult {
            id: "kr".into(),
            objective: "o".into(),
            title: "KR".into(),
            start: 0.0,
            target: 10.0,
            current: 2.5,
            unit_of_measure: "hồ sơ".into(),
            direction: KrDirection::Increase,
            weight: 2.0,
            confidence: Some(6),
            current_at: ts("2026-11-01T00:00:00+07:00"),
        }),
    ]
}

fn task(
    id: &str,
    person: &str,
    unit: &str,
    status: TaskStatus,
    deadline: &str,
    progress: Progress,
) -> Task {
    Task {
        id: id.into(),
        title: format!("Nhiệm vụ {id}"),
        unit: unit.into(),
        responsible: person.into(),
        accountable: Some("b".into()),
        consulted: vec!["b".into()],
        informed: vec![],
        key_result: Some("kr".into()),
        start: Some(ts("2026-10-01T00:00:00+07:00")),
        deadline: ts(deadline),
        expected_output: "Báo cáo".into(),
        progress,
        status,
        quality: (status == TaskStatus::Accepted).then_some(88.5),
        submitted_at: None,
        returned_at: None,
        done_at: (status == TaskStatus::Accepted).then(|| ts("2026-11-05T00:00:00+07:00")),
        versions: TaskVersions {
            plan: 1,
            assignment: 2,
            progress: 3,
            status: 4,
        },
    }
}

fn record(id: &str) -> EventRecord {
    record_of("token:a", id)
}

fn record_of(source: &str, id: &str) -> EventRecord {
    EventRecord {
        source: source.into(),
        id: id.into(),
        kind: "task".into(),
        entity: "t".into(),
        at: 5,
        received_at: 6,
        body: format!("{{\"id\":\"{id}\"}}"),
    }
}

fn obs(unit: &str, period: &str, value: f64, at: Ts) -> Change {
    Change::Observation(Observation {
        kpi: "K1".into(),
        unit: unit.into(),
        period: Period::parse(period).unwrap(),
        value,
        source: "src".into(),
        entered_by: Some("a".into()),
        at,
    })
}

async fn conformance(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
    // Catalog and state round-trip exactly.
    let cat = catalog();
    store.commit(&[], &cat, &[]).await.unwrap();
    let t1 = task(
        "t1",
        "a",
        "p1.d",
        TaskStatus::InProgress,
        "2026-11-10T00:00:00+07:00",
        4550,
    );
    let t2 = task(
        "t2",
        "b",
        "so",
        TaskStatus::Accepted,
        "2026-11-10T00:00:00+07:00",
        10_000,
    );
    let t3 = task(
        "t3",
        "a",
        "p1.d",
        TaskStatus::Cancelled,
        "2026-11-01T00:00:00+07:00",
        0,
    );
    let changes = vec![
        Change::Task(t1.clone()),
        Change::Task(t2.clone()),
        Change::Task(t3.clone()),
        obs("p1", "2026-10", 96.0, 100),
        obs("p1", "2026-09", 80.0, 100),
        Change::Rating(Rating {
            event_id: "r1".into(),
            unit: "p1.d".into(),
            service: "Khai sinh".into(),
            score: 4,
            at: 7,
            comment: Some("Tận tình".into()),
            comment_shown: true,
        }),
        Change::Rating(Rating {
            event_id: "r2".into(),
            unit: "p1".into(),
            service: "Khai sinh".into(),
            score: 2,
            at: 8,
            comment: Some("Gọi 0912 345 678".into()),
            comment_shown: false,
        }),
        Change::Clock(ts("2026-11-20T00:00:00+07:00")),
    ];
    store
        .commit(&[record("e1"), record("e2")], &changes, &[])
        .await
        .unwrap();
    let snap = store.load().await.unwrap();
    assert_eq!(snap.clock, Some(ts("2026-11-20T00:00:00+07:00")));
    assert_eq!(snap.units.len(), 4);
    let mut tasks = snap.tasks.clone();
    tasks.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(tasks, vec![t1.clone(), t2.clone(), t3.clone()]);
    for c in &cat {
        match c {
            Change::Kpi(k) => assert_eq!(snap.kpis, vec![k.clone()]),
            Change::KeyResult(k) => assert_eq!(snap.key_results, vec![k.clone()]),
            Change::Objective(o) => assert_eq!(snap.objectives, vec![o.clone()]),
            _ => {}
        }
    }
    assert_eq!(
        snap.observations.len(),
        1,
        "only the newest period of a series is current"
    );
    assert_eq!(snap.observations[0].value, 96.0);
    let mut ratings = snap.rating_totals.clone();
    ratings.sort();
    assert_eq!(
        ratings,
        vec![(Id::from("p1"), 1, 2), (Id::from("p1.d"), 1, 4)]
    );
    // What the public boards read: comments only once screened, counts by time bucket, the
    // day's dissatisfied ratings.
    let shown = store.public().shown_comments("p1.d", 10).await.unwrap();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].comment, "Tận tình");
    assert!(store
        .public()
        .shown_comments("p1", 10)
        .await
        .unwrap()
        .is_empty());
    let buckets = store.public().rating_buckets("p1", &[5, 8]).await.unwrap();
    assert_eq!(buckets.len(), 1);
    assert_eq!(
        (buckets[0].score, buckets[0].bucket, buckets[0].n),
        (2, 1, 1)
    );
    let buckets = store.public().rating_buckets("p1.d", &[8]).await.unwrap();
    assert_eq!(buckets[0].bucket, -1, "before the first start");
    let low = store.public().low_ratings_since(0).await.unwrap();
    assert_eq!(low, vec![("p1".to_string(), 8)]);

    // Replayed ids of a source: found with the body they were logged with, and a second insert
    // keeps one row; another source's id is its own.
    let found = store
        .existing_events("token:a", &["e1".into(), "e9".into()])
        .await
        .unwrap();
    assert_eq!(found.get("e1"), Some(&record("e1").body));
    assert!(!found.contains_key("e9"));
    assert!(store
        .existing_events("token:b", &["e1".into()])
        .await
        .unwrap()
        .is_empty());
    store
        .commit(
            &[record("e1"), record("e3"), record_of("token:b", "e1")],
            &[],
            &[],
        )
        .await
        .unwrap();
    assert_eq!(store.event_count().await.unwrap(), 4);
    assert_eq!(
        store.event("token:a", "e3").await.unwrap().unwrap(),
        record("e3")
    );
    assert_eq!(
        store.event("token:b", "e1").await.unwrap().unwrap(),
        record_of("token:b", "e1")
    );
    assert!(store.event("token:a", "nope").await.unwrap().is_none());
    assert!(store.event("token:b", "e3").await.unwrap().is_none());

    // An observation entered earlier than the stored one for the same period loses.
    store
        .commit(&[], &[obs("p1", "2026-10", 50.0, 99)], &[])
        .await
        .unwrap();
    let snap = store.load().await.unwrap();
    assert_eq!(snap.observations[0].value, 96.0);
    store
        .commit(&[], &[obs("p1", "2026-10", 91.0, 101)], &[])
        .await
        .unwrap();
    assert_eq!(store.load().await.unwrap().observations[0].value, 91.0);
    // Every period of a series, not only the newest, for history and sparklines.
    let history = store.observations_of(&["p1".to_string()]).await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|o| (o.period.label().to_string(), o.value))
            .collect::<Vec<_>>(),
        [("2026-09".to_string(), 80.0), ("2026-10".to_string(), 91.0)],
        "by period, oldest first"
    );
    assert!(store
        .observations_of(&["so".to_string()])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.observations_of(&[]).await.unwrap().len(), 2);
    // Logged events by kind and entity, oldest first by event time.
    let later = EventRecord {
        source: "account:x".into(),
        id: "e9".into(),
        kind: "kr_checkin".into(),
        entity: "kr1".into(),
        at: 50,
        received_at: 51,
        body: "{\"value\":7}".into(),
    };
    let earlier = EventRecord {
        id: "e8".into(),
        at: 40,
        body: "{\"value\":3}".into(),
        ..later.clone()
    };
    store.commit(&[later, earlier], &[], &[]).await.unwrap();
    let checkins = store
        .events_of("kr_checkin", &["kr1".to_string(), "kr2".to_string()])
        .await
        .unwrap();
    assert_eq!(
        checkins
            .iter()
            .map(|e| e.id.to_string())
            .collect::<Vec<_>>(),
        ["e8", "e9"]
    );
    assert!(store
        .events_of("task", &["kr1".to_string()])
        .await
        .unwrap()
        .is_empty());
    // More entities than one query binds (a city's review asks for every key result): the same
    // answer, only the entities asked for, of the kind asked for, oldest first.
    let many: Vec<EventRecord> = (0..1_200)
        .map(|i| EventRecord {
            id: format!("m{i}").into(),
            entity: format!("krm{i}"),
            at: 100 + (1_200 - i) as i64,
            ..later_template()
        })
        .collect();
    store.commit(&many, &[], &[]).await.unwrap();
    let mut asked: Vec<String> = (0..1_100).map(|i| format!("krm{i}")).collect();
    asked.push("kr1".into());
    let got = store.events_of("kr_checkin", &asked).await.unwrap();
    assert_eq!(got.len(), 1_100 + 2, "1,100 of the 1,200 and kr1's two");
    assert!(got.windows(2).all(|w| w[0].at <= w[1].at), "oldest first");
    assert!(got
        .iter()
        .all(|e| e.kind == "kr_checkin" && asked.contains(&e.entity)));
    assert!(!got.iter().any(|e| e.entity == "krm1150"));
    assert!(store
        .events_of("task", &asked)
        .await
        .unwrap()
        .iter()
        .all(|e| e.kind == "task"));

    // The SQL aggregates agree with the rollup built from the same rows.
    let now = ts("2026-11-20T00:00:00+07:00");
    let (by_unit, by_person) = store.task_aggregates(now).await.unwrap();
    let unit = |u: &str| {
        by_unit
            .iter()
            .find(|(k, _)| k == u)
            .map(|(_, a)| *a)
            .unwrap()
    };
    assert_eq!(unit("p1.d").overdue, 1);
    assert_eq!(unit("p1.d").progress_sum, 4550);
    assert_eq!(
        unit("p1.d").progress_n,
        1,
        "cancelled tasks carry no progress"
    );
    assert_eq!(unit("so").done_on_time, 1);
    assert_eq!(by_person.len(), 2);
    let city = store.sql_unit_tasks("hn", now).await.unwrap();
    assert_eq!(city.total(), 3);
    assert_eq!(city.overdue, 1);
    let rollup = Rollup::rebuild(store.load().await.unwrap(), now);
    let dump = rollup.dump();
    assert_eq!(
        dump,
        ioc::rollup::check::recompute(&*store, now).await.unwrap()
    );
    assert_eq!(dump.units["hn"].tasks, city);
    assert_eq!(dump.units["hn"].ratings, 2);
    assert_eq!(dump.units["hn"].kr.len(), 1);
    assert_eq!(dump.units["hn"].kr[0].progress_ppm_sum, 250_000);

    // Alerts: live rows replaced and deleted in batches, history appended in order, silences.
    use ioc::store::{AlertHistoryRow, AlertRow, HistoryQuery, SilenceRow};
    let row = |rule: &str, subject: &str, unit: &str, body: &str| AlertRow {
        rule: rule.into(),
        subject: subject.into(),
        unit: unit.into(),
        body: body.into(),
    };
    let hist = |rule: &str, subject: &str, unit: &str, kind: &str, at: Ts| AlertHistoryRow {
        seq: 0,
        rule: rule.into(),
        subject: subject.into(),
        unit: unit.into(),
        kind: kind.into(),
        severity: "red".into(),
        at,
        body: format!("{{\"kind\":\"{kind}\"}}"),
    };
    assert_eq!(store.last_alert_seq().await.unwrap(), 0);
    let first = store
        .save_alerts(
            &[
                row("r1", "p1", "p1", "{}"),
                row("r1", "so", "so", "{}"),
                row("r2", "K1@p1", "p1", "{}"),
            ],
            &[],
            &[
                hist("r1", "p1", "p1", "fired", 1),
                hist("r1", "so", "so", "fired", 2),
                hist("r2", "K1@p1", "p1", "fired", 3),
            ],
            &[],
        )
        .await
        .unwrap();
    let second = store
        .save_alerts(
            &[row("r1", "so", "so", "{\"acked\":true}")],
            &[("r1".into(), "p1".into()), ("r2".into(), "K1@p1".into())],
            &[hist("r1", "p1", "p1", "resolved", 4)],
            &[],
        )
        .await
        .unwrap();
    // The ids the live feed hands out: one per history row, increasing in write order.
    assert_eq!(first.len(), 3);
    assert!(first.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(second.len(), 1);
    assert!(second[0] > first[2]);
    assert_eq!(store.last_alert_seq().await.unwrap(), second[0]);
    let after = store.alert_history_after(first[0], &[], 10).await.unwrap();
    assert_eq!(
        after.iter().map(|h| h.seq).collect::<Vec<_>>(),
        [first[1], first[2], second[0]],
        "oldest first, strictly after"
    );
    assert_eq!(after[0].subject, "so");
    let of_p1 = store
        .alert_history_after(0, &["p1".to_string()], 10)
        .await
        .unwrap();
    assert_eq!(
        of_p1.iter().map(|h| h.seq).collect::<Vec<_>>(),
        [first[0], first[2], second[0]]
    );
    assert_eq!(store.alert_history_after(0, &[], 2).await.unwrap().len(), 2);
    // A week's history: from inclusive, to exclusive, oldest first, by subtree.
    let week = store.alert_history_between(&[], 2, 4).await.unwrap();
    assert_eq!(week.iter().map(|h| h.at).collect::<Vec<_>>(), [2, 3]);
    let week_p1 = store
        .alert_history_between(&["p1".to_string()], 0, 10)
        .await
        .unwrap();
    assert_eq!(week_p1.iter().map(|h| h.at).collect::<Vec<_>>(), [1, 3, 4]);
    let live = store.load_alerts().await.unwrap();
    assert_eq!(live, vec![row("r1", "so", "so", "{\"acked\":true}")]);
    let q = HistoryQuery {
        units: vec!["p1".into()],
        limit: 10,
        ..HistoryQuery::default()
    };
    let h = store.alert_history(&q).await.unwrap();
    assert_eq!(
        h.iter().map(|x| x.kind.as_str()).collect::<Vec<_>>(),
        ["resolved", "fired", "fired"],
        "newest first"
    );
    assert!(h[0].seq > h[1].seq);
    let q = HistoryQuery {
        rule: Some("r1".into()),
        subject: Some("p1".into()),
        before: Some(h[0].seq),
        limit: 10,
        ..HistoryQuery::default()
    };
    assert_eq!(store.alert_history(&q).await.unwrap().len(), 1);
    let s = SilenceRow {
        id: 0,
        rule: Some("r1".into()),
        unit: None,
        until: 100,
        reason: "bảo trì".into(),
        created_by: "b".into(),
        created_at: 1,
    };
    let id = store.add_silence(&s, &[]).await.unwrap();
    assert!(id > 0);
    assert_eq!(
        store.silences(50).await.unwrap(),
        vec![SilenceRow { id, ..s }]
    );
    assert!(
        store.silences(100).await.unwrap().is_empty(),
        "an ended silence is not listed"
    );

    // Updates replace whole rows; the unit move is visible in the next load.
    let mut moved = t1.clone();
    moved.unit = "so".into();
    moved.status = TaskStatus::Returned;
    moved.consulted = vec![];
    store
        .commit(&[], &[Change::Task(moved.clone())], &[])
        .await
        .unwrap();
    let snap = store.load().await.unwrap();
    assert_eq!(
        snap.tasks.iter().find(|t| t.id == moved.id).unwrap(),
        &moved
    );
}

/// Accounts, sessions, tokens and the audit chain: what is saved comes back, an expired
/// session does not, the head follows the chain, and audit reads filter by unit.
async fn security_conformance(store: Arc<dyn Store>) {
    use ioc::audit::{Draft, Head};
    use ioc::auth::registry::SecurityWrite;
    use ioc::auth::{Account, ApiToken, Grant, Permission, Role, Session};
    assert_eq!(store.audit_head().await.unwrap(), Head::default());
    let mut head = Head::default();
    let mut entry = |n: i64, unit: Option<&str>| {
        head.append(Draft {
            at: n,
            actor: "system:test".into(),
            ip: "local".into(),
            action: "test".into(),
            entity: format!("thing:{n}"),
            unit: unit.map(String::from),
            old: None,
            new: Some(serde_json::json!({"n": n})),
        })
    };
    let account = Account {
        id: "a1".into(),
        name: "A One".into(),
        person: Some("p1".into()),
        password_hash: "$argon2id$fake".into(),
        must_change_password: true,
        disabled: false,
        created_at: 5,
        grants: vec![
            Grant {
                role: Role::Leader,
                unit: "p1".into(),
            },
            Grant {
                role: Role::Viewer,
                unit: "*".into(),
            },
        ],
    };
    let e1 = entry(1, Some("p1"));
    store
        .save_security(&SecurityWrite::PutAccount(account.clone()), &e1)
        .await
        .unwrap();
    let session = |hash: &str, expires_at| Session {
        token_hash: hash.into(),
        account: "a1".into(),
        csrf: "c".into(),
        created_at: 1,
        expires_at,
        ip: "127.0.0.1".into(),
    };
    let e2 = entry(2, None);
    store
        .save_security(&SecurityWrite::AddSession(session("live", 1_000)), &e2)
        .await
        .unwrap();
    let e3 = entry(3, Some("so"));
    store
        .save_security(&SecurityWrite::AddSession(session("old", 10)), &e3)
        .await
        .unwrap();
    let token = ApiToken {
        id: "t1".into(),
        name: "feed".into(),
        created_by: "account:a1".into(),
        secret_hash: "h".into(),
        units: vec!["p1".into()],
        permissions: vec![Permission::KpiObservation, Permission::Read],
        created_at: 1,
        expires_at: 2_000,
        revoked_at: None,
        // A declared source round-trips.
        source: Some("mot-cua".into()),
    };
    let e4 = entry(4, Some("p1"));
    store
        .save_security(&SecurityWrite::AddToken(token.clone()), &e4)
        .await
        .unwrap();
    let e5 = entry(5, Some("p1"));
    store
        .save_security(
            &SecurityWrite::RevokeToken {
                id: "t1".into(),
                at: 50,
            },
            &e5,
        )
        .await
        .unwrap();
    // The grants are replaced whole on the next write of the account.
    let mut changed = account.clone();
    changed.grants = vec![Grant {
        role: Role::Admin,
        unit: "hn".into(),
    }];
    changed.must_change_password = false;
    let e6 = entry(6, Some("p1"));
    store
        .save_security(&SecurityWrite::PutAccount(changed.clone()), &e6)
        .await
        .unwrap();
    let e7 = entry(7, None);
    store
        .save_security(
            &SecurityWrite::DeleteSession {
                token_hash: "gone".into(),
            },
            &e7,
        )
        .await
        .unwrap();

    let snap = store.load_security(100).await.unwrap();
    assert_eq!(snap.accounts, vec![changed]);
    assert_eq!(
        snap.sessions,
        vec![session("live", 1_000)],
        "the expired session is not loaded"
    );
    assert_eq!(
        snap.tokens,
        vec![ApiToken {
            revoked_at: Some(50),
            ..token
        }]
    );

    assert_eq!(
        store.audit_head().await.unwrap(),
        Head {
            seq: 7,
            hash: e7.hash.clone()
        }
    );
    let all = store.audit_entries(0, None, 100).await.unwrap();
    assert_eq!(all, vec![e1, e2, e3, e4.clone(), e5.clone(), e6, e7]);
    let p1 = store
        .audit_entries(1, Some(&["p1".to_string()]), 2)
        .await
        .unwrap();
    assert_eq!(p1, vec![e4, e5], "after seq 1, unit p1, two at most");
    assert!(store
        .audit_entries(0, Some(&[]), 10)
        .await
        .unwrap()
        .is_empty());
    let verdict = ioc::store::verify_audit(&*store).await.unwrap();
    assert!(verdict.ok && verdict.entries == 7, "{verdict:?}");

    // A second writer with a stale head cannot fork the chain: the seq is taken.
    let mut stale = Head::default();
    let fork = stale.append(Draft {
        at: 9,
        actor: "x".into(),
        ip: "x".into(),
        action: "x".into(),
        entity: "x".into(),
        unit: None,
        old: None,
        new: None,
    });
    assert!(store
        .save_security(
            &SecurityWrite::DeleteSession {
                token_hash: "x".into()
            },
            &fork
        )
        .await
        .is_err());
}

/// Periods, targets, criteria and frozen scores: replaced by key, read back by period and person.
async fn cycle_conformance(store: Arc<dyn Store>) {
    use ioc::store::RecordKind;
    let q4 = Period::parse("2026-Q4").unwrap();
    let nov = Period::parse("2026-11").unwrap();
    let period = |state| {
        Change::Period(OkrPeriod {
            period: q4.clone(),
            state,
            changed_at: 5,
            changed_by: "account:admin".into(),
        })
    };
    let criteria = |person: &str, body: &str| {
        Change::Criteria(CriteriaRecord {
            person: person.into(),
            period: nov.clone(),
            body: body.into(),
            set_by: "account:lead".into(),
            set_at: 6,
        })
    };
    let target = |value| {
        Change::Target(Target {
            kpi: "K".into(),
            unit: "p1".into(),
            period: Period::parse("2026").unwrap(),
            target: value,
            set_at: 7,
            set_by: "account:lead".into(),
        })
    };
    store
        .commit(
            &[],
            &[
                period(PeriodState::Active),
                target(90.0),
                criteria("a", r#"{"scores":{"x":1}}"#),
                criteria("b", r#"{"scores":{"x":2}}"#),
            ],
            &[],
        )
        .await
        .unwrap();
    store
        .commit(
            &[],
            &[
                period(PeriodState::Closed),
                target(95.5),
                criteria("a", r#"{"scores":{"x":3}}"#),
                Change::Frozen(vec![FrozenScore {
                    person: "a".into(),
                    unit: "p1.d".into(),
                    period: nov.clone(),
                    body: r#"{"total":91.5}"#.into(),
                    frozen_at: 9,
                }]),
            ],
            &[],
        )
        .await
        .unwrap();
    let snap = store.load().await.unwrap();
    assert_eq!(snap.periods.len(), 1);
    assert_eq!(snap.periods[0].state, PeriodState::Closed);
    assert_eq!(snap.periods[0].period, q4);
    assert_eq!(snap.targets.len(), 1);
    assert_eq!(snap.targets[0].target, 95.5);
    let nov_label = vec!["2026-11".to_string()];
    let all = store
        .person_records(RecordKind::Criteria, &nov_label, &[])
        .await
        .unwrap();
    let bodies: Vec<(&str, &str)> = all
        .iter()
        .map(|r| (r.person_id.as_str(), r.body.as_str()))
        .collect();
    assert_eq!(
        bodies,
        [
            ("a", r#"{"scores":{"x":3}}"#),
            ("b", r#"{"scores":{"x":2}}"#)
        ]
    );
    let one = store
        .person_records(RecordKind::Criteria, &nov_label, &["b".to_string()])
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    let frozen = store
        .person_records(RecordKind::FrozenScore, &nov_label, &[])
        .await
        .unwrap();
    assert_eq!(frozen.len(), 1);
    assert_eq!(frozen[0].body, r#"{"total":91.5}"#);
    assert!(store
        .person_records(RecordKind::Criteria, &[], &[])
        .await
        .unwrap()
        .is_empty());

    // A review meeting is kept whole; the newest version wins, whatever order writes land in.
    use ioc::domain::meeting::{Meeting, MeetingState};
    let meeting = |version: u64, state: MeetingState| {
        Change::Meeting(Box::new(Meeting {
            id: "gb-p1-2026-W46".into(),
            unit: "p1".into(),
            period: "2026-W46".into(),
            chair: "a".into(),
            attendees: vec!["b".into()],
            state,
            opened_at: 10,
            opened_by: "account:lead".into(),
            closed_at: (state == MeetingState::Closed).then_some(20),
            current: version as usize,
            items: Vec::new(),
            conclusions: Vec::new(),
            version,
        }))
    };
    for (version, state) in [
        (1, MeetingState::Open),
        (3, MeetingState::Closed),
        (2, MeetingState::Open),
    ] {
        store
            .commit(&[], &[meeting(version, state)], &[])
            .await
            .unwrap();
    }
    let snap = store.load().await.unwrap();
    assert_eq!(snap.meetings.len(), 1);
    assert_eq!(snap.meetings[0].version, 3, "an older write does not win");
    assert_eq!(snap.meetings[0].state, MeetingState::Closed);
    assert_eq!(snap.meetings[0].attendees, vec![ioc::domain::Id::from("b")]);
}

/// Explanations: a request and its thread written with their audit entries and notices (a
/// second notice of the same cause for the same person dropped), read by subject, unit, state,
/// person and period, due requests found and the earliest due date, a file linked to a request.
async fn explain_conformance(store: Arc<dyn Store>) {
    use ioc::domain::explanation::*;
    use ioc::store::explain::{ExplainAttachment, ExplainQuery};
    use ioc::store::{AttachmentFile, NoticeRow};
    let ex = store.explain();
    let mut head = store.audit_head().await.unwrap();
    let mut entry = |action: &str| {
        head.append(ioc::audit::Draft::new(
            ioc::audit::Who {
                actor: "account:lead".into(),
                ip: "local".into(),
            },
            action,
            "explanation:x1".into(),
            Some("p1".into()),
            None,
            None,
        ))
    };
    let notice = |person: &str, source: &str| NoticeRow {
        source: source.into(),
        history: None,
        person: person.into(),
        group_key: "p1|explanation_asked".into(),
        severity: "info".into(),
        kind: "explanation_asked".into(),
        at: ts("2026-11-02T08:00:00+07:00"),
        body: "{}".into(),
    };
    let mut e = Explanation {
        id: "x1".into(),
        subject_kind: SubjectKind::Task,
        subject: "t1".into(),
        title: "Báo cáo tháng".into(),
        unit: "p1.d".into(),
        addressee: "a".into(),
        asked_by: "account:lead".into(),
        asker_person: Some("b".into()),
        question: "Vì sao chậm?".into(),
        due_at: ts("2026-11-05T23:59:59+07:00"),
        state: ExplainState::Open,
        created_at: ts("2026-11-02T08:00:00+07:00"),
        answered_at: None,
        escalated_at: None,
        escalated_to: None,
    };
    assert!(ex.thread("x1").await.unwrap().is_none());
    assert_eq!(ex.next_explanation_due().await.unwrap(), None);
    ex.save_explanation(
        &e,
        None,
        &[entry("explanation.ask")],
        &[
            notice("a", "explanation:x1:asked"),
            NoticeRow {
                body: r#"{"second":true}"#.into(),
                ..notice("a", "explanation:x1:asked")
            },
            notice("b", "explanation:x1:asked"),
        ],
    )
    .await
    .unwrap();
    let t = ex.thread("x1").await.unwrap().expect("kept");
    assert_eq!(t.explanation, e);
    assert!(t.messages.is_empty());
    assert_eq!(ex.next_explanation_due().await.unwrap(), Some(e.due_at));
    assert!(ex.due_explanations(e.due_at - 1).await.unwrap().is_empty());
    assert_eq!(ex.due_explanations(e.due_at).await.unwrap().len(), 1);
    let waiting = store.notify().waiting().await.unwrap();
    assert_eq!(
        waiting
            .iter()
            .filter(|w| w.person == "a")
            .map(|w| w.count)
            .sum::<i64>(),
        1,
        "one notice per cause and person: {waiting:?}"
    );
    // The one kept is the first, with its content (stored apart from the notice row).
    let kept = store
        .notify()
        .waiting_notices(&["a".to_string()])
        .await
        .unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(
        store.notify().notice_bodies(&[kept[0].id]).await.unwrap(),
        [(kept[0].id, "{}".to_string())],
        "{kept:?}"
    );
    // Several people's in one read, by person.
    let both = store
        .notify()
        .waiting_notices(&["b".to_string(), "a".to_string(), "nobody".to_string()])
        .await
        .unwrap();
    let whose: Vec<&str> = both.iter().map(|n| n.person.as_str()).collect();
    assert_eq!(whose, ["a", "b"], "{both:?}");

    // A file for its thread, and an answer naming it.
    ex.save_explain_attachment(
        &ExplainAttachment {
            file: AttachmentFile {
                sha256: "ab".repeat(32),
                content_type: "application/pdf".into(),
                size: 4,
                body: b"%PDF".to_vec(),
            },
            explanation: "x1".into(),
            name: "giải trình.pdf".into(),
            uploaded_by: "account:a".into(),
            at: ts("2026-11-03T08:00:00+07:00"),
        },
        &entry("attachment.upload"),
    )
    .await
    .unwrap();
    assert_eq!(
        ex.explain_attachment_links(&"ab".repeat(32)).await.unwrap(),
        vec![(
            "x1".to_string(),
            "giải trình.pdf".to_string(),
            "account:a".to_string()
        )]
    );
    assert_eq!(
        store
            .attachment(&"ab".repeat(32))
            .await
            .unwrap()
            .unwrap()
            .body,
        b"%PDF".to_vec()
    );
    let m = ExplainMessage {
        id: "m1".into(),
        explanation: "x1".into(),
        author: "account:a".into(),
        author_person: Some("a".into()),
        role: MessageRole::Answer,
        text: "Thiếu hồ sơ.".into(),
        attachments: vec![FileRef {
            sha256: "ab".repeat(32),
            name: "giải trình.pdf".into(),
        }],
        at: ts("2026-11-03T09:00:00+07:00"),
    };
    e.state = ExplainState::Answered;
    e.answered_at = Some(m.at);
    ex.save_explanation(&e, Some(&m), &[entry("explanation.message")], &[])
        .await
        .unwrap();
    let t = ex.thread("x1").await.unwrap().unwrap();
    assert_eq!(t.explanation, e);
    assert_eq!(t.messages, vec![m.clone()]);
    assert_eq!(ex.explain_message("m1").await.unwrap(), Some(m));
    assert_eq!(
        ex.next_explanation_due().await.unwrap(),
        None,
        "answered: not due"
    );
    assert!(ex.due_explanations(e.due_at + 1).await.unwrap().is_empty());

    // Reads by subject, unit, state, person and period.
    let q = |f: fn(&mut ExplainQuery)| {
        let mut q = ExplainQuery {
            limit: 10,
            ..Default::default()
        };
        f(&mut q);
        q
    };
    let n = |q: ExplainQuery| {
        let ex = store.explain();
        async move { ex.threads(&q).await.unwrap().len() }
    };
    assert_eq!(n(q(|_| {})).await, 1);
    assert_eq!(n(q(|q| q.subject = Some("t1".into()))).await, 1);
    assert_eq!(n(q(|q| q.subject_kind = Some(SubjectKind::Kpi))).await, 0);
    assert_eq!(n(q(|q| q.units = Some(vec!["p1.d".into()]))).await, 1);
    assert_eq!(n(q(|q| q.units = Some(vec!["so".into()]))).await, 0);
    assert_eq!(n(q(|q| q.units = Some(vec![]))).await, 0);
    assert_eq!(n(q(|q| q.state = Some(ExplainState::Answered))).await, 1);
    assert_eq!(n(q(|q| q.state = Some(ExplainState::Open))).await, 0);
    assert_eq!(n(q(|q| q.person = Some("b".into()))).await, 1);
    assert_eq!(n(q(|q| q.person = Some("c".into()))).await, 0);
    assert_eq!(
        n(q(|q| q.from = Some(ts("2026-11-03T00:00:00+07:00")))).await,
        0
    );
    let all = store.explain().threads(&q(|_| {})).await.unwrap();
    assert_eq!(all[0].messages.len(), 1);
    assert_eq!(store.audit_head().await.unwrap(), head);
}

/// Tasks are read in batches at start and applied as they come: every task arrives once and as
/// written, the rollup built batch by batch is the one built from the whole snapshot, and a
/// reader that stops early ends the read without an error.
async fn many_tasks_conformance(store: Arc<dyn Store>) {
    let before = store.load().await.unwrap().tasks.len();
    let statuses = TaskStatus::ALL;
    let written: Vec<Task> = (0..10_000)
        .map(|i| {
            let mut t = task(
                &format!("m{i:05}"),
                ["a", "b"][i % 2],
                ["p1.d", "so"][i % 2],
                statuses[i % statuses.len()],
                ["2026-11-10T00:00:00+07:00", "2026-12-10T00:00:00+07:00"][i % 2],
                (i % 10_001) as Progress,
            );
            t.consulted = (0..i % 3).map(|_| Id::from("a")).collect();
            t.informed = (0..i % 2).map(|_| Id::from("b")).collect();
            t.accountable = (i % 5 != 0).then(|| Id::from("b"));
            // Every optional column both empty and set within one commit (PostgreSQL binds
            // each column as one array, NULLs included).
            t.key_result = (i % 7 != 0).then(|| Id::from("kr"));
            t.start = (i % 4 != 0).then_some(i as Ts);
            t.quality = (i % 3 == 0).then_some((i % 700) as f64 / 7.0);
            t.submitted_at = (i % 6 == 1).then_some(1_000 + i as Ts);
            t.returned_at = (i % 8 == 1).then_some(2_000 + i as Ts);
            t
        })
        .collect();
    let changes: Vec<Change> = written.iter().cloned().map(Change::Task).collect();
    // More events than one `VALUES` statement carries, in the tasks' commit.
    let events: Vec<EventRecord> = (0..2_500)
        .map(|i| record_of("token:many", &format!("m{i:05}")))
        .collect();
    store.commit(&events, &changes, &[]).await.unwrap();
    // The replay check, asked as often as a busy writer asks it (PostgreSQL plans a prepared
    // statement anew after its fifth run): each time every logged id with its body, and no other.
    let mut asked: Vec<Id> = events.iter().map(|e| e.id.clone()).collect();
    asked.extend((0..500).map(|i| Id::from(format!("unlogged{i}"))));
    for _ in 0..8 {
        let found = store.existing_events("token:many", &asked).await.unwrap();
        assert_eq!(found.len(), events.len());
        for e in &events {
            assert_eq!(found.get(&e.id), Some(&e.body));
        }
    }
    assert!(store
        .existing_events("token:other", &asked)
        .await
        .unwrap()
        .is_empty());

    let (tx, mut rx) = tokio::sync::mpsc::channel(2);
    let (read, batches) = tokio::join!(store.load_tasks(tx), async {
        let mut batches = Vec::new();
        while let Some(b) = rx.recv().await {
            batches.push(b);
        }
        batches
    });
    read.unwrap();
    assert!(batches.len() > 1, "10,000 tasks came in one batch");
    let mut read: Vec<Task> = batches.iter().flatten().cloned().collect();
    assert_eq!(read.len(), before + written.len());
    read.retain(|t| t.id.starts_with('m'));
    read.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(read, written);

    let now = ts("2026-11-20T00:00:00+07:00");
    let streamed = Rollup::rebuild(store.load_catalog().await.unwrap(), now);
    for b in batches {
        streamed.add_loaded_tasks(b);
    }
    let whole = Rollup::rebuild(store.load().await.unwrap(), now);
    assert_eq!(streamed.dump(), whole.dump());
    assert_eq!(
        streamed.dump(),
        ioc::rollup::check::recompute(&*store, now).await.unwrap()
    );
    assert_eq!(streamed.task_count(), before + written.len());
    for t in &written {
        assert_eq!(streamed.task(&t.id).as_ref(), Some(t));
    }

    // Notices beyond one statement's rows, causes repeated within a chunk and across chunks:
    // the commit names each notice it added by its place in the rows given, and that place's
    // content is the one stored under the id (the worker keeps it in memory by that id).
    let rows: Vec<ioc::store::NoticeRow> = (0..2_500)
        .map(|i| {
            let cause = match i {
                1_500 => 1_499,
                i if i >= 2_300 => i - 2_300,
                i => i,
            };
            ioc::store::NoticeRow {
                source: format!("many:{cause}"),
                history: None,
                person: "a".into(),
                group_key: "p1|many".into(),
                severity: "yellow".into(),
                kind: "fired".into(),
                at: now,
                body: format!("{{\"n\":{i}}}"),
            }
        })
        .collect();
    let (added, _) = store.commit_with(&[], &[], &[], &rows).await.unwrap();
    let mut places: Vec<usize> = added.iter().map(|a| a.index).collect();
    places.sort_unstable();
    let expected: Vec<usize> = (0..2_300).filter(|i| *i != 1_500).collect();
    assert_eq!(places, expected, "the first of each cause, once");
    let ids: Vec<i64> = added.iter().map(|a| a.id).collect();
    let stored: std::collections::HashMap<i64, String> = store
        .notify()
        .notice_bodies(&ids)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(stored.len(), added.len());
    for a in &added {
        assert_eq!(stored[&a.id], rows[a.index].body, "{a:?}");
    }

    // A reader that goes away after the first batch stops the read, quietly.
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    let (read, first) = tokio::join!(store.load_tasks(tx), async {
        let first = rx.recv().await;
        drop(rx);
        first
    });
    read.unwrap();
    assert!(first.is_some_and(|b| !b.is_empty()));
}

#[tokio::test]
async fn the_sqlite_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let store = ioc::store::connect(&format!("sqlite://{}/c.db", dir.path().display()))
        .await
        .unwrap();
    assert_eq!(store.backend(), "sqlite");
    conformance(store.clone()).await;
    cycle_conformance(store.clone()).await;
    security_conformance(store.clone()).await;
    explain_conformance(store.clone()).await;
    many_tasks_conformance(store).await;
}

#[tokio::test]
async fn the_postgres_store_conforms() {
    let Some(admin) = postgres_admin_url("the_postgres_store_conforms") else {
        return;
    };
    let url = fresh_postgres_db(&admin).await;
    let store = ioc::store::connect(&url).await.unwrap();
    assert_eq!(store.backend(), "postgres");
    conformance(store.clone()).await;
    cycle_conformance(store.clone()).await;
    security_conformance(store.clone()).await;
    explain_conformance(store.clone()).await;
    many_tasks_conformance(store).await;
}

#[tokio::test]
async fn the_server_runs_on_postgres_end_to_end() {
    let Some(admin) = postgres_admin_url("the_server_runs_on_postgres_end_to_end") else {
        return;
    };
    let url = fresh_postgres_db(&admin).await;
    let app = ioc_tests::spawn_app_on(&url).await;
    app.load_fixture().await;
    app.ingest(serde_json::json!([ioc_tests::task_event(
        "e1",
        "t1",
        "w2",
        "2026-11-30",
        ioc_tests::START
    )]))
    .await;
    let before = app.get_ok("/api/v1/units/hn/view").await;
    assert_eq!(before["summary"]["tasks"]["total"], 1);
    assert_eq!(app.get_ok("/healthz").await["backend"], "postgres");
    let app = app.restart().await;
    // `commit` counts the batches this process applied; everything else is the same.
    let mut after = app.get_ok("/api/v1/units/hn/view").await;
    let mut before = before;
    for v in [&mut before, &mut after] {
        v.as_object_mut().unwrap().remove("commit");
    }
    assert_eq!(after, before);
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_database_url_is_refused_with_a_clear_message() {
    let err = ioc::store::connect("mysql://root:pw@localhost/x")
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("sqlite: or postgres:"), "{err}");
    assert!(!err.contains("pw"), "the password leaked: {err}");
}

/// A key result's check-in as logged (the fields the many-entities read compares).
fn later_template() -> EventRecord {
    EventRecord {
        source: "account:x".into(),
        id: "t".into(),
        kind: "kr_checkin".into(),
        entity: "kr".into(),
        at: 0,
        received_at: 1,
        body: "{\"value\":1}".into(),
    }
}
