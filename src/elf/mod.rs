//! What an ELF binary says about signals and children: its interpreter and libraries, the
//! signal/wait/fork functions it imports (with symbol versions), and whether it is Go or Rust.
//!
//! Evidence, not guesses: a static binary has no imports, and a static glibc binary always
//! contains `sigaction` (abort() needs it), so for static C the answer is "unknown".

pub mod calls;

use std::panic::{catch_unwind, AssertUnwindSafe};

pub use calls::{CallSite, Calls};

use goblin::elf::Elf;

/// Larger files are not parsed (goblin needs the whole file in memory).
pub const MAX_ELF: usize = 128 << 20;

/// Functions through which a program can act on a signal.
pub const SIGNAL_FNS: &[&str] = &[
    "sigaction",
    "signal",
    "sigset",
    "bsd_signal",
    "sysv_signal",
    "__sysv_signal",
    "sigwait",
    "sigwaitinfo",
    "sigtimedwait",
    "signalfd",
];
/// Functions that reap children.
pub const WAIT_FNS: &[&str] = &["wait", "waitpid", "wait3", "wait4", "waitid"];
/// Functions that start processes.
pub const SPAWN_FNS: &[&str] = &[
    "fork",
    "vfork",
    "clone",
    "clone3",
    "posix_spawn",
    "posix_spawnp",
    "system",
    "popen",
];
pub const EXEC_FNS: &[&str] = &[
    "execve", "execv", "execvp", "execvpe", "execl", "execlp", "execle", "fexecve",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub name: String,
    /// `GLIBC_2.2.5`, when the binary records symbol versions.
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Libc {
    Glibc,
    Musl,
    /// Statically linked: which libc is not recorded.
    Static,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoInfo {
    pub version: Option<String>,
    pub main_module: Option<String>,
    /// Its function table (pclntab, kept by `-ldflags "-s -w"`) names `os/signal.Notify` (or
    /// `NotifyContext`): the program asks for signals. Without it, the runtime's own handler
    /// exits with status 2 on SIGTERM.
    pub notify: bool,
}

#[derive(Debug, Clone)]
pub struct ElfFacts {
    pub interpreter: Option<String>,
    pub needed: Vec<String>,
    /// Imported functions initlint cares about (signal, wait, spawn, exec families).
    pub imports: Vec<Import>,
    /// No `PT_INTERP` and no `DT_NEEDED`.
    pub is_static: bool,
    /// A `.symtab` is present (not stripped).
    pub has_symtab: bool,
    pub go: Option<GoInfo>,
    /// `.comment` mentions rustc.
    pub rust: bool,
    pub libc: Libc,
    /// x86-64 and aarch64: the call sites of signal and wait functions (PLT stubs,
    /// `.symtab`).
    pub calls: Option<Calls>,
}

/// What a binary does with one signal, from the strongest evidence there is.
#[derive(Debug)]
pub enum SignalUse<'a> {
    /// A call site installs a disposition for it: `sigaction(15, …)`.
    Handles(&'a CallSite),
    /// A call site passes a signal number computed at run time.
    Computed(&'a CallSite),
    /// It collects blocked signals with sigwait/signalfd; which ones is not read.
    Collects(String),
    /// It imports a function that installs handlers, but its calls were not analysed.
    Imports(&'a Import),
    /// Call sites install dispositions only for these other signals (maybe none).
    Others(Vec<i64>),
    /// Static and not analysable: nothing to see.
    Invisible,
}

/// Whether a binary waits for children it did not start.
#[derive(Debug)]
pub enum WaitUse<'a> {
    /// `waitpid(-1)`, `wait()`, `waitid(P_ALL)` at a call site.
    Any(&'a CallSite),
    /// It imports a wait function, but its calls were not analysed.
    Imports(&'a Import),
    /// It sets a SIGCHLD disposition (maybe SIG_IGN or SA_NOCLDWAIT, which reap too).
    SigchldSet(&'a CallSite),
    /// It waits only for pids it computes (its own children), or never.
    OwnOnly(Vec<&'a CallSite>),
    Invisible,
}

impl ElfFacts {
    /// What the binary does with `signal` (a canonical name: `SIGTERM`).
    pub fn signal_use(&self, signal: &str) -> SignalUse<'_> {
        let signal = crate::knowledge::signals::number(signal).map_or(-1, i64::from);
        let Some(calls) = &self.calls else {
            if self.is_static {
                return SignalUse::Invisible;
            }
            return match self.imports_any(SIGNAL_FNS).first() {
                Some(i) => SignalUse::Imports(i),
                None => SignalUse::Others(Vec::new()),
            };
        };
        if let Some(s) = calls.install.iter().find(|s| s.arg == Some(signal)) {
            return SignalUse::Handles(s);
        }
        if let Some(s) = calls.install.iter().find(|s| s.arg.is_none()) {
            return SignalUse::Computed(s);
        }
        if let Some(s) = calls.collect.first() {
            return SignalUse::Collects(s.describe());
        }
        if let Some(i) = self.imports_any(calls::COLLECT_FNS).first() {
            return SignalUse::Collects(i.name.clone());
        }
        let mut others: Vec<i64> = calls.install.iter().filter_map(|s| s.arg).collect();
        others.sort_unstable();
        others.dedup();
        SignalUse::Others(others)
    }

    pub fn wait_use(&self) -> WaitUse<'_> {
        let Some(calls) = &self.calls else {
            if self.is_static {
                return WaitUse::Invisible;
            }
            return match self.imports_any(WAIT_FNS).first() {
                Some(i) => WaitUse::Imports(i),
                None => WaitUse::OwnOnly(Vec::new()),
            };
        };
        if let Some(s) = calls.wait.iter().find(|s| s.waits_for_any()) {
            return WaitUse::Any(s);
        }
        let sigchld = crate::knowledge::signals::number("SIGCHLD").map(i64::from);
        if let Some(s) = calls.install.iter().find(|s| s.arg == sigchld) {
            return WaitUse::SigchldSet(s);
        }
        WaitUse::OwnOnly(calls.wait.iter().collect())
    }

    /// `ELF dynamic, glibc`, `Rust, ELF static`, `Go go1.22.1`.
    pub fn kind(&self) -> String {
        if let Some(go) = &self.go {
            return format!("Go {}", go.version.clone().unwrap_or_default())
                .trim_end()
                .to_string();
        }
        let lang = if self.rust { "Rust, " } else { "" };
        let libc = match self.libc {
            Libc::Glibc => "dynamic, glibc",
            Libc::Musl => "dynamic, musl",
            Libc::Static => "static",
            Libc::Unknown => "dynamic",
        };
        format!("{lang}ELF {libc}")
    }

    pub fn imports_any(&self, names: &[&str]) -> Vec<&Import> {
        self.imports
            .iter()
            .filter(|i| names.contains(&i.name.as_str()))
            .collect()
    }
}

pub fn is_elf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x7fELF")
}

/// Inspect an ELF file; a hostile or truncated one gives an error, never a panic.
pub fn inspect(bytes: &[u8]) -> Result<ElfFacts, String> {
    if bytes.len() > MAX_ELF {
        return Err(format!(
            "the binary is {} MiB, larger than the {} MiB initlint inspects",
            bytes.len() >> 20,
            MAX_ELF >> 20
        ));
    }
    match catch_unwind(AssertUnwindSafe(|| inspect_inner(bytes))) {
        Ok(r) => r,
        Err(_) => Err("the ELF parser failed on this file (malformed headers)".into()),
    }
}

fn inspect_inner(bytes: &[u8]) -> Result<ElfFacts, String> {
    let elf = Elf::parse(bytes).map_err(|e| format!("not a valid ELF file: {e}"))?;
    let interpreter = elf.interpreter.map(str::to_string);
    let needed: Vec<String> = elf.libraries.iter().map(|s| s.to_string()).collect();
    let mut imports = Vec::new();
    let wanted = |n: &str| {
        SIGNAL_FNS.contains(&n)
            || WAIT_FNS.contains(&n)
            || SPAWN_FNS.contains(&n)
            || EXEC_FNS.contains(&n)
    };
    for (i, sym) in elf.dynsyms.iter().enumerate() {
        if !sym.is_import() {
            continue;
        }
        let Some(name) = elf.dynstrtab.get_at(sym.st_name) else {
            continue;
        };
        if !wanted(name) {
            continue;
        }
        imports.push(Import {
            name: name.to_string(),
            version: version_of(&elf, i),
        });
    }
    imports.sort_by(|a, b| a.name.cmp(&b.name));
    imports.dedup_by(|a, b| a.name == b.name);
    let has_symtab = !elf.syms.is_empty();
    let section = |name: &str| {
        elf.section_headers
            .iter()
            .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(name))
    };
    let section_bytes = |name: &str| -> Option<&[u8]> {
        let s = section(name)?;
        let start = usize::try_from(s.sh_offset).ok()?;
        let len = usize::try_from(s.sh_size).ok()?;
        bytes.get(start..start.checked_add(len)?)
    };
    let go = section_bytes(".go.buildinfo")
        .map(go_buildinfo)
        .or_else(|| {
            section(".note.go.buildid").map(|_| GoInfo {
                version: None,
                main_module: None,
                notify: false,
            })
        })
        .or_else(|| find(bytes, b"\xff Go buildinf:").map(|at| go_buildinfo(&bytes[at..])));
    // Function names are plain strings in the pclntab: dead code is not linked, so the
    // name is there only when the program calls it.
    let go = go.map(|g| GoInfo {
        notify: find(bytes, b"os/signal.Notify").is_some(),
        ..g
    });
    let rust = section_bytes(".comment").is_some_and(|c| find(c, b"rustc").is_some());
    // The Go runtime handles signals itself: its call sites are not read.
    let calls = if go.is_none() {
        calls::analyse(&elf, bytes)
    } else {
        None
    };
    let is_static = interpreter.is_none() && needed.is_empty();
    let libc = if is_static {
        Libc::Static
    } else if interpreter.as_deref().is_some_and(|i| i.contains("musl"))
        || needed.iter().any(|n| n.contains("musl"))
    {
        Libc::Musl
    } else if interpreter
        .as_deref()
        .is_some_and(|i| i.contains("ld-linux"))
        || needed.iter().any(|n| n == "libc.so.6")
    {
        Libc::Glibc
    } else {
        Libc::Unknown
    };
    Ok(ElfFacts {
        interpreter,
        needed,
        imports,
        is_static,
        has_symtab,
        go,
        rust,
        libc,
        calls,
    })
}

/// The version a dynamic symbol needs (`GLIBC_2.2.5`), from `.gnu.version` and
/// `.gnu.version_r`.
fn version_of(elf: &Elf<'_>, index: usize) -> Option<String> {
    let v = elf.versym.as_ref()?.get_at(index)?;
    let want = v.version();
    if want <= 1 {
        return None;
    }
    for need in elf.verneed.as_ref()?.iter() {
        for aux in need.iter() {
            if aux.vna_other == want {
                return elf.dynstrtab.get_at(aux.vna_name).map(str::to_string);
            }
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `.go.buildinfo` (Go ≥ 1.18 inline format): magic, pointer size, flags, then the Go
/// version and the module info as varint-prefixed strings from offset 32.
fn go_buildinfo(b: &[u8]) -> GoInfo {
    let none = GoInfo {
        version: None,
        main_module: None,
        notify: false,
    };
    if !b.starts_with(b"\xff Go buildinf:") || b.len() < 32 {
        return none;
    }
    if b[15] & 2 == 0 {
        // Pre-1.18 pointer format: the strings live elsewhere in the binary.
        return none;
    }
    let mut at = 32;
    let mut next = || -> Option<String> {
        let (len, used) = uvarint(b.get(at..)?)?;
        let start = at + used;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        at = end;
        Some(String::from_utf8_lossy(b.get(start..end)?).into_owned())
    };
    let version = next();
    let modinfo = next().unwrap_or_default();
    let main_module = modinfo
        .lines()
        .find_map(|l| l.strip_prefix("mod\t"))
        .or_else(|| modinfo.lines().find_map(|l| l.strip_prefix("path\t")))
        .map(|m| m.split('\t').next().unwrap_or(m).to_string());
    GoInfo {
        version,
        main_module,
        notify: false,
    }
}

fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, &byte) in b.iter().enumerate().take(10) {
        x |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((x, i + 1));
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn hostile_elves_are_errors_not_panics() {
        assert!(inspect(b"\x7fELF").is_err());
        let mut junk = b"\x7fELF\x02\x01\x01".to_vec();
        junk.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        assert!(inspect(&junk).is_err());
        // A real binary cut in half.
        let me = std::fs::read("/proc/self/exe").unwrap();
        let _ = inspect(&me[..me.len() / 2]);
        let _ = inspect(&me[..200]);
    }

    #[test]
    fn uvarints() {
        assert_eq!(uvarint(&[0x05]), Some((5, 1)));
        assert_eq!(uvarint(&[0x96, 0x01]), Some((150, 2)));
        assert_eq!(uvarint(&[0x80]), None);
    }
}
