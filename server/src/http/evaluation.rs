//! Evaluation of officials over HTTP (filled in with the evaluation module).

use super::error::ApiError;
use crate::domain::{FrozenScore, Period};
use crate::Node;

/// The scores of every evaluation period inside `period`, frozen when it closes.
pub async fn scores_to_freeze(_node: &Node, _period: &Period) -> Result<Vec<FrozenScore>, ApiError> {
    Ok(Vec::new())
}
