//! Output: every format is rendered from the same [`Report`].

mod human;
mod json;

pub use human::render as human;
pub use json::render as json;

use crate::launch::Chain;
use crate::model::Container;
use crate::rules::Finding;
use crate::source::{SourceMap, Span};

/// The result of analysing one target.
pub struct Report<'a> {
    pub target: &'a str,
    pub stage: Option<String>,
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
