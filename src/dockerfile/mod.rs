//! Dockerfile front door: parse (parse-dockerfile), walk stages as the builder does, and fill
//! the container model. Build-time substitution happens only where the builder does it.

pub mod context;
pub mod input;
pub mod repo;
pub mod subst;
mod text;

use std::collections::HashMap;
use std::ops::Range;

use parse_dockerfile::{Command, Instruction, Source};

use crate::error::{Error, Result};
use crate::model::{Base, EnvVar, LaunchSetting, Origin, Setting, ShellChoice};
use crate::shell::{self, ShellKind};
use crate::source::{FileId, SourceMap, Span, Text};

pub use text::{exec_arg_text, shell_form_text};

/// Options from the command line.
#[derive(Debug, Default, Clone)]
pub struct Options {
    pub target_stage: Option<String>,
    pub build_args: Vec<(String, String)>,
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
    /// `RUN` instructions (for `chmod`): the WORKDIR they run in, and their text.
    pub runs: Vec<(String, String)>,
}

pub struct Loaded {
    pub facts: Facts,
    pub fs: Filesystem,
    pub entrypoint: Option<LaunchSetting>,
    pub cmd: Option<LaunchSetting>,
    pub env: Vec<EnvVar>,
    pub workdir: String,
    pub stop_signal: Option<Setting<String>>,
    pub shell: ShellChoice,
    pub base: Base,
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
) -> (crate::model::Container, Facts) {
    let scratch = matches!(loaded.base, Base::Scratch);
    let container = crate::model::Container {
        entrypoint: loaded.entrypoint,
        cmd: loaded.cmd,
        env: loaded.env,
        workdir: loaded.workdir,
        stop_signal: loaded.stop_signal,
        shell: loaded.shell,
        base: loaded.base,
        files: Box::new(context::ContextView {
            context: context.map(std::path::Path::to_path_buf),
            fs: loaded.fs,
            scratch,
        }),
    };
    (container, loaded.facts)
}

pub fn load(sources: &SourceMap, file: FileId, opts: &Options) -> Result<Loaded> {
    let name = sources.get(file).name.clone();
    let text = sources.get(file).text.as_str();
    let parsed = parse_dockerfile::parse(text).map_err(|e| {
        let message = e.to_string();
        if message.contains("expected at least one FROM") || message.contains("no stage") {
            return Error::NoStage { path: name.clone() };
        }
        Error::Syntax {
            path: name.clone(),
            line: e.line(),
            column: e.column(),
            message: first_line(&message),
        }
    })?;
    let escape = parsed
        .parser_directives
        .escape
        .as_ref()
        .map_or('\\', |d| d.value.value);
    let span = |r: Range<usize>| Span { file, range: r };
    // A substitution limit hit at `offset` (the instruction's keyword).
    let limited = |offset: usize, limit: String| {
        let (line, column) = sources.line_col(file, offset);
        Error::Limit {
            path: name.clone(),
            line,
            column,
            message: format!("{limit}; initlint does not follow it further"),
        }
    };

    let build_args: HashMap<String, String> = opts.build_args.iter().cloned().collect();
    // Global ARGs (before the first FROM) are visible to FROM lines only, unless redeclared.
    let mut global_args: HashMap<String, String> = HashMap::new();
    for arg in parsed.global_args() {
        let decls = parse_arg(&arg.arguments.value, escape, &|n| {
            global_args.get(n).cloned()
        })
        .map_err(|l| limited(arg.arg.span.start, l))?;
        for (k, v) in decls {
            let value = build_args.get(&k).cloned().or(v);
            if let Some(value) = value {
                global_args.insert(k, value);
            } else {
                global_args.remove(&k);
            }
        }
    }

    let stages: Vec<_> = parsed.stages().collect();
    // Each stage copies its parent's state: thousands of chained stages cost memory
    // quadratically. Real Dockerfiles have a handful.
    if stages.len() > MAX_STAGES {
        let (line, column) = stages
            .get(MAX_STAGES)
            .map_or((1, 1), |s| sources.line_col(file, s.from.from.span.start));
        return Err(Error::Limit {
            path: name,
            line,
            column,
            message: format!("more than {MAX_STAGES} stages; initlint does not follow them"),
        });
    }
    if stages.is_empty() {
        return Err(Error::NoStage { path: name });
    }
    let mut infos = Vec::new();
    let mut states: Vec<StageState> = Vec::new();
    let mut launches = Vec::new();
    let mut stop_signals = Vec::new();
    let mut names: HashMap<String, usize> = HashMap::new();

    for (index, stage) in stages.iter().enumerate() {
        let from = stage.from;
        let image = subst::process(&from.image.value, escape, false, &|n| {
            global_args.get(n).cloned()
        });
        if let Some(l) = image.limit.clone() {
            return Err(limited(from.from.span.start, l));
        }
        let reference = image.joined();
        let stage_name = from.as_.as_ref().map(|(_, n)| n.value.to_ascii_lowercase());
        infos.push(StageInfo {
            name: stage_name.clone(),
            from_span: span(from.from.span.start..from.image.span.end),
        });
        let image_span = span(from.image.span.clone());
        let mut st = match names.get(&reference.to_ascii_lowercase()) {
            Some(&parent) => {
                let mut s = states[parent].clone();
                s.cmd_set_here = false;
                s.lineage.push(index);
                s
            }
            None => StageState {
                env: Vec::new(),
                shell: None,
                entrypoint: None,
                cmd: None,
                cmd_set_here: false,
                stop_signal: None,
                workdir: "/".into(),
                fs: Filesystem::default(),
                base: if reference.eq_ignore_ascii_case("scratch") {
                    Base::Scratch
                } else if !image.unresolved.is_empty() || reference.is_empty() {
                    Base::Unresolved {
                        raw: from.image.value.to_string(),
                        span: image_span,
                    }
                } else {
                    Base::External {
                        reference: reference.clone(),
                        span: image_span,
                    }
                },
                lineage: vec![index],
                reset_cmd: None,
            },
        };
        let mut args: HashMap<String, String> = HashMap::new();
        for instr in stage.instructions {
            let lookup = |n: &str| -> Option<String> {
                st.env
                    .iter()
                    .rev()
                    .find(|e| e.name == n)
                    .map(|e| e.value.clone())
                    .or_else(|| args.get(n).cloned())
            };
            match instr {
                Instruction::Arg(a) => {
                    let decls = parse_arg(&a.arguments.value, escape, &lookup)
                        .map_err(|l| limited(a.arg.span.start, l))?;
                    for (k, v) in decls {
                        let value = build_args
                            .get(&k)
                            .cloned()
                            .or(v)
                            .or_else(|| global_args.get(&k).cloned());
                        if let Some(value) = value {
                            args.insert(k, value);
                        }
                    }
                }
                Instruction::Env(e) => {
                    let origin = Origin::Instruction(span(e.env.span.start..e.arguments.span.end));
                    let pairs = parse_env(&e.arguments.value, escape, &lookup)
                        .map_err(|l| limited(e.env.span.start, l))?;
                    for (k, v) in pairs {
                        st.env.push(EnvVar {
                            name: k,
                            value: v,
                            origin: origin.clone(),
                        });
                    }
                }
                Instruction::Workdir(w) => {
                    let dir = expand(&w.arguments.value, escape, &lookup)
                        .map_err(|l| limited(w.workdir.span.start, l))?;
                    st.workdir = crate::source::join_path(&st.workdir, &dir);
                }
                Instruction::Stopsignal(s) => {
                    let p = subst::process(&s.arguments.value, escape, false, &lookup);
                    let instr_span = span(s.stopsignal.span.start..s.arguments.span.end);
                    stop_signals.push(StopSignalInstr {
                        span: span(s.arguments.span.clone()),
                        value: p.joined(),
                        unresolved: !p.unresolved.is_empty(),
                    });
                    st.stop_signal = Some(Setting {
                        value: p.joined(),
                        origin: Origin::Instruction(instr_span),
                    });
                }
                Instruction::Shell(s) => {
                    st.shell = Some(
                        s.arguments
                            .iter()
                            .map(|a| exec_arg_text(text, file, &a.span, &a.value))
                            .collect(),
                    );
                }
                Instruction::Cmd(c) => {
                    let (setting, instr) = launch(
                        text,
                        file,
                        escape,
                        index,
                        LaunchKind::Cmd,
                        c.cmd.span.start,
                        &c.arguments,
                        &st,
                    );
                    launches.push(instr);
                    st.cmd = Some(setting);
                    st.cmd_set_here = true;
                }
                Instruction::Entrypoint(e) => {
                    let (setting, instr) = launch(
                        text,
                        file,
                        escape,
                        index,
                        LaunchKind::Entrypoint,
                        e.entrypoint.span.start,
                        &e.arguments,
                        &st,
                    );
                    if !st.cmd_set_here {
                        if let (Some(cmd), Some(ep)) = (st.cmd.take(), setting.origin.span()) {
                            if let Some(cmd_span) = cmd.origin.span() {
                                st.reset_cmd = Some((ep.clone(), cmd_span.clone()));
                            }
                        }
                    }
                    launches.push(instr);
                    st.entrypoint = Some(setting);
                }
                Instruction::Copy(c) => {
                    let op = copy_op(
                        &c.options,
                        &c.src,
                        &c.dest,
                        c.copy.span.start,
                        file,
                        text,
                        escape,
                        &lookup,
                        &st.workdir,
                    );
                    st.fs.copies.push(op);
                }
                Instruction::Add(c) => {
                    let op = copy_op(
                        &c.options,
                        &c.src,
                        &c.dest,
                        c.add.span.start,
                        file,
                        text,
                        escape,
                        &lookup,
                        &st.workdir,
                    );
                    st.fs.copies.push(op);
                }
                Instruction::Run(r) => {
                    let mut t = match &r.arguments {
                        Command::Shell(s) => s.value.to_string(),
                        Command::Exec(e) => e
                            .value
                            .iter()
                            .map(|v| v.value.as_ref())
                            .collect::<Vec<_>>()
                            .join(" "),
                        _ => String::new(),
                    };
                    for h in &r.here_docs {
                        t.push('\n');
                        t.push_str(&h.value);
                    }
                    st.fs.runs.push((st.workdir.clone(), t));
                }
                _ => {}
            }
        }
        if let Some(n) = stage_name {
            names.insert(n, index);
        }
        states.push(st);
    }

    let target = match &opts.target_stage {
        None => states.len() - 1,
        Some(t) => names
            .get(&t.to_ascii_lowercase())
            .copied()
            .or_else(|| t.parse::<usize>().ok().filter(|i| *i < states.len()))
            .ok_or_else(|| Error::UnknownStage {
                path: name.clone(),
                stage: t.clone(),
                available: infos
                    .iter()
                    .enumerate()
                    .map(|(i, s)| s.name.clone().unwrap_or_else(|| i.to_string()))
                    .collect::<Vec<_>>()
                    .join(", "),
            })?,
    };
    let st = states.swap_remove(target);
    let shell = shell_choice(&st);
    Ok(Loaded {
        facts: Facts {
            file,
            stages: infos,
            target,
            lineage: st.lineage.clone(),
            launches,
            stop_signals,
            reset_cmd: st.reset_cmd.clone(),
        },
        fs: st.fs,
        entrypoint: st.entrypoint,
        cmd: st.cmd,
        env: st.env,
        workdir: st.workdir,
        stop_signal: st.stop_signal,
        shell,
        base: st.base,
    })
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
            origin: Origin::Instruction(span.clone()),
            shell_form,
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
    CopyOp {
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
