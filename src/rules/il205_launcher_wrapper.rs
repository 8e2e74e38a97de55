use super::{label, Context, Diag};
use crate::launch::CauseKind;

super::rule! {
    code: IL205,
    name: "launcher-wrapper",
    severity: Warning,
    summary: "a package-manager launcher (npm start, yarn, poetry run, …) is on the launch path",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    for (i, step, cause) in ctx.causes() {
        let CauseKind::Launcher { name, reloader, .. } = cause else {
            continue;
        };
        let Some(span) = super::step_span(ctx, step) else {
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
            why: super::whys![
                format!("{name} is {role}: it runs the app (often through another `sh -c`) as a child"),
                "launchers do not reliably forward the stop signal, and as PID 1 they have no handler for it",
                "the app gets SIGKILL after the grace period instead of a chance to shut down",
            ],
            help: match reloader {
                true => "turn the reloader off (Django: `runserver --noreload`; flask: no `--debug`), or better, run a production server that stops on SIGTERM (`gunicorn`, `uvicorn`)".into(),
                false => format!("run the app directly in exec form, e.g. {} instead of `{}`", super::write_launch(ctx, super::Launch::Cmd, r#"["node", "server.js"]"#), cmdline.join(" ")),
            },
        });
    }
}
