//! The benchmark's figures kept, not only printed: each part records what it measured under a
//! stable name; `--json FILE` merges them into a file (a reference is built from several runs,
//! one per part), and `--compare FILE` prints each figure against the same-named one there and
//! flags those more than 15 % worse. Figures, not assertions: a shared machine is noisy, so a
//! flag asks for a second run and a profile, never fails anything.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

/// A change for the worse beyond this share is flagged.
pub const WORSE_BEYOND: f64 = 0.15;

/// Which way is better for a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Higher,
    Lower,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub value: f64,
    /// `events/s`, `ms`, `µs`, `B`, `s`, `ratio`…
    pub unit: String,
    pub better: Better,
}

/// A file of figures: what machine and when, and the figures by name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FigureFile {
    /// Cores, and a note kept once written by hand (`2 cores, quiet`): figures compare only on
    /// like machines.
    #[serde(default)]
    pub machine: String,
    /// When each figure was last written (RFC 3339), by name.
    #[serde(default)]
    pub measured_at: BTreeMap<String, String>,
    pub figures: BTreeMap<String, Figure>,
}

static RECORDED: Mutex<Vec<(String, Figure)>> = Mutex::new(Vec::new());

/// Records a figure of this run under `name` (dotted, parameters in it: `ingest.events_per_s`,
/// `rebuild.seconds@1000000`).
pub fn record(name: impl Into<String>, value: f64, unit: &str, better: Better) {
    if !value.is_finite() {
        return;
    }
    RECORDED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push((
            name.into(),
            Figure {
                value,
                unit: unit.to_string(),
                better,
            },
        ));
}

/// The figures recorded by this run, by name (a name recorded twice keeps the last).
pub fn recorded() -> BTreeMap<String, Figure> {
    RECORDED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .cloned()
        .collect()
}

fn machine() -> String {
    format!(
        "{} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    )
}

/// Reads a figure file, naming the file when it cannot.
pub fn load(path: &Path) -> anyhow::Result<FigureFile> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot read it ({e})", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: not a file of figures ({e})", path.display()))
}

/// Merges this run's figures into `path` (made if missing): same names are replaced, others
/// kept, so one file gathers the figures of several runs.
pub fn write(path: &Path, now: &str) -> anyhow::Result<usize> {
    let mut file = if path.exists() {
        load(path)?
    } else {
        FigureFile::default()
    };
    // A note written into the file by hand (how quiet the machine was) is kept.
    if file.machine.is_empty() {
        file.machine = machine();
    }
    let run = recorded();
    for (name, f) in &run {
        file.figures.insert(name.clone(), f.clone());
        file.measured_at.insert(name.clone(), now.to_string());
    }
    let text = serde_json::to_string_pretty(&file)? + "\n";
    std::fs::write(path, text)
        .map_err(|e| anyhow::anyhow!("{}: cannot write it ({e})", path.display()))?;
    Ok(run.len())
}

/// One line of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Compared {
    pub name: String,
    pub reference: Option<f64>,
    pub now: f64,
    pub unit: String,
    /// Relative change, positive = better.
    pub gain: Option<f64>,
    pub worse: bool,
}

/// This run's figures against a reference's.
pub fn compare(now: &BTreeMap<String, Figure>, reference: &FigureFile) -> Vec<Compared> {
    now.iter()
        .map(|(name, f)| {
            let r = reference.figures.get(name).map(|r| r.value);
            let gain = r.filter(|r| *r != 0.0).map(|r| match f.better {
                Better::Higher => (f.value - r) / r.abs(),
                Better::Lower => (r - f.value) / r.abs(),
            });
            Compared {
                name: name.clone(),
                reference: r,
                now: f.value,
                unit: f.unit.clone(),
                gain,
                worse: gain.is_some_and(|g| g < -WORSE_BEYOND),
            }
        })
        .collect()
}

/// The comparison as the bench prints it.
pub fn print_comparison(lines: &[Compared], reference: &Path) {
    println!(
        "\n== against {} (flagged: more than {:.0} % worse)",
        reference.display(),
        WORSE_BEYOND * 100.0
    );
    for c in lines {
        let change = match (c.gain, c.reference) {
            (Some(g), _) => format!("{:+.1} %", g * 100.0),
            (None, Some(_)) => "n/a".to_string(),
            (None, None) => "new".to_string(),
        };
        let reference = c
            .reference
            .map_or_else(|| "-".to_string(), |r| format!("{r:.2}"));
        println!(
            "{:<48} {:>14} -> {:>14} {:<9} {:>9}{}",
            c.name,
            reference,
            format!("{:.2}", c.now),
            c.unit,
            change,
            if c.worse { "  WORSE" } else { "" }
        );
    }
    let worse = lines.iter().filter(|c| c.worse).count();
    println!(
        "{} figures, {} better, {worse} flagged worse",
        lines.len(),
        lines
            .iter()
            .filter(|c| c.gain.is_some_and(|g| g > 0.0))
            .count()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fig(value: f64, better: Better) -> Figure {
        Figure {
            value,
            unit: "x".into(),
            better,
        }
    }

    #[test]
    fn a_figure_worse_by_more_than_15_percent_is_flagged_either_way_round() {
        let mut reference = FigureFile::default();
        reference
            .figures
            .insert("rate".into(), fig(100.0, Better::Higher));
        reference
            .figures
            .insert("latency".into(), fig(10.0, Better::Lower));
        let now: BTreeMap<String, Figure> = [
            ("rate".to_string(), fig(84.0, Better::Higher)),
            ("latency".to_string(), fig(11.0, Better::Lower)),
            ("new".to_string(), fig(1.0, Better::Lower)),
        ]
        .into_iter()
        .collect();
        let c = compare(&now, &reference);
        let by = |n: &str| c.iter().find(|x| x.name == n).unwrap().clone();
        assert!(by("rate").worse, "16 % fewer events/s");
        assert!((by("rate").gain.unwrap() + 0.16).abs() < 1e-9);
        assert!(!by("latency").worse, "10 % slower is within the margin");
        assert!((by("latency").gain.unwrap() + 0.1).abs() < 1e-9);
        assert_eq!(by("new").reference, None);
        assert!(!by("new").worse);
    }

    #[test]
    fn writing_merges_into_the_file_and_keeps_other_runs_figures() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ref.json");
        let mut first = FigureFile::default();
        first
            .figures
            .insert("live.p99_ms".into(), fig(400.0, Better::Lower));
        first
            .figures
            .insert("ingest.events_per_s".into(), fig(1.0, Better::Higher));
        std::fs::write(&path, serde_json::to_string(&first).unwrap()).unwrap();
        record("ingest.events_per_s", 42_000.0, "events/s", Better::Higher);
        write(&path, "2026-12-06T10:00:00Z").unwrap();
        let back = load(&path).unwrap();
        assert_eq!(back.figures["live.p99_ms"].value, 400.0);
        assert_eq!(back.figures["ingest.events_per_s"].value, 42_000.0);
        assert_eq!(
            back.measured_at["ingest.events_per_s"],
            "2026-12-06T10:00:00Z"
        );
    }
}
