use super::{label, Code, Context, Diag, Meta, Severity};
use crate::launch::cause::Searched;
use crate::launch::CauseKind;

pub struct Rule;

static META: Meta = Meta {
    code: Code::IL302,
    name: "runtime-default-ignores",
    severity: Severity::Warning,
    summary:
        "PID 1 is an interpreter that ignores the stop signal by default, and no handler was found",
    doc: include_str!("../../rules/IL302.md"),
};

impl super::Rule for Rule {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diag>) {
        let sig = ctx.container.stop_signal_name();
        for (i, step, cause) in ctx.causes() {
            let CauseKind::DefaultIgnored {
                interpreter,
                app,
                searched,
                ..
            } = cause
            else {
                continue;
            };
            if !step.candidate {
                continue;
            }
            let searched = match searched {
                Searched::NotFound(source) => format!("no {sig} handler was found in {source}"),
                // Behind another finding, only a handler known to be missing is reported:
                // an app initlint cannot see may well install one.
                Searched::Unreadable(why) if step.pid1 => {
                    format!("the app source could not be checked for a handler: {why}")
                }
                Searched::Unreadable(_) => continue,
            };
            let Some(span) = step
                .argv
                .first()
                .and_then(|a| a.text.span())
                .or_else(|| step.at.clone())
            else {
                continue;
            };
            let program = step
                .argv
                .first()
                .map_or(interpreter.language.to_string(), |a| a.text.value.clone());
            let app = app.clone().unwrap_or_default();
            out.push(Diag {
                step: Some(i),
                primary: label(span, format!("{program} is PID 1")),
                secondary: Vec::new(),
                message: format!("{program} is PID 1 and ignores {sig} unless the app installs a handler"),
                why: vec![
                    super::why_stop(ctx),
                    format!("{} installs no {sig} handler by default (measured as PID 1: it keeps running)", interpreter.language),
                    searched,
                    format!("the kernel drops {sig} for a PID 1 without a handler, so {program} {app} runs until SIGKILL"),
                ],
                help: interpreter.fix.to_string(),
            });
        }
    }
}
