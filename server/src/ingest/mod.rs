//! Ingest: decoding and validating what comes in (events over HTTP, catalog entries over REST
//! and from import files), and the single writer task that commits it and applies it, with the
//! clock's ticker that feeds it time.

pub mod accounts;
pub mod catalog;
pub mod cycle;
pub mod event;
pub mod explain;
pub mod formulas;
pub mod meeting;
pub mod merge;
mod plan;
pub mod templates;
pub mod ticker;
pub mod writer;

use crate::auth::Denied;
use serde::Serialize;
use utoipa::ToSchema;

/// What is wrong with one item of a request or a file. Nothing of the request is kept.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ItemError {
    /// Position of the item in the request's array (0-based); absent for a single object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// The field at fault, as a path (`deadline`, `thresholds.green`); empty for the whole item.
    pub field: String,
    /// In English (logs, files, programs); `msg` words it in a person's language.
    pub reason: String,
    #[serde(skip)]
    #[schema(ignore)]
    pub msg: crate::i18n::Msg,
}

impl ItemError {
    pub fn new(field: impl Into<String>, reason: impl Into<crate::i18n::Msg>) -> Self {
        let msg = reason.into();
        ItemError {
            index: None,
            field: field.into(),
            reason: msg.to_string(),
            msg,
        }
    }
    pub fn at(mut self, index: usize) -> Self {
        self.index = Some(index);
        self
    }
}

impl std::fmt::Display for ItemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(i) = self.index {
            write!(f, "item {i}: ")?;
        }
        if self.field.is_empty() {
            write!(f, "{}", self.reason)
        } else {
            write!(f, "{}: {}", self.field, self.reason)
        }
    }
}

/// Deserializes a JSON value into `T`, naming the field path of any error.
pub fn decode<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, ItemError> {
    serde_path_to_error::deserialize(value).map_err(path_error)
}

/// Deserializes JSON text into `T`, naming the field path of any error.
pub fn decode_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ItemError> {
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text))
        .map_err(path_error)
}

fn path_error(e: serde_path_to_error::Error<serde_json::Error>) -> ItemError {
    let path = e.path().to_string();
    let inner = e.into_inner().to_string();
    // serde reports a missing field at the parent's path; name the field itself.
    let field = match inner
        .strip_prefix("missing field `")
        .and_then(|r| r.split('`').next())
    {
        Some(name) if path == "." => name.to_string(),
        Some(name) => format!("{path}.{name}"),
        None if path == "." => String::new(),
        None => path,
    };
    ItemError::new(field, strip_position(&inner))
}

/// serde_json appends "at line 1 column 42" to errors about a value it was given whole; the line
/// of a value inside a request means nothing to the sender, the field path does.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// A refusal of the scope or responsibility check, as the error of the field it concerns.
pub(crate) fn denied(d: Denied, field: &str) -> ItemError {
    match d {
        Denied::Forbidden(m) | Denied::NotFound(m) => ItemError::new(field, m),
    }
}

pub(crate) fn check_text(field: &str, s: &str, max: usize) -> Result<(), ItemError> {
    if s.trim().is_empty() {
        return Err(ItemError::new(field, "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(ItemError::new(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    Ok(())
}

pub(crate) fn check_id(field: &str, s: &str) -> Result<(), ItemError> {
    check_text(field, s, 128)?;
    if s.chars().any(|c| c.is_control()) {
        return Err(ItemError::new(field, "must not contain control characters"));
    }
    Ok(())
}

pub(crate) fn check_finite(field: &str, x: f64) -> Result<(), ItemError> {
    if x.is_finite() {
        Ok(())
    } else {
        Err(ItemError::new(field, "must be a finite number"))
    }
}

/// The schema of a time the server reads (`domain::time::parse_ts`): an RFC 3339 instant, or a
/// plain date (the day's start or end, as the field says); years 1900 to 2999.
pub(crate) fn time_schema() -> utoipa::openapi::schema::Schema {
    utoipa::openapi::schema::Schema::AnyOf(time_schema_builder().build())
}

/// `time_schema`, or null.
pub(crate) fn optional_time_schema() -> utoipa::openapi::schema::Schema {
    let null = utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::Null);
    utoipa::openapi::schema::Schema::AnyOf(time_schema_builder().item(null).build())
}

fn time_schema_builder() -> utoipa::openapi::schema::AnyOfBuilder {
    use utoipa::openapi::schema::{KnownFormat, SchemaFormat};
    use utoipa::openapi::{ObjectBuilder, Type};
    let formatted = |f| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(f)))
    };
    utoipa::openapi::schema::AnyOfBuilder::new()
        .item(formatted(KnownFormat::DateTime))
        .item(formatted(KnownFormat::Date))
}
