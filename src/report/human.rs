//! Human output: the launch chain, then each finding as a miette snippet with why and fix.

use std::fmt::{self, Write};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};

use super::{clean, clean_source, Report};
use crate::rules::{Finding, Severity};
use crate::source::{SourceMap, Span};

pub fn render(r: &Report<'_>, color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: PID 1 launch chain{}",
        clean(r.target),
        r.stage
            .as_ref()
            .map_or(String::new(), |s| format!(" (stage {})", clean(s)))
    );
    let v = r.verdict;
    let _ = writeln!(
        out,
        "  verdict: {} {} · zombies {} · PID 1: {}",
        v.signal,
        v.stop_signal.as_str(),
        v.zombies.as_str(),
        clean(&v.pid1)
    );
    for (what, reasons) in [("signal", &v.reasons), ("zombies", &v.zombie_reasons)] {
        for reason in reasons {
            let at = reason
                .evidence
                .as_ref()
                .map(|e| format!(" [{}]", clean(&super::evidence_text(r.sources, e))))
                .unwrap_or_default();
            let text = crate::verdict::wording::text(&reason.kind, &v.signal);
            let _ = writeln!(out, "    {what}: {}{at}", clean(&text));
        }
    }
    if let Some(img) = r.image {
        let mut line = format!("  image: {} {}", img.source, clean(&img.platform));
        if let Some(st) = img.stats.filter(|s| s.layers > 0) {
            line.push_str(&format!(
                ", {} layer(s), {} stored, {} unpacked",
                st.layers,
                bytes(st.stored_bytes),
                bytes(st.tar_bytes)
            ));
        }
        if let Some(d) = &img.manifest_digest {
            line.push_str(&format!(", manifest {}", clean(d)));
        }
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(
        out,
        "  /bin/sh: {} ({})",
        clean(r.container.shell.kind.name()),
        clean(&r.container.shell.basis)
    );
    if r.chain.steps.is_empty() {
        let _ = writeln!(out, "  (no ENTRYPOINT or CMD)");
    }
    for (i, step) in r.chain.steps.iter().enumerate() {
        let argv: Vec<&str> = step.words();
        let role = if step.pid1 { "PID 1" } else { "child" };
        let _ = writeln!(
            out,
            "  {}. [{role}] {}",
            i + 1,
            shorten(&clean(&argv.join(" ")), 100)
        );
        let _ = writeln!(out, "       {}", clean(&step.note));
    }
    out.push('\n');
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    for f in r.findings {
        let d = Rendered::new(f, r.sources);
        let _ = handler.render_report(&mut out, &d);
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

/// A finding, or one of its labels in another file, as a miette diagnostic.
#[derive(Debug)]
struct Rendered {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
    related: Vec<Rendered>,
}

impl Rendered {
    fn new(f: &Finding, sources: &SourceMap) -> Self {
        let d = &f.diag;
        let file = d.primary.span.file;
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            Some(clean(&d.primary.text).into_owned()),
            range(&d.primary.span),
        )];
        let mut related = Vec::new();
        for l in &d.secondary {
            if l.span.file == file {
                labels.push(LabeledSpan::new_with_span(
                    Some(clean(&l.text).into_owned()),
                    range(&l.span),
                ));
            } else {
                related.push(Rendered {
                    message: "related".into(),
                    code: None,
                    severity: miette::Severity::Advice,
                    help: None,
                    source: named(sources, &l.span),
                    labels: vec![LabeledSpan::new_with_span(
                        Some(clean(&l.text).into_owned()),
                        range(&l.span),
                    )],
                    related: Vec::new(),
                });
            }
        }
        let mut help = String::from("why:");
        for (i, w) in d.why.iter().enumerate() {
            let _ = write!(help, "\n  {}. {}", i + 1, clean(w));
        }
        let _ = write!(help, "\nfix: {}", clean(&d.help));
        Rendered {
            message: clean(&d.message).into_owned(),
            code: Some(f.code.to_string()),
            severity: match f.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
                Severity::Info => miette::Severity::Advice,
            },
            help: Some(help),
            source: named(sources, &d.primary.span),
            labels,
            related,
        }
    }
}

fn range(s: &Span) -> (usize, usize) {
    (s.range.start, s.range.end.saturating_sub(s.range.start))
}

fn named(sources: &SourceMap, span: &Span) -> NamedSource<String> {
    let f = sources.get(span.file);
    NamedSource::new(clean(&f.name), clean_source(&f.text))
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
    }
}
