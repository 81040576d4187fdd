//! Review reports: a unit's week against the week before, rebuilt from what the store and the
//! rollup hold, and the charts drawn for them with plotters.
//!
//! `week.rs` cuts the two weeks, `figures.rs` rebuilds a figure as of a past instant,
//! `review.rs` reads the inputs and computes the review, `charts.rs` draws it (SVG and PNG).

pub mod charts;
pub mod figures;
pub mod review;
pub mod week;

/// Why a review or one of its charts could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The `week` asked for is not an ISO week, or has not begun.
    #[error("{0}")]
    Week(String),
    #[error("no unit '{0}'")]
    NoUnit(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A computation or a drawing failed: a bug, not the caller's fault.
    #[error("{0}")]
    Internal(String),
}
