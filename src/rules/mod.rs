//! Rules: static metadata plus a `check` that reads the model and the launch chain. The engine
//! stamps code and severity; rules never decide their own fate.

use std::fmt;

use serde::Serialize;

use crate::dockerfile::Facts;
use crate::launch::{CauseKind, Chain};
use crate::model::{Container, Origin};
use crate::source::{SourceMap, Span};

/// The registry, spelled once: each rule's code and the file that holds it (its metadata and
/// its check). `Code`, `ALL` and `meta` are generated from this list, and the list from the
/// folder (build.rs): a rule is `src/rules/ilNNN_name.rs` plus its page `rules/ILNNN.md`.
macro_rules! registry {
    ($($code:ident => $module:ident @ $path:literal),* $(,)?) => {
        $(#[path = $path] mod $module;)*

        /// Every rule code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub enum Code { $($code),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$code),*];
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$code => stringify!($code)),* }
            }
        }

        /// Every rule, in code order.
        pub static ALL: &[&dyn Rule] = &[$(&$module::Rule),*];

        pub fn meta(code: Code) -> &'static Meta {
            match code { $(Code::$code => &$module::META),* }
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/registry.rs"));

#[cfg(test)]
mod tester;

/// A rule file's metadata, next to its `fn check(ctx, out)`: `rule! { code: IL101, name:
/// "…", severity: Error, summary: "…" }`. Its page is `rules/CODE.md`.
macro_rules! rule {
    (code: $code:ident, name: $name:literal, severity: $sev:ident, summary: $summary:expr $(,)?) => {
        pub struct Rule;

        pub(super) static META: $crate::rules::Meta = $crate::rules::Meta {
            code: $crate::rules::Code::$code,
            name: $name,
            severity: $crate::rules::Severity::$sev,
            summary: $summary,
            doc: include_str!(concat!("../../rules/", stringify!($code), ".md")),
        };

        impl $crate::rules::Rule for Rule {
            fn meta(&self) -> &'static $crate::rules::Meta {
                &META
            }

            fn check(&self, ctx: &$crate::rules::Context<'_>, out: &mut Vec<$crate::rules::Diag>) {
                check(ctx, out)
            }
        }
    };
}
pub(crate) use rule;

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
            .ok_or_else(|| format!("unknown rule code {s:?} (see `initlint rules`)"))
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
    pub why: Vec<Why>,
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
    /// The findings the launch has without the runtime's init that it does not have with it
    /// (`--init`, Compose `init: true`); empty without one.
    pub fixed_by_init: &'a [Finding],
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

    /// The causes on steps that run a script, with the script's text and analysis.
    pub(crate) fn script_causes(
        &self,
    ) -> impl Iterator<
        Item = (
            usize,
            &'a crate::launch::Step,
            &'a CauseKind,
            &'a crate::source::Text,
            &'a crate::shell::ShellFacts,
        ),
    > + '_ {
        self.causes()
            .filter_map(|(i, step, cause)| match &step.kind {
                crate::launch::StepKind::Script {
                    content, analysis, ..
                } => Some((i, step, cause, content, analysis)),
                _ => None,
            })
    }

    /// The causes on steps that are PID 1, or would be once the steps before them are fixed,
    /// with where to point for each ([`step_span`]).
    pub(crate) fn candidate_causes(
        &self,
    ) -> impl Iterator<Item = (usize, &'a crate::launch::Step, &'a CauseKind, Span)> + '_ {
        self.causes()
            .filter(|(_, step, _)| step.candidate)
            .filter_map(|(i, step, cause)| Some((i, step, cause, step_span(self, step)?)))
    }
}

pub trait Rule: Sync {
    fn meta(&self) -> &'static Meta;
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Diag>);
}

// Shared wording for the "why" chain, so every rule tells the story the same way.

/// One step of a finding's "why" chain. A step many findings share (how the runtime stops a
/// container, what the grace period costs, which finding this one is behind) is marked so:
/// the short human view says it once, or not at all, instead of under every finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Why {
    pub text: String,
    pub shared: bool,
}

impl Why {
    fn shared(text: String) -> Why {
        Why { text, shared: true }
    }
}

impl From<String> for Why {
    fn from(text: String) -> Why {
        Why {
            text,
            shared: false,
        }
    }
}

impl From<&str> for Why {
    fn from(text: &str) -> Why {
        Why::from(text.to_string())
    }
}

impl Serialize for Why {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// A "why" chain from steps of either kind: `whys![why_stop(ctx), format!(…), "…"]`.
macro_rules! whys {
    ($($step:expr),* $(,)?) => {
        vec![$($crate::rules::Why::from($step)),*]
    };
}
pub(crate) use whys;

pub(crate) fn why_stop(ctx: &Context<'_>) -> Why {
    let sig = ctx.container.stop_signal_name();
    let declared = match &ctx.container.stop_signal {
        Some(s) => match &s.origin {
            Origin::Flag { flag, .. } => format!("given by {flag}"),
            Origin::Manifest { format, key, .. } => format!(
                "given by `{key}:` in the {} file",
                crate::model::manifest_name(format)
            ),
            _ => "the STOPSIGNAL declared in the image".into(),
        },
        None => "the default stop signal".into(),
    };
    Why::shared(format!(
        "`docker stop`, `podman stop` and Kubernetes send {sig} ({declared}) to PID 1 only"
    ))
}

/// The first "why" of a finding on a step that becomes PID 1 only once `before` is fixed.
pub(crate) fn why_behind(before: Code, program: &str) -> Why {
    Why::shared(format!(
        "behind {before}: today an earlier process stays PID 1; once {before} is fixed, \
         {program} becomes PID 1 and this applies"
    ))
}

pub(crate) fn why_dropped(process: &str) -> String {
    format!(
        "{process} is PID 1 and has no handler for it: the kernel drops signals to a namespace's \
         PID 1 whose disposition is the default, so nothing happens"
    )
}

/// What waiting out the grace period costs.
pub(crate) fn why_killed() -> Why {
    Why::shared(
        "after the grace period (10 s for `docker stop`, 30 s in Kubernetes) the runtime sends \
         SIGKILL: the application gets no chance to finish requests, flush or clean up, and \
         every stop is slow"
            .into(),
    )
}

/// The span to blame when a step has no source (defaults): the launch instruction.
pub(crate) fn launch_span(ctx: &Context<'_>) -> Option<Span> {
    let c = ctx.container;
    c.entrypoint
        .as_ref()
        .or(c.cmd.as_ref())
        .and_then(|l| l.origin.span().cloned())
}

/// Where to point for a step: its program word, the step, or the launch instruction.
/// In Dockerfile mode a program the base's config names (its ENTRYPOINT) is pointed at where
/// the Dockerfile's own words start: the base's config is not a file the user can edit.
pub(crate) fn step_span(ctx: &Context<'_>, step: &crate::launch::Step) -> Option<Span> {
    let in_config = |s: &Span| {
        matches!(
            ctx.sources.get(s.file).provenance,
            crate::source::Provenance::ImageConfig { .. }
        )
    };
    let spans = || step.argv.iter().filter_map(|a| a.text.span());
    let dockerfile = !matches!(ctx.container.base, crate::model::Base::Image { .. });
    let first = spans().next();
    match first {
        Some(s) if dockerfile && in_config(&s) => spans().find(|s| !in_config(s)).or(Some(s)),
        _ => first,
    }
    .or_else(|| step.at.clone())
    .or_else(|| launch_span(ctx))
}

/// The program a step runs, as written (`python`, `/usr/bin/tini`).
pub(crate) fn program(step: &crate::launch::Step) -> Option<&str> {
    step.argv.first().map(|a| a.text.value.as_str())
}

/// The launch setting a fix writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Launch {
    Entrypoint,
    Cmd,
}

/// A launch setting as the fix should write it, where this container's launch comes from:
/// the Dockerfile instruction (`ENTRYPOINT ["tini", "--"]`), the run-time flag when the
/// launch was given by flags (`--entrypoint '["tini", "--"]'`), or, for an image's config,
/// the instruction in the Dockerfile that builds the image. `array` is the exec form.
pub(crate) fn write_launch(ctx: &Context<'_>, which: Launch, array: &str) -> String {
    let (keyword, flag) = match which {
        Launch::Entrypoint => ("ENTRYPOINT", "--entrypoint"),
        Launch::Cmd => ("CMD", "--cmd"),
    };
    let c = ctx.container;
    let origin = c.entrypoint.as_ref().or(c.cmd.as_ref()).map(|l| &l.origin);
    match origin {
        Some(Origin::Flag { .. }) => format!("`{flag} '{array}'`"),
        Some(Origin::Manifest { format, .. }) => {
            let key = match (*format, which) {
                ("compose", Launch::Entrypoint) => "entrypoint",
                ("compose", Launch::Cmd) => "command",
                (_, Launch::Entrypoint) => "command",
                (_, Launch::Cmd) => "args",
            };
            let name = crate::model::manifest_name(format);
            format!("`{key}: {array}` in the {name} file")
        }
        Some(Origin::ImageConfig { image, .. }) => {
            format!("`{keyword} {array}` in the Dockerfile that builds {image}")
        }
        _ => format!("`{keyword} {array}`"),
    }
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
