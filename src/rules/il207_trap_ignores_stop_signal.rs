use super::{label, why_stop, Context, Diag};
use crate::launch::CauseKind;

super::rule! {
    code: IL207,
    name: "trap-ignores-stop-signal",
    severity: Error,
    summary: "a trap '' on the stop signal (SIG_IGN, kept across fork and exec) makes the process an init forwards to ignore it",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    let sig = ctx.container.stop_signal_name();
    let short = sig.trim_start_matches("SIG");
    for (i, step, cause) in ctx.causes() {
        let CauseKind::SignalIgnored { init, process } = cause else {
            continue;
        };
        // Where the trap is: the ignoring step's record of it, else the step.
        let trap = ctx
            .chain
            .steps
            .iter()
            .skip(i)
            .find_map(|s| s.ignores.iter().find(|(s, _)| *s == sig))
            .and_then(|(_, at)| at.clone());
        let Some(primary) = trap.or_else(|| super::step_span(ctx, step)) else {
            continue;
        };
        out.push(Diag {
            step: Some(i),
            primary: label(primary, format!("`trap '' {short}` makes {sig} ignored here and in every process started after it")),
            secondary: Vec::new(),
            message: format!("{init} forwards {sig} to {process}, which ignores it: `trap '' {short}` set SIG_IGN, and it is kept across fork and exec"),
            why: super::whys![
                why_stop(ctx),
                format!("{init} is PID 1 and passes {sig} on to {process}"),
                format!("`trap '' {short}` sets the signal's disposition to SIG_IGN; a shell's children and the program it execs keep an ignored disposition, and {process} installs no handler of its own"),
                "nothing acts on the signal: the runtime waits out the grace period and SIGKILLs everything (measured under tini)",
                super::why_killed(),
            ],
            help: format!("remove `trap '' {short}`; to keep the shell alive until the app exits, forward the signal instead: `trap 'kill -{short} $pid' {short}` with `app & pid=$!; wait $pid`, or `exec` the app"),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::{tester::Tester, Code};

    #[test]
    fn cases() {
        Tester::new(Code::IL207)
            .fail(&[(
                "FROM alpine:3.20\nENTRYPOINT [\"tini\", \"--\"]\nCMD [\"/bin/sh\", \"-c\", \"trap '' TERM; sleep 1000\"]\n",
                3,
            )])
            .fail_with(
                "FROM debian:12\nCOPY run.sh /run.sh\nENTRYPOINT [\"tini\", \"--\", \"/run.sh\"]\n",
                &[("run.sh", "#!/bin/sh\ntrap '' TERM\nexec sleep 1000\n")],
                0,
            )
            .pass(&[
                // No init: sleep is PID 1 and ignores SIGTERM anyway (that is IL301's).
                "FROM alpine:3.20\nCMD [\"/bin/sh\", \"-c\", \"trap '' TERM; sleep 1000\"]\n",
                // A trap that forwards.
                "FROM alpine:3.20\nENTRYPOINT [\"tini\", \"--\"]\nCMD [\"/bin/sh\", \"-c\", \"trap 'exit 0' TERM; sleep 1000 & wait\"]\n",
                // Another signal ignored.
                "FROM alpine:3.20\nENTRYPOINT [\"tini\", \"--\"]\nCMD [\"/bin/sh\", \"-c\", \"trap '' HUP; sleep 1000\"]\n",
                // A server that installs its own handler over the inherited SIG_IGN.
                "FROM python:3.12-slim\nENTRYPOINT [\"tini\", \"--\"]\nCMD [\"/bin/sh\", \"-c\", \"trap '' TERM; exec gunicorn app:app\"]\n",
            ])
            .test();
    }
}
