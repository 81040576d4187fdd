//! PostgreSQL, the production system of record, used when `DATABASE_URL` is a postgres URL.

use super::explain::explain_store_impl;
use super::history::history_store_impl;
use super::notify_sql::notify_store_impl;
use super::postgres_arrays;
use super::public::public_store_impl;
use super::sql::sql_store_impl;
use super::StoreError;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Pool, Postgres, Transaction};

pub struct PgStore {
    pool: Pool<Postgres>,
    /// The writer's lease epoch this node holds (`lease.rs`), checked by every write
    /// transaction; unset (a tool that only reads) checks nothing.
    fence: std::sync::OnceLock<std::sync::Arc<std::sync::atomic::AtomicI64>>,
    /// Whether write transactions append to the change log (`bus_log.rs`): several nodes.
    log: std::sync::atomic::AtomicBool,
    /// The last number appended to it by this node.
    logged: std::sync::atomic::AtomicU64,
}

impl PgStore {
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        // A read that cannot get a connection (the database stopped) answers 503 within a few
        // seconds, not after sqlx's 30 s default.
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(std::time::Duration::from_secs(3))
            .connect(url)
            .await?;
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        Ok(PgStore {
            pool,
            fence: std::sync::OnceLock::new(),
            log: std::sync::atomic::AtomicBool::new(false),
            logged: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// PostgreSQL's rows come through sqlx (the shared path in `sql.rs`).
    async fn read_tasks_directly(
        &self,
        _into: &tokio::sync::mpsc::Sender<Vec<crate::domain::Task>>,
    ) -> Option<Result<(), StoreError>> {
        None
    }

    async fn count_tasks_directly(&self) -> Option<Result<i64, StoreError>> {
        None
    }

    // The ingest's statements in PostgreSQL's array form (`postgres_arrays.rs`): the id check
    // (`Some`: the shared form in `sql.rs` is skipped) and the event, task and audit rows.

    async fn existing_events_directly(
        &self,
        source: &str,
        ids: &[crate::domain::Id],
    ) -> Option<Result<std::collections::HashMap<crate::domain::Id, String>, StoreError>> {
        Some(postgres_arrays::existing_events(&self.pool, source, ids).await)
    }

    async fn insert_event_rows(
        tx: &mut Transaction<'_, Postgres>,
        events: &[super::EventRecord],
    ) -> Result<(), StoreError> {
        postgres_arrays::insert_events(tx, events).await
    }

    async fn upsert_task_rows(
        tx: &mut Transaction<'_, Postgres>,
        tasks: &[&crate::domain::Task],
    ) -> Result<(), StoreError> {
        postgres_arrays::upsert_tasks(tx, tasks).await
    }

    async fn insert_audit(
        tx: &mut Transaction<'_, Postgres>,
        entries: &[crate::audit::Entry],
    ) -> Result<(), StoreError> {
        postgres_arrays::insert_audit(tx, entries).await
    }

    /// A write transaction, fenced: it first reads the lease row with a share lock and goes on
    /// only if the epoch is still this node's. A node that takes the lease over bumps the epoch
    /// with an update that waits for that lock, so a commit of the old writer either lands
    /// before the takeover (and the new writer's rebuild reads it) or is refused after it.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Postgres>, StoreError> {
        let mut tx = self.pool.begin().await?;
        if let Some(fence) = self.fence.get() {
            let mine = fence.load(std::sync::atomic::Ordering::Acquire);
            let (epoch, node): (i64, String) =
                sqlx::query_as("SELECT epoch, node FROM writer_lease WHERE id = 1 FOR SHARE")
                    .fetch_one(&mut *tx)
                    .await?;
            if epoch != mine {
                return Err(StoreError::NotWriter(format!(
                    "this node is not the writer: {node} holds the writer's lease (lease {epoch}, this node's was {mine})"
                )));
            }
        }
        Ok(tx)
    }

    fn fence_with(&self, epoch: std::sync::Arc<std::sync::atomic::AtomicI64>) {
        let _ = self.fence.set(epoch);
    }

    fn last_logged(&self) -> u64 {
        self.logged.load(std::sync::atomic::Ordering::Acquire)
    }

    fn enable_log(&self) {
        self.log.store(true, std::sync::atomic::Ordering::Release);
    }

    /// Appends `record` to the change log when it is kept (several nodes), in `tx`.
    async fn append_log(
        &self,
        tx: &mut sqlx::Transaction<'static, Postgres>,
        record: &super::bus_log::Outgoing<'_>,
    ) -> Result<Option<u64>, StoreError> {
        if !self.log.load(std::sync::atomic::Ordering::Acquire) {
            return Ok(None);
        }
        let n = super::bus_log::append(tx, record).await?;
        self.logged
            .fetch_max(n, std::sync::atomic::Ordering::AcqRel);
        Ok(Some(n))
    }

    /// Locks the change log's head in a transaction kept open by the guard: every commit that
    /// would append waits at its `bus_head` update until the guard is dropped.
    async fn hold_log(&self) -> Result<Option<(super::CommitHold, u64)>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let seq: i64 = sqlx::query_scalar("SELECT seq FROM bus_head WHERE id = 1 FOR UPDATE")
            .fetch_one(&mut *tx)
            .await?;
        Ok(Some((super::CommitHold::new(tx), seq as u64)))
    }
}

sql_store_impl!(PgStore, Postgres, "postgres");
notify_store_impl!(PgStore, Postgres);
public_store_impl!(PgStore);
history_store_impl!(PgStore);
explain_store_impl!(PgStore, Postgres);
