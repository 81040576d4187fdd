//! Taking checkpoints of the past, on the writer's node and off the writer's path: the next
//! checkpoint is the last one with the history rows since replayed onto it, so the live rollup
//! is never locked to be copied and the checkpoint is exactly the state after its row.

use super::{replay, HistoryConfig};
use crate::domain::Ts;
use crate::rollup::Rollup;
use crate::store::history::Mark;
use crate::store::{Store, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Where history begins: when the store has no checkpoint yet (a new database, or one from
/// before history was kept), the state the rollup was just rebuilt from is the first one.
/// Called before the writer starts, so nothing has been committed since the rollup was read.
pub async fn ensure_base(store: &dyn Store, rollup: &Rollup) -> Result<Option<Mark>, StoreError> {
    let history = store.history();
    if history.first_checkpoint().await?.is_some() {
        return Ok(None);
    }
    let mark = Mark {
        seq: history.history_head().await?,
        at: rollup.now(),
    };
    let snapshot = rollup.snapshot();
    history.save_checkpoint(mark, &snapshot).await?;
    tracing::info!(at = mark.at, "history begins: first checkpoint kept");
    Ok(Some(mark))
}

/// Takes a checkpoint when enough was committed since the last one; returns the one taken.
pub async fn take_if_due(
    store: &dyn Store,
    config: &HistoryConfig,
) -> Result<Option<Mark>, StoreError> {
    let history = store.history();
    let Some(last) = history.last_checkpoint().await? else {
        return Ok(None);
    };
    let (rows, newest) = history.history_since(last.seq).await?;
    let Some(newest) = newest else {
        return Ok(None);
    };
    let waited = newest.saturating_sub(last.at) >= (config.checkpoint_minutes as Ts) * 60_000;
    if rows < config.checkpoint_commits && !waited {
        return Ok(None);
    }
    take(store).await.map(Some)
}

/// Takes a checkpoint after the newest history row now.
pub async fn take(store: &dyn Store) -> Result<Mark, StoreError> {
    let history = store.history();
    let head = history.history_head().await?;
    let Some((mark, snapshot)) = history.checkpoint_before(Ts::MAX).await? else {
        return Err(StoreError::Corrupt(
            "no first checkpoint to start from".into(),
        ));
    };
    let from = snapshot.clock.unwrap_or(mark.at);
    let rollup = tokio::task::spawn_blocking(move || Rollup::rebuild(snapshot, from))
        .await
        .map_err(|e| StoreError::Corrupt(format!("rebuilding a checkpoint: {e}")))?;
    let (rollup, seq) = replay(store, rollup, mark.seq, Ts::MAX, head).await?;
    if seq == mark.seq {
        return Ok(mark);
    }
    let at = history
        .history_after(seq - 1, Ts::MAX, 1)
        .await?
        .first()
        .map_or(mark.at, |c| c.at);
    // The rollup's clock stays at the last checkpoint's: the replay of a later moment sets its
    // own, and a checkpoint must not claim a clock its rows did not have.
    rollup.apply(&[crate::domain::Change::Clock(at)]);
    let (snapshot, rollup) = tokio::task::spawn_blocking(move || (rollup.snapshot(), rollup))
        .await
        .map_err(|e| StoreError::Corrupt(format!("copying a checkpoint: {e}")))?;
    drop(rollup);
    let new = Mark { seq, at };
    history.save_checkpoint(new, &snapshot).await?;
    metrics::counter!("ioc_history_checkpoints_total").increment(1);
    tracing::info!(seq, at, "history checkpoint kept");
    Ok(new)
}

/// Checks every `check_seconds` whether a checkpoint is due, until `shutdown` turns true.
pub fn spawn(
    store: Arc<dyn Store>,
    config: HistoryConfig,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(config.check_seconds.max(1)));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = every.tick() => {
                    if let Err(e) = take_if_due(store.as_ref(), &config).await {
                        tracing::warn!(error = %e, "history checkpoint failed; tried again at the next check");
                    }
                }
                _ = shutdown.changed() => break,
            }
        }
    })
}
