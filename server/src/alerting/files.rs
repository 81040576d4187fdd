//! Rule files: where the server's rules come from (the default pack built into the binary, or
//! the files and folders named by `--rules`), and the `ioc rules check` and `ioc rules test`
//! commands. The engine itself does no I/O; this module reads the files for it.

use alert_rules::{run_tests, test_rule_files, Builtins, RuleSet};
use std::path::{Path, PathBuf};

/// The default pack, shipped in `alert-rules/rules/` and compiled in.
pub const DEFAULT_PACK: (&str, &str) = (
    "alert-rules/rules/default.toml",
    include_str!("../../../alert-rules/rules/default.toml"),
);

/// Reads rule files; a folder stands for its `*.toml` files except `*.test.toml`, sorted.
pub fn read_sources(paths: &[PathBuf]) -> Result<Vec<(String, String)>, Vec<String>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.is_dir() {
            match std::fs::read_dir(p) {
                Ok(entries) => {
                    let mut found: Vec<PathBuf> = entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|f| {
                            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
                            name.ends_with(".toml") && !name.ends_with(".test.toml")
                        })
                        .collect();
                    found.sort();
                    files.extend(found);
                }
                Err(e) => errors.push(format!("{}: cannot read the folder: {e}", p.display())),
            }
        } else {
            files.push(p.clone());
        }
    }
    let mut sources = Vec::new();
    for f in files {
        match std::fs::read_to_string(&f) {
            Ok(text) => sources.push((f.display().to_string(), text)),
            Err(e) => errors.push(format!("{}: cannot read: {e}", f.display())),
        }
    }
    if errors.is_empty() {
        Ok(sources)
    } else {
        Err(errors)
    }
}

/// Loads the rules the server runs: the named files, or the default pack when none are named,
/// with the built-in rules. All errors of all files, or a complete set.
pub fn load(paths: &[PathBuf]) -> Result<RuleSet, Vec<String>> {
    let sources = if paths.is_empty() {
        vec![(DEFAULT_PACK.0.to_string(), DEFAULT_PACK.1.to_string())]
    } else {
        read_sources(paths)?
    };
    let refs: Vec<(&str, &str)> = sources
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    RuleSet::load(&Builtins::default(), &refs)
        .map_err(|errs| errs.iter().map(|e| e.to_string()).collect())
}

/// `ioc rules check FILE...`: the number of rules loaded, or every error (FILE:LINE:COL: FIELD: REASON).
pub fn check(paths: &[PathBuf]) -> Result<usize, Vec<String>> {
    load(paths).map(|r| r.len())
}

/// `ioc rules test FILE...`: runs each test file against the rule files it names (relative to
/// the test file). Returns the report and whether everything passed.
pub fn test(test_files: &[PathBuf]) -> (String, bool) {
    let mut report = String::new();
    let mut ok = true;
    for tf in test_files {
        let name = tf.display().to_string();
        let text = match std::fs::read_to_string(tf) {
            Ok(t) => t,
            Err(e) => {
                report.push_str(&format!("{name}: cannot read: {e}\n"));
                ok = false;
                continue;
            }
        };
        let rule_files = match test_rule_files(&name, &text) {
            Ok(files) => files,
            Err(errs) => {
                for e in errs {
                    report.push_str(&format!("{e}\n"));
                }
                ok = false;
                continue;
            }
        };
        let dir = tf.parent().unwrap_or(Path::new("."));
        let paths: Vec<PathBuf> = rule_files.iter().map(|f| dir.join(f)).collect();
        let sources = match read_sources(&paths) {
            Ok(s) => s,
            Err(errs) => {
                for e in errs {
                    report.push_str(&format!("{e}\n"));
                }
                ok = false;
                continue;
            }
        };
        // The test file names rule files as written in it; give them under those names.
        let named: Vec<(String, String)> = rule_files
            .iter()
            .cloned()
            .zip(sources.into_iter().map(|(_, t)| t))
            .collect();
        let refs: Vec<(&str, &str)> = named
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        let result = run_tests(&name, &text, &refs);
        ok &= result.passed();
        report.push_str(&format!("{result}\n"));
    }
    (report, ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_pack_loads_and_its_tests_pass() {
        let rules = load(&[]).expect("the default pack loads");
        assert!(rules.len() > 5);
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../alert-rules/rules");
        assert!(check(std::slice::from_ref(&dir)).is_ok());
        let (report, ok) = test(&[dir.join("default.test.toml")]);
        assert!(ok, "{report}");
        assert!(report.contains("PASS"), "{report}");
    }

    #[test]
    fn a_bad_rule_file_is_refused_with_file_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("bad.toml");
        std::fs::write(&f, "[[rule]]\nname = \"x\"\nmetric = \"tasks.overdue_ratio\"\nyellow = \"> 0.3\"\nred = \"> 0.2\"\nfor = \"ten minutes\"\n").unwrap();
        let errs = check(&[f]).unwrap_err();
        let text = errs.join("\n");
        assert!(text.contains("bad.toml:5"), "{text}");
        assert!(text.contains("bad.toml:6"), "{text}");
        assert!(check(&[dir.path().join("missing.toml")]).is_err());
    }
}
