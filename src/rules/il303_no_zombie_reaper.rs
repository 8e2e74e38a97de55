use super::{label, Context, Diag};
use crate::elf;
use crate::launch::cause::NoReaper;
use crate::launch::CauseKind;

super::rule! {
    code: IL303,
    name: "no-zombie-reaper",
    severity: Warning,
    summary: "PID 1 starts child processes but never waits for them, and there is no init: orphans become zombies",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    for (i, step, cause) in ctx.causes() {
        // Without imports to show it (a static binary), starting processes is not claimed.
        let CauseKind::NoReaper(NoReaper::Binary {
            path,
            waits,
            spawn: Some(spawn),
            ..
        }) = cause
        else {
            continue;
        };
        let Some(span) = super::step_span(ctx, step) else {
            continue;
        };
        let sym = crate::verdict::wording::symbol(spawn);
        let (how, evidence) = match waits.first() {
            None => (
                "never calls a wait function".to_string(),
                format!("{path} imports {sym} and never calls {}", elf::WAIT_FNS.join(", ")),
            ),
            Some(w) => (
                "waits only for its own children".to_string(),
                format!(
                    "{path} imports {sym}, and its wait calls pass a pid it computes ({}), never -1: it waits only for its own children",
                    w.describe()
                ),
            ),
        };
        out.push(Diag {
            step: Some(i),
            primary: label(span, format!("{path} is PID 1, starts processes and {how}")),
            secondary: Vec::new(),
            message: format!("{path} is PID 1 and starts processes ({sym}) but {how}: zombies accumulate"),
            why: super::whys![
                evidence,
                "every child that exits stays a zombie until its parent waits for it, and orphans anywhere in the container are re-parented to PID 1",
                "zombies hold PIDs: once the pids cgroup limit or pid_max is reached, fork() fails with EAGAIN and the service breaks",
            ],
            help: format!("run it under an init that reaps: {}, `docker run --init`, or Kubernetes `shareProcessNamespace: true`; or wait for children (waitpid(-1, …) on SIGCHLD) in the program", super::write_launch(ctx, super::Launch::Entrypoint, &format!(r#"["tini", "--", "{path}"]"#))),
        });
    }
}
