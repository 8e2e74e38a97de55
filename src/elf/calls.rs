//! Call sites, not imports: which signal numbers a program passes to `sigaction`/`signal`, and
//! which pid it passes to `waitpid`/`wait4`/`waitid`. Importing (or, statically, containing)
//! `sigaction` proves nothing — a static libc always has it, for abort()'s SIGABRT — while
//! `mov $0xf,%edi; call sigaction` does.
//!
//! x86-64 only: the first argument is `edi`/`rdi`, set by an instruction shortly before the
//! call. Targets are PLT stubs (dynamic binaries, found through their GOT relocations),
//! `call *GOT(%rip)` (`-fno-plt`), and `.symtab` functions (unstripped static binaries).

use std::collections::HashMap;

use goblin::elf::{header::EM_X86_64, section_header::SHF_EXECINSTR, sym::STT_FUNC, Elf};
use iced_x86::{Code, Decoder, DecoderOptions, Instruction, Mnemonic, OpKind, Register};

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
const MAX_CODE: usize = 64 << 20;

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
        format!("{}({arg}, …){caller} at {:#x}", self.callee, self.at)
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
    if elf.header.e_machine != EM_X86_64 {
        return None;
    }
    let targets = Targets::new(elf, bytes, &is_wrapper);
    if targets.by_address.is_empty() && targets.by_slot.is_empty() && elf.syms.is_empty() {
        return None;
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
        scan(code, sh.sh_addr, &targets, &mut calls);
    }
    Some(calls)
}

fn section_bytes(bytes: &[u8], offset: u64, size: u64) -> Option<&[u8]> {
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
    fn new(elf: &Elf<'_>, bytes: &[u8], wanted: &dyn Fn(&str) -> bool) -> Targets {
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
                plt_stubs(code, sh.sh_addr, &by_slot, &mut by_address);
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

/// PLT entries are `[endbr64;] [bnd] jmp *slot(%rip)`: map each entry's start to the
/// function whose GOT slot it jumps through.
fn plt_stubs(code: &[u8], base: u64, slots: &HashMap<u64, String>, out: &mut HashMap<u64, String>) {
    let mut decoder = Decoder::with_ip(64, code, base, DecoderOptions::NONE);
    let mut entry_start = None;
    let mut instr = Instruction::default();
    while decoder.can_decode() {
        decoder.decode_out(&mut instr);
        if instr.code() == Code::Endbr64 {
            entry_start = Some(instr.ip());
            continue;
        }
        if instr.mnemonic() == Mnemonic::Jmp && instr.is_ip_rel_memory_operand() {
            if let Some(name) = slots.get(&instr.ip_rel_memory_address()) {
                out.insert(instr.ip(), name.clone());
                if let Some(start) = entry_start {
                    out.insert(start, name.clone());
                }
            }
        }
        entry_start = None;
    }
}

/// Walk the code, tracking the last constant put in `edi`/`rdi`, and record each call (or
/// tail jump) to a target.
fn scan(code: &[u8], base: u64, targets: &Targets, calls: &mut Calls) {
    let mut decoder = Decoder::with_ip(64, code, base, DecoderOptions::NONE);
    let mut instr = Instruction::default();
    let mut rdi: Option<i64> = None;
    while decoder.can_decode() {
        decoder.decode_out(&mut instr);
        let flow = instr.mnemonic() == Mnemonic::Call || instr.mnemonic() == Mnemonic::Jmp;
        if flow {
            if let Some(callee) = callee(&instr, targets) {
                record(callee, rdi, &instr, targets, calls);
            }
        }
        if flow || instr.mnemonic() == Mnemonic::Ret {
            // The callee, or whatever runs next, may have changed rdi.
            rdi = None;
            continue;
        }
        if writes_rdi(&instr) {
            rdi = constant_into_rdi(&instr, rdi);
        }
    }
}

fn callee<'t>(instr: &Instruction, targets: &'t Targets) -> Option<&'t str> {
    match instr.op0_kind() {
        OpKind::NearBranch64 => targets
            .by_address
            .get(&instr.near_branch_target())
            .map(String::as_str),
        OpKind::Memory if instr.is_ip_rel_memory_operand() => targets
            .by_slot
            .get(&instr.ip_rel_memory_address())
            .map(String::as_str),
        _ => None,
    }
}

fn record(callee: &str, rdi: Option<i64>, instr: &Instruction, t: &Targets, calls: &mut Calls) {
    let caller = t.function_at(instr.ip());
    // libc's own wrappers pass their argument through (`signal` → `__sigaction(sig)`):
    // those calls say nothing about the program.
    if caller.is_some_and(is_wrapper) {
        return;
    }
    let site = CallSite {
        callee: callee.to_string(),
        arg: rdi,
        at: instr.ip(),
        caller: caller.map(str::to_string),
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

fn is_rdi(r: Register) -> bool {
    matches!(
        r,
        Register::RDI | Register::EDI | Register::DI | Register::DIL
    )
}

/// The instruction's first operand is rdi (or a part of it) and it writes it.
fn writes_rdi(instr: &Instruction) -> bool {
    instr.op_count() > 0
        && instr.op0_kind() == OpKind::Register
        && is_rdi(instr.op0_register())
        && !matches!(
            instr.mnemonic(),
            Mnemonic::Cmp | Mnemonic::Test | Mnemonic::Push
        )
}

/// The constant rdi holds after `instr`, if it is one: `mov $15,%edi`, `xor %edi,%edi`,
/// `or $-1,%edi`, `mov $-1,%rdi`. Anything else makes it unknown.
fn constant_into_rdi(instr: &Instruction, before: Option<i64>) -> Option<i64> {
    let imm = match instr.op1_kind() {
        OpKind::Immediate8
        | OpKind::Immediate16
        | OpKind::Immediate32
        | OpKind::Immediate8to16
        | OpKind::Immediate8to32
        | OpKind::Immediate8to64
        | OpKind::Immediate32to64 => Some(instr.immediate(1) as i64),
        _ => None,
    };
    // A 32-bit write zero-extends; the C int argument is the low 32 bits, sign-extended.
    let as_int = |v: i64| i64::from(v as i32);
    match instr.mnemonic() {
        Mnemonic::Mov => imm.map(as_int),
        Mnemonic::Xor if instr.op1_kind() == OpKind::Register && is_rdi(instr.op1_register()) => {
            Some(0)
        }
        Mnemonic::Or if imm.map(as_int) == Some(-1) => Some(-1),
        Mnemonic::Or => before.zip(imm).map(|(b, i)| as_int(b | i)),
        Mnemonic::And => before.zip(imm).map(|(b, i)| as_int(b & i)),
        _ => None,
    }
}
