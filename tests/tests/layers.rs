//! Imports run one way through the server (ARCHITECTURE.md "Layers"): the domain at the bottom,
//! HTTP at the top. Each room of `server/src` below is listed with the rooms it may import; every
//! `crate::…` path in its files (in a `use` or inline, grouped ones included) is read, and one
//! that reaches any other room fails the test with its file and line. So live views, the rollup
//! and alerting never reach HTTP or the writer, and a node that applies commits read from a
//! stream can be built from them alone.

use std::path::{Path, PathBuf};

/// Each room with the rooms it may import, bottom to top (`i18n`, the words people read, sits
/// below everything). A room not listed here (`http`, the commands, the demo, the benchmarks,
/// `config`) sits on top and may import anything.
const MAY_IMPORT: &[(&str, &[&str])] = &[
    ("i18n", &[]),
    ("domain", &["i18n"]),
    ("audit", &["i18n", "domain"]),
    ("store", &["i18n", "domain", "audit"]),
    ("rollup", &["i18n", "domain", "store"]),
    ("bus", &["i18n", "domain", "rollup"]),
    ("clock", &["i18n", "domain"]),
    ("auth", &["i18n", "domain", "audit", "rollup"]),
    ("evaluation", &["i18n", "domain", "store", "rollup"]),
    (
        "alerting",
        &["i18n", "domain", "audit", "store", "rollup", "bus"],
    ),
    (
        "notify",
        &[
            "i18n", "domain", "store", "rollup", "bus", "alerting", "clock",
        ],
    ),
    (
        "live",
        &[
            "i18n", "domain", "store", "rollup", "bus", "auth", "alerting", "notify", "clock",
            "meeting",
        ],
    ),
    (
        "cluster",
        &[
            "i18n", "domain", "store", "rollup", "bus", "auth", "alerting", "notify", "live",
        ],
    ),
    (
        "ingest",
        &[
            "i18n", "domain", "audit", "store", "rollup", "bus", "auth", "alerting", "notify",
            "live",
        ],
    ),
    ("public", &["i18n", "domain", "store", "rollup", "bus"]),
    ("meeting", &["i18n", "domain", "store", "rollup"]),
    ("asof", &["domain", "store", "rollup"]),
    (
        "backtest",
        &[
            "i18n", "domain", "store", "rollup", "bus", "alerting", "asof",
        ],
    ),
    (
        "report",
        &[
            "i18n",
            "domain",
            "store",
            "rollup",
            "evaluation",
            "clock",
            "meeting",
            "asof",
        ],
    ),
];

/// The room a `crate::` path names: its first segment (`crate::Node` is the crate root, `lib`).
fn room(segment: &str) -> String {
    if segment.starts_with(|c: char| c.is_ascii_uppercase()) {
        "lib".into()
    } else if segment == "msg" {
        // `crate::msg!` is the message catalog's macro, exported at the crate root.
        "i18n".into()
    } else {
        segment.into()
    }
}

/// The rooms a file's `crate::` paths reach, with their lines. Comment lines are skipped (they
/// may name a module in prose); `crate::{a::b, c}` counts `a` and `c`.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let code: String = text
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("//") {
                ""
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = code[from..].find("crate::") {
        let at = from + i;
        let line = code[..at].matches('\n').count() + 1;
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The names at the group's top level: after `{` and after each `,` at depth 1.
            let mut depth = 1;
            let mut expect_name = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => expect_name = true,
                    c if c.is_whitespace() => {}
                    _ if expect_name && depth == 1 => {
                        let name = ident(&group[j..]);
                        if !name.is_empty() {
                            out.push((line, room(&name)));
                        }
                        expect_name = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.push((line, room(&name)));
            }
        }
        from = at + "crate::".len();
    }
    out
}

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .expect("a source folder reads")
            .map(|e| e.expect("a folder entry").path())
            .collect();
        entries.sort();
        for e in entries {
            rust_files(&e, out);
        }
    } else if path.is_file() && path.extension().is_some_and(|x| x == "rs") {
        out.push(path.to_path_buf());
    }
}

#[test]
fn each_room_of_the_server_imports_only_the_rooms_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/src");
    let mut refused = Vec::new();
    for (name, allowed) in MAY_IMPORT {
        let mut files = Vec::new();
        rust_files(&src.join(name), &mut files);
        rust_files(&src.join(format!("{name}.rs")), &mut files);
        assert!(
            !files.is_empty(),
            "no server/src/{name}/ or {name}.rs: the table above names a room that is gone"
        );
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a source file reads");
            for (line, to) in crate_paths(&text) {
                if to != *name && !allowed.contains(&to.as_str()) {
                    let shown = file.strip_prefix(&src).unwrap_or(&file).display();
                    refused.push(format!(
                        "server/src/{shown}:{line}: {name} imports crate::{to} (it may import: {})",
                        if allowed.is_empty() {
                            "nothing".to_string()
                        } else {
                            allowed.join(", ")
                        }
                    ));
                }
            }
        }
    }
    assert!(
        refused.is_empty(),
        "imports against the layers:\n{}",
        refused.join("\n")
    );
}

#[test]
fn crate_paths_are_read_in_every_form() {
    let text = "use crate::domain::Id;\n\
                // crate::http in a comment is prose\n\
                use crate::{\n    http::error::ApiError,\n    ingest::{writer::Writer, ItemError},\n    Node,\n};\n\
                fn f() { crate::live::x(); $crate::store::y() }\n";
    let found: Vec<(usize, String)> = crate_paths(text);
    let pairs: Vec<(usize, &str)> = found.iter().map(|(l, r)| (*l, r.as_str())).collect();
    assert_eq!(
        pairs,
        [
            (1, "domain"),
            (3, "http"),
            (3, "ingest"),
            (3, "lib"),
            (8, "live"),
            (8, "store")
        ]
    );
}
