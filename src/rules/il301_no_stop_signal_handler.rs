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
        let Some((step, path, f)) = super::pid1_plain_binary(ctx) else {
            return;
        };
        if !f.imports_any(elf::SIGNAL_FNS).is_empty() {
            return;
        }
        let Some(span) = super::step_span(ctx, step) else {
            return;
        };
        let sig = ctx.container.stop_signal_name();
        out.push(Diag {
                step: ctx.chain.index_of(step),
            primary: label(span, format!("{path} is PID 1 and cannot handle {sig}")),
            secondary: Vec::new(),
            message: format!("{path} is PID 1 and has no way to handle {sig}: the kernel drops it"),
            why: vec![
                super::why_stop(ctx),
                format!(
                    "{path} is a dynamically linked ELF ({}) that imports none of {}: it never installs a signal handler",
                    crate::verdict::elf_kind(f),
                    elf::SIGNAL_FNS.join(", ")
                ),
                super::why_dropped(path),
                super::WHY_KILLED.to_string(),
            ],
            help: format!("handle {sig} in the program (sigaction, then shut down cleanly), or run it under an init that forwards signals: `ENTRYPOINT [\"tini\", \"--\", \"{path}\"]` or `docker run --init`; a non-PID-1 child with no handler is terminated by {sig}'s default action"),
        });
    }
}
