//! The audit trail: one entry per change (who, when, from where, what, the fields' old and new
//! values), hash-chained so an edited or deleted entry is detectable, and the verification that
//! walks the chain (`store::verify_audit` feeds it the stored entries). Entries are built and
//! chained by the writer and committed with the change.

use crate::domain::time::Ts;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did something and from where, as the trail records them: `account:…`, `token:…` or
/// `system:…`, and the client's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub actor: String,
    pub ip: String,
}

/// An entry before it has its place in the chain.
#[derive(Debug, Clone)]
pub struct Draft {
    pub at: Ts,
    pub actor: String,
    pub ip: String,
    pub action: String,
    pub entity: String,
    pub unit: Option<String>,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

impl Draft {
    /// What `who` did now: `action` on `entity` (of `unit`), the fields' old and new values.
    pub fn new(
        who: Who,
        action: &str,
        entity: String,
        unit: Option<String>,
        old: Option<Value>,
        new: Option<Value>,
    ) -> Draft {
        Draft {
            at: crate::domain::time::now_ms(),
            actor: who.actor,
            ip: who.ip,
            action: action.to_string(),
            entity,
            unit,
            old,
            new,
        }
    }
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: Ts,
    pub actor: String,
    pub ip: String,
    pub action: String,
    pub entity: String,
    pub unit: Option<String>,
    /// JSON text, exactly as hashed.
    pub old: Option<String>,
    pub new: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// The entry's hash: SHA-256 over the previous hash and the entry's fields in a fixed order,
/// each as its length and bytes (a canonical form no field's content can shift), so any edit of
/// any field, or of the link, changes it. Fed straight into the hasher: the writer computes one
/// per change.
pub fn hash_of(e: &Entry) -> String {
    fn field(h: &mut Sha256, bytes: &[u8]) {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    }
    fn optional(h: &mut Sha256, s: &Option<String>) {
        match s {
            Some(s) => {
                h.update([1]);
                field(h, s.as_bytes());
            }
            None => h.update([0]),
        }
    }
    let mut h = Sha256::new();
    field(&mut h, e.prev_hash.as_bytes());
    h.update(e.seq.to_be_bytes());
    h.update(e.at.to_be_bytes());
    for s in [&e.actor, &e.ip, &e.action, &e.entity] {
        field(&mut h, s.as_bytes());
    }
    for s in [&e.unit, &e.old, &e.new] {
        optional(&mut h, s);
    }
    hex::encode(h.finalize())
}

/// The head of the chain: the last entry's seq and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

impl Default for Head {
    fn default() -> Self {
        Head {
            seq: 0,
            hash: GENESIS.to_string(),
        }
    }
}

impl Head {
    /// Gives the draft the next place in the chain and moves the head to it.
    pub fn append(&mut self, d: Draft) -> Entry {
        let mut e = Entry {
            seq: self.seq + 1,
            at: d.at,
            actor: d.actor,
            ip: d.ip,
            action: d.action,
            entity: d.entity,
            unit: d.unit,
            old: d.old.map(|v| v.to_string()),
            new: d.new.map(|v| v.to_string()),
            prev_hash: std::mem::take(&mut self.hash),
            hash: String::new(),
        };
        e.hash = hash_of(&e);
        self.seq = e.seq;
        self.hash = e.hash.clone();
        e
    }
}

impl Head {
    /// The entries for these drafts, chained after this head, and the head they lead to. The
    /// writer moves its head to it only once their commit succeeded.
    pub fn chain(&self, drafts: impl IntoIterator<Item = Draft>) -> (Head, Vec<Entry>) {
        let mut next = self.clone();
        let entries = drafts.into_iter().map(|d| next.append(d)).collect();
        (next, entries)
    }
}

/// The fields of two JSON objects that differ: (old values, new values). A value that is not
/// an object is compared whole.
pub fn changed_fields(old: Option<&Value>, new: Option<&Value>) -> (Option<Value>, Option<Value>) {
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut before = Map::new();
            let mut after = Map::new();
            for (k, v) in b {
                if a.get(k) != Some(v) {
                    before.insert(k.clone(), a.get(k).cloned().unwrap_or(Value::Null));
                    after.insert(k.clone(), v.clone());
                }
            }
            for (k, v) in a {
                if !b.contains_key(k) {
                    before.insert(k.clone(), v.clone());
                    after.insert(k.clone(), Value::Null);
                }
            }
            (Some(Value::Object(before)), Some(Value::Object(after)))
        }
        // Something new: what it was created with, leaving out the fields it left empty.
        (None, Some(Value::Object(b))) => {
            let set: Map<String, Value> = b
                .iter()
                .filter(|(_, v)| !is_empty(v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            (None, Some(Value::Object(set)))
        }
        (a, b) => (a.cloned(), b.cloned()),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// What a walk of the chain found.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Verdict {
    pub ok: bool,
    pub entries: i64,
    /// The last good entry's hash: record it elsewhere to detect a cut tail later.
    pub head: String,
    /// The first entry that does not fit, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Checks entries page by page, in seq order; feed every page, then `finish`.
#[derive(Debug, Default)]
pub struct Verifier {
    head: Head,
    entries: i64,
    broken: Option<(i64, String)>,
}

impl Verifier {
    /// Returns false once the chain is broken (no need to read further).
    pub fn feed(&mut self, page: &[Entry]) -> bool {
        for e in page {
            if self.broken.is_some() {
                return false;
            }
            let reason = if e.seq != self.head.seq + 1 {
                Some(format!(
                    "entry {} follows entry {}: entries in between are missing",
                    e.seq, self.head.seq
                ))
            } else if e.prev_hash != self.head.hash {
                Some(format!(
                    "entry {} does not link to the hash of entry {}",
                    e.seq, self.head.seq
                ))
            } else if hash_of(e) != e.hash {
                Some(format!(
                    "entry {} was changed after it was written (its hash does not match its content)",
                    e.seq
                ))
            } else {
                None
            };
            match reason {
                Some(r) => self.broken = Some((e.seq, r)),
                None => {
                    self.head = Head {
                        seq: e.seq,
                        hash: e.hash.clone(),
                    };
                    self.entries += 1;
                }
            }
        }
        self.broken.is_none()
    }

    pub fn finish(self) -> Verdict {
        Verdict {
            ok: self.broken.is_none(),
            entries: self.entries,
            head: self.head.hash,
            broken_at: self.broken.as_ref().map(|b| b.0),
            reason: self.broken.map(|b| b.1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(n: i64) -> Draft {
        Draft {
            at: n,
            actor: "account:admin".into(),
            ip: "127.0.0.1".into(),
            action: "task.change".into(),
            entity: format!("task:t-{n}"),
            unit: Some("p-1".into()),
            old: Some(serde_json::json!({"progress": n})),
            new: Some(serde_json::json!({"progress": n + 1})),
        }
    }

    fn chain(n: i64) -> Vec<Entry> {
        let mut head = Head::default();
        (1..=n).map(|i| head.append(draft(i))).collect()
    }

    #[test]
    fn an_intact_chain_verifies_and_every_kind_of_edit_is_caught() {
        let entries = chain(5);
        let mut v = Verifier::default();
        assert!(v.feed(&entries));
        let verdict = v.finish();
        assert!(verdict.ok);
        assert_eq!(verdict.entries, 5);
        assert_eq!(verdict.head, entries[4].hash);

        let mut edited = entries.clone();
        edited[2].new = Some("{\"progress\":100}".into());
        let mut v = Verifier::default();
        assert!(!v.feed(&edited));
        let verdict = v.finish();
        assert_eq!(
            (verdict.ok, verdict.broken_at, verdict.entries),
            (false, Some(3), 2)
        );

        // Re-hashing the edited entry does not help: the next one no longer links to it.
        edited[2].hash = hash_of(&edited[2]);
        let mut v = Verifier::default();
        v.feed(&edited);
        assert_eq!(v.finish().broken_at, Some(4));

        let mut cut = entries.clone();
        cut.remove(1);
        let mut v = Verifier::default();
        v.feed(&cut);
        assert_eq!(v.finish().broken_at, Some(3));
    }

    #[test]
    fn changed_fields_keeps_only_what_differs() {
        let a = serde_json::json!({"progress": 10, "status": "todo", "title": "x"});
        let b = serde_json::json!({"progress": 40, "status": "todo", "title": "x", "quality": 90});
        let (old, new) = changed_fields(Some(&a), Some(&b));
        assert_eq!(
            old.unwrap(),
            serde_json::json!({"progress": 10, "quality": null})
        );
        assert_eq!(
            new.unwrap(),
            serde_json::json!({"progress": 40, "quality": 90})
        );
        let created =
            serde_json::json!({"title": "x", "quality": null, "informed": [], "note": ""});
        assert_eq!(
            changed_fields(None, Some(&created)).1.unwrap(),
            serde_json::json!({"title": "x"}),
            "a new entity is recorded with the fields it was given"
        );
    }
}
