//! Output: every format is rendered from the same [`Report`].

mod formats;
mod human;
mod json;

pub use formats::{compact, github, sarif, DOCS_BASE};
pub use human::render as human;
pub use json::render as json;

use crate::launch::Chain;
use crate::model::Container;
use crate::rules::Finding;
use crate::source::{SourceMap, Span};

/// Image mode: where the image came from and what reading it took.
#[derive(Debug, Clone)]
pub struct ImageInfo {
    /// `registry`, `docker-archive`, `oci`, `oci-archive`, `dir`.
    pub source: &'static str,
    pub platform: String,
    pub manifest_digest: Option<String>,
    pub stats: Option<crate::image::Stats>,
}

/// The result of analysing one target.
pub struct Report<'a> {
    pub target: &'a str,
    pub stage: Option<String>,
    pub image: Option<&'a ImageInfo>,
    pub verdict: &'a crate::verdict::Verdict,
    pub container: &'a Container,
    pub chain: &'a Chain,
    pub findings: &'a [Finding],
    pub sources: &'a SourceMap,
}

/// 1-based line/column start and end of a span, and its file name.
pub(crate) fn position(sources: &SourceMap, span: &Span) -> (String, usize, usize, usize, usize) {
    let (line, column) = sources.line_col(span.file, span.range.start);
    let (end_line, end_column) = sources.line_col(span.file, span.range.end);
    (
        sources.get(span.file).name.clone(),
        line,
        column,
        end_line,
        end_column,
    )
}

/// Where a verdict reason's evidence is, in words (human) and as JSON.
pub(crate) fn evidence_text(sources: &SourceMap, e: &crate::verdict::Evidence) -> String {
    use crate::verdict::Evidence;
    match e {
        Evidence::Span(span) => {
            let (path, line, column, ..) = position(sources, span);
            format!("{path}:{line}:{column}")
        }
        Evidence::Symbol {
            path,
            name,
            version,
        } => match version {
            Some(v) => format!("imported symbol {name}@{v} in {path}"),
            None => format!("imported symbol {name} in {path}"),
        },
        Evidence::Section { path, name } => format!("ELF section {name} of {path}"),
        Evidence::Knowledge(name) => format!("knowledge base: {name}"),
        Evidence::CallSite { path, site } => format!("call {} of {path}", site.describe()),
    }
}

pub(crate) fn evidence_json(
    sources: &SourceMap,
    e: &crate::verdict::Evidence,
) -> serde_json::Value {
    use crate::verdict::Evidence;
    use serde_json::json;
    match e {
        Evidence::Span(span) => {
            let (path, line, column, end_line, end_column) = position(sources, span);
            json!({"kind": "span", "path": path, "line": line, "column": column, "end_line": end_line, "end_column": end_column})
        }
        Evidence::Symbol {
            path,
            name,
            version,
        } => json!({"kind": "symbol", "path": path, "name": name, "version": version}),
        Evidence::Section { path, name } => json!({"kind": "section", "path": path, "name": name}),
        Evidence::Knowledge(name) => json!({"kind": "knowledge", "name": name}),
        Evidence::CallSite { path, site } => json!({
            "kind": "call",
            "path": path,
            "function": site.callee,
            "argument": site.arg,
            "address": format!("{:#x}", site.at),
            "caller": site.caller,
        }),
    }
}
