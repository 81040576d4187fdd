//! JSON catalog documents and NDJSON record streams: splitting them into records with the line
//! each starts on, and finding the line of a field inside a record.

use super::{line_at, Batch, Found, Kind, Origin};
use crate::ingest::ItemError;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::HashMap;

/// The top level of a catalog document. Items stay raw text borrowed from the file, so that
/// where each one starts in the file (its line) is known before it is decoded.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document<'a> {
    #[serde(default, borrow)]
    units: Vec<&'a RawValue>,
    #[serde(default, borrow)]
    people: Vec<&'a RawValue>,
    #[serde(default, borrow)]
    kpis: Vec<&'a RawValue>,
    #[serde(default, borrow)]
    objectives: Vec<&'a RawValue>,
    #[serde(default, borrow)]
    key_results: Vec<&'a RawValue>,
    #[serde(default, borrow)]
    events: Vec<&'a RawValue>,
}

const KEYS: &str = "units, people, kpis, objectives, key_results, events";

/// serde_json ends messages with "at line L column C"; the line is reported on its own.
fn without_position(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    }
}

pub(super) fn load_document(
    text: &str,
    newlines: &[usize],
    file: usize,
    batch: &mut Batch,
    found: &mut Found,
) {
    let whole = Origin {
        file,
        line: 1,
        span: None,
        sheet: None,
    };
    if text.trim().is_empty() {
        found.push((
            whole,
            ItemError::new(
                "",
                format!("is empty: expected one JSON object with keys {KEYS}"),
            ),
        ));
        return;
    }
    // A derived struct also accepts an array, field by field in order: refuse it up front.
    let body = text.trim_start();
    if !body.starts_with('{') {
        let line = line_at(newlines, text.len() - body.len());
        found.push((
            Origin { line, ..whole },
            ItemError::new("", format!("expected one JSON object with keys {KEYS}")),
        ));
        return;
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let doc = match serde_path_to_error::deserialize::<_, Document>(&mut de) {
        Ok(doc) => doc,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let msg = inner.to_string();
            let msg = without_position(&msg);
            let err = if let Some(key) = msg
                .strip_prefix("unknown field `")
                .and_then(|r| r.split('`').next())
            {
                ItemError::new(key, format!("is not a catalog key: use {KEYS}"))
            } else if inner.is_syntax() || inner.is_eof() {
                ItemError::new("", format!("invalid JSON: {msg}"))
            } else if path == "." {
                ItemError::new(
                    "",
                    format!("{msg}: expected one JSON object with keys {KEYS}"),
                )
            } else {
                ItemError::new(path, msg)
            };
            found.push((
                Origin {
                    line: inner.line().max(1),
                    ..whole
                },
                err,
            ));
            return;
        }
    };
    if let Err(e) = de.end() {
        let err = ItemError::new(
            "",
            format!("invalid JSON: {}", without_position(&e.to_string())),
        );
        found.push((
            Origin {
                line: e.line().max(1),
                ..whole
            },
            err,
        ));
        return;
    }
    let lists = [
        (Kind::Unit, doc.units),
        (Kind::Person, doc.people),
        (Kind::Kpi, doc.kpis),
        (Kind::Objective, doc.objectives),
        (Kind::KeyResult, doc.key_results),
        (Kind::Event, doc.events),
    ];
    for (kind, raws) in lists {
        for raw in raws {
            let item = raw.get();
            let start = item.as_ptr() as usize - text.as_ptr() as usize;
            let origin = Origin {
                file,
                line: line_at(newlines, start),
                span: Some((start, item.len())),
                sheet: None,
            };
            let checked = serde_json::from_str::<Value>(item)
                .map_err(|e| ItemError::new("", without_position(&e.to_string())))
                .and_then(|value| batch.accept(kind, value, origin));
            if let Err(e) = checked {
                found.push((origin, e));
            }
        }
    }
}

pub(super) fn load_lines(text: &str, file: usize, batch: &mut Batch, found: &mut Found) {
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let origin = Origin {
            file,
            line: i + 1,
            span: None,
            sheet: None,
        };
        if let Err(e) = load_record(line, origin, batch) {
            found.push((origin, e));
        }
    }
}

fn load_record(line: &str, origin: Origin, batch: &mut Batch) -> Result<(), ItemError> {
    let value: Value = serde_json::from_str(line).map_err(|e| {
        ItemError::new(
            "",
            format!("invalid JSON: {}", without_position(&e.to_string())),
        )
    })?;
    let Value::Object(mut map) = value else {
        return Err(ItemError::new(
            "",
            "a record must be a JSON object with a \"kind\"",
        ));
    };
    let names = || {
        Kind::NAMES
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let kind = match map.remove("kind") {
        Some(Value::String(s)) => Kind::parse(&s).ok_or_else(|| {
            ItemError::new("kind", format!("unknown kind '{s}': use {}", names()))
        })?,
        Some(_) => return Err(ItemError::new("kind", "must be a string")),
        None => {
            return Err(ItemError::new(
                "kind",
                format!("is missing: use {}", names()),
            ))
        }
    };
    batch.accept(kind, Value::Object(map), origin)
}

/// The text of the value at `path` (`thresholds.green`, `consulted[1]`) inside the JSON text
/// `raw`, or of the deepest part of the path that exists: a missing field points at its item.
/// The result borrows from `raw`, so its position in the file gives the field's line.
pub(super) fn locate<'a>(raw: &'a str, path: &str) -> &'a str {
    let mut cur = raw;
    for segment in path.split('.') {
        let (name, indices) = match segment.split_once('[') {
            Some((name, rest)) => (name, Some(rest)),
            None => (segment, None),
        };
        if !name.is_empty() {
            let Ok(map) = serde_json::from_str::<HashMap<String, &'a RawValue>>(cur) else {
                return cur;
            };
            let Some(value) = map.get(name) else {
                return cur;
            };
            cur = value.get();
        }
        for index in indices.into_iter().flat_map(|rest| rest.split('[')) {
            let Ok(i) = index.trim_end_matches(']').parse::<usize>() else {
                return cur;
            };
            let Ok(items) = serde_json::from_str::<Vec<&'a RawValue>>(cur) else {
                return cur;
            };
            let Some(value) = items.get(i) else {
                return cur;
            };
            cur = value.get();
        }
    }
    cur
}
