//! Reports for CI servers: GitLab Code Quality, Checkstyle XML and JUnit XML.

use std::fmt::Write;

use serde_json::{json, Value};

use super::anchor::Anchor;
use super::formats::{fingerprint, placed_line};
use super::{clean, position, Report};
use crate::rules::{self, Finding, Severity};

/// GitLab Code Quality (a subset of Code Climate's issue format): `description`,
/// `check_name`, `fingerprint`, `severity`, `location.path` relative to the repository and
/// `location.lines.begin`. GitLab shows one issue per fingerprint, so it includes the line.
pub fn gitlab(reports: &[Report<'_>], anchor: &Anchor) -> Value {
    let mut issues = Vec::new();
    for r in reports {
        for f in r.findings {
            let (path, line, line_text) = placed_line(anchor, r, &f.diag.primary.span);
            let print = fingerprint(f, &format!("{path}:{line}"), line_text);
            issues.push(json!({
                "type": "issue",
                "check_name": f.code.as_str(),
                "description": format!("{} {}: {}", f.code, rules::meta(f.code).name, f.diag.message),
                "content": {"body": body(f)},
                "categories": ["Bug Risk"],
                "fingerprint": print,
                "severity": match f.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                    Severity::Info => "info",
                },
                "location": {"path": path, "lines": {"begin": line}},
            }));
        }
    }
    Value::Array(issues)
}

/// Why, as a numbered list, then the fix.
fn body(f: &Finding) -> String {
    let mut s = String::new();
    for (i, w) in f.diag.why.iter().enumerate() {
        let _ = writeln!(s, "{}. {}", i + 1, w.text);
    }
    if !f.diag.help.is_empty() {
        let _ = write!(s, "\nFix: {}", f.diag.help);
    }
    s
}

/// Checkstyle XML, as linters write it for Jenkins' warnings plugin and reviewdog: one
/// `<file>` per file with findings, one `<error>` per finding.
pub fn checkstyle(reports: &[Report<'_>]) -> String {
    let mut files: Vec<(String, Vec<String>)> = Vec::new();
    for r in reports {
        for f in r.findings {
            let (path, line, col, ..) = position(r.sources, &f.diag.primary.span);
            let error = format!(
                "    <error line=\"{line}\" column=\"{col}\" severity=\"{}\" message=\"{}\" source=\"initlint.{}\"/>",
                f.severity.as_str(),
                attr(&f.diag.message),
                f.code
            );
            match files.iter_mut().find(|(p, _)| *p == path) {
                Some((_, errors)) => errors.push(error),
                None => files.push((path, vec![error])),
            }
        }
    }
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n");
    for (path, errors) in files {
        let _ = writeln!(out, "  <file name=\"{}\">", attr(&path));
        for e in errors {
            let _ = writeln!(out, "{e}");
        }
        out.push_str("  </file>\n");
    }
    out.push_str("</checkstyle>\n");
    out
}

/// JUnit XML: a test suite per target; each finding is a failed test case, and a target
/// without findings has one passing case, so CI test views count it.
pub fn junit(reports: &[Report<'_>]) -> String {
    let mut suites = String::new();
    let (mut tests, mut failures) = (0, 0);
    for r in reports {
        let mut cases = String::new();
        for f in r.findings {
            let (path, line, col, ..) = position(r.sources, &f.diag.primary.span);
            let name = format!(
                "{} {} at {path}:{line}:{col}",
                f.code,
                rules::meta(f.code).name
            );
            let _ = writeln!(
                cases,
                "    <testcase name=\"{}\" classname=\"initlint.{}\" file=\"{}\" line=\"{line}\">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                attr(&name),
                f.code,
                attr(&path),
                attr(&f.diag.message),
                f.severity.as_str(),
                text(&body(f))
            );
        }
        let count = r.findings.len().max(1);
        if r.findings.is_empty() {
            let _ = writeln!(
                cases,
                "    <testcase name=\"no findings (SIGTERM {})\" classname=\"initlint\"/>",
                attr(&format!("{:?}", r.verdict.signal_fate).to_lowercase())
            );
        }
        tests += count;
        failures += r.findings.len();
        let _ = write!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{count}\" failures=\"{}\" errors=\"0\" skipped=\"0\">\n{cases}  </testsuite>\n",
            attr(r.target),
            r.findings.len()
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"initlint\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">\n{suites}</testsuites>\n"
    )
}

/// Text for an XML attribute: escaped, and control characters (not allowed in XML 1.0)
/// made visible first.
fn attr(s: &str) -> String {
    text(s).replace('"', "&quot;").replace('\n', "&#10;")
}

fn text(s: &str) -> String {
    let visible: String = s
        .split('\n')
        .map(|l| clean(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n");
    // U+FFFE and U+FFFF are not XML 1.0 characters at all, not even as references.
    visible
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\u{fffe}', "\\u{fffe}")
        .replace('\u{ffff}', "\\u{ffff}")
}

#[cfg(test)]
mod xml_tests {
    use super::{attr, text};

    #[test]
    fn what_xml_1_0_cannot_hold_is_escaped() {
        let s = "a\nb\u{1b}[31m<&>\"\u{fffe}\u{ffff}";
        assert_eq!(
            attr(s),
            "a&#10;b\\u{1b}[31m&lt;&amp;&gt;&quot;\\u{fffe}\\u{ffff}"
        );
        assert!(!text(s).contains(['\u{fffe}', '\u{ffff}', '\u{1b}']));
    }
}
