use super::{label, Context, Diag};
use crate::knowledge::Reaps;
use crate::launch::cause::Forwarding;
use crate::launch::CauseKind;

super::rule! {
    code: IL204,
    name: "forking-user-switch",
    severity: Error,
    summary: "su, sudo or runuser stays PID 1 as the parent of the program: su kills it 2 s after the stop signal and reaps no orphans; a shell it runs that does not exec loses the signal",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    let sig = ctx.container.stop_signal_name();
    for (i, _, cause, span) in ctx.candidate_causes() {
        let CauseKind::UserSwitch {
            name,
            program,
            outcome,
        } = cause
        else {
            continue;
        };
        let known = program.pid1.as_ref();
        let kills_after = known.and_then(|k| k.kills_after);
        let reaps = known.is_some_and(|k| k.reaps == Reaps::Yes);
        let (label_text, message, what) = match outcome {
            Forwarding::NotCaught => (
                format!("{name} stays PID 1 and does not catch {sig}"),
                format!("`{name}` stays PID 1 as the parent of the program and does not pass {sig} on"),
                format!("{name} catches only {}; {sig} is dropped, and the program runs until SIGKILL", known.map_or(String::new(), |k| k.stops_on.join(", "))),
            ),
            Forwarding::ToStayingParent { child, .. } => (
                format!("{name} passes {sig} to {child}, which stays the parent"),
                format!("`{name}` passes {sig} to {child}, which does not pass it on: the application is SIGKILLed"),
                format!("{child} is not PID 1 and has no handler, so it dies of {sig}; {name} exits with it and the kernel SIGKILLs the application before it can shut down (measured)"),
            ),
            // A switch that forwards, gives the program its time and reaps is harmless.
            Forwarding::ToChild { .. } if kills_after.is_none() && reaps => continue,
            Forwarding::ToChild { to } => (
                format!("{name} forks the program and stays PID 1"),
                match kills_after {
                    Some(s) => format!("`{name}` stays PID 1: it SIGKILLs the program {s} s after the stop signal"),
                    None => format!("`{name}` stays PID 1 as the parent of the program and does not reap orphans"),
                },
                format!("{name} passes {sig} on to {to}, then {}", match kills_after {
                    Some(s) => format!("SIGKILLs it {s} s later whatever the grace period: a shutdown that takes longer is cut short"),
                    None => "waits for it".into(),
                }),
            ),
            Forwarding::Unknown(why) => (
                format!("{name} forks the program and stays PID 1"),
                format!("`{name}` stays PID 1 as the parent of the program"),
                format!("whether {sig} reaches the application is not known: {why}"),
            ),
        };
        let mut why = super::whys![
            super::why_stop(ctx),
            format!("{name} runs the command as a child (it stays for PAM session cleanup) and is PID 1"),
            what,
        ];
        if !reaps {
            why.push(format!("{name} waits only for its own child: orphans re-parented to PID 1 (from `docker exec`, health checks) stay zombies (measured)").into());
        }
        out.push(Diag {
            step: Some(i),
            primary: label(span, label_text),
            secondary: Vec::new(),
            message,
            why,
            help: "switch user with a tool that execs: `exec gosu USER cmd`, `exec su-exec USER cmd`, `exec setpriv --reuid=USER --regid=GROUP --init-groups cmd`, or set `USER` in the Dockerfile".into(),
        });
    }
}
