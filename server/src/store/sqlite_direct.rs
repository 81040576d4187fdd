//! SQLite's ingest writes (events, tasks, audit entries) made on the transaction's own
//! connection through its raw handle, one prepared single-row statement per table run once per
//! row, instead of sqlx's `VALUES` lists.
//!
//! Why not sqlx here: a group of 2,000 events was three statements of 1,000 rows and up to
//! 21,000 parameters each, whose text was built, parsed and planned anew at every commit, with
//! every value copied into sqlx's arguments and once more into SQLite, and handed to sqlx's worker
//! thread; that cost about as much as SQLite's own inserts (`perf` on `ioc bench`). Here the
//! statement is parsed once per commit and each value is bound from where it lies. The handle is
//! borrowed from sqlx (`lock_handle`) inside its transaction, so these rows commit or roll back
//! with everything else the transaction writes. The rows run on the calling thread (an event
//! group's commit runs on a thread of the blocking pool; other commits on the writer's task):
//! every write transaction of this store begins `IMMEDIATE` (`sqlite.rs`, `begin_write`), so
//! they never wait here for SQLite's lock, only for its work, a few milliseconds.

// The one place the workspace's `deny(unsafe_code)` is lifted: see `each_row`.
#![allow(unsafe_code)]

use super::sql::{set_excluded, TASK_COLUMNS};
use super::{EventRecord, StoreError};
use crate::domain::Task;
use sqlx::sqlite::SqliteConnection;
use std::sync::Arc;

/// A failed statement as the store's error: busy or locked stays "unavailable" (worth a retry).
fn failed(what: &str, e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
    let message = format!("{what}: {e}");
    let busy = matches!(
        e.sqlite_error_code(),
        Some(DatabaseBusy) | Some(DatabaseLocked)
    );
    let inner = if busy {
        sqlx::Error::Io(std::io::Error::new(std::io::ErrorKind::WouldBlock, message))
    } else {
        sqlx::Error::Protocol(message)
    };
    StoreError::Database(Arc::new(inner))
}

/// Runs `sql`, prepared once, for each of `rows`, with a `rusqlite` view of the connection's
/// handle inside its open transaction.
async fn each_row<T>(
    conn: &mut SqliteConnection,
    sql: &str,
    rows: &[T],
    what: &str,
    run: impl Fn(&mut rusqlite::Statement<'_>, &T) -> Result<usize, rusqlite::Error>,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut locked = conn.lock_handle().await?;
    // SAFETY: the handle stays locked away from sqlx's worker until `locked` is dropped, after
    // `view`; `from_handle` neither closes the handle nor changes its settings, and `view` is
    // dropped (its statement finalized) before the lock is released.
    let view = unsafe { rusqlite::Connection::from_handle(locked.as_raw_handle().as_ptr()) }
        .map_err(|e| failed(what, e))?;
    let out = view
        .prepare(sql)
        .and_then(|mut stmt| rows.iter().try_for_each(|r| run(&mut stmt, r).map(|_| ())))
        .map_err(|e| failed(what, e));
    drop(view);
    drop(locked);
    out
}

pub(super) async fn insert_events(
    conn: &mut SqliteConnection,
    events: &[EventRecord],
) -> Result<(), StoreError> {
    const SQL: &str =
        "INSERT INTO events (source, event_id, kind, entity_id, at, received_at, body) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (source, event_id) DO NOTHING";
    each_row(conn, SQL, events, "writing the events", |stmt, e| {
        stmt.execute(rusqlite::params![
            e.source,
            &*e.id,
            e.kind,
            e.entity,
            e.at,
            e.received_at,
            e.body
        ])
    })
    .await
}

pub(super) async fn upsert_tasks(
    conn: &mut SqliteConnection,
    tasks: &[&Task],
) -> Result<(), StoreError> {
    use super::rows::ids_json;
    let places: Vec<String> = (1..=TASK_COLUMNS.split(',').count())
        .map(|i| format!("?{i}"))
        .collect();
    let sql = format!(
        "INSERT INTO tasks ({TASK_COLUMNS}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET {}",
        places.join(", "),
        set_excluded(TASK_COLUMNS, &["id"])
    );
    each_row(conn, &sql, tasks, "writing the tasks", |stmt, t| {
        stmt.execute(rusqlite::params![
            &*t.id,
            t.title,
            &*t.unit,
            &*t.responsible,
            t.accountable.as_deref(),
            ids_json(&t.consulted),
            ids_json(&t.informed),
            t.key_result.as_deref(),
            t.start,
            t.deadline,
            t.expected_output,
            t.progress,
            t.status.as_str(),
            t.quality,
            t.submitted_at,
            t.returned_at,
            t.done_at,
            t.versions.plan,
            t.versions.assignment,
            t.versions.progress,
            t.versions.status
        ])
    })
    .await
}

pub(super) async fn insert_audit(
    conn: &mut SqliteConnection,
    entries: &[crate::audit::Entry],
) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO audit_log (seq, at, actor, ip, action, entity, unit_id, \
         old_value, new_value, prev_hash, hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
    each_row(
        conn,
        SQL,
        entries,
        "writing the audit entries",
        |stmt, e| {
            stmt.execute(rusqlite::params![
                e.seq,
                e.at,
                e.actor,
                e.ip,
                e.action,
                e.entity,
                e.unit,
                e.old,
                e.new,
                e.prev_hash,
                e.hash
            ])
        },
    )
    .await
}
