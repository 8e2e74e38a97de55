//! `--format compact`, `github` and `sarif`: the same findings for editors, GitHub Actions
//! annotations and GitHub code scanning.

use std::fmt::Write;

use serde_json::{json, Value};

use super::anchor::{escape, Anchor, Place, SRCROOT};
use super::{clean, position, Report};
use crate::rules::{self, Finding, Severity};
use crate::source::Span;

/// Where rule pages live, for SARIF `helpUri`.
pub const DOCS_BASE: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/rules/");

/// `path:line:col: severity: CODE message`, one line per finding, as compilers print them
/// (editors' problem matchers read the severity there).
pub fn compact(r: &Report<'_>) -> String {
    let mut out = String::new();
    for f in r.findings {
        let (path, line, col, ..) = position(r.sources, &f.diag.primary.span);
        let _ = writeln!(
            out,
            "{}:{line}:{col}: {}: {} {}",
            clean(&path),
            f.severity.as_str(),
            f.code,
            clean(&f.diag.message)
        );
    }
    out
}

/// GitHub's escaping for a workflow command's data. Each line is cleaned first (a CR or an
/// ESC becomes a visible escape), so only the line breaks between them are left to encode.
fn escape_data(s: &str) -> String {
    s.split('\n')
        .map(|line| clean(line).replace('%', "%25"))
        .collect::<Vec<_>>()
        .join("%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=IL101 …::message`.
pub fn github(r: &Report<'_>) -> String {
    let mut out = String::new();
    for f in r.findings {
        let (path, line, col, end_line, end_col) = position(r.sources, &f.diag.primary.span);
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let name = rules::meta(f.code).name;
        let mut message = f.diag.message.clone();
        if !f.diag.help.is_empty() {
            message.push_str("\nfix: ");
            message.push_str(&f.diag.help);
        }
        let _ = writeln!(
            out,
            "::{level} file={},line={line},col={col},endLine={end_line},endColumn={end_col},title={}::{}",
            escape_property(&path),
            escape_property(&format!("{} {name}", f.code)),
            escape_data(&message)
        );
    }
    out
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A SARIF location: a file of the repository relative to `%SRCROOT%`, a file elsewhere on
/// this machine by its `file:` URI, and a file inside an image (or stdin) as a logical
/// location, since no path of the repository holds it.
fn location(anchor: &Anchor, r: &Report<'_>, span: &Span) -> Value {
    let home = r.placed(span);
    if home == *span {
        return location_of(anchor, r, span);
    }
    // On the Dockerfile, and still named as the config setting it is about.
    let mut loc = location_of(anchor, r, &home);
    if let Some(config) = location_of(anchor, r, span).get("logicalLocations") {
        loc["logicalLocations"] = config.clone();
    }
    loc
}

fn location_of(anchor: &Anchor, r: &Report<'_>, span: &Span) -> Value {
    let (_, line, col, end_line, end_col) = position(r.sources, span);
    let region =
        json!({"startLine": line, "startColumn": col, "endLine": end_line, "endColumn": end_col});
    let physical = |artifact: Value| json!({"physicalLocation": {"artifactLocation": artifact, "region": region}});
    let logical = |name: String| {
        json!({
            "logicalLocations": [{"fullyQualifiedName": name, "kind": "resource"}],
            "properties": {"line": line, "column": col},
        })
    };
    match anchor.place(r.sources, span.file) {
        Place::Repo(rel) => physical(json!({"uri": escape(&rel), "uriBaseId": SRCROOT})),
        Place::Outside(abs) => physical(json!({"uri": format!("file://{}", escape(&abs))})),
        other => logical(other.name()),
    }
}

/// Where a code host shows a finding: its path, line and that line's text (the Dockerfile
/// instruction for a config finding placed with `--dockerfile`).
pub(crate) fn placed_line<'r>(
    anchor: &Anchor,
    r: &'r Report<'_>,
    span: &Span,
) -> (String, usize, &'r str) {
    let home = r.placed(span);
    let (_, line, ..) = position(r.sources, &home);
    let text = &r.sources.get(home.file).text;
    let line_text = text.lines().nth(line - 1).unwrap_or("");
    (anchor.place(r.sources, home.file).name(), line, line_text)
}

pub(crate) fn fingerprint(f: &Finding, path: &str, line_text: &str) -> String {
    let text: String = line_text.split_whitespace().collect::<Vec<_>>().join(" ");
    let hex = crate::image::sha256_hex(format!("{}\0{path}\0{text}", f.code).as_bytes());
    hex[..32].to_string()
}

/// One SARIF 2.1.0 log for all targets.
pub fn sarif(reports: &[Report<'_>], anchor: &Anchor) -> Value {
    let rule_list: Vec<Value> = rules::ALL
        .iter()
        .map(|r| {
            let m = r.meta();
            json!({
                "id": m.code.as_str(),
                "name": m.name,
                "shortDescription": {"text": m.summary},
                "fullDescription": {"text": full_description(m.doc)},
                "helpUri": format!("{DOCS_BASE}{}.md", m.code),
                "help": {"text": m.summary, "markdown": m.doc},
                "defaultConfiguration": {"level": level(m.severity)},
                "properties": {"tags": ["containers", "signals"]},
            })
        })
        .collect();
    let mut results = Vec::new();
    for r in reports {
        for f in r.findings {
            let span = &f.diag.primary.span;
            let (path, _, line_text) = placed_line(anchor, r, span);
            let index = rules::ALL
                .iter()
                .position(|x| x.meta().code == f.code)
                .unwrap_or(0);
            let mut message = f.diag.message.clone();
            if !f.diag.help.is_empty() {
                message.push_str(&format!(" Fix: {}", f.diag.help));
            }
            let related: Vec<Value> = f
                .diag
                .secondary
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let mut loc = location(anchor, r, &l.span);
                    loc["id"] = json!(i);
                    loc["message"] = json!({"text": l.text});
                    loc
                })
                .collect();
            let mut result = json!({
                "ruleId": f.code.as_str(),
                "ruleIndex": index,
                "level": level(f.severity),
                "message": {"text": message},
                "locations": [location(anchor, r, span)],
                "partialFingerprints": {"initlint/v1": fingerprint(f, &path, line_text)},
                "properties": {"why": f.diag.why, "target": r.target},
            });
            if !related.is_empty() {
                result["relatedLocations"] = json!(related);
            }
            results.push(result);
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "initlint",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rule_list,
            }},
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": {SRCROOT: {"uri": anchor.root_uri()}},
            "results": results,
        }],
    })
}

/// The page's "What it detects" section as plain text.
fn full_description(doc: &str) -> String {
    let body = doc
        .split("## What it detects")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap_or(doc);
    body.trim().to_string()
}
