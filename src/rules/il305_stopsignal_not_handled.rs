use super::{label, Context, Diag};
use crate::launch::CauseKind;

super::rule! {
    code: IL305,
    name: "stopsignal-not-handled",
    severity: Error,
    summary: "the stop signal is one the PID 1 program does not stop on",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    for (i, step, cause) in ctx.causes() {
        let CauseKind::StopsOnOther { program, .. } = cause else {
            continue;
        };
        let Some(b) = program.pid1.as_ref() else {
            continue;
        };
        let sig = ctx.container.stop_signal_name();
        let Some(span) = super::step_span(ctx, step) else {
            continue;
        };
        let declared = ctx
            .container
            .stop_signal
            .as_ref()
            .and_then(|s| s.origin.span().cloned())
            .map(|s| vec![label(s, format!("the stop signal is {sig}"))])
            .unwrap_or_default();
        let stops_on = b.stops_on.join(", ");
        let suggestion = b
            .graceful
            .or(b.stops_on.first().copied())
            .unwrap_or("SIGTERM");
        out.push(Diag {
            step: Some(i),
            primary: label(span, format!("{} does not stop on {sig}", program.name())),
            secondary: declared,
            message: format!(
                "the stop signal {sig} is not one {} stops on",
                program.name()
            ),
            why: super::whys![
                super::why_stop(ctx),
                format!("{}: {}", program.name(), b.note),
                format!("it stops on {stops_on}, so {sig} leaves it running"),
                super::why_killed(),
            ],
            help: format!("set `STOPSIGNAL {suggestion}`"),
        });
    }
}
