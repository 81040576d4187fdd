//! Who may change what: the responsibility rules of SECURITY.md, asked by the writer against
//! the state a change applies to (so no other write can slip in between check and commit), and
//! the role checks of the administrative routes.

use super::{Denied, Permission, Principal, Role, EVERYWHERE};
use crate::domain::{Task, TaskStatus};
use crate::i18n::Msg;
use crate::msg;
use crate::rollup::Rollup;

fn forbidden(reason: Msg) -> Denied {
    Denied::Forbidden(reason)
}

/// A unit as a person reads it in a refusal: its name (its id when it has none).
fn unit_words(rollup: &Rollup, id: &str) -> String {
    rollup.unit(id).map_or_else(|| id.to_string(), |u| u.name)
}

/// A person as a refusal names them.
fn person_words(rollup: &Rollup, id: &str) -> String {
    rollup.person(id).map_or_else(|| id.to_string(), |p| p.name)
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

    /// A person holding `role` over some unit (tokens hold no roles).
    pub fn holds_anywhere(&self, role: Role) -> bool {
        match self {
            Principal::System(_) => true,
            Principal::Account { account, .. } => account.grants.iter().any(|g| g.role == role),
            _ => false,
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
///
/// Beyond each step's own rule, the rules hold across steps: a task's responsible person is
/// never its acceptor, and nobody is named accountable for their own task (else naming oneself
/// accountable, then accepting, would add up to judging one's own work); moving a task to
/// another unit needs a leader over both, whoever is accountable; only the acceptor takes a
/// task out of `accepted`. What only an acceptor may do (accept, return, judge quality, cancel,
/// reopen) is done by a person, never by an integration's token.
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
    if after.accountable.as_ref() == Some(&after.responsible)
        && before.is_none_or(|b| {
            b.accountable != after.accountable || b.responsible != after.responsible
        })
    {
        return Err(forbidden(msg!(
            "task_own_acceptor",
            task = &after.title,
            person = person_words(rollup, &after.responsible)
        )));
    }
    let task = before.unwrap_or(after);
    // Judged on the outcome: a submission dated before the acceptance, arriving after it, dates
    // the work but leaves the task accepted, so it reopens nothing.
    let reopens = before
        .is_some_and(|b| b.status == TaskStatus::Accepted && after.status != TaskStatus::Accepted);
    let decides = matches!(
        touch.status,
        Some(TaskStatus::Accepted | TaskStatus::Returned | TaskStatus::Cancelled)
    ) || touch.quality
        || reopens;
    if let Some(ok) = who.token_may(rollup, Permission::Task, &task.unit) {
        let moved_ok = who
            .token_may(rollup, Permission::Task, &after.unit)
            .unwrap_or(false);
        if !(ok && moved_ok) {
            return Err(forbidden(msg!(
                "token_task_unit",
                unit = unit_words(rollup, &after.unit)
            )));
        }
        if decides {
            return Err(forbidden(msg!("token_decides", task = &task.title)));
        }
        return Ok(());
    }
    let leader = |unit: &str| who.holds(rollup, unit, &[Role::Leader]);
    let Some(before) = before else {
        return if leader(&after.unit) {
            Ok(())
        } else {
            Err(forbidden(msg!(
                "task_created_by_leader",
                unit = unit_words(rollup, &after.unit)
            )))
        };
    };
    let accountable = who.is(before.accountable.as_ref());
    let responsible = who.is(Some(&before.responsible)) || who.is(Some(&after.responsible));
    if before.unit != after.unit && !(leader(&before.unit) && leader(&after.unit)) {
        return Err(forbidden(msg!(
            "task_moved_by_leader_of_both",
            task = &before.title,
            from = unit_words(rollup, &before.unit),
            to = unit_words(rollup, &after.unit)
        )));
    }
    if touch.plan_or_assignment && !(accountable || leader(&before.unit)) {
        return Err(forbidden(msg!(
            "task_planned_by",
            task = &before.title,
            unit = unit_words(rollup, &before.unit)
        )));
    }
    let progress_ok =
        || who.is(Some(&before.responsible)) || who.holds(rollup, &before.unit, &[Role::DataEntry]);
    // The acceptor may record the progress its decision means (accepted at 100 %), in the same
    // event; that is judged with the decision below.
    let with_decision = matches!(
        touch.status,
        Some(TaskStatus::Accepted | TaskStatus::Returned)
    );
    if touch.progress && !with_decision && !progress_ok() {
        return Err(forbidden(msg!(
            "task_progress_by",
            task = &before.title,
            person = person_words(rollup, &before.responsible),
            unit = unit_words(rollup, &before.unit)
        )));
    }
    // The acceptor: the accountable person, else a leader over the unit; never the
    // responsible person, whatever else they are.
    let acceptor_ok = || {
        !responsible
            && match &before.accountable {
                Some(_) => accountable,
                None => leader(&before.unit),
            }
    };
    let acceptor_words = || match &before.accountable {
        Some(a) => msg!("acceptor_accountable", person = person_words(rollup, a)),
        None => msg!("acceptor_leader", unit = unit_words(rollup, &before.unit)),
    };
    if reopens && !(acceptor_ok() || (!responsible && leader(&before.unit))) {
        return Err(forbidden(msg!(
            "task_reopened_by",
            task = &before.title,
            acceptor = acceptor_words()
        )));
    }
    match touch.status {
        Some(TaskStatus::Todo | TaskStatus::InProgress | TaskStatus::Submitted)
            if !progress_ok() && !reopens =>
        {
            return Err(forbidden(msg!(
                "task_status_by",
                task = &before.title,
                person = person_words(rollup, &before.responsible),
                unit = unit_words(rollup, &before.unit)
            )));
        }
        Some(TaskStatus::Accepted | TaskStatus::Returned) if !acceptor_ok() => {
            return Err(forbidden(if responsible {
                msg!("task_not_own_acceptor", task = &before.title)
            } else {
                msg!(
                    "task_accepted_by",
                    task = &before.title,
                    acceptor = acceptor_words()
                )
            }));
        }
        Some(TaskStatus::Cancelled) if !(accountable || leader(&before.unit)) => {
            return Err(forbidden(msg!(
                "task_cancelled_by",
                task = &before.title,
                unit = unit_words(rollup, &before.unit)
            )));
        }
        _ => {}
    }
    if touch.quality && !acceptor_ok() {
        return Err(forbidden(if responsible {
            msg!("task_not_own_acceptor", task = &before.title)
        } else {
            msg!(
                "task_quality_by",
                task = &before.title,
                acceptor = acceptor_words()
            )
        }));
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
        Err(forbidden(msg!(
            "kr_checkin_by",
            key_result = rollup
                .key_result(key_result)
                .map_or_else(|| key_result.to_string(), |k| k.title),
            unit = unit_words(rollup, objective_unit)
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
        Some(false) => Err(forbidden(msg!(
            "token_kpi_unit",
            unit = unit_words(rollup, unit)
        ))),
        None if who.holds(rollup, leading_unit, &[Role::DataEntry]) => Ok(()),
        None => Err(forbidden(msg!(
            "kpi_value_by",
            kpi = rollup
                .with_kpi(kpi, |k| k.name.clone())
                .unwrap_or_else(|| kpi.to_string()),
            unit = unit_words(rollup, leading_unit)
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
        Err(forbidden(msg!(
            "rating_by",
            unit = unit_words(rollup, unit)
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
        return Err(forbidden(msg!("token_no_catalog")));
    }
    for unit in units {
        let ok = match unit {
            Some(u) => who.holds(rollup, u, &[Role::Admin]),
            None => who.holds_everywhere(&[Role::Admin]),
        };
        if !ok {
            return Err(forbidden(match unit {
                Some(u) => msg!(
                    "catalog_by_admin_of",
                    what = what,
                    unit = unit_words(rollup, u)
                ),
                None => msg!("catalog_by_admin_of_all", what = what),
            }));
        }
    }
    Ok(())
}

/// Acknowledging, assigning or silencing an alert of `unit`: a leader over it (an admin
/// manages the system, leaders answer for the unit's results).
pub fn alert_action(who: &Principal, rollup: &Rollup, unit: &str) -> Result<(), Denied> {
    if matches!(who, Principal::Token(_)) {
        return Err(forbidden(msg!("token_no_alerts")));
    }
    if who.holds(rollup, unit, &[Role::Leader]) {
        Ok(())
    } else {
        Err(forbidden(msg!(
            "alerts_by_leader",
            unit = unit_words(rollup, unit)
        )))
    }
}

/// Trying candidate rules on the history of `unit`'s subtree (the whole tree when `None`): a
/// leader or an admin over it, signed in (an API token is a feed, not a person deciding rules).
pub fn backtest(who: &Principal, rollup: &Rollup, unit: Option<&str>) -> Result<(), Denied> {
    if matches!(who, Principal::Token(_)) {
        return Err(forbidden(msg!("backtest_by")));
    }
    let allowed = match unit {
        Some(u) => who.holds(rollup, u, &[Role::Leader, Role::Admin]),
        None => who.holds_everywhere(&[Role::Leader, Role::Admin]),
    };
    if allowed {
        Ok(())
    } else {
        Err(forbidden(msg!("backtest_by")))
    }
}

/// Server-wide operations (the clock, rule reloads, the audit verification, OKR periods).
#[derive(Debug, Clone, Copy)]
pub enum Operation {
    Clock,
    RulesReload,
    AuditVerify,
    OkrPeriods,
    NotifyLinkKey,
}

/// May `who` run this server-wide operation? An admin over the whole tree.
pub fn operator(who: &Principal, what: Operation) -> Result<(), Denied> {
    if who.holds_everywhere(&[Role::Admin]) {
        return Ok(());
    }
    let what = match what {
        Operation::Clock => msg!("op_clock"),
        Operation::RulesReload => msg!("op_rules_reload"),
        Operation::AuditVerify => msg!("op_audit_verify"),
        Operation::OkrPeriods => msg!("op_okr_periods"),
        Operation::NotifyLinkKey => msg!("op_notify_link_key"),
    };
    Err(forbidden(msg!("operator_only", what = what)))
}

/// Granting a role at `unit`, or issuing a token for it: an admin over that unit.
pub fn administer(who: &Principal, rollup: &Rollup, unit: &str) -> Result<(), Denied> {
    if matches!(who, Principal::Token(_)) {
        return Err(forbidden(msg!("token_no_accounts")));
    }
    let ok = if unit == EVERYWHERE {
        who.holds_everywhere(&[Role::Admin])
    } else {
        rollup.unit(unit).is_some() && who.holds(rollup, unit, &[Role::Admin])
    };
    if ok {
        Ok(())
    } else if unit != EVERYWHERE && rollup.unit(unit).is_none() {
        Err(Denied::NotFound(msg!("no_unit", unit = unit)))
    } else if unit == EVERYWHERE {
        Err(forbidden(msg!("administer_all")))
    } else {
        Err(forbidden(msg!(
            "administer_unit",
            unit = unit_words(rollup, unit)
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

/// What is written into a period, for the words of a refusal.
#[derive(Debug, Clone, Copy)]
pub enum PeriodThing {
    Checkin,
    KpiValue,
    KpiTarget,
    Evaluation,
}

/// A write to `what` of `unit` in `period`: refused when a declared period containing it is
/// closed, unless `who` is an admin over the unit.
pub fn period_write(
    who: &Principal,
    rollup: &Rollup,
    period: &crate::domain::Period,
    unit: &str,
    what: PeriodThing,
) -> Result<PeriodWrite, Denied> {
    if matches!(who, Principal::System(_)) {
        return Ok(PeriodWrite::Open);
    }
    match rollup.cycle_state(period) {
        Some((crate::domain::PeriodState::Closed, closed)) => {
            if !matches!(who, Principal::Token(_)) && who.holds(rollup, unit, &[Role::Admin]) {
                Ok(PeriodWrite::AdminCorrection)
            } else {
                let what = match what {
                    PeriodThing::Checkin => msg!("thing_checkin"),
                    PeriodThing::KpiValue => msg!("thing_kpi_value"),
                    PeriodThing::KpiTarget => msg!("thing_kpi_target"),
                    PeriodThing::Evaluation => msg!("thing_evaluation"),
                };
                Err(forbidden(msg!(
                    "period_closed",
                    closed = closed.to_string(),
                    what = what,
                    period = period.to_string(),
                    unit = unit_words(rollup, unit)
                )))
            }
        }
        _ => Ok(PeriodWrite::Open),
    }
}

/// The server itself, or an account (never a token) holding leader or admin over `unit`.
fn leads_as_a_person(who: &Principal, rollup: &Rollup, unit: &str) -> bool {
    match who {
        Principal::System(_) => true,
        Principal::Token(_) => false,
        _ => who.holds(rollup, unit, &[Role::Leader, Role::Admin]),
    }
}

/// Asking for an explanation about something of `unit`: a leader (or an admin) over that unit,
/// as a person (a token asks nobody anything).
pub fn explain_ask(who: &Principal, rollup: &Rollup, unit: &str) -> Result<(), Denied> {
    if leads_as_a_person(who, rollup, unit) {
        Ok(())
    } else {
        Err(forbidden(msg!(
            "explain_ask_by",
            unit = unit_words(rollup, unit)
        )))
    }
}

/// Holding a unit's review meeting (opening it, its notes and conclusions, presenting, closing,
/// correcting the closed record): a leader (or an admin) over the unit, as a person.
pub fn meeting_lead(who: &Principal, rollup: &Rollup, unit: &str) -> Result<(), Denied> {
    if leads_as_a_person(who, rollup, unit) {
        Ok(())
    } else {
        Err(forbidden(msg!(
            "meeting_by",
            unit = unit_words(rollup, unit)
        )))
    }
}

/// Writing in an explanation's thread, and as what: an answer by its addressee or by the
/// leader of the addressee's unit (the unit's named leader); else a follow-up by whoever may ask
/// about its unit. Tokens neither answer nor ask.
pub fn explain_message(
    who: &Principal,
    rollup: &Rollup,
    e: &crate::domain::explanation::Explanation,
) -> Result<crate::domain::explanation::MessageRole, Denied> {
    use crate::domain::explanation::MessageRole;
    let refused = || {
        forbidden(msg!(
            "explain_answer_by",
            person = person_words(rollup, &e.addressee)
        ))
    };
    match who {
        Principal::System(_) => return Ok(MessageRole::Answer),
        Principal::Token(_) => return Err(refused()),
        _ => {}
    }
    let me = who.person().map(|p| &**p);
    let addressee_leader = rollup
        .person(&e.addressee)
        .and_then(|p| rollup.unit(&p.unit))
        .and_then(|u| u.leader);
    if me == Some(e.addressee.as_str()) || (me.is_some() && addressee_leader.as_deref() == me) {
        return Ok(MessageRole::Answer);
    }
    if explain_ask(who, rollup, &e.unit).is_ok() {
        return Ok(MessageRole::Asker);
    }
    Err(refused())
}

/// Reading an explanation: whoever may see its unit, and the people it names (the addressee,
/// the asker).
pub fn explain_read(
    who: &Principal,
    rollup: &Rollup,
    e: &crate::domain::explanation::Explanation,
) -> Result<(), Denied> {
    let named = who.person().is_some_and(|p| {
        **p == *e.addressee || e.asker_person.as_deref().is_some_and(|a| **p == *a)
    });
    if named && who.may_read() {
        return Ok(());
    }
    super::can_view(who, rollup, super::Target::Unit(&e.unit)).map_err(|_| {
        forbidden(msg!(
            "explain_not_yours",
            unit = unit_words(rollup, &e.unit)
        ))
    })
}
