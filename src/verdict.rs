//! The verdict for the container as a whole: does the stop signal reach a process that acts on
//! it, and are orphans reaped? Each answer comes with its reasons and their evidence (a span,
//! an imported symbol, an ELF section, a knowledge-base entry).

use crate::elf::{self, ElfFacts, Libc};
use crate::knowledge::{self, programs, Pid1, Program, Reaps, Role};
use crate::launch::{Binary, Chain, Handler, Step, StepKind};
use crate::model::Container;
use crate::shell::{ExecOutcome, Terminal};
use crate::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
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

impl StopSignal {
    pub fn as_str(self) -> &'static str {
        match self {
            StopSignal::Delivered => "delivered",
            StopSignal::Ignored => "ignored",
            StopSignal::Abrupt => "abrupt",
            StopSignal::Unknown => "unknown",
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

/// What a reason rests on.
#[derive(Debug, Clone)]
pub enum Evidence {
    Span(Span),
    /// An imported dynamic symbol: `sigaction@GLIBC_2.2.5` in `/app/server`.
    Symbol {
        path: String,
        name: String,
        version: Option<String>,
    },
    /// An ELF section (or its absence, said in the reason's text).
    Section {
        path: String,
        name: String,
    },
    /// An entry of initlint's knowledge base, by name.
    Knowledge(String),
    /// A call instruction in the binary and the constant first argument before it.
    CallSite {
        path: String,
        site: elf::CallSite,
    },
}

#[derive(Debug, Clone)]
pub struct Reason {
    pub text: String,
    pub evidence: Option<Evidence>,
}

#[derive(Debug, Clone)]
pub struct Verdict {
    pub signal: String,
    pub stop_signal: StopSignal,
    pub zombies: Zombies,
    /// The process that is PID 1 while the application runs.
    pub pid1: String,
    pub reasons: Vec<Reason>,
    pub zombie_reasons: Vec<Reason>,
}

fn reason(text: impl Into<String>, evidence: Option<Evidence>) -> Reason {
    Reason {
        text: text.into(),
        evidence,
    }
}

fn program_name(step: &Step) -> String {
    step.argv
        .first()
        .map(|a| a.text.value.clone())
        .unwrap_or_else(|| "?".into())
}

pub fn judge(c: &Container, chain: &Chain) -> Verdict {
    let signal = c.stop_signal_name();
    let mut v = Verdict {
        signal: signal.clone(),
        stop_signal: StopSignal::Unknown,
        zombies: Zombies::Unknown,
        pid1: "none".into(),
        reasons: Vec::new(),
        zombie_reasons: Vec::new(),
    };
    let Some(i) = chain.steps.iter().rposition(|s| s.pid1) else {
        v.reasons
            .push(reason("there is no ENTRYPOINT or CMD to run", None));
        return v;
    };
    // Only a problem on the way to PID 1 stops the container from starting; a child that
    // cannot run does not change what PID 1 does with the signal.
    if let Some(p) = chain
        .steps
        .iter()
        .filter(|s| s.pid1)
        .find_map(|s| s.problems.first())
    {
        v.pid1 = program_name(&chain.steps[i]);
        v.reasons.push(reason(
            format!(
                "the container cannot start ({}), so there is no PID 1 to signal",
                p.message
            ),
            p.at.clone().map(Evidence::Span),
        ));
        return v;
    }
    let step = &chain.steps[i];
    let next = chain.steps.get(i + 1);
    v.pid1 = describe(step);
    match &step.kind {
        StepKind::ShellString { shell, outcome, .. } => {
            if let ExecOutcome::Stays(why) = outcome {
                v.stop_signal = StopSignal::Ignored;
                v.reasons.push(reason(
                    format!("{} stays PID 1 ({why}) and has no handler for {signal}: the kernel drops it", shell.name()),
                    step.at.clone().map(Evidence::Span),
                ));
            }
            shell_reaps(&mut v, shell.name());
        }
        StepKind::Script { path, analysis, .. } => {
            script(&mut v, path, analysis, next);
            shell_reaps(&mut v, "the shell running the script");
        }
        StepKind::Wrapper { name, program } => wrapper(&mut v, step, next, name, program),
        StepKind::Interpreter {
            interpreter,
            handler,
            ..
        } => {
            let lang = interpreter.language;
            let (verdict, text) = match handler {
                Handler::Default => (
                    StopSignal::Delivered,
                    format!("{lang} acts on {signal} by default as PID 1 (measured)"),
                ),
                Handler::Found(p) => (
                    StopSignal::Delivered,
                    format!("the app installs a {signal} handler ({p})"),
                ),
                Handler::Server(s) => (
                    StopSignal::Delivered,
                    format!("{s} installs its own signal handlers"),
                ),
                Handler::NotFound { source } => (
                    StopSignal::Ignored,
                    format!("{lang} ignores {signal} as PID 1 unless the app installs a handler, and {source} has none"),
                ),
                // The app may install a handler initlint cannot see: say what to check.
                Handler::SourceUnavailable(why) => (
                    StopSignal::Unknown,
                    format!("{lang} ignores {signal} as PID 1 unless the app installs a handler, and the app's code could not be read to check: {why}"),
                ),
                // The exec'd program is the next step and decides; reached only if it is not.
                Handler::Execs(p) => (
                    StopSignal::Unknown,
                    format!("the app replaces itself with {p}, which could not be followed"),
                ),
            };
            v.stop_signal = verdict;
            v.reasons
                .push(reason(text, Some(Evidence::Knowledge(lang.to_string()))));
            v.zombies = Zombies::MayLeak;
            v.zombie_reasons.push(reason(
                format!("{lang} waits only for the children the app starts itself: orphans re-parented to it, from `docker exec` sessions, timed-out health checks or double-forking daemons, stay zombies (measured with python 3.11 as PID 1)"),
                Some(Evidence::Knowledge(lang.to_string())),
            ));
        }
        StepKind::Program { path, why } => match &step.binary {
            Some(b) => binary(&mut v, b),
            None => {
                v.reasons.push(reason(
                    format!("{path}: {why}; without the binary nothing can be said (lint the built image)"),
                    step.at.clone().map(Evidence::Span),
                ));
            }
        },
        StepKind::Unknown { why } => v
            .reasons
            .push(reason(why.clone(), step.at.clone().map(Evidence::Span))),
    }
    v
}

/// A script that stays PID 1: only a trap acts on the signal, and only when the shell is not
/// waiting for a foreground command (measured: the trap waits; behind `& wait` it runs).
fn script(v: &mut Verdict, path: &str, analysis: &crate::shell::Analysis, next: Option<&Step>) {
    let signal = v.signal.clone();
    let at = next.and_then(|n| n.at.clone()).map(Evidence::Span);
    let trap = analysis
        .traps
        .iter()
        .find(|t| t.signals.iter().any(|s| s == &signal));
    let background = matches!(analysis.terminal, Some(Terminal::BackgroundWait { .. }));
    let (verdict, text) = match trap {
        None => (
            StopSignal::Ignored,
            format!("{path} stays PID 1 without exec and has no trap for {signal}: the kernel drops it"),
        ),
        Some(_) if !background => (
            StopSignal::Ignored,
            format!("{path} stays PID 1 and traps {signal}, but a shell runs traps only after the foreground command returns: nothing happens until SIGKILL (measured)"),
        ),
        Some(t) if t.runs.contains("kill") => (
            StopSignal::Delivered,
            format!("{path} waits for the application in the background, so its {signal} trap runs at once and forwards the signal (`{}`; measured)", t.action),
        ),
        Some(t) if t.runs.contains("exit") => (
            StopSignal::Abrupt,
            format!("{path}'s {signal} trap runs at once but only exits (`{}`): PID 1 ends and the kernel SIGKILLs the application, which never sees the signal", t.action),
        ),
        Some(t) => (
            StopSignal::Unknown,
            format!("{path}'s {signal} trap runs at once; whether `{}` forwards the signal is not followed", t.action),
        ),
    };
    v.stop_signal = verdict;
    let evidence = trap.and_then(|_| at.clone()).or(at);
    v.reasons.push(reason(text, evidence));
}

/// A program the knowledge base describes.
fn by_knowledge(v: &mut Verdict, name: &str, b: &Pid1, how: String) {
    let signal = v.signal.clone();
    let handles = b.stops_on_signal(&signal);
    v.stop_signal = if handles {
        StopSignal::Delivered
    } else {
        StopSignal::Ignored
    };
    let graceful = b
        .graceful
        .filter(|g| *g != signal)
        .map(|g| format!("; its graceful stop signal is {g}"))
        .unwrap_or_default();
    v.reasons.push(reason(
        format!(
            "{} {} on {signal}{graceful}: {} ({how})",
            name,
            if handles { "stops" } else { "does not stop" },
            b.note
        ),
        Some(Evidence::Knowledge(name.to_string())),
    ));
    let (z, text) = match b.reaps {
        Reaps::Yes => (Zombies::Reaped, format!("{} waits for any child", name)),
        Reaps::No => (
            Zombies::MayLeak,
            format!(
                "{} does not wait for children it did not start: orphans re-parented to PID 1 (from `docker exec`, health checks, double-forking daemons) stay zombies",
                name
            ),
        ),
    };
    v.zombies = z;
    v.zombie_reasons
        .push(reason(text, Some(Evidence::Knowledge(name.to_string()))));
}

fn shell_reaps(v: &mut Verdict, shell: &str) {
    v.zombies = Zombies::Reaped;
    v.zombie_reasons.push(reason(
        format!("{shell} waits for any child while its command runs, which reaps orphans"),
        None,
    ));
}

fn describe(step: &Step) -> String {
    let name = program_name(step);
    match &step.kind {
        StepKind::ShellString { shell, .. } => format!("{name} ({})", shell.name()),
        StepKind::Interpreter { interpreter, .. } => {
            format!("{name} ({})", interpreter.language)
        }
        _ => match step.binary.as_ref().map(|b| &b.facts) {
            Some(Ok(f)) => format!("{name} ({})", elf_kind(f)),
            _ => name,
        },
    }
}

pub fn elf_kind(f: &ElfFacts) -> String {
    if let Some(go) = &f.go {
        return format!("Go {}", go.version.clone().unwrap_or_default())
            .trim_end()
            .to_string();
    }
    let lang = if f.rust { "Rust, " } else { "" };
    let libc = match f.libc {
        Libc::Glibc => "dynamic, glibc",
        Libc::Musl => "dynamic, musl",
        Libc::Static => "static",
        Libc::Unknown => "dynamic",
    };
    format!("{lang}ELF {libc}")
}

fn wrapper(v: &mut Verdict, step: &Step, next: Option<&Step>, name: &str, p: &Program) {
    let signal = v.signal.clone();
    let identified = identified_by(step, name);
    if p.multicall {
        return applet(v, step, p, identified);
    }
    match (p.role, &p.pid1) {
        (Role::Init, Some(known)) if known.forwards => {
            v.zombies = Zombies::Reaped;
            v.zombie_reasons.push(reason(
                format!("{} is PID 1 and reaps every child ({identified})", p.name()),
                Some(Evidence::Knowledge(p.name().into())),
            ));
            if let Some(to) = rewritten(step, &signal) {
                if to == "0" {
                    v.stop_signal = StopSignal::Ignored;
                    v.reasons.push(reason(
                        format!("dumb-init rewrites {signal} to 0: it is dropped"),
                        step.at.clone().map(Evidence::Span),
                    ));
                    return;
                }
            }
            match next {
                Some(n) if stays_parent(n) => {
                    let what = match &n.kind {
                        StepKind::ShellString { shell, .. } => shell.name().to_string(),
                        StepKind::Script { path, .. } => path.clone(),
                        _ => program_name(n),
                    };
                    // Measured for tini (also -g) and dumb-init (which signals the whole
                    // group): each exits as soon as its own child does, so the application
                    // is SIGKILLed whether or not it got the signal too.
                    v.stop_signal = StopSignal::Abrupt;
                    v.reasons.push(reason(
                        format!("{} forwards {signal} to {what}, which stays the parent of the application: not being PID 1 and having no handler, it dies of it at once, {} exits with it, and the kernel SIGKILLs the application before it can shut down (measured)", p.name(), p.name()),
                        n.at.clone().map(Evidence::Span),
                    ));
                }
                Some(_) => {
                    v.stop_signal = StopSignal::Delivered;
                    v.reasons.push(reason(
                        format!(
                            "{} forwards {signal} to {}; the child is not PID 1, so the signal's default action (terminate) applies unless it installs a handler ({identified})",
                            p.name(),
                            next.map(program_name).unwrap_or_default()
                        ),
                        Some(Evidence::Knowledge(p.name().into())),
                    ));
                }
                None => {
                    v.reasons
                        .push(reason(format!("{} has no command to run", p.name()), None));
                }
            }
        }
        (_, Some(known)) => by_knowledge(v, p.name(), known, identified),
        (Role::ForkingUserSwitch, _) => {
            v.stop_signal = StopSignal::Ignored;
            v.reasons.push(reason(
                format!(
                    "{name} stays PID 1 as the parent of the command and does not pass {signal} on"
                ),
                step.at.clone().map(Evidence::Span),
            ));
        }
        (Role::Launcher, _) => {
            v.reasons.push(reason(
                format!("{name} is PID 1 and runs the app as a child; whether it forwards {signal} depends on its version"),
                step.at.clone().map(Evidence::Span),
            ));
        }
        _ => {
            v.reasons.push(reason(format!("{name}: {}", p.note), None));
        }
    }
}

/// A multi-call binary (busybox): the applet it runs decides.
fn applet(v: &mut Verdict, step: &Step, p: &Program, identified: String) {
    let words = step.words();
    let applet = programs::applet(p, &words).unwrap_or_default();
    match programs::by_name(applet).and_then(|a| a.pid1.as_ref().map(|k| (a, k))) {
        Some((a, known)) => by_knowledge(
            v,
            a.name(),
            known,
            format!("the {} applet {applet}; {identified}", p.name()),
        ),
        None => v.reasons.push(reason(
            format!(
                "{} runs the applet `{applet}`, which initlint has no facts for ({identified})",
                p.name()
            ),
            None,
        )),
    }
}

/// A shell string or script that stays the parent of the program it runs.
pub fn stays_parent(step: &Step) -> bool {
    match &step.kind {
        StepKind::ShellString { outcome, .. } => matches!(outcome, ExecOutcome::Stays(_)),
        StepKind::Script { stays, .. } => *stays,
        _ => false,
    }
}

/// How the program was recognised: ELF evidence, or its name.
fn identified_by(step: &Step, name: &str) -> String {
    match step.binary.as_ref().and_then(|b| b.identified.as_ref()) {
        Some((_, why)) => format!("recognised by ELF evidence: {why}"),
        None => format!("recognised by its name, {name}"),
    }
}

/// dumb-init's `-r s:d` / `--rewrite s:d`: the signal the child gets instead of `signal`.
pub fn rewritten(step: &Step, signal: &str) -> Option<String> {
    let num = knowledge::signals::number(signal)?;
    let args: Vec<&str> = step.words();
    let mut i = 0;
    while i < args.len() {
        let value = match args[i] {
            "-r" | "--rewrite" => args.get(i + 1).copied(),
            a => a.strip_prefix("--rewrite="),
        };
        if let Some((from, to)) = value.and_then(|v| v.split_once(':')) {
            if from.trim().parse::<i32>().ok() == Some(num) {
                return Some(to.trim().to_string());
            }
        }
        i += 1;
    }
    None
}

fn binary(v: &mut Verdict, b: &Binary) {
    let signal = v.signal.clone();
    let path = b.path.clone();
    let f = match &b.facts {
        Ok(f) => f,
        Err(e) => {
            v.reasons
                .push(reason(format!("{path} could not be inspected: {e}"), None));
            return;
        }
    };
    if let Some(go) = &f.go {
        v.stop_signal = StopSignal::Delivered;
        let version = go
            .version
            .clone()
            .unwrap_or_else(|| "unknown version".into());
        v.reasons.push(reason(
            format!("{path} is a Go program ({version}): the Go runtime installs handlers for every signal, and an unhandled {signal} makes it exit"),
            Some(Evidence::Section {
                path: path.clone(),
                name: ".go.buildinfo".into(),
            }),
        ));
        v.zombies = Zombies::MayLeak;
        v.zombie_reasons.push(reason(
            "the Go runtime waits only for the children it starts (os/exec): orphans re-parented to PID 1 stay zombies (measured)".to_string(),
            Some(Evidence::Section {
                path: path.clone(),
                name: ".go.buildinfo".into(),
            }),
        ));
        return;
    }
    signal_use(v, &path, f);
    wait_use(v, &path, f);
}

/// What the binary's call sites (or, without them, its imports) say about the stop signal.
fn signal_use(v: &mut Verdict, path: &str, f: &ElfFacts) {
    let signal = v.signal.clone();
    let call = |site: &elf::CallSite| Some(call_evidence(path, site));
    let (verdict, text, evidence) = match f.signal_use(&signal) {
        elf::SignalUse::Handles(site) => (
            StopSignal::Delivered,
            format!("{path} installs a disposition for {signal}: {}", site.describe()),
            call(site),
        ),
        elf::SignalUse::Computed(site) => (
            StopSignal::Unknown,
            format!("{path} installs signal dispositions with a signal number computed at run time ({}), so whether {signal} is among them cannot be read", site.describe()),
            call(site),
        ),
        elf::SignalUse::Collects(what) => (
            StopSignal::Unknown,
            format!("{path} collects blocked signals ({what}); which ones it waits for is not read"),
            None,
        ),
        elf::SignalUse::Imports(i) => (
            StopSignal::Delivered,
            format!("{path} imports {}: it installs signal handlers (its call sites could not be read, so which signals is not known)", symbol(i)),
            Some(symbol_evidence(path, i)),
        ),
        elf::SignalUse::Others(others) if f.calls.is_some() => (
            StopSignal::Ignored,
            if others.is_empty() {
                format!("{path} never calls sigaction or signal: it installs no handler, and the kernel drops {signal} for a PID 1 without one")
            } else {
                format!("{path} installs dispositions only for {} (read at every call site), not for {signal}: the kernel drops it", knowledge::signals::names(&others))
            },
            Some(Evidence::Section {
                path: path.to_string(),
                name: ".text".into(),
            }),
        ),
        elf::SignalUse::Others(_) => (
            StopSignal::Ignored,
            format!("{path} imports none of {}: it cannot install a handler, and the kernel drops {signal} for a PID 1 without one", elf::SIGNAL_FNS.join(", ")),
            Some(Evidence::Section {
                path: path.to_string(),
                name: ".dynsym".into(),
            }),
        ),
        elf::SignalUse::Invisible => (
            StopSignal::Unknown,
            format!("{path} is statically linked and stripped: no imports and no symbols to resolve its calls, so whether it handles {signal} cannot be seen"),
            Some(Evidence::Section {
                path: path.to_string(),
                name: ".symtab (absent)".into(),
            }),
        ),
    };
    v.stop_signal = verdict;
    v.reasons.push(reason(text, evidence));
}

/// Whether the binary waits for children it did not start.
fn wait_use(v: &mut Verdict, path: &str, f: &ElfFacts) {
    let orphans = "orphans re-parented to PID 1 (from `docker exec` sessions, timed-out health checks, double-forking daemons) stay zombies";
    let call = |site: &elf::CallSite| Some(call_evidence(path, site));
    let (z, text, evidence) = match f.wait_use() {
        elf::WaitUse::Any(site) => (
            Zombies::Reaped,
            format!("{path} waits for any child: {}", site.describe()),
            call(site),
        ),
        elf::WaitUse::Imports(i) => (
            Zombies::Unknown,
            format!("{path} imports {}, but its call sites could not be read: whether it waits for any child (pid -1) or only its own is not known", symbol(i)),
            Some(symbol_evidence(path, i)),
        ),
        elf::WaitUse::SigchldSet(site) => (
            Zombies::Unknown,
            format!("{path} sets a SIGCHLD disposition ({}); if it is SIG_IGN or SA_NOCLDWAIT the kernel reaps, which is not read", site.describe()),
            call(site),
        ),
        elf::WaitUse::OwnOnly(sites) if sites.is_empty() => (
            Zombies::MayLeak,
            format!("{path} never calls a wait function: {orphans}, whether or not it starts processes itself"),
            Some(Evidence::Section {
                path: path.to_string(),
                name: if f.calls.is_some() { ".text" } else { ".dynsym" }.into(),
            }),
        ),
        elf::WaitUse::OwnOnly(sites) => (
            Zombies::MayLeak,
            format!("{path} waits only for pids it computes, its own children ({}), never for any child: {orphans}", sites[0].describe()),
            call(sites[0]),
        ),
        elf::WaitUse::Invisible => (
            Zombies::Unknown,
            format!("{path} is statically linked and stripped: its use of wait cannot be seen"),
            None,
        ),
    };
    v.zombies = z;
    v.zombie_reasons.push(reason(text, evidence));
}

fn call_evidence(path: &str, site: &elf::CallSite) -> Evidence {
    Evidence::CallSite {
        path: path.to_string(),
        site: site.clone(),
    }
}

fn symbol(i: &elf::Import) -> String {
    match &i.version {
        Some(v) => format!("{}@{v}", i.name),
        None => i.name.clone(),
    }
}

fn symbol_evidence(path: &str, i: &elf::Import) -> Evidence {
    Evidence::Symbol {
        path: path.to_string(),
        name: i.name.clone(),
        version: i.version.clone(),
    }
}
