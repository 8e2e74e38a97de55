//! Shells: which one runs a shell-form string, and whether it stays PID 1.

pub mod analyze;

pub use analyze::{analyze, analyze_in, Cmd, Part, Position, ShellFacts, Terminal, Trap, WordNode};

/// The shell that runs a `-c` string. Behaviour measured in a real PID namespace on Debian 12
/// (dash 0.5.12, bash 5.2, busybox 1.35); see rules/IL101.md.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellKind {
    Dash,
    Bash,
    BusyboxAsh,
    /// `FROM scratch` or distroless: there is no `/bin/sh`.
    Absent,
    /// A shell initlint has no measurements for (zsh, pwsh, …).
    Other(String),
}

impl ShellKind {
    pub fn name(&self) -> &str {
        match self {
            ShellKind::Dash => "dash",
            ShellKind::Bash => "bash",
            ShellKind::BusyboxAsh => "busybox ash",
            ShellKind::Absent => "no shell",
            ShellKind::Other(n) => n,
        }
    }
}

/// A shell named explicitly on the launch path (`bash -c`, `/bin/ash`); `sh` is `None`:
/// it is whatever `/bin/sh` is in the container.
pub fn explicit_kind(basename: &str) -> Option<ShellKind> {
    match basename {
        "bash" => Some(ShellKind::Bash),
        "dash" => Some(ShellKind::Dash),
        "ash" | "busybox" => Some(ShellKind::BusyboxAsh),
        "zsh" | "ksh" | "mksh" | "fish" | "pwsh" | "powershell" | "cmd" | "cmd.exe" => {
            Some(ShellKind::Other(basename.to_string()))
        }
        _ => None,
    }
}

pub fn is_shell(basename: &str) -> bool {
    basename == "sh" || explicit_kind(basename).is_some()
}

/// What `/bin/sh` is in an image, from its reference alone. Returns the kind and the reason;
/// `None` when the reference tells nothing (the caller assumes dash and says so).
pub fn infer_from_reference(reference: &str) -> Option<(ShellKind, String)> {
    let r = reference.to_ascii_lowercase();
    let name_and_tag = r.rsplit('/').next().unwrap_or(&r);
    let (name, tag) = name_and_tag
        .split_once('@')
        .map_or(name_and_tag, |(n, _)| n)
        .split_once(':')
        .unwrap_or((name_and_tag, ""));
    let has = |words: &[&str]| words.iter().any(|w| name == *w || tag.contains(w));
    let because = |what: &str| format!("base image {reference} is {what}");
    if r.contains("distroless") {
        return Some(if tag.contains("debug") {
            (
                ShellKind::BusyboxAsh,
                because("distroless :debug (busybox /bin/sh)"),
            )
        } else {
            (ShellKind::Absent, because("distroless (no /bin/sh)"))
        });
    }
    if name == "busybox" || has(&["alpine"]) || name == "alpine" {
        return Some((
            ShellKind::BusyboxAsh,
            because("Alpine/BusyBox (/bin/sh is busybox ash)"),
        ));
    }
    if has(&[
        "fedora",
        "centos",
        "rockylinux",
        "almalinux",
        "amazonlinux",
        "oraclelinux",
        "archlinux",
        "photon",
    ]) || name.starts_with("ubi")
        || r.contains("redhat")
    {
        return Some((
            ShellKind::Bash,
            because("a Red Hat/Fedora/Arch family image (/bin/sh is bash)"),
        ));
    }
    let debian_words = [
        "debian", "ubuntu", "slim", "bookworm", "bullseye", "buster", "trixie", "jammy", "focal",
        "noble", "bionic",
    ];
    if has(&debian_words) {
        return Some((
            ShellKind::Dash,
            because("Debian/Ubuntu based (/bin/sh is dash)"),
        ));
    }
    // Official language images without an -alpine tag are Debian based.
    let official_debian = [
        "python",
        "node",
        "ruby",
        "golang",
        "openjdk",
        "eclipse-temurin",
        "php",
        "perl",
        "rust",
        "gradle",
        "maven",
        "nginx",
        "httpd",
        "postgres",
        "redis",
        "mysql",
        "mariadb",
        "mongo",
        "rabbitmq",
        "elixir",
        "erlang",
        "haskell",
        "julia",
        "r-base",
        "buildpack-deps",
        "gcc",
        "clojure",
        "pypy",
        "tomcat",
        "wordpress",
        "memcached",
        "traefik",
        "caddy",
    ];
    // Docker Hub's library, not an image of that name on another registry (a tag may hold
    // dots: python:3.12).
    let registry = r
        .split_once('/')
        .map(|(first, _)| first)
        .filter(|h| h.contains(['.', ':']) || *h == "localhost");
    let hub = registry.is_none_or(|h| h == "docker.io" || h == "index.docker.io");
    if official_debian.contains(&name) && hub {
        return Some((
            ShellKind::Dash,
            because("an official image whose default variant is Debian based (/bin/sh is dash)"),
        ));
    }
    None
}

/// Whether the shell stays PID 1 while the command at `place` runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecOutcome {
    /// `exec app`: replaced by the program in every shell.
    Explicit,
    /// The shell execs the last simple command itself (bash, busybox ash).
    Implicit,
    /// The shell forks the program and waits: it stays PID 1. The reason says why.
    Stays(String),
}

pub fn exec_outcome(kind: &ShellKind, place: &Position, explicit: bool) -> ExecOutcome {
    use Position::*;
    if explicit && !matches!(place, Pipeline | Background | Subshell | Loop | FollowedBy) {
        return ExecOutcome::Explicit;
    }
    let stays = |why: &str| ExecOutcome::Stays(why.to_string());
    match place {
        Pipeline => {
            stays("the command is part of a pipeline: every shell forks each stage and waits")
        }
        Background => stays("the command runs in the background (&): the shell stays to wait"),
        Subshell => stays("the command runs in a ( subshell ): the shell forks it and waits"),
        Loop => stays("the command runs inside a loop: the shell must stay to loop"),
        FollowedBy => stays("more commands follow it: the shell must stay to run them"),
        Negated => stays("the command is negated (!): the shell waits to invert its status"),
        _ => match kind {
            ShellKind::Dash => stays("dash never execs the last command of a -c string implicitly"),
            ShellKind::Bash => match place {
                Tail | AfterList => ExecOutcome::Implicit,
                AfterBackground => stays(
                    "bash does not exec the last command of a list that started a background job",
                ),
                Redirected => stays("bash does not exec a last command that has redirections"),
                _ => stays("bash does not exec a command inside a compound command (if/case/{ })"),
            },
            ShellKind::BusyboxAsh => ExecOutcome::Implicit,
            ShellKind::Absent => stays("there is no shell to run the string at all"),
            ShellKind::Other(name) => ExecOutcome::Stays(format!(
                "{name}'s behaviour is not measured by initlint; assuming it stays"
            )),
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn kind(r: &str) -> Option<ShellKind> {
        infer_from_reference(r).map(|(k, _)| k)
    }

    #[test]
    fn base_images() {
        assert_eq!(kind("alpine:3.20"), Some(ShellKind::BusyboxAsh));
        assert_eq!(kind("python:3.12-alpine"), Some(ShellKind::BusyboxAsh));
        assert_eq!(kind("python:3.12-slim"), Some(ShellKind::Dash));
        assert_eq!(kind("node:20"), Some(ShellKind::Dash));
        assert_eq!(kind("debian:bookworm"), Some(ShellKind::Dash));
        assert_eq!(
            kind("docker.io/library/ubuntu:24.04"),
            Some(ShellKind::Dash)
        );
        assert_eq!(kind("fedora:40"), Some(ShellKind::Bash));
        assert_eq!(
            kind("registry.access.redhat.com/ubi9/ubi-minimal"),
            Some(ShellKind::Bash)
        );
        assert_eq!(kind("gcr.io/distroless/static"), Some(ShellKind::Absent));
        assert_eq!(
            kind("gcr.io/distroless/base:debug"),
            Some(ShellKind::BusyboxAsh)
        );
        assert_eq!(kind("ghcr.io/acme/app:1.0"), None);
        // A tag with dots is still Docker Hub's official image; another registry's is not.
        assert_eq!(kind("python:3.12"), Some(ShellKind::Dash));
        assert_eq!(kind("docker.io/library/ruby:3.3.1"), Some(ShellKind::Dash));
        assert_eq!(kind("ghcr.io/acme/python:3.12"), None);
        assert_eq!(kind("localhost:5000/node:20"), None);
    }

    #[test]
    fn measured_table() {
        use ExecOutcome::*;
        let d = ShellKind::Dash;
        let b = ShellKind::Bash;
        let a = ShellKind::BusyboxAsh;
        assert!(matches!(exec_outcome(&d, &Position::Tail, false), Stays(_)));
        assert_eq!(exec_outcome(&b, &Position::Tail, false), Implicit);
        assert_eq!(exec_outcome(&a, &Position::Tail, false), Implicit);
        assert_eq!(exec_outcome(&b, &Position::AfterList, false), Implicit);
        assert!(matches!(
            exec_outcome(&b, &Position::Redirected, false),
            Stays(_)
        ));
        assert_eq!(exec_outcome(&a, &Position::Redirected, false), Implicit);
        assert!(matches!(
            exec_outcome(&b, &Position::Compound, false),
            Stays(_)
        ));
        assert_eq!(exec_outcome(&a, &Position::Compound, false), Implicit);
        // Measured: `bash -c 'a & b'` stays; busybox ash execs b.
        assert!(matches!(
            exec_outcome(&b, &Position::AfterBackground, false),
            Stays(_)
        ));
        assert_eq!(
            exec_outcome(&a, &Position::AfterBackground, false),
            Implicit
        );
        for k in [&d, &b, &a] {
            assert!(matches!(
                exec_outcome(k, &Position::Pipeline, false),
                Stays(_)
            ));
            assert!(matches!(
                exec_outcome(k, &Position::Background, false),
                Stays(_)
            ));
            assert_eq!(exec_outcome(k, &Position::Tail, true), Explicit);
            assert_eq!(exec_outcome(k, &Position::AfterList, true), Explicit);
        }
    }
}
