use super::{label, Context, Diag};
use crate::launch::cause::InitFault;
use crate::launch::{CauseKind, StepKind};

super::rule! {
    code: IL304,
    name: "init-misconfigured",
    severity: Warning,
    summary: "an init is on the launch path but cannot do its job (not PID 1, wrapping a shell that stays the parent, or dropping the stop signal)",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    let sig = ctx.container.stop_signal_name();
    for (i, step, cause) in ctx.causes() {
        let CauseKind::InitMisconfigured { init, fault } = cause else {
            continue;
        };
        let Some(span) = super::step_span(ctx, step) else {
            continue;
        };
        let init = init.name();
        let diag = match fault {
            InitFault::NotPid1 => Diag {
                // About the chain as it is today (fixing the step before makes it go
                // away), so never "behind" that step's finding.
                step: None,
                primary: label(span, format!("{init} runs here, but not as PID 1")),
                secondary: Vec::new(),
                message: format!("{init} is not PID 1, so it cannot reap orphans and gets the stop signal only if its parent forwards it"),
                why: super::whys![
                    format!("a process before {init} on the launch path stays PID 1"),
                    "orphans are re-parented to PID 1 (or to a subreaper), not to an init further down",
                    super::why_stop(ctx),
                ],
                help: format!("make {init} PID 1 ({} in exec form, and `exec` it from scripts){}", super::write_launch(ctx, super::Launch::Entrypoint, &format!(r#"["{init}", "--", …]"#)), if init == "tini" { ", or give it -s (or TINI_SUBREAPER=1) to register as a subreaper" } else { "" }),
            },
            InitFault::ForwardsToStayingParent { child: shell, step: c } => {
                let child = ctx.chain.steps.get(*c);
                // The shell-form string itself, else where the child is started.
                let string = match child.map(|c| &c.kind) {
                    Some(StepKind::ShellString { string, .. }) => string.span(),
                    _ => None,
                };
                let secondary = string
                    .or_else(|| child.and_then(|c| c.at.clone()))
                    .filter(|s| *s != span)
                    .map(|s| vec![label(s, format!("{shell} stays the parent here"))])
                    .unwrap_or_default();
                Diag {
                    step: Some(i),
                    primary: label(span, format!("{init} forwards {sig} to {shell}")),
                    secondary,
                    message: format!("{init} forwards {sig} to {shell}, which stays the parent of the application and does not pass it on"),
                    why: super::whys![
                        super::why_stop(ctx),
                        format!("{init} forwards it to its child, {shell}; the shell has no handler, so {sig}'s default action kills it"),
                        format!("the application, {shell}'s child, never gets {sig}; when the shell exits {init} exits, and the kernel SIGKILLs everything left in the container"),
                    ],
                    help: format!(
                        "exec the application from the shell (`exec app` as the last command), or give the init the program directly in exec form: {} + {}",
                        super::write_launch(ctx, super::Launch::Entrypoint, r#"["tini", "--"]"#),
                        super::write_launch(ctx, super::Launch::Cmd, r#"["app", "--flag"]"#),
                    ),
                }
            }
            InitFault::DropsSignal => Diag {
                step: Some(i),
                primary: label(span, format!("dumb-init rewrites {sig} to 0")),
                secondary: Vec::new(),
                message: format!("dumb-init is told to drop the stop signal ({sig} rewritten to 0)"),
                why: super::whys![
                    super::why_stop(ctx),
                    format!("`-r {}:0` makes dumb-init swallow it instead of forwarding it", crate::knowledge::signals::number(&sig).unwrap_or(15)),
                    super::why_killed(),
                ],
                help: "remove the rewrite, or rewrite to the signal the application stops on (`-r 15:3`)".into(),
            },
        };
        out.push(diag);
    }
}
