//! A stripped static x86-64 binary has no imports and no symbols, but its libc still makes
//! the system calls: the function that makes `rt_sigaction` (13) is libc's sigaction
//! (glibc's `__libc_sigaction`, musl's likewise). A function that calls one of those with
//! rdi not set to a constant passes its own first argument on: a wrapper (`sigaction` →
//! `__libc_sigaction`, `signal` → `sigaction`), followed up to [`MAX_DEPTH`] levels. Every
//! call into one of them with a constant in rdi is a call site with that signal number;
//! one with a computed rdi beyond the last level is a site whose number is computed.
//! Functions are bounded by the targets of `call` instructions: no symbol says where they
//! start.

use std::collections::HashSet;

use goblin::elf::{section_header::SHF_EXECINSTR, Elf};

use super::x86_64::{self, Flow};
use super::{section_bytes, CallSite, Calls, MAX_CODE};

/// Wrapper levels followed above the function that makes the system call (glibc: signal →
/// __sigaction → __libc_sigaction).
const MAX_DEPTH: usize = 3;

const VIA: &str = "found by the system call it reaches; the binary is stripped";

/// The system calls that matter, by number (x86-64), and the libc function each stands for.
const SYSCALLS: &[(i64, &str, Group)] = &[
    (13, "sigaction", Group::Install),
    (128, "sigtimedwait", Group::Collect),
    (282, "signalfd", Group::Collect),
    (289, "signalfd", Group::Collect),
    (61, "wait4", Group::Wait),
    (247, "waitid", Group::Wait),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    Install,
    Collect,
    Wait,
}

pub(super) fn analyse(elf: &Elf<'_>, bytes: &[u8]) -> Option<Calls> {
    let mut flow = Flow::default();
    let mut scanned = 0usize;
    for sh in elf.section_headers.iter() {
        if sh.sh_flags & u64::from(SHF_EXECINSTR) == 0 {
            continue;
        }
        let code = section_bytes(bytes, sh.sh_offset, sh.sh_size)?;
        scanned = scanned.saturating_add(code.len());
        if scanned > MAX_CODE {
            return None;
        }
        x86_64::flow(code, sh.sh_addr, &mut flow);
    }
    let mut starts: Vec<u64> = flow.calls.iter().filter(|c| c.3).map(|c| c.1).collect();
    starts.sort_unstable();
    starts.dedup();
    let function = |at: u64| {
        let i = starts.partition_point(|s| *s <= at);
        i.checked_sub(1).map(|i| starts[i])
    };
    let mut calls = Calls::default();
    for (nr, callee, group) in SYSCALLS {
        for site in sites(&flow, &function, *nr, callee) {
            match group {
                Group::Install => calls.install.push(site),
                Group::Collect => calls.collect.push(site),
                Group::Wait => calls.wait.push(site),
            }
        }
    }
    Some(calls)
}

/// The call sites of the libc function that makes system call `nr`, and of its wrappers.
fn sites(
    flow: &Flow,
    function: &dyn Fn(u64) -> Option<u64>,
    nr: i64,
    callee: &str,
) -> Vec<CallSite> {
    let site = |at: u64, arg: Option<i64>| CallSite {
        callee: callee.to_string(),
        arg,
        at,
        caller: None,
        via: Some(VIA),
    };
    let mut out = Vec::new();
    let mut wrappers: HashSet<u64> = HashSet::new();
    for &(at, _, rdi) in flow.syscalls.iter().filter(|s| s.1 == nr) {
        // glibc's wait() makes wait4(-1, …) itself: the system call is the call site.
        if let Some(arg) = rdi {
            out.push(site(at, Some(arg)));
        }
        if let Some(f) = function(at) {
            wrappers.insert(f);
        }
    }
    let mut level = wrappers.clone();
    for depth in 0..=MAX_DEPTH {
        let mut next = HashSet::new();
        for &(at, target, rdi, _) in &flow.calls {
            if !level.contains(&target) {
                continue;
            }
            match (rdi, function(at)) {
                (Some(arg), _) => out.push(site(at, Some(arg))),
                (None, Some(caller)) if wrappers.contains(&caller) => {}
                (None, Some(caller)) if depth < MAX_DEPTH => {
                    next.insert(caller);
                }
                (None, _) => out.push(site(at, None)),
            }
        }
        wrappers.extend(next.iter().copied());
        level = next;
        if level.is_empty() {
            break;
        }
    }
    out.sort_by_key(|s| s.at);
    out.dedup_by_key(|s| s.at);
    out
}
