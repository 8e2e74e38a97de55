//! Output: every format is rendered from the same [`Report`].

mod human;
mod json;

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
