//! What a compiled program's sources say about signals and children, for a program a build
//! stage compiles (`go build`, `cargo build`, `gcc`) that Dockerfile mode cannot read as a
//! binary. The three languages share C's comments, which are blanked first so a comment
//! that names `signal(SIGTERM, …)` proves nothing; the rest is matched with whitespace
//! removed, so `signal (SIGTERM,` and `signal(SIGTERM,` are one pattern.

use std::ops::Range;

/// A compiled language initlint can judge from its sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Go,
    Rust,
    /// C and C++: the same system calls, the same default as PID 1.
    C,
    /// JavaScript and TypeScript that a build (`npm run build`, `tsc`) turns into the file
    /// node runs: the app's handler is in its sources.
    JavaScript,
    /// C# that `dotnet publish` builds. Whether the runtime handles SIGTERM by itself depends
    /// on its version, read from the project's `<TargetFramework>` (see [`dotnet_framework`]).
    DotNet,
    /// A Gradle application's start script (`installDist` writes `build/install/NAME/bin/NAME`),
    /// which execs java: the JVM's own handler decides, not the sources.
    Java,
    /// An Elixir release (`mix release` writes `_build/ENV/rel/NAME/bin/NAME`), whose `start`
    /// execs the release's Erlang runtime: the BEAM's own handler decides.
    Elixir,
}

impl Language {
    pub fn name(self) -> &'static str {
        match self {
            Language::Go => "Go",
            Language::Rust => "Rust",
            Language::C => "C/C++",
            Language::JavaScript => "JavaScript/TypeScript",
            Language::DotNet => ".NET (C#)",
            Language::Java => "Java (Gradle application)",
            Language::Elixir => "Elixir (mix release)",
        }
    }

    /// The program the build's start script execs, whose own behaviour decides (the JVM, the
    /// BEAM), for the languages whose product is such a script.
    pub fn runtime_program(self) -> Option<&'static str> {
        match self {
            Language::Java => Some("java"),
            Language::Elixir => Some("beam.smp"),
            _ => None,
        }
    }

    /// Whether `stage_path` is where the build writes its start script: Gradle's
    /// `build/install/NAME/bin/NAME`, a release's `_build/ENV/rel/NAME/bin/NAME`.
    pub fn is_start_script(self, stage_path: &str) -> bool {
        match self {
            Language::Java => {
                stage_path.contains("/build/install/") && stage_path.contains("/bin/")
            }
            Language::Elixir => stage_path.contains("/rel/") && stage_path.contains("/bin/"),
            _ => true,
        }
    }

    /// The ways to install a handler initlint looks for, as a rule names them.
    pub fn handler_apis(self) -> &'static str {
        match self {
            Language::Go => "os/signal.Notify",
            Language::Rust => "tokio's SignalKind, signal-hook, libc/nix sigaction, actix-web, ctrlc",
            Language::C => "signal/sigaction, sigwait, boost.asio's signal_set",
            Language::JavaScript => "process.on/once",
            Language::DotNet => "a host builder (WebApplication, Host.CreateDefaultBuilder/CreateApplicationBuilder, UseConsoleLifetime), PosixSignalRegistration",
            Language::Java => "the JVM's own handler",
            Language::Elixir => "the BEAM's own handler",
        }
    }

    /// How to handle `signal` in the language, for a rule's fix.
    pub fn handler_fix(self, signal: &str) -> String {
        match self {
            Language::Go => format!("signal.Notify(ch, syscall.{signal})"),
            Language::Rust => "tokio::signal::unix or signal-hook".into(),
            Language::C => format!("sigaction({signal}, …)"),
            Language::JavaScript => format!("process.on('{signal}', …)"),
            Language::DotNet => format!("run the app in the Generic Host (Host.CreateApplicationBuilder) or register PosixSignalRegistration.Create(PosixSignal.{signal}, …)"),
            Language::Java => "let the JVM handle it (no -Xrs) and clean up in Runtime.addShutdownHook".into(),
            Language::Elixir => "let the BEAM handle it (init:stop stops the applications in order)".into(),
        }
    }

    /// Whether a file with this name is a source of the language (or, for Rust, its
    /// manifest, which names the crates that install handlers).
    pub fn is_source(self, file_name: &str) -> bool {
        let ext = file_name.rsplit_once('.').map_or("", |(_, e)| e);
        match self {
            Language::Go => ext == "go" && !file_name.ends_with("_test.go"),
            Language::Rust => ext == "rs" || file_name == "Cargo.toml",
            Language::C => matches!(
                ext,
                "c" | "h" | "cc" | "cpp" | "cxx" | "hh" | "hpp" | "hxx" | "C"
            ),
            Language::JavaScript => {
                matches!(
                    ext,
                    "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" | "jsx" | "tsx"
                ) && !file_name.ends_with(".d.ts")
                    && ![".test.", ".spec."].iter().any(|t| file_name.contains(t))
            }
            // The project file and Directory.Build.props name the target framework.
            Language::DotNet => {
                ext == "cs" || ext == "csproj" || file_name == "Directory.Build.props"
            }
            Language::Java | Language::Elixir => false,
        }
    }
}

/// A match in one source text: what it is, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub what: String,
    pub range: Range<usize>,
}

/// A source text with comments blanked and whitespace removed, mapped back to offsets.
struct Compact {
    text: String,
    /// For each byte of `text`, its offset in the original.
    at: Vec<usize>,
}

impl Compact {
    fn new(original: &str, lang: Language) -> Compact {
        // Rust's `'` starts a lifetime as often as a char: not a string there.
        let blanked = blank_comments(original, lang != Language::Rust);
        let mut text = String::with_capacity(blanked.len());
        let mut at = Vec::with_capacity(blanked.len());
        for (i, c) in blanked.char_indices() {
            if !c.is_whitespace() {
                text.push(c);
                at.extend(std::iter::repeat_n(i, c.len_utf8()));
            }
        }
        Compact { text, at }
    }

    /// The original range of `range` in the compact text.
    fn original(&self, range: Range<usize>, source: &str) -> Range<usize> {
        let start = self.at.get(range.start).copied().unwrap_or(source.len());
        let end = range
            .end
            .checked_sub(1)
            .and_then(|e| self.at.get(e))
            .map_or(start, |e| e + 1);
        start..end.min(source.len()).max(start)
    }

    fn found(&self, range: Range<usize>, source: &str) -> Found {
        let range = self.original(range, source);
        let what = source
            .get(range.clone())
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        Found { what, range }
    }
}

/// `//` and `/* */` comments replaced by spaces (offsets kept). String literals are skipped
/// so `"http://x"` (and, with `single`, `'src/**/*.ts'`) is not a comment; Rust's raw strings
/// and char literals are rare enough in signal code to be read as code.
fn blank_comments(s: &str, single: bool) -> String {
    let b = s.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'"' | b'`' | b'\'') if q != b'\'' || single => {
                i += 1;
                while i < b.len() && b[i] != q && b[i] != b'\n' {
                    i += if b[i] == b'\\' && q != b'`' { 2 } else { 1 };
                }
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    out[i] = b' ';
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = s[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
                for o in &mut out[i..end] {
                    if *o != b'\n' {
                        *o = b' ';
                    }
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    // Only ASCII bytes were replaced, by ASCII spaces: still UTF-8.
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// The argument list of the call whose `(` is at `open`: up to the matching `)`.
fn call_args(text: &str, open: usize) -> Option<Range<usize>> {
    let mut depth = 0usize;
    for (i, c) in text.get(open..)?.char_indices().take(4096) {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(open + 1..open + i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Top-level comma-separated arguments.
fn split_args(args: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in args.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&args[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < args.len() {
        out.push(&args[start..]);
    }
    out
}

/// `name` as a whole token in `text` at `i` (not part of a longer identifier).
fn token_at(text: &str, i: usize, name: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let before = text[..i].chars().next_back().is_none_or(|c| !ident(c));
    let after = text[i + name.len()..]
        .chars()
        .next()
        .is_none_or(|c| !ident(c));
    before && after
}

fn tokens<'a>(text: &'a str, name: &'a str) -> impl Iterator<Item = usize> + 'a {
    text.match_indices(name)
        .map(|(i, _)| i)
        .filter(move |&i| token_at(text, i, name))
}

/// Where the source installs a handler for (or collects) `signal` (`SIGTERM`). `manifest`
/// is a Rust crate's Cargo.toml, whose dependencies can install handlers themselves.
pub fn handler(lang: Language, source: &str, signal: &str) -> Option<Found> {
    let c = Compact::new(source, lang);
    match lang {
        Language::Go => go_handler(&c, source, signal),
        Language::Rust => rust_handler(&c, source, signal),
        Language::C => c_handler(&c, source, signal),
        Language::JavaScript => js_handler(&c, source, signal),
        Language::DotNet => dotnet_handler(&c, source, signal),
        Language::Java | Language::Elixir => None,
    }
}

/// .NET's hosting model installs handlers for SIGINT, SIGQUIT and SIGTERM (its
/// ConsoleLifetime, registered by every host builder), and an app may register its own
/// with `PosixSignalRegistration` or, for SIGINT and SIGQUIT, `Console.CancelKeyPress`.
fn dotnet_handler(c: &Compact, source: &str, signal: &str) -> Option<Found> {
    const HOSTS: &[&str] = &[
        "WebApplication.CreateBuilder(",
        "WebApplication.CreateSlimBuilder(",
        "WebApplication.Create(",
        "Host.CreateDefaultBuilder(",
        "Host.CreateApplicationBuilder(",
        "WebHost.CreateDefaultBuilder(",
        "UseConsoleLifetime(",
        "newHostBuilder(",
    ];
    let mut calls: Vec<String> = Vec::new();
    if matches!(signal, "SIGTERM" | "SIGINT" | "SIGQUIT") {
        calls.extend(HOSTS.iter().map(|h| h.to_string()));
    }
    calls.push(format!(
        "PosixSignalRegistration.Create(PosixSignal.{signal}"
    ));
    if matches!(signal, "SIGINT" | "SIGQUIT") {
        calls.push("Console.CancelKeyPress+=".into());
    }
    calls.iter().find_map(|call| {
        let head = call.split(['.', '(']).next().unwrap_or(call);
        let i = tokens(&c.text, head).find(|&i| c.text[i..].starts_with(call.as_str()))?;
        let mut found = c.found(i..i + call.len(), source);
        if HOSTS.contains(&call.as_str()) {
            found.what += " (the host's ConsoleLifetime registers SIGINT, SIGQUIT and SIGTERM)";
        }
        Some(found)
    })
}

/// The target framework a .NET project file (or Directory.Build.props) names:
/// `<TargetFramework>net8.0</TargetFramework>`, or every one of `<TargetFrameworks>`.
pub fn dotnet_framework(manifest: &str) -> Option<Found> {
    for tag in ["<TargetFramework>", "<TargetFrameworks>"] {
        let Some(at) = manifest.find(tag) else {
            continue;
        };
        let start = at + tag.len();
        let end = start + manifest[start..].find('<')?;
        let what = manifest[start..end].trim().to_string();
        if !what.is_empty() && !what.contains('$') {
            return Some(Found {
                what,
                range: start..end,
            });
        }
    }
    None
}

/// The major .NET version of target frameworks (`net10.0`, `netcoreapp3.1`, `net8.0;net9.0`),
/// when all of them are .NET (Core); `None` for .NET Framework (`net48`), .NET Standard (a
/// library, not an app) or one that cannot be read.
pub fn dotnet_majors(frameworks: &str) -> Option<Vec<u32>> {
    frameworks
        .split(';')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| {
            let version = f
                .strip_prefix("netcoreapp")
                .or_else(|| f.strip_prefix("net").filter(|v| v.contains('.')))?;
            version.split(['.', '-']).next()?.parse().ok()
        })
        .collect()
}

/// node's own handler patterns (`process.on('SIGTERM'`), as image mode reads an app.
fn js_handler(c: &Compact, source: &str, signal: &str) -> Option<Found> {
    let node = crate::knowledge::interpreter("node")?;
    let pattern = node.find_handler(&c.text, signal)?;
    let i = c.text.find(&pattern)?;
    Some(c.found(i..i + pattern.len(), source))
}

/// `signal.Notify(ch, syscall.SIGTERM)`, `signal.NotifyContext(ctx, …)`; with no signals
/// listed, Notify relays every signal. `os.Interrupt` is SIGINT. A list that is a variable
/// counts when the signal is named in the same file.
fn go_handler(c: &Compact, source: &str, signal: &str) -> Option<Found> {
    for call in ["signal.Notify(", "signal.NotifyContext("] {
        for (i, _) in c.text.match_indices(call) {
            let open = i + call.len() - 1;
            let Some(args) = call_args(&c.text, open) else {
                continue;
            };
            let list = split_args(&c.text[args.clone()]);
            let signals = list.get(1..).unwrap_or(&[]);
            let names = |a: &&str| {
                a.ends_with(&format!(".{signal}")) || (signal == "SIGINT" && *a == "os.Interrupt")
            };
            let variable = signals
                .iter()
                .any(|a| a.ends_with("...") || !(a.contains(".SIG") || a.starts_with("os.")));
            let named_in_file = c.text.contains(&format!(".{signal}"));
            if signals.is_empty() || signals.iter().any(names) || (variable && named_in_file) {
                return Some(c.found(i..args.end + 1, source));
            }
        }
    }
    None
}

/// tokio's `SignalKind::terminate()`, and `SIGTERM` named beside a registration API
/// (signal-hook, libc/nix sigaction or signal, `Signals::new`).
fn rust_handler(c: &Compact, source: &str, signal: &str) -> Option<Found> {
    let tokio = match signal {
        "SIGTERM" => Some("terminate"),
        "SIGINT" => Some("interrupt"),
        "SIGQUIT" => Some("quit"),
        "SIGHUP" => Some("hangup"),
        "SIGUSR1" => Some("user_defined1"),
        "SIGUSR2" => Some("user_defined2"),
        _ => None,
    };
    if let Some(kind) = tokio {
        let call = format!("SignalKind::{kind}()");
        if let Some(i) = c.text.find(&call) {
            return Some(c.found(i..i + call.len(), source));
        }
    }
    const REGISTER: &[&str] = &[
        "signal_hook",
        "sigaction(",
        "signal(",
        "Signals::new(",
        "register(",
        "SigAction::new(",
        "signalfd",
    ];
    if !REGISTER.iter().any(|r| c.text.contains(r)) {
        return None;
    }
    // `kill(pid, Signal::SIGTERM)` sends it: the token must sit in a registration's
    // statement, not a kill's.
    for i in tokens(&c.text, signal) {
        let from = c.text[..i].rfind([';', '{', '}']).map_or(0, |s| s + 1);
        let statement = &c.text[from..i];
        if statement.contains("kill(") {
            continue;
        }
        if REGISTER.iter().any(|r| statement.contains(r)) || statement.contains("Signals::new") {
            return Some(c.found(from..i + signal.len(), source));
        }
    }
    None
}

/// `signal(SIGTERM, …)`, `sigaction(SIGTERM, …)`, `sigaddset(&set, SIGTERM)` (for sigwait
/// or signalfd), boost.asio's `signal_set(io, SIGINT, SIGTERM)`.
fn c_handler(c: &Compact, source: &str, signal: &str) -> Option<Found> {
    const CALLS: &[&str] = &[
        "signal(",
        "sigaction(",
        "sigaddset(",
        "sigset(",
        "bsd_signal(",
        "signal_set(",
        "signal_set",
        ".add(",
    ];
    for i in tokens(&c.text, signal) {
        let from = c.text[..i].rfind([';', '{', '}']).map_or(0, |s| s + 1);
        let statement = &c.text[from..i];
        if statement.contains("kill(") || statement.contains("raise(") {
            continue;
        }
        if CALLS.iter().any(|call| statement.contains(call)) {
            let end = call_args(&c.text, c.text[from..].find('(').map_or(i, |p| from + p))
                .map_or(i + signal.len(), |a| a.end + 1);
            return Some(c.found(from..end.max(i + signal.len()), source));
        }
    }
    None
}

/// A crate in Cargo.toml that installs handlers for `signal` itself: actix-web's server
/// (SIGINT, SIGTERM, SIGQUIT, unless `disable_signals()`), ctrlc with its `termination`
/// feature (SIGINT, SIGTERM, SIGHUP).
pub fn rust_crate_handler(manifest: &str, signal: &str) -> Option<Found> {
    let line_of = |needle: &str| {
        manifest
            .lines()
            .scan(0, |at, l| {
                let start = *at;
                *at += l.len() + 1;
                Some((start, l))
            })
            .find(|(_, l)| l.trim_start().starts_with(needle))
    };
    for krate in ["actix-web", "actix-server"] {
        if matches!(signal, "SIGTERM" | "SIGINT" | "SIGQUIT") {
            if let Some((at, l)) = line_of(krate) {
                return Some(Found {
                    what: format!(
                        "{} (its server stops on SIGINT, SIGTERM, SIGQUIT)",
                        l.trim()
                    ),
                    range: at..at + l.len(),
                });
            }
        }
    }
    if matches!(signal, "SIGTERM" | "SIGINT" | "SIGHUP") {
        if let Some((at, l)) = line_of("ctrlc") {
            if l.contains("termination") || signal == "SIGINT" {
                return Some(Found {
                    what: l.trim().to_string(),
                    range: at..at + l.len(),
                });
            }
        }
    }
    None
}

/// Where the source waits for any child (`waitpid(-1, …)`, `wait(…)`, `Wait4(-1`, a
/// reaper package) or lets the kernel reap (`SIGCHLD` set to `SIG_IGN`).
pub fn reaper(lang: Language, source: &str) -> Option<Found> {
    let c = Compact::new(source, lang);
    let patterns: &[&str] = match lang {
        Language::Go => &[
            "syscall.Wait4(-1",
            "unix.Wait4(-1",
            "\"github.com/ramr/go-reaper\"",
            "\"github.com/hashicorp/go-reap\"",
            "\"github.com/pablo-ruth/go-init\"",
        ],
        Language::Rust => &[
            "waitpid(-1",
            "waitpid(Pid::from_raw(-1)",
            "libc::wait(",
            "wait::wait()",
            "libc::wait4(-1",
        ],
        Language::C => &[
            "waitpid(-1",
            "wait4(-1",
            "waitid(P_ALL",
            "wait(NULL)",
            "wait(0)",
            "wait(&",
            "wait3(",
            "SIGCHLD,SIG_IGN",
            "SA_NOCLDWAIT",
        ],
        // node waits only for the children it starts; so does .NET's Process class.
        Language::JavaScript | Language::DotNet | Language::Java | Language::Elixir => &[],
    };
    patterns.iter().find_map(|p| {
        c.text
            .match_indices(p)
            // `wait(` must be the call itself, not the end of `mywait(`.
            .find(|(i, _)| !p.starts_with("wait(") || token_at(&c.text, *i, "wait"))
            .map(|(i, _)| c.found(i..i + p.len(), source))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_notify_decides_by_the_signals_it_lists() {
        let src = "package main\nimport (\"os/signal\"; \"syscall\")\nfunc main() {\n\tsignal.Notify(ch, os.Interrupt,\n\t\tsyscall.SIGTERM)\n}\n";
        let f = handler(Language::Go, src, "SIGTERM").unwrap();
        assert_eq!(f.what, "signal.Notify(ch, os.Interrupt, syscall.SIGTERM)");
        assert_eq!(&src[f.range.start..f.range.start + 13], "signal.Notify");
        assert!(handler(Language::Go, src, "SIGQUIT").is_none());
        assert!(handler(Language::Go, src, "SIGINT").is_some());
        // No signals: every signal is relayed.
        assert!(handler(Language::Go, "signal.Notify(c)", "SIGQUIT").is_some());
        let ctx = "ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)";
        assert!(handler(Language::Go, ctx, "SIGTERM").is_some());
        // In a comment it is no handler.
        assert!(handler(
            Language::Go,
            "// signal.Notify(c, syscall.SIGTERM)\n",
            "SIGTERM"
        )
        .is_none());
        // A list in a variable counts where the signal is named.
        let var = "var sigs = []os.Signal{syscall.SIGTERM}\nsignal.Notify(c, sigs...)";
        assert!(handler(Language::Go, var, "SIGTERM").is_some());
        assert!(handler(Language::Go, "signal.Notify(c, sigs...)", "SIGTERM").is_none());
    }

    #[test]
    fn rust_handlers_are_registrations_not_kills() {
        let tokio = "let mut term = signal(SignalKind::terminate())?;";
        assert!(handler(Language::Rust, tokio, "SIGTERM").is_some());
        assert!(handler(Language::Rust, tokio, "SIGINT").is_none());
        let hook =
            "use signal_hook::consts::SIGTERM;\nlet mut s = Signals::new([SIGTERM, SIGINT])?;";
        assert!(handler(Language::Rust, hook, "SIGTERM").is_some());
        let kill = "use nix::sys::signal::{kill, Signal};\nkill(child, Signal::SIGTERM)?;";
        assert!(handler(Language::Rust, kill, "SIGTERM").is_none());
        let toml = "[dependencies]\nactix-web = \"4\"\n";
        assert!(rust_crate_handler(toml, "SIGTERM").is_some());
        assert!(rust_crate_handler(toml, "SIGUSR1").is_none());
        let ctrlc = "[dependencies]\nctrlc = \"3\"\n";
        assert!(rust_crate_handler(ctrlc, "SIGTERM").is_none());
        let term = "[dependencies]\nctrlc = { version = \"3\", features = [\"termination\"] }\n";
        assert!(rust_crate_handler(term, "SIGTERM").is_some());
    }

    #[test]
    fn c_handlers_and_reapers() {
        let src = "#include <signal.h>\nint main(void) {\n  struct sigaction sa;\n  sigaction (SIGTERM, &sa, 0);\n}\n";
        let f = handler(Language::C, src, "SIGTERM").unwrap();
        assert!(f.what.contains("sigaction (SIGTERM, &sa, 0)"), "{f:?}");
        assert!(handler(Language::C, src, "SIGQUIT").is_none());
        assert!(handler(Language::C, "kill(pid, SIGTERM);", "SIGTERM").is_none());
        assert!(handler(Language::C, "/* signal(SIGTERM, h); */", "SIGTERM").is_none());
        assert!(handler(Language::C, "sigaddset(&set, SIGTERM);", "SIGTERM").is_some());
        assert!(reaper(Language::C, "while (waitpid(-1, &st, WNOHANG) > 0) {}").is_some());
        assert!(reaper(Language::C, "waitpid(child, &st, 0);").is_none());
        assert!(reaper(Language::C, "signal(SIGCHLD, SIG_IGN);").is_some());
        assert!(reaper(Language::C, "mywait(&x);").is_none());
        assert!(reaper(Language::Go, "import \"github.com/ramr/go-reaper\"").is_some());
    }

    #[test]
    fn a_quoted_glob_is_no_comment() {
        let src = "const files = 'src/**/*.ts';\nprocess.on('SIGTERM', stop);\n// */";
        assert!(handler(Language::JavaScript, src, "SIGTERM").is_some());
    }

    #[test]
    fn typescript_handlers_are_nodes() {
        let src = "// process.on('SIGINT', …)\nprocess.on( 'SIGTERM', async () => { await app.close(); });";
        let f = handler(Language::JavaScript, src, "SIGTERM").unwrap();
        assert_eq!(f.what, "process.on( 'SIGTERM'");
        assert!(handler(Language::JavaScript, src, "SIGINT").is_none());
        assert!(Language::JavaScript.is_source("main.ts"));
        assert!(!Language::JavaScript.is_source("main.d.ts"));
        assert!(!Language::JavaScript.is_source("app.spec.ts"));
    }

    #[test]
    fn strings_are_not_comments() {
        let src = "url := \"http://x\"\nsignal.Notify(c, syscall.SIGTERM)";
        assert!(handler(Language::Go, src, "SIGTERM").is_some());
    }

    #[test]
    fn sources_by_name() {
        assert!(Language::Go.is_source("main.go"));
        assert!(!Language::Go.is_source("main_test.go"));
        assert!(Language::Rust.is_source("Cargo.toml"));
        assert!(Language::C.is_source("server.cpp"));
        assert!(!Language::C.is_source("README.md"));
    }

    #[test]
    fn dotnet_hosts_and_registrations_are_handlers() {
        let web = "var builder = WebApplication.CreateBuilder(args);\nvar app = builder.Build();";
        let f = handler(Language::DotNet, web, "SIGTERM").unwrap();
        assert!(f
            .what
            .starts_with("WebApplication.CreateBuilder( (the host's"));
        assert!(handler(Language::DotNet, web, "SIGQUIT").is_some());
        assert!(handler(Language::DotNet, web, "SIGHUP").is_none());
        let worker = "IHost host = Host.CreateDefaultBuilder(args).Build();";
        assert!(handler(Language::DotNet, worker, "SIGTERM").is_some());
        assert!(handler(Language::DotNet, "new HostBuilder()", "SIGTERM").is_some());
        let posix = "using var r = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Environment.Exit(0));";
        assert!(handler(Language::DotNet, posix, "SIGTERM").is_some());
        assert!(handler(Language::DotNet, posix, "SIGINT").is_none());
        // CancelKeyPress is SIGINT and SIGQUIT only; a host in a comment is none.
        let cancel =
            "Console.CancelKeyPress += (s, e) => { };\n// WebApplication.CreateBuilder(args)";
        assert!(handler(Language::DotNet, cancel, "SIGINT").is_some());
        assert!(handler(Language::DotNet, cancel, "SIGTERM").is_none());
        assert!(handler(
            Language::DotNet,
            "MyWebApplication.CreateBuilder(x)",
            "SIGTERM"
        )
        .is_none());
    }

    #[test]
    fn dotnet_target_frameworks() {
        let csproj = "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>\n    <TargetFramework>net10.0</TargetFramework>\n";
        let f = dotnet_framework(csproj).unwrap();
        assert_eq!(f.what, "net10.0");
        assert_eq!(&csproj[f.range], "net10.0");
        assert_eq!(dotnet_majors("net10.0"), Some(vec![10]));
        assert_eq!(dotnet_majors("netcoreapp3.1"), Some(vec![3]));
        assert_eq!(dotnet_majors("net8.0;net9.0"), Some(vec![8, 9]));
        assert_eq!(dotnet_majors("net8.0-windows"), Some(vec![8]));
        assert_eq!(dotnet_majors("net48"), None);
        assert_eq!(dotnet_majors("netstandard2.0"), None);
        assert!(dotnet_framework("<TargetFramework>$(Tfm)</TargetFramework>").is_none());
        assert!(Language::DotNet.is_source("Program.cs"));
        assert!(Language::DotNet.is_source("app.csproj"));
        assert!(!Language::DotNet.is_source("appsettings.json"));
    }
}
