//! Human output: the verdict and the launch chain, then each finding as a source snippet with
//! one sentence of why and the fix (the whole "why" chain with `--explain`), wrapped to the
//! terminal's width.

use std::fmt::Write;

use unicode_width::UnicodeWidthStr;

use super::{clean, clean_source, position, Report};
use crate::rules::{self, Finding, Label, Severity};
use crate::source::SourceMap;

/// How to draw: colours, the width to wrap to, and the full why chain or one sentence.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub width: usize,
    pub explain: bool,
}

impl Style {
    /// Narrower than this, wrapping makes every line a word: draw as if it were this wide.
    const MIN_WIDTH: usize = 40;

    fn width(&self) -> usize {
        self.width.max(Self::MIN_WIDTH)
    }

    fn paint(&self, code: &str, text: &str) -> String {
        match self.color {
            true => format!("\x1b[{code}m{text}\x1b[0m"),
            false => text.to_string(),
        }
    }
}

const BLUE: &str = "1;34";

pub fn render(r: &Report<'_>, style: &Style) -> String {
    let mut out = String::new();
    header(&mut out, r, style);
    out.push('\n');
    for f in r.findings {
        finding(&mut out, f, r.sources, style);
        out.push('\n');
    }
    let shared = r
        .findings
        .iter()
        .any(|f| f.diag.why.iter().any(|w| w.shared));
    if shared && !style.explain {
        let note = format!(
            "{} sends {} to PID 1 only; after the grace period (10 s for `docker stop`, 30 s in \
             Kubernetes) the runtime sends SIGKILL: no chance to finish requests, flush or clean \
             up, and every stop is slow. `--explain` shows each finding's whole chain; `initlint \
             rule CODE` explains a rule.",
            "`docker stop` (like `podman stop` and Kubernetes)", r.verdict.signal
        );
        wrap_into(&mut out, &note, "note: ", "      ", style.width());
        out.push('\n');
    }
    let count = |s: Severity| r.findings.iter().filter(|f| f.severity == s).count();
    let _ = writeln!(
        out,
        "{}: {} error(s), {} warning(s), {} info",
        clean(r.target),
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    );
    out
}

/// The verdict, why, the image read, the shell, and the chain of processes.
fn header(out: &mut String, r: &Report<'_>, style: &Style) {
    let w = style.width();
    let stage = r
        .stage
        .as_ref()
        .map_or(String::new(), |s| format!(" (stage {})", clean(s)));
    let title = format!("{}: PID 1 launch chain{stage}", clean(r.target));
    wrap_into(out, &title, "", "  ", w);
    let v = r.verdict;
    let verdict = format!(
        "{} {} · zombies {} · PID 1: {}",
        v.signal,
        v.signal_fate.as_str(),
        v.zombies.as_str(),
        clean(&v.pid1)
    );
    wrap_into(out, &verdict, "  verdict: ", "           ", w);
    for (what, reasons) in [("signal", &v.reasons), ("zombies", &v.zombie_reasons)] {
        for reason in reasons {
            let at = reason
                .evidence
                .as_ref()
                .map(|e| format!(" [{}]", clean(&super::evidence_text(r.sources, e))))
                .unwrap_or_default();
            let text = crate::verdict::wording::text(&reason.kind, &v.signal);
            let lead = format!("    {what}: ");
            wrap_into(out, &format!("{}{at}", clean(&text)), &lead, "      ", w);
        }
    }
    if let Some(img) = r.image {
        wrap_into(out, &image_line(img), "  image: ", "    ", w);
    }
    if let Some(base) = r.base {
        let line = match &base.read {
            Ok(img) => format!("{} read from {}", clean(&base.reference), image_line(img)),
            Err(why) => format!("{} not read: {}", clean(&base.reference), clean(why)),
        };
        wrap_into(out, &line, "  base: ", "    ", w);
    }

    let shell = format!(
        "{} ({})",
        clean(r.container.shell.kind.name()),
        clean(&r.container.shell.basis)
    );
    wrap_into(out, &shell, "  /bin/sh: ", "    ", w);
    if r.chain.steps.is_empty() {
        let _ = writeln!(out, "  (no ENTRYPOINT or CMD)");
    }
    for (i, step) in r.chain.steps.iter().enumerate() {
        let role = if step.pid1 { "PID 1" } else { "child" };
        let lead = format!("  {}. [{role}] ", i + 1);
        let argv = shorten(&clean(&step.words().join(" ")), 3 * w);
        wrap_into(out, &argv, &lead, "       ", w);
        wrap_into(out, &clean(&step.note), "       ", "       ", w);
    }
}

/// `error[IL201]: message`, the snippet, then why and fix.
fn finding(out: &mut String, f: &Finding, sources: &SourceMap, style: &Style) {
    let w = style.width();
    let (sev, colour) = match f.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
        Severity::Info => ("info", "1;36"),
    };
    let name = rules::meta(f.code).name;
    let d = &f.diag;
    let lead = style.paint(colour, &format!("{sev}[{} {name}]:", f.code));
    wrap_into(out, &clean(&d.message), &format!("{lead} "), "  ", w);
    let same_file: Vec<&Label> = std::iter::once(&d.primary)
        .chain(
            d.secondary
                .iter()
                .filter(|l| l.span.file == d.primary.span.file),
        )
        .collect();
    snippet(out, sources, &same_file, style);
    let gutter = style.paint(BLUE, "  = ");
    let whys: Vec<&String> = match style.explain {
        true => d.why.iter().map(|w| &w.text).collect(),
        false => d
            .why
            .iter()
            .filter(|w| !w.shared)
            .map(|w| &w.text)
            .take(1)
            .collect(),
    };
    if style.explain {
        let _ = writeln!(out, "{gutter}why:");
        for (i, why) in whys.iter().enumerate() {
            let lead = format!("      {}. ", i + 1);
            wrap_into(out, &clean(why), &lead, "         ", w);
        }
    } else if let Some(why) = whys.first() {
        wrap_into(out, &clean(why), &format!("{gutter}why: "), "         ", w);
    }
    for l in d
        .secondary
        .iter()
        .filter(|l| l.span.file != d.primary.span.file)
    {
        let (path, line, col, ..) = position(sources, &l.span);
        let text = format!("{}:{line}:{col}: {}", clean(&path), clean(&l.text));
        wrap_into(out, &text, &format!("{gutter}see: "), "         ", w);
    }
    if !d.help.is_empty() {
        wrap_into(
            out,
            &clean(&d.help),
            &format!("{gutter}fix: "),
            "         ",
            w,
        );
    }
}

/// `--> path:line:col`, then each labelled line with its underline and label.
fn snippet(out: &mut String, sources: &SourceMap, labels: &[&Label], style: &Style) {
    let Some(primary) = labels.first() else {
        return;
    };
    let (path, line, col, ..) = position(sources, &primary.span);
    let file = sources.get(primary.span.file);
    let text = clean_source(&file.text);
    let mut rows: Vec<(usize, usize, usize, &str, bool)> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let (_, line, ..) = position(sources, &l.span);
            let start = l.span.range.start.min(text.len());
            let line_start = text[..floor(&text, start)].rfind('\n').map_or(0, |p| p + 1);
            (
                line,
                start - line_start,
                l.span.range.end.saturating_sub(l.span.range.start),
                l.text.as_str(),
                i == 0,
            )
        })
        .collect();
    rows.sort_by_key(|r| (r.0, !r.4));
    let digits = rows
        .iter()
        .map(|r| r.0)
        .max()
        .unwrap_or(1)
        .to_string()
        .len();
    let pad = " ".repeat(digits);
    let bar = style.paint(BLUE, "|");
    let _ = writeln!(
        out,
        "{pad}{} {}:{line}:{col}",
        style.paint(BLUE, "-->"),
        clean(&path)
    );
    let _ = writeln!(out, "{pad} {bar}");
    let width = style.width();
    let mut last_line = 0;
    for (line, offset, len, label, primary) in rows {
        let src = text.lines().nth(line - 1).unwrap_or("").replace('\t', " ");
        if line != last_line {
            let (shown, shift) = window(&src, offset, width.saturating_sub(digits + 3));
            let _ = writeln!(
                out,
                "{} {bar} {shown}",
                style.paint(BLUE, &format!("{line:>digits$}"))
            );
            last_line = line;
            let before = &src[..floor(&src, offset)];
            let skip = before.width().saturating_sub(shift);
            let rest = &src[floor(&src, offset)..];
            let span_text = &rest[..floor(rest, len.min(rest.len()))];
            let marks = span_text.width().max(1);
            let mark = if primary { "^" } else { "-" };
            let underline = mark.repeat(marks);
            let lead = format!("{pad} {bar} {}", " ".repeat(skip));
            let room = width.saturating_sub(digits + 3 + skip + marks + 1);
            let label = clean(label);
            let colour = if primary { "1;31" } else { BLUE };
            if label.width() <= room {
                let _ = writeln!(out, "{lead}{} {label}", style.paint(colour, &underline));
            } else {
                let _ = writeln!(out, "{lead}{}", style.paint(colour, &underline));
                let indent = format!("{pad} {bar} ");
                wrap_into(out, &label, &indent, &indent, width);
            }
        }
    }
    let _ = writeln!(out, "{pad} {bar}");
}

/// The part of a source line that fits `room` columns and shows the column `offset`; and how
/// many columns were cut on the left.
fn window(src: &str, offset: usize, room: usize) -> (String, usize) {
    if src.width() <= room {
        return (src.to_string(), 0);
    }
    let start = floor(src, offset.saturating_sub(room / 3));
    let start = if start < 8 { 0 } else { start };
    let mut shown = String::new();
    let prefix = if start > 0 { "…" } else { "" };
    shown.push_str(prefix);
    for c in src[start..].chars() {
        if shown.width() + 2 > room {
            shown.push('…');
            break;
        }
        shown.push(c);
    }
    let cut = src[..start].width().saturating_sub(prefix.width());
    (shown, cut)
}

fn floor(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `text` wrapped to `width`, the first line after `lead` (which may hold colour escapes),
/// the others after `indent`; a word longer than a line is broken.
fn wrap_into(out: &mut String, text: &str, lead: &str, indent: &str, width: usize) {
    let pad = " ".repeat(console_width(lead));
    let opts = textwrap::Options::new(width)
        .initial_indent(&pad)
        .subsequent_indent(indent)
        .break_words(true)
        .word_separator(textwrap::WordSeparator::AsciiSpace);
    for (i, l) in textwrap::wrap(text, opts).iter().enumerate() {
        match i {
            0 => {
                let _ = writeln!(out, "{lead}{}", l.strip_prefix(pad.as_str()).unwrap_or(l));
            }
            _ => {
                let _ = writeln!(out, "{l}");
            }
        }
    }
}

/// The width of a text that may hold colour escapes.
fn console_width(s: &str) -> usize {
    let mut plain = String::new();
    let mut in_escape = false;
    for c in s.chars() {
        match (in_escape, c) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, c) => plain.push(c),
        }
    }
    plain.width()
}

fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / f64::from(1u32 << 30)),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / f64::from(1u32 << 20)),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

fn shorten(s: &str, max: usize) -> String {
    let flat = s.replace('\n', "⏎");
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}…", flat.chars().take(max).collect::<String>())
    }
}

/// A snippet of `text` (a file named `path`) underlining `at` with `label`: how input errors
/// with a position (a config file's key) show where they are, as findings do.
pub fn error_snippet(path: &str, text: &str, at: std::ops::Range<usize>, label: &str) -> String {
    let mut sources = SourceMap::default();
    let file = sources.add(path.to_string(), text.to_string());
    let label = Label {
        span: crate::source::Span { file, range: at },
        text: label.to_string(),
    };
    let style = Style {
        color: false,
        width: 80,
        explain: false,
    };
    let mut out = String::new();
    snippet(&mut out, &sources, &[&label], &style);
    out
}

/// Where an image came from and what reading it took, in one line.
fn image_line(img: &super::ImageInfo) -> String {
    let mut line = format!("{} {}", img.source, clean(&img.platform));
    if let Some(st) = img.stats.as_ref().filter(|s| s.layers > 0) {
        line.push_str(&format!(", {} layer(s)", st.layers));
        let skipped = st.skipped();
        if skipped > 0 {
            line.push_str(&format!(
                ", the lower {skipped} skipped (they cannot change the answer)"
            ));
        }
        line.push_str(&format!(
            ", {} stored, {} unpacked",
            bytes(st.stored_bytes),
            bytes(st.tar_bytes)
        ));
    }
    if let Some(d) = &img.manifest_digest {
        line.push_str(&format!(", manifest {}", clean(d)));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_word_and_the_width() {
        let text =
            "the kernel drops signals to a namespace's PID 1 whose disposition is the default";
        let mut out = String::new();
        wrap_into(&mut out, text, "\x1b[1mwhy:\x1b[0m ", "     ", 30);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() > 2, "{lines:?}");
        assert!(lines.iter().all(|l| console_width(l) <= 30), "{lines:?}");
        let words: Vec<&str> = out.split_whitespace().collect();
        assert_eq!(words[1..].join(" "), text);
    }

    #[test]
    fn a_long_line_is_cut_around_the_span() {
        let src = format!("{}TARGET{}", "x".repeat(200), "y".repeat(200));
        let (shown, cut) = window(&src, 200, 60);
        assert!(shown.width() <= 60, "{shown}");
        assert!(shown.contains("TARGET"), "{shown}");
        assert_eq!(
            src[..200].width() - cut,
            shown.find("TARGET").unwrap() - "…".len() + 1
        );
    }
}
