//! One table of the programs initlint knows: how each takes part in the launch (it execs the
//! rest of its arguments, runs them as a child, or is the end of the chain), what it does as
//! PID 1 with the stop signal and with orphans, and how to recognise its binary under another
//! name. Sources: each project's documentation and source, the official images'
//! `STOPSIGNAL`, and what tests/ground_truth.rs measured in a real PID namespace.

/// How a program on the launch path treats the rest of its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Replaces itself with the command (`execve`): the command keeps its PID.
    ExecWrapper,
    /// An init: stays PID 1 and runs the command as its child.
    Init,
    /// Switches user but forks and stays the parent of the command.
    ForkingUserSwitch,
    /// A package-manager launcher that runs the app as a child process.
    Launcher,
    /// A server or process manager that installs its own handlers.
    HandlesSignals,
    /// A plain program at the end of the chain (`sleep infinity`), judged by [`Pid1`].
    Plain,
}

/// Whether a program reaps children it did not start (orphans re-parented to PID 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaps {
    /// Waits for any child (`waitpid(-1, …)`).
    Yes,
    /// Waits only for the children it started, or not at all.
    No,
}

/// What a program does as PID 1.
#[derive(Debug)]
pub struct Pid1 {
    /// Signals on which it shuts down (for an init: which it forwards). `"*"`: every one.
    pub stops_on: &'static [&'static str],
    /// The signal its own documentation asks for a graceful stop, if not SIGTERM.
    pub graceful: Option<&'static str>,
    pub reaps: Reaps,
    /// An init or user switch that forwards signals to its child: the child's behaviour
    /// decides.
    pub forwards: bool,
    /// Seconds it gives its child after forwarding, before it SIGKILLs it (`su`: 2).
    pub kills_after: Option<u8>,
    /// What the knowledge says, for the verdict's reasons.
    pub note: &'static str,
}

impl Pid1 {
    pub fn stops_on_signal(&self, signal: &str) -> bool {
        self.stops_on.iter().any(|s| *s == "*" || *s == signal)
    }
}

#[derive(Debug)]
pub struct Program {
    /// Basenames, or full paths that mean something else than their basename
    /// (`/sbin/init` is systemd, a bare `init` is s6-overlay's).
    pub names: &'static [&'static str],
    pub role: Role,
    /// Leading positional operands consumed before the command (gosu's USER).
    pub operands: usize,
    /// Options that take a separate value (`-u user`).
    pub options_with_value: &'static [&'static str],
    /// A note shown in the launch chain.
    pub note: &'static str,
    /// Its behaviour as PID 1, when known.
    pub pid1: Option<Pid1>,
    /// A multi-call binary (busybox): the applet named by argv[0], or by its first argument
    /// when called by its own name, decides.
    pub multicall: bool,
    /// Byte strings only its binary contains, to recognise it under another name.
    pub markers: &'static [&'static str],
    /// Go main module, to recognise a Go binary by its build info.
    pub go_module: Option<&'static str>,
}

impl Program {
    pub fn name(&self) -> &'static str {
        self.names[0]
    }
}

const ALL: &[&str] = &["*"];

const fn launch(
    names: &'static [&'static str],
    role: Role,
    operands: usize,
    options_with_value: &'static [&'static str],
    note: &'static str,
) -> Program {
    Program {
        names,
        role,
        operands,
        options_with_value,
        note,
        pid1: None,
        multicall: false,
        markers: &[],
        go_module: None,
    }
}

impl Program {
    const fn behaves(mut self, pid1: Pid1) -> Program {
        self.pid1 = Some(pid1);
        self
    }

    const fn markers(mut self, markers: &'static [&'static str]) -> Program {
        self.markers = markers;
        self
    }
}

const fn pid1(
    stops_on: &'static [&'static str],
    graceful: Option<&'static str>,
    reaps: Reaps,
    note: &'static str,
) -> Pid1 {
    Pid1 {
        stops_on,
        graceful,
        reaps,
        forwards: false,
        kills_after: None,
        note,
    }
}

const fn forwarding_init(note: &'static str) -> Pid1 {
    forwarding(ALL, Reaps::Yes, None, note)
}

/// A program that stays the parent and passes the stop signal on to its child (an init, a
/// user switch; measured).
const fn forwarding(
    stops_on: &'static [&'static str],
    reaps: Reaps,
    kills_after: Option<u8>,
    note: &'static str,
) -> Pid1 {
    Pid1 {
        stops_on,
        graceful: None,
        reaps,
        forwards: true,
        kills_after,
        note,
    }
}

/// util-linux `su` and `runuser` (one source, su-common.c).
const SU: Pid1 = forwarding(
    &["SIGTERM", "SIGINT", "SIGQUIT"],
    Reaps::No,
    Some(2),
    "util-linux su and runuser catch SIGTERM (and SIGINT, SIGQUIT), send SIGTERM to their child, SIGKILL it 2 s later and exit; they wait only for their own child (measured, util-linux 2.38)",
);

const EXEC: Role = Role::ExecWrapper;
/// In `options_with_value`: every `--name` option (not `--name=value`) takes the next word.
pub const ANY_LONG_OPTION: &str = "--*";
const SERVER: Role = Role::HandlesSignals;

/// An application server that installs its own handlers and stops on SIGTERM.
const fn server(names: &'static [&'static str], reaps: Reaps, note: &'static str) -> Program {
    launch(names, SERVER, 0, &[], "installs its own SIGTERM handler").behaves(pid1(
        &["SIGTERM", "SIGINT", "SIGQUIT"],
        None,
        reaps,
        note,
    ))
}
const NO_HANDLER: &str =
    "installs no signal handlers, so as PID 1 it ignores every catchable signal";

pub static PROGRAMS: &[Program] = &[
    Program {
        go_module: Some("github.com/tianon/gosu"),
        ..launch(&["gosu"], EXEC, 1, &[], "gosu drops privileges and execs the command")
    },
    launch(&["su-exec"], EXEC, 1, &[], "su-exec drops privileges and execs the command"),
    launch(&["setpriv"], EXEC, 0, &[], "setpriv sets credentials and execs the command"),
    launch(
        &["chpst"],
        EXEC,
        0,
        &["-u", "-U", "-e", "-/", "-n", "-l", "-L", "-m", "-d", "-o", "-p", "-f", "-c"],
        "chpst execs the command",
    ),
    launch(&["chroot"], EXEC, 1, &["--userspec", "--groups"], "chroot execs the command"),
    launch(&["env"], EXEC, 0, &["-u", "-C", "-S"], "env execs the command"),
    launch(&["nice"], EXEC, 0, &["-n"], "nice execs the command"),
    launch(&["ionice"], EXEC, 0, &["-c", "-n"], "ionice execs the command"),
    launch(&["taskset"], EXEC, 1, &[], "taskset execs the command"),
    launch(&["numactl"], EXEC, 0, &[], "numactl execs the command"),
    launch(&["stdbuf"], EXEC, 0, &["-i", "-o", "-e"], "stdbuf execs the command"),
    launch(&["exec"], EXEC, 0, &["-a"], "exec replaces the process"),
    // Python APM wrappers: each sets up its agent, then os.execl's the command (read in
    // their source; measured as PID 1 with opentelemetry-instrumentation 0.66b2, ddtrace
    // 4.16.0 and newrelic 14.1.0: PID 1 is then the app, and `python app.py` without a
    // handler still ignores SIGTERM). Every `--option` of opentelemetry-instrument takes a
    // value (`--traces_exporter console`).
    launch(
        &["opentelemetry-instrument"],
        EXEC,
        0,
        &[ANY_LONG_OPTION],
        "opentelemetry-instrument sets up OpenTelemetry's auto-instrumentation and execs the command",
    ),
    launch(&["ddtrace-run"], EXEC, 0, &[], "ddtrace-run sets up Datadog's tracer and execs the command"),
    launch(
        &["newrelic-admin"],
        EXEC,
        1,
        &[],
        "newrelic-admin run-program (run-python: python) sets up New Relic's agent and execs the command",
    ),
    launch(
        &["tini", "tini-static", "docker-init"],
        Role::Init,
        0,
        &["-p", "-e"],
        "tini forwards signals to its child and reaps zombies",
    )
    .behaves(forwarding_init("tini forwards every signal to its child and reaps zombies (as PID 1, or anywhere with -s / TINI_SUBREAPER); it exits as soon as its child does (with -g too: measured)"))
    .markers(&["TINI_SUBREAPER", "[FATAL tini ("]),
    launch(
        &["dumb-init"],
        Role::Init,
        0,
        &["-r", "--rewrite"],
        "dumb-init forwards signals to its child and reaps zombies",
    )
    .behaves(forwarding_init("dumb-init forwards signals to the child's process group (only the child with --single-child), applies -r rewrites, reaps zombies, and exits as soon as its child does (measured)"))
    .markers(&["[dumb-init] ", "DUMB_INIT_SETSID"]),
    // Kubernetes' pause (shareProcessNamespace: true): PID 1 of the pod; the runtime signals
    // each container's own process, and pause reaps every orphan (pause.c: waitpid(-1) on
    // SIGCHLD). Only the runtime puts it there.
    launch(
        &["kubernetes-pause"],
        Role::Init,
        0,
        &[],
        "pause is PID 1 of the pod: the runtime signals the container's own process, pause reaps",
    )
    .behaves(forwarding_init("the runtime sends the stop signal to the container's own process, which is not PID 1 (measured with a shared PID namespace); pause reaps every orphan (waitpid(-1) on SIGCHLD)")),
    // catatonit also prints "tini version": not a marker.
    launch(
        &["catatonit"],
        Role::Init,
        0,
        &[],
        "catatonit forwards signals to its child and reaps zombies",
    )
    .behaves(forwarding_init("catatonit forwards signals to its child and reaps zombies"))
    .markers(&["CATATONIT_LOG", "openSUSE/catatonit"]),
    launch(
        &["s6-svscan", "init"],
        Role::Init,
        0,
        &[],
        "s6-overlay's /init supervises services, forwards signals and reaps",
    )
    .behaves(pid1(
        &["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"],
        None,
        Reaps::Yes,
        "s6-overlay's /init stops its services on SIGTERM and reaps zombies",
    ))
    .markers(&["s6-svscan"]),
    launch(
        &["supervisord"],
        Role::Init,
        0,
        &["-c", "--configuration"],
        "supervisord handles SIGTERM, stops its programs and reaps",
    )
    .behaves(pid1(
        &["SIGTERM", "SIGINT", "SIGQUIT"],
        None,
        Reaps::Yes,
        "supervisord stops its programs on SIGTERM/SIGINT/SIGQUIT and reaps zombies (measured, supervisor 4.2 as PID 1)",
    )),
    launch(&["runsvdir"], Role::Init, 0, &[], "runit's runsvdir supervises services")
        .behaves(pid1(
            &["SIGTERM", "SIGHUP"],
            None,
            Reaps::Yes,
            "runit's runsvdir exits on SIGTERM (its services get SIGTERM from runsv only on SIGHUP) and reaps zombies",
        ))
        .markers(&["runsvdir"]),
    launch(
        &["systemd", "/sbin/init", "/lib/systemd/systemd"],
        Role::Init,
        0,
        &[],
        "systemd handles signals and reaps",
    )
    .behaves(pid1(
        &["SIGRTMIN+3", "SIGINT"],
        Some("SIGRTMIN+3"),
        Reaps::Yes,
        "systemd as PID 1 halts on SIGRTMIN+3; SIGTERM makes it re-execute itself, not stop",
    )),
    launch(
        &["su"],
        Role::ForkingUserSwitch,
        0,
        &["-c", "--command", "-s", "--shell", "-g", "-G", "-w"],
        "su forks the command and stays its parent",
    )
    .behaves(SU),
    launch(
        &["sudo"],
        Role::ForkingUserSwitch,
        0,
        &["-u", "-g", "-C", "-D", "-h", "-p", "-R", "-T", "-U"],
        "sudo forks the command and stays its parent",
    )
    .behaves(forwarding(
        ALL,
        Reaps::Yes,
        None,
        "sudo relays the signals it gets to the command, exits when the command does, and waits for any child (measured, sudo 1.9.13 without a terminal)",
    )),
    launch(
        &["runuser"],
        Role::ForkingUserSwitch,
        0,
        &["-u", "-g", "-G", "-c", "-s", "-w"],
        "runuser forks the command and stays its parent",
    )
    .behaves(SU),
    launch(
        &["npm", "yarn", "pnpm", "npx", "bun"],
        Role::Launcher,
        0,
        &[],
        "the launcher runs the app as a child process",
    ),
    launch(
        &["poetry", "pipenv", "pdm", "hatch", "rye"],
        Role::Launcher,
        0,
        &[],
        "the launcher runs the app as a child process",
    ),
    launch(&["java"], SERVER, 0, &[], "installs its own SIGTERM handler").behaves(pid1(
        &["SIGTERM", "SIGINT", "SIGHUP"],
        None,
        Reaps::No,
        "the JVM runs shutdown hooks and exits on SIGTERM/SIGINT/SIGHUP; SIGQUIT only prints a thread dump",
    )),
    // erl and elixir are sh scripts that exec erlexec, which execs beam.smp: the BEAM is PID 1.
    launch(&["beam.smp", "erl", "elixir"], SERVER, 0, &[], "installs its own SIGTERM handler").behaves(pid1(
        &["SIGTERM"],
        None,
        Reaps::Yes,
        "the BEAM (Erlang/Elixir) stops the system with init:stop on SIGTERM and exits 0 (\"SIGTERM received - shutting down\"), and it sets SIGCHLD to SIG_IGN, so orphans re-parented to it are reaped (measured as PID 1 with Debian's Erlang/OTP 25 and Elixir 1.14: erl, elixir and a mix release exit 0 about 1 s after SIGTERM, no zombies)",
    )),
    launch(&["dotnet"], SERVER, 0, &[], "installs its own SIGTERM handler").behaves(pid1(
        &["SIGTERM", "SIGINT", "SIGQUIT"],
        None,
        Reaps::No,
        "the .NET host stops the application on SIGTERM/SIGINT/SIGQUIT",
    )),
    launch(&["nginx"], SERVER, 0, &[], "installs its own SIGTERM handler")
        .behaves(pid1(
            &["SIGTERM", "SIGINT", "SIGQUIT"],
            Some("SIGQUIT"),
            Reaps::Yes,
            "nginx stops fast on SIGTERM/SIGINT and gracefully on SIGQUIT (the official image's STOPSIGNAL); the master reaps",
        ))
        .markers(&["nginx version"]),
    launch(
        &["httpd", "apache2", "apache2-foreground", "httpd-foreground"],
        SERVER,
        0,
        &[],
        "installs its own SIGTERM handler",
    )
    .behaves(pid1(
        &["SIGTERM", "SIGWINCH", "SIGINT"],
        Some("SIGWINCH"),
        Reaps::Yes,
        "httpd stops on SIGTERM and gracefully on SIGWINCH (the official image's STOPSIGNAL)",
    )),
    launch(&["postgres", "postmaster"], SERVER, 0, &[], "installs its own SIGTERM handler")
        .behaves(pid1(
            &["SIGTERM", "SIGINT", "SIGQUIT"],
            Some("SIGINT"),
            Reaps::Yes,
            "postgres: SIGTERM smart shutdown (waits for clients), SIGINT fast (the official image's STOPSIGNAL), SIGQUIT immediate; the postmaster reaps",
        )),
    launch(&["redis-server"], SERVER, 0, &[], "installs its own SIGTERM handler").behaves(
        pid1(
            &["SIGTERM", "SIGINT"],
            None,
            Reaps::No,
            "redis-server saves (if configured) and exits on SIGTERM/SIGINT",
        ),
    ),
    launch(&["php-fpm"], SERVER, 0, &[], "installs its own SIGTERM handler").behaves(pid1(
        &["SIGTERM", "SIGINT", "SIGQUIT"],
        Some("SIGQUIT"),
        Reaps::Yes,
        "php-fpm stops immediately on SIGTERM/SIGINT and gracefully on SIGQUIT (the official image's STOPSIGNAL)",
    )),
    // Measured as PID 1 (the held-out application images): each stops on SIGTERM; gunicorn's
    // master reaps any child, celery's and puma's do not.
    server(&["gunicorn"], Reaps::Yes, "its master stops the workers gracefully and reaps any child (measured)"),
    server(&["celery"], Reaps::No, "a warm shutdown (running tasks finish); it does not reap orphans (measured)"),
    server(&["puma"], Reaps::No, "a graceful shutdown; it does not reap orphans (measured)"),
    server(&["uvicorn"], Reaps::No, "a graceful shutdown; it waits only for its own workers, orphans stay zombies (measured, uvicorn 0.17 as PID 1)"),
    server(&["hypercorn"], Reaps::Yes, "a graceful shutdown; it waits for its workers"),
    server(&["daphne"], Reaps::Yes, "it waits for its workers"),
    server(&["unicorn"], Reaps::Yes, "its master stops the workers (SIGQUIT: gracefully) and waits for them"),
    server(&["pm2-runtime"], Reaps::Yes, "it stops its processes and waits for them"),
    // Utilities used to keep a container alive. Measured for busybox's sleep as PID 1: it
    // ignores SIGTERM and leaves adopted orphans as zombies.
    launch(
        &["sleep", "tail", "cat", "pause"],
        Role::Plain,
        0,
        &[],
        "a utility with no signal handlers",
    )
    .behaves(pid1(&[], None, Reaps::No, NO_HANDLER)),
    Program {
        multicall: true,
        ..launch(
            &["busybox"],
            Role::Plain,
            0,
            &[],
            "busybox runs the applet named by argv[0] (or by its first argument)",
        )
        .markers(&["BusyBox v"])
    },
];

/// An init named in `.initlint.toml` (`trusted-inits`).
pub static TRUSTED_INIT: Program = launch(
    &["trusted init"],
    Role::Init,
    0,
    &[],
    "a trusted init (from .initlint.toml): forwards signals to its child and reaps zombies",
)
.behaves(forwarding_init(
    "declared a trusted init in .initlint.toml: it forwards signals to its child and reaps zombies",
));

/// A launcher named in `.initlint.toml` (`launchers`).
pub static EXTRA_LAUNCHER: Program = launch(
    &["launcher"],
    Role::Launcher,
    0,
    &[],
    "a launcher (from .initlint.toml) runs the app as a child process",
);

/// By name: a full path the table names first (`/sbin/init` is systemd), then the basename.
pub fn by_name(name: &str) -> Option<&'static Program> {
    let base = name.rsplit('/').next().unwrap_or(name);
    PROGRAMS
        .iter()
        .find(|p| p.names.contains(&name))
        .or_else(|| PROGRAMS.iter().find(|p| p.names.contains(&base)))
}

/// By ELF evidence: a marker string in the binary or its Go main module. Returns the entry
/// and what matched.
pub fn by_evidence(bytes: &[u8], go_module: Option<&str>) -> Option<(&'static Program, String)> {
    if let Some(m) = go_module {
        if let Some(p) = PROGRAMS.iter().find(|p| p.go_module == Some(m)) {
            return Some((p, format!("Go main module {m}")));
        }
    }
    PROGRAMS.iter().find_map(|p| {
        p.markers
            .iter()
            .find(|m| bytes.windows(m.len()).any(|w| w == m.as_bytes()))
            .map(|m| (p, format!("the binary contains {m:?}")))
    })
}

/// The applet a multi-call binary runs: `sleep` (a link to busybox) or `busybox sleep`.
pub fn applet<'a>(program: &Program, argv: &[&'a str]) -> Option<&'a str> {
    let first = argv.first().map(|w| w.rsplit('/').next().unwrap_or(w))?;
    if program.names.contains(&first) {
        argv.get(1).copied()
    } else {
        Some(first)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn full_paths_win_over_basenames() {
        assert_eq!(by_name("/sbin/init").unwrap().name(), "systemd");
        assert_eq!(by_name("/init").unwrap().name(), "s6-svscan");
        assert_eq!(by_name("/usr/bin/tini").unwrap().name(), "tini");
        assert!(by_name("/app/server").is_none());
    }

    #[test]
    fn markers_are_unique_to_their_program() {
        let catatonit = b"...tini version %s_%s ... CATATONIT_LOG ...";
        assert_eq!(by_evidence(catatonit, None).unwrap().0.name(), "catatonit");
        let tini = b"[FATAL tini (%i)] ... TINI_SUBREAPER";
        assert_eq!(by_evidence(tini, None).unwrap().0.name(), "tini");
        let gosu = by_evidence(b"", Some("github.com/tianon/gosu")).unwrap();
        assert_eq!(gosu.0.name(), "gosu");
    }

    #[test]
    fn busybox_applets() {
        let bb = by_name("busybox").unwrap();
        assert_eq!(applet(bb, &["/bin/sleep", "1"]), Some("sleep"));
        assert_eq!(applet(bb, &["busybox", "httpd", "-f"]), Some("httpd"));
    }

    #[test]
    fn every_name_is_in_one_entry() {
        let mut seen = std::collections::HashSet::new();
        for p in PROGRAMS {
            for n in p.names {
                assert!(seen.insert(*n), "{n} is in two entries");
            }
        }
    }
}
