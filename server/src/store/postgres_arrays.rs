//! PostgreSQL's own form of the statements the ingest repeats: each binds one array per column
//! (`UNNEST`, `= ANY`), so a 1,000-event commit is one short statement per table whatever its
//! size, instead of a `VALUES` list of 7,000–21,000 parameters the server parses, plans and
//! checks row by row. SQLite keeps the shared `VALUES` form (`sql.rs`): it has no arrays, and its
//! statements cost it no round trip.
//!
//! The event-id check mattered most: `event_id IN ($2, …, $2001)` is a prepared statement, and
//! once PostgreSQL switched it to a generic plan (after its fifth run) that plan could walk the
//! source's whole log testing each row against the 2,000 parameters: 12 s per group at 300,000
//! events in one `ioc bench` run, fine in another. `event_id = ANY($2)` is an index probe per id
//! in the generic plan as in the custom one.

use super::sql::{set_excluded, TASK_COLUMNS};
use super::{EventRecord, StoreError};
use crate::audit::Entry;
use crate::domain::{Id, Task};
use sqlx::{Postgres, Transaction};
use std::collections::HashMap;

/// Which of these ids of `source` are already in the log (or from before sources were kept).
pub async fn existing_events(
    pool: &sqlx::Pool<Postgres>,
    source: &str,
    ids: &[Id],
) -> Result<HashMap<Id, String>, StoreError> {
    let ids: Vec<&str> = ids.iter().map(|id| &**id).collect();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT event_id, body FROM events WHERE source IN ('', $1) AND event_id = ANY($2)",
    )
    .bind(source)
    .bind(ids)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, body)| (Id::from(id), body))
        .collect())
}

/// The events in the order given (their `seq` is the commit order); an id already logged for
/// its source is skipped, as in the shared form.
pub async fn insert_events(
    tx: &mut Transaction<'_, Postgres>,
    events: &[EventRecord],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let n = events.len();
    let (mut source, mut id, mut kind, mut entity, mut body) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut at, mut received_at) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for e in events {
        source.push(e.source.as_str());
        id.push(&*e.id);
        kind.push(e.kind.as_str());
        entity.push(e.entity.as_str());
        at.push(e.at);
        received_at.push(e.received_at);
        body.push(e.body.as_str());
    }
    sqlx::query(
        "INSERT INTO events (source, event_id, kind, entity_id, at, received_at, body)
         SELECT source, event_id, kind, entity_id, at, received_at, body
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[])
              WITH ORDINALITY AS e(source, event_id, kind, entity_id, at, received_at, body, n)
         ORDER BY n
         ON CONFLICT (source, event_id) DO NOTHING",
    )
    .bind(source)
    .bind(id)
    .bind(kind)
    .bind(entity)
    .bind(at)
    .bind(received_at)
    .bind(body)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Each task's new state (a task appears once: `Grouped` keeps its last state in the batch).
pub async fn upsert_tasks(
    tx: &mut Transaction<'_, Postgres>,
    tasks: &[&Task],
) -> Result<(), StoreError> {
    use super::rows::ids_json;
    if tasks.is_empty() {
        return Ok(());
    }
    let n = tasks.len();
    let mut id = Vec::with_capacity(n);
    let mut title = Vec::with_capacity(n);
    let mut unit = Vec::with_capacity(n);
    let mut responsible = Vec::with_capacity(n);
    let mut accountable = Vec::with_capacity(n);
    let mut consulted = Vec::with_capacity(n);
    let mut informed = Vec::with_capacity(n);
    let mut key_result = Vec::with_capacity(n);
    let mut start = Vec::with_capacity(n);
    let mut deadline = Vec::with_capacity(n);
    let mut expected_output = Vec::with_capacity(n);
    let mut progress = Vec::with_capacity(n);
    let mut status = Vec::with_capacity(n);
    let mut quality = Vec::with_capacity(n);
    let mut submitted_at = Vec::with_capacity(n);
    let mut returned_at = Vec::with_capacity(n);
    let mut done_at = Vec::with_capacity(n);
    let mut plan_v = Vec::with_capacity(n);
    let mut assignment_v = Vec::with_capacity(n);
    let mut progress_v = Vec::with_capacity(n);
    let mut status_v = Vec::with_capacity(n);
    for t in tasks {
        id.push(&*t.id);
        title.push(t.title.as_str());
        unit.push(&*t.unit);
        responsible.push(&*t.responsible);
        accountable.push(t.accountable.as_deref());
        consulted.push(ids_json(&t.consulted));
        informed.push(ids_json(&t.informed));
        key_result.push(t.key_result.as_deref());
        start.push(t.start);
        deadline.push(t.deadline);
        expected_output.push(t.expected_output.as_str());
        progress.push(t.progress);
        status.push(t.status.as_str());
        quality.push(t.quality);
        submitted_at.push(t.submitted_at);
        returned_at.push(t.returned_at);
        done_at.push(t.done_at);
        plan_v.push(t.versions.plan);
        assignment_v.push(t.versions.assignment);
        progress_v.push(t.versions.progress);
        status_v.push(t.versions.status);
    }
    let sql = format!(
        "INSERT INTO tasks ({TASK_COLUMNS})
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
             $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::text[], $12::bigint[], $13::text[],
             $14::float8[], $15::bigint[], $16::bigint[], $17::bigint[], $18::bigint[], $19::bigint[],
             $20::bigint[], $21::bigint[])
         ON CONFLICT (id) DO UPDATE SET {}",
        set_excluded(TASK_COLUMNS, &["id"])
    );
    sqlx::query(&sql)
        .bind(id)
        .bind(title)
        .bind(unit)
        .bind(responsible)
        .bind(accountable)
        .bind(consulted)
        .bind(informed)
        .bind(key_result)
        .bind(start)
        .bind(deadline)
        .bind(expected_output)
        .bind(progress)
        .bind(status)
        .bind(quality)
        .bind(submitted_at)
        .bind(returned_at)
        .bind(done_at)
        .bind(plan_v)
        .bind(assignment_v)
        .bind(progress_v)
        .bind(status_v)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The audit entries, inside the caller's transaction (they land with their change or not at
/// all); their `seq` and hashes were chained by the writer, so order within the statement does
/// not matter.
pub async fn insert_audit(
    tx: &mut Transaction<'_, Postgres>,
    entries: &[Entry],
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let n = entries.len();
    let mut seq = Vec::with_capacity(n);
    let mut at = Vec::with_capacity(n);
    let mut actor = Vec::with_capacity(n);
    let mut ip = Vec::with_capacity(n);
    let mut action = Vec::with_capacity(n);
    let mut entity = Vec::with_capacity(n);
    let mut unit = Vec::with_capacity(n);
    let mut old = Vec::with_capacity(n);
    let mut new = Vec::with_capacity(n);
    let mut prev_hash = Vec::with_capacity(n);
    let mut hash = Vec::with_capacity(n);
    for e in entries {
        seq.push(e.seq);
        at.push(e.at);
        actor.push(e.actor.as_str());
        ip.push(e.ip.as_str());
        action.push(e.action.as_str());
        entity.push(e.entity.as_str());
        unit.push(e.unit.as_deref());
        old.push(e.old.as_deref());
        new.push(e.new.as_deref());
        prev_hash.push(e.prev_hash.as_str());
        hash.push(e.hash.as_str());
    }
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, ip, action, entity, unit_id, old_value, new_value, prev_hash, hash)
         SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
             $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])",
    )
    .bind(seq)
    .bind(at)
    .bind(actor)
    .bind(ip)
    .bind(action)
    .bind(entity)
    .bind(unit)
    .bind(old)
    .bind(new)
    .bind(prev_hash)
    .bind(hash)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
