//! PostgreSQL, the production system of record, used when `DATABASE_URL` is a postgres URL.

use super::explain::explain_store_impl;
use super::notify_sql::notify_store_impl;
use super::postgres_arrays;
use super::sql::sql_store_impl;
use super::StoreError;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Pool, Postgres, Transaction};

pub struct PgStore {
    pool: Pool<Postgres>,
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
        Ok(PgStore { pool })
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

    /// A write transaction: PostgreSQL's row locks need nothing more than `BEGIN`.
    async fn begin_write(
        pool: &sqlx::Pool<sqlx::Postgres>,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        pool.begin().await
    }
}

sql_store_impl!(PgStore, Postgres, "postgres");
notify_store_impl!(PgStore, Postgres);
explain_store_impl!(PgStore, Postgres);
