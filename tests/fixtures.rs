//! Every fixture under testdata/dockerfiles/<case>/Dockerfile declares, in its first line,
//! exactly which findings it must produce (`# expect: IL101@4 IL201@entrypoint.sh:3` or
//! `# expect: none`). The test checks that set, checks the naming convention (`ilNNN-…-ok`
//! must not trigger ILNNN; other `ilNNN-…` cases must), and snapshots human + JSON output.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;

use initlint::dockerfile::Options;

fn findings_of(dir: &Path) -> (initlint::Analysis, BTreeSet<String>) {
    let text = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    let a = initlint::analyse_dockerfile(
        "Dockerfile".into(),
        text,
        Some(dir),
        &Options::default(),
        &Default::default(),
    )
    .unwrap();
    let got = a
        .findings
        .iter()
        .map(|f| {
            let span = &f.diag.primary.span;
            let (line, _) = a.sources.line_col(span.file, span.range.start);
            let name = a.sources.get(span.file).name.clone();
            let base = Path::new(&name)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            if base == "Dockerfile" {
                format!("{}@{line}", f.code)
            } else {
                format!("{}@{base}:{line}", f.code)
            }
        })
        .collect();
    (a, got)
}

fn expected(dir: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    let header = text.lines().next().unwrap_or("");
    let list = header
        .strip_prefix("# expect: ")
        .unwrap_or_else(|| panic!("{}: first line must be `# expect: …`", dir.display()));
    if list.trim() == "none" {
        return BTreeSet::new();
    }
    list.split_whitespace().map(str::to_string).collect()
}

#[test]
fn fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dockerfiles");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 40,
        "at least 40 fixtures, found {}",
        dirs.len()
    );
    let mut failures = Vec::new();
    let mut rules_triggered = BTreeSet::new();
    let mut rules_trap_tested = BTreeSet::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let rule = name.split('-').next().unwrap().to_ascii_uppercase();
        let want = expected(dir);
        let (analysis, got) = findings_of(dir);
        if want != got {
            failures.push(format!("{name}: expected {want:?}, got {got:?}"));
        }
        let fires = want.iter().any(|w| w.starts_with(&format!("{rule}@")));
        if name.ends_with("-ok") {
            rules_trap_tested.insert(rule.clone());
            if fires {
                failures.push(format!("{name}: an -ok case must not expect {rule}"));
            }
        } else if !fires {
            failures.push(format!("{name}: a case named for {rule} must expect it"));
        } else {
            rules_triggered.insert(rule.clone());
        }
        let report = initlint::report::Report {
            target: "Dockerfile",
            stage: analysis.stage.clone(),
            image: None,
            verdict: &analysis.verdict,
            container: &analysis.container,
            chain: &analysis.chain,
            findings: &analysis.findings,
            sources: &analysis.sources,
            home: None,
        };
        let settings = {
            let mut s = insta::Settings::clone_current();
            s.set_snapshot_suffix(name.clone());
            s.set_prepend_module_to_snapshot(false);
            s.add_filter(r"testdata/dockerfiles/[^/]+/", "");
            s.add_filter(&regex_escape(&root.display().to_string()), "[root]");
            s
        };
        settings.bind(|| {
            let style = |width, explain| initlint::report::Style {
                color: false,
                width,
                explain,
            };
            insta::assert_snapshot!(
                "human-80",
                initlint::report::human(&report, &style(80, false))
            );
            insta::assert_snapshot!(
                "human-200-explain",
                initlint::report::human(&report, &style(200, true))
            );
            insta::assert_json_snapshot!("json", initlint::report::json(&report));
        });
    }
    for code in initlint::rules::Code::ALL {
        let c = code.as_str().to_string();
        // Rules that need a built image (ELF evidence) are covered by tests/image.rs.
        let image_only = initlint::rules::meta(*code).doc.contains("```image");
        if !rules_triggered.contains(&c) && !image_only {
            failures.push(format!("no fixture triggers {c}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every rule has a false-positive trap except the purely syntactic IL106 reset variant.
    assert!(
        rules_trap_tested.len() >= 12,
        "traps for {rules_trap_tested:?}"
    );
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if "\\.+*?()|[]{}^$".contains(c) {
                format!("\\{c}")
            } else {
                c.to_string()
            }
        })
        .collect()
}
