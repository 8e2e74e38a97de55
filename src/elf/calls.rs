//! Call sites, not imports: which signal numbers a program passes to `sigaction`/`signal`, and
//! which pid it passes to `waitpid`/`wait4`/`waitid`. Importing (or, statically, containing)
//! `sigaction` proves nothing — a static libc always has it, for abort()'s SIGABRT — while
//! `mov $0xf,%edi; call sigaction` does.
//!
//! x86-64 and aarch64: the first argument (`edi`/`rdi`, `w0`/`x0`) is set by an instruction
//! shortly before the call. Targets are PLT stubs (dynamic binaries, found through their GOT
//! relocations), `call *GOT(%rip)` (x86-64 `-fno-plt`), and `.symtab` functions (unstripped
//! static binaries).

use std::collections::HashMap;

use goblin::elf::{
    header::{EM_AARCH64, EM_X86_64},
    section_header::SHF_EXECINSTR,
    sym::STT_FUNC,
    Elf,
};

mod aarch64;
mod stripped;
mod x86_64;

/// Functions that install a signal disposition; the first argument is the signal number.
pub const INSTALL_FNS: &[&str] = &[
    "sigaction",
    "__sigaction",
    "__libc_sigaction",
    "signal",
    "bsd_signal",
    "__bsd_signal",
    "sysv_signal",
    "__sysv_signal",
    "sigset",
    "ssignal",
];
/// Wait functions whose first argument says which child: -1 (pid) or P_ALL (waitid).
const WAIT_PID_FNS: &[&str] = &["waitpid", "__waitpid", "wait4", "__wait4"];
const WAITID_FNS: &[&str] = &["waitid", "__waitid"];
/// Wait functions that always wait for any child.
const WAIT_ANY_FNS: &[&str] = &["wait", "__wait", "wait3", "__wait3"];

/// Functions that collect blocked signals instead of handling them (tini, catatonit).
pub const COLLECT_FNS: &[&str] = &[
    "sigwait",
    "sigwaitinfo",
    "sigtimedwait",
    "signalfd",
    "__sigtimedwait",
];

/// Code scanned at most: beyond this the answer is "not analysed".
pub(super) const MAX_CODE: usize = 64 << 20;

/// One call to a function of interest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSite {
    /// The function called (`sigaction`, `waitpid`).
    pub callee: String,
    /// The first argument when it is a constant set just before the call.
    pub arg: Option<i64>,
    /// Address of the call instruction.
    pub at: u64,
    /// The function the call is in, from `.symtab`, when the binary has one.
    pub caller: Option<String>,
    /// A stripped binary: how the callee was recognised without a name.
    pub via: Option<&'static str>,
}

impl CallSite {
    /// `sigaction(15, …) in main at 0x401136`.
    pub fn describe(&self) -> String {
        let arg = self.arg.map_or("?".to_string(), |a| a.to_string());
        let caller = self
            .caller
            .as_ref()
            .map(|c| format!(" in {c}"))
            .unwrap_or_default();
        let via = self.via.map(|v| format!(" ({v})")).unwrap_or_default();
        format!("{}({arg}, …){caller} at {:#x}{via}", self.callee, self.at)
    }

    /// This wait call waits for any child (`waitpid(-1)`, `waitid(P_ALL)`, `wait`).
    pub fn waits_for_any(&self) -> bool {
        let name = self.callee.as_str();
        WAIT_ANY_FNS.contains(&name)
            || (WAIT_PID_FNS.contains(&name) && self.arg == Some(-1))
            || (WAITID_FNS.contains(&name) && self.arg == Some(0))
    }
}

/// What the call sites show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calls {
    /// Calls that install a signal disposition, outside libc's own wrappers.
    pub install: Vec<CallSite>,
    /// Calls to wait functions, outside libc's own wrappers.
    pub wait: Vec<CallSite>,
    /// Calls to sigwait-like functions (which signals they collect is not read).
    pub collect: Vec<CallSite>,
}

/// The call sites of an x86-64 binary; `None` for other architectures, or when there is
/// nothing to resolve calls against (a stripped static binary).
pub fn analyse(elf: &Elf<'_>, bytes: &[u8]) -> Option<Calls> {
    let arch = match elf.header.e_machine {
        EM_X86_64 => Arch::X86_64,
        EM_AARCH64 => Arch::Aarch64,
        _ => return None,
    };
    let targets = Targets::new(elf, bytes, arch, &is_wrapper);
    if targets.by_address.is_empty() && targets.by_slot.is_empty() && elf.syms.is_empty() {
        // Static and stripped: its libc's system calls are in it. (A dynamic binary's are
        // in libc.so, and it names what it imports.)
        let is_static = elf.interpreter.is_none() && elf.libraries.is_empty();
        return match arch {
            Arch::X86_64 if is_static => stripped::analyse(elf, bytes),
            _ => None,
        };
    }
    let mut calls = Calls::default();
    let mut scanned = 0usize;
    for sh in elf.section_headers.iter() {
        let name = elf.shdr_strtab.get_at(sh.sh_name).unwrap_or("");
        if sh.sh_flags & u64::from(SHF_EXECINSTR) == 0 || name.starts_with(".plt") {
            continue;
        }
        let code = section_bytes(bytes, sh.sh_offset, sh.sh_size)?;
        scanned = scanned.saturating_add(code.len());
        if scanned > MAX_CODE {
            return None;
        }
        match arch {
            Arch::X86_64 => x86_64::scan(code, sh.sh_addr, &targets, &mut calls),
            Arch::Aarch64 => aarch64::scan(code, sh.sh_addr, &targets, &mut calls),
        }
    }
    Some(calls)
}

/// The instruction sets whose calls initlint reads.
#[derive(Debug, Clone, Copy)]
enum Arch {
    X86_64,
    Aarch64,
}

pub(super) fn section_bytes(bytes: &[u8], offset: u64, size: u64) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    let len = usize::try_from(size).ok()?;
    bytes.get(start..start.checked_add(len)?)
}

/// Where calls to the functions of interest land.
struct Targets {
    /// A PLT stub or a `.symtab` function's start → its name.
    by_address: HashMap<u64, String>,
    /// A GOT slot (`call *slot(%rip)`) → the function's name.
    by_slot: HashMap<u64, String>,
    /// `.symtab` functions, sorted by start: (start, end, name), to name callers and to skip
    /// the wrappers' own calls (`signal` calling `__sigaction` with its argument).
    functions: Vec<(u64, u64, String)>,
}

impl Targets {
    fn new(elf: &Elf<'_>, bytes: &[u8], arch: Arch, wanted: &dyn Fn(&str) -> bool) -> Targets {
        let mut by_slot = HashMap::new();
        for rel in elf.pltrelocs.iter().chain(elf.dynrelas.iter()) {
            let name = elf
                .dynsyms
                .get(rel.r_sym)
                .and_then(|s| elf.dynstrtab.get_at(s.st_name));
            if let Some(name) = name.filter(|n| wanted(n)) {
                by_slot.insert(rel.r_offset, name.to_string());
            }
        }
        let mut by_address = HashMap::new();
        for sh in elf.section_headers.iter() {
            let name = elf.shdr_strtab.get_at(sh.sh_name).unwrap_or("");
            if !name.starts_with(".plt") {
                continue;
            }
            if let Some(code) = section_bytes(bytes, sh.sh_offset, sh.sh_size) {
                match arch {
                    Arch::X86_64 => x86_64::plt_stubs(code, sh.sh_addr, &by_slot, &mut by_address),
                    Arch::Aarch64 => {
                        aarch64::plt_stubs(code, sh.sh_addr, &by_slot, &mut by_address)
                    }
                }
            }
        }
        let mut functions = Vec::new();
        for sym in elf.syms.iter() {
            if sym.st_type() != STT_FUNC || sym.st_value == 0 {
                continue;
            }
            let Some(name) = elf.strtab.get_at(sym.st_name) else {
                continue;
            };
            let end = sym.st_value.saturating_add(sym.st_size.max(1));
            functions.push((sym.st_value, end, name.to_string()));
            if wanted(name) {
                by_address.insert(sym.st_value, name.to_string());
            }
        }
        functions.sort();
        Targets {
            by_address,
            by_slot,
            functions,
        }
    }

    /// The `.symtab` function containing `addr`.
    fn function_at(&self, addr: u64) -> Option<&str> {
        let i = self
            .functions
            .partition_point(|(start, _, _)| *start <= addr);
        let (start, end, name) = self.functions.get(i.checked_sub(1)?)?;
        (*start <= addr && addr < *end).then_some(name.as_str())
    }
}

/// Record a call to `callee` at `at` with first argument `arg`.
fn record(callee: &str, arg: Option<i64>, at: u64, t: &Targets, calls: &mut Calls) {
    let caller = t.function_at(at);
    // libc's own wrappers pass their argument through (`signal` → `__sigaction(sig)`):
    // those calls say nothing about the program.
    if caller.is_some_and(is_wrapper) {
        return;
    }
    let site = CallSite {
        callee: callee.to_string(),
        arg,
        at,
        caller: caller.map(str::to_string),
        via: None,
    };
    if INSTALL_FNS.contains(&callee) {
        calls.install.push(site);
    } else if COLLECT_FNS.contains(&callee) {
        calls.collect.push(site);
    } else {
        calls.wait.push(site);
    }
}

/// A function whose calls initlint records, and whose own inner calls it skips.
fn is_wrapper(name: &str) -> bool {
    INSTALL_FNS.contains(&name)
        || WAIT_PID_FNS.contains(&name)
        || WAITID_FNS.contains(&name)
        || WAIT_ANY_FNS.contains(&name)
        || COLLECT_FNS.contains(&name)
}
