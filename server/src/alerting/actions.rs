//! What people do to alerts: acknowledge, assign, silence, reload the rules. Each is decided
//! here against the engine and the live alerts and comes back as the rows to write with its
//! audit draft; the writer commits it in order with everything else.

use super::{AlertWrites, Alerting};
use crate::audit::{Draft, Who};
use crate::domain::time::format_ts;
use crate::rollup::Rollup;
use crate::store::{SilenceRow, StoreError};

/// What people do to alerts, through the writer so it is ordered with everything else.
pub enum AlertAction {
    Acknowledge {
        rule: String,
        subject: String,
        by: String,
        comment: Option<String>,
    },
    Assign {
        rule: String,
        subject: String,
        person: String,
        by: String,
    },
    Silence(SilenceRow),
    ReloadRules(alert_rules::RuleSet),
}

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("{0}")]
    NotFound(String),
    #[error("alerting is not running on this node")]
    Disabled,
    #[error("the store refused the write")]
    Store(#[from] StoreError),
    #[error("the writer has stopped")]
    Closed,
}

/// An action decided: what the writer commits, with the action's audit draft.
pub enum Acted {
    /// Alert rows to write (the history entry is what screens are told).
    Writes(AlertWrites, Draft),
    /// A silence to store, where it gets its id; then `Alerting::add_silence`.
    Silence(SilenceRow, Draft),
}

impl Alerting {
    /// Decides an action taken by `who`, at the rollup's time.
    pub fn act(
        &mut self,
        action: AlertAction,
        who: Who,
        rollup: &Rollup,
    ) -> Result<Acted, AlertError> {
        let now = rollup.now();
        let draft = |action: &str, entity: String, unit: Option<String>, new: serde_json::Value| {
            Draft::new(who.clone(), action, entity, unit, None, Some(new))
        };
        let (writes, draft) = match action {
            AlertAction::Acknowledge {
                rule,
                subject,
                by,
                comment,
            } => {
                let w = self
                    .acknowledge(&rule, &subject, &by, comment.clone(), now)
                    .map_err(AlertError::NotFound)?;
                let unit = w.upserts.first().map(|a| a.unit.clone());
                let d = draft(
                    "alert.acknowledge",
                    format!("alert:{rule}/{subject}"),
                    unit,
                    serde_json::json!({"acknowledged_by": by, "comment": comment}),
                );
                (w, d)
            }
            AlertAction::Assign {
                rule,
                subject,
                person,
                by,
            } => {
                let w = self
                    .assign(&rule, &subject, &person, &by, now)
                    .map_err(AlertError::NotFound)?;
                let unit = w.upserts.first().map(|a| a.unit.clone());
                let d = draft(
                    "alert.assign",
                    format!("alert:{rule}/{subject}"),
                    unit,
                    serde_json::json!({"assigned_to": person, "by": by}),
                );
                (w, d)
            }
            AlertAction::Silence(s) => {
                let d = draft(
                    "alert.silence",
                    format!("silence:{}", s.rule.as_deref().unwrap_or("*")),
                    s.unit.clone(),
                    serde_json::json!({"rule": s.rule, "unit": s.unit, "until": format_ts(s.until), "reason": s.reason, "by": s.created_by}),
                );
                return Ok(Acted::Silence(s, d));
            }
            AlertAction::ReloadRules(rules) => {
                let n = rules.rules().count();
                let w = self.set_rules(rules, rollup);
                let d = draft(
                    "rules.reload",
                    "rules".into(),
                    None,
                    serde_json::json!({"rules": n}),
                );
                (w, d)
            }
        };
        Ok(Acted::Writes(writes, draft))
    }
}
