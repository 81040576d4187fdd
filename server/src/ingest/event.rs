//! Events as they arrive (wire types), decoded and checked on their own, before the writer checks
//! them against the catalog: task created or changed, key-result check-in, KPI observation,
//! citizen satisfaction rating.

use super::{check_finite, check_id, check_text, decode_str, ItemError};
use crate::domain::time::parse_ts;
use crate::domain::{Id, Period, Progress, TaskStatus, Ts, PROGRESS_FULL};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use utoipa::ToSchema;

/// Largest number of events one request may carry.
pub const MAX_BATCH: usize = 10_000;

/// One event on the wire: `{"id", "at", "type", ...fields of its type}`. Its schema is written
/// by hand below: the derived one cannot say that `type` picks the variant. Not serialized: each
/// variant keeps the `type` it was read with.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventIn {
    // Boxed: a task event has many optional fields, the other kinds a few.
    Task(Box<TaskEventIn>),
    KrCheckin(KrCheckinIn),
    KpiObservation(ObservationIn),
    SatisfactionRating(RatingIn),
}

/// A task created or changed. The first event of a task must carry `title`, `responsible` and
/// `deadline`; later ones carry only what changed. Fields travel in groups (plan, assignment,
/// progress, status); an event older (`at`) than the last change to a group leaves it alone.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskEventIn {
    /// `task`. The tag, read before this struct is decoded; here so `deny_unknown_fields`
    /// accepts it.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = task_tag, required = true)]
    pub kind: Option<String>,
    /// Source-given event id: a replay with the same id changes nothing.
    pub id: String,
    /// When it happened at the source (RFC 3339); orders updates of the same task.
    #[schema(schema_with = super::time_schema)]
    pub at: String,
    pub task_id: String,
    pub title: Option<String>,
    pub responsible: Option<String>,
    pub accountable: Option<String>,
    pub consulted: Option<Vec<String>>,
    pub informed: Option<Vec<String>>,
    pub key_result: Option<String>,
    /// RFC 3339 time or a date.
    #[schema(schema_with = super::optional_time_schema)]
    pub start: Option<String>,
    /// RFC 3339 time, or a date meaning the end of that day in Vietnam.
    #[schema(schema_with = super::optional_time_schema)]
    pub deadline: Option<String>,
    pub expected_output: Option<String>,
    /// Percent, 0..100.
    pub progress: Option<f64>,
    pub status: Option<TaskStatus>,
    /// Quality judged at acceptance, 0..100.
    pub quality: Option<f64>,
    /// What was done or what blocks, with a `progress` or `status` change (2,000 characters).
    pub note: Option<String>,
    /// The submitted output in words, with `status: submitted` (4,000 characters).
    pub output: Option<String>,
    /// Where the output is (an http or https address), with `status: submitted`.
    pub link: Option<String>,
    /// Files uploaded first with `POST /api/v1/attachments` for this task, with `status: submitted`.
    pub attachments: Option<Vec<AttachmentRefIn>>,
    /// The acceptor's comment, with `status: accepted` or `returned` (2,000 characters).
    pub comment: Option<String>,
    /// Why: a return, a reassignment or a deadline change (2,000 characters). The screens ask
    /// for it; integrations replaying another system's history may leave it out.
    pub reason: Option<String>,
}

/// A file a submission refers to: its SHA-256 (as `POST /api/v1/attachments` answered) and the
/// name it is shown under.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AttachmentRefIn {
    /// 64 lowercase hex digits.
    pub sha256: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KrCheckinIn {
    /// `kr_checkin`. The tag, read before this struct is decoded; here so `deny_unknown_fields`
    /// accepts it.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = kr_checkin_tag, required = true)]
    pub kind: Option<String>,
    pub id: String,
    #[schema(schema_with = super::time_schema)]
    pub at: String,
    pub key_result: String,
    pub value: f64,
    /// 0..10.
    pub confidence: Option<u8>,
    pub comment: Option<String>,
    pub by: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationIn {
    /// `kpi_observation`. The tag, read before this struct is decoded; here so `deny_unknown_fields`
    /// accepts it.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = kpi_observation_tag, required = true)]
    pub kind: Option<String>,
    pub id: String,
    #[schema(schema_with = super::time_schema)]
    pub at: String,
    pub kpi: String,
    pub unit: String,
    /// The period the value is for, of the KPI's frequency: 2026, 2026-Q4, 2026-11, 2026-W47, 2026-11-22.
    pub period: String,
    pub value: f64,
    pub source: Option<String>,
    pub entered_by: Option<String>,
    /// Why the value is what it is, or what a correction corrects (at most 2000 characters).
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingIn {
    /// `satisfaction_rating`. The tag, read before this struct is decoded; here so `deny_unknown_fields`
    /// accepts it.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = satisfaction_rating_tag, required = true)]
    pub kind: Option<String>,
    pub id: String,
    #[schema(schema_with = super::time_schema)]
    pub at: String,
    pub unit: String,
    pub service: String,
    /// 1 (very dissatisfied) .. 5 (very satisfied).
    pub score: u8,
}

/// The `type` property of one kind of event in its schema: exactly that word.
fn tag(kind: &str) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some([kind]))
        .build()
}

fn task_tag() -> utoipa::openapi::Object {
    tag("task")
}

fn kr_checkin_tag() -> utoipa::openapi::Object {
    tag("kr_checkin")
}

fn kpi_observation_tag() -> utoipa::openapi::Object {
    tag("kpi_observation")
}

fn satisfaction_rating_tag() -> utoipa::openapi::Object {
    tag("satisfaction_rating")
}

/// The kinds of event: `type` names the schema, which has the rest of the fields.
const KINDS: [(&str, &str); 4] = [
    ("task", "TaskEventIn"),
    ("kr_checkin", "KrCheckinIn"),
    ("kpi_observation", "ObservationIn"),
    ("satisfaction_rating", "RatingIn"),
];

impl utoipa::PartialSchema for EventIn {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{Discriminator, OneOfBuilder, Ref};
        let refs = KINDS.map(|(kind, schema)| (kind, format!("#/components/schemas/{schema}")));
        let mut one_of = OneOfBuilder::new()
            .description(Some(
                "One event: `type` says which kind, `id` (source-given: a replay changes nothing) \
                 and `at` (when it happened at the source, RFC 3339) come with every kind.",
            ))
            .discriminator(Some(Discriminator::with_mapping("type", refs.clone())))
            .examples(examples());
        for (_, r) in refs {
            one_of = one_of.item(Ref::new(r));
        }
        one_of.into()
    }
}

impl ToSchema for EventIn {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::PartialSchema;
        schemas.push(("TaskEventIn".into(), TaskEventIn::schema()));
        schemas.push(("KrCheckinIn".into(), KrCheckinIn::schema()));
        schemas.push(("ObservationIn".into(), ObservationIn::schema()));
        schemas.push(("RatingIn".into(), RatingIn::schema()));
        TaskEventIn::schemas(schemas);
    }
}

/// One event of each kind, about the demo city (`serve --demo`): the document's examples.
pub fn examples() -> Vec<Value> {
    vec![
        serde_json::json!({"type": "task", "id": "dms-88121", "at": "2026-11-22T08:00:00+07:00",
            "task_id": "T-2026-0042", "title": "Rà soát hồ sơ tồn đọng", "responsible": "cb000018",
            "accountable": "cb000006", "deadline": "2026-11-30", "expected_output": "Báo cáo rà soát"}),
        serde_json::json!({"type": "kr_checkin", "id": "okr-77", "at": "2026-11-22T09:00:00+07:00",
            "key_result": "okr.hn.1.kr1", "value": 62, "confidence": 7, "comment": "đúng tiến độ"}),
        serde_json::json!({"type": "kpi_observation", "id": "1cua-5531", "at": "2026-11-22T09:00:00+07:00",
            "kpi": "PX.HAILONG", "unit": "hn.p-hoankiem", "period": "2026-11", "value": 96.5,
            "source": "Hệ thống một cửa"}),
        serde_json::json!({"type": "satisfaction_rating", "id": "dg-1", "at": "2026-11-22T09:05:00+07:00",
            "unit": "hn.p-hoankiem", "service": "Cấp giấy khai sinh", "score": 5}),
    ]
}

/// A validated event, ready for the writer.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: Id,
    pub at: Ts,
    pub body: EventBody,
    /// The event as received, for the append-only event log.
    pub raw: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventBody {
    Task(TaskPatch),
    KrCheckin {
        key_result: Id,
        value: f64,
        confidence: Option<u8>,
        by: Option<Id>,
    },
    Observation {
        kpi: Id,
        unit: Id,
        period: Period,
        value: f64,
        source: String,
        entered_by: Option<Id>,
        comment: Option<String>,
    },
    Rating {
        unit: Id,
        service: String,
        score: u8,
        /// A citizen's words from the public form, and whether they passed screening.
        comment: Option<String>,
        comment_shown: bool,
    },
}

impl EventBody {
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::Task(_) => "task",
            EventBody::KrCheckin { .. } => "kr_checkin",
            EventBody::Observation { .. } => "kpi_observation",
            EventBody::Rating { .. } => "satisfaction_rating",
        }
    }
    pub fn entity(&self) -> String {
        match self {
            EventBody::Task(t) => t.task_id.to_string(),
            EventBody::KrCheckin { key_result, .. } => key_result.to_string(),
            EventBody::Observation {
                kpi, unit, period, ..
            } => format!("{kpi}/{unit}/{period}"),
            EventBody::Rating { unit, .. } => unit.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskPatch {
    pub task_id: Id,
    pub plan: Option<PlanPatch>,
    pub assignment: Option<AssignmentPatch>,
    pub progress: Option<Progress>,
    pub status: Option<StatusPatch>,
    /// What people say about the change; kept in the event log and the audit trail (the task's
    /// history), never merged into the task's state. Boxed: most events carry none.
    pub remarks: Box<TaskRemarks>,
}

/// The words and files that come with a task change: a progress note, a submission's output,
/// an acceptor's comment, the reason for a return, a reassignment or a deadline change.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskRemarks {
    pub note: Option<String>,
    pub output: Option<String>,
    pub link: Option<String>,
    pub attachments: Vec<AttachmentRefIn>,
    pub comment: Option<String>,
    pub reason: Option<String>,
}

impl TaskRemarks {
    pub fn is_empty(&self) -> bool {
        *self == TaskRemarks::default()
    }

    /// The remarks as the audit trail records them, beside the fields that changed.
    pub fn to_json(&self) -> serde_json::Map<String, Value> {
        let mut m = serde_json::Map::new();
        for (k, v) in [
            ("note", &self.note),
            ("output", &self.output),
            ("link", &self.link),
            ("comment", &self.comment),
            ("reason", &self.reason),
        ] {
            if let Some(v) = v {
                m.insert(k.into(), Value::String(v.clone()));
            }
        }
        if !self.attachments.is_empty() {
            m.insert(
                "attachments".into(),
                serde_json::to_value(&self.attachments).unwrap_or(Value::Null),
            );
        }
        m
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PlanPatch {
    pub title: Option<String>,
    pub key_result: Option<Id>,
    pub start: Option<Ts>,
    pub deadline: Option<Ts>,
    pub expected_output: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AssignmentPatch {
    pub responsible: Option<Id>,
    pub accountable: Option<Id>,
    pub consulted: Option<Vec<Id>>,
    pub informed: Option<Vec<Id>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusPatch {
    pub status: TaskStatus,
    pub quality: Option<f64>,
}

/// Splits a request body into items, each the exact text of one event as sent: a JSON array,
/// a single object, or NDJSON (one object per line). Only the JSON syntax is checked here.
pub fn split_body(body: &[u8], ndjson: bool) -> Result<Vec<&str>, ItemError> {
    let text =
        std::str::from_utf8(body).map_err(|_| ItemError::new("", "the body is not valid UTF-8"))?;
    if ndjson {
        let mut out = Vec::new();
        for (line_no, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let raw: &RawValue = serde_json::from_str(line).map_err(|e| {
                ItemError::new("", format!("line {} is not JSON: {e}", line_no + 1)).at(out.len())
            })?;
            out.push(raw.get());
        }
        Ok(out)
    } else {
        let whole: &RawValue = serde_json::from_str(text)
            .map_err(|e| ItemError::new("", format!("the body is not JSON: {e}")))?;
        match whole.get().as_bytes().first() {
            Some(b'[') => {
                let items: Vec<&RawValue> = serde_json::from_str(whole.get())
                    .map_err(|e| ItemError::new("", format!("the body is not JSON: {e}")))?;
                Ok(items.into_iter().map(RawValue::get).collect())
            }
            Some(b'{') => Ok(vec![whole.get()]),
            _ => Err(ItemError::new(
                "",
                "the body must be a JSON array of events, or NDJSON",
            )),
        }
    }
}

/// Decodes and checks every item; the first bad item fails the whole request.
pub fn parse_events(items: Vec<&str>) -> Result<Vec<Event>, ItemError> {
    if items.is_empty() {
        return Err(ItemError::new("", "the request holds no events"));
    }
    if items.len() > MAX_BATCH {
        return Err(ItemError::new(
            "",
            format!(
                "the request holds {} events; at most {MAX_BATCH} are taken at once",
                items.len()
            ),
        ));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, raw)| parse_event_str(raw).map_err(|e| e.at(i)))
        .collect()
}

/// Decodes one event given as a JSON value (the demo, the import, REST task changes).
pub fn parse_event(v: Value) -> Result<Event, ItemError> {
    parse_event_str(&v.to_string())
}

/// Decodes one event from its JSON text straight into its typed struct: no intermediate tree,
/// and the text as sent is what the event log keeps.
pub fn parse_event_str(raw: &str) -> Result<Event, ItemError> {
    #[derive(Deserialize)]
    struct Tag<'a> {
        #[serde(rename = "type", borrow, default)]
        kind: Option<std::borrow::Cow<'a, str>>,
    }
    let tag: Tag = serde_json::from_str(raw).map_err(|_| {
        if raw.trim_start().starts_with('{') {
            ItemError::new("type", "must be a string")
        } else {
            ItemError::new("", "an event must be a JSON object")
        }
    })?;
    let Some(kind) = tag.kind else {
        return Err(ItemError::new(
            "type",
            "is missing: task, kr_checkin, kpi_observation or satisfaction_rating",
        ));
    };
    let (id, at, body) = match kind.as_ref() {
        "task" => {
            let t: TaskEventIn = decode_str(raw)?;
            (t.id.clone(), t.at.clone(), EventBody::Task(task_patch(t)?))
        }
        "kr_checkin" => {
            let c: KrCheckinIn = decode_str(raw)?;
            check_id("key_result", &c.key_result)?;
            check_finite("value", c.value)?;
            if let Some(conf) = c.confidence {
                if conf > 10 {
                    return Err(ItemError::new("confidence", "must be between 0 and 10"));
                }
            }
            if let Some(comment) = &c.comment {
                if comment.chars().count() > 2000 {
                    return Err(ItemError::new("comment", "is longer than 2000 characters"));
                }
            }
            let by = opt_id("by", c.by)?;
            (c.id, c.at, EventBody::KrCheckin { key_result: c.key_result.into(), value: c.value, confidence: c.confidence, by })
        }
        "kpi_observation" => {
            let o: ObservationIn = decode_str(raw)?;
            check_id("kpi", &o.kpi)?;
            check_id("unit", &o.unit)?;
            check_finite("value", o.value)?;
            let period = Period::parse(&o.period).map_err(|e| ItemError::new("period", e))?;
            let source = o.source.unwrap_or_default();
            if source.chars().count() > 200 {
                return Err(ItemError::new("source", "is longer than 200 characters"));
            }
            let entered_by = opt_id("entered_by", o.entered_by)?;
            let comment = o.comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
            if comment.as_ref().is_some_and(|c| c.chars().count() > 2000) {
                return Err(ItemError::new("comment", "is longer than 2000 characters"));
            }
            (o.id, o.at, EventBody::Observation { kpi: o.kpi.into(), unit: o.unit.into(), period, value: o.value, source, entered_by, comment })
        }
        "satisfaction_rating" => {
            let r: RatingIn = decode_str(raw)?;
            check_id("unit", &r.unit)?;
            check_text("service", &r.service, 200)?;
            if !(1..=5).contains(&r.score) {
                return Err(ItemError::new("score", "must be between 1 and 5"));
            }
            (r.id, r.at, EventBody::Rating { unit: r.unit.into(), service: r.service, score: r.score, comment: None, comment_shown: false })
        }
        other => {
            return Err(ItemError::new(
                "type",
                format!("unknown event type '{other}': use task, kr_checkin, kpi_observation or satisfaction_rating"),
            ))
        }
    };
    check_id("id", &id)?;
    let at = parse_ts(&at, false).map_err(|e| ItemError::new("at", e))?;
    Ok(Event {
        id: id.into(),
        at,
        body,
        raw: raw.to_string(),
    })
}

fn opt_id(field: &str, s: Option<String>) -> Result<Option<Id>, ItemError> {
    match s {
        Some(s) => {
            check_id(field, &s)?;
            Ok(Some(s.into()))
        }
        None => Ok(None),
    }
}

fn id_list(field: &str, xs: Option<Vec<String>>) -> Result<Option<Vec<Id>>, ItemError> {
    match xs {
        Some(xs) => {
            if xs.len() > 100 {
                return Err(ItemError::new(field, "lists more than 100 people"));
            }
            let mut out = Vec::with_capacity(xs.len());
            for (i, x) in xs.into_iter().enumerate() {
                check_id(&format!("{field}[{i}]"), &x)?;
                out.push(Id::from(x));
            }
            Ok(Some(out))
        }
        None => Ok(None),
    }
}

fn task_patch(t: TaskEventIn) -> Result<TaskPatch, ItemError> {
    check_id("task_id", &t.task_id)?;
    if let Some(title) = &t.title {
        check_text("title", title, 500)?;
    }
    if let Some(out) = &t.expected_output {
        if out.chars().count() > 2000 {
            return Err(ItemError::new(
                "expected_output",
                "is longer than 2000 characters",
            ));
        }
    }
    let start = t
        .start
        .as_deref()
        .map(|s| parse_ts(s, false))
        .transpose()
        .map_err(|e| ItemError::new("start", e))?;
    let deadline = t
        .deadline
        .as_deref()
        .map(|s| parse_ts(s, true))
        .transpose()
        .map_err(|e| ItemError::new("deadline", e))?;
    if let (Some(s), Some(d)) = (start, deadline) {
        if d < s {
            return Err(ItemError::new("deadline", "is before start"));
        }
    }
    let progress = match t.progress {
        Some(p) => {
            check_finite("progress", p)?;
            if !(0.0..=100.0).contains(&p) {
                return Err(ItemError::new(
                    "progress",
                    format!("must be between 0 and 100, got {p}"),
                ));
            }
            Some(((p * 100.0).round() as Progress).clamp(0, PROGRESS_FULL))
        }
        None => None,
    };
    if let Some(q) = t.quality {
        check_finite("quality", q)?;
        if !(0.0..=100.0).contains(&q) {
            return Err(ItemError::new(
                "quality",
                format!("must be between 0 and 100, got {q}"),
            ));
        }
        if t.status.is_none() {
            return Err(ItemError::new(
                "quality",
                "is judged at acceptance: send it with status accepted or returned",
            ));
        }
    }
    let plan = (t.title.is_some()
        || t.key_result.is_some()
        || start.is_some()
        || deadline.is_some()
        || t.expected_output.is_some())
    .then(|| -> Result<PlanPatch, ItemError> {
        Ok(PlanPatch {
            title: t.title.clone(),
            key_result: opt_id("key_result", t.key_result.clone())?,
            start,
            deadline,
            expected_output: t.expected_output.clone(),
        })
    })
    .transpose()?;
    let assignment = (t.responsible.is_some()
        || t.accountable.is_some()
        || t.consulted.is_some()
        || t.informed.is_some())
    .then(|| -> Result<AssignmentPatch, ItemError> {
        Ok(AssignmentPatch {
            responsible: opt_id("responsible", t.responsible.clone())?,
            accountable: opt_id("accountable", t.accountable.clone())?,
            consulted: id_list("consulted", t.consulted.clone())?,
            informed: id_list("informed", t.informed.clone())?,
        })
    })
    .transpose()?;
    let status = t.status.map(|status| StatusPatch {
        status,
        quality: t.quality,
    });
    if plan.is_none() && assignment.is_none() && progress.is_none() && status.is_none() {
        return Err(ItemError::new("", "a task event must change something: title, responsible, deadline, progress, status, ..."));
    }
    let remarks = task_remarks(&t, progress.is_some())?;
    Ok(TaskPatch {
        task_id: t.task_id.into(),
        plan,
        assignment,
        progress,
        status,
        remarks: Box::new(remarks),
    })
}

/// Longest link kept with a submission.
const MAX_LINK: usize = 2000;
/// Most files one submission refers to.
pub const MAX_ATTACHMENTS: usize = 10;

/// Checks the words and files that come with a change: each rides with the change it is about
/// (a note with progress or a status, an output with a submission, a comment with a decision,
/// a reason with a return, a reassignment or a new deadline), so none is kept without its change.
fn task_remarks(t: &TaskEventIn, progress: bool) -> Result<TaskRemarks, ItemError> {
    use crate::domain::TaskStatus as S;
    let status = t.status;
    let text = |field: &str, v: &Option<String>, max: usize| -> Result<Option<String>, ItemError> {
        match v {
            Some(s) if s.trim().is_empty() => Err(ItemError::new(field, "is empty")),
            Some(s) if s.chars().count() > max => Err(ItemError::new(
                field,
                format!("is longer than {max} characters"),
            )),
            Some(s) => Ok(Some(s.trim().to_string())),
            None => Ok(None),
        }
    };
    let note = text("note", &t.note, 2000)?;
    let output = text("output", &t.output, 4000)?;
    let link = text("link", &t.link, MAX_LINK)?;
    let comment = text("comment", &t.comment, 2000)?;
    let reason = text("reason", &t.reason, 2000)?;
    if note.is_some() && !progress && status.is_none() {
        return Err(ItemError::new(
            "note",
            "comes with a progress or status change",
        ));
    }
    let submitted = status == Some(S::Submitted);
    if let Some(l) = &link {
        if !(l.starts_with("https://") || l.starts_with("http://"))
            || l.contains(char::is_whitespace)
        {
            return Err(ItemError::new(
                "link",
                "must be an http or https address without spaces",
            ));
        }
    }
    let attachments = t.attachments.clone().unwrap_or_default();
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(ItemError::new(
            "attachments",
            format!("lists more than {MAX_ATTACHMENTS} files"),
        ));
    }
    for (i, a) in attachments.iter().enumerate() {
        if a.sha256.len() != 64
            || !a
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(ItemError::new(
                format!("attachments[{i}].sha256"),
                "must be the 64 lowercase hex digits POST /api/v1/attachments answered",
            ));
        }
        check_text(&format!("attachments[{i}].name"), &a.name, 200)?;
    }
    for (field, present) in [
        ("output", output.is_some()),
        ("link", link.is_some()),
        ("attachments", !attachments.is_empty()),
    ] {
        if present && !submitted {
            return Err(ItemError::new(field, "comes with status submitted"));
        }
    }
    if comment.is_some() && !matches!(status, Some(S::Accepted | S::Returned)) {
        return Err(ItemError::new(
            "comment",
            "comes with status accepted or returned",
        ));
    }
    if reason.is_some()
        && status != Some(S::Returned)
        && t.responsible.is_none()
        && t.accountable.is_none()
        && t.deadline.is_none()
        && t.start.is_none()
        && status != Some(S::Cancelled)
    {
        return Err(ItemError::new(
            "reason",
            "comes with a return, a cancellation, a reassignment or a new start or deadline",
        ));
    }
    Ok(TaskRemarks {
        note,
        output,
        link,
        attachments,
        comment,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(v: Value) -> ItemError {
        parse_event(v).unwrap_err()
    }

    #[test]
    fn the_documents_examples_are_events_of_each_kind() {
        let kinds: Vec<&str> = examples()
            .into_iter()
            .map(|e| parse_event(e.clone()).unwrap_or_else(|err| panic!("{e}: {err}")))
            .map(|e| e.body.kind())
            .collect();
        assert_eq!(
            kinds,
            [
                "task",
                "kr_checkin",
                "kpi_observation",
                "satisfaction_rating"
            ]
        );
    }

    #[test]
    fn errors_name_the_field() {
        let e = err(
            json!({"id":"e1","at":"2026-11-22T08:00:00+07:00","type":"task","task_id":"t1","progress":120}),
        );
        assert_eq!(e.field, "progress");
        let e = err(
            json!({"id":"e1","at":"2026-11-22T08:00:00+07:00","type":"task","task_id":"t1","progres":12}),
        );
        assert!(e.reason.contains("unknown field"), "{e:?}");
        let e = err(
            json!({"id":"e1","at":"yesterday","type":"kr_checkin","key_result":"kr","value":1}),
        );
        assert_eq!(e.field, "at");
        let e = err(
            json!({"id":"e1","at":"2026-11-22","type":"kpi_observation","kpi":"K","unit":"u","value":1}),
        );
        assert_eq!(e.field, "period");
        let e = err(
            json!({"id":"e1","at":"2026-11-22","type":"task","task_id":"t","start":"2026-12-01","deadline":"2026-11-01"}),
        );
        assert_eq!(e.field, "deadline");
        let e = err(
            json!({"id":"e1","at":"2026-11-22","type":"satisfaction_rating","unit":"u","service":"s","score":6}),
        );
        assert_eq!(e.field, "score");
        let e = err(json!({"id":"e1","at":"2026-11-22","type":"meeting"}));
        assert_eq!(e.field, "type");
        let e = err(
            json!({"id":"e1","at":"2026-11-22","type":"task","task_id":"t","consulted":["a",""]}),
        );
        assert_eq!(e.field, "consulted[1]");
        let e = err(
            json!({"id":"e1","at":"2026-11-22","type":"kr_checkin","key_result":"kr","value":"x"}),
        );
        assert_eq!(e.field, "value");
    }

    #[test]
    fn ndjson_and_arrays_split_alike() {
        let a = split_body(br#"[{"a":1},{"b":2}]"#, false).unwrap();
        let b = split_body(b"{\"a\":1}\n\n{\"b\":2}\n", true).unwrap();
        assert_eq!(a, b);
        let e = split_body(b"{\"a\":1}\n{oops\n", true).unwrap_err();
        assert_eq!(e.index, Some(1));
        assert!(parse_events(vec![]).is_err());
    }
}
