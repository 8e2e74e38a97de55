use super::{label, Context, Diag};
use crate::launch::{CauseKind, Evidence, SignalFate, Zombies};
use crate::model::Base;
use crate::source::Span;
use crate::verdict::wording;

super::rule! {
    code: IL306,
    name: "verdict-unknown",
    severity: Info,
    summary: "initlint cannot tell whether PID 1 acts on the stop signal or reaps orphans",
}

fn check(ctx: &Context<'_>, out: &mut Vec<Diag>) {
    let v = ctx.verdict;
    // A container that cannot start is IL206's finding, not an open question.
    let not_runnable = v
        .reasons
        .iter()
        .any(|c| matches!(c.kind, CauseKind::NotRunnable(_)));
    // An interpreter whose app could not be read, a launcher and a user switch are open
    // questions that IL302, IL205 and IL204 already report with their fix.
    let signal_open = v.signal_fate == SignalFate::Unknown
        && v.reasons
            .iter()
            .all(|c| matches!(c.kind, CauseKind::Unseen(_) | CauseKind::TrapRuns { .. }));
    let zombies_open = v.zombies == Zombies::Unknown;
    // Nor is an image, or a FROM scratch, without any command (IL206 too).
    let no_command = ctx.container.entrypoint.is_none()
        && ctx.container.cmd.is_none()
        && matches!(ctx.container.base, Base::Image { .. } | Base::Scratch);
    if not_runnable || no_command || !(signal_open || zombies_open) {
        return;
    }
    let Some(span) = where_(ctx) else { return };
    let sig = &v.signal;
    let mut why = Vec::new();
    let mut open = Vec::new();
    if signal_open {
        open.push(format!("whether PID 1 acts on {sig}"));
        why.extend(v.reasons.iter().map(|c| wording::text(&c.kind, sig)));
        if v.reasons.is_empty() {
            why.push(format!(
                "nothing on the launch chain shows what {} does with {sig}",
                v.pid1
            ));
        }
    }
    if zombies_open {
        open.push("whether orphans are reaped".to_string());
        why.extend(v.zombie_reasons.iter().map(|c| wording::text(&c.kind, sig)));
        if v.zombie_reasons.is_empty() {
            why.push(format!(
                "nothing on the launch chain shows whether {} reaps orphans",
                v.pid1
            ));
        }
    }
    why.dedup();
    let why = why.into_iter().map(Into::into).collect();
    // Most open questions in Dockerfile mode are files of a base that was not read.
    let read_base = match &ctx.container.base {
        Base::External { reference, .. } if ctx.container.files.base_unread() => format!(
            "let initlint read the base image {reference} (from a local engine that has it: \
             `docker pull {reference}`; or from its registry, without `--offline` and \
             `--no-base`, once, then from initlint's cache); "
        ),
        _ => String::new(),
    };
    let help = if ctx.facts.is_some() {
        format!(
            "{read_base}lint the built image (`initlint IMAGE`), where initlint reads the \
             binaries and scripts themselves; pass `--context DIR` when the build context is \
             not the Dockerfile's directory; or run PID 1 under an init (`ENTRYPOINT [\"tini\", \
             \"--\"]`, `docker run --init`), which forwards the signal and reaps"
        )
    } else {
        "the image's files do not show it: stop a container and watch (`docker run -d IMAGE`, \
         then `time docker stop`; an exit code of 137 means SIGKILL was needed), or run PID 1 \
         under an init (`ENTRYPOINT [\"tini\", \"--\"]`, `docker run --init`)"
            .to_string()
    };
    out.push(Diag {
        step: None,
        primary: label(span, format!("{} is PID 1 here", v.pid1)),
        secondary: Vec::new(),
        message: format!("initlint cannot tell {}", open.join(" or ")),
        why,
        help,
    });
}

/// The evidence of the first open question if it is a source span, else PID 1's program
/// name or instruction, else the target stage's FROM, else the start of the first file (an
/// image config without a command).
fn where_(ctx: &Context<'_>) -> Option<Span> {
    let v = ctx.verdict;
    let from_reason = v
        .reasons
        .iter()
        .chain(&v.zombie_reasons)
        .find_map(|c| match &c.evidence {
            Some(Evidence::Span(s)) => Some(s.clone()),
            _ => None,
        });
    let from_step = ctx.chain.pid1().and_then(|s| super::step_span(ctx, s));
    let from_stage = ctx
        .facts
        .and_then(|f| f.stages.get(f.target))
        .map(|s| s.from_span.clone());
    let first_file = ctx
        .sources
        .ids()
        .next()
        .map(|file| Span { file, range: 0..0 });
    from_reason.or(from_step).or(from_stage).or(first_file)
}
