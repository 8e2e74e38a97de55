//! Inline suppressions in Dockerfiles and scripts:
//! `# initlint ignore=IL101,IL104` covers the next instruction or command (with its
//! continuation lines); `# initlint global ignore=IL104` covers the whole file. A suppression
//! that suppresses nothing is itself reported (IL900), so suppressions do not rot.

use std::ops::Range;

use crate::rules::{self, Code, Diag, Finding, Label};
use crate::source::{FileId, SourceMap, Span};

#[derive(Debug)]
struct Pragma {
    span: Span,
    codes: Vec<(String, Option<Code>)>,
    /// 1-based lines covered; `None`: the whole file.
    lines: Option<Range<usize>>,
}

fn scan_file(file: FileId, text: &str) -> Vec<Pragma> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Vec::new();
    let mut offset = 0;
    for (i, line) in lines.iter().enumerate() {
        let start = offset;
        offset += line.len() + 1;
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix('#') else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix("initlint") else {
            continue;
        };
        let rest = rest.trim();
        let (global, rest) = match rest.strip_prefix("global") {
            Some(r) => (true, r.trim_start()),
            None => (false, rest),
        };
        let Some(list) = rest.strip_prefix("ignore=") else {
            continue;
        };
        let codes = list
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| (c.to_string(), c.parse::<Code>().ok()))
            .collect();
        let indent = line.len() - trimmed.len();
        let span = Span {
            file,
            range: start + indent..start + line.trim_end().len(),
        };
        let covered = if global {
            None
        } else {
            Some(next_logical_line(&lines, i + 1))
        };
        out.push(Pragma {
            span,
            codes,
            lines: covered,
        });
    }
    out
}

/// 1-based lines of the first code line at or after index `from`, with its continuations.
fn next_logical_line(lines: &[&str], from: usize) -> Range<usize> {
    let Some(first) = (from..lines.len()).find(|&j| {
        let t = lines[j].trim();
        !t.is_empty() && !t.starts_with('#')
    }) else {
        return 0..0;
    };
    let mut last = first;
    while lines[last].trim_end().ends_with('\\') && last + 1 < lines.len() {
        last += 1;
    }
    first + 1..last + 2
}

/// Drop suppressed findings; add an IL900 finding for each suppression that matched nothing.
pub fn apply(findings: Vec<Finding>, sources: &SourceMap) -> Vec<Finding> {
    let mut pragmas: Vec<Pragma> = Vec::new();
    for id in sources.ids() {
        pragmas.extend(scan_file(id, &sources.get(id).text));
    }
    if pragmas.is_empty() {
        return findings;
    }
    let mut used = vec![Vec::new(); pragmas.len()];
    let mut kept = Vec::new();
    for f in findings {
        let span = &f.diag.primary.span;
        let (line, _) = sources.line_col(span.file, span.range.start);
        let hit = pragmas.iter().position(|p| {
            p.span.file == span.file
                && p.lines.as_ref().is_none_or(|r| r.contains(&line))
                && p.codes.iter().any(|(_, c)| *c == Some(f.code))
        });
        match hit {
            Some(i) => used[i].push(f.code),
            None => kept.push(f),
        }
    }
    let meta = rules::meta(Code::IL900);
    for (p, used) in pragmas.iter().zip(used) {
        for (text, code) in &p.codes {
            if code.is_some_and(|c| used.contains(&c)) {
                continue;
            }
            let (message, why) = match code {
                Some(_) => (
                    format!("the suppression of {text} is unused: there is no {text} finding here"),
                    if p.lines.is_some() {
                        "it covers only the next instruction or command, where no finding of that code is reported"
                    } else {
                        "no finding of that code is reported anywhere in this file"
                    },
                ),
                None => (
                    format!("the suppression names {text:?}, which is not a rule code"),
                    "see `initlint rules` for the codes",
                ),
            };
            kept.push(Finding {
                code: meta.code,
                severity: meta.severity,
                diag: Diag {
                    step: None,
                    primary: Label {
                        span: p.span.clone(),
                        text: "unused suppression".into(),
                    },
                    secondary: Vec::new(),
                    message,
                    why: vec![why.into()],
                    help: format!("remove {text} from the comment (or the whole comment)"),
                },
            });
        }
    }
    kept
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn pragmas_cover_the_next_logical_line() {
        let text = "FROM x\n# initlint ignore=IL101, IL104\n\nCMD a \\\n  b\nRUN c\n# initlint global ignore=IL999\n";
        let p = scan_file(FileId(0), text);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].lines, Some(4..6));
        assert_eq!(p[0].codes.len(), 2);
        assert_eq!(p[0].codes[1].1, Some(Code::IL104));
        assert_eq!(p[1].lines, None);
        assert_eq!(p[1].codes[0].1, None);
        assert_eq!(
            &text[p[0].span.range.clone()],
            "# initlint ignore=IL101, IL104"
        );
    }
}
