//! The public boards as served: each (unit, language) built once and kept as JSON bytes until
//! something it shows changes, rebuilt by one request at a time however many citizens ask, at
//! most once a second, and pushed to the board's live readers. So a burst of readers costs the
//! store one read a second per board, and the writer nothing.

use super::{board, PublicConfig};
use crate::bus::Committed;
use crate::domain::Id;
use crate::i18n::Lang;
use crate::rollup::Rollup;
use crate::store::{Store, StoreError};
use axum::body::Bytes;
use dashmap::DashMap;
use sha2::Digest;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, watch};

/// A board changed more recently than this is served as built (changes coalesce).
const COALESCE: Duration = Duration::from_secs(1);
/// Even unchanged, a board is rebuilt this often: values go stale and months turn with time.
const MAX_AGE: Duration = Duration::from_secs(60);

/// One board as served: the JSON and its entity tag.
#[derive(Debug, Clone)]
pub struct Served {
    pub body: Bytes,
    pub etag: String,
}

#[derive(Clone)]
pub struct PublicBoards {
    inner: Arc<Inner>,
}

struct Inner {
    rollup: Arc<Rollup>,
    store: Arc<dyn Store>,
    config: Arc<PublicConfig>,
    entries: DashMap<(Id, Lang), Arc<Entry>>,
    /// Turns true when the server stops: live streams end so the graceful shutdown can finish.
    closing: watch::Sender<bool>,
}

struct Entry {
    built: Mutex<Option<Built>>,
    /// Held while the board is rebuilt, so readers arriving meanwhile wait for that one build.
    building: tokio::sync::Mutex<()>,
    live: watch::Sender<Option<Served>>,
}

struct Built {
    served: Served,
    at: Instant,
    dirty: bool,
}

impl Entry {
    fn fresh(&self) -> Option<Served> {
        let built = self.built.lock().expect("board lock");
        let b = built.as_ref()?;
        let age = b.at.elapsed();
        (age < COALESCE || (!b.dirty && age < MAX_AGE)).then(|| b.served.clone())
    }
    /// The board as last built, however old.
    fn any(&self) -> Option<Served> {
        self.built
            .lock()
            .expect("board lock")
            .as_ref()
            .map(|b| b.served.clone())
    }
    fn mark_dirty(&self) {
        if let Some(b) = self.built.lock().expect("board lock").as_mut() {
            b.dirty = true;
        }
    }
    /// Whether the live readers are owed a new board.
    fn owed(&self) -> bool {
        self.live.receiver_count() > 0
            && self
                .built
                .lock()
                .expect("board lock")
                .as_ref()
                .is_some_and(|b| b.dirty || b.at.elapsed() >= MAX_AGE)
    }
}

impl PublicBoards {
    pub fn new(rollup: Arc<Rollup>, store: Arc<dyn Store>, config: Arc<PublicConfig>) -> Self {
        PublicBoards {
            inner: Arc::new(Inner {
                rollup,
                store,
                config,
                entries: DashMap::new(),
                closing: watch::channel(false).0,
            }),
        }
    }

    pub fn config(&self) -> &PublicConfig {
        &self.inner.config
    }

    /// The entry of a unit that has a public board (none kept for any other id, so made-up
    /// addresses cannot grow the cache).
    fn entry(&self, unit: &str, lang: Lang) -> Option<Arc<Entry>> {
        if let Some(e) = self.inner.entries.get(&(Id::from(unit), lang)) {
            return Some(e.clone());
        }
        board::public_unit(&self.inner.rollup, unit)?;
        Some(
            self.inner
                .entries
                .entry((Id::from(unit), lang))
                .or_insert_with(|| {
                    Arc::new(Entry {
                        built: Mutex::new(None),
                        building: tokio::sync::Mutex::new(()),
                        live: watch::channel(None).0,
                    })
                })
                .clone(),
        )
    }

    /// The board of `unit` in `lang`; `None` when the unit has no public board.
    pub async fn get(&self, unit: &str, lang: Lang) -> Result<Option<Served>, StoreError> {
        let Some(entry) = self.entry(unit, lang) else {
            return Ok(None);
        };
        if let Some(s) = entry.fresh() {
            metrics::counter!("ioc_public_board_reads_total", "from" => "cache").increment(1);
            return Ok(Some(s));
        }
        // One reader rebuilds; the others are served the board as it was meanwhile (stale by a
        // second or so), or wait for the build when there is none yet.
        let _building = match entry.building.try_lock() {
            Ok(g) => g,
            Err(_) => {
                if let Some(s) = entry.any() {
                    metrics::counter!("ioc_public_board_reads_total", "from" => "stale")
                        .increment(1);
                    return Ok(Some(s));
                }
                entry.building.lock().await
            }
        };
        if let Some(s) = entry.fresh() {
            metrics::counter!("ioc_public_board_reads_total", "from" => "cache").increment(1);
            return Ok(Some(s));
        }
        metrics::counter!("ioc_public_board_reads_total", "from" => "build").increment(1);
        self.build(unit, lang, &entry).await
    }

    async fn build(
        &self,
        unit: &str,
        lang: Lang,
        entry: &Entry,
    ) -> Result<Option<Served>, StoreError> {
        let i = &self.inner;
        let started = Instant::now();
        let Some(b) = board::board(&i.rollup, &*i.store, &i.config, unit, lang).await? else {
            return Ok(None);
        };
        let body = Bytes::from(serde_json::to_vec(&b).expect("a board serializes"));
        let etag = format!("\"{}\"", &hex::encode(sha2::Sha256::digest(&body))[..20]);
        let served = Served { body, etag };
        *entry.built.lock().expect("board lock") = Some(Built {
            served: served.clone(),
            at: Instant::now(),
            dirty: false,
        });
        entry.live.send_replace(Some(served.clone()));
        metrics::histogram!("ioc_public_board_build_seconds")
            .record(started.elapsed().as_secs_f64());
        Ok(Some(served))
    }

    /// The board's live feed: the current board, then each rebuilt one. `None` without a board.
    pub fn subscribe(&self, unit: &str, lang: Lang) -> Option<watch::Receiver<Option<Served>>> {
        self.entry(unit, lang).map(|e| e.live.subscribe())
    }

    /// Ends every live stream (the server is stopping).
    pub fn close_streams(&self) {
        self.inner.closing.send_replace(true);
    }

    /// Turns true when the live streams must end.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.inner.closing.subscribe()
    }

    /// Marks the boards a commit touched, and rebuilds those with live readers once a second.
    pub fn spawn(
        &self,
        mut bus: broadcast::Receiver<Arc<Committed>>,
        mut shutdown: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(COALESCE);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    c = bus.recv() => match c {
                        Ok(c) => this.touched(Some(&c)),
                        Err(broadcast::error::RecvError::Lagged(_)) => this.touched(None),
                        Err(broadcast::error::RecvError::Closed) => break,
                    },
                    _ = tick.tick() => this.refresh_live().await,
                    _ = shutdown.changed() => break,
                }
            }
        })
    }

    /// `None`: every board (the bus lagged).
    fn touched(&self, c: Option<&Committed>) {
        for e in self.inner.entries.iter() {
            let hit = c.is_none_or(|c| {
                let t = &c.touched;
                t.everything || t.units.contains(&e.key().0) || t.kpi_units.contains(&e.key().0)
            });
            if hit {
                e.value().mark_dirty();
            }
        }
    }

    async fn refresh_live(&self) {
        let owed: Vec<(Id, Lang, Arc<Entry>)> = self
            .inner
            .entries
            .iter()
            .filter(|e| e.value().owed())
            .map(|e| (e.key().0.clone(), e.key().1, e.value().clone()))
            .collect();
        for (unit, lang, entry) in owed {
            let _building = entry.building.lock().await;
            if let Err(e) = self.build(&unit, lang, &entry).await {
                tracing::warn!(unit = %unit, error = %e, "a public board could not be rebuilt");
            }
        }
    }
}
