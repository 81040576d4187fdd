//! Review reports: a unit's week, month or quarter against the one before, rebuilt from what the
//! store and the rollup hold, the charts drawn for them with plotters, and the exports.
//!
//! `period.rs` (with the calendar's `domain::week`) cuts the two periods, `figures.rs` rebuilds a figure as of a
//! past instant, `review.rs` reads the inputs and computes the review, `charts.rs` draws it (SVG
//! and PNG), `tables.rs` lays it out as tables that `export.rs` writes as CSV and XLSX and
//! `html.rs` as a printable page, in the language and words of `lang.rs`; `files.rs` writes them all for `ioc report`.

pub mod charts;
pub mod evaluation;
pub mod explanations;
pub mod export;
pub mod figures;
pub mod files;
pub mod html;
pub mod lang;
pub mod meeting;
pub mod period;
pub mod review;
pub mod tables;

/// Why a review or one of its charts could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The period asked for has not begun.
    #[error("{0}")]
    Period(String),
    #[error("no unit '{0}'")]
    NoUnit(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A computation or a drawing failed: a bug, not the caller's fault.
    #[error("{0}")]
    Internal(String),
}
