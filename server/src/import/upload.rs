//! Imports into a running server (`POST /api/v1/import`, `ioc import --server`): one file sent
//! as a request body, read and checked exactly as `ioc import` reads a file from disk, then
//! written through the writer as one change (catalog entries and events in one transaction,
//! each audited under the caller's name, refused as a whole), or only planned for a dry run.

use super::{
    at_index, list_problems, load_bytes, problem, refusal, Batch, Format, Found, ImportError,
    Origin, Source,
};
use crate::auth::Actor;
use crate::domain::time::{format_ts, now_ms};
use crate::ingest::catalog::CatalogItem;
use crate::ingest::event::Event;
use crate::ingest::writer::{ImportCounts, WriteError, Writer};

/// What a request body is, from its `Content-Type` (and `?kind=` for CSV).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadType(Format);

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl UploadType {
    /// The file type a `Content-Type` names; CSV needs `kind` (`units`, `people`, `kpis`,
    /// `objectives`, `key_results` or `tasks`). The error says what to send instead.
    pub fn parse(content_type: &str, kind: Option<&str>) -> Result<UploadType, String> {
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let format = match mime.as_str() {
            XLSX_TYPE => Format::Xlsx,
            "application/json" => Format::Json,
            "application/x-ndjson" | "application/jsonl" => Format::Ndjson,
            "text/csv" => {
                let names: Vec<&str> = super::table::Table::ALL.iter().map(|(n, _)| *n).collect();
                let Some(kind) = kind else {
                    return Err(format!(
                        "a CSV file needs ?kind= naming its rows: {}",
                        names.join(", ")
                    ));
                };
                let table = super::table::Table::ALL
                    .iter()
                    .find(|(n, _)| *n == kind)
                    .map(|(_, t)| *t)
                    .ok_or_else(|| format!("kind '{kind}' is not one of {}", names.join(", ")))?;
                Format::Csv(table)
            }
            _ => {
                return Err(format!(
                    "send the file with its type: {XLSX_TYPE} (.xlsx), text/csv (with ?kind=), \
                     application/json or application/x-ndjson"
                ))
            }
        };
        Ok(UploadType(format))
    }

    /// The type of a file on disk, by its name (`ioc import --server`).
    pub fn of_file_name(name: &str) -> Option<(UploadType, &'static str, Option<&'static str>)> {
        let lower = name.to_ascii_lowercase();
        let ext = lower.rsplit('.').next()?;
        match ext {
            "xlsx" => Some((UploadType(Format::Xlsx), XLSX_TYPE, None)),
            "json" => Some((UploadType(Format::Json), "application/json", None)),
            "ndjson" | "jsonl" => Some((UploadType(Format::Ndjson), "application/x-ndjson", None)),
            "csv" => {
                let table = super::table::Table::from_file_name(&lower)?;
                Some((
                    UploadType(Format::Csv(table)),
                    "text/csv",
                    Some(table.name()),
                ))
            }
            _ => None,
        }
    }
}

/// A file read and checked on its own, ready for the writer.
pub struct Upload {
    source: Source,
    batch: Batch,
}

impl Upload {
    /// Records of each kind, for a progress bar.
    pub fn len(&self) -> usize {
        self.batch.len()
    }

    pub fn is_empty(&self) -> bool {
        self.batch.len() == 0
    }
}

/// Reads and checks one file's content; every bad record is reported (`FILE:SHEET:ROW:COLUMN`
/// for a workbook, `FILE:LINE` otherwise) and nothing is kept.
pub fn read_upload(name: &str, kind: UploadType, bytes: Vec<u8>) -> Result<Upload, ImportError> {
    let now = format_ts(now_ms());
    let mut batch = Batch::default();
    let mut found = Found::default();
    let source = load_bytes(
        name.to_string(),
        kind.0,
        bytes,
        0,
        &now,
        &mut batch,
        &mut found,
    );
    if found.len() == 0 && batch.len() == 0 {
        // An empty file is a mistake (the wrong sheet, a header without rows), not a success.
        let whole = Origin {
            file: 0,
            line: 0,
            span: None,
            sheet: None,
        };
        found.push((
            whole,
            crate::ingest::ItemError::new("", crate::msg!("import_nothing")),
        ));
    }
    let problems = list_problems(&source, found);
    if !problems.is_empty() {
        return Err(ImportError { problems });
    }
    Ok(Upload { source, batch })
}

/// Why the writer refused an upload: each names its record as a [`super::Problem`].
#[derive(Debug)]
pub enum UploadError {
    /// A value or a reference is wrong (422).
    Invalid(ImportError),
    /// The caller may not change a record (403).
    Forbidden(ImportError),
    /// An event id reused with other content (409).
    Conflict(ImportError),
    /// The store could not commit; nothing was kept (503).
    Unavailable(WriteError),
}

/// Writes (or, for a dry run, only plans) an upload as one change by `actor`.
pub async fn import_upload(
    writer: &Writer,
    upload: Upload,
    actor: &Actor,
    dry_run: bool,
) -> Result<ImportCounts, UploadError> {
    let Upload { source, batch } = upload;
    let (catalog, events) = batch.in_order();
    let (mut origins, items): (Vec<Origin>, Vec<CatalogItem>) = catalog.into_iter().unzip();
    let (event_origins, events): (Vec<Origin>, Vec<Event>) = events.into_iter().unzip();
    origins.extend(event_origins);
    let sources = std::slice::from_ref(&source);
    match writer.import(items, events, actor, dry_run).await {
        Ok(counts) => Ok(counts),
        Err(e) => {
            let origin = at_index(&origins, &e);
            let one = |p| ImportError { problems: vec![p] };
            Err(match e {
                WriteError::Invalid(item) => {
                    UploadError::Invalid(one(problem(sources, origin, item)))
                }
                WriteError::Forbidden(item) => {
                    UploadError::Forbidden(one(problem(sources, origin, item)))
                }
                WriteError::ConflictItem(item) => {
                    UploadError::Conflict(one(problem(sources, origin, item)))
                }
                WriteError::Conflict(_) => UploadError::Conflict(one(refusal(sources, origin, e))),
                other => UploadError::Unavailable(other),
            })
        }
    }
}
