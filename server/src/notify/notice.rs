//! A notice: one thing one person is to be told (an alert that fired, turned red, ended, was
//! escalated or is repeated; later an explanation request or a reminder), as the outbox keeps it
//! until a message carries it. `enqueue` is how any commit adds one; `alert_notices` turns the
//! writer's alert transitions into them.

use crate::alerting::{wire_name, Notifiable};
use crate::domain::time::format_ts;
use crate::domain::Ts;
use crate::rollup::Rollup;
use crate::store::NoticeRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a message shows of a notice. Alert notices fill the alert's fields; other kinds leave
/// them empty and say what they are in the summaries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// fired, severity_changed, resolved, escalated, repeat; another kind's own word.
    pub kind: String,
    /// red, yellow or info.
    pub severity: String,
    pub unit: String,
    pub unit_name: String,
    #[serde(default)]
    pub rule: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub subject_kind: Option<String>,
    #[serde(default)]
    pub value: Option<f64>,
    #[serde(default)]
    pub threshold: Option<f64>,
    /// When the alert began firing.
    #[serde(default)]
    pub started_at: Option<Ts>,
    /// When this happened (the server's clock).
    pub at: Ts,
    pub summary_vi: String,
    pub summary_en: String,
    /// Why this person is told (unit_leader, parent_leader, task_responsible, …).
    #[serde(default)]
    pub role: Option<String>,
}

/// An item as messages and the API show it: times as RFC 3339.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ItemOut {
    /// fired, severity_changed, resolved, escalated, repeat.
    pub kind: String,
    /// red, yellow or info.
    pub severity: String,
    pub unit: String,
    pub unit_name: String,
    pub rule: Option<String>,
    pub subject: Option<String>,
    pub subject_kind: Option<String>,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    pub started_at: Option<String>,
    pub at: String,
    pub summary_vi: String,
    pub summary_en: String,
}

impl Item {
    pub fn out(&self) -> ItemOut {
        ItemOut {
            kind: self.kind.clone(),
            severity: self.severity.clone(),
            unit: self.unit.clone(),
            unit_name: self.unit_name.clone(),
            rule: self.rule.clone(),
            subject: self.subject.clone(),
            subject_kind: self.subject_kind.clone(),
            value: self.value,
            threshold: self.threshold,
            started_at: self.started_at.map(format_ts),
            at: format_ts(self.at),
            summary_vi: self.summary_vi.clone(),
            summary_en: self.summary_en.clone(),
        }
    }

    /// Red before yellow before anything else.
    pub fn rank(&self) -> u8 {
        match self.severity.as_str() {
            "red" => 0,
            "yellow" => 1,
            _ => 2,
        }
    }

    /// An alert that ended: it tells of good news, so it never counts as a warning.
    pub fn is_end(&self) -> bool {
        self.kind == "resolved"
    }
}

/// How alerts are arranged inside a message: by unit, then by rule (the grouping of the alert
/// screens); other notices by their kind.
pub fn group_key(item: &Item) -> String {
    format!(
        "{}|{}",
        item.unit,
        item.rule.as_deref().unwrap_or(item.kind.as_str())
    )
}

/// Orders a message's items: by unit (by name), then by rule, red first inside, then by time.
pub fn arrange(items: &mut [Item]) {
    items.sort_by(|a, b| {
        a.unit_name
            .cmp(&b.unit_name)
            .then(a.unit.cmp(&b.unit))
            .then(a.rule.cmp(&b.rule))
            .then(a.rank().cmp(&b.rank()))
            .then(a.at.cmp(&b.at))
            .then(a.subject.cmp(&b.subject))
    });
}

/// One thing one person is to be told, before it is in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub person: String,
    /// What caused it, unique per person: a second notice of the same cause for the same person
    /// is dropped by the store (e.g. `explanation:<id>`).
    pub source: String,
    pub item: Item,
}

/// Adds a notice to the outbox rows of a commit: `Store::commit_with` (or `save_alerts_with`)
/// writes them in the same transaction as what causes them, and the delivery worker picks them
/// up from the store (wake it with `Notifier::wake` after the commit).
pub fn enqueue(outbox: &mut Vec<NoticeRow>, notice: Notice) {
    outbox.push(row(notice.source, None, notice.person, &notice.item));
}

fn row(source: String, history: Option<usize>, person: String, item: &Item) -> NoticeRow {
    NoticeRow {
        source,
        history,
        person,
        group_key: group_key(item),
        severity: item.severity.clone(),
        kind: item.kind.clone(),
        at: item.at,
        body: serde_json::to_string(item).unwrap_or_default(),
    }
}

/// The notices of the writer's alert transitions: one per (transition, person to tell), each
/// naming its history row so its source is `alert:<seq>`; and their items, in the same order
/// (the worker keeps them, see `Notifier::wake_for`).
pub fn alert_notices(transitions: &[Notifiable], rollup: &Rollup) -> (Vec<NoticeRow>, Vec<Item>) {
    let mut out = Vec::new();
    let mut items = Vec::new();
    for n in transitions {
        let t = &n.transition;
        let unit_name = rollup
            .unit(&t.unit)
            .map_or_else(|| t.unit.clone(), |u| u.name);
        let item = Item {
            kind: wire_name(&t.kind),
            severity: wire_name(&t.severity),
            unit: t.unit.clone(),
            unit_name,
            rule: Some(t.rule.clone()),
            subject: Some(t.subject.clone()),
            subject_kind: Some(wire_name(&t.subject_kind)),
            value: t.value,
            threshold: t.threshold,
            started_at: Some(n.started_at),
            at: t.at,
            summary_vi: t.summary_vi.clone(),
            summary_en: t.summary_en.clone(),
            role: None,
        };
        for r in &t.notify {
            let item = Item {
                role: Some(r.role.as_str().to_string()),
                ..item.clone()
            };
            out.push(row(String::new(), Some(n.history), r.person.clone(), &item));
            items.push(item);
        }
    }
    (out, items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(unit: &str, unit_name: &str, rule: &str, severity: &str, at: Ts) -> Item {
        Item {
            kind: "fired".into(),
            severity: severity.into(),
            unit: unit.into(),
            unit_name: unit_name.into(),
            rule: Some(rule.into()),
            subject: Some(format!("{rule}@{unit}")),
            subject_kind: None,
            value: None,
            threshold: None,
            started_at: None,
            at,
            summary_vi: String::new(),
            summary_en: String::new(),
            role: None,
        }
    }

    #[test]
    fn a_message_reads_by_unit_then_by_rule_red_first() {
        let mut items = vec![
            item("p-2", "Phường Ba Đình", "b", "yellow", 1),
            item("p-1", "Phường Hoàn Kiếm", "a", "yellow", 1),
            item("p-2", "Phường Ba Đình", "a", "yellow", 2),
            item("p-2", "Phường Ba Đình", "a", "red", 3),
        ];
        arrange(&mut items);
        let order: Vec<(&str, &str, &str)> = items
            .iter()
            .map(|i| {
                (
                    i.unit.as_str(),
                    i.rule.as_deref().unwrap(),
                    i.severity.as_str(),
                )
            })
            .collect();
        assert_eq!(
            order,
            [
                ("p-2", "a", "red"),
                ("p-2", "a", "yellow"),
                ("p-2", "b", "yellow"),
                ("p-1", "a", "yellow"),
            ]
        );
        assert_eq!(group_key(&items[0]), "p-2|a");
    }

    #[test]
    fn enqueue_keeps_the_cause_and_the_item() {
        let mut outbox = Vec::new();
        let it = item("p-1", "Phường Hoàn Kiếm", "x", "red", 5);
        enqueue(
            &mut outbox,
            Notice {
                person: "w1".into(),
                source: "explanation:7".into(),
                item: it.clone(),
            },
        );
        assert_eq!(outbox.len(), 1);
        assert_eq!(outbox[0].source, "explanation:7");
        assert_eq!(outbox[0].history, None);
        assert_eq!(outbox[0].group_key, "p-1|x");
        let back: Item = serde_json::from_str(&outbox[0].body).unwrap();
        assert_eq!(back, it);
    }
}
