//! Rules: static metadata plus a `check` that reads the model and the launch chain. The engine
//! stamps code and severity; rules never decide their own fate.

mod il101_shell_stays_pid1;
mod il102_shell_entrypoint_drops_args;
mod il103_exec_form_invalid_json;
mod il104_shell_form_simple;
mod il105_stopsignal_invalid;
mod il106_launch_inherited;
mod il107_repeated_launch_instruction;
mod il201_script_without_exec;
mod il202_trap_blocked_by_foreground_child;
mod il203_background_without_forwarding;
mod il204_forking_user_switch;
mod il205_launcher_wrapper;
mod il206_entrypoint_not_runnable;
mod il301_no_stop_signal_handler;
mod il302_runtime_default_ignores;
mod il303_no_zombie_reaper;
mod il304_init_misconfigured;
mod il305_stopsignal_not_handled;
mod il306_verdict_unknown;
mod il900_unused_suppression;

use std::fmt;

use serde::Serialize;

use crate::dockerfile::Facts;
use crate::launch::{CauseKind, Chain};
use crate::model::Container;
use crate::source::{SourceMap, Span};

macro_rules! codes {
    ($($c:ident),* $(,)?) => {
        /// Every rule code, spelled once.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub enum Code { $($c),* }
        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$c),*];
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$c => stringify!($c)),* }
            }
        }
    };
}
codes!(
    IL101, IL102, IL103, IL104, IL105, IL106, IL107, IL201, IL202, IL203, IL204, IL205, IL206,
    IL301, IL302, IL303, IL304, IL305, IL306, IL900
);

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Code {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown rule code {s:?} (see `initlint --list-rules`)"))
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The lowest severity that fails a run (exit 1); `none` never fails on findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Threshold {
    Info,
    Warning,
    Error,
    None,
}

impl Threshold {
    pub fn fails(self, s: Severity) -> bool {
        match self {
            Threshold::Info => true,
            Threshold::Warning => s >= Severity::Warning,
            Threshold::Error => s == Severity::Error,
            Threshold::None => false,
        }
    }
}

pub struct Meta {
    pub code: Code,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    pub doc: &'static str,
}

#[derive(Debug, Clone)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

/// What a rule reports; the engine turns it into a [`Finding`].
#[derive(Debug, Clone)]
pub struct Diag {
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub message: String,
    /// The chain: stop signal → PID 1 → missing handler or reaper → consequence.
    pub why: Vec<String>,
    pub help: String,
    /// The launch-chain step this is about, if any: findings are reported in chain order,
    /// and one behind an earlier finding says so.
    pub step: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub diag: Diag,
}

pub struct Context<'a> {
    pub container: &'a Container,
    pub chain: &'a Chain,
    pub facts: Option<&'a Facts>,
    pub sources: &'a SourceMap,
    pub verdict: &'a crate::verdict::Verdict,
}

impl<'a> Context<'a> {
    /// Every cause the launch chain found, with the index of its step and the step.
    pub(crate) fn causes(
        &self,
    ) -> impl Iterator<Item = (usize, &'a crate::launch::Step, &'a CauseKind)> {
        self.chain
            .steps
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.causes.iter().map(move |c| (i, s, &c.kind)))
    }
}

pub trait Rule: Sync {
    fn meta(&self) -> &'static Meta;
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diag>);
}

pub static ALL: &[&dyn Rule] = &[
    &il101_shell_stays_pid1::Rule,
    &il102_shell_entrypoint_drops_args::Rule,
    &il103_exec_form_invalid_json::Rule,
    &il104_shell_form_simple::Rule,
    &il105_stopsignal_invalid::Rule,
    &il106_launch_inherited::Rule,
    &il107_repeated_launch_instruction::Rule,
    &il201_script_without_exec::Rule,
    &il202_trap_blocked_by_foreground_child::Rule,
    &il203_background_without_forwarding::Rule,
    &il204_forking_user_switch::Rule,
    &il205_launcher_wrapper::Rule,
    &il206_entrypoint_not_runnable::Rule,
    &il301_no_stop_signal_handler::Rule,
    &il302_runtime_default_ignores::Rule,
    &il303_no_zombie_reaper::Rule,
    &il304_init_misconfigured::Rule,
    &il305_stopsignal_not_handled::Rule,
    &il306_verdict_unknown::Rule,
    &il900_unused_suppression::Rule,
];

pub fn meta(code: Code) -> &'static Meta {
    ALL.iter()
        .map(|r| r.meta())
        .find(|m| m.code == code)
        .unwrap_or_else(|| ALL[0].meta())
}

/// Run every rule; findings sorted by position.
pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for rule in ALL {
        let meta = rule.meta();
        let mut diags = Vec::new();
        rule.check(ctx, &mut diags);
        findings.extend(diags.into_iter().map(|diag| Finding {
            code: meta.code,
            severity: meta.severity,
            diag,
        }));
    }
    sort(&mut findings);
    mark_behind(&mut findings, ctx.chain);
    findings
}

/// A finding on a step that is not PID 1 yet, but would be once an earlier step stops
/// staying the parent, names the finding it is behind: fixing that one alone is not enough.
fn mark_behind(findings: &mut [Finding], chain: &Chain) {
    let on_path: Vec<(usize, Code)> = findings
        .iter()
        .filter_map(|f| Some((f.diag.step?, f.code)))
        .collect();
    for f in findings.iter_mut() {
        let Some(s) = f.diag.step else { continue };
        let Some(step) = chain.steps.get(s) else {
            continue;
        };
        if step.pid1 || !step.candidate {
            continue;
        }
        let Some((_, before)) = on_path
            .iter()
            .filter(|(t, c)| *t < s && *c != f.code)
            .max_by_key(|(t, _)| *t)
        else {
            continue;
        };
        let program = step
            .argv
            .first()
            .map_or("the next process".into(), |a| format!("`{}`", a.text.value));
        f.diag.message = format!("{} (still so after {before} is fixed)", f.diag.message);
        f.diag.why.insert(
            0,
            format!(
                "behind {before}: today an earlier process stays PID 1; once {before} is fixed, \
                 {program} becomes PID 1 and this applies"
            ),
        );
    }
}

/// In launch-chain order (the order a user fixes them in), then by file, position and code;
/// findings about no step (instructions, config) after those.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by_key(|f| {
        (
            f.diag.step.unwrap_or(usize::MAX),
            f.diag.primary.span.file.0,
            f.diag.primary.span.range.start,
            f.code,
        )
    });
}

// Shared wording for the "why" chain, so every rule tells the story the same way.

const WHY_STOP_LEAD: &str = "`docker stop`, `podman stop` and Kubernetes send";
const BEHIND_LEAD: &str = "behind IL";

pub(crate) fn why_stop(ctx: &Context<'_>) -> String {
    let sig = ctx.container.stop_signal_name();
    let declared = match &ctx.container.stop_signal {
        Some(_) => "the STOPSIGNAL declared in the image",
        None => "the default stop signal",
    };
    format!("{WHY_STOP_LEAD} {sig} ({declared}) to PID 1 only")
}

/// A step of a "why" chain that many findings share (how the runtime stops a container,
/// what the grace period costs, which finding this one is behind): the short human view says
/// it once, or not at all, instead of under every finding.
pub fn is_shared_why(why: &str) -> bool {
    why.starts_with(WHY_STOP_LEAD) || why == WHY_KILLED || why.starts_with(BEHIND_LEAD)
}

pub(crate) fn why_dropped(process: &str) -> String {
    format!(
        "{process} is PID 1 and has no handler for it: the kernel drops signals to a namespace's \
         PID 1 whose disposition is the default, so nothing happens"
    )
}

pub(crate) const WHY_KILLED: &str = "after the grace period (10 s for `docker stop`, 30 s in \
    Kubernetes) the runtime sends SIGKILL: the application gets no chance to finish requests, \
    flush or clean up, and every stop is slow";

/// The span to blame when a step has no source (defaults): the launch instruction.
pub(crate) fn launch_span(ctx: &Context<'_>) -> Option<Span> {
    let c = ctx.container;
    c.entrypoint
        .as_ref()
        .or(c.cmd.as_ref())
        .and_then(|l| l.origin.span().cloned())
}

/// Where to point for a step: its program word, the step, or the launch instruction.
pub(crate) fn step_span(ctx: &Context<'_>, step: &crate::launch::Step) -> Option<Span> {
    step.argv
        .first()
        .and_then(|a| a.text.span())
        .or_else(|| step.at.clone())
        .or_else(|| launch_span(ctx))
}

/// An exec-form rendering of words: `["python", "app.py"]`.
pub(crate) fn exec_form(words: &[String]) -> String {
    serde_json::to_string(words)
        .unwrap_or_default()
        .replace("\",\"", "\", \"")
}

pub(crate) fn label(span: Span, text: impl Into<String>) -> Label {
    Label {
        span,
        text: text.into(),
    }
}
