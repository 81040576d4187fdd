//! Rule unit tests in the manner of promtool's `test rules`: a TOML file of input series over
//! time and the alerts expected at given times, run against rule sources the caller supplies.
//! What a unit's screen shows (its groups, what inhibitions hold back) is in `groups.rs`.

mod groups;

use crate::builtin::Builtins;
use crate::duration::{format_duration, parse_duration};
use crate::engine::{Alert, Engine, State, Transition};
use crate::metric::Metric;
use crate::model::{
    Frequency, IndexGroup, KeyResult, Kpi, Person, Series, Severity, SubjectKind, Task, TaskStatus,
    Thresholds, Unit, UnitLevel, UnitMetrics,
};
use crate::rule::RuleSet;
use crate::source::{RuleError, Source, Val};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use toml::Spanned;

/// The outcome of a test file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TestReport {
    /// Problems in the test file or its rule files; when there are any, no test ran.
    pub errors: Vec<RuleError>,
    /// One entry per `[[test]]`, in file order.
    pub tests: Vec<TestResult>,
}

/// The outcome of one `[[test]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    pub name: String,
    /// One message per failing expectation, each naming its time and the differences.
    pub failures: Vec<String>,
}

impl TestResult {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

impl TestReport {
    /// No errors and every test passed.
    pub fn passed(&self) -> bool {
        self.errors.is_empty() && self.tests.iter().all(TestResult::passed)
    }
}

impl fmt::Display for TestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.errors {
            writeln!(f, "{e}")?;
        }
        for t in &self.tests {
            if t.passed() {
                writeln!(f, "PASS {}", t.name)?;
            } else {
                writeln!(f, "FAIL {}", t.name)?;
                for failure in &t.failures {
                    for line in failure.lines() {
                        writeln!(f, "    {line}")?;
                    }
                }
            }
        }
        let failed = self.tests.iter().filter(|t| !t.passed()).count();
        if self.errors.is_empty() {
            write!(
                f,
                "{} tests, {} passed, {failed} failed",
                self.tests.len(),
                self.tests.len() - failed
            )
        } else {
            write!(f, "{} errors, no test ran", self.errors.len())
        }
    }
}

/// The rule files a test file names (`rule_files`), so the caller knows what to read before
/// [`run_tests`]; paths are as written (relative to the test file, by convention).
pub fn test_rule_files(test_file: &str, test_text: &str) -> Result<Vec<String>, Vec<RuleError>> {
    let mut src = Source::new(test_file, test_text);
    let spec = parse_spec(&mut src);
    match spec {
        Some(spec) if src.errors.is_empty() => Ok(spec
            .rule_files
            .into_iter()
            .map(Spanned::into_inner)
            .collect()),
        _ => Err(src.errors),
    }
}

/// Runs a test file. `rule_sources` holds `(name, contents)` for each file its `rule_files`
/// names, matched by the exact name written there.
pub fn run_tests(test_file: &str, test_text: &str, rule_sources: &[(&str, &str)]) -> TestReport {
    let mut src = Source::new(test_file, test_text);
    let spec = parse_spec(&mut src);
    let Some(spec) = spec.filter(|_| src.errors.is_empty()) else {
        src.errors.sort_by_key(|e| (e.line, e.column));
        return TestReport {
            errors: src.errors,
            tests: Vec::new(),
        };
    };
    let mut chosen: Vec<(&str, &str)> = Vec::new();
    for file in &spec.rule_files {
        match rule_sources.iter().find(|(name, _)| name == file.get_ref()) {
            Some(s) => chosen.push(*s),
            None => src.report(
                &file.span(),
                "rule_files",
                format!("no contents were given for '{}'", file.get_ref()),
            ),
        }
    }
    if !src.errors.is_empty() {
        return TestReport {
            errors: src.errors,
            tests: Vec::new(),
        };
    }
    let builtins = if spec.builtins {
        Builtins::default()
    } else {
        Builtins::none()
    };
    let rules = match RuleSet::load(&builtins, &chosen) {
        Ok(r) => r,
        Err(errors) => {
            return TestReport {
                errors,
                tests: Vec::new(),
            }
        }
    };
    let tests = spec
        .tests
        .iter()
        .map(|case| TestResult {
            name: case.name.clone(),
            failures: run_case(&rules, &spec, case),
        })
        .collect();
    TestReport {
        errors: Vec::new(),
        tests,
    }
}

struct Spec {
    rule_files: Vec<Spanned<String>>,
    builtins: bool,
    units: Vec<Unit>,
    kpis: Vec<Kpi>,
    people: Vec<Person>,
    tests: Vec<Case>,
}

struct Case {
    name: String,
    units: Vec<Unit>,
    inputs: Vec<Input>,
    acks: Vec<AckStep>,
    expects: Vec<Expect>,
    expect_groups: Vec<groups::ExpectGroups>,
}

enum Target {
    UnitMetric {
        unit: String,
        metric: Metric,
    },
    Kpi {
        kpi: String,
        unit: String,
        entered_by: Option<String>,
        expected_from: Option<i64>,
    },
    KeyResult {
        id: String,
        title: String,
        unit: String,
    },
    Task {
        id: String,
        title: String,
        unit: String,
        responsible: String,
        accountable: Option<String>,
        deadline: i64,
    },
}

#[derive(Clone, Copy)]
enum Sample {
    Num(f64),
    Absent,
    Status(TaskStatus),
}

struct Input {
    target: Target,
    samples: Vec<(i64, Sample)>,
}

struct AckStep {
    at: i64,
    rule: String,
    subject: String,
    by: String,
}

struct Expect {
    at: i64,
    rule: Option<String>,
    /// Only the alerts this unit's screen shows (its subtree, less what inhibitions hold back).
    view: Option<String>,
    alerts: Vec<Expected>,
}

struct Expected {
    rule: String,
    subject: String,
    state: State,
    severity: Option<Severity>,
    escalated: Option<bool>,
    acknowledged: Option<bool>,
    value: Option<f64>,
    summary_vi: Option<String>,
    summary_en: Option<String>,
}

/// A table's entries with unknown keys already reported.
struct Fields<'v> {
    entries: &'v [(Spanned<String>, Spanned<Val>)],
    span: Range<usize>,
    prefix: String,
}

impl<'v> Fields<'v> {
    fn new(
        src: &mut Source<'_>,
        v: &'v Spanned<Val>,
        prefix: &str,
        known: &[&str],
    ) -> Option<Fields<'v>> {
        let entries = src.table(v, prefix)?;
        for (key, _) in entries {
            if !known.contains(&key.get_ref().as_str()) {
                src.unknown_key(key, prefix, known);
            }
        }
        Some(Fields {
            entries,
            span: v.span(),
            prefix: prefix.to_owned(),
        })
    }

    fn get(&self, key: &str) -> Option<&'v Spanned<Val>> {
        self.entries
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(_, v)| v)
    }

    fn field(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    fn string(&self, src: &mut Source<'_>, key: &str) -> Option<String> {
        let v = self.get(key)?;
        src.string(v, &self.field(key)).map(str::to_owned)
    }

    fn required(&self, src: &mut Source<'_>, key: &str) -> Option<String> {
        if self.get(key).is_none() {
            src.report(&self.span, &self.field(key), "missing");
            return None;
        }
        self.string(src, key)
    }

    fn duration(&self, src: &mut Source<'_>, key: &str) -> Option<i64> {
        let v = self.get(key)?;
        let s = src.string(v, &self.field(key))?;
        match parse_duration(s) {
            Ok(ms) => Some(ms),
            Err(e) => {
                src.report(&v.span(), &self.field(key), e);
                None
            }
        }
    }

    fn number(&self, src: &mut Source<'_>, key: &str) -> Option<f64> {
        let v = self.get(key)?;
        src.number(v, &self.field(key))
    }

    fn boolean(&self, src: &mut Source<'_>, key: &str) -> Option<bool> {
        let v = self.get(key)?;
        src.boolean(v, &self.field(key))
    }

    /// An array of tables at `key`, each walked by `each`.
    fn tables<T>(
        &self,
        src: &mut Source<'_>,
        key: &str,
        mut each: impl FnMut(&mut Source<'_>, &'v Spanned<Val>, String) -> Option<T>,
    ) -> Vec<T> {
        let Some(v) = self.get(key) else {
            return Vec::new();
        };
        let Some(items) = src.array(v, &self.field(key)) else {
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| each(src, item, format!("{}[{}]", self.field(key), i + 1)))
            .collect()
    }
}

/// A unit as declared: its parent is resolved into ancestors once every unit is known.
struct Declared {
    unit: Unit,
    parent: Option<Spanned<String>>,
    field: String,
}

fn parse_spec(src: &mut Source<'_>) -> Option<Spec> {
    let doc = src.parse()?;
    let top = Fields::new(
        src,
        &doc,
        "",
        &["rule_files", "builtins", "unit", "kpi", "person", "test"],
    )?;
    let rule_files = match top.get("rule_files") {
        Some(v) => src.strings(v, "rule_files").unwrap_or_default(),
        None => Vec::new(),
    };
    let builtins = top.boolean(src, "builtins").unwrap_or(false);
    let declared = top.tables(src, "unit", parse_unit);
    let units = resolve_units(src, declared, &[]);
    let kpis = top.tables(src, "kpi", parse_kpi);
    let people = top.tables(src, "person", |src, v, field| {
        let f = Fields::new(src, v, &field, &["id", "name"])?;
        let id = f.required(src, "id");
        let name = f.required(src, "name");
        Some(Person {
            id: id?,
            name: name?,
        })
    });
    let tests = top.tables(src, "test", |src, v, field| {
        parse_case(src, v, field, &units, &kpis)
    });
    if tests.is_empty() && top.get("test").is_none() {
        src.report(
            &doc.span(),
            "test",
            "a test file needs at least one [[test]]",
        );
    }
    Some(Spec {
        rule_files,
        builtins,
        units,
        kpis,
        people,
        tests,
    })
}

fn parse_unit(src: &mut Source<'_>, v: &Spanned<Val>, field: String) -> Option<Declared> {
    let f = Fields::new(src, v, &field, &["id", "name", "level", "parent", "leader"])?;
    let id = f.required(src, "id");
    let level = parse_level(src, &f);
    let name = f.string(src, "name");
    let leader = f.string(src, "leader");
    let parent = f.get("parent").and_then(|p| {
        src.string(p, &f.field("parent"))
            .map(|s| Spanned::new(p.span(), s.to_owned()))
    });
    let id = id?;
    Some(Declared {
        unit: Unit {
            name: name.unwrap_or_else(|| id.clone()),
            id,
            level: level?,
            ancestors: Vec::new(),
            leader,
        },
        parent,
        field,
    })
}

fn parse_level(src: &mut Source<'_>, f: &Fields<'_>) -> Option<UnitLevel> {
    let Some(v) = f.get("level") else {
        src.report(&f.span, &f.field("level"), "missing");
        return None;
    };
    let s = src.string(v, &f.field("level"))?;
    let level = UnitLevel::parse(s);
    if level.is_none() {
        src.report(
            &v.span(),
            &f.field("level"),
            format!(
                "unknown level '{s}'; one of: {}",
                UnitLevel::ALL.map(UnitLevel::as_str).join(", ")
            ),
        );
    }
    level
}

/// Gives every declared unit its ancestors (root first) from the parent links, among the units
/// declared here and `known` ones.
fn resolve_units(src: &mut Source<'_>, declared: Vec<Declared>, known: &[Unit]) -> Vec<Unit> {
    let parents: HashMap<String, Option<String>> = declared
        .iter()
        .map(|d| {
            (
                d.unit.id.clone(),
                d.parent.as_ref().map(|p| p.get_ref().clone()),
            )
        })
        .chain(
            known
                .iter()
                .map(|u| (u.id.clone(), u.ancestors.last().cloned())),
        )
        .collect();
    let mut out = Vec::new();
    for d in declared {
        let mut unit = d.unit;
        let mut chain = Vec::new();
        let mut cursor = d.parent.as_ref().map(|p| p.get_ref().clone());
        let mut ok = true;
        while let Some(p) = cursor {
            if p == unit.id || chain.contains(&p) {
                if let Some(span) = d.parent.as_ref().map(|p| p.span()) {
                    src.report(
                        &span,
                        &format!("{}.parent", d.field),
                        "the parent links form a cycle",
                    );
                }
                ok = false;
                break;
            }
            let Some(next) = parents.get(&p) else {
                if let Some(span) = d.parent.as_ref().map(|p| p.span()) {
                    src.report(
                        &span,
                        &format!("{}.parent", d.field),
                        format!("unit '{p}' is not declared"),
                    );
                }
                ok = false;
                break;
            };
            chain.push(p);
            cursor = next.clone();
        }
        if ok {
            chain.reverse();
            unit.ancestors = chain;
            out.push(unit);
        }
    }
    out
}

fn parse_kpi(src: &mut Source<'_>, v: &Spanned<Val>, field: String) -> Option<Kpi> {
    let f = Fields::new(
        src,
        v,
        &field,
        &[
            "code",
            "name",
            "direction",
            "green",
            "red",
            "green_low",
            "green_high",
            "red_low",
            "red_high",
            "frequency",
            "group",
            "leading_unit",
        ],
    )?;
    let code = f.required(src, "code");
    let name = f.string(src, "name");
    let direction = f.required(src, "direction");
    let mut num = |key: &str| -> Option<f64> {
        if f.get(key).is_none() {
            src.report(&f.span, &f.field(key), "missing");
            return None;
        }
        f.number(src, key)
    };
    let thresholds = match direction.as_deref() {
        Some("higher_is_better") => Some(Thresholds::HigherIsBetter {
            green: num("green")?,
            red: num("red")?,
        }),
        Some("lower_is_better") => Some(Thresholds::LowerIsBetter {
            green: num("green")?,
            red: num("red")?,
        }),
        Some("in_band") => Some(Thresholds::InBand {
            green_low: num("green_low")?,
            green_high: num("green_high")?,
            red_low: num("red_low")?,
            red_high: num("red_high")?,
        }),
        Some(other) => {
            if let Some(v) = f.get("direction") {
                src.report(
                    &v.span(),
                    &f.field("direction"),
                    format!("unknown direction '{other}'; one of: higher_is_better, lower_is_better, in_band"),
                );
            }
            None
        }
        None => None,
    };
    if let (Some(t), Some(v)) = (&thresholds, f.get("direction")) {
        if let Err(e) = t.validate() {
            src.report(&v.span(), &f.field("direction"), e);
        }
    }
    let frequency = match f.string(src, "frequency") {
        None => Some(Frequency::Monthly),
        Some(s) => {
            let parsed = Frequency::parse(&s);
            if parsed.is_none() {
                if let Some(v) = f.get("frequency") {
                    src.report(
                        &v.span(),
                        &f.field("frequency"),
                        format!(
                            "unknown frequency '{s}'; one of: {}",
                            Frequency::ALL.map(Frequency::as_str).join(", ")
                        ),
                    );
                }
            }
            parsed
        }
    };
    let group = match f.string(src, "group") {
        None => Some(IndexGroup::Development),
        Some(s) => {
            let parsed = IndexGroup::parse(&s);
            if parsed.is_none() {
                if let Some(v) = f.get("group") {
                    src.report(
                        &v.span(),
                        &f.field("group"),
                        format!("unknown index group '{s}'; one of: development, service, party, internal"),
                    );
                }
            }
            parsed
        }
    };
    let leading_unit = f.string(src, "leading_unit").unwrap_or_default();
    let code = code?;
    Some(Kpi {
        name: name.unwrap_or_else(|| code.clone()),
        code,
        thresholds: thresholds?,
        frequency: frequency?,
        group: group?,
        leading_unit,
    })
}

const INPUT_KEYS: [&str; 17] = [
    "metric",
    "subject",
    "unit",
    "kpi",
    "values",
    "level",
    "parent",
    "name",
    "leader",
    "entered_by",
    "expected_from",
    "responsible",
    "accountable",
    "deadline",
    "interval",
    "start",
    "title",
];

fn parse_case(
    src: &mut Source<'_>,
    v: &Spanned<Val>,
    field: String,
    units: &[Unit],
    kpis: &[Kpi],
) -> Option<Case> {
    let f = Fields::new(
        src,
        v,
        &field,
        &[
            "name",
            "interval",
            "input",
            "ack",
            "expect",
            "expect_groups",
        ],
    )?;
    let name = f.required(src, "name");
    let interval = f
        .duration(src, "interval")
        .unwrap_or(crate::duration::MINUTE);
    if interval <= 0 {
        if let Some(v) = f.get("interval") {
            src.report(
                &v.span(),
                &f.field("interval"),
                "the interval must be longer than 0s",
            );
        }
    }

    // Units declared inline by inputs (`level = ...` on an input whose unit is not declared).
    let mut inline: Vec<Declared> = Vec::new();
    let raw_inputs = f.tables(src, "input", |src, v, field| {
        let fi = Fields::new(src, v, &field, &INPUT_KEYS)?;
        Some((fi, field))
    });
    for (fi, field) in &raw_inputs {
        if fi.get("level").is_none() {
            continue;
        }
        // Peek without reporting: parse_input reports type errors of these keys once.
        let peek = |key: &str| match fi.get(key).map(|v| v.get_ref()) {
            Some(Val::Str(s)) => Some(s.clone()),
            _ => None,
        };
        let unit_key = match peek("metric")
            .as_deref()
            .and_then(Metric::parse)
            .map(Metric::subject)
        {
            Some(SubjectKind::Unit) => "subject",
            _ => "unit",
        };
        let Some(id) = peek(unit_key) else {
            continue;
        };
        if units.iter().any(|u| u.id == id) || inline.iter().any(|d| d.unit.id == id) {
            continue;
        }
        let level = parse_level(src, fi)?;
        inline.push(Declared {
            unit: Unit {
                name: fi.string(src, "name").unwrap_or_else(|| id.clone()),
                id,
                level,
                ancestors: Vec::new(),
                leader: fi.string(src, "leader"),
            },
            parent: fi.get("parent").and_then(|p| {
                src.string(p, &fi.field("parent"))
                    .map(|s| Spanned::new(p.span(), s.to_owned()))
            }),
            field: field.clone(),
        });
    }
    let case_units = resolve_units(src, inline, units);
    let known_unit = |id: &str| units.iter().chain(case_units.iter()).any(|u| u.id == id);

    let mut inputs = Vec::new();
    for (fi, _) in &raw_inputs {
        if let Some(input) = parse_input(src, fi, interval, &known_unit, kpis) {
            inputs.push(input);
        }
    }

    let acks = f.tables(src, "ack", |src, v, field| {
        let fa = Fields::new(src, v, &field, &["at", "rule", "subject", "by"])?;
        let at = required_duration(src, &fa, "at");
        let rule = fa.required(src, "rule");
        let subject = fa.required(src, "subject");
        Some(AckStep {
            at: at?,
            rule: rule?,
            subject: subject?,
            by: fa.string(src, "by").unwrap_or_else(|| "tester".into()),
        })
    });

    let expects = f.tables(src, "expect", |src, v, field| {
        let fe = Fields::new(src, v, &field, &["at", "rule", "view", "alerts"])?;
        let at = required_duration(src, &fe, "at");
        let rule = fe.string(src, "rule");
        let view = fe.string(src, "view");
        if fe.get("alerts").is_none() {
            src.report(
                &fe.span,
                &fe.field("alerts"),
                "missing (write alerts = [] to expect none)",
            );
            return None;
        }
        let alerts = fe.tables(src, "alerts", parse_expected);
        let count = fe.get("alerts").and_then(|v| match v.get_ref() {
            Val::Array(items) => Some(items.len()),
            _ => None,
        });
        if count != Some(alerts.len()) {
            return None;
        }
        Some(Expect {
            at: at?,
            rule,
            view,
            alerts,
        })
    });
    let expect_groups = f.tables(src, "expect_groups", groups::parse_expect_groups);

    Some(Case {
        name: name?,
        units: case_units,
        inputs,
        acks,
        expects,
        expect_groups,
    })
}

fn required_duration(src: &mut Source<'_>, f: &Fields<'_>, key: &str) -> Option<i64> {
    if f.get(key).is_none() {
        src.report(&f.span, &f.field(key), "missing");
        return None;
    }
    f.duration(src, key)
}

fn parse_expected(src: &mut Source<'_>, v: &Spanned<Val>, field: String) -> Option<Expected> {
    let f = Fields::new(
        src,
        v,
        &field,
        &[
            "rule",
            "subject",
            "state",
            "severity",
            "escalated",
            "acknowledged",
            "value",
            "summary_vi",
            "summary_en",
        ],
    )?;
    let rule = f.required(src, "rule");
    let subject = f.required(src, "subject");
    let state = match f.string(src, "state").as_deref() {
        None | Some("firing") => Some(State::Firing),
        Some("pending") => Some(State::Pending),
        Some(other) => {
            if let Some(v) = f.get("state") {
                src.report(
                    &v.span(),
                    &f.field("state"),
                    format!("unknown state '{other}'; active alerts are \"pending\" or \"firing\""),
                );
            }
            None
        }
    };
    let severity = match f.string(src, "severity") {
        None => Some(None),
        Some(s) => match Severity::parse(&s) {
            Some(sev) => Some(Some(sev)),
            None => {
                if let Some(v) = f.get("severity") {
                    src.report(
                        &v.span(),
                        &f.field("severity"),
                        format!("unknown severity '{s}'; \"yellow\" or \"red\""),
                    );
                }
                None
            }
        },
    };
    Some(Expected {
        rule: rule?,
        subject: subject?,
        state: state?,
        severity: severity?,
        escalated: f.boolean(src, "escalated"),
        acknowledged: f.boolean(src, "acknowledged"),
        value: f.number(src, "value"),
        summary_vi: f.string(src, "summary_vi"),
        summary_en: f.string(src, "summary_en"),
    })
}

fn parse_input(
    src: &mut Source<'_>,
    f: &Fields<'_>,
    case_interval: i64,
    known_unit: &dyn Fn(&str) -> bool,
    kpis: &[Kpi],
) -> Option<Input> {
    let metric_name = f.required(src, "metric")?;
    let metric = match metric_name.as_str() {
        "task.progress" => None,
        name => match Metric::parse(name) {
            Some(m)
                if m.subject() == SubjectKind::Unit
                    || matches!(m, Metric::KpiValue | Metric::KeyResultPaceGap) =>
            {
                Some(m)
            }
            _ => {
                if let Some(v) = f.get("metric") {
                    src.report(
                        &v.span(),
                        &f.field("metric"),
                        format!(
                            "'{name}' cannot be fed: feed a unit metric, kpi.value (staleness follows from when values arrive), key_result.pace_gap or task.progress"
                        ),
                    );
                }
                return None;
            }
        },
    };
    let unit_ref = |src: &mut Source<'_>, key: &str| -> Option<String> {
        let id = f.required(src, key)?;
        if !known_unit(&id) {
            if let Some(v) = f.get(key) {
                src.report(
                    &v.span(),
                    &f.field(key),
                    format!(
                        "unit '{id}' is not declared: add a [[unit]] or give level = \"...\" here"
                    ),
                );
            }
            return None;
        }
        Some(id)
    };
    let target = match metric {
        Some(m) if m.subject() == SubjectKind::Unit => Target::UnitMetric {
            unit: unit_ref(src, "subject")?,
            metric: m,
        },
        Some(Metric::KpiValue) => {
            let kpi = f.required(src, "kpi");
            let unit = unit_ref(src, "unit");
            let kpi = kpi?;
            if !kpis.iter().any(|k| k.code == kpi) {
                if let Some(v) = f.get("kpi") {
                    src.report(
                        &v.span(),
                        &f.field("kpi"),
                        format!("KPI '{kpi}' is not declared in a [[kpi]] table"),
                    );
                }
                return None;
            }
            Target::Kpi {
                kpi,
                unit: unit?,
                entered_by: f.string(src, "entered_by"),
                expected_from: f.duration(src, "expected_from"),
            }
        }
        Some(_) => Target::KeyResult {
            id: f.required(src, "subject")?,
            title: f.string(src, "title").unwrap_or_default(),
            unit: unit_ref(src, "unit")?,
        },
        None => {
            let id = f.required(src, "subject");
            let unit = unit_ref(src, "unit");
            let responsible = f.required(src, "responsible");
            let deadline = required_duration(src, f, "deadline");
            Target::Task {
                id: id?,
                title: f.string(src, "title").unwrap_or_default(),
                unit: unit?,
                responsible: responsible?,
                accountable: f.string(src, "accountable"),
                deadline: deadline?,
            }
        }
    };
    let interval = f.duration(src, "interval").unwrap_or(case_interval);
    let start = f.duration(src, "start").unwrap_or(0);
    let values_v = f.get("values");
    let values = f.required(src, "values")?;
    let span = values_v.map(|v| v.span()).unwrap_or(0..0);
    let samples = match expand(&values, &target, metric) {
        Ok(s) => s,
        Err(e) => {
            src.report(&span, &f.field("values"), e);
            return None;
        }
    };
    let samples = samples
        .into_iter()
        .enumerate()
        .filter_map(|(i, s)| s.map(|s| (start + i as i64 * interval, s)))
        .collect();
    Some(Input { target, samples })
}

/// Expands a `values` string into one slot per interval (`None`: `_`, no sample in that slot).
fn expand(
    text: &str,
    target: &Target,
    metric: Option<Metric>,
) -> Result<Vec<Option<Sample>>, String> {
    let is_task = matches!(target, Target::Task { .. });
    let counts = metric.is_some_and(|m| m.scale() == crate::metric::Scale::Count);
    let number = |tok: &str| -> Result<f64, String> {
        let x: f64 = tok.parse().map_err(|_| {
            format!("'{tok}' is not a number, '_' (no sample), 'none' (no data), 'VxN' or 'A+BxN'")
        })?;
        if !x.is_finite() {
            return Err(format!("'{tok}' is not a finite number"));
        }
        if counts && (x < 0.0 || x.fract() != 0.0) {
            return Err(format!(
                "'{tok}': this metric is a count, so values are whole numbers"
            ));
        }
        Ok(x)
    };
    let mut out = Vec::new();
    for tok in text.split_whitespace() {
        if tok == "_" {
            out.push(None);
            continue;
        }
        if tok == "none" {
            if is_task || matches!(target, Target::KeyResult { .. }) || counts {
                return Err(
                    "'none' (no data) is only for unit ratios, averages and kpi.value".into(),
                );
            }
            out.push(Some(Sample::Absent));
            continue;
        }
        if let Some(status) = TaskStatus::parse(tok) {
            if !is_task {
                return Err(format!(
                    "'{tok}' is a task status; only task.progress takes statuses"
                ));
            }
            out.push(Some(Sample::Status(status)));
            continue;
        }
        if let Some((head, n)) = tok.rsplit_once('x') {
            let n: usize = n
                .parse()
                .map_err(|_| format!("'{tok}': the count after 'x' must be a whole number"))?;
            if n == 0 || n > 100_000 {
                return Err(format!(
                    "'{tok}': the count after 'x' must be between 1 and 100000"
                ));
            }
            // `A+B` / `A-B` (but not a leading sign or an exponent's sign).
            let split = head.char_indices().skip(1).find(|&(i, c)| {
                (c == '+' || c == '-') && !matches!(head.as_bytes()[i - 1], b'e' | b'E')
            });
            let (a, step) = match split {
                Some((i, _)) => (number(&head[..i])?, number(&head[i..])?),
                None => (number(head)?, 0.0),
            };
            for k in 0..n {
                out.push(Some(Sample::Num(a + step * k as f64)));
            }
            continue;
        }
        out.push(Some(Sample::Num(number(tok)?)));
    }
    if out.is_empty() {
        return Err("no values".into());
    }
    Ok(out)
}

enum Step<'a> {
    Sample(usize, Sample),
    Ack(&'a AckStep),
    Expect(&'a Expect),
    ExpectGroups(&'a groups::ExpectGroups),
}

fn run_case(rules: &RuleSet, spec: &Spec, case: &Case) -> Vec<String> {
    let mut engine = Engine::new(rules.clone());
    let mut summaries: HashMap<(String, String), (String, String)> = HashMap::new();
    fn note(summaries: &mut HashMap<(String, String), (String, String)>, ts: Vec<Transition>) {
        for t in ts {
            summaries.insert((t.rule, t.subject), (t.summary_vi, t.summary_en));
        }
    }

    let mut failures = Vec::new();
    for u in spec.units.iter().chain(case.units.iter()) {
        note(&mut summaries, engine.unit(u.clone(), 0));
    }
    for k in &spec.kpis {
        note(&mut summaries, engine.kpi(k.clone(), 0));
    }
    for p in &spec.people {
        engine.person(p.clone());
    }

    let mut steps: Vec<(i64, u8, usize, Step)> = Vec::new();
    for (i, input) in case.inputs.iter().enumerate() {
        for (j, &(t, s)) in input.samples.iter().enumerate() {
            steps.push((t, 0, i * 1_000_000 + j, Step::Sample(i, s)));
        }
    }
    for (i, a) in case.acks.iter().enumerate() {
        steps.push((a.at, 1, i, Step::Ack(a)));
    }
    for (i, e) in case.expects.iter().enumerate() {
        steps.push((e.at, 2, i, Step::Expect(e)));
    }
    for (i, e) in case.expect_groups.iter().enumerate() {
        steps.push((e.at, 3, i, Step::ExpectGroups(e)));
    }
    // Samples before acknowledgments before expectations at the same instant, each in file
    // order.
    steps.sort_by_key(|(t, class, seq, _)| (*t, *class, *seq));

    let mut metrics: HashMap<String, UnitMetrics> = HashMap::new();
    // Keyed by subject, so several inputs can drive one series or task (e.g. progress, then a
    // status change later).
    let mut series: HashMap<String, Series> = HashMap::new();
    let mut tasks: HashMap<String, Task> = HashMap::new();
    for (t, _, _, step) in steps {
        match step {
            Step::Sample(i, sample) => match &case.inputs[i].target {
                Target::UnitMetric { unit, metric } => {
                    let m = metrics.entry(unit.clone()).or_default();
                    set_metric(m, *metric, sample);
                    note(&mut summaries, engine.unit_metrics(unit, *m, t));
                }
                Target::Kpi {
                    kpi,
                    unit,
                    entered_by,
                    expected_from,
                } => {
                    let s = series
                        .entry(crate::model::series_id(kpi, unit))
                        .or_insert_with(|| Series {
                            kpi: kpi.clone(),
                            unit: unit.clone(),
                            value: None,
                            last_updated: None,
                            expected_from: *expected_from,
                            data_entry: entered_by.clone(),
                        });
                    match sample {
                        Sample::Num(v) => {
                            s.value = Some(v);
                            s.last_updated = Some(t);
                        }
                        Sample::Absent | Sample::Status(_) => s.value = None,
                    }
                    note(&mut summaries, engine.series(s.clone(), t));
                }
                Target::KeyResult { id, title, unit } => {
                    if let Sample::Num(gap) = sample {
                        note(
                            &mut summaries,
                            engine.key_result(
                                KeyResult {
                                    id: id.clone(),
                                    title: title.clone(),
                                    objective: String::new(),
                                    unit: unit.clone(),
                                    progress: gap,
                                    elapsed: 0.0,
                                },
                                t,
                            ),
                        );
                    }
                }
                Target::Task {
                    id,
                    title,
                    unit,
                    responsible,
                    accountable,
                    deadline,
                } => {
                    let task = tasks.entry(id.clone()).or_insert_with(|| Task {
                        id: id.clone(),
                        title: title.clone(),
                        unit: unit.clone(),
                        responsible: responsible.clone(),
                        accountable: accountable.clone(),
                        deadline: *deadline,
                        status: TaskStatus::InProgress,
                        progress: 0.0,
                    });
                    match sample {
                        Sample::Num(p) => task.progress = p,
                        Sample::Status(s) => task.status = s,
                        Sample::Absent => {}
                    }
                    note(&mut summaries, engine.task(task.clone(), t));
                }
            },
            Step::Ack(a) => {
                note(&mut summaries, engine.tick(t));
                if let Err(e) = engine.acknowledge(&a.rule, &a.subject, &a.by, t) {
                    failures.push(format!(
                        "at {}: acknowledgment failed: {e}",
                        format_duration(t)
                    ));
                }
            }
            Step::Expect(e) => {
                note(&mut summaries, engine.tick(t));
                if let Some(msg) = compare(&engine, rules, e, &summaries) {
                    failures.push(msg);
                }
            }
            Step::ExpectGroups(e) => {
                note(&mut summaries, engine.tick(t));
                if let Some(msg) = groups::compare(&engine, rules, e) {
                    failures.push(msg);
                }
            }
        }
    }
    failures
}

fn set_metric(m: &mut UnitMetrics, metric: Metric, sample: Sample) {
    let v = match sample {
        Sample::Num(v) => Some(v),
        Sample::Absent | Sample::Status(_) => None,
    };
    // Counts were checked to be whole and non-negative when parsed.
    let count = v.unwrap_or(0.0) as u64;
    match metric {
        Metric::TasksOverdue => m.tasks_overdue = count,
        Metric::TasksOverdueRatio => m.tasks_overdue_ratio = v,
        Metric::TasksOnTimeRate => m.tasks_on_time_rate = v,
        Metric::TasksAvgProgress => m.tasks_avg_progress = v,
        Metric::KrPaceGap => m.kr_pace_gap = v,
        Metric::SatisfactionAverage => m.satisfaction_average = v,
        Metric::SatisfactionDissatisfied => {
            m.satisfaction_dissatisfied_24h = u32::try_from(count).unwrap_or(u32::MAX)
        }
        Metric::KpiRed => m.kpi_red = u32::try_from(count).unwrap_or(u32::MAX),
        Metric::KpiYellow => m.kpi_yellow = u32::try_from(count).unwrap_or(u32::MAX),
        Metric::KpiNoData => m.kpi_no_data = u32::try_from(count).unwrap_or(u32::MAX),
        _ => {}
    }
}

fn describe(a: &Alert) -> String {
    format!(
        "{} {} {} {}",
        a.rule,
        a.subject,
        state_name(a.state),
        a.severity.as_str()
    )
}

fn state_name(s: State) -> &'static str {
    match s {
        State::Inactive => "inactive",
        State::Pending => "pending",
        State::Firing => "firing",
        State::Resolved => "resolved",
    }
}

/// `None` when the engine's alerts match the expectation; otherwise a diff.
fn compare(
    engine: &Engine,
    rules: &RuleSet,
    e: &Expect,
    summaries: &HashMap<(String, String), (String, String)>,
) -> Option<String> {
    let mut lines = Vec::new();
    for name in e.rule.iter().chain(e.alerts.iter().map(|a| &a.rule)) {
        if rules.get(name).is_none() {
            lines.push(format!("! rule '{name}' is not loaded"));
        }
    }
    let shown = e
        .view
        .as_ref()
        .map(|v| groups::shown_from(engine, rules, v));
    let got: Vec<&Alert> = engine
        .alerts()
        .filter(|a| e.rule.as_ref().is_none_or(|r| *r == a.rule))
        .filter(|a| {
            shown
                .as_ref()
                .is_none_or(|s| s.contains(&(a.rule.clone(), a.subject.clone())))
        })
        .collect();
    let mut matched: BTreeMap<(String, String), bool> = BTreeMap::new();
    for x in &e.alerts {
        let want = format!(
            "{} {} {}{}",
            x.rule,
            x.subject,
            state_name(x.state),
            x.severity
                .map_or(String::new(), |s| format!(" {}", s.as_str()))
        );
        let Some(a) = got
            .iter()
            .find(|a| a.rule == x.rule && a.subject == x.subject)
        else {
            lines.push(format!("- {want}    (expected, not active)"));
            continue;
        };
        matched.insert((a.rule.clone(), a.subject.clone()), true);
        let mut diffs = Vec::new();
        if a.state != x.state {
            diffs.push(format!(
                "state: expected {}, got {}",
                state_name(x.state),
                state_name(a.state)
            ));
        }
        if let Some(s) = x.severity {
            if a.severity != s {
                diffs.push(format!(
                    "severity: expected {}, got {}",
                    s.as_str(),
                    a.severity.as_str()
                ));
            }
        }
        if let Some(esc) = x.escalated {
            if a.escalated_at.is_some() != esc {
                diffs.push(format!(
                    "escalated: expected {esc}, got {}",
                    a.escalated_at.is_some()
                ));
            }
        }
        if let Some(ack) = x.acknowledged {
            if a.acknowledged.is_some() != ack {
                diffs.push(format!(
                    "acknowledged: expected {ack}, got {}",
                    a.acknowledged.is_some()
                ));
            }
        }
        if let Some(v) = x.value {
            if a.value
                .is_none_or(|got| (got - v).abs() > 1e-9 * v.abs().max(1.0))
            {
                diffs.push(format!("value: expected {v}, got {:?}", a.value));
            }
        }
        let last = summaries.get(&(a.rule.clone(), a.subject.clone()));
        if let Some(s) = &x.summary_vi {
            let got = last.map(|l| l.0.as_str()).unwrap_or("");
            if got != s {
                diffs.push(format!("summary_vi: expected {s:?}, got {got:?}"));
            }
        }
        if let Some(s) = &x.summary_en {
            let got = last.map(|l| l.1.as_str()).unwrap_or("");
            if got != s {
                diffs.push(format!("summary_en: expected {s:?}, got {got:?}"));
            }
        }
        if !diffs.is_empty() {
            lines.push(format!("~ {}: {}", describe(a), diffs.join("; ")));
        }
    }
    for a in &got {
        if !matched.contains_key(&(a.rule.clone(), a.subject.clone())) {
            let value = a.value.map_or("no data".to_owned(), |v| v.to_string());
            lines.push(format!(
                "+ {}    (active, not expected; value {value})",
                describe(a)
            ));
        }
    }
    if lines.is_empty() {
        return None;
    }
    let mut filter = e
        .rule
        .as_ref()
        .map_or(String::new(), |r| format!(" (rule {r})"));
    if let Some(v) = &e.view {
        filter.push_str(&format!(" (seen from {v})"));
    }
    Some(format!(
        "at {}{filter}: alerts differ\n{}",
        format_duration(e.at),
        lines.join("\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = r#"
[[rule]]
name = "overdue"
metric = "tasks.overdue_ratio"
red = "> 0.25"
recover = "< 0.20"
for = "10m"
"#;

    #[test]
    fn passes_and_fails_with_a_diff() {
        let test = r#"
rule_files = ["r.toml"]

[[test]]
name = "fires after for"
interval = "5m"
[[test.input]]
subject = "p-1"
level = "ward"
metric = "tasks.overdue_ratio"
values = "0.1 0.3x3 0.22 0.1"
[[test.expect]]
at = "5m"
alerts = [{ rule = "overdue", subject = "p-1", state = "pending", severity = "red" }]
[[test.expect]]
at = "15m"
alerts = [{ rule = "overdue", subject = "p-1", state = "firing", severity = "red" }]
[[test.expect]]
at = "20m"
alerts = [{ rule = "overdue", subject = "p-1", value = 0.22 }]
[[test.expect]]
at = "25m"
alerts = []

[[test]]
name = "wrong on purpose"
[[test.input]]
subject = "p-1"
level = "ward"
metric = "tasks.overdue_ratio"
values = "0.3"
[[test.expect]]
at = "0s"
alerts = [{ rule = "overdue", subject = "p-1", state = "firing", severity = "yellow" }]
[[test.expect]]
at = "1m"
alerts = []
"#;
        let report = run_tests("t.toml", test, &[("r.toml", RULES)]);
        assert!(report.errors.is_empty(), "{report}");
        assert!(report.tests[0].passed(), "{report}");
        let failures = &report.tests[1].failures;
        assert_eq!(failures.len(), 2, "{report}");
        assert!(
            failures[0].contains("at 0s: alerts differ"),
            "{}",
            failures[0]
        );
        assert!(failures[0].contains("~ overdue p-1 pending red: state: expected firing, got pending; severity: expected yellow, got red"), "{}", failures[0]);
        assert!(
            failures[1].contains("+ overdue p-1 pending red"),
            "{}",
            failures[1]
        );
        assert!(!report.passed());
        assert!(report.to_string().contains("2 tests, 1 passed, 1 failed"));
    }

    #[test]
    fn reports_file_errors_with_positions() {
        let test = "rule_files = [\"r.toml\"]\n[[test]]\nname = \"x\"\n[[test.input]]\nsubject = \"p-1\"\nmetric = \"tasks.overdue_ratio\"\nvalues = \"0.1 abc\"\n[[test.expect]]\nat = \"5 min\"\nalerts = []\n";
        let report = run_tests("t.toml", test, &[("r.toml", RULES)]);
        let fields: Vec<(&str, usize)> = report
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.line))
            .collect();
        assert_eq!(
            fields,
            vec![("test[1].input[1].subject", 5), ("test[1].expect[1].at", 9)],
            "{report}"
        );
        let report = run_tests(
            "t.toml",
            "rule_files = [\"missing.toml\"]\n[[test]]\nname = \"x\"\n",
            &[],
        );
        assert_eq!(report.errors.len(), 1);
        assert!(report.errors[0].reason.contains("no contents"));
        let report = run_tests(
            "t.toml",
            test.replace("p-1\"\n", "p-1\"\nlevel = \"ward\"\n")
                .as_str(),
            &[("r.toml", RULES)],
        );
        let fields: Vec<&str> = report.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["test[1].input[1].values", "test[1].expect[1].at"],
            "{report}"
        );
    }

    #[test]
    fn expands_value_notation() {
        let target = Target::UnitMetric {
            unit: "u".into(),
            metric: Metric::TasksOverdueRatio,
        };
        let nums = |s: &str| -> Vec<String> {
            expand(s, &target, Some(Metric::TasksOverdueRatio))
                .expect("valid")
                .into_iter()
                .map(|x| match x {
                    None => "_".into(),
                    Some(Sample::Num(v)) => format!("{v:.2}"),
                    Some(Sample::Absent) => "none".into(),
                    Some(Sample::Status(s)) => s.as_str().into(),
                })
                .collect()
        };
        assert_eq!(
            nums("0.1 _ none 0.3x2"),
            ["0.10", "_", "none", "0.30", "0.30"]
        );
        assert_eq!(
            nums("0+0.1x3 1-0.5x2"),
            ["0.00", "0.10", "0.20", "1.00", "0.50"]
        );
        assert!(expand("in_progress", &target, Some(Metric::TasksOverdueRatio)).is_err());
        assert!(expand("1.5", &target, Some(Metric::TasksOverdue)).is_err());
    }

    #[test]
    fn default_pack_passes_its_tests() {
        let rules = include_str!("../../rules/default.toml");
        let tests = include_str!("../../rules/default.test.toml");
        assert_eq!(
            test_rule_files("default.test.toml", tests),
            Ok(vec!["default.toml".to_owned()])
        );
        let report = run_tests("default.test.toml", tests, &[("default.toml", rules)]);
        assert!(report.passed(), "{report}");
        assert!(report.tests.len() >= 10, "{report}");
    }

    #[test]
    fn rule_files_are_listed_without_running() {
        let files = test_rule_files(
            "t.toml",
            "rule_files = [\"a.toml\", \"b/c.toml\"]\n[[test]]\nname = \"x\"\n",
        )
        .expect("valid");
        assert_eq!(files, ["a.toml", "b/c.toml"]);
    }
}
