use super::{label, Code, Context, Diag, Meta, Severity};
use crate::launch::{Step, StepKind};
use crate::verdict::{rewritten, stays_parent};

pub struct Rule;

static META: Meta = Meta {
    code: Code::IL304,
    name: "init-misconfigured",
    severity: Severity::Warning,
    summary: "an init is on the launch path but cannot do its job (not PID 1, wrapping a shell that stays the parent, or dropping the stop signal)",
    doc: include_str!("../../rules/IL304.md"),
};

impl super::Rule for Rule {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diag>) {
        let sig = ctx.container.stop_signal_name();
        for (i, step) in ctx.chain.steps.iter().enumerate() {
            let StepKind::Wrapper { program: b, .. } = &step.kind else {
                continue;
            };
            if !b.pid1.as_ref().is_some_and(|k| k.forwards) {
                continue;
            }
            let Some(span) = super::step_span(ctx, step) else {
                continue;
            };
            let init = b.name();
            if !step.pid1 && !subreaper(ctx, step, init) {
                out.push(Diag {
                    // About the chain as it is today (fixing the step before makes it go
                    // away), so never "behind" that step's finding.
                    step: None,
                    primary: label(span.clone(), format!("{init} runs here, but not as PID 1")),
                    secondary: Vec::new(),
                    message: format!("{init} is not PID 1, so it cannot reap orphans and gets the stop signal only if its parent forwards it"),
                    why: vec![
                        format!("a process before {init} on the launch path stays PID 1"),
                        "orphans are re-parented to PID 1 (or to a subreaper), not to an init further down".into(),
                        super::why_stop(ctx),
                    ],
                    help: format!("make {init} PID 1 (`ENTRYPOINT [\"{init}\", \"--\", …]` in exec form, and `exec` it from scripts){}", if init == "tini" { ", or give it -s (or TINI_SUBREAPER=1) to register as a subreaper" } else { "" }),
                });
            }
            if let Some(child) = ctx.chain.steps.get(i + 1).filter(|c| stays_parent(c)) {
                let shell = match &child.kind {
                    StepKind::ShellString { shell, .. } => shell.name().to_string(),
                    _ => child
                        .argv
                        .first()
                        .map(|a| a.text.value.clone())
                        .unwrap_or_default(),
                };
                // The shell-form string itself, else where the child is started.
                let string = match &child.kind {
                    StepKind::ShellString { string, .. } => string.span(),
                    _ => None,
                };
                let secondary = string
                    .or_else(|| child.at.clone())
                    .filter(|s| *s != span)
                    .map(|s| vec![label(s, format!("{shell} stays the parent here"))])
                    .unwrap_or_default();
                out.push(Diag {
                    step: ctx.chain.index_of(step),
                    primary: label(span.clone(), format!("{init} forwards {sig} to {shell}")),
                    secondary,
                    message: format!("{init} forwards {sig} to {shell}, which stays the parent of the application and does not pass it on"),
                    why: vec![
                        super::why_stop(ctx),
                        format!("{init} forwards it to its child, {shell}; the shell has no handler, so {sig}'s default action kills it"),
                        format!("the application, {shell}'s child, never gets {sig}; when the shell exits {init} exits, and the kernel SIGKILLs everything left in the container"),
                    ],
                    help: "exec the application from the shell (`exec app` as the last command), or give the init the program directly in exec form: `ENTRYPOINT [\"tini\", \"--\"]` + `CMD [\"app\", \"--flag\"]`".into(),
                });
            }
            if init == "dumb-init" && rewritten(step, &sig).as_deref() == Some("0") {
                out.push(Diag {
                    step: ctx.chain.index_of(step),
                    primary: label(span, format!("dumb-init rewrites {sig} to 0")),
                    secondary: Vec::new(),
                    message: format!("dumb-init is told to drop the stop signal ({sig} rewritten to 0)"),
                    why: vec![
                        super::why_stop(ctx),
                        format!("`-r {}:0` makes dumb-init swallow it instead of forwarding it", crate::knowledge::signals::number(&sig).unwrap_or(15)),
                        super::WHY_KILLED.to_string(),
                    ],
                    help: "remove the rewrite, or rewrite to the signal the application stops on (`-r 15:3`)".into(),
                });
            }
        }
    }
}

/// tini -s / TINI_SUBREAPER: registered as a subreaper, it reaps without being PID 1.
fn subreaper(ctx: &Context<'_>, step: &Step, init: &str) -> bool {
    init == "tini"
        && (step.argv.iter().skip(1).any(|a| a.text.value == "-s")
            || ctx.container.env_value("TINI_SUBREAPER").is_some())
}
