//! Every fixture under testdata/dockerfiles/<case>/Dockerfile declares, in its first line,
//! exactly which findings it must produce (`# expect: IL101@4 IL201@entrypoint.sh:3` or
//! `# expect: none`). The test checks that set, checks the naming convention (`ilNNN-…-ok`
//! must not trigger ILNNN; other `ilNNN-…` cases must), and snapshots human + JSON output.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;

use initlint::Options;

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

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dockerfiles")
}

/// The fixture directories, sorted.
fn dirs() -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(root())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// The rule a fixture is named for (`il101-…` → IL101).
fn rule_of(name: &str) -> String {
    name.split('-').next().unwrap().to_ascii_uppercase()
}

/// One fixture: its `# expect:` set, its naming convention, its snapshots.
fn check(name: &str) {
    let dir = root().join(name);
    let rule = rule_of(name);
    let want = expected(&dir);
    let (analysis, got) = findings_of(&dir);
    assert_eq!(want, got, "{name}: the `# expect:` header");
    let fires = want.iter().any(|w| w.starts_with(&format!("{rule}@")));
    if name.ends_with("-ok") {
        assert!(!fires, "{name}: an -ok case must not expect {rule}");
    } else {
        assert!(fires, "{name}: a case named for {rule} must expect it");
    }
    let report = analysis.report();
    let settings = {
        let mut s = insta::Settings::clone_current();
        s.set_snapshot_suffix(name.to_string());
        s.set_prepend_module_to_snapshot(false);
        s.add_filter(r"testdata/dockerfiles/[^/]+/", "");
        s.add_filter(&regex_escape(&root().display().to_string()), "[root]");
        s
    };
    let style = |width, explain| initlint::report::Style {
        color: false,
        width,
        explain,
    };
    settings.bind(|| {
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

/// Every fixture directory is a case: found by folder, never listed. Each runs on its own
/// (a panic is caught), so one run shows every failing fixture, by name, at once.
/// `INITLINT_FIXTURE=il101` runs only the fixtures whose names start so.
#[test]
fn fixtures() {
    let names: Vec<String> = dirs()
        .iter()
        .map(|d| d.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    assert!(
        names.len() >= 40,
        "at least 40 fixtures, found {}",
        names.len()
    );
    let only = std::env::var("INITLINT_FIXTURE").unwrap_or_default();
    let names: Vec<String> = names.into_iter().filter(|n| n.starts_with(&only)).collect();
    assert!(!names.is_empty(), "no fixture starts with {only:?}");
    let failed: Vec<&String> = names
        .iter()
        .filter(|name| std::panic::catch_unwind(|| check(name)).is_err())
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} fixtures failed (their messages are above): {failed:?}",
        failed.len(),
        names.len()
    );
}

/// Across fixtures: every rule that a Dockerfile can trigger is triggered by a fixture or by
/// its page's Example (which tests/rule_docs.rs runs), and most rules have a false-positive
/// trap (an `-ok` case).
#[test]
fn every_rule_has_a_fixture_and_most_have_a_trap() {
    let mut triggered = BTreeSet::new();
    let mut traps = BTreeSet::new();
    for dir in dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let rule = rule_of(&name);
        if name.ends_with("-ok") {
            traps.insert(rule);
        } else if expected(&dir)
            .iter()
            .any(|w| w.starts_with(&format!("{rule}@")))
        {
            triggered.insert(rule);
        }
    }
    for code in initlint::rules::Code::ALL {
        let c = code.as_str().to_string();
        // Rules that need a built image (ELF evidence) are covered by tests/image.rs.
        let doc = initlint::rules::meta(*code).doc;
        let image_only = doc.contains("```image");
        assert!(
            triggered.contains(&c)
                || image_only
                || doc.contains("```dockerfile")
                || doc.contains("```yaml"),
            "neither a fixture nor the page's Example triggers {c}"
        );
    }
    // Every rule has a false-positive trap except the purely syntactic IL106 reset variant.
    assert!(traps.len() >= 12, "traps for {traps:?}");
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
