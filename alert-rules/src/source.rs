//! TOML sources with positions: a value tree where every key and value keeps its span, and the
//! `RuleError` that turns a span into FILE:LINE:COL, so every problem of a file can be named.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::ops::Range;
use toml::Spanned;

/// One problem in a rule or test file. Displays as `FILE:LINE:COL: FIELD: REASON`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {field}: {reason}")]
pub struct RuleError {
    /// The name the caller gave the source (usually its path).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Where in the document: `rule[overdue_ward].yellow`, `test[2].expect[1].at`, ...
    pub field: String,
    pub reason: String,
}

/// A TOML value whose children keep their spans.
#[derive(Debug, Clone)]
pub(crate) enum Val {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Array(Vec<Spanned<Val>>),
    Table(Vec<(Spanned<String>, Spanned<Val>)>),
}

impl Val {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Val::Str(_) => "a string",
            Val::Int(_) => "an integer",
            Val::Float(_) => "a float",
            Val::Bool(_) => "a boolean",
            Val::Array(_) => "an array",
            Val::Table(_) => "a table",
        }
    }
}

impl<'de> Deserialize<'de> for Val {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Val;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a TOML value")
            }
            fn visit_str<E>(self, v: &str) -> Result<Val, E> {
                Ok(Val::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Val, E> {
                Ok(Val::Str(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Val, E> {
                Ok(Val::Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Val, E> {
                i64::try_from(v)
                    .map(Val::Int)
                    .map_err(|_| E::custom("integer too large"))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Val, E> {
                Ok(Val::Float(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Val, E> {
                Ok(Val::Bool(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Val::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(Val::Table(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// Collects the errors of one source and locates spans in it.
pub(crate) struct Source<'a> {
    file: &'a str,
    text: &'a str,
    line_starts: Vec<usize>,
    pub(crate) errors: Vec<RuleError>,
}

impl<'a> Source<'a> {
    pub(crate) fn new(file: &'a str, text: &'a str) -> Source<'a> {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Source {
            file,
            text,
            line_starts,
            errors: Vec::new(),
        }
    }

    pub(crate) fn file(&self) -> &str {
        self.file
    }

    /// 1-based line and character column of a byte offset.
    pub(crate) fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }

    pub(crate) fn error(
        &self,
        span: &Range<usize>,
        field: &str,
        reason: impl Into<String>,
    ) -> RuleError {
        let (line, column) = self.position(span.start);
        RuleError {
            file: self.file.to_owned(),
            line,
            column,
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    pub(crate) fn report(&mut self, span: &Range<usize>, field: &str, reason: impl Into<String>) {
        let e = self.error(span, field, reason);
        self.errors.push(e);
    }

    /// Parses the whole document; a syntax error is the only error that stops the walk, since
    /// nothing after it can be trusted.
    pub(crate) fn parse(&mut self) -> Option<Spanned<Val>> {
        match toml::from_str::<Spanned<Val>>(self.text) {
            Ok(v) => Some(v),
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let message = e.message().trim();
                let reason = if message.contains("$__toml_private_datetime") {
                    "dates and times are not used here; write times as durations in quotes, e.g. \"15m\"".to_owned()
                } else {
                    message.to_owned()
                };
                self.report(&span, "toml", reason);
                None
            }
        }
    }

    /// The entries of a table, or an error naming what was found instead.
    pub(crate) fn table<'v>(
        &mut self,
        v: &'v Spanned<Val>,
        field: &str,
    ) -> Option<&'v [(Spanned<String>, Spanned<Val>)]> {
        match v.get_ref() {
            Val::Table(entries) => Some(entries),
            other => {
                self.report(
                    &v.span(),
                    field,
                    format!("expected a table, found {}", other.kind()),
                );
                None
            }
        }
    }

    pub(crate) fn string<'v>(&mut self, v: &'v Spanned<Val>, field: &str) -> Option<&'v str> {
        match v.get_ref() {
            Val::Str(s) => Some(s),
            other => {
                self.report(
                    &v.span(),
                    field,
                    format!("expected a string, found {}", other.kind()),
                );
                None
            }
        }
    }

    pub(crate) fn boolean(&mut self, v: &Spanned<Val>, field: &str) -> Option<bool> {
        match v.get_ref() {
            Val::Bool(b) => Some(*b),
            other => {
                self.report(
                    &v.span(),
                    field,
                    format!("expected true or false, found {}", other.kind()),
                );
                None
            }
        }
    }

    pub(crate) fn number(&mut self, v: &Spanned<Val>, field: &str) -> Option<f64> {
        match v.get_ref() {
            Val::Int(i) => Some(*i as f64),
            Val::Float(f) if f.is_finite() => Some(*f),
            Val::Float(_) => {
                self.report(&v.span(), field, "expected a finite number");
                None
            }
            other => {
                self.report(
                    &v.span(),
                    field,
                    format!("expected a number, found {}", other.kind()),
                );
                None
            }
        }
    }

    pub(crate) fn array<'v>(
        &mut self,
        v: &'v Spanned<Val>,
        field: &str,
    ) -> Option<&'v [Spanned<Val>]> {
        match v.get_ref() {
            Val::Array(items) => Some(items),
            other => {
                self.report(
                    &v.span(),
                    field,
                    format!("expected an array, found {}", other.kind()),
                );
                None
            }
        }
    }

    /// An array of strings; each bad element is reported on its own.
    pub(crate) fn strings(
        &mut self,
        v: &Spanned<Val>,
        field: &str,
    ) -> Option<Vec<Spanned<String>>> {
        let items = self.array(v, field)?;
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.string(item, &format!("{field}[{i}]")) {
                Some(s) => out.push(Spanned::new(item.span(), s.to_owned())),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// Reports `key` as unknown, listing the keys that are.
    pub(crate) fn unknown_key(&mut self, key: &Spanned<String>, prefix: &str, known: &[&str]) {
        let field = if prefix.is_empty() {
            key.get_ref().clone()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        self.report(
            &key.span(),
            &field,
            format!("unknown key; expected one of: {}", known.join(", ")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_in_characters() {
        let s = Source::new("f", "ab\nđé x\n");
        assert_eq!(s.position(0), (1, 1));
        assert_eq!(s.position(3), (2, 1));
        // "đé " is 5 bytes, 3 characters.
        assert_eq!(s.position(3 + 5), (2, 4));
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let mut s = Source::new("f.toml", "a = 1\nb = = 2\n");
        assert!(s.parse().is_none());
        assert_eq!(s.errors.len(), 1);
        assert_eq!(s.errors[0].line, 2);
        assert!(s.errors[0].to_string().starts_with("f.toml:2:"));
    }
}
