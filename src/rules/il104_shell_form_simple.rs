use super::{exec_form, label, Context, Diag};
use crate::launch::{CauseKind, StepKind};

super::rule! {
    code: IL104,
    name: "shell-form-simple",
    severity: Warning,
    summary: "shell form that works only because this shell execs the last command; dash would not",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    for (i, step, cause) in ctx.causes() {
        let CauseKind::ImplicitExec { shell } = cause else {
            continue;
        };
        let StepKind::ShellString {
            basis,
            string,
            terminal_words,
            ..
        } = &step.kind
        else {
            continue;
        };
        if !step.candidate {
            continue;
        }
        let Some(primary) = string.span().or_else(|| step.at.clone()) else {
            continue;
        };
        let help = match terminal_words {
            Some(w) => format!(
                "use the exec form, which does not depend on the shell: `{}`",
                exec_form(w)
            ),
            None => "use the exec form, or write `exec` before the last command".into(),
        };
        out.push(Diag {
            step: Some(i),
            primary: label(primary, format!("PID 1 is right only because {} execs this command", shell.name())),
            secondary: Vec::new(),
            message: format!("shell form relies on {} exec'ing the last command implicitly", shell.name()),
            why: super::whys![
                format!("the string is run by {} ({basis})", shell.name()),
                format!("{} replaces itself with the last simple command, so the program becomes PID 1", shell.name()),
                "dash (the /bin/sh of Debian, Ubuntu and most official images) never does this: a base-image change, an added redirect or `if` leaves the shell as PID 1 and the stop signal is lost",
            ],
            help,
        });
    }
}
