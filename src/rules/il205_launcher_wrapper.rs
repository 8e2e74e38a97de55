use super::{label, Code, Context, Diag, Meta, Severity};
use crate::launch::CauseKind;

pub struct Rule;

static META: Meta = Meta {
    code: Code::IL205,
    name: "launcher-wrapper",
    severity: Severity::Warning,
    summary: "a package-manager launcher (npm start, yarn, poetry run, …) is on the launch path",
    doc: include_str!("../../rules/IL205.md"),
};

impl super::Rule for Rule {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diag>) {
        for (i, step, cause) in ctx.causes() {
            let CauseKind::Launcher { name } = cause else {
                continue;
            };
            let Some(span) = step
                .argv
                .first()
                .and_then(|a| a.text.span())
                .or_else(|| step.at.clone())
            else {
                continue;
            };
            let cmdline: Vec<&str> = step.words();
            let role = if step.pid1 {
                "PID 1"
            } else {
                "an extra process"
            };
            out.push(Diag {
                step: Some(i),
                primary: label(span, format!("{name} starts the app as a child process")),
                secondary: Vec::new(),
                message: format!("`{}` puts {name} between the runtime and the app", cmdline.join(" ")),
                why: vec![
                    format!("{name} is {role}: it runs the app (often through another `sh -c`) as a child"),
                    "launchers do not reliably forward the stop signal, and as PID 1 they have no handler for it".into(),
                    "the app gets SIGKILL after the grace period instead of a chance to shut down".into(),
                ],
                help: format!("run the app directly in exec form, e.g. `CMD [\"node\", \"server.js\"]` instead of `{}`", cmdline.join(" ")),
            });
        }
    }
}
