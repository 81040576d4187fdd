//! Early-warning rules for the operations-center server: the rule language, the built-in rules,
//! the alert state machine and promtool-style rule tests. Pure: no I/O, no clock, no threads.
//!
//! # How the server uses it
//!
//! 1. **Load rules.** [`RuleSet::load`] takes the built-in rule configuration ([`Builtins`]) and
//!    the contents of the rule files (the caller reads them). It returns every error of every
//!    file as [`RuleError`]s (`FILE:LINE:COL: FIELD: REASON`) or a complete set: never half a
//!    file. The language is documented in `RULES.md` next to this crate's `Cargo.toml`; the
//!    default pack is `rules/default.toml`.
//! 2. **Describe the world.** Give an [`Engine`] the units ([`Engine::unit`]), the KPI
//!    definitions ([`Engine::kpi`]), then what is measured: unit figures
//!    ([`Engine::unit_metrics`]), KPI series ([`Engine::series`]), key results
//!    ([`Engine::key_result`]) and tasks ([`Engine::task`]); afterwards only what changed.
//! 3. **Read transitions.** Every call returns the [`Transition`]s it caused, in order: pending,
//!    cancelled, fired, severity changed (yellow <-> red), resolved, escalated; each with its
//!    Vietnamese and English summary, labels and the people to notify.
//! 4. **Let time pass.** Time is an `i64` of milliseconds since the Unix epoch, always passed
//!    in. [`Engine::tick`] runs what the clock alone makes due (`for` and `keep_firing_for`
//!    elapsing, a KPI going stale, a deadline passing, an escalation), each at its own instant,
//!    so the outcome does not depend on how often the server ticks.
//! 5. **Persist.** [`Engine::state`] is a serde value with every live alert; after a restart
//!    [`Engine::restore`] continues from it (give the subjects again, as at start-up: unchanged
//!    values cause no transition, so nothing re-fires and `for` progress is kept).
//!    [`Engine::set_rules`] reloads rules and keeps the alerts of unchanged rules.
//! 6. **Test rules.** [`run_tests`] runs a promtool-style test file against rule sources.
//!
//! # Example
//!
//! ```
//! use alert_rules::{Builtins, Engine, UnitLevel, RuleSet, Severity, TransitionKind, Unit, UnitMetrics, MINUTE};
//!
//! let text = r#"
//! [[rule]]
//! name = "overdue_ratio_ward"
//! scope = { levels = ["ward", "commune"] }
//! metric = "tasks.overdue_ratio"
//! yellow = "> 0.15"
//! red = "> 0.25"
//! recover = "< 0.12"    # hysteresis: fires above 15 %, clears only below 12 %
//! for = "10m"
//! escalate_after = "4h"
//! summary_vi = "Cảnh báo {severity}: tỷ lệ nhiệm vụ quá hạn của {unit_name} là {value}"
//! summary_en = "Warning ({severity}): overdue task ratio of {unit_name} is {value}"
//! "#;
//! let rules = RuleSet::load(&Builtins::default(), &[("rules/wards.toml", text)])
//!     .map_err(|errors| errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))?;
//!
//! let t0: i64 = 1_767_225_600_000; // 2026-01-01, from the server's clock
//! let mut engine = Engine::new(rules.clone());
//! engine.unit(Unit { id: "hn".into(), name: "Hà Nội".into(), level: UnitLevel::City, ancestors: vec![], leader: Some("chu-tich".into()) }, t0);
//! engine.unit(Unit { id: "p-1".into(), name: "Phường Ba Đình".into(), level: UnitLevel::Ward, ancestors: vec!["hn".into()], leader: Some("ct-p1".into()) }, t0);
//!
//! let figures = UnitMetrics { tasks_overdue_ratio: Some(0.30), ..UnitMetrics::default() };
//! let t = engine.unit_metrics("p-1", figures, t0);
//! assert_eq!((t[0].kind, t[0].severity), (TransitionKind::Pending, Severity::Red));
//!
//! // No new figures: the clock alone fires it once `for` has elapsed.
//! let t = engine.tick(t0 + 10 * MINUTE);
//! assert_eq!((t[0].kind, t[0].at), (TransitionKind::Fired, t0 + 10 * MINUTE));
//! assert_eq!(t[0].summary_vi, "Cảnh báo đỏ: tỷ lệ nhiệm vụ quá hạn của Phường Ba Đình là 30%");
//! assert_eq!(t[0].notify[0].person, "ct-p1");
//!
//! // Restart: persist the state (it is serde), restore it, give the subjects again.
//! let saved = engine.state();
//! let (mut engine, ended) = Engine::restore(rules, saved);
//! assert!(ended.is_empty());
//! let now = engine.now();
//! engine.unit(Unit { id: "p-1".into(), name: "Phường Ba Đình".into(), level: UnitLevel::Ward, ancestors: vec!["hn".into()], leader: Some("ct-p1".into()) }, now);
//! assert!(engine.unit_metrics("p-1", figures, now).is_empty()); // nothing re-fires
//!
//! // 13 % is under yellow but above the recovery threshold: it keeps firing (as yellow).
//! let t = engine.unit_metrics("p-1", UnitMetrics { tasks_overdue_ratio: Some(0.13), ..figures }, now + MINUTE);
//! assert_eq!((t[0].kind, t[0].severity), (TransitionKind::SeverityChanged, Severity::Yellow));
//! let t = engine.unit_metrics("p-1", UnitMetrics { tasks_overdue_ratio: Some(0.10), ..figures }, now + 2 * MINUTE);
//! assert_eq!(t[0].kind, TransitionKind::Resolved);
//! # Ok::<(), String>(())
//! ```

mod builtin;
mod condition;
mod duration;
mod engine;
mod group;
mod inhibit;
mod metric;
mod model;
mod rule;
mod source;
mod template;
mod testing;

pub use builtin::{
    Builtins, Grace, KeyResultPace, KpiStale, KpiThresholds, TaskDueSoon, TaskOverdue,
};
pub use duration::{format_duration, parse_duration, serde_ms, DAY, HOUR, MINUTE, SECOND};
pub use engine::{
    Ack, AckError, Alert, Engine, EngineState, Recipient, State, Transition, TransitionKind,
};
pub use group::{AlertFacts, GroupBy, GroupKey, Inhibition, Inhibitor, Placement};
pub use inhibit::{Inhibit, Matcher};
pub use metric::Metric;
pub use model::{
    series_id, Frequency, IndexGroup, KeyResult, Kpi, Person, Series, Severity, SubjectKind, Task,
    TaskStatus, Thresholds, Unit, UnitLevel, UnitMetrics,
};
pub use rule::{Role, Rule, RuleSet};
pub use source::RuleError;
pub use testing::{run_tests, test_rule_files, TestReport, TestResult};
