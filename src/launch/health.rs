//! The health check: a process the runtime starts in the container beside PID 1 (as `docker
//! exec` does), not as its child. When a check outlives its timeout the runtime kills that
//! process, and whatever it started is re-parented to PID 1, which must reap it.

use crate::model::{Container, Healthcheck};
use crate::shell::{self, ExecOutcome, Terminal};
use crate::source::Span;

/// What a timed-out health check leaves to PID 1.
#[derive(Debug, Clone)]
pub struct Check {
    /// The check as the runtime runs it (`/bin/sh -c "curl …"` for the shell form).
    pub argv: Vec<String>,
    /// Where it was set (the HEALTHCHECK instruction, the config's Healthcheck).
    pub at: Option<Span>,
    /// Its shell stays the parent of the program it runs, so killing it at the timeout
    /// orphans that program: why the shell stays. `None` when the shell execs the program,
    /// or the check is a program in exec form (what it starts itself is not followed).
    pub orphans: Option<Orphans>,
}

#[derive(Debug, Clone)]
pub struct Orphans {
    /// The program the shell runs as its child (`curl`).
    pub program: String,
    /// The shell that stays, and why it stays.
    pub shell: String,
    pub why: String,
}

/// The container's health check, if it has one that runs.
pub fn check(c: &Container) -> Option<Check> {
    let setting = c.healthcheck.as_ref()?;
    let Healthcheck::Test(argv) = &setting.value else {
        return None;
    };
    Some(Check {
        argv: argv.clone(),
        at: setting.origin.span().cloned(),
        orphans: orphans(c, argv),
    })
}

/// `[sh, -c, STRING]` whose shell forks the string's last command and waits.
fn orphans(c: &Container, argv: &[String]) -> Option<Orphans> {
    let [sh, flag, string] = argv else {
        return None;
    };
    let base = sh.rsplit('/').next().unwrap_or(sh);
    if flag != "-c" || !shell::is_shell(base) {
        return None;
    }
    let kind = match shell::explicit_kind(base) {
        Some(k) => k,
        None => c.files.shell().unwrap_or_else(|| c.shell.clone()).kind,
    };
    let analysis = shell::analyze(string);
    let Some(Terminal::Command { cmd, place }) = &analysis.terminal else {
        return None;
    };
    match shell::exec_outcome(&kind, place, cmd.explicit_exec) {
        ExecOutcome::Stays(why) => Some(Orphans {
            program: forked(cmd.name(), string),
            shell: format!("{sh} ({})", kind.name()),
            why,
        }),
        ExecOutcome::Explicit | ExecOutcome::Implicit => None,
    }
}

/// The program the shell forks: the last command, unless that is a builtin that forks
/// nothing (`curl -f … || exit 1` forks curl, then runs `exit` itself).
fn forked(last: Option<String>, string: &str) -> String {
    const BUILTINS: &[&str] = &["exit", "return", "true", "false", ":", "echo", "printf"];
    match last {
        Some(n) if !BUILTINS.contains(&n.as_str()) => n,
        _ => string
            .split_whitespace()
            .next()
            .filter(|w| !BUILTINS.contains(w))
            .map_or_else(|| "the command".into(), str::to_string),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::container;
    use super::*;
    use crate::model::{Origin, Setting};
    use crate::shell::ShellKind;

    fn with_check(shell: ShellKind, test: &[&str]) -> Option<Check> {
        let mut c = container(shell, &[], &["/app/server"], "/", &[]);
        let argv = test.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        c.healthcheck = Healthcheck::from_test(&argv).map(|h| Setting::new(h, Origin::Default));
        check(&c)
    }

    #[test]
    fn a_shell_that_stays_orphans_the_checked_program() {
        let dash =
            with_check(ShellKind::Dash, &["CMD-SHELL", "curl -f http://localhost/"]).unwrap();
        let orphans = dash.orphans.unwrap();
        assert_eq!(orphans.program, "curl");
        assert!(orphans.shell.contains("dash"), "{orphans:?}");
        // busybox ash execs a simple command, but not a pipeline.
        let ash = with_check(
            ShellKind::BusyboxAsh,
            &["CMD-SHELL", "wget -q -O- http://x/"],
        );
        assert!(ash.unwrap().orphans.is_none());
        let pipe = with_check(
            ShellKind::BusyboxAsh,
            &["CMD-SHELL", "wget -q -O- http://x/ | grep ok"],
        );
        // The pipeline's last command names it (every stage is the shell's child).
        assert_eq!(pipe.unwrap().orphans.unwrap().program, "grep");
        // An explicit exec hands over in every shell.
        let exec = with_check(ShellKind::Dash, &["CMD-SHELL", "exec curl http://x/"]);
        assert!(exec.unwrap().orphans.is_none());
    }

    #[test]
    fn exec_form_and_none_leave_nothing() {
        let exec = with_check(ShellKind::Dash, &["CMD", "curl", "-f", "http://x/"]).unwrap();
        assert_eq!(exec.argv, ["curl", "-f", "http://x/"]);
        assert!(exec.orphans.is_none());
        assert!(with_check(ShellKind::Dash, &["NONE"]).is_none());
    }
}
