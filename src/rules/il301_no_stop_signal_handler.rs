use super::{label, Code, Context, Diag, Meta, Severity};
use crate::elf;

pub struct Rule;

static META: Meta = Meta {
    code: Code::IL301,
    name: "no-stop-signal-handler",
    severity: Severity::Error,
    summary: "the PID 1 binary imports no function that could install a signal handler, so the kernel drops the stop signal",
    doc: include_str!("../../rules/IL301.md"),
};

impl super::Rule for Rule {
    fn meta(&self) -> &'static Meta {
        &META
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diag>) {
        if let Some(d) = known_without_handler(ctx) {
            out.push(d);
        }
        let Some((step, path, f)) = super::pid1_plain_binary(ctx) else {
            return;
        };
        let sig = ctx.container.stop_signal_name();
        let elf::SignalUse::Others(others) = f.signal_use(&sig) else {
            return;
        };
        let Some(span) = super::step_span(ctx, step) else {
            return;
        };
        let evidence = match (&f.calls, others.is_empty()) {
            (None, _) => format!(
                "{path} is a dynamically linked ELF ({}) that imports none of {}: it never installs a signal handler",
                crate::verdict::elf_kind(f),
                elf::SIGNAL_FNS.join(", ")
            ),
            (Some(_), true) => format!(
                "{path} ({}) never calls sigaction, signal or sigwait: it installs no signal handler",
                crate::verdict::elf_kind(f)
            ),
            (Some(_), false) => format!(
                "{path} ({}) installs dispositions only for {}, read from the constant argument at every call site",
                crate::verdict::elf_kind(f),
                crate::knowledge::signals::names(&others)
            ),
        };
        out.push(Diag {
            step: ctx.chain.index_of(step),
            primary: label(span, format!("{path} is PID 1 and cannot handle {sig}")),
            secondary: Vec::new(),
            message: format!("{path} is PID 1 and has no handler for {sig}: the kernel drops it"),
            why: vec![
                super::why_stop(ctx),
                evidence,
                super::why_dropped(path),
                super::WHY_KILLED.to_string(),
            ],
            help: format!("handle {sig} in the program (sigaction, then shut down cleanly), or run it under an init that forwards signals: `ENTRYPOINT [\"tini\", \"--\", \"{path}\"]` or `docker run --init`; a non-PID-1 child with no handler is terminated by {sig}'s default action"),
        });
    }
}

/// PID 1 is a program the knowledge base knows to install no handler at all (`sleep
/// infinity`, `tail -f /dev/null`, busybox running such an applet): by its name or its
/// binary's markers, in Dockerfile mode too.
fn known_without_handler(ctx: &Context<'_>) -> Option<Diag> {
    let step = super::pid1_step(ctx)?;
    let crate::launch::StepKind::Wrapper { program, .. } = &step.kind else {
        return None;
    };
    let words = step.words();
    let (program, how) = if program.multicall {
        let applet = crate::knowledge::programs::applet(program, &words)?;
        (
            crate::knowledge::programs::by_name(applet)?,
            format!("the {} applet {applet}", program.name()),
        )
    } else {
        (*program, format!("recognised as {}", program.name()))
    };
    let known = program.pid1.as_ref()?;
    if program.role != crate::knowledge::Role::Plain || !known.stops_on.is_empty() {
        return None;
    }
    let span = super::step_span(ctx, step)?;
    let sig = ctx.container.stop_signal_name();
    let name = program.name();
    Some(Diag {
        step: ctx.chain.index_of(step),
        primary: label(span, format!("{name} is PID 1 and cannot handle {sig}")),
        secondary: Vec::new(),
        message: format!("{name} is PID 1 and has no handler for {sig}: the kernel drops it"),
        why: vec![
            super::why_stop(ctx),
            format!("{name} {} ({how})", known.note),
            super::why_dropped(name),
            super::WHY_KILLED.to_string(),
        ],
        help: format!("to keep a container alive, run it under an init that exits on {sig}: `ENTRYPOINT [\"tini\", \"--\"]` before the command, or `docker run --init`; better, make the real service the command"),
    })
}
