//! The change log: the change bus's outbox on PostgreSQL (migration 0021). With several nodes,
//! each write transaction that changes what nodes hold in memory appends one record, numbered in
//! commit order, in the same transaction; the writer's relay publishes them to the Redis stream
//! and every other node applies them in order, from the stream or, when it missed some, from
//! here. One node (SQLite, or PostgreSQL without Redis) writes none.

use super::{AlertHistoryRow, AlertRow, StoreError};
use crate::domain::Change;
use serde::{Deserialize, Serialize};
use sqlx::{Postgres, Transaction};

/// One record, as a node applies it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BusRecord {
    /// The committed changes (each entity's whole new state): the rollup applies them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// Alert transitions and actions: the live alerts and the feed follow them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts: Option<AlertDelta>,
    /// What changed that a node reads back from the store instead of carrying here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reload: Vec<Reload>,
}

/// What the alert rows of one transaction did; the history entries carry their store ids.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct AlertDelta {
    pub upserts: Vec<AlertRow>,
    pub deletes: Vec<(String, String)>,
    pub history: Vec<AlertHistoryRow>,
}

/// The rarely changed things a node reads back whole from the store.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Reload {
    /// Accounts, grants, sessions, tokens: sign-ins, sign-outs, revocations.
    Security,
    Silences,
    /// The rule files were read again on the writer; each node reads its own copies.
    Rules,
    /// These people's web inboxes: a message delivered, messages marked read.
    Inbox(Vec<String>),
}

/// A record as it is written: borrowed, so the writer's changes are not copied to be logged.
#[derive(Serialize)]
pub struct Outgoing<'a> {
    #[serde(skip_serializing_if = "<[Change]>::is_empty")]
    pub changes: &'a [Change],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts: Option<AlertDeltaRef<'a>>,
    #[serde(skip_serializing_if = "<[Reload]>::is_empty")]
    pub reload: &'a [Reload],
}

#[derive(Serialize)]
pub struct AlertDeltaRef<'a> {
    pub upserts: &'a [AlertRow],
    pub deletes: &'a [(String, String)],
    pub history: &'a [AlertHistoryRow],
}

impl Outgoing<'_> {
    pub fn changes(changes: &[Change]) -> Outgoing<'_> {
        Outgoing {
            changes,
            alerts: None,
            reload: &[],
        }
    }

    pub fn reload(reload: &[Reload]) -> Outgoing<'_> {
        Outgoing {
            changes: &[],
            alerts: None,
            reload,
        }
    }
}

/// Appends `record` in `tx` and returns its number. Taking the number updates `bus_head`, which
/// the transaction then holds until it ends: the next one waits, so numbers follow commit order.
pub async fn append(
    tx: &mut Transaction<'_, Postgres>,
    record: &Outgoing<'_>,
) -> Result<u64, StoreError> {
    let body = serde_json::to_string(record)
        .map_err(|e| StoreError::Corrupt(format!("a change log record: {e}")))?;
    let seq: i64 =
        sqlx::query_scalar("UPDATE bus_head SET seq = seq + 1 WHERE id = 1 RETURNING seq")
            .fetch_one(&mut **tx)
            .await?;
    sqlx::query("INSERT INTO bus_log (seq, at_ms, body) VALUES ($1, $2, $3)")
        .bind(seq)
        .bind(crate::domain::time::now_ms())
        .bind(body)
        .execute(&mut **tx)
        .await?;
    Ok(seq as u64)
}

/// Reads a record's body back.
pub fn decode(seq: u64, body: &str) -> Result<BusRecord, StoreError> {
    serde_json::from_str(body)
        .map_err(|e| StoreError::Corrupt(format!("change log record {seq}: {e}")))
}

/// Drops each reload that an earlier record of `records` (in commit order) already asks for.
/// Every record here has committed, and a reload reads the store as it is when it runs, so the
/// first reload of a batch already sees what the later ones would: a burst of sign-ins costs a
/// follower one read of the accounts per batch it receives, not one per sign-in. The first, not
/// the last, is kept so that a revocation holds from its own record on (a client whose next
/// request waits for that commit on this node is refused, not let in while the rest of the
/// batch is applied).
pub fn coalesce(records: &mut [(u64, BusRecord)]) {
    let mut earlier: Vec<Reload> = Vec::new();
    let mut people: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (_, record) in records.iter_mut() {
        record.reload.retain_mut(|r| match r {
            Reload::Inbox(names) => {
                names.retain(|n| people.insert(n.clone()));
                !names.is_empty()
            }
            other if earlier.contains(other) => false,
            other => {
                earlier.push(other.clone());
                true
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(reload: Vec<Reload>) -> BusRecord {
        BusRecord {
            reload,
            ..BusRecord::default()
        }
    }

    #[test]
    fn only_the_first_of_each_reload_is_kept() {
        let inbox = |names: &[&str]| Reload::Inbox(names.iter().map(|n| n.to_string()).collect());
        let mut records = vec![
            (1, with(vec![Reload::Security, inbox(&["an", "binh"])])),
            (2, with(vec![Reload::Silences])),
            (3, with(vec![Reload::Security, inbox(&["binh"])])),
            (4, with(vec![])),
        ];
        coalesce(&mut records);
        let reloads: Vec<Vec<Reload>> = records.into_iter().map(|(_, r)| r.reload).collect();
        assert_eq!(
            reloads,
            vec![
                vec![Reload::Security, inbox(&["an", "binh"])],
                vec![Reload::Silences],
                vec![],
                vec![],
            ]
        );
    }
}
