use super::{label, Context, Diag};
use crate::launch::cause::Searched;
use crate::launch::CauseKind;

super::rule! {
    code: IL302,
    name: "runtime-default-ignores",
    severity: Warning,
    summary: "PID 1 is an interpreter that ignores the stop signal by default, and no handler was found",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    let sig = ctx.container.stop_signal_name();
    for (i, step, cause, span) in ctx.candidate_causes() {
        let CauseKind::DefaultIgnored {
            interpreter,
            app,
            searched,
            ..
        } = cause
        else {
            continue;
        };
        let searched = match searched {
            Searched::NotFound(source) => format!("no {sig} handler was found in {source}"),
            // Behind another finding, only a handler known to be missing is reported:
            // an app initlint cannot see may well install one.
            Searched::Unreadable(why) if step.pid1 => {
                format!("the app source could not be checked for a handler: {why}")
            }
            Searched::Unreadable(_) => continue,
        };
        let program = super::program(step).unwrap_or(interpreter.language);
        let app = app.clone().unwrap_or_default();
        out.push(Diag {
            step: Some(i),
            primary: label(span, format!("{program} is PID 1")),
            secondary: Vec::new(),
            message: format!("{program} is PID 1 and ignores {sig} unless the app installs a handler"),
            why: super::whys![
                super::why_stop(ctx),
                format!("{} installs no {sig} handler by default (measured as PID 1: it keeps running)", interpreter.language),
                searched,
                format!("the kernel drops {sig} for a PID 1 without a handler, so {program} {app} runs until SIGKILL"),
            ],
            help: interpreter.fix.to_string(),
        });
    }
}
