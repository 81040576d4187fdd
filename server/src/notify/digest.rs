//! What the server's clock alone makes due: repeats of a red nobody acknowledged (every
//! `repeat_minutes`, to the people the alert was addressed to, as notices that then travel like
//! any other), and each leader's daily digest at their hour (what is red in the units they lead,
//! what turned red since the last digest, which KPI data was not entered, which tasks await
//! their acceptance, and the yellow alerts their policy keeps for the digest). Both are keyed so
//! that they are made once, whatever the restarts: a repeat by (alert, red since, n-th), a digest
//! by (person, day).

use super::compose::{day_label, Content, Digest, Section, TaskLine};
use super::notice::{group_key, Item};
use super::policy::Route;
use super::worker::Worker;
use crate::alerting::{is_silenced, wire_name, StoredAlert};
use crate::domain::{Id, TaskStatus, Ts};
use crate::store::notify::NoticeRow;
use crate::store::StoreError;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Entries a digest section lists.
const SECTION: usize = 20;

/// The builtin rule that says a KPI's data was not entered.
const STALE_RULE: &str = "builtin.kpi_stale";

fn alert_item(a: &StoredAlert, unit_name: String, kind: &str, at: Ts) -> Item {
    let e = &a.engine;
    Item {
        kind: kind.into(),
        severity: wire_name(&e.severity),
        unit: e.unit.clone(),
        unit_name,
        rule: Some(e.rule.clone()),
        subject: Some(e.subject.clone()),
        subject_kind: Some(wire_name(&e.subject_kind)),
        value: e.value,
        threshold: None,
        started_at: Some(e.fired_at.unwrap_or(e.active_since)),
        at,
        summary_vi: a.summary_vi.clone(),
        summary_en: a.summary_en.clone(),
        role: None,
    }
}

impl Worker {
    fn unit_name(&self, unit: &str) -> String {
        self.rollup
            .unit(unit)
            .map_or_else(|| unit.to_string(), |u| u.name)
    }

    /// Adds a repeat notice for every red, firing, unacknowledged, unsilenced alert whose
    /// person's `repeat_minutes` has passed again since it turned red.
    pub(super) async fn repeats(&mut self, now: Ts) -> Result<(), StoreError> {
        let reds: Vec<std::sync::Arc<StoredAlert>> = self.alerts.read(|b| {
            b.alerts
                .values()
                .filter(|a| {
                    let e = &a.engine;
                    e.state == alert_rules::State::Firing
                        && e.severity == alert_rules::Severity::Red
                        && e.acknowledged
                            .as_ref()
                            .is_none_or(|k| k.at < e.severity_since)
                        && !a.notify.is_empty()
                        && !is_silenced(&b.silences, &self.rollup, &e.rule, &e.unit, now)
                })
                .cloned()
                .collect()
        });
        if reds.is_empty() {
            return Ok(());
        }
        let persons: Vec<String> = reds
            .iter()
            .flat_map(|a| a.notify.iter().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let policies = self.policies(&persons).await?;
        let mut rows = Vec::new();
        for a in &reds {
            let e = &a.engine;
            for person in &a.notify {
                let Some(p) = policies.get(person) else {
                    continue;
                };
                if p.repeat_ms <= 0 || now - e.severity_since < p.repeat_ms {
                    continue;
                }
                let n = (now - e.severity_since) / p.repeat_ms;
                let source = format!("repeat:{}|{}|{}|{n}", e.rule, e.subject, e.severity_since);
                if !self.repeats_seen.insert(format!("{person}\u{1f}{source}")) {
                    continue;
                }
                let item = alert_item(
                    a,
                    self.unit_name(&e.unit),
                    "repeat",
                    e.severity_since + n * p.repeat_ms,
                );
                rows.push(NoticeRow {
                    source,
                    history: None,
                    person: person.clone(),
                    group_key: group_key(&item),
                    severity: item.severity.clone(),
                    kind: item.kind.clone(),
                    at: item.at,
                    body: serde_json::to_string(&item).unwrap_or_default(),
                });
            }
        }
        if self.repeats_seen.len() > 200_000 {
            // Only a saving: the store refuses a repeat it has.
            self.repeats_seen.clear();
        }
        if !rows.is_empty() {
            let added = self.store.notify().add_notices(&rows).await?;
            metrics::counter!("ioc_notify_repeats_total").increment(added);
        }
        Ok(())
    }

    /// Makes the digests whose time the clock passed between `before` and `now`.
    pub(super) async fn digests(&mut self, before: Ts, now: Ts) -> Result<(), StoreError> {
        let units = self.rollup.units();
        let mut led: HashMap<String, Vec<Id>> = HashMap::new();
        for u in &units {
            if let Some(l) = &u.leader {
                led.entry(l.to_string()).or_default().push(u.id.clone());
            }
        }
        // Leaders, and anyone with notices kept for a digest.
        let mut candidates: BTreeSet<String> = led.keys().cloned().collect();
        candidates.extend(
            self.store
                .notify()
                .waiting()
                .await?
                .into_iter()
                .map(|w| w.person),
        );
        let candidates: Vec<String> = candidates.into_iter().collect();
        let policies = self.policies(&candidates).await?;
        let due: Vec<&String> = candidates
            .iter()
            .filter(|p| {
                policies
                    .get(*p)
                    .and_then(|pol| pol.digest_time(now))
                    .is_some_and(|t| before < t && t <= now)
            })
            .collect();
        if due.is_empty() {
            return Ok(());
        }
        // One scan of the tasks for every digest of this pass.
        let submitted = self
            .rollup
            .tasks_where(|t| t.status == TaskStatus::Submitted);
        for person in due {
            let policy = &policies[person];
            let roots = led.get(person).cloned().unwrap_or_default();
            let scope: HashSet<String> = roots
                .iter()
                .flat_map(|r| self.rollup.subtree(r))
                .map(|u| u.to_string())
                .collect();
            let mut digest = Digest {
                date: day_label(now),
                ..Digest::default()
            };
            if !scope.is_empty() {
                let (red_now, stale): (Vec<Item>, Vec<Item>) = self.alerts.read(|b| {
                    let mut red = Vec::new();
                    let mut stale = Vec::new();
                    for a in b.alerts.values().filter(|a| {
                        a.engine.state == alert_rules::State::Firing
                            && scope.contains(&a.engine.unit)
                    }) {
                        if a.engine.severity == alert_rules::Severity::Red {
                            red.push(a.clone());
                        }
                        if a.engine.rule == STALE_RULE {
                            stale.push(a.clone());
                        }
                    }
                    let item = |a: &std::sync::Arc<StoredAlert>| {
                        alert_item(a, self.unit_name(&a.engine.unit), "fired", now)
                    };
                    (
                        red.iter().map(item).collect(),
                        stale.iter().map(item).collect(),
                    )
                });
                digest.red_now = Section::of(red_now, SECTION);
                digest.not_entered = Section::of(stale, SECTION);
                digest.turned_red =
                    Section::of(self.turned_red(person, &scope, now).await?, SECTION);
            }
            let awaiting: Vec<TaskLine> = submitted
                .iter()
                .filter(|t| match &t.accountable {
                    Some(a) => a.as_ref() == person.as_str(),
                    None => scope.contains(t.unit.as_ref()),
                })
                .map(|t| TaskLine {
                    id: t.id.to_string(),
                    title: t.title.clone(),
                    unit: t.unit.to_string(),
                    unit_name: self.unit_name(&t.unit),
                    responsible_name: self.person_name(&t.responsible),
                    submitted_at: t.submitted_at,
                })
                .collect();
            digest.awaiting = Section::of(awaiting, SECTION);
            // What the person's policy kept for the digest.
            let mut held_ids = Vec::new();
            let mut held = Vec::new();
            let waiting: Vec<_> = self
                .store
                .notify()
                .waiting_notices(&[person.to_string()])
                .await?
                .into_iter()
                .filter(|n| policy.route(&n.severity) == Route::Digest)
                .collect();
            for (n, item) in self.with_items(waiting).await? {
                if let Some(item) = item {
                    if item.is_end() && !policy.send_resolved {
                        continue;
                    }
                    held_ids.push(n.id);
                    held.push(item);
                }
            }
            if digest.is_empty() && held.is_empty() {
                continue;
            }
            let unit = roots
                .first()
                .map(|u| u.to_string())
                .unwrap_or_else(|| self.common_unit(&held));
            let mut content =
                Content::new("digest", person, &self.person_name(person), now, unit, held);
            content.digest = Some(digest);
            let dedup = format!("digest:{person}:{}", day_label(now));
            self.save_message(content, Some(dedup), &held_ids, &[])
                .await?;
        }
        Ok(())
    }

    /// Alerts of the scope that turned red since the person's last digest (a day at most).
    async fn turned_red(
        &self,
        person: &str,
        scope: &HashSet<String>,
        now: Ts,
    ) -> Result<Vec<Item>, StoreError> {
        let since = self
            .store
            .notify()
            .last_message_at(person, "digest")
            .await?
            .unwrap_or(now - crate::domain::time::DAY)
            .max(now - 7 * crate::domain::time::DAY);
        // The whole tree: no unit list (thousands of parameters) for the city's leader.
        let all = scope.len() >= self.rollup.unit_ids().len();
        let units: Vec<String> = if all {
            Vec::new()
        } else {
            scope.iter().cloned().collect()
        };
        let rows = self
            .store
            .alert_history_between(&units, since, now + 1)
            .await?;
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for r in rows.into_iter().rev() {
            if r.severity != "red"
                || !matches!(r.kind.as_str(), "fired" | "severity_changed")
                || !seen.insert((r.rule.clone(), r.subject.clone()))
            {
                continue;
            }
            let Ok(t) = serde_json::from_str::<alert_rules::Transition>(&r.body) else {
                continue;
            };
            out.push(Item {
                kind: r.kind.clone(),
                severity: r.severity.clone(),
                unit: r.unit.clone(),
                unit_name: self.unit_name(&r.unit),
                rule: Some(r.rule.clone()),
                subject: Some(r.subject.clone()),
                subject_kind: Some(wire_name(&t.subject_kind)),
                value: t.value,
                threshold: t.threshold,
                started_at: Some(t.at),
                at: t.at,
                summary_vi: t.summary_vi,
                summary_en: t.summary_en,
                role: None,
            });
        }
        Ok(out)
    }
}
