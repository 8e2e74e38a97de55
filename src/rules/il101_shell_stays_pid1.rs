use super::{
    exec_form, label, why_dropped, why_killed, why_stop, Context, Diag,
};
use crate::launch::{CauseKind, StepKind};

super::rule! {
    code: IL101,
    name: "shell-stays-pid1",
    severity: Error,
    summary: "the shell that runs a shell-form command stays PID 1 and the stop signal never reaches the program",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    for (i, step, cause) in ctx.causes() {
        let CauseKind::ShellStays { shell, why: reason } = cause else {
            continue;
        };
        let StepKind::ShellString {
            basis,
            string,
            terminal,
            terminal_words,
            ..
        } = &step.kind
        else {
            continue;
        };
        if !step.candidate || terminal.is_none() {
            continue;
        }
        let Some(primary) = string.span().or_else(|| step.at.clone()) else {
            continue;
        };
        let child = ctx
            .chain
            .steps
            .get(i + 1)
            .and_then(|s| s.argv.first())
            .map_or("the program".into(), |a| format!("`{}`", a.text.value));
        let shell_name = step
            .argv
            .first()
            .map_or("/bin/sh".into(), |a| a.text.value.clone());
        let mut secondary = Vec::new();
        if let Some(t) = terminal.clone().filter(|t| *t != primary) {
            secondary.push(label(t, format!("{child} runs as a child of the shell")));
        }
        let help = match terminal_words {
            Some(w) if step.argv.len() == 3 => format!(
                "use the exec form so {child} is PID 1: `{}`; or prefix the command with `exec` (`exec {}`)",
                exec_form(w),
                w.join(" ")
            ),
            _ => format!("put `exec` before the last command so {child} replaces the shell, or use the exec form"),
        };
        out.push(Diag {
            step: Some(i),
            primary: label(
                primary,
                format!("{} ({}) stays PID 1 here", shell_name, shell.name()),
            ),
            secondary,
            message: format!(
                "{shell_name} stays PID 1: {child} never receives {}",
                ctx.container.stop_signal_name()
            ),
            why: super::whys![
                why_stop(ctx),
                format!(
                    "the shell-form string is run by {shell_name}, which is {} ({basis})",
                    shell.name()
                ),
                format!("{reason}, so {child} is its child, not PID 1"),
                why_dropped(&shell_name),
                why_killed(),
            ],
            help,
        });
    }
}
