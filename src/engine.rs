//! The engine: run every rule, then, in this order, apply inline suppressions (which creates
//! IL900 for the unused ones), severity overrides (IL900's too), ignored codes, and sort. Both
//! front doors (Dockerfile and image) call [`run`].

use crate::config::{pragma, Settings};
use crate::launch::Chain;
use crate::rules::{self, Code, Context, Finding};

/// The findings for a target, final.
pub fn run(ctx: &Context<'_>, settings: &Settings) -> Vec<Finding> {
    let findings = check(ctx);
    let mut findings = pragma::apply(findings, ctx.sources);
    for f in &mut findings {
        if let Some((_, sev)) = settings.severity.iter().rev().find(|(c, _)| *c == f.code) {
            f.severity = *sev;
        }
    }
    findings.retain(|f| !settings.ignore.contains(&f.code));
    sort(&mut findings);
    findings
}

/// Run every rule; findings in chain order, each marked when it is behind another.
fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for rule in rules::ALL {
        let meta = rule.meta();
        let mut diags = Vec::new();
        rule.check(ctx, &mut diags);
        findings.extend(diags.into_iter().map(|diag| Finding {
            code: meta.code,
            severity: meta.severity,
            diag,
        }));
    }
    sort(&mut findings);
    mark_behind(&mut findings, ctx.chain);
    findings
}

/// A finding on a step that is not PID 1 yet, but would be once an earlier step stops
/// staying the parent, names the finding it is behind: fixing that one alone is not enough.
fn mark_behind(findings: &mut [Finding], chain: &Chain) {
    let on_path: Vec<(usize, Code)> = findings
        .iter()
        .filter_map(|f| Some((f.diag.step?, f.code)))
        .collect();
    for f in findings.iter_mut() {
        let Some(s) = f.diag.step else { continue };
        let Some(step) = chain.steps.get(s) else {
            continue;
        };
        if step.pid1 || !step.candidate {
            continue;
        }
        let Some((_, before)) = on_path
            .iter()
            .filter(|(t, c)| *t < s && *c != f.code)
            .max_by_key(|(t, _)| *t)
        else {
            continue;
        };
        let program = step
            .argv
            .first()
            .map_or("the next process".into(), |a| format!("`{}`", a.text.value));
        f.diag.message = format!("{} (still so after {before} is fixed)", f.diag.message);
        f.diag.why.insert(0, rules::why_behind(*before, &program));
    }
}

/// In launch-chain order (the order a user fixes them in), then by file, position and code;
/// findings about no step (instructions, config) after those.
fn sort(findings: &mut [Finding]) {
    findings.sort_by_key(|f| {
        (
            f.diag.step.unwrap_or(usize::MAX),
            f.diag.primary.span.file.0,
            f.diag.primary.span.range.start,
            f.code,
        )
    });
}
