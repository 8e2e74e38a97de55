use super::{label, Context, Diag};
use crate::launch::CauseKind;
use crate::shell::Terminal;

super::rule! {
    code: IL203,
    name: "background-without-forwarding",
    severity: Warning,
    summary: "the program is started with & and waited on, but no trap forwards the stop signal",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    let sig = ctx.container.stop_signal_name();
    for (i, step, cause, content, analysis) in ctx.script_causes() {
        let CauseKind::BackgroundUnforwarded { path } = cause else {
            continue;
        };
        let Some(Terminal::BackgroundWait { job, wait }) = &analysis.terminal else {
            continue;
        };
        if !step.candidate {
            continue;
        }
        let (Some(job_span), Some(wait_span)) = (
            content.map.span(job.range.clone()),
            content.map.span(wait.clone()),
        ) else {
            continue;
        };
        out.push(Diag {
            step: Some(i),
            primary: label(wait_span, format!("{path} waits here as PID 1 with no {sig} trap")),
            secondary: vec![label(job_span, "started in the background; it never gets the signal")],
            message: format!("{path} starts the program in the background but never forwards {sig}"),
            why: super::whys![
                super::why_stop(ctx),
                super::why_dropped(path),
                "the background job is not PID 1, but nobody sends it the signal",
                super::why_killed(),
            ],
            help: format!("add `trap 'kill -{} \"$pid\"; wait \"$pid\"' {}` before starting the job, and `pid=$!` after it", sig.trim_start_matches("SIG"), sig.trim_start_matches("SIG")),
        });
    }
}
