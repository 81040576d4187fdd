//! The SQL both stores share. SQLite and PostgreSQL agree on everything used here (`$n`
//! parameters, `ON CONFLICT ... DO UPDATE`, `excluded.`, recursive CTEs), so each store is this
//! body instantiated for its pool type; only opening, tuning and migrations differ.
//!
//! Longer than a module should be, on purpose: the body is one `impl Store` inside one macro
//! (both backends instantiate it), and a trait impl cannot be split across files without a layer
//! of delegating methods that would only add indirection. Row types are apart (`rows.rs`).

use super::rows::*;
use crate::domain::{
    Change, Id, KeyResult, Kpi, Objective, Observation, Person, Rating, Task, Unit,
};
use std::collections::HashMap;

/// Rows per multi-row statement: 20 columns x 1,000 stays under both engines' parameter limits.
pub const CHUNK: usize = 1000;

pub const TASK_GROUPS: &str = "SELECT {key} AS key, status, COUNT(*) AS n,
    CAST(SUM(CASE WHEN status IN ('todo', 'in_progress', 'returned') AND deadline < $1 THEN 1 ELSE 0 END) AS BIGINT) AS overdue,
    CAST(SUM(CASE WHEN status = 'accepted' AND done_at IS NOT NULL AND done_at <= deadline THEN 1 ELSE 0 END) AS BIGINT) AS on_time,
    CAST(SUM(CASE WHEN status = 'accepted' AND (done_at IS NULL OR done_at > deadline) THEN 1 ELSE 0 END) AS BIGINT) AS late,
    CAST(SUM(CASE WHEN status <> 'cancelled' THEN progress ELSE 0 END) AS BIGINT) AS progress_sum,
    CAST(SUM(CASE WHEN status <> 'cancelled' THEN 1 ELSE 0 END) AS BIGINT) AS progress_n
    FROM tasks GROUP BY {key}, status";

pub const SUBTREE_TASKS: &str = "WITH RECURSIVE sub(id) AS (
        SELECT id FROM units WHERE id = $1
        UNION ALL SELECT u.id FROM units u JOIN sub ON u.parent_id = sub.id)
    SELECT '' AS key, status, COUNT(*) AS n,
    CAST(SUM(CASE WHEN status IN ('todo', 'in_progress', 'returned') AND deadline < $2 THEN 1 ELSE 0 END) AS BIGINT) AS overdue,
    CAST(SUM(CASE WHEN status = 'accepted' AND done_at IS NOT NULL AND done_at <= deadline THEN 1 ELSE 0 END) AS BIGINT) AS on_time,
    CAST(SUM(CASE WHEN status = 'accepted' AND (done_at IS NULL OR done_at > deadline) THEN 1 ELSE 0 END) AS BIGINT) AS late,
    CAST(SUM(CASE WHEN status <> 'cancelled' THEN progress ELSE 0 END) AS BIGINT) AS progress_sum,
    CAST(SUM(CASE WHEN status <> 'cancelled' THEN 1 ELSE 0 END) AS BIGINT) AS progress_n
    FROM tasks WHERE unit_id IN (SELECT id FROM sub) GROUP BY status";

pub const LATEST_OBSERVATIONS: &str = "SELECT o.kpi_code, o.unit_id, o.period, o.value, o.source, o.entered_by, o.at
    FROM observations o WHERE NOT EXISTS (
        SELECT 1 FROM observations n WHERE n.kpi_code = o.kpi_code AND n.unit_id = o.unit_id
        AND (n.period_start > o.period_start OR (n.period_start = o.period_start AND n.at > o.at)))";

/// Tasks per batch handed from the read to the rollup at start.
pub const TASK_LOAD_BATCH: usize = 4096;

pub const TASK_COLUMNS: &str = "id, title, unit_id, responsible_id, accountable_id, consulted, informed, key_result_id, start_at, deadline, expected_output, progress, status, quality, submitted_at, returned_at, done_at, plan_v, assignment_v, progress_v, status_v";

/// ` {keyword} unit_id IN (...)` when `units` is not empty (empty means every unit).
pub fn push_units<DB>(qb: &mut sqlx::QueryBuilder<'_, DB>, keyword: &str, units: &[String])
where
    DB: sqlx::Database,
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    if units.is_empty() {
        return;
    }
    qb.push(keyword).push(" unit_id IN (");
    let mut sep = qb.separated(", ");
    for u in units {
        sep.push_bind(u.clone());
    }
    qb.push(")");
}

/// An alert history row as selected: seq, rule, subject, unit_id, kind, severity, at, body.
pub type HistoryTuple = (i64, String, String, String, String, String, i64, String);

pub fn history_row(t: HistoryTuple) -> crate::store::AlertHistoryRow {
    let (seq, rule, subject, unit, kind, severity, at, body) = t;
    crate::store::AlertHistoryRow {
        seq,
        rule,
        subject,
        unit,
        kind,
        severity,
        at,
        body,
    }
}

/// An audit row as selected, in `audit::Entry` field order.
pub type AuditTuple = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

pub fn audit_entry(t: AuditTuple) -> crate::audit::Entry {
    let (seq, at, actor, ip, action, entity, unit, old, new, prev_hash, hash) = t;
    crate::audit::Entry {
        seq,
        at,
        actor,
        ip,
        action,
        entity,
        unit,
        old,
        new,
        prev_hash,
        hash,
    }
}

/// `SET col = excluded.col` for every column but the key.
pub fn set_excluded(columns: &str, key: &[&str]) -> String {
    columns
        .split(',')
        .map(str::trim)
        .filter(|c| !key.contains(c))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A commit's changes, grouped by table, each entity once (its last state in the batch).
#[derive(Default)]
pub struct Grouped<'a> {
    pub units: HashMap<&'a Id, &'a Unit>,
    pub people: HashMap<&'a Id, &'a Person>,
    pub kpis: HashMap<&'a Id, &'a Kpi>,
    pub objectives: HashMap<&'a Id, &'a Objective>,
    pub key_results: HashMap<&'a Id, &'a KeyResult>,
    pub tasks: HashMap<&'a Id, &'a Task>,
    pub observations: HashMap<(&'a Id, &'a Id, &'a str), &'a Observation>,
    pub ratings: Vec<&'a Rating>,
    /// OKR-cycle records: rare, written row by row in change order.
    pub cycle: Vec<&'a Change>,
    pub clock: Option<i64>,
}

impl<'a> Grouped<'a> {
    pub fn of(changes: &'a [Change]) -> Self {
        let mut g = Grouped::default();
        for c in changes {
            match c {
                Change::Unit(u) => {
                    g.units.insert(&u.id, u);
                }
                Change::Person(p) => {
                    g.people.insert(&p.id, p);
                }
                Change::Kpi(k) => {
                    g.kpis.insert(&k.code, k);
                }
                Change::Objective(o) => {
                    g.objectives.insert(&o.id, o);
                }
                Change::KeyResult(k) => {
                    g.key_results.insert(&k.id, k);
                }
                Change::Task(t) => {
                    g.tasks.insert(&t.id, t);
                }
                Change::Observation(o) => {
                    let key = (&o.kpi, &o.unit, o.period.label());
                    if g.observations.get(&key).is_none_or(|cur| o.at >= cur.at) {
                        g.observations.insert(key, o);
                    }
                }
                Change::Rating(r) => g.ratings.push(r),
                Change::Period(_)
                | Change::Target(_)
                | Change::Criteria(_)
                | Change::Frozen(_)
                | Change::Meeting(_) => g.cycle.push(c),
                Change::Clock(t) => g.clock = Some(g.clock.map_or(*t, |c| c.max(*t))),
            }
        }
        g
    }
}

/// The `Store` implementation, written once for any sqlx database whose pool is `self.pool`.
macro_rules! sql_store_impl {
    ($store:ty, $db:ty, $backend:literal) => {
        // Each backend writes the ingest's rows (events, tasks, audit entries) in its own form,
        // beside this: `insert_event_rows`, `upsert_task_rows` and `insert_audit`, the last
        // inside the caller's transaction, so an entry lands with the change it records or not
        // at all.
        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            fn fence_writes(&self, epoch: std::sync::Arc<std::sync::atomic::AtomicI64>) {
                self.fence_with(epoch)
            }

            async fn ping(&self) -> Result<(), $crate::store::StoreError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn existing_events(
                &self,
                source: &str,
                ids: &[$crate::domain::Id],
            ) -> Result<std::collections::HashMap<$crate::domain::Id, String>, $crate::store::StoreError> {
                if let Some(found) = self.existing_events_directly(source, ids).await {
                    return found;
                }
                let mut found = std::collections::HashMap::new();
                for chunk in ids.chunks(5000) {
                    // The source's own ids, and those logged before sources were kept ('').
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT event_id, body FROM events WHERE source IN ('', ");
                    qb.push_bind(source.to_string()).push(") AND event_id IN (");
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(id.to_string());
                    }
                    qb.push(")");
                    let rows: Vec<(String, String)> = qb.build_query_as().fetch_all(&self.pool).await?;
                    found.extend(rows.into_iter().map(|(id, body)| ($crate::domain::Id::from(id), body)));
                }
                Ok(found)
            }

            #[tracing::instrument(skip_all, err, fields(events = events.len(), changes = changes.len()))]
            async fn commit_with(
                &self,
                events: &[$crate::store::EventRecord],
                changes: &[$crate::domain::Change],
                audit: &[$crate::audit::Entry],
                notices: &[$crate::store::NoticeRow],
            ) -> Result<(Vec<$crate::store::notify::AddedNotice>, Option<u64>), $crate::store::StoreError> {
                use $crate::store::rows::*;
                use $crate::store::sql::*;
                let g = Grouped::of(changes);
                // Deflated before the transaction: SQLite holds its write lock from `BEGIN`.
                let past = $crate::store::history::encode_changes(changes);
                let mut tx = self.begin_write().await?;
                Self::insert_audit(&mut tx, audit).await?;
                // PostgreSQL writes events and tasks in its array form (`postgres_arrays.rs`),
                // SQLite through its handle (`sqlite_direct.rs`).
                Self::insert_event_rows(&mut tx, events).await?;
                let units: Vec<_> = g.units.values().collect();
                for chunk in units.chunks(CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO units (id, name, level, parent_id, leader_id, short_name) ");
                    qb.push_values(chunk, |mut b, u| {
                        b.push_bind(u.id.to_string())
                            .push_bind(u.name.clone())
                            .push_bind(u.level.as_str())
                            .push_bind(u.parent.as_ref().map(|p| p.to_string()))
                            .push_bind(u.leader.as_ref().map(|p| p.to_string()))
                            .push_bind(u.short_name.clone());
                    });
                    qb.push(" ON CONFLICT (id) DO UPDATE SET name = excluded.name, level = excluded.level, parent_id = excluded.parent_id, leader_id = excluded.leader_id, short_name = excluded.short_name");
                    qb.build().execute(&mut *tx).await?;
                }
                let people: Vec<_> = g.people.values().collect();
                for chunk in people.chunks(CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO people (id, name, unit_id, position) ");
                    qb.push_values(chunk, |mut b, p| {
                        b.push_bind(p.id.to_string()).push_bind(p.name.clone()).push_bind(p.unit.to_string()).push_bind(p.position.clone());
                    });
                    qb.push(" ON CONFLICT (id) DO UPDATE SET name = excluded.name, unit_id = excluded.unit_id, position = excluded.position");
                    qb.build().execute(&mut *tx).await?;
                }
                let kpis: Vec<_> = g.kpis.values().collect();
                for chunk in kpis.chunks(CHUNK) {
                    const COLS: &str = "code, name, formula, data_source, unit_of_measure, thresholds, frequency, index_group, leading_unit, coordinating_units, measured_units, expression, rollup_rule, public";
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!("INSERT INTO kpis ({COLS}) "));
                    qb.push_values(chunk, |mut b, k| {
                        b.push_bind(k.code.to_string())
                            .push_bind(k.name.clone())
                            .push_bind(k.formula.clone())
                            .push_bind(k.data_source.clone())
                            .push_bind(k.unit_of_measure.clone())
                            .push_bind(thresholds_json(&k.thresholds))
                            .push_bind(k.frequency.as_str())
                            .push_bind(k.group.as_str())
                            .push_bind(k.leading_unit.to_string())
                            .push_bind(ids_json(&k.coordinating_units))
                            .push_bind(ids_json(&k.measured_units))
                            .push_bind(k.expression.as_ref().map(|f| f.text().to_string()))
                            .push_bind(serde_json::to_string(&k.rollup).expect("a roll-up rule serializes"))
                            .push_bind(k.public);
                    });
                    qb.push(format!(" ON CONFLICT (code) DO UPDATE SET {}", set_excluded(COLS, &["code"])));
                    qb.build().execute(&mut *tx).await?;
                }
                let objectives: Vec<_> = g.objectives.values().collect();
                for chunk in objectives.chunks(CHUNK) {
                    const COLS: &str = "id, unit_id, title, period, parent_id, owner_id, weight";
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!("INSERT INTO objectives ({COLS}) "));
                    qb.push_values(chunk, |mut b, o| {
                        b.push_bind(o.id.to_string())
                            .push_bind(o.unit.to_string())
                            .push_bind(o.title.clone())
                            .push_bind(o.period.label().to_string())
                            .push_bind(o.parent.as_ref().map(|p| p.to_string()))
                            .push_bind(o.owner.as_ref().map(|p| p.to_string()))
                            .push_bind(o.weight);
                    });
                    qb.push(format!(" ON CONFLICT (id) DO UPDATE SET {}", set_excluded(COLS, &["id"])));
                    qb.build().execute(&mut *tx).await?;
                }
                let krs: Vec<_> = g.key_results.values().collect();
                for chunk in krs.chunks(CHUNK) {
                    const COLS: &str = "id, objective_id, title, start_value, target_value, current_value, unit_of_measure, direction, weight, confidence, current_at";
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!("INSERT INTO key_results ({COLS}) "));
                    qb.push_values(chunk, |mut b, k| {
                        b.push_bind(k.id.to_string())
                            .push_bind(k.objective.to_string())
                            .push_bind(k.title.clone())
                            .push_bind(k.start)
                            .push_bind(k.target)
                            .push_bind(k.current)
                            .push_bind(k.unit_of_measure.clone())
                            .push_bind(kr_direction_str(k.direction))
                            .push_bind(k.weight)
                            .push_bind(k.confidence.map(i64::from))
                            .push_bind(k.current_at);
                    });
                    qb.push(format!(" ON CONFLICT (id) DO UPDATE SET {}", set_excluded(COLS, &["id"])));
                    qb.build().execute(&mut *tx).await?;
                }
                let tasks: Vec<_> = g.tasks.values().copied().collect();
                Self::upsert_task_rows(&mut tx, &tasks).await?;
                let observations: Vec<_> = g.observations.values().collect();
                for chunk in observations.chunks(CHUNK) {
                    const COLS: &str = "kpi_code, unit_id, period, period_start, value, source, entered_by, at";
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!("INSERT INTO observations ({COLS}) "));
                    qb.push_values(chunk, |mut b, o| {
                        b.push_bind(o.kpi.to_string())
                            .push_bind(o.unit.to_string())
                            .push_bind(o.period.label().to_string())
                            .push_bind(o.period.start)
                            .push_bind(o.value)
                            .push_bind(o.source.clone())
                            .push_bind(o.entered_by.as_ref().map(|p| p.to_string()))
                            .push_bind(o.at);
                    });
                    // Last writer wins by the time of entry, whatever order entries arrive in.
                    qb.push(format!(
                        " ON CONFLICT (kpi_code, unit_id, period) DO UPDATE SET {} WHERE excluded.at >= observations.at",
                        set_excluded(COLS, &["kpi_code", "unit_id", "period"])
                    ));
                    qb.build().execute(&mut *tx).await?;
                }
                for chunk in g.ratings.chunks(CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO ratings (event_id, unit_id, service, score, at, comment, comment_shown) ");
                    qb.push_values(chunk, |mut b, r| {
                        b.push_bind(r.event_id.to_string())
                            .push_bind(r.unit.to_string())
                            .push_bind(r.service.clone())
                            .push_bind(i64::from(r.score))
                            .push_bind(r.at)
                            .push_bind(r.comment.clone())
                            .push_bind(r.comment_shown);
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                for c in &g.cycle {
                        match c {
                            $crate::domain::Change::Period(p) => {
                                sqlx::query("INSERT INTO okr_periods (label, kind, state, changed_at, changed_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (label) DO UPDATE SET state = excluded.state, changed_at = excluded.changed_at, changed_by = excluded.changed_by")
                                    .bind(p.period.label().to_string())
                                    .bind(p.period.kind.as_str())
                                    .bind(p.state.as_str())
                                    .bind(p.changed_at)
                                    .bind(p.changed_by.clone())
                                    .execute(&mut *tx)
                                    .await?;
                            }
                            $crate::domain::Change::Target(t) => {
                                sqlx::query("INSERT INTO kpi_targets (kpi_code, unit_id, period, target, set_at, set_by) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (kpi_code, unit_id, period) DO UPDATE SET target = excluded.target, set_at = excluded.set_at, set_by = excluded.set_by")
                                    .bind(t.kpi.to_string())
                                    .bind(t.unit.to_string())
                                    .bind(t.period.label().to_string())
                                    .bind(t.target)
                                    .bind(t.set_at)
                                    .bind(t.set_by.clone())
                                    .execute(&mut *tx)
                                    .await?;
                            }
                            $crate::domain::Change::Criteria(r) => {
                                sqlx::query("INSERT INTO evaluation_criteria (person_id, period, body, set_by, set_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (period, person_id) DO UPDATE SET body = excluded.body, set_by = excluded.set_by, set_at = excluded.set_at")
                                    .bind(r.person.to_string())
                                    .bind(r.period.label().to_string())
                                    .bind(r.body.clone())
                                    .bind(r.set_by.clone())
                                    .bind(r.set_at)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                            $crate::domain::Change::Frozen(scores) => {
                                for chunk in scores.chunks(CHUNK) {
                                    let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO evaluation_scores (person_id, period, unit_id, body, frozen_at) ");
                                    qb.push_values(chunk, |mut b, f| {
                                        b.push_bind(f.person.to_string())
                                            .push_bind(f.period.label().to_string())
                                            .push_bind(f.unit.to_string())
                                            .push_bind(f.body.clone())
                                            .push_bind(f.frozen_at);
                                    });
                                    qb.push(" ON CONFLICT (period, person_id) DO UPDATE SET unit_id = excluded.unit_id, body = excluded.body, frozen_at = excluded.frozen_at");
                                    qb.build().execute(&mut *tx).await?;
                                }
                            }
                            $crate::domain::Change::Meeting(m) => {
                                let body = serde_json::to_string(m).map_err(|e| $crate::store::StoreError::Corrupt(format!("meeting {}: {e}", m.id)))?;
                                sqlx::query("INSERT INTO meetings (id, unit_id, period, state, version, body) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET state = excluded.state, version = excluded.version, body = excluded.body WHERE excluded.version >= meetings.version")
                                    .bind(m.id.clone())
                                    .bind(m.unit.to_string())
                                    .bind(m.period.clone())
                                    .bind(m.state.as_str())
                                    .bind(i64::try_from(m.version).unwrap_or(i64::MAX))
                                    .bind(body)
                                    .execute(&mut *tx)
                                    .await?;
                            }
                            _ => unreachable!("only cycle changes are grouped here"),
                        }
                }
                if let Some(clock) = g.clock {
                    sqlx::query("INSERT INTO meta (key, value) VALUES ('clock', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                        .bind(clock.to_string())
                        .execute(&mut *tx)
                        .await?;
                }
                if let Some(body) = past {
                    // Stamped with the clock as this commit leaves it (written just above when
                    // it moved): the moment from which a view shows it.
                    let clock: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'clock'")
                        .fetch_optional(&mut *tx)
                        .await?;
                    sqlx::query("INSERT INTO history (at_ms, body) VALUES ($1, $2)")
                        .bind(clock.and_then(|c| c.parse::<i64>().ok()).unwrap_or(0))
                        .bind(body)
                        .execute(&mut *tx)
                        .await?;
                }
                let added = Self::insert_notices(&mut tx, notices, &[]).await?;
                let logged = if changes.is_empty() {
                    None
                } else {
                    self.append_log(&mut tx, &$crate::store::bus_log::Outgoing::changes(changes)).await?
                };
                tx.commit().await?;
                Ok((added, logged))
            }

            fn log_changes(&self) {
                self.enable_log()
            }

            fn log_written(&self) -> u64 {
                self.last_logged()
            }

            async fn log_record(&self, record: &$crate::store::bus_log::Outgoing<'_>) -> Result<Option<u64>, $crate::store::StoreError> {
                let mut tx = self.begin_write().await?;
                let logged = self.append_log(&mut tx, record).await?;
                tx.commit().await?;
                Ok(logged)
            }

            async fn log_head(&self) -> Result<u64, $crate::store::StoreError> {
                let seq: i64 = sqlx::query_scalar("SELECT seq FROM bus_head WHERE id = 1")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(seq as u64)
            }

            async fn log_after(&self, after: u64, limit: i64) -> Result<Vec<(u64, $crate::domain::Ts, String)>, $crate::store::StoreError> {
                let rows: Vec<(i64, i64, String)> = sqlx::query_as("SELECT seq, at_ms, body FROM bus_log WHERE seq > $1 ORDER BY seq LIMIT $2")
                    .bind(after as i64)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|(seq, at, body)| (seq as u64, at, body)).collect())
            }

            async fn report_applied(&self, node: &str, applied: u64) -> Result<(), $crate::store::StoreError> {
                sqlx::query("INSERT INTO bus_readers (node, applied, seen_ms) VALUES ($1, $2, $3) ON CONFLICT (node) DO UPDATE SET applied = excluded.applied, seen_ms = excluded.seen_ms")
                    .bind(node.to_string())
                    .bind(applied as i64)
                    .bind($crate::domain::time::now_ms())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn log_readers(&self, since: $crate::domain::Ts) -> Result<Vec<(String, u64)>, $crate::store::StoreError> {
                let rows: Vec<(String, i64)> = sqlx::query_as("SELECT node, applied FROM bus_readers WHERE seen_ms >= $1")
                    .bind(since)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|(n, a)| (n, a as u64)).collect())
            }

            async fn prune_log(&self, below: u64, before: $crate::domain::Ts) -> Result<u64, $crate::store::StoreError> {
                let done = sqlx::query("DELETE FROM bus_log WHERE seq <= $1 AND at_ms < $2")
                    .bind(below as i64)
                    .bind(before)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn cluster_id(&self, proposed: &str) -> Result<String, $crate::store::StoreError> {
                sqlx::query("INSERT INTO meta (key, value) VALUES ('cluster_id', $1) ON CONFLICT (key) DO NOTHING")
                    .bind(proposed.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = 'cluster_id'")
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn writer_seat(&self) -> Result<Option<(String, String, String)>, $crate::store::StoreError> {
                Ok(sqlx::query_as("SELECT node, address, forward_key FROM writer_lease WHERE id = 1")
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn hold_commits(&self) -> Result<Option<($crate::store::CommitHold, u64)>, $crate::store::StoreError> {
                self.hold_log().await
            }

            fn notify(&self) -> &dyn $crate::store::NotifyStore {
                self
            }

            fn explain(&self) -> &dyn $crate::store::explain::ExplainStore {
                self
            }

            fn public(&self) -> &dyn $crate::store::public::PublicStore {
                self
            }

            fn history(&self) -> &dyn $crate::store::history::HistoryStore {
                self
            }

            #[tracing::instrument(skip_all, err)]
            async fn load_catalog(&self) -> Result<$crate::store::Snapshot, $crate::store::StoreError> {
                use $crate::store::rows::*;
                use $crate::store::sql::*;
                let clock: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'clock'")
                    .fetch_optional(&self.pool)
                    .await?;
                let clock = clock
                    .map(|c| c.parse::<i64>().map_err(|e| $crate::store::StoreError::Corrupt(format!("clock '{c}': {e}"))))
                    .transpose()?;
                let units = sqlx::query_as::<_, UnitRow>("SELECT id, name, level, parent_id, leader_id, short_name FROM units")
                    .fetch_all(&self.pool).await?
                    .into_iter().map(TryInto::try_into).collect::<Result<_, _>>()?;
                let people = sqlx::query_as::<_, PersonRow>("SELECT id, name, unit_id, position FROM people")
                    .fetch_all(&self.pool).await?
                    .into_iter().map(Into::into).collect();
                let kpis = sqlx::query_as::<_, KpiRow>("SELECT code, name, formula, data_source, unit_of_measure, thresholds, frequency, index_group, leading_unit, coordinating_units, measured_units, expression, rollup_rule, public FROM kpis")
                    .fetch_all(&self.pool).await?
                    .into_iter().map(TryInto::try_into).collect::<Result<_, _>>()?;
                let objectives = sqlx::query_as::<_, ObjectiveRow>("SELECT id, unit_id, title, period, parent_id, owner_id, weight FROM objectives")
                    .fetch_all(&self.pool).await?
                    .into_iter().map(TryInto::try_into).collect::<Result<_, _>>()?;
                let key_results = sqlx::query_as::<_, KeyResultRow>("SELECT id, objective_id, title, start_value, target_value, current_value, unit_of_measure, direction, weight, confidence, current_at FROM key_results")
                    .fetch_all(&self.pool).await?
                    .into_iter().map(TryInto::try_into).collect::<Result<_, _>>()?;
                let task_count: i64 = match self.count_tasks_directly().await {
                    Some(count) => count?,
                    None => sqlx::query_scalar("SELECT COUNT(*) FROM tasks").fetch_one(&self.pool).await?,
                };
                let observations = sqlx::query_as::<_, ObservationRow>(LATEST_OBSERVATIONS)
                    .fetch_all(&self.pool).await?
                    .into_iter().map(TryInto::try_into).collect::<Result<_, _>>()?;
                let periods = sqlx::query_as::<_, PeriodRow>("SELECT label, state, changed_at, changed_by FROM okr_periods")
                    .fetch_all(&self.pool).await?
                    .into_iter().map(TryInto::try_into).collect::<Result<_, _>>()?;
                let targets = sqlx::query_as::<_, TargetRow>("SELECT kpi_code, unit_id, period, target, set_at, set_by FROM kpi_targets")
                    .fetch_all(&self.pool).await?
                    .into_iter().map(TryInto::try_into).collect::<Result<_, _>>()?;
                let meetings: Vec<String> = sqlx::query_scalar("SELECT body FROM meetings")
                    .fetch_all(&self.pool)
                    .await?;
                let meetings = meetings
                    .iter()
                    .map(|b| serde_json::from_str(b).map_err(|e| $crate::store::StoreError::Corrupt(format!("a meeting's record: {e}"))))
                    .collect::<Result<Vec<_>, _>>()?;
                let rating_totals: Vec<(String, i64, i64)> = sqlx::query_as(
                    "SELECT unit_id, COUNT(*) AS n, CAST(SUM(score) AS BIGINT) AS s FROM ratings GROUP BY unit_id",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok($crate::store::Snapshot {
                    clock,
                    units,
                    people,
                    kpis,
                    objectives,
                    key_results,
                    tasks: Vec::new(),
                    task_count: usize::try_from(task_count).unwrap_or_default(),
                    observations,
                    periods,
                    targets,
                    meetings,
                    rating_totals: rating_totals.into_iter().map(|(u, n, s)| (u.into(), n, s)).collect(),
                })
            }

            #[tracing::instrument(skip_all, err)]
            async fn load_tasks(
                &self,
                into: tokio::sync::mpsc::Sender<Vec<$crate::domain::Task>>,
            ) -> Result<(), $crate::store::StoreError> {
                use futures_util::TryStreamExt;
                use $crate::store::rows::TaskRow;
                use $crate::store::sql::{TASK_COLUMNS, TASK_LOAD_BATCH};
                // Rows are decoded as they arrive (no vector of every row first) and handed over
                // a batch at a time: the receiver applies one while the next is read.
                if let Some(read) = self.read_tasks_directly(&into).await {
                    return read;
                }
                let sql = format!("SELECT {TASK_COLUMNS} FROM tasks");
                let mut rows = sqlx::query_as::<_, TaskRow>(&sql).fetch(&self.pool);
                let mut batch = Vec::with_capacity(TASK_LOAD_BATCH);
                while let Some(row) = rows.try_next().await? {
                    batch.push(row.try_into()?);
                    if batch.len() == TASK_LOAD_BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(TASK_LOAD_BATCH));
                        if into.send(full).await.is_err() {
                            return Ok(());
                        }
                    }
                }
                if !batch.is_empty() {
                    let _ = into.send(batch).await;
                }
                Ok(())
            }

            async fn event(&self, source: &str, id: &str) -> Result<Option<$crate::store::EventRecord>, $crate::store::StoreError> {
                let row = sqlx::query_as::<_, $crate::store::rows::EventRow>(
                    "SELECT source, event_id, kind, entity_id, at, received_at, body FROM events WHERE source = $1 AND event_id = $2",
                )
                .bind(source)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|r| $crate::store::EventRecord {
                    source: r.source,
                    id: r.event_id.into(),
                    kind: r.kind,
                    entity: r.entity_id,
                    at: r.at,
                    received_at: r.received_at,
                    body: r.body,
                }))
            }

            async fn event_count(&self) -> Result<i64, $crate::store::StoreError> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM events").fetch_one(&self.pool).await?)
            }

            async fn task_aggregates(
                &self,
                now: $crate::domain::Ts,
            ) -> Result<($crate::store::GroupedTaskAggs, $crate::store::GroupedTaskAggs), $crate::store::StoreError> {
                use $crate::store::sql::*;
                let by_unit = sqlx::query_as::<_, $crate::store::rows::TaskGroupRow>(&TASK_GROUPS.replace("{key}", "unit_id"))
                    .bind(now)
                    .fetch_all(&self.pool)
                    .await?;
                let by_person = sqlx::query_as::<_, $crate::store::rows::TaskGroupRow>(&TASK_GROUPS.replace("{key}", "responsible_id"))
                    .bind(now)
                    .fetch_all(&self.pool)
                    .await?;
                Ok((fold_groups(by_unit)?, fold_groups(by_person)?))
            }

            async fn save_alerts_with(
                &self,
                upserts: &[$crate::store::AlertRow],
                deletes: &[(String, String)],
                history: &[$crate::store::AlertHistoryRow],
                audit: &[$crate::audit::Entry],
                notices: &[$crate::store::NoticeRow],
            ) -> Result<(Vec<i64>, Vec<$crate::store::notify::AddedNotice>), $crate::store::StoreError> {
                use $crate::store::sql::CHUNK;
                let mut tx = self.begin_write().await?;
                Self::insert_audit(&mut tx, audit).await?;
                let mut seqs = Vec::with_capacity(history.len());
                // One statement per chunk: a batch can end thousands of alerts at once.
                for chunk in deletes.chunks(CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("DELETE FROM alerts WHERE (rule, subject) IN (VALUES ");
                    let mut first = true;
                    for (rule, subject) in chunk {
                        if !first {
                            qb.push(", ");
                        }
                        first = false;
                        qb.push("(").push_bind(rule.clone()).push(", ").push_bind(subject.clone()).push(")");
                    }
                    qb.push(")");
                    qb.build().execute(&mut *tx).await?;
                }
                for chunk in upserts.chunks(CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO alerts (rule, subject, unit_id, body) ");
                    qb.push_values(chunk, |mut b, a| {
                        b.push_bind(a.rule.clone()).push_bind(a.subject.clone()).push_bind(a.unit.clone()).push_bind(a.body.clone());
                    });
                    qb.push(" ON CONFLICT (rule, subject) DO UPDATE SET unit_id = excluded.unit_id, body = excluded.body");
                    qb.build().execute(&mut *tx).await?;
                }
                for chunk in history.chunks(CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO alert_history (rule, subject, unit_id, kind, severity, at, body) ");
                    qb.push_values(chunk, |mut b, h| {
                        b.push_bind(h.rule.clone())
                            .push_bind(h.subject.clone())
                            .push_bind(h.unit.clone())
                            .push_bind(h.kind.clone())
                            .push_bind(h.severity.clone())
                            .push_bind(h.at)
                            .push_bind(h.body.clone());
                    });
                    qb.push(" RETURNING seq");
                    let mut chunk_seqs: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *tx).await?;
                    // RETURNING order is unspecified; the single writer makes the values
                    // consecutive in insertion order, so sorted they line up with the rows.
                    chunk_seqs.sort_unstable();
                    seqs.extend(chunk_seqs);
                }
                let added = Self::insert_notices(&mut tx, notices, &seqs).await?;
                if !(upserts.is_empty() && deletes.is_empty() && history.is_empty()) {
                    let numbered: Vec<_> = history
                        .iter()
                        .zip(&seqs)
                        .map(|(h, seq)| $crate::store::AlertHistoryRow { seq: *seq, ..h.clone() })
                        .collect();
                    let record = $crate::store::bus_log::Outgoing {
                        changes: &[],
                        alerts: Some($crate::store::bus_log::AlertDeltaRef { upserts, deletes, history: &numbered }),
                        reload: &[],
                    };
                    self.append_log(&mut tx, &record).await?;
                }
                tx.commit().await?;
                Ok((seqs, added))
            }

            async fn alert_history_after(
                &self,
                after: i64,
                units: &[String],
                limit: i64,
            ) -> Result<Vec<$crate::store::AlertHistoryRow>, $crate::store::StoreError> {
                let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT seq, rule, subject, unit_id, kind, severity, at, body FROM alert_history WHERE seq > ");
                qb.push_bind(after);
                $crate::store::sql::push_units(&mut qb, " AND", units);
                qb.push(" ORDER BY seq LIMIT ").push_bind(limit);
                let rows: Vec<$crate::store::sql::HistoryTuple> = qb.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map($crate::store::sql::history_row).collect())
            }

            async fn alert_history_between(
                &self,
                units: &[String],
                from: $crate::domain::Ts,
                to: $crate::domain::Ts,
            ) -> Result<Vec<$crate::store::AlertHistoryRow>, $crate::store::StoreError> {
                let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT seq, rule, subject, unit_id, kind, severity, at, body FROM alert_history WHERE at >= ");
                qb.push_bind(from).push(" AND at < ").push_bind(to);
                $crate::store::sql::push_units(&mut qb, " AND", units);
                qb.push(" ORDER BY seq");
                let rows: Vec<$crate::store::sql::HistoryTuple> = qb.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map($crate::store::sql::history_row).collect())
            }

            async fn observations_of(&self, units: &[String]) -> Result<Vec<$crate::domain::Observation>, $crate::store::StoreError> {
                let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT kpi_code, unit_id, period, value, source, entered_by, at FROM observations");
                $crate::store::sql::push_units(&mut qb, " WHERE", units);
                qb.push(" ORDER BY kpi_code, unit_id, period_start");
                let rows: Vec<$crate::store::rows::ObservationRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map($crate::domain::Observation::try_from).collect()
            }

            async fn person_records(
                &self,
                kind: $crate::store::RecordKind,
                periods: &[String],
                persons: &[String],
            ) -> Result<Vec<$crate::store::rows::PersonRecordRow>, $crate::store::StoreError> {
                if periods.is_empty() {
                    return Ok(Vec::new());
                }
                let table = match kind {
                    $crate::store::RecordKind::Criteria => "evaluation_criteria",
                    $crate::store::RecordKind::FrozenScore => "evaluation_scores",
                };
                let mut qb = sqlx::QueryBuilder::<$db>::new(format!("SELECT person_id, period, body FROM {table} WHERE period IN ("));
                let mut sep = qb.separated(", ");
                for p in periods {
                    sep.push_bind(p.clone());
                }
                qb.push(")");
                if !persons.is_empty() {
                    qb.push(" AND person_id IN (");
                    let mut sep = qb.separated(", ");
                    for p in persons {
                        sep.push_bind(p.clone());
                    }
                    qb.push(")");
                }
                qb.push(" ORDER BY period, person_id");
                Ok(qb.build_query_as().fetch_all(&self.pool).await?)
            }

            async fn events_of(&self, kind: &str, entities: &[String]) -> Result<Vec<$crate::store::EventRecord>, $crate::store::StoreError> {
                let mut out = Vec::new();
                // More entities than one query binds (a city's review asks for every key
                // result): one pass over the kind, filtered here, rather than a pass per chunk.
                let many = entities.len() > $crate::store::sql::CHUNK;
                let wanted: std::collections::HashSet<&str> = if many {
                    entities.iter().map(String::as_str).collect()
                } else {
                    Default::default()
                };
                let chunks: Vec<&[String]> = if many { vec![&[]] } else { entities.chunks($crate::store::sql::CHUNK).collect() };
                for chunk in chunks {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT source, event_id, kind, entity_id, at, received_at, body FROM events WHERE kind = ");
                    qb.push_bind(kind.to_string());
                    if !many {
                        qb.push(" AND entity_id IN (");
                        let mut sep = qb.separated(", ");
                        for e in chunk {
                            sep.push_bind(e.clone());
                        }
                        qb.push(")");
                    }
                    qb.push(" ORDER BY at, seq");
                    let rows: Vec<$crate::store::rows::EventRow> = qb.build_query_as().fetch_all(&self.pool).await?;
                    let rows = rows.into_iter().filter(|r| !many || wanted.contains(r.entity_id.as_str()));
                    out.extend(rows.map(|r| $crate::store::EventRecord {
                        source: r.source,
                        id: r.event_id.into(),
                        kind: r.kind,
                        entity: r.entity_id,
                        at: r.at,
                        received_at: r.received_at,
                        body: r.body,
                    }));
                }
                out.sort_by_key(|e| e.at);
                Ok(out)
            }

            async fn last_alert_seq(&self) -> Result<i64, $crate::store::StoreError> {
                let seq: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM alert_history").fetch_one(&self.pool).await?;
                Ok(seq.unwrap_or(0))
            }

            async fn first_alert_at(&self) -> Result<Option<$crate::domain::Ts>, $crate::store::StoreError> {
                // The first by seq is the first in time: history is appended in commit order.
                let at: Option<i64> = sqlx::query_scalar("SELECT at FROM alert_history ORDER BY seq LIMIT 1").fetch_optional(&self.pool).await?;
                Ok(at)
            }

            async fn load_alerts(&self) -> Result<Vec<$crate::store::AlertRow>, $crate::store::StoreError> {
                let rows: Vec<(String, String, String, String)> =
                    sqlx::query_as("SELECT rule, subject, unit_id, body FROM alerts").fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(|(rule, subject, unit, body)| $crate::store::AlertRow { rule, subject, unit, body }).collect())
            }

            async fn alert_history(&self, q: &$crate::store::HistoryQuery) -> Result<Vec<$crate::store::AlertHistoryRow>, $crate::store::StoreError> {
                let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT seq, rule, subject, unit_id, kind, severity, at, body FROM alert_history WHERE 1 = 1");
                $crate::store::sql::push_units(&mut qb, " AND", &q.units);
                if let Some(r) = &q.rule {
                    qb.push(" AND rule = ").push_bind(r.clone());
                }
                if let Some(s) = &q.subject {
                    qb.push(" AND subject = ").push_bind(s.clone());
                }
                if let Some(b) = q.before {
                    qb.push(" AND seq < ").push_bind(b);
                }
                qb.push(" ORDER BY seq DESC LIMIT ").push_bind(q.limit);
                let rows: Vec<$crate::store::sql::HistoryTuple> = qb.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map($crate::store::sql::history_row).collect())
            }

            async fn add_silence(&self, s: &$crate::store::SilenceRow, audit: &[$crate::audit::Entry]) -> Result<i64, $crate::store::StoreError> {
                let mut tx = self.begin_write().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO silences (rule, unit_id, until, reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(s.rule.clone())
                .bind(s.unit.clone())
                .bind(s.until)
                .bind(s.reason.clone())
                .bind(s.created_by.clone())
                .bind(s.created_at)
                .fetch_one(&mut *tx)
                .await?;
                Self::insert_audit(&mut tx, audit).await?;
                self.append_log(&mut tx, &$crate::store::bus_log::Outgoing::reload(&[$crate::store::bus_log::Reload::Silences])).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn save_security(
                &self,
                write: &$crate::domain::security::SecurityWrite,
                audit: &$crate::audit::Entry,
            ) -> Result<(), $crate::store::StoreError> {
                use $crate::domain::security::SecurityWrite as W;
                let mut tx = self.begin_write().await?;
                let (account, end_sessions) = match write {
                    W::PutAccount(a) => (Some(a), None),
                    W::PutAccountEndingSessions { account, keep } => (Some(account), Some(keep)),
                    _ => (None, None),
                };
                if let Some(keep) = end_sessions {
                    let account = account.map(|a| a.id.clone()).unwrap_or_default();
                    sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
                        .bind(account)
                        .bind(keep.clone().unwrap_or_default())
                        .execute(&mut *tx)
                        .await?;
                }
                match write {
                    W::PutAccount(a) | W::PutAccountEndingSessions { account: a, .. } => {
                        sqlx::query("INSERT INTO accounts (id, name, person_id, password_hash, must_change_password, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET name = excluded.name, person_id = excluded.person_id, password_hash = excluded.password_hash, must_change_password = excluded.must_change_password, disabled = excluded.disabled")
                            .bind(a.id.clone())
                            .bind(a.name.clone())
                            .bind(a.person.as_ref().map(|p| p.to_string()))
                            .bind(a.password_hash.clone())
                            .bind(i64::from(a.must_change_password))
                            .bind(i64::from(a.disabled))
                            .bind(a.created_at)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query("DELETE FROM account_grants WHERE account_id = $1")
                            .bind(a.id.clone())
                            .execute(&mut *tx)
                            .await?;
                        for g in &a.grants {
                            sqlx::query("INSERT INTO account_grants (account_id, role, unit_id) VALUES ($1, $2, $3)")
                                .bind(a.id.clone())
                                .bind(g.role.as_str())
                                .bind(g.unit.clone())
                                .execute(&mut *tx)
                                .await?;
                        }
                    }
                    W::AddSession(s) => {
                        sqlx::query("INSERT INTO sessions (token_hash, account_id, csrf, created_at, expires_at, ip) VALUES ($1, $2, $3, $4, $5, $6)")
                            .bind(s.token_hash.clone())
                            .bind(s.account.clone())
                            .bind(s.csrf.clone())
                            .bind(s.created_at)
                            .bind(s.expires_at)
                            .bind(s.ip.clone())
                            .execute(&mut *tx)
                            .await?;
                    }
                    W::DeleteSession { token_hash } => {
                        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                            .bind(token_hash.clone())
                            .execute(&mut *tx)
                            .await?;
                    }
                    W::AddToken(t) => {
                        sqlx::query("INSERT INTO api_tokens (id, name, created_by, secret_hash, units, permissions, created_at, expires_at, revoked_at, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                            .bind(t.id.clone())
                            .bind(t.name.clone())
                            .bind(t.created_by.clone())
                            .bind(t.secret_hash.clone())
                            .bind(serde_json::to_string(&t.units).unwrap_or_default())
                            .bind(serde_json::to_string(&t.permissions).unwrap_or_default())
                            .bind(t.created_at)
                            .bind(t.expires_at)
                            .bind(t.revoked_at)
                            .bind(t.source.clone())
                            .execute(&mut *tx)
                            .await?;
                    }
                    W::RevokeToken { id, at } => {
                        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                            .bind(*at)
                            .bind(id.clone())
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                Self::insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
                self.append_log(&mut tx, &$crate::store::bus_log::Outgoing::reload(&[$crate::store::bus_log::Reload::Security])).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn load_security(
                &self,
                now: $crate::domain::Ts,
            ) -> Result<$crate::domain::security::SecuritySnapshot, $crate::store::StoreError> {
                use $crate::domain::security::{Account, ApiToken, Grant, Role, Session};
                let corrupt = |what: String| $crate::store::StoreError::Corrupt(what);
                let grants: Vec<(String, String, String)> = sqlx::query_as("SELECT account_id, role, unit_id FROM account_grants ORDER BY account_id, unit_id, role")
                    .fetch_all(&self.pool)
                    .await?;
                let mut by_account: std::collections::HashMap<String, Vec<Grant>> = Default::default();
                for (account, role, unit) in grants {
                    let role = Role::parse(&role).ok_or_else(|| corrupt(format!("account '{account}': role '{role}'")))?;
                    by_account.entry(account).or_default().push(Grant { role, unit });
                }
                let rows: Vec<(String, String, Option<String>, String, i64, i64, i64)> = sqlx::query_as(
                    "SELECT id, name, person_id, password_hash, must_change_password, disabled, created_at FROM accounts",
                )
                .fetch_all(&self.pool)
                .await?;
                let accounts = rows
                    .into_iter()
                    .map(|(id, name, person, password_hash, must_change, disabled, created_at)| Account {
                        grants: by_account.remove(&id).unwrap_or_default(),
                        id,
                        name,
                        person: person.map(Into::into),
                        password_hash,
                        must_change_password: must_change != 0,
                        disabled: disabled != 0,
                        created_at,
                    })
                    .collect();
                let rows: Vec<(String, String, String, i64, i64, String)> = sqlx::query_as(
                    "SELECT token_hash, account_id, csrf, created_at, expires_at, ip FROM sessions WHERE expires_at > $1",
                )
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
                let sessions = rows
                    .into_iter()
                    .map(|(token_hash, account, csrf, created_at, expires_at, ip)| Session { token_hash, account, csrf, created_at, expires_at, ip })
                    .collect();
                let rows: Vec<(String, String, String, String, String, String, i64, i64, Option<i64>, Option<String>)> = sqlx::query_as(
                    "SELECT id, name, created_by, secret_hash, units, permissions, created_at, expires_at, revoked_at, source FROM api_tokens",
                )
                .fetch_all(&self.pool)
                .await?;
                let mut tokens = Vec::with_capacity(rows.len());
                for (id, name, created_by, secret_hash, units, permissions, created_at, expires_at, revoked_at, source) in rows {
                    tokens.push(ApiToken {
                        units: serde_json::from_str(&units).map_err(|e| corrupt(format!("token '{id}' units: {e}")))?,
                        permissions: serde_json::from_str(&permissions).map_err(|e| corrupt(format!("token '{id}' permissions: {e}")))?,
                        id,
                        name,
                        created_by,
                        secret_hash,
                        created_at,
                        expires_at,
                        revoked_at,
                        source,
                    });
                }
                Ok($crate::domain::security::SecuritySnapshot { accounts, sessions, tokens })
            }

            async fn audit_head(&self) -> Result<$crate::audit::Head, $crate::store::StoreError> {
                let row: Option<(i64, String)> = sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map_or_else(Default::default, |(seq, hash)| $crate::audit::Head { seq, hash }))
            }

            async fn audit_entries(
                &self,
                after: i64,
                units: Option<&[String]>,
                limit: i64,
            ) -> Result<Vec<$crate::audit::Entry>, $crate::store::StoreError> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT seq, at, actor, ip, action, entity, unit_id, old_value, new_value, prev_hash, hash FROM audit_log WHERE seq > ",
                );
                qb.push_bind(after);
                if let Some(units) = units {
                    if units.is_empty() {
                        return Ok(Vec::new());
                    }
                    $crate::store::sql::push_units(&mut qb, " AND", units);
                }
                qb.push(" ORDER BY seq LIMIT ").push_bind(limit);
                let rows: Vec<$crate::store::sql::AuditTuple> = qb.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map($crate::store::sql::audit_entry).collect())
            }

            async fn silences(&self, now: $crate::domain::Ts) -> Result<Vec<$crate::store::SilenceRow>, $crate::store::StoreError> {
                let rows: Vec<(i64, Option<String>, Option<String>, i64, String, String, i64)> = sqlx::query_as(
                    "SELECT id, rule, unit_id, until, reason, created_by, created_at FROM silences WHERE until > $1 ORDER BY id",
                )
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, rule, unit, until, reason, created_by, created_at)| $crate::store::SilenceRow { id, rule, unit, until, reason, created_by, created_at })
                    .collect())
            }

            async fn add_view_index(&self) -> Result<(), $crate::store::StoreError> {
                sqlx::query("CREATE INDEX IF NOT EXISTS bench_tasks_by_unit ON tasks (unit_id)").execute(&self.pool).await?;
                Ok(())
            }

            async fn sql_unit_tasks(
                &self,
                unit: &str,
                now: $crate::domain::Ts,
            ) -> Result<$crate::domain::aggregate::TaskAgg, $crate::store::StoreError> {
                use $crate::store::sql::*;
                let rows = sqlx::query_as::<_, $crate::store::rows::TaskGroupRow>(SUBTREE_TASKS)
                    .bind(unit)
                    .bind(now)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(fold_groups(rows)?.into_iter().next().map(|(_, a)| a).unwrap_or_default())
            }

            async fn save_attachment(
                &self,
                a: &$crate::store::AttachmentRecord,
                audit: &$crate::audit::Entry,
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO attachments (sha256, content_type, size, body, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING")
                    .bind(a.file.sha256.clone())
                    .bind(a.file.content_type.clone())
                    .bind(a.file.size)
                    .bind(a.file.body.clone())
                    .bind(a.link.at)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO attachment_tasks (sha256, task_id, name, uploaded_by, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256, task_id) DO NOTHING")
                    .bind(a.link.sha256.clone())
                    .bind(a.link.task_id.clone())
                    .bind(a.link.name.clone())
                    .bind(a.link.uploaded_by.clone())
                    .bind(a.link.at)
                    .execute(&mut *tx)
                    .await?;
                Self::insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn attachment(
                &self,
                sha256: &str,
            ) -> Result<Option<$crate::store::AttachmentFile>, $crate::store::StoreError> {
                let row: Option<(String, String, i64, Vec<u8>)> = sqlx::query_as("SELECT sha256, content_type, size, body FROM attachments WHERE sha256 = $1")
                    .bind(sha256)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(sha256, content_type, size, body)| $crate::store::AttachmentFile { sha256, content_type, size, body }))
            }

            async fn attachment_links(
                &self,
                sha256: &str,
            ) -> Result<Vec<$crate::store::AttachmentLink>, $crate::store::StoreError> {
                let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as("SELECT sha256, task_id, name, uploaded_by, at FROM attachment_tasks WHERE sha256 = $1 ORDER BY at")
                    .bind(sha256)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|(sha256, task_id, name, uploaded_by, at)| $crate::store::AttachmentLink { sha256, task_id, name, uploaded_by, at }).collect())
            }

            async fn save_template(
                &self,
                t: &$crate::domain::template::TaskTemplate,
                audit: &$crate::audit::Entry,
            ) -> Result<(), $crate::store::StoreError> {
                let body = serde_json::to_string(t).map_err(|e| $crate::store::StoreError::Corrupt(e.to_string()))?;
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO task_templates (id, unit_id, body, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET unit_id = excluded.unit_id, body = excluded.body, updated_at = excluded.updated_at")
                    .bind(t.id.to_string())
                    .bind(t.unit.to_string())
                    .bind(body)
                    .bind(t.updated_at)
                    .execute(&mut *tx)
                    .await?;
                Self::insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn templates(&self) -> Result<Vec<$crate::domain::template::TaskTemplate>, $crate::store::StoreError> {
                let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, body FROM task_templates ORDER BY id")
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter()
                    .map(|(id, body)| serde_json::from_str(&body).map_err(|e| $crate::store::StoreError::Corrupt(format!("task template '{id}': {e}"))))
                    .collect()
            }
        }
    };
}
pub(crate) use sql_store_impl;

/// Folds `GROUP BY key, status` rows into one `TaskAgg` per key.
pub fn fold_groups(
    rows: Vec<TaskGroupRow>,
) -> Result<Vec<(String, crate::domain::aggregate::TaskAgg)>, super::StoreError> {
    let mut out: HashMap<String, crate::domain::aggregate::TaskAgg> = HashMap::new();
    for r in rows {
        let status = crate::domain::TaskStatus::parse(&r.status)
            .ok_or_else(|| super::StoreError::Corrupt(format!("task status '{}'", r.status)))?;
        let a = out.entry(r.key).or_default();
        a.by_status[status.index()] += r.n;
        a.overdue += r.overdue;
        a.done_on_time += r.on_time;
        a.done_late += r.late;
        a.progress_sum += r.progress_sum;
        a.progress_n += r.progress_n;
    }
    Ok(out.into_iter().collect())
}
