//! The past as the store keeps it (migration 0024): `history`, one row per commit that changed
//! what the rollup holds (its changes, clock moves left out, with the server's clock when it
//! committed), and `checkpoints`, the rollup's whole state after a history row. Rows are deflated
//! JSON: a commit's changes carry whole entities, which repeat their field names and ids.
//! The `HistoryStore` interface and its SQL, written once for both backends like `sql.rs`.

use super::{Snapshot, StoreError};
use crate::domain::{Change, Ts};
use async_trait::async_trait;
use flate2::{read::DeflateDecoder, write::DeflateEncoder, Compression};
use std::io::{Read, Write};

/// One commit as history keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    pub seq: u64,
    /// The server's clock when it committed (the rollup's clock after it).
    pub at: Ts,
    pub changes: Vec<Change>,
}

/// Where a checkpoint stands: after history row `seq`, at clock `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub seq: u64,
    pub at: Ts,
}

/// The changes a commit's history row keeps: all but clock moves (the replay sets the clock of
/// the moment asked, and a clock-only commit, the ticker's every second, keeps no row).
pub fn kept(changes: &[Change]) -> Vec<&Change> {
    changes
        .iter()
        .filter(|c| !matches!(c, Change::Clock(_)))
        .collect()
}

fn deflate(json: &[u8]) -> Vec<u8> {
    // The fastest level: this runs inside the writer's commit; size matters less than time.
    let mut e = DeflateEncoder::new(Vec::with_capacity(json.len() / 4), Compression::fast());
    e.write_all(json).expect("writing to memory");
    e.finish().expect("writing to memory")
}

fn inflate(body: &[u8], what: &str) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::with_capacity(body.len() * 4);
    DeflateDecoder::new(body)
        .read_to_end(&mut out)
        .map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))?;
    Ok(out)
}

/// A history row's body: `None` when nothing but the clock changed.
pub fn encode_changes(changes: &[Change]) -> Option<Vec<u8>> {
    let kept = kept(changes);
    if kept.is_empty() {
        return None;
    }
    let json = serde_json::to_vec(&kept).expect("changes serialize");
    Some(deflate(&json))
}

pub fn decode_changes(seq: u64, body: &[u8]) -> Result<Vec<Change>, StoreError> {
    let what = format!("history row {seq}");
    let json = inflate(body, &what)?;
    serde_json::from_slice(&json).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

pub fn encode_snapshot(s: &Snapshot) -> Vec<u8> {
    deflate(&serde_json::to_vec(s).expect("a snapshot serializes"))
}

pub fn decode_snapshot(seq: u64, body: &[u8]) -> Result<Snapshot, StoreError> {
    let what = format!("checkpoint after history row {seq}");
    let json = inflate(body, &what)?;
    serde_json::from_slice(&json).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

#[async_trait]
pub trait HistoryStore: Send + Sync {
    /// The last history row's number (0: none yet).
    async fn history_head(&self) -> Result<u64, StoreError>;

    /// Up to `limit` rows after `after`, in order, committed at or before `until`.
    async fn history_after(
        &self,
        after: u64,
        until: Ts,
        limit: i64,
    ) -> Result<Vec<Commit>, StoreError>;

    /// The first checkpoint: where history begins (`None`: not yet).
    async fn first_checkpoint(&self) -> Result<Option<Mark>, StoreError>;

    /// The newest checkpoint.
    async fn last_checkpoint(&self) -> Result<Option<Mark>, StoreError>;

    /// The newest checkpoint taken at or before `at`, with its state.
    async fn checkpoint_before(&self, at: Ts) -> Result<Option<(Mark, Snapshot)>, StoreError>;

    /// Keeps a checkpoint (a second one after the same row is ignored: both are the same state).
    async fn save_checkpoint(&self, mark: Mark, snapshot: &Snapshot) -> Result<(), StoreError>;

    /// How many history rows come after `seq`, and the clock of the last one.
    async fn history_since(&self, seq: u64) -> Result<(u64, Option<Ts>), StoreError>;
}

/// The `HistoryStore` implementation for a store type.
macro_rules! history_store_impl {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::history::HistoryStore for $store {
            async fn history_head(&self) -> Result<u64, $crate::store::StoreError> {
                let seq: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM history")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(seq.unwrap_or(0) as u64)
            }

            async fn history_after(
                &self,
                after: u64,
                until: $crate::domain::Ts,
                limit: i64,
            ) -> Result<Vec<$crate::store::history::Commit>, $crate::store::StoreError> {
                let rows: Vec<(i64, i64, Vec<u8>)> = sqlx::query_as(
                    "SELECT seq, at_ms, body FROM history WHERE seq > $1 AND at_ms <= $2 ORDER BY seq LIMIT $3",
                )
                .bind(after as i64)
                .bind(until)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|(seq, at, body)| {
                        Ok($crate::store::history::Commit {
                            seq: seq as u64,
                            at,
                            changes: $crate::store::history::decode_changes(seq as u64, &body)?,
                        })
                    })
                    .collect()
            }

            async fn first_checkpoint(&self) -> Result<Option<$crate::store::history::Mark>, $crate::store::StoreError> {
                let row: Option<(i64, i64)> = sqlx::query_as("SELECT seq, at_ms FROM checkpoints ORDER BY seq LIMIT 1")
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(seq, at)| $crate::store::history::Mark { seq: seq as u64, at }))
            }

            async fn last_checkpoint(&self) -> Result<Option<$crate::store::history::Mark>, $crate::store::StoreError> {
                let row: Option<(i64, i64)> = sqlx::query_as("SELECT seq, at_ms FROM checkpoints ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|(seq, at)| $crate::store::history::Mark { seq: seq as u64, at }))
            }

            async fn checkpoint_before(
                &self,
                at: $crate::domain::Ts,
            ) -> Result<Option<($crate::store::history::Mark, $crate::store::Snapshot)>, $crate::store::StoreError> {
                let row: Option<(i64, i64, Vec<u8>)> = sqlx::query_as(
                    "SELECT seq, at_ms, body FROM checkpoints WHERE at_ms <= $1 ORDER BY seq DESC LIMIT 1",
                )
                .bind(at)
                .fetch_optional(&self.pool)
                .await?;
                let Some((seq, at, body)) = row else { return Ok(None) };
                // Inflating and parsing a city's state takes a while: off the runtime's workers.
                let snapshot = tokio::task::spawn_blocking(move || {
                    $crate::store::history::decode_snapshot(seq as u64, &body)
                })
                .await
                .map_err(|e| $crate::store::StoreError::Corrupt(format!("reading a checkpoint: {e}")))??;
                Ok(Some(($crate::store::history::Mark { seq: seq as u64, at }, snapshot)))
            }

            async fn save_checkpoint(
                &self,
                mark: $crate::store::history::Mark,
                snapshot: &$crate::store::Snapshot,
            ) -> Result<(), $crate::store::StoreError> {
                let body = $crate::store::history::encode_snapshot(snapshot);
                sqlx::query("INSERT INTO checkpoints (seq, at_ms, body) VALUES ($1, $2, $3) ON CONFLICT (seq) DO NOTHING")
                    .bind(mark.seq as i64)
                    .bind(mark.at)
                    .bind(body)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn history_since(&self, seq: u64) -> Result<(u64, Option<$crate::domain::Ts>), $crate::store::StoreError> {
                let (n, at): (i64, Option<i64>) = sqlx::query_as("SELECT COUNT(*), MAX(at_ms) FROM history WHERE seq > $1")
                    .bind(seq as i64)
                    .fetch_one(&self.pool)
                    .await?;
                Ok((n as u64, at))
            }
        }
    };
}
pub(crate) use history_store_impl;
