//! `ioc report`: a unit's review report (and, with `--subtree`, every unit's below it) written
//! as files, read straight from the database with the rollup rebuilt in this process, as the
//! server does when it starts. Progress goes to stderr (drawn only on a terminal).

use super::charts::{self, Chart};
use super::export;
use super::html::{self, Styles};
use super::lang::Lang;
use super::period::{ReviewKind, ReviewPeriod};
use super::review;
use super::tables::Table;
use super::ReportError;
use crate::clock::ClockMode;
use crate::rollup::Rollup;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FileKind {
    Html,
    Csv,
    Xlsx,
    Svg,
    Png,
}

pub struct ReportRequest {
    pub unit: String,
    /// None: the month of the clock.
    pub period: Option<ReviewPeriod>,
    pub kinds: Vec<FileKind>,
    pub lang: Lang,
    pub out: PathBuf,
    pub subtree: bool,
    pub database_url: String,
    pub clock: ClockMode,
    pub evaluation: crate::evaluation::EvaluationConfig,
}

const BAR_TEMPLATE: &str = "{spinner} {prefix} [{bar:30}] {pos}/{len} {wide_msg}";

/// Writes the files; returns their paths in the order written.
pub async fn write_reports(req: ReportRequest) -> anyhow::Result<Written> {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar.set_message("loading the database");
    let store = crate::store::connect(&req.database_url).await?;
    let snapshot = store.load().await?;
    bar.set_message("rebuilding the rollup");
    let now = req.clock.start_time(snapshot.clock);
    let rollup = Arc::new(
        tokio::task::spawn_blocking(move || Rollup::rebuild(snapshot, now))
            .await
            .context("the rollup rebuild stopped")?,
    );
    if rollup.unit(&req.unit).is_none() {
        bar.finish_and_clear();
        anyhow::bail!("--unit: no unit '{}' in the database", req.unit);
    }
    let units = if req.subtree {
        rollup.subtree_units(&req.unit)
    } else {
        rollup.unit(&req.unit).into_iter().collect()
    };
    let period = req
        .period
        .unwrap_or_else(|| ReviewPeriod::containing(ReviewKind::Month, now));
    std::fs::create_dir_all(&req.out)
        .with_context(|| format!("--out: cannot create {}", req.out.display()))?;

    bar.set_length(units.len() as u64);
    bar.set_prefix(period.to_string());
    if let Ok(style) = ProgressStyle::with_template(BAR_TEMPLATE) {
        bar.set_style(style.progress_chars("=> "));
    }
    let mut written = Vec::new();
    // Period ends before the clock are read from the board as it stood then (kept moments
    // are shared by the units' reviews: every unit asks for the same ends).
    let past = crate::asof::Past::new(store.clone(), &crate::asof::HistoryConfig::default());
    for unit in &units {
        bar.set_message(unit.name.clone());
        let r = super::evaluation::review_with_evaluation(
            &store,
            &rollup,
            &past,
            &req.evaluation,
            &unit.id,
            Some(period),
        )
        .await
        .map_err(|e| match e {
            ReportError::Period(m) => anyhow::anyhow!("--period: {m}"),
            e => anyhow::Error::new(e),
        })?;
        let kinds = req.kinds.clone();
        let (lang, out) = (req.lang, req.out.clone());
        let files = tokio::task::spawn_blocking(move || render(&r, &kinds, lang, &out))
            .await
            .context("rendering stopped")??;
        written.extend(files);
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(Written {
        units: units.len(),
        period: period.to_string(),
        files: written,
    })
}

/// What `write_reports` wrote: for how many units, which period, which files.
pub struct Written {
    pub units: usize,
    pub period: String,
    pub files: Vec<PathBuf>,
}

/// Draws and writes one unit's files.
fn render(
    r: &review::Review,
    kinds: &[FileKind],
    lang: Lang,
    out: &std::path::Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let stem = export::file_stem(r);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut seen = Vec::new();
    for kind in kinds {
        // `--format html,html` writes once.
        if seen.contains(kind) {
            continue;
        }
        seen.push(*kind);
        match kind {
            FileKind::Html => {
                let svgs = Chart::ALL
                    .into_iter()
                    .map(|c| {
                        let svg = charts::render(r, c, charts::Format::Svg, lang)?;
                        Ok((c, String::from_utf8_lossy(&svg).into_owned()))
                    })
                    .collect::<Result<Vec<_>, ReportError>>()?;
                let page = html::page(r, &svgs, lang, Styles::Embedded);
                files.push((format!("{stem}.html"), page.into_bytes()));
            }
            FileKind::Csv => {
                for t in Table::ALL {
                    files.push((format!("{stem}_{}.csv", t.name()), export::csv(r, t, lang)));
                }
            }
            FileKind::Xlsx => files.push((format!("{stem}.xlsx"), export::xlsx(r, lang)?)),
            FileKind::Svg | FileKind::Png => {
                let format = if *kind == FileKind::Svg {
                    charts::Format::Svg
                } else {
                    charts::Format::Png
                };
                for c in Chart::ALL {
                    let bytes = charts::render(r, c, format, lang)?;
                    files.push((format!("{stem}_{}.{}", c.name(), format.extension()), bytes));
                }
            }
        }
    }
    let mut paths = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let path = out.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        paths.push(path);
    }
    Ok(paths)
}
