//! What programs do as PID 1 with the stop signal and with orphans, as data. Sources: each
//! project's documentation and the official images' `STOPSIGNAL`; the interpreter rows were
//! measured here in a real PID namespace (rules/IL302.md).

/// Whether a program reaps children it did not start (orphans re-parented to PID 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaps {
    /// Waits for any child (`waitpid(-1, …)`).
    Yes,
    /// Waits only for the children it started, or not at all.
    No,
}

/// A program's behaviour as PID 1.
#[derive(Debug)]
pub struct Behaviour {
    pub names: &'static [&'static str],
    /// Signals on which it shuts down (or, for an init, which it forwards to its child).
    /// `"*"`: every catchable signal.
    pub stops_on: &'static [&'static str],
    /// The signal its own documentation asks for a graceful stop, if not SIGTERM.
    pub graceful: Option<&'static str>,
    pub reaps: Reaps,
    /// An init: it forwards signals to a child and the child's behaviour decides.
    pub forwards: bool,
    /// Byte strings its binary contains, to recognise it under another name.
    pub markers: &'static [&'static str],
    /// Go main module, to recognise a Go binary by its build info.
    pub go_module: Option<&'static str>,
    /// What the knowledge says, for the verdict's reasons.
    pub note: &'static str,
}

const ALL: &[&str] = &["*"];

pub static BEHAVIOURS: &[Behaviour] = &[
    Behaviour {
        names: &["tini", "tini-static", "docker-init"],
        stops_on: ALL,
        graceful: None,
        reaps: Reaps::Yes,
        forwards: true,
        markers: &["TINI_SUBREAPER", "[FATAL tini ("],
        go_module: None,
        note: "tini forwards every signal to its child and reaps zombies (as PID 1, or anywhere with -s / TINI_SUBREAPER)",
    },
    Behaviour {
        names: &["dumb-init"],
        stops_on: ALL,
        graceful: None,
        reaps: Reaps::Yes,
        forwards: true,
        markers: &["[dumb-init] ", "DUMB_INIT_SETSID"],
        go_module: None,
        note: "dumb-init forwards signals to the child's process group (only the child with --single-child), applies -r rewrites, and reaps zombies",
    },
    Behaviour {
        names: &["catatonit"],
        stops_on: ALL,
        graceful: None,
        reaps: Reaps::Yes,
        forwards: true,
        markers: &["CATATONIT_LOG", "openSUSE/catatonit"],
        go_module: None,
        note: "catatonit forwards signals to its child and reaps zombies",
    },
    Behaviour {
        names: &["s6-svscan", "init"],
        stops_on: &["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"],
        graceful: None,
        reaps: Reaps::Yes,
        forwards: false,
        markers: &["s6-svscan"],
        go_module: None,
        note: "s6-overlay's /init stops its services on SIGTERM and reaps zombies",
    },
    Behaviour {
        names: &["supervisord"],
        stops_on: &["SIGTERM", "SIGINT", "SIGQUIT"],
        graceful: None,
        reaps: Reaps::Yes,
        forwards: false,
        markers: &[],
        go_module: None,
        note: "supervisord stops its programs on SIGTERM/SIGINT/SIGQUIT and reaps zombies",
    },
    Behaviour {
        names: &["runsvdir"],
        stops_on: &["SIGTERM", "SIGHUP"],
        graceful: None,
        reaps: Reaps::Yes,
        forwards: false,
        markers: &["runsvdir"],
        go_module: None,
        note: "runit's runsvdir exits on SIGTERM (its services get SIGTERM from runsv only on SIGHUP) and reaps zombies",
    },
    Behaviour {
        names: &["systemd", "/sbin/init", "/lib/systemd/systemd"],
        stops_on: &["SIGRTMIN+3", "SIGINT"],
        graceful: Some("SIGRTMIN+3"),
        reaps: Reaps::Yes,
        forwards: false,
        markers: &[],
        go_module: None,
        note: "systemd as PID 1 halts on SIGRTMIN+3; SIGTERM makes it re-execute itself, not stop",
    },
    Behaviour {
        names: &["java"],
        stops_on: &["SIGTERM", "SIGINT", "SIGHUP"],
        graceful: None,
        reaps: Reaps::No,
        forwards: false,
        markers: &[],
        go_module: None,
        note: "the JVM runs shutdown hooks and exits on SIGTERM/SIGINT/SIGHUP; SIGQUIT only prints a thread dump",
    },
    Behaviour {
        names: &["dotnet"],
        stops_on: &["SIGTERM", "SIGINT", "SIGQUIT"],
        graceful: None,
        reaps: Reaps::No,
        forwards: false,
        markers: &[],
        go_module: None,
        note: "the .NET host stops the application on SIGTERM/SIGINT/SIGQUIT",
    },
    Behaviour {
        names: &["nginx"],
        stops_on: &["SIGTERM", "SIGINT", "SIGQUIT"],
        graceful: Some("SIGQUIT"),
        reaps: Reaps::Yes,
        forwards: false,
        markers: &["nginx version"],
        go_module: None,
        note: "nginx stops fast on SIGTERM/SIGINT and gracefully on SIGQUIT (the official image's STOPSIGNAL); the master reaps",
    },
    Behaviour {
        names: &["httpd", "apache2", "apache2-foreground", "httpd-foreground"],
        stops_on: &["SIGTERM", "SIGWINCH", "SIGINT"],
        graceful: Some("SIGWINCH"),
        reaps: Reaps::Yes,
        forwards: false,
        markers: &[],
        go_module: None,
        note: "httpd stops on SIGTERM and gracefully on SIGWINCH (the official image's STOPSIGNAL)",
    },
    Behaviour {
        names: &["postgres", "postmaster"],
        stops_on: &["SIGTERM", "SIGINT", "SIGQUIT"],
        graceful: Some("SIGINT"),
        reaps: Reaps::Yes,
        forwards: false,
        markers: &[],
        go_module: None,
        note: "postgres: SIGTERM smart shutdown (waits for clients), SIGINT fast (the official image's STOPSIGNAL), SIGQUIT immediate; the postmaster reaps",
    },
    Behaviour {
        names: &["redis-server"],
        stops_on: &["SIGTERM", "SIGINT"],
        graceful: None,
        reaps: Reaps::No,
        forwards: false,
        markers: &[],
        go_module: None,
        note: "redis-server saves (if configured) and exits on SIGTERM/SIGINT",
    },
    Behaviour {
        names: &["php-fpm"],
        stops_on: &["SIGTERM", "SIGINT", "SIGQUIT"],
        graceful: Some("SIGQUIT"),
        reaps: Reaps::Yes,
        forwards: false,
        markers: &[],
        go_module: None,
        note: "php-fpm stops immediately on SIGTERM/SIGINT and gracefully on SIGQUIT (the official image's STOPSIGNAL)",
    },
    Behaviour {
        names: &["gunicorn", "uvicorn", "hypercorn", "daphne", "celery", "puma", "unicorn", "pm2-runtime"],
        stops_on: &["SIGTERM", "SIGINT", "SIGQUIT"],
        graceful: None,
        reaps: Reaps::Yes,
        forwards: false,
        markers: &[],
        go_module: None,
        note: "the server installs SIGTERM/SIGINT handlers and waits for its workers",
    },
    // Plain utilities used to keep a container alive: no handlers, no reaping. Measured for
    // busybox's sleep as PID 1 (ignores SIGTERM, leaves orphans as zombies).
    Behaviour {
        names: &["sleep", "tail", "cat", "pause"],
        stops_on: &[],
        graceful: None,
        reaps: Reaps::No,
        forwards: false,
        markers: &[],
        go_module: None,
        note: "installs no signal handlers, so as PID 1 it ignores every catchable signal",
    },
    Behaviour {
        names: &["busybox"],
        stops_on: &[],
        graceful: None,
        reaps: Reaps::No,
        forwards: false,
        markers: &["BusyBox v"],
        go_module: None,
        note: "busybox runs the applet named by argv[0] (or its first argument); the applet decides",
    },
    Behaviour {
        names: &["gosu"],
        stops_on: &[],
        graceful: None,
        reaps: Reaps::No,
        forwards: false,
        markers: &[],
        go_module: Some("github.com/tianon/gosu"),
        note: "gosu execs the command",
    },
];

/// An init named in `.initlint.toml` (`trusted-inits`).
static TRUSTED: Behaviour = Behaviour {
    names: &["trusted init"],
    stops_on: ALL,
    graceful: None,
    reaps: Reaps::Yes,
    forwards: true,
    markers: &[],
    go_module: None,
    note: "declared a trusted init in .initlint.toml: it forwards signals to its child and reaps zombies",
};

/// By name (basename or full path), then the config's trusted inits.
pub fn by_name(name: &str) -> Option<&'static Behaviour> {
    known(name).or_else(|| super::is_trusted_init(name).then_some(&TRUSTED))
}

fn known(name: &str) -> Option<&'static Behaviour> {
    // A full path first: /sbin/init is systemd, a bare `init` is s6-overlay's.
    let base = name.rsplit('/').next().unwrap_or(name);
    BEHAVIOURS
        .iter()
        .find(|b| b.names.contains(&name))
        .or_else(|| BEHAVIOURS.iter().find(|b| b.names.contains(&base)))
}

/// By ELF evidence: a marker string in the binary or its Go main module. Returns the entry
/// and what matched. Markers are strings only that program has (catatonit also prints
/// "tini version", so that one is not a marker).
pub fn by_evidence(bytes: &[u8], go_module: Option<&str>) -> Option<(&'static Behaviour, String)> {
    if let Some(m) = go_module {
        if let Some(b) = BEHAVIOURS.iter().find(|b| b.go_module == Some(m)) {
            return Some((b, format!("Go main module {m}")));
        }
    }
    BEHAVIOURS.iter().find_map(|b| {
        b.markers
            .iter()
            .find(|m| bytes.windows(m.len()).any(|w| w == m.as_bytes()))
            .map(|m| (b, format!("the binary contains {m:?}")))
    })
}

impl Behaviour {
    pub fn stops_on_signal(&self, signal: &str) -> bool {
        self.stops_on.iter().any(|s| *s == "*" || *s == signal)
    }

    pub fn name(&self) -> &'static str {
        self.names[0]
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
}
