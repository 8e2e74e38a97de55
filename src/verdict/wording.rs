//! How a cause reads in the verdict: one sentence saying what happens to the stop signal (or
//! to orphans) and why.

use crate::elf;
use crate::knowledge::signals;
use crate::launch::cause::{
    CauseKind, Forwarding, Handling, InitFault, LauncherUnseen, NoReaper, Reaping, ReapingUnseen,
    Recognised, Searched, Seen, Unseen,
};

const ORPHANS: &str = "orphans re-parented to PID 1 (from `docker exec` sessions, timed-out health checks, double-forking daemons) stay zombies";

/// The sentence for `cause`, the stop signal being `signal`.
pub fn text(cause: &CauseKind, signal: &str) -> String {
    match cause {
        CauseKind::NotRunnable(p) => format!(
            "the container cannot start ({}), so there is no PID 1 to signal",
            p.message
        ),
        CauseKind::ShellStays { shell, why } => format!(
            "{} stays PID 1 ({why}) and has no handler for {signal}: the kernel drops it",
            shell.name()
        ),
        CauseKind::ImplicitExec { shell } => format!(
            "{} execs the last command of the string implicitly",
            shell.name()
        ),
        CauseKind::ScriptStays { path } | CauseKind::BackgroundUnforwarded { path } => format!(
            "{path} stays PID 1 without exec and has no trap for {signal}: the kernel drops it"
        ),
        CauseKind::TrapBehindForeground { path, .. } => format!(
            "{path} stays PID 1 and traps {signal}, but a shell runs traps only after the foreground command returns: nothing happens until SIGKILL (measured)"
        ),
        CauseKind::TrapRuns { path, trap } => match cause.signal() {
            Some(crate::launch::SignalFate::Delivered) => format!(
                "{path} waits for the application in the background, so its {signal} trap runs at once and forwards the signal (`{}`; measured)",
                trap.action
            ),
            Some(crate::launch::SignalFate::Abrupt) => format!(
                "{path}'s {signal} trap runs at once but only exits (`{}`): PID 1 ends and the kernel SIGKILLs the application, which never sees the signal",
                trap.action
            ),
            _ => format!(
                "{path}'s {signal} trap runs at once; whether `{}` forwards the signal is not followed",
                trap.action
            ),
        },
        CauseKind::UserSwitch {
            name,
            program,
            outcome,
        } => {
            let note = program.pid1.as_ref().map_or("", |k| k.note);
            match outcome {
                Forwarding::NotCaught => format!(
                    "{name} stays PID 1 as the parent of the command and does not catch {signal}: the kernel drops it ({note})"
                ),
                Forwarding::ToStayingParent { child, .. } => format!(
                    "{name} stays PID 1 and passes {signal} on to {child}, which stays the parent of the application: it dies of the signal, {name} exits, and the kernel SIGKILLs the application before it can shut down (measured)"
                ),
                Forwarding::ToChild { to } => {
                    format!("{name} stays PID 1 and passes {signal} on to {to}: {note}")
                }
                Forwarding::Unknown(why) => format!(
                    "{name} stays PID 1 as the parent of the command; whether {signal} reaches the application is not known: {why}"
                ),
            }
        }
        CauseKind::Launcher {
            name,
            measured: Some(what),
            ..
        } => format!("{name} runs the app as a child: {what}"),
        CauseKind::Launcher {
            name,
            unseen: Some(LauncherUnseen::Script),
            ..
        } => format!(
            "{name} runs the app as a child through `sh -c`, and the package.json script it runs could not be read: whether {signal} reaches the app depends on it and on which shell `sh` is"
        ),
        CauseKind::Launcher { name, .. } => format!(
            "{name} runs the app as a child; what it does with {signal} was not measured"
        ),
        CauseKind::NoHandler { seen, .. } => no_handler(seen, signal),
        CauseKind::DefaultIgnored {
            interpreter,
            searched,
            ..
        } => {
            let lang = interpreter.language;
            match searched {
                Searched::NotFound(source) => format!(
                    "{lang} ignores {signal} as PID 1 unless the app installs a handler, and {source} has none"
                ),
                Searched::Unreadable(why) => format!(
                    "{lang} ignores {signal} as PID 1 unless the app installs a handler, and the app's code could not be read to check: {why}"
                ),
            }
        }
        CauseKind::StopsOnOther { program, how } => {
            let Some(k) = &program.pid1 else {
                return String::new();
            };
            format!(
                "{} does not stop on {signal}{}: {} ({})",
                program.name(),
                graceful(k.graceful, signal),
                k.note,
                recognised(how)
            )
        }
        CauseKind::SignalIgnored { init, process } => format!(
            "{} {process}, which ignores it (`trap '' {}` sets SIG_IGN, kept across fork and exec) and installs no handler: nothing stops until SIGKILL (measured)",
            passes(init, signal),
            signal.trim_start_matches("SIG")
        ),
        CauseKind::InitMisconfigured { init, fault } => {
            let init = init.name();
            match fault {
                InitFault::NotPid1 => format!(
                    "{init} is not PID 1: it cannot reap orphans and gets {signal} only if its parent forwards it"
                ),
                InitFault::ForwardsToStayingParent { child, .. } if init == PAUSE => format!(
                    "{} {child}, which stays the parent of the application: not being PID 1 and having no handler, it dies of it at once, the container ends with it, and the application is SIGKILLed before it can shut down (measured)",
                    passes(init, signal)
                ),
                InitFault::ForwardsToStayingParent { child, .. } => format!(
                    "{init} forwards {signal} to {child}, which stays the parent of the application: not being PID 1 and having no handler, it dies of it at once, {init} exits with it, and the kernel SIGKILLs the application before it can shut down (measured)"
                ),
                InitFault::DropsSignal => format!("dumb-init rewrites {signal} to 0: it is dropped"),
            }
        }
        CauseKind::Handles(h) => handles(h, signal),
        CauseKind::Unseen(u) => unseen(u, signal),
        CauseKind::Reaps(r) => reaps(r),
        CauseKind::NoReaper(n) => no_reaper(n),
        CauseKind::ReapingUnseen(r) => reaping_unseen(r),
    }
}

/// `recognised by ELF evidence: …`, `recognised by its name, tini`, or the applet.
pub fn recognised(how: &Recognised) -> String {
    match how {
        Recognised::Evidence(why) => format!("recognised by ELF evidence: {why}"),
        Recognised::Name(name) => format!("recognised by its name, {name}"),
        Recognised::Built(why) => why.clone(),
        Recognised::Applet {
            binary,
            applet,
            how,
        } => format!("the {binary} applet {applet}; {}", recognised(how)),
    }
}

fn graceful(g: Option<&str>, signal: &str) -> String {
    g.filter(|g| *g != signal)
        .map(|g| format!("; its graceful stop signal is {g}"))
        .unwrap_or_default()
}

fn no_handler(seen: &Seen, signal: &str) -> String {
    match seen {
        Seen::Option { program, option, why } => {
            format!("{program} runs with {option}, so it has no handler for {signal}: {why}")
        }
        Seen::Knowledge { program, how } => format!(
            "{} does not stop on {signal}: {} ({})",
            program.name(),
            program.pid1.as_ref().map_or("", |k| k.note),
            recognised(how)
        ),
        Seen::Binary {
            path,
            others,
            calls_read: true,
            ..
        } => {
            if others.is_empty() {
                format!("{path} never calls sigaction or signal: it installs no handler, and the kernel drops {signal} for a PID 1 without one")
            } else {
                format!("{path} installs dispositions only for {} (read at every call site), not for {signal}: the kernel drops it", signals::names(others))
            }
        }
        Seen::Binary { path, .. } => format!(
            "{path} imports none of {}: it cannot install a handler, and the kernel drops {signal} for a PID 1 without one",
            elf::SIGNAL_FNS.join(", ")
        ),
        Seen::Sources { path, language, stage, files, frameworks } => format!(
            "{path} is a {} program built in {stage}, and none of the {files} source file(s) it copies from the build context installs a handler for {signal}{}: the kernel drops it for a PID 1 without one",
            language.name(),
            dotnet_none(*language, frameworks)
        ),
    }
}

/// What a .NET program lacks, beyond its own code: no host and, from .NET 10, no runtime
/// handler.
fn dotnet_none(language: crate::knowledge::sources::Language, frameworks: &str) -> String {
    match language {
        crate::knowledge::sources::Language::DotNet => format!(" (no host builder, whose ConsoleLifetime registers SIGTERM, no PosixSignalRegistration), and it targets {frameworks}: from .NET 10 on the runtime installs no SIGTERM handler of its own (Microsoft's documentation; not measured here)"),
        _ => String::new(),
    }
}

fn handles(h: &Handling, signal: &str) -> String {
    match h {
        Handling::InterpreterDefault { language } => {
            format!("{language} acts on {signal} by default as PID 1 (measured)")
        }
        Handling::AppHandler { pattern } => {
            format!("the app installs a {signal} handler ({pattern})")
        }
        Handling::Server { name } => format!("{name} installs its own signal handlers"),
        Handling::GoRuntime {
            path,
            version,
            notify: true,
        } => format!(
            "{path} is a Go program ({version}) that asks for signals with os/signal.Notify (its function table names it): the runtime relays them to the program, and an unhandled {signal} still makes it exit"
        ),
        Handling::GoRuntime { path, version, .. } => format!(
            "{path} is a Go program ({version}) whose function table does not name os/signal.Notify: the Go runtime's own handler makes it exit with status 2 on {signal} at once, without the program's clean-up (measured)"
        ),
        Handling::GoBuilt { path, stage } => format!(
            "{path} is a Go program built in {stage}: the Go runtime installs handlers for every signal, and as the sources read from the build context relay no {signal} with os/signal.Notify, the runtime exits with status 2 at once, without the program's own clean-up (unless a module it imports calls Notify: the build fetches modules, initlint does not read them)"
        ),
        Handling::DotNetRuntime { path, stage, framework } => format!(
            "{path} is a .NET program built in {stage} for {framework}: its sources register no {signal} handler, but before .NET 10 the runtime installs its own, which raises AppDomain.ProcessExit and exits (Microsoft's documentation and the runtime's source; not measured here, no .NET SDK on this machine)"
        ),
        Handling::Source { path, hit } => format!(
            "{path} installs a handler for {signal}: `{}` ({})",
            hit.what, hit.place
        ),
        Handling::CallSite { path, site } => format!(
            "{path} installs a disposition for {signal}: {}",
            site.describe()
        ),
        Handling::Imports { path, import } => format!(
            "{path} imports {}: it installs signal handlers (its call sites could not be read, so which signals is not known)",
            symbol(import)
        ),
        Handling::Knowledge { name, pid1, how } => format!(
            "{name} stops on {signal}{}: {} ({})",
            graceful(pid1.graceful, signal),
            pid1.note,
            recognised(how)
        ),
        Handling::InitForwards { init, to, how } => format!(
            "{} {to}; it is not PID 1, so the signal's default action (terminate) applies unless it installs a handler ({})",
            passes(init, signal),
            recognised(how)
        ),
    }
}

/// Kubernetes' pause, PID 1 of a pod that shares its PID namespace.
const PAUSE: &str = "kubernetes-pause";

/// "tini forwards SIGTERM to"; with a shared PID namespace the runtime itself signals the
/// container's process (pause forwards nothing).
fn passes(init: &str, signal: &str) -> String {
    match init {
        PAUSE => format!("the runtime sends {signal} straight to the container's process (pause is PID 1 of the pod's shared PID namespace):"),
        _ => format!("{init} forwards {signal} to"),
    }
}

fn unseen(u: &Unseen, signal: &str) -> String {
    match u {
        Unseen::NoCommand => "there is no ENTRYPOINT or CMD to run".into(),
        Unseen::LaunchInBase { base } => format!("no stage sets ENTRYPOINT or CMD, so the container runs what the base image {base} sets, and that image was not read"),
        Unseen::Step(why) => why.clone(),
        Unseen::NoBinary { path, why } => format!(
            "{path}: {why}; without the binary nothing can be said (lint the built image)"
        ),
        Unseen::NotInspected { path, error } => {
            format!("{path} could not be inspected: {error}")
        }
        Unseen::Computed { path, site } => format!(
            "{path} installs signal dispositions with a signal number computed at run time ({}), so whether {signal} is among them cannot be read",
            site.describe()
        ),
        Unseen::Collects { path, what } => format!(
            "{path} collects blocked signals ({what}); which ones it waits for is not read"
        ),
        Unseen::Stripped { path } => format!(
            "{path} is statically linked and stripped: no imports and no symbols to resolve its calls (initlint finds libc's functions by their system calls in x86-64 code only), so whether it handles {signal} cannot be seen"
        ),
        Unseen::ExecNotFollowed { program } => {
            format!("the app replaces itself with {program}, which could not be followed")
        }
        Unseen::Applet {
            binary,
            applet,
            how,
        } => format!(
            "{binary} runs the applet `{applet}`, which initlint has no facts for ({})",
            match how {
                Recognised::Applet { how, .. } => recognised(how),
                other => recognised(other),
            }
        ),
        Unseen::InitNoCommand { init } => format!("{init} has no command to run"),
        Unseen::Note { name, note } => format!("{name}: {note}"),
        Unseen::Sources { path, why } => format!(
            "{path} is compiled in a build stage and {why}, so whether it handles {signal} cannot be said (lint the built image)"
        ),
    }
}

fn reaps(r: &Reaping) -> String {
    match r {
        Reaping::Shell { name } => {
            format!("{name} waits for any child while its command runs, which reaps orphans")
        }
        Reaping::Init { name, how } => format!(
            "{name} is PID 1 and reaps every child ({})",
            recognised(how)
        ),
        Reaping::Knowledge { name } => format!("{name} waits for any child"),
        Reaping::CallSite { path, site } => {
            format!("{path} waits for any child: {}", site.describe())
        }
        Reaping::Source { path, hit } => {
            format!("{path} waits for any child: `{}` ({})", hit.what, hit.place)
        }
    }
}

fn no_reaper(n: &NoReaper) -> String {
    match n {
        NoReaper::Interpreter { language } => format!(
            "{language} waits only for the children the app starts itself: orphans re-parented to it, from `docker exec` sessions, timed-out health checks or double-forking daemons, stay zombies ({})",
            match *language {
                "python" => "measured with python 3.11 as PID 1",
                "node" => "measured with node 18 as PID 1, also under npm and yarn",
                _ => "it installs no reaper by default; measured for python 3.11 as PID 1",
            }
        ),
        NoReaper::Knowledge { name } => format!(
            "{name} does not wait for children it did not start: orphans re-parented to PID 1 (from `docker exec`, health checks, double-forking daemons) stay zombies"
        ),
        NoReaper::GoRuntime { .. } => "the Go runtime waits only for the children it starts (os/exec): orphans re-parented to PID 1 stay zombies (measured)".into(),
        NoReaper::Binary { path, waits, .. } => match waits.first() {
            None => format!(
                "{path} never calls a wait function: {ORPHANS}, whether or not it starts processes itself"
            ),
            Some(w) => format!(
                "{path} waits only for pids it computes, its own children ({}), never for any child: {ORPHANS}",
                w.describe()
            ),
        },
        NoReaper::Sources { path, stage, files } => format!(
            "{path} is built in {stage}, and none of its {files} source file(s) waits for any child: {ORPHANS}"
        ),
    }
}

fn reaping_unseen(r: &ReapingUnseen) -> String {
    match r {
        ReapingUnseen::Imports { path, import } => format!(
            "{path} imports {}, but its call sites could not be read: whether it waits for any child (pid -1) or only its own is not known",
            symbol(import)
        ),
        ReapingUnseen::SigchldSet { path, site } => format!(
            "{path} sets a SIGCHLD disposition ({}); if it is SIG_IGN or SA_NOCLDWAIT the kernel reaps, which is not read",
            site.describe()
        ),
        ReapingUnseen::Stripped { path } => format!(
            "{path} is statically linked and stripped: its use of wait cannot be seen"
        ),
        ReapingUnseen::Sources { path, why } => format!(
            "{path} is compiled in a build stage and {why}: whether it waits for any child cannot be said"
        ),
    }
}

pub fn symbol(i: &elf::Import) -> String {
    match &i.version {
        Some(v) => format!("{}@{v}", i.name),
        None => i.name.clone(),
    }
}
