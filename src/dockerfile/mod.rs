//! Dockerfile front door: parse (parse-dockerfile), walk stages as the builder does, and fill
//! the container model. Build-time substitution happens only where the builder does it.

pub mod context;
pub mod input;
mod load;
mod repair;
pub mod repo;
pub mod stages;
pub mod subst;
mod text;

use parse_dockerfile::{Command, Source};

use crate::error::Result;
use crate::knowledge::sources::Language;
use crate::model::{Base, EnvVar, Healthcheck, LaunchSetting, Origin, Setting, ShellChoice};
use crate::shell::{self, ShellKind};
use crate::source::{FileId, Span, Text};

pub use load::load;

pub use text::{exec_arg_text, shell_form_text};

/// Options from the command line.
#[derive(Debug, Default, Clone)]
pub struct Options {
    pub target_stage: Option<String>,
    pub build_args: Vec<(String, String)>,
    /// The config of a base image that was read: a stage `FROM` it starts with these settings
    /// instead of nothing.
    pub base: Option<Inherited>,
}

/// What a stage built on a base image inherits from the base's config, each setting with
/// its provenance (the base's config).
#[derive(Debug, Default, Clone)]
pub struct Inherited {
    /// The `FROM` reference, after substitution, that names the base.
    pub reference: String,
    pub entrypoint: Option<LaunchSetting>,
    pub cmd: Option<LaunchSetting>,
    pub env: Vec<EnvVar>,
    pub workdir: Option<Setting<String>>,
    pub user: Option<Setting<String>>,
    pub stop_signal: Option<Setting<String>>,
    pub healthcheck: Option<Setting<Healthcheck>>,
    /// The base's `/bin/sh`, as read from its files.
    pub shell: Option<ShellChoice>,
}

impl Inherited {
    /// The settings of `base`, a container read from the image `reference` names.
    pub fn of(reference: &str, base: &crate::model::Container) -> Inherited {
        Inherited {
            reference: reference.to_string(),
            entrypoint: base.entrypoint.clone(),
            cmd: base.cmd.clone(),
            env: base.env.clone(),
            workdir: Some(base.workdir.clone()),
            user: base.user.clone(),
            stop_signal: base.stop_signal.clone(),
            healthcheck: base.healthcheck.clone(),
            shell: Some(base.shell.clone()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchKind {
    Cmd,
    Entrypoint,
}

impl LaunchKind {
    pub fn keyword(self) -> &'static str {
        match self {
            LaunchKind::Cmd => "CMD",
            LaunchKind::Entrypoint => "ENTRYPOINT",
        }
    }
}

/// A `CMD`/`ENTRYPOINT` instruction as written.
#[derive(Debug, Clone)]
pub struct LaunchInstr {
    pub stage: usize,
    pub kind: LaunchKind,
    pub span: Span,
    /// Shell form: the string (continuations removed).
    pub shell: Option<Text>,
    /// Shell form that was meant as exec form (`["a", 'b']`): why the builder could not read
    /// it as JSON.
    pub not_json: Option<NotJson>,
}

/// A `[…]` launch the builder fell back to shell form for.
#[derive(Debug, Clone)]
pub struct NotJson {
    pub error: String,
    /// The likely mistake, in words.
    pub hint: &'static str,
    /// The words, when swapping single quotes and dropping a trailing comma make it JSON.
    pub repaired: Option<Vec<String>>,
}

impl NotJson {
    fn check(s: &str) -> Option<NotJson> {
        let s = s.trim();
        if !s.starts_with('[') {
            return None;
        }
        let error = serde_json::from_str::<Vec<String>>(s).err()?.to_string();
        let hint = if s.contains('\'') {
            "single quotes are not JSON strings"
        } else if s.trim_end_matches(']').trim_end().ends_with(',') {
            "a trailing comma is not allowed in JSON"
        } else {
            "the JSON does not parse"
        };
        let fixed = s.replace('\'', "\"").replace(", ]", "]").replace(",]", "]");
        Some(NotJson {
            error,
            hint,
            repaired: serde_json::from_str(&fixed).ok(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct StopSignalInstr {
    pub span: Span,
    pub value: String,
    pub unresolved: bool,
}

#[derive(Debug, Clone)]
pub struct StageInfo {
    pub name: Option<String>,
    pub from_span: Span,
}

/// One `COPY`/`ADD` from the build context (or from another stage).
#[derive(Debug, Clone)]
pub struct CopyOp {
    /// `COPY` or `ADD`.
    pub keyword: &'static str,
    pub span: Span,
    pub srcs: Vec<CopySrc>,
    /// Absolute destination in the container.
    pub dest: String,
    pub dest_is_dir: bool,
    pub chmod: Option<String>,
    /// `--from=…`: content not in the build context.
    pub from: Option<String>,
}

#[derive(Debug, Clone)]
pub enum CopySrc {
    Path(String),
    HereDoc(Text),
    Url(String),
}

/// Facts about the Dockerfile itself, for the rules that are about how it is written.
#[derive(Debug)]
pub struct Facts {
    pub file: FileId,
    pub stages: Vec<StageInfo>,
    pub target: usize,
    /// Stages whose config the target inherits, root first, target last.
    pub lineage: Vec<usize>,
    pub launches: Vec<LaunchInstr>,
    pub stop_signals: Vec<StopSignalInstr>,
    /// `ENTRYPOINT` in the target lineage that reset a `CMD` inherited from an earlier stage.
    pub reset_cmd: Option<(Span, Span)>,
}

/// Everything the target stage puts into the container, for the build-context file view.
#[derive(Debug, Default, Clone)]
pub struct Filesystem {
    pub copies: Vec<CopyOp>,
    /// `RUN` instructions (for `chmod`, and the builds of a build stage).
    pub runs: Vec<RunOp>,
    /// The language whose toolchain image the stage starts from (`golang`, `rust`): what a
    /// `make` there compiles.
    pub toolchain: Option<Language>,
}

/// One `RUN`: the WORKDIR it runs in, its text (heredocs appended) and where it is.
#[derive(Debug, Clone)]
pub struct RunOp {
    pub workdir: String,
    pub text: String,
    pub span: Span,
}

/// A stage as a `COPY --from` of a later stage sees it: what it copied and what it ran
/// (its parents' included, as the builder's state carries them).
#[derive(Debug, Clone)]
pub struct StageFiles {
    pub index: usize,
    /// The `AS` name, lower case.
    pub name: Option<String>,
    pub base: Base,
    pub fs: Filesystem,
}

impl StageFiles {
    /// How a message names the stage: `build` or `stage 0`.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("stage `{n}`"),
            None => format!("stage {}", self.index),
        }
    }
}

pub struct Loaded {
    pub facts: Facts,
    pub fs: Filesystem,
    pub entrypoint: Option<LaunchSetting>,
    pub cmd: Option<LaunchSetting>,
    pub env: Vec<EnvVar>,
    pub workdir: Setting<String>,
    pub user: Option<Setting<String>>,
    pub stop_signal: Option<Setting<String>>,
    pub healthcheck: Option<Setting<Healthcheck>>,
    pub shell: ShellChoice,
    pub base: Base,
    /// Every stage, by index, for `COPY --from`.
    pub stages: Vec<StageFiles>,
}

#[derive(Clone)]
struct StageState {
    env: Vec<EnvVar>,
    shell: Option<Vec<Text>>,
    entrypoint: Option<LaunchSetting>,
    cmd: Option<LaunchSetting>,
    cmd_set_here: bool,
    stop_signal: Option<Setting<String>>,
    workdir: String,
    /// The last `WORKDIR` (relative ones build on it).
    workdir_origin: Origin,
    user: Option<Setting<String>>,
    healthcheck: Option<Setting<Healthcheck>>,
    fs: Filesystem,
    base: Base,
    lineage: Vec<usize>,
    reset_cmd: Option<(Span, Span)>,
}

/// Stages followed at most.
pub const MAX_STAGES: usize = 256;

/// The container a Dockerfile describes (its target stage), reading copied files from the
/// build context `context`; and the facts about how the Dockerfile is written.
pub fn container(
    loaded: Loaded,
    context: Option<&std::path::Path>,
    base: context::BaseFiles,
    other: Option<std::rc::Rc<dyn crate::model::OtherImages>>,
) -> (crate::model::Container, Facts) {
    let scratch = matches!(loaded.base, Base::Scratch);
    let container = crate::model::Container {
        entrypoint: loaded.entrypoint,
        cmd: loaded.cmd,
        env: loaded.env,
        workdir: loaded.workdir,
        user: loaded.user,
        stop_signal: loaded.stop_signal,
        healthcheck: loaded.healthcheck,
        shell: loaded.shell,
        base: loaded.base,
        files: Box::new(context::ContextView {
            context: context.map(std::path::Path::to_path_buf),
            fs: loaded.fs,
            scratch,
            base,
            visible: loaded.facts.target,
            stages: loaded.stages.into(),
            other,
        }),
        init: None,
        replaced_entrypoint: None,
        pre_stop: None,
    };
    (container, loaded.facts)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).to_string()
}

#[allow(clippy::too_many_arguments)]
fn launch(
    text: &str,
    file: FileId,
    escape: char,
    stage: usize,
    kind: LaunchKind,
    start: usize,
    args: &Command<'_>,
    st: &StageState,
) -> (LaunchSetting, LaunchInstr) {
    let (argv, end, shell_text, shell_form) = match args {
        Command::Exec(e) => (
            e.value
                .iter()
                .map(|a| exec_arg_text(text, file, &a.span, &a.value))
                .collect::<Vec<_>>(),
            e.span.end,
            None,
            false,
        ),
        Command::Shell(s) => {
            let t = shell_form_text(text, file, s.span.clone(), escape);
            let mut argv = st
                .shell
                .clone()
                .unwrap_or_else(|| vec![Text::synthetic("/bin/sh"), Text::synthetic("-c")]);
            argv.push(t.clone());
            (argv, s.span.end, Some(t), true)
        }
        // parse-dockerfile's Command is non-exhaustive; a new form has no argv we understand.
        _ => (Vec::new(), start, None, false),
    };
    let span = Span {
        file,
        range: start..end,
    };
    (
        LaunchSetting {
            argv,
            origin: Origin::instruction(
                match kind {
                    LaunchKind::Cmd => "CMD",
                    LaunchKind::Entrypoint => "ENTRYPOINT",
                },
                span.clone(),
            ),
            shell_form,
            dropped: None,
        },
        LaunchInstr {
            stage,
            kind,
            span,
            not_json: shell_text.as_ref().and_then(|t| NotJson::check(&t.value)),
            shell: shell_text,
        },
    )
}

fn shell_choice(st: &StageState) -> ShellChoice {
    if let Some(shell) = &st.shell {
        let program = shell.first().map(|t| t.value.as_str()).unwrap_or("");
        let base = program.rsplit('/').next().unwrap_or(program);
        if let Some(kind) = shell::explicit_kind(base) {
            return ShellChoice {
                kind,
                basis: format!("SHELL instruction runs {program}"),
                assumed: false,
            };
        }
    }
    match &st.base {
        Base::Scratch => ShellChoice {
            kind: ShellKind::Absent,
            basis: "FROM scratch has no /bin/sh".into(),
            assumed: false,
        },
        Base::External { reference, .. } | Base::Image { reference, .. } => {
            match shell::infer_from_reference(reference) {
                Some((kind, basis)) => ShellChoice {
                    kind,
                    basis,
                    assumed: false,
                },
                None => unknown_shell(&format!(
                    "base image {reference} is not one initlint recognises"
                )),
            }
        }
        Base::Unresolved { raw, .. } => {
            unknown_shell(&format!("base image {raw} could not be resolved"))
        }
    }
}

fn unknown_shell(why: &str) -> ShellChoice {
    ShellChoice {
        kind: ShellKind::Dash,
        basis: format!("{why}; assuming /bin/sh is dash, the strictest case"),
        assumed: true,
    }
}

/// `ARG A=1 B` → [(A, Some(1)), (B, None)].
fn parse_arg(
    raw: &str,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, Option<String>)>, String> {
    subst::split_raw(raw, escape)
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => Ok((k.to_string(), Some(expand(v, escape, lookup)?))),
            None => Ok((w, None)),
        })
        .collect()
}

/// A build-time value with its variables substituted, or the limit it ran into.
fn expand(
    raw: &str,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let p = subst::process(raw, escape, false, lookup);
    match p.limit {
        Some(limit) => Err(limit),
        None => Ok(p.joined()),
    }
}

/// `ENV A=1 B="x y"` or the legacy `ENV A value with spaces`.
fn parse_env(
    raw: &str,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, String> {
    let words = subst::split_raw(raw, escape);
    if words.first().is_some_and(|w| !w.contains('=')) {
        let key = words[0].clone();
        let rest = raw.trim_start().get(key.len()..).unwrap_or("").trim();
        return Ok(vec![(key, expand(rest, escape, lookup)?)]);
    }
    // Each value sees the ENV values set before this instruction, not its siblings.
    words
        .into_iter()
        .filter_map(|w| {
            let (k, v) = w.split_once('=')?;
            Some(expand(v, escape, lookup).map(|v| (k.to_string(), v)))
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn copy_op(
    flags: &[parse_dockerfile::Flag<'_>],
    srcs: &[Source<'_>],
    dest: &parse_dockerfile::UnescapedString<'_>,
    start: usize,
    file: FileId,
    text: &str,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
    workdir: &str,
) -> CopyOp {
    let flag = |name: &str| {
        flags
            .iter()
            .find(|f| f.name.value == name)
            .and_then(|f| f.value.as_ref())
            .map(|v| subst::process(&v.value, escape, false, lookup).joined())
    };
    let dest_raw = subst::process(&dest.value, escape, false, lookup).joined();
    let srcs: Vec<CopySrc> = srcs
        .iter()
        .map(|s| match s {
            Source::Path(p) => {
                let v = subst::process(&p.value, escape, false, lookup).joined();
                if v.contains("://") {
                    CopySrc::Url(v)
                } else {
                    CopySrc::Path(v)
                }
            }
            Source::HereDoc(h) => CopySrc::HereDoc(exec_arg_text(text, file, &h.span, &h.value)),
            _ => CopySrc::Url(String::new()),
        })
        .collect();
    let dest_is_dir = dest_raw.ends_with('/')
        || srcs.len() > 1
        || srcs
            .iter()
            .any(|s| matches!(s, CopySrc::Path(p) if p.contains(['*', '?', '['])));
    let keyword = match text.get(start..start + 3) {
        Some(k) if k.eq_ignore_ascii_case("ADD") => "ADD",
        _ => "COPY",
    };
    CopyOp {
        keyword,
        span: Span {
            file,
            range: start..dest.span.end,
        },
        srcs,
        dest: crate::source::join_path(workdir, &dest_raw),
        dest_is_dir,
        chmod: flag("chmod"),
        from: flag("from"),
    }
}

#[cfg(test)]
mod tests;
