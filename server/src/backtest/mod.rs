//! Rule backtest: the stored history of a window replayed through two rule sets side by side,
//! the running one and a candidate, through the same apply path and the same rule engine as live
//! commits (`alerting::Alerting` on a private board). Both start from the rollup as it stood at
//! the window's start with no alert, as a freshly started server would, and see every commit of
//! the window in order, with the clock moved to each commit's time and on a fixed grid between
//! them, so `for` durations and overdue work advance as they did. Deterministic: the same history
//! and rules give the same report.

pub mod chart;
pub mod report;

use crate::alerting::{Alerting, LiveAlerts};
use crate::asof::{replay_to, AsOfError};
use crate::bus::Touched;
use crate::domain::{Change, Id, Ts};
use crate::rollup::Rollup;
use crate::store::{Store, StoreError};
use alert_rules::{RuleSet, Transition};
pub use report::{BacktestReport, Side};

/// The longest window replayed at once: a quarter and a little.
pub const MAX_DAYS: i64 = 93;
/// The clock's steps between commits: how often `for` durations and overdue work are looked at
/// again when nothing is committed (the live ticker does it every second; a quarter at that pace
/// would be millions of steps for the same transitions within the step).
pub const STEP: Ts = 15 * 60_000;
/// History rows read at a time.
const PAGE: i64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    #[error("the window is empty or reversed: from must be before to")]
    Reversed,
    #[error("the window is {days} days; at most {MAX_DAYS} are replayed at once")]
    TooLong { days: i64 },
    #[error(transparent)]
    AsOf(#[from] AsOfError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to replay.
pub struct Window {
    pub from: Ts,
    pub to: Ts,
    /// Only alerts of this unit's subtree are counted (the whole tree is replayed: a unit's
    /// figures depend on nothing outside it, but its rules may name its ancestors).
    pub unit: Option<Id>,
}

/// Replays `window` through `running` and `candidate`; `progress` hears the clock now and then.
pub async fn run(
    store: &dyn Store,
    window: &Window,
    running: RuleSet,
    candidate: RuleSet,
    mut progress: impl FnMut(Ts, Ts, Ts),
) -> Result<BacktestReport, BacktestError> {
    if window.to <= window.from {
        return Err(BacktestError::Reversed);
    }
    let days = (window.to - window.from).div_euclid(86_400_000);
    if days > MAX_DAYS {
        return Err(BacktestError::TooLong { days });
    }
    let rollup = replay_to(store, window.from).await?;
    let mut sides = Sides::start(running, candidate, &rollup);
    let mut rollup = rollup;
    let mut seq = rollup.commit();
    let mut now = window.from;
    loop {
        let page = store.history().history_after(seq, window.to, PAGE).await?;
        let last_page = page.len() < PAGE as usize;
        let Some(tail) = page.last() else { break };
        seq = tail.seq;
        let until = window.to;
        // Replaying is CPU work: off the runtime's workers, the page and its state moved there.
        let (r, s, n) = tokio::task::spawn_blocking(move || {
            let mut now = now;
            for c in &page {
                sides.clock_to(&rollup, &mut now, c.at.min(until));
                sides.commit(&rollup, &c.changes);
            }
            (rollup, sides, now)
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("replaying history: {e}")))?;
        (rollup, sides, now) = (r, s, n);
        progress(window.from, now, window.to);
        if last_page {
            break;
        }
    }
    let to = window.to;
    let (rollup, sides) = tokio::task::spawn_blocking(move || {
        sides.clock_to(&rollup, &mut now, to);
        (rollup, sides)
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("replaying history: {e}")))?;
    progress(window.from, window.to, window.to);
    Ok(report::build(
        window,
        &rollup,
        sides.running.1,
        sides.candidate.1,
    ))
}

/// The two engines and what each has raised so far.
struct Sides {
    running: (Alerting, Vec<Transition>),
    candidate: (Alerting, Vec<Transition>),
}

impl Sides {
    fn start(running: RuleSet, candidate: RuleSet, rollup: &Rollup) -> Sides {
        let side = |rules| {
            let (a, writes) =
                Alerting::start(rules, vec![], vec![], vec![], rollup, LiveAlerts::default());
            (a, transitions(writes))
        };
        Sides {
            running: side(running),
            candidate: side(candidate),
        }
    }

    /// Moves the clock to `to` in steps of `STEP`, as the ticker would have.
    fn clock_to(&mut self, rollup: &Rollup, now: &mut Ts, to: Ts) {
        while *now < to {
            *now = (*now + STEP).min(to);
            self.commit(rollup, &[Change::Clock(*now)]);
        }
    }

    /// One commit, as the writer applies it: touched units read first, then the rollup, then
    /// each engine fed what changed.
    fn commit(&mut self, rollup: &Rollup, changes: &[Change]) {
        let touched = Touched::of(changes, rollup);
        self.running.0.before_apply(&touched);
        self.candidate.0.before_apply(&touched);
        rollup.apply(changes);
        for (engine, seen) in [&mut self.running, &mut self.candidate] {
            seen.extend(transitions(engine.after_apply(changes, rollup)));
        }
    }
}

fn transitions(writes: crate::alerting::AlertWrites) -> Vec<Transition> {
    writes
        .history
        .iter()
        .filter_map(|h| serde_json::from_str(&h.body).ok())
        .collect()
}
