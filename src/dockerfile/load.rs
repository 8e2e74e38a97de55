//! Walk a Dockerfile as the builder does: global ARGs, then each stage from its FROM (a new
//! state, or a copy of the stage it names), one instruction at a time, then pick the target
//! stage. Each instruction is one method on the walk.

use std::collections::HashMap;
use std::ops::Range;

use parse_dockerfile::{Command, Instruction, Stage};

use super::{
    copy_op, exec_arg_text, expand, first_line, launch, parse_arg, parse_env, shell_choice, subst,
    text::shell_form_text, Facts, Filesystem, LaunchKind, Loaded, Options, StageInfo, StageState,
    StopSignalInstr, MAX_STAGES,
};
use crate::error::{Error, Result};
use crate::model::{Base, EnvVar, Healthcheck, Origin, Setting};
use crate::source::{join_path, FileId, SourceMap, Span};

/// Parse and walk the Dockerfile `file`; the result describes its target stage.
pub fn load(sources: &SourceMap, file: FileId, opts: &Options) -> Result<Loaded> {
    let name = sources.get(file).name.clone();
    let original = sources.get(file).text.as_str();
    let syntax = |e: parse_dockerfile::Error| {
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
    };
    // What the parser refuses but `docker build` accepts is repaired in place (same offsets).
    let no_repairs = std::collections::BTreeSet::new();
    let repaired: super::repair::Repaired;
    let (parsed, text, empty_exec) = match parse_dockerfile::parse(original) {
        Ok(p) => (p, original, &no_repairs),
        Err(e) => {
            repaired = super::repair::repair(original, e).map_err(syntax)?;
            let p = parse_dockerfile::parse(&repaired.text).map_err(syntax)?;
            (p, repaired.text.as_str(), &repaired.empty_exec)
        }
    };
    let escape = parsed
        .parser_directives
        .escape
        .as_ref()
        .map_or('\\', |d| d.value.value);
    let mut walk = Walk {
        sources,
        file,
        text,
        name,
        escape,
        build_args: opts.build_args.iter().cloned().collect(),
        base: opts.base.as_ref(),
        empty_exec,
        global_args: HashMap::new(),
        infos: Vec::new(),
        states: Vec::new(),
        names: HashMap::new(),
        launches: Vec::new(),
        stop_signals: Vec::new(),
    };
    for arg in parsed.global_args() {
        walk.global_arg(arg)?;
    }
    let stages: Vec<_> = parsed.stages().collect();
    walk.check_stage_count(&stages)?;
    for (index, stage) in stages.iter().enumerate() {
        walk.stage(index, stage)?;
    }
    walk.finish(opts)
}

/// The walk's state across stages.
struct Walk<'a> {
    sources: &'a SourceMap,
    file: FileId,
    text: &'a str,
    name: String,
    escape: char,
    build_args: HashMap<String, String>,
    /// The base image's config, when it was read.
    base: Option<&'a super::Inherited>,
    /// Instructions (by offset) that were `ENTRYPOINT []` / `CMD []`.
    empty_exec: &'a std::collections::BTreeSet<usize>,
    /// ARGs before the first FROM: visible to FROM lines only, unless redeclared.
    global_args: HashMap<String, String>,
    infos: Vec<StageInfo>,
    states: Vec<StageState>,
    /// Stage names (lower case) to their index, for `FROM name`.
    names: HashMap<String, usize>,
    launches: Vec<super::LaunchInstr>,
    stop_signals: Vec<StopSignalInstr>,
}

/// One stage's ARGs and its state, the receiver of its instructions.
struct StageWalk {
    index: usize,
    args: HashMap<String, String>,
    st: StageState,
}

impl StageWalk {
    /// A variable as the builder expands it at this point: ENV first, then ARG. A stage
    /// whose base sets no PATH (or was not read) has the default one: the builder adds it
    /// (measured: `FROM scratch` + `ENV P=$PATH:/x` gives the default PATH then `:/x`).
    fn lookup(&self, n: &str) -> Option<String> {
        self.st
            .env
            .iter()
            .rev()
            .find(|e| e.name == n)
            .map(|e| e.value.clone())
            .or_else(|| self.args.get(n).cloned())
            .or_else(|| (n == "PATH").then(|| crate::model::DEFAULT_PATH.to_string()))
    }
}

impl Walk<'_> {
    fn span(&self, r: Range<usize>) -> Span {
        Span {
            file: self.file,
            range: r,
        }
    }

    /// A substitution limit hit at `offset` (the instruction's keyword).
    fn limited(&self, offset: usize, limit: String) -> Error {
        let (line, column) = self.sources.line_col(self.file, offset);
        Error::Limit {
            path: self.name.clone(),
            line,
            column,
            message: format!("{limit}; initlint does not follow it further"),
        }
    }

    fn global_arg(&mut self, arg: &parse_dockerfile::ArgInstruction<'_>) -> Result<()> {
        let globals = &self.global_args;
        let decls = parse_arg(&arg.arguments.value, self.escape, &|n| {
            globals.get(n).cloned()
        })
        .map_err(|l| self.limited(arg.arg.span.start, l))?;
        for (k, v) in decls {
            match self.build_args.get(&k).cloned().or(v) {
                Some(value) => self.global_args.insert(k, value),
                None => self.global_args.remove(&k),
            };
        }
        Ok(())
    }

    /// Each stage copies its parent's state: thousands of chained stages cost memory
    /// quadratically. Real Dockerfiles have a handful.
    fn check_stage_count(&self, stages: &[Stage<'_, '_>]) -> Result<()> {
        if stages.len() > MAX_STAGES {
            let (line, column) = stages.get(MAX_STAGES).map_or((1, 1), |s| {
                self.sources.line_col(self.file, s.from.from.span.start)
            });
            return Err(Error::Limit {
                path: self.name.clone(),
                line,
                column,
                message: format!("more than {MAX_STAGES} stages; initlint does not follow them"),
            });
        }
        if stages.is_empty() {
            return Err(Error::NoStage {
                path: self.name.clone(),
            });
        }
        Ok(())
    }

    fn stage(&mut self, index: usize, stage: &Stage<'_, '_>) -> Result<()> {
        let st = self.from(index, stage)?;
        let mut walk = StageWalk {
            index,
            args: HashMap::new(),
            st,
        };
        for instr in stage.instructions.iter() {
            self.instruction(&mut walk, instr)?;
        }
        if let Some(n) = &self.infos[index].name {
            self.names.insert(n.clone(), index);
        }
        self.states.push(walk.st);
        Ok(())
    }

    /// FROM: a copy of the named stage's state, or a new one on a base image.
    fn from(&mut self, index: usize, stage: &Stage<'_, '_>) -> Result<StageState> {
        let from = stage.from;
        let globals = &self.global_args;
        let image = subst::process(&from.image.value, self.escape, false, &|n| {
            globals.get(n).cloned()
        });
        if let Some(l) = image.limit.clone() {
            return Err(self.limited(from.from.span.start, l));
        }
        let reference = image.joined();
        self.infos.push(StageInfo {
            name: from.as_.as_ref().map(|(_, n)| n.value.to_ascii_lowercase()),
            from_span: self.span(from.from.span.start..from.image.span.end),
        });
        if let Some(&parent) = self.names.get(&reference.to_ascii_lowercase()) {
            let mut s = self.states[parent].clone();
            s.cmd_set_here = false;
            s.lineage.push(index);
            return Ok(s);
        }
        let image_span = self.span(from.image.span.clone());
        let base = if reference.eq_ignore_ascii_case("scratch") {
            Base::Scratch
        } else if !image.unresolved.is_empty() || reference.is_empty() {
            Base::Unresolved {
                raw: from.image.value.to_string(),
                span: image_span,
            }
        } else {
            Base::External {
                reference,
                span: image_span,
            }
        };
        let inherited = match (&base, self.base) {
            (Base::External { reference, .. }, Some(i)) if i.reference == *reference => i.clone(),
            _ => Default::default(),
        };
        let workdir = inherited
            .workdir
            .unwrap_or_else(|| Setting::new("/".into(), Origin::Default));
        Ok(StageState {
            env: inherited.env,
            shell: None,
            entrypoint: inherited.entrypoint,
            cmd: inherited.cmd,
            cmd_set_here: false,
            stop_signal: inherited.stop_signal,
            workdir: workdir.value,
            workdir_origin: workdir.origin,
            user: inherited.user,
            healthcheck: inherited.healthcheck,
            fs: Filesystem {
                toolchain: match &base {
                    Base::External { reference, .. } => super::stages::image_toolchain(reference),
                    _ => None,
                },
                ..Filesystem::default()
            },
            base,
            lineage: vec![index],
            reset_cmd: None,
        })
    }

    fn instruction(&mut self, w: &mut StageWalk, instr: &Instruction<'_>) -> Result<()> {
        match instr {
            Instruction::Arg(a) => self.arg(w, a),
            Instruction::Env(e) => self.env(w, e),
            Instruction::Workdir(d) => self.workdir(w, d),
            Instruction::User(u) => self.user(w, u),
            Instruction::Healthcheck(h) => {
                self.healthcheck(w, h);
                Ok(())
            }
            Instruction::Stopsignal(s) => {
                self.stopsignal(w, s);
                Ok(())
            }
            Instruction::Shell(s) => {
                w.st.shell = Some(
                    s.arguments
                        .iter()
                        .map(|a| exec_arg_text(self.text, self.file, &a.span, &a.value))
                        .collect(),
                );
                Ok(())
            }
            Instruction::Cmd(c) => {
                self.launch(w, LaunchKind::Cmd, c.cmd.span.start, &c.arguments);
                Ok(())
            }
            Instruction::Entrypoint(e) => {
                self.launch(
                    w,
                    LaunchKind::Entrypoint,
                    e.entrypoint.span.start,
                    &e.arguments,
                );
                Ok(())
            }
            Instruction::Copy(c) => {
                self.copy(w, &c.options, &c.src, &c.dest, c.copy.span.start);
                Ok(())
            }
            Instruction::Add(c) => {
                self.copy(w, &c.options, &c.src, &c.dest, c.add.span.start);
                Ok(())
            }
            Instruction::Run(r) => {
                let end = match &r.arguments {
                    Command::Shell(s) => s.span.end,
                    Command::Exec(e) => e.span.end,
                    _ => r.run.span.end,
                };
                let span = self.span(r.run.span.start..end);
                run(w, r, span);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn arg(&self, w: &mut StageWalk, a: &parse_dockerfile::ArgInstruction<'_>) -> Result<()> {
        let decls = parse_arg(&a.arguments.value, self.escape, &|n| w.lookup(n))
            .map_err(|l| self.limited(a.arg.span.start, l))?;
        for (k, v) in decls {
            let value = self
                .build_args
                .get(&k)
                .cloned()
                .or(v)
                .or_else(|| self.global_args.get(&k).cloned());
            if let Some(value) = value {
                w.args.insert(k, value);
            }
        }
        Ok(())
    }

    fn env(&self, w: &mut StageWalk, e: &parse_dockerfile::EnvInstruction<'_>) -> Result<()> {
        let origin = Origin::instruction("ENV", self.span(e.env.span.start..e.arguments.span.end));
        let pairs = parse_env(&e.arguments.value, self.escape, &|n| w.lookup(n))
            .map_err(|l| self.limited(e.env.span.start, l))?;
        for (name, value) in pairs {
            w.st.env.push(EnvVar {
                name,
                value,
                origin: origin.clone(),
            });
        }
        Ok(())
    }

    fn workdir(
        &self,
        w: &mut StageWalk,
        d: &parse_dockerfile::WorkdirInstruction<'_>,
    ) -> Result<()> {
        let dir = expand(&d.arguments.value, self.escape, &|n| w.lookup(n))
            .map_err(|l| self.limited(d.workdir.span.start, l))?;
        w.st.workdir = join_path(&w.st.workdir, &dir);
        w.st.workdir_origin = Origin::instruction(
            "WORKDIR",
            self.span(d.workdir.span.start..d.arguments.span.end),
        );
        Ok(())
    }

    fn user(&self, w: &mut StageWalk, u: &parse_dockerfile::UserInstruction<'_>) -> Result<()> {
        let user = expand(&u.arguments.value, self.escape, &|n| w.lookup(n))
            .map_err(|l| self.limited(u.user.span.start, l))?;
        w.st.user = Some(Setting::new(
            user,
            Origin::instruction("USER", self.span(u.user.span.start..u.arguments.span.end)),
        ));
        Ok(())
    }

    /// `HEALTHCHECK CMD …` (exec or shell form, run by the stage's SHELL) or `NONE`.
    fn healthcheck(&self, w: &mut StageWalk, h: &parse_dockerfile::HealthcheckInstruction<'_>) {
        let (check, end) = match &h.arguments {
            parse_dockerfile::HealthcheckArguments::Cmd { arguments, .. } => match arguments {
                Command::Exec(e) => (
                    Healthcheck::Test(e.value.iter().map(|a| a.value.to_string()).collect()),
                    e.span.end,
                ),
                Command::Shell(s) => {
                    let mut argv: Vec<String> = w.st.shell.as_ref().map_or_else(
                        || vec!["/bin/sh".into(), "-c".into()],
                        |sh| sh.iter().map(|t| t.value.clone()).collect(),
                    );
                    let string = shell_form_text(self.text, self.file, s.span.clone(), self.escape);
                    argv.push(string.value);
                    (Healthcheck::Test(argv), s.span.end)
                }
                _ => return,
            },
            parse_dockerfile::HealthcheckArguments::None { none, .. } => {
                (Healthcheck::Disabled, none.span.end)
            }
            _ => return,
        };
        w.st.healthcheck = Some(Setting::new(
            check,
            Origin::instruction("HEALTHCHECK", self.span(h.healthcheck.span.start..end)),
        ));
    }

    fn stopsignal(&mut self, w: &mut StageWalk, s: &parse_dockerfile::StopsignalInstruction<'_>) {
        let p = subst::process(&s.arguments.value, self.escape, false, &|n| w.lookup(n));
        self.stop_signals.push(StopSignalInstr {
            span: self.span(s.arguments.span.clone()),
            value: p.joined(),
            unresolved: !p.unresolved.is_empty(),
        });
        w.st.stop_signal = Some(Setting {
            value: p.joined(),
            origin: Origin::instruction(
                "STOPSIGNAL",
                self.span(s.stopsignal.span.start..s.arguments.span.end),
            ),
        });
    }

    /// CMD and ENTRYPOINT. An ENTRYPOINT resets a CMD inherited from an earlier stage.
    fn launch(&mut self, w: &mut StageWalk, kind: LaunchKind, start: usize, args: &Command<'_>) {
        let (mut setting, instr) = launch(
            self.text,
            self.file,
            self.escape,
            w.index,
            kind,
            start,
            args,
            &w.st,
        );
        if self.empty_exec.contains(&start) {
            // `ENTRYPOINT []`: an empty exec form, not the string the repair left.
            setting.argv.clear();
            setting.shell_form = false;
        }
        self.launches.push(instr);
        match kind {
            LaunchKind::Cmd => {
                w.st.cmd = Some(setting);
                w.st.cmd_set_here = true;
            }
            LaunchKind::Entrypoint => {
                if !w.st.cmd_set_here {
                    if let (Some(cmd), Some(ep)) = (w.st.cmd.take(), setting.origin.span()) {
                        if let Some(cmd_span) = cmd.origin.span() {
                            w.st.reset_cmd = Some((ep.clone(), cmd_span.clone()));
                        }
                    }
                }
                w.st.entrypoint = Some(setting);
            }
        }
    }

    fn copy(
        &self,
        w: &mut StageWalk,
        options: &[parse_dockerfile::Flag<'_>],
        src: &[parse_dockerfile::Source<'_>],
        dest: &parse_dockerfile::UnescapedString<'_>,
        start: usize,
    ) {
        let op = copy_op(
            options,
            src,
            dest,
            start,
            self.file,
            self.text,
            self.escape,
            &|n| w.lookup(n),
            &w.st.workdir,
        );
        w.st.fs.copies.push(op);
    }

    /// The target stage (`--target`, else the last) as the loaded Dockerfile.
    fn finish(mut self, opts: &Options) -> Result<Loaded> {
        let target = match &opts.target_stage {
            None => self.states.len() - 1,
            Some(t) => self
                .names
                .get(&t.to_ascii_lowercase())
                .copied()
                .or_else(|| t.parse::<usize>().ok().filter(|i| *i < self.states.len()))
                .ok_or_else(|| Error::UnknownStage {
                    path: self.name.clone(),
                    stage: t.clone(),
                    available: self
                        .infos
                        .iter()
                        .enumerate()
                        .map(|(i, s)| s.name.clone().unwrap_or_else(|| i.to_string()))
                        .collect::<Vec<_>>()
                        .join(", "),
                })?,
        };
        let stages = self
            .states
            .iter()
            .enumerate()
            .map(|(index, st)| super::StageFiles {
                index,
                name: self.infos[index].name.clone(),
                base: st.base.clone(),
                fs: st.fs.clone(),
            })
            .collect();
        let st = self.states.swap_remove(target);
        // Without a SHELL instruction, the base's own /bin/sh when it was read.
        let read = match (&st.base, self.base) {
            (Base::External { reference, .. }, Some(i)) if i.reference == *reference => {
                i.shell.clone()
            }
            _ => None,
        };
        let shell = match (&st.shell, read) {
            (None, Some(read)) => read,
            _ => shell_choice(&st),
        };
        Ok(Loaded {
            facts: Facts {
                file: self.file,
                stages: self.infos,
                target,
                lineage: st.lineage.clone(),
                launches: self.launches,
                stop_signals: self.stop_signals,
                reset_cmd: st.reset_cmd.clone(),
            },
            fs: st.fs,
            entrypoint: st.entrypoint,
            cmd: st.cmd,
            env: st.env,
            workdir: Setting::new(st.workdir, st.workdir_origin),
            user: st.user,
            stop_signal: st.stop_signal,
            healthcheck: st.healthcheck,
            shell,
            base: st.base,
            stages,
        })
    }
}

/// RUN: its text (and heredocs) with the WORKDIR it runs in, for `chmod` detection.
fn run(w: &mut StageWalk, r: &parse_dockerfile::RunInstruction<'_>, span: Span) {
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
    w.st.fs.runs.push(super::RunOp {
        workdir: w.st.workdir.clone(),
        text: t,
        span,
    });
}
