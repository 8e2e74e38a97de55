//! Call-site analysis on real binaries: C programs compiled here with gcc, dynamic and static,
//! stripped and not. What a program passes to sigaction/waitpid decides, not what it imports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use initlint::elf::{inspect, SignalUse, WaitUse};

const SIGTERM: &str = "SIGTERM";

/// A C compiler: the host's gcc, or a cross compiler for another architecture.
#[derive(Clone, Copy)]
struct Cc {
    program: &'static str,
    package: &'static str,
}

const X86_64: Cc = Cc {
    program: "gcc",
    package: "gcc",
};
const AARCH64: Cc = Cc {
    program: "aarch64-linux-gnu-gcc",
    package: "gcc-aarch64-linux-gnu and libc6-dev-arm64-cross",
};

fn compile(cc: Cc, dir: &Path, name: &str, source: &str, flags: &[&str]) -> Vec<u8> {
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, source).unwrap();
    let out: PathBuf = dir.join(name);
    let status = Command::new(cc.program)
        .args(["-O2", "-o"])
        .arg(&out)
        .arg(&c)
        .args(flags)
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (Debian package {}; ./x test installs it)",
                cc.program, cc.package
            )
        });
    assert!(status.success(), "{} {name}", cc.program);
    std::fs::read(out).unwrap()
}

const HANDLER: &str = r#"
#include <signal.h>
#include <string.h>
#include <unistd.h>
static void h(int s) { (void)s; }
int main(void) {
    struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_handler = h;
    sigaction(SIGTERM, &sa, 0);
    for (;;) pause();
}"#;

const SIGINT_ONLY: &str = r#"
#include <signal.h>
#include <unistd.h>
static void h(int s) { (void)s; }
int main(void) { signal(SIGINT, h); for (;;) pause(); }"#;

const OWN_CHILD: &str = r#"
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    pid_t p = fork();
    if (p == 0) _exit(0);
    waitpid(p, 0, 0);
    for (;;) pause();
}"#;

const ANY_CHILD: &str = r#"
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    if (fork() == 0) _exit(0);
    for (;;) { while (waitpid(-1, 0, 0) > 0) {} pause(); }
}"#;

#[test]
fn the_signal_number_at_the_call_site_decides() {
    signal_numbers(X86_64);
}

/// The same programs cross-compiled for aarch64: `mov w0, #15; bl sigaction` through the PLT,
/// and `.symtab` functions in static binaries.
#[test]
fn the_signal_number_at_the_call_site_decides_on_aarch64() {
    signal_numbers(AARCH64);
}

#[test]
fn waitpid_minus_one_reaps_orphans_waitpid_pid_does_not() {
    wait_pids(X86_64);
}

#[test]
fn waitpid_minus_one_reaps_orphans_waitpid_pid_does_not_on_aarch64() {
    wait_pids(AARCH64);
}

fn signal_numbers(cc: Cc) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let compile = |name: &str, source: &str, flags: &[&str]| compile(cc, d, name, source, flags);
    let dynamic = inspect(&compile("h", HANDLER, &[])).unwrap();
    match dynamic.signal_use(SIGTERM) {
        SignalUse::Handles(site) => {
            assert_eq!(site.callee, "sigaction");
            assert_eq!(site.arg, Some(15));
            assert_eq!(site.caller.as_deref(), Some("main"));
        }
        other => panic!("dynamic handler: {other:?}"),
    }
    // Imports signal(), but only for SIGINT: SIGTERM is not handled.
    let int_only = inspect(&compile("int", SIGINT_ONLY, &[])).unwrap();
    assert!(!int_only.imports_any(&["signal"]).is_empty());
    match int_only.signal_use(SIGTERM) {
        SignalUse::Others(o) => assert_eq!(o, [2]),
        other => panic!("SIGINT only: {other:?}"),
    }
    // Static and unstripped: libc's own sigaction(SIGABRT) in abort() does not count as
    // handling SIGTERM; main's call does.
    let st = inspect(&compile("hs", HANDLER, &["-static"])).unwrap();
    assert!(st.is_static);
    assert!(
        matches!(st.signal_use(SIGTERM), SignalUse::Handles(s) if s.caller.as_deref() == Some("main"))
    );
    let st_int = inspect(&compile("ints", SIGINT_ONLY, &["-static"])).unwrap();
    match st_int.signal_use(SIGTERM) {
        SignalUse::Others(o) => assert!(o.contains(&2) && !o.contains(&15), "{o:?}"),
        other => panic!("static SIGINT only: {other:?}"),
    }
    // Stripped static: no names, but libc's sigaction makes the rt_sigaction system call.
    // x86-64 code is followed from there (callers that pass their first argument on are
    // wrappers); aarch64 stays unread.
    let stripped = inspect(&compile("hss", HANDLER, &["-static", "-s"])).unwrap();
    let stripped_int = inspect(&compile("intss", SIGINT_ONLY, &["-static", "-s"])).unwrap();
    if cc.program == "gcc" {
        match stripped.signal_use(SIGTERM) {
            SignalUse::Handles(site) => {
                assert_eq!(site.arg, Some(15));
                assert!(site.via.is_some() && site.caller.is_none(), "{site:?}");
            }
            other => panic!("stripped handler: {other:?}"),
        }
        match stripped_int.signal_use(SIGTERM) {
            SignalUse::Others(o) => assert!(o.contains(&2) && !o.contains(&15), "{o:?}"),
            other => panic!("stripped SIGINT only: {other:?}"),
        }
    } else {
        assert!(matches!(stripped.signal_use(SIGTERM), SignalUse::Invisible));
    }
}

fn wait_pids(cc: Cc) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let compile = |name: &str, source: &str, flags: &[&str]| compile(cc, d, name, source, flags);
    let any = inspect(&compile("any", ANY_CHILD, &[])).unwrap();
    assert!(matches!(any.wait_use(), WaitUse::Any(s) if s.arg == Some(-1)));
    let own = inspect(&compile("own", OWN_CHILD, &[])).unwrap();
    // It imports waitpid, yet waits only for the pid fork() returned.
    assert!(!own.imports_any(&["waitpid"]).is_empty());
    match own.wait_use() {
        WaitUse::OwnOnly(sites) => assert_eq!(sites[0].arg, None),
        other => panic!("own child: {other:?}"),
    }
    let any_static = inspect(&compile("anys", ANY_CHILD, &["-static"])).unwrap();
    assert!(matches!(any_static.wait_use(), WaitUse::Any(_)));
    if cc.program == "gcc" {
        // Stripped: found by the wait4 system call its libc makes.
        let any_stripped = inspect(&compile("anyss", ANY_CHILD, &["-static", "-s"])).unwrap();
        assert!(
            matches!(any_stripped.wait_use(), WaitUse::Any(s) if s.arg == Some(-1)),
            "{:?}",
            any_stripped.wait_use()
        );
        let own_stripped = inspect(&compile("ownss", OWN_CHILD, &["-static", "-s"])).unwrap();
        assert!(
            matches!(own_stripped.wait_use(), WaitUse::OwnOnly(s) if !s.is_empty()),
            "{:?}",
            own_stripped.wait_use()
        );
    }
}
