//! SQLite, the zero-set-up default: one file (WAL), created with its folder when missing.
//! `synchronous = FULL` so a commit, and so an acknowledgment, survives a crash and a power cut.

use super::explain::explain_store_impl;
use super::history::history_store_impl;
use super::notify_sql::notify_store_impl;
use super::public::public_store_impl;
use super::sql::sql_store_impl;
use super::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Sqlite};
use std::str::FromStr;
use std::time::Duration;

pub struct SqliteStore {
    pool: Pool<Sqlite>,
    /// The database file, when there is one (not for an in-memory database): the rebuild's task
    /// read opens it directly (`read_tasks_directly`).
    file: Option<std::path::PathBuf>,
    /// Copies the WAL back into the file off the committing connection (`sqlite_checkpoint`).
    _checkpoint: Option<super::sqlite_checkpoint::Checkpointer>,
}

impl SqliteStore {
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            // The writer's index updates and the reports' scans: a larger page cache keeps them
            // quick (the rebuild's task read has its own connection, `read_tasks`).
            .pragma("cache_size", "-65536")
            // The WAL is copied back on a thread of its own (`sqlite_checkpoint`); the commit's
            // own checkpoint at ~64 MiB is only the backstop should that thread fall behind.
            .pragma("wal_autocheckpoint", "16384");
        let file = opts.get_filename().to_path_buf();
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        if let Some(dir) = opts.get_filename().parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Config(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
        }
        // One writer at a time is SQLite's rule anyway; a few more connections serve reads.
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            // A read that cannot get a connection answers 503 soon, not after sqlx's 30 s.
            .acquire_timeout(Duration::from_secs(3))
            .connect_with(opts)
            .await?;
        sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
        let file = (!in_memory).then_some(file);
        Ok(SqliteStore {
            _checkpoint: file.clone().map(super::sqlite_checkpoint::start),
            pool,
            file,
        })
    }

    /// Every task read on a blocking thread through `rusqlite`, columns by position, and sent in
    /// batches. The rebuild at start is this read: through sqlx each row crossed to its worker
    /// thread, every value was copied and each column found by name, which cost more than
    /// SQLite's own read (`ioc bench`). Same rows, same decoding (`TaskRow` -> `Task`).
    async fn read_tasks_directly(
        &self,
        into: &tokio::sync::mpsc::Sender<Vec<crate::domain::Task>>,
    ) -> Option<Result<(), StoreError>> {
        let into = into.clone();
        self.on_own_connection("read", move |file| read_tasks(file, &into))
            .await
    }

    /// The count of tasks, for the size of the rollup's task table, on a connection of its own
    /// with a small page cache: `COUNT(*)` reads every page of an index, and through the pool
    /// it left ~28 MiB of them (at a million tasks) in a connection's cache, never read again.
    async fn count_tasks_directly(&self) -> Option<Result<i64, StoreError>> {
        self.on_own_connection("count", |file| {
            small_cache_reader(file)?
                .query_row("SELECT COUNT(*) FROM tasks", [], |r| r.get(0))
                .map_err(|e| read_failed(file, e))
        })
        .await
    }

    /// `work` on a blocking thread with the database file (`None` for an in-memory database,
    /// which only the pool can reach).
    async fn on_own_connection<T: Send + 'static>(
        &self,
        what: &str,
        work: impl FnOnce(&std::path::Path) -> Result<T, StoreError> + Send + 'static,
    ) -> Option<Result<T, StoreError>> {
        let file = self.file.clone()?;
        let done = tokio::task::spawn_blocking(move || work(&file)).await;
        Some(
            done.unwrap_or_else(|e| {
                Err(StoreError::Config(format!("the task {what} failed: {e}")))
            }),
        )
    }
}

/// SQLite writes the ingest's rows through the connection's own handle (`sqlite_direct.rs`);
/// the id check stays in the shared form (one statement per group).
impl SqliteStore {
    async fn existing_events_directly(
        &self,
        _source: &str,
        _ids: &[crate::domain::Id],
    ) -> Option<Result<std::collections::HashMap<crate::domain::Id, String>, StoreError>> {
        None
    }

    async fn insert_event_rows(
        tx: &mut sqlx::Transaction<'_, Sqlite>,
        events: &[super::EventRecord],
    ) -> Result<(), StoreError> {
        super::sqlite_direct::insert_events(tx, events).await
    }

    async fn upsert_task_rows(
        tx: &mut sqlx::Transaction<'_, Sqlite>,
        tasks: &[&crate::domain::Task],
    ) -> Result<(), StoreError> {
        super::sqlite_direct::upsert_tasks(tx, tasks).await
    }

    async fn insert_audit(
        tx: &mut sqlx::Transaction<'_, Sqlite>,
        entries: &[crate::audit::Entry],
    ) -> Result<(), StoreError> {
        super::sqlite_direct::insert_audit(tx, entries).await
    }

    /// A write transaction holds SQLite's write lock from its start (`BEGIN IMMEDIATE`): the
    /// wait for it happens in `BEGIN`, on sqlx's thread, bounded by the busy timeout. The rows
    /// written through the handle (`sqlite_direct.rs`) then never wait for a lock on the
    /// calling thread, which may be one of the runtime's; and a transaction that reads before
    /// it writes cannot fail on a snapshot another commit made stale meanwhile.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// SQLite's file is one node's: no lease, so nothing to fence.
    fn fence_with(&self, _epoch: std::sync::Arc<std::sync::atomic::AtomicI64>) {}

    // No change log: a SQLite file is one node's (`bus_log.rs`).
    fn enable_log(&self) {}

    fn last_logged(&self) -> u64 {
        0
    }

    async fn append_log(
        &self,
        _tx: &mut sqlx::Transaction<'static, Sqlite>,
        _record: &super::bus_log::Outgoing<'_>,
    ) -> Result<Option<u64>, StoreError> {
        Ok(None)
    }

    async fn hold_log(&self) -> Result<Option<(super::CommitHold, u64)>, StoreError> {
        Ok(None)
    }
}

fn read_failed(file: &std::path::Path, e: rusqlite::Error) -> StoreError {
    StoreError::Config(format!("reading the tasks of {}: {e}", file.display()))
}

/// A read-only connection for one pass over the tasks: each page is read once, so a large page
/// cache would only be memory held beside the rollup being built.
fn small_cache_reader(file: &std::path::Path) -> Result<rusqlite::Connection, StoreError> {
    use rusqlite::OpenFlags;
    let failed = |e: rusqlite::Error| read_failed(file, e);
    let conn = rusqlite::Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(failed)?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(failed)?;
    conn.pragma_update(None, "query_only", true)
        .map_err(failed)?;
    conn.pragma_update(None, "cache_size", -2048)
        .map_err(failed)?;
    Ok(conn)
}

fn read_tasks(
    file: &std::path::Path,
    into: &tokio::sync::mpsc::Sender<Vec<crate::domain::Task>>,
) -> Result<(), StoreError> {
    use super::rows::TaskRow;
    use super::sql::{TASK_COLUMNS, TASK_LOAD_BATCH};
    let failed = |e: rusqlite::Error| read_failed(file, e);
    let conn = small_cache_reader(file)?;
    let mut stmt = conn
        .prepare(&format!("SELECT {TASK_COLUMNS} FROM tasks"))
        .map_err(failed)?;
    let mut rows = stmt.query([]).map_err(failed)?;
    let mut batch = Vec::with_capacity(TASK_LOAD_BATCH);
    while let Some(r) = rows.next().map_err(failed)? {
        let row = TaskRow {
            id: r.get(0).map_err(failed)?,
            title: r.get(1).map_err(failed)?,
            unit_id: r.get(2).map_err(failed)?,
            responsible_id: r.get(3).map_err(failed)?,
            accountable_id: r.get(4).map_err(failed)?,
            consulted: r.get(5).map_err(failed)?,
            informed: r.get(6).map_err(failed)?,
            key_result_id: r.get(7).map_err(failed)?,
            start_at: r.get(8).map_err(failed)?,
            deadline: r.get(9).map_err(failed)?,
            expected_output: r.get(10).map_err(failed)?,
            progress: r.get(11).map_err(failed)?,
            status: r.get(12).map_err(failed)?,
            quality: r.get(13).map_err(failed)?,
            submitted_at: r.get(14).map_err(failed)?,
            returned_at: r.get(15).map_err(failed)?,
            done_at: r.get(16).map_err(failed)?,
            plan_v: r.get(17).map_err(failed)?,
            assignment_v: r.get(18).map_err(failed)?,
            progress_v: r.get(19).map_err(failed)?,
            status_v: r.get(20).map_err(failed)?,
        };
        batch.push(row.try_into()?);
        if batch.len() == TASK_LOAD_BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(TASK_LOAD_BATCH));
            if into.blocking_send(full).is_err() {
                return Ok(());
            }
        }
    }
    if !batch.is_empty() {
        let _ = into.blocking_send(batch);
    }
    Ok(())
}

sql_store_impl!(SqliteStore, Sqlite, "sqlite");
notify_store_impl!(SqliteStore, Sqlite);
public_store_impl!(SqliteStore);
history_store_impl!(SqliteStore);
explain_store_impl!(SqliteStore, Sqlite);
