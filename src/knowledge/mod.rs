//! What initlint knows about programs, kept as data: one table of programs (`programs`),
//! the interpreters and how to spot a handler in their source, and signal names.

pub mod bases;
pub mod imports;
pub mod programs;
pub mod signals;
pub mod sources;

pub use programs::{Pid1, Program, Reaps, Role};

/// Names a project's `.initlint.toml` adds to the knowledge base (`trusted-inits`,
/// `launchers`), for one target.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    pub inits: Vec<String>,
    pub launchers: Vec<String>,
}

/// A program by name (a full path the table names, then the basename: `/usr/bin/tini` →
/// tini), then among the names the project's config adds.
pub fn program(name: &str, extras: &Extras) -> Option<&'static Program> {
    let base = name.rsplit('/').next().unwrap_or(name);
    programs::by_name(name).or_else(|| {
        let named = |list: &[String]| list.iter().any(|n| n == name || n == base);
        if named(&extras.inits) {
            Some(&programs::TRUSTED_INIT)
        } else if named(&extras.launchers) {
            Some(&programs::EXTRA_LAUNCHER)
        } else {
            None
        }
    })
}

/// An exec wrapper whose subcommand decides whether it runs a command: `Some(prefix)` when it
/// does (with a program it puts in front: `newrelic-admin run-python app.py` execs python),
/// `None` when it runs none. Wrappers without subcommands always run theirs.
pub fn wrapper_subcommand(name: &str, sub: Option<&str>) -> Option<Option<&'static str>> {
    match (name, sub) {
        ("newrelic-admin", Some("run-program")) => Some(None),
        ("newrelic-admin", Some("run-python")) => Some(Some("python")),
        ("newrelic-admin", _) => None,
        _ => Some(None),
    }
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
    /// Calls that replace the process with another program, the program first
    /// (`os.execvp("gunicorn", …)`): the app is then not what stays PID 1.
    pub exec_calls: &'static [&'static str],
    /// How its source names the app's own modules, followed to find a handler.
    pub imports: imports::ImportStyle,
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
        exec_calls: &[
            "os.execv(", "os.execvp(", "os.execve(", "os.execvpe(", "os.execl(", "os.execlp(",
            "os.execle(", "os.execlpe(",
        ],
        imports: imports::ImportStyle::Python,
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
            // NestJS: listens to every termination signal unless given a list.
            "enableShutdownHooks()",
        ],
        options_with_value: &["-r", "--require", "--import", "--loader", "--inspect-port", "--title"],
        inline_code_options: &["-e", "--eval", "-p", "--print"],
        module_option: None,
        exec_calls: &[],
        imports: imports::ImportStyle::Node,
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
        exec_calls: &[],
        imports: imports::ImportStyle::None,
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
        exec_calls: &[],
        imports: imports::ImportStyle::None,
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
        exec_calls: &[],
        imports: imports::ImportStyle::None,
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
    /// The program a top-level exec call replaces the app with, when it is a string literal
    /// (`os.execvp("gunicorn", [...])` → gunicorn), and the byte range of that literal.
    pub fn exec_target(&self, source: &str) -> Option<(String, std::ops::Range<usize>)> {
        self.exec_calls.iter().find_map(|call| {
            let at = source.find(call)? + call.len();
            let rest = source.get(at..)?;
            let skipped = rest.len() - rest.trim_start().len();
            let quote = rest
                .trim_start()
                .chars()
                .next()
                .filter(|c| *c == '"' || *c == '\'')?;
            let start = at + skipped + 1;
            let len = source.get(start..)?.find(quote)?;
            let program = source.get(start..start + len)?;
            (!program.is_empty() && !program.contains(['\n', '{']))
                .then(|| (program.to_string(), start..start + len))
        })
    }

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

/// What a launcher was measured to do with SIGTERM when the `sh -c` running its package
/// script stays the app's parent (dash), by its name. It passes the signal to that child and
/// exits when it does (npm 10 and yarn 1.22, as PID 1 and under tini: tests/ground_truth.rs).
pub fn launcher_measured(name: &str) -> Option<&'static str> {
    match name {
        "npm" | "yarn" => Some(
            "it passes SIGTERM to the `sh -c` that runs the package script, which stays the app's parent (dash does not exec the script's command) and dies of it; the launcher exits and the kernel SIGKILLs the app, which never shuts down (measured with npm 10 and yarn 1.22, also under tini)",
        ),
        _ => None,
    }
}

/// The interpreter a launcher runs on, which is PID 1 when the launcher is.
pub fn launcher_runtime(name: &str) -> Option<&'static str> {
    match name {
        "npm" | "yarn" | "pnpm" | "npx" => Some("node"),
        "poetry" | "pipenv" | "pdm" | "hatch" | "rye" => Some("python"),
        _ => None,
    }
}

/// Servers built into an interpreter that install no handler for the stop signal: as PID 1
/// they keep running until SIGKILL (measured). By language, the option or module that starts
/// one, and how it is named.
pub const BUILTIN_SERVERS: &[(&str, &str, &str)] = &[
    (
        "python",
        "-m http.server",
        "python's http.server (the standard library's; measured: it keeps running as PID 1)",
    ),
    (
        "php",
        "-S",
        "php's built-in web server, -S (measured: it keeps running as PID 1)",
    ),
];

/// The builtin server `words` (an interpreter's arguments) start, if any.
pub fn builtin_server(language: &str, words: &[&str]) -> Option<&'static str> {
    BUILTIN_SERVERS.iter().find_map(|(lang, start, what)| {
        let start: Vec<&str> = start.split(' ').collect();
        (*lang == language && words.windows(start.len()).any(|w| w == start.as_slice()))
            .then_some(*what)
    })
}

/// Whether `script` is the start script of an Elixir release (the template `mix release`
/// writes as `bin/NAME`) run with `sub`command `start` or `start_iex`, which exec the BEAM in
/// the foreground (`daemon` detaches it under run_erl instead).
pub fn elixir_release_starts(script: &str, sub: Option<&str>) -> bool {
    matches!(sub, Some("start" | "start_iex"))
        && script.starts_with("#!/bin/sh")
        && script.contains("RELEASE_ROOT=")
        && script.contains("REL_VSN_DIR=")
        && script.contains("start \"elixir\" --no-halt")
}

/// What a `next build` standalone `server.js` is, for a reason: Next's start-server closes the
/// server and exits 0 on SIGTERM and SIGINT unless NEXT_MANUAL_SIG_HANDLE is set (measured
/// with Next.js 15.5 and 14.2 as PID 1: exit 0 in 0.1 s; with the variable set and no handler of the
/// app's, still running; `bench/nextjs.sh`).
pub const NEXT_STANDALONE: &str = "Next.js's standalone server.js, which `next build` writes (it closes the server and exits 0 on SIGTERM and SIGINT unless NEXT_MANUAL_SIG_HANDLE is set)";

/// Whether a node entry file starts Next's production server (`startServer` of
/// `next/dist/server/lib/start-server`, as the standalone `server.js` of Next 13 and later
/// does), which installs the handlers when `manual` (NEXT_MANUAL_SIG_HANDLE) is unset or empty.
pub fn next_start_server(source: &str, signal: &str, manual: Option<&str>) -> bool {
    next_handles(signal, manual) && source.contains("next/dist/server/lib/start-server")
}

/// Whether Next's server handles `signal` itself, with NEXT_MANUAL_SIG_HANDLE `manual`
/// (`!process.env.NEXT_MANUAL_SIG_HANDLE`: unset or empty).
pub fn next_handles(signal: &str, manual: Option<&str>) -> bool {
    matches!(signal, "SIGTERM" | "SIGINT") && manual.is_none_or(str::is_empty)
}

/// A development server whose reloader runs the real server as a child: `flask run` in debug
/// mode (`--debug`, `--reload`, FLASK_DEBUG=1) and Django's `runserver` (without
/// `--noreload`). Measured as PID 1: the reloader exits on SIGTERM and the server, its child,
/// is SIGKILLed (abrupt); with the reloader off, the server is PID 1 and python ignores
/// SIGTERM. Returns the name to show and what happens.
pub fn reloader(
    words: &[&str],
    env: impl Fn(&str) -> Option<String>,
) -> Option<(&'static str, &'static str)> {
    let named = |names: &[&str]| {
        words
            .iter()
            .position(|w| names.contains(&w.rsplit('/').next().unwrap_or(w)))
    };
    let has = |w: &str| words.contains(&w);
    const WHAT: &str = "the reloader runs the server as its child and exits on SIGTERM; the kernel SIGKILLs the server, which never shuts down (measured: flask --debug run and Django runserver; with the reloader off the server is PID 1 and python ignores SIGTERM)";
    if let Some(i) = named(&["flask"]) {
        let rest = &words[i + 1..];
        let debug_env =
            env("FLASK_DEBUG").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
        let reload = rest.contains(&"--reload")
            || ((rest.contains(&"--debug") || debug_env) && !rest.contains(&"--no-reload"));
        if rest.contains(&"run") && reload && !rest.contains(&"--no-debug") {
            return Some(("flask's reloader", WHAT));
        }
    }
    if named(&["manage.py", "django-admin"]).is_some() && has("runserver") && !has("--noreload") {
        return Some(("Django's runserver reloader", WHAT));
    }
    None
}

#[cfg(test)]
mod reloader_tests {
    use super::reloader;

    fn r(words: &str, env: Option<&str>) -> bool {
        let words: Vec<&str> = words.split(' ').collect();
        reloader(&words, |_| env.map(str::to_string)).is_some()
    }

    #[test]
    fn xrs_counts_among_the_jvm_options_only() {
        let x = |s: &str| super::jvm_xrs(&s.split(' ').collect::<Vec<_>>());
        assert!(x("java -Xmx1g -Xrs -jar app.jar"));
        assert!(!x("java -jar app.jar -Xrs"));
        assert!(!x("java -cp /app Main -Xrs"));
        assert!(!x("java -jar app.jar"));
    }

    #[test]
    fn a_reloader_is_on_by_flag_or_environment_and_off_by_flag() {
        assert!(r("flask --debug run", None));
        assert!(r("/usr/local/bin/flask run --reload", None));
        assert!(r("flask run", Some("1")));
        assert!(!r("flask run", None));
        assert!(!r("flask --debug run --no-reload", None));
        assert!(r("python manage.py runserver 0.0.0.0:8000", None));
        assert!(!r("python manage.py runserver --noreload", None));
        assert!(!r("python manage.py migrate", None));
    }
}

/// `java -Xrs` among the JVM's options (before `-jar`, `-cp` or the main class): the JVM
/// installs no handler for SIGTERM, SIGINT or SIGHUP (measured with OpenJDK 17 as PID 1).
pub fn jvm_xrs(argv: &[&str]) -> bool {
    argv.iter()
        .skip(1)
        .take_while(|w| w.starts_with('-') && **w != "-jar" && **w != "-cp")
        .any(|w| *w == "-Xrs")
}

/// Python modules that are servers installing their own handlers (`python -m gunicorn`).
pub const PYTHON_SERVER_MODULES: &[&str] =
    &["gunicorn", "uvicorn", "hypercorn", "daphne", "celery"];

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn next_standalone_server_handles_unless_manual() {
        let server = "require('next')\nconst { startServer } = require('next/dist/server/lib/start-server')\n";
        assert!(next_start_server(server, "SIGTERM", None));
        assert!(next_start_server(server, "SIGINT", Some("")));
        assert!(!next_start_server(server, "SIGTERM", Some("true")));
        assert!(!next_start_server(server, "SIGQUIT", None));
        assert!(!next_start_server("require('express')", "SIGTERM", None));
    }

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
