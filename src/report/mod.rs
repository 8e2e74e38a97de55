//! Output: every format is rendered from the same [`Report`].

pub mod anchor;
mod ci;
mod formats;
mod home;
mod human;
mod json;

pub use anchor::Anchor;
pub use ci::{checkstyle, gitlab, junit};
pub use formats::{compact, github, sarif, DOCS_BASE};
pub use home::ConfigHome;
pub use human::{error_snippet as snippet, render as human, Style};
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

/// Dockerfile mode: the base image of the linted stage.
#[derive(Debug, Clone)]
pub struct BaseInfo {
    /// As the FROM line names it, after substitution.
    pub reference: String,
    /// Read: where from and what reading it took. Not read: why.
    pub read: Result<ImageInfo, String>,
}

/// The result of analysing one target.
pub struct Report<'a> {
    pub target: &'a str,
    pub stage: Option<String>,
    pub image: Option<&'a ImageInfo>,
    pub base: Option<&'a BaseInfo>,
    pub verdict: &'a crate::verdict::Verdict,
    pub container: &'a Container,
    pub chain: &'a Chain,
    pub findings: &'a [Finding],
    pub sources: &'a SourceMap,
    /// Image mode with `--dockerfile`: where the config's settings come from.
    pub home: Option<&'a ConfigHome>,
}

impl Report<'_> {
    /// A span of the image config moved to the Dockerfile instruction that set it, when the
    /// Dockerfile is known; any other span as it is.
    pub fn placed(&self, span: &Span) -> Span {
        let in_config = matches!(
            self.sources.get(span.file).provenance,
            crate::source::Provenance::ImageConfig { .. }
        );
        match self.home {
            Some(home) if in_config => home
                .place(self.config_field(span))
                .unwrap_or_else(|| span.clone()),
            _ => span.clone(),
        }
    }

    /// The config field (`Cmd`, `StopSignal`, …) a span of the rendered config lies in, by
    /// the provenance of the container's settings.
    fn config_field(&self, span: &Span) -> Option<&'static str> {
        let c = self.container;
        let launch = [&c.entrypoint, &c.cmd]
            .into_iter()
            .flatten()
            .map(|l| &l.origin);
        let scalars = [&c.stop_signal, &c.user]
            .into_iter()
            .flatten()
            .map(|s| &s.origin)
            .chain([&c.workdir.origin]);
        let health = c.healthcheck.iter().map(|h| &h.origin);
        let env = c.env.iter().map(|v| &v.origin);
        launch
            .chain(scalars)
            .chain(health)
            .chain(env)
            .find_map(|o| match o {
                crate::model::Origin::ImageConfig { field, span: s, .. }
                    if s.file == span.file
                        && s.range.start <= span.range.start
                        && span.range.end <= s.range.end =>
                {
                    Some(*field)
                }
                _ => None,
            })
    }
}

/// Text from the input (file names, argv, config strings, messages that quote them) made safe
/// to print: line breaks, escape sequences and other control characters, and bidirectional
/// overrides become visible escapes, so no input can start a line of output (a GitHub
/// workflow command `::warning …`) or drive the terminal.
pub fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A source file's text for a snippet, with the same byte offsets: a CR (CRLF files) becomes a
/// space, and other control characters than line feeds and tabs (an ESC) become `?`, one per
/// byte.
pub(crate) fn clean_source(s: &str) -> String {
    if !s.chars().any(|c| c != '\n' && needs_escape(c)) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c == '\r' {
                " ".to_string()
            } else if c != '\n' && needs_escape(c) {
                "?".repeat(c.len_utf8())
            } else {
                c.to_string()
            }
        })
        .collect()
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
