//! The launch chain: from the runtime's `execve(entrypoint + cmd)` to the process that settles
//! as PID 1, each step with why it was taken. Rules read the chain; they never re-parse.

mod apps;
pub mod cause;
pub mod health;
mod package;
mod testing;
mod users;
mod words;

use crate::knowledge::{self, Extras, Interpreter, Program, Role};
use crate::model::{Container, FileEntry, Lookup, Mode};
use crate::shell::{self, ExecOutcome, ShellFacts, ShellKind, Terminal};
use crate::source::{SourceMap, Span, Text};

pub use cause::{Cause, CauseKind, Evidence, SignalFate, Zombies};
pub use words::Arg;

#[derive(Debug)]
pub struct Chain {
    pub steps: Vec<Step>,
    /// The health check the runtime runs beside PID 1, if any.
    pub health: Option<health::Check>,
    /// A preStop hook whose program the container does not have: why, and where the hook is.
    pub pre_stop_missing: Option<(String, Option<Span>)>,
}

#[derive(Debug)]
pub struct Step {
    pub argv: Vec<Arg>,
    /// This process is PID 1 while the application runs.
    pub pid1: bool,
    /// This process would be PID 1 once every step before it that stays the parent (a
    /// script without exec, a shell that does not exec, `su`) is fixed: what is wrong here
    /// is reported too, so one run shows every link that loses the signal.
    pub candidate: bool,
    /// Where this step comes from (the instruction, the script line).
    pub at: Option<Span>,
    pub kind: StepKind,
    /// One line for the human chain view.
    pub note: String,
    /// What the step does with the stop signal and with orphans, and why; also the reasons
    /// it cannot run at all.
    pub causes: Vec<Cause>,
    /// Image mode: the ELF file this step runs, and what it shows.
    pub binary: Option<Binary>,
    /// Signals this process has ignored (SIG_IGN) before it starts the rest of the chain: a
    /// shell's `trap '' TERM`, or inherited, as SIG_IGN is across fork and exec; and where
    /// that was set.
    pub ignores: Vec<(String, Option<Span>)>,
}

/// A binary on the launch chain, inspected.
#[derive(Debug, Clone)]
pub struct Binary {
    pub path: String,
    pub facts: Result<crate::elf::ElfFacts, String>,
    /// Recognised from ELF evidence (a marker string, a Go main module): the knowledge
    /// entry's name and what matched.
    pub identified: Option<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub message: String,
    pub why: String,
    pub at: Option<Span>,
    pub also: Option<Span>,
    pub help: String,
}

#[derive(Debug)]
pub enum StepKind {
    /// `sh -c STRING`.
    ShellString {
        shell: ShellKind,
        basis: String,
        string: Text,
        outcome: ExecOutcome,
        /// The command the string ends with, mapped into the source.
        terminal: Option<Span>,
        /// The terminal command's words when they are all literal (for an exec-form fix).
        terminal_words: Option<Vec<String>>,
    },
    /// A shell script file.
    Script {
        path: String,
        content: Text,
        analysis: ShellFacts,
        /// The script stays PID 1 (no exec on the path that runs the program).
        stays: bool,
    },
    /// A program the knowledge base knows (an init, a wrapper, a server, `sleep`): what it
    /// does is its entry.
    Wrapper {
        name: String,
        program: &'static Program,
        /// How it was recognised when not by its name (an Elixir release's start script).
        how: Option<String>,
    },
    Interpreter {
        interpreter: &'static Interpreter,
        app: Option<String>,
        handler: Handler,
    },
    /// A program initlint cannot see into in Dockerfile mode.
    Program { path: String, why: String },
    /// A program a build stage compiles, judged from its sources (Dockerfile mode).
    Built(Box<crate::model::Built>),
    /// The chain stops: nothing more is known.
    Unknown { why: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handler {
    /// The interpreter acts on the stop signal by default.
    Default,
    /// Found in the app source: the pattern that matched.
    Found(String),
    /// A server module that installs its handlers (`python -m gunicorn`).
    Server(String),
    NotFound {
        source: String,
    },
    /// The app source could not be read.
    SourceUnavailable(String),
    /// The app replaces itself with another program (`os.execvp("gunicorn", …)`), which
    /// the next step runs.
    Execs(String),
}

/// Where a process sits on the chain.
#[derive(Debug, Clone, Copy)]
pub struct Standing {
    /// It is PID 1.
    pub now: bool,
    /// It would be PID 1 once the steps before it stop staying the parent.
    pub candidate: bool,
}

impl Standing {
    const ROOT: Standing = Standing {
        now: true,
        candidate: true,
    };
    const CHILD: Standing = Standing {
        now: false,
        candidate: false,
    };

    /// The place of the command a step runs, given whether the step stays its parent.
    fn child(self, stays: bool) -> Standing {
        Standing {
            now: self.now && !stays,
            candidate: self.candidate,
        }
    }
}

const MAX_DEPTH: usize = 24;

/// App modules read when following imports for a handler.
const MAX_MODULES: usize = 16;

pub fn build(c: &Container, sources: &mut SourceMap, extras: &Extras) -> Chain {
    let mut b = Builder::new(c, sources, extras);
    let mut argv: Vec<Arg> = Vec::new();
    if let Some(ep) = &c.entrypoint {
        argv.extend(ep.argv.iter().cloned().map(Arg::known));
    }
    if let Some(cmd) = &c.cmd {
        // A shell-form ENTRYPOINT never sees CMD.
        if !c.entrypoint.as_ref().is_some_and(|e| e.shell_form) {
            argv.extend(cmd.argv.iter().cloned().map(Arg::known));
        }
    }
    let at = c
        .entrypoint
        .as_ref()
        .or(c.cmd.as_ref())
        .and_then(|l| l.origin.span().cloned());
    if let Some(init) = &c.init {
        // Not a file of the image: the engine's tini, bind-mounted at /sbin/docker-init, or
        // the pod's pause container, whose PID namespace the container shares.
        let (path, name) = runtime_init(init);
        let at = init.span().cloned().or(at);
        let program = match init.span() {
            Some(span) => Text {
                value: path.into(),
                map: crate::source::TextMap::Whole(span.clone()),
            },
            None => Text::synthetic(path),
        };
        let with_init = [Arg::known(program), Arg::known(Text::synthetic("--"))]
            .into_iter()
            .chain(argv)
            .collect();
        let why = format!("{} puts {path} in front", init.describe());
        b.by_name(with_init, name, Standing::ROOT, at, why);
    } else if !argv.is_empty() {
        b.run(argv, Standing::ROOT, at);
    }
    let mut chain = Chain {
        steps: b.steps,
        health: health::check(c),
        pre_stop_missing: pre_stop_missing(c, sources),
    };
    cause::attach(&mut chain, c);
    chain
}

/// The preStop hook's program, when the container is known not to have it.
fn pre_stop_missing(c: &Container, sources: &mut SourceMap) -> Option<(String, Option<Span>)> {
    let hook = c.pre_stop.as_ref()?;
    let program = hook.argv.first()?;
    match c.resolve_program(&program.value, sources) {
        (_, Lookup::Missing { why, .. }) => {
            Some((why, program.span().or_else(|| hook.origin.span().cloned())))
        }
        _ => None,
    }
}

/// The runtime's own PID 1 a setting asks for: its path and its name in the knowledge base.
pub fn runtime_init(origin: &crate::model::Origin) -> (&'static str, &'static str) {
    match origin.key() {
        Some("shareProcessNamespace") => ("/pause", "kubernetes-pause"),
        _ => ("/sbin/docker-init", "docker-init"),
    }
}

struct Builder<'a> {
    c: &'a Container,
    sources: &'a mut SourceMap,
    /// Names the project's config adds to the knowledge base.
    extras: &'a Extras,
    steps: Vec<Step>,
    depth: usize,
    /// The inspected binary of the step about to be pushed.
    pending_binary: Option<Binary>,
    /// How the program about to be judged by name was recognised, when not by its name.
    pending_how: Option<String>,
    /// The working directory a `cd` in the running shell string or script moved to.
    cwd: Option<String>,
    /// Signals ignored (SIG_IGN) by a process above the one being resolved, and where.
    ignoring: Vec<(String, Option<Span>)>,
}

/// A shebang's words (after `#!`), the interpreter first: `env` and its options dropped.
fn shebang_words(line: &str) -> impl Iterator<Item = &str> {
    let mut words = line.split_whitespace().peekable();
    if words.peek().is_some_and(|w| basename(w) == "env") {
        words.next();
        while words.peek().is_some_and(|w| w.starts_with('-')) {
            words.next();
        }
    }
    words
}

/// The interpreter (python, node…) a script's shebang names, directly or through `env`.
fn shebang_interpreter(content: &str) -> Option<&'static Interpreter> {
    let line = content.lines().next()?.strip_prefix("#!")?;
    knowledge::interpreter(basename(shebang_words(line).next()?))
}

fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

impl<'a> Builder<'a> {
    fn new(c: &'a Container, sources: &'a mut SourceMap, extras: &'a Extras) -> Builder<'a> {
        Builder {
            c,
            sources,
            extras,
            steps: Vec::new(),
            depth: 0,
            pending_binary: None,
            pending_how: None,
            cwd: None,
            ignoring: Vec::new(),
        }
    }
}

impl Builder<'_> {
    fn push(
        &mut self,
        argv: Vec<Arg>,
        pid1: Standing,
        at: Option<Span>,
        kind: StepKind,
        note: String,
    ) -> usize {
        self.steps.push(Step {
            argv,
            pid1: pid1.now,
            candidate: pid1.candidate,
            at,
            kind,
            note,
            causes: Vec::new(),
            binary: self.pending_binary.take(),
            ignores: self.ignoring.clone(),
        });
        self.steps.len() - 1
    }

    /// Run `f` with the signals a shell's `trap '' SIG` (before its last command) ignores
    /// added to what its children inherit; `i` is the shell's step, which ignores them too.
    fn ignoring(
        &mut self,
        i: usize,
        traps: &[shell::Trap],
        map: &crate::source::TextMap,
        before: Option<usize>,
        f: impl FnOnce(&mut Self),
    ) {
        let saved = self.ignoring.clone();
        for t in traps.iter().filter(|t| t.runs.trim().is_empty()) {
            if before.is_some_and(|end| t.range.start > end) {
                continue;
            }
            for s in t.signals.iter().filter(|s| s.as_str() != "EXIT") {
                if !self.ignoring.iter().any(|(have, _)| have == s) {
                    self.ignoring.push((s.clone(), map.span(t.range.clone())));
                }
            }
        }
        if let Some(step) = self.steps.get_mut(i) {
            step.ignores = self.ignoring.clone();
        }
        f(self);
        self.ignoring = saved;
    }

    /// Step `i` cannot run.
    fn problem(&mut self, i: usize, p: Problem) {
        self.steps[i].causes.push(Cause::not_runnable(p));
    }

    fn problems(&mut self, i: usize, problems: Vec<Problem>) {
        for p in problems {
            self.problem(i, p);
        }
    }

    /// Inspect the ELF file at `path`, if the view has its bytes.
    fn inspect_binary(&self, path: &str) -> Option<Binary> {
        let bytes = match self.c.files.binary(path)? {
            Ok(b) => b,
            Err(e) => {
                return Some(Binary {
                    path: path.to_string(),
                    facts: Err(e),
                    identified: None,
                })
            }
        };
        if !crate::elf::is_elf(&bytes) {
            return None;
        }
        let facts = crate::elf::inspect(&bytes);
        let go_module = facts
            .as_ref()
            .ok()
            .and_then(|f| f.go.as_ref())
            .and_then(|g| g.main_module.clone());
        let identified = knowledge::programs::by_evidence(&bytes, go_module.as_deref())
            .map(|(b, why)| (b.name().to_string(), why));
        Some(Binary {
            path: path.to_string(),
            facts,
            identified,
        })
    }

    fn run(&mut self, argv: Vec<Arg>, pid1: Standing, at: Option<Span>) {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.push(
                argv,
                pid1,
                at,
                StepKind::Unknown {
                    why: "the launch chain is too deep to follow".into(),
                },
                "…".into(),
            );
            return;
        }
        let Some(first) = argv.first().cloned() else {
            // `exec "$@"` in an entry script with no CMD: exec with no command does nothing,
            // the script ends and so does the container.
            let why = match self.depth {
                1 => "no command".to_string(),
                _ => "no command: the arguments it runs (`exec \"$@\"`) are empty, as no CMD is set (an ENTRYPOINT set in a Dockerfile drops the base image's CMD), so the script ends and the container exits at once; the command has to come at run time (`docker run IMAGE COMMAND…`, Compose `command:`, Kubernetes `args:`), which initlint judges when given (`--cmd`, the manifest)".to_string(),
            };
            self.push(
                argv,
                pid1,
                at,
                StepKind::Unknown { why },
                "no command".into(),
            );
            return;
        };
        let at = first.text.span().or(at);
        if !first.known {
            let why = format!(
                "the program `{}` is only known at run time",
                first.text.value
            );
            self.push(argv, pid1, at, StepKind::Unknown { why: why.clone() }, why);
            return;
        }
        let name = first.text.value.clone();
        if self.depth == 1
            && name.starts_with('-')
            && self.c.entrypoint.is_none()
            && self.c.files.base_unread()
        {
            // `CMD ["--require=x", "server.js"]`: options for a program the base's
            // ENTRYPOINT names, not a program of their own.
            let why = format!("the command starts with an option (`{name}`): it is the arguments of the base image's ENTRYPOINT, and that image was not read");
            self.push(argv, pid1, at, StepKind::Unknown { why: why.clone() }, why);
            return;
        }
        if name.ends_with(".wasm") {
            let why = format!("`{name}` is a WebAssembly module: the image is meant for a Wasm runtime (containerd's runwasi shims, `--runtime io.containerd.wasmedge.v1`, `--platform wasi/wasm`), which finds the module in the image's root and runs it in the shim, not as a Linux PID 1; initlint does not judge Wasm containers");
            self.push(argv, pid1, at, StepKind::Unknown { why: why.clone() }, why);
            return;
        }
        // A full path the knowledge base names (/sbin/init is systemd) before the basename.
        let base = match knowledge::program(&name, self.extras) {
            Some(p) if name.contains('/') && p.names.contains(&name.as_str()) => name.clone(),
            _ => basename(&name).to_string(),
        };
        if shell::is_shell(&base) && self.shell(&argv, &base, pid1, at.clone()) {
            return;
        }
        let workdir = self.workdir();
        let (path, lookup) = self.c.resolve_program_in(&workdir, &name, self.sources);
        match lookup {
            Lookup::Found(entry) => {
                // A binary initlint knows (python3 → python3.11, gosu, tini): by ELF evidence
                // first, then by name. What it does is in the knowledge base.
                let binary = entry.content.map == crate::source::TextMap::None;
                // Binaries are inspected where it matters: as PID 1, or as a known program.
                let named = [base.as_str(), basename(&entry.path)]
                    .into_iter()
                    .any(|n| knowledge::program(n, self.extras).is_some());
                // An interpreter is judged by its language's facts, not its binary: reading
                // python's or perl's binary would only cost a second read of its layer.
                let interpreter = [base.as_str(), basename(&entry.path)]
                    .into_iter()
                    .any(|n| knowledge::interpreter(n).is_some());
                // A process that inherits an ignored stop signal matters too: whether it
                // installs a handler of its own decides.
                let inherits_ignored = !self.ignoring.is_empty();
                let info =
                    if binary && (pid1.candidate || named || inherits_ignored) && !interpreter {
                        self.inspect_binary(&entry.path)
                    } else {
                        None
                    };
                let by_evidence = info
                    .as_ref()
                    .and_then(|b| b.identified.as_ref())
                    .map(|(n, _)| n.clone());
                // A plain utility (`sleep`) whose binary could be read is judged by its call
                // sites, not by its name.
                let readable = info.as_ref().is_some_and(|b| b.facts.is_ok());
                let extras = self.extras;
                let known = by_evidence.or_else(|| {
                    [base.as_str(), basename(&entry.path)]
                        .into_iter()
                        .find(|n| match knowledge::program(n, extras) {
                            Some(p) => !(readable && p.role == Role::Plain && !p.multicall),
                            None => knowledge::interpreter(n).is_some(),
                        })
                        .map(str::to_string)
                });
                self.pending_binary = info;
                // A server or launcher installed as an interpreter's entry script (pip's
                // console scripts: gunicorn, celery; npm's bin links) is the program it
                // names: what it does is in the package the script imports, not in the script.
                let entry_script = known.as_deref().is_some_and(|n| {
                    !binary
                        && knowledge::program(n, extras).is_some_and(|p| match p.role {
                            Role::HandlesSignals | Role::Launcher => true,
                            // supervisord is a python console script; a shell script that
                            // takes an init's name is not that init.
                            Role::Init => shebang_interpreter(&entry.content.value).is_some(),
                            _ => false,
                        })
                });
                match known.filter(|_| (binary || entry_script) && entry.mode_ok()) {
                    Some(n) => {
                        let why = match binary {
                            true => format!("{} is a binary in the {}", entry.path, entry.from),
                            false => format!(
                                "{} is {n}'s entry script in the {}",
                                entry.path, entry.from
                            ),
                        };
                        self.by_name(argv, &n, pid1, at, why);
                    }
                    None => self.file(*entry, argv, pid1, at, false),
                }
                self.pending_binary = None;
            }
            Lookup::Missing { why, origin } => {
                let i = self.push(
                    argv,
                    pid1,
                    at.clone(),
                    StepKind::Unknown { why: why.clone() },
                    format!("{path}: missing"),
                );
                self.problem(i, Problem {
                    message: format!("`{name}` does not exist in the container"),
                    why,
                    at,
                    also: origin.span().cloned(),
                    help: "COPY the file into the image at that path, or fix the path in the instruction".into(),
                });
            }
            Lookup::Unknown { why } => {
                // A program the knowledge base names is judged by its entry, wherever it was
                // built; anything else a build stage compiles, by that stage's sources.
                let known = knowledge::program(&base, self.extras).is_some()
                    || knowledge::interpreter(&base).is_some();
                // Reading a stage's sources is work: not for a program already known.
                let built = if known {
                    None
                } else {
                    self.built(&path, &name)
                };
                match built {
                    Some(b) => {
                        let note = match b.language {
                            crate::knowledge::sources::Language::Java => format!(
                                "Gradle's start script (installDist in {}): sh execs java",
                                b.stage
                            ),
                            crate::knowledge::sources::Language::Elixir => format!(
                                "an Elixir release's start script (mix release in {}): it execs the BEAM",
                                b.stage
                            ),
                            _ => format!(
                                "{} built in {} from {} source file(s)",
                                b.language.name(),
                                b.stage,
                                b.files
                            ),
                        };
                        self.push(argv, pid1, at, StepKind::Built(Box::new(b)), note);
                    }
                    None => self.by_name(argv, &base, pid1, at, why),
                }
            }
        }
    }

    /// The file of the app `flask run` serves: `--app`/`-A`, else FLASK_APP, else `wsgi.py`
    /// or `app.py` in the working directory (Flask's own search). A `module:name` or
    /// `module:factory()` names a module; `pkg.mod` is `pkg/mod.py` or `pkg/mod/__init__.py`.
    fn flask_app(&mut self, argv: &[Arg]) -> Option<(String, Text)> {
        let words = words_of(argv);
        if !words.contains(&"run") {
            return None;
        }
        let named = words.iter().enumerate().find_map(|(i, w)| match *w {
            "--app" | "-A" => words.get(i + 1).map(|s| s.to_string()),
            w => w.strip_prefix("--app=").map(str::to_string),
        });
        let named = named.or_else(|| self.c.env_value("FLASK_APP").map(str::to_string));
        let candidates: Vec<String> = match named {
            Some(app) => {
                let module = app.split(':').next().unwrap_or(&app).trim();
                match module.strip_suffix(".py") {
                    Some(_) => vec![module.to_string()],
                    None => {
                        let m = module.replace('.', "/");
                        vec![format!("{m}.py"), format!("{m}/__init__.py")]
                    }
                }
            }
            None => vec!["wsgi.py".into(), "app.py".into()],
        };
        let workdir = self.workdir();
        candidates.into_iter().find_map(|c| {
            let path = crate::source::join_path(&workdir, &c);
            match self.c.files.lookup(&path, self.sources) {
                Lookup::Found(e) => Some((path, e.content)),
                _ => None,
            }
        })
    }

    /// `dotnet app.dll`: the app a build stage publishes, judged from its sources as the
    /// apphost would be (the runtime runs it in the `dotnet` process).
    fn dotnet_app(&mut self, argv: &[Arg]) -> Option<crate::model::Built> {
        let dll = argv
            .iter()
            .skip(1)
            .find(|a| a.known && a.text.value.ends_with(".dll"))?;
        let path = crate::source::join_path(&self.workdir(), &dll.text.value);
        let signal = self.c.stop_signal_name();
        self.c
            .files
            .built(&path, &signal, self.sources)
            .filter(|b| b.language == crate::knowledge::sources::Language::DotNet)
    }

    /// The program `name` (resolved to `path`) when a build stage compiles it: at its path,
    /// or in the PATH directory a `COPY --from` puts it in.
    fn built(&mut self, path: &str, name: &str) -> Option<crate::model::Built> {
        let signal = self.c.stop_signal_name();
        if name.contains('/') {
            return self.c.files.built(path, &signal, self.sources);
        }
        let path_var = self
            .c
            .env_value("PATH")
            .unwrap_or(crate::model::DEFAULT_PATH);
        path_var
            .split(':')
            .filter(|d| !d.is_empty())
            .find_map(|dir| {
                let candidate = crate::source::join_path("/", &format!("{dir}/{name}"));
                self.c.files.built(&candidate, &signal, self.sources)
            })
    }

    /// `sh -c STRING [$0 args…]` or `sh script args…`. Returns false for an interactive shell.
    fn shell(&mut self, argv: &[Arg], base: &str, pid1: Standing, at: Option<Span>) -> bool {
        let (kind, basis) = match shell::explicit_kind(base) {
            Some(k) => (k.clone(), format!("{} named explicitly", k.name())),
            None => {
                let sh = self.c.files.shell().unwrap_or_else(|| self.c.shell.clone());
                (sh.kind, sh.basis)
            }
        };
        let mut i = 1;
        let mut has_c = false;
        while let Some(a) = argv.get(i) {
            let v = &a.text.value;
            if v == "--" {
                i += 1;
                break;
            }
            if !v.starts_with('-') || v == "-" {
                break;
            }
            has_c |= !v.starts_with("--") && v.contains('c');
            i += 1;
        }
        if !has_c {
            let Some(script) = argv.get(i) else {
                return false;
            };
            if !script.known {
                return false;
            }
            let path = crate::source::join_path(&self.workdir(), &script.text.value);
            match self.c.files.lookup(&path, self.sources) {
                Lookup::Found(entry) => {
                    let rest = argv[i..].to_vec();
                    self.file(*entry, rest, pid1, at, true);
                    return true;
                }
                _ => return false,
            }
        }
        let Some(string) = argv.get(i).cloned() else {
            return false;
        };
        if kind == ShellKind::Absent {
            let idx = self.push(
                argv.to_vec(),
                pid1,
                at.clone(),
                StepKind::Unknown { why: basis.clone() },
                "no shell".into(),
            );
            self.problem(idx, Problem {
                message: format!("`{}` does not exist: {basis}", argv[0].text.value),
                why: "a shell-form CMD/ENTRYPOINT runs /bin/sh -c, and the runtime fails with \"no such file or directory\"".into(),
                at,
                also: None,
                help: "use the exec form: CMD [\"/app\", \"--flag\"]".into(),
            });
            return true;
        }
        let analysis = shell::analyze(&string.text.value);
        if let Some((offset, why)) = &analysis.refused {
            let where_ = string.text.map.span(*offset..*offset).or(at.clone());
            self.refused(argv.to_vec(), pid1, where_, "the shell string", why);
            return true;
        }
        let zero = argv.get(i + 1).cloned();
        let positional: Vec<Arg> = argv.iter().skip(i + 2).cloned().collect();
        let (outcome, terminal, child) = match &analysis.terminal {
            Some(Terminal::Command { cmd, place }) => {
                let outcome = shell::exec_outcome(&kind, place, cmd.explicit_exec);
                let words = words::expand(
                    &cmd.words,
                    &string.text.map,
                    self.c,
                    &positional,
                    zero.as_ref(),
                );
                (
                    outcome,
                    string.text.map.span(cmd.range.clone()),
                    Some((words, cmd.range.clone())),
                )
            }
            Some(Terminal::BackgroundWait { job, .. }) => {
                let words = words::expand(
                    &job.words,
                    &string.text.map,
                    self.c,
                    &positional,
                    zero.as_ref(),
                );
                (
                    ExecOutcome::Stays("it waits for a background job".into()),
                    string.text.map.span(job.range.clone()),
                    Some((words, job.range.clone())),
                )
            }
            _ => (
                ExecOutcome::Stays("the string runs no program".into()),
                None,
                None,
            ),
        };
        let stays = matches!(outcome, ExecOutcome::Stays(_));
        let terminal_words = child.as_ref().and_then(|(w, _)| {
            w.iter()
                .all(|a| a.known)
                .then(|| w.iter().map(|a| a.text.value.clone()).collect())
        });
        let note = match &outcome {
            ExecOutcome::Explicit => {
                format!("{} runs the string and execs its last command", kind.name())
            }
            ExecOutcome::Implicit => format!(
                "{} execs the last command of the string implicitly",
                kind.name()
            ),
            ExecOutcome::Stays(why) => format!("{} stays the parent: {why}", kind.name()),
        };
        let i = self.push(
            argv.to_vec(),
            pid1,
            at.clone(),
            StepKind::ShellString {
                shell: kind,
                basis,
                string: string.text.clone(),
                outcome,
                terminal: terminal.clone(),
                terminal_words,
            },
            note,
        );
        let before = child.as_ref().map(|(_, r)| r.start);
        self.ignoring(i, &analysis.traps, &string.text.map, before, |b| {
            if let Some((words, _)) = child {
                b.in_dir(analysis.cwd.as_deref(), |b| {
                    b.run(words, pid1.child(stays), terminal.or(at))
                });
            }
        });
        true
    }

    /// A shell text too deep, too large or too slow to analyse: the chain stops here,
    /// saying where and why.
    fn refused(
        &mut self,
        argv: Vec<Arg>,
        pid1: Standing,
        at: Option<Span>,
        what: &str,
        why: &str,
    ) -> usize {
        let why = format!("{what} {why}; initlint does not analyse it");
        self.push(argv, pid1, at, StepKind::Unknown { why: why.clone() }, why)
    }

    /// The working directory for the step being resolved.
    fn workdir(&self) -> String {
        self.cwd
            .clone()
            .unwrap_or_else(|| self.c.workdir.value.clone())
    }

    /// Run `f` with the working directory moved by a `cd` (relative to the current one).
    fn in_dir(&mut self, cd: Option<&str>, f: impl FnOnce(&mut Self)) {
        let saved = self.cwd.clone();
        if let Some(dir) = cd {
            self.cwd = Some(crate::source::join_path(&self.workdir(), dir));
        }
        f(self);
        self.cwd = saved;
    }

    /// A file the container has: a script, an interpreter script or a binary.
    fn file(
        &mut self,
        entry: FileEntry,
        argv: Vec<Arg>,
        pid1: Standing,
        at: Option<Span>,
        via_shell: bool,
    ) {
        let content = entry.content.clone();
        // Not `lines()`: it would strip the `\r` of a CRLF shebang.
        let first_line = content.value.split('\n').next().unwrap_or("");
        let mut problems = Vec::new();
        let invoked = argv.first().and_then(|a| a.text.span()).or(at.clone());
        if !via_shell {
            if let Mode::NotExecutable { why } = &entry.mode {
                problems.push(Problem {
                    message: format!("{} is not executable", entry.path),
                    why: format!("{why}; the runtime fails with \"permission denied\""),
                    at: invoked.clone(),
                    also: entry.origin.span().cloned(),
                    help: "add `--chmod=755` to the COPY, or `chmod +x` the file in the build context (git update-index --chmod=+x)".into(),
                });
            }
        }
        let shebang = first_line.strip_prefix("#!").map(str::trim_start);
        if let Some(sb) = shebang.filter(|_| !via_shell) {
            if sb.ends_with('\r') {
                problems.push(Problem {
                    message: format!("{} has a CRLF line ending in its shebang", entry.path),
                    why: format!(
                        "the kernel looks for an interpreter named \"{}\\r\", which does not exist: \"no such file or directory\"",
                        sb.trim_end()
                    ),
                    at: content.map.span(0..first_line.len()),
                    also: invoked.clone(),
                    help: "convert the file to LF line endings (dos2unix, or `* text eol=lf` in .gitattributes)".into(),
                });
            }
        }
        let words: Vec<String> = shebang
            .map(|s| shebang_words(s).map(str::to_string).collect())
            .unwrap_or_default();
        let interp = words.first().cloned();
        if let Some(i) = interp.as_deref().filter(|i| i.starts_with('/')) {
            if let Lookup::Missing { why, .. } = self.c.files.lookup(i, self.sources) {
                problems.push(Problem {
                    message: format!(
                        "the interpreter {i} named by the shebang of {} does not exist",
                        entry.path
                    ),
                    why,
                    at: content.map.span(0..first_line.len()),
                    also: invoked.clone(),
                    help: "use a base image that has the interpreter, or copy it in".into(),
                });
            }
        }
        let interp_base = interp.as_deref().map(basename).unwrap_or("");
        let sub = argv.get(1).map(|a| a.text.value.as_str());
        if !via_shell && knowledge::elixir_release_starts(&content.value, sub) {
            // Its exec target is computed (`exec "$REL_VSN_DIR/$REL_EXEC"`): known by what the
            // release template does.
            let why = format!("{} is an Elixir release's start script (written by `mix release`): `start` execs the release's elixir, which execs erl, erlexec and beam.smp, so the BEAM is PID 1", entry.path);
            let i = self.steps.len();
            self.pending_how = Some(why.clone());
            self.by_name(argv, "beam.smp", pid1, at, why);
            self.pending_how = None;
            if i < self.steps.len() {
                self.problems(i, problems);
            }
        } else if via_shell || shell::is_shell(interp_base) {
            self.script(entry, argv, pid1, at, problems);
        } else if let Some(int) = knowledge::interpreter(interp_base) {
            let app = Some((entry.path.clone(), Some(content)));
            let i = self.interpreter(int, argv, pid1, at, app);
            self.problems(i, problems);
        } else {
            let why = if shebang.is_some() {
                format!("{} runs under {}", entry.path, interp.unwrap_or_default())
            } else if content.map == crate::source::TextMap::None {
                match self.pending_binary.as_ref().map(|b| &b.facts) {
                    Some(Ok(f)) => format!(
                        "{} is an {} binary from {}",
                        entry.path,
                        f.kind(),
                        entry.from
                    ),
                    Some(Err(e)) => format!("{}: {e}", entry.path),
                    None => format!(
                        "{} is a binary from the {}; it is inspected only in image mode",
                        entry.path, entry.from
                    ),
                }
            } else {
                problems.push(Problem {
                    message: format!("{} is a text file without a shebang", entry.path),
                    why: "execve() fails with \"exec format error\" for a script without #!".into(),
                    at: content.map.span(0..first_line.len()),
                    also: invoked.clone(),
                    help: "start the script with #!/bin/sh (or the interpreter it needs)".into(),
                });
                format!("{} has no shebang", entry.path)
            };
            let i = self.push(
                argv,
                pid1,
                at,
                StepKind::Program {
                    path: entry.path.clone(),
                    why: why.clone(),
                },
                why,
            );
            self.problems(i, problems);
        }
    }

    fn script(
        &mut self,
        entry: FileEntry,
        argv: Vec<Arg>,
        pid1: Standing,
        at: Option<Span>,
        problems: Vec<Problem>,
    ) {
        let content = entry.content.clone();
        // The script's `if`s on the environment take the container's branch: its ENV, and,
        // when the base's config is known, nothing else is set. An unread OS or language
        // base sets none of an app's variables; the note says which were taken as unset.
        let complete = !self.c.files.base_unread();
        let generic = match &self.c.base {
            crate::model::Base::External { reference, .. } => {
                crate::image::reference::Reference::parse(reference)
                    .is_ok_and(|r| knowledge::bases::generic(&r.registry, &r.repository))
                    .then(|| reference.clone())
            }
            _ => None,
        };
        let assumed = std::cell::RefCell::new(Vec::<String>::new());
        let c = self.c;
        let env = |name: &str| match c.env_value(name) {
            Some(v) => Some(Some(v.to_string())),
            None if complete => Some(None),
            None if generic.is_some() && !knowledge::bases::may_set(name) => {
                let mut names = assumed.borrow_mut();
                if !names.iter().any(|n| n == name) {
                    names.push(name.to_string());
                }
                Some(None)
            }
            None => None,
        };
        let analysis = shell::analyze_in(&content.value, Some(&env));
        let assumed = assumed.into_inner();
        if let Some((offset, why)) = &analysis.refused {
            let where_ = content.map.span(*offset..*offset).or(at);
            let i = self.refused(argv, pid1, where_, &entry.path, why);
            self.problems(i, problems);
            return;
        }
        let zero = argv.first().cloned();
        let mut positional: Vec<Arg> = argv.iter().skip(1).cloned().collect();
        for set in &analysis.set_args {
            positional = words::expand(set, &content.map, self.c, &positional, zero.as_ref());
        }
        // `if …; then set -- node "$@"; fi`: taken when the first argument is an option or
        // not a command, the rule of the official images' entrypoints.
        if let Some(prefix) = analysis.conditional_prepends.first() {
            if self.not_a_command(positional.first()) {
                let mut args =
                    words::expand(prefix, &content.map, self.c, &positional, zero.as_ref());
                args.append(&mut positional);
                positional = args;
            }
        }
        let (stays, child) = match &analysis.terminal {
            Some(Terminal::Command { cmd, .. }) => (
                !cmd.explicit_exec,
                Some((cmd.words.clone(), cmd.range.clone())),
            ),
            Some(Terminal::BackgroundWait { job, .. }) => {
                (true, Some((job.words.clone(), job.range.clone())))
            }
            _ => (true, None),
        };
        let note = match (&analysis.terminal, stays) {
            (Some(Terminal::BackgroundWait { .. }), _) => format!(
                "{} starts the program in the background and waits",
                entry.path
            ),
            (_, false) => format!("{} execs its last command", entry.path),
            (Some(Terminal::Command { .. }), true) => format!(
                "{} runs its last command without exec and stays the parent",
                entry.path
            ),
            _ => format!("{} starts no program", entry.path),
        };
        let note = match (&generic, assumed.is_empty()) {
            (Some(base), false) => format!(
                "{note}; its `if` on {} takes the branch for unset: the base image {base} was not read, and an OS or language image sets no such variable",
                assumed.iter().map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
            ),
            _ => note,
        };
        let i = self.push(
            argv,
            pid1,
            at,
            StepKind::Script {
                path: entry.path.clone(),
                content: content.clone(),
                analysis,
                stays,
            },
            note,
        );
        self.problems(i, problems);
        let (cd, traps) = match &self.steps[i].kind {
            StepKind::Script { analysis, .. } => (analysis.cwd.clone(), analysis.traps.clone()),
            _ => (None, Vec::new()),
        };
        // `cd "$(dirname "$0")"`: the directory of the script as it was found.
        let cd = cd.map(|d| match d.strip_prefix(shell::analyze::SCRIPT_DIR) {
            Some(rest) => {
                let dir = entry.path.rsplit_once('/').map_or("/", |(d, _)| d);
                let dir = if dir.is_empty() { "/" } else { dir };
                format!("{dir}{rest}")
            }
            None => d,
        });
        let before = child.as_ref().map(|(_, r)| r.start);
        self.ignoring(i, &traps, &content.map, before, |b| {
            if let Some((words, range)) = child {
                let args = words::expand(&words, &content.map, b.c, &positional, zero.as_ref());
                b.in_dir(cd.as_deref(), |b| {
                    b.run(args, pid1.child(stays), content.map.span(range))
                });
            }
        });
    }

    /// Whether an entrypoint's "first argument is an option or not a command" test holds for
    /// `first`: an option; a name no PATH directory runs (a file in the working directory,
    /// like `server.js`, is not one); a path that is missing or not executable. When it cannot
    /// be seen, the argument is taken for a command, as it is written.
    fn not_a_command(&mut self, first: Option<&Arg>) -> bool {
        let Some(first) = first.filter(|a| a.known) else {
            return false;
        };
        let v = first.text.value.clone();
        if v.starts_with('-') {
            return true;
        }
        let workdir = self.workdir();
        match self.c.resolve_program_in(&workdir, &v, self.sources).1 {
            Lookup::Found(e) => !e.mode_ok(),
            Lookup::Missing { .. } => true,
            Lookup::Unknown { .. } if v.contains('/') => false,
            Lookup::Unknown { .. } => {
                let here = crate::source::join_path(&workdir, &v);
                matches!(self.c.files.lookup(&here, self.sources), Lookup::Found(_))
            }
        }
    }

    fn by_name(
        &mut self,
        argv: Vec<Arg>,
        base: &str,
        pid1: Standing,
        at: Option<Span>,
        why: String,
    ) {
        // `flask run` without its reloader: python serves the app (measured: flask and
        // werkzeug install no handler), so the app's own code decides.
        if base == "flask"
            && knowledge::reloader(&words_of(&argv), |n| {
                self.c.env_value(n).map(str::to_string)
            })
            .is_none()
        {
            if let Some((path, text)) = self.flask_app(&argv) {
                if let Some(python) = knowledge::interpreter("python") {
                    self.interpreter(python, argv, pid1, at, Some((path, Some(text))));
                    return;
                }
            }
        }
        if base == "dotnet" {
            if let Some(b) = self.dotnet_app(&argv) {
                let note = format!(
                    "dotnet runs {}, a .NET app built in {} from {} source file(s)",
                    b.path, b.stage, b.files
                );
                self.push(argv, pid1, at, StepKind::Built(Box::new(b)), note);
                return;
            }
        }
        if let Some(p) = knowledge::program(base, self.extras) {
            let rest = skip_args(&argv[1..], p.operands, p.options_with_value);
            let kind = StepKind::Wrapper {
                name: base.to_string(),
                program: p,
                how: self.pending_how.take(),
            };
            match p.role {
                Role::ExecWrapper => {
                    let sub = rest_subcommand(&argv[1..], p.options_with_value);
                    let Some(prepend) = knowledge::wrapper_subcommand(base, sub.as_deref()) else {
                        // `newrelic-admin validate-config`: runs no command.
                        self.push(argv, pid1, at, kind, p.note.to_string());
                        return;
                    };
                    self.push(argv, pid1, at.clone(), kind, p.note.to_string());
                    let rest: Vec<Arg> = prepend
                        .map(|w| Arg::known(Text::synthetic(w)))
                        .into_iter()
                        .chain(rest)
                        .collect();
                    if !rest.is_empty() {
                        self.run(rest, pid1, at);
                    }
                }
                Role::Init | Role::ForkingUserSwitch => {
                    self.push(argv.clone(), pid1, at.clone(), kind, p.note.to_string());
                    // `su user -c CMD` (and runuser without -u) run CMD in a login shell.
                    let via_shell = base == "su"
                        || (base == "runuser" && !argv.iter().any(|a| a.text.value == "-u"));
                    let rest = if via_shell {
                        self.su_command(&argv[1..], p.options_with_value)
                    } else {
                        rest
                    };
                    // An init's child is never PID 1. `sudo`'s would be with gosu instead;
                    // `su -c`'s shell is su's own (gosu would run the command directly).
                    let place = match p.role {
                        Role::ForkingUserSwitch if base != "su" => pid1.child(true),
                        _ => Standing::CHILD,
                    };
                    if !rest.is_empty() {
                        self.run(rest, place, at);
                    }
                }
                Role::Launcher => {
                    let sub = argv.get(1).map(|a| a.text.value.as_str());
                    if knowledge::launcher_subcommand_launches(base, sub) {
                        let script = self.package_script(base, &argv[1..]);
                        self.push(argv, pid1, at.clone(), kind, p.note.to_string());
                        // The launcher's child: `sh -c SCRIPT`, with the `sh` on PATH.
                        if let Some(script) = script {
                            let sh = ["sh", "-c"]
                                .map(|w| Arg::known(Text::synthetic(w)))
                                .into_iter()
                                .chain([Arg::known(script)])
                                .collect();
                            self.run(sh, Standing::CHILD, at);
                        }
                    } else {
                        self.push(
                            argv,
                            pid1,
                            at,
                            StepKind::Program {
                                path: base.into(),
                                why: why.clone(),
                            },
                            why,
                        );
                    }
                }
                Role::HandlesSignals | Role::Plain => {
                    // `java -Xrs` installs none (the cause says so, with what was measured).
                    let note = match knowledge::jvm_xrs(&words_of(&argv)) {
                        true if base == "java" => "-Xrs: the JVM installs no signal handlers",
                        _ => p.note,
                    };
                    self.push(argv, pid1, at, kind, note.to_string());
                }
            }
            return;
        }
        if let Some(int) = knowledge::interpreter(base) {
            self.interpreter(int, argv, pid1, at, None);
            return;
        }
        self.push(
            argv,
            pid1,
            at,
            StepKind::Program {
                path: base.to_string(),
                why: why.clone(),
            },
            why,
        );
    }
}

fn words_of(argv: &[Arg]) -> Vec<&str> {
    argv.iter().map(|a| a.text.value.as_str()).collect()
}

/// A wrapper's first operand, after its options: the subcommand of `newrelic-admin run-program`.
fn rest_subcommand(args: &[Arg], with_value: &[&str]) -> Option<String> {
    let all = skip_args(args, 0, with_value);
    all.first().map(|a| a.text.value.clone())
}

/// Skip a wrapper's options and operands: what remains is the command it runs.
fn skip_args(args: &[Arg], operands: usize, with_value: &[&str]) -> Vec<Arg> {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let v = a.text.value.as_str();
        if v == "--" {
            i += 1;
            break;
        }
        let any_long = with_value.contains(&knowledge::programs::ANY_LONG_OPTION)
            && v.starts_with("--")
            && !v.contains('=');
        if with_value.contains(&v) || any_long {
            i += 2;
        } else if v.starts_with('-') || (v.contains('=') && !v.starts_with('/')) {
            // Options, and env's NAME=value assignments.
            i += 1;
        } else {
            break;
        }
    }
    args.iter().skip(i + operands).cloned().collect()
}

/// The string ends in an explicit `exec`, which every shell performs.
fn explicit_exec(string: &str) -> bool {
    let analysis = shell::analyze(string);
    let unmeasured = ShellKind::Other("any shell".into());
    matches!(&analysis.terminal, Some(Terminal::Command { cmd, place })
        if shell::exec_outcome(&unmeasured, place, cmd.explicit_exec) == ExecOutcome::Explicit)
}

impl Step {
    /// The step's argv as written (after substitution), for reading options.
    pub fn words(&self) -> Vec<&str> {
        self.argv.iter().map(|a| a.text.value.as_str()).collect()
    }

    /// The program this step runs, as written.
    pub fn program_name(&self) -> String {
        self.argv
            .first()
            .map(|a| a.text.value.clone())
            .unwrap_or_else(|| "?".into())
    }

    /// What to call the process: the shell's name, the script's path, or the program.
    pub fn display_name(&self) -> String {
        match &self.kind {
            StepKind::ShellString { shell, .. } => shell.name().to_string(),
            StepKind::Script { path, .. } => path.clone(),
            _ => self.program_name(),
        }
    }

    /// A shell string or script that stays the parent of the program it runs.
    /// The launcher (npm, yarn…) the step runs, by the name it was called, if it runs one.
    pub fn launcher(&self) -> Option<(&str, &'static Program)> {
        match &self.kind {
            StepKind::Wrapper { name, program, .. } if program.role == Role::Launcher => {
                Some((name, program))
            }
            _ => None,
        }
    }

    pub fn stays_parent(&self) -> bool {
        match &self.kind {
            StepKind::ShellString { outcome, .. } => matches!(outcome, ExecOutcome::Stays(_)),
            StepKind::Script { stays, .. } => *stays,
            _ => false,
        }
    }

    /// Why the step cannot run, if it cannot.
    pub fn problems(&self) -> impl Iterator<Item = &Problem> {
        self.causes.iter().filter_map(|c| match &c.kind {
            CauseKind::NotRunnable(p) => Some(p),
            _ => None,
        })
    }
}

impl Chain {
    /// The step that is PID 1 when the application runs: the last step marked PID 1.
    pub fn pid1(&self) -> Option<&Step> {
        self.steps.iter().rev().find(|s| s.pid1)
    }

    /// The step that would be PID 1 once every step before it that stays the parent is
    /// fixed (the same as [`Chain::pid1`] when none does).
    pub fn candidate(&self) -> Option<&Step> {
        self.steps.iter().rev().find(|s| s.candidate)
    }

    /// The index of a step of this chain.
    pub fn index_of(&self, step: &Step) -> Option<usize> {
        self.steps.iter().position(|s| std::ptr::eq(s, step))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    //! The walk: which step each launch reaches, and which of them is PID 1.

    use super::testing::{chain, container};
    use super::*;

    /// Each step as `[PID 1] argv…` or `argv…`.
    fn steps(chain: &Chain) -> Vec<String> {
        chain
            .steps
            .iter()
            .map(|s| {
                let words = s.words().join(" ");
                if s.pid1 {
                    format!("[PID 1] {words}")
                } else {
                    words
                }
            })
            .collect()
    }

    #[test]
    fn dash_stays_the_parent_of_a_shell_form_string_busybox_execs_it() {
        let dash = container(
            ShellKind::Dash,
            &[],
            &["/bin/sh", "-c", "/app/server --port 80"],
            "/",
            &[],
        );
        assert_eq!(
            steps(&chain(&dash)),
            [
                "[PID 1] /bin/sh -c /app/server --port 80",
                "/app/server --port 80"
            ]
        );
        let ash = container(
            ShellKind::BusyboxAsh,
            &[],
            &["/bin/sh", "-c", "/app/server --port 80"],
            "/",
            &[],
        );
        let steps = steps(&chain(&ash));
        assert_eq!(
            steps.last().unwrap(),
            "[PID 1] /app/server --port 80",
            "{steps:?}"
        );
    }

    #[test]
    fn apm_wrappers_exec_their_command() {
        let run = |cmd: &[&str]| steps(&chain(&container(ShellKind::Dash, &[], cmd, "/", &[])));
        // Every --option of opentelemetry-instrument takes a value.
        let otel = run(&[
            "opentelemetry-instrument",
            "--traces_exporter",
            "console",
            "--service_name=x",
            "python",
            "app.py",
        ]);
        assert_eq!(otel.last().unwrap(), "[PID 1] python app.py", "{otel:?}");
        let dd = run(&["ddtrace-run", "-d", "gunicorn", "app:app"]);
        assert_eq!(dd.last().unwrap(), "[PID 1] gunicorn app:app", "{dd:?}");
        let nr = run(&["newrelic-admin", "run-program", "uvicorn", "main:app"]);
        assert_eq!(nr.last().unwrap(), "[PID 1] uvicorn main:app", "{nr:?}");
        // run-python execs python with the arguments.
        let py = run(&["newrelic-admin", "run-python", "app.py"]);
        assert_eq!(py.last().unwrap(), "[PID 1] python app.py", "{py:?}");
        // Other subcommands run nothing.
        let other = run(&["newrelic-admin", "validate-config", "newrelic.ini"]);
        assert_eq!(other.len(), 1, "{other:?}");
    }

    #[test]
    fn a_script_without_exec_stays_and_one_with_exec_hands_over() {
        let run = |script: &str| {
            let files = [("/entrypoint.sh", script)];
            let c = container(
                ShellKind::Dash,
                &["/entrypoint.sh"],
                &["/app/server"],
                "/",
                &files,
            );
            steps(&chain(&c))
        };
        let s = run("#!/bin/sh\necho hi\n\"$@\"\n");
        assert_eq!(s[0], "[PID 1] /entrypoint.sh /app/server", "{s:?}");
        assert_eq!(s.last().unwrap(), "/app/server", "{s:?}");
        let s = run("#!/bin/sh\nexec \"$@\"\n");
        assert_eq!(s.last().unwrap(), "[PID 1] /app/server", "{s:?}");
    }

    #[test]
    fn exec_wrappers_pass_pid_1_on_and_a_relative_program_is_found_in_the_workdir() {
        let c = container(
            ShellKind::Dash,
            &["gosu", "app"],
            &["./run.sh"],
            "/srv",
            &[("/srv/run.sh", "#!/bin/sh\nexec /app/server\n")],
        );
        let ch = chain(&c);
        let s = steps(&ch);
        assert_eq!(s.first().unwrap(), "[PID 1] gosu app ./run.sh", "{s:?}");
        assert_eq!(s.last().unwrap(), "[PID 1] /app/server", "{s:?}");
        assert_eq!(ch.pid1().unwrap().program_name(), "/app/server");
    }

    #[test]
    fn an_entrypoint_prepends_its_program_to_an_option_or_a_non_command() {
        let script = "#!/bin/sh\nif [ \"${1#-}\" != \"$1\" ]; then\n  set -- /app/server \"$@\"\nfi\nexec \"$@\"\n";
        let files = [
            ("/entrypoint.sh", script),
            ("/app/server", "\x7fELF"),
            ("/app/conf.yml", "a: 1"),
        ];
        let last = |cmd: &[&str]| {
            let c = container(ShellKind::Dash, &["/entrypoint.sh"], cmd, "/app", &files);
            steps(&chain(&c)).last().unwrap().clone()
        };
        // An option: the program goes in front.
        assert_eq!(last(&["-c", "x"]), "[PID 1] /app/server -c x");
        // A runnable program: as written.
        assert_eq!(
            last(&["/app/server", "--port", "80"]),
            "[PID 1] /app/server --port 80"
        );
        // A file of the working directory is not a command.
        assert_eq!(last(&["conf.yml"]), "[PID 1] /app/server conf.yml");
        // A name nothing shows (it may be on PATH in the base): taken as written.
        assert_eq!(last(&["nginx"]), "[PID 1] nginx");
    }

    #[test]
    fn a_servers_entry_script_is_the_server() {
        let gunicorn = "#!/usr/local/bin/python3\nimport re, sys\nfrom gunicorn.app.wsgiapp import run\nif __name__ == '__main__':\n    sys.exit(run())\n";
        let files = [("/usr/local/bin/gunicorn", gunicorn)];
        let c = container(
            ShellKind::Dash,
            &[],
            &["gunicorn", "app:app"],
            "/app",
            &files,
        );
        let ch = chain(&c);
        let pid1 = ch.pid1().unwrap();
        assert!(
            matches!(&pid1.kind, StepKind::Wrapper { program, .. } if program.name() == "gunicorn"),
            "{:?}",
            pid1.kind
        );
        // A script of one's own is still read.
        let files = [("/usr/local/bin/serve", "#!/bin/sh\nexec /app/server\n")];
        let c = container(ShellKind::Dash, &[], &["serve"], "/", &files);
        assert_eq!(steps(&chain(&c)).last().unwrap(), "[PID 1] /app/server");
    }

    #[test]
    fn no_command_is_an_empty_chain() {
        let c = container(ShellKind::Dash, &[], &[], "/", &[]);
        assert!(chain(&c).steps.is_empty());
        assert!(chain(&c).pid1().is_none());
        // An entry script's `exec "$@"` with no CMD: the script ends, and so does the container.
        let files = [("/entrypoint.sh", "#!/bin/sh\nexec \"$@\"\n")];
        let c = container(ShellKind::Dash, &["/entrypoint.sh"], &[], "/", &files);
        let ch = chain(&c);
        let last = ch.steps.last().unwrap();
        let StepKind::Unknown { why } = &last.kind else {
            panic!("{:?}", steps(&ch));
        };
        assert!(why.contains("the container exits at once"), "{why}");
    }
}
