//! Time on the apply path. The rollup's clock moves only through clock events, so overdue
//! tasks (and later alert `for` durations) are a deterministic function of the log: in
//! `system` mode a ticker (`ingest/ticker.rs`) sends the wall time every second; in `manual`
//! mode only `POST /api/v1/clock` moves it, which is how tests drive time without sleeping.

use crate::domain::{time::now_ms, Ts};
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ClockMode {
    System,
    Manual,
}

impl ClockMode {
    /// Where the rollup's clock starts: the stored clock (else the epoch) for a manual clock (a restarted test
    /// resumes where it was), never earlier than the stored clock for the system one.
    pub fn start_time(self, stored: Option<Ts>) -> Ts {
        match self {
            ClockMode::Manual => stored.unwrap_or(0),
            ClockMode::System => stored.map_or_else(now_ms, |s| s.max(now_ms())),
        }
    }
}
