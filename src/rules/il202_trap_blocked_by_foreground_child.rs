use super::{label, Context, Diag};
use crate::launch::CauseKind;
use crate::shell::Terminal;

super::rule! {
    code: IL202,
    name: "trap-blocked-by-foreground-child",
    severity: Warning,
    summary: "a trap for the stop signal exists, but the program runs in the foreground: the trap runs only after it exits",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    let sig = ctx.container.stop_signal_name();
    for (i, _, cause, content, analysis) in ctx.script_causes() {
        let CauseKind::TrapBehindForeground { path, trap } = cause else {
            continue;
        };
        let Some(Terminal::Command { cmd, .. }) = &analysis.terminal else {
            continue;
        };
        let (Some(trap_span), Some(cmd_span)) = (
            content.map.span(trap.range.clone()),
            content.map.span(cmd.range.clone()),
        ) else {
            continue;
        };
        let line = content.value.get(cmd.range.clone()).unwrap_or("");
        out.push(Diag {
            step: Some(i),
            primary: label(trap_span, "this trap runs only after the foreground command returns"),
            secondary: vec![label(cmd_span, "runs in the foreground: the shell waits here and defers traps")],
            message: format!("the {sig} trap in {path} cannot run while the program runs in the foreground"),
            why: super::whys![
                format!("{sig} arrives while the shell is waiting for a foreground child"),
                "a shell runs traps only after the foreground command returns, so the trap cannot forward the signal",
                "the program keeps running until the runtime's SIGKILL",
            ],
            help: format!("either `exec {line}` (and drop the trap), or start it in the background and wait: `{line} & pid=$!; wait \"$pid\"` with the trap running `kill -TERM \"$pid\"`"),
        });
    }
}
