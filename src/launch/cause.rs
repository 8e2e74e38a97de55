//! Causes: what each step of the launch chain does with the stop signal and with orphans, and
//! why, found once when the chain is built. The verdict folds the causes of the PID 1 step;
//! each rule reports one kind of cause. Neither looks at the input again, and the sentences
//! that explain a cause live in `report/`.

use crate::elf::{self, CallSite, ElfFacts, Import};
use crate::knowledge::sources::Language;
use crate::knowledge::{programs, Interpreter, Pid1, Program, Reaps, Role};
use crate::model::{Built, Container, SourceHit};
use crate::shell::{ExecOutcome, ShellKind, Terminal, Trap};
use crate::source::Span;

use super::{Binary, Chain, Handler, Problem, Step, StepKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalFate {
    Delivered,
    Ignored,
    /// The container stops at once, but the application is SIGKILLed without seeing the
    /// signal (an init forwarding to a shell that dies of it).
    Abrupt,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zombies {
    Reaped,
    MayLeak,
    Unknown,
}

impl SignalFate {
    pub fn as_str(self) -> &'static str {
        match self {
            SignalFate::Delivered => "delivered",
            SignalFate::Ignored => "ignored",
            SignalFate::Abrupt => "abrupt",
            SignalFate::Unknown => "unknown",
        }
    }
}

impl Zombies {
    pub fn as_str(self) -> &'static str {
        match self {
            Zombies::Reaped => "reaped",
            Zombies::MayLeak => "may-leak",
            Zombies::Unknown => "unknown",
        }
    }
}

/// What a cause rests on.
#[derive(Debug, Clone)]
pub enum Evidence {
    Span(Span),
    /// An imported dynamic symbol: `sigaction@GLIBC_2.2.5` in `/app/server`.
    Symbol {
        path: String,
        name: String,
        version: Option<String>,
    },
    /// An ELF section (or its absence, said in the cause's text).
    Section {
        path: String,
        name: String,
    },
    /// An entry of initlint's knowledge base, by name.
    Knowledge(String),
    /// A call instruction in the binary and the constant first argument before it.
    CallSite {
        path: String,
        site: CallSite,
    },
}

#[derive(Debug, Clone)]
pub struct Cause {
    pub kind: CauseKind,
    pub evidence: Option<Evidence>,
}

/// How a known program was recognised.
#[derive(Debug, Clone)]
pub enum Recognised {
    /// By ELF evidence in its binary (a marker string, a Go main module).
    Evidence(String),
    /// By the name it is called by.
    Name(String),
    /// As what a build writes there (a Gradle start script that execs java).
    Built(String),
    /// As an applet of a multi-call binary, itself recognised so.
    Applet {
        binary: &'static str,
        applet: String,
        how: Box<Recognised>,
    },
}

#[derive(Debug, Clone)]
pub enum CauseKind {
    /// The step cannot run: the container does not start.
    NotRunnable(Problem),
    /// A shell running a string stays the parent of the program.
    ShellStays { shell: ShellKind, why: String },
    /// The shell execs the string's last command only because this shell does so implicitly.
    ImplicitExec { shell: ShellKind },
    /// A script runs its last command in the foreground without exec (or runs none), so the
    /// shell stays.
    ScriptStays { path: String },
    /// A script traps the signal, but the trap waits behind a foreground child.
    TrapBehindForeground { path: String, trap: Trap },
    /// A script waits for a background job, so its trap runs at once.
    TrapRuns { path: String, trap: Trap },
    /// A script waits for a background job and has no trap for the signal.
    BackgroundUnforwarded { path: String },
    /// `su`, `sudo`, `runuser`: forks and stays the parent, passing the signal on or not.
    UserSwitch {
        name: String,
        program: &'static Program,
        outcome: Forwarding,
    },
    /// `npm start` and friends: run the app as a child. `measured`: what the launcher was
    /// measured to do with the stop signal (npm and yarn pass it to their `sh -c` child, which
    /// dies of it; the app is SIGKILLed).
    Launcher {
        name: String,
        measured: Option<&'static str>,
        /// A development server's reloader (flask --debug, Django runserver), not a package
        /// manager.
        reloader: bool,
        /// Why what it does with the signal is not known, when it is not.
        unseen: Option<LauncherUnseen>,
    },
    /// The program installs no handler for the signal at all.
    NoHandler { program: String, seen: Seen },
    /// An interpreter that ignores the signal as PID 1 unless the app installs a handler.
    DefaultIgnored {
        interpreter: &'static Interpreter,
        program: String,
        app: Option<String>,
        searched: Searched,
    },
    /// A known program that stops on other signals than this one.
    StopsOnOther {
        program: &'static Program,
        how: Recognised,
    },
    /// An init forwards the signal to a process that ignores it (SIG_IGN, from a shell's
    /// `trap '' TERM` and inherited across fork and exec) and installs no handler of its own:
    /// nothing stops until SIGKILL (measured under tini).
    SignalIgnored { init: &'static str, process: String },
    /// An init that does not do its job here.
    InitMisconfigured {
        init: &'static Program,
        fault: InitFault,
    },
    /// Something acts on the signal.
    Handles(Handling),
    /// What happens to the signal cannot be seen.
    Unseen(Unseen),
    /// PID 1 waits for any child.
    Reaps(Reaping),
    /// PID 1 waits only for its own children, or never.
    NoReaper(NoReaper),
    /// Whether PID 1 waits for any child cannot be seen.
    ReapingUnseen(ReapingUnseen),
}

/// How a program was seen to install no handler.
#[derive(Debug, Clone)]
pub enum Seen {
    /// An option it runs with turns its handlers off (`java -Xrs`).
    Option {
        program: String,
        option: String,
        why: &'static str,
    },
    /// Its knowledge entry says so (`sleep`, `tail`).
    Knowledge {
        program: &'static Program,
        how: Recognised,
    },
    /// Its binary: the signals its call sites install dispositions for (maybe none), or,
    /// without readable call sites, its imports.
    Binary {
        path: String,
        kind: String,
        others: Vec<i64>,
        calls_read: bool,
    },
    /// The sources a build stage compiles it from: none installs a handler.
    Sources {
        path: String,
        language: Language,
        stage: String,
        files: usize,
        /// .NET: the target frameworks its project files name.
        frameworks: String,
    },
}

#[derive(Debug, Clone)]
pub enum Searched {
    /// The app's code was read and installs no handler.
    NotFound(String),
    /// The app's code could not be read.
    Unreadable(String),
}

#[derive(Debug, Clone)]
pub enum InitFault {
    /// Something before it stays PID 1: it cannot reap and gets signals only if forwarded.
    NotPid1,
    /// It forwards to a shell or script that stays the parent of the application.
    ForwardsToStayingParent { child: String, step: usize },
    /// dumb-init rewrites the signal to 0.
    DropsSignal,
}

/// What a parent that stays (a user switch) does with the stop signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forwarding {
    /// It does not catch this signal: as PID 1 the kernel drops it.
    NotCaught,
    /// It passes it to a shell or script that stays the parent of the application.
    ToStayingParent { child: String, step: usize },
    /// It passes it to the command.
    ToChild { to: String },
    /// It cannot be said: why.
    Unknown(String),
}

#[derive(Debug, Clone)]
pub enum Handling {
    InterpreterDefault {
        language: &'static str,
    },
    AppHandler {
        pattern: String,
    },
    Server {
        name: String,
    },
    GoRuntime {
        path: String,
        version: String,
        /// Its function table names os/signal.Notify.
        notify: bool,
    },
    /// A Go program a build stage compiles, whose sources relay no signal with
    /// `os/signal`: the runtime exits with status 2 on the signal.
    GoBuilt {
        path: String,
        stage: String,
    },
    /// A .NET program before .NET 10, whose sources register no handler: the runtime's own
    /// SIGTERM handler raises ProcessExit and exits.
    DotNetRuntime {
        path: String,
        stage: String,
        framework: String,
    },
    /// A program a build stage compiles, whose sources install a handler.
    Source {
        path: String,
        hit: SourceHit,
    },
    CallSite {
        path: String,
        site: CallSite,
    },
    Imports {
        path: String,
        import: Import,
    },
    Knowledge {
        name: &'static str,
        pid1: &'static Pid1,
        how: Recognised,
    },
    InitForwards {
        init: &'static str,
        to: String,
        how: Recognised,
    },
}

#[derive(Debug, Clone)]
pub enum Unseen {
    NoCommand,
    /// Dockerfile mode: no stage sets ENTRYPOINT or CMD, and the base image that would give
    /// them was not read.
    LaunchInBase {
        base: String,
    },
    /// The chain stops here (a run-time program name, a text not analysed, …).
    Step(String),
    /// Dockerfile mode: a binary initlint cannot read.
    NoBinary {
        path: String,
        why: String,
    },
    NotInspected {
        path: String,
        error: String,
    },
    Computed {
        path: String,
        site: CallSite,
    },
    Collects {
        path: String,
        what: String,
    },
    Stripped {
        path: String,
    },
    ExecNotFollowed {
        program: String,
    },
    Applet {
        binary: &'static str,
        applet: String,
        how: Recognised,
    },
    InitNoCommand {
        init: &'static str,
    },
    /// A known program whose behaviour as PID 1 is not in the knowledge base.
    Note {
        name: String,
        note: &'static str,
    },
    /// A program a build stage compiles, whose sources could not all be read.
    Sources {
        path: String,
        why: String,
    },
}

#[derive(Debug, Clone)]
pub enum Reaping {
    Shell {
        name: String,
    },
    Init {
        name: &'static str,
        how: Recognised,
    },
    Knowledge {
        name: &'static str,
    },
    CallSite {
        path: String,
        site: CallSite,
    },
    /// A program a build stage compiles, whose sources wait for any child.
    Source {
        path: String,
        hit: SourceHit,
    },
}

#[derive(Debug, Clone)]
pub enum NoReaper {
    Interpreter {
        language: &'static str,
    },
    Knowledge {
        name: &'static str,
    },
    GoRuntime {
        path: String,
    },
    Binary {
        path: String,
        /// Its wait calls (each for a pid it computes); none when it never waits.
        waits: Vec<CallSite>,
        /// A function it imports that starts processes.
        spawn: Option<Import>,
        calls_read: bool,
    },
    /// A program a build stage compiles, whose sources never wait for any child.
    Sources {
        path: String,
        stage: String,
        files: usize,
    },
}

#[derive(Debug, Clone)]
pub enum ReapingUnseen {
    Imports {
        path: String,
        import: Import,
    },
    SigchldSet {
        path: String,
        site: CallSite,
    },
    Stripped {
        path: String,
    },
    /// A program a build stage compiles, whose sources could not all be read.
    Sources {
        path: String,
        why: String,
    },
}

/// Why a launcher's handling of the stop signal is not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LauncherUnseen {
    /// The script it runs (package.json `scripts`) could not be read.
    Script,
    /// This launcher was not measured (pnpm, bun, poetry…).
    Unmeasured,
}

impl CauseKind {
    /// What this cause makes of the stop signal, when it decides it.
    pub fn signal(&self) -> Option<SignalFate> {
        use CauseKind::*;
        Some(match self {
            ShellStays { .. }
            | ScriptStays { .. }
            | TrapBehindForeground { .. }
            | BackgroundUnforwarded { .. }
            | NoHandler { .. }
            | SignalIgnored { .. }
            | StopsOnOther { .. } => SignalFate::Ignored,
            TrapRuns { trap, .. } => trap_outcome(trap),
            DefaultIgnored {
                searched: Searched::NotFound(_),
                ..
            } => SignalFate::Ignored,
            Launcher {
                measured: Some(_), ..
            } => SignalFate::Abrupt,
            DefaultIgnored { .. } | Launcher { .. } | Unseen(_) => SignalFate::Unknown,
            InitMisconfigured { fault, .. } => match fault {
                InitFault::NotPid1 => return None,
                InitFault::ForwardsToStayingParent { .. } => SignalFate::Abrupt,
                InitFault::DropsSignal => SignalFate::Ignored,
            },
            UserSwitch { outcome, .. } => match outcome {
                Forwarding::NotCaught => SignalFate::Ignored,
                Forwarding::ToStayingParent { .. } => SignalFate::Abrupt,
                Forwarding::ToChild { .. } => SignalFate::Delivered,
                Forwarding::Unknown(_) => SignalFate::Unknown,
            },
            Handles(_) => SignalFate::Delivered,
            NotRunnable(_) | ImplicitExec { .. } | Reaps(_) | NoReaper(_) | ReapingUnseen(_) => {
                return None
            }
        })
    }

    /// What this cause makes of orphans, when it decides it.
    pub fn zombies(&self) -> Option<Zombies> {
        match self {
            CauseKind::Reaps(_) => Some(Zombies::Reaped),
            CauseKind::NoReaper(_) => Some(Zombies::MayLeak),
            CauseKind::ReapingUnseen(_) => Some(Zombies::Unknown),
            _ => None,
        }
    }
}

/// A trap that runs at once (the shell waits for a background job): measured, a trap that
/// kills forwards the signal, one that only exits leaves the application to SIGKILL.
fn trap_outcome(trap: &Trap) -> SignalFate {
    // `trap '' TERM` ignores the signal: the shell stays and its children inherit SIG_IGN.
    if trap.runs.trim().is_empty() {
        SignalFate::Ignored
    } else if trap.runs.contains("kill") {
        SignalFate::Delivered
    } else if trap.runs.contains("exit") {
        SignalFate::Abrupt
    } else {
        SignalFate::Unknown
    }
}

impl Cause {
    fn new(kind: CauseKind, evidence: Option<Evidence>) -> Cause {
        Cause { kind, evidence }
    }

    pub(super) fn not_runnable(p: Problem) -> Cause {
        let at = p.at.clone().map(Evidence::Span);
        Cause::new(CauseKind::NotRunnable(p), at)
    }
}

/// Attach to each step what it does with the stop signal and with orphans. Causes come most
/// specific first: the verdict takes the first that decides.
pub(super) fn attach(chain: &mut Chain, c: &Container) {
    let signal = c.stop_signal_name();
    // A container that cannot start has no PID 1 whose behaviour matters.
    let starts = !chain
        .steps
        .iter()
        .any(|s| s.pid1 && s.problems().next().is_some());
    let mut all = Vec::with_capacity(chain.steps.len());
    for (i, step) in chain.steps.iter().enumerate() {
        let next = chain.steps.get(i + 1).map(|n| (i + 1, n));
        let rest = chain.steps.get(i + 1..).unwrap_or(&[]);
        let mut causes = launching(step, next, rest, c, &signal);
        if starts && step.candidate && step.problems().next().is_none() {
            behaviour(step, c, &signal, &mut causes);
        }
        // A reloader exits on the signal (measured): its interpreter's default does not apply.
        let reloads = causes.iter().any(|c| {
            matches!(
                c.kind,
                CauseKind::Launcher {
                    measured: Some(_),
                    ..
                }
            )
        });
        if reloads {
            causes.retain(|c| !matches!(c.kind, CauseKind::DefaultIgnored { .. }));
        }
        all.push(causes);
    }
    for (step, causes) in chain.steps.iter_mut().zip(all) {
        step.causes.extend(causes);
    }
}

/// How the step starts what follows it: whether it stays the parent, and an init's set-up.
fn launching(
    step: &Step,
    next: Option<(usize, &Step)>,
    rest: &[Step],
    c: &Container,
    signal: &str,
) -> Vec<Cause> {
    let at = step.at.clone().map(Evidence::Span);
    let mut out = Vec::new();
    let env = |k: &str| c.env_value(k).map(str::to_string);
    if let Some((name, what)) = crate::knowledge::reloader(&step.words(), env) {
        out.push(Cause::new(
            CauseKind::Launcher {
                name: name.into(),
                measured: Some(what),
                reloader: true,
                unseen: None,
            },
            at.clone(),
        ));
    }
    match &step.kind {
        StepKind::ShellString { shell, outcome, .. } => match outcome {
            ExecOutcome::Stays(why) => out.push(Cause::new(
                CauseKind::ShellStays {
                    shell: shell.clone(),
                    why: why.clone(),
                },
                at,
            )),
            ExecOutcome::Implicit => out.push(Cause::new(
                CauseKind::ImplicitExec {
                    shell: shell.clone(),
                },
                at,
            )),
            ExecOutcome::Explicit => {}
        },
        StepKind::Script {
            path,
            analysis,
            stays: true,
            ..
        } => {
            let at = next.and_then(|(_, n)| n.at.clone()).map(Evidence::Span);
            let trap = analysis
                .traps
                .iter()
                .find(|t| t.signals.iter().any(|s| s == signal));
            let background = matches!(analysis.terminal, Some(Terminal::BackgroundWait { .. }));
            let path = path.clone();
            match (trap, background) {
                (Some(t), true) => out.push(Cause::new(
                    CauseKind::TrapRuns {
                        path,
                        trap: t.clone(),
                    },
                    at,
                )),
                (None, true) => out.push(Cause::new(CauseKind::BackgroundUnforwarded { path }, at)),
                (Some(t), false) => {
                    out.push(Cause::new(
                        CauseKind::TrapBehindForeground {
                            path: path.clone(),
                            trap: t.clone(),
                        },
                        at.clone(),
                    ));
                    out.push(Cause::new(CauseKind::ScriptStays { path }, at));
                }
                (None, false) => out.push(Cause::new(CauseKind::ScriptStays { path }, at)),
            }
        }
        StepKind::Wrapper { name, program, .. } => match program.role {
            Role::Init if program.pid1.as_ref().is_some_and(|k| k.forwards) => {
                init(step, next, rest, program, c, signal, &mut out)
            }
            Role::ForkingUserSwitch => user_switch(step, next, name, program, signal, &mut out),
            Role::Launcher => {
                out.push(launcher(step, name, program, rest, signal));
                let base = name.rsplit('/').next().unwrap_or(name);
                if let Some(language) =
                    crate::knowledge::launcher_runtime(base).filter(|_| step.pid1)
                {
                    out.push(Cause::new(
                        CauseKind::NoReaper(NoReaper::Interpreter { language }),
                        Some(Evidence::Knowledge(base.into())),
                    ));
                }
            }
            _ => {}
        },
        _ => {}
    }
    out
}

/// A forwarding init: reaps, and forwards the signal to its child, which then decides.
fn init(
    step: &Step,
    next: Option<(usize, &Step)>,
    rest: &[Step],
    p: &'static Program,
    c: &Container,
    signal: &str,
    out: &mut Vec<Cause>,
) {
    let receiver = receiver(rest);
    let how = recognised(step, p.name());
    let knowledge = Some(Evidence::Knowledge(p.name().into()));
    let misconfigured = |fault| CauseKind::InitMisconfigured { init: p, fault };
    if !step.pid1 && !subreaper(step, p, c) {
        out.push(Cause::new(
            misconfigured(InitFault::NotPid1),
            step.at.clone().map(Evidence::Span),
        ));
    }
    if p.name() == "dumb-init" && rewritten(step, signal).as_deref() == Some("0") {
        out.push(Cause::new(
            misconfigured(InitFault::DropsSignal),
            step.at.clone().map(Evidence::Span),
        ));
    }
    match next {
        // The child ignores what it is sent; whether it installs a handler over that cannot
        // be seen.
        Some(_) if receiver.is_some_and(|r| ignores(r, signal)) => {
            if let Some(r) = receiver {
                out.push(forwarded_to_ignoring(
                    p.name(),
                    how.clone(),
                    knowledge.clone(),
                    r,
                    signal,
                ));
            }
        }
        // Measured for tini (also -g) and dumb-init (which signals the whole group): each
        // exits as soon as its own child does, so the application is SIGKILLed whether or not
        // it got the signal too.
        Some((i, n)) if n.stays_parent() => out.push(Cause::new(
            misconfigured(InitFault::ForwardsToStayingParent {
                child: n.display_name(),
                step: i,
            }),
            n.at.clone().map(Evidence::Span),
        )),
        // tini → npm → sh -c: npm relays what tini forwards, as it does as PID 1.
        Some((_, n)) => match n.launcher() {
            Some((name, program)) => out.push(launcher(
                n,
                name,
                program,
                rest.get(1..).unwrap_or(&[]),
                signal,
            )),
            None => out.push(Cause::new(
                CauseKind::Handles(Handling::InitForwards {
                    init: p.name(),
                    to: n.program_name(),
                    how: how.clone(),
                }),
                knowledge.clone(),
            )),
        },
        None => out.push(Cause::new(
            CauseKind::Unseen(Unseen::InitNoCommand { init: p.name() }),
            None,
        )),
    }
    out.push(Cause::new(
        CauseKind::Reaps(Reaping::Init {
            name: p.name(),
            how,
        }),
        knowledge,
    ));
}

/// What a forwarder (an init, a launcher) achieves when the process its signal reaches
/// inherited it ignored (SIG_IGN): only a handler of its own over that lets it through.
fn forwarded_to_ignoring(
    by: &'static str,
    how: Recognised,
    evidence: Option<Evidence>,
    r: &Step,
    signal: &str,
) -> Cause {
    match installs_handler(r, signal) {
        Some(true) => Cause::new(
            CauseKind::Handles(Handling::InitForwards {
                init: by,
                to: r.program_name(),
                how,
            }),
            evidence,
        ),
        Some(false) => {
            let at = r
                .ignores
                .iter()
                .find(|(s, _)| s == signal)
                .and_then(|(_, at)| at.clone());
            Cause::new(
                CauseKind::SignalIgnored {
                    init: by,
                    process: r.display_name(),
                },
                at.map(Evidence::Span),
            )
        }
        None => Cause::new(
            CauseKind::Unseen(Unseen::Step(format!(
                "{} inherits {signal} ignored (SIG_IGN); whether it installs a handler of its own cannot be seen",
                r.display_name()
            ))),
            r.at.clone().map(Evidence::Span),
        ),
    }
}

/// What a launcher (`npm start`) does with the stop signal. Measured for npm 10 and yarn 1.22
/// (tests/ground_truth.rs): each passes it to its child, the `sh -c` running the package
/// script, and exits when that child does. A shell that stays (dash) dies of it and the app
/// is SIGKILLed; one that execs the script's command (busybox, bash) hands it to the app.
/// `after`: the steps after the launcher's (its `sh -c`, then the app).
fn launcher(
    step: &Step,
    name: &str,
    program: &'static Program,
    after: &[Step],
    signal: &str,
) -> Cause {
    let base = name.rsplit('/').next().unwrap_or(name);
    let measured = crate::knowledge::launcher_measured(base);
    let unknown = |why| {
        Cause::new(
            CauseKind::Launcher {
                name: name.to_string(),
                measured: None,
                reloader: false,
                unseen: Some(why),
            },
            step.at.clone().map(Evidence::Span),
        )
    };
    if measured.is_none() {
        return unknown(LauncherUnseen::Unmeasured);
    }
    let Some(sh) = after
        .first()
        .filter(|s| matches!(s.kind, StepKind::ShellString { .. }))
    else {
        return unknown(LauncherUnseen::Script);
    };
    if sh.stays_parent() {
        return Cause::new(
            CauseKind::Launcher {
                name: name.to_string(),
                measured,
                reloader: false,
                unseen: None,
            },
            sh.at.clone().map(Evidence::Span),
        );
    }
    let how = recognised(step, program.name());
    match receiver(after) {
        Some(app) if ignores(app, signal) => {
            let at = step.at.clone().map(Evidence::Span);
            forwarded_to_ignoring(program.name(), how, at, app, signal)
        }
        Some(app) => Cause::new(
            CauseKind::Handles(Handling::InitForwards {
                init: program.name(),
                to: app.program_name(),
                how,
            }),
            app.at.clone().map(Evidence::Span),
        ),
        None => unknown(LauncherUnseen::Script),
    }
}

/// The process an init's forwarded signal reaches: its child, or what the child execs into
/// (a shell string or script that execs, an exec wrapper such as gosu).
fn receiver(rest: &[Step]) -> Option<&Step> {
    let mut steps = rest.iter().peekable();
    while let Some(s) = steps.next() {
        let execs_away = match &s.kind {
            StepKind::ShellString { .. } | StepKind::Script { .. } => !s.stays_parent(),
            StepKind::Wrapper { program, .. } => program.role == Role::ExecWrapper,
            _ => false,
        };
        if !execs_away || steps.peek().is_none() {
            return Some(s);
        }
    }
    None
}

/// The step has the signal ignored (SIG_IGN).
fn ignores(step: &Step, signal: &str) -> bool {
    step.ignores.iter().any(|(s, _)| s == signal)
}

/// Whether the step's program installs its own handler for the signal (which replaces an
/// inherited SIG_IGN): a server or init that handles signals, an interpreter whose app (or
/// default) handles it, a binary whose call sites install one. A shell that stays does not.
/// `None` when it cannot be seen (a binary not read, an app not read).
fn installs_handler(step: &Step, signal: &str) -> Option<bool> {
    match &step.kind {
        StepKind::Wrapper { program, .. } => Some(
            matches!(program.role, Role::HandlesSignals | Role::Init)
                && program
                    .pid1
                    .as_ref()
                    .is_some_and(|k| k.stops_on_signal(signal)),
        ),
        StepKind::Interpreter { handler, .. } => match handler {
            Handler::Found(_) | Handler::Server(_) | Handler::Default => Some(true),
            Handler::NotFound { .. } => Some(false),
            Handler::SourceUnavailable(_) | Handler::Execs(_) => None,
        },
        StepKind::Program { .. } => {
            let facts = step.binary.as_ref()?.facts.as_ref().ok()?;
            match facts.signal_use(signal) {
                elf::SignalUse::Handles(_) => Some(true),
                elf::SignalUse::Others(_) => Some(false),
                _ => None,
            }
        }
        // Go's runtime installs its handler over an inherited SIG_IGN, except for SIGHUP
        // and SIGINT (runtime/signal_unix.go).
        StepKind::Built(b) => match (b.language, &b.handler) {
            (_, Some(_)) => Some(true),
            (Language::Go, None) => Some(!matches!(signal, "SIGHUP" | "SIGINT")),
            (Language::DotNet, None) => b.dotnet_runtime_handles(signal),
            (l, None) if l.runtime_program().is_some() => l
                .runtime_program()
                .and_then(programs::by_name)
                .and_then(|p| p.pid1.as_ref())
                .map(|k| k.stops_on_signal(signal)),
            _ if b.incomplete.is_none() => Some(false),
            _ => None,
        },
        StepKind::ShellString { .. } | StepKind::Script { .. } => Some(false),
        StepKind::Unknown { .. } => None,
    }
}

/// `java -Xrs` (before the main class or `-jar`), or -Xrs in JAVA_TOOL_OPTIONS /
/// JDK_JAVA_OPTIONS, which the JVM and its launcher read: where it was set.
fn jvm_reduced_signals(step: &Step, p: &Program, c: &Container) -> Option<String> {
    if p.name() != "java" {
        return None;
    }
    if crate::knowledge::jvm_xrs(&step.words()) {
        return Some("-Xrs".into());
    }
    ["JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS"]
        .iter()
        .find_map(|var| {
            let value = c.env_value(var)?;
            value
                .split_whitespace()
                .any(|w| w == "-Xrs")
                .then(|| format!("-Xrs in {var}"))
        })
}

/// `su`, `sudo`, `runuser`: they stay the parent; what they pass on is their entry's.
fn user_switch(
    step: &Step,
    next: Option<(usize, &Step)>,
    name: &str,
    p: &'static Program,
    signal: &str,
    out: &mut Vec<Cause>,
) {
    let outcome = match (&p.pid1, next) {
        (None, _) => Forwarding::Unknown("initlint has no facts for it".into()),
        // `su -c` runs a shell, and whether it execs decides.
        (
            Some(_),
            Some((
                _,
                Step {
                    kind: StepKind::Unknown { why },
                    ..
                },
            )),
        ) => Forwarding::Unknown(why.clone()),
        (Some(k), _) if !k.stops_on_signal(signal) => Forwarding::NotCaught,
        (Some(_), Some((i, n))) if n.stays_parent() => Forwarding::ToStayingParent {
            child: n.display_name(),
            step: i,
        },
        (Some(_), n) => Forwarding::ToChild {
            to: n.map_or("its shell".into(), |(_, n)| n.display_name()),
        },
    };
    let evidence = match &outcome {
        Forwarding::ToStayingParent { step, .. } => next
            .filter(|(i, _)| i == step)
            .and_then(|(_, n)| n.at.clone())
            .map(Evidence::Span),
        _ => step.at.clone().map(Evidence::Span),
    };
    out.push(Cause::new(
        CauseKind::UserSwitch {
            name: name.to_string(),
            program: p,
            outcome,
        },
        evidence,
    ));
    if let Some(k) = &p.pid1 {
        out.push(reaping(p, k));
    }
}

/// tini -s / TINI_SUBREAPER: registered as a subreaper, it reaps without being PID 1.
fn subreaper(step: &Step, p: &Program, c: &Container) -> bool {
    p.name() == "tini"
        && (step.argv.iter().skip(1).any(|a| a.text.value == "-s")
            || c.env_value("TINI_SUBREAPER").is_some())
}

/// dumb-init's `-r s:d` / `--rewrite s:d`: the signal the child gets instead of `signal`.
fn rewritten(step: &Step, signal: &str) -> Option<String> {
    let num = crate::knowledge::signals::number(signal)?;
    let args: Vec<&str> = step.words();
    args.iter().enumerate().find_map(|(i, a)| {
        let value = match *a {
            "-r" | "--rewrite" => args.get(i + 1).copied(),
            a => a.strip_prefix("--rewrite="),
        };
        let (from, to) = value?.split_once(':')?;
        (from.trim().parse::<i32>().ok() == Some(num)).then(|| to.trim().to_string())
    })
}

/// What the step's program does with the signal and with orphans when it is PID 1.
fn behaviour(step: &Step, c: &Container, signal: &str, out: &mut Vec<Cause>) {
    let at = step.at.clone().map(Evidence::Span);
    match &step.kind {
        StepKind::ShellString { shell, .. } => out.push(Cause::new(
            CauseKind::Reaps(Reaping::Shell {
                name: shell.name().to_string(),
            }),
            None,
        )),
        StepKind::Script { .. } => out.push(Cause::new(
            CauseKind::Reaps(Reaping::Shell {
                name: "the shell running the script".into(),
            }),
            None,
        )),
        StepKind::Wrapper { name, program, .. } => match jvm_reduced_signals(step, program, c) {
            Some(option) if matches!(signal, "SIGTERM" | "SIGINT" | "SIGHUP") => {
                out.push(Cause::new(
                    CauseKind::NoHandler {
                        program: name.clone(),
                        seen: Seen::Option {
                            program: name.clone(),
                            option,
                            why: "-Xrs makes the JVM install no handler for SIGTERM, SIGINT or SIGHUP (its shutdown hooks then run only on a normal exit); as PID 1 the kernel drops them (measured: openjdk 17 as PID 1 ignored SIGTERM with -Xrs and ran its hooks and exited without)",
                        },
                    },
                    at,
                ));
                if let Some(k) = &program.pid1 {
                    out.push(reaping(program, k));
                }
            }
            _ => wrapper(step, name, program, signal, out),
        },
        StepKind::Interpreter {
            interpreter,
            app,
            handler,
        } => interpreted(step, interpreter, app, handler, out),
        StepKind::Program { path, why } => match &step.binary {
            Some(b) => binary(b, signal, out),
            None => out.push(Cause::new(
                CauseKind::Unseen(Unseen::NoBinary {
                    path: path.clone(),
                    why: why.clone(),
                }),
                at,
            )),
        },
        StepKind::Built(b) => built(b, signal, out),
        StepKind::Unknown { why } => {
            out.push(Cause::new(CauseKind::Unseen(Unseen::Step(why.clone())), at))
        }
    }
}

/// A program a build stage compiles: what its sources show, as its binary would.
fn built(b: &Built, signal: &str, out: &mut Vec<Cause>) {
    if let Some(runtime) = b.language.runtime_program().and_then(programs::by_name) {
        let how = Recognised::Built(match b.language {
            Language::Elixir => format!(
                "{} is the start script `mix release` writes in {}: with `start` it execs the release's Erlang runtime (elixir, erl, erlexec, each by exec), so the BEAM is PID 1",
                b.path, b.stage
            ),
            _ => format!(
                "{} is the start script Gradle's installDist writes in {}: a POSIX sh script whose last line execs java (`exec \"$JAVACMD\" \"$@\"`), so the JVM is PID 1",
                b.path, b.stage
            ),
        });
        return knowledge(runtime, how, signal, out);
    }
    let path = b.path.clone();
    let at = |h: &SourceHit| Some(Evidence::Span(h.span.clone()));
    let build = Some(Evidence::Span(b.build.clone()));
    let dotnet = (b.language == Language::DotNet && b.handler.is_none())
        .then(|| b.dotnet_runtime_handles(signal));
    let unread = match (&b.incomplete, b.files) {
        (Some(why), _) => Some(format!("not all of its sources were read: {why}")),
        (None, 0) => Some(format!(
            "{} copies no {} source file from the build context that initlint could read",
            b.stage,
            b.language.name()
        )),
        (None, _) => None,
    };
    // .NET without a handler in its sources: the runtime's version decides.
    let unread = match (unread, dotnet) {
        (None, Some(None)) => Some(dotnet_unsure(b, signal)),
        (unread, _) => unread,
    };
    out.push(match (&b.handler, b.language, &unread) {
        (Some(h), ..) => Cause::new(
            CauseKind::Handles(Handling::Source {
                path: path.clone(),
                hit: h.clone(),
            }),
            at(h),
        ),
        (None, Language::DotNet, None) if dotnet == Some(Some(true)) => Cause::new(
            CauseKind::Handles(Handling::DotNetRuntime {
                path: path.clone(),
                stage: b.stage.clone(),
                framework: b.framework_names(),
            }),
            b.frameworks.first().and_then(at).or(build.clone()),
        ),
        (None, Language::Go, _) => Cause::new(
            CauseKind::Handles(Handling::GoBuilt {
                path: path.clone(),
                stage: b.stage.clone(),
            }),
            build.clone(),
        ),
        (None, _, None) => Cause::new(
            CauseKind::NoHandler {
                program: path.clone(),
                seen: Seen::Sources {
                    path: path.clone(),
                    language: b.language,
                    stage: b.stage.clone(),
                    files: b.files,
                    frameworks: b.framework_names(),
                },
            },
            build.clone(),
        ),
        (None, _, Some(why)) => Cause::new(
            CauseKind::Unseen(Unseen::Sources {
                path: path.clone(),
                why: why.clone(),
            }),
            build.clone(),
        ),
    });
    out.push(match (&b.reaper, b.language, unread) {
        (Some(h), ..) => Cause::new(
            CauseKind::Reaps(Reaping::Source {
                path,
                hit: h.clone(),
            }),
            at(h),
        ),
        (None, Language::Go, _) => {
            Cause::new(CauseKind::NoReaper(NoReaper::GoRuntime { path }), build)
        }
        (None, _, None) => Cause::new(
            CauseKind::NoReaper(NoReaper::Sources {
                path,
                stage: b.stage.clone(),
                files: b.files,
            }),
            build,
        ),
        (None, _, Some(why)) => Cause::new(
            CauseKind::ReapingUnseen(ReapingUnseen::Sources { path, why }),
            build,
        ),
    });
}

/// Why a .NET program's handling is not known although its sources were read.
fn dotnet_unsure(b: &Built, signal: &str) -> String {
    let names = b.framework_names();
    match b.frameworks.as_slice() {
        [] => format!("none of its sources registers a {signal} handler (a host builder or PosixSignalRegistration), and no project file naming its <TargetFramework> was read: before .NET 10 the runtime handles SIGTERM by itself, from .NET 10 on it does not"),
        _ if signal != "SIGTERM" => format!("none of its sources registers a {signal} handler, and what the .NET runtime ({names}) does with {signal} by itself was not established"),
        _ => format!("none of its sources registers a {signal} handler, and its project files name target frameworks on both sides of .NET 10 ({names}), where the runtime stopped handling SIGTERM by itself"),
    }
}

fn wrapper(step: &Step, name: &str, p: &'static Program, signal: &str, out: &mut Vec<Cause>) {
    let how = recognised(step, name);
    if p.multicall {
        let words = step.words();
        let applet = programs::applet(p, &words).unwrap_or_default().to_string();
        let how = Recognised::Applet {
            binary: p.name(),
            applet: applet.clone(),
            how: Box::new(how),
        };
        match programs::by_name(&applet).filter(|a| a.pid1.is_some()) {
            Some(a) => knowledge(a, how, signal, out),
            None => out.push(Cause::new(
                CauseKind::Unseen(Unseen::Applet {
                    binary: p.name(),
                    applet,
                    how,
                }),
                None,
            )),
        }
        return;
    }
    match (&p.pid1, p.role) {
        // A forwarding init's and a user switch's causes are their launching ones.
        (Some(k), Role::Init) if k.forwards => {}
        (_, Role::ForkingUserSwitch) => {}
        (Some(_), _) => knowledge(p, how, signal, out),
        (None, Role::Launcher) => {}
        (None, _) => out.push(Cause::new(
            CauseKind::Unseen(Unseen::Note {
                name: name.to_string(),
                note: p.note,
            }),
            None,
        )),
    }
}

/// A program the knowledge base describes as PID 1.
fn knowledge(p: &'static Program, how: Recognised, signal: &str, out: &mut Vec<Cause>) {
    let Some(k) = &p.pid1 else { return };
    let evidence = Some(Evidence::Knowledge(p.name().into()));
    let kind = if k.stops_on_signal(signal) {
        CauseKind::Handles(Handling::Knowledge {
            name: p.name(),
            pid1: k,
            how,
        })
    } else if k.stops_on.is_empty() {
        CauseKind::NoHandler {
            program: p.name().to_string(),
            seen: Seen::Knowledge { program: p, how },
        }
    } else {
        CauseKind::StopsOnOther { program: p, how }
    };
    out.push(Cause::new(kind, evidence));
    out.push(reaping(p, k));
}

/// Whether a known program reaps orphans, as its entry says.
fn reaping(p: &'static Program, k: &Pid1) -> Cause {
    let kind = match k.reaps {
        Reaps::Yes => CauseKind::Reaps(Reaping::Knowledge { name: p.name() }),
        Reaps::No => CauseKind::NoReaper(NoReaper::Knowledge { name: p.name() }),
    };
    Cause::new(kind, Some(Evidence::Knowledge(p.name().into())))
}

fn interpreted(
    step: &Step,
    int: &'static Interpreter,
    app: &Option<String>,
    handler: &Handler,
    out: &mut Vec<Cause>,
) {
    let language = int.language;
    let ignored = |searched| CauseKind::DefaultIgnored {
        interpreter: int,
        program: step.program_name(),
        app: app.clone(),
        searched,
    };
    let kind = match handler {
        Handler::Default => CauseKind::Handles(Handling::InterpreterDefault { language }),
        Handler::Found(p) => CauseKind::Handles(Handling::AppHandler { pattern: p.clone() }),
        Handler::Server(s) => CauseKind::Handles(Handling::Server { name: s.clone() }),
        Handler::NotFound { source } => ignored(Searched::NotFound(source.clone())),
        Handler::SourceUnavailable(why) => ignored(Searched::Unreadable(why.clone())),
        // The exec'd program is the next step and decides; this one does only if it is not.
        Handler::Execs(p) => CauseKind::Unseen(Unseen::ExecNotFollowed { program: p.clone() }),
    };
    let evidence = Some(Evidence::Knowledge(language.to_string()));
    out.push(Cause::new(kind, evidence.clone()));
    out.push(Cause::new(
        CauseKind::NoReaper(NoReaper::Interpreter { language }),
        evidence,
    ));
}

fn binary(b: &Binary, signal: &str, out: &mut Vec<Cause>) {
    let path = b.path.clone();
    let f = match &b.facts {
        Ok(f) => f,
        Err(e) => {
            out.push(Cause::new(
                CauseKind::Unseen(Unseen::NotInspected {
                    path,
                    error: e.clone(),
                }),
                None,
            ));
            return;
        }
    };
    if let Some(go) = &f.go {
        let section = Some(Evidence::Section {
            path: path.clone(),
            name: ".go.buildinfo".into(),
        });
        let version = go
            .version
            .clone()
            .unwrap_or_else(|| "unknown version".into());
        out.push(Cause::new(
            CauseKind::Handles(Handling::GoRuntime {
                path: path.clone(),
                version,
                notify: go.notify,
            }),
            section.clone(),
        ));
        out.push(Cause::new(
            CauseKind::NoReaper(NoReaper::GoRuntime { path }),
            section,
        ));
        return;
    }
    out.push(signal_use(&path, f, signal));
    out.push(wait_use(&path, f));
}

/// What the binary's call sites (or, without them, its imports) say about the stop signal.
fn signal_use(path: &str, f: &ElfFacts, signal: &str) -> Cause {
    let path = path.to_string();
    let call = |site: &CallSite| Some(call_evidence(&path, site));
    let section = |name: &str| {
        Some(Evidence::Section {
            path: path.clone(),
            name: name.into(),
        })
    };
    let (kind, evidence) = match f.signal_use(signal) {
        elf::SignalUse::Handles(site) => (
            CauseKind::Handles(Handling::CallSite {
                path: path.clone(),
                site: site.clone(),
            }),
            call(site),
        ),
        elf::SignalUse::Computed(site) => (
            CauseKind::Unseen(Unseen::Computed {
                path: path.clone(),
                site: site.clone(),
            }),
            call(site),
        ),
        elf::SignalUse::Collects(what) => (
            CauseKind::Unseen(Unseen::Collects {
                path: path.clone(),
                what,
            }),
            None,
        ),
        elf::SignalUse::Imports(i) => (
            CauseKind::Handles(Handling::Imports {
                path: path.clone(),
                import: i.clone(),
            }),
            Some(symbol_evidence(&path, i)),
        ),
        elf::SignalUse::Others(others) => (
            CauseKind::NoHandler {
                program: path.clone(),
                seen: Seen::Binary {
                    path: path.clone(),
                    kind: f.kind(),
                    others,
                    calls_read: f.calls.is_some(),
                },
            },
            section(if f.calls.is_some() {
                ".text"
            } else {
                ".dynsym"
            }),
        ),
        elf::SignalUse::Invisible => (
            CauseKind::Unseen(Unseen::Stripped { path: path.clone() }),
            section(".symtab (absent)"),
        ),
    };
    Cause::new(kind, evidence)
}

/// Whether the binary waits for children it did not start.
fn wait_use(path: &str, f: &ElfFacts) -> Cause {
    let path = path.to_string();
    let (kind, evidence) = match f.wait_use() {
        elf::WaitUse::Any(site) => (
            CauseKind::Reaps(Reaping::CallSite {
                path: path.clone(),
                site: site.clone(),
            }),
            Some(call_evidence(&path, site)),
        ),
        elf::WaitUse::Imports(i) => (
            CauseKind::ReapingUnseen(ReapingUnseen::Imports {
                path: path.clone(),
                import: i.clone(),
            }),
            Some(symbol_evidence(&path, i)),
        ),
        elf::WaitUse::SigchldSet(site) => (
            CauseKind::ReapingUnseen(ReapingUnseen::SigchldSet {
                path: path.clone(),
                site: site.clone(),
            }),
            Some(call_evidence(&path, site)),
        ),
        elf::WaitUse::OwnOnly(sites) => {
            let evidence = match sites.first() {
                Some(s) => call_evidence(&path, s),
                None => Evidence::Section {
                    path: path.clone(),
                    name: if f.calls.is_some() {
                        ".text"
                    } else {
                        ".dynsym"
                    }
                    .into(),
                },
            };
            (
                CauseKind::NoReaper(NoReaper::Binary {
                    path: path.clone(),
                    waits: sites.into_iter().cloned().collect(),
                    spawn: f.imports_any(elf::SPAWN_FNS).first().map(|i| (*i).clone()),
                    calls_read: f.calls.is_some(),
                }),
                Some(evidence),
            )
        }
        elf::WaitUse::Invisible => (
            CauseKind::ReapingUnseen(ReapingUnseen::Stripped { path: path.clone() }),
            None,
        ),
    };
    Cause::new(kind, evidence)
}

fn call_evidence(path: &str, site: &CallSite) -> Evidence {
    Evidence::CallSite {
        path: path.to_string(),
        site: site.clone(),
    }
}

fn symbol_evidence(path: &str, i: &Import) -> Evidence {
    Evidence::Symbol {
        path: path.to_string(),
        name: i.name.clone(),
        version: i.version.clone(),
    }
}

/// How the program was recognised: ELF evidence, or its name.
fn recognised(step: &Step, name: &str) -> Recognised {
    if let StepKind::Wrapper { how: Some(how), .. } = &step.kind {
        return Recognised::Built(how.clone());
    }
    match step.binary.as_ref().and_then(|b| b.identified.as_ref()) {
        Some((_, why)) => Recognised::Evidence(why.clone()),
        None => Recognised::Name(name.to_string()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    //! What each kind of PID 1 step is found to do with the stop signal and with orphans.

    use super::super::testing::{chain, container};
    use super::*;

    /// The stop-signal and zombie outcomes of the chain's PID 1 step, in cause order.
    fn pid1_outcomes(c: &Container) -> (Option<SignalFate>, Option<Zombies>, Vec<String>) {
        let chain = chain(c);
        let step = chain.pid1().unwrap();
        let kinds = step
            .causes
            .iter()
            .map(|c| {
                format!("{:?}", c.kind)
                    .split([' ', '(', '{'])
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .collect();
        (
            step.causes.iter().find_map(|c| c.kind.signal()),
            step.causes.iter().find_map(|c| c.kind.zombies()),
            kinds,
        )
    }

    #[test]
    fn a_shell_that_stays_ignores_the_signal_and_reaps_while_it_waits() {
        let c = container(
            ShellKind::Dash,
            &[],
            &["/bin/sh", "-c", "/app/server"],
            "/",
            &[],
        );
        let (signal, zombies, kinds) = pid1_outcomes(&c);
        assert_eq!(signal, Some(SignalFate::Ignored), "{kinds:?}");
        assert_eq!(zombies, Some(Zombies::Reaped), "{kinds:?}");
        assert!(kinds.contains(&"ShellStays".to_string()), "{kinds:?}");
    }

    #[test]
    fn a_script_without_exec_stays_with_no_trap() {
        let files = [("/run.sh", "#!/bin/sh\n/app/server\n")];
        let c = container(ShellKind::Dash, &["/run.sh"], &[], "/", &files);
        let (signal, _, kinds) = pid1_outcomes(&c);
        assert_eq!(signal, Some(SignalFate::Ignored));
        assert!(kinds.contains(&"ScriptStays".to_string()), "{kinds:?}");
    }

    #[test]
    fn a_trap_behind_a_background_job_and_wait_forwards() {
        let script =
            "#!/bin/sh\n/app/server &\npid=$!\ntrap 'kill -TERM $pid; wait $pid' TERM\nwait $pid\n";
        let c = container(
            ShellKind::Dash,
            &["/run.sh"],
            &[],
            "/",
            &[("/run.sh", script)],
        );
        let (signal, _, kinds) = pid1_outcomes(&c);
        assert_eq!(signal, Some(SignalFate::Delivered), "{kinds:?}");
        assert!(kinds.contains(&"TrapRuns".to_string()), "{kinds:?}");
    }

    #[test]
    fn known_programs_decide_by_their_knowledge_entry() {
        // tini forwards and reaps; `sleep` has no handler.
        let c = container(ShellKind::Dash, &["tini", "--"], &["/app/server"], "/", &[]);
        let (_, zombies, kinds) = pid1_outcomes(&c);
        assert_eq!(zombies, Some(Zombies::Reaped), "{kinds:?}");
        let c = container(ShellKind::Dash, &[], &["sleep", "infinity"], "/", &[]);
        let (signal, _, kinds) = pid1_outcomes(&c);
        assert_eq!(signal, Some(SignalFate::Ignored), "{kinds:?}");
        assert!(kinds.contains(&"NoHandler".to_string()), "{kinds:?}");
    }

    #[test]
    fn an_init_forwarding_to_an_ignored_signal_is_ignored() {
        let string = "trap '' TERM; sleep 1000";
        let c = container(
            ShellKind::BusyboxAsh,
            &["tini", "--"],
            &["/bin/sh", "-c", string],
            "/",
            &[],
        );
        let (signal, _, kinds) = pid1_outcomes(&c);
        assert_eq!(signal, Some(SignalFate::Ignored), "{kinds:?}");
        assert!(kinds.contains(&"SignalIgnored".to_string()), "{kinds:?}");
        // Without the trap, busybox execs sleep, which dies of the forwarded signal.
        let c = container(
            ShellKind::BusyboxAsh,
            &["tini", "--"],
            &["/bin/sh", "-c", "sleep 1000"],
            "/",
            &[],
        );
        assert_eq!(pid1_outcomes(&c).0, Some(SignalFate::Delivered));
        // A program initlint cannot see: whether it installs a handler is unknown.
        let c = container(
            ShellKind::Dash,
            &["tini", "--"],
            &["/bin/sh", "-c", "trap '' TERM; exec /app/x"],
            "/",
            &[],
        );
        assert_eq!(pid1_outcomes(&c).0, Some(SignalFate::Unknown));
    }

    #[test]
    fn python_without_a_handler_ignores_and_leaks_with_one_delivers() {
        let idle = [(
            "/app/main.py",
            "import time\nwhile True:\n    time.sleep(1)\n",
        )];
        let c = container(
            ShellKind::Dash,
            &[],
            &["python3", "/app/main.py"],
            "/",
            &idle,
        );
        let (signal, zombies, kinds) = pid1_outcomes(&c);
        assert_eq!(signal, Some(SignalFate::Ignored), "{kinds:?}");
        assert_eq!(zombies, Some(Zombies::MayLeak), "{kinds:?}");
        let handled = [(
            "/app/main.py",
            "import signal, sys\nsignal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n",
        )];
        let c = container(
            ShellKind::Dash,
            &[],
            &["python3", "/app/main.py"],
            "/",
            &handled,
        );
        assert_eq!(pid1_outcomes(&c).0, Some(SignalFate::Delivered));
    }
}
