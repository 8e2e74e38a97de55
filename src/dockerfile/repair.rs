//! Dockerfiles `docker build` accepts that parse-dockerfile refuses, made parseable without
//! moving a byte (every repair keeps the text's length and line breaks, so spans into the
//! repaired text are spans into the original):
//! - `ENTRYPOINT []` (`CMD []` and `ENTRYPOINT [ ]` parse): an empty exec form, which resets
//!   the entrypoint and still drops an inherited CMD. The brackets become `""`, and the instruction is
//!   remembered as empty.
//! - a heredoc opened on a continuation line of a RUN (`RUN apt-get update && \` then
//!   `cat <<EOF > /etc/app.conf`): BuildKit reads its body; the parser takes the body lines for
//!   instructions. They become comments.
//!
//! Repairs are tried only after the parser failed, and only where it failed: a Dockerfile that
//! parses is never changed.

use std::collections::BTreeSet;

/// Repairs tried at most (one per failure).
const MAX_REPAIRS: usize = 64;

/// The text to parse, and the byte offsets of the instructions that were empty exec forms.
pub struct Repaired {
    pub text: String,
    pub empty_exec: BTreeSet<usize>,
}

/// `text`, which failed to parse with `first`, repaired where `docker build` accepts it; the
/// original error when no repair helps.
pub fn repair(
    text: &str,
    first: parse_dockerfile::Error,
) -> Result<Repaired, parse_dockerfile::Error> {
    let mut fixed = Repaired {
        text: text.to_string(),
        empty_exec: BTreeSet::new(),
    };
    let mut error = (first.line(), first.to_string());
    for _ in 0..MAX_REPAIRS {
        let (line, message) = &error;
        let repaired = if message.contains("requires at least one argument") {
            empty_exec_form(&mut fixed, *line)
        } else if message.contains("unknown instruction") {
            heredoc_body(&mut fixed.text, *line)
        } else {
            false
        };
        if !repaired {
            return Err(first);
        }
        let again = parse_dockerfile::parse(&fixed.text)
            .map(|_| ())
            .map_err(|e| (e.line(), e.to_string()));
        match again {
            Ok(()) => return Ok(fixed),
            Err(e) => error = e,
        }
    }
    Err(first)
}

/// Byte range of 1-based `line` (without its line break).
fn line_range(text: &str, line: usize) -> Option<std::ops::Range<usize>> {
    let mut start = 0;
    for (i, l) in text.split('\n').enumerate() {
        if i + 1 == line {
            return Some(start..start + l.len());
        }
        start += l.len() + 1;
    }
    None
}

/// `ENTRYPOINT []` / `CMD [ ]` on `line`: the brackets become quotes.
fn empty_exec_form(fixed: &mut Repaired, line: usize) -> bool {
    let Some(range) = line_range(&fixed.text, line) else {
        return false;
    };
    let l = &fixed.text[range.clone()];
    let trimmed = l.trim_start();
    let indent = l.len() - trimmed.len();
    let Some(keyword_len) = ["ENTRYPOINT", "CMD"]
        .iter()
        .find(|k| trimmed.len() > k.len() && trimmed[..k.len()].eq_ignore_ascii_case(k))
        .map(|k| k.len())
    else {
        return false;
    };
    let rest = &trimmed[keyword_len..];
    let args = rest.trim();
    let inner = args.strip_prefix('[').and_then(|a| a.strip_suffix(']'));
    if !rest.starts_with([' ', '\t']) || !inner.is_some_and(|i| i.trim().is_empty()) {
        return false;
    }
    let open = range.start + indent + keyword_len + (rest.len() - rest.trim_start().len());
    let close = open + args.len() - 1;
    fixed.text.replace_range(open..open + 1, "\"");
    fixed.text.replace_range(close..close + 1, "\"");
    fixed.empty_exec.insert(range.start + indent);
    true
}

/// The body of a heredoc opened before `line` (on a continuation line of the instruction the
/// parser had been reading) becomes comment lines, up to its delimiter.
fn heredoc_body(text: &mut String, line: usize) -> bool {
    // The nearest line above that opens a heredoc: `<<WORD`, `<<-WORD`, `<<'WORD'`, `<<"WORD"`.
    let lines: Vec<&str> = text.split('\n').collect();
    let Some((opener, word, strip_tabs)) = (0..line.saturating_sub(1))
        .rev()
        .take(200)
        .find_map(|i| heredoc_word(lines.get(i)?).map(|(w, s)| (i, w, s)))
    else {
        return false;
    };
    let end = (opener + 1..lines.len()).find(|&i| {
        let l = lines[i];
        let l = if strip_tabs {
            l.trim_start_matches('\t')
        } else {
            l
        };
        l.trim_end_matches('\r') == word
    });
    let Some(end) = end.filter(|&e| e + 1 >= line) else {
        return false;
    };
    let mut out = String::with_capacity(text.len());
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if i > opener && i <= end && !l.is_empty() {
            out.push('#');
            out.extend(l.chars().skip(1).map(|_| ' '));
            // Keep the byte length: a multi-byte character becomes as many spaces.
            let pad = l.len() - 1 - l.chars().skip(1).count();
            out.extend(std::iter::repeat_n(' ', pad));
        } else {
            out.push_str(l);
        }
    }
    *text = out;
    true
}

/// The delimiter a line's `<<` opens, and whether it is `<<-` (leading tabs stripped).
fn heredoc_word(line: &str) -> Option<(String, bool)> {
    let at = line.find("<<")?;
    let rest = &line[at + 2..];
    if rest.starts_with('<') {
        return None; // a here-string
    }
    let (strip, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let rest = rest.trim_start();
    let quoted = rest.strip_prefix(['\'', '"']);
    let body = quoted.unwrap_or(rest);
    let word: String = body
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some((word, strip))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Parse, repairing only after a failure (as the loader does).
    fn parse(text: &str) -> Result<Repaired, parse_dockerfile::Error> {
        match parse_dockerfile::parse(text) {
            Ok(_) => Ok(Repaired {
                text: text.to_string(),
                empty_exec: BTreeSet::new(),
            }),
            Err(e) => repair(text, e),
        }
    }

    #[test]
    fn a_dockerfile_that_parses_is_untouched() {
        let t = "FROM debian:12\nRUN <<EOF\necho hi\nEOF\nCMD [\"a\"]\n";
        let r = parse(t).unwrap();
        assert_eq!(r.text, t);
        assert!(r.empty_exec.is_empty());
    }

    #[test]
    fn empty_exec_forms_keep_their_length_and_are_remembered() {
        let t = "FROM debian:12\nENTRYPOINT []\n  entrypoint []\n";
        let r = parse(t).unwrap();
        assert_eq!(r.text.len(), t.len());
        assert_eq!(
            r.text,
            "FROM debian:12\nENTRYPOINT \"\"\n  entrypoint \"\"\n"
        );
        assert_eq!(r.empty_exec.iter().copied().collect::<Vec<_>>(), [15, 31]);
    }

    #[test]
    fn a_heredoc_on_a_continuation_line_becomes_comments() {
        let t = "FROM debian:12\nRUN apt-get update && \\\n    cat <<'EOF' > /etc/app.conf\nkey=välue\n\nEOF\nCMD [\"/app\"]\n";
        let r = parse(t).unwrap();
        assert_eq!(r.text.len(), t.len());
        assert!(r.text.contains("\n#         \n\n#  \nCMD"), "{:?}", r.text);
        assert_eq!(r.text.lines().count(), t.lines().count());
    }

    #[test]
    fn other_errors_stay_errors() {
        assert!(parse("FROM debian:12\nFOO bar\n").is_err());
        assert!(parse("FROM debian:12\nENTRYPOINT\n").is_err());
    }
}
