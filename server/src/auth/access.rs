//! Who may change what: the responsibility rules of SECURITY.md, asked by the writer against
//! the state a change applies to (so no other write can slip in between check and commit), and
//! the role checks of the administrative routes.

use super::{Denied, Permission, Principal, Role, EVERYWHERE};
use crate::domain::{Task, TaskStatus};
use crate::rollup::Rollup;

fn forbidden(reason: impl Into<String>) -> Denied {
    Denied::Forbidden(reason.into())
}

/// Which parts of a task an event touches.
#[derive(Debug, Clone, Copy, Default)]
pub struct TaskTouch {
    pub plan_or_assignment: bool,
    pub progress: bool,
    pub status: Option<TaskStatus>,
    pub quality: bool,
}

impl Principal {
    fn is(&self, person: Option<&crate::domain::Id>) -> bool {
        match (self.person(), person) {
            (Some(me), Some(p)) => me == p,
            _ => false,
        }
    }

    /// Tokens act by permission and unit; people by role and responsibility.
    fn token_may(&self, rollup: &Rollup, permission: Permission, unit: &str) -> Option<bool> {
        match self {
            Principal::Token(t) => Some(
                t.permissions.contains(&permission) && self.holds(rollup, unit, &[Role::Viewer]),
            ),
            _ => None,
        }
    }

    /// Holds one of `roles` over the whole tree (a grant at `*`).
    pub fn holds_everywhere(&self, roles: &[Role]) -> bool {
        match self {
            Principal::System(_) => true,
            Principal::Account { account, .. } => account
                .grants
                .iter()
                .any(|g| g.unit == EVERYWHERE && roles.contains(&g.role)),
            _ => false,
        }
    }
}

/// May `who` make this change to a task (`before`: as it stands; `after`: as it would be)?
pub fn task_change(
    who: &Principal,
    rollup: &Rollup,
    before: Option<&Task>,
    after: &Task,
    touch: TaskTouch,
) -> Result<(), Denied> {
    if matches!(who, Principal::System(_)) {
        return Ok(());
    }
    let task = before.unwrap_or(after);
    if let Some(ok) = who.token_may(rollup, Permission::Task, &task.unit) {
        let moved_ok = who
            .token_may(rollup, Permission::Task, &after.unit)
            .unwrap_or(false);
        return if ok && moved_ok {
            Ok(())
        } else {
            Err(forbidden(format!(
                "this token may not send task events for unit '{}'",
                after.unit
            )))
        };
    }
    let leader = |unit: &str| who.holds(rollup, unit, &[Role::Leader]);
    let Some(before) = before else {
        return if leader(&after.unit) {
            Ok(())
        } else {
            Err(forbidden(format!(
                "a new task is created by a leader of unit '{}' (the responsible person's unit)",
                after.unit
            )))
        };
    };
    let accountable = who.is(before.accountable.as_ref());
    if touch.plan_or_assignment {
        let both = leader(&before.unit) && leader(&after.unit);
        if !(accountable || both) {
            return Err(forbidden(format!(
                "task '{}' is planned and assigned by its accountable person or a leader of unit '{}'",
                before.id, before.unit
            )));
        }
    }
    let progress_ok =
        || who.is(Some(&before.responsible)) || who.holds(rollup, &before.unit, &[Role::DataEntry]);
    if touch.progress && !progress_ok() {
        return Err(forbidden(format!(
            "the progress of task '{}' is reported by its responsible person ({}) or data entry of unit '{}'",
            before.id, before.responsible, before.unit
        )));
    }
    let acceptor_ok = || match &before.accountable {
        Some(_) => accountable,
        None => leader(&before.unit),
    };
    let acceptor_words = || match &before.accountable {
        Some(a) => format!("its accountable person ({a})"),
        None => format!(
            "a leader of unit '{}' (it names no accountable person)",
            before.unit
        ),
    };
    match touch.status {
        Some(TaskStatus::Todo | TaskStatus::InProgress | TaskStatus::Submitted)
            if !progress_ok() =>
        {
            return Err(forbidden(format!(
                "the status of task '{}' up to submitted is set by its responsible person ({}) or data entry of unit '{}'",
                before.id, before.responsible, before.unit
            )));
        }
        Some(TaskStatus::Accepted | TaskStatus::Returned) if !acceptor_ok() => {
            return Err(forbidden(format!(
                "task '{}' is accepted or returned by {}",
                before.id,
                acceptor_words()
            )));
        }
        Some(TaskStatus::Cancelled) if !(accountable || leader(&before.unit)) => {
            return Err(forbidden(format!(
                "task '{}' is cancelled by its accountable person or a leader of unit '{}'",
                before.id, before.unit
            )));
        }
        _ => {}
    }
    if touch.quality && !acceptor_ok() {
        return Err(forbidden(format!(
            "the quality of task '{}' is judged by {}",
            before.id,
            acceptor_words()
        )));
    }
    Ok(())
}

/// A key-result check-in: the objective's owner, or data entry or a leader of its unit.
pub fn kr_checkin(
    who: &Principal,
    rollup: &Rollup,
    key_result: &str,
    objective_unit: &str,
    owner: Option<&crate::domain::Id>,
) -> Result<(), Denied> {
    if matches!(who, Principal::System(_)) {
        return Ok(());
    }
    let ok = who
        .token_may(rollup, Permission::KrCheckin, objective_unit)
        .unwrap_or_else(|| {
            who.is(owner) || who.holds(rollup, objective_unit, &[Role::DataEntry, Role::Leader])
        });
    if ok {
        Ok(())
    } else {
        Err(forbidden(format!(
            "key result '{key_result}' is checked in by its objective's owner, or data entry or a leader of unit '{objective_unit}'"
        )))
    }
}

/// A KPI value: data entry of the KPI's leading unit (a token: the value's unit).
pub fn kpi_value(
    who: &Principal,
    rollup: &Rollup,
    kpi: &str,
    leading_unit: &str,
    unit: &str,
) -> Result<(), Denied> {
    if matches!(who, Principal::System(_)) {
        return Ok(());
    }
    match who.token_may(rollup, Permission::KpiObservation, unit) {
        Some(true) => Ok(()),
        Some(false) => Err(forbidden(format!(
            "this token may not send KPI values for unit '{unit}'"
        ))),
        None if who.holds(rollup, leading_unit, &[Role::DataEntry]) => Ok(()),
        None => Err(forbidden(format!(
            "values of KPI '{kpi}' are entered by data entry of its leading unit '{leading_unit}'"
        ))),
    }
}

/// A citizen-satisfaction rating: data entry of the rated unit.
pub fn rating(who: &Principal, rollup: &Rollup, unit: &str) -> Result<(), Denied> {
    if matches!(who, Principal::System(_)) {
        return Ok(());
    }
    let ok = who
        .token_may(rollup, Permission::SatisfactionRating, unit)
        .unwrap_or_else(|| who.holds(rollup, unit, &[Role::DataEntry]));
    if ok {
        Ok(())
    } else {
        Err(forbidden(format!(
            "ratings of unit '{unit}' are entered by its data entry"
        )))
    }
}

/// A catalog entry at `units` (where it is and where it would go; `None`: the top of the
/// tree): an admin over each.
pub fn catalog(
    who: &Principal,
    rollup: &Rollup,
    what: &str,
    units: &[Option<&str>],
) -> Result<(), Denied> {
    if matches!(who, Principal::Token(_)) {
        return Err(forbidden(
            "API tokens send events; the catalog is changed by an admin's session",
        ));
    }
    for unit in units {
        let ok = match unit {
            Some(u) => who.holds(rollup, u, &[Role::Admin]),
            None => who.holds_everywhere(&[Role::Admin]),
        };
        if !ok {
            return Err(forbidden(format!(
                "{what} is changed by an admin of {}",
                unit.map_or("the whole tree".to_string(), |u| format!("unit '{u}'"))
            )));
        }
    }
    Ok(())
}

/// Acknowledging, assigning or silencing an alert of `unit`: a leader over it (an admin
/// manages the system, leaders answer for the unit's results).
pub fn alert_action(who: &Principal, rollup: &Rollup, unit: &str) -> Result<(), Denied> {
    if matches!(who, Principal::Token(_)) {
        return Err(forbidden(
            "alerts are handled by people: sign in; API tokens cannot act on them",
        ));
    }
    if who.holds(rollup, unit, &[Role::Leader]) {
        Ok(())
    } else {
        Err(forbidden(format!(
            "alerts of unit '{unit}' are handled by a leader of it"
        )))
    }
}

/// Server-wide operations (the clock, rule reloads, the audit verification).
pub fn operator(who: &Principal, what: &str) -> Result<(), Denied> {
    if who.holds_everywhere(&[Role::Admin]) {
        Ok(())
    } else {
        Err(forbidden(format!(
            "{what} needs the admin role over the whole tree"
        )))
    }
}

/// Granting a role at `unit`, or issuing a token for it: an admin over that unit.
pub fn administer(who: &Principal, rollup: &Rollup, unit: &str) -> Result<(), Denied> {
    if matches!(who, Principal::Token(_)) {
        return Err(forbidden(
            "accounts and tokens are managed by an admin's session",
        ));
    }
    let ok = if unit == EVERYWHERE {
        who.holds_everywhere(&[Role::Admin])
    } else {
        rollup.unit(unit).is_some() && who.holds(rollup, unit, &[Role::Admin])
    };
    if ok {
        Ok(())
    } else if unit != EVERYWHERE && rollup.unit(unit).is_none() {
        Err(Denied::NotFound(format!("no unit '{unit}'")))
    } else {
        Err(forbidden(format!(
            "roles and tokens at {} are managed by an admin of it",
            if unit == EVERYWHERE {
                "the whole tree".to_string()
            } else {
                format!("unit '{unit}'")
            }
        )))
    }
}

/// How a write to something of `period` stands with the OKR cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodWrite {
    /// Not closed: the usual rules apply.
    Open,
    /// Closed, and the writer is an admin over the unit: a correction, allowed whatever the
    /// usual responsibility rule says (and audited like every write).
    AdminCorrection,
}

/// A write to `what` of `unit` in `period`: refused when a declared period containing it is
/// closed, unless `who` is an admin over the unit.
pub fn period_write(
    who: &Principal,
    rollup: &Rollup,
    period: &crate::domain::Period,
    unit: &str,
    what: &str,
) -> Result<PeriodWrite, Denied> {
    if matches!(who, Principal::System(_)) {
        return Ok(PeriodWrite::Open);
    }
    match rollup.cycle_state(period) {
        Some((crate::domain::PeriodState::Closed, closed)) => {
            if !matches!(who, Principal::Token(_)) && who.holds(rollup, unit, &[Role::Admin]) {
                Ok(PeriodWrite::AdminCorrection)
            } else {
                Err(forbidden(format!(
                    "period {closed} is closed: {what} of {period} is read-only except for an admin of unit '{unit}'"
                )))
            }
        }
        _ => Ok(PeriodWrite::Open),
    }
}
