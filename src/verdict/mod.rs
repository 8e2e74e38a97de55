//! The verdict for the container as a whole: does the stop signal reach a process that acts on
//! it, and are orphans reaped? A fold over the causes the launch chain attached to the step
//! that is PID 1; how each cause reads is in `report/`.

pub mod wording;

use crate::launch::{Cause, CauseKind, Chain, Step, StepKind};
use crate::model::{Base, Container};

pub use crate::launch::cause::Unseen;
pub use crate::launch::{Evidence, SignalFate, Zombies};

#[derive(Debug, Clone)]
pub struct Verdict {
    /// The stop signal the runtime sends (the container's setting).
    pub signal: String,
    /// What happens to it: delivered, ignored, abrupt (JSON `stop_signal`).
    pub signal_fate: SignalFate,
    pub zombies: Zombies,
    /// The process that is PID 1 while the application runs.
    pub pid1: String,
    /// The causes that decide the stop signal's fate (or say why it cannot be decided).
    pub reasons: Vec<Cause>,
    /// The causes that decide whether orphans are reaped.
    pub zombie_reasons: Vec<Cause>,
}

pub fn judge(c: &Container, chain: &Chain) -> Verdict {
    let mut v = Verdict {
        signal: c.stop_signal_name(),
        signal_fate: SignalFate::Unknown,
        zombies: Zombies::Unknown,
        pid1: "none".into(),
        reasons: Vec::new(),
        zombie_reasons: Vec::new(),
    };
    let Some(step) = chain.pid1() else {
        v.reasons.push(no_command(c));
        return v;
    };
    // Only a problem on the way to PID 1 stops the container from starting; a child that
    // cannot run does not change what PID 1 does with the signal.
    let not_runnable = chain
        .steps
        .iter()
        .filter(|s| s.pid1)
        .flat_map(|s| &s.causes)
        .find(|c| matches!(c.kind, CauseKind::NotRunnable(_)));
    if let Some(cause) = not_runnable {
        v.pid1 = step.program_name();
        v.reasons.push(cause.clone());
        return v;
    }
    v.pid1 = describe(step);
    if let Some(cause) = step.causes.iter().find(|c| c.kind.signal().is_some()) {
        v.signal_fate = cause.kind.signal().unwrap_or(SignalFate::Unknown);
        v.reasons.push(cause.clone());
    }
    if let Some(cause) = step.causes.iter().find(|c| c.kind.zombies().is_some()) {
        v.zombies = cause.kind.zombies().unwrap_or(Zombies::Unknown);
        v.zombie_reasons.push(cause.clone());
    }
    v
}

/// No PID 1: the launch comes from a base image that was not read, or there is none.
fn no_command(c: &Container) -> Cause {
    let inherited = |base: &str, span: &crate::source::Span| Cause {
        kind: CauseKind::Unseen(Unseen::LaunchInBase { base: base.into() }),
        evidence: Some(Evidence::Span(span.clone())),
    };
    match &c.base {
        Base::External { reference, span } if c.files.base_unread() => inherited(reference, span),
        Base::Unresolved { raw, span } => inherited(raw, span),
        _ => Cause {
            kind: CauseKind::Unseen(Unseen::NoCommand),
            evidence: None,
        },
    }
}

fn describe(step: &Step) -> String {
    let name = step.program_name();
    match &step.kind {
        StepKind::ShellString { shell, .. } => format!("{name} ({})", shell.name()),
        StepKind::Interpreter { interpreter, .. } => {
            format!("{name} ({})", interpreter.language)
        }
        _ => match step.binary.as_ref().map(|b| &b.facts) {
            Some(Ok(f)) => format!("{name} ({})", f.kind()),
            _ => name,
        },
    }
}
