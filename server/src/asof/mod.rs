//! The board at a past moment: a rollup rebuilt as it stood at a time by the server's clock,
//! from the nearest checkpoint before it and the history rows committed since, replayed
//! through the same apply path as live commits (`store/history.rs` keeps both). The as-of
//! rollups recently asked for are kept, so a meeting that returns to the same moment waits once.

pub mod checkpoints;

use crate::domain::{Change, Ts};
use crate::rollup::Rollup;
use crate::store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// The `[history]` table: how often the past is checkpointed, how many past moments are kept.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct HistoryConfig {
    /// A checkpoint after this many history rows (commits that changed something)…
    pub checkpoint_commits: u64,
    /// …or once this many minutes of the server's clock passed since the last one, whichever
    /// comes first (only when something was committed meanwhile).
    pub checkpoint_minutes: u64,
    /// Past moments kept in memory once rebuilt (each costs about a live rollup's memory).
    pub cached_moments: usize,
    /// How often the writer's node checks whether a checkpoint is due, in seconds.
    pub check_seconds: u64,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            checkpoint_commits: 20_000,
            checkpoint_minutes: 1_440,
            cached_moments: 2,
            check_seconds: 60,
        }
    }
}

/// Why a past moment cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum AsOfError {
    /// Before the first checkpoint: the server did not keep that past.
    #[error("no history kept for that moment (begins at {begins:?})")]
    Missing { begins: Option<Ts> },
    /// After the server's clock now.
    #[error("the moment is after the server's clock ({now})")]
    Future { now: Ts },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A past moment's rollup, built by the first request that asks for it.
type Moment = (Ts, Arc<OnceCell<Arc<Rollup>>>);

/// The past moments asked for lately, each built once however many ask at the same time.
#[derive(Clone)]
pub struct Past {
    store: Arc<dyn Store>,
    keep: usize,
    moments: Arc<Mutex<Vec<Moment>>>,
}

impl Past {
    pub fn new(store: Arc<dyn Store>, config: &HistoryConfig) -> Past {
        Past {
            store,
            keep: config.cached_moments.max(1),
            moments: Arc::default(),
        }
    }

    /// Where history begins (`None`: no checkpoint yet).
    pub async fn begins(&self) -> Result<Option<Ts>, StoreError> {
        Ok(self.store.history().first_checkpoint().await?.map(|m| m.at))
    }

    /// The rollup as it stood at `at`, where `now` is the live clock.
    pub async fn rollup_at(&self, at: Ts, now: Ts) -> Result<Arc<Rollup>, AsOfError> {
        if at > now {
            return Err(AsOfError::Future { now });
        }
        let cell = {
            let mut moments = self.moments.lock().expect("past moments");
            match moments.iter().position(|(t, _)| *t == at) {
                Some(i) => {
                    // Most recently asked last: the first is the one dropped.
                    let hit = moments.remove(i);
                    let cell = hit.1.clone();
                    moments.push(hit);
                    cell
                }
                None => {
                    let cell = Arc::new(OnceCell::new());
                    moments.push((at, cell.clone()));
                    if moments.len() > self.keep {
                        moments.remove(0);
                    }
                    cell
                }
            }
        };
        let built = cell
            .get_or_try_init(|| async { replay_to(self.store.as_ref(), at).await.map(Arc::new) })
            .await;
        if built.is_err() {
            self.moments
                .lock()
                .expect("past moments")
                .retain(|(_, c)| !Arc::ptr_eq(c, &cell));
        }
        built.cloned()
    }
}

/// History rows read at a time while replaying.
const PAGE: i64 = 500;

/// Rebuilds the rollup at `at`: the newest checkpoint at or before it, then every history row
/// committed by then, then the clock of the moment (so overdue and stale are as then).
pub async fn replay_to(store: &dyn Store, at: Ts) -> Result<Rollup, AsOfError> {
    let history = store.history();
    let Some((mark, snapshot)) = history.checkpoint_before(at).await? else {
        return Err(AsOfError::Missing {
            begins: history.first_checkpoint().await?.map(|m| m.at),
        });
    };
    let from = snapshot.clock.unwrap_or(mark.at);
    let rollup = tokio::task::spawn_blocking(move || Rollup::rebuild(snapshot, from))
        .await
        .map_err(|e| StoreError::Corrupt(format!("rebuilding a checkpoint: {e}")))?;
    let (rollup, seq) = replay(store, rollup, mark.seq, at, u64::MAX).await?;
    rollup.apply_numbered(&[Change::Clock(at)], Some(seq));
    Ok(rollup)
}

/// Applies the history rows after `after` committed by `until`, up to row `last`, to `rollup`;
/// returns it with the number of the last row applied.
pub async fn replay(
    store: &dyn Store,
    rollup: Rollup,
    after: u64,
    until: Ts,
    last: u64,
) -> Result<(Rollup, u64), StoreError> {
    let mut seq = after;
    let mut rollup = rollup;
    loop {
        let page = store.history().history_after(seq, until, PAGE).await?;
        let done = page.len() < PAGE as usize;
        let page: Vec<_> = page.into_iter().take_while(|c| c.seq <= last).collect();
        let Some(tail) = page.last() else { break };
        seq = tail.seq;
        let full = page.len();
        // Applying a page of a city's commits is CPU work: off the runtime's workers.
        rollup = tokio::task::spawn_blocking(move || {
            for c in &page {
                rollup.apply_numbered(&c.changes, Some(c.seq));
            }
            rollup
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("replaying history: {e}")))?;
        if done || full < PAGE as usize || seq >= last {
            break;
        }
    }
    Ok((rollup, seq))
}
