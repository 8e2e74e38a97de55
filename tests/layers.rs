//! The top-level modules form layers: no two of them depend on each other, directly or
//! through others (read from the `crate::NAME` paths in their non-test code). A cycle is how
//! a house becomes hard to change: the source map needing the image, the verdict needing the
//! launch chain needing the verdict.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Entry points and harnesses, which may use everything.
const TOP: &[&str] = &["lib", "main", "fuzz"];

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// module → the modules its code names as `crate::other`.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules: BTreeSet<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|m| !TOP.contains(&m.as_str()))
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src) {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if !modules.contains(&module) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // Unit tests may reach anywhere: a test module, or a whole file that is test-only.
        let test_only = text.lines().any(|l| l.trim() == "#![cfg(test)]");
        let code = match test_only {
            true => "",
            false => text.split("#[cfg(test)]").next().unwrap_or(""),
        };
        for name in crate_paths(code) {
            if name != module && modules.contains(&name) {
                edges.entry(module.clone()).or_default().insert(name);
            }
        }
        edges.entry(module).or_default();
    }
    edges
}

/// The first segment of every `crate::` path in `code`, grouped imports included:
/// `crate::a::x` and `use crate::{b, c::y}` name a, b and c.
fn crate_paths(code: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut names = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + 7..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                // Nested groups (`crate::{a::{x, y}, b}`) only add inner items after a
                // module that is already named.
                let mut depth = 0;
                let mut start = 0;
                for (j, ch) in group.char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            names.push(ident(&group[start..j]));
                            start = j + 1;
                        }
                        _ => {}
                    }
                }
                names.push(ident(&group[start..]));
            }
            None => names.push(ident(rest)),
        }
    }
    names
}

#[test]
fn grouped_imports_are_seen() {
    assert_eq!(
        crate_paths("use crate::{config, report::x, Analysis};\nlet y = crate::image::open();"),
        ["config", "report", "Analysis", "image"]
    );
}

/// A path from `from` back to `to` through the graph, if there is one.
fn path_back(
    g: &BTreeMap<String, BTreeSet<String>>,
    from: &str,
    to: &str,
    seen: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if from == to {
        return Some(vec![to.to_string()]);
    }
    if !seen.insert(from.to_string()) {
        return None;
    }
    for next in g.get(from).into_iter().flatten() {
        if let Some(mut p) = path_back(g, next, to, seen) {
            p.insert(0, from.to_string());
            return Some(p);
        }
    }
    None
}

#[test]
fn no_cycles_between_top_level_modules() {
    let g = graph();
    assert!(g.len() >= 10, "{g:?}");
    let mut cycles = Vec::new();
    for (m, deps) in &g {
        for d in deps {
            if let Some(back) = path_back(&g, d, m, &mut BTreeSet::new()) {
                cycles.push(format!("{m} -> {}", back.join(" -> ")));
            }
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

#[test]
fn spans_are_a_leaf() {
    let g = graph();
    assert_eq!(
        g["source"],
        BTreeSet::new(),
        "src/source depends on nothing"
    );
}

/// The verdict, the launch chain and the report know causes, not rules: a rule code in their
/// code (not their comments) would tie the verdict to a rule again.
#[test]
fn only_rules_name_rule_codes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    for dir in [
        "launch",
        "report",
        "knowledge",
        "shell",
        "elf",
        "image",
        "dockerfile",
        "verdict",
    ] {
        for path in rust_files(&root.join(dir)) {
            offenders.extend(code_lines(&path));
        }
    }
    assert!(
        offenders.is_empty(),
        "rule codes outside src/rules: {offenders:#?}"
    );
}

/// Non-comment lines of a Rust file that contain `IL` followed by three digits.
fn code_lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .filter(|(_, l)| {
            l.as_bytes()
                .windows(5)
                .any(|w| &w[..2] == b"IL" && w[2..].iter().all(u8::is_ascii_digit))
        })
        .map(|(i, l)| format!("{}:{}: {}", path.display(), i + 1, l.trim()))
        .collect()
}
