//! The system clock's ticker: sends the wall time to the writer every second, as a clock
//! event like any other (`clock.rs` says why time is an event). Only the `system` clock mode
//! runs it; a `manual` clock moves through `POST /api/v1/clock` alone.

use super::writer::Writer;
use crate::domain::time::now_ms;
use std::time::Duration;
use tokio::sync::watch;

/// Starts the ticker; it stops when `shutdown` turns true.
pub fn spawn(writer: Writer, mut shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = every.tick() => writer.try_tick(now_ms()),
                _ = shutdown.changed() => break,
            }
        }
    })
}
