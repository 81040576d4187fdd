//! SQLite, the zero-set-up default: one file (WAL), created with its folder when missing.
//! `synchronous = FULL` so a commit, and so an acknowledgment, survives a crash and a power cut.

use super::explain::explain_store_impl;
use super::notify_sql::notify_store_impl;
use super::sql::sql_store_impl;
use super::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Sqlite};
use std::str::FromStr;
use std::time::Duration;

pub struct SqliteStore {
    pool: Pool<Sqlite>,
}

impl SqliteStore {
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            // The rebuild reads every task at start: a larger page cache keeps that quick.
            .pragma("cache_size", "-65536")
            // Checkpoint the WAL every ~64 MiB instead of every 4 MiB: fewer, larger copies back
            // into the database file on the committing thread.
            .pragma("wal_autocheckpoint", "16384");
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
        Ok(SqliteStore { pool })
    }
}

sql_store_impl!(SqliteStore, Sqlite, "sqlite");
notify_store_impl!(SqliteStore, Sqlite);
explain_store_impl!(SqliteStore, Sqlite);
