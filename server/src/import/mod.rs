//! `ioc import FILE...`: loads a catalog (units, people, KPIs, objectives, key results) and
//! events from XLSX, JSON, NDJSON or CSV files into the store through the single writer, so
//! imported data passes exactly the checks the REST API applies. This is the first set-up path
//! (the server stopped); a running server takes the same files through `POST /api/v1/import`
//! ([`upload`]: one file, one atomic audited change, or a dry run) and `ioc import --server`
//! ([`remote`]).
//!
//! Every file is read and checked on its own first (decoding and the same per-item checks as the
//! API). If any file has a bad record, nothing at all is written and every bad record is
//! reported, up to 50 per file, as `FILE:LINE: FIELD: REASON`. Only then are the records sent
//! to the writer, which checks references (parent units, objectives, at most 5 key results per
//! objective, people named on tasks...). The writer refuses a whole chunk on its first bad
//! record; the import stops there and reports that record's line. Chunks committed before it
//! stay: re-running the import after a fix is safe, since catalog entries are replaced by id and
//! events are kept once per id.
//!
//! Records from all files are written in dependency order, whatever the order of the files on
//! the command line (a shell glob sorts `key_results.csv` before `units.csv`): units (parents
//! before children), people, KPIs, objectives (parents before children), key results, then
//! events in file and line order.
//!
//! Formats, chosen by the file's extension:
//!
//! * `.json`: one object `{"units":[..],"people":[..],"kpis":[..],"objectives":[..],
//!   "key_results":[..],"events":[..]}`; every key is optional, any other key is an error.
//!   Items use the REST wire types; `events` items are POST /api/v1/events objects. An error
//!   names the line of the offending field (or of its item when the field is missing).
//! * `.ndjson` / `.jsonl`: one object per line with a `kind` of `unit`, `person`, `kpi`,
//!   `objective`, `key_result` or `event`; the rest of the object is the wire item.
//! * `.csv`: see [`csv_file`] for the columns; the file name says what it holds: it must end in
//!   `units.csv`, `people.csv`, `kpis.csv`, `objectives.csv`, `key_results.csv` or `tasks.csv`
//!   (`2026-units.csv` holds units).
//! * `.xlsx`: a sheet per table, named like the CSV files or in Vietnamese ([`xlsx`]); the same
//!   columns and aliases as CSV ([`table`]). Problems read `FILE:SHEET:ROW:COLUMN: field: reason`.
//!
//! Files may start with a UTF-8 byte-order mark (spreadsheets write one); other encodings are
//! refused with the line of the first byte that is not UTF-8.

mod csv_file;
mod json;
mod remote;
mod table;
pub mod template;
#[cfg(test)]
mod tests;
mod upload;
#[cfg(test)]
mod upload_tests;
mod xlsx;

pub use remote::import_remote;
pub use upload::{import_upload, read_upload, Upload, UploadError, UploadType, XLSX_TYPE};

use crate::auth::Actor;
use crate::domain::time::{format_ts, now_ms};
use crate::domain::Id;
use crate::ingest::catalog::{CatalogItem, KeyResultIn, KpiIn, ObjectiveIn, PersonIn, UnitIn};
use crate::ingest::event::{parse_event, Event};
use crate::ingest::writer::{WriteError, Writer};
use crate::ingest::{decode, ItemError};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::PathBuf;

/// Catalog entries sent to the writer at once: one transaction each.
const CATALOG_CHUNK: usize = 2_000;
/// Events sent to the writer at once.
const EVENT_CHUNK: usize = 5_000;
/// Progress while writing: records done of all records, throughput and time left.
const BAR_TEMPLATE: &str = "{msg} [{bar:40}] {pos}/{len} records ({per_sec}, {eta} left)";
/// Problems listed per file; past this the rest of the file is noise about the same mistake.
const MAX_LISTED: usize = 50;
/// Problems kept per file while reading, so a file wrong on every line cannot fill memory.
const MAX_KEPT: usize = 10_000;

pub struct ImportOptions {
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

/// What an import wrote: entries per kind, events accepted, and events already present.
#[derive(Debug)]
pub struct ImportReport {
    pub files: usize,
    pub units: usize,
    pub people: usize,
    pub kpis: usize,
    pub objectives: usize,
    pub key_results: usize,
    /// Events committed by this import.
    pub events: usize,
    /// Events whose id was already in the store (a re-import): kept once, changed nothing.
    pub duplicates: usize,
}

/// "imported 2 files: 5 units, 3 people, …": counts in words for the person who ran it.
impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let counted =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let parts: Vec<String> = [
            (self.units, "unit", "units"),
            (self.people, "person", "people"),
            (self.kpis, "KPI", "KPIs"),
            (self.objectives, "objective", "objectives"),
            (self.key_results, "key result", "key results"),
            (self.events, "event", "events"),
        ]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| counted(n, one, many))
        .collect();
        write!(
            f,
            "imported {}: {}",
            counted(self.files, "file", "files"),
            if parts.is_empty() {
                "nothing new".to_string()
            } else {
                parts.join(", ")
            }
        )?;
        if self.duplicates > 0 {
            write!(
                f,
                " ({} already present, unchanged)",
                counted(self.duplicates, "event", "events")
            )?;
        }
        Ok(())
    }
}

/// Why an import was refused or stopped, one problem per bad record.
#[derive(Debug)]
pub struct ImportError {
    pub problems: Vec<Problem>,
}

/// One bad record. `line` is 1-based (an XLSX sheet's row number), 0 when the problem concerns
/// the whole file; `field` is the field path (JSON) or column (CSV, XLSX), empty for the whole
/// record. In an XLSX workbook `sheet` names the sheet and `column` the cell's column letter.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    pub line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// In a workbook, the header of the field's column as the sheet writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    pub field: String,
    /// In English (files, logs, programs).
    pub reason: String,
    /// The reason in the request's language where the server words it (else English).
    pub message: String,
    /// The message's stable key when the server words it in both languages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<&'static str>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(sheet) = &self.sheet {
            write!(f, ":{sheet}")?;
        }
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if let Some(column) = &self.column {
            write!(f, ":{column}")?;
        }
        write!(f, ": ")?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        write!(f, "{}", self.reason)
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportError {}

/// What a record of a file is, as NDJSON's `kind` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Unit,
    Person,
    Kpi,
    Objective,
    KeyResult,
    Event,
}

impl Kind {
    const NAMES: [(&'static str, Kind); 6] = [
        ("unit", Kind::Unit),
        ("person", Kind::Person),
        ("kpi", Kind::Kpi),
        ("objective", Kind::Objective),
        ("key_result", Kind::KeyResult),
        ("event", Kind::Event),
    ];

    fn parse(s: &str) -> Option<Kind> {
        Self::NAMES.iter().find(|(n, _)| *n == s).map(|(_, k)| *k)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Ndjson,
    Csv(table::Table),
    Xlsx,
}

/// Where a record came from, kept until the writer has answered so that its refusal can be
/// turned back into FILE:LINE.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Origin {
    /// Index into the sources.
    file: usize,
    line: usize,
    /// Byte range of a JSON item in its file's text, to find the line of a field inside it.
    span: Option<(usize, usize)>,
    /// Index into the source's sheets (XLSX), to name the sheet and a field's column letter.
    sheet: Option<usize>,
}

/// One file as read.
struct Source {
    name: String,
    format: Option<Format>,
    /// Kept for JSON documents only, where a field can sit lines below its item's start.
    text: String,
    /// Byte offsets of the `\n`s of `text`.
    newlines: Vec<usize>,
    /// An XLSX workbook's sheets as read.
    sheets: Vec<xlsx::SheetColumns>,
}

impl Source {
    fn line_of(&self, offset: usize) -> usize {
        line_at(&self.newlines, offset)
    }
}

fn newlines(text: &str) -> Vec<usize> {
    text.bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
        .collect()
}

/// 1-based line of a byte offset, given the offsets of the newlines.
fn line_at(newlines: &[usize], offset: usize) -> usize {
    newlines.partition_point(|&nl| nl < offset) + 1
}

/// Records checked on their own, waiting to be written.
#[derive(Default)]
struct Batch {
    units: Vec<(Origin, CatalogItem)>,
    people: Vec<(Origin, CatalogItem)>,
    kpis: Vec<(Origin, CatalogItem)>,
    objectives: Vec<(Origin, CatalogItem)>,
    key_results: Vec<(Origin, CatalogItem)>,
    events: Vec<(Origin, Event)>,
}

impl Batch {
    fn len(&self) -> usize {
        self.units.len()
            + self.people.len()
            + self.kpis.len()
            + self.objectives.len()
            + self.key_results.len()
            + self.events.len()
    }

    /// Decodes one record with the REST wire type of its kind and checks it on its own.
    fn accept(&mut self, kind: Kind, value: Value, origin: Origin) -> Result<(), ItemError> {
        let item = match kind {
            Kind::Unit => decode::<UnitIn>(value)?.validate()?,
            Kind::Person => decode::<PersonIn>(value)?.validate()?,
            Kind::Kpi => decode::<KpiIn>(value)?.validate()?,
            Kind::Objective => decode::<ObjectiveIn>(value)?.validate()?,
            Kind::KeyResult => decode::<KeyResultIn>(value)?.validate()?,
            Kind::Event => {
                self.events.push((origin, parse_event(value)?));
                return Ok(());
            }
        };
        let list = match &item {
            CatalogItem::Unit(_) => &mut self.units,
            CatalogItem::Person(_) => &mut self.people,
            CatalogItem::Kpi(_) => &mut self.kpis,
            CatalogItem::Objective(_) => &mut self.objectives,
            CatalogItem::KeyResult(..) => &mut self.key_results,
        };
        list.push((origin, item));
        Ok(())
    }
}

impl Batch {
    /// Catalog entries in dependency order (units parents first, people, KPIs, objectives
    /// parents first, key results), then the events in file and line order.
    #[allow(clippy::type_complexity)]
    fn in_order(self) -> (Vec<(Origin, CatalogItem)>, Vec<(Origin, Event)>) {
        let mut catalog = parents_first(self.units);
        catalog.extend(self.people);
        catalog.extend(self.kpis);
        catalog.extend(parents_first(self.objectives));
        catalog.extend(self.key_results);
        (catalog, self.events)
    }
}

/// Bad records of one file, as loaders find them: the first [`MAX_KEPT`] and a count.
#[derive(Default)]
struct Found {
    kept: Vec<(Origin, ItemError)>,
    total: usize,
}

impl Found {
    fn push(&mut self, problem: (Origin, ItemError)) {
        self.total += 1;
        if self.kept.len() < MAX_KEPT {
            self.kept.push(problem);
        }
    }

    fn len(&self) -> usize {
        self.total
    }
}

/// Loads `files` and writes them through `writer`; see the module documentation.
pub async fn import_files(
    writer: &Writer,
    files: &[PathBuf],
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let bar = if opts.progress {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::hidden()
    };
    // Task rows without `at` happened "now": one instant for the whole import.
    let now = format_ts(now_ms());
    let mut sources = Vec::with_capacity(files.len());
    let mut batch = Batch::default();
    let mut problems = Vec::new();
    for (index, path) in files.iter().enumerate() {
        let name = path.display().to_string();
        bar.set_message(format!("reading {name}"));
        bar.tick();
        let mut found = Found::default();
        let source = load_file(path, name, index, &now, &mut batch, &mut found).await;
        problems.extend(list_problems(&source, found));
        sources.push(source);
    }
    if !problems.is_empty() {
        bar.finish_and_clear();
        return Err(ImportError { problems });
    }
    bar.set_length(batch.len() as u64);
    bar.set_position(0);
    bar.set_message("writing");
    if let Ok(style) = ProgressStyle::with_template(BAR_TEMPLATE) {
        bar.set_style(style.progress_chars("=> "));
    }
    let result = write(writer, &sources, batch, &bar).await;
    bar.finish_and_clear();
    result
}

/// Reads one file and checks its records; returns the file as read, for error lines.
async fn load_file(
    path: &std::path::Path,
    name: String,
    index: usize,
    now: &str,
    batch: &mut Batch,
    found: &mut Found,
) -> Source {
    let whole = Origin {
        file: index,
        line: 0,
        span: None,
        sheet: None,
    };
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let format = match extension.as_deref() {
        Some("json") => Some(Format::Json),
        Some("ndjson" | "jsonl") => Some(Format::Ndjson),
        Some("xlsx") => Some(Format::Xlsx),
        Some("csv") => match table::Table::from_file_name(&file_name) {
            Some(t) => Some(Format::Csv(t)),
            None => {
                found.push((whole, ItemError::new("", table::Table::NAME_HINT)));
                None
            }
        },
        _ => {
            found.push((
                whole,
                ItemError::new(
                    "",
                    "unknown file type: use .json, .ndjson (or .jsonl), .csv or .xlsx",
                ),
            ));
            None
        }
    };
    let Some(format) = format else {
        return Source::empty(name, None);
    };
    match tokio::fs::read(path).await {
        Ok(bytes) => load_bytes(name, format, bytes, index, now, batch, found),
        Err(e) => {
            found.push((whole, ItemError::new("", format!("cannot be read: {e}"))));
            Source::empty(name, Some(format))
        }
    }
}

impl Source {
    fn empty(name: String, format: Option<Format>) -> Source {
        Source {
            name,
            format,
            text: String::new(),
            newlines: Vec::new(),
            sheets: Vec::new(),
        }
    }
}

/// Checks the records of a file's content, read from disk or sent to the import route.
fn load_bytes(
    name: String,
    format: Format,
    bytes: Vec<u8>,
    index: usize,
    now: &str,
    batch: &mut Batch,
    found: &mut Found,
) -> Source {
    let whole = Origin {
        file: index,
        line: 0,
        span: None,
        sheet: None,
    };
    let mut source = Source::empty(name, Some(format));
    if format == Format::Xlsx {
        source.sheets = xlsx::load(bytes, index, now, batch, found);
        return source;
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..valid]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            found.push((
                Origin { line, ..whole },
                ItemError::new("", "is not UTF-8 text: save the file as UTF-8"),
            ));
            return source;
        }
    };
    // The mark is one character on line 1, so dropping it moves no line.
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    match format {
        Format::Json => {
            source.newlines = newlines(&text);
            json::load_document(&text, &source.newlines, index, batch, found);
            source.text = text;
        }
        Format::Ndjson => json::load_lines(&text, index, batch, found),
        Format::Csv(table) => csv_file::load(&text, table, index, now, batch, found),
        Format::Xlsx => {}
    }
    source
}

/// Turns an error about a record into a problem: names an unknown field, moves the line to
/// the field's own line inside a multi-line JSON item, and names CSV columns as in the header.
fn problem(sources: &[Source], origin: Origin, e: ItemError) -> Problem {
    let Some(source) = sources.get(origin.file) else {
        return Problem {
            file: String::new(),
            sheet: None,
            line: origin.line,
            column: None,
            header: None,
            field: e.field,
            message: e.msg.render(crate::i18n::request_lang()),
            key: e.msg.key().filter(|_| e.msg.is_keyed()),
            reason: e.reason,
        };
    };
    let mut field = e.field;
    if field.is_empty() {
        if let Some(name) = unknown_field(&e.reason) {
            field = name.to_string();
        }
    }
    let mut line = origin.line;
    if let Some((start, len)) = origin.span {
        if !field.is_empty() {
            if let Some(raw) = source.text.get(start..start + len) {
                let at = json::locate(raw, &field);
                line = source.line_of(at.as_ptr() as usize - source.text.as_ptr() as usize);
            }
        }
    }
    if let Some(Format::Csv(_) | Format::Xlsx) = source.format {
        field = table::column_of(&field).to_string();
    }
    let sheet = origin.sheet.and_then(|i| source.sheets.get(i));
    Problem {
        file: source.name.clone(),
        sheet: sheet.map(|s| s.name.clone()),
        line,
        column: sheet.and_then(|s| s.letter(&field)),
        header: sheet.and_then(|s| s.header(&field)),
        field,
        message: e.msg.render(crate::i18n::request_lang()),
        key: e.msg.key().filter(|_| e.msg.is_keyed()),
        reason: e.reason,
    }
}

/// The name in serde's "unknown field `x`, expected ..." message.
fn unknown_field(reason: &str) -> Option<&str> {
    reason.strip_prefix("unknown field `")?.split('`').next()
}

/// The problems of one file in line order, at most [`MAX_LISTED`] and a line saying how many
/// more there are.
fn list_problems(source: &Source, found: Found) -> Vec<Problem> {
    let sources = std::slice::from_ref(source);
    let mut out: Vec<Problem> = found
        .kept
        .into_iter()
        .map(|(origin, e)| problem(sources, Origin { file: 0, ..origin }, e))
        .collect();
    out.sort_by(|a, b| (&a.sheet, a.line).cmp(&(&b.sheet, b.line)));
    out.truncate(MAX_LISTED);
    if found.total > MAX_LISTED {
        out.push(Problem {
            file: source.name.clone(),
            sheet: None,
            line: 0,
            column: None,
            header: None,
            field: String::new(),
            reason: format!("{} more problems not listed", found.total - MAX_LISTED),
            message: format!("… +{}", found.total - MAX_LISTED),
            key: None,
        });
    }
    out
}

/// Writes everything in dependency order, in chunks, stopping at the first refusal.
async fn write(
    writer: &Writer,
    sources: &[Source],
    batch: Batch,
    bar: &ProgressBar,
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport {
        files: sources.len(),
        units: 0,
        people: 0,
        kpis: 0,
        objectives: 0,
        key_results: 0,
        events: 0,
        duplicates: 0,
    };
    let (catalog, events) = batch.in_order();

    let mut written = 0usize;
    let stop = |origin: Origin, e: WriteError, written: usize| {
        tracing::warn!(
            records = written,
            "import stopped by a refused chunk; earlier chunks stay written"
        );
        ImportError {
            problems: vec![refusal(sources, origin, e)],
        }
    };
    let mut rest = catalog.into_iter().peekable();
    while rest.peek().is_some() {
        let (origins, items): (Vec<Origin>, Vec<CatalogItem>) =
            rest.by_ref().take(CATALOG_CHUNK).unzip();
        let mut counts = [0usize; 5];
        for item in &items {
            counts[match item {
                CatalogItem::Unit(_) => 0,
                CatalogItem::Person(_) => 1,
                CatalogItem::Kpi(_) => 2,
                CatalogItem::Objective(_) => 3,
                CatalogItem::KeyResult(..) => 4,
            }] += 1;
        }
        if let Err(e) = writer.catalog(items, &Actor::system("import")).await {
            return Err(stop(at_index(&origins, &e), e, written));
        }
        report.units += counts[0];
        report.people += counts[1];
        report.kpis += counts[2];
        report.objectives += counts[3];
        report.key_results += counts[4];
        written += origins.len();
        bar.inc(origins.len() as u64);
    }
    let mut rest = events.into_iter().peekable();
    while rest.peek().is_some() {
        let (origins, chunk): (Vec<Origin>, Vec<Event>) = rest.by_ref().take(EVENT_CHUNK).unzip();
        match writer.ingest(chunk, &Actor::system("import")).await {
            Ok(r) => {
                report.events += r.accepted;
                report.duplicates += r.duplicates;
            }
            Err(e) => return Err(stop(at_index(&origins, &e), e, written)),
        }
        written += origins.len();
        bar.inc(origins.len() as u64);
    }
    Ok(report)
}

/// The record a writer error is about: the one it names, else the chunk's first.
fn at_index(origins: &[Origin], e: &WriteError) -> Origin {
    let index = match e {
        WriteError::Invalid(item)
        | WriteError::Forbidden(item)
        | WriteError::ConflictItem(item) => item.index.unwrap_or(0),
        _ => 0,
    };
    origins
        .get(index)
        .or(origins.first())
        .copied()
        .unwrap_or(Origin {
            file: 0,
            line: 0,
            span: None,
            sheet: None,
        })
}

fn refusal(sources: &[Source], origin: Origin, e: WriteError) -> Problem {
    let reason = match e {
        WriteError::Invalid(item)
        | WriteError::Forbidden(item)
        | WriteError::ConflictItem(item) => return problem(sources, origin, item),
        WriteError::Store(store) => {
            format!("the store refused the commit ({store}); nothing of this chunk was written")
        }
        WriteError::Conflict(message) => message,
        WriteError::Closed => "the writer has stopped".to_string(),
    };
    Problem {
        file: sources
            .get(origin.file)
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        sheet: None,
        line: 0,
        column: None,
        header: None,
        field: String::new(),
        message: reason.clone(),
        key: None,
        reason,
    }
}

/// The id and parent of a unit or objective: the entries that form a tree.
fn tree_key(item: &CatalogItem) -> Option<(&Id, Option<&Id>)> {
    match item {
        CatalogItem::Unit(u) => Some((&u.id, u.parent.as_ref())),
        CatalogItem::Objective(o) => Some((&o.id, o.parent.as_ref())),
        _ => None,
    }
}

/// Orders units (or objectives) so that a parent given in the same import comes before its
/// children: the writer checks each entry against what precedes it. Otherwise keeps file order.
/// Entries caught in a cycle keep their place at the end, where the writer refuses them.
fn parents_first(items: Vec<(Origin, CatalogItem)>) -> Vec<(Origin, CatalogItem)> {
    let ids: HashSet<&str> = items
        .iter()
        .filter_map(|(_, it)| tree_key(it))
        .map(|(id, _)| &**id)
        .collect();
    let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (i, (_, item)) in items.iter().enumerate() {
        match tree_key(item) {
            Some((id, Some(parent))) if parent != id && ids.contains(&**parent) => {
                children.entry(&**parent).or_default().push(i)
            }
            _ => roots.push(i),
        }
    }
    let mut order = Vec::with_capacity(items.len());
    let mut placed = vec![false; items.len()];
    let mut expanded: HashSet<&str> = HashSet::new();
    let mut stack: Vec<usize> = roots.into_iter().rev().collect();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut placed[i], true) {
            continue;
        }
        order.push(i);
        if let Some((id, _)) = tree_key(&items[i].1) {
            // Two entries with the same id (a file and a later correction) share the children.
            if expanded.insert(&**id) {
                if let Some(kids) = children.get(&**id) {
                    stack.extend(kids.iter().rev());
                }
            }
        }
    }
    order.extend((0..items.len()).filter(|i| !placed[*i]));
    let mut slots: Vec<Option<(Origin, CatalogItem)>> = items.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}
