//! What initlint knows about programs, kept as data. Identification here is by name only
//! (Dockerfile mode cannot see the base image's binaries); each entry says what the program
//! does on the launch path.

pub mod pid1;
pub mod signals;

/// How a program on the launch path treats the rest of its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Replaces itself with the command (`execve`): the command keeps its PID.
    ExecWrapper,
    /// An init: stays PID 1, forwards signals to its child and reaps orphans.
    Init,
    /// Switches user but forks and stays the parent without forwarding signals.
    ForkingUserSwitch,
    /// A package-manager launcher that runs the app as a child process.
    Launcher,
    /// An interpreter whose default signal behaviour as PID 1 is in [`Interpreter`].
    Interpreter,
    /// A server or process manager known to install SIGTERM handlers itself.
    HandlesSignals,
}

pub struct Program {
    pub names: &'static [&'static str],
    pub role: Role,
    /// Leading positional operands consumed before the command (e.g. gosu's USER).
    pub operands: usize,
    /// Options that take a separate value (`-u user`).
    pub options_with_value: &'static [&'static str],
    /// A note shown in the launch chain.
    pub note: &'static str,
}

const fn p(
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
    }
}

pub static PROGRAMS: &[Program] = &[
    p(
        &["gosu"],
        Role::ExecWrapper,
        1,
        &[],
        "gosu drops privileges and execs the command",
    ),
    p(
        &["su-exec"],
        Role::ExecWrapper,
        1,
        &[],
        "su-exec drops privileges and execs the command",
    ),
    p(
        &["setpriv"],
        Role::ExecWrapper,
        0,
        &[],
        "setpriv sets credentials and execs the command",
    ),
    p(
        &["chpst"],
        Role::ExecWrapper,
        0,
        &[
            "-u", "-U", "-e", "-/", "-n", "-l", "-L", "-m", "-d", "-o", "-p", "-f", "-c",
        ],
        "chpst execs the command",
    ),
    p(
        &["chroot"],
        Role::ExecWrapper,
        1,
        &["--userspec", "--groups"],
        "chroot execs the command",
    ),
    p(
        &["env"],
        Role::ExecWrapper,
        0,
        &["-u", "-C", "-S"],
        "env execs the command",
    ),
    p(
        &["nice"],
        Role::ExecWrapper,
        0,
        &["-n"],
        "nice execs the command",
    ),
    p(
        &["ionice"],
        Role::ExecWrapper,
        0,
        &["-c", "-n"],
        "ionice execs the command",
    ),
    p(
        &["taskset"],
        Role::ExecWrapper,
        1,
        &[],
        "taskset execs the command",
    ),
    p(
        &["numactl"],
        Role::ExecWrapper,
        0,
        &[],
        "numactl execs the command",
    ),
    p(
        &["stdbuf"],
        Role::ExecWrapper,
        0,
        &["-i", "-o", "-e"],
        "stdbuf execs the command",
    ),
    p(
        &["exec"],
        Role::ExecWrapper,
        0,
        &["-a"],
        "exec replaces the process",
    ),
    p(
        &["tini", "tini-static", "docker-init"],
        Role::Init,
        0,
        &["-p", "-e"],
        "tini forwards signals to its child and reaps zombies",
    ),
    p(
        &["dumb-init"],
        Role::Init,
        0,
        &["-r", "--rewrite"],
        "dumb-init forwards signals to its child and reaps zombies",
    ),
    p(
        &["catatonit"],
        Role::Init,
        0,
        &[],
        "catatonit forwards signals to its child and reaps zombies",
    ),
    p(
        &["s6-svscan", "init"],
        Role::Init,
        0,
        &[],
        "s6-overlay's /init supervises services, forwards signals and reaps",
    ),
    p(
        &["supervisord"],
        Role::Init,
        0,
        &["-c", "--configuration"],
        "supervisord handles SIGTERM, stops its programs and reaps",
    ),
    p(
        &["runsvdir"],
        Role::Init,
        0,
        &[],
        "runit's runsvdir supervises services",
    ),
    p(
        &["systemd", "/sbin/init"],
        Role::Init,
        0,
        &[],
        "systemd handles signals and reaps",
    ),
    p(
        &["su"],
        Role::ForkingUserSwitch,
        0,
        &["-c", "--command", "-s", "--shell", "-g", "-G", "-w"],
        "su forks the command and stays its parent",
    ),
    p(
        &["sudo"],
        Role::ForkingUserSwitch,
        0,
        &["-u", "-g", "-C", "-D", "-h", "-p", "-R", "-T", "-U"],
        "sudo forks the command and stays its parent",
    ),
    p(
        &["runuser"],
        Role::ForkingUserSwitch,
        0,
        &["-u", "-g", "-G", "-c", "-s", "-w"],
        "runuser forks the command and stays its parent",
    ),
    p(
        &["npm", "yarn", "pnpm", "npx", "bun"],
        Role::Launcher,
        0,
        &[],
        "the launcher runs the app as a child process",
    ),
    p(
        &["poetry", "pipenv", "pdm", "hatch", "rye"],
        Role::Launcher,
        0,
        &[],
        "the launcher runs the app as a child process",
    ),
    p(
        &[
            "gunicorn",
            "uvicorn",
            "hypercorn",
            "daphne",
            "celery",
            "puma",
            "unicorn",
            "pm2-runtime",
            "nginx",
            "httpd",
            "apache2-foreground",
            "postgres",
            "redis-server",
            "php-fpm",
            "java",
            "dotnet",
        ],
        Role::HandlesSignals,
        0,
        &[],
        "installs its own SIGTERM handler",
    ),
];

/// Find a program by its basename (`/usr/bin/tini` → tini, `python3.12` → python), then
/// among the names `.initlint.toml` adds (`trusted-inits`, `launchers`).
pub fn program(basename: &str) -> Option<&'static Program> {
    PROGRAMS
        .iter()
        .find(|p| p.names.contains(&basename))
        .or_else(|| {
            let extra = EXTRA.read().ok()?;
            if extra.inits.iter().any(|n| n == basename) {
                Some(&TRUSTED_INIT)
            } else if extra.launchers.iter().any(|n| n == basename) {
                Some(&EXTRA_LAUNCHER)
            } else {
                None
            }
        })
}

/// Names a project's config adds to the knowledge base.
#[derive(Debug, Default)]
struct Extra {
    inits: Vec<String>,
    launchers: Vec<String>,
}

static EXTRA: std::sync::RwLock<Extra> = std::sync::RwLock::new(Extra {
    inits: Vec::new(),
    launchers: Vec::new(),
});

static TRUSTED_INIT: Program = p(
    &["trusted-init"],
    Role::Init,
    0,
    &[],
    "a trusted init (from .initlint.toml): forwards signals to its child and reaps zombies",
);

static EXTRA_LAUNCHER: Program = p(
    &["launcher"],
    Role::Launcher,
    0,
    &[],
    "a launcher (from .initlint.toml) runs the app as a child process",
);

/// Set the names `.initlint.toml` adds for the target being analysed.
pub fn configure(inits: &[String], launchers: &[String]) {
    if let Ok(mut e) = EXTRA.write() {
        e.inits = inits.to_vec();
        e.launchers = launchers.to_vec();
    }
}

/// A name `.initlint.toml` declares a trusted init.
pub fn is_trusted_init(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    EXTRA
        .read()
        .is_ok_and(|e| e.inits.iter().any(|n| n == name || n == base))
}

/// Launchers that only launch for some subcommands: `poetry run`, not `poetry install`.
pub fn launcher_subcommand_launches(name: &str, sub: Option<&str>) -> bool {
    match name {
        "poetry" | "pipenv" | "pdm" | "hatch" | "rye" => sub == Some("run"),
        // `npm start`, `npm run x`, `yarn x`, `pnpm x`, `npx x`, `bun run x` all start a child.
        _ => true,
    }
}

/// An interpreter's behaviour as PID 1 and how to spot a handler in its source.
#[derive(Debug)]
pub struct Interpreter {
    pub language: &'static str,
    /// Basename prefixes: `python` matches python3 and python3.12.
    pub prefixes: &'static [&'static str],
    /// Signals it acts on by default when it is PID 1 (measured, see rules/IL302.md).
    pub handles_by_default: &'static [&'static str],
    /// Source snippets (whitespace removed) that install a handler, `{SIG}` standing for the
    /// signal name without `SIG` (TERM) and `{SIGFULL}` for the full name (SIGTERM).
    pub handler_patterns: &'static [&'static str],
    /// Options taking a separate value, to find the script argument.
    pub options_with_value: &'static [&'static str],
    /// Options after which the next argument is inline code (`-c`, `-e`).
    pub inline_code_options: &'static [&'static str],
    /// Options after which the next argument is a module name (`python -m mod`).
    pub module_option: Option<&'static str>,
    pub fix: &'static str,
}

pub static INTERPRETERS: &[Interpreter] = &[
    Interpreter {
        language: "python",
        prefixes: &["python", "pypy"],
        handles_by_default: &["SIGINT"],
        handler_patterns: &[
            "signal.signal(signal.{SIGFULL}",
            "signal.signal(signal.Signals.{SIGFULL}",
            "signal({SIGFULL},",
            "add_signal_handler(signal.{SIGFULL}",
            "add_signal_handler({SIGFULL}",
        ],
        options_with_value: &["-W", "-X", "--check-hash-based-pycs"],
        inline_code_options: &["-c"],
        module_option: Some("-m"),
        fix: "install a handler: `signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))`, or run under an init (`ENTRYPOINT [\"tini\", \"--\"]`, `docker run --init`)",
    },
    Interpreter {
        language: "node",
        prefixes: &["node", "nodejs"],
        handles_by_default: &[],
        handler_patterns: &[
            "process.on('{SIGFULL}'",
            "process.on(\"{SIGFULL}\"",
            "process.on(`{SIGFULL}`",
            "process.once('{SIGFULL}'",
            "process.once(\"{SIGFULL}\"",
            "process.addListener('{SIGFULL}'",
            "process.addListener(\"{SIGFULL}\"",
        ],
        options_with_value: &["-r", "--require", "--import", "--loader", "--inspect-port", "--title"],
        inline_code_options: &["-e", "--eval", "-p", "--print"],
        module_option: None,
        fix: "add `process.on('SIGTERM', () => server.close(() => process.exit(0)))`, or run under an init (`ENTRYPOINT [\"tini\", \"--\"]`, `docker run --init`)",
    },
    Interpreter {
        language: "ruby",
        prefixes: &["ruby"],
        // Ruby installs handlers for these at start-up; measured: ruby 3.1 as PID 1 exits.
        handles_by_default: &["SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGALRM"],
        handler_patterns: &[
            "Signal.trap('{SIG}'",
            "Signal.trap(\"{SIG}\"",
            "Signal.trap(:{SIG}",
            "Signal.trap('{SIGFULL}'",
            "Signal.trap(\"{SIGFULL}\"",
            "trap('{SIG}'",
            "trap(\"{SIG}\"",
        ],
        options_with_value: &["-r", "-I", "-C", "-E"],
        inline_code_options: &["-e"],
        module_option: None,
        fix: "add `Signal.trap('TERM') { shutdown; exit }`, or run under an init",
    },
    Interpreter {
        language: "php",
        prefixes: &["php"],
        handles_by_default: &[],
        handler_patterns: &["pcntl_signal({SIGFULL}", "pcntl_signal(\\{SIGFULL}"],
        options_with_value: &["-c", "-d", "-z"],
        inline_code_options: &["-r"],
        module_option: None,
        fix: "add `pcntl_async_signals(true); pcntl_signal(SIGTERM, fn() => exit(0));`, or run under an init",
    },
    Interpreter {
        language: "perl",
        prefixes: &["perl"],
        handles_by_default: &[],
        handler_patterns: &["$SIG{{SIG}}", "$SIG{'{SIG}'}", "$SIG{\"{SIG}\"}"],
        options_with_value: &["-I", "-M", "-m"],
        inline_code_options: &["-e", "-E"],
        module_option: None,
        fix: "add `$SIG{TERM} = sub { exit 0 };`, or run under an init",
    },
];

pub fn interpreter(basename: &str) -> Option<&'static Interpreter> {
    INTERPRETERS.iter().find(|i| {
        i.prefixes.iter().any(|p| {
            basename
                .strip_prefix(p)
                .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit() || c == '.'))
        })
    })
}

impl Interpreter {
    /// Whether `source` installs a handler for `signal` (e.g. "SIGTERM"); returns the
    /// pattern that matched.
    pub fn find_handler(&self, source: &str, signal: &str) -> Option<String> {
        let short = signal.trim_start_matches("SIG");
        let compact: String = source.chars().filter(|c| !c.is_whitespace()).collect();
        self.handler_patterns
            .iter()
            .map(|p| p.replace("{SIGFULL}", signal).replace("{SIG}", short))
            .find(|p| compact.contains(p.as_str()))
    }
}

/// Python modules that are servers installing their own handlers (`python -m gunicorn`).
pub const PYTHON_SERVER_MODULES: &[&str] =
    &["gunicorn", "uvicorn", "hypercorn", "daphne", "celery"];

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn interpreters_by_versioned_name() {
        assert_eq!(
            interpreter("python3.12").map(|i| i.language),
            Some("python")
        );
        assert_eq!(interpreter("nodejs").map(|i| i.language), Some("node"));
        assert!(interpreter("pythonista").is_none());
    }

    #[test]
    fn handler_patterns_ignore_whitespace() {
        let py = interpreter("python").unwrap();
        assert!(py
            .find_handler("signal.signal( signal.SIGTERM , h)", "SIGTERM")
            .is_some());
        assert!(py
            .find_handler("signal.signal(signal.SIGINT, h)", "SIGTERM")
            .is_none());
        let node = interpreter("node").unwrap();
        assert!(node
            .find_handler("process.on(\"SIGTERM\", f)", "SIGTERM")
            .is_some());
    }
}
