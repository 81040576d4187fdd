//! Patches: what a view frame changes on top of the one before it, and two patches composed
//! into one, so a screen that missed a tick still gets a patch rather than the whole view.
//!
//! A patch's `data` replaces top-level fields of the view whole, except keys ending in
//! `_changed`, which list partial lines of a keyed list (`children` by `unit.id`, `kpis` by
//! `code`): each carries its key and the fields that changed, to be set on the line with the
//! same key; and keys ending in `_fields` (`summary_fields`, `own_fields`), which hold only the
//! changed fields of that object, nested objects likewise, to be set on it in place (LIVE.md
//! says the same to client authors).

use super::protocol::ViewKind;
use crate::domain::Id;
use serde::Serialize;
use serde_json::{Map, Value};
use tokio_tungstenite::tungstenite::Utf8Bytes;

#[derive(Debug)]
pub struct Patch {
    pub view: ViewKind,
    pub id: Id,
    /// The frame this patch applies to.
    pub base: u64,
    pub seq: u64,
    pub commit: u64,
    pub data: Map<String, Value>,
    /// The frame as sent.
    pub text: Utf8Bytes,
}

#[derive(Serialize)]
struct PatchFrame<'a> {
    r#type: &'static str,
    view: ViewKind,
    id: &'a str,
    seq: u64,
    base: u64,
    commit: u64,
    data: &'a Map<String, Value>,
}

/// The key of a line in a keyed list: a child's unit id or a KPI's code.
fn line_key(line: &Value) -> Option<&Value> {
    line.get("unit")
        .and_then(|u| u.get("id"))
        .or_else(|| line.get("code"))
}

/// The fields of `new` that differ from `old`, both objects: nested objects as their own
/// changed fields, anything else (numbers, strings, lists, null) whole. None when `new`, or an
/// object nested in it, lacks a field `old` has (setting fields cannot remove one: the caller
/// sends the whole value) or either is not an object.
pub fn diff_fields(old: &Value, new: &Value) -> Option<Value> {
    let (Value::Object(a), Value::Object(b)) = (old, new) else {
        return None;
    };
    if a.keys().any(|k| !b.contains_key(k)) {
        return None;
    }
    let mut out = Map::new();
    for (k, y) in b {
        match a.get(k) {
            Some(x) if x == y => {}
            // A nested object that lost a field cannot be said by setting fields either (a
            // client merges nested objects): the caller sends the whole value.
            Some(x @ Value::Object(_)) if y.is_object() => {
                out.insert(k.clone(), diff_fields(x, y)?);
            }
            _ => {
                out.insert(k.clone(), y.clone());
            }
        }
    }
    Some(Value::Object(out))
}

/// Sets the fields of `part` on `target` as a client does with a `_fields` key: into nested
/// objects, anything else replaced whole.
pub fn merge_fields(target: &mut Value, part: &Value) {
    let (Value::Object(t), Value::Object(p)) = (target, part) else {
        return;
    };
    for (k, v) in p {
        match t.get_mut(k) {
            Some(old @ Value::Object(_)) if v.is_object() => merge_fields(old, v),
            _ => {
                t.insert(k.clone(), v.clone());
            }
        }
    }
}

impl Patch {
    pub fn new(
        view: ViewKind,
        id: Id,
        base: u64,
        seq: u64,
        commit: u64,
        data: Map<String, Value>,
    ) -> Patch {
        let text = serde_json::to_string(&PatchFrame {
            r#type: "patch",
            view,
            id: &id,
            seq,
            base,
            commit,
            data: &data,
        })
        .expect("patches serialize")
        .into();
        Patch {
            view,
            id,
            base,
            seq,
            commit,
            data,
            text,
        }
    }

    /// This patch and then `next` as one patch, from this one's base to `next`'s seq. None when
    /// they do not chain or a whole list is replaced along the way (a whole frame is simpler).
    pub fn then(&self, next: &Patch) -> Option<Patch> {
        if next.base != self.seq || next.view != self.view || next.id != self.id {
            return None;
        }
        let mut data = self.data.clone();
        for (key, value) in &next.data {
            if let Some(field) = key.strip_suffix("_fields") {
                // Onto the whole field if this patch carries it, else onto its changed fields.
                match data.get_mut(field) {
                    Some(whole) => merge_fields(whole, value),
                    None => merge_fields(
                        data.entry(key.clone())
                            .or_insert_with(|| Value::Object(Map::new())),
                        value,
                    ),
                }
            } else if let Some(list) = key.strip_suffix("_changed") {
                if data.contains_key(list) {
                    return None;
                }
                let lines = data
                    .entry(key.clone())
                    .or_insert_with(|| Value::Array(Vec::new()))
                    .as_array_mut()?;
                for line in value.as_array()? {
                    let k = line_key(line)?;
                    match lines.iter_mut().find(|l| line_key(l) == Some(k)) {
                        Some(Value::Object(old)) => {
                            for (f, v) in line.as_object()? {
                                old.insert(f.clone(), v.clone());
                            }
                        }
                        Some(_) => return None,
                        None => lines.push(line.clone()),
                    }
                }
            } else if data.remove(&format!("{key}_fields")).is_some() {
                // The whole field after changed fields of it: the whole field says it all.
                data.insert(key.clone(), value.clone());
            } else if next.data.contains_key(&format!("{key}_changed"))
                || data.contains_key(&format!("{key}_changed"))
            {
                // A whole list after changed lines of it: the whole list alone says it all.
                data.remove(&format!("{key}_changed"));
                data.insert(key.clone(), value.clone());
            } else {
                data.insert(key.clone(), value.clone());
            }
        }
        Some(Patch::new(
            self.view,
            self.id.clone(),
            self.base,
            next.seq,
            next.commit,
            data,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Applies a patch as LIVE.md tells clients to.
    fn apply(view: &mut Value, p: &Patch) {
        for (k, v) in &p.data {
            if let Some(list) = k.strip_suffix("_changed") {
                let lines = view[list].as_array_mut().unwrap();
                for line in v.as_array().unwrap() {
                    let at = lines
                        .iter()
                        .position(|l| line_key(l) == line_key(line))
                        .unwrap();
                    for (f, x) in line.as_object().unwrap() {
                        if !(list == "children" && f == "unit") {
                            lines[at][f] = x.clone();
                        }
                    }
                }
            } else if let Some(field) = k.strip_suffix("_fields") {
                merge_fields(&mut view[field], v);
            } else {
                view[k] = v.clone();
            }
        }
    }

    #[test]
    fn changed_fields_of_a_summary_apply_and_compose() {
        let start = json!({"summary": {"people": 4, "tasks": {"open": 3, "total": 9, "rate": null}, "krs": [1, 2]},
                           "own": {"unit": {"id": "a"}, "n": 1}});
        let newer = json!({"summary": {"people": 4, "tasks": {"open": 2, "total": 9, "rate": 0.5}, "krs": [1]},
                           "own": {"unit": {"id": "a"}, "n": 1}});
        let d = diff_fields(&start["summary"], &newer["summary"]).expect("objects");
        // Only what moved: the task figures that changed and the list whole.
        assert_eq!(d, json!({"tasks": {"open": 2, "rate": 0.5}, "krs": [1]}));
        let p1 = p(1, 2, json!({"summary_fields": d}));
        let mut stepwise = start.clone();
        apply(&mut stepwise, &p1);
        assert_eq!(stepwise, newer);
        // A field gone cannot be said by setting fields: the whole value goes instead, also
        // when it is gone from a nested object (a unit's short name removed).
        assert!(diff_fields(&json!({"a": 1, "b": 2}), &json!({"a": 1})).is_none());
        assert!(diff_fields(
            &json!({"unit": {"id": "a", "short_name": "A"}, "n": 1}),
            &json!({"unit": {"id": "a"}, "n": 2})
        )
        .is_none());
        // Two patches of fields compose into one; a whole summary after them wins.
        let p2 = p(
            2,
            3,
            json!({"summary_fields": {"tasks": {"total": 10}}, "own_fields": {"n": 2}}),
        );
        apply(&mut stepwise, &p2);
        let both = p1.then(&p2).expect("they chain");
        let mut at_once = start.clone();
        apply(&mut at_once, &both);
        assert_eq!(at_once, stepwise);
        assert_eq!(
            at_once["summary"]["tasks"],
            json!({"open": 2, "total": 10, "rate": 0.5})
        );
        let whole = p(3, 4, json!({"summary": {"people": 5}}));
        let all = both.then(&whole).expect("they chain");
        assert!(!all.data.contains_key("summary_fields"));
        apply(&mut stepwise, &whole);
        let mut at_once = start.clone();
        apply(&mut at_once, &all);
        assert_eq!(at_once, stepwise);
        // Fields after a whole summary land in it.
        let after = whole
            .then(&p(4, 5, json!({"summary_fields": {"people": 6}})))
            .unwrap();
        assert_eq!(after.data["summary"], json!({"people": 6}));
        assert!(!after.data.contains_key("summary_fields"));
    }

    fn p(base: u64, seq: u64, data: Value) -> Patch {
        Patch::new(
            ViewKind::Unit,
            "hn".into(),
            base,
            seq,
            seq,
            data.as_object().unwrap().clone(),
        )
    }

    #[test]
    fn two_patches_compose_to_what_applying_both_gives() {
        let start = json!({"summary": {"n": 1}, "as_of": "t0", "children": [
            {"unit": {"id": "a"}, "n": 1, "m": 1}, {"unit": {"id": "b"}, "n": 1, "m": 1}, {"unit": {"id": "c"}, "n": 1, "m": 1}]});
        let p1 = p(
            1,
            2,
            json!({"as_of": "t1", "summary": {"n": 2}, "children_changed": [{"unit": {"id": "a"}, "m": 2}]}),
        );
        let p2 = p(
            2,
            3,
            json!({"as_of": "t2", "children_changed": [{"unit": {"id": "a"}, "n": 3}, {"unit": {"id": "c"}, "n": 3}]}),
        );
        let mut stepwise = start.clone();
        apply(&mut stepwise, &p1);
        apply(&mut stepwise, &p2);
        let both = p1.then(&p2).expect("they chain");
        assert_eq!((both.base, both.seq), (1, 3));
        let mut at_once = start;
        apply(&mut at_once, &both);
        assert_eq!(at_once, stepwise);
        assert_eq!(
            stepwise["children"][0],
            json!({"unit": {"id": "a"}, "n": 3, "m": 2})
        );
        assert!(both.text.as_str().starts_with("{\"type\":\"patch\""));
        // Not chained, or a whole list on the way: no composition.
        assert!(p1.then(&p(5, 6, json!({}))).is_none());
        let whole = p(2, 3, json!({"children": []}));
        assert!(p(1, 2, json!({"children": []}))
            .then(&p(2, 3, json!({"children_changed": []})))
            .is_none());
        let c = p1.then(&whole).expect("a whole list after changed lines");
        assert!(c.data.contains_key("children") && !c.data.contains_key("children_changed"));
    }
}
