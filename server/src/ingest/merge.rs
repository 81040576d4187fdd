//! The task merge rule: a task event applied to the task's current state field group by field
//! group (plan, assignment, progress, status), last writer wins by the event's `at`, a later
//! arrival winning a tie. Each group keeps the time of the event that last set it
//! (`TaskVersions`), so late and out-of-order updates never overwrite newer ones, whatever
//! order they arrive in. The writer merges every task event through it; the demo's seed uses it
//! to build the tasks it then sends.

use super::event::TaskPatch;
use super::ItemError;
use crate::domain::{Id, Task, TaskStatus, TaskVersions, Ts};
use crate::rollup::Rollup;

fn check_person(rollup: &Rollup, field: &str, id: &Id) -> Result<(), ItemError> {
    match rollup.person(id) {
        Some(_) => Ok(()),
        None => Err(ItemError::new(
            field,
            crate::msg!("unknown_person", id = id.to_string()),
        )),
    }
}

/// Applies a task event to the task's current state, group by group, last writer wins by `at`
/// (on equal times the later arrival wins). Returns `None` when nothing changes.
pub fn merge_task(
    current: Option<&Task>,
    p: &TaskPatch,
    at: Ts,
    rollup: &Rollup,
) -> Result<Option<Task>, ItemError> {
    let mut t = match current {
        Some(t) => t.clone(),
        None => {
            let plan = p.plan.as_ref();
            let title = plan.and_then(|x| x.title.clone());
            let deadline = plan.and_then(|x| x.deadline);
            let responsible = p.assignment.as_ref().and_then(|a| a.responsible.clone());
            let missing: Vec<&str> = [
                ("title", title.is_none()),
                ("responsible", responsible.is_none()),
                ("deadline", deadline.is_none()),
            ]
            .into_iter()
            .filter_map(|(f, m)| m.then_some(f))
            .collect();
            if let Some(first) = missing.first() {
                return Err(ItemError::new(
                    *first,
                    format!("task '{}' is new, so its first event must carry title, responsible and deadline (missing: {})", p.task_id, missing.join(", ")),
                ));
            }
            let responsible = responsible.expect("checked above");
            Task {
                id: p.task_id.clone(),
                title: title.expect("checked above"),
                unit: responsible.clone(),
                responsible,
                accountable: None,
                consulted: Vec::new(),
                informed: Vec::new(),
                key_result: None,
                start: None,
                deadline: deadline.expect("checked above"),
                expected_output: String::new(),
                progress: 0,
                status: TaskStatus::Todo,
                quality: None,
                submitted_at: None,
                returned_at: None,
                done_at: None,
                versions: TaskVersions {
                    plan: i64::MIN,
                    assignment: i64::MIN,
                    progress: i64::MIN,
                    status: i64::MIN,
                },
            }
        }
    };
    let before = current.cloned();
    if let Some(plan) = &p.plan {
        if let Some(kr) = &plan.key_result {
            if rollup.key_result(kr).is_none() {
                return Err(ItemError::new(
                    "key_result",
                    format!("unknown key result '{kr}'"),
                ));
            }
        }
        if at >= t.versions.plan {
            if let Some(x) = &plan.title {
                t.title = x.clone();
            }
            if let Some(x) = &plan.key_result {
                t.key_result = Some(x.clone());
            }
            if let Some(x) = plan.start {
                t.start = Some(x);
            }
            if let Some(x) = plan.deadline {
                t.deadline = x;
            }
            if let Some(x) = &plan.expected_output {
                t.expected_output = x.clone();
            }
            t.versions.plan = at;
        }
    }
    if let Some(a) = &p.assignment {
        if let Some(r) = &a.responsible {
            check_person(rollup, "responsible", r)?;
        }
        if let Some(r) = &a.accountable {
            check_person(rollup, "accountable", r)?;
        }
        for (field, list) in [("consulted", &a.consulted), ("informed", &a.informed)] {
            for (i, id) in list.iter().flatten().enumerate() {
                check_person(rollup, &format!("{field}[{i}]"), id)?;
            }
        }
        if at >= t.versions.assignment {
            if let Some(r) = &a.responsible {
                t.responsible = r.clone();
            }
            if let Some(r) = &a.accountable {
                t.accountable = Some(r.clone());
            }
            if let Some(x) = &a.consulted {
                t.consulted = x.clone();
            }
            if let Some(x) = &a.informed {
                t.informed = x.clone();
            }
            t.versions.assignment = at;
        }
    }
    // The task belongs to its responsible person's unit.
    if before.as_ref().map(|b| &b.responsible) != Some(&t.responsible) {
        t.unit = rollup
            .person(&t.responsible)
            .map(|p| p.unit)
            .ok_or_else(|| {
                ItemError::new(
                    "responsible",
                    crate::msg!("unknown_person", id = t.responsible.to_string()),
                )
            })?;
    }
    if let Some(progress) = p.progress {
        if at >= t.versions.progress {
            t.progress = progress;
            t.versions.progress = at;
        }
    }
    if let Some(s) = &p.status {
        // Submissions and returns are dated by their own `at` whatever order they arrive in,
        // even when a newer status already stands: they decide when accepted work was done.
        match s.status {
            TaskStatus::Submitted => t.submitted_at = t.submitted_at.max(Some(at)),
            TaskStatus::Returned => t.returned_at = t.returned_at.max(Some(at)),
            _ => {}
        }
        if at >= t.versions.status {
            t.status = s.status;
            if s.quality.is_some() {
                t.quality = s.quality;
            }
            t.versions.status = at;
        }
        t.done_at = done_at(&t);
    }
    if let Some(start) = t.start {
        if t.deadline < start {
            return Err(ItemError::new(
                "deadline",
                "would fall before the task's start",
            ));
        }
    }
    Ok((before.as_ref() != Some(&t)).then_some(t))
}

/// When accepted work was done (the on-time rule): the submission that was accepted, i.e. the
/// latest one after the last return and not after the acceptance; with none (never submitted,
/// or returned since), the acceptance itself. `None` unless the task stands accepted.
fn done_at(t: &Task) -> Option<Ts> {
    if t.status != TaskStatus::Accepted {
        return None;
    }
    let accepted_at = t.versions.status;
    let submitted = t
        .submitted_at
        .filter(|s| *s <= accepted_at && t.returned_at.is_none_or(|r| *s > r));
    Some(submitted.unwrap_or(accepted_at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Person, Unit, UnitLevel};
    use crate::ingest::event::{AssignmentPatch, PlanPatch, StatusPatch};
    use crate::rollup::Snapshot;

    fn rollup() -> Rollup {
        let unit = |id: &str| Unit {
            id: id.into(),
            name: id.into(),
            level: UnitLevel::Ward,
            parent: None,
            leader: None,
            short_name: None,
        };
        let person = |id: &str, unit: &str| Person {
            id: id.into(),
            name: id.into(),
            unit: unit.into(),
            position: String::new(),
        };
        Rollup::rebuild(
            Snapshot {
                units: vec![unit("p-1"), unit("p-2")],
                people: vec![person("an", "p-1"), person("binh", "p-2")],
                ..Snapshot::default()
            },
            0,
        )
    }

    /// The event that creates task `t-1`: title, responsible `an`, deadline 1000.
    fn create() -> TaskPatch {
        TaskPatch {
            task_id: "t-1".into(),
            plan: Some(PlanPatch {
                title: Some("Report".into()),
                deadline: Some(1_000),
                ..PlanPatch::default()
            }),
            assignment: Some(AssignmentPatch {
                responsible: Some("an".into()),
                ..AssignmentPatch::default()
            }),
            ..TaskPatch::default()
        }
    }

    fn progress(p: i64) -> TaskPatch {
        TaskPatch {
            task_id: "t-1".into(),
            progress: Some(p),
            ..TaskPatch::default()
        }
    }

    fn title(s: &str) -> TaskPatch {
        TaskPatch {
            task_id: "t-1".into(),
            plan: Some(PlanPatch {
                title: Some(s.into()),
                ..PlanPatch::default()
            }),
            ..TaskPatch::default()
        }
    }

    fn status(s: TaskStatus) -> TaskPatch {
        TaskPatch {
            task_id: "t-1".into(),
            status: Some(StatusPatch {
                status: s,
                quality: None,
            }),
            ..TaskPatch::default()
        }
    }

    /// Merges the patch, expecting a change.
    fn merged(current: &Task, p: &TaskPatch, at: Ts, r: &Rollup) -> Task {
        merge_task(Some(current), p, at, r)
            .expect("valid")
            .expect("changed")
    }

    #[test]
    fn a_new_task_takes_its_fields_and_the_unit_of_its_responsible_person() {
        let r = rollup();
        let t = merge_task(None, &create(), 10, &r).unwrap().unwrap();
        assert_eq!(
            (&*t.title, &*t.responsible, &*t.unit, t.deadline),
            ("Report", "an", "p-1", 1_000)
        );
        assert_eq!((t.status, t.progress), (TaskStatus::Todo, 0));
        assert_eq!(
            t.versions,
            TaskVersions {
                plan: 10,
                assignment: 10,
                progress: i64::MIN,
                status: i64::MIN
            }
        );
    }

    #[test]
    fn a_new_task_without_title_responsible_or_deadline_is_refused_naming_the_first() {
        let r = rollup();
        let err = merge_task(None, &progress(500), 10, &r).unwrap_err();
        assert_eq!(err.field, "title");
        assert!(err.reason.contains("missing: title, responsible, deadline"));
        let mut p = create();
        p.assignment = None;
        assert_eq!(
            merge_task(None, &p, 10, &r).unwrap_err().field,
            "responsible"
        );
    }

    #[test]
    fn an_older_event_leaves_its_field_group_alone() {
        let r = rollup();
        let t = merge_task(None, &create(), 10, &r).unwrap().unwrap();
        let t = merged(&t, &progress(5_000), 20, &r);
        assert_eq!(
            merge_task(Some(&t), &progress(1_000), 15, &r).unwrap(),
            None
        );
        assert_eq!(merge_task(Some(&t), &title("Old"), 5, &r).unwrap(), None);
        assert_eq!(t.progress, 5_000);
    }

    #[test]
    fn on_equal_times_the_later_arrival_wins() {
        let r = rollup();
        let t = merge_task(None, &create(), 10, &r).unwrap().unwrap();
        let t = merged(&t, &progress(5_000), 20, &r);
        let t = merged(&t, &progress(6_000), 20, &r);
        assert_eq!((t.progress, t.versions.progress), (6_000, 20));
    }

    #[test]
    fn each_field_group_keeps_its_own_time() {
        let r = rollup();
        let t = merge_task(None, &create(), 10, &r).unwrap().unwrap();
        // Progress is set late; a plan change from before it still applies to the plan group.
        let t = merged(&t, &progress(5_000), 30, &r);
        let t = merged(&t, &title("Renamed"), 20, &r);
        assert_eq!((&*t.title, t.progress), ("Renamed", 5_000));
        assert_eq!((t.versions.plan, t.versions.progress), (20, 30));
        // A status older than the progress, but newer than any status, applies.
        let t = merged(&t, &status(TaskStatus::InProgress), 25, &r);
        assert_eq!(t.status, TaskStatus::InProgress);
        // An assignment older than the plan's time is still the assignment group's newest.
        let mut move_to_binh = TaskPatch {
            task_id: "t-1".into(),
            ..TaskPatch::default()
        };
        move_to_binh.assignment = Some(AssignmentPatch {
            responsible: Some("binh".into()),
            ..AssignmentPatch::default()
        });
        let t = merged(&t, &move_to_binh, 15, &r);
        assert_eq!((&*t.responsible, &*t.unit), ("binh", "p-2"));
        // And an older one than that changes nothing.
        move_to_binh.assignment.as_mut().unwrap().responsible = Some("an".into());
        assert_eq!(merge_task(Some(&t), &move_to_binh, 12, &r).unwrap(), None);
    }

    #[test]
    fn submission_and_acceptance_set_when_the_work_was_done() {
        let r = rollup();
        let t = merge_task(None, &create(), 10, &r).unwrap().unwrap();
        let t = merged(&t, &status(TaskStatus::Submitted), 40, &r);
        assert_eq!(t.submitted_at, Some(40));
        let t = merged(&t, &status(TaskStatus::Accepted), 90, &r);
        assert_eq!(
            t.done_at,
            Some(40),
            "done when submitted, not when accepted"
        );
        let t = merged(&t, &status(TaskStatus::Returned), 95, &r);
        assert_eq!(t.done_at, None);
    }

    #[test]
    fn a_return_voids_the_submission_before_it() {
        // Submitted in time (deadline 1000), returned, accepted late with no new submission:
        // the work was done when it was accepted, late.
        let r = rollup();
        let t = merge_task(None, &create(), 10, &r).unwrap().unwrap();
        let t = merged(&t, &status(TaskStatus::Submitted), 400, &r);
        let t = merged(&t, &status(TaskStatus::Returned), 600, &r);
        let t = merged(&t, &status(TaskStatus::Accepted), 1_500, &r);
        assert_eq!(t.done_at, Some(1_500));
        // Submitted again after the return: that submission is the one accepted.
        let t = merge_task(None, &create(), 10, &r).unwrap().unwrap();
        let t = merged(&t, &status(TaskStatus::Submitted), 400, &r);
        let t = merged(&t, &status(TaskStatus::Returned), 600, &r);
        let t = merged(&t, &status(TaskStatus::Submitted), 900, &r);
        let t = merged(&t, &status(TaskStatus::Accepted), 1_500, &r);
        assert_eq!(t.done_at, Some(900));
        // Reopened after acceptance (returned) and accepted again without a new submission.
        let t = merged(&t, &status(TaskStatus::Returned), 1_600, &r);
        assert_eq!(t.done_at, None);
        let t = merged(&t, &status(TaskStatus::Accepted), 1_700, &r);
        assert_eq!(t.done_at, Some(1_700));
    }

    #[test]
    fn a_submission_arriving_after_the_acceptance_dates_the_work_by_its_own_time() {
        let r = rollup();
        let t = merge_task(None, &create(), 10, &r).unwrap().unwrap();
        let t = merged(&t, &status(TaskStatus::Accepted), 1_500, &r);
        assert_eq!(t.done_at, Some(1_500), "no submission known yet");
        // The submission of 400 arrives now: the status stays accepted, the work was done at 400.
        let t = merged(&t, &status(TaskStatus::Submitted), 400, &r);
        assert_eq!((t.status, t.done_at), (TaskStatus::Accepted, Some(400)));
        assert_eq!(t.versions.status, 1_500);
        // A return dated between them, arriving last, voids that submission again.
        let t = merged(&t, &status(TaskStatus::Returned), 600, &r);
        assert_eq!((t.status, t.done_at), (TaskStatus::Accepted, Some(1_500)));
        // Whatever order the same four events arrive in, the result is the same.
        let events = [
            (TaskStatus::Submitted, 400),
            (TaskStatus::Returned, 600),
            (TaskStatus::Accepted, 1_500),
        ];
        for order in [[0, 1, 2], [2, 0, 1], [1, 2, 0], [2, 1, 0]] {
            let mut t = merge_task(None, &create(), 10, &r).unwrap().unwrap();
            for i in order {
                let (s, at) = events[i];
                t = merge_task(Some(&t), &status(s), at, &r)
                    .unwrap()
                    .unwrap_or(t);
            }
            assert_eq!(
                (t.status, t.done_at),
                (TaskStatus::Accepted, Some(1_500)),
                "{order:?}"
            );
        }
    }

    #[test]
    fn unknown_people_and_key_results_and_a_deadline_before_the_start_are_refused() {
        let r = rollup();
        let t = merge_task(None, &create(), 10, &r).unwrap().unwrap();
        let mut p = create();
        p.assignment.as_mut().unwrap().accountable = Some("nobody".into());
        assert_eq!(
            merge_task(Some(&t), &p, 20, &r).unwrap_err().field,
            "accountable"
        );
        let mut p = create();
        p.assignment.as_mut().unwrap().informed = Some(vec!["an".into(), "nobody".into()]);
        assert_eq!(
            merge_task(Some(&t), &p, 20, &r).unwrap_err().field,
            "informed[1]"
        );
        let mut p = title("x");
        p.plan.as_mut().unwrap().key_result = Some("kr-x".into());
        assert_eq!(
            merge_task(Some(&t), &p, 20, &r).unwrap_err().field,
            "key_result"
        );
        let mut p = title("x");
        p.plan.as_mut().unwrap().start = Some(2_000);
        assert_eq!(
            merge_task(Some(&t), &p, 20, &r).unwrap_err().field,
            "deadline"
        );
    }
}
